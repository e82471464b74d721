#!/bin/sh
# release and erase never erase a backing that a process still has open or
# mapped (a guest still running after "detach", a QEMU started by hand):
# they name the process, exit 1 and change nothing; once it has gone, they
# erase.
. "$(dirname "$0")/lib.sh"
holder=""
host_cleanup() { [ -z "$holder" ] || kill "$holder" 2>/dev/null || true; }
host_setup inuse
host_layout "[{\"label\": \"F\", \"backend\": \"file\", \"directory\": \"$work/files\", \"size\": \"16M\", \"count\": 1}]"
$H setup 2>/dev/null
c=$(cat /proc/sys/kernel/random/uuid)
f=$($H reserve --label F --consumer "$c" --json | sed -n 's/.*"path": "\(.*\)",*/\1/p')
printf 'guest data' | dd of="$f" conv=notrunc status=none

# a process with the backing open, as QEMU has it (mapped, here: open)
sleep 300 < "$f" &
holder=$!
before=$($H list --json)
rc=0
$H release --consumer "$c" > "$work/out" 2>&1 || rc=$?
cat "$work/out"
[ $rc -eq 1 ] && grep -q "in use by process $holder (sleep)" "$work/out" &&
	pass "release of a backing a process has open: exit 1, the process named" || fail "release in use: exit $rc"
[ "$($H list --json)" = "$before" ] && [ "$(head -c 10 "$f")" = "guest data" ] &&
	pass "  nothing changed, nothing erased" || fail "a refused release changed something"
kill "$holder"
wait "$holder" 2>/dev/null || true
holder=""
$H release --consumer "$c" >/dev/null 2>&1 && pass "once it has gone, release erases" || fail "release after the holder went"
cmp -s -n 16777216 "$f" /dev/zero && pass "  the data is gone" || fail "not erased"

# erase --uuid of a free backing someone maps: python maps it shared, as QEMU does
u=$($H list --json | sed -n 's/.*"uuid": "\(.*\)",*/\1/p' | head -n 1)
python3 -c 'import mmap, sys, time
f = open(sys.argv[1], "r+b"); m = mmap.mmap(f.fileno(), 4096); f.close()
print("mapped", flush=True); time.sleep(300)' "$f" > "$work/mapped" &
holder=$!
i=0
while ! grep -q mapped "$work/mapped" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rc=0
$H erase --uuid "$u" > "$work/out" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q "in use by process $holder" "$work/out" &&
	pass "erase of a backing a process maps (its file closed): exit 1, the process named" || fail "erase mapped: exit $rc: $(cat "$work/out")"
