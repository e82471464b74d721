#!/bin/sh
# Two vNVDIMMs, no policy: each region gets its own namespace and mount. Also
# the targets udev passes: regionN, nmemN and sysfs devpaths select regions.
. "$(dirname "$0")/lib.sh"
vm_setup

cat > "$work/test.sh" <<'GUEST'
ls /sys/bus/nd/devices/
cat /sys/bus/nd/devices/region1/resource
check_sh "two regions" '[ -e /sys/bus/nd/devices/region0 ] && [ -e /sys/bus/nd/devices/region1 ]'
r1=$(readlink -f /sys/bus/nd/devices/region1)
agent apply "${r1#/sys}"
check_sh "a sysfs devpath target provisions only its region" 'is_mounted_dax /mnt/pmem1 && ! grep -q " /mnt/pmem0 " /proc/mounts'
check "region0 is still label-less (its raw namespace has no name)" [ ! -e /sys/bus/nd/devices/namespace0.0/alt_name ]
dimm0=$(ls /sys/bus/nd/devices/region0/ | grep -o "mapping0" >/dev/null && cat /sys/bus/nd/devices/region0/mapping0 | cut -d, -f1)
echo "region0 is on $dimm0"
agent apply "$dimm0"
check "an nmem target provisions the region it belongs to" is_mounted_dax /mnt/pmem0
check "two namespaces in all" [ "$(count_namespaces)" -eq 2 ]
check "region0 got labels" [ "$(cat /sys/bus/nd/devices/namespace0.0/alt_name)" = pmem0 ]
agent apply namespace0.0; check "an unknown target is a usage error (exit 2)" [ $? -eq 2 ]
agent apply region7; check "a missing region is a usage error (exit 2)" [ $? -eq 2 ]
agent apply
check "a full rerun has nothing to do" [ $? -eq 0 ]
check "/mnt/pmem1 on /dev/pmem1" [ "$(mount_source /mnt/pmem1)" = /dev/pmem1 ]
check "each mounted exactly once" [ "$(grep -c ' /mnt/pmem[01] ' /proc/mounts)" -eq 2 ]
agent status
pfn_align() { for p in /sys/bus/nd/devices/pfn$1.*; do [ "$(cat "$p/namespace")" = "namespace$1.0" ] && cat "$p/align"; done; }
check "region0's namespace is 2 MiB aligned" [ "$(pfn_align 0)" = 2097152 ]
check "region1's namespace is 2 MiB aligned" [ "$(pfn_align 1)" = 2097152 ]
finish
GUEST

vm_boot two "$work/test.sh" "$(vm_dimm nv0 1G)" "$(vm_dimm nv1 1G)"
