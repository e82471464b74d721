#!/bin/sh
# sync creates the provider, the custom resource classes, the inventories and
# the traits; a second sync changes nothing; traits others set are kept; a
# concurrent writer bumping the provider generation is survived.
. "$(dirname "$0")/lib.sh"
host_config small-1 3
$H setup 2>/dev/null

$H sync --placement "$url" --provider host-a | tee "$work/sync1"
rp=$(pl GET "/resource_providers?name=host-a" | json 'd["resource_providers"][0]["uuid"]')
[ -n "$rp" ] && pass "the provider host-a exists ($rp)" || fail "no provider"
pl GET /resource_classes/CUSTOM_PMEM_NAMESPACE_SMALL_1 | grep -q CUSTOM_PMEM_NAMESPACE_SMALL_1 && pass "the resource class exists, normalised as Nova does" || fail "resource class"
inv=$(pl GET "/resource_providers/$rp/inventories")
[ "$(echo "$inv" | json 'sorted(d["inventories"]["CUSTOM_PMEM_NAMESPACE_SMALL_1"].items())')" = "[('allocation_ratio', 1.0), ('max_unit', 3), ('min_unit', 1), ('reserved', 0), ('step_size', 1), ('total', 3)]" ] &&
	pass "inventory: total = max_unit = 3, min_unit 1, step 1, reserved 0, ratio 1.0" || fail "inventory: $inv"
traits=$(pl GET "/resource_providers/$rp/traits" | json 'sorted(d["traits"])')
[ "$traits" = "['CUSTOM_PMEM', 'CUSTOM_PMEM_NAMESPACE_SMALL_1']" ] && pass "traits CUSTOM_PMEM and CUSTOM_PMEM_NAMESPACE_SMALL_1" || fail "traits: $traits"

gen=$(pl GET "/resource_providers/$rp" | json 'd["generation"]')
$H sync --placement "$url" --provider host-a | tee "$work/sync2"
[ ! -s "$work/sync2" ] && pass "a second sync prints no change" || fail "a second sync changed something"
[ "$(pl GET "/resource_providers/$rp" | json 'd["generation"]')" = "$gen" ] && pass "and the generation is still $gen" || fail "generation moved"

# traits others set stay
pl PUT /traits/CUSTOM_OTHER_SERVICE >/dev/null
g=$(pl GET "/resource_providers/$rp" | json 'd["generation"]')
pl PUT "/resource_providers/$rp/traits" "{\"traits\": [\"CUSTOM_OTHER_SERVICE\"], \"resource_provider_generation\": $g}" >/dev/null
$H sync --placement "$url" --provider host-a
pl GET "/resource_providers/$rp/traits" | json 'sorted(d["traits"])' | grep -q "CUSTOM_OTHER_SERVICE', 'CUSTOM_PMEM', 'CUSTOM_PMEM_NAMESPACE_SMALL_1" &&
	pass "another service's trait is kept, ours are back" || fail "traits after another writer"

# a concurrent writer: aggregates rewritten in a loop, each bumping the generation
agg=$(uuid)
(
	for i in $(seq 1 60); do
		g=$(pl GET "/resource_providers/$rp" | json 'd["generation"]')
		pl PUT "/resource_providers/$rp/aggregates" "{\"aggregates\": [\"$agg\"], \"resource_provider_generation\": $g}" >/dev/null
	done
) &
writer=$!
for i in 1 2 3 4 5 6 7; do
	host_config small-1 $((i % 2 + 2))
	$H sync --placement "$url" --provider host-a > "$work/sync-c.$i" 2>&1 || { cat "$work/sync-c.$i"; fail "sync under a concurrent writer"; }
	# each one landed, not only the last: the totals alternate
	total=$(pl GET "/resource_providers/$rp/inventories" | json 'd["inventories"]["CUSTOM_PMEM_NAMESPACE_SMALL_1"]["total"]')
	[ "$total" = $((i % 2 + 2)) ] || fail "sync $i under a concurrent writer: the total is $total, not $((i % 2 + 2))"
done
wait "$writer"
pass "seven syncs (totals 3, 2, 3...) under a concurrent writer each landed"
pl GET "/resource_providers/$rp/aggregates" | grep -q "$agg" && pass "the other writer's aggregate is there too" || fail "aggregate lost"

# a parent: a provider created as a child of the compute node provider
cn=$(uuid)
pl POST /resource_providers "{\"name\": \"compute-1\", \"uuid\": \"$cn\"}" >/dev/null
$H sync --placement "$url" --provider compute-1-pmem --parent "$cn" >/dev/null
[ "$(pl GET "/resource_providers?name=compute-1-pmem" | json 'd["resource_providers"][0]["parent_provider_uuid"]')" = "$cn" ] &&
	pass "--parent makes the provider a child of the compute node" || fail "parent"

# a compute node whose Nova reports the same class itself (pmem_namespaces): sync refuses to double it
gen=$(pl GET "/resource_providers/$cn" | json 'd["generation"]')
pl PUT "/resource_providers/$cn/inventories" "{\"resource_provider_generation\": $gen, \"inventories\": {\"CUSTOM_PMEM_NAMESPACE_SMALL_1\": {\"total\": 3}}}" >/dev/null ||
	fail "giving the compute node a PMEM inventory"
pl GET "/resource_providers/$cn/inventories" | grep -q CUSTOM_PMEM_NAMESPACE_SMALL_1 || fail "the compute node has no PMEM inventory"
prp=$(pl GET "/resource_providers?name=compute-1-pmem" | json 'd["resource_providers"][0]["uuid"]')
before=$(pl GET "/resource_providers/$prp/inventories")
rc=0
$H sync --placement "$url" --provider compute-1-pmem --parent "$cn" > "$work/double" 2>&1 || rc=$?
cat "$work/double"
[ $rc -eq 1 ] && grep -q "already has CUSTOM_PMEM_NAMESPACE_SMALL_1 (Nova reports it" "$work/double" &&
	pass "sync refuses a class the compute node's provider has already (Nova's)" || fail "double publication: exit $rc"
[ "$(pl GET "/resource_providers/$prp/inventories")" = "$before" ] && pass "  and changes nothing in Placement" ||
	fail "the refused sync changed the inventory"
