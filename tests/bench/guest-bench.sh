# The benchmark's scenario, in one guest boot (sourced by the test init after
# tests/vm/guest.sh). Regions are told apart by size (the host gives each
# DIMM its own). Prints "BENCH key value" lines for tests/bench/run.sh.
mib=1048576
reg() { r=$(region_by_size $(($1 * mib))) || { echo "BENCH-ERROR no region of $1 MiB"; exit 1; }; echo "$r"; }
# on a line of its own, whatever the kernel printed last
bench() { printf "\nBENCH %s\n" "$*"; }

# seconds a command took (benchtool's last line on stderr), its output kept in $work
timed() {
	name=$1; shift
	benchtool time "$@" > "/tmp/$name.out" 2> "/tmp/$name.err" || { cat "/tmp/$name.out" "/tmp/$name.err" >&2; echo "BENCH-ERROR $name failed" >&2; exit 1; }
	sed -n 's/^BENCHTIME //p' "/tmp/$name.err"
}

# The hand procedure of the seeds (Atmosphere, oVirt, IBM): labels, an fsdax
# namespace, mkfs with the page size as block size and no reflink, mount -o dax
cat > /tmp/hand.sh <<'HAND'
reg=region$1 fs=$2 mnt=$3
nmem=$(cut -d, -f1 "/sys/bus/nd/devices/$reg/mapping0")
ndctl disable-region "$reg" >/dev/null 2>&1 && ndctl init-labels -f "$nmem" >/dev/null 2>&1 &&
	ndctl enable-region "$reg" >/dev/null 2>&1 || exit 1
dev=$(ndctl create-namespace -r "$reg" -m fsdax | sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p')
[ -n "$dev" ] || exit 1
case $fs in
xfs) mkfs.xfs -q -f -b size=4096 -m reflink=0 -d su=2m,sw=1 "/dev/$dev" ;;
ext4) mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "/dev/$dev" ;;
esac || exit 1
mkdir -p "$mnt" && mount -o dax "/dev/$dev" "$mnt"
HAND

# the agent's state on a disk, as in a guest whose root filesystem persists:
# the test VM's root is an initramfs, where the agent would carry the proof
# of an mkfs under way in the namespace's name instead (pending.h), at the
# cost of a second enable of each new namespace
mount_state /var/lib/vpmem state || { echo "BENCH-ERROR no state disk"; exit 1; }
# node_exporter's textfile directory, as where it is installed: the agent's
# metrics are part of what it does at every run
mkdir -p /var/lib/prometheus/node-exporter

# warm-up: the first namespace of a boot pays a one-time kernel cost, and the
# agent initialises the CRNG (which mkfs needs) on the way
timed warmup vpmem-agent apply "region$(reg 1024)" >/dev/null

# first provisioning, alternating who goes first
a1=$(timed agent-xfs-1 vpmem-agent apply "region$(reg 4096)")
h1=$(timed hand-xfs-1 sh /tmp/hand.sh "$(reg 4112)" xfs /mnt/hand-xfs-1)
h2=$(timed hand-xfs-2 sh /tmp/hand.sh "$(reg 4128)" xfs /mnt/hand-xfs-2)
a2=$(timed agent-xfs-2 vpmem-agent apply "region$(reg 4144)")
echo '{"namespaces": [{"name": "bench", "filesystem": "ext4"}]}' > /tmp/ext4.json
h3=$(timed hand-ext4 sh /tmp/hand.sh "$(reg 4176)" ext4 /mnt/hand-ext4)
a3=$(timed agent-ext4 vpmem-agent -c /tmp/ext4.json apply "region$(reg 4160)")
for v in "$a1" "$a2" "$a3" "$h1" "$h2" "$h3"; do [ -n "$v" ] || { echo "BENCH-ERROR a provisioning failed"; exit 1; }; done
bench first-xfs-agent "$a1 $a2"
bench first-xfs-hand "$h1 $h2"
bench first-ext4-agent "$a3"
bench first-ext4-hand "$h3"

# the boot path: a no-op apply against one ndctl list -N, and status
n=$(ndctl list -N | grep -c '"dev":')
bench namespaces "$n"
# (a run that fails is no measurement: benchtool compare exits 1 then)
r=$(benchtool compare 31 vpmem-agent apply -- ndctl list -N) || { vpmem-agent apply; echo "BENCH-ERROR the no-op apply failed"; exit 1; }
bench noop "$r"
r=$(benchtool compare 31 vpmem-agent status -- ndctl list -N) || { echo "BENCH-ERROR status failed"; exit 1; }
bench status "$r"
# the baseline build (./dev.sh bench --baseline REF), in the same boot, against the same reference
if command -v vpmem-agent-baseline >/dev/null; then
	# the run directory as the current agent's: one where this boot's agent
	# initialised labels has a record directory each run looks into
	[ -d /run/vpmem/disabled ] && mkdir -p -m 0700 /run/vpmem-baseline/disabled
	vpmem-agent-baseline apply > /tmp/baseline.out 2>&1 || { cat /tmp/baseline.out; echo "BENCH-ERROR the baseline's apply failed"; exit 1; }
	r=$(benchtool compare 31 vpmem-agent-baseline apply -- ndctl list -N) || { echo "BENCH-ERROR the baseline's no-op apply failed"; exit 1; }
	bench noop-baseline "$r"
	r=$(benchtool compare 31 vpmem-agent-baseline status -- ndctl list -N) || { echo "BENCH-ERROR the baseline's status failed"; exit 1; }
	bench status-baseline "$r"
	r=$(benchtool compare 31 vpmem-agent apply -- vpmem-agent-baseline apply) || { echo "BENCH-ERROR apply against the baseline failed"; exit 1; }
	bench noop-vs-baseline "$r"
fi

# DAX quality: 2 MiB faults that succeed, per filesystem, namespace and file size
for m in $(awk '$2 ~ "^/mnt/" && $4 ~ /dax/ { print $2 }' /proc/mounts); do
	dev=$(awk -v m="$m" '$2 == m { print $1 }' /proc/mounts)
	fs=$(awk -v m="$m" '$2 == m { print $3 }' /proc/mounts)
	mib=$(($(cat "/sys/class/block/${dev#/dev/}/size") / 2048))
	for f in 64 512; do
		set -- $(pmd_faults "$m/bench-pmd" $f)
		bench "pmd $fs $m $mib $f $1 $2"
		rm -f "$m/bench-pmd"
	done
done
finish
