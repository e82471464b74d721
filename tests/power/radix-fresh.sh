#!/bin/sh
# IBM POWER, radix MMU (POWER9's default): one fresh 2 GiB papr_scm NVDIMM,
# no policy. The agent makes one fsdax namespace, xfs with 64 KiB (page
# size) blocks, and mounts it at /mnt/pmem0 with DAX; a file there takes
# PMD (2 MiB) DAX faults. A reboot on the same backing file finds the
# namespace, the filesystem and the data as they were, and changes nothing.
# shellcheck source=tests/power/lib.sh
. "$(dirname "$0")/lib.sh"
power_setup
dimm=$(power_dimm nv0 2G)

cat > "$work/first.sh" <<'GUEST'
check "a papr_scm region" [ -e /sys/bus/nd/devices/region0/size ]
for f in size align persistence_domain; do
	echo "region0 $f: $(cat /sys/bus/nd/devices/region0/$f 2>/dev/null)"
done
echo "page size $(getconf PAGESIZE), PMD size $(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size)"
check "64 KiB pages" [ "$(getconf PAGESIZE)" = 65536 ]
check "radix: the PMD maps 2 MiB" [ "$(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size)" = 2097152 ]
agent apply -n
agent apply
check "apply succeeded" [ $? -eq 0 ]
check "/mnt/pmem0 is mounted with DAX" is_mounted_dax /mnt/pmem0
grep " /mnt/pmem0 " /proc/mounts
check "its source is /dev/pmem0" [ "$(mount_source /mnt/pmem0)" = /dev/pmem0 ]
check "xfs" [ "$(fstype_of /dev/pmem0)" = xfs ]
check "one namespace" [ "$(count_namespaces)" -eq 1 ]
check "it is fsdax" grep -q pfn /sys/bus/nd/devices/namespace0.0/holder
ndctl list -N
xfs_db -r -c "sb 0" -c "print blocksize" -c "print unit" /dev/pmem0 > /tmp/sb
cat /tmp/sb
check "block size is the page size, 64 KiB" grep -qx "blocksize = 65536" /tmp/sb
check "stripe unit is 2 MiB (32 blocks of 64 KiB)" grep -qx "unit = 32" /tmp/sb
check "root has the 2 MiB extent size hint" sh -c "xfs_io -c 'extsize' /mnt/pmem0 | grep -q '\[2097152\]'"
# DAX in effect, as the kernel reports it on a file (statx), not as the agent's own status infers it
xfs_io -f -c "pwrite 0 4k" /mnt/pmem0/dax-probe >/dev/null
check "the kernel says DAX is in effect on a file there" dax_in_effect /mnt/pmem0/dax-probe
check "status agrees" sh -c "vpmem-agent status --json | grep -q '\"dax\": true'"
rm -f /mnt/pmem0/dax-probe
# faults through the DAX mapping of a file there are PMD ones (fs_dax
# tracepoint dax_pmd_fault_done, NOPAGE: 32 for 64 MiB, none fall back)
check_pmd_faults /mnt/pmem0
# data for the reboot: its checksum goes to the harness over the console
dd if=/dev/urandom of=/mnt/pmem0/data bs=1M count=8 2>/dev/null
sync
echo "data sha256 $(sha256sum /mnt/pmem0/data | cut -d' ' -f1)"
blkid -o value -s UUID /dev/pmem0 > /mnt/pmem0/fs.uuid
cat /sys/bus/nd/devices/namespace0.0/uuid > /mnt/pmem0/ns.uuid
agent apply > /tmp/rerun.out 2>&1
check "a rerun succeeds" [ $? -eq 0 ]
cat /tmp/rerun.out
check "a rerun has nothing to do" grep -q "nothing to do" /tmp/rerun.out
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
check "same namespace (uuid)" [ "$(cat /sys/bus/nd/devices/namespace0.0/uuid)" = "$(cat /mnt/pmem0/ns.uuid)" ]
check "same filesystem (uuid)" [ "$(blkid -o value -s UUID /dev/pmem0)" = "$(cat /mnt/pmem0/fs.uuid)" ]
echo "data sha256 $(sha256sum /mnt/pmem0/data | cut -d' ' -f1), expected $(cat /data.sha256)"
check "the data reads back identical" [ "$(sha256sum /mnt/pmem0/data | cut -d' ' -f1)" = "$(cat /data.sha256)" ]
agent apply > /tmp/rerun.out 2>&1
check "a second apply has nothing to do" grep -q "nothing to do" /tmp/rerun.out
finish
GUEST

power_boot first "$work/first.sh" "$dimm" || fail "the first boot failed"
sha=$(tr -d '\r' < "$work/first.log" | sed -n 's/^data sha256 \([0-9a-f]\{64\}\)$/\1/p')
[ -n "$sha" ] || fail "the first boot printed no checksum"
power_file /data.sha256 "$sha"
power_boot second "$work/second.sh" "$dimm"
