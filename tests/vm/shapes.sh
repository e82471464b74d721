#!/bin/sh
# Every shape of persistent memory a guest can be given, fresh and with no
# policy: an NVDIMM with a label area, one without (QEMU's default), a
# virtio-pmem device and e820 memory (memmap=). Each ends with xfs mounted
# with DAX, and every 2 MiB page fault on a mapped file succeeds. A rerun
# changes nothing; a reboot on the same backing files formats nothing and
# the data reads back.
. "$(dirname "$0")/lib.sh"
vm_setup

cat > "$work/first.sh" <<'GUEST'
for shape in nvdimm nvdimm-nolabel virtio e820; do
	check "a $shape region is there" sh -c ". /lib/vpmem-guest.sh; region_of $shape >/dev/null"
done
agent apply
check "apply succeeded" [ $? -eq 0 ]
agent status
for shape in nvdimm nvdimm-nolabel virtio e820; do
	n=$(region_of $shape) m=/mnt/pmem$n
	check "$shape: mounted with DAX at $m" is_mounted_dax $m
	check "$shape: xfs" [ "$(fstype_of "$(mount_source $m)")" = xfs ]
	check_pmd_faults $m
	dd if=/dev/urandom of=$m/data bs=1M count=8 2>/dev/null
	keep $shape.sha256 "$(sha256sum < $m/data | cut -d' ' -f1)"
	keep $shape.uuid "$(blkid -o value -s UUID "$(mount_source $m)")"
done
sync
agent status --json > /tmp/status.json
check "status tells the shapes apart" sh -c 'grep -q "\"kind\": \"virtio-pmem\"" /tmp/status.json &&
	grep -q "\"kind\": \"e820\"" /tmp/status.json && grep -q "\"description\": \"NVDIMM without a label area\"" /tmp/status.json &&
	grep -q "\"description\": \"NVDIMM with labels\"" /tmp/status.json'
check "virtio-pmem is asynchronous" grep -q '"synchronous": false' /tmp/status.json
agent apply > /tmp/rerun.out 2>&1
check "a rerun succeeds" [ $? -eq 0 ]
check "a rerun has nothing to do" grep -q "nothing to do" /tmp/rerun.out
check "nothing mounted twice" sh -c '[ "$(grep -c " /mnt/pmem" /proc/mounts)" -eq 4 ]'
sync
finish
GUEST

cat > "$work/second.sh" <<'GUEST'
check "after the reboot nothing is mounted yet" sh -c '! grep -q " /mnt/pmem" /proc/mounts'
agent apply > /tmp/apply.out 2>&1
check "apply after the reboot succeeds" [ $? -eq 0 ]
cat /tmp/apply.out
check "it only mounted" sh -c 'grep -q "mounted" /tmp/apply.out && ! grep -q "made\|created\|initialised" /tmp/apply.out'
for shape in nvdimm nvdimm-nolabel virtio e820; do
	n=$(region_of $shape) m=/mnt/pmem$n
	check "$shape: mounted with DAX again" is_mounted_dax $m
	check "$shape: the same filesystem" [ "$(blkid -o value -s UUID "$(mount_source $m)")" = "$(kept $shape.uuid)" ]
	check "$shape: the data reads back" [ "$(sha256sum < $m/data | cut -d' ' -f1)" = "$(kept $shape.sha256)" ]
done
finish
GUEST

devices="$(vm_dimm nv 2G) nolabel:$(vm_dimm nl 2G) virtio:$(vm_dimm vp 1G) e820:$(vm_dimm ram 2G)"
# shellcheck disable=SC2086 # one word per device
vm_boot first "$work/first.sh" $devices
# shellcheck disable=SC2086
vm_boot second "$work/second.sh" $devices
