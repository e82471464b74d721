#!/bin/sh
# A Placement that is down, slow, or answers garbage gives a clear error and
# changes nothing locally; the token is never printed.
. "$(dirname "$0")/lib.sh"
host_config e 1
$H setup 2>/dev/null
snapshot() { $H list --json; }
before=$(snapshot)

# wait_port FILE: until the server started in the background wrote its port there
wait_port() {
	n=0
	while [ ! -s "$1" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	[ -s "$1" ] || fail "the test server did not start"
}

# down: a port where nothing listens
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
c=$(uuid)
if $H reserve --label e --consumer "$c" --placement "http://127.0.0.1:$dead" --token s3cret-token > "$work/down" 2>&1; then fail "reserve with Placement down succeeded"; fi
cat "$work/down"
grep -q "Couldn't connect\|Connection refused\|Failed to connect" "$work/down" && pass "down: the error says it could not connect" || fail "down: unclear error"
[ "$(snapshot)" = "$before" ] && pass "down: nothing changed locally" || fail "down: local change"
grep -q s3cret-token "$work/down" && fail "the token was printed" || pass "the token is not printed"

# a consumer that already holds a backing asks again while Placement is down:
# its reservation stays, it is not freed for the next tenant
c=$(uuid)
$H reserve --label e --consumer "$c" > /dev/null 2>&1 || fail "a plain reserve failed"
held=$(snapshot)
if $H reserve --label e --consumer "$c" --placement "http://127.0.0.1:$dead" > "$work/again" 2>&1; then fail "reserve again with Placement down succeeded"; fi
cat "$work/again"
[ "$(snapshot)" = "$held" ] && pass "a retried reserve with Placement down keeps the reservation" || fail "a retried reserve changed the ledger"
grep -q "already holds" "$work/again" && pass "  and says the consumer already holds it" || fail "retried reserve: unclear error"
$H release --consumer "$c" > /dev/null 2>&1 || fail "release after the retried reserve failed"
[ "$(snapshot)" = "$before" ] || fail "release did not bring the ledger back"

# slow: accepts, never answers
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
' > "$work/slow.port" &
slow=$!
wait_port "$work/slow.port"
if $H sync --placement "http://127.0.0.1:$(cat "$work/slow.port")" --timeout 2 > "$work/slow" 2>&1; then fail "sync with a silent server succeeded"; fi
cat "$work/slow"
grep -qi "timed out\|timeout" "$work/slow" && pass "slow: the error says it timed out" || fail "slow: unclear error"
kill "$slow" 2>/dev/null || true
[ "$(snapshot)" = "$before" ] && pass "slow: nothing changed locally" || fail "slow: local change"

# garbage: HTTP 200 with something that is not JSON
python3 -c '
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def reply(self):
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.end_headers()
        self.wfile.write(b"<html>I am not Placement</html>")
    do_GET = do_PUT = do_POST = do_DELETE = reply
    def log_message(self, *a): pass
srv = socketserver.TCPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.timeout = 30
for i in range(20): srv.handle_request()
' > "$work/garbage.port" &
garbage=$!
wait_port "$work/garbage.port"
c=$(uuid)
if $H reserve --label e --consumer "$c" --placement "http://127.0.0.1:$(cat "$work/garbage.port")" > "$work/garbage" 2>&1; then fail "reserve against garbage succeeded"; fi
cat "$work/garbage"
grep -q "not JSON" "$work/garbage" && pass "garbage: the error says the answer is not JSON" || fail "garbage: unclear error"
kill "$garbage" 2>/dev/null || true
[ "$(snapshot)" = "$before" ] && pass "garbage: nothing changed locally" || fail "garbage: local change"

# and the real one still works, once sync has made the provider
$H sync --placement "$url" >/dev/null || fail "sync with the real Placement"
$H reserve --label e --consumer "$c" --placement "$url" >/dev/null && pass "the real Placement takes the same reserve" || fail "real reserve"

# A name goes into a Placement URL escaped: a provider named with a space,
# an ampersand and an equals sign is looked up, and made, under that name
$H sync --placement "$url" --provider 'rack 7 & row=2' >/dev/null || fail "sync with an odd provider name"
$H sync --placement "$url" --provider 'rack 7 & row=2' > "$work/odd" || fail "a second sync with an odd provider name"
[ "$(pl GET "/resource_providers?name=rack%207%20%26%20row%3D2" | json 'd["resource_providers"][0]["name"]')" = "rack 7 & row=2" ] &&
	[ ! -s "$work/odd" ] && pass "an odd provider name: made under that very name, and found again" || fail "odd provider name"

# A token goes over plain http only to this host, unless host.json says so
before=$(snapshot)
rc=0; $H sync --placement http://placement.invalid:8778 --token secret > "$work/plain" 2>&1 || rc=$?
cat "$work/plain"
[ $rc -eq 2 ] && grep -q "will not send the Placement token over plain http to placement.invalid" "$work/plain" &&
	pass "a token for plain http to another host: refused (exit 2), the host named" || fail "plain http with a token: exit $rc"
[ "$(snapshot)" = "$before" ] && pass "  nothing changed" || fail "plain http: local change"
python3 - "$work/host.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["placement"] = {"token_over_http": True}
json.dump(c, open(sys.argv[1], "w"))
PY
rc=0; $H sync --placement http://placement.invalid:8778 --token secret --timeout 5 > "$work/plain" 2>&1 || rc=$?
cat "$work/plain"
[ $rc -eq 1 ] && ! grep -q "will not send" "$work/plain" &&
	pass "with \"token_over_http\": true in host.json it is sent (and the host is not found: exit 1)" || fail "token_over_http: exit $rc"
