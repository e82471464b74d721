#!/bin/sh
# IBM POWER, hash MMU with 16 MiB pages, as on a hash LPAR (disable_radix,
# cap-hpt-max-page-size=16M): the PMD page is 16 MiB. A policy asking for a
# 2 MiB alignment is refused with the ones the region can do, and changes
# nothing, neither the region nor the data a namespace made by hand holds
# there; without a policy (that namespace gone) the namespace aligns to 16 MiB, xfs gets a
# 16 MiB stripe unit and extent hint, and 16 MiB DAX faults succeed.
# shellcheck source=tests/power/lib.sh
. "$(dirname "$0")/lib.sh"
power_setup
dimm=$(power_dimm nv0 2G)
power_append=disable_radix
power_machine_opts=,cap-hpt-max-page-size=16M
power_file /etc/vpmem/vpmem.json '{"namespaces": [{"name": "pmem", "region": 0, "align": "2M"}]}'

cat > "$work/test.sh" <<'GUEST'
echo "page size $(getconf PAGESIZE), PMD size $(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size)"
check "hash MMU" grep -q "^MMU.*Hash" /proc/cpuinfo
check "16 MiB PMD pages" [ "$(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size)" = 16777216 ]
ndctl list -R
# someone's data on the region, beside the free space the policy asks for
ndctl create-namespace -r region0 -m fsdax -s 256M -n data > /dev/null
mkfs.ext4 -q -b 65536 /dev/pmem0
mkdir -p /mnt/data && mount /dev/pmem0 /mnt/data
dd if=/dev/urandom of=/mnt/data/file bs=64K count=64 2>/dev/null
sha256sum /mnt/data/file > /tmp/data.sha
umount /mnt/data
ndctl list -N > /tmp/before
agent apply > /tmp/refused.out 2>&1
check "a policy asking for align 2M fails" [ $? -eq 1 ]
cat /tmp/refused.out
check "naming what the region can do" grep -q 'does not support align 2M for fsdax namespaces ("pmem"): it can do 64K, 16M' /tmp/refused.out
ndctl list -N > /tmp/after
check "and changing nothing" cmp /tmp/before /tmp/after
mount /dev/pmem0 /mnt/data
check "the data there is intact" sha256sum -c /tmp/data.sha
umount /mnt/data
# gone again, so that the default below has the region to itself: wiped
# first, since destroy-namespace leaves the ext4 there, which the agent's
# guard would find under its new namespace and refuse to format (seen)
dd if=/dev/zero of=/dev/pmem0 bs=1M count=1 2>/dev/null
ndctl destroy-namespace -f namespace0.0 > /dev/null
rm /etc/vpmem/vpmem.json
agent apply -n
agent apply
check "without a policy apply succeeds" [ $? -eq 0 ]
check "/mnt/pmem0 is mounted with DAX" is_mounted_dax /mnt/pmem0
ndctl list -N
check "the namespace aligns to 16 MiB" sh -c 'ndctl list -N | grep -q "\"align\":16777216"'
xfs_db -r -c "sb 0" -c "print blocksize" -c "print unit" /dev/pmem0 > /tmp/sb
cat /tmp/sb
check "64 KiB blocks" grep -qx "blocksize = 65536" /tmp/sb
check "stripe unit is 16 MiB (256 blocks of 64 KiB)" grep -qx "unit = 256" /tmp/sb
check "root has the 16 MiB extent size hint" sh -c "xfs_io -c 'extsize' /mnt/pmem0 | grep -q '\[16777216\]'"
check "status says 16 MiB huge pages" sh -c 'vpmem-agent status --json | grep -q "\"huge_page_size\": 16777216"'
agent status
check_pmd_faults /mnt/pmem0
finish
GUEST

power_boot hash16m "$work/test.sh" "$dimm"
