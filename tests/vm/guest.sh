# Helpers for the scenario scripts that run inside the test VM (sourced).
set -u
failures=0

# check "what" command...: run it, print PASS/FAIL, count failures
check() {
	what=$1; shift
	if "$@"; then
		echo "PASS: $what"
	else
		echo "FAIL: $what (exit $?)"
		failures=$((failures + 1))
	fi
}

# check_sh "what" 'shell code': evaluated in this shell, so helpers work
check_sh() {
	what=$1; shift
	if eval "$1"; then
		echo "PASS: $what"
	else
		echo "FAIL: $what"
		failures=$((failures + 1))
	fi
}

# check_not "what" command...: the command must fail
check_not() {
	what=$1; shift
	if "$@"; then
		echo "FAIL: $what (it succeeded)"
		failures=$((failures + 1))
	else
		echo "PASS: $what"
	fi
}

# the agent, run as udev/systemd would run it; its messages are kept
agent() {
	echo "+ vpmem-agent $*"
	vpmem-agent "$@"
}

# is_mounted_dax DIR [FSTYPE]: DIR is a mountpoint whose options ask for DAX on
# every file ("dax" or "dax=always"; "dax=never" and "dax=inode" do not), of
# FSTYPE when given. What the kernel made of it: dax_in_effect below.
is_mounted_dax() {
	awk -v m="$1" -v t="${2:-}" '$2 == m && (t == "" || $3 == t) {
		n = split($4, o, ",")
		for (i = 1; i <= n; i++) if (o[i] == "dax" || o[i] == "dax=always") found = 1
	} END { exit !found }' /proc/mounts
}
# dax_in_effect FILE: the kernel reports DAX in effect on the regular file
# FILE (statx STATX_ATTR_DAX, 0x00200000, through xfs_io; kernels from 5.8)
dax_in_effect() {
	attrs=$(xfs_io -r -c "statx -r" "$1" 2>/dev/null | sed -n 's/^stat\.attributes = //p')
	[ -n "$attrs" ] && [ $((attrs & 0x200000)) -ne 0 ]
}
# keep NAME VALUE: for a later boot of the same test, as "kept NAME". It
# leaves the guest on the console (tests/vm/lib.sh carries it): a checksum or
# UUID kept on the device under test would go with a reformat, and an empty
# one would equal an empty one.
keep() {
	if [ -z "$2" ]; then
		echo "FAIL: nothing to keep as $1"
		failures=$((failures + 1))
		return 1
	fi
	echo "VPMEM-KEEP $1 $2"
}
kept() { cat "/kept/$1" 2>/dev/null || echo "(nothing was kept as $1)"; }
fstype_of() { blkid -o value -s TYPE "$1" 2>/dev/null || blkid "$1" | sed -n 's/.*TYPE="\([^"]*\)".*/\1/p'; }
mount_source() { awk -v m="$1" '$2 == m { print $1 }' /proc/mounts; }
count_namespaces() { ls -d /sys/bus/nd/devices/namespace*.* 2>/dev/null | while read -r d; do
	[ "$(cat "$d/size")" != 0 ] && echo "$d"; done | wc -l; }
json_field() { grep -o "\"$1\": *[^,}]*" | head -n 1 | sed 's/.*: *//; s/"//g'; }

# mount_state DIR SERIAL: the state disk the harness made (vm_state_disk)
# with that serial number at DIR
mount_state() {
	modprobe virtio_blk 2>/dev/null
	i=0 dev=""
	while [ $i -lt 100 ]; do
		for s in /sys/block/vd*/serial; do
			[ "$(cat "$s" 2>/dev/null)" = "$2" ] && dev=${s%/serial} && break 2
		done
		sleep 0.1; i=$((i + 1))
	done
	[ -n "$dev" ] || { echo "FAIL: no state disk $2"; failures=$((failures + 1)); return 1; }
	mkdir -p "$1" && mount -t ext4 "/dev/${dev##*/}" "$1"
}

finish() {
	echo "guest: $failures failure(s)"
	[ "$failures" -eq 0 ]
}

# pmd_faults FILE MIB: fallocate FILE (MIB MiB), map it shared and writable,
# write through the mapping, and print how many PMD (huge page: 2 MiB on x86)
# DAX faults the kernel handled, how many fell back to small pages, from the
# fs_dax tracepoint ("NOPAGE", "FALLBACK"), and how many page-size DAX faults
# it handled (dax_pte_fault_done): three numbers
pmd_faults() {
	t=/sys/kernel/tracing
	[ -d $t/events/fs_dax ] || mount -t tracefs nodev $t 2>/dev/null
	echo 0 > $t/tracing_on
	echo > $t/trace
	echo 1 > $t/events/fs_dax/dax_pmd_fault_done/enable
	echo 1 > $t/events/fs_dax/dax_pte_fault_done/enable
	echo 1 > $t/tracing_on
	xfs_io -f -c "falloc 0 ${2}m" -c "mmap -w 0 ${2}m" -c "mwrite -S 0x5a 0 ${2}m" -c munmap "$1" >/dev/null
	echo 0 > $t/tracing_on
	echo 0 > $t/events/fs_dax/dax_pmd_fault_done/enable
	echo 0 > $t/events/fs_dax/dax_pte_fault_done/enable
	echo "$(grep -c 'dax_pmd_fault_done.*NOPAGE' $t/trace) $(grep -c 'dax_pmd_fault_done.*FALLBACK' $t/trace)" \
		"$(grep -c 'dax_pte_fault_done' $t/trace)"
}

# check_pmd_faults MOUNTPOINT: every PMD fault on a file there succeeds: 32
# of 32 on a 64 MiB file where the PMD is 2 MiB (x86, POWER's radix MMU), 8
# of 8 on a 128 MiB file where it is 16 MiB (POWER's hash MMU)
check_pmd_faults() {
	pmd=$(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size 2>/dev/null) ||
		{ check "the kernel has huge pages, for PMD faults on $1" false; return; }
	pmd_mib=$((pmd / 1048576))
	file_mib=$((pmd_mib * 8 > 64 ? pmd_mib * 8 : 64))
	faults=$(pmd_faults "$1/pmd-probe" $file_mib)
	set -- "$1" "${faults% *}"
	echo "$pmd_mib MiB DAX faults on $1: $2 (succeeded, fell back)"
	check "all $((file_mib / pmd_mib)) of $((file_mib / pmd_mib)) $pmd_mib MiB faults on $1 succeed" \
		[ "$2" = "$((file_mib / pmd_mib)) 0" ]
	rm -f "$1/pmd-probe"
}

# region_of SHAPE: the index N of regionN for nvdimm (with a label area),
# nvdimm-nolabel, virtio or e820; fails when there is none
region_of() {
	for r in /sys/bus/nd/devices/region*; do
		case "$(cat "$r/../provider")" in
		ACPI.NFIT)
			nmem=$(cut -d, -f1 "$r/mapping0")
			if grep -qw set_data "/sys/bus/nd/devices/$nmem/commands"; then k=nvdimm; else k=nvdimm-nolabel; fi ;;
		virtio-pmem) k=virtio ;;
		e820) k=e820 ;;
		*) k=other ;;
		esac
		[ "$k" = "$1" ] && { echo "${r##*/region}"; return 0; }
	done
	return 1
}

# region_by_size BYTES: the index N of the region of that size
region_by_size() {
	for r in /sys/bus/nd/devices/region*; do
		[ "$(cat "$r/size")" = "$1" ] && { echo "${r##*/region}"; return 0; }
	done
	return 1
}
