# Builds as Debian's build daemons and pbuilder make them (sourced by
# tests/pkg/*.sh and tests/guest/lib.sh): in a clean chroot of the release,
# mmdebstrap's buildd variant (Essential and build-essential) with nothing
# more than the build dependencies, installed by apt without Recommends; run
# as root in a plain chroot (its / is no mountpoint, as in pbuilder's), with
# /proc, /sys and /dev/pts mounted, no network but loopback, HOME nowhere,
# and the unit tests on (no nocheck).
#
# What is installed: on Debian 12 and 13, debian/control's Build-Depends
# (apt-get build-dep on the package's control file); on Debian 11, where no
# package is made (README: the agent alone, no systemd-dev there), the
# Build-Depends less the host's libraries and the packaging's (libcurl,
# libvirt, libxml2, debhelper, systemd-dev; and libcxl, which Debian 11 does
# not have: the agent is built without CXL there), and autoconf and automake for
# ./autogen.sh. The chroot with them is cached as a tarball in
# $VPMEM_TEST_CACHE keyed by the release, the archive and that list (a change
# to Build-Depends makes a new one), and unpacked fresh for every build.
set -eu
: "${top_srcdir:?}"
: "${top_builddir:=$top_srcdir}"
# shellcheck source=tests/vm/lib.sh
. "$top_srcdir/tests/vm/lib.sh"

# pkg_require: what building in a chroot needs here
pkg_require() {
	[ "$(id -u)" -eq 0 ] || skip "a build chroot needs root"
	for t in mmdebstrap chroot unshare ip; do
		command -v $t >/dev/null || skip "$t is not installed (Debian: mmdebstrap iproute2)"
	done
}

# pkg_build_depends: debian/control's Build-Depends, on one line
pkg_build_depends() {
	awk '/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
		on && /^[ \t]/ { print; next } { on = 0 }' "$top_srcdir/debian/control" |
		tr '\n\t' '  ' | tr -s ' ' | sed 's/^ //; s/[ ,]*$//'
}

# pkg_agent_depends: Debian 11's list (see above), as apt-get satisfy takes it
pkg_agent_depends() {
	pkg_build_depends | tr ',' '\n' | sed 's/^ *//' |
		grep -Ev '^(debhelper-compat|libcurl4-openssl-dev|libvirt-dev|libxml2-dev|systemd-dev|libcxl-dev)( |$)' |
		{ cat; echo autoconf; echo automake; } | paste -sd, - | sed 's/,/, /g'
}

# pkg_chroot RELEASE: the cached clean chroot's tarball (made if missing)
pkg_chroot() {
	pkg_release=$1
	pkg_mirror=$(debian_mirror) || fail "no Debian archive in this machine's apt sources"
	if [ "$pkg_release" = bullseye ]; then
		pkg_deps=$(pkg_agent_depends)
		# shellcheck disable=SC2016 # expanded by mmdebstrap's hook shell
		pkg_install='chroot "$1" apt-get satisfy -y -q --no-install-recommends "$VPMEM_DEPS"'
	else
		pkg_deps=$(pkg_build_depends)
		# apt-get build-dep on the source's control file (and changelog)
		# shellcheck disable=SC2016
		pkg_install='mkdir -p "$1/tmp/vpmem/debian" && cp "$VPMEM_SRC/debian/control" "$VPMEM_SRC/debian/changelog" "$1/tmp/vpmem/debian/" &&
			chroot "$1" apt-get build-dep -y -q --no-install-recommends /tmp/vpmem && rm -rf "$1/tmp/vpmem"'
	fi
	pkg_key=$(printf '%s\n' buildd-1 "$pkg_release" "$pkg_mirror" "$pkg_deps" | sha256sum | cut -c1-16)
	pkg_tar="$VPMEM_TEST_CACHE/buildd-$pkg_release-$pkg_key.tar"
	cache_lock "buildd-$pkg_release"
	if [ ! -e "$pkg_tar" ]; then
		echo "building a clean Debian $pkg_release build chroot (once, cached in $VPMEM_TEST_CACHE)..." >&2
		rm -f "$VPMEM_TEST_CACHE/buildd-$pkg_release-"*.tar
		# (the output format follows the name: ".tar" at the end)
		VPMEM_DEPS=$pkg_deps VPMEM_SRC=$top_srcdir mmdebstrap --quiet --variant=buildd \
			--customize-hook="$pkg_install" "$pkg_release" "$pkg_tar.part.tar" "deb $pkg_mirror $pkg_release main" \
			> "$pkg_tar.log" 2>&1 || {
			tail -n 30 "$pkg_tar.log" >&2; rm -f "$pkg_tar.part.tar"; cache_unlock
			fail "mmdebstrap could not make a Debian $pkg_release build chroot" >&2; }
		rm -f "$pkg_tar.log"
		mv "$pkg_tar.part.tar" "$pkg_tar"
	fi
	cache_unlock
	echo "$pkg_tar"
}

# pkg_run ROOT SCRIPT: run SCRIPT (a path inside ROOT) as a build daemon
# would: root in the plain chroot, in mount and network namespaces of its
# own, with a clean environment. Nothing stays mounted after.
pkg_run() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --net --fork sh -c 'set -e; root=$1
		ip link set lo up
		mount -t proc proc "$root/proc"
		mount -t sysfs -o ro sysfs "$root/sys"
		mkdir -p "$root/dev/pts"
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
		exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent \
			LC_ALL=C.UTF-8 DEB_BUILD_OPTIONS="parallel=$(nproc)" sh "$2"' sh "$1" "$2"
}

# pkg_build RELEASE OUT: the build of the current sources in a clean chroot
# of RELEASE, its log in OUT/build.log. Debian 12 and 13: dpkg-buildpackage
# -us -uc -b, the packages, .changes and .buildinfo into OUT. Debian 11:
# ./autogen.sh, ./configure --disable-host and make check-unit. Either way
# the unit tests' counts ("Checks: ...") end the log.
pkg_build() {
	pkg_release=$1 pkg_out=$2
	pkg_tar=$(pkg_chroot "$pkg_release") || return 1
	pkg_root=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-buildd.XXXXXX")
	tar -xf "$pkg_tar" -C "$pkg_root"
	if [ "$pkg_release" = bullseye ]; then
		copy_sources "$pkg_root/build/vpmem" --exclude=./debian
		cat > "$pkg_root/build.sh" <<-'SCRIPT'
		set -e
		cd /build/vpmem
		./autogen.sh
		./configure --disable-host --prefix=/usr --sysconfdir=/etc --localstatedir=/var
		make -j"$(nproc)"
		rc=0
		make check-unit || rc=$?
		tree=/build/vpmem
		SCRIPT
	else
		copy_sources "$pkg_root/build/vpmem"
		cat > "$pkg_root/build.sh" <<-'SCRIPT'
		set -e
		cd /build/vpmem
		rc=0
		dpkg-buildpackage -us -uc -b || rc=$?
		tree=/build/vpmem/debian/build
		SCRIPT
	fi
	cat >> "$pkg_root/build.sh" <<-'SCRIPT'
	# what failed (automake's test-suite.log has the failed tests' logs)
	[ "$rc" = 0 ] || [ ! -e "$tree/test-suite.log" ] || tail -n 100 "$tree/test-suite.log"
	for log in "$tree"/tests/unit/test-*.log; do
		[ -e "$log" ] || continue
		echo "${log##*/}: $(grep -h "^[0-9]*%: Checks:" "$log" || echo "no counts")"
	done
	exit $rc
	SCRIPT
	pkg_rc=0
	pkg_run "$pkg_root" /build.sh > "$pkg_out/build.log" 2>&1 || pkg_rc=$?
	[ "$pkg_release" = bullseye ] || mv "$pkg_root"/build/*.deb "$pkg_root"/build/*.changes "$pkg_root"/build/*.buildinfo "$pkg_out/" 2>/dev/null || true
	rm -rf "$pkg_root"
	return $pkg_rc
}

# pkg_unit_tests_ran DIR: the build whose log is DIR/build.log ran the unit
# tests (dh_auto_test), and they passed; says what they counted. 1 when not.
pkg_unit_tests_ran() {
	grep -q "^PASS: tests/unit/test-units" "$1/build.log" &&
		grep -q "^PASS: tests/unit/test-destructive" "$1/build.log" || return 1
	echo "ok: dh_auto_test ran the unit tests in the clean chroot: $(grep "^test-.*Checks:" "$1/build.log" | tr '\n' ' ')"
}
