#!/bin/sh
# A DIMM without labels whose raw namespace already holds a filesystem is
# never re-labelled: the agent reports it and leaves it, or mounts it when the
# policy asks for that filesystem. Only "overwrite": true lets it re-label.
. "$(dirname "$0")/lib.sh"
vm_setup
dimm=$(vm_dimm nv0 2G)

cat > "$work/test.sh" <<'GUEST'
check "the DIMM has no labels: one raw namespace" [ ! -e /sys/bus/nd/devices/namespace0.0/alt_name ]
mkfs.ext4 -q -b 4096 /dev/pmem0
mkdir -p /tmp/m && mount /dev/pmem0 /tmp/m && echo "precious" > /tmp/m/file && umount /tmp/m
sum=$(sha256sum /dev/pmem0 | cut -d' ' -f1)

agent apply
check "the default policy (xfs) does not take an ext4 device: exit 1" [ $? -eq 1 ]
check "device unchanged, byte for byte" [ "$(sha256sum /dev/pmem0 | cut -d' ' -f1)" = "$sum" ]
check "labels not initialised" [ ! -e /sys/bus/nd/devices/namespace0.0/alt_name ]
check "nothing mounted" sh -c '! grep -q pmem0 /proc/mounts'

echo '{"namespaces": [{"name": "old", "region": 0, "filesystem": "ext4", "mountpoint": "/srv/old"}]}' > /tmp/ext4.json
agent apply --config /tmp/ext4.json
rc=$?
# a label-less (raw) namespace has no page map, and the kernel refuses DAX on it:
# the agent then reports and unmounts rather than leave a non-DAX pmem mount
if grep -q " /srv/old " /proc/mounts; then
	check "adopted and mounted with DAX" is_mounted_dax /srv/old
	check "the file is there" [ "$(cat /srv/old/file)" = precious ]
	umount /srv/old
else
	check "the DAX mount was refused by the kernel and reported (exit 1)" [ $rc -eq 1 ]
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

vm_boot labelless "$work/test.sh" "$dimm"
