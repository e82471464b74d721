#!/bin/sh
# dev.sh: the two commands of the README's quick start.
#   ./dev.sh demo    build, boot a throw-away VM with an emulated vNVDIMM and
#                    watch vpmem-agent provision it
#   ./dev.sh check   build and run every test: unit tests, the real-kernel VM
#                    tests, a sanitizer build, the fuzzers and make distcheck
#   ./dev.sh bench   the benchmark: vpmem against the hand procedure and
#                    ndctl, as ratios measured in one guest boot
#                    (--baseline REF: the boot path of the agent REF builds
#                    too, side by side in the same boot)
# Debian packages it needs are installed with apt-get when run as root.
set -eu
cd "$(dirname "$0")"
top=$(pwd)

packages="build-essential autoconf automake pkg-config libndctl-dev libdaxctl-dev libcxl-dev libblkid-dev libsystemd-dev
libmount-dev libjson-c-dev uuid-dev check qemu-system-x86 busybox-static xfsprogs e2fsprogs kmod
ndctl daxctl cpio xz-utils mmdebstrap iproute2 qemu-utils genisoimage python3 systemd
libvirt-clients libcurl4-openssl-dev placement-api curl prometheus prometheus-node-exporter
libvirt-dev libxml2-dev libvirt-daemon libvirt-daemon-driver-qemu
clang libclang-rt-14-dev man-db groff-base
debhelper dpkg-dev lintian udev python3-jsonschema python3-yaml
qemu-system-ppc gcc-powerpc64le-linux-gnu linux-source-6.1 bc flex bison"

ensure_packages() {
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	missing=$(dpkg-query -W -f '${Package} ${db:Status-Status}\n' $packages 2>/dev/null |
		awk '$2 != "installed" { print $1 }')
	for p in $packages; do
		dpkg-query -W "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	missing=$(echo $missing)
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "dev.sh: missing Debian packages: $missing" >&2
		echo "dev.sh: install them with: sudo apt-get install $missing" >&2
		exit 1
	fi
	echo "dev.sh: installing $missing"
	installed=yes
	# no package may start its service here (placement-api's would listen on
	# every interface): the tests start what they need, on loopback
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' > "$policy"
		chmod 755 "$policy"
	fi
	apt-get update -qq
	rc=0
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
	[ -n "$policy" ] && rm -f "$policy"
	[ $rc -eq 0 ] || exit $rc
	# and should one have started anyway, stop it
	for unit in placement-api prometheus prometheus-node-exporter; do
		if command -v systemctl >/dev/null && systemctl is-active -q $unit.service 2>/dev/null; then
			systemctl disable --now $unit.service
		fi
	done
}

# build DIR [configure options]: an out-of-tree build
build() {
	dir=$1; shift
	[ -x "$top/configure" ] || "$top/autogen.sh" >/dev/null
	mkdir -p "$top/$dir"
	if [ ! -f "$top/$dir/Makefile" ] || [ "$top/configure" -nt "$top/$dir/Makefile" ]; then
		(cd "$top/$dir" && "$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var "$@" >/dev/null)
	fi
	make -C "$top/$dir" -j"$(nproc)" >/dev/null
}

# summary LOG: the closing line CI reads, from automake's test-suite.log
summary() {
	awk '/^# PASS:/ { p = $3 } /^# FAIL:/ { f += $3 } /^# ERROR:/ { f += $3 } /^# XPASS:/ { f += $3 }
		/^# SKIP:/ { s = $3 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$1"
}

cmd_demo() {
	ensure_packages
	build build
	top_srcdir=$top top_builddir=$top/build
	export top_srcdir top_builddir
	# shellcheck source=tests/vm/lib.sh
	. "$top/tests/vm/lib.sh"
	vm_setup
	cat > "$work/demo.sh" <<'GUEST'
echo "=== a fresh 4 GiB vNVDIMM, as the guest sees it before vpmem ==="
vpmem-agent status
echo "=== vpmem-agent apply --dry-run: the plan, nothing changed ==="
vpmem-agent apply --dry-run
echo "=== vpmem-agent apply ==="
vpmem-agent apply
echo "=== vpmem-agent status ==="
vpmem-agent status
echo "=== the mount, as the kernel reports it ==="
grep pmem /proc/mounts
dmesg | grep -i "dax" | tail -n 2
GUEST
	echo "dev.sh: booting a throw-away VM (QEMU, TCG) with one 4 GiB vNVDIMM..."
	vm_boot demo "$work/demo.sh" "$(vm_dimm demo 4G)" | sed -n 's/^\[demo\] //p' |
		grep -v "SeaBIOS\|Booting from\|VPMEM-INIT\|VPMEM-TEST-EXIT\|reboot: Power down" | sed 's/\x1bc//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g'
}

# The warm suite's budget, in seconds: ./dev.sh check fails when a run that
# built nothing into the test cache (warm) takes longer. From .ci/run on a
# fresh clone, 2-core machine, idle: 1941 s for commit a7779ca (2026-12-06).
# The same machine is not always as fast: the same work once took 2428 s in
# an hour where an earlier run had taken 2122 s (every test a seventh
# slower, the untouched ones too); the budget is this run's time at that
# ratio plus 8 %, so that a slow machine alone does not fail it. A scenario
# that needs more brings the cuts that pay for it, or moves the budget with
# a measurement (docs/testing.md, "What the suite costs, and its budget").
warm_budget=${VPMEM_WARM_BUDGET:-2600}

# phase NAME: the time since the previous phase ended, for the report
phase() {
	now=$(date +%s)
	phases="$phases${phases:+, }$1 $((now - phase_start)) s"
	phase_start=$now
}

# cache_entries: what the test cache holds (tests/vm/lib.sh), the compat
# releases' own caches included; locks and downloads under way left out
cache_entries() {
	[ -d "$cache" ] || return 0
	# (fuzz/: the fuzzers' corpus, which every run adds to, is not something built)
	find "$cache" -mindepth 1 -maxdepth 1 ! -name '.lock-*' ! -name 'download.*' ! -name '*.part.tar' ! -name fuzz
	find "$cache" -mindepth 2 -maxdepth 2 -path "$cache/compat-*/*" ! -name '.lock-*' ! -name 'download.*'
}

# report: the table of test times, the phases, the total, and what the run
# had to build into the test cache; then the budget of a warm run
report() {
	echo "dev.sh: each test's wall time in make check, slowest first:"
	sh "$top/tests/times.sh" "$top/build"
	total=$(($(date +%s) - check_start))
	built=$(cache_entries | sort | comm -13 "$top/build/cache-before" - | sed "s|^$cache/||" | tr '\n' ' ')
	echo "dev.sh: phases: $phases; in all $total s ($((total / 60)) min)"
	if [ -n "$installed$built" ]; then
		echo "dev.sh: a cold run: ${installed:+installed Debian packages; }${built:+built into $cache: $built}"
	else
		echo "dev.sh: a warm run (every package installed, nothing built into $cache); its budget is $warm_budget s"
		if [ "$total" -gt "$warm_budget" ]; then
			echo "dev.sh: FAIL: the suite took $total s with a warm cache, over its budget of $warm_budget s:"
			echo "dev.sh: a new test costs what the table above says; make it cheaper, or raise"
			echo "dev.sh: warm_budget in dev.sh with the measurement that justifies it (docs/testing.md)"
			return 1
		fi
	fi
}

cmd_check() {
	check_start=$(date +%s) phase_start=$check_start phases=""
	installed=""
	ensure_packages
	phase packages
	# the test cache, as tests/vm/lib.sh chooses it, and what it holds now
	cache=$(top_srcdir=$top sh -c '. "$top_srcdir/tests/vm/lib.sh"; echo "$VPMEM_TEST_CACHE"')
	echo "dev.sh: build with -Werror, run the unit and VM tests"
	build build --enable-werror
	cache_entries | sort > "$top/build/cache-before"
	# the sanitizer build, and in it the sync daemon's soak, which mostly
	# waits for its rounds: beside make check
	build build-sanitize --enable-werror --enable-asan --enable-ubsan
	phase build
	echo "dev.sh: the sync daemon's soak (AddressSanitizer, UBSan), beside make check"
	make -C "$top/build-sanitize" check TESTS="tests/placement/soak.sh" > "$top/build-sanitize/soak.out" 2>&1 &
	soak=$!
	rc=0
	# the tests run side by side, one per core: the VM tests' guests are
	# mostly single-threaded (cloud-init, mkfs), and cached kernels and root
	# filesystems are built once under a lock (cache_lock in tests/vm/lib.sh)
	make -C "$top/build" -j"$(nproc)" check || rc=$?
	soak_rc=0
	wait "$soak" || soak_rc=$?
	phase "make check"
	# (it must pass, not skip)
	if [ $soak_rc -ne 0 ] || ! grep -q "^:test-result: PASS" "$top/build-sanitize/tests/placement/soak.trs"; then
		echo "dev.sh: the soak did not pass:"; cat "$top/build-sanitize/soak.out" "$top/build-sanitize/tests/placement/soak.log"
		rc=1
	else
		grep -h "^PASS: \|^rounds: " "$top/build-sanitize/tests/placement/soak.log"
	fi
	summary "$top/build/test-suite.log"
	if [ $rc -ne 0 ]; then
		grep -l "^:test-result: FAIL" "$top"/build/tests/*/*.trs 2>/dev/null | while read -r trs; do
			# every failed check first (a long log's tail may not hold them), then the end
			echo "=== ${trs%.trs}.log: its failures"; grep -n "FAIL" "${trs%.trs}.log" | head -n 40
			echo "=== ${trs%.trs}.log"; tail -n 80 "${trs%.trs}.log"
		done
		report || true
		exit 1
	fi
	# in CI every test must really run: .ci/run installs what they need
	if [ -n "${CI:-}" ] && grep -q "^:test-result: SKIP" "$top"/build/tests/*/*.trs; then
		echo "dev.sh: tests were skipped in CI:"; grep -l "^:test-result: SKIP" "$top"/build/tests/*/*.trs
		exit 1
	fi
	echo "dev.sh: the unit tests with AddressSanitizer and UBSan"
	make -C "$top/build-sanitize" check-unit ||
		{ cat "$top"/build-sanitize/tests/unit/test-*.log; exit 1; }
	phase sanitizers
	# the libFuzzer harnesses go on from the corpus their earlier runs kept in
	# the test cache (tests/fuzz/run.sh); the cloud-init harness starts afresh
	secs=${VPMEM_FUZZ_SECONDS:-30} ci_secs=${VPMEM_FUZZ_CLOUD_INIT_SECONDS:-60}
	echo "dev.sh: the fuzz harnesses (clang, AddressSanitizer, UBSan): libFuzzer's $secs s each, cloud-init's $ci_secs s"
	build build-fuzz CC=clang --enable-fuzzing --enable-asan --enable-ubsan
	"$top/tests/fuzz/run.sh" "$top/build-fuzz" "$secs" "$ci_secs"
	phase fuzzers
	# the tarball builds, installs and uninstalls cleanly; its unit and man page
	# tests run, the VM and guest tests ran above (a dist-hook checks that
	# every file of the tree ships)
	echo "dev.sh: make distcheck"
	make -C "$top/build" -j"$(nproc)" distcheck-unit \
		>/dev/null 2>"$top/build/distcheck.err" || { tail -n 100 "$top/build/distcheck.err"; exit 1; }
	phase distcheck
	report
	echo "dev.sh: all tests passed"
}

# The benchmark (docs/performance.md): not a test, it prints ratios
cmd_bench() {
	ensure_packages
	build build
	make -C "$top/build" tests/bench/benchtool tests/vm/daxtool >/dev/null
	baseline=""
	if [ "${1:-}" = --baseline ]; then
		[ -n "${2:-}" ] || { echo "usage: $0 bench [--baseline REF]" >&2; exit 2; }
		baseline=$(bench_baseline "$2")
	fi
	top_srcdir=$top top_builddir=$top/build VPMEM_BENCH_BASELINE=$baseline \
		VPMEM_BENCH_BASELINE_REF=${2:-} sh "$top/tests/bench/run.sh"
}

# bench_baseline REF: the agent REF builds (a worktree in build/baseline),
# with a run directory of its own so that its status file and lock are not
# the current agent's; prints its path
bench_baseline() {
	wt=$top/build/baseline
	rm -rf "$wt"
	git -C "$top" worktree prune
	git -C "$top" worktree add -q --detach "$wt" "$1" >&2
	(cd "$wt" && ./autogen.sh >/dev/null 2>&1 && mkdir -p b && cd b &&
		../configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var --with-rundir=/run/vpmem-baseline \
			--disable-host >/dev/null && make -j"$(nproc)" agent/vpmem-agent >/dev/null) >&2 ||
		{ echo "dev.sh: cannot build $1" >&2; exit 1; }
	echo "$wt/b/agent/vpmem-agent"
}

case ${1:-} in
demo) cmd_demo ;;
check) cmd_check ;;
bench) shift; cmd_bench "$@" ;;
*) echo "usage: $0 demo|check|bench" >&2; exit 2 ;;
esac
