#!/bin/sh
# Bad input changes nothing: a policy with errors (exit 2, every error named by
# its JSON path), a plan that does not fit (exit 1, region untouched), a
# filesystem too small for xfs, and a vNVDIMM the kernel cannot hold DAX
# namespaces on (placed off a 2 MiB boundary).
. "$(dirname "$0")/lib.sh"
vm_setup

vm_file /etc/vpmem/vpmem.json '{
  "namespaces": [
    {"name": "data", "region": 0, "size": "4X", "mountpoint": "relative/path"},
    {"name": "data", "mode": "pmem", "colour": "blue"}
  ]
}'

cat > "$work/test.sh" <<'GUEST'
snapshot() { ls /sys/bus/nd/devices/; cat /sys/bus/nd/devices/region*/available_size /sys/bus/nd/devices/namespace*/size; grep pmem /proc/mounts; }
before=$(snapshot)

agent check-config > /tmp/cc.out 2>&1; rc=$?
cat /tmp/cc.out
check "check-config exits 2" [ $rc -eq 2 ]
check "names the bad size by path" grep -q 'namespaces\[0\].size' /tmp/cc.out
check "names the relative mountpoint" grep -q 'namespaces\[0\].mountpoint' /tmp/cc.out
check "names the unknown mode" grep -q 'namespaces\[1\].mode' /tmp/cc.out
check "names the unknown key" grep -q 'namespaces\[1\].colour: unknown key' /tmp/cc.out
check "names the duplicate" grep -q 'duplicate name' /tmp/cc.out

agent apply; rc=$?
check "apply refuses a bad policy with exit 2" [ $rc -eq 2 ]
check "nothing changed" [ "$(snapshot)" = "$before" ]
agent apply --dry-run; check "so does a dry run" [ $? -eq 2 ]

echo '{"namespaces": [{"name": "a", "region": 0, "size": "1G"}, {"name": "b", "region": 0, "size": "1G"}]}' > /tmp/big.json
agent apply --config /tmp/big.json > /tmp/big.out 2>&1; rc=$?
cat /tmp/big.out
check "a plan that does not fit fails with exit 1" [ $rc -eq 1 ]
check "the error names the region, what was asked and what is free" grep -q "region0: the policy asks for 2.00 GiB (2147483648 bytes), but only 1023.88 MiB" /tmp/big.out
check "region0 untouched (not even labels)" [ "$(snapshot)" = "$before" ]

echo '{"namespaces": [{"name": "tiny", "region": 0, "size": "128M"}]}' > /tmp/tiny.json
agent apply --config /tmp/tiny.json > /tmp/tiny.out 2>&1; rc=$?
cat /tmp/tiny.out
check "xfs on 128 MiB is refused up front" sh -c "[ $rc -eq 1 ] && grep -q 'too small for xfs' /tmp/tiny.out"
check "still untouched" [ "$(snapshot)" = "$before" ]

echo '{"namespaces": [{"name": "p", "filesystem": "ext4"}]}' > /tmp/any.json
agent apply --config /tmp/any.json region1 > /tmp/mis.out 2>&1; rc=$?
cat /tmp/mis.out
check "a region off a 2 MiB boundary is refused (exit 1)" [ $rc -eq 1 ]
check "with a reason that says what to fix" grep -q "not 2 MiB aligned" /tmp/mis.out
check "and left untouched" [ "$(snapshot)" = "$before" ]

echo '{"namespaces": [{"name": "tiny", "region": 0, "size": "128M", "filesystem": "ext4", "mountpoint": "/srv/tiny"}]}' > /tmp/ext4.json
agent apply --config /tmp/ext4.json region0
check "ext4 does fit in 128 MiB" is_mounted_dax /srv/tiny
finish
GUEST

# Without align=2M QEMU gives the first DIMM a region of 1 GiB - 128 KiB (the
# label is carved from the end) and places the second right after it, off a
# 2 MiB boundary
vm_boot bad "$work/test.sh" "noalign:$(vm_dimm nv0 1G)" "noalign:$(vm_dimm nv1 1G)"
