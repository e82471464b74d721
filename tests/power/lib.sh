# Harness for the IBM POWER tests (sourced by each tests/power/*.sh): boots a
# ppc64le pseries guest under qemu-system-ppc64 (TCG) with papr_scm NVDIMMs
# backed by sparse files, runs a scenario script inside with a cross-built
# vpmem-agent, and reports what it saw. The same scenario helpers as the x86
# tests (tests/vm/guest.sh: check, agent, finish, is_mounted_dax, ...).
#
# No Debian ppc64el kernel has NVDIMM support, so the test kernel is built
# here from linux-source-6.1 (kernel.config, tcg-flush.patch). The userland
# (busybox, ndctl, xfsprogs, e2fsprogs) and the libraries vpmem is built
# against come from Debian bookworm's ppc64el packages, in one sysroot made
# by mmdebstrap. All of it is cached in $VPMEM_TEST_CACHE (tests/vm/lib.sh),
# keyed by what went into it:
#   power-kernel-KEY/vmlinux    3 to 7 minutes to build on 2 cores, once
#   power-sysroot-KEY.tar       and its unpacked copy power-sysroot-KEY/
#   power-base-KEY.cpio.gz      the guest's base initramfs
# vpmem itself is cross-built in $top_builddir/tests/power/build-ppc64el,
# incrementally on later runs.
set -eu

# tests/vm/lib.sh: skip, fail, cache_lock, $VPMEM_TEST_CACHE, vm_file, and
# $top_srcdir/$top_builddir (it only defines functions and makes the cache dir)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/vm/lib.sh
. "$top_srcdir/tests/vm/lib.sh"
# this harness's own files: beside the scenario script, which may be run
# against another source tree (top_srcdir=/a/clean/clone)
: "${power_dir:=$(cd "$(dirname "$0")" && pwd)}"

power_triplet=powerpc64le-linux-gnu
power_linux_source=/usr/src/linux-source-6.1.tar.xz
# the Debian archives this machine's apt reads (tests/vm/lib.sh)
power_mirror=${VPMEM_POWER_MIRROR:-$(debian_mirror || true)}
power_security=${VPMEM_POWER_SECURITY_MIRROR:-$(debian_mirror security || true)}
power_build_dir="$top_builddir/tests/power/build-ppc64el"

# The ppc64el sysroot: what cross-building vpmem (agent, host, test
# programs) needs, and what the guest runs. libc-bin for getconf and
# ld.so.conf (which ld reads through --sysroot), util-linux for blkid.
power_pkgs="libc6-dev,libc-bin,libndctl-dev,libdaxctl-dev,uuid-dev,libjson-c-dev,libblkid-dev,libmount-dev,check"
power_pkgs="$power_pkgs,libcurl4-openssl-dev,libvirt-dev,libxml2-dev"
power_pkgs="$power_pkgs,busybox-static,ndctl,daxctl,xfsprogs,e2fsprogs,util-linux"

# Guest variables a scenario may set before power_boot:
#   power_append        words for the kernel command line: "disable_radix"
#                       for the hash MMU
#   power_machine_opts  ",opt=value..." for -M pseries:
#                       ",cap-hpt-max-page-size=16M" lets a hash guest have
#                       16 MiB pages (its PMD size), as real LPARs do
#   power_extra_args    words for QEMU's command line
#   power_host          "yes": vpmem-host in the guest too (power_programs)
: "${power_append:=}" "${power_machine_opts:=}" "${power_extra_args:=}"

power_require() {
	for tool in qemu-system-ppc64 $power_triplet-gcc $power_triplet-readelf mmdebstrap cpio gzip xz patch \
		make gcc bc flex bison pkg-config flock realpath; do
		command -v "$tool" >/dev/null 2>&1 ||
			skip "$tool is not installed (Debian: qemu-system-ppc gcc-powerpc64le-linux-gnu linux-source-6.1 mmdebstrap cpio xz-utils patch make gcc bc flex bison pkg-config)"
	done
	[ -e "$power_linux_source" ] || skip "$power_linux_source is missing (Debian: linux-source-6.1)"
}

# power_elapsed START: seconds since START (a date +%s)
power_elapsed() { echo $(($(date +%s) - $1)); }

# power_make ARG...: make without the outer make's variables (under make
# check, MAKEFLAGS carries the test suite's own, which would confuse it)
power_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"
}

# power_kernel: the test kernel, built once: sets $vmlinux
power_kernel() {
	srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null || stat -c %Y "$power_linux_source")
	# keyed by what changes the kernel: the fragment's settings and the
	# patch's diff (not their comments), the source's and compiler's versions
	key=$( { grep -e '^CONFIG_' -e '^# CONFIG_' "$power_dir/kernel.config"; sed -n '/^--- /,$p' "$power_dir/tcg-flush.patch";
		echo "$srcver"; $power_triplet-gcc -dumpfullversion; } | sha256sum | cut -c1-16)
	kdir="$VPMEM_TEST_CACHE/power-kernel-$key"
	vmlinux="$kdir/vmlinux"
	cache_lock power-kernel
	if [ ! -e "$vmlinux" ]; then
		echo "building the POWER test kernel (once, cached in $kdir; 3 to 7 minutes on 2 cores)..." >&2
		start=$(date +%s)
		# what an interrupted build left (the lock says none is running)
		rm -rf "$VPMEM_TEST_CACHE"/power-kernel.*
		ktmp=$(mktemp -d "$VPMEM_TEST_CACHE/power-kernel.XXXXXX")
		tar -xJf "$power_linux_source" -C "$ktmp"
		ksrc=$(echo "$ktmp"/linux-source-*)
		patch -s -d "$ksrc" -p1 < "$power_dir/tcg-flush.patch" || { rm -rf "$ktmp"; fail "tcg-flush.patch does not apply to $power_linux_source"; }
		kmake="ARCH=powerpc CROSS_COMPILE=$power_triplet-"
		# shellcheck disable=SC2086 # $kmake is two make variables
		power_make -C "$ksrc" -s $kmake KCONFIG_ALLCONFIG="$power_dir/kernel.config" allnoconfig > "$ktmp/config.log" 2>&1 ||
			{ cat "$ktmp/config.log"; rm -rf "$ktmp"; fail "allnoconfig failed"; }
		# allnoconfig drops an option whose dependencies are off without a
		# word: every line of the fragment must be in the result as written
		missing=$(grep '^CONFIG_' "$power_dir/kernel.config" | while read -r opt; do
			grep -qx "$opt" "$ksrc/.config" || echo "$opt"; done)
		if [ -n "$missing" ]; then
			echo "the kernel's .config lacks (a dependency is off, or the option is gone):" >&2
			echo "$missing" | sed 's/^/  /' >&2
			rm -rf "$ktmp"
			fail "tests/power/kernel.config does not give the kernel the tests need"
		fi
		# shellcheck disable=SC2086
		power_make -C "$ksrc" -j"$(nproc)" $kmake vmlinux > "$ktmp/build.log" 2>&1 ||
			{ tail -n 50 "$ktmp/build.log"; rm -rf "$ktmp"; fail "the POWER test kernel did not build"; }
		rm -rf "$kdir"
		mkdir -p "$kdir"
		cp "$ksrc/.config" "$kdir/config"
		cp "$ksrc/vmlinux" "$kdir/vmlinux.tmp"
		mv "$kdir/vmlinux.tmp" "$vmlinux"
		rm -rf "$ktmp"
		echo "power: kernel built in $(power_elapsed "$start") s" >&2
	fi
	cache_unlock
}

# power_unlink_absolute ROOT: absolute symlinks made relative. The -dev
# packages have some (libm.so -> /lib/powerpc64le-linux-gnu/libm.so.6);
# the linker opens them through the host's filesystem, not the sysroot, so
# would find nothing, or this machine's x86 library.
power_unlink_absolute() {
	find "$1" -path "$1/dev" -prune -o -type l -lname '/*' -print | while read -r link; do
		target=$(readlink "$link")
		ln -sfn "$(realpath -s -m --relative-to="$(dirname "$link")" "$1$target")" "$link"
	done
}

# power_sysroot: the ppc64el tree (packages $power_pkgs, unpacked only:
# --variant=extract runs no maintainer script, so no emulation is needed):
# sets $sysroot. Cached as mmdebstrap's tarball, and unpacked beside it once.
power_sysroot() {
	key=$(echo "bookworm ppc64el $power_pkgs" | sha256sum | cut -c1-16)
	power_sysroot_key=$key
	tar="$VPMEM_TEST_CACHE/power-sysroot-$key.tar"
	sysroot="$VPMEM_TEST_CACHE/power-sysroot-$key"
	cache_lock power-sysroot
	if [ ! -e "$tar" ]; then
		echo "making the ppc64el sysroot (once, cached in $tar)..." >&2
		start=$(date +%s)
		# The bookworm-security ppc64el index has been seen to fail its hash
		# check (the mirror out of step): then without it. bookworm-updates
		# and the point releases carry most fixes anyway.
		[ -n "$power_mirror" ] || { cache_unlock; fail "no Debian archive in this machine's apt sources"; }
		set -- "deb $power_mirror bookworm main" "deb $power_mirror bookworm-updates main"
		mmdebstrap --quiet --variant=extract --arch=ppc64el --include="$power_pkgs" bookworm "$tar.part.tar" \
			"$@" "deb $power_security bookworm-security main" >&2 ||
			{ echo "note: mmdebstrap failed with bookworm-security; trying without it" >&2; rm -f "$tar.part.tar";
			  mmdebstrap --quiet --variant=extract --arch=ppc64el --include="$power_pkgs" bookworm "$tar.part.tar" "$@" >&2; } ||
			{ rm -f "$tar.part.tar"; fail "mmdebstrap could not make the ppc64el sysroot"; }
		mv "$tar.part.tar" "$tar"
		rm -rf "$sysroot"
		echo "power: sysroot made in $(power_elapsed "$start") s" >&2
	fi
	if [ ! -e "$sysroot/.complete" ]; then
		rm -rf "$sysroot"
		mkdir -p "$sysroot"
		tar -xf "$tar" -C "$sysroot"
		power_unlink_absolute "$sysroot"
		touch "$sysroot/.complete"
	fi
	cache_unlock
}

# power_find_lib SONAME: the library's path in the sysroot (without the
# sysroot), where the guest's dynamic linker looks for it
power_find_lib() {
	for d in /lib/$power_triplet /usr/lib/$power_triplet /lib64 /usr/lib64 /lib /usr/lib; do
		[ -e "$sysroot$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}

# power_needed FILE...: every library the ppc64le programs or libraries
# FILE... load, directly or through another, as sysroot paths (readelf's
# NEEDED entries: ldd cannot run a foreign binary)
power_needed() {
	seen=" "
	todo="$*"
	while [ -n "$todo" ]; do
		# shellcheck disable=SC2086 # a list of paths without spaces
		set -- $todo
		todo=""
		for f in "$@"; do
			for soname in $($power_triplet-readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
				case $seen in *" $soname "*) continue ;; esac
				seen="$seen$soname "
				lib=$(power_find_lib "$soname") ||
					{ echo "power: $soname (needed by $f) is not in the sysroot" >&2; return 1; }
				echo "$lib"
				todo="$todo $sysroot$lib"
			done
		done
	done
}

# power_copy ROOT DIR FILE...: each ppc64le program into ROOT/DIR, and the
# libraries it loads to the same paths under ROOT as in the sysroot, less
# those listed in the file $power_skip (the base image's files, when set)
power_copy() {
	root=$1 dir=$2
	shift 2
	mkdir -p "$root$dir"
	for f in "$@"; do
		cp -L "$f" "$root$dir/"
	done
	libs=$(power_needed "$@") || fail "power_copy: a library of $* is missing"
	for lib in $libs; do
		[ -n "${power_skip:-}" ] && grep -qxF ".$lib" "$power_skip" && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$sysroot$lib" "$root$lib"
	done
}

# power_build: vpmem cross-built for ppc64le against the sysroot, out of
# tree in $power_build_dir (again with make when it is there: incremental)
power_build() {
	b=$power_build_dir
	[ -x "$top_srcdir/configure" ] || fail "$top_srcdir/configure is missing: run ./autogen.sh there"
	cache_lock power-build
	# a build configured against another sysroot (another package list)
	# starts over: its compiler's --sysroot names that one
	if [ -e "$b/Makefile" ] && [ "$(cat "$b/.power-sysroot" 2>/dev/null)" != "$sysroot" ]; then
		rm -rf "$b"
	fi
	mkdir -p "$b"
	start=$(date +%s)
	# pkg-config finds the sysroot's .pc files only, and prefixes their -I
	# and -L with it; exported for make too, since a configure that reruns
	# itself (configure.ac changed) remembers only its precious variables
	PKG_CONFIG_LIBDIR="$sysroot/usr/lib/$power_triplet/pkgconfig:$sysroot/usr/share/pkgconfig"
	PKG_CONFIG_SYSROOT_DIR=$sysroot
	export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
	if [ ! -e "$b/Makefile" ]; then
		echo "cross-building vpmem for ppc64le in $b..." >&2
		(cd "$b" && "$top_srcdir/configure" --host=$power_triplet --prefix=/usr --sysconfdir=/etc \
			--localstatedir=/var --enable-werror CC="$power_triplet-gcc --sysroot=$sysroot" \
			PKG_CONFIG=pkg-config PKG_CONFIG_LIBDIR="$PKG_CONFIG_LIBDIR") > "$b/configure.out" 2>&1 ||
			{ tail -n 30 "$b/configure.out"; rm -f "$b/Makefile"; cache_unlock;
			  fail "configure for ppc64le failed (see $b/config.log)"; }
		echo "$sysroot" > "$b/.power-sysroot"
	fi
	# the programs, and the test helpers make check builds on x86
	power_make -C "$b" -j"$(nproc)" all tests/vm/daxtool tests/bench/benchtool > "$b/make.out" 2>&1 ||
		{ grep -B2 -A8 -e 'error' -e 'Error' "$b/make.out" | tail -n 60; cache_unlock; fail "the ppc64le build failed (in $b)"; }
	# The fault shim cuts the power through QEMU's isa-debug-exit port
	# (<sys/io.h>, outb): x86 only, pseries has no such port. Without it
	# the scenarios that inject faults or cut the power cannot run here.
	power_make -C "$b" tests/vm/faultshim.so > "$b/make-faultshim.out" 2>&1 ||
		echo "note: tests/vm/faultshim.so does not build for ppc64le (see $b/make-faultshim.out)" >&2
	cache_unlock
	unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
	echo "power: vpmem cross-built in $(power_elapsed "$start") s" >&2
}

# power_base_image: the guest's base initramfs (newc cpio, gzip): sets $base,
# and $power_have, the list of its files (power_programs leaves those out)
power_base_image() {
	key=$( { echo "$power_sysroot_key"; cat "$power_dir/init" "$power_dir/lib.sh" "$vm_dir/guest.sh"; } |
		sha256sum | cut -c1-16)
	base="$VPMEM_TEST_CACHE/power-base-$key.cpio.gz"
	power_have="$VPMEM_TEST_CACHE/power-base-$key.files"
	cache_lock power-base
	if [ ! -e "$base" ]; then
		rm -rf "$VPMEM_TEST_CACHE"/power-base.*
		w=$(mktemp -d "$VPMEM_TEST_CACHE/power-base.XXXXXX")
		mkdir -p "$w/bin" "$w/sbin" "$w/lib" "$w/lib64" "$w/etc" "$w/usr/bin" "$w/usr/sbin"
		cp "$sysroot/bin/busybox" "$w/bin/busybox"
		# shell scripts (a scenario's, the tools') need /bin/sh before
		# init has run busybox --install
		ln -s busybox "$w/bin/sh"
		cp "$power_dir/init" "$w/init"
		chmod 755 "$w/init"
		cp "$vm_dir/guest.sh" "$w/lib/vpmem-guest.sh"
		power_skip=
		power_copy "$w" /sbin "$sysroot/sbin/mkfs.xfs" "$sysroot/sbin/mkfs.ext4" "$sysroot/sbin/mke2fs" \
			"$sysroot/sbin/blkid" "$sysroot/sbin/dumpe2fs"
		power_copy "$w" /usr/sbin "$sysroot/usr/sbin/xfs_io" "$sysroot/usr/sbin/xfs_db"
		# ndctl and daxctl, for scenarios that set a device up by hand;
		# getconf for the page size, as the x86 scenarios ask for it
		power_copy "$w" /usr/bin "$sysroot/usr/bin/ndctl" "$sysroot/usr/bin/daxctl" "$sysroot/usr/bin/getconf"
		# the dynamic linker: programs name /lib64/ld64.so.2 (libc.so.6's
		# NEEDED brought it to /lib/powerpc64le-linux-gnu)
		ln -sf ../lib/$power_triplet/ld64.so.2 "$w/lib64/ld64.so.2"
		[ -e "$w/lib/$power_triplet/ld64.so.2" ] || fail "no dynamic linker in the base image"
		cp "$sysroot/etc/mke2fs.conf" "$w/etc/"
		(cd "$w" && find . ! -type d | sort) > "$power_have.tmp"
		(cd "$w" && find . | cpio -o -H newc --quiet) | gzip -9 > "$base.tmp"
		rm -rf "$w"
		mv "$power_have.tmp" "$power_have"
		mv "$base.tmp" "$base"
	fi
	cache_unlock
}

# power_programs ROOT: the cross-built agent and the test programs under
# ROOT, with the libraries they load that the base image lacks; vpmem-host
# too when the scenario sets power_host=yes (and it was built): libvirt
# brings 60 MB of libraries, 5 s more to pack every boot, and the guest's
# kernel unpacks them under TCG
power_programs() {
	o=$1 b=$power_build_dir
	power_skip=$power_have
	power_copy "$o" /usr/sbin "$b/agent/vpmem-agent"
	if [ "${power_host:-}" = yes ]; then
		[ -x "$b/host/vpmem-host" ] || fail "this scenario needs vpmem-host, and the ppc64le build has none"
		power_copy "$o" /usr/sbin "$b/host/vpmem-host"
	fi
	# loaded with dlopen(): readelf cannot see them
	for soname in libblkid.so.1 libmount.so.1; do
		lib=$(power_find_lib "$soname") || fail "$soname is not in the sysroot"
		grep -qxF ".$lib" "$power_have" && continue
		power_copy "$o" "$(dirname "$lib")" "$sysroot$lib"
	done
	[ -x "$b/tests/vm/daxtool" ] && power_copy "$o" /usr/bin "$b/tests/vm/daxtool"
	[ -x "$b/tests/bench/benchtool" ] && power_copy "$o" /usr/bin "$b/tests/bench/benchtool"
	if [ -e "$b/tests/vm/faultshim.so" ]; then
		power_copy "$o" /usr/lib/vpmem-test "$b/tests/vm/faultshim.so"
	fi
	return 0
}

power_setup() {
	power_require
	power_kernel
	power_sysroot
	power_build
	power_base_image
	# vm_file's /etc and /var: the cross build's, whatever make check
	# exported for the x86 one (make distcheck's prefix)
	# shellcheck disable=SC2034 # read by vm_file
	sysconfdir=/etc localstatedir=/var
	work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-power.XXXXXX")
	trap 'rm -rf "$work"' EXIT
}

# power_overlay SCRIPT: the programs and the scenario, as a second cpio
# archive the kernel unpacks over the base one
power_overlay() {
	o="$work/overlay"
	rm -rf "$o"
	mkdir -p "$o/etc/vpmem"
	power_programs "$o"
	cp "$1" "$o/test.sh"
	[ -d "$work/files" ] && cp -a "$work/files/." "$o/"
	(cd "$o" && find . | cpio -o -H newc --quiet) | gzip -1 > "$work/overlay.cpio.gz"
	cat "$base" "$work/overlay.cpio.gz" > "$work/initrd"
}

# power_file PATH CONTENT: put a file into the guest (vm_file's twin)
power_file() { vm_file "$@"; }

# power_dimm NAME SIZE: a sparse backing file in the work dir, SIZE plus the
# 128 KiB label area (pseries wants the size without the label a multiple of
# 256 MiB), and the uuid QEMU gives the NVDIMM, kept beside it so that every
# boot of the test sees the same DIMM; prints the file's path
power_dimm() {
	f="$work/$1.img"
	if [ ! -e "$f" ]; then
		truncate -s "$2" "$f"
		truncate -s +128K "$f"
	fi
	echo "$f"
}

# power_uuid FILE: the NVDIMM uuid of a backing file, made on first use
power_uuid() {
	[ -s "$1.uuid" ] || cat /proc/sys/kernel/random/uuid > "$1.uuid"
	cat "$1.uuid"
}

# power_boot NAME SCRIPT FILE...: boot with one papr_scm NVDIMM per backing
# file (power_dimm), and run SCRIPT in the guest. Leaves the console in
# $work/NAME.log, prints it with a [NAME] prefix, and returns the guest's
# result. The machine: x-vof=on is QEMU's own minimal Open Firmware instead
# of SLOF (Linux starts in 0.3 s rather than 7); -serial stdio is the
# spapr-vty the kernel calls hvc0 (-nodefaults leaves out the rest); a
# POWER9 has both MMUs, radix its default.
power_boot() {
	name=$1 script=$2
	shift 2
	power_overlay "$script"
	args="" i=0 slots=1 maxmem=2048
	for d in "$@"; do
		size=$(stat -c %s "$d")
		args="$args -object memory-backend-file,id=mem$i,share=on,mem-path=$d,size=$size"
		args="$args -device nvdimm,id=nv$i,memdev=mem$i,label-size=128K,uuid=$(power_uuid "$d")"
		# each DIMM takes whole 256 MiB blocks of the hotplug area (the
		# label's 128 KiB one more)
		blocks=$(((size + 268435455) / 268435456))
		maxmem=$((maxmem + blocks * 256))
		i=$((i + 1)) slots=$((slots + 1))
	done
	[ "$maxmem" -ge 8192 ] || maxmem=8192
	[ "$slots" -ge 4 ] || slots=4
	log="$work/$name.log"
	# TCG has none of the Spectre workarounds pseries asks the host for by
	# default: saying so spares four warnings a boot
	caps="cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off"
	echo "--- boot $name (ppc64le pseries): $* ---"
	start=$(date +%s)
	# A kernel that panics before it runs /init has touched no device yet:
	# that boot, and only that, is made again, once (as vm_boot does for
	# an x86 6.12 quirk; not seen on POWER, kept for the same safety).
	for attempt in 1 2; do
		power_qemu_rc=0
		# shellcheck disable=SC2086 # $args and the extra args are lists of words
		timeout 600 qemu-system-ppc64 -M "pseries,nvdimm=on,x-vof=on,$caps$power_machine_opts" -accel tcg \
			-cpu power9 -smp 1 -m "2G,slots=$slots,maxmem=${maxmem}M" \
			-nographic -no-reboot -nodefaults -serial stdio \
			-kernel "$vmlinux" -initrd "$work/initrd" \
			-append "console=hvc0 panic=-1 quiet loglevel=4 rdinit=/init $power_append" \
			$args $power_extra_args > "$log" 2>&1 < /dev/null || power_qemu_rc=$?
		if [ "$attempt" != 1 ] || grep -q "VPMEM-INIT" "$log" || ! grep -q "Kernel panic" "$log"; then
			break
		fi
		tr -d '\r' < "$log" | grep -v '^\s*$' | sed "s/^/[$name, kernel panic before userspace] /" | tail -n 40
		echo "note: $name: the kernel panicked before running /init; booting it again"
	done
	tr -d '\r' < "$log" | grep -v '^\s*$' | sed "s/^/[$name] /"
	echo "power: $name: QEMU ran $(power_elapsed "$start") s"
	rc=$(tr -d '\r' < "$log" | sed -n 's/^VPMEM-TEST-EXIT \([0-9]*\)$/\1/p' | tail -n 1)
	[ -n "$rc" ] || { echo "FAIL: $name: the VM did not finish (no exit marker; QEMU exit $power_qemu_rc)"; return 1; }
	return "$rc"
}
