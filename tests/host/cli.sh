#!/bin/sh
# vpmem-host's commands each take their own options: one a command does not
# take, an argument, or a missing value is refused by name with exit 2 and
# changes nothing; each command's --help lists what it takes.
. "$(dirname "$0")/lib.sh"
host_setup cli
host_layout "[{\"label\": \"F\", \"backend\": \"file\", \"directory\": \"$work/files\", \"size\": \"16M\", \"count\": 1}]"
$H setup 2>/dev/null
before=$($H list --json)

# refused: COMMAND ARGS... | what the message must say
while IFS='|' read -r args message; do
	rc=0
	# shellcheck disable=SC2086 # the words of each case
	$H $args > "$work/out" 2>&1 || rc=$?
	[ $rc -eq 2 ] || fail "vpmem-host $args: exit $rc, not 2"
	grep -qF -- "$message" "$work/out" || fail "vpmem-host $args: says \"$(cat "$work/out")\", not \"$message\""
	pass "vpmem-host $args: exit 2, \"$message\""
done <<'CASES'
list --label F|list does not take --label
setup --consumer 0c2c4d0e-0f5b-4b0e-9f37-6c4a5a1f2b10|setup does not take --consumer
erase --uuid|erase: --uuid needs a value
inventory extra|inventory takes no arguments, only options: "extra"
qemu-args --json --consumer 0c2c4d0e-0f5b-4b0e-9f37-6c4a5a1f2b10|qemu-args does not take --json
reserve --label F --consumer not-a-uuid|reserve needs --label LABEL and --consumer UUID
reserve --label F --consumer 0c2c4d0e-0f5b-4b0e-9f37-6c4a5a1f2b10 --numa-node x|--numa-node takes a number
release --consumer 0c2c4d0e-0f5b-4b0e-9f37-6c4a5a1f2b10 --parent p|--parent takes the UUID of a resource provider
sync --interval 0|--interval takes a number from 1 to 86400
no-such-command|unknown command "no-such-command"
CASES
[ "$($H list --json)" = "$before" ] && pass "none of them changed the ledger" || fail "a refused command changed the ledger"

rc=0
$H nova-conf > "$work/out" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q "no devdax namespaces" "$work/out" && pass "nova-conf with file backings only: exit 1, says why" ||
	fail "nova-conf without devdax: exit $rc: $(cat "$work/out")"

for c in discover setup inventory sync reserve release erase list libvirt-xml qemu-args attach detach nova-conf; do
	$H "$c" --help > "$work/help" || fail "$c --help"
	head -n 1 "$work/help" | grep -q "^Usage: vpmem-host .* $c" || fail "$c --help: $(head -n 1 "$work/help")"
done
$H qemu-args --help | grep -q -- "--consumer UUID" && pass "every command has its own --help, with its options" || fail "qemu-args --help lists no --consumer"

# a ledger in a format this vpmem-host does not know (a newer one wrote it):
# every command refuses it, says so, and leaves it as it is
python3 - "$work/state/ledger.json" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))
l["version"] = 2
json.dump(l, open(sys.argv[1], "w"))
PY
cp "$work/state/ledger.json" "$work/ledger.v2"
for c in "list" "reserve --label F --consumer $(cat /proc/sys/kernel/random/uuid)" "erase --unverified"; do
	rc=0
	# shellcheck disable=SC2086 # a command and its options
	$H $c > "$work/out" 2>&1 || rc=$?
	[ $rc -eq 1 ] && grep -q "ledger format 2, which this vpmem-host (format 1) does not know" "$work/out" ||
		fail "$c on a format-2 ledger: exit $rc: $(cat "$work/out")"
done
cmp -s "$work/state/ledger.json" "$work/ledger.v2" && pass "a ledger of a newer format: list, reserve and erase refuse it, and it is left as it is" ||
	fail "a format-2 ledger was rewritten"

# a corrupt ledger is a failure (exit 1), not a usage error: the command
# line and host.json are fine, and nothing was changed
printf '{"backings": 3}\n' > "$work/state/ledger.json"
for c in "list" "erase --unverified"; do
	rc=0
	# shellcheck disable=SC2086 # a command and its options
	$H $c > "$work/out" 2>&1 || rc=$?
	[ $rc -eq 1 ] && grep -q "not a vpmem ledger" "$work/out" || fail "$c on a corrupt ledger: exit $rc: $(cat "$work/out")"
done
pass "a corrupt ledger: list and erase exit 1 and say so"
