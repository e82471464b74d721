#!/bin/sh
# vpmem builds and its unit tests pass on the Debian releases guests and
# hypervisors run, with each release's own compiler and libraries: Debian 11
# (gcc 10, ndctl 71, libcurl 7.74, check 0.15) and Debian 13, in chroots made
# by mmdebstrap and cached (Debian 12 is this machine's, the main build).
# In each: the full build with its unit tests, and the agent alone
# (--disable-host) from a chroot without libcurl's, libvirt's or libxml2's
# -dev packages.
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
		# shellcheck disable=SC2086 # a list of package names
		root=$(compat_unpack "$release" "$release-$what" $compat_host_devs)
	else
		root=$(compat_unpack "$release" "$release-$what")
	fi
	cat > "$root/build.sh" <<SCRIPT
set -e
if [ "$what" = agent ]; then
	for lib in libcurl libvirt libxml-2.0; do
		! pkg-config --exists \$lib || { echo "\$lib is still in the chroot"; exit 1; }
	done
fi
cd /src
autoreconf -fi >/dev/null 2>&1
mkdir b && cd b
../configure --enable-werror $* > configure.log 2>&1 || { tail -n 30 configure.log; exit 1; }
make -j$(nproc) > make.log 2>&1 || { tail -n 40 make.log; exit 1; }
make check TESTS="tests/unit/test-units tests/unit/test-destructive" > check.log 2>&1 ||
	{ tail -n 40 check.log; cat tests/unit/test-*.log | tail -n 40; exit 1; }
# exactly the two unit tests, nothing a make around this one asked for
grep -q "^# TOTAL: 2\$" check.log || { echo "make check ran other tests than the unit tests:"; cat check.log; exit 1; }
grep -h "Checks:" tests/unit/test-units.log tests/unit/test-destructive.log | tr '\n' ' '
SCRIPT
	versions=$(compat_versions "$root" gcc libndctl-dev libcurl4-openssl-dev check)
	if out=$(compat_run "$root" /build.sh 2>&1); then
		echo "ok: Debian $release, $what ($versions): built with -Werror, unit tests: $out"
	else
		echo "FAIL: Debian $release, $what ($versions):"; echo "$out"; fail=1
	fi
	if [ "$what" = agent ] && [ -e "$root/src/b/host/vpmem-host" ]; then
		echo "FAIL: Debian $release: --disable-host built vpmem-host"; fail=1
	fi
	rm -rf "$root"
}

for release in ${VPMEM_COMPAT_RELEASES:-bullseye trixie}; do
	build "$release" full
	build "$release" agent --disable-host
done
exit $fail
