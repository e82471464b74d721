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

# One chroot per release serves every compat test, made by mmdebstrap once:
# what building vpmem and running its unit tests needs (they make
# filesystems), and what tests/compat/kernels.sh puts into the release's
# guest (busybox, ndctl, ...). The build of the agent alone gets a copy
# without the host's libraries (compat_unpack's PURGE). (The Debian 13
# packages tests/guest installs are built elsewhere, as Debian builds them:
# tests/pkg/lib.sh's clean chroot with only the Build-Depends.)
compat_agent_pkgs="build-essential,autoconf,automake,pkg-config,libndctl-dev,libdaxctl-dev,libblkid-dev"
compat_agent_pkgs="$compat_agent_pkgs,libmount-dev,libjson-c-dev,uuid-dev,check,xfsprogs,e2fsprogs"
compat_host_devs="libcurl4-openssl-dev libvirt-dev libxml2-dev"
compat_guest_pkgs="busybox-static,kmod,cpio,gzip,ndctl,daxctl,apt"

# compat_pkgs RELEASE: the packages of RELEASE's chroot
compat_pkgs() {
	# libcxl (CXL region assembly) came with ndctl 72: Debian 12 and later;
	# udevadm for the CXL scenario's look at the agent's udev rule
	cxl=",libcxl-dev,udev"
	[ "$1" = bullseye ] && cxl=""
	echo "$compat_agent_pkgs$cxl,$(echo $compat_host_devs | tr ' ' ','),$compat_guest_pkgs"
}

# a caller with a work directory of its own (and its own EXIT trap) sets
# compat_work before sourcing this
if [ -z "${compat_work:-}" ]; then
	compat_work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-compat.XXXXXX")
	trap 'rm -rf "$compat_work"' EXIT
fi

# compat_rootfs RELEASE: the cached root filesystem tarball's path
compat_rootfs() {
	pkgs=$(compat_pkgs "$1")
	key=$(echo "$1 $pkgs" | sha256sum | cut -c1-16)
	tar="$VPMEM_TEST_CACHE/chroot-$1-$key.tar"
	cache_lock "chroot-$1"
	if [ ! -e "$tar" ]; then
		echo "building a Debian $1 chroot (once, cached in $VPMEM_TEST_CACHE)..." >&2
		mirror=$(debian_mirror) || { cache_unlock; fail "no Debian archive in this machine's apt sources" >&2; }
		mmdebstrap --quiet --variant=apt --include="$pkgs" "$1" "$tar.part.tar" \
			"deb $mirror $1 main" >&2 ||
			{ rm -f "$tar.part.tar"; cache_unlock; fail "mmdebstrap could not build a Debian $1 chroot" >&2; }
		mv "$tar.part.tar" "$tar"
	fi
	cache_unlock
	echo "$tar"
}

# compat_unpack RELEASE NAME [PURGE...]: a fresh chroot of RELEASE in
# $compat_work/NAME with the sources (less builds and packaging) in /src,
# and without the packages PURGE (dpkg --purge); prints its path
compat_unpack() {
	release=$1 root="$compat_work/$2"
	shift 2
	rm -rf "$root"
	mkdir -p "$root"
	tar -xf "$(compat_rootfs "$release")" -C "$root"
	if [ $# -gt 0 ]; then
		chroot "$root" dpkg --purge "$@" > "$root.purge.log" 2>&1 ||
			{ cat "$root.purge.log" >&2; fail "cannot purge $* from the Debian $release chroot" >&2; }
	fi
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

# compat_build_script "MAKE-TARGETS" CONFIGURE-OPTION...: a script (on
# stdout) that builds /src in the chroot with -Werror and those options, then
# MAKE-TARGETS, runs the unit tests, and prints their counts
compat_build_script() {
	targets=$1
	shift
	cat <<SCRIPT
set -e
cd /src
autoreconf -fi >/dev/null 2>&1
mkdir b && cd b
../configure --enable-werror $* > configure.log 2>&1 || { tail -n 30 configure.log; exit 1; }
make -j$(nproc) > make.log 2>&1 || { tail -n 40 make.log; exit 1; }
[ -z "$targets" ] || make $targets >> make.log 2>&1 || { tail -n 40 make.log; exit 1; }
make check TESTS="tests/unit/test-units tests/unit/test-destructive" > check.log 2>&1 ||
	{ tail -n 40 check.log; cat tests/unit/test-*.log | tail -n 40; exit 1; }
grep -q "^# TOTAL: 2\$" check.log || { echo "make check ran other tests than the unit tests:"; cat check.log; exit 1; }
grep -h "Checks:" tests/unit/test-units.log tests/unit/test-destructive.log | tr '\n' ' '
SCRIPT
}

# compat_agent RELEASE: the agent alone built in a chroot of RELEASE without
# the host's libraries (--disable-host, -Werror, the prefix a package
# uses), with the test programs the VM scenarios put into the guest, and its
# unit tests run; once per test run and release, for every test that needs
# it: debian-releases.sh reports the build, kernels.sh boots what it built.
# Prints the chroot's path; the build's output is in PATH.out, its exit
# status in PATH.rc. The chroot stays in $top_builddir/tests/compat (other
# keys of the release, older sources, are removed).
compat_agent() {
	dir="$top_builddir/tests/compat/agent-$1-$(source_key)"
	cache_lock "compat-agent-$1"
	if [ ! -e "$dir.rc" ]; then
		rm -rf "$top_builddir/tests/compat/agent-$1-"*
		mkdir -p "$top_builddir/tests/compat"
		root=$(compat_work="$top_builddir/tests/compat" compat_unpack "$1" "${dir##*/}" $compat_host_devs) ||
			{ cache_unlock; fail "cannot unpack a Debian $1 chroot" >&2; }
		{
			# the agent build has none of the host's libraries
			echo 'for lib in libcurl libvirt libxml-2.0; do'
			echo '	! pkg-config --exists $lib || { echo "$lib is still in the chroot"; exit 1; }'
			echo 'done'
			compat_build_script "tests/vm/daxtool tests/bench/benchtool tests/vm/faultshim.so" \
				--disable-host --prefix=/usr --sysconfdir=/etc --localstatedir=/var
		} > "$root/build.sh"
		rc=0
		compat_run "$root" /build.sh > "$dir.out" 2>&1 || rc=$?
		echo "$rc" > "$dir.rc"
	fi
	cache_unlock
	echo "$dir"
}
