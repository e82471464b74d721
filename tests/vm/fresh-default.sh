#!/bin/sh
# One fresh 2 GiB vNVDIMM, no policy at all: the agent initialises labels,
# makes one fsdax namespace over the region, xfs with page-size blocks and
# reflink off, mounts it at /mnt/pmem0 with DAX, and proves DAX is on.
. "$(dirname "$0")/lib.sh"
vm_setup

cat > "$work/test.sh" <<'GUEST'
# a namespace has an alt_name only where the DIMM has labels
check "a fresh DIMM starts without labels" [ ! -e /sys/bus/nd/devices/namespace0.0/alt_name ]
agent apply -n
agent apply
check "apply succeeded" [ $? -eq 0 ]
check "/mnt/pmem0 is mounted with DAX" is_mounted_dax /mnt/pmem0
check "its source is /dev/pmem0" [ "$(mount_source /mnt/pmem0)" = /dev/pmem0 ]
check "xfs" [ "$(fstype_of /dev/pmem0)" = xfs ]
check "one namespace" [ "$(count_namespaces)" -eq 1 ]
check "it is named pmem0" [ "$(cat /sys/bus/nd/devices/namespace0.0/alt_name)" = pmem0 ]
check "it is fsdax (a pfn device holds it)" grep -q '^pfn' /sys/bus/nd/devices/namespace0.0/holder
# the filesystem was made the DAX way
xfs_db -r -c "sb 0" -c "print blocksize" -c "print unit" /dev/pmem0 > /tmp/sb
cat /tmp/sb
check "block size is the page size" grep -q "blocksize = $(getconf PAGESIZE 2>/dev/null || echo 4096)" /tmp/sb
check "stripe unit is 2 MiB (512 blocks)" grep -q "unit = 512" /tmp/sb
xfs_db -r -c version /dev/pmem0
check "reflink is off" sh -c 'v=$(xfs_db -r -c version /dev/pmem0) && echo "$v" | grep -q "^versionnum" && ! echo "$v" | grep -q REFLINK'
check "root has the 2 MiB extent size hint" sh -c "xfs_io -c 'extsize' /mnt/pmem0 | grep -q '\[2097152\]'"
# DAX really in effect: a file gets 2 MiB aligned extents and the kernel says DAX
xfs_io -f -c "falloc 0 8m" /mnt/pmem0/probe >/dev/null
xfs_io -c "fiemap -v" /mnt/pmem0/probe
# extents in 512-byte sectors: every start a multiple of 4096 sectors (2 MiB)
check "files are 2 MiB aligned" sh -c "xfs_io -c 'fiemap -v' /mnt/pmem0/probe | awk 'NR > 2 { split(\$3, a, \"[.][.]\"); n++; if (a[1] % 4096) bad = 1 } END { exit bad || !n }'"
# DAX in effect, as the kernel reports it on a file (statx), not as the agent's own status infers it
xfs_io -f -c "pwrite 0 4k" /mnt/pmem0/dax-probe >/dev/null
check "the kernel says DAX is in effect on a file there" dax_in_effect /mnt/pmem0/dax-probe
check "status agrees" sh -c "vpmem-agent status --json | grep -q '\"dax\": true'"
rm -f /mnt/pmem0/dax-probe
# the two helpers can fail: a file on tmpfs has no DAX in effect, and / is not mounted with DAX
echo x > /tmp/not-dax
check_not "(a file on tmpfs: no DAX in effect)" dax_in_effect /tmp/not-dax
check_not "(the root filesystem is not mounted with DAX)" is_mounted_dax /
agent status
agent status --json > /tmp/status.json
check "status reports fsdax xfs at /mnt/pmem0" sh -c 'grep -q "\"mountpoint\": \"/mnt/pmem0\"" /tmp/status.json && grep -q "\"filesystem\": \"xfs\"" /tmp/status.json'
check "status.json was written" grep -q '"result": "ok"' /run/vpmem/status.json
dmesg | grep -i dax | tail -n 3
finish
GUEST

vm_boot fresh "$work/test.sh" "$(vm_dimm nv0 2G)"
