# The CXL part of the benchmark (a boot of its own, under Debian 13's QEMU;
# sourced by the test init after tests/vm/guest.sh): first provisioning of a
# fresh 1 GiB CXL memory device by the agent against the hand procedure, in
# this boot, alternating agent, hand, hand, agent. Devices by serial number:
# 1 and 4 the agent's, 2 and 3 the hand's. No warm-up device: QEMU's CXL
# host bridge has 4 decoders, one a region, and the first run (the agent's)
# pays the boot's one-time costs. Prints "BENCH key value" lines.
bench() { printf "\nBENCH %s\n" "$*"; }
timed() {
	name=$1; shift
	benchtool time "$@" > "/tmp/$name.out" 2> "/tmp/$name.err" || { cat "/tmp/$name.out" "/tmp/$name.err" >&2; echo "BENCH-ERROR $name failed" >&2; exit 1; }
	sed -n 's/^BENCHTIME //p' "/tmp/$name.err"
}
memdev() { for m in /sys/bus/cxl/devices/mem[0-9]*; do [ "$(cat "$m/serial")" = "$1" ] && echo "${m##*/}"; done; }

# the hand procedure (ndctl's documentation, pmem/ndctl issues 226, 250, 297):
# a region of the device, an fsdax namespace (the kernel writes the labels),
# mkfs for DAX, mount -o dax
cat > /tmp/hand.sh <<'HAND'
mem=$1 mnt=$2
cxl create-region -m -d decoder0.0 -w 1 -t pmem "$mem" > /tmp/region.json 2>/dev/null || exit 1
reg=$(sed -n 's/.*"region":"\([^"]*\)".*/\1/p' /tmp/region.json | head -n 1)
[ -n "$reg" ] || exit 1
dev=$(ndctl create-namespace -r "$reg" -m fsdax | sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p')
[ -n "$dev" ] || exit 1
mkfs.xfs -q -f -b size=4096 -m reflink=0 -d su=2m,sw=1 "/dev/$dev" || exit 1
mkdir -p "$mnt" && mount -o dax "/dev/$dev" "$mnt"
HAND
# the agent: a policy of one region, the next the kernel numbers
agent_policy() {
	echo "{\"cxl\": [{\"memdevs\": [\"$1\"]}], \"namespaces\": [{\"name\": \"$2\", \"region\": $3, \"mountpoint\": \"/mnt/$2\"}]}" > "/tmp/$2.json"
}
agent_policy 0x1 a1 0
a1=$(timed agent-1 vpmem-agent -c /tmp/a1.json apply)
h1=$(timed hand-1 sh /tmp/hand.sh "$(memdev 0x2)" /mnt/h1)
h2=$(timed hand-2 sh /tmp/hand.sh "$(memdev 0x3)" /mnt/h2)
agent_policy 0x4 a2 3
a2=$(timed agent-2 vpmem-agent -c /tmp/a2.json apply)
for v in "$a1" "$a2" "$h1" "$h2"; do [ -n "$v" ] || { echo "BENCH-ERROR a provisioning failed"; exit 1; }; done
for m in a1 a2 h1 h2; do is_mounted_dax /mnt/$m xfs || { echo "BENCH-ERROR /mnt/$m is not xfs mounted with DAX"; exit 1; }; done
bench cxl-first-agent "$a1 $a2"
bench cxl-first-hand "$h1 $h2"
faults=$(pmd_faults /mnt/a1/pmd-probe 64)
bench cxl-pmd "$faults"
