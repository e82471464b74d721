#!/bin/sh
# vpmem builds and its unit tests pass on the Debian releases guests and
# hypervisors run, with each release's own compiler and libraries: Debian 11
# (gcc 10, ndctl 71, libcurl 7.74, check 0.15) and Debian 13, in chroots made
# by mmdebstrap and cached (Debian 12 is this machine's, the main build).
# In each: the full build with its unit tests, and the agent alone
# (--disable-host) from a chroot without libcurl, libvirt or libxml2.
# VPMEM_COMPAT_RELEASES="bullseye trixie" (the default) picks the releases.
set -eu
: "${top_srcdir:?}"
# shellcheck source=tests/vm/lib.sh
. "$top_srcdir/tests/vm/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "chroots need root"
for t in mmdebstrap chroot unshare; do
	command -v $t >/dev/null || skip "$t is not installed (Debian: mmdebstrap)"
done

agent_pkgs="build-essential,autoconf,automake,pkg-config,libndctl-dev,libdaxctl-dev,libblkid-dev,libmount-dev"
# the unit tests make filesystems
agent_pkgs="$agent_pkgs,libjson-c-dev,uuid-dev,check,xfsprogs,e2fsprogs"
host_pkgs="$agent_pkgs,libcurl4-openssl-dev,libvirt-dev,libxml2-dev"
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-compat.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0

# rootfs RELEASE PACKAGES: the cached root filesystem tarball's path
rootfs() {
	key=$(echo "$1 $2" | sha256sum | cut -c1-16)
	tar="$VPMEM_TEST_CACHE/chroot-$1-$key.tar"
	if [ ! -e "$tar" ]; then
		echo "building a Debian $1 chroot (once, cached in $VPMEM_TEST_CACHE)..." >&2
		mmdebstrap --quiet --variant=apt --include="$2" "$1" "$tar.part.tar" \
			"deb http://deb.debian.org/debian $1 main" >&2 ||
			{ rm -f "$tar.part.tar"; fail "mmdebstrap could not build a Debian $1 chroot"; }
		mv "$tar.part.tar" "$tar"
	fi
	echo "$tar"
}

# build RELEASE PACKAGES WHAT CONFIGURE-OPTIONS...: unpack the chroot, copy
# the sources in, build and run the unit tests; a private mount namespace
# holds its /proc, and the root bound onto itself so that it is a mount, as a
# real root is (the unit tests find it in /proc/self/mountinfo); nothing is
# left mounted
build() {
	release=$1 pkgs=$2 what=$3; shift 3
	root="$work/$release-$what"
	mkdir -p "$root"
	tar -xf "$(rootfs "$release" "$pkgs")" -C "$root"
	mkdir -p "$root/src"
	tar -C "$top_srcdir" --exclude=./.git --exclude='./build*' --exclude=./_build --exclude='./vpmem-*' \
		--exclude=./debian -cf - . | tar -xf - -C "$root/src"
	cat > "$root/build.sh" <<SCRIPT
set -e
cd /src
autoreconf -fi >/dev/null 2>&1
mkdir b && cd b
../configure --enable-werror $* > configure.log 2>&1 || { tail -n 30 configure.log; exit 1; }
make -j$(nproc) > make.log 2>&1 || { tail -n 40 make.log; exit 1; }
make check TESTS="tests/unit/test-units tests/unit/test-destructive" > check.log 2>&1 ||
	{ tail -n 40 check.log; cat tests/unit/test-*.log | tail -n 40; exit 1; }
grep -h "Checks:" tests/unit/test-units.log tests/unit/test-destructive.log | tr '\n' ' '
SCRIPT
	versions=$(chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' gcc libndctl-dev libcurl4-openssl-dev \
		check 2>/dev/null | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
	if out=$(unshare --mount --fork sh -c 'mount --bind "$1" "$1" && mount -t proc proc "$1/proc" &&
		chroot "$1" sh /build.sh' sh "$root" 2>&1); then
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
	build "$release" "$host_pkgs" full
	build "$release" "$agent_pkgs" agent --disable-host
done
exit $fail
