#!/bin/sh
# vpmem-host against a real libvirt daemon (started here, private): attach
# puts a 4292870144-byte file backing into a domain's definition as an
# NVDIMM; the guest's agent provisions it and the guest's region is exactly
# the size vpmem-host computed (4092 MiB: libvirt's rounding and ours agree);
# the data survives "virsh destroy" and "start"; a second backing is
# hot-plugged into the running guest; release refuses while QEMU maps
# them, and while the stopped domain's definition names them (libvirt
# asked); detach takes both out of the definition; release erases. A domain without memory slots or a NUMA cell
# is refused with what it lacks, and nothing is reserved.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirtd.sh"
vm_setup
libvirtd_start

files="$work/backings"
cat > "$work/host.json" <<JSON
{"layout": [{"label": "L4G", "backend": "file", "directory": "$files", "size": 4292870144, "count": 1},
            {"label": "S", "backend": "file", "directory": "$files", "size": "512M", "count": 1}]}
JSON
H="$top_builddir/host/vpmem-host -c $work/host.json -s $work/state"
$H setup || fail "setup"

# a domain that cannot take an NVDIMM: refused, with what it lacks
lv_domain bare "$work/initrd" "$work/bare.console" nonuma
before=$($H list --json)
rc=0
$H attach --domain bare --label L4G --connect "$lv_uri" > "$work/bare.out" 2>&1 || rc=$?
cat "$work/bare.out"
[ $rc -eq 1 ] && grep -q "no <maxMemory slots=" "$work/bare.out" && grep -q "no guest NUMA cell" "$work/bare.out" ||
	fail "a domain without slots and NUMA: exit $rc, not both named"
echo "PASS: a domain without memory slots or a NUMA cell: exit 1, both named"
[ "$($H list --json)" = "$before" ] && echo "PASS:   and nothing was reserved" || fail "a refused attach reserved something"
lv_virsh dumpxml --inactive bare | grep -q nvdimm && fail "the refused domain got an NVDIMM"

console="$work/vm.console"
lv_domain vm "$work/initrd" "$console"
uuid=$(lv_virsh domuuid vm)
$H attach --domain vm --label L4G --connect "$lv_uri" --json > "$work/attach.json" || fail "attach"
cat "$work/attach.json"
guest_size=$(sed -n 's/.*"guest_size": \([0-9]*\).*/\1/p' "$work/attach.json")
[ "$guest_size" = 4290772992 ] && echo "PASS: vpmem-host computes 4092 MiB for a 4292870144-byte file" ||
	fail "guest size $guest_size"
grep -q "\"consumer\": \"$uuid\"" "$work/attach.json" && echo "PASS: the domain's UUID is the consumer" || fail "consumer"
lv_virsh dumpxml --inactive vm > "$work/vm.xml"
grep -q "model='nvdimm'" "$work/vm.xml" && echo "PASS: the NVDIMM is in the persistent definition" || fail "not in the definition"
$H attach --domain vm --label L4G --connect "$lv_uri" >/dev/null || fail "attach again"
[ "$(lv_virsh dumpxml --inactive vm | grep -c "model='nvdimm'")" -eq 1 ] &&
	echo "PASS: attach again changes nothing (one NVDIMM, one reservation)" || fail "a second attach added another"

vm_file /expected-size "$guest_size"
cat > "$work/guest.sh" <<'GUEST'
expected=$(cat /expected-size)
r=$(region_by_size "$expected")
check "the guest's region is exactly vpmem-host's guest size ($expected bytes)" [ -n "$r" ]
agent apply
check "the agent provisioned it" is_mounted_dax /mnt/pmem0
if [ ! -f /mnt/pmem0/data ]; then
	dd if=/dev/urandom of=/mnt/pmem0/data bs=1M count=8 2>/dev/null
	sha256sum /mnt/pmem0/data | cut -d' ' -f1 > /mnt/pmem0/data.sha256
	sync
	echo "VPMEM-DESTROY-NOW $failures"
	sleep 600
else
	check "after virsh destroy and start, the data is there" [ "$(sha256sum < /mnt/pmem0/data | cut -d' ' -f1)" = "$(cat /mnt/pmem0/data.sha256)" ]
	n=$(ls -d /sys/bus/nd/devices/region* | wc -l)
	echo "VPMEM-ATTACH-NOW"
	i=0
	while [ $i -lt 600 ] && [ "$(ls -d /sys/bus/nd/devices/region* | wc -l)" -le "$n" ]; do sleep 0.2; i=$((i + 1)); done
	check "a hot-plugged NVDIMM appears in the running guest" [ "$(ls -d /sys/bus/nd/devices/region* | wc -l)" -gt "$n" ]
	for bus in /sys/bus/nd/devices/ndbus*; do cat "$bus/wait_probe" >/dev/null 2>&1; done
	agent apply
	check "the agent provisioned the hot-plugged one" is_mounted_dax /mnt/pmem1
	umount /mnt/pmem0 /mnt/pmem1
	finish
fi
GUEST
vm_overlay "$work/guest.sh"

# first start: provision, write, then a hard stop
: > "$console"
lv_virsh start vm >/dev/null || fail "virsh start"
lv_wait_console "$console" "VPMEM-DESTROY-NOW" 900 || { tr -d '\r' < "$console"; fail "the guest did not get to write its data"; }
tr -d '\r' < "$console" | grep -v '^\s*$' | sed 's/^/[vm 1] /'
tr -d '\r' < "$console" | grep -q "VPMEM-DESTROY-NOW 0" || fail "checks failed in the first boot"
lv_virsh destroy vm >/dev/null || fail "virsh destroy"

# second start: the data, then a hotplug
: > "$console"
lv_virsh start vm >/dev/null || fail "virsh start again"
lv_wait_console "$console" "VPMEM-ATTACH-NOW" 900 || { tr -d '\r' < "$console"; fail "the second boot did not get far"; }
$H attach --domain vm --label S --connect "$lv_uri" 2>&1 | tee "$work/hotplug.out"
grep -q "hot-plugged" "$work/hotplug.out" && echo "PASS: attach to the running domain hot-plugs" || fail "no hotplug"
# the guest runs: QEMU maps both backings, release must not erase them
rc=0
$H release --consumer "$uuid" > "$work/busy.out" 2>&1 || rc=$?
cat "$work/busy.out"
[ $rc -eq 1 ] && grep -q "in use by process [0-9]* (qemu-system-x86" "$work/busy.out" &&
	echo "PASS: release while the guest runs: refused, QEMU named" || fail "release of a running guest's backings: exit $rc"
[ "$($H list --json | grep -c '"state": "reserved"')" -eq 2 ] || fail "the refused release changed the ledger"
lv_wait_console "$console" "VPMEM-TEST-EXIT" 900 || { tr -d '\r' < "$console"; fail "the second boot did not finish"; }
tr -d '\r' < "$console" | grep -v '^\s*$' | sed 's/^/[vm 2] /'
tr -d '\r' < "$console" | grep -q "VPMEM-TEST-EXIT 0" || fail "checks failed in the second boot"
lv_wait_off vm 120 || fail "the domain did not stop"

# stopped, and still defined with both NVDIMMs: they are in use, for libvirt
# says so, asked through --connect or through host.json's "libvirt" section
backing=$(sed -n 's/.*"path": "\(.*\)",*/\1/p' "$work/attach.json")
sum=$(sha256sum < "$backing")
rc=0
$H release --consumer "$uuid" --connect "$lv_uri" > "$work/defined.out" 2>&1 || rc=$?
cat "$work/defined.out"
[ $rc -eq 1 ] && [ "$(grep -c "is named by the libvirt domain vm" "$work/defined.out")" -eq 2 ] &&
	echo "PASS: release of a stopped domain's backings (--connect): refused, the domain named for both" ||
	fail "release of the backings a defined domain names: exit $rc"
python3 - "$work/host.json" "$lv_uri" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["libvirt"] = {"uri": sys.argv[2]}
json.dump(c, open(sys.argv[1], "w"))
PY
rc=0
$H release --consumer "$uuid" > "$work/defined.out" 2>&1 || rc=$?
cat "$work/defined.out"
[ $rc -eq 1 ] && grep -q "is named by the libvirt domain vm" "$work/defined.out" &&
	echo "PASS:   and so with host.json's \"libvirt\" section" || fail "release with host.json's libvirt section: exit $rc"
[ "$($H list --json | grep -c '"state": "reserved"')" -eq 2 ] && [ "$(sha256sum < "$backing")" = "$sum" ] &&
	echo "PASS:   the ledger and the backing's data unchanged" || fail "a refused release changed something"

# detach: out of the definition, still reserved; release erases
$H detach --domain vm --connect "$lv_uri" || fail "detach"
lv_virsh dumpxml --inactive vm | grep -q "model='nvdimm'" && fail "detach left an NVDIMM in the definition"
echo "PASS: detach removes both NVDIMMs from the definition"
[ "$($H list --json | grep -c '"state": "reserved"')" -eq 2 ] && echo "PASS:   and they stay reserved" || fail "detach changed the ledger"
cmp -s -n 1048576 "$backing" /dev/zero && fail "the backing should hold the guest's filesystem before release"
$H release --consumer "$uuid" || fail "release"
[ "$($H list --json | grep -c '"state": "free"')" -eq 2 ] && echo "PASS: release frees both" || fail "release"
cmp -s -n 4292870144 "$backing" /dev/zero && echo "PASS: and the 4 GiB backing reads back all zeros" || fail "the backing still holds data"
echo "PASS: libvirt end to end"
