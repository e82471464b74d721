#!/bin/sh
# tests/fuzz/run.sh BUILDDIR [SECONDS]: run each libFuzzer harness built in
# BUILDDIR (./configure CC=clang --enable-fuzzing --enable-asan
# --enable-ubsan) for SECONDS (60) from its seed corpus in tests/fuzz/corpus
# (copied: the seeds in the tree are not changed). Fails on a crash, a leak,
# a timeout (10 s for one input) or running out of memory (2 GiB), and
# prints each harness's executions per second and coverage. Then the
# cloud-init module's harness (tests/fuzz/fuzz-cloud-init.py, Python, the
# module's real code) for SECONDS with the build's agent.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 secs=${2:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
rc=0
for name in fuzz-policy fuzz-hostconf fuzz-parsers fuzz-placement; do
	bin="$build/tests/fuzz/$name"
	[ -x "$bin" ] || { echo "FAIL: $bin is not built"; exit 1; }
	mkdir -p "$work/$name" "$work/$name.artifacts"
	cp "$top/tests/fuzz/corpus/$name/"* "$work/$name/"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/$name.artifacts/" "$work/$name" > "$work/$name.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$name.log")
		cov=$(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -n 1)
		corp=$(grep -o 'corp: [0-9]*' "$work/$name.log" | tail -n 1)
		echo "PASS: $name: $execs inputs in ${secs} s ($rate/s), $cov edges, $corp inputs in the corpus"
	else
		echo "FAIL: $name"
		tail -n 60 "$work/$name.log"
		for a in "$work/$name.artifacts/"*; do
			[ -f "$a" ] && { echo "--- the input ($a), base64:"; base64 "$a" | head -n 40; }
		done
		rc=1
	fi
done
# the cloud-init module, on the agent of the same build (ASan and UBSan)
python3 "$top/tests/fuzz/fuzz-cloud-init.py" "$build/agent/vpmem-agent" "$secs" || rc=1
exit $rc
