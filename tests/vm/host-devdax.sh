#!/bin/sh
# The VM as a hypervisor host with an emulated NVDIMM: vpmem-host lays out
# devdax namespaces, reports them as Placement inventory, hands them to eight
# concurrent clients without ever giving one namespace to two, erases them on
# release (checked with an independent reader), and quarantines a namespace
# whose erase fails until an erase succeeds. device-dax is not zeroed when a
# namespace is made: namespaces setup makes on capacity that held data are
# erased before anyone can have them, and ones the ledger does not know are
# "unverified" until erased.
# two vCPUs: the runs really are at once
vm_smp=2 vm_with_host=1
. "$(dirname "$0")/lib.sh"
vm_setup
[ -x "$top_builddir/tests/vm/daxtool" ] || fail "build tests/vm/daxtool first (make check does)"

vm_file /etc/vpmem/host.json '{"layout": [{"label": "small", "count": 4, "size": "32M", "region": 0, "align": "2M"}]}'

cat > "$work/test.sh" <<'GUEST'
H="vpmem-host -s /tmp/state"
# udev, as on a host, with vpmem-host's rule: /dev/vpmem/by-uuid/<namespace UUID>
/lib/systemd/systemd-udevd --daemon
# a tenant's data on the capacity, in namespaces that are then destroyed
$H setup >/dev/null 2>&1
for d in /dev/dax0.*; do daxtool write "$d" old-tenant; done
ndctl destroy-namespace --force all >/dev/null 2>&1
check "the old namespaces are gone" [ -z "$(ls /dev/dax0.* 2>/dev/null)" ]
rm -rf /tmp/state
$H setup; check "setup creates the layout" [ $? -eq 0 ]
for d in /dev/dax0.*; do check "$d, new on capacity that held data, was erased by setup" daxtool zero "$d"; done
check "and setup's namespaces are free (their erase verified)" [ "$(vpmem-host -s /tmp/state list --json | grep -c '"state": "free"')" -eq 4 ]
check "four devdax namespaces named vpmem-small-N" [ "$(cat /sys/bus/nd/devices/namespace0.*/alt_name 2>/dev/null | grep -c '^vpmem-small-[0-3]$')" -eq 4 ]
$H nova-conf > /tmp/nova.conf; cat /tmp/nova.conf
check "nova-conf: the pmem_namespaces line for setup's namespaces, as Nova reads it" grep -qx "pmem_namespaces = small:vpmem-small-0|vpmem-small-1|vpmem-small-2|vpmem-small-3" /tmp/nova.conf
$H setup > /tmp/again 2>&1; cat /tmp/again
check "a second setup has nothing to do" grep -q "nothing to do" /tmp/again
$H discover
$H discover --json > /tmp/discover.json
check "discover reports devdax namespaces with uuid, device and health" sh -c 'grep -c "\"mode\": \"devdax\"" /tmp/discover.json | grep -qx 4 && grep -q "\"health\": \"ok\"" /tmp/discover.json && grep -q "\"vendor\"" /tmp/discover.json'
$H inventory --json | tee /tmp/inv.json
check "inventory: CUSTOM_PMEM_NAMESPACE_SMALL, total 4" sh -c 'tr -d " \n" < /tmp/inv.json | grep -q "\"CUSTOM_PMEM_NAMESPACE_SMALL\":{\"total\":4,\"reserved\":0,\"min_unit\":1,\"max_unit\":4,\"step_size\":1,\"allocation_ratio\":1.0}"'

client() {
	id=$1 me=$(cat /proc/sys/kernel/random/uuid) got=0 tries=0
	while [ $got -lt 3 ] && [ $tries -lt 200 ]; do
		tries=$((tries + 1))
		dev=$($H reserve --label small --consumer "$me" --json 2>/dev/null | json_field path) || true
		if [ -z "$dev" ]; then sleep 0.2; continue; fi
		daxtool write "$dev" "client-$id-$got"
		sleep 0.$((id % 3))
		[ "$(daxtool read "$dev")" = "client-$id-$got" ] || echo "COLLISION: client $id lost $dev"
		$H release --consumer "$me" 2>/dev/null || echo "RELEASE FAILED: client $id $dev"
		got=$((got + 1))
	done
	echo "client $id: $got rounds in $tries tries"
}
for i in 1 2 3 4 5 6 7 8; do client $i > /tmp/client.$i 2>&1 & done
wait
cat /tmp/client.*
check "8 concurrent clients: no namespace was ever held by two" sh -c '! grep -q COLLISION /tmp/client.*'
check "every client got its rounds" sh -c '[ "$(grep -c ": 3 rounds" /tmp/client.*| grep -c ":1$")" -eq 8 ]'
check "every release succeeded" sh -c '! grep -q "RELEASE FAILED" /tmp/client.*'
$H list
check "all free again" [ "$($H list --json | grep -c '"state": "free"')" -eq 4 ]
for d in /dev/dax0.*; do check "$d reads back all zeros" daxtool zero "$d"; done

# the ledger lost: the namespaces are unverified, not free, until erased
mv /tmp/state/ledger.json /tmp/ledger.saved
daxtool write /dev/dax0.0 someone-s-data
$H list
check "ledger lost: all four unverified" [ "$($H list --json | grep -c '"state": "unverified"')" -eq 4 ]
$H reserve --label small --consumer "$(cat /proc/sys/kernel/random/uuid)"; check "  none is handed out" [ $? -eq 1 ]
check "  none counts as capacity" sh -c "out=\$($H inventory --json) && ! printf '%s' \"\$out\" | grep -q CUSTOM_PMEM_NAMESPACE_SMALL"
check "  and nothing was touched" [ "$(daxtool read /dev/dax0.0)" = someone-s-data ]
$H erase --unverified; check "erase --unverified" [ $? -eq 0 ]
check "  frees them" [ "$($H list --json | grep -c '"state": "free"')" -eq 4 ]
check "  erased" daxtool zero /dev/dax0.0

# held as libvirt holds a guest's backing: QEMU in a mount namespace of its
# own, with a private /dev (a tmpfs) and a node of its own for the device,
# which it keeps open and mapped; then mapped only, its descriptor closed.
# No command erases it, frees it or touches a byte of it while it is held.
# hold DEV [mapped]: the holder's pid in $holder, once it holds DEV
hold() {
	name=${1##*/} devno=$(cat "/sys/bus/dax/devices/${1##*/}/dev")
	rm -f /tmp/holder.out
	unshare --mount --propagation private sh -c 'mount -t tmpfs -o mode=755 tmpfs /dev &&
		mknod "/dev/$1" c "$2" "$3" && exec daxtool hold "/dev/$1" $4' \
		sh "$name" "${devno%:*}" "${devno#*:}" "${2:-}" > /tmp/holder.out 2>&1 &
	holder=$!
	n=0
	while ! grep -q holding /tmp/holder.out 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	check "  (the holder holds its own /dev/$name: $(cat /tmp/holder.out))" grep -q holding /tmp/holder.out
	check "  whose node is not the host's (another inode, the same device)" sh -c \
		"[ \"\$(stat -c %i /proc/$holder/root/dev/$name)\" != \"\$(stat -c %i $1)\" ] &&
		 [ \"\$(stat -c %t:%T /proc/$holder/root/dev/$name)\" = \"\$(stat -c %t:%T $1)\" ]"
}
# refused WHAT COMMAND...: COMMAND exits 1 naming the holder
refused() {
	what=$1; shift
	"$@" > /tmp/refused 2>&1
	rc=$?
	cat /tmp/refused
	check "$what: refused (exit 1)" [ $rc -eq 1 ]
	check "  naming the process that holds it" grep -q "in use by process $holder (daxtool)" /tmp/refused
}
c=$(cat /proc/sys/kernel/random/uuid)
dev=$($H reserve --label small --consumer "$c" --json | json_field path)
uuid=$($H reserve --label small --consumer "$c" --json | json_field uuid)
daxtool write "$dev" "tenant-of-$c"
sum=$(daxtool sum "$dev")
echo "== held open and mapped from a private /dev: $dev ($uuid), checksum $sum"
hold "$dev"
refused "release" $H release --consumer "$c"
check "  still reserved by its consumer" sh -c "$H list --json | grep -A5 '\"$uuid\"' | grep -q '\"state\": \"reserved\"'"
mv /tmp/state/ledger.json /tmp/ledger.held
refused "ledger lost, erase --uuid of the unverified backing" $H erase --uuid "$uuid"
refused "ledger lost, erase --unverified" $H erase --unverified
check "  which erased none of the four" [ "$($H list --json | grep -c '"state": "unverified"')" -eq 4 ]
check "its data unchanged (checksum $sum)" [ "$(daxtool sum "$dev")" = "$sum" ]
kill "$holder"; wait "$holder" 2>/dev/null
$H erase --unverified; check "the holder gone: erase --unverified erases them" [ $? -eq 0 ]
check "  all four free" [ "$($H list --json | grep -c '"state": "free"')" -eq 4 ]
check "  its data gone" daxtool zero "$dev"
c=$(cat /proc/sys/kernel/random/uuid)
dev=$($H reserve --label small --consumer "$c" --json | json_field path)
daxtool write "$dev" "tenant-of-$c"
sum=$(daxtool sum "$dev")
echo "== mapped only, its descriptor closed, from a private /dev: $dev, checksum $sum"
hold "$dev" mapped
refused "release" $H release --consumer "$c"
check "its data unchanged (checksum $sum)" [ "$(daxtool sum "$dev")" = "$sum" ]
kill "$holder"; wait "$holder" 2>/dev/null
$H release --consumer "$c"; check "the holder gone: release succeeds" [ $? -eq 0 ]
check "  and erased it" daxtool zero "$dev"

# quarantine: the erase fails when the device node is gone
c=$(cat /proc/sys/kernel/random/uuid)
dev=$($H reserve --label small --consumer "$c" --json | json_field path)
uuid=$($H reserve --label small --consumer "$c" --json | json_field uuid)
check "reserve is idempotent for the same consumer" [ "$($H reserve --label small --consumer "$c" --json | json_field path)" = "$dev" ]
daxtool write "$dev" secret
daxtool scatter "$dev"
devno=$(cat /sys/bus/dax/devices/$(basename "$dev")/dev)
rm "$dev"
$H release --consumer "$c"; check "a failing erase fails the release" [ $? -eq 1 ]
$H list
check "the namespace is quarantined" sh -c "$H list --json | grep -A4 '\"$uuid\"' | grep -q quarantined"
check "and not counted in the inventory" sh -c "$H inventory --json | grep -q '\"total\": 3'"
for i in 1 2 3 4; do $H reserve --label small --consumer "$(cat /proc/sys/kernel/random/uuid)" --json | json_field path; done > /tmp/handed
check "and never handed out again" sh -c "! grep -qx '$dev' /tmp/handed"
mknod "$dev" c "${devno%:*}" "${devno#*:}"
$H erase --uuid "$uuid"; check "erase succeeds once the device is back" [ $? -eq 0 ]
check "its old data is gone" daxtool zero "$dev"
check "counted again (4 in all, 3 of them reserved)" sh -c "$H inventory --json | grep -q '\"total\": 4'"

x=$(cat /proc/sys/kernel/random/uuid)
$H release --consumer "$c" >/dev/null 2>&1
$H reserve --label small --consumer "$x" >/dev/null 2>&1
# stdout is the XML alone; what the domain needs besides comes on stderr
echo "XML-BEGIN"; $H libvirt-xml --consumer "$x" 2>/tmp/xml-notes; echo "XML-END"
check "the notes say what the domain needs besides" grep -q "maxMemory slots" /tmp/xml-notes

# the definitions name the backing by its namespace's UUID (udev's link),
# and still lead to it after the kernel's names changed: the namespace
# numbered first destroyed, the region probed again (the highest-numbered
# reservation is followed)
udevadm settle
set -- $($H list --json | awk -F'"' '/"consumer":/ { c = $4 } /"path":/ { p = $4 }
	/^  }/ { if (c != "" && p ~ /dax/) print p, c; c = ""; p = "" }' | sort | tail -n 1)
dev=$1 owner=$2
uuid=$($H reserve --label small --consumer "$owner" --json | json_field uuid)
$H qemu-args --consumer "$owner" > /tmp/args
link=$(sed -n "s|.*mem-path=\([^,']*\).*|\1|p" /tmp/args)
check "qemu-args names the backing /dev/vpmem/by-uuid/$uuid ($link)" [ "$link" = "/dev/vpmem/by-uuid/$uuid" ]
check "  which is udev's link to $dev" [ "$(readlink -f "$link")" = "$dev" ]
# namespace_uuid DEV: the UUID of the namespace whose device DEV is, as the kernel says (by device number)
namespace_uuid() {
	set -- $(stat -L -c '%t %T' "$1")
	d=$(readlink -f "/sys/dev/char/$((0x$1)):$((0x$2))")
	cat "/sys/bus/nd/devices/$(cat "${d%/*}/namespace")/uuid"
}
check "  the kernel says $dev is the device of namespace $uuid" [ "$(namespace_uuid "$dev")" = "$uuid" ]
victim=$(ls -d /sys/bus/nd/devices/namespace0.* | sort | head -n 1)
victim=${victim##*/}
check "a namespace numbered before it to destroy ($victim, it is ${dev##*/})" [ "${victim#namespace}" != "${dev#/dev/dax}" ]
ndctl destroy-namespace --force "$victim" > /dev/null 2>&1
ndctl disable-region region0 > /dev/null 2>&1
# devtmpfs removed the nodes it made with the devices; one left was made by
# hand (the quarantine case above) and would shadow the new device of its name
rm -f /dev/dax0.*
ndctl enable-region region0 > /dev/null 2>&1
for bus in /sys/bus/nd/devices/ndbus*; do cat "$bus/wait_probe" > /dev/null 2>&1; done
udevadm settle
now=$($H reserve --label small --consumer "$owner" --json | json_field path)
echo "renumbered: $uuid was $dev, is $now"
check "the kernel's name for it changed ($dev -> $now)" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' sh "$now" "$dev"
check "  the definition's name leads to it ($link -> $(readlink -f "$link"))" [ "$(readlink -f "$link")" = "$now" ]
check "  and it is that namespace's device, the kernel says" [ "$(namespace_uuid "$link")" = "$uuid" ]
$H qemu-args --consumer "$owner" > /tmp/args2
check "  qemu-args names the same link as before" [ "$(sed -n "s|.*mem-path=\([^,']*\).*|\1|p" /tmp/args2)" = "$link" ]
# a link that leads to another namespace's device (made by hand here) is refused
other=$(for d in /dev/dax0.*; do [ "$d" != "$now" ] && echo "$d" && break; done)
ln -sfn "$other" "$link"
$H qemu-args --consumer "$owner" > /tmp/args3 2>&1
rc=$?
cat /tmp/args3
check "a link to another namespace's device ($other): qemu-args refuses (exit 1)" [ $rc -eq 1 ]
check "  and says it does not lead to $now" grep -q "$link does not lead to $now" /tmp/args3
udevadm trigger --subsystem-match=dax --action=add; udevadm settle
check "  udev puts the link right again" [ "$(readlink -f "$link")" = "$now" ]

echo '{"pmem_namespaces": "6GB:nosuchns"}' > /tmp/nova.json
vpmem-host -c /tmp/nova.json -s /tmp/state2 inventory; check "a namespace that isn't on the host: exit 2" [ $? -eq 2 ]
echo '{"pmem_namespaces": "6GB:vpmem-small-0|vpmem-small-0"}' > /tmp/nova2.json
vpmem-host -c /tmp/nova2.json -s /tmp/state2 inventory 2>&1 | tee /tmp/dup; check "a duplicated one: Nova's message" grep -q "Duplicated PMEM namespace" /tmp/dup
finish
GUEST

vm_boot host "$work/test.sh" "$(vm_dimm nv0 1G)"

# the devdax form of the libvirt XML, from a real device-dax namespace, against libvirt's schema
tr -d '\r' < "$work/host.log" | sed -n '/^XML-BEGIN$/,/^XML-END$/p' | sed '1d;$d' > "$work/memory.xml"
grep -q "<pmem/>" "$work/memory.xml" || fail "the XML for a devdax backing has no <pmem/>"
if command -v virt-xml-validate >/dev/null 2>&1; then
	. "$top_srcdir/tests/host/wrap-domain.sh"
	wrap_domain "$work/memory.xml" "$work/domain.xml"
	virt-xml-validate "$work/domain.xml" domain || fail "libvirt's schema rejects the devdax XML"
	echo "PASS: libvirt's schema accepts the XML for a devdax backing"
else
	echo "NOTE: virt-xml-validate is not installed: the devdax XML was not validated"
fi
