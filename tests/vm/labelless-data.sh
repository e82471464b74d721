#!/bin/sh
# A DIMM without labels whose raw namespace already holds a filesystem is
# never re-labelled: the agent reports it and leaves it, byte for byte (the
# backing file, label area included, is compared on the host), or mounts it
# when the policy asks for that filesystem. Only "overwrite": true re-labels.
. "$(dirname "$0")/lib.sh"
vm_setup
dimm=$(vm_dimm nv0 2G)

cat > "$work/setup.sh" <<'GUEST'
check "the DIMM has no labels: one raw namespace" [ ! -e /sys/bus/nd/devices/namespace0.0/alt_name ]
mkfs.ext4 -q -b 4096 /dev/pmem0
mkdir -p /tmp/m && mount /dev/pmem0 /tmp/m && echo "precious" > /tmp/m/file && umount /tmp/m
sync
finish
GUEST

cat > "$work/refuse.sh" <<'GUEST'
agent apply
check "the default policy (xfs) does not take an ext4 device: exit 1" [ $? -eq 1 ]
check "labels not initialised" [ ! -e /sys/bus/nd/devices/namespace0.0/alt_name ]
check "nothing mounted" sh -c '! grep -q pmem0 /proc/mounts'
agent apply --dry-run
check "a dry run says the same (exit 1)" [ $? -eq 1 ]
finish
GUEST

cat > "$work/adopt.sh" <<'GUEST'
echo '{"namespaces": [{"name": "old", "region": 0, "filesystem": "ext4", "mountpoint": "/srv/old"}]}' > /tmp/ext4.json
agent apply --config /tmp/ext4.json > /tmp/adopt.out 2>&1
rc=$?
cat /tmp/adopt.out
# a label-less (raw) namespace has no page map, and current kernels refuse DAX
# on it: the agent reports that rather than leave a non-DAX pmem mount
if grep -q " /srv/old " /proc/mounts; then
	check "adopted and mounted with DAX" is_mounted_dax /srv/old
	check "the file is there" [ "$(cat /srv/old/file)" = precious ]
	umount /srv/old
else
	check "the kernel refused DAX on the raw namespace, and the agent said so (exit 1)" \
		sh -c "[ $rc -eq 1 ] && grep -q 'label-less raw namespace' /tmp/adopt.out"
fi
check "labels still not initialised" [ ! -e /sys/bus/nd/devices/namespace0.0/alt_name ]
mkdir -p /tmp/m && mount -o ro /dev/pmem0 /tmp/m
check "the data is intact" [ "$(cat /tmp/m/file)" = precious ]
umount /tmp/m

echo '{"overwrite": true}' > /tmp/ow.json
agent apply --config /tmp/ow.json
check "with overwrite, the region is re-labelled and provisioned" [ $? -eq 0 ]
check "the new namespace is named pmem0" [ "$(cat /sys/bus/nd/devices/namespace0.0/alt_name)" = pmem0 ]
check "xfs mounted with DAX" is_mounted_dax /mnt/pmem0
finish
GUEST

vm_boot setup "$work/setup.sh" "$dimm"
before=$(vm_sum "$dimm")
vm_boot refuse "$work/refuse.sh" "$dimm"
after=$(vm_sum "$dimm")
[ "$before" = "$after" ] || fail "the backing file changed although the agent refused"
echo "PASS: the whole backing file, label area included, is unchanged"
vm_boot adopt "$work/adopt.sh" "$dimm"
