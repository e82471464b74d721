#!/bin/sh
# Mountpoints: a typo in a policy never hides what the guest has. A system
# directory (/etc) and two entries that mount at one path (one for every
# region, one for region 0) are policy errors (exit 2, check-config too); a
# directory that holds files, or that is another mountpoint, is refused at
# apply (exit 1) with what is there named, the region untouched; the files
# stay visible and nothing is mounted. The same holds for a filesystem the
# agent made itself and mounts again at boot, when something wrote into its
# bare mountpoint meanwhile. "hide_existing_files" mounts over files on
# purpose, and the files come back when it is unmounted. A second boot, with
# the devices as the first left them, refuses the same way.
. "$(dirname "$0")/lib.sh"
vm_setup

cat > "$work/test.sh" <<'GUEST'
# region_state N: what the kernel says region N holds
region_state() { ndctl list -r "region$1" -N; cat "/sys/bus/nd/devices/region$1/available_size"; }
pmem_mounts() { grep "^/dev/pmem" /proc/mounts; }
# refused CODE NAME TEXT: the last apply exited CODE and said TEXT
refused() {
	check "$2: exit $1" [ "$rc" -eq "$1" ]
	check "  says: $3" grep -qF -- "$3" /tmp/out
}
first_boot=false
[ -e /tmp/second-boot ] || first_boot=true
mkdir -p /srv/app
echo "config" > /srv/app/app.conf
mkdir -p /srv/app/data
before0=$(region_state 0)

if $first_boot; then
	echo '{"namespaces": [{"name": "etc", "region": 0, "mountpoint": "/etc"}]}' > /tmp/etc.json
	agent check-config --config /tmp/etc.json > /tmp/out 2>&1; rc=$?
	cat /tmp/out
	refused 2 "check-config: /etc as a mountpoint" "mounts at /etc, which is /etc, one of the system's own directories"
	agent apply --config /tmp/etc.json region0 > /tmp/out 2>&1; rc=$?
	cat /tmp/out
	refused 2 "apply: /etc as a mountpoint" "one of the system's own directories"
	check "  /etc is as it was" grep -q "^root:" /etc/passwd
	check "  region0 untouched" [ "$(region_state 0)" = "$before0" ]

	echo '{"namespaces": [{"name": "data"}, {"name": "data1", "region": 0, "size": "512M"}]}' > /tmp/two.json
	agent apply --config /tmp/two.json > /tmp/out 2>&1; rc=$?
	cat /tmp/out
	refused 2 "two entries onto one mountpoint" \
		'"data" and "data1" can both mount at /mnt/data1 ("data" on region1, "data1" on region0)'
	check "  region0 untouched" [ "$(region_state 0)" = "$before0" ]

	mkdir -p /srv/busy
	mount -t tmpfs busy /srv/busy
	echo '{"namespaces": [{"name": "busy", "region": 0, "mountpoint": "/srv/busy"}]}' > /tmp/busy.json
	agent apply --config /tmp/busy.json region0 > /tmp/out 2>&1; rc=$?
	cat /tmp/out
	refused 1 "another mountpoint" "/srv/busy is already a mountpoint of another filesystem"
	check "  the tmpfs is still what is mounted there" sh -c 'grep -q "^busy /srv/busy tmpfs" /proc/mounts'
	check "  region0 untouched" [ "$(region_state 0)" = "$before0" ]
	umount /srv/busy
fi

echo '{"namespaces": [{"name": "app", "region": 0, "mountpoint": "/srv/app"}]}' > /tmp/app.json
agent apply --config /tmp/app.json region0 > /tmp/out 2>&1; rc=$?
cat /tmp/out
refused 1 "a directory that holds files" "/srv/app holds "
check "  and names them" sh -c 'grep -q "app.conf" /tmp/out && grep -q "data/" /tmp/out'
check "  the files are still there" grep -q "^config$" /srv/app/app.conf
check "  nothing is mounted" [ -z "$(pmem_mounts)" ]
check "  region0 untouched (not even labels)" [ "$(region_state 0)" = "$before0" ]
agent apply --config /tmp/app.json --dry-run region0 > /tmp/out 2>&1; rc=$?
refused 1 "  a dry run says so too" "/srv/app holds "

if $first_boot; then
	# on purpose: the files are hidden while it is mounted, not gone
	echo '{"namespaces": [{"name": "app", "region": 0, "mountpoint": "/srv/app", "hide_existing_files": true}]}' \
		> /tmp/hide.json
	agent apply --config /tmp/hide.json region0 > /tmp/out 2>&1; rc=$?
	cat /tmp/out
	check "hide_existing_files: exit 0" [ $rc -eq 0 ]
	check "  mounted with DAX" is_mounted_dax /srv/app
	check "  the files are hidden" [ ! -e /srv/app/app.conf ]
	umount /srv/app
	check "  and back once it is unmounted" grep -q "^config$" /srv/app/app.conf

	# the agent's own filesystem, mounted again at boot: something wrote
	# into its bare mountpoint while it was not mounted
	agent apply region1 > /tmp/out 2>&1
	check "the built-in policy on region1: exit 0" [ $? -eq 0 ]
	umount /mnt/pmem1
	echo "written while unmounted" > /mnt/pmem1/log
	agent apply region1 > /tmp/out 2>&1; rc=$?
	cat /tmp/out
	refused 1 "its own filesystem over files written meanwhile" "/mnt/pmem1 holds log"
	check "  the file is still visible" grep -q "^written" /mnt/pmem1/log
	check "  nothing is mounted there" [ -z "$(pmem_mounts)" ]
	rm /mnt/pmem1/log
	agent apply region1 > /tmp/out 2>&1
	check "  once the directory is empty: mounted again" is_mounted_dax /mnt/pmem1
fi
finish
GUEST

d0=$(vm_dimm d0 1026M)
d1=$(vm_dimm d1 1026M)
vm_boot first "$work/test.sh" "$d0" "$d1" || fail "the first boot's checks failed"
vm_file /tmp/second-boot yes
vm_boot second "$work/test.sh" "$d0" "$d1" || fail "the second boot's checks failed"
echo "PASS: every mountpoint that would hide something was refused, in both boots"
