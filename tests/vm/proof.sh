#!/bin/sh
# What the agent may destroy is proven empty as far as the step destroys it,
# and what licenses a step holds only for the device and moment it was made
# for. In one boot, each on an NVDIMM of its own:
#  - a label-less NVDIMM whose first MiB is zero and which holds data 128 MiB
#    in (written on the host): a policy asking for devdax is refused, and the
#    backing file is unchanged, byte for byte; the same on an NVDIMM with a
#    label area and no labels yet: its labels are not initialised;
#  - an fsdax namespace whose first MiB is zero and which holds data 64 MiB
#    in: mkfs is refused, the data reads back;
#  - mkfs.xfs that fails (its writes fail, it exits with an error): no
#    record of it is left, and bytes a raw user writes to the device next are
#    refused, never formatted over;
#  - the agent killed while a region is disabled for its labels: a rerun in
#    the same boot enables it again and provisions it; a region disabled by
#    hand stays disabled, also for that rerun;
#  - a first provisioning whose mkfs is killed, on a labelled NVDIMM and on a
#    label-less one, in a guest that keeps no state (the test VM's root is an
#    initramfs): at the next boot the labelled one, whose namespace's name
#    says the agent's mkfs was under way, is made again and mounted; the
#    label-less one, where nothing on the device can say so, is refused.
. "$(dirname "$0")/lib.sh"
vm_setup

MIB=1048576
deep=$(vm_dimm deep $((320 * MIB)))
fsdax=$(vm_dimm fsdax $((384 * MIB)))
mkfs=$(vm_dimm mkfs $((512 * MIB + 2 * MIB)))
killed=$(vm_dimm killed $((640 * MIB + 2 * MIB)))
byhand=$(vm_dimm byhand $((768 * MIB + 2 * MIB)))
labelled=$(vm_dimm labelled $((896 * MIB + 2 * MIB)))
labelless=$(vm_dimm labelless $((448 * MIB)))
deeplabel=$(vm_dimm deeplabel $((1152 * MIB + 2 * MIB)))
# 4 MiB of data 128 MiB into the label-less NVDIMM, nothing before it
dd if=/dev/urandom of="$deep" bs=1M seek=128 count=4 conv=notrunc status=none
deep_before=$(vm_sum "$deep")
dd if=/dev/urandom of="$deeplabel" bs=1M seek=128 count=4 conv=notrunc status=none
deeplabel_before=$(vm_sum "$deeplabel")

cat > "$work/test.sh" <<'GUEST'
shim=/usr/lib/vpmem-test/faultshim.so
MIB=1048576
deep=$(region_by_size $((320 * MIB)))
fsdax=$(region_by_size $((384 * MIB)))
mkfs=$(region_by_size $((512 * MIB)))
killed=$(region_by_size $((640 * MIB)))
byhand=$(region_by_size $((768 * MIB)))
echo "regions: deep $deep, fsdax $fsdax, mkfs $mkfs, killed $killed, by hand $byhand"

# -- data beyond the first MiB
# zero_mib DEVICE: its first MiB reads whole and is all zero bytes (one that
# cannot be read, or reads short, is not; Debian 11's busybox cmp has no -n)
zero_mib() {
	dd if="$1" of=/tmp/first-mib bs=1048576 count=1 2>/dev/null &&
		[ "$(wc -c < /tmp/first-mib)" -eq 1048576 ] &&
		[ -z "$(od -An -v -tx1 /tmp/first-mib | tr -d ' 0\n')" ]
}
check "the label-less NVDIMM's first MiB is zero" zero_mib /dev/pmem$deep
echo "{\"namespaces\": [{\"name\": \"d\", \"region\": $deep, \"mode\": \"devdax\"}]}" > /tmp/deep.json
agent apply --config /tmp/deep.json "region$deep" > /tmp/deep.out 2>&1
rc=$?
cat /tmp/deep.out
check "devdax over data 128 MiB in: refused (exit 1)" [ "$rc" -eq 1 ]
check "  naming where the data is" grep -q "non-zero bytes 128 MiB into it" /tmp/deep.out
check "  still one raw namespace" [ "$(cat /sys/bus/nd/devices/namespace$deep.0/mode)" = raw ]
deeplabel=$(region_by_size $((1152 * MIB)))
agent apply "region$deeplabel" > /tmp/deeplabel.out 2>&1
rc=$?
cat /tmp/deeplabel.out
check "labels over data 128 MiB into a DIMM without labels yet: refused (exit 1)" [ "$rc" -eq 1 ]
check "  naming where the data is" grep -q "non-zero bytes 128 MiB into it" /tmp/deeplabel.out
check "  labels not initialised" [ ! -e "/sys/bus/nd/devices/namespace$deeplabel.0/alt_name" ]

check "an fsdax namespace by hand, no labels" \
	ndctl create-namespace -f -e "namespace$fsdax.0" -m fsdax --map=mem --no-autolabel
dd if=/dev/urandom of=/tmp/blob bs=1M count=4 2>/dev/null
dd if=/tmp/blob of="/dev/pmem$fsdax" bs=1M seek=64 conv=fsync 2>/dev/null
sum=$(sha256sum < /tmp/blob)
echo "{\"namespaces\": [{\"name\": \"f\", \"region\": $fsdax, \"filesystem\": \"xfs\", \"mountpoint\": \"/srv/f\"}]}" > /tmp/fsdax.json
agent apply --config /tmp/fsdax.json "region$fsdax" > /tmp/fsdax.out 2>&1
rc=$?
cat /tmp/fsdax.out
check "mkfs over data 64 MiB into an fsdax namespace: refused (exit 1)" [ "$rc" -eq 1 ]
check "  naming where the data is" grep -q "non-zero bytes 64 MiB into it" /tmp/fsdax.out
check "  no filesystem made" sh -c "[ -b /dev/pmem$fsdax ] && ! blkid -p /dev/pmem$fsdax"
check "  nothing mounted" sh -c "! grep -q ' /srv/f ' /proc/mounts"
check "  the data reads back" \
	[ "$(dd if="/dev/pmem$fsdax" bs=1M skip=64 count=4 2>/dev/null | sha256sum)" = "$sum" ]

# -- a failed mkfs licenses nothing
echo "{\"namespaces\": [{\"name\": \"m\", \"region\": $mkfs, \"filesystem\": \"xfs\", \"mountpoint\": \"/srv/m\"}]}" > /tmp/mkfs.json
VPMEM_SHIM="mkfs.xfs/blkwrite:before:fail=EIO" LD_PRELOAD=$shim \
	vpmem-agent apply --config /tmp/mkfs.json "region$mkfs" > /tmp/mkfs.out 2>&1
rc=$?
cat /tmp/mkfs.out
check "mkfs.xfs failing: exit 1" [ "$rc" -eq 1 ]
check "  it says mkfs failed" grep -q "mkfs.xfs on /dev/pmem$mkfs failed" /tmp/mkfs.out
statedir=$(cat /statedir)
check "  and left no record of it" sh -c "! ls -A $statedir/mkfs 2>/dev/null | grep -q ."
check "  and no marked name: the namespace has its own" [ "$(cat /sys/bus/nd/devices/namespace$mkfs.0/alt_name)" = m ]
# someone uses the raw device meanwhile
dd if=/tmp/blob of="/dev/pmem$mkfs" bs=1M count=4 conv=fsync 2>/dev/null
agent apply --config /tmp/mkfs.json "region$mkfs" > /tmp/mkfs2.out 2>&1
rc=$?
cat /tmp/mkfs2.out
check "the next run refuses the bytes written after the failed mkfs (exit 1)" [ "$rc" -eq 1 ]
check "  as data" grep -q "holds non-zero bytes" /tmp/mkfs2.out
check "  and they read back" [ "$(dd if="/dev/pmem$mkfs" bs=1M count=4 2>/dev/null | sha256sum)" = "$sum" ]

# -- what the agent disabled, it enables again; what someone else did, it leaves
echo "{\"namespaces\": [{\"name\": \"k\", \"region\": $killed, \"filesystem\": \"xfs\", \"mountpoint\": \"/srv/k\"},
  {\"name\": \"h\", \"region\": $byhand, \"filesystem\": \"xfs\", \"mountpoint\": \"/srv/h\"}]}" > /tmp/regions.json
check "a region disabled by hand" ndctl disable-region "region$byhand"
VPMEM_SHIM="vpmem-agent/ndctl_dimm_init_labels:before:kill=9" LD_PRELOAD=$shim \
	vpmem-agent apply --config /tmp/regions.json "region$killed" > /tmp/killed.out 2>&1
rc=$?
cat /tmp/killed.out
check "the agent killed during label initialisation (exit 137)" [ "$rc" -eq 137 ]
check "  left region$killed disabled" [ ! -e "/sys/bus/nd/devices/region$killed/driver" ]
check "  and its record of doing so" [ -s "/run/vpmem/disabled/region$killed" ]
agent apply --config /tmp/regions.json > /tmp/rerun.out 2>&1
rc=$?
cat /tmp/rerun.out
check "the rerun fails for the region disabled by hand only (exit 1)" [ "$rc" -eq 1 ]
check "  it enabled region$killed again, saying why" grep -q "region$killed: enabled again: an earlier run" /tmp/rerun.out
check "  region$killed is enabled" [ -e "/sys/bus/nd/devices/region$killed/driver" ]
check "  and provisioned: /srv/k is DAX-mounted" is_mounted_dax /srv/k
check "  the record is gone" [ ! -e "/run/vpmem/disabled/region$killed" ]
check "  region$byhand is still disabled" [ ! -e "/sys/bus/nd/devices/region$byhand/driver" ]
check "  and the run said it leaves it so" grep -q "region$byhand is disabled: left as it is" /tmp/rerun.out

# -- mkfs killed in a first provisioning; this boot's state goes with it
labelled=$(region_by_size $((896 * MIB)))
labelless=$(region_by_size $((448 * MIB)))
echo "{\"namespaces\": [{\"name\": \"s\", \"region\": $labelled, \"filesystem\": \"xfs\", \"mountpoint\": \"/srv/s\"},
  {\"name\": \"n\", \"region\": $labelless, \"filesystem\": \"xfs\", \"mountpoint\": \"/srv/n\"}]}" > /tmp/stateless.json
VPMEM_SHIM="mkfs.xfs/blkwrite#20:before:kill=9" LD_PRELOAD=$shim \
	vpmem-agent apply --config /tmp/stateless.json "region$labelled" "region$labelless" > /tmp/stateless.out 2>&1
rc=$?
cat /tmp/stateless.out
check "both mkfs killed: exit 1" [ "$rc" -eq 1 ]
check "  twice" [ "$(grep -c 'failed: killed' /tmp/stateless.out)" -eq 2 ]
check "  and the killed mkfs left their records (in this boot's state, which goes with it)" \
	[ "$(ls -A "$statedir/mkfs" | wc -l)" -eq 2 ]
check "  the labelled namespace carries the marked name" \
	[ "$(cat /sys/bus/nd/devices/namespace$labelled.0/alt_name)" = "s:mkfs" ]
sync
finish
GUEST

cat > "$work/stateless.sh" <<'GUEST'
MIB=1048576
labelled=$(region_by_size $((896 * MIB)))
labelless=$(region_by_size $((448 * MIB)))
# (the initramfs' root is made anew at every boot: no state from the last one)
echo "{\"namespaces\": [{\"name\": \"s\", \"region\": $labelled, \"filesystem\": \"xfs\", \"mountpoint\": \"/srv/s\"},
  {\"name\": \"n\", \"region\": $labelless, \"filesystem\": \"xfs\", \"mountpoint\": \"/srv/n\"}]}" > /tmp/stateless.json
agent apply --config /tmp/stateless.json --dry-run "region$labelled" "region$labelless"
agent apply --config /tmp/stateless.json "region$labelled" "region$labelless" > /tmp/again.out 2>&1
rc=$?
cat /tmp/again.out
check "the label-less one is refused: exit 1" [ "$rc" -eq 1 ]
check "  as an mkfs that never finished, which nothing proves the agent's" \
	sh -c "grep 'region$labelless' /tmp/again.out | grep -q 'whose mkfs never finished'"
check "  nothing mounted there" sh -c "! grep -q ' /srv/n ' /proc/mounts"
check "the labelled one is made again, by its name" \
	sh -c "grep 'region$labelled' /tmp/again.out | grep -q 'which the namespace.s name says was under way, cut short: making it again'"
check "  and mounted with DAX" is_mounted_dax /srv/s
check "  under its own name now" [ "$(cat /sys/bus/nd/devices/namespace$labelled.0/alt_name)" = s ]
check "  fsdax, as before" sh -c "ndctl list -N -r region$labelled | grep -q '\"mode\":\"fsdax\"'"
check "  and nothing left to enable again" [ ! -e "/run/vpmem/disabled/namespace$labelled.0" ]
agent apply --config /tmp/stateless.json "region$labelled" > /tmp/rerun.out 2>&1
check "a rerun has nothing to do there: exit 0" [ $? -eq 0 ]
check "  and says so" grep -q "nothing to do" /tmp/rerun.out
finish
GUEST

vm_file /statedir "${localstatedir:-/var}/lib/vpmem"
devices="nolabel:$deep nolabel:$fsdax $mkfs $killed $byhand $labelled nolabel:$labelless $deeplabel"
# shellcheck disable=SC2086 # a list of devices
vm_boot proof "$work/test.sh" $devices
# shellcheck disable=SC2086
vm_boot stateless "$work/stateless.sh" $devices
[ "$(vm_sum "$deep")" = "$deep_before" ] || fail "the label-less NVDIMM's backing changed although the agent refused"
echo "PASS: the label-less NVDIMM's backing file is unchanged"
[ "$(vm_sum "$deeplabel")" = "$deeplabel_before" ] || fail "the backing of the DIMM without labels changed although the agent refused"
echo "PASS: the backing file of the DIMM without labels is unchanged"
