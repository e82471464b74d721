#!/bin/sh
# Power loss at each step of a first provisioning. For each step, one boot
# runs the agent with the fault shim, which cuts the power (QEMU stops at
# once, as at a pulled plug) right at that step; the next boot, on the same
# backing, applies again:
#   - first as on a guest whose root filesystem lost the agent's state (or
#     never keeps it, as under Kata): it converges with exit 0, or it stops,
#     says that the device may hold a half-made filesystem and what to run,
#     and changes nothing;
#   - then with its state back: it converges with exit 0.
# Never may it format something that might be data, and never may it hang.
# The cases run as a chain: a boot recovers the previous case's device and
# then cuts the power in the next case's, a fresh device of its own with a
# state disk of its own; the agent runs on each device as udev starts it
# (vpmem-agent apply regionN). One boot per case, and each recovery runs
# beside a device in another state.
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
	xfs|ext4) is_mounted_dax "/mnt/pmem$r" && [ "$(fstype_of "/dev/pmem$r")" = "$kind" ] ;;
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
# phase PHASE: this phase's region, kind, rule and policy
phase() {
	r=$(cat "/tmp/case/$1/region")
	kind=$(cat "/tmp/case/$1/kind") rule=$(cat "/tmp/case/$1/rule" 2>/dev/null || true)
	if [ -e "/tmp/case/$1/policy" ]; then
		cp "/tmp/case/$1/policy" "$policy"
	else
		rm -f "$policy"
	fi
	echo "== $1: region$r, $kind, $(cat "/tmp/case/$1/name")"
}

if [ -d /tmp/case/recover ]; then
	phase recover
	echo "after the cut: $(snapshot | tr '\n' ' ')"
	before=$(snapshot)
	timeout 300 vpmem-agent apply "region$r" > /tmp/first.out 2>&1
	rc=$?
	sed 's/^/without state: /' /tmp/first.out
	if [ $rc -eq 0 ]; then
		check "without the agent's state: converges" converged
	else
		check "without the agent's state: exit 1 (not a hang, not a crash)" [ $rc -eq 1 ]
		check "  it says what to run" grep -q -- "--overwrite" /tmp/first.out
		check_sh "  and changed nothing" '[ "$(snapshot)" = "$before" ]'
	fi
	mount_state "$statedir" recover
	timeout 300 vpmem-agent apply "region$r" > /tmp/second.out 2>&1
	rc=$?
	sed 's/^/with state: /' /tmp/second.out
	check "with the agent's state: exit 0" [ $rc -eq 0 ]
	check "  converged to the policy" converged
	umount "$statedir"
	echo "VPMEM-RECOVERED $failures"
fi
if [ -d /tmp/case/count0 ]; then
	mount_state "$statedir" cut
	for c in /tmp/case/count*; do
		phase "${c##*/}"
		# (env: busybox 1.30's ash, Debian 11's, does not export assignments
		# put before a shell function such as agent to what the function runs)
		env VPMEM_SHIM="$rule" VPMEM_SHIM_LOG="/tmp/shim.log" LD_PRELOAD=$shim vpmem-agent apply "region$r"
		check "counting run: exit 0" [ $? -eq 0 ]
		sed "s/^/VPMEM-COUNT region$r /" /tmp/shim.log
		rm /tmp/shim.log
	done
elif [ -d /tmp/case/cut ]; then
	phase cut
	mount_state "$statedir" cut
	echo "cutting the power at: $rule"
	env VPMEM_SHIM="$rule" LD_PRELOAD=$shim vpmem-agent apply "region$r"
	echo "FAIL: the agent finished (exit $?): the cut never came"
	failures=$((failures + 1))
fi
finish
GUEST

# case_files PHASE NAME KIND RULE REGION: what the guest does with a device
# in the next boot
case_files() {
	vm_file "/tmp/case/$1/name" "$2"
	vm_file "/tmp/case/$1/kind" "$3"
	vm_file "/tmp/case/$1/rule" "$4"
	vm_file "/tmp/case/$1/region" "$5"
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
	vm_extra_args=$(vm_state_disk "$work/count.state" cut) vm_boot count "$work/test.sh" "$@" > "$work/count.out" ||
		{ cat "$work/count.out"; fail "counting the writes of mkfs failed"; }
	counts=""
	for n in 0 1 2; do
		w=$(tr -d '\r' < "$work/count.log" | sed -n "s|^VPMEM-COUNT region$n mkfs\.[a-z0-9]* .* \([0-9][0-9]*\)\$|\1|p" | tail -n 1)
		[ -n "$w" ] && [ "$w" -gt 2 ] || { cat "$work/count.out"; fail "no count of mkfs's writes on region$n"; }
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
l-labels label xfs $a/ndctl_dimm_init_labels:after:cut
l-nslabel label xfs $a/ndctl_namespace_set_size:after:cut
l-claim label xfs $a/ndctl_namespace_set_enforce_mode:after:cut
l-pfn label xfs $a/ndctl_pfn_enable:after:cut
l-mkfs-early label xfs mkfs.xfs/blkwrite#1:before:cut
l-mkfs-middle label xfs mkfs.xfs/blkwrite#$((xl / 2)):before:cut
l-mkfs-end label xfs mkfs.xfs/blkwrite#$xl:before:cut
l-mkfs-done label xfs mkfs.xfs/blkwrite#$xl:after:cut
l-mount label xfs $a/mount:after:cut
l-hint label xfs $a/ioctl@/mnt#1:before:cut
l-ext4-early label ext4 mkfs.ext4/blkwrite#1:before:cut
l-ext4-middle label ext4 mkfs.ext4/blkwrite#$((el / 2)):before:cut
l-ext4-end label ext4 mkfs.ext4/blkwrite#$el:before:cut
l-dax-nslabel label devdax $a/ndctl_namespace_set_size:after:cut
l-dax-claim label devdax $a/ndctl_namespace_set_enforce_mode:after:cut
l-dax-enable label devdax $a/ndctl_dax_enable:after:cut
n-reconfigure nolabel xfs $a/ndctl_namespace_disable_invalidate:after:cut
n-pfn nolabel xfs $a/ndctl_pfn_enable:after:cut
n-mkfs-early nolabel xfs mkfs.xfs/blkwrite#1:before:cut
n-mkfs-middle nolabel xfs mkfs.xfs/blkwrite#$((xn / 2)):before:cut
n-mkfs-end nolabel xfs mkfs.xfs/blkwrite#$xn:before:cut
n-mount nolabel xfs $a/mount:after:cut
n-dax-reconfigure nolabel devdax $a/ndctl_namespace_disable_invalidate:after:cut
n-dax-enable nolabel devdax $a/ndctl_dax_enable:after:cut
CASES
}

count_writes
cases > "$work/cases"
failed=0 failed_cases=""
prev="" prev_kind="" prev_rule="" prev_dev="" prev_slot=1 slot=1
# run_boot NAME SHAPE KIND RULE: recover the previous case (if any) and cut
# the power in case NAME (if given). A case keeps its region number from
# one boot to the next, as a guest's device does (the built-in policy names
# namespaces and mountpoints by it): the cases take regions 0 and 1 in turn,
# and a boot's devices go on QEMU's command line in that order, an empty
# device the agent is never run on standing in for a missing region 0.
run_boot() {
	case_reset
	slot0="" slot1="" extra="" boot=""
	if [ -n "$prev" ]; then
		case_files recover "$prev" "$prev_kind" "$prev_rule" "$prev_slot"
		eval "slot$prev_slot=\$prev_dev"
		extra=$(vm_state_disk "$work/$prev.state" recover)
		boot="$prev-recover"
	fi
	slot=$((1 - prev_slot))
	if [ -n "$1" ]; then
		fresh_backing "$1" "$2"
		case_files cut "$1" "$3" "$4" "$slot"
		eval "slot$slot=\$dev"
		extra="$extra $(vm_state_disk "$work/$1.state" cut)"
		boot="${boot:+$boot+}$1-cut"
	fi
	[ -n "$slot0" ] || slot0=nolabel:$(vm_dimm empty 128M)
	# shellcheck disable=SC2086 # $slot1 is one word or none
	if [ -n "$1" ]; then
		vm_extra_args=$extra vm_cut "$boot" "$work/test.sh" "$slot0" $slot1 ||
			{ failed=$((failed + 1)) failed_cases="$failed_cases $1-cut"; }
	else
		vm_extra_args=$extra vm_boot "$boot" "$work/test.sh" "$slot0" $slot1 ||
			{ failed=$((failed + 1)) failed_cases="$failed_cases $prev-recover"; }
	fi
	if [ -n "$prev" ]; then
		# the recovery's own checks, whatever became of the cut after it
		if ! tr -d '\r' < "$work/$boot.log" | grep -q "^VPMEM-RECOVERED 0$"; then
			echo "FAIL: $prev-recover: its checks failed, or it never finished"
			case $failed_cases in *" $prev-recover"*) ;; *) failed=$((failed + 1)) failed_cases="$failed_cases $prev-recover" ;; esac
		fi
		rm -f "${prev_dev#nolabel:}" "$work/$prev.state"
	fi
	prev=$1 prev_kind=$3 prev_rule=$4 prev_dev=${dev:-} prev_slot=$slot
}

while read -r name dimm kind rule; do
	# VPMEM_POWER_CASES="l-mkfs n-pfn" runs only the cases whose names start so
	if [ -n "${VPMEM_POWER_CASES:-}" ]; then
		want=false
		for c in $VPMEM_POWER_CASES; do case $name in "$c"*) want=true ;; esac; done
		$want || continue
	fi
	run_boot "$name" "$dimm" "$kind" "$rule"
done < "$work/cases"
[ -z "$prev" ] || run_boot "" "" "" ""
# named last: a log's tail is what CI shows
[ "$failed" -eq 0 ] || fail "$failed power-loss case(s) failed:$failed_cases"
echo "PASS: every power cut recovered"
