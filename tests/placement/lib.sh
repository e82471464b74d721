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
api_pid="" api_all=""
cleanup() {
	rc=$?
	for pid in $api_all; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

# placement_start DIR PORT: a Placement server on 127.0.0.1:PORT with its
# configuration, database and log (DIR/placement-api.log, a line per
# request) in DIR; its pid in $api_pid. A DIR used before keeps its database.
placement_start() {
	mkdir -p "$1"
	cat > "$1/placement.conf" <<CONF
[DEFAULT]
debug = false
[api]
auth_strategy = noauth2
[placement_database]
connection = sqlite:///$1/placement.db
CONF
	[ -e "$1/placement.db" ] ||
		placement-manage --config-file "$1/placement.conf" db sync > "$1/db-sync.log" 2>&1 || fail "placement-manage db sync"
	# the API reads its configuration from OS_PLACEMENT_CONFIG_DIR, not --config-file;
	# in a session of its own, since on SIGTERM it signals its whole process group
	OS_PLACEMENT_CONFIG_DIR=$1 setsid /usr/bin/python3 /usr/bin/placement-api --host 127.0.0.1 --port "$2" \
		>> "$1/placement-api.log" 2>&1 &
	api_pid=$! api_all="$api_all $!"
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$2/"; do
		i=$((i + 1)); [ $i -lt 100 ] || { cat "$1/placement-api.log"; fail "placement-api did not start"; }
		kill -0 "$api_pid" 2>/dev/null || { cat "$1/placement-api.log"; fail "placement-api exited"; }
		sleep 0.1
	done
}
# placement_stop: the server $api_pid
placement_stop() {
	kill "$api_pid" 2>/dev/null || true
	wait "$api_pid" 2>/dev/null || true
	api_pid=""
}
# free_port: a free port on loopback
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port=$(free_port)
url="http://127.0.0.1:$port"
placement_start "$work" "$port"

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
