#!/bin/sh
# The Debian 13 packages, built as Debian builds them (tests/pkg/lib.sh):
# dpkg-buildpackage -us -uc -b in a clean Debian 13 chroot with only the
# Build-Depends, the unit tests on, in a plain chroot whose / is no
# mountpoint; each package holds what it must, at Debian 13's paths (units and
# udev rules under /usr/lib). They are the packages tests/guest installs into
# its Debian 13 guest: built once per run for both (tests/guest/lib.sh,
# guest_debs). Debian 12's are tests/pkg/debian.sh's, with lintian.
set -eu
: "${top_srcdir:?}"
fail=0
failed() { echo "FAIL: $*"; fail=1; }
# shellcheck source=tests/guest/lib.sh
. "$top_srcdir/tests/guest/lib.sh"
# shellcheck source=tests/pkg/lib.sh
. "$top_srcdir/tests/pkg/lib.sh"
guest_release=trixie
guest_debs
pkgs=$debs_dir
pkg_unit_tests_ran "$pkgs" || failed "dh_auto_test did not run the unit tests"
echo "ok: dpkg-buildpackage -us -uc -b: $(cd "$pkgs" && ls ./*.deb | tr '\n' ' ')"
# contents PACKAGE PATH...: each PATH is in PACKAGE
contents() {
	pkg=$1; shift
	list=$(dpkg-deb -c "$pkgs/${pkg}"_*_*.deb | awk '{ print $6 }' | sed 's|^\./|/|')
	for p in "$@"; do
		echo "$list" | grep -qx -- "$p" || failed "$pkg lacks $p"
	done
}
contents vpmem-agent /usr/sbin/vpmem-agent /usr/lib/systemd/system/vpmem-agent.service \
	/usr/lib/systemd/system/vpmem-agent@.service /usr/lib/systemd/system/vpmem.target \
	/usr/lib/udev/rules.d/90-vpmem.rules /usr/lib/python3/dist-packages/cloudinit/config/cc_vpmem.py
contents vpmem-host /usr/sbin/vpmem-host /usr/lib/systemd/system/vpmem-host-sync.service \
	/usr/lib/udev/rules.d/61-vpmem-host.rules
[ $fail = 1 ] || echo "ok: the packages hold their programs, units and udev rules under /usr/lib"
exit $fail
