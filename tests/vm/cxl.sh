#!/bin/sh
# CXL type-3 memory devices with persistent capacity, under Debian 13's QEMU
# (10.0; 7.2's CXL emulation returns other bytes than were written). The
# agent assembles their regions through libcxl, then provisions them as any
# labelled region; after a reboot (QEMU resets the HDM decoders: no region
# is left) it assembles the same regions again and the filesystems and data
# return. A device whose capacity or label area holds what it cannot account
# for is refused, its backing files unchanged.
#
# Devices (serial numbers 0x1.. in this order): c0 alone (the policy names it
# by serial number), c1 and c2 interleaved two ways (granularity 4096), and,
# from the third boot, c3 holding data in its capacity under a blank label
# area and c4 holding stray bytes in its label area.
vm_with_udev=1
. "$(dirname "$0")/lib.sh"
vm_setup
vm_cxl_qemu
vm_mem=1G

c0=$(vm_dimm c0 512M) c1=$(vm_dimm c1 512M) c2=$(vm_dimm c2 512M)
policy='{"cxl": [{"memdevs": ["0x1"]}, {"memdevs": ["0x2", "0x3"], "granularity": 4096}],
 "namespaces": [{"name": "solo", "region": 0, "mountpoint": "/mnt/solo"},
                {"name": "pair", "region": 1, "mountpoint": "/mnt/pair"}]}'
vm_file /etc/vpmem/vpmem.json "$policy"

cat > "$work/fresh.sh" <<'GUEST'
check "three CXL memory devices" [ "$(ls -d /sys/bus/cxl/devices/mem[0-9]* | wc -l)" -eq 3 ]
check "no region before the agent" [ -z "$(ls /sys/bus/nd/devices/ | grep region)" ]
# what udev asks systemd to start when the kernel adds a CXL memory device
# (udevadm 257 indents its properties)
udevadm test --action=add /sys/bus/cxl/devices/mem0 2>/dev/null | grep SYSTEMD_WANTS
check "udev starts vpmem-agent@mem0 for CXL memory device mem0" \
	sh -c 'udevadm test --action=add /sys/bus/cxl/devices/mem0 2>/dev/null | grep -qE "^ *SYSTEMD_WANTS=vpmem-agent@mem0[.]service\$"'
agent apply -n
t0=$(cut -d' ' -f1 /proc/uptime)
# as vpmem-agent@mem0.service runs it
agent apply mem0
check "apply succeeded" [ $? -eq 0 ]
echo "first provisioning took $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { print b - a }') s"
cxl list -R -u
ndctl list -R -N -u
for m in solo pair; do
	check "/mnt/$m is xfs mounted with DAX" is_mounted_dax /mnt/$m xfs
	xfs_io -f -c "pwrite 0 4k" /mnt/$m/dax-probe >/dev/null
	check "the kernel says DAX is in effect on a file in /mnt/$m" dax_in_effect /mnt/$m/dax-probe
	check_pmd_faults /mnt/$m
done
# the kernel's view of the pair: one region of two devices, position order as asked
check "the pair is a 2-way region" sh -c 'cxl list -R | grep -q "\"interleave_ways\":2"'
check "with granularity 4096" sh -c 'cxl list -R | grep -q "\"interleave_granularity\":4096"'
dd if=/dev/urandom of=/mnt/solo/data bs=1M count=8 2>/dev/null
dd if=/dev/urandom of=/mnt/pair/data bs=1M count=24 2>/dev/null
sync
for m in solo pair; do
	keep "$m-sum" "$(sha256sum /mnt/$m/data | cut -d' ' -f1)"
	keep "$m-uuid" "$(blkid -o value -s UUID "$(mount_source /mnt/$m)")"
done
umount /mnt/solo /mnt/pair
finish
GUEST
vm_boot fresh "$work/fresh.sh" "cxl:$c0" "cxl:$c1" "cxl:$c2" || fail "the fresh CXL devices"

cat > "$work/again.sh" <<'GUEST'
check "no region after the reboot, before the agent" [ -z "$(ls /sys/bus/nd/devices/ | grep region)" ]
agent apply
check "apply succeeded" [ $? -eq 0 ]
cxl list -R -u
for m in solo pair; do
	check "/mnt/$m is mounted with DAX again" is_mounted_dax /mnt/$m xfs
	check "the same filesystem on /mnt/$m" [ "$(blkid -o value -s UUID "$(mount_source /mnt/$m)")" = "$(kept $m-uuid)" ]
	check "its data reads back" [ "$(sha256sum /mnt/$m/data | cut -d' ' -f1)" = "$(kept $m-sum)" ]
done
# where each filesystem sits, as status tells an operator: the pair's members in position order
agent status | tee /tmp/status
check "status shows the pair's CXL region: 2-way, granularity 4096, serial 0x2 then 0x3" \
	grep -q "2-way, granularity 4096: mem[0-9]* (serial 0x2, 0000:[^)]*), mem[0-9]* (serial 0x3, " /tmp/status
check "and the device alone's" grep -q "1-way, granularity 256: mem[0-9]* (serial 0x1, 0000:" /tmp/status
agent status --json > /tmp/status.json
check "status --json has the topology" grep -q '"root_decoder": "decoder0.0"' /tmp/status.json
agent apply
check "a second apply has nothing to do" [ $? -eq 0 ]
finish
GUEST
vm_boot again "$work/again.sh" "cxl:$c0" "cxl:$c1" "cxl:$c2" || fail "the CXL regions after a reboot"

# c3: 64 MiB of data from the start of its capacity, its label area blank;
# c4: a blank capacity whose label area holds stray bytes
c3=$(vm_dimm c3 512M) c4=$(vm_dimm c4 512M)
head -c 64M /dev/urandom | dd of="$c3" conv=notrunc 2>/dev/null
truncate -s 256K "$c3.lsa" "$c4.lsa"
printf 'not a label index' | dd of="$c4.lsa" bs=1 seek=4096 conv=notrunc 2>/dev/null
before3=$(vm_sum "$c3") before4l=$(vm_sum "$c4.lsa")
# without a "cxl" key: one region a device, where that can be proven safe
vm_file /etc/vpmem/vpmem.json '{"namespaces": [{"name": "pmem", "mode": "fsdax"}]}'
cat > "$work/data.sh" <<'GUEST'
agent apply
check "apply reports failures" [ $? -eq 1 ]
grep -o '"failed": \[[^]]*' /run/vpmem/status.json | head -c 3000; echo
check "the device with data in its capacity (serial 0x1) is refused" grep -q 'serial 0x1).*label area was blank, but its capacity is not' /run/vpmem/status.json
check "the device with stray bytes in its label area (serial 0x2) is refused" grep -q 'serial 0x2.*no valid namespace index' /run/vpmem/status.json
check "no region is left" [ -z "$(ls /sys/bus/cxl/devices/ | grep region)" ]
dmesg | grep -i "cxl\|region" | tail -n 20
finish
GUEST
vm_boot data "$work/data.sh" "cxl:$c3" "cxl:$c4" || fail "the CXL devices holding data"
[ "$(vm_sum "$c3")" = "$before3" ] && echo "PASS: c3's capacity is unchanged" || fail "c3's capacity changed"
# (written for the reading and given back: zeros again, where the file had a hole)
cmp -s -n 262144 "$c3.lsa" /dev/zero && echo "PASS: c3's label area is blank again" || fail "c3's label area is not blank"
[ "$(vm_sum "$c4.lsa")" = "$before4l" ] && echo "PASS: c4's label area is unchanged" || fail "c4's label area changed"
echo "PASS: CXL"
