#!/bin/sh
# times.sh BUILDDIR: the wall time of every test of the last make check in
# BUILDDIR, slowest first, from the fields tests/timed-driver added to each
# .trs file, and the suite's wall time from the first start to the last end
# (tests run side by side, so that is less than their sum).
set -eu
dir=$1
find "$dir/tests" -mindepth 2 -maxdepth 2 -name '*.trs' | sort | while read -r trs; do
	name=${trs#"$dir"/}
	awk -v name="${name%.trs}" '
		/^:test-result:/ { result = $2 }
		/^:test-started:/ { start = $2 }
		/^:test-seconds:/ { secs = $2 }
		END { if (secs != "") print secs, start, result, name }' "$trs"
done | sort -k1,1nr | awk '
	{ printf "%7d s  %-5s %s\n", $1, $3, $4; sum += $1; n++
	  if (first == "" || $2 < first) first = $2
	  if ($2 + $1 > last) last = $2 + $1 }
	END { if (n) printf "%7d s  in all, %d tests (%d s of test time, side by side)\n", last - first, n, sum }'
