#!/bin/sh
# Several applies at once, as udev starts one per device at boot: the lock
# serialises them, every run succeeds, nothing is created or mounted twice.
# two vCPUs: the runs really are at once
vm_smp=2
. "$(dirname "$0")/lib.sh"
vm_setup

cat > "$work/test.sh" <<'GUEST'
agent apply nmem0 > /tmp/a.out 2>&1 & a=$!
agent apply region1 > /tmp/b.out 2>&1 & b=$!
agent apply > /tmp/c.out 2>&1 & c=$!
agent apply region0 > /tmp/d.out 2>&1 & d=$!
wait $a; ra=$?; wait $b; rb=$?; wait $c; rc=$?; wait $d; rd=$?
cat /tmp/a.out /tmp/b.out /tmp/c.out /tmp/d.out
check "all four runs succeeded" [ "$ra$rb$rc$rd" = 0000 ]
check "labels initialised once per region" [ "$(cat /tmp/*.out | grep -c 'initialised namespace labels')" -eq 2 ]
check "one namespace per region" [ "$(count_namespaces)" -eq 2 ]
check "each filesystem made once" [ "$(cat /tmp/*.out | grep -c 'made xfs')" -eq 2 ]
check "each mounted once" [ "$(grep -c ' /mnt/pmem[01] ' /proc/mounts)" -eq 2 ]
check_sh "both mounted with DAX" 'is_mounted_dax /mnt/pmem0 xfs && is_mounted_dax /mnt/pmem1 xfs'
for m in /mnt/pmem0 /mnt/pmem1; do
	xfs_io -f -c "pwrite 0 4k" $m/probe >/dev/null
	check "the kernel says DAX is in effect on a file in $m" dax_in_effect $m/probe
done
finish
GUEST

vm_boot concurrent "$work/test.sh" "$(vm_dimm nv0 1G)" "$(vm_dimm nv1 1G)"
