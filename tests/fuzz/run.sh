#!/bin/sh
# tests/fuzz/run.sh BUILDDIR [SECONDS]: run each libFuzzer harness built in
# BUILDDIR (./configure CC=clang --enable-fuzzing --enable-asan
# --enable-ubsan) for SECONDS (60) from its seed corpus in tests/fuzz/corpus
# (copied: the seeds in the tree are not changed). Fails on a crash, a leak,
# a timeout (10 s for one input) or running out of memory (2 GiB), and
# prints each harness's executions per second and coverage. And the
# cloud-init module's harness (tests/fuzz/fuzz-cloud-init.py, Python, the
# module's real code) for SECONDS with the build's agent. One harness per
# core at a time ($VPMEM_FUZZ_JOBS sets another number).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 secs=${2:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# fuzz NAME: one harness; its verdict in $work/NAME.out, its exit status
fuzz() {
	name=$1 bin="$build/tests/fuzz/$1"
	mkdir -p "$work/$name" "$work/$name.artifacts"
	cp "$top/tests/fuzz/corpus/$name/"* "$work/$name/"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/$name.artifacts/" "$work/$name" > "$work/$name.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$name.log")
		cov=$(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -n 1)
		corp=$(grep -o 'corp: [0-9]*' "$work/$name.log" | tail -n 1)
		echo "PASS: $name: $execs inputs in ${secs} s ($rate/s), $cov edges, $corp inputs in the corpus" > "$work/$name.out"
	else
		{
			echo "FAIL: $name"
			tail -n 60 "$work/$name.log"
			for a in "$work/$name.artifacts/"*; do
				[ -f "$a" ] && { echo "--- the input ($a), base64:"; base64 "$a" | head -n 40; }
			done
		} > "$work/$name.out"
		return 1
	fi
}

# the cloud-init module, on the agent of the same build (ASan and UBSan)
fuzz_cloud_init() {
	python3 "$top/tests/fuzz/fuzz-cloud-init.py" "$build/agent/vpmem-agent" "$secs" > "$work/cloud-init.out" 2>&1 ||
		{ echo "FAIL: fuzz-cloud-init.py" >> "$work/cloud-init.out"; return 1; }
}

# each harness is single-threaded: one per core at a time, each for its
# full SECONDS
harnesses="fuzz-policy fuzz-hostconf fuzz-parsers fuzz-placement"
for name in $harnesses; do
	[ -x "$build/tests/fuzz/$name" ] || { echo "FAIL: $build/tests/fuzz/$name is not built"; exit 1; }
done
jobs=${VPMEM_FUZZ_JOBS:-$(nproc)} running=0
for name in $harnesses cloud-init; do
	if [ "$name" = cloud-init ]; then fuzz_cloud_init & else fuzz "$name" & fi
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
rc=0
for name in $harnesses; do
	cat "$work/$name.out" 2>/dev/null || echo "FAIL: $name: no verdict"
	grep -q "^PASS: " "$work/$name.out" 2>/dev/null || rc=1
done
cat "$work/cloud-init.out"
grep -q "^FAIL: fuzz-cloud-init.py" "$work/cloud-init.out" && rc=1
exit $rc
