#!/bin/sh
# Injected faults, each on a fresh NVDIMM of its own: /run read-only or
# full, a libndctl call failing at each step, read errors and short reads
# from the block device, mkfs killed by a signal, libmount failing. Each
# run gives one clear error naming the step and the device, exits 1, and
# changes nothing it should not; the next run without the fault converges.
# The faults come from tests/vm/faultshim.c (LD_PRELOAD), or are real (/run
# remounted read-only, /run filled up).
. "$(dirname "$0")/lib.sh"
vm_setup

cat > "$work/test.sh" <<'GUEST'
shim=/usr/lib/vpmem-test/faultshim.so
set -- $(ls /sys/bus/nd/devices | sed -n 's/^region\([0-9]*\)$/\1/p' | sort -n)

# what a region holds: namespaces, signatures, mounts
snapshot() {
	ndctl list -r "region$1" -N
	for d in /dev/pmem$1 /dev/pmem$1.*; do [ -b "$d" ] && echo "$d: $(blkid -p "$d" 2>&1)"; done
	grep " /mnt/pmem$1 " /proc/mounts
}

# half_made REGION: namespaces with capacity and pfn devices bound to one,
# active or not, as sysfs has them (ndctl list -N shows only active ones)
half_made() {
	for d in /sys/bus/nd/devices/namespace$1.*; do
		[ -e "$d/size" ] && [ "$(cat "$d/size")" != 0 ] && echo "$d"
	done
	for d in /sys/bus/nd/devices/pfn$1.*; do
		[ -e "$d/namespace" ] && grep -q . "$d/namespace" && echo "$d"
	done
}

# with_fault NAME REGION RULE: apply the region with the fault; rc in $rc
with_fault() {
	echo "--- $1: region$2, fault $3"
	VPMEM_SHIM=$3 LD_PRELOAD=$shim vpmem-agent apply "region$2" > "/tmp/$1.out" 2>&1
	rc=$?
	sed "s/^/[$1] /" "/tmp/$1.out"
}

# failed_clearly NAME REGION WORDS...: exit 1, and one error, naming the region (or PATH) and the cause
failed_clearly() {
	name=$1 subject=$2
	shift 2
	check "$name: exit 1" [ "$rc" -eq 1 ]
	check "  one error" [ "$(grep -c 'error:' "/tmp/$name.out")" -eq 1 ]
	for w in "$subject" "$@"; do
		check_sh "  it names \"$w\"" "grep 'error:' /tmp/$name.out | grep -qF -e '$w'"
	done
}

# recovers NAME REGION: the next run, without the fault, converges
recovers() {
	vpmem-agent apply "region$2" > "/tmp/$1.again" 2>&1
	again=$?
	sed "s/^/[$1, again] /" "/tmp/$1.again"
	check "  the next run converges: exit 0" [ "$again" -eq 0 ]
	check "  /mnt/pmem$2 is mounted with DAX" is_mounted_dax "/mnt/pmem$2"
}

# /run read-only: the lock cannot be taken, nothing is touched
r=$1; shift
before=$(snapshot "$r")
mount -o remount,ro /run
with_fault run-read-only "$r" ""
failed_clearly run-read-only /run/vpmem "Read-only file system"
check_sh "  nothing changed" '[ "$(snapshot "$r")" = "$before" ]'
mount -o remount,rw /run
recovers run-read-only "$r"

# /run full: provisioning is done, its status cannot be written, and says so
r=$1; shift
dd if=/dev/zero of=/run/fill bs=64k 2>/dev/null
with_fault run-full "$r" ""
failed_clearly run-full /run/vpmem/status.json "No space left on device"
rm -f /run/fill
recovers run-full "$r"

# libndctl failing at each step
for step in ndctl_region_disable_invalidate:EBUSY ndctl_dimm_init_labels:EIO ndctl_region_enable:EIO \
	ndctl_namespace_set_uuid:EINVAL ndctl_namespace_set_size:ENOSPC ndctl_pfn_set_namespace:EBUSY \
	ndctl_pfn_enable:ENXIO; do
	r=$1; shift
	fn=${step%:*} err=${step#*:}
	before=$(snapshot "$r")
	with_fault "$fn" "$r" "vpmem-agent/$fn:before:fail=$err"
	case $err in
	EBUSY) why="Device or resource busy" ;; EIO) why="Input/output error" ;; EINVAL) why="Invalid argument" ;;
	ENOSPC) why="No space left on device" ;; ENXIO) why="No such device or address" ;;
	esac
	failed_clearly "$fn" "region$r" "$why"
	case $fn in
	ndctl_region_disable_invalidate|ndctl_dimm_init_labels)
		check_sh "  nothing changed" '[ "$(snapshot "$r")" = "$before" ]' ;;
	ndctl_region_enable)
		# the labels are written, the region could not be enabled again: it says so, and how
		check "  it says the region is left disabled, and what enables it" \
			grep -qF "left disabled (\"ndctl enable-region region$r\")" "/tmp/$fn.out"
		check "  it is disabled" [ ! -e "/sys/bus/nd/devices/region$r/driver" ]
		# the agent disabled it: the next run enables it again (disabled.h), and converges (below)
		check "  the record that the agent disabled it is kept" [ -s "/run/vpmem/disabled/region$r" ] ;;
	*)
		check "  it left no half-made namespace" [ -z "$(half_made "$r")" ] ;;
	esac
	recovers "$fn" "$r"
	if [ "$fn" = ndctl_region_enable ]; then
		check "  it enabled the region the agent had left disabled, and said so" \
			grep -q "region$r: enabled again: an earlier run of the agent disabled it" "/tmp/$fn.again"
	fi
done

# the block device: read errors and short reads, before mkfs
r=$1; shift
with_fault read-error "$r" "vpmem-agent/blkread@/dev/pmem:before:fail=EIO"
failed_clearly read-error "/dev/pmem$r" "Input/output error" "left as it is"
check "  nothing was made on it" sh -c "[ -b /dev/pmem$r ] && ! blkid -p /dev/pmem$r"
recovers read-error "$r"

# a read that returns less than asked is read on, not taken for the end
r=$1; shift
with_fault short-reads "$r" "vpmem-agent/blkread@/dev/pmem:before:short"
check "short-reads: every read short, and read on: exit 0" [ "$rc" -eq 0 ]
check "  /mnt/pmem$r is mounted with DAX" is_mounted_dax "/mnt/pmem$r"

# a device that ends before its size: data, never "empty"
r=$1; shift
with_fault early-end "$r" "vpmem-agent/blkread@/dev/pmem:before:eof"
failed_clearly early-end "/dev/pmem$r" "short read" "left as it is"
check "  nothing was made on it" sh -c "[ -b /dev/pmem$r ] && ! blkid -p /dev/pmem$r"
recovers early-end "$r"

# mkfs killed part way: the next run knows its own half-made filesystem
r=$1; shift
with_fault mkfs-killed "$r" "mkfs.xfs/blkwrite#20:before:kill=9"
failed_clearly mkfs-killed "/dev/pmem$r" "killed by signal 9"
check "  not mounted" sh -c "! grep -q ' /mnt/pmem$r ' /proc/mounts"
recovers mkfs-killed "$r"
check "  it made the filesystem again, as its own" grep -q "cut short: making it again" /tmp/mkfs-killed.again

# libmount cannot be loaded, or mount(2) fails inside it
r=$1; shift
with_fault libmount-missing "$r" "vpmem-agent/dlopen@libmount:before:fail=ENOENT"
failed_clearly libmount-missing "/dev/pmem$r" "cannot mount"
recovers libmount-missing "$r"

r=$1; shift
with_fault mount-fails "$r" "vpmem-agent/mount@/dev/pmem:before:fail=EBUSY"
failed_clearly mount-fails "/dev/pmem$r" "cannot mount" "busy"
recovers mount-fails "$r"
finish
GUEST

dimms=""
for i in $(seq 1 15); do dimms="$dimms $(vm_dimm "d$i" 1026M)"; done
# shellcheck disable=SC2086 # a list of backing files
vm_boot faults "$work/test.sh" $dimms
