#!/bin/sh
# vpmem-host gives a guest its backing as a CXL type-3 device: qemu-args
# --model cxl for a reserved file backing (as host-end-to-end.sh does for an
# NVDIMM), booted as given under Debian 13's QEMU; the agent assembles the
# region and provisions it; the second start brings the same filesystem and
# data back; release erases the backing and its label storage area.
. "$(dirname "$0")/lib.sh"
vm_setup
vm_cxl_qemu
state="$work/state" files="$work/backings"
cat > "$work/host.json" <<JSON
{"layout": [{"label": "CXL1G", "backend": "file", "directory": "$files", "size": "1G", "count": 1}]}
JSON
H="$top_builddir/host/vpmem-host -c $work/host.json -s $state"
consumer=$(cat /proc/sys/kernel/random/uuid)

$H setup || fail "setup"
$H reserve --label CXL1G --consumer "$consumer" --json > "$work/reservation.json" || fail "reserve"
uuid=$(sed -n 's/.*"uuid": "\([0-9a-f-]*\)".*/\1/p' "$work/reservation.json" | head -n 1)
backing=$(sed -n 's/.*"path": "\(.*\)",*/\1/p' "$work/reservation.json")
[ -f "$backing" ] || fail "the reservation names no backing file"
$H libvirt-xml --model cxl --consumer "$consumer" > "$work/xml.out" 2>&1 && fail "libvirt-xml --model cxl must say libvirt cannot"
grep -q "libvirt has no element for a CXL type-3 device" "$work/xml.out" || fail "libvirt-xml --model cxl: $(cat "$work/xml.out")"
echo "PASS: libvirt-xml --model cxl says libvirt cannot express it"
$H qemu-args --model cxl --consumer "$consumer" > "$work/qemu-args" 2> "$work/notes" || fail "qemu-args --model cxl"
cat "$work/qemu-args" "$work/notes"
lsa="$state/lsa/$uuid"
[ "$(stat -c %s "$lsa")" = 262144 ] || fail "no 256 KiB label storage area at $lsa"
$H list --json | grep -q "\"cxl_label_area\": \"$lsa\"" || fail "list --json does not name the label storage area"
echo "PASS: the label storage area is kept with the backing ($lsa), list names it"
# the serial number is the backing uuid's first 8 bytes: the guest's labels record it
serial=$(printf '%s' "$uuid" | tr -d - | cut -c1-16)
# (unsigned 64-bit, as QEMU takes it and the kernel shows it: the shell's arithmetic is signed)
grep -qw "sn=$(python3 -c "print(int('$serial', 16))")" "$work/qemu-args" ||
	fail "the device's serial number is not the backing's ($serial)"
eval "set -- $(cat "$work/qemu-args")"
vm_extra_args="$*" vm_cxl_machine=1
vm_file /etc/vpmem-test-serial "$(python3 -c "print(hex(int('$serial', 16)))")"

cat > "$work/first.sh" <<'GUEST'
check "one CXL memory device" [ "$(ls -d /sys/bus/cxl/devices/mem[0-9]* | wc -l)" -eq 1 ]
check "its serial number is the backing's" [ "$(cat /sys/bus/cxl/devices/mem0/serial)" = "$(cat /etc/vpmem-test-serial)" ]
check "1 GiB of persistent capacity (256 MiB multiples of 1 GiB)" [ "$(cat /sys/bus/cxl/devices/mem0/pmem/size)" = 0x40000000 ]
agent apply
check "the agent assembled and provisioned it" is_mounted_dax /mnt/pmem0 xfs
check_pmd_faults /mnt/pmem0
dd if=/dev/urandom of=/mnt/pmem0/data bs=1M count=4 2>/dev/null
sync
keep data.sha256 "$(sha256sum < /mnt/pmem0/data | cut -d' ' -f1)"
keep fs.uuid "$(blkid -o value -s UUID /dev/pmem0)"
finish
GUEST
cat > "$work/second.sh" <<'GUEST'
agent apply
check "mounted again" is_mounted_dax /mnt/pmem0 xfs
check "the same filesystem (UUID)" [ "$(blkid -o value -s UUID /dev/pmem0)" = "$(kept fs.uuid)" ]
check "the data is there" [ "$(sha256sum < /mnt/pmem0/data | cut -d' ' -f1)" = "$(kept data.sha256)" ]
finish
GUEST
vm_boot guest1 "$work/first.sh" || fail "the first start"
$H qemu-args --model cxl --consumer "$consumer" > "$work/qemu-args2" 2>/dev/null || fail "qemu-args again"
cmp -s "$work/qemu-args" "$work/qemu-args2" || fail "qemu-args changed between two starts"
vm_boot guest2 "$work/second.sh" || fail "the second start"

cmp -s -n 262144 "$lsa" /dev/zero && fail "the label storage area should hold the guest's labels before release"
$H release --consumer "$consumer" || fail "release"
cmp -n "$(stat -c %s "$backing")" "$backing" /dev/zero || fail "the backing is not all zeros after release"
[ ! -e "$lsa" ] || fail "the label storage area is still there after release"
echo "PASS: release erased the backing and its label storage area"
