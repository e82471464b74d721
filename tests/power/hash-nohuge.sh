#!/bin/sh
# IBM POWER, hash MMU without 16 MiB pages (disable_radix,
# cap-hpt-max-page-size=64K): the kernel has no PMD page and no transparent
# huge pages. The agent provisions with what there is, a namespace aligned to
# the 64 KiB page and xfs without a stripe unit, says that DAX maps page by
# page there, and DAX is in effect all the same.
# shellcheck source=tests/power/lib.sh
. "$(dirname "$0")/lib.sh"
power_setup
dimm=$(power_dimm nv0 2G)
power_append=disable_radix
power_machine_opts=,cap-hpt-max-page-size=64K

cat > "$work/test.sh" <<'GUEST'
echo "page size $(getconf PAGESIZE)"
check "hash MMU" grep -q "^MMU.*Hash" /proc/cpuinfo
check "no PMD size: no huge pages" [ ! -e /sys/kernel/mm/transparent_hugepage/hpage_pmd_size ]
agent apply -n
agent apply > /tmp/apply.out 2>&1
check "apply succeeds" [ $? -eq 0 ]
cat /tmp/apply.out
check "it says there are no huge pages" grep -q "made xfs on /dev/pmem0 (\"pmem0\"), without a stripe unit: this system has no huge pages" /tmp/apply.out
check "and that DAX maps 64 KiB pages" grep -q "with DAX, verified; this system has no huge pages, so DAX maps it in pages of 64 KiB" /tmp/apply.out
check "/mnt/pmem0 is mounted with DAX" is_mounted_dax /mnt/pmem0
ndctl list -N
check "the namespace aligns to the page" sh -c 'ndctl list -N | grep -q "\"align\":65536"'
xfs_db -r -c "sb 0" -c "print blocksize" -c "print unit" /dev/pmem0 > /tmp/sb
cat /tmp/sb
check "64 KiB blocks" grep -qx "blocksize = 65536" /tmp/sb
check "no stripe unit" grep -qx "unit = 0" /tmp/sb
check "no extent size hint" sh -c "xfs_io -c 'extsize' /mnt/pmem0 | grep -q '\[0\]'"
agent status > /tmp/status.out
cat /tmp/status.out
check "status says there are none" grep -q "huge pages: none" /tmp/status.out
check "status --json: huge_page_size 0" sh -c 'vpmem-agent status --json | grep -q "\"huge_page_size\": 0"'
# DAX in effect, as the kernel reports it on a file (statx), not as the agent's own status infers it
xfs_io -f -c "pwrite 0 4k" /mnt/pmem0/dax-probe >/dev/null
check "the kernel says DAX is in effect on a file there" dax_in_effect /mnt/pmem0/dax-probe
check "status agrees" sh -c "vpmem-agent status --json | grep -q '\"dax\": true'"
rm -f /mnt/pmem0/dax-probe
# writes through a shared mapping of a file there reach it, with no PMD fault at all
set -- $(pmd_faults /mnt/pmem0/probe 16)
echo "PMD faults: $1 succeeded, $2 fell back; page-size DAX faults: $3"
check "no PMD faults are tried" [ "$1 $2" = "0 0" ]
# in the same trace: DAX faults were taken, page by page (a trace that saw nothing would say "0 0" too)
check "  the DAX faults were page by page ($3 of them)" [ "$3" -gt 0 ]
check "what was written through the mapping is there" sh -c 'xfs_io -r -c "pread -v 0 16" /mnt/pmem0/probe | grep -q "5a 5a 5a 5a"'
finish
GUEST

power_boot hashnohuge "$work/test.sh" "$dimm"
