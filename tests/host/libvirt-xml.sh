#!/bin/sh
# The libvirt XML vpmem-host writes is accepted by libvirt's own schema
# (virt-xml-validate, Debian's libvirt-clients) in a minimal domain around it.
# A file backing here; the devdax form (with <pmem/>) is validated by
# tests/vm/host-devdax.sh from a real device-dax namespace.
. "$(dirname "$0")/lib.sh"
command -v virt-xml-validate >/dev/null 2>&1 || skip "virt-xml-validate is not installed (Debian: libvirt-clients)"
. "$top_srcdir/tests/host/wrap-domain.sh"
host_setup xml
host_layout "[{\"label\": \"F\", \"backend\": \"file\", \"directory\": \"$work/files\", \"size\": \"64M\", \"count\": 2},
  {\"label\": \"P\", \"backend\": \"file\", \"directory\": \"$work/files\", \"size\": \"1G\", \"count\": 1}]"
c=$(cat /proc/sys/kernel/random/uuid)
$H setup 2>/dev/null
$H reserve --label F --consumer "$c" >/dev/null 2>&1
$H libvirt-xml --consumer "$c" > "$work/memory.xml"
cat "$work/memory.xml"
wrap_domain "$work/memory.xml" "$work/domain.xml"
virt-xml-validate "$work/domain.xml" domain
grep -q "<size unit='KiB'>65536</size>" "$work/memory.xml" || { echo "FAIL: the target size of a 64 MiB file is 65536 KiB"; exit 1; }
if grep -q "<pmem/>" "$work/memory.xml"; then echo "FAIL: a file is not persistent memory: no <pmem/>"; exit 1; fi
echo "PASS: libvirt's schema accepts the XML for a file backing"

# IBM POWER: pseries needs the label, a uuid, and a size less the label that
# is a multiple of 256 MiB (QEMU refuses anything else)
p=$(cat /proc/sys/kernel/random/uuid)
$H reserve --label P --consumer "$p" >/dev/null 2>&1
$H libvirt-xml --consumer "$p" --machine pseries > "$work/pseries.xml" 2> "$work/pseries.notes"
cat "$work/pseries.xml"
wrap_domain "$work/pseries.xml" "$work/pseries-domain.xml" ppc64le pseries
virt-xml-validate "$work/pseries-domain.xml" domain
backing=$($H list --json 2>/dev/null | python3 -c 'import json, sys
for b in json.load(sys.stdin):
    if b["label"] == "P": print(b["uuid"])')
[ -n "$backing" ] || { echo "FAIL: no backing of label P listed"; exit 1; }
grep -q "<uuid>$backing</uuid>" "$work/pseries.xml" || { echo "FAIL: the module's uuid is its backing's ($backing)"; exit 1; }
# 1 GiB less the 128 KiB label, down to 256 MiB: 768 MiB, plus the label
grep -q "<size unit='KiB'>786560</size>" "$work/pseries.xml" || { echo "FAIL: a pseries module of a 1 GiB file is 768 MiB + 128 KiB"; exit 1; }
grep -q "<label>" "$work/pseries.xml" || { echo "FAIL: pseries needs the label"; exit 1; }
grep -q "pseries" "$work/pseries.notes" || { echo "FAIL: the notes name the pseries machine"; exit 1; }
args=$($H qemu-args --consumer "$p" --machine pseries 2>/dev/null)
echo "$args"
case $args in
*"size=805437440,"*"label-size=131072,node=0,uuid=$backing"*) ;;
*) echo "FAIL: QEMU's pseries arguments: 768 MiB + 128 KiB, the label and the uuid"; exit 1 ;;
esac
# a 64 MiB file cannot be a pseries NVDIMM: said, and nothing printed
if $H qemu-args --consumer "$c" --machine pseries > "$work/small.out" 2> "$work/small.err"; then
	echo "FAIL: a 64 MiB backing was given to a pseries guest"; exit 1
fi
cat "$work/small.err"
grep -q "too small for an NVDIMM of a pseries guest" "$work/small.err" || { echo "FAIL: the refusal says why"; exit 1; }
[ ! -s "$work/small.out" ] || { echo "FAIL: a refusal prints no arguments"; exit 1; }
# a machine vpmem does not know is refused by name
if $H qemu-args --consumer "$p" --machine virt 2> "$work/virt.err"; then echo "FAIL: --machine virt accepted"; exit 1; fi
grep -q 'not "virt"' "$work/virt.err" || { echo "FAIL: --machine virt refused without naming it"; exit 1; }
echo "PASS: pseries modules: label, uuid, 256 MiB sizes, in libvirt's schema and QEMU's words"
