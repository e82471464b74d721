#!/bin/sh
# The metrics pass Prometheus' own checks: promtool check metrics (the text
# format's parser and its linter: names, units, suffixes, help) on the
# agent's and vpmem-host's metrics for states with every mode, kind, reason
# and label values that need escaping. The scenarios (tests/vm/metrics.sh,
# tests/placement/metrics.sh) check the files written on real systems.
set -eu
: "${top_builddir:=.}"
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
sample=$top_builddir/tests/unit/metrics-sample
[ -x "$sample" ] || fail "build tests/unit/metrics-sample first"
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-promtool.XXXXXX")
trap 'rm -rf "$work"' EXIT

kinds=agent
[ -x "$top_builddir/host/vpmem-host" ] && kinds="agent host"
for kind in $kinds; do
	"$sample" "$kind" > "$work/$kind.prom" || fail "metrics-sample $kind"
	if ! promtool check metrics < "$work/$kind.prom" > "$work/$kind.out" 2>&1; then
		cat "$work/$kind.out"
		fail "promtool check metrics: the $kind's metrics"
	fi
	echo "PASS: promtool check metrics: the $kind's metrics ($(grep -vc '^#' "$work/$kind.prom") samples)"
done

# a negative control: promtool does find what its linter is for
sed 's/vpmem_agent_namespace_size_bytes/vpmem_agent_namespace_size_total/' "$work/agent.prom" > "$work/bad.prom"
if promtool check metrics < "$work/bad.prom" > "$work/bad.out" 2>&1; then
	fail "promtool check metrics passed a gauge named _total"
fi
echo "PASS: promtool check metrics fails a gauge named _total: $(head -1 "$work/bad.out")"
