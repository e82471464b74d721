# Harness for vpmem-host's tests on this machine (sourced by tests/host/*.sh):
# file backings in a directory of their own, no root, no PMEM.
#
#   host_setup NAME [DIR]   $work: a new directory in DIR (default $TMPDIR or
#                           /tmp), removed at exit after host_cleanup (a
#                           function a test may define); $bin: vpmem-host
#   host_layout JSON        host.json with that "layout", and $H: vpmem-host
#                           with it and the ledger in $work/state
#   pass/fail/skip TEXT     a result line (skip exits 77, saying why)
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
bin="$top_builddir/host/vpmem-host"

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
host_cleanup() { :; }

host_setup() {
	[ -x "$bin" ] || fail "build host/vpmem-host first"
	work=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/vpmem-$1.XXXXXX")
	trap 'host_cleanup; rm -rf "$work"' EXIT
}

host_layout() {
	printf '{"layout": %s}\n' "$1" > "$work/host.json"
	H="$bin -c $work/host.json -s $work/state"
}

uuidgen() { cat /proc/sys/kernel/random/uuid; }
