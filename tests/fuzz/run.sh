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

# fuzz_cloud_init PART SECONDS: the cloud-init module, on the agent of the
# same build (ASan and UBSan), for SECONDS; its verdict in
# $work/cloud-init.PART.out
fuzz_cloud_init() {
	python3 "$top/tests/fuzz/fuzz-cloud-init.py" "$build/agent/vpmem-agent" "$2" > "$work/cloud-init.$1.out" 2>&1 ||
		{ echo "FAIL: fuzz-cloud-init.py" >> "$work/cloud-init.$1.out"; return 1; }
}

# each harness is single-threaded: one per core at a time, each for its
# full SECONDS. The cloud-init harness (random documents, each case on its
# own, no corpus) comes last, as one run per core that share its SECONDS
# between them: the same number of cases, no core idle in the last round.
harnesses="fuzz-policy fuzz-hostconf fuzz-parsers fuzz-placement"
for name in $harnesses; do
	[ -x "$build/tests/fuzz/$name" ] || { echo "FAIL: $build/tests/fuzz/$name is not built"; exit 1; }
done
jobs=${VPMEM_FUZZ_JOBS:-$(nproc)} running=0
for name in $harnesses; do
	fuzz "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
parts=$jobs
[ $((secs / parts)) -ge 1 ] || parts=1
part=1
while [ $part -le $parts ]; do
	fuzz_cloud_init $part $((secs / parts)) &
	part=$((part + 1))
done
wait
rc=0
for name in $harnesses; do
	cat "$work/$name.out" 2>/dev/null || echo "FAIL: $name: no verdict"
	grep -q "^PASS: " "$work/$name.out" 2>/dev/null || rc=1
done
for f in "$work"/cloud-init.*.out; do
	cat "$f"
	grep -q "^PASS: fuzz-cloud-init" "$f" || rc=1
done
exit $rc
