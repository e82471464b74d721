#!/bin/sh
# Power loss at each step of a first provisioning. For each step, the agent
# runs with the fault shim up to that step on a fresh device and stops
# there; when every device of the boot has reached its step, the power is
# cut (QEMU stops at once, as at a pulled plug). The next boot, on the same
# backings, applies again on each device:
#   - first as on a guest whose root filesystem lost the agent's state (or
#     never keeps it, as under Kata): it converges with exit 0, or it stops,
#     says that the device may hold a half-made filesystem and what to run,
#     and changes nothing. The s- cases run the cut with the agent's state
#     on the initramfs' tmpfs, as a stateless guest does: there a labelled
#     namespace carries the proof in its name (nd.h), and they must converge;
#   - then with its state back: it converges with exit 0.
# Never may it format something that might be data, and never may it hang.
# The cases run as a chain of boots, $VPMEM_POWER_BATCH (6) at a time: a
# boot recovers the previous boot's devices and then cuts the power in the
# next cases', fresh devices with state disks of their own; the agent runs
# on each device as udev starts it (vpmem-agent apply regionN), and each
# recovery runs beside devices in other states. Between a stopped step and
# the cut the guest flushes nothing: periodic writeback is off, no process
# syncs, and the cut comes within seconds (a check), before any filesystem's
# periodic work; what the device holds at the cut is what it would hold
# had the power gone at that step.
. "$(dirname "$0")/lib.sh"
vm_setup
statedir="${localstatedir:-/var}/lib/vpmem"
policy="${sysconfdir:-/etc}/vpmem/vpmem.json"

cat > "$work/test.sh" <<'GUEST'
statedir=$(cat /tmp/case/statedir) policy=$(cat /tmp/case/policy)
shim=/usr/lib/vpmem-test/faultshim.so
converged() {
	case $kind in
	devdax) ls /dev/dax$r.* >/dev/null 2>&1 && [ "$(ndctl list -r "region$r" -N | json_field mode)" = devdax ] ;;
	xfs|ext4) is_mounted_dax "/mnt/pmem$r" && [ "$(fstype_of "/dev/pmem$r")" = "$kind" ] &&
		! cat /sys/bus/nd/devices/namespace$r.*/alt_name 2>/dev/null | grep -q ':mkfs$' ;;
	esac
}
# what the region holds, to compare before and after a refusal
snapshot() {
	ndctl list -r "region$r" -N
	for d in /dev/pmem$r /dev/pmem$r.*; do
		[ -b "$d" ] || continue
		echo "$d: $(blkid -p "$d" 2>&1) $(dd if="$d" bs=1M count=16 status=none | sha256sum)"
	done
}
# region_of_slot N: the region of the NVDIMM in QEMU's slot N (NFIT handle
# N+1). The regions' order is neither the command line's nor the sizes', and
# changes with the number of NVDIMMs (QEMU 7.2); the harness gives every
# boot as many, so that a device keeps its region number from boot to boot.
region_of_slot() {
	for m in /sys/bus/nd/devices/region*/mapping0; do
		[ "$(cat "/sys/bus/nd/devices/$(cut -d, -f1 "$m")/nfit/handle")" = "$(printf '0x%x' $(($1 + 1)))" ] || continue
		m=${m%/mapping0}
		echo "${m##*/region}"
		return 0
	done
	echo "FAIL: no region has the NVDIMM of slot $1" >&2
	return 1
}
# load_case DIR: a case's name, region, kind and rule
load_case() {
	name=$(cat "$1/name") kind=$(cat "$1/kind") rule=$(cat "$1/rule" 2>/dev/null || true)
	[ -e "$1/region" ] || region_of_slot "$(cat "$1/slot")" > "$1/region"
	r=$(cat "$1/region")
}
# use_policy DIR: the case's policy in place (the built-in one when it has none)
use_policy() {
	if [ -e "$1/policy" ]; then
		cp "$1/policy" "$policy"
	else
		rm -f "$policy"
	fi
}
# proc_state PID: R, S, T (stopped), Z (ended, not yet waited for), or
# nothing when it is gone
proc_state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }

# The devices whose power was cut in the previous boot, one after the other,
# as udev runs the agent on each (vpmem-agent apply regionN)
for d in /tmp/case/recover/*; do
	[ -d "$d" ] || continue
	load_case "$d"
	use_policy "$d"
	echo "== recover $name: region$r, $kind (at $(cut -d" " -f1 /proc/uptime) s)"
	before_failures=$failures
	before=$(snapshot)
	echo "after the cut: $(echo "$before" | tr '\n' ' ')"
	timeout 300 vpmem-agent apply "region$r" > /tmp/first.out 2>&1
	rc=$?
	sed "s/^/$name without state: /" /tmp/first.out
	if [ $rc -eq 0 ]; then
		check "$name without the agent's state: converges" converged
	elif [ "${name#s-}" != "$name" ]; then
		# cut where the state was never kept: the labelled namespace carries the proof in its name (nd.h)
		check "$name without the agent's state: converges, by the namespace's name (exit $rc)" false
	else
		check "$name without the agent's state: exit 1 (not a hang, not a crash)" [ $rc -eq 1 ]
		check "  it says what to run" grep -q -- "--overwrite" /tmp/first.out
		check_sh "  and changed nothing" '[ "$(snapshot)" = "$before" ]'
	fi
	mount_state "$statedir" "rec$(cat "$d/slot")"
	timeout 300 vpmem-agent apply "region$r" > /tmp/second.out 2>&1
	rc=$?
	sed "s/^/$name with state: /" /tmp/second.out
	check "$name with the agent's state: exit 0" [ $rc -eq 0 ]
	check "  converged to the policy" converged
	umount "$statedir"
	echo "VPMEM-RECOVERED $name $((failures - before_failures))"
done

if [ -d /tmp/case/count0 ]; then
	mount_state "$statedir" count
	for c in /tmp/case/count*; do
		load_case "$c"
		use_policy "$c"
		# (env: busybox 1.30's ash, Debian 11's, does not export assignments
		# put before a shell function such as agent to what the function runs)
		env VPMEM_SHIM="$rule" VPMEM_SHIM_LOG="/tmp/shim.log" LD_PRELOAD=$shim vpmem-agent apply "region$r"
		check "counting run: exit 0" [ $? -eq 0 ]
		sed "s/^/VPMEM-COUNT slot$(cat "$c/slot") /" /tmp/shim.log
		rm /tmp/shim.log
	done
fi

# The devices whose power is cut in this boot: the agent on each runs until
# its step and stops there (the faultshim's "stop"); when every one has, the
# power goes. Each runs as if alone (a mount namespace of its own, with its
# state disk, its policy and its /run, whose lock would otherwise queue the
# others behind the first to stop). No periodic writeback meanwhile: what a
# stopped step had not flushed is not flushed before the cut either, as
# when the power goes at that instant.
if [ ! -d /tmp/case/cut ]; then
	finish
	exit
fi
cat > /tmp/cut-one.sh <<'ONE'
. /lib/vpmem-guest.sh
statedir=$1 policy=$2 d=$3
r=$(cat "$d/region") slot=$(cat "$d/slot")
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs "${policy%/*}"
[ ! -e "$d/policy" ] || cp "$d/policy" "$policy"
# a stateless case keeps the agent's state where the initramfs root has it: on tmpfs
[ -e "$d/stateless" ] || mount_state "$statedir" "cut$slot" || exit 1
exec env VPMEM_SHIM="$(cat "$d/rule")" VPMEM_SHIM_STOPPED="/tmp/stopped/$r" \
	LD_PRELOAD=/usr/lib/vpmem-test/faultshim.so vpmem-agent apply "region$r"
ONE
echo 0 > /proc/sys/vm/dirty_writeback_centisecs
mkdir -p /tmp/stopped
for d in /tmp/case/cut/*; do
	load_case "$d"
	echo "== cut $name: region$r, $kind, at $rule (at $(cut -d" " -f1 /proc/uptime) s)"
	unshare -m sh /tmp/cut-one.sh "$statedir" "$policy" "$d" &
	echo $! > "$d/pid"
done
start=$(date +%s) first=""
while :; do
	pending=0
	for d in /tmp/case/cut/*; do
		[ ! -e "$d/over" ] || continue
		load_case "$d"
		pid=$(cat "$d/pid")
		if [ -e "/tmp/stopped/$r" ]; then
			[ -n "$first" ] || first=$(date +%s)
			echo "PASS: $name: the agent stopped at its step ($(cat "/tmp/stopped/$r"))"
			echo "VPMEM-STOPPED-CASE $name"
			touch "$d/over"
		elif [ -z "$(proc_state "$pid")" ] || [ "$(proc_state "$pid")" = Z ]; then
			wait "$pid"
			echo "FAIL: $name: the agent finished (exit $?): its step never came"
			failures=$((failures + 1))
			touch "$d/over"
		else
			pending=$((pending + 1))
		fi
	done
	[ "$pending" -gt 0 ] || break
	if [ $(($(date +%s) - start)) -gt 300 ]; then
		echo "FAIL: $pending agent(s) neither stopped nor finished in 300 s"
		failures=$((failures + 1))
		break
	fi
	sleep 0.2
done
[ -z "$first" ] ||
	check "the power goes within 20 s of the first step reached (xfs's periodic work comes at 30 s)" \
		[ $(($(date +%s) - first)) -le 20 ]
# the cut ends the boot before finish: the host reads this boot's checks from here
echo "VPMEM-CUT-CHECKS $failures"
env VPMEM_SHIM_CUT=now LD_PRELOAD=$shim vpmem-agent --version
echo "FAIL: the power was not cut"
failures=$((failures + 1))
finish
GUEST

# case_files PHASE NAME KIND RULE SLOT: what the guest does with a device
# in the next boot
case_files() {
	vm_file "/tmp/case/$1/name" "$2"
	vm_file "/tmp/case/$1/kind" "$3"
	vm_file "/tmp/case/$1/rule" "$4"
	vm_file "/tmp/case/$1/slot" "$5"
	case $2 in s-*) vm_file "/tmp/case/$1/stateless" yes ;; esac
	case $3 in
	ext4) vm_file "/tmp/case/$1/policy" '{"namespaces": [{"name": "pmem", "filesystem": "ext4"}]}' ;;
	devdax) vm_file "/tmp/case/$1/policy" '{"namespaces": [{"name": "dax", "mode": "devdax"}]}' ;;
	esac
}
case_reset() {
	rm -rf "$work/files"
	vm_file /tmp/case/statedir "$statedir"
	vm_file /tmp/case/policy "$policy"
	# the default policy, unless a phase puts its own in place
	rm -f "$work/files$policy"
}

# fresh_backing NAME SHAPE: a new backing file and state disk; the device,
# as vm_boot takes it, in $dev
fresh_backing() {
	rm -f "$work/$1.state" "$work/$1.img"
	case $2 in
	label) dev=$(vm_dimm "$1" 1026M) ;;
	nolabel) dev=nolabel:$(vm_dimm "$1" 1024M) ;;
	esac
}

# count_writes: how many block-device writes (and syncs) mkfs.xfs on a
# labelled and on a label-less device, and mkfs.ext4, make in a first
# provisioning here, to cut them early, half way and at their end whatever
# the release of xfsprogs or e2fsprogs; in one boot, a device each
count_writes() {
	case_reset
	set --
	n=0
	for c in "label xfs mkfs.xfs" "nolabel xfs mkfs.xfs" "label ext4 mkfs.ext4"; do
		# shellcheck disable=SC2086 # three words
		set -- "$@" "$(set -- $c; fresh_backing "count$n" "$1"; echo "$dev")"
		# shellcheck disable=SC2086
		(set -- $c; case_files "count$n" "count-$1-$2" "$2" "$3/blkwrite:before:count" "$n")
		n=$((n + 1))
	done
	vm_extra_args=$(vm_state_disk "$work/count.state" count) vm_boot count "$work/test.sh" "$@" > "$work/count.out" ||
		{ cat "$work/count.out"; fail "counting the writes of mkfs failed"; }
	counts=""
	for n in 0 1 2; do
		w=$(tr -d '\r' < "$work/count.log" | sed -n "s|^VPMEM-COUNT slot$n mkfs\.[a-z0-9]* .* \([0-9][0-9]*\)\$|\1|p" | tail -n 1)
		[ -n "$w" ] && [ "$w" -gt 2 ] || { cat "$work/count.out"; fail "no count of mkfs's writes in slot $n"; }
		counts="$counts $w"
		rm -f "$work/count$n.img"
	done
}

cases() {
	a=vpmem-agent
	# shellcheck disable=SC2086 # three numbers
	set -- $counts
	xl=$1 xn=$2 el=$3
	echo "writes per mkfs here: xfs $xl (label-less: $xn), ext4 $el" >&2
	cat <<CASES
l-labels label xfs $a/ndctl_dimm_init_labels:after:stop
l-nslabel label xfs $a/ndctl_namespace_set_size:after:stop
l-claim label xfs $a/ndctl_namespace_set_enforce_mode:after:stop
l-pfn label xfs $a/ndctl_pfn_enable:after:stop
l-mkfs-early label xfs mkfs.xfs/blkwrite#1:before:stop
l-mkfs-middle label xfs mkfs.xfs/blkwrite#$((xl / 2)):before:stop
l-mkfs-end label xfs mkfs.xfs/blkwrite#$xl:before:stop
l-mkfs-done label xfs mkfs.xfs/blkwrite#$xl:after:stop
l-mount label xfs $a/mount:after:stop
l-hint label xfs $a/ioctl@/mnt#1:before:stop
l-ext4-early label ext4 mkfs.ext4/blkwrite#1:before:stop
l-ext4-middle label ext4 mkfs.ext4/blkwrite#$((el / 2)):before:stop
l-ext4-end label ext4 mkfs.ext4/blkwrite#$el:before:stop
l-dax-nslabel label devdax $a/ndctl_namespace_set_size:after:stop
l-dax-claim label devdax $a/ndctl_namespace_set_enforce_mode:after:stop
l-dax-enable label devdax $a/ndctl_dax_enable:after:stop
s-mkfs-middle label xfs mkfs.xfs/blkwrite#$((xl / 2)):before:stop
s-ext4-early label ext4 mkfs.ext4/blkwrite#1:before:stop
s-rename-off label xfs $a/ndctl_namespace_disable_safe:after:stop
s-rename-named label xfs $a/ndctl_namespace_set_alt_name#2:after:stop
n-reconfigure nolabel xfs $a/ndctl_namespace_disable_invalidate:after:stop
n-pfn nolabel xfs $a/ndctl_pfn_enable:after:stop
n-mkfs-early nolabel xfs mkfs.xfs/blkwrite#1:before:stop
n-mkfs-middle nolabel xfs mkfs.xfs/blkwrite#$((xn / 2)):before:stop
n-mkfs-end nolabel xfs mkfs.xfs/blkwrite#$xn:before:stop
n-mount nolabel xfs $a/mount:after:stop
n-dax-reconfigure nolabel devdax $a/ndctl_namespace_disable_invalidate:after:stop
n-dax-enable nolabel devdax $a/ndctl_dax_enable:after:stop
CASES
}

count_writes
cases > "$work/cases"
# VPMEM_POWER_CASES="l-mkfs n-pfn" runs only the cases whose names start so
if [ -n "${VPMEM_POWER_CASES:-}" ]; then
	while read -r name rest; do
		for c in $VPMEM_POWER_CASES; do
			case $name in "$c"*) echo "$name $rest"; break ;; esac
		done
	done < "$work/cases" > "$work/cases.wanted"
	mv "$work/cases.wanted" "$work/cases"
fi

# Cases per boot: a boot recovers the devices of the previous boot's cases,
# one after the other, and cuts the power in the next ones, all at once.
batch=${VPMEM_POWER_BATCH:-6}
failed=0 failed_cases="" boots=0
: > "$work/prev.group"
# run_boot GROUP: recover the cases in $work/prev.group (NAME SHAPE KIND RULE
# SLOT DEVICE, if any) and cut the power in those of the file GROUP (NAME
# SHAPE KIND RULE; none when GROUP is empty), each on a fresh device. A
# case keeps its device's place from one boot to the next, and so its
# region number, as a guest's device does (the built-in policy names
# namespaces and mountpoints by it): the boots' cases take QEMU's NVDIMM
# slots 0 to batch-1 and batch to 2*batch-1 in turn, and every boot has
# 2*batch NVDIMMs, empty ones the agent is never run on standing in for
# slots without a case.
run_boot() {
	case_reset
	extra=""
	first=$(( (boots % 2) * batch ))
	boots=$((boots + 1))
	rm -f "$work"/slot.*
	while read -r name shape kind rule slot dev; do
		case_files "recover/$slot" "$name" "$kind" "$rule" "$slot"
		echo "$dev" > "$work/slot.$slot"
		extra="$extra $(vm_state_disk "$work/$name.state" "rec$slot")"
	done < "$work/prev.group"
	: > "$work/next.group"
	slot=$first
	while read -r name shape kind rule; do
		fresh_backing "$name" "$shape"
		case_files "cut/$slot" "$name" "$kind" "$rule" "$slot"
		echo "$dev" > "$work/slot.$slot"
		extra="$extra $(vm_state_disk "$work/$name.state" "cut$slot")"
		echo "$name $shape $kind $rule $slot $dev" >> "$work/next.group"
		slot=$((slot + 1))
	done < "$1"
	set --
	i=0
	while [ "$i" -lt $((2 * batch)) ]; do
		[ -e "$work/slot.$i" ] || echo "nolabel:$(vm_dimm "empty$i" 128M)" > "$work/slot.$i"
		set -- "$@" "$(cat "$work/slot.$i")"
		i=$((i + 1))
	done
	boot="boot$boots"
	if [ -s "$work/next.group" ]; then
		vm_extra_args=$extra vm_cut "$boot" "$work/test.sh" "$@" ||
			{ failed=$((failed + 1)) failed_cases="$failed_cases $boot"; }
	else
		vm_extra_args=$extra vm_boot "$boot" "$work/test.sh" "$@" ||
			{ failed=$((failed + 1)) failed_cases="$failed_cases $boot"; }
	fi
	log=$(tr -d '\r' < "$work/$boot.log")
	# each recovery's own checks, whatever became of the cut after them
	while read -r name shape kind rule slot dev; do
		if ! echo "$log" | grep -q "^VPMEM-RECOVERED $name 0$"; then
			echo "FAIL: $name-recover: its checks failed, or it never finished"
			failed=$((failed + 1)) failed_cases="$failed_cases $name-recover"
		fi
		rm -f "${dev#nolabel:}" "$work/$name.state"
	done < "$work/prev.group"
	# the guest's own checks before the cut (the cut ends the boot before finish)
	if [ -s "$work/next.group" ] && ! echo "$log" | grep -q "^VPMEM-CUT-CHECKS 0$"; then
		echo "FAIL: $boot: checks failed before the cut"
		failed=$((failed + 1)) failed_cases="$failed_cases $boot-cut"
	fi
	# each cut's step was reached before the power went
	while read -r name shape kind rule slot dev; do
		if ! echo "$log" | grep -q "^VPMEM-STOPPED-CASE $name$"; then
			echo "FAIL: $name-cut: the agent never stopped at $rule"
			failed=$((failed + 1)) failed_cases="$failed_cases $name-cut"
		fi
	done < "$work/next.group"
	mv "$work/next.group" "$work/prev.group"
}

n=0
: > "$work/group"
while read -r line; do
	echo "$line" >> "$work/group"
	n=$((n + 1))
	if [ "$n" -eq "$batch" ]; then
		run_boot "$work/group"
		: > "$work/group"
		n=0
	fi
done < "$work/cases"
[ "$n" -eq 0 ] || run_boot "$work/group"
: > "$work/group"
[ ! -s "$work/prev.group" ] || run_boot "$work/group"
echo "$(wc -l < "$work/cases") cases in $boots boots, and one to count mkfs's writes"
# named last: a log's tail is what CI shows
[ "$failed" -eq 0 ] || fail "$failed power-loss case(s) failed:$failed_cases"
echo "PASS: every power cut recovered"
