#!/bin/sh
# vpmem-host sync as the shipped vpmem-host-sync.service runs it: a daemon
# (--interval 1) with its settings in host.json's "placement" section and
# the token in a file, built with AddressSanitizer and UBSan, for 60 rounds
# and more against the real Placement, while the world changes under it:
# the token file is rotated (to a token Placement refuses, then back) and
# removed for a while, host.json is changed to another Placement, and that
# Placement is stopped and started again. The daemon lives through all of
# it with no sanitizer report; every request goes to the Placement host.json
# names at the time, for a path of vpmem's; a rotated token is used at the
# next round; a round with nothing to change costs at most 2 requests;
# and at the end Placement's inventory is right.
# (Run by the sanitizer build: ./dev.sh check, make check there.)
. "$(dirname "$0")/lib.sh"
ldd "$top_builddir/host/vpmem-host" | grep -q libasan ||
	fail "the soak wants vpmem-host built with --enable-asan --enable-ubsan (./dev.sh check runs it so)"
unset OS_AUTH_TOKEN

rounds_wanted=${VPMEM_SOAK_ROUNDS:-60}
mkdir -p "$work/files"
printf 'admin\n' > "$work/token"
# conf URL PROVIDER: host.json, written as an operator's editor does (a new
# file renamed over the old)
conf() {
	cat > "$work/host.json.new" <<JSON
{"layout": [{"label": "soak", "backend": "file", "directory": "$work/files", "size": "16M", "count": 3}],
 "placement": {"url": "$1", "provider": "$2", "token_file": "$work/token", "timeout": 5}}
JSON
	mv "$work/host.json.new" "$work/host.json"
}
conf "$url" soak-a
$H setup > /dev/null 2>&1 || fail "setup"
# a second Placement, which host.json names from round N on
port_b=$(free_port)
url_b="http://127.0.0.1:$port_b"
a_pid=$api_pid
placement_start "$work/b" "$port_b"
b_pid=$api_pid

# its metrics too, written at every round (counted under the lock, rendered, replaced)
export VPMEM_METRICS_DIR="$work/textfiles"
mkdir -p "$VPMEM_METRICS_DIR"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$H sync --interval 1 --json > "$work/sync.out" 2> "$work/sync.err" &
daemon=$!

rounds() { grep -c -e "in step with Placement" -e "sync round [0-9]* failed" "$work/sync.err" || true; }
ok_rounds() { grep -c "in step with Placement" "$work/sync.err" || true; }
failed_rounds() { grep -c "sync round [0-9]* failed" "$work/sync.err" || true; }
# until_rounds N: until N rounds in all are done (2 s a round at most)
until_rounds() {
	n=0
	while [ "$(rounds)" -lt "$1" ]; do
		kill -0 "$daemon" 2>/dev/null || { cat "$work/sync.err"; fail "the sync daemon died"; }
		n=$((n + 1)); [ $n -lt $(($1 * 20 + 100)) ] || { cat "$work/sync.err"; fail "no round $1 in time"; }
		sleep 0.1
	done
}
# requests LOG: how many requests the Placement of LOG has answered
requests() { grep -c '"[A-Z]* /[^ ]* HTTP/1.1"' "$1" || true; }

until_rounds 10
[ "$(ok_rounds)" -ge 10 ] && pass "10 rounds, all in step with Placement A" || fail "rounds failed: $(cat "$work/sync.err")"

# the token rotated to one Placement refuses: the next rounds fail with it
printf 'not-the-admin\n' > "$work/token.new" && mv "$work/token.new" "$work/token"
r=$(rounds); f=$(failed_rounds)
until_rounds $((r + 4))
[ "$(failed_rounds)" -gt "$f" ] && grep -q "HTTP 403" "$work/sync.err" &&
	pass "token rotated: the next rounds use the new token (Placement refuses it, HTTP 403)" ||
	fail "a rotated token was not used: $(tail -n 5 "$work/sync.err")"
# the token file gone for a while: an error naming it, the daemon goes on
rm "$work/token"
r=$(rounds)
until_rounds $((r + 3))
grep -q "cannot read the Placement token file $work/token" "$work/sync.err" &&
	pass "the token file gone: each round says which file it cannot read, and the daemon goes on" ||
	fail "no error naming the token file: $(tail -n 5 "$work/sync.err")"
printf 'admin\n' > "$work/token.new" && mv "$work/token.new" "$work/token"
o=$(ok_rounds)
until_rounds $(($(rounds) + 3))
[ "$(ok_rounds)" -gt "$o" ] && pass "the token rotated back: in step again" || fail "not in step after the token came back"

# host.json names Placement B from now on
switch_at=$(rounds)
a_before=$(requests "$work/placement-api.log")
conf "$url_b" soak-b
until_rounds $((switch_at + 6))
a_after=$(requests "$work/placement-api.log")
b_now=$(requests "$work/b/placement-api.log")
echo "Placement A answered $a_after requests, B $b_now"
# (the round under way at the switch may finish on A)
until_rounds $((switch_at + 8))
[ "$(requests "$work/placement-api.log")" = "$a_after" ] && [ "$b_now" -gt 0 ] &&
	pass "host.json changed: every round since asks Placement B, none A" ||
	fail "requests to A after host.json named B: $a_before before, $a_after, then $(requests "$work/placement-api.log")"
rp_b=$(curl -sS -H "X-Auth-Token: admin" -H "OpenStack-API-Version: placement 1.39" "$url_b/resource_providers?name=soak-b" |
	json 'd["resource_providers"][0]["uuid"]')
[ -n "$rp_b" ] && pass "  the provider soak-b was made there ($rp_b)" || fail "no provider soak-b on B"

# Placement B stopped, then started again on its database
api_pid=$b_pid; placement_stop
r=$(rounds); f=$(failed_rounds)
until_rounds $((r + 4))
[ "$(failed_rounds)" -ge $((f + 3)) ] && pass "Placement B stopped: the rounds fail, and the daemon goes on" ||
	fail "rounds with Placement stopped: $(tail -n 5 "$work/sync.err")"
placement_start "$work/b" "$port_b"
b_pid=$api_pid
o=$(ok_rounds)
until_rounds $(($(rounds) + 3))
[ "$(ok_rounds)" -gt "$o" ] && pass "Placement B back: in step again" || fail "not in step after Placement came back"

# nothing changes for ten rounds: each costs one request (the provider's
# generation), by the daemon's count and by Placement's log
until_rounds $(($(rounds) + 2))
quiet_from=$(rounds) b_from=$(requests "$work/b/placement-api.log")
until_rounds $((quiet_from + 10))
b_to=$(requests "$work/b/placement-api.log")
python3 - "$work/sync.out" "$quiet_from" > "$work/quiet" <<'PY'
import json, sys
rounds = [json.loads(l) for l in open(sys.argv[1])]
quiet = [r for r in rounds if r["round"] > int(sys.argv[2])][:10]
print(len(quiet), max(r["requests"] for r in quiet), sum(r["full"] or not r["in_step"] for r in quiet),
      min(r["requests"] for r in rounds if r["full"] and r["in_step"]))
PY
read -r n most unusual full_cost < "$work/quiet"
echo "ten rounds with nothing to change: at most $most request(s) each by the daemon's count, $((b_to - b_from)) in all by Placement's log; a full round: $full_cost requests"
[ "$n" -eq 10 ] && [ "$most" -le 2 ] && [ "$unusual" -eq 0 ] && [ $((b_to - b_from)) -le 20 ] &&
	pass "a round with nothing to change costs at most 2 requests ($most; Placement saw $((b_to - b_from)) in 10 rounds)" ||
	fail "rounds with nothing to change: $(cat "$work/quiet"), Placement saw $((b_to - b_from)) requests in 10"
# a change (a reservation) makes the next round a full one again
c=$(uuid)
$H reserve --label soak --consumer "$c" --no-placement > /dev/null || fail "reserve"
r=$(rounds)
until_rounds $((r + 2))
python3 -c 'import json, sys; r = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]; sys.exit(not any(x["full"] and x["in_step"] for x in r))' "$work/sync.out" "$r" &&
	pass "a reservation made meanwhile: the next round is a full one" || fail "no full round after a reservation"
held=$(curl -sS -H "X-Auth-Token: admin" -H "OpenStack-API-Version: placement 1.39" "$url_b/allocations/$c" |
	json 'd["allocations"].get("'"$rp_b"'", {}).get("resources", {}).get("CUSTOM_PMEM_NAMESPACE_SOAK", 0)')
[ "$held" = 1 ] && pass "  and Placement has its allocation (from the ledger)" || fail "the reservation's allocation: $held"

until_rounds "$rounds_wanted"
kill -TERM "$daemon"
rc=0; wait "$daemon" || rc=$?
tail -n 3 "$work/sync.out" "$work/sync.err"
[ $rc -eq 0 ] && pass "SIGTERM: the daemon stops, exit 0" || fail "the daemon's exit status: $rc"
grep -q "stopped after [0-9]* rounds" "$work/sync.err" && pass "  and says how many rounds it made" || fail "no last word"
echo "rounds: $(rounds) ($(ok_rounds) in step, $(failed_rounds) failed, as the test made them); requests: A $(requests "$work/placement-api.log"), B $(requests "$work/b/placement-api.log")"
[ "$(rounds)" -ge "$rounds_wanted" ] && pass "$(rounds) rounds" || fail "only $(rounds) rounds"
if grep -E "AddressSanitizer|LeakSanitizer|runtime error|UndefinedBehavior" "$work/sync.err"; then
	fail "sanitizer reports (above)"
fi
pass "no sanitizer report in $(rounds) rounds"

# every request was one of vpmem's, with its name and consumer keys escaped
uuid_re='[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}'
cat "$work/placement-api.log" "$work/b/placement-api.log" | sed -n 's/.*"\([A-Z]*\) \(\/[^ ]*\) HTTP\/1.1".*/\1 \2/p' > "$work/requests"
grep -v -e "^GET /\$" \
	-e "^GET /resource_providers?name=soak-[ab]\$" -e "^POST /resource_providers\$" \
	-e "^GET /resource_providers/$uuid_re\(/\(inventories\|usages\|traits\|allocations\)\)\?\$" \
	-e "^PUT /resource_providers/$uuid_re/\(inventories\|traits\)\$" \
	-e "^PUT /\(traits\|resource_classes\)/CUSTOM_PMEM[A-Z0-9_]*\$" \
	-e "^\(GET\|PUT\) /allocations/$uuid_re\$" "$work/requests" > "$work/strange" || true
[ ! -s "$work/strange" ] && pass "all $(wc -l < "$work/requests") requests were vpmem's own" ||
	fail "requests that are not vpmem's: $(sort "$work/strange" | uniq -c | head -n 20)"

# the metrics the daemon wrote at its last round: every round and every failed one counted
prom=$VPMEM_METRICS_DIR/vpmem-host.prom
metric() { awk -v s="$1" '$1 == s { print $2 }' "$prom"; }
[ "$(metric vpmem_host_placement_sync_rounds_total)" = "$(rounds)" ] &&
	pass "the metrics count its $(rounds) rounds" || fail "rounds in the metrics: $(metric vpmem_host_placement_sync_rounds_total), not $(rounds)"
errors=$(awk '$1 ~ /^vpmem_host_placement_sync_errors_total/ { n += $2 } END { print n + 0 }' "$prom")
[ "$errors" = "$(failed_rounds)" ] && [ "$(metric 'vpmem_host_placement_sync_errors_total{kind="auth"}')" -gt 0 ] && pass "  and its $errors failed ones, by kind: $(grep '^vpmem_host_placement_sync_errors_total' "$prom" | awk '$2 > 0 { printf "%s ", $0 }')" ||
	fail "failed rounds in the metrics: $errors, not $(failed_rounds) (or none of the refused token's, kind auth)"
if command -v promtool >/dev/null; then
	promtool check metrics < "$prom" > "$work/lint" 2>&1 && pass "  promtool check metrics passes the file" || { cat "$work/lint"; fail "promtool"; }
fi

# the inventory Placement B ends with
total=$(curl -sS -H "X-Auth-Token: admin" -H "OpenStack-API-Version: placement 1.39" "$url_b/resource_providers/$rp_b/inventories" |
	json 'd["inventories"]["CUSTOM_PMEM_NAMESPACE_SOAK"]["total"]')
[ "$total" = 3 ] && pass "Placement B's inventory at the end: 3 CUSTOM_PMEM_NAMESPACE_SOAK" || fail "inventory at the end: $total"
