#!/bin/sh
# devdax and sector wherever a shape allows them: a labelled NVDIMM with a
# sector namespace (512-byte sectors) beside an fsdax one, a label-less
# NVDIMM as devdax with owner, group and permissions, e820 memory in sector
# mode with ext4 (mounted without DAX: its point, not a failure), and
# virtio-pmem, which takes neither (asynchronous), as fsdax with ext4. A
# reboot on the same backing files finds every one of them and changes
# nothing.
. "$(dirname "$0")/lib.sh"
vm_setup

cat > "$work/policy.sh" <<'GUEST'
# the policy, with the region numbers this boot gave each shape
nv=$(region_of nvdimm) nl=$(region_of nvdimm-nolabel) vp=$(region_of virtio) e8=$(region_of e820)
cat > /tmp/policy.json <<JSON
{"namespaces": [
  {"name": "journal", "region": $nv, "mode": "sector", "sector_size": 512, "size": "512M", "filesystem": "ext4",
   "mountpoint": "/srv/journal"},
  {"name": "data", "region": $nv, "filesystem": "xfs", "mountpoint": "/srv/data"},
  {"name": "fast", "region": $nl, "mode": "devdax", "owner": "root", "group": "kvm", "permissions": "0660"},
  {"name": "log", "region": $e8, "mode": "sector", "filesystem": "ext4", "mountpoint": "/srv/log"},
  {"name": "files", "region": $vp, "filesystem": "ext4", "mountpoint": "/srv/files"}
]}
JSON
GUEST

cat > "$work/first.sh" <<'GUEST'
. /policy.sh
agent --config /tmp/policy.json apply -n
agent --config /tmp/policy.json apply
check "apply succeeded" [ $? -eq 0 ]
agent status
agent status --json > /tmp/status.json
check "labelled: a btt with 512-byte sectors" [ "$(cat /sys/block/pmem${nv}.1s/queue/logical_block_size 2>/dev/null ||
	cat /sys/block/pmem${nv}s/queue/logical_block_size)" = 512 ]
check "labelled: ext4 on it, mounted without DAX" sh -c "grep ' /srv/journal ext4 ' /proc/mounts | grep -qv dax"
check "labelled: xfs beside it with DAX" is_mounted_dax /srv/data
check_pmd_faults /srv/data
check "label-less: /dev/dax$nl.0 with its owner, group and mode" [ "$(stat -c '%U:%G %a' /dev/dax$nl.0)" = "root:kvm 660" ]
daxtool write /dev/dax$nl.0 fast-data
check "e820: a btt with 4096-byte sectors" [ "$(cat /sys/block/pmem${e8}s/queue/logical_block_size)" = 4096 ]
check "e820: ext4 mounted without DAX" sh -c "grep ' /srv/log ext4 ' /proc/mounts | grep -qv dax"
check "virtio-pmem: ext4 with DAX" is_mounted_dax /srv/files
check_pmd_faults /srv/files
check "status: sector mode is not a DAX failure" grep -q '"mode": "sector"' /tmp/status.json
check "status: no mount reported without DAX but sector ones" sh -c '! grep -B12 "\"dax\": false" /tmp/status.json | grep -q "\"mode\": \"fsdax\""'
for m in /srv/journal /srv/data /srv/log /srv/files; do
	dd if=/dev/urandom of=$m/data bs=1M count=4 2>/dev/null
	keep "${m#/srv/}.sha256" "$(sha256sum < $m/data | cut -d' ' -f1)"
	keep "${m#/srv/}.uuid" "$(blkid -o value -s UUID "$(mount_source $m)")"
done
sync
agent --config /tmp/policy.json apply > /tmp/rerun.out 2>&1
check "a rerun has nothing to do" grep -q "nothing to do" /tmp/rerun.out
finish
GUEST

cat > "$work/second.sh" <<'GUEST'
. /policy.sh
agent --config /tmp/policy.json apply > /tmp/apply.out 2>&1
check "apply after the reboot succeeds" [ $? -eq 0 ]
cat /tmp/apply.out
check "nothing was made again" sh -c '! grep -q "made\|created\|initialised" /tmp/apply.out'
for m in /srv/journal /srv/data /srv/log /srv/files; do
	check "$m: the same filesystem" [ "$(blkid -o value -s UUID "$(mount_source $m)")" = "$(kept "${m#/srv/}.uuid")" ]
	check "$m: the data reads back" [ "$(sha256sum < $m/data | cut -d' ' -f1)" = "$(kept "${m#/srv/}.sha256")" ]
done
check "label-less devdax kept, data and all" [ "$(daxtool read /dev/dax$nl.0)" = fast-data ]
check "  and its access re-applied" [ "$(stat -c '%U:%G %a' /dev/dax$nl.0)" = "root:kvm 660" ]
finish
GUEST

mkdir -p "$work/files"
cp "$work/policy.sh" "$work/files/policy.sh"
devices="$(vm_dimm nv 2G) nolabel:$(vm_dimm nl 1G) virtio:$(vm_dimm vp 1G) e820:$(vm_dimm ram 2G)"
# shellcheck disable=SC2086 # one word per device
vm_boot first "$work/first.sh" $devices
# shellcheck disable=SC2086
vm_boot second "$work/second.sh" $devices
