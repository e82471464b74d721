#!/bin/sh
# vpmem builds and its unit tests pass on the Debian releases guests and
# hypervisors run, with each release's own compiler and libraries: Debian 11
# (gcc 10, ndctl 71, libcurl 7.74, check 0.15) and Debian 13, in chroots made
# by mmdebstrap and cached (Debian 12 is this machine's, the main build).
# In each: the full build with its unit tests, and the agent alone
# (--disable-host) from a chroot without libcurl's, libvirt's or libxml2's
# -dev packages (compat_agent: that build is the one tests/compat/kernels.sh
# boots, made once for both).
# VPMEM_COMPAT_RELEASES="bullseye trixie" (the default) picks the releases.
set -eu
: "${top_srcdir:?}"
# shellcheck source=tests/compat/lib.sh
. "$top_srcdir/tests/compat/lib.sh"
fail=0

# build RELEASE WHAT CONFIGURE-OPTIONS...: the agent alone ("agent") in a
# chroot without the -dev packages of the host's libraries
build() {
	release=$1 what=$2; shift 2
	if [ "$what" = agent ]; then
		dir=$(compat_agent "$release") || { echo "FAIL: Debian $release, agent: no chroot"; fail=1; return; }
		root=$dir out=$(cat "$dir.out") rc=$(cat "$dir.rc")
		report "$release" "$what" "$rc" "$out"
		if [ -e "$root/src/b/host/vpmem-host" ]; then
			echo "FAIL: Debian $release: --disable-host built vpmem-host"; fail=1
		fi
		return
	fi
	root=$(compat_unpack "$release" "$release-$what")
	compat_build_script "" > "$root/build.sh"
	rc=0
	out=$(compat_run "$root" /build.sh 2>&1) || rc=$?
	report "$release" "$what" "$rc" "$out"
	rm -rf "$root"
}

# report RELEASE WHAT RC OUTPUT
report() {
	versions=$(compat_versions "$root" gcc libndctl-dev libcurl4-openssl-dev check)
	if [ "$3" = 0 ]; then
		echo "ok: Debian $1, $2 ($versions): built with -Werror, unit tests: $4"
	else
		echo "FAIL: Debian $1, $2 ($versions):"; echo "$4"; fail=1
	fi
}

for release in ${VPMEM_COMPAT_RELEASES:-bullseye trixie}; do
	build "$release" full
	build "$release" agent
done
exit $fail
