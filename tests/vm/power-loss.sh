#!/bin/sh
# Power loss at each step of a first provisioning. For each step, one boot
# runs the agent with the fault shim, which cuts the power (QEMU stops at
# once, as at a pulled plug) right at that step; a second boot on the same
# backing applies again:
#   - first as on a guest whose root filesystem lost the agent's state (or
#     never keeps it, as under Kata): it converges with exit 0, or it stops,
#     says that the device may hold a half-made filesystem and what to run,
#     and changes nothing;
#   - then with its state back: it converges with exit 0.
# Never may it format something that might be data, and never may it hang.
. "$(dirname "$0")/lib.sh"
vm_setup
statedir="${localstatedir:-/var}/lib/vpmem"

cat > "$work/test.sh" <<'GUEST'
statedir=$(cat /tmp/case/statedir) mode=$(cat /tmp/case/mode) kind=$(cat /tmp/case/kind)
rule=$(cat /tmp/case/rule 2>/dev/null || true)
shim=/usr/lib/vpmem-test/faultshim.so
r=$(ls /sys/bus/nd/devices | sed -n 's/^region\([0-9]*\)$/\1/p' | head -n 1)

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

case $mode in
count)
	mount_state "$statedir"
	# (env: busybox 1.30's ash, Debian 11's, does not export assignments
	# put before a shell function such as agent to what the function runs)
	env VPMEM_SHIM="$rule" VPMEM_SHIM_LOG=/tmp/shim.log LD_PRELOAD=$shim vpmem-agent apply
	check "counting run: exit 0" [ $? -eq 0 ]
	sed 's/^/VPMEM-COUNT /' /tmp/shim.log
	;;
cut)
	mount_state "$statedir"
	echo "cutting the power at: $rule"
	env VPMEM_SHIM="$rule" LD_PRELOAD=$shim vpmem-agent apply
	echo "FAIL: the agent finished (exit $?): the cut never came"
	failures=1
	;;
recover)
	echo "after the cut: $(snapshot | tr '\n' ' ')"
	before=$(snapshot)
	timeout 300 vpmem-agent apply > /tmp/first.out 2>&1
	rc=$?
	sed 's/^/without state: /' /tmp/first.out
	if [ $rc -eq 0 ]; then
		check "without the agent's state: converges" converged
	else
		check "without the agent's state: exit 1 (not a hang, not a crash)" [ $rc -eq 1 ]
		check "  it says what to run" grep -q -- "--overwrite" /tmp/first.out
		check_sh "  and changed nothing" '[ "$(snapshot)" = "$before" ]'
	fi
	mount_state "$statedir"
	timeout 300 vpmem-agent apply > /tmp/second.out 2>&1
	rc=$?
	sed 's/^/with state: /' /tmp/second.out
	check "with the agent's state: exit 0" [ $rc -eq 0 ]
	check "  converged to the policy" converged
	;;
esac
finish
GUEST

# setup_case MODE KIND RULE: what the guest script does in the next boot
setup_case() {
	rm -rf "$work/files/tmp/case"
	vm_file /tmp/case/statedir "$statedir"
	vm_file /tmp/case/kind "$2"
	vm_file /tmp/case/rule "$3"
	vm_file /tmp/case/mode "$1"
	case $2 in
	xfs) rm -f "$work/files${sysconfdir:-/etc}/vpmem/vpmem.json" ;;
	ext4) vm_file /etc/vpmem/vpmem.json '{"namespaces": [{"name": "pmem", "filesystem": "ext4"}]}' ;;
	devdax) vm_file /etc/vpmem/vpmem.json '{"namespaces": [{"name": "dax", "mode": "devdax"}]}' ;;
	esac
}

# fresh_backing NAME SHAPE: a new backing file and state disk; the device in $dev
fresh_backing() {
	rm -f "$work/state.img" "$work/$1.img"
	state_args=$(vm_state_disk)
	case $2 in
	label) dev=$(vm_dimm "$1" 1026M) ;;
	nolabel) dev=nolabel:$(vm_dimm "$1" 1024M) ;;
	esac
}

failed=0 failed_cases=""
# run_case NAME SHAPE KIND RULE: cut at RULE, then recover
run_case() {
	case_name=$1 case_kind=$3 case_rule=$4
	fresh_backing "$case_name" "$2"
	case_dev=$dev
	setup_case cut "$case_kind" "$case_rule"
	if ! vm_extra_args=$state_args vm_cut "$case_name-cut" "$work/test.sh" "$case_dev"; then
		failed=$((failed + 1)) failed_cases="$failed_cases $case_name-cut"
		return
	fi
	setup_case recover "$case_kind" "$case_rule"
	if ! vm_extra_args=$state_args vm_boot "$case_name-recover" "$work/test.sh" "$case_dev"; then
		failed=$((failed + 1)) failed_cases="$failed_cases $case_name-recover"
	fi
	rm -f "$work/$case_name.img"
}

# count_writes SHAPE KIND PROG: how many block-device writes (and syncs)
# PROG makes in a first provisioning here, to cut it early, half way and at
# its end whatever the release of xfsprogs or e2fsprogs
count_writes() {
	name=count-$1-$2
	fresh_backing "$name" "$1"
	setup_case count "$2" "$3/blkwrite:before:count"
	# (this runs in $(...): what it says on failure goes to stderr)
	vm_extra_args=$state_args vm_boot "$name" "$work/test.sh" "$dev" > "$work/$name.out" ||
		{ cat "$work/$name.out" >&2; fail "counting the writes of $3 failed" >&2; }
	rm -f "$work/$name.img"
	n=$(tr -d '\r' < "$work/$name.log" | sed -n "s|^VPMEM-COUNT $3 .* \([0-9][0-9]*\)\$|\1|p" | tail -n 1)
	[ -n "$n" ] && [ "$n" -gt 2 ] || { cat "$work/$name.out" >&2; fail "no count of $3's writes" >&2; }
	echo "$n"
}

cases() {
	a=vpmem-agent
	xl=$(count_writes label xfs mkfs.xfs)
	xn=$(count_writes nolabel xfs mkfs.xfs)
	el=$(count_writes label ext4 mkfs.ext4)
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

cases > "$work/cases"
while read -r name dimm kind rule; do
	# VPMEM_POWER_CASES="l-mkfs n-pfn" runs only the cases whose names start so
	if [ -n "${VPMEM_POWER_CASES:-}" ]; then
		want=false
		for c in $VPMEM_POWER_CASES; do case $name in "$c"*) want=true ;; esac; done
		$want || continue
	fi
	run_case "$name" "$dimm" "$kind" "$rule"
done < "$work/cases"
# named last: a log's tail is what CI shows
[ "$failed" -eq 0 ] || fail "$failed power-loss case(s) failed:$failed_cases"
echo "PASS: every power cut recovered"
