#!/bin/sh
# ./dev.sh bench: vpmem measured against what it replaces, side by side in
# one guest boot (ratios: this machine is noisy, absolute times do not
# compare between runs), and vpmem-host on this machine. Not a test: it
# prints numbers, and fails only when something it runs fails.
# two vCPUs, as in the benchmarks before; vpmem-host runs in the guest (guest-erase.sh)
vm_smp=2 vm_with_host=1
. "$(dirname "$0")/../vm/lib.sh"
vm_setup
[ -x "$top_builddir/tests/bench/benchtool" ] || fail "build tests/bench/benchtool first (make check does)"
reps=31

echo "vpmem benchmark: kernel $kver under QEMU TCG (2 vCPUs), host $(nproc) cores," \
	"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(date -u +%Y-%m-%dT%H:%MZ)"
# one DIMM per role, each of its own size: the region is 2 MiB smaller, a
# multiple of 16 MiB (ndctl's namespace alignment)
vm_extra_args=$(vm_state_disk "$work/bench.state" state) vm_boot bench "$top_srcdir/tests/bench/guest-bench.sh" \
	"$(vm_dimm warm 1026M)" "$(vm_dimm a1 4098M)" "$(vm_dimm h1 4114M)" "$(vm_dimm h2 4130M)" \
	"$(vm_dimm a2 4146M)" "$(vm_dimm a3 4162M)" "$(vm_dimm h3 4178M)" > "$work/boot.out" || {
	cat "$work/boot.out"; fail "the benchmark guest failed"; }
tr -d '\r' < "$work/bench.log" | sed -n 's/.*BENCH //p' > "$work/results"
val() { sed -n "s/^$1 //p" "$work/results"; }

echo
echo "First provisioning of a fresh 4 GiB vNVDIMM (after a warm-up namespace; agent and hand alternate):"
awk -v a="$(val first-xfs-agent)" -v h="$(val first-xfs-hand)" -v ea="$(val first-ext4-agent)" -v eh="$(val first-ext4-hand)" 'BEGIN {
	split(a, A, " "); split(h, H, " ")
	printf "  xfs:  agent %.2f s, %.2f s; hand procedure %.2f s, %.2f s: %.2fx\n", A[1], A[2], H[1], H[2], (A[1] + A[2]) / (H[1] + H[2])
	printf "  ext4: agent %.2f s; hand procedure %.2f s: %.2fx   (target: at most 1.05x)\n", ea, eh, ea / eh }'
echo
echo "Boot path, $(val namespaces) namespaces, medians of $reps alternating runs (the ratio: the median of the ratios of each pair):"
set -- $(val noop)
echo "  no-op vpmem-agent apply $(awk -v x="$1" 'BEGIN { printf "%.1f", x * 1000 }') ms, ndctl list -N $(awk -v x="$2" 'BEGIN { printf "%.1f", x * 1000 }') ms: ${3}x   (target: at most 1.0x)"
set -- $(val status)
echo "  vpmem-agent status $(awk -v x="$1" 'BEGIN { printf "%.1f", x * 1000 }') ms, ndctl list -N $(awk -v x="$2" 'BEGIN { printf "%.1f", x * 1000 }') ms: ${3}x"
if [ -n "${VPMEM_BENCH_BASELINE:-}" ]; then
	set -- $(val noop-baseline)
	echo "  baseline ${VPMEM_BENCH_BASELINE_REF:-}: no-op apply $(awk -v x="$1" 'BEGIN { printf "%.1f", x * 1000 }') ms, ndctl list -N $(awk -v x="$2" 'BEGIN { printf "%.1f", x * 1000 }') ms: ${3}x"
	set -- $(val status-baseline)
	echo "  baseline ${VPMEM_BENCH_BASELINE_REF:-}: status $(awk -v x="$1" 'BEGIN { printf "%.1f", x * 1000 }') ms, ndctl list -N $(awk -v x="$2" 'BEGIN { printf "%.1f", x * 1000 }') ms: ${3}x"
	set -- $(val noop-vs-baseline)
	echo "  no-op apply against the baseline's, directly: ${3}x"
fi
vm_boot scale "$top_srcdir/tests/bench/guest-scale.sh" "$(vm_dimm scale 2050M)" > "$work/scale.out" || {
	cat "$work/scale.out"; fail "the scaling guest failed"; }
tr -d '\r' < "$work/scale.log" | sed -n 's/.*BENCH //p' >> "$work/results"
grep '^scale ' "$work/results" | while read -r _ n a b ratio; do
	base=$(awk -v n="$n" '$1 == "scale-baseline" && $2 == n { print "; baseline: " $5 "x" }' "$work/results")
	echo "  $n namespace(s) with ext4 on one region: no-op apply $(awk -v x="$a" 'BEGIN { printf "%.1f", x * 1000 }') ms, ndctl list -N $(awk -v x="$b" 'BEGIN { printf "%.1f", x * 1000 }') ms: ${ratio}x$base"
done

echo
echo "First provisioning of a fresh 1 GiB CXL memory device (a boot of its own under Debian 13's QEMU; agent, hand, hand, agent; the first pays the boot's one-time costs):"
vm_cxl_qemu > /dev/null
vm_mem=1G vm_boot cxl "$top_srcdir/tests/bench/guest-cxl.sh" "cxl:$(vm_dimm x1 1G)" "cxl:$(vm_dimm x2 1G)" \
	"cxl:$(vm_dimm x3 1G)" "cxl:$(vm_dimm x4 1G)" > "$work/cxl.out" || {
	cat "$work/cxl.out"; fail "the CXL guest failed"; }
tr -d '\r' < "$work/cxl.log" | sed -n 's/.*BENCH //p' >> "$work/results"
awk -v a="$(val cxl-first-agent)" -v h="$(val cxl-first-hand)" 'BEGIN {
	split(a, A, " "); split(h, H, " ")
	printf "  xfs:  agent %.2f s, %.2f s; hand procedure (cxl create-region, ndctl create-namespace, mkfs, mount) %.2f s, %.2f s: %.2fx\n", A[1], A[2], H[1], H[2], (A[1] + A[2]) / (H[1] + H[2]) }'
set -- $(val cxl-pmd)
echo "  2 MiB DAX faults on a 64 MiB file there: $1 of $(($1 + $2)) succeeded"

echo
echo "Erasing device-dax (a third boot):"
vm_boot erase "$top_srcdir/tests/bench/guest-erase.sh" "$(vm_dimm erase 1026M)" > "$work/erase.out" || {
	cat "$work/erase.out"; fail "the erase guest failed"; }
tr -d '\r' < "$work/erase.log" | sed -n 's/.*BENCH //p' >> "$work/results"
for tenant in sparse dense; do
	grep "^devdax-erase $tenant " "$work/results" | awk -v t="$tenant" '{ n++; e += $4; z += $5; m += $6; v += $7; size = $3 } END {
		w = t == "sparse" ? "wrote a tag at each end" : "wrote every 64 KiB chunk"
		printf "  %d MiB whose tenant %s: vpmem-host release %.3f s in all, of which the erase (verified) %.3f s;\n", size / 1048576, w, e / n, z / n
		printf "    memset of the same mapping %.3f s: the erase has %.2fx the memset bandwidth   (target: at least 0.8x; %d runs)\n", m / n, m / z, n
		printf "    memset and one read pass %.3f s: %.2fx that\n", v / n, v / z }'
done
echo
echo "DAX quality: 2 MiB faults that succeeded, by filesystem, namespace and file (mapped and written whole):"
grep '^pmd ' "$work/results" | while read -r _ fs mnt mib file ok fallback; do
	printf "  %-5s %-18s %5s MiB namespace, %3s MiB file: %s of %s\n" "$fs" "$mnt" "$mib" "$file" "$ok" "$((ok + fallback))"
done
echo
echo "vpmem-host on this machine (file backings in $work):"
H="$top_builddir/host/vpmem-host -c $work/host.json -s $work/state"
cat > "$work/host.json" <<JSON
{"layout": [{"label": "E", "backend": "file", "directory": "$work/files", "size": "2G", "count": 1},
            {"label": "M", "backend": "file", "directory": "$work/many", "size": "16M", "count": 256}]}
JSON
$H setup >/dev/null 2>&1 || fail "setup"
c=$(cat /proc/sys/kernel/random/uuid)
for i in 1 2 3; do
	f=$($H reserve --label E --consumer "$c" --json 2>/dev/null | sed -n 's/.*"path": "\(.*\)",*/\1/p')
	head -c 2147483648 /dev/zero | tr '\0' x | dd of="$f" bs=1M conv=notrunc,fsync iflag=fullblock status=none
	t0=$(date +%s.%N); $H release --consumer "$c" >/dev/null 2>"$work/release.err" || fail "release"; t1=$(date +%s.%N)
	x=$(sed -n 's/.*verified: free again ([^)]* in \([0-9.]*\) s,.*/\1/p' "$work/release.err")
	[ -n "$x" ] || fail "release did not report its erase: $(cat "$work/release.err")"
	head -c 2147483648 /dev/zero | tr '\0' x | dd of="$f" bs=1M conv=notrunc,fsync iflag=fullblock status=none
	t2=$(date +%s.%N); fallocate --zero-range -o 0 -l 2G "$f"; sync "$f"; t3=$(date +%s.%N)
	echo "$t0 $t1 $t2 $t3 $x"
done | awk '{ e += $2 - $1; z += $4 - $3; x += $5 } END {
	printf "  a 2 GiB file full of data: vpmem-host release %.3f s in all, of which the erase (verified) %.3f s;\n", e / NR, x / NR
	printf "    fallocate --zero-range and fsync %.3f s: the erase takes %.2fx, the whole release %.2fx   (target: at most 2x)\n", z / NR, x / z, e / z }'
# 16 clients at once, as a compute host starting and stopping guests: each
# reserves (and releases) its own backing of 16 MiB under the one lock
clients() { # reserve|cycle DESCRIPTION
	t0=$(date +%s.%N)
	for i in $(seq 1 16); do
		(
			c=$(cat /proc/sys/kernel/random/uuid)
			$H reserve --label M --consumer "$c" >/dev/null 2>&1 || echo "reserve failed" >> "$work/clients.err"
			[ "$1" = cycle ] && { $H release --consumer "$c" >/dev/null 2>&1 || echo "release failed" >> "$work/clients.err"; }
		) &
	done
	wait
	t1=$(date +%s.%N)
	[ -s "$work/clients.err" ] && fail "16 concurrent clients: $(sort "$work/clients.err" | uniq -c | tr '\n' ' ')"
	awk -v a="$t0" -v b="$t1" -v w="$2" 'BEGIN { printf "  16 concurrent clients, %s: %.2f s in all, %.1f ms per client\n", w, b - a, (b - a) * 1000 / 16 }'
}
clients reserve "each a reserve"
clients cycle "each a reserve and a release (erase of 16 MiB)"
for cmd in inventory list; do
	t0=$(date +%s.%N)
	for i in 1 2 3 4 5; do $H "$cmd" --json >/dev/null || fail "$cmd"; done
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v c="$cmd" 'BEGIN { printf "  %s with 257 backings: %.1f ms\n", c, (b - a) * 200 }'
done
echo
echo "Raw guest results (seconds):"
sed 's/^/  /' "$work/results"
