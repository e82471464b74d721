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

is_mounted_dax() { grep -q " $1 .*dax" /proc/mounts; }
fstype_of() { blkid -o value -s TYPE "$1" 2>/dev/null || blkid "$1" | sed -n 's/.*TYPE="\([^"]*\)".*/\1/p'; }
mount_source() { awk -v m="$1" '$2 == m { print $1 }' /proc/mounts; }
count_namespaces() { ls -d /sys/bus/nd/devices/namespace*.* 2>/dev/null | while read -r d; do
	[ "$(cat "$d/size")" != 0 ] && echo "$d"; done | wc -l; }
json_field() { grep -o "\"$1\": *[^,}]*" | head -n 1 | sed 's/.*: *//; s/"//g'; }

finish() {
	echo "guest: $failures failure(s)"
	[ "$failures" -eq 0 ]
}
