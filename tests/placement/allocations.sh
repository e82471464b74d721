#!/bin/sh
# reserve and release create and remove Placement allocations (merged with
# what the consumer holds elsewhere); allocation candidates see the capacity;
# a reserve Placement refuses is rolled back locally; a crash between the
# ledger and Placement is repaired by the next sync.
. "$(dirname "$0")/lib.sh"
host_config big 2
$H setup 2>/dev/null
$H sync --placement "$url" --provider host-b >/dev/null
rp=$(pl GET "/resource_providers?name=host-b" | json 'd["resource_providers"][0]["uuid"]')

# a reserve naming no provider (or another one) never makes a second provider
before=$($H list --json)
if $H reserve --label big --consumer "$(uuid)" --placement "$url" > "$work/noprovider" 2>&1; then fail "reserve on a provider sync never made succeeded"; fi
cat "$work/noprovider"
grep -q "Placement has no resource provider .*run \"vpmem-host sync\"" "$work/noprovider" &&
	pass "a reserve whose provider does not exist says to run sync" || fail "no provider: unclear error"
[ "$(pl GET /resource_providers | json 'len(d["resource_providers"])')" = 1 ] && pass "  and creates no second provider" ||
	fail "a second provider was created"
[ "$($H list --json)" = "$before" ] && pass "  and the local reservation is rolled back" || fail "no provider: local change"

pl GET "/allocation_candidates?resources=CUSTOM_PMEM_NAMESPACE_BIG:1" | json 'len(d["allocation_requests"])' | grep -qx 1 &&
	pass "allocation candidates for CUSTOM_PMEM_NAMESPACE_BIG:1 find the host" || fail "allocation candidates"

# a consumer that already holds something elsewhere (say, VCPU on a compute node)
cn=$(uuid) vm=$(uuid)
pl POST /resource_providers "{\"name\": \"cn\", \"uuid\": \"$cn\"}" >/dev/null
pl PUT "/resource_providers/$cn/inventories" '{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}}}' >/dev/null
pl PUT "/allocations/$vm" "{\"allocations\": {\"$cn\": {\"resources\": {\"VCPU\": 2}}}, \"project_id\": \"p\", \"user_id\": \"u\", \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}" >/dev/null
$H reserve --label big --consumer "$vm" --placement "$url" --provider host-b >/dev/null || fail "reserve"
a=$(pl GET "/allocations/$vm")
[ "$(echo "$a" | json "d['allocations']['$rp']['resources']")" = "{'CUSTOM_PMEM_NAMESPACE_BIG': 1}" ] && pass "reserve allocated CUSTOM_PMEM_NAMESPACE_BIG: 1" || fail "allocation: $a"
[ "$(echo "$a" | json "d['allocations']['$cn']['resources']")" = "{'VCPU': 2}" ] && pass "merged with the consumer's VCPU allocation, kept" || fail "VCPU lost: $a"
[ "$(echo "$a" | json "d['project_id']")" = p ] && pass "the consumer's project is kept" || fail "project"
pl GET "/allocation_candidates?resources=CUSTOM_PMEM_NAMESPACE_BIG:2" | json 'len(d["allocation_requests"])' | grep -qx 0 &&
	pass "with one of two taken, no candidate for two" || fail "candidates for 2"

# capacity taken behind our back: Placement refuses, the local reservation is rolled back
other=$(uuid)
pl PUT "/allocations/$other" "{\"allocations\": {\"$rp\": {\"resources\": {\"CUSTOM_PMEM_NAMESPACE_BIG\": 1}}}, \"project_id\": \"p\", \"user_id\": \"u\", \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}" >/dev/null
c=$(uuid)
if $H reserve --label big --consumer "$c" --placement "$url" --provider host-b > "$work/refused" 2>&1; then fail "Placement should refuse an over-capacity reserve"; fi
cat "$work/refused"
grep -q "rolled back" "$work/refused" && pass "over capacity: refused by Placement, the command says it rolled back" || fail "no rollback message"
$H list --json | grep -q "$c" && fail "the refused consumer is in the ledger" || pass "the ledger does not hold the refused consumer"
[ "$($H list --json | grep -c '"state": "free"')" -eq 1 ] && pass "the backing is free again locally" || fail "local state after rollback"
pl DELETE "/allocations/$other" >/dev/null

$H release --consumer "$vm" --placement "$url" --provider host-b >/dev/null || fail "release"
a=$(pl GET "/allocations/$vm")
echo "$a" | grep -q "$rp" && fail "release left our allocation: $a" || pass "release removed the pmem part"
[ "$(echo "$a" | json "d['allocations']['$cn']['resources']")" = "{'VCPU': 2}" ] && pass "and only that part" || fail "VCPU gone: $a"

# a crash between the two sides: here, the ledger changed without Placement
c1=$(uuid)
$H reserve --label big --consumer "$c1" >/dev/null     # ledger only (as if killed before Placement)
$H sync --placement "$url" --provider host-b | tee "$work/repair1"
grep -q "$c1: allocation set from the ledger" "$work/repair1" && pass "sync adds the missing allocation and says so" || fail "repair 1"
pl GET "/allocations/$c1" | grep -q CUSTOM_PMEM_NAMESPACE_BIG && pass "Placement has it now" || fail "repair 1 in Placement"
$H release --consumer "$c1" >/dev/null                 # ledger only again
$H sync --placement "$url" --provider host-b | tee "$work/repair2"
grep -q "$c1 holds nothing here any more: allocation removed" "$work/repair2" && pass "sync removes an allocation the ledger no longer has" || fail "repair 2"
pl GET "/allocations/$c1" | grep -q CUSTOM_PMEM_NAMESPACE_BIG && fail "still in Placement" || pass "Placement agrees"

# and a real kill -9 between the two: some kills land between ledger and Placement
kills=0
for i in $(seq 1 15); do
	c=$(uuid)
	delay=$(od -An -N1 -tu1 /dev/urandom | awk '{ printf "%.3f", 0.02 + $1 * 0.3 / 255 }')
	rc=0
	timeout -s KILL "$delay" $H reserve --label big --consumer "$c" --placement "$url" --provider host-b >/dev/null 2>&1 || rc=$?
	[ $rc -eq 137 ] && kills=$((kills + 1))
	$H release --consumer "$c" >/dev/null 2>&1 || true
done
# a run in which no reserve was killed proves nothing about the kills
[ "$kills" -gt 0 ] || fail "none of 15 reserves was killed (delays too long for this machine?)"
echo "($kills of 15 reserves killed)"
$H sync --placement "$url" --provider host-b >/dev/null
held=$(pl GET "/resource_providers/$rp/allocations" | json 'len(d["allocations"])')
[ "$held" = 0 ] && [ "$($H list --json | grep -c '"state": "free"')" -eq 2 ] &&
	pass "after 15 reserves killed at random and a sync, ledger and Placement agree (nothing held)" || fail "after kills: $held in Placement"

# the settings in host.json's "placement" section serve sync, reserve and release alike
printf 'admin\n' > "$work/token"
cat > "$work/host.json" <<JSON
{"layout": [{"label": "big", "backend": "file", "directory": "$work/files", "size": "16M", "count": 2}],
 "placement": {"url": "$url", "provider": "host-b", "token_file": "$work/token"}}
JSON
c=$(uuid)
OS_AUTH_TOKEN= $H reserve --label big --consumer "$c" >/dev/null || fail "reserve with the settings in host.json"
pl GET "/allocations/$c" | grep -q "\"$rp\"" && pass "host.json's placement section: the reserve is recorded on host-b" ||
	fail "the reserve did not reach host-b: $(pl GET "/allocations/$c")"
[ "$(pl GET /resource_providers | json 'len(d["resource_providers"])')" = 2 ] && pass "  on the one provider sync made (beside cn)" ||
	fail "another provider appeared"
c2=$(uuid)
$H reserve --label big --consumer "$c2" --no-placement >/dev/null || fail "reserve --no-placement"
pl GET "/allocations/$c2" | grep -q "$rp" && fail "--no-placement told Placement" || pass "--no-placement keeps Placement out of it"
$H release --consumer "$c2" --no-placement >/dev/null || fail "release --no-placement"
OS_AUTH_TOKEN= $H release --consumer "$c" --json > "$work/released" || fail "release with the settings in host.json"
json '[e["state"] for e in d]' < "$work/released" | grep -qx "\['free'\]" && pass "release --json: the backing, free again" ||
	fail "release --json: $(cat "$work/released")"
pl GET "/allocations/$c" | grep -q "$rp" && fail "release left the allocation" || pass "  and its allocation is gone from Placement"
cat > "$work/bad.json" <<JSON
{"placement": {"url": "placement.example:8778", "parent": "compute-1", "colour": "blue"}}
JSON
before=$($H list --json)
rc=0
"$top_builddir/host/vpmem-host" -c "$work/bad.json" -s "$work/state" reserve --label big --consumer "$(uuid)" > "$work/badconf" 2>&1 || rc=$?
cat "$work/badconf"
[ $rc -eq 2 ] && grep -q '\$.placement.url' "$work/badconf" && grep -q '\$.placement.parent' "$work/badconf" &&
	grep -q '$.placement.colour: unknown key' "$work/badconf" && pass "a bad placement section: exit 2, each problem named by its path" ||
	fail "bad placement section: exit $rc"
[ "$($H list --json)" = "$before" ] && pass "  and nothing changed" || fail "a bad configuration changed the ledger"
