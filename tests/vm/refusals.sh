#!/bin/sh
# Data in every personality a device can have is never destroyed: a
# label-less devdax, fsdax or sector namespace on an NVDIMM that could take
# labels (made by hand with ndctl --no-autolabel, as image builders do),
# stray bytes on a label-less NVDIMM and on e820 memory, a filesystem nobody
# asked for on virtio-pmem, and a device with an unreadable sector. The agent refuses each
# with the reason and exits 1; every backing file is checksummed on the host
# before and after. Policies that cannot fit a shape (two entries on a
# label-less region, a smaller size, devdax or sector on virtio-pmem, system
# RAM over devdax data) change nothing either. Only "overwrite": true gets past the guard.
. "$(dirname "$0")/lib.sh"
vm_setup

GIB=1073741824 MIB=1048576
devdax=$(vm_dimm devdax $((2 * GIB + 2 * MIB)))
fsdax=$(vm_dimm fsdax $((GIB + 2 * MIB)))
sector=$(vm_dimm sector $((768 * MIB + 2 * MIB)))
raw=$(vm_dimm raw $((384 * MIB)))
virtio=$(vm_dimm virtio $((1280 * MIB)))
bad=$(vm_dimm bad $((256 * MIB)))
ram=$(vm_dimm ram $((2 * GIB)))
devices="$devdax $fsdax $sector nolabel:$raw virtio:$virtio nolabel:$bad e820:$ram"

# The personalities keep their page map in RAM (--map=mem): with map=dev the
# kernel rewrites the page map inside the namespace at every boot, whoever
# runs, and the whole-file checksums below would prove nothing.
cat > "$work/setup.sh" <<'GUEST'
GIB=1073741824 MIB=1048576
n=$(region_by_size $((2 * GIB)))
check "devdax personality without labels" ndctl create-namespace -f -e namespace$n.0 -m devdax --map=mem --no-autolabel
daxtool write /dev/dax$n.0 precious
check "8 MiB of data on it" [ "$(daxtool read /dev/dax$n.0)" = precious ]
n=$(region_by_size $GIB)
check "fsdax personality without labels" ndctl create-namespace -f -e namespace$n.0 -m fsdax --map=mem --no-autolabel
mkfs.ext4 -q /dev/pmem$n && mkdir -p /tmp/m && mount /dev/pmem$n /tmp/m && echo precious > /tmp/m/file && umount /tmp/m
n=$(region_by_size $((768 * MIB)))
check "sector personality without labels" ndctl create-namespace -f -e namespace$n.0 -m sector --no-autolabel
mkfs.ext4 -q /dev/pmem${n}s && mount /dev/pmem${n}s /tmp/m && echo precious > /tmp/m/file && umount /tmp/m
# (stray bytes that start with a non-zero one, unlike random ones, one time
# in 256: the refusal names the offset of the first)
yes stray | head -c 4096 > /tmp/stray
n=$(region_by_size $((384 * MIB)))
dd if=/tmp/stray of=/dev/pmem$n bs=4096 seek=100 count=1 2>/dev/null
n=$(region_by_size $((512 * MIB)))
dd if=/tmp/stray of=/dev/pmem$n bs=4096 seek=10 count=1 2>/dev/null
n=$(region_by_size $((1280 * MIB)))
mkfs.ext4 -q /dev/pmem$n
sync
ndctl list -RN
finish
GUEST

cat > "$work/refuse.sh" <<'GUEST'
GIB=1073741824 MIB=1048576
# an unreadable sector 8 KiB into the last device
n=$(region_by_size $((256 * MIB)))
echo "16 8" > /sys/block/pmem$n/badblocks
agent apply > /tmp/apply.out 2>&1
check "the default policy is refused everywhere: exit 1" [ $? -eq 1 ]
cat /tmp/apply.out
check "nothing was done" sh -c '! grep -q "initialised\|created\|made\|mounted" /tmp/apply.out'
check "devdax with data: refused" grep -q "is a devdax namespace, the policy asks for fsdax" /tmp/apply.out
check "label-less fsdax holding ext4: refused" grep -q "holds an ext4 signature; the policy asks for xfs" /tmp/apply.out
# the kernel may or may not claim a label-less btt at boot: either way it is data
check "sector with data: refused" grep -q "is a sector namespace, the policy asks for fsdax\|holds a sector (btt.*) info block" /tmp/apply.out
check "stray bytes on a label-less NVDIMM: refused" grep -q "(NVDIMM without a label area): /dev/pmem[0-9]* holds non-zero bytes in its first MiB" /tmp/apply.out
check "stray bytes on e820: refused" grep -q "(e820 pmem): /dev/pmem[0-9]* holds non-zero bytes in its first MiB (at offset 40960)" /tmp/apply.out
check "ext4 on virtio-pmem: refused" grep -q "(virtio-pmem): /dev/pmem[0-9]* holds an ext4 signature: left as it is" /tmp/apply.out
check "an unreadable sector: refused" grep -q "holds a read error in its first MiB: Input/output error" /tmp/apply.out
agent apply --dry-run > /dev/null 2>&1
check "a dry run says the same: exit 1" [ $? -eq 1 ]

# policies a shape cannot take, each on its region alone: refused POLICY REGION WHAT WHY
refused() {
	echo "$1" > /tmp/policy.json
	agent apply --config /tmp/policy.json "region$2" > /tmp/policy.out 2>&1
	check "$3: exit 1" [ $? -eq 1 ]
	cat /tmp/policy.out
	check "  and why" grep -q "$4" /tmp/policy.out
}
n=$(region_by_size $((384 * MIB)))
refused '{"overwrite": true, "namespaces": [{"name": "a", "size": "256M", "filesystem": "ext4"},
	{"name": "b", "size": "256M", "filesystem": "ext4"}]}' $n "two entries on a label-less region" \
	"is label-less: one namespace over the whole region, but the policy has 2 entries"
refused '{"overwrite": true, "namespaces": [{"name": "a", "size": "256M"}]}' $n "a smaller size on a label-less region" \
	"one namespace over the whole region (384.00 MiB), \"a\" asks for 256.00 MiB"
n=$(region_by_size $((1280 * MIB)))
refused '{"overwrite": true, "namespaces": [{"name": "fast", "mode": "devdax"}]}' $n \
	"devdax on virtio-pmem, even with overwrite" "is virtio-pmem, which is asynchronous"
refused '{"overwrite": true, "namespaces": [{"name": "log", "mode": "sector"}]}' $n \
	"sector on virtio-pmem, even with overwrite" "cannot be a sector namespace there"
# the policy asks for what is there, devdax, but as system RAM: that would give the data away
n=$(region_by_size $((2 * GIB)))
refused "{\"namespaces\": [{\"name\": \"ram\", \"region\": $n, \"mode\": \"devdax\", \"system_ram\": true}]}" $n \
	"system RAM over a devdax namespace holding data" \
	"/dev/dax$n.0 holds non-zero bytes in its first MiB.*not handed to the kernel as system RAM"
check "the devdax data is still there" [ "$(daxtool read /dev/dax$n.0)" = precious ]
finish
GUEST

cat > "$work/overwrite.sh" <<'GUEST'
GIB=1073741824
n=$(region_by_size $((2 * GIB)))
echo '{"overwrite": true}' > /tmp/ow.json
agent apply --config /tmp/ow.json region$n
check "with overwrite, the devdax namespace is replaced as the policy asks" [ $? -eq 0 ]
check "xfs mounted with DAX" is_mounted_dax /mnt/pmem$n
finish
GUEST

# shellcheck disable=SC2086 # one word per device
vm_boot setup "$work/setup.sh" $devices
# the e820 region is the slice of the RAM file memmap= carves; the rest of it is the guest's RAM
sums() {
	for f in "$devdax" "$fsdax" "$sector" "$raw" "$virtio" "$bad"; do echo "$f $(vm_sum "$f")"; done
	echo "$ram $(vm_sum "$ram" "$VM_E820_OFFSET" "$VM_E820_SIZE")"
}
sums > "$work/before"
# shellcheck disable=SC2086
vm_boot refuse "$work/refuse.sh" $devices
sums > "$work/after"
diff "$work/before" "$work/after" || fail "a backing file changed although the agent refused"
echo "PASS: all six backing files, label areas included, and the e820 region are unchanged"
# shellcheck disable=SC2086
vm_boot overwrite "$work/overwrite.sh" $devices
