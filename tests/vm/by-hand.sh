#!/bin/sh
# A region someone provisioned by hand (the seeds' procedure) before the
# agent ever ran, beside a fresh one, with no policy: the built-in default
# provisions the fresh one and leaves the other as it is, saying why, at
# every run, with exit 0: it never competes with someone's own layout.
. "$(dirname "$0")/lib.sh"
vm_setup

cat > "$work/test.sh" <<'GUEST'
MIB=1048576
# 1024 MiB: a multiple of 16 MiB, as ndctl needs for a whole-region namespace
h=$(region_by_size $((1024 * MIB)))
f=$(region_by_size $((1008 * MIB)))
nmem=$(cut -d, -f1 /sys/bus/nd/devices/region$h/mapping0)
ndctl disable-region region$h >/dev/null && ndctl init-labels -f "$nmem" >/dev/null && ndctl enable-region region$h >/dev/null
check "made by hand: an fsdax namespace" ndctl create-namespace -r region$h -m fsdax
check "  with xfs" mkfs.xfs -q -f -m reflink=0 /dev/pmem$h
mkdir -p /srv/by-hand && mount -o dax /dev/pmem$h /srv/by-hand && echo precious > /srv/by-hand/file
for run in first second; do
	agent apply > /tmp/apply.out 2>&1
	check "$run run: exit 0" [ $? -eq 0 ]
	cat /tmp/apply.out
	check "  region$h, held by a namespace made by hand, is left, and it says why" \
		grep -q "region$h: its capacity is held by namespaces the built-in policy did not make" /tmp/apply.out
	check "  the fresh region$f is provisioned" is_mounted_dax /mnt/pmem$f
	check "  nothing was made on region$h" [ "$(ls -d /sys/bus/nd/devices/namespace$h.* | while read -r d; do
		[ "$(cat "$d/size")" != 0 ] && echo "$d"; done | wc -l)" -eq 1 ]
	check_sh "  its filesystem is as it was" \
		'[ "$(mount_source /srv/by-hand)" = /dev/pmem$h ] && [ "$(cat /srv/by-hand/file)" = precious ]'
done
check "apply --dry-run says so too" sh -c "out=\$(vpmem-agent apply --dry-run) && echo \"\$out\" | grep -q 'region$h: its capacity is held'"
finish
GUEST

vm_boot by-hand "$work/test.sh" "$(vm_dimm hand 1026M)" "$(vm_dimm fresh 1010M)"
