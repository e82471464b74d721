#!/bin/sh
# The Debian 12 packages, built as Debian builds them: dpkg-buildpackage -us
# -uc -b in a clean Debian 12 chroot with only the Build-Depends, the unit
# tests on, in a plain chroot whose / is no mountpoint (tests/pkg/lib.sh);
# lintian reports no error and no warning, and each package holds what it
# must (and the agent's nothing of the host's). Installing them is
# tests/guest's part: the guest image gets the agent with apt.
set -eu
: "${top_srcdir:?}"
command -v lintian >/dev/null || { echo "SKIP: lintian is not installed"; exit 77; }
fail=0
failed() { echo "FAIL: $*"; fail=1; }
# the packages of this run, built once for this test and the Debian 12 guest
# tests (tests/guest/lib.sh, guest_debs)
# shellcheck source=tests/guest/lib.sh
. "$top_srcdir/tests/guest/lib.sh"
# shellcheck source=tests/pkg/lib.sh
. "$top_srcdir/tests/pkg/lib.sh"
guest_release=bookworm
guest_debs
pkgs=$debs_dir
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-pkg.XXXXXX"); trap 'rm -rf "$work"' EXIT
# the unit tests ran in the build, and passed (or there would be no packages)
pkg_unit_tests_ran "$pkgs" || failed "dh_auto_test did not run the unit tests"
echo "ok: dpkg-buildpackage -us -uc -b: $(cd "$pkgs" && ls ./*.deb | tr '\n' ' ')"

changes=$(ls "$pkgs"/vpmem_*.changes)
# as root lintian needs --allow-root; every tag of level error or warning fails
if lintian --allow-root --fail-on error,warning --display-level '>=warning' "$changes" > "$work/lintian" 2>&1; then
	echo "ok: lintian: no errors, no warnings"
else
	failed "lintian:"; cat "$work/lintian"
fi

# contents FILE PACKAGE PATH...: each PATH is in PACKAGE
contents() {
	pkg=$1; shift
	dpkg-deb -c "$pkgs/${pkg}"_*_*.deb | awk '{ print $6 }' | sed 's|^\./|/|' > "$work/$pkg.list"
	for p in "$@"; do
		grep -qx -- "$p" "$work/$pkg.list" || failed "$pkg lacks $p"
	done
}
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
udevdir=$(pkg-config --variable=udevdir udev)
contents vpmem-agent /usr/sbin/vpmem-agent "$unitdir/vpmem-agent.service" "$unitdir/vpmem-agent@.service" \
	"$unitdir/vpmem.target" "$udevdir/rules.d/90-vpmem.rules" \
	/usr/lib/python3/dist-packages/cloudinit/config/cc_vpmem.py /etc/cloud/cloud.cfg.d/90-vpmem.cfg \
	/usr/share/man/man8/vpmem-agent.8.gz /usr/share/man/man5/vpmem.json.5.gz \
	/usr/share/vpmem/cloud-init-schema.json /usr/libexec/vpmem/merge-cloud-init-schema
contents vpmem-host /usr/sbin/vpmem-host "$unitdir/vpmem-host-sync.service" "$udevdir/rules.d/61-vpmem-host.rules" \
	/usr/share/man/man8/vpmem-host.8.gz /usr/share/man/man5/vpmem-host.json.5.gz
if grep -q "vpmem-host" "$work/vpmem-agent.list"; then failed "vpmem-agent holds the host's files:"; grep vpmem-host "$work/vpmem-agent.list"; fi
echo "ok: vpmem-agent holds $(wc -l < "$work/vpmem-agent.list") entries, vpmem-host $(wc -l < "$work/vpmem-host.list")"

# the agent's unit is enabled on installation and not started; the host's
# sync unit is neither until it is configured
dpkg-deb -e "$pkgs"/vpmem-agent_*.deb "$work/agent.ctl"
dpkg-deb -e "$pkgs"/vpmem-host_*.deb "$work/host.ctl"
grep -q "deb-systemd-helper enable 'vpmem-agent.service'" "$work/agent.ctl/postinst" ||
	failed "vpmem-agent's postinst does not enable vpmem-agent.service"
if grep -q "deb-systemd-invoke.*start" "$work/agent.ctl/postinst"; then failed "vpmem-agent's postinst starts the agent"; fi
# (debhelper's --no-enable form: on a first installation, when
# deb-systemd-helper has no record of the unit, nothing is enabled; later it
# keeps what the administrator chose)
if [ -e "$work/host.ctl/postinst" ] && awk '/deb-systemd-helper debian-installed/ { guard = 1 }
	/deb-systemd-helper enable/ && !guard { bad = 1 } END { exit !bad }' "$work/host.ctl/postinst"; then
	failed "vpmem-host's postinst enables vpmem-host-sync.service on installation"
fi
if grep -q "deb-systemd-invoke.*start" "$work/host.ctl/postinst" 2>/dev/null; then
	failed "vpmem-host's postinst starts vpmem-host-sync.service"
fi
# cloud-init's schema: merged in on configure and on cloud-init's changes,
# undone on removal (tests/guest/cloud-init-schema.sh runs it all with dpkg)
grep -q "^interest-noawait /usr/lib/python3/dist-packages/cloudinit/config/schemas$" "$work/agent.ctl/triggers" 2>/dev/null ||
	failed "vpmem-agent has no trigger on cloud-init's schemas"
grep -q "dpkg-divert --package vpmem-agent --add" "$work/agent.ctl/postinst" ||
	failed "vpmem-agent's postinst does not divert cloud-init's schema"
grep -q "dpkg-divert --package vpmem-agent --remove" "$work/agent.ctl/postrm" 2>/dev/null ||
	failed "vpmem-agent's postrm does not remove its diversion"
# libblkid, libmount and libsystemd are loaded with dlopen(): dpkg-shlibdeps cannot see them
for lib in libblkid1 libmount1 libsystemd0; do
	dpkg-deb -f "$pkgs"/vpmem-agent_*.deb Depends | grep -q "$lib" || failed "vpmem-agent does not depend on $lib"
done
dpkg-deb -f "$pkgs"/vpmem-host_*.deb Depends | grep -q libsystemd0 || failed "vpmem-host does not depend on libsystemd0"
exit $fail
