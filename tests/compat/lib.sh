# Debian release chroots for the compatibility tests (sourced by
# tests/compat/*.sh): made by mmdebstrap, cached as tarballs keyed by the
# release and the package list, unpacked fresh for every use.
set -eu
: "${top_srcdir:?}"
# shellcheck source=tests/vm/lib.sh
. "$top_srcdir/tests/vm/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "chroots need root"
for t in mmdebstrap chroot unshare; do
	command -v $t >/dev/null || skip "$t is not installed (Debian: mmdebstrap)"
done

# what building the agent and running its unit tests needs (they make filesystems)
compat_agent_pkgs="build-essential,autoconf,automake,pkg-config,libndctl-dev,libdaxctl-dev,libblkid-dev"
compat_agent_pkgs="$compat_agent_pkgs,libmount-dev,libjson-c-dev,uuid-dev,check,xfsprogs,e2fsprogs"
compat_host_pkgs="$compat_agent_pkgs,libcurl4-openssl-dev,libvirt-dev,libxml2-dev"
# and the Debian packages (debian/control's Build-Depends)
compat_deb_pkgs="$compat_host_pkgs,debhelper,dpkg-dev,systemd-dev,man-db,groff-base"

# a caller with a work directory of its own (and its own EXIT trap) sets
# compat_work before sourcing this
if [ -z "${compat_work:-}" ]; then
	compat_work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-compat.XXXXXX")
	trap 'rm -rf "$compat_work"' EXIT
fi

# compat_rootfs RELEASE PACKAGES: the cached root filesystem tarball's path
compat_rootfs() {
	key=$(echo "$1 $2" | sha256sum | cut -c1-16)
	tar="$VPMEM_TEST_CACHE/chroot-$1-$key.tar"
	cache_lock "chroot-$1"
	if [ ! -e "$tar" ]; then
		echo "building a Debian $1 chroot (once, cached in $VPMEM_TEST_CACHE)..." >&2
		mmdebstrap --quiet --variant=apt --include="$2" "$1" "$tar.part.tar" \
			"deb http://deb.debian.org/debian $1 main" >&2 ||
			{ rm -f "$tar.part.tar"; fail "mmdebstrap could not build a Debian $1 chroot" >&2; }
		mv "$tar.part.tar" "$tar"
	fi
	cache_unlock
	echo "$tar"
}

# compat_unpack RELEASE PACKAGES NAME: a fresh chroot in $compat_work/NAME with
# the sources (less builds and packaging) in /src; prints its path
compat_unpack() {
	root="$compat_work/$3"
	rm -rf "$root"
	mkdir -p "$root"
	tar -xf "$(compat_rootfs "$1" "$2")" -C "$root"
	copy_sources "$root/src" --exclude=./debian
	echo "$root"
}

# compat_run ROOT SCRIPT [BIND-DIR]: run SCRIPT (a path inside ROOT) in the
# chroot, in a mount namespace of its own: /proc, /dev and /sys from this
# machine, the root bound onto itself so that it is a mount as a real root is
# (the unit tests look for it in /proc/self/mountinfo), and BIND-DIR, when
# given, at /cache. Nothing stays mounted after.
compat_run() {
	# (without make's variables: under make check, MAKEFLAGS carries the outer
	# suite's TEST_LOGS, which a make in the chroot would take for its own)
	# shellcheck disable=SC2016 # expanded by the inner shell
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL unshare --mount --fork sh -c 'set -e; root=$1
		mount --bind "$root" "$root"
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mount --rbind /sys "$root/sys"
		if [ -n "$3" ]; then mkdir -p "$root/cache"; mount --bind "$3" "$root/cache"; fi
		exec chroot "$root" sh "$2"' sh "$1" "$2" "${3:-}"
}

# compat_versions ROOT PACKAGE...: "package version, ..." as the chroot has them
compat_versions() {
	root=$1; shift
	chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' "$@" 2>/dev/null |
		awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }'
}
