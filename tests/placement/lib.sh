# Harness for the Placement tests (sourced): the real OpenStack Placement
# service from Debian's placement-api, on 127.0.0.1 with SQLite and noauth2,
# started for the test and stopped after it; vpmem-host with file backings.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "PASS: $*"; }

[ -x /usr/bin/placement-api ] && command -v placement-manage >/dev/null ||
	skip "the placement-api package is not installed"
command -v curl >/dev/null || skip "curl is not installed"
[ -x "$top_builddir/host/vpmem-host" ] || fail "build host/vpmem-host first"

work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-placement.XXXXXX")
api_pid=""
cleanup() {
	rc=$?
	if [ -n "$api_pid" ]; then
		kill "$api_pid" 2>/dev/null || true
		wait "$api_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

# a free port on loopback
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
cat > "$work/placement.conf" <<CONF
[DEFAULT]
debug = false
[api]
auth_strategy = noauth2
[placement_database]
connection = sqlite:///$work/placement.db
CONF
placement-manage --config-file "$work/placement.conf" db sync > "$work/db-sync.log" 2>&1 || fail "placement-manage db sync"
# the API reads its configuration from OS_PLACEMENT_CONFIG_DIR, not --config-file;
# in a session of its own, since on SIGTERM it signals its whole process group
OS_PLACEMENT_CONFIG_DIR=$work setsid /usr/bin/python3 /usr/bin/placement-api --host 127.0.0.1 --port "$port" \
	> "$work/placement-api.log" 2>&1 &
api_pid=$!
i=0
until curl -sf -o /dev/null "$url/"; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/placement-api.log"; fail "placement-api did not start"; }
	kill -0 "$api_pid" 2>/dev/null || { cat "$work/placement-api.log"; fail "placement-api exited"; }
	sleep 0.1
done

# pl METHOD PATH [BODY]: talk to Placement directly, as an operator or another service would
pl() {
	curl -sS -X "$1" -H "X-Auth-Token: admin" -H "OpenStack-API-Version: placement 1.39" \
		-H "Content-Type: application/json" ${3:+--data "$3"} "$url$2"
}
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }
uuid() { cat /proc/sys/kernel/random/uuid; }

# host_config LABEL COUNT: file backings of 16 MiB
host_config() {
	cat > "$work/host.json" <<JSON
{"layout": [{"label": "$1", "backend": "file", "directory": "$work/files", "size": "16M", "count": $2}]}
JSON
}
# the admin token, as an operator passes it to every command
export OS_AUTH_TOKEN=admin
H="$top_builddir/host/vpmem-host -c $work/host.json -s $work/state"
