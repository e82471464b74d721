#!/bin/sh
# End to end on this machine (no PMEM: a file-backed backing, as in IBM's
# article): vpmem-host reserves a backing for a guest, its qemu-args boot a
# guest with vpmem-agent, which provisions it and writes data; the guest is
# started again with the same reservation and the data is there; release
# erases the backing, verified here byte for byte.
. "$(dirname "$0")/lib.sh"
vm_setup
state="$work/state" files="$work/backings"
cat > "$work/host.json" <<JSON
{"layout": [{"label": "FILE1G", "backend": "file", "directory": "$files", "size": "1G", "count": 2}]}
JSON
H="$top_builddir/host/vpmem-host -c $work/host.json -s $state"
consumer=$(cat /proc/sys/kernel/random/uuid)

$H setup || fail "setup"
$H inventory --json | tr -d ' \n' | grep -q '"CUSTOM_PMEM_NAMESPACE_FILE1G":{"total":2' || fail "inventory"
$H reserve --label FILE1G --consumer "$consumer" --json > "$work/reservation.json" || fail "reserve"
cat "$work/reservation.json"
# what the host computed is what the guest will see (checked inside the guest)
grep -q '"guest_size": 1071644672' "$work/reservation.json" || fail "vpmem-host's guest size for a 1 GiB file"
backing=$(sed -n 's/.*"path": "\(.*\)",*/\1/p' "$work/reservation.json")
[ -f "$backing" ] || fail "the reservation names no backing file"
$H qemu-args --consumer "$consumer" | tee "$work/qemu-args"
# stdout is the arguments alone, as the shell reads them back
eval "set -- $(cat "$work/qemu-args")"
vm_extra_args="$*"

cat > "$work/first.sh" <<'GUEST'
cat /sys/bus/nd/devices/region0/size
check "the guest sees ALIGN_DOWN(1 GiB - 128 KiB, 2 MiB) = 1022 MiB" [ "$(cat /sys/bus/nd/devices/region0/size)" -eq 1071644672 ]
agent apply
check "the agent provisioned it" is_mounted_dax /mnt/pmem0
dd if=/dev/urandom of=/mnt/pmem0/data bs=1M count=4 2>/dev/null
sync
keep data.sha256 "$(sha256sum < /mnt/pmem0/data | cut -d' ' -f1)"
keep fs.uuid "$(blkid -o value -s UUID /dev/pmem0)"
finish
GUEST
cat > "$work/second.sh" <<'GUEST'
agent apply
check "mounted again" is_mounted_dax /mnt/pmem0
check "the same filesystem (UUID)" [ "$(blkid -o value -s UUID /dev/pmem0)" = "$(kept fs.uuid)" ]
check "the data is there" [ "$(sha256sum < /mnt/pmem0/data | cut -d' ' -f1)" = "$(kept data.sha256)" ]
finish
GUEST

vm_boot guest1 "$work/first.sh"
$H reserve --label FILE1G --consumer "$consumer" --json | grep -q "\"path\": \"$backing\"" || fail "the same consumer must get the same backing"
vm_boot guest2 "$work/second.sh"

cmp -s -n 1048576 "$backing" /dev/zero && fail "the backing should hold the guest's data before release"
$H release --consumer "$consumer" || fail "release"
cmp -n "$(stat -c %s "$backing")" "$backing" /dev/zero || fail "the backing is not all zeros after release"
echo "PASS: release erased the backing: all $(stat -c %s "$backing") bytes read back zero"
$H list | tee "$work/list"
grep -q "reserved" "$work/list" && fail "a reservation is left"
echo "PASS: both backings are free"
