#!/bin/sh
# A rerun changes nothing; a reboot on the same backing file finds the same
# namespace and filesystem, formats nothing, and the data reads back.
. "$(dirname "$0")/lib.sh"
vm_setup
dimm=$(vm_dimm nv0 2G)

cat > "$work/first.sh" <<'GUEST'
agent apply
check "first apply succeeded" [ $? -eq 0 ]
dd if=/dev/urandom of=/mnt/pmem0/data bs=1M count=8 2>/dev/null
sync
keep data.sha256 "$(sha256sum < /mnt/pmem0/data | cut -d' ' -f1)"
keep fs.uuid "$(blkid -o value -s UUID /dev/pmem0)"
keep ns.uuid "$(cat /sys/bus/nd/devices/namespace0.0/uuid)"
before=$(date +%s)
agent apply > /tmp/rerun.out 2>&1
check "a rerun succeeds" [ $? -eq 0 ]
cat /tmp/rerun.out
check "a rerun has nothing to do" grep -q "nothing to do" /tmp/rerun.out
check "a rerun makes no filesystem" sh -c '! grep -q "made xfs" /tmp/rerun.out'
check "still one namespace" [ "$(count_namespaces)" -eq 1 ]
check "still mounted once" [ "$(grep -c ' /mnt/pmem0 ' /proc/mounts)" -eq 1 ]
# the boot path writes nothing: the block device's write count (with I/O
# accounting on) stays put across a no-op apply and a status
echo 1 > /sys/block/pmem0/queue/iostats
sync
writes() { awk '{ print $5 }' /sys/block/pmem0/stat; }
w0=$(writes)
agent apply >/dev/null 2>&1
agent status >/dev/null
sync
check "a no-op apply and status write nothing to the filesystem" [ "$(writes)" = "$w0" ]
touch /mnt/pmem0/probe && rm /mnt/pmem0/probe && sync
check "  (a file made and removed there does count)" [ "$(writes)" != "$w0" ]
sync
finish
GUEST

cat > "$work/second.sh" <<'GUEST'
check "after reboot nothing is mounted yet" sh -c '! grep -q " /mnt/pmem0 " /proc/mounts'
agent apply > /tmp/apply.out 2>&1
check "apply after reboot succeeds" [ $? -eq 0 ]
cat /tmp/apply.out
check "it only mounted" sh -c 'grep -q "mounted" /tmp/apply.out && ! grep -q "made\|created\|initialised" /tmp/apply.out'
check "mounted with DAX" is_mounted_dax /mnt/pmem0
check "same namespace (uuid)" [ "$(cat /sys/bus/nd/devices/namespace0.0/uuid)" = "$(kept ns.uuid)" ]
check "same filesystem (uuid)" [ "$(blkid -o value -s UUID /dev/pmem0)" = "$(kept fs.uuid)" ]
check "the data reads back identical" [ "$(sha256sum < /mnt/pmem0/data | cut -d' ' -f1)" = "$(kept data.sha256)" ]
finish
GUEST

vm_boot first "$work/first.sh" "$dimm"
vm_boot second "$work/second.sh" "$dimm"
