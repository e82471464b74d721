#!/bin/sh
# fsdax and devdax on one region, from the policy in /etc/vpmem/vpmem.json:
# the devdax device gets the owner, group and permissions asked for. A second
# region's devdax namespace is handed to the kernel as system RAM (kmem); after
# a reboot, whatever that memory was left holding is not mistaken for data,
# while the same bytes on a devdax namespace the agent never gave away are,
# and so are bytes written to one made devdax again by hand in the boot it
# was system RAM in.
. "$(dirname "$0")/lib.sh"
vm_setup
# Memory a kernel onlines by itself as it appears goes where the kernel puts
# it (Debian 13's 6.12: MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO, ZONE_NORMAL),
# and cannot be offlined again; left offline, the agent onlines it movable,
# and someone can take it back as devdax, as the first boot below does
vm_append="memhp_default_state=offline"

vm_file /etc/vpmem/vpmem.json '{
  "namespaces": [
    {"name": "data", "region": 0, "mode": "fsdax", "size": "1G", "align": "2M", "map": "dev",
     "filesystem": "xfs", "mountpoint": "/mnt/data", "mount_options": "noatime"},
    {"name": "fast", "region": 0, "mode": "devdax", "align": "2M",
     "owner": "root", "group": "kvm", "permissions": "0660"},
    {"name": "ram", "region": 1, "mode": "devdax", "system_ram": true}
  ]
}'

cat > "$work/test.sh" <<'GUEST'
agent check-config
check "the policy is valid" [ $? -eq 0 ]
mem_before=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
agent apply
check "apply succeeded" [ $? -eq 0 ]
check "/mnt/data mounted with DAX" is_mounted_dax /mnt/data
check "  and noatime" sh -c 'awk "\$2 == \"/mnt/data\"" /proc/mounts | grep -q "[ ,]noatime[ ,]"'
check "fsdax on /dev/pmem0" [ "$(mount_source /mnt/data)" = /dev/pmem0 ]
check "three namespaces over two regions" [ "$(count_namespaces)" -eq 3 ]
ls -l /dev/dax* 2>&1
dax=$(ls /dev/dax0.* | head -n 1)
check "a devdax character device exists" [ -c "$dax" ]
check "owned by root:kvm, mode 0660" [ "$(stat -c '%U:%g:%a' "$dax")" = "root:104:660" ]
agent status --json > /tmp/s.json
cat /tmp/s.json
check "status names the devdax namespace" grep -q '"name": "fast"' /tmp/s.json
check "status reports devdax mode" grep -q '"mode": "devdax"' /tmp/s.json
# the devdax namespace holds the rest of the region, less the page map kept in it
size=$(cat /sys/bus/dax/devices/$(basename "$dax")/size)
echo "devdax size: $size"
check "devdax holds about the rest of the region (~1 GiB less page map)" [ "$size" -gt 900000000 ]
mem_after=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
echo "MemTotal: $mem_before kB before, $mem_after kB after"
check "region1's devdax became system RAM (MemTotal grew by over 512 MiB)" [ $((mem_after - mem_before)) -gt 524288 ]
check "status reports it as system RAM" grep -q '"system_ram": true' /tmp/s.json
chmod 0600 "$dax"
agent apply
check "a rerun restores the permissions" [ "$(stat -c '%a' "$dax")" = 660 ]
check "and leaves the system RAM as it is" [ "$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)" = "$mem_after" ]
# the agent's record of what it gave away, carried to the next boot by the harness
records=$(find / -xdev -type d -path '*/lib/vpmem/system-ram' 2>/dev/null | head -n 1)
check "the record is root's alone (0700)" [ "$(stat -c '%a' "$records")" = 700 ]
for f in "$records"/*; do echo "VPMEM-RAM-RECORD $(basename "$f") $(tr '\n' ' ' < "$f")"; done
# someone takes the memory back as devdax in this boot and stores data on it:
# the record, made in this boot, no longer proves anything
dax1=$(ls /dev/dax1.* | head -n 1)
check "daxctl makes region1's device devdax again" daxctl reconfigure-device -f -m devdax "${dax1#/dev/}"
daxtool write "$dax1" precious
agent apply > /tmp/again.out 2>&1
check "the agent does not take it back as system RAM: exit 1" [ $? -eq 1 ]
cat /tmp/again.out
check "  because it was system RAM earlier in this boot" grep -q "earlier in this boot" /tmp/again.out
check "  and the guard found the data" grep -q "holds non-zero bytes in its first MiB.*not handed to the kernel as system RAM" /tmp/again.out
check "the bytes are still there" [ "$(daxtool read "$dax1")" = precious ]
finish
GUEST

# after a reboot the memory holds what the kernel left in it (written here, to be sure)
cat > "$work/reboot.sh" <<'GUEST'
dax=$(ls /dev/dax1.* | head -n 1)
check "after the reboot, region1's namespace is devdax again" [ -c "$dax" ]
daxtool write "$dax" leftovers
m0=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
agent apply
check "it is handed back to the kernel without overwrite: it was RAM" [ $? -eq 0 ]
check "  the kernel's kmem driver holds it" \
	[ "$(basename "$(readlink "/sys/bus/dax/devices/${dax#/dev/}/driver")")" = kmem ]
check "  MemTotal grew by over 512 MiB" [ $(($(awk '/^MemTotal/ { print $2 }' /proc/meminfo) - m0)) -gt 524288 ]
check "status reports it as system RAM" sh -c 'vpmem-agent status --json | grep -q "\"system_ram\": true"'
finish
GUEST

cat > "$work/forgotten.sh" <<'GUEST'
dax=$(ls /dev/dax1.* | head -n 1)
daxtool write "$dax" precious
agent apply > /tmp/apply.out 2>&1
check "without the record, non-zero bytes there are data: exit 1" [ $? -eq 1 ]
cat /tmp/apply.out
check "  and why" grep -q "holds non-zero bytes in its first MiB.*not handed to the kernel as system RAM" /tmp/apply.out
check "the bytes are still there" [ "$(daxtool read "$dax")" = precious ]
finish
GUEST

vm_boot fsdax-devdax "$work/test.sh" "$(vm_dimm nv0 2G)" "$(vm_dimm nv1 1G)"
record=$(tr -d '\r' < "$work/fsdax-devdax.log" | sed -n 's/^VPMEM-RAM-RECORD //p' | head -n 1)
[ -n "$record" ] || fail "the agent recorded no devdax namespace as system RAM"
# "<uuid> size=... align=... boot=...": one record, a file named by its uuid
vm_file "/var/lib/vpmem/system-ram/${record%% *}" "$(echo "${record#* }" | tr ' ' '\n' | sed '/^$/d')"
vm_boot reboot "$work/reboot.sh" "$(vm_dimm nv0 2G)" "$(vm_dimm nv1 1G)"
rm -rf "$work/files/${localstatedir:-/var}"
vm_boot forgotten "$work/forgotten.sh" "$(vm_dimm nv0 2G)" "$(vm_dimm nv1 1G)"
