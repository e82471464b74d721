#!/bin/sh
# Crash safety of vpmem-host's ledger: reserve and release, each killed with
# SIGKILL at a random moment, over and over. After every kill the ledger must
# load, and once the interrupted command is run again to completion, every
# consumer holds exactly the backing it was told about and no backing is held
# by two consumers. File backings on this machine; no root, no PMEM needed.
. "$(dirname "$0")/lib.sh"
host_setup ledger
host_layout "[{\"label\": \"K\", \"backend\": \"file\", \"directory\": \"$work/files\", \"size\": \"16M\", \"count\": 6}]"
$H setup 2>/dev/null

held="$work/held"   # consumer uuid, one per line, with the backing it got
: > "$held"
kills=0 rounds=${VPMEM_LEDGER_ROUNDS:-150}

for round in $(seq 1 "$rounds"); do
	# 0.5 to 30 ms: a reserve takes a few ms, a release (erasing 16 MiB) tens:
	# runs are cut at every stage, and some finish
	delay=$(od -An -N1 -tu1 /dev/urandom | awk '{ printf "%.4f", (0.5 + $1 * 30 / 255) / 1000 }')
	if [ "$(wc -l < "$held")" -lt 5 ] && [ $((round % 3)) -ne 0 ]; then
		c=$(uuidgen) cmd="reserve --label K --consumer $c --json"
	elif [ -s "$held" ]; then
		c=$(head -n 1 "$held" | cut -d' ' -f1) cmd="release --consumer $c"
	else
		continue
	fi
	# shellcheck disable=SC2086
	rc=0
	timeout -s KILL "$delay" $H $cmd > /dev/null 2>&1 || rc=$?
	# 137: timeout's SIGKILL landed; any other failure is the command's own
	case $rc in
	0) ;;
	137) kills=$((kills + 1)) ;;
	*) echo "FAIL: round $round: $cmd failed by itself (exit $rc)"; exit 1 ;;
	esac
	$H list --json > "$work/list.json" 2>/dev/null || { echo "FAIL: round $round: the ledger does not load after a kill"; exit 1; }
	# finish what was interrupted (both commands are idempotent)
	# shellcheck disable=SC2086
	out=$($H $cmd 2>/dev/null) || { echo "FAIL: round $round: $cmd failed when run again"; exit 1; }
	case $cmd in
	reserve*) echo "$c $(echo "$out" | sed -n 's/.*"uuid": "\(.*\)",*/\1/p')" >> "$held" ;;
	release*) grep -v "^$c " "$held" > "$held.new" || true; mv "$held.new" "$held" ;;
	esac
	$H list --json > "$work/list.json"
	# what the ledger says each consumer holds is exactly what it was told
	python3 -c 'import json, sys
print("\n".join(sorted(b["consumer"] + " " + b["uuid"] for b in json.load(sys.stdin) if b["state"] == "reserved")))' \
		< "$work/list.json" | sed '/^$/d' > "$work/ledger-held"
	sort "$held" > "$work/told-held"
	cmp -s "$work/ledger-held" "$work/told-held" || { echo "FAIL: round $round: ledger and consumers disagree"; diff "$work/ledger-held" "$work/told-held"; exit 1; }
	[ "$(cut -d' ' -f2 "$work/told-held" | sort -u | wc -l)" -eq "$(wc -l < "$work/told-held")" ] ||
		{ echo "FAIL: round $round: a backing is held twice"; exit 1; }
	! grep -q '"state": "erasing"' "$work/list.json" || { echo "FAIL: round $round: an erase was left unfinished"; exit 1; }
done
# a run in which nothing was killed proves nothing about crash safety
[ "$kills" -gt 0 ] || { echo "FAIL: no command was killed in $rounds rounds"; exit 1; }
echo "PASS: $rounds rounds, $kills commands killed with SIGKILL midway: the ledger always loaded, no reservation was lost, no backing was held twice"
