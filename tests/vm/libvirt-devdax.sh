#!/bin/sh
# A device-dax backing through libvirt, as on a real host: the test VM is the
# host, with an NVDIMM, udev and vpmem-host's rule, a libvirt daemon and QEMU;
# a domain in it (nested TCG) boots the test kernel. attach writes the
# backing into the domain's persistent definition by its namespace's UUID
# (/dev/vpmem/by-uuid/...); then the kernel's names change (a namespace
# numbered before it destroyed, the region probed again: the old /dev/daxX.Y
# name is now another backing's), and the domain, started after that, reads
# its own backing: each backing holds its namespace's UUID at its start,
# and the guest prints what its NVDIMM holds. While the domain runs, QEMU
# holds the backing from libvirt's private /dev in a mount namespace of its
# own: release refuses and names it; stopped but defined, release refuses
# when libvirt is asked; detached, release erases it.
# two vCPUs: QEMU's threads and libvirtd's run beside each other
vm_smp=2 vm_with_host=1 vm_with_libvirt=1 vm_mem=2G
. "$(dirname "$0")/lib.sh"
vm_setup
[ -x "$top_builddir/tests/vm/daxtool" ] || fail "build tests/vm/daxtool first (make check does)"

vm_file /etc/vpmem/host.json '{"layout": [{"label": "small", "count": 3, "size": "64M", "region": 0, "align": "2M"}]}'

# the domain's kernel and initramfs: the test VM's kernel, and of its
# initramfs the init, busybox and the NVDIMM drivers (not mkfs, ndctl, their
# libraries or xfs: a tenth of the size, and under TCG in TCG every MiB
# unpacked costs), with a script that prints the first bytes of the
# NVDIMM: its label area is empty, so the kernel gives the region one raw
# namespace over all of it (/dev/pmem0)
cat > "$work/inner.sh" <<'INNER'
echo "VPMEM-UP $(cut -d' ' -f1 /proc/uptime) s"
echo "VPMEM-MARKER $(dd if=/dev/pmem0 bs=4096 count=1 2>/dev/null | tr -d '\000' | head -c 64)"
echo "VPMEM-WAITING (up $(cut -d' ' -f1 /proc/uptime) s)"
sleep 600
INNER
mkdir -p "$work/inner" "$work/files/inner"
(
	cd "$work/inner" && cpio -id --quiet < "$base" &&
		rm -rf sbin usr lib64 etc lib/x86_64-linux-gnu &&
		find lib/modules -name '*.ko' ! -path '*/drivers/nvdimm/*' ! -path '*/drivers/acpi/nfit/*' -delete &&
		mkdir etc && echo "nfit nd_pmem" > etc/vpmem-test-modules && cp "$work/inner.sh" test.sh &&
		find . | cpio -o -H newc --quiet
) > "$work/files/inner/initrd" || fail "cannot make the domain's initramfs"
cp "$vmlinuz" "$work/files/inner/vmlinuz"
echo "$vm_cmdline" > "$work/files/inner/cmdline"

cat > "$work/test.sh" <<'GUEST'
H="vpmem-host -s /tmp/state"
V="virsh -q -c qemu:///system"
/lib/systemd/systemd-udevd --daemon
# stage WHAT: where the run is, with the VM's uptime (nested TCG is slow)
stage() { echo "== $(cut -d' ' -f1 /proc/uptime) s: $*"; }
# need "what" command...: a check the rest depends on; stops at its failure
need() {
	check "$@"
	[ "$failures" -eq 0 ] && return 0
	[ -e /tmp/libvirtd.log ] && tail -n 40 /tmp/libvirtd.log
	finish
	exit 1
}
# namespace_uuid DEV: the UUID of the namespace whose device DEV is, as the kernel says
namespace_uuid() {
	set -- $(stat -L -c '%t %T' "$1")
	d=$(readlink -f "/sys/dev/char/$((0x$1)):$((0x$2))")
	cat "/sys/bus/nd/devices/$(cat "${d%/*}/namespace")/uuid"
}
# someone else's namespace first (the kernel numbers it dax0.0), then vpmem's
ndctl disable-region region0 >/dev/null 2>&1
ndctl init-labels all >/dev/null 2>&1
ndctl enable-region region0 >/dev/null 2>&1
ndctl create-namespace -r region0 -m devdax -s 64M -a 2M -n not-vpmem >/dev/null
$H setup; need "setup lays out three devdax backings" [ $? -eq 0 ]
udevadm settle
for d in /dev/dax0.*; do daxtool write "$d" "ns-$(namespace_uuid "$d")"; done

stage "starting libvirtd"
# libvirtd, as root, with no security driver
echo "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/bin/false" >> /etc/passwd
echo "libvirt-qemu:x:64055:" >> /etc/group
mkdir -p /var
[ -e /var/run ] || ln -s /run /var/run
mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt/qemu /var/log/libvirt/qemu
printf 'user = "root"\ngroup = "root"\nstdio_handler = "file"\nsecurity_driver = "none"\n' > /etc/libvirt/qemu.conf
printf 'listen_tls = 0\nlisten_tcp = 0\nauth_unix_rw = "none"\nlog_outputs = "3:file:/tmp/libvirtd.log"\n' > /etc/libvirt/libvirtd.conf
libvirtd --daemon --config /etc/libvirt/libvirtd.conf
i=0
while [ ! -S /run/libvirt/libvirt-sock ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
need "libvirtd is up" $V version
stage "libvirtd is up"
cat > /tmp/vm.xml <<XML
<domain type='qemu'>
  <name>vm</name>
  <maxMemory slots='2' unit='GiB'>4</maxMemory>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <loader readonly='yes' type='rom'>/usr/share/qemu/qboot.rom</loader>
    <kernel>/inner/vmlinuz</kernel>
    <initrd>/inner/initrd</initrd>
    <cmdline>$(cat /inner/cmdline)</cmdline>
  </os>
  <features><acpi/></features>
  <cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='/tmp/vm.console'/><target port='0'/></serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
need "a domain is defined" $V define /tmp/vm.xml
dom=$($V domuuid vm)
$H attach --domain vm --label small --connect qemu:///system --json > /tmp/attach.json
need "attach puts a backing into the domain's definition" [ $? -eq 0 ]
cat /tmp/attach.json
uuid=$(json_field uuid < /tmp/attach.json)
dev=$(readlink -f "/dev/vpmem/by-uuid/$uuid")
$V dumpxml --inactive vm > /tmp/def.xml
sed -n '/<memory model/,/<\/memory>/p' /tmp/def.xml
check "the definition names /dev/vpmem/by-uuid/$uuid (now $dev)" grep -q "<path>/dev/vpmem/by-uuid/$uuid</path>" /tmp/def.xml
check "  and that namespace's device holds its UUID" [ "$(daxtool read "$dev")" = "ns-$uuid" ]

# the kernel's names change: the namespace numbered first destroyed (its
# owner's choice), the region probed again
victim=$(ndctl list -N -r region0 | awk -F'"' '/"name":"not-vpmem"/ { print d } /"dev":/ { d = $4 }')
check "the other namespace is $victim" [ -n "$victim" ]
ndctl destroy-namespace --force "$victim" >/dev/null 2>&1
ndctl disable-region region0 >/dev/null 2>&1
ndctl enable-region region0 >/dev/null 2>&1
for bus in /sys/bus/nd/devices/ndbus*; do cat "$bus/wait_probe" >/dev/null 2>&1; done
udevadm settle
now=$(readlink -f "/dev/vpmem/by-uuid/$uuid")
echo "renumbered: $uuid was $dev, is $now; $dev is now $( [ -e "$dev" ] && daxtool read "$dev")"
check "the kernel's name for the backing changed ($dev -> $now)" sh -c '[ -c "$1" ] && [ "$1" != "$2" ]' sh "$now" "$dev"
check "  and its old name is another backing's" sh -c '[ -c "$1" ] && [ "$(daxtool read "$1")" != "ns-$2" ]' sh "$dev" "$uuid"

# the domain started after that opens its own backing
stage "starting the domain"
: > /tmp/vm.console
$V start vm > /tmp/start.out 2>&1; rc=$?
cat /tmp/start.out
need "the domain starts" [ $rc -eq 0 ]
i=0
while [ $i -lt 1500 ] && ! grep -q "VPMEM-WAITING" /tmp/vm.console; do
	[ $((i % 25)) -eq 24 ] && [ "$($V domstate vm)" != running ] && break
	sleep 0.2; i=$((i + 1))
done
stage "the domain has read its NVDIMM"
tr -d '\r' < /tmp/vm.console | grep -v "^\s*$" | sed 's/^/[domain] /'
marker=$(tr -d '\r' < /tmp/vm.console | sed -n 's/^VPMEM-MARKER //p')
check "the guest reads its own backing's UUID from its NVDIMM (ns-$uuid)" [ "$marker" = "ns-$uuid" ]
qemu=$(pidof qemu-system-x86_64)
check "QEMU ($qemu) runs in a mount namespace of its own" \
	sh -c '[ -n "$1" ] && [ "$(readlink "/proc/$1/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]' sh "$qemu"

# in use while QEMU holds it from libvirt's /dev
before=$($H list --json)
$H release --consumer "$dom" > /tmp/rel1 2>&1; rc=$?
cat /tmp/rel1
check "release while the domain runs: refused (exit 1)" [ $rc -eq 1 ]
check "  naming QEMU (pid $qemu)" grep -q "in use by process $qemu (qemu-system-x86" /tmp/rel1
check "  and nothing changed" [ "$($H list --json)" = "$before" ]
$V destroy vm >/dev/null
$H release --consumer "$dom" --connect qemu:///system > /tmp/rel2 2>&1; rc=$?
cat /tmp/rel2
check "release while the stopped domain names it (libvirt asked): refused (exit 1)" [ $rc -eq 1 ]
check "  naming the domain" grep -q "the libvirt domain vm" /tmp/rel2
check "  and its data is there" [ "$(daxtool read "$now")" = "ns-$uuid" ]
$H detach --domain vm --connect qemu:///system; check "detach" [ $? -eq 0 ]
$H release --consumer "$dom" --connect qemu:///system; check "release once it is detached" [ $? -eq 0 ]
check "  erased" daxtool zero "$now"
finish
GUEST

vm_boot host "$work/test.sh" "$(vm_dimm nv0 1G)"
