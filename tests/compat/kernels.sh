#!/bin/sh
# The VM scenarios on the guest kernels and userlands of other Debian
# releases: Debian 11 (kernel 5.10) and Debian 13 (6.12). Each release's
# cloud kernel boots an initramfs of that release's busybox, xfsprogs,
# e2fsprogs, ndctl and libndctl, with the agent built in a chroot of the
# release against its libraries; QEMU is this machine's, the hypervisor's, as
# it would be for a guest of that release. (Debian 12 with 6.1 is the main run
# of tests/vm.) Kernels and base images are cached in
# $VPMEM_TEST_CACHE/compat-RELEASE.
# VPMEM_COMPAT_RELEASES and VPMEM_COMPAT_VM_TESTS pick releases and scenarios.
set -eu
: "${top_srcdir:?}"
# shellcheck source=tests/compat/lib.sh
. "$top_srcdir/tests/compat/lib.sh"
vm_require
# every scenario of tests/vm whose outcome a kernel, libndctl, libblkid or
# mkfs of another release can change; not those of the policy's parsing and
# checks (bad-policy, mountpoints: json-c's part is the release's unit tests,
# tests/pkg), of the agent's lock (concurrent) or of its targets (two-dimms)
scenarios=${VPMEM_COMPAT_VM_TESTS:-fresh-default by-hand fsdax-devdax xfs-ext4 rerun-reboot shapes
refusals shapes-modes labelless-data proof faults power-loss}
fail=0
# Debian 13's QEMU for the CXL scenario, made once for every run
export VPMEM_CXL_QEMU_CACHE="$VPMEM_TEST_CACHE"

for release in ${VPMEM_COMPAT_RELEASES:-bullseye trixie}; do
	cache="$VPMEM_TEST_CACHE/compat-$release"
	mkdir -p "$cache"
	# the agent and the test programs, built in the release against its
	# libraries (once per run, for debian-releases.sh too)
	root=$(compat_agent "$release") || { echo "FAIL: Debian $release: no chroot"; fail=1; continue; }
	if [ "$(cat "$root.rc")" != 0 ]; then
		echo "FAIL: Debian $release: cannot build the agent:"; cat "$root.out"; fail=1; continue
	fi
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	# in the release: fetch the kernel, make the base image and the
	# programs' tree, all from its own packages (tests/vm/lib.sh, run there)
	udev=1
	[ "$release" = bullseye ] && udev=0
	echo "vm_with_udev=$udev" > "$root/guest.sh"
	cat >> "$root/guest.sh" <<'SCRIPT'
set -e
apt-get update -qq >/dev/null 2>&1 || echo "apt-get update failed: a cached kernel is used" >&2
top_srcdir=/src top_builddir=/src/b VPMEM_TEST_CACHE=/cache
. /src/tests/vm/lib.sh
vm_kernel
vm_base_image
rm -rf /programs
mkdir -p /programs
vm_programs /programs
printf 'kernel=%s\nbase=%s\n' "$pkg" "${base#/cache/}" > /programs.env
SCRIPT
	versions=$(compat_versions "$root" xfsprogs e2fsprogs libndctl6 busybox-static)
	if ! out=$(compat_run "$root" /guest.sh "$cache" 2>&1); then
		echo "FAIL: Debian $release: cannot build the guest's programs and image:"; echo "$out"
		fail=1; continue
	fi
	kernel=$(sed -n 's/^kernel=//p' "$root/programs.env")
	echo "--- Debian $release: $kernel, $versions; QEMU $(qemu-system-x86_64 --version | head -n 1)"
	# CXL regions: 6.1 (tests/vm) and 6.12; 5.10 has no CXL region driver
	extra=""
	[ "$release" = bullseye ] || [ -n "${VPMEM_COMPAT_VM_TESTS:-}" ] || extra=cxl
	for t in $scenarios $extra; do
		t0=$(date +%s)
		if VPMEM_KERNEL_PACKAGE=$kernel VPMEM_TEST_CACHE=$cache \
			VPMEM_VM_BASE="$cache/$(sed -n 's/^base=//p' "$root/programs.env")" \
			VPMEM_VM_PROGRAMS="$root/programs" sh "$top_srcdir/tests/vm/$t.sh" > "$compat_work/$t.log" 2>&1; then
			echo "ok: Debian $release: $t ($(grep -c "PASS:" "$compat_work/$t.log") checks, $(($(date +%s) - t0)) s)"
		else
			echo "FAIL: Debian $release: $t:"; cat "$compat_work/$t.log"; fail=1
		fi
	done
done
exit $fail
