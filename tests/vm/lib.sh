# Harness for the integration tests (sourced by each tests/vm/*.sh): boots a
# real Debian cloud kernel under QEMU (TCG) with emulated NVDIMMs backed by
# sparse files, runs a scenario script inside, and reports what it saw.
#
# Cached between runs in $VPMEM_TEST_CACHE (default /var/cache/vpmem-tests
# when writable, else ~/.cache/vpmem-tests): the kernel package, unpacked,
# and the base initramfs, keyed by what went into them.
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
vm_dir="$top_srcdir/tests/vm"
# shellcheck source=tests/vm/copy-libs.sh
. "$vm_dir/copy-libs.sh"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

if [ -z "${VPMEM_TEST_CACHE:-}" ]; then
	if mkdir -p /var/cache/vpmem-tests 2>/dev/null && [ -w /var/cache/vpmem-tests ]; then
		VPMEM_TEST_CACHE=/var/cache/vpmem-tests
	else
		VPMEM_TEST_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vpmem-tests
	fi
fi
mkdir -p "$VPMEM_TEST_CACHE"

# cache_lock NAME ... cache_unlock: one builder of a cached thing at a time,
# when tests run in parallel (make -j): the second waits, then finds it made.
# Held on file descriptor 8 until cache_unlock or the process ends.
cache_lock() {
	exec 8>"$VPMEM_TEST_CACHE/.lock-$1"
	flock 8
}
cache_unlock() {
	flock -u 8
	exec 8>&-
}

# debian_mirror [security]: the Debian archive this machine's apt reads (the
# first URI of its sources, deb822 or one-line), for chroots and images of
# any release; with "security", the security archive's
debian_mirror() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk -v want="${1:-main}" '
		function take(uri, suites) {
			if (uri == "" || found) return
			if ((suites ~ /-security/) == (want == "security")) { print uri; found = 1 }
		}
		/^deb[ \t]/ {
			i = 2; if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
			take($i, $(i + 1)); next
		}
		/^[ \t]*$/ { take(uri, suites); uri = suites = types = ""; next }
		/^Types:/ { types = $0 }
		/^URIs:/ { if (types == "" || types ~ /[ \t]deb([ \t]|$)/) uri = $2 }
		/^Suites:/ { suites = $0 }
		END { take(uri, suites); exit !found }'
}

vm_require() {
	for tool in qemu-system-x86_64 cpio gzip dpkg apt-get depmod modprobe mkfs.xfs mkfs.ext4 ldd ndctl daxctl python3 xz; do
		command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (Debian: qemu-system-x86 cpio kmod xfsprogs e2fsprogs ndctl daxctl python3 xz-utils)"
	done
	[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q "not a dynamic" ||
		skip "a static /bin/busybox is needed (Debian: busybox-static)"
	[ -x "$top_builddir/agent/vpmem-agent" ] || fail "build the agent first: $top_builddir/agent/vpmem-agent is missing"
}

# The cloud kernel's package name, resolved once per run and remembered, so a
# machine without the package index still finds the cached one.
# $VPMEM_KERNEL_PACKAGE names another one, for example a release's kernel
# that tests/compat cached ("linux-image-5.10.0-36-cloud-amd64").
vm_kernel() {
	pkg=${VPMEM_KERNEL_PACKAGE:-$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '/Depends: linux-image-/ { print $2; exit }')}
	if [ -z "$pkg" ]; then
		pkg=$(cat "$VPMEM_TEST_CACHE/kernel-package" 2>/dev/null) ||
			skip "cannot resolve linux-image-cloud-amd64 (run apt-get update) and no kernel is cached"
	fi
	kver=${pkg#linux-image-}
	kroot="$VPMEM_TEST_CACHE/$pkg"
	cache_lock kernel
	if [ ! -e "$kroot/.complete" ]; then
		tmp=$(mktemp -d "$VPMEM_TEST_CACHE/download.XXXXXX")
		(cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1) || { rm -rf "$tmp"; skip "cannot download $pkg"; }
		rm -rf "$kroot"
		dpkg -x "$tmp"/*.deb "$kroot"
		# Debian 13's kernel packages put the modules in /usr/lib/modules only
		[ -d "$kroot/lib" ] || ln -s usr/lib "$kroot/lib"
		depmod -b "$kroot" "$kver"
		rm -rf "$tmp"
		touch "$kroot/.complete"
		echo "$pkg" > "$VPMEM_TEST_CACHE/kernel-package"
	fi
	cache_unlock
	vmlinuz="$kroot/boot/vmlinuz-$kver"
}

# $VPMEM_VM_BASE names a base image made elsewhere (tests/compat: from
# another release's userland)
vm_base_image() {
	if [ -n "${VPMEM_VM_BASE:-}" ]; then
		base=$VPMEM_VM_BASE
		[ -e "$base" ] || fail "no base image $base"
		return 0
	fi
	key=$( { echo "$kver"; cat "$vm_dir/build-initramfs.sh" "$vm_dir/copy-libs.sh" "$vm_dir/init" "$vm_dir/guest.sh";
		dpkg-query -W busybox-static xfsprogs e2fsprogs ndctl daxctl 2>/dev/null; } | sha256sum | cut -c1-16)
	base="$VPMEM_TEST_CACHE/base-$key.cpio"
	cache_lock base
	if [ ! -e "$base" ]; then
		sh "$vm_dir/build-initramfs.sh" "$kroot" "$kver" "$base"
	fi
	cache_unlock
}

vm_setup() {
	vm_require
	vm_kernel
	vm_base_image
	work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-vm.XXXXXX")
	trap 'rm -rf "$work"' EXIT
}

# vm_programs ROOT: the agent and the test programs, with every library they
# load, under ROOT; vpmem-host too when the scenario sets vm_with_host=1 (it
# runs in the guest only in host-devdax.sh; with libvirt's and libxml2's
# libraries it would be three quarters of every boot's initramfs)
vm_programs() {
	o=$1
	copy_with_libs "$o" /usr/sbin "$top_builddir/agent/vpmem-agent"
	# the benchmark's baseline: another build of the agent, as vpmem-agent-baseline
	if [ -n "${VPMEM_BENCH_BASELINE:-}" ]; then
		mkdir -p "$o/tmp/baseline"
		copy_with_libs "$o/tmp/baseline" /usr/sbin "$VPMEM_BENCH_BASELINE"
		mv "$o/tmp/baseline/usr/sbin/vpmem-agent" "$o/usr/sbin/vpmem-agent-baseline"
		cp -an "$o/tmp/baseline/." "$o/"
		rm -rf "$o/tmp/baseline"
	fi
	# (not built with --disable-host; the tests that need it need the host build)
	if [ "${vm_with_host:-0}" = 1 ]; then
		[ -x "$top_builddir/host/vpmem-host" ] || fail "this scenario runs vpmem-host in the guest: it needs the host build"
		copy_with_libs "$o" /usr/sbin "$top_builddir/host/vpmem-host"
		# udev, as on a host, with vpmem-host's rule (/dev/vpmem/by-uuid)
		copy_with_libs "$o" /bin /bin/udevadm
		mkdir -p "$o/lib/systemd" "$o/etc/udev/rules.d"
		ln -sf /bin/udevadm "$o/lib/systemd/systemd-udevd"
		cp "$top_srcdir/udev/61-vpmem-host.rules" "$o/etc/udev/rules.d/"
	fi
	# udevadm and the agent's rule, for a scenario that asks udev what it
	# would start for a device the kernel made (vm_with_udev=1)
	if [ "${vm_with_udev:-0}" = 1 ]; then
		copy_with_libs "$o" /bin /bin/udevadm
		mkdir -p "$o/etc/udev/rules.d"
		cp "$top_srcdir/udev/90-vpmem.rules" "$o/etc/udev/rules.d/"
	fi
	# Prometheus' node_exporter, for a scenario that reads the agent's
	# metrics as a fleet's Prometheus would (vm_with_node_exporter=1)
	if [ "${vm_with_node_exporter:-0}" = 1 ]; then
		command -v prometheus-node-exporter >/dev/null ||
			skip "prometheus-node-exporter is not installed (Debian: prometheus-node-exporter)"
		copy_with_libs "$o" /usr/bin prometheus-node-exporter
	fi
	# libvirtd with its QEMU driver, virsh and QEMU, as on a host, for a
	# scenario that runs a domain in the test VM (libvirt-devdax.sh)
	if [ "${vm_with_libvirt:-0}" = 1 ]; then
		lvdrv=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver
		[ -e "$lvdrv/libvirt_driver_qemu.so" ] || skip "libvirt's QEMU driver is not installed (Debian: libvirt-daemon-driver-qemu)"
		copy_with_libs "$o" /usr/sbin libvirtd
		copy_with_libs "$o" /usr/bin virsh qemu-system-x86_64
		copy_with_libs "$o" "$lvdrv" "$lvdrv/libvirt_driver_qemu.so"
		# QEMU's TCG is a module of its own in Debian's build
		copy_with_libs "$o" /usr/lib/x86_64-linux-gnu/qemu /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
		mkdir -p "$o/usr/share/libvirt" "$o/usr/share/qemu"
		cp -a /usr/share/libvirt/cpu_map "$o/usr/share/libvirt/"
		cp /usr/share/qemu/qboot.rom "$o/usr/share/qemu/"
	fi
	copy_dlopened "$o" libblkid.so.1 libmount.so.1
	# glibc before 2.34 (Debian 11) reads /etc/passwd through a module it loads
	if ldconfig -p 2>/dev/null | grep -q "libnss_files.so.2 .*x86-64"; then
		copy_dlopened "$o" libnss_files.so.2
	fi
	[ -x "$top_builddir/tests/vm/daxtool" ] && copy_with_libs "$o" /usr/bin "$top_builddir/tests/vm/daxtool"
	[ -x "$top_builddir/tests/bench/benchtool" ] && copy_with_libs "$o" /usr/bin "$top_builddir/tests/bench/benchtool"
	if [ -e "$top_builddir/tests/vm/faultshim.so" ]; then
		mkdir -p "$o/usr/lib/vpmem-test"
		cp "$top_builddir/tests/vm/faultshim.so" "$o/usr/lib/vpmem-test/"
	fi
}

# vm_overlay SCRIPT: the agent with its libraries and the scenario, as cpio
# archives the kernel unpacks over the base one: the programs (made once per
# scenario), then SCRIPT and the files of vm_file (every boot).
# $VPMEM_VM_PROGRAMS names a tree made by vm_programs elsewhere
# (tests/compat: built against another release's libraries), used instead
# of this build's.
vm_overlay() {
	# uncompressed, as the base: the kernel unpacks them without gunzip,
	# which is slow under TCG
	if [ ! -e "$work/programs.cpio" ]; then
		p="$work/programs"
		rm -rf "$p"
		mkdir -p "$p/etc/vpmem"
		if [ -n "${VPMEM_VM_PROGRAMS:-}" ]; then
			cp -a "$VPMEM_VM_PROGRAMS/." "$p/"
		else
			vm_programs "$p"
		fi
		(cd "$p" && find . | cpio -o -H newc --quiet) > "$work/programs.cpio"
		rm -rf "$p"
	fi
	o="$work/overlay"
	rm -rf "$o"
	mkdir -p "$o"
	cp "$1" "$o/test.sh"
	[ -d "$work/files" ] && cp -a "$work/files/." "$o/"
	(cd "$o" && find . | cpio -o -H newc --quiet) > "$work/overlay.cpio"
	cat "$base" "$work/programs.cpio" "$work/overlay.cpio" > "$work/initrd"
}

# vm_file PATH CONTENT: put a file into the guest (e.g. /etc/vpmem/vpmem.json).
# /etc/ and /var/ stand for the sysconfdir and localstatedir the agent was
# configured with (make distcheck builds with a prefix of its own).
vm_file() {
	path=$1
	case $path in
	/etc/*) path="${sysconfdir:-/etc}/${path#/etc/}" ;;
	/var/*) path="${localstatedir:-/var}/${path#/var/}" ;;
	esac
	mkdir -p "$work/files$(dirname "$path")"
	printf '%s\n' "$2" > "$work/files$path"
}

# vm_cxl_qemu: Debian 13's QEMU (10.0) for the CXL scenarios, in
# $vm_qemu (words: its loader, libraries and firmware directory) and with
# QEMU_MODULE_DIR exported. Debian 12's QEMU 7.2 emulates CXL type-3 memory
# but reads back other bytes than were written (docs/testing.md); 10.0 is
# right. Made by mmdebstrap once, cached unpacked, run from there with its
# own dynamic loader and libraries: paths stay this machine's.
vm_cxl_qemu() {
	command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed: CXL needs Debian 13's QEMU (Debian: mmdebstrap)"
	pkgs=qemu-system-x86,ipxe-qemu,seabios
	# (tests/compat's runs point VPMEM_TEST_CACHE elsewhere and share this one)
	qcache=${VPMEM_CXL_QEMU_CACHE:-$VPMEM_TEST_CACHE}
	root="$qcache/qemu-trixie-$(echo "trixie $pkgs" | sha256sum | cut -c1-16)"
	exec 8>"$qcache/.lock-qemu-trixie"
	flock 8
	if [ ! -e "$root/.complete" ]; then
		echo "building Debian 13's QEMU (once, cached in $VPMEM_TEST_CACHE)..."
		mirror=$(debian_mirror) || { cache_unlock; fail "no Debian archive in this machine's apt sources"; }
		rm -rf "$root" "$root.tar"
		mmdebstrap --quiet --variant=apt --include="$pkgs" trixie "$root.tar" "deb $mirror trixie main" ||
			{ rm -f "$root.tar"; cache_unlock; fail "mmdebstrap could not make Debian 13's QEMU"; }
		mkdir -p "$root"
		tar -xf "$root.tar" -C "$root"
		rm -f "$root.tar"
		touch "$root/.complete"
	fi
	cache_unlock
	lib="$root/usr/lib/x86_64-linux-gnu"
	vm_qemu="$root/usr/lib64/ld-linux-x86-64.so.2 --library-path $lib $root/usr/bin/qemu-system-x86_64"
	vm_qemu="$vm_qemu -L $root/usr/share/qemu -L $root/usr/share/seabios"
	export QEMU_MODULE_DIR="$lib/qemu"
	# shellcheck disable=SC2086 # words
	$vm_qemu --version | head -n 1
}

# vm_dimm NAME SIZE: a sparse backing file in the work dir; prints its path
vm_dimm() {
	f="$work/$1.img"
	[ -e "$f" ] || truncate -s "$2" "$f"
	echo "$f"
}

# The test VM's virtual CPUs: one, unless a scenario that runs things at
# once sets vm_smp=2 (concurrent.sh, host-devdax.sh) or $VPMEM_VM_SMP says
# otherwise. Under TCG a second vCPU is a second thread of QEMU's whose
# bring-up and idling cost about 1.5 s of CPU a boot (docs/testing.md), and
# make check already runs a VM on each core.
: "${vm_smp:=${VPMEM_VM_SMP:-1}}"
# The firmware: qboot (QEMU's own minimal BIOS, in qemu-system-data), which
# loads the kernel as SeaBIOS does, with the same ACPI tables (NFIT) and
# e820 map from QEMU, about a second sooner under TCG
vm_bios=""
[ -r /usr/share/qemu/qboot.rom ] && vm_bios="-bios /usr/share/qemu/qboot.rom"

# The test kernel's command line (also for libvirt's domains). The kernel
# skips its crypto self-tests (cryptomgr.notests): under TCG they were half a
# second of every boot to /init (2.78 s against 2.23 s on 6.1, 3.66 against
# 3.23 on 6.12, four boots each, 2026-12-05); vpmem uses no kernel crypto.
vm_cmdline="console=ttyS0 panic=-1 quiet loglevel=4 cryptomgr.notests rdinit=/init"

# The e820 region the "e820:" shape asks the kernel for: 512 MiB at 1 GiB.
VM_E820_OFFSET=1073741824
VM_E820_SIZE=536870912

# vm_boot NAME SCRIPT DEVICE...: boot with one persistent memory device per
# backing file, and run SCRIPT in the guest. A plain FILE is an NVDIMM with a
# 128 KiB label area, placed on a 2 MiB boundary (backend align=2M);
# "nolabel:FILE" gives one without a label area (QEMU's default, Kata),
# "noalign:FILE" lets QEMU put it right after the previous one,
# "virtio:FILE" is a virtio-pmem device, and "e820:FILE" backs the guest's
# RAM with FILE (2 GiB) and marks 512 MiB of it at 1 GiB as persistent
# memory with memmap= (legacy e820 pmem, which then survives a reboot as the
# file does). Leaves the console in $work/NAME.log and returns the guest's
# result. Words in $vm_extra_args are added to QEMU's command line
# (vpmem-host's qemu-args), and $vm_append to the kernel's.
vm_boot() {
	name=$1 script=$2
	shift 2
	vm_overlay "$script"
	args="" append="${vm_append:-}" mem=${vm_mem:-512M}
	i=0 slots=1 c=0 cxl="" window=0
	for d in "$@"; do
		label="label-size=128K" align=",align=2M" device=nvdimm unarmed=""
		case $d in
		nolabel:*) d=${d#nolabel:}; label="" ;;
		# an NVDIMM whose NFIT entry says it cannot persist writes (not_armed)
		unarmed:*) d=${d#unarmed:}; unarmed=",unarmed=on" ;;
		noalign:*) d=${d#noalign:}; align="" ;;
		virtio:*) d=${d#virtio:}; label="" device=virtio-pmem-pci ;;
		cxl:*)
			# a CXL type-3 device with persistent capacity FILE and its
			# label storage area FILE.lsa (256 KiB), on root port $c of
			# one CXL host bridge; serial number c+1
			d=${d#cxl:}
			[ -e "$d.lsa" ] || truncate -s 256K "$d.lsa"
			size=$(stat -c %s "$d")
			[ -n "$cxl" ] || cxl="-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1"
			cxl="$cxl -object memory-backend-file,id=cxlmem$c,share=on,mem-path=$d,size=$size"
			cxl="$cxl -object memory-backend-file,id=cxllsa$c,share=on,mem-path=$d.lsa,size=256K"
			cxl="$cxl -device cxl-rp,port=$c,bus=cxl.1,id=rp$c,chassis=0,slot=$((c + 2))"
			cxl="$cxl -device cxl-type3,bus=rp$c,persistent-memdev=cxlmem$c,lsa=cxllsa$c,id=cxl-pmem$c,sn=$((c + 1))"
			window=$((window + size))
			c=$((c + 1))
			continue ;;
		e820:*)
			d=${d#e820:}
			mem=$(($(stat -c %s "$d") / 1048576))M
			args="$args -object memory-backend-file,id=ram,share=on,mem-path=$d,size=$mem -machine memory-backend=ram"
			append="$append memmap=$VM_E820_SIZE!$VM_E820_OFFSET"
			continue ;;
		esac
		size=$(stat -c %s "$d")
		args="$args -object memory-backend-file,id=mem$i,share=on,mem-path=$d,size=$size$align"
		args="$args -device $device,id=pmem$i,memdev=mem$i${label:+,$label}$unarmed"
		i=$((i + 1)) slots=$((slots + 1))
	done
	machine=pc,nvdimm=on qemu="qemu-system-x86_64 $vm_bios"
	# (vm_cxl_machine=1: the CXL machine for CXL devices given in $vm_extra_args, vpmem-host's)
	if [ -n "$cxl" ] || [ "${vm_cxl_machine:-0}" = 1 ]; then
		# q35 (PCIe) with CXL, Debian 13's QEMU; one fixed memory window
		# over the host bridge: address space only, twice every device
		# together and at least 4 GiB, for the alignment an interleaved
		# region needs (256 MiB times its ways) after smaller ones
		[ -n "${vm_qemu:-}" ] || fail "a CXL device needs vm_cxl_qemu first"
		window=$(((2 * window + (256 << 20) - 1) / (256 << 20) * 256))
		[ "$window" -ge 4096 ] || window=4096
		window=${window}M
		# (SeaBIOS: qboot numbers no bus behind the host bridge, and the
		# kernel finds no device there)
		# (-hypervisor: Linux 6.2 and later commit a CXL region only where
		# the CPU does not say it runs under a hypervisor, since one may not
		# let the guest flush its caches: "Failed to synchronize CPU cache
		# state" otherwise; 6.1 does not ask)
		machine=q35,nvdimm=on,cxl=on qemu="$vm_qemu -cpu qemu64,-hypervisor"
		[ -z "$cxl" ] || args="$args $cxl -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=$window"
	fi
	log="$work/$name.log"
	echo "--- boot $name: $* ---"
	# shellcheck disable=SC2086 # $args is a list of words built above
	# A kernel that panics before it runs /init (an oops under TCG, seen
	# once in some hundred boots of 6.12: "Oops: int3" in sched_clock_cpu
	# while it patches its own code at start) has touched no device yet:
	# that boot, and only that, is made again, once.
	for attempt in 1 2; do
		vm_qemu_rc=0
		timeout 600 $qemu -accel tcg -machine "$machine" -smp "$vm_smp" \
			-m "$mem,slots=$slots,maxmem=64G" -nographic -no-reboot -nodefaults -serial stdio \
			-kernel "$vmlinuz" -initrd "$work/initrd" \
			-append "$vm_cmdline $append" \
			$args ${vm_extra_args:-} > "$log" 2>&1 < /dev/null || vm_qemu_rc=$?
		[ "$attempt" = 1 ] && ! grep -q "VPMEM-INIT" "$log" && grep -q "Kernel panic" "$log" || break
		tr -d '\r' < "$log" | grep -v '^\s*$' | sed "s/^/[$name, kernel panic before userspace] /" | tail -n 40
		echo "note: $name: the kernel panicked before running /init; booting it again"
	done
	tr -d '\r' < "$log" | grep -v '^\s*$' | sed "s/^/[$name] /"
	# what the guest kept for later boots (guest.sh's keep), carried on the host, off the devices under test
	tr -d '\r' < "$log" | sed -n 's/^VPMEM-KEEP \([A-Za-z0-9._-]*\) \(.*\)$/\1 \2/p' |
		while read -r k v; do vm_file "/kept/$k" "$v"; done
	rc=$(tr -d '\r' < "$log" | sed -n 's/^VPMEM-TEST-EXIT \([0-9]*\)$/\1/p' | tail -n 1)
	[ -n "$rc" ] || { [ -n "${vm_cutting:-}" ] || echo "FAIL: $name: the VM did not finish (no exit marker)"; return 1; }
	return "$rc"
}

# vm_cut NAME SCRIPT DEVICE...: boot as vm_boot does, with QEMU's
# isa-debug-exit port, for a scenario that cuts the power part way (the
# faultshim's "cut" action writes to that port, and QEMU stops at once:
# nothing in the guest's caches reaches the backing files). Succeeds only
# when the power was cut, not when the guest finished or crashed.
vm_cut() {
	cut_name=$1
	saved_extra=${vm_extra_args:-}
	vm_extra_args="$saved_extra -device isa-debug-exit,iobase=0xf4,iosize=0x04"
	vm_cutting=1
	vm_boot "$@" && cut_rc=0 || cut_rc=$?
	vm_extra_args=$saved_extra vm_cutting=
	# isa-debug-exit makes QEMU exit with (value << 1) | 1: 0x31 gives 99
	if [ "$vm_qemu_rc" -ne 99 ]; then
		echo "FAIL: $cut_name: the power was not cut (QEMU exit $vm_qemu_rc, guest exit $cut_rc)"
		return 1
	fi
	tr -d '\r' < "$work/$cut_name.log" | grep -q "VPMEM-CUT" ||
		echo "note: $cut_name: the power was cut before the console showed where"
	return 0
}

# vm_state_disk FILE SERIAL: a small ext4 disk that stands for the guest's
# root filesystem, where the agent keeps its state across power cuts (the
# test VM's own root is an initramfs, lost at every boot), made if FILE does
# not exist; prints QEMU's words for it. The guest mounts it with mount_state
# DIR SERIAL.
vm_state_disk() {
	if [ ! -e "$1" ]; then
		truncate -s 32M "$1"
		# inode tables and journal made now, not by the guest kernel in the
		# background (ext4lazyinit): its writes are the test's own
		mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$1" >/dev/null
	fi
	echo "-drive file=$1,if=none,format=raw,id=$2 -device virtio-blk-pci,drive=$2,serial=$2"
}

# vm_sum FILE [OFFSET SIZE]: a SHA-256 of a backing file, or of a slice of it
# (the e820 region in a RAM file), to prove a refusal changed nothing. The
# files are sparse and mostly holes: it hashes where the file's data is
# (SEEK_DATA) and that data, so a write anywhere, zeros into a hole
# included, changes it; the holes it need not read. (A scenario hashes
# gigabytes; coreutils' sha256sum took a minute of CPU for refusals.sh.)
vm_sum() {
	python3 - "$@" <<'PY'
import hashlib, os, sys
path = sys.argv[1]
with open(path, "rb") as f:
    fd = f.fileno()
    start = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    end = start + int(sys.argv[3]) if len(sys.argv) > 3 else os.fstat(fd).st_size
    h = hashlib.sha256()
    pos = start
    while pos < end:
        try:
            data = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:  # ENXIO: no data after pos
            break
        if data >= end:
            break
        hole = min(os.lseek(fd, data, os.SEEK_HOLE), end)
        h.update(b"%d-%d:" % (data, hole))
        f.seek(data)
        left = hole - data
        while left:
            chunk = f.read(min(left, 1 << 22))
            h.update(chunk)
            left -= len(chunk)
        pos = hole
    print(h.hexdigest(), end - start)
PY
}