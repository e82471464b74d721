#!/bin/sh
# xfs and ext4 side by side on one region: the second namespace's block device
# is /dev/pmem0.1 (taken from libndctl, never guessed), both mounted with DAX,
# ext4 with page-size blocks and a 2 MiB stride.
. "$(dirname "$0")/lib.sh"
vm_setup

vm_file /etc/vpmem/vpmem.json '{
  "namespaces": [
    {"name": "x", "region": 0, "size": "1G", "filesystem": "xfs", "mountpoint": "/srv/x"},
    {"name": "e", "region": 0, "filesystem": "ext4", "mountpoint": "/srv/e"}
  ]
}'

cat > "$work/test.sh" <<'GUEST'
agent apply
check "apply succeeded" [ $? -eq 0 ]
check "xfs at /srv/x with DAX" is_mounted_dax /srv/x
check "ext4 at /srv/e with DAX" is_mounted_dax /srv/e
check "xfs is on /dev/pmem0" [ "$(mount_source /srv/x)" = /dev/pmem0 ]
check "ext4 is on /dev/pmem0.1" [ "$(mount_source /srv/e)" = /dev/pmem0.1 ]
check "/dev/pmem0.1 holds ext4" [ "$(fstype_of /dev/pmem0.1)" = ext4 ]
dumpe2fs -h /dev/pmem0.1 2>/dev/null | grep -E "Block size|RAID" | tee /tmp/e2
check "ext4 block size is the page size" grep -q "Block size: *4096" /tmp/e2
check "ext4 stride is 2 MiB (512 blocks)" grep -q "RAID stride: *512" /tmp/e2
check "ext4 stripe width is 2 MiB" grep -q "RAID stripe width: *512" /tmp/e2
dd if=/dev/urandom of=/srv/e/f bs=1M count=4 2>/dev/null
check "ext4 takes writes" [ -s /srv/e/f ]
agent status
finish
GUEST

vm_boot xfs-ext4 "$work/test.sh" "$(vm_dimm nv0 2G)"
