#!/bin/sh
# A Debian guest with vpmem baked in, two vNVDIMMs and no policy: both are
# DAX-mounted by the time multi-user.target is reached, with nobody logging
# in; a reboot (without cloud-init, which must not be waited for) mounts the
# same filesystems and formats nothing; a third NVDIMM and then a virtio-pmem
# device hot-added through the QEMU monitor are provisioned and mounted by
# udev and systemd alone. Two vCPUs, as clouds give (Debian 13's run of
# this scenario takes one: VPMEM_GUEST_SMP), so that udev's agents for the
# cold-plugged devices run truly at once.
guest_smp=2
. "$(dirname "$0")/lib.sh"
guest_setup
nv0=$(vm_dimm nv0 1G) nv1=$(vm_dimm nv1 1G) nv2=$(vm_dimm nv2 1G) vp=$(vm_dimm vp 1G)
guest_seed "#cloud-config
{}"

cat > "$work/first.sh" <<'GUEST'
check "multi-user.target is active" systemctl is-active -q multi-user.target
check "vpmem-agent.service succeeded" systemctl is-active -q vpmem-agent.service
check "/mnt/pmem0 is DAX-mounted" is_mounted_dax /mnt/pmem0
check "/mnt/pmem1 is DAX-mounted" is_mounted_dax /mnt/pmem1
vpmem-agent status
check "vpmem-agent status agrees" sh -c 'vpmem-agent status --json | grep -c "\"dax\": true" | grep -qx 2'
# the mounts were there before ordinary services started
t_agent=$(systemctl show -P ExecMainExitTimestampMonotonic vpmem-agent.service)
t_sysinit=$(systemctl show -P ActiveEnterTimestampMonotonic sysinit.target)
t_multi=$(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target)
echo "agent done at $t_agent us, sysinit.target at $t_sysinit us, multi-user.target at $t_multi us"
check "provisioning finished before sysinit.target" [ "$t_agent" -le "$t_sysinit" ]
check "vpmem.target was reached" systemctl is-active -q vpmem.target
journalctl -b -o cat -u vpmem-agent.service -u 'vpmem-agent@*' > /tmp/journal
cat /tmp/journal
check "the journal shows labels initialised on both regions" [ "$(grep -c 'initialised namespace labels' /tmp/journal)" -eq 2 ]
check "the journal shows each mkfs" [ "$(grep -c 'made xfs' /tmp/journal)" -eq 2 ]
check "the journal shows each DAX mount, verified" [ "$(grep -c 'with DAX, verified' /tmp/journal)" -eq 2 ]
check "no step logged twice (journal and syslog)" [ "$(grep -c 'made xfs on /dev/pmem0 ' /tmp/journal)" -eq 1 ]
cloud-init status --wait --long || true
cloud-init schema --system 2>&1 | tail -n 5
check "cloud-init status is done" sh -c 'cloud-init status | grep -q "status: done"'
systemctl --failed --no-legend | tee /tmp/failed
check "no unit failed" [ ! -s /tmp/failed ]
dd if=/dev/urandom of=/mnt/pmem1/data bs=1M count=4 2>/dev/null
sha256sum /mnt/pmem1/data | cut -d' ' -f1 > /root/data.sha256
blkid -o value -s UUID /dev/pmem0 > /root/pmem0.uuid
blkid -o value -s UUID /dev/pmem1 > /root/pmem1.uuid
sync
finish
GUEST

cat > "$work/second.sh" <<'GUEST'
check "cloud-init did not run (disabled on the kernel command line)" \
	sh -c '! systemctl is-active -q cloud-init.service && ! systemctl is-active -q cloud-init-network.service'
check "/mnt/pmem0 is DAX-mounted again" is_mounted_dax /mnt/pmem0
check "/mnt/pmem1 is DAX-mounted again" is_mounted_dax /mnt/pmem1
check "pmem0's filesystem is the same one" [ "$(blkid -o value -s UUID /dev/pmem0)" = "$(cat /root/pmem0.uuid)" ]
check "pmem1's filesystem is the same one" [ "$(blkid -o value -s UUID /dev/pmem1)" = "$(cat /root/pmem1.uuid)" ]
check "the data written before the reboot reads back identical" \
	[ "$(sha256sum /mnt/pmem1/data | cut -d' ' -f1)" = "$(cat /root/data.sha256)" ]
journalctl -b -o cat -u vpmem-agent.service > /tmp/journal
cat /tmp/journal
check "this boot only mounted" sh -c '! grep -q "made \|created \|initialised" /tmp/journal && grep -q mounted /tmp/journal'

echo "VPMEM-HOTPLUG-NOW 1"
i=0
while [ $i -lt 300 ] && ! grep -q " /mnt/pmem2 " /proc/mounts; do sleep 1; i=$((i + 1)); done
echo "waited $i s for the hot-added NVDIMM"
check "the hot-added NVDIMM is DAX-mounted at /mnt/pmem2" is_mounted_dax /mnt/pmem2
journalctl -b -o cat -u 'vpmem-agent@*' > /tmp/hotplug
cat /tmp/hotplug
systemctl list-units --all 'vpmem-agent@*' --no-legend | cat
check_sh "by the per-device unit udev started" 'grep -q "region2: mounted" /tmp/hotplug'

echo "VPMEM-HOTPLUG-NOW 2"
i=0
while [ $i -lt 300 ] && ! region_of virtio > /dev/null; do sleep 1; i=$((i + 1)); done
n=$(region_of virtio)
while [ $i -lt 300 ] && ! grep -q " /mnt/pmem$n " /proc/mounts; do sleep 1; i=$((i + 1)); done
echo "waited $i s for the hot-added virtio-pmem device (region$n)"
check "the hot-added virtio-pmem device is DAX-mounted at /mnt/pmem$n" is_mounted_dax /mnt/pmem$n
journalctl -b -o cat -u "vpmem-agent@region$n.service" > /tmp/hotplug-virtio
cat /tmp/hotplug-virtio
check_sh "by the per-device unit udev started" "grep -q \"region$n: mounted\" /tmp/hotplug-virtio"
vpmem-agent status
finish
GUEST

guest_boot cold "$work/first.sh" "$nv0" "$nv1"
guest_boot reboot "$work/second.sh" --append "cloud-init=disabled" --hotplug "$nv2 virtio:$vp" "$nv0" "$nv1"
