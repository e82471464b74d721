#!/bin/sh
# Backings the ledger does not know are "unverified": never handed out, never
# counted as capacity, never touched, until "erase" makes them empty and
# verifies it. Files setup creates itself are provably empty (allocated, never
# written) and free at once.
. "$(dirname "$0")/lib.sh"
host_setup unverified
host_layout "[{\"label\": \"F\", \"backend\": \"file\", \"directory\": \"$work/files\", \"size\": \"16M\", \"count\": 2}]"
# this test chooses the ledger's directory itself
H="$bin -c $work/host.json"
count() { $H -s "$1" list --json | grep -c "\"state\": \"$2\"" || true; }

$H -s "$work/state" setup 2>/dev/null
[ "$(count "$work/state" free)" -eq 2 ] && pass "files setup made are free at once" || fail "setup's files are not free"
c=$(cat /proc/sys/kernel/random/uuid)
f=$($H -s "$work/state" reserve --label F --consumer "$c" --json | sed -n 's/.*"path": "\(.*\)",*/\1/p')
printf 'a tenant wrote this' | dd of="$f" conv=notrunc status=none
sum=$(sha256sum < "$f")

for case in "the ledger lost:$work/state" "another --state-dir:$work/elsewhere"; do
	what=${case%%:*} state=${case#*:}
	[ "$what" = "the ledger lost" ] && mv "$work/state/ledger.json" "$work/ledger.saved"
	$H -s "$state" list
	[ "$(count "$state" unverified)" -eq 2 ] && pass "$what: both files are unverified" || fail "$what: $($H -s "$state" list)"
	rc=0
	$H -s "$state" reserve --label F --consumer "$(cat /proc/sys/kernel/random/uuid)" > "$work/out" 2>&1 || rc=$?
	[ $rc -eq 1 ] && grep -q "unverified" "$work/out" && pass "$what: reserve hands none out, and says why" ||
		fail "$what: reserve exit $rc: $(cat "$work/out")"
	inv=$($H -s "$state" inventory --json) || fail "$what: inventory failed"
	printf '%s' "$inv" | grep -q CUSTOM_PMEM_NAMESPACE_F && fail "$what: unverified backings counted" ||
		pass "$what: no capacity published"
	[ "$(sha256sum < "$f")" = "$sum" ] && pass "$what: the tenant's data is untouched" || fail "$what: data changed"
done

$H -s "$work/elsewhere" erase --unverified --json > "$work/erased" || fail "erase --unverified"
[ "$(grep -c '"state": "free"' "$work/erased")" -eq 2 ] && pass "erase --unverified: both erased, verified, free" ||
	fail "erase --unverified: $(cat "$work/erased")"
cmp -s "$f" /dev/zero -n 16777216 && pass "the tenant's data is gone" || fail "the file still holds data"
$H -s "$work/elsewhere" reserve --label F --consumer "$c" >/dev/null && pass "and a backing is handed out again" ||
	fail "reserve after the erase"
rc=0
$H -s "$work/elsewhere" erase --unverified --uuid "$c" > "$work/out" 2>&1 || rc=$?
[ $rc -eq 2 ] && pass "erase takes --uuid or --unverified, not both" || fail "erase with both: exit $rc"
