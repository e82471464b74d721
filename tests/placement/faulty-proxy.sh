#!/bin/sh
# vpmem-host through a faulty Placement: a proxy on loopback that answers
# 409 or 500, resets connections (also after the request took effect),
# or answers garbage, at random. Many cycles of reserve, release and sync
# through it: after each, the ledger holds no backing twice and Placement
# never holds more than there is; at the end, one sync straight to
# Placement makes the ledger and Placement agree exactly.
. "$(dirname "$0")/lib.sh"
host_config f 4
$H setup 2>/dev/null
$H sync --placement "$url" --provider host-f >/dev/null || fail "the first sync failed"
rp=$(pl GET "/resource_providers?name=host-f" | json 'd["resource_providers"][0]["uuid"]')

seed=${VPMEM_PROXY_SEED:-$(date +%s)}
cycles=${VPMEM_PROXY_CYCLES:-60}
echo "seed $seed, $cycles cycles (VPMEM_PROXY_SEED=$seed repeats this run)"
python3 "$top_srcdir/tests/placement/faulty-proxy.py" "$url" "$seed" 0.12 "$work/fates" > "$work/proxy.port" &
proxy_pid=$!
n=0
while [ ! -s "$work/proxy.port" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
[ -s "$work/proxy.port" ] || fail "the proxy did not start"
proxy="http://127.0.0.1:$(cat "$work/proxy.port")"
P="--placement $proxy --provider host-f --timeout 5"

# the ledger: each backing one consumer at most, each consumer one backing
ledger_sound() {
	$H list --json | python3 -c '
import json, sys
held = [b["consumer"] for b in json.load(sys.stdin) if b["consumer"]]
dup = {c for c in held if held.count(c) > 1}
sys.exit("a consumer holds two backings: %s" % dup if dup else 0)'
}
# Placement never holds more of ours than there is
placement_sound() {
	used=$(pl GET "/resource_providers/$rp/usages" | json 'd["usages"].get("CUSTOM_PMEM_NAMESPACE_F", 0)')
	[ "$used" -le 4 ]
}

python3 -c "
import random
r = random.Random($seed)
print('\n'.join(r.choice(['reserve', 'reserve', 'release', 'sync']) for _ in range($cycles)))" > "$work/ops"
ok=0 failed=0 cycle=0
while read -r op; do
	cycle=$((cycle + 1))
	case $op in
	reserve) $H reserve --label f --consumer "$(uuid)" $P > "$work/out" 2>&1 ;;
	release)
		c=$($H list --json | python3 -c 'import json, sys; h = [b["consumer"] for b in json.load(sys.stdin) if b["consumer"]]; print(h[0] if h else "")')
		[ -n "$c" ] || continue
		$H release --consumer "$c" $P > "$work/out" 2>&1 ;;
	sync) $H sync $P > "$work/out" 2>&1 ;;
	esac && ok=$((ok + 1)) || { failed=$((failed + 1)); grep "error" "$work/out" | sed "s/[0-9a-f-]\{36\}/UUID/g" >> "$work/errors"; }
	# a failure says what failed, in one line at least, and never with a crash
	if grep -q "Segmentation\|Aborted\|AddressSanitizer\|runtime error" "$work/out"; then
		cat "$work/out"; fail "cycle $cycle ($op): vpmem-host crashed"
	fi
	ledger_sound || { cat "$work/out"; fail "cycle $cycle ($op): the ledger is unsound"; }
	placement_sound || fail "cycle $cycle ($op): Placement holds more than there is"
done < "$work/ops"
echo "cycles: $ok succeeded, $failed failed through the proxy; fates: $(cat "$work/fates")"
echo "what the failures said:"
sort "$work/errors" | uniq -c | sort -rn
kill "$proxy_pid" 2>/dev/null || true
[ "$failed" -gt 0 ] || fail "no command failed: the proxy injected nothing"
[ "$ok" -gt 0 ] || fail "no command succeeded through the proxy"

# one sync straight to Placement: then both agree exactly
$H sync --placement "$url" --provider host-f > "$work/final" 2>&1 || { cat "$work/final"; fail "the final sync failed"; }
cat "$work/final"
$H list --json | python3 -c '
import json, sys
print("\n".join(sorted(b["consumer"] for b in json.load(sys.stdin) if b["consumer"])))' > "$work/ledger"
pl GET "/resource_providers/$rp/allocations" | python3 -c '
import json, sys
a = json.load(sys.stdin)["allocations"]
for c, v in a.items():
    n = v["resources"].get("CUSTOM_PMEM_NAMESPACE_F", 0)
    if n != 1:
        sys.exit("%s holds %d in Placement" % (c, n))
print("\n".join(sorted(a)))' > "$work/placement" || fail "Placement holds a consumer twice"
if diff "$work/ledger" "$work/placement"; then
	pass "after $cycles faulty cycles and one sync, the ledger and Placement agree ($(wc -l < "$work/ledger") holders)"
else
	fail "the ledger and Placement disagree (above: - ledger, + Placement)"
fi
pl GET "/resource_providers/$rp/inventories" | json 'd["inventories"]["CUSTOM_PMEM_NAMESPACE_F"]["total"]' | grep -qx 4 &&
	pass "the inventory is right" || fail "the inventory is wrong"
