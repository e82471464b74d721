#!/bin/sh
# vpmem-host on an x86 hypervisor running a pseries guest (TCG): a file
# backing whose size is no multiple of anything, reserved, and its
# "qemu-args --machine pseries" booting the guest as they are. QEMU takes
# them (label, uuid, size less the label a multiple of 256 MiB), the guest's
# region is exactly the guest size vpmem-host computed, and the agent
# provisions it.
# shellcheck source=tests/power/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$top_builddir/host/vpmem-host" ] || skip "vpmem-host was not built (configure --disable-host)"
power_setup
# (not under $work/files: that is what power_file puts into the guest)
cat > "$work/host.json" <<JSON
{"layout": [{"label": "P", "backend": "file", "directory": "$work/backings", "size": "1100M", "count": 1}]}
JSON
H="$top_builddir/host/vpmem-host -c $work/host.json -s $work/state"
consumer=$(cat /proc/sys/kernel/random/uuid)
$H setup >/dev/null 2>&1 || fail "vpmem-host setup"
$H reserve --label P --consumer "$consumer" --no-placement >/dev/null 2>&1 || fail "vpmem-host reserve"
args=$($H qemu-args --consumer "$consumer" --machine pseries 2> "$work/notes") || { cat "$work/notes"; fail "qemu-args --machine pseries"; }
cat "$work/notes"
echo "qemu-args: $args"
backing=$($H list --json 2>/dev/null | python3 -c 'import json, sys
print([b for b in json.load(sys.stdin) if b["label"] == "P"][0]["backing_size"])')
# 1100 MiB less the 128 KiB label, down to 256 MiB: 1 GiB
[ "$backing" = 1153433600 ] || fail "the backing is 1100 MiB, not $backing bytes"
power_file /expected-size 1073741824

cat > "$work/test.sh" <<'GUEST'
echo "region0 size $(cat /sys/bus/nd/devices/region0/size)"
check "the guest's region is the 1 GiB vpmem-host computed" [ "$(cat /sys/bus/nd/devices/region0/size)" = "$(cat /expected-size)" ]
agent apply
check "the agent provisions it" [ $? -eq 0 ]
check "/mnt/pmem0 is mounted with DAX" is_mounted_dax /mnt/pmem0
finish
GUEST

# the words as the shell would read them back: the work dir has no quotes or blanks
power_extra_args=$args
power_boot hostargs "$work/test.sh"

# And vpmem-host itself on POWER, cross-built for ppc64el, as a ppc64le
# hypervisor runs it: the papr_scm region in its view of the host, and
# pseries sizes and the uuid without being told the machine
cat > "$work/host.sh" <<'GUEST'
vpmem-host --version
vpmem-host discover --json > /tmp/discover.json
check "vpmem-host on ppc64le sees the papr_scm region" grep -q '"region": "region0"' /tmp/discover.json
mkdir -p /srv/vpmem
echo '{"layout": [{"label": "P", "backend": "file", "directory": "/srv/vpmem", "size": "300M", "count": 1}]}' > /tmp/host.json
H="vpmem-host -c /tmp/host.json -s /tmp/state"
$H setup
$H reserve --label P --consumer 0b4b5a3e-1111-4222-8333-944455556666 --no-placement
$H qemu-args --consumer 0b4b5a3e-1111-4222-8333-944455556666 > /tmp/args 2>/tmp/notes
cat /tmp/args /tmp/notes
check "pseries is its default machine: 256 MiB + 128 KiB, with the uuid" grep -q "size=268566528,.*label-size=131072,node=0,uuid=" /tmp/args
check "and the notes name it" grep -q -- "-machine pseries,nvdimm=on" /tmp/notes
finish
GUEST
rm -rf "$work/files"
power_host=yes power_boot vpmem-host "$work/host.sh" "$(power_dimm nv0 1G)"
