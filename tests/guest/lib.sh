# Harness for the tests that boot a full Debian guest (systemd, udev,
# cloud-init) with vpmem's Debian package installed by apt, under QEMU
# (TCG) with emulated NVDIMMs and a NoCloud seed. Sourced by tests/guest/*.sh.
# The release is Debian 12 (bookworm, cloud-init 22.4), or the one named in
# $VPMEM_GUEST_RELEASE (trixie: Debian 13, cloud-init 25.1).
#
# Cached in $VPMEM_TEST_CACHE: the Debian root filesystem (mmdebstrap),
# keyed by its package list. The image with vpmem installed is made once per
# test run from the current sources, shared by the guest tests of the run;
# each boot gets a copy-on-write overlay.
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
guest_dir="$top_srcdir/tests/guest"
# shellcheck source=tests/vm/lib.sh
. "$top_srcdir/tests/vm/lib.sh"

guest_release=${VPMEM_GUEST_RELEASE:-bookworm}
# One vCPU, unless the scenario sets guest_smp (coldboot-reboot-hotplug.sh: two,
# so that udev's agents for the devices of a cold boot run truly at once) or
# $VPMEM_GUEST_SMP says otherwise. Under TCG a second vCPU doubles the CPU a
# Debian guest's boot costs (177 s against 89 s of QEMU's user and system
# time for cloud-init-policy.sh, measured 2026-12-05) for 14 s less wall time
# on an idle machine; make check runs a VM on each core, so CPU is what counts.
guest_smp=${VPMEM_GUEST_SMP:-${guest_smp:-1}}
guest_packages="systemd-sysv,udev,linux-image-cloud-amd64,cloud-init,libndctl6,libdaxctl1,libcxl1,libjson-c5"
guest_packages="$guest_packages,libblkid1,libmount1,libuuid1,xfsprogs,e2fsprogs,kmod,util-linux,python3,iproute2"

guest_require() {
	[ "$(id -u)" -eq 0 ] || skip "building the guest image needs root (file ownership in the image)"
	for tool in mmdebstrap qemu-system-x86_64 qemu-img genisoimage mkfs.ext4 python3 make systemctl \
		unshare ip; do
		command -v "$tool" >/dev/null 2>&1 ||
			skip "$tool is not installed (Debian: mmdebstrap qemu-utils genisoimage iproute2)"
	done
}

# the Debian root filesystem, built once
guest_base() {
	# this machine's sources for its own release (bookworm), Debian's for another
	mirror=/etc/apt/sources.list.d/debian.sources
	if [ ! -r "$mirror" ] || [ "$guest_release" != bookworm ]; then
		mirror="deb $(debian_mirror) $guest_release main" || skip "no Debian archive in this machine's apt sources"
	fi
	if [ -r "$mirror" ]; then
		key=$(echo "$guest_packages $(cat "$mirror")" | sha256sum | cut -c1-16)
	else
		key=$(echo "$guest_packages $mirror" | sha256sum | cut -c1-16)
	fi
	base_tar="$VPMEM_TEST_CACHE/guest-rootfs-$key.tar"
	[ "$guest_release" = bookworm ] || base_tar="$VPMEM_TEST_CACHE/guest-rootfs-$guest_release-$key.tar"
	cache_lock "guest-rootfs-$guest_release"
	if [ ! -e "$base_tar" ]; then
		echo "building the Debian $guest_release guest root filesystem (once)..."
		# the output format follows the file name: keep ".tar" at the end
		mmdebstrap --quiet --variant=apt --include="$guest_packages" "$guest_release" "$base_tar.part.tar" "$mirror" ||
			{ rm -rf "$base_tar.part.tar"; skip "mmdebstrap could not build the guest root filesystem"; }
		mv "$base_tar.part.tar" "$base_tar"
	fi
	cache_unlock
}

# guest_once DIR BUILD: DIR made by the function BUILD DIR, once: the first
# test of a run to get there builds it under a lock, the others wait and
# find it made. DIR is $top_builddir/tests/guest/WHAT-RELEASE-KEY; other
# keys of WHAT-RELEASE (older sources) are removed.
guest_once() {
	what=${1##*/}
	what=${what%%-*}
	cache_lock "guest-$what-$guest_release"
	if [ ! -e "$1/.complete" ]; then
		rm -rf "${1%/*}/$what-$guest_release-"*
		mkdir -p "$1"
		"$2" "$1" || { cache_unlock; fail "could not make the guest's $what for Debian $guest_release"; }
		touch "$1/.complete"
	fi
	cache_unlock
}

# guest_debs: vpmem's Debian packages, built from the current sources as
# Debian builds a package (tests/pkg/lib.sh: dpkg-buildpackage in a clean
# chroot of the release with only the Build-Depends, the unit tests on);
# sets $debs. Built once per test run and release, for every guest test and
# tests/pkg's test of that release, in $top_builddir/tests/guest (keyed by
# the sources' contents), with the .changes, .buildinfo and the build's log
# (build.log) beside the packages.
guest_debs() {
	debs_dir="$top_builddir/tests/guest/debs-$guest_release-$(source_key)"
	guest_once "$debs_dir" guest_build_debs
	debs=$(ls "$debs_dir"/vpmem-agent_*.deb)
	[ -n "$debs" ] || fail "dpkg-buildpackage made no vpmem-agent package"
}

# guest_build_debs DIR: dpkg-buildpackage's packages into DIR
guest_build_debs() {
	# shellcheck source=tests/pkg/lib.sh
	. "$top_srcdir/tests/pkg/lib.sh"
	pkg_require
	pkg_build "$guest_release" "$1" || { tail -n 60 "$1/build.log"; return 1; }
}

# guest_chroot ROOT COMMAND...: COMMAND in the chroot ROOT, with /proc (apt
# and dpkg need it) mounted in a mount namespace of its own
guest_chroot() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --fork sh -c 'root=$1; shift; mount -t proc proc "$root/proc" && chroot "$root" "$@"' \
		sh "$@"
}

# guest_apt ROOT apt-get-ARGUMENTS...: apt-get -y in the chroot ROOT, as an
# image builder runs it
guest_apt() {
	apt_root=$1; shift
	guest_chroot "$apt_root" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 "$@"
}

# the image of this run: the root filesystem with the vpmem-agent package
# installed by apt, as an image builder would (its unit enabled by the
# package's own maintainer scripts). Made once per test run and release in
# $top_builddir/tests/guest, beside the packages, for every guest test: each
# boots it through a copy-on-write overlay of its own. Sets $image_dir
# (root.raw, vmlinuz, initrd.img).
guest_image() {
	guest_debs
	# keyed by the packages' key and the root filesystem's
	base_key=${base_tar##*-}
	image_dir="$top_builddir/tests/guest/image-$guest_release-${debs_dir##*-}-${base_key%.tar}"
	guest_once "$image_dir" guest_build_image
}

# guest_build_image DIR: the image, its kernel and initrd into DIR
guest_build_image() {
	out=$1
	rootfs="$out/rootfs"
	mkdir -p "$rootfs"
	tar -xf "$base_tar" -C "$rootfs"
	cp $debs "$rootfs/tmp/"
	# offline: everything it depends on is in the root filesystem already
	guest_apt "$rootfs" install $(for d in $debs; do echo "/tmp/${d##*/}"; done) \
		> "$out/install.log" 2>&1 || {
		cat "$out/install.log"; echo "apt-get could not install vpmem-agent into the guest image"; return 1; }
	rm -f "$rootfs"/tmp/*.deb
	echo "guest image: Debian $guest_release, $(grep -h "^Setting up vpmem" "$out/install.log")"
	systemctl --root="$rootfs" is-enabled -q vpmem-agent.service ||
		{ echo "installing the package did not enable vpmem-agent.service"; return 1; }
	# the test runner, and what a minimal image needs for a clean cloud-init run
	cp "$guest_dir/vpmem-test.service" "$rootfs/etc/systemd/system/"
	systemctl --root="$rootfs" enable vpmem-test.service >/dev/null 2>&1
	# a getty on the serial console would hang up the runner's output
	systemctl --root="$rootfs" mask serial-getty@ttyS0.service getty@tty1.service >/dev/null 2>&1
	printf 'locale: C.UTF-8\n' > "$rootfs/etc/cloud/cloud.cfg.d/10-test-locale.cfg"
	printf 'datasource_list: [ NoCloud, None ]\n' > "$rootfs/etc/cloud/cloud.cfg.d/10-test-datasource.cfg"
	# no ssh server in the image: no host keys to make (cloud-init 25.1 would
	# warn that it cannot, and call the run "degraded"; 22.4 counts no
	# warnings, and checks the system configuration against its schema too,
	# which wants at least one key type)
	[ "$guest_release" = bookworm ] ||
		printf 'ssh_genkeytypes: []\n' > "$rootfs/etc/cloud/cloud.cfg.d/10-test-ssh.cfg"
	echo guest > "$rootfs/etc/hostname"
	# An image as an image builder finishes it, for a machine without
	# display, FUSE or EFI: an initrd with the root disk's driver alone
	# (MODULES=list: not every storage driver Debian has; dep would look at
	# this machine), the work of a first boot after package updates done
	# (ldconfig, the journal catalog, sysusers: ConditionNeedsUpdate), and no
	# modprobe of drm, fuse, efi_pstore or configfs at every boot. Under TCG
	# that is 15% of a boot's CPU time (measured: 74 s instead of 87 s).
	printf 'MODULES=list\n' > "$rootfs/etc/initramfs-tools/conf.d/10-vm.conf"
	printf 'virtio_pci\nvirtio_blk\n' >> "$rootfs/etc/initramfs-tools/modules"
	guest_chroot "$rootfs" update-initramfs -u -k all > "$out/initramfs.log" 2>&1 ||
		{ cat "$out/initramfs.log"; echo "update-initramfs failed in the guest image"; return 1; }
	systemctl --root="$rootfs" mask modprobe@drm.service modprobe@fuse.service \
		modprobe@efi_pstore.service modprobe@configfs.service >/dev/null 2>&1
	touch "$rootfs/etc/.updated" "$rootfs/var/.updated"
	kernel=$(ls "$rootfs"/boot/vmlinuz-* | head -n 1)
	initrd=$(ls "$rootfs"/boot/initrd.img-* | head -n 1)
	cp "$kernel" "$out/vmlinuz"
	cp "$initrd" "$out/initrd.img"
	truncate -s 3G "$out/root.raw"
	mkfs.ext4 -q -L root -d "$rootfs" "$out/root.raw"
	rm -rf "$rootfs"
}

guest_setup() {
	guest_require
	work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-guest.XXXXXX")
	trap 'guest_cleanup' EXIT
	guest_base
	guest_image
	qemu-img create -q -f qcow2 -b "$image_dir/root.raw" -F raw "$work/disk.qcow2"
}

guest_cleanup() {
	[ -n "${qemu_pid:-}" ] && kill "$qemu_pid" 2>/dev/null
	rm -rf "$work"
}

# guest_seed USER_DATA [META_DATA]: the NoCloud seed for the next boot; a new
# $guest_iid makes cloud-init take it as a new instance (and read it again)
guest_seed() {
	mkdir -p "$work/seed"
	printf '%s\n' "$1" > "$work/seed/user-data"
	printf 'instance-id: %s\nlocal-hostname: guest\n%s\n' "${guest_iid:-iid-test}" "${2:-}" > "$work/seed/meta-data"
	genisoimage -quiet -volid cidata -joliet -rock -output "$work/seed.iso" "$work/seed"
}

# guest_boot NAME SCRIPT [--append ARGS] [--hotplug FILE] DIMM...: boot the
# image (its disk persists across boots of one test), run SCRIPT when the
# boot is done, and return its result. With --hotplug "FILE..." each FILE is
# added through QEMU's monitor, the first when the guest prints
# VPMEM-HOTPLUG-NOW 1, the next at VPMEM-HOTPLUG-NOW 2, ...: as an NVDIMM, or
# as a virtio-pmem device when written virtio:FILE. With --stop-after TEXT N,
# for a boot that is expected never to finish: QEMU is stopped N seconds after
# TEXT shows on the console, and the result is 0 then (1 if TEXT never shows).
guest_boot() {
	name=$1 script=$2
	shift 2
	append="" hotplug="" stop_text="" stop_after=0
	while :; do
		case ${1:-} in
		--append) append=$2; shift 2 ;;
		--hotplug) hotplug=$2; shift 2 ;;
		--stop-after) stop_text=$2 stop_after=$3; shift 3 ;;
		*) break ;;
		esac
	done
	mkdir -p "$work/test"
	cp "$guest_dir/run.sh" "$vm_dir/guest.sh" "$work/test/"
	cp "$script" "$work/test/test.sh"
	rm -f "$work/test.iso"
	genisoimage -quiet -volid vpmtest -joliet -rock -output "$work/test.iso" "$work/test"
	seed=""
	[ -e "$work/seed.iso" ] && seed="-drive file=$work/seed.iso,if=virtio,format=raw,readonly=on"
	args="" i=0
	for d in "$@"; do
		args="$args -object memory-backend-file,id=mem$i,share=on,mem-path=$d,size=$(stat -c %s "$d"),align=2M"
		args="$args -device nvdimm,id=nvdimm$i,memdev=mem$i,label-size=128K"
		i=$((i + 1))
	done
	log="$work/$name.log"
	echo "--- boot $name: $* ---"
	# shellcheck disable=SC2086 # word lists built above
	# (-svm: no nested virtualisation, as clouds mostly give their guests;
	# quiet: the kernel's warnings and errors only on the serial console)
	timeout 900 qemu-system-x86_64 -accel tcg -machine pc,nvdimm=on -cpu qemu64,-svm -smp "$guest_smp" \
		-m 1G,slots=4,maxmem=64G \
		-nographic -no-reboot -nodefaults -serial "file:$log" -nic none \
		-qmp "unix:$work/qmp.sock,server=on,wait=off" \
		-kernel "$image_dir/vmlinuz" -initrd "$image_dir/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 panic=-1 quiet cryptomgr.notests systemd.show_status=false $append" \
		-drive "file=$work/disk.qcow2,if=virtio,format=qcow2" \
		-drive "file=$work/test.iso,if=virtio,format=raw,readonly=on" $seed \
		$args < /dev/null > "$work/$name.qemu.out" 2>&1 &
	qemu_pid=$!
	k=1
	for h in $hotplug; do
		kind=nvdimm
		case $h in virtio:*) h=${h#virtio:}; kind=virtio-pmem ;; esac
		guest_wait_for "$log" "VPMEM-HOTPLUG-NOW $k" || { kill "$qemu_pid"; fail "$name: the guest never asked for hotplug $k"; }
		python3 "$guest_dir/qmp.py" "$work/qmp.sock" "$h" "$i" "$kind" || fail "$name: hotplug through QMP failed"
		i=$((i + 1)) k=$((k + 1))
	done
	stopped=""
	if [ -n "$stop_text" ]; then
		if guest_wait_for "$log" "$stop_text"; then
			sleep "$stop_after"
			stopped=yes
		fi
		kill "$qemu_pid" 2>/dev/null || true
	fi
	wait "$qemu_pid" || true
	qemu_pid=""
	tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | grep -v '^\s*$' | sed "s/^/[$name] /"
	cat "$work/$name.qemu.out"
	if [ -n "$stop_text" ]; then
		[ -n "$stopped" ] || { echo "FAIL: $name: \"$stop_text\" never showed on the console"; return 1; }
		echo "--- $name: stopped ${stop_after} s after \"$stop_text\" ---"
		return 0
	fi
	rc=$(tr -d '\r' < "$log" | sed -n 's/^VPMEM-TEST-EXIT \([0-9]*\)$/\1/p' | tail -n 1)
	[ -n "$rc" ] || { echo "FAIL: $name: the guest did not finish (no exit marker)"; return 1; }
	return "$rc"
}

# guest_wait_for LOG TEXT: until TEXT shows on the console (15 minutes at most)
guest_wait_for() {
	n=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$qemu_pid" 2>/dev/null || return 1
		n=$((n + 1))
		[ $n -lt 900 ] || return 1
		sleep 1
	done
}
