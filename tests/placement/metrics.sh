#!/bin/sh
# vpmem-host's metrics as an operator's Prometheus reads them: the real
# prometheus-node-exporter on loopback with its textfile collector reading
# the directory vpmem-host writes to (VPMEM_METRICS_DIR), scraped over HTTP
# after a setup, a sync, a reserve, a release refused because a process has
# the backing open, a release that erases, a sync Placement does not answer,
# and rounds of the sync daemon. Every value is the one the ledger, the
# erase and Placement's answers must give; the file passes promtool.
. "$(dirname "$0")/lib.sh"
command -v prometheus-node-exporter >/dev/null || skip "prometheus-node-exporter is not installed"
command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"

export VPMEM_METRICS_DIR="$work/textfiles"
mkdir -p "$VPMEM_METRICS_DIR"
ne_port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$VPMEM_METRICS_DIR" > "$work/node-exporter.log" 2>&1 &
api_all="$api_all $!"
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$ne_port/metrics"; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/node-exporter.log"; fail "node_exporter did not start"; }
	sleep 0.1
done
pass "prometheus-node-exporter $(prometheus-node-exporter --version 2>&1 | sed -n 's/.*version \([^ ]*\).*/\1/p;q') on 127.0.0.1:$ne_port"

# scrape: the series of vpmem-host node_exporter serves now
scrape() { curl -sf "http://127.0.0.1:$ne_port/metrics" > "$work/scrape" || fail "scrape"; }
# value SERIES: its value in the last scrape, as node_exporter writes it ("none" when absent)
value() { awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print "none" }' "$work/scrape"; }
# expect SERIES VALUE WHAT: the value is VALUE, as a number (node_exporter writes 16 MiB as 1.6777216e+07)
expect() {
	v=$(value "$1")
	[ "$v" != none ] && awk -v a="$v" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0) }' && pass "$3: $1 $v" ||
		{ grep "^vpmem_host" "$work/scrape"; fail "$3: $1 is $v, not $2"; }
}
lint() {
	promtool check metrics < "$VPMEM_METRICS_DIR/vpmem-host.prom" > "$work/lint" 2>&1 ||
		{ cat "$work/lint"; fail "promtool check metrics after $1"; }
	pass "  promtool check metrics passes the file after $1"
}

host_config sixteen 3
$H setup > /dev/null 2>&1 || fail "setup"
scrape
expect 'node_textfile_scrape_error' 0 "node_exporter reads the file without error"
expect 'vpmem_host_backings{label="sixteen",state="free"}' 3 "setup: three free"
expect 'vpmem_host_backings{label="sixteen",state="reserved"}' 0 "  none reserved"
expect 'vpmem_host_placement_sync_rounds_total' 0 "  no sync yet"
lint setup

before=$(date +%s)
$H sync --placement "$url" --provider host-m > /dev/null || fail "sync"
scrape
expect 'vpmem_host_placement_sync_rounds_total' 1 "a sync: one round"
expect 'vpmem_host_placement_sync_in_step' 1 "  in step"
requests=$(value vpmem_host_placement_sync_requests | awk '{ printf "%d", $1 }')
[ "$requests" -gt 1 ] && expect vpmem_host_placement_sync_requests_total "$requests" "  the requests of every round so far" &&
	pass "  its requests: $requests (a first round makes the provider, classes, inventory, traits)" ||
	fail "requests: $requests"
ls_=$(value vpmem_host_placement_sync_last_success_timestamp_seconds)
python3 -c "import sys; t = float(sys.argv[1]); sys.exit(0 if $before <= t <= $(date +%s) + 1 else 1)" "$ls_" &&
	pass "  the last success is now: $ls_" || fail "last success $ls_ not between $before and now"
# the Placement server's log has a line per request: the count is Placement's, not ours
served=$(grep -c '" status: ' "$work/placement-api.log" || true)
[ "$served" -ge "$requests" ] && pass "  Placement's own log has $served requests" ||
	fail "Placement logged $served requests, fewer than $requests"

c=$(uuid)
f=$($H reserve --label sixteen --consumer "$c" --placement "$url" --provider host-m --json |
	sed -n 's/.*"path": "\(.*\)",*/\1/p')
[ -n "$f" ] || fail "reserve"
scrape
expect 'vpmem_host_backings{label="sixteen",state="reserved"}' 1 "a reserve"
expect 'vpmem_host_backings{label="sixteen",state="free"}' 2 "  two free left"
lint reserve

# a running guest has its backing open: the release is refused and counted
sleep 300 < "$f" &
holder=$!
api_all="$api_all $holder"
if $H release --consumer "$c" --placement "$url" --provider host-m > "$work/out" 2>&1; then
	fail "release of a backing in use succeeded"
fi
scrape
expect 'vpmem_host_in_use_refusals_total{label="sixteen"}' 1 "a release refused (in use by process $holder)"
expect 'vpmem_host_backings{label="sixteen",state="reserved"}' 1 "  still reserved"
expect 'vpmem_host_erase_duration_seconds_count{label="sixteen"}' 0 "  nothing erased"
kill "$holder"
wait "$holder" 2>/dev/null || true

$H release --consumer "$c" --placement "$url" --provider host-m > "$work/out" 2>&1 || { cat "$work/out"; fail "release"; }
cat "$work/out"
scrape
expect 'vpmem_host_erase_duration_seconds_count{label="sixteen"}' 1 "a release erases"
expect 'vpmem_host_erase_verified_bytes_total{label="sixteen"}' 16777216 "  16 MiB proven zero"
expect 'vpmem_host_erase_failures_total{label="sixteen"}' 0 "  no failure"
expect 'vpmem_host_backings{label="sixteen",state="free"}' 3 "  three free again"
secs=$(value 'vpmem_host_erase_duration_seconds_sum{label="sixteen"}')
said=$(sed -n 's/.* in \([0-9.]*\) s, .*/\1/p' "$work/out")
python3 -c "import sys; sys.exit(0 if 0 < float(sys.argv[1]) and abs(float(sys.argv[1]) - float(sys.argv[2])) < 0.0015 else 1)" "$secs" "$said" &&
	pass "  its duration, $secs s, is the one the release logged ($said s)" || fail "erase seconds $secs, logged $said"
written=$(value 'vpmem_host_erase_written_bytes_total{label="sixteen"}' | awk '{ printf "%d", $1 }')
[ "$written" -ge 0 ] && [ "$written" -le 16777216 ] && pass "  $written bytes written" || fail "written $written"
lint release

# Placement does not answer: the round fails, by kind
dead=$(free_port)
if $H sync --placement "http://127.0.0.1:$dead" --provider host-m > "$work/out" 2>&1; then fail "sync with no Placement"; fi
scrape
expect 'vpmem_host_placement_sync_rounds_total' 2 "a sync Placement does not answer"
expect 'vpmem_host_placement_sync_errors_total{kind="unreachable"}' 1 "  an error of kind unreachable"
expect 'vpmem_host_placement_sync_in_step' 0 "  not in step"
[ "$(value vpmem_host_placement_sync_last_success_timestamp_seconds)" = "$ls_" ] &&
	pass "  the last success is still the first sync's" || fail "last success moved"
lint "a failed sync"

# the daemon: a round a second; a round with nothing to change costs one request
$H sync --placement "$url" --provider host-m --interval 1 > "$work/daemon" 2>&1 &
daemon=$!
api_all="$api_all $daemon"
i=0
while [ "$(grep -c 'in step with Placement' "$work/daemon")" -lt 4 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
kill "$daemon"
wait "$daemon" 2>/dev/null || true
rounds=$(grep -c 'in step with Placement' "$work/daemon")
scrape
expect 'vpmem_host_placement_sync_rounds_total' $((2 + rounds)) "$rounds rounds of the daemon counted"
expect 'vpmem_host_placement_sync_in_step' 1 "  in step again"
expect 'vpmem_host_placement_sync_requests' 1 "  its last round: one request (nothing changed)"
expect 'vpmem_host_placement_sync_errors_total{kind="unreachable"}' 1 "  the earlier error still counted"
lint "the daemon"

# without a directory: nothing written, nothing fails
VPMEM_METRICS_DIR="$work/none" $H reserve --label sixteen --consumer "$(uuid)" > "$work/out" 2>&1 ||
	{ cat "$work/out"; fail "reserve with a missing metrics directory"; }
grep -q "$work/none (VPMEM_METRICS_DIR) does not exist" "$work/out" && [ ! -e "$work/none" ] &&
	pass "a metrics directory that does not exist: said, not made, the command succeeds" || fail "missing directory: $(cat "$work/out")"
