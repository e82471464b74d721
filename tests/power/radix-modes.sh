#!/bin/sh
# IBM POWER, radix MMU: one papr_scm NVDIMM with xfs and ext4 side by side
# and a devdax namespace, as a policy asks. Both filesystems have 64 KiB
# blocks and are laid out for 2 MiB pages, both take 2 MiB DAX faults, and
# the devdax namespace is 2 MiB aligned, the PMD size.
# shellcheck source=tests/power/lib.sh
. "$(dirname "$0")/lib.sh"
power_setup
dimm=$(power_dimm nv0 2G)
power_file /etc/vpmem/vpmem.json '{"namespaces": [
    {"name": "x", "region": 0, "size": "768M", "filesystem": "xfs", "mountpoint": "/mnt/x"},
    {"name": "e", "region": 0, "size": "512M", "filesystem": "ext4", "mountpoint": "/mnt/e"},
    {"name": "d", "region": 0, "mode": "devdax"}]}'

cat > "$work/test.sh" <<'GUEST'
check "radix MMU" grep -q "^MMU.*Radix" /proc/cpuinfo
check "status knows the region for papr_scm" sh -c 'vpmem-agent status --json | grep -q "\"kind\": \"papr_scm\""'
agent apply -n
agent apply
check "apply succeeded" [ $? -eq 0 ]
ndctl list -N > /tmp/ns.json
cat /tmp/ns.json
check "three namespaces" [ "$(count_namespaces)" -eq 3 ]
check "xfs at /mnt/x with DAX" is_mounted_dax /mnt/x
check "ext4 at /mnt/e with DAX" is_mounted_dax /mnt/e
xdev=$(mount_source /mnt/x) edev=$(mount_source /mnt/e)
check "xfs is xfs" [ "$(fstype_of "$xdev")" = xfs ]
check "ext4 is ext4" [ "$(fstype_of "$edev")" = ext4 ]
xfs_db -r -c "sb 0" -c "print blocksize" -c "print unit" "$xdev" > /tmp/sb
cat /tmp/sb
check "xfs: 64 KiB blocks" grep -qx "blocksize = 65536" /tmp/sb
check "xfs: 2 MiB stripe unit (32 blocks)" grep -qx "unit = 32" /tmp/sb
dumpe2fs -h "$edev" 2>/dev/null | grep -i "block size\|RAID" | tee /tmp/e2
check "ext4: 64 KiB blocks" grep -q "Block size: *65536" /tmp/e2
check "ext4: a 2 MiB stride (32 blocks)" grep -q "RAID stride: *32" /tmp/e2
check "the devdax namespace is 2 MiB aligned" sh -c 'ndctl list -N | tr -d " \n" | grep -q "\"mode\":\"devdax\",\"map\":\"dev\",\"size\":[0-9]*,\"uuid\":\"[^\"]*\",\"chardev\":\"dax[0-9.]*\",\"align\":2097152"'
dax=$(ls /sys/bus/dax/devices | head -n 1)
check "its device answers" sh -c "daxtool write /dev/$dax power && [ \"\$(daxtool read /dev/$dax)\" = power ]"
check_pmd_faults /mnt/x
check_pmd_faults /mnt/e
# papr_scm's health, as the hypervisor reports it (H_SCM_HEALTH) and the
# kernel's PDSM injects it: an unclean shutdown (papr's dirty shutdown bit,
# flush_fail in the kernel's flags), then a fatal health
vpmem-agent status | tee /tmp/status
check "status: the papr_scm DIMM's health is ok, its dirty shutdown count 0" grep -q "^  nmem0: health ok, 0 dirty shutdowns$" /tmp/status
check "ndctl injects an unsafe shutdown" ndctl inject-smart -U nmem0
cat /sys/bus/nd/devices/nmem0/papr/flags
agent apply > /tmp/unclean.out 2>&1
cat /tmp/unclean.out
check "the agent says the last shutdown was not clean, and what is on the DIMM" \
	grep -q "warning: nmem0 (region0): the last shutdown was not clean (its firmware reports flush_fail).* On it: xfs on /dev/pmem0[.0-9]* at /mnt/x" /tmp/unclean.out
agent apply > /tmp/again.out 2>&1
check "  once a boot" sh -c '! grep -q "not clean" /tmp/again.out'
check "ndctl injects a fatal health" ndctl inject-smart -f nmem0
agent apply > /tmp/fatal.out 2>&1
cat /tmp/fatal.out
check "the agent says the DIMM's health is fatal, as an error" grep -q "error: nmem0 (region0): its firmware reports health fatal, flags: flush_fail smart_event" /tmp/fatal.out
vpmem-agent status | tee /tmp/status
check "status shows it" grep -q "^  nmem0: health fatal, 0 dirty shutdowns, flags: flush_fail smart_event$" /tmp/status
finish
GUEST

power_boot modes "$work/test.sh" "$dimm"
