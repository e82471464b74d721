# A real libvirt daemon for a test (sourced after lib.sh and vm_setup): Debian's
# libvirtd, as root, in a mount namespace of its own where /etc/libvirt,
# /var/lib/libvirt, /run/libvirt, /var/cache/libvirt, /var/log/libvirt and
# /etc/passwd, /etc/group are bind mounts of files under $work, so it keeps
# no state on the machine. Its socket is $work/libvirt/libvirt-sock; it
# listens on nothing else. QEMU's capabilities, which it probes on its first
# start (seconds), are cached in $VPMEM_TEST_CACHE/libvirt-caps.
# Sets $lv_uri; lv_virsh runs virsh against it.

libvirtd_require() {
	for tool in libvirtd virsh unshare; do
		command -v "$tool" >/dev/null 2>&1 ||
			skip "$tool is not installed (Debian: libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients util-linux)"
	done
	[ -e /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so ] ||
		skip "libvirt's QEMU driver is not installed (Debian: libvirt-daemon-driver-qemu)"
}

libvirtd_start() {
	libvirtd_require
	lv=$work/libvirt
	lv_uri="qemu+unix:///system?socket=$lv/libvirt-sock"
	lv_made=""
	mkdir -p "$lv/etc" "$lv/lib" "$lv/run" "$lv/cache/qemu" "$lv/log"
	cat > "$lv/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 0
unix_sock_dir = "$lv"
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
unix_sock_ro_perms = "0700"
unix_sock_admin_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$lv/libvirtd.log"
CONF
	[ -d /etc/libvirt ] && cp -a /etc/libvirt/. "$lv/etc/"
	# QEMU as root with no security driver: the test's files stay the test's
	printf 'user = "root"\ngroup = "root"\nstdio_handler = "file"\nsecurity_driver = "none"\n' > "$lv/etc/qemu.conf"
	# libvirt resolves its default user before reading qemu.conf: it must exist, here only
	cp /etc/passwd "$lv/passwd"
	cp /etc/group "$lv/group"
	getent passwd libvirt-qemu >/dev/null ||
		echo "libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin" >> "$lv/passwd"
	getent group libvirt-qemu >/dev/null || echo "libvirt-qemu:x:64055:" >> "$lv/group"
	cache_lock libvirt-caps
	[ -d "$VPMEM_TEST_CACHE/libvirt-caps" ] && cp -a "$VPMEM_TEST_CACHE/libvirt-caps/." "$lv/cache/qemu/"
	cache_unlock
	for d in /etc/libvirt /var/lib/libvirt /run/libvirt /var/cache/libvirt /var/log/libvirt; do
		[ -d "$d" ] || { mkdir -p "$d"; lv_made="$d $lv_made"; }
	done
	trap 'libvirtd_stop; rm -rf "$work"' EXIT
	unshare --mount --propagation private sh -c '
		lv=$1
		mount --bind "$lv/etc" /etc/libvirt && mount --bind "$lv/lib" /var/lib/libvirt &&
		mount --bind "$lv/run" /run/libvirt && mount --bind "$lv/cache" /var/cache/libvirt &&
		mount --bind "$lv/log" /var/log/libvirt &&
		mount --bind "$lv/passwd" /etc/passwd && mount --bind "$lv/group" /etc/group &&
		exec libvirtd --config "$lv/libvirtd.conf" --daemon --pid-file "$lv/libvirtd.pid"' sh "$lv" ||
		fail "libvirtd did not start"
	i=0
	while [ ! -S "$lv/libvirt-sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$lv/libvirt-sock" ] || { cat "$lv/libvirtd.log"; fail "libvirtd made no socket"; }
	lv_virsh version >/dev/null || fail "cannot talk to libvirtd at $lv_uri"
}

lv_virsh() { virsh -q -c "$lv_uri" "$@"; }

libvirtd_stop() {
	[ -n "${lv:-}" ] || return 0
	set +e # clean up as much as can be, whatever fails
	if [ -S "$lv/libvirt-sock" ]; then
		for d in $(lv_virsh list --all --name 2>/dev/null); do
			lv_virsh destroy "$d" >/dev/null 2>&1
			lv_virsh undefine "$d" >/dev/null 2>&1
		done
	fi
	if [ -s "$lv/libvirtd.pid" ]; then
		pid=$(cat "$lv/libvirtd.pid")
		kill "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$pid" 2>/dev/null
	fi
	if [ -d "$lv/cache/qemu/capabilities" ]; then
		cache_lock libvirt-caps
		mkdir -p "$VPMEM_TEST_CACHE/libvirt-caps"
		cp -a "$lv/cache/qemu/." "$VPMEM_TEST_CACHE/libvirt-caps/"
		cache_unlock
	fi
	for d in $lv_made; do rmdir "$d" 2>/dev/null; done
	lv=""
	return 0
}

# lv_domain NAME INITRD CONSOLE [nonuma]: a TCG domain that boots the test
# kernel and initramfs, with memory hotplug slots and one NUMA cell (unless
# "nonuma": a domain that cannot take an NVDIMM)
lv_domain() {
	if [ "${4:-}" = nonuma ]; then max="" numa=""; else
		max="<maxMemory slots='4' unit='GiB'>16</maxMemory>"
		numa="<cpu><numa><cell id='0' cpus='0-1' memory='512' unit='MiB'/></numa></cpu>"
	fi
	cat > "$work/$1.xml" <<XML
<domain type='qemu'>
  <name>$1</name>
  $max
  <memory unit='MiB'>512</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$vmlinuz</kernel>
    <initrd>$2</initrd>
    <cmdline>$vm_cmdline</cmdline>
  </os>
  <features><acpi/></features>
  $numa
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <serial type='file'><source path='$3'/><target port='0'/></serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
	lv_virsh define "$work/$1.xml" >/dev/null || fail "libvirt refused the domain $1"
}

# lv_wait_console FILE PATTERN SECONDS
lv_wait_console() {
	i=0
	while [ $i -lt $(($3 * 5)) ]; do
		tr -d '\r' < "$1" 2>/dev/null | grep -q "$2" && return 0
		sleep 0.2; i=$((i + 1))
	done
	return 1
}

# lv_wait_off NAME SECONDS
lv_wait_off() {
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		[ "$(lv_virsh domstate "$1" 2>/dev/null)" = "shut off" ] && return 0
		sleep 0.2; i=$((i + 1))
	done
	return 1
}
