#!/bin/sh
# tests/fuzz/run.sh BUILDDIR [SECONDS [CLOUD-INIT-SECONDS]]: run each
# libFuzzer harness built in BUILDDIR (./configure CC=clang --enable-fuzzing
# --enable-asan --enable-ubsan) for SECONDS (60) from its seed corpus in tests/fuzz/corpus
# (copied: the seeds in the tree are not changed) and the corpus its earlier
# runs on this machine left in the test cache ($VPMEM_TEST_CACHE/fuzz/NAME,
# as tests/vm/lib.sh chooses the cache): each run goes on from where the last
# one got to, and leaves the inputs that cover what all of them found
# (libFuzzer's -merge=1), unless it failed. Fails on a crash, a leak,
# a timeout (10 s for one input) or running out of memory (2 GiB), and
# prints each harness's executions per second and coverage. And the
# cloud-init module's harness (tests/fuzz/fuzz-cloud-init.py, Python, the
# module's real code) for CLOUD-INIT-SECONDS (SECONDS) with the build's
# agent; it starts from a random seed, with no corpus. One harness per core
# at a time ($VPMEM_FUZZ_JOBS sets another number).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 secs=${2:-60}
ci_secs=${3:-$secs}
# the test cache (skip and fail as the tests have them)
top_srcdir=$top
# shellcheck source=tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# fuzz NAME: one harness; its verdict in $work/NAME.out, its exit status
fuzz() {
	name=$1 bin="$build/tests/fuzz/$1"
	kept="$VPMEM_TEST_CACHE/fuzz/$name"
	mkdir -p "$work/$name" "$work/$name.artifacts" "$work/$name.merged" "$kept"
	cp "$top/tests/fuzz/corpus/$name/"* "$work/$name/"
	from=$(find "$kept" -type f | wc -l)
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/$name.artifacts/" "$work/$name" "$kept" > "$work/$name.log" 2>&1 &&
		# what this run and the earlier ones found, in as few inputs as cover it
		"$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 "$work/$name.merged" "$work/$name" "$kept" \
			> "$work/$name.merge.log" 2>&1; then
		rm -rf "$kept.new"
		mv "$work/$name.merged" "$kept.new"
		rm -rf "$kept"
		mv "$kept.new" "$kept"
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$name.log")
		cov=$(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -n 1)
		corp=$(grep -o 'corp: [0-9]*' "$work/$name.log" | tail -n 1)
		echo "PASS: $name: $execs inputs in ${secs} s ($rate/s), $cov edges, $corp inputs in the corpus" \
			"(from $from kept, $(find "$kept" -type f | wc -l) kept now)" > "$work/$name.out"
	else
		{
			echo "FAIL: $name"
			tail -n 60 "$work/$name.log"
			[ -s "$work/$name.merge.log" ] && tail -n 20 "$work/$name.merge.log"
			for a in "$work/$name.artifacts/"*; do
				[ -f "$a" ] && { echo "--- the input ($a), base64:"; base64 "$a" | head -n 40; }
			done
		} > "$work/$name.out"
		return 1
	fi
}

# the cloud-init module, on the agent of the same build (ASan and UBSan)
fuzz_cloud_init() {
	python3 "$top/tests/fuzz/fuzz-cloud-init.py" "$build/agent/vpmem-agent" "$ci_secs" > "$work/cloud-init.out" 2>&1 ||
		{ echo "FAIL: fuzz-cloud-init.py" >> "$work/cloud-init.out"; return 1; }
}

# every harness is single-threaded (the cloud-init one runs the agent once
# at a time): the harnesses are laid out in lanes, one per core, the longest
# first into the lane that ends soonest, and each lane runs its harnesses
# one after the other, each for its full time
harnesses="fuzz-policy fuzz-hostconf fuzz-parsers fuzz-placement"
for name in $harnesses; do
	[ -x "$build/tests/fuzz/$name" ] || { echo "FAIL: $build/tests/fuzz/$name is not built"; exit 1; }
done
jobs=${VPMEM_FUZZ_JOBS:-$(nproc)}
lanes=$( { echo "$ci_secs cloud-init"; for name in $harnesses; do echo "$secs $name"; done; } |
	sort -s -k1,1nr | awk -v jobs="$jobs" '
	{ best = 0; for (i = 1; i < jobs; i++) if (end[i] < end[best]) best = i
	  end[best] += $1; lane[best] = lane[best] " " $2 }
	END { for (i = 0; i < jobs; i++) if (lane[i] != "") print lane[i] }')
while read -r lane; do
	(
		for name in $lane; do
			if [ "$name" = cloud-init ]; then
				fuzz_cloud_init || true
			else
				fuzz "$name" || true
			fi
		done
	) &
done <<LANES
$lanes
LANES
wait
rc=0
for name in $harnesses; do
	cat "$work/$name.out" 2>/dev/null || echo "FAIL: $name: no verdict"
	grep -q "^PASS: " "$work/$name.out" 2>/dev/null || rc=1
done
cat "$work/cloud-init.out"
grep -q "^FAIL: fuzz-cloud-init.py" "$work/cloud-init.out" && rc=1
exit $rc
