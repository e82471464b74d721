#!/bin/sh
# The agent's metrics as a fleet's Prometheus reads them: the real
# prometheus-node-exporter in the guest, on loopback, its textfile collector
# reading /var/lib/prometheus/node-exporter on a disk of its own (the
# guest's root filesystem), scraped over HTTP after an apply that
# provisions one NVDIMM and refuses another that holds data, after a
# change, after --overwrite, and after a reboot. Each value is checked
# against the kernel (sysfs, /proc/mounts, statx). A run with nothing to
# do writes nothing to that disk (its write count), in the boot and after
# the reboot; promtool passes the files.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
vm_setup
vm_with_node_exporter=1
vm_mem=768M
vm_extra_args=$(vm_state_disk "$work/state.img" state)

# shared by both boots: node_exporter started, scrape and expect
cat > "$work/common.sh" <<'GUEST'
MD=/var/lib/prometheus/node-exporter
mount_state $MD state
vd=$(mount_source $MD); vd=${vd#/dev/}
ip link set lo up
prometheus-node-exporter --web.listen-address=127.0.0.1:9100 --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory=$MD > /tmp/node-exporter.log 2>&1 &
i=0
until wget -q -O /dev/null http://127.0.0.1:9100/metrics 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 150 ] || { cat /tmp/node-exporter.log; break; }
	sleep 0.2
done
check "node_exporter serves on 127.0.0.1:9100" wget -q -O /dev/null http://127.0.0.1:9100/metrics
scrape() { wget -q -O /tmp/scrape http://127.0.0.1:9100/metrics || echo "scrape failed"; }
value() { awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print "none" }' /tmp/scrape; }
# expect SERIES VALUE WHAT: equal as numbers (node_exporter writes 1 GiB as 1.073741824e+09)
expect() {
	v=$(value "$1")
	check "$3: $1 $v" awk -v a="$v" -v b="$2" 'BEGIN { exit !(a != "none" && a + 0 == b + 0) }'
}
absent() { check "$2: no $1" [ "$(value "$1")" = none ]; }
writes() { sync; awk '{ print $5 }' /sys/block/$vd/stat; }
# ext4 writes at every sync, with nothing dirty too (one request here): a
# command writes nothing when the disk sees no more writes across it than
# across a bare sync. writes_during CMD...: the writes across CMD, less that.
writes_during() {
	a=$(writes); b=$(writes)
	"$@" > /dev/null 2>&1
	c=$(writes)
	echo $((c - b - (b - a)))
}
# ns_labels REGION NAME MODE FS MOUNTPOINT: a namespace's labels, in the order node_exporter serves them
ns_labels() { echo "{device=\"/dev/pmem$1\",filesystem=\"$4\",mode=\"$3\",mountpoint=\"$5\",name=\"$2\",namespace=\"namespace$1.0\",region=\"region$1\"}"; }
GUEST

cat > "$work/first.sh" <<'GUEST'
. /common.sh
check "no metrics before the agent's first run" [ ! -e $MD/vpmem-agent.prom ]
# region1 holds data: ext4 on its label-less namespace, made by hand
mkfs.ext4 -q /dev/pmem1 && mkdir -p /tmp/m && mount /dev/pmem1 /tmp/m && echo precious > /tmp/m/file && umount /tmp/m
before=$(date +%s)
agent apply > /tmp/apply.out 2>&1
rc=$?
cat /tmp/apply.out
check "apply provisions region0 and refuses region1's data: exit 1" [ $rc -eq 1 ]
check "  why: it holds ext4" grep -q "holds an ext4 signature" /tmp/apply.out
scrape
grep '^vpmem_agent' /tmp/scrape
expect node_textfile_scrape_error 0 "node_exporter read the agent's file"
expect vpmem_agent_last_apply_success 0 "the apply failed"
expect 'vpmem_agent_last_apply_refusals{reason="data"}' 1 "  one refusal: data"
expect 'vpmem_agent_last_apply_refusals{reason="conflict"}' 0 "  no other"
expect 'vpmem_agent_last_apply_failures{reason="error"}' 0 "  no failure"
check "  and steps done" [ "$(value vpmem_agent_last_apply_done_steps)" != none ] && [ "$(value vpmem_agent_last_apply_done_steps)" != 0 ]
t=$(value vpmem_agent_last_apply_timestamp_seconds)
check "  when: $t, in this run" awk -v t="$t" -v a="$before" -v b="$(date +%s)" 'BEGIN { exit !(t + 0 >= a && t + 0 <= b + 1) }'
check "region0's xfs is mounted with DAX (the kernel's mount table)" is_mounted_dax /mnt/pmem0 xfs
dd if=/dev/zero of=/mnt/pmem0/f bs=1M count=2 2>/dev/null
check "  and DAX in effect on a file (statx)" dax_in_effect /mnt/pmem0/f
expect "vpmem_agent_namespace_dax$(ns_labels 0 pmem0 fsdax xfs /mnt/pmem0)" 1 "  the metrics say DAX"
expect "vpmem_agent_namespace_size_bytes$(ns_labels 0 pmem0 fsdax xfs /mnt/pmem0)" "$(cat /sys/bus/nd/devices/namespace0.0/size)" "  its size is the kernel's"
expect "vpmem_agent_namespace_size_bytes$(ns_labels 1 '' raw ext4 '')" "$(cat /sys/bus/nd/devices/namespace1.0/size)" "region1's label-less raw namespace, ext4, not mounted"
absent "vpmem_agent_namespace_dax$(ns_labels 1 '' raw ext4 '')" "  and no DAX series for it"
for r in 0 1; do
	expect "vpmem_agent_region_size_bytes{kind=\"nfit\",region=\"region$r\"}" "$(cat /sys/bus/nd/devices/region$r/size)" "region$r's size is the kernel's"
	expect "vpmem_agent_region_badblocks{region=\"region$r\"}" "$(grep -c . /sys/bus/nd/devices/region$r/badblocks)" "  its bad blocks"
done
# with labels the kernel counts what no label takes; a label-less region's one namespace takes it all
expect 'vpmem_agent_region_available_bytes{region="region0"}' "$(cat /sys/bus/nd/devices/region0/available_size)" "region0's free capacity is the kernel's"
expect 'vpmem_agent_region_available_bytes{region="region1"}' 0 "label-less region1 has none free"
keep first.prom "$(base64 -w0 $MD/vpmem-agent.prom)"

# nothing changed: a rerun (the same refusal, in the same boot) and status write nothing
ino0=$(stat -c %i $MD/vpmem-agent.prom)
check "a rerun with nothing new writes nothing to the disk ($vd)" [ "$(writes_during vpmem-agent apply)" -eq 0 ]
check "  nor does status" [ "$(writes_during vpmem-agent status)" -eq 0 ]
check "  the file is the one written before (inode $ino0)" [ "$(stat -c %i $MD/vpmem-agent.prom)" = "$ino0" ]
# a change does: region0 unmounted by someone, mounted again by the agent
umount /mnt/pmem0
n=$(writes_during vpmem-agent apply)
check "  (an apply that mounts again does write: $n)" [ "$n" -gt 0 ]
scrape
expect vpmem_agent_last_apply_done_steps 1 "  that apply: one step"

agent apply --overwrite region1 > /tmp/overwrite.out 2>&1
check "apply --overwrite region1 makes xfs there" [ $? -eq 0 ]
scrape
expect vpmem_agent_last_apply_success 1 "  the apply succeeded"
expect 'vpmem_agent_last_apply_refusals{reason="data"}' 0 "  no refusal"
check "region1's xfs is mounted with DAX" is_mounted_dax /mnt/pmem1 xfs
expect "vpmem_agent_namespace_dax$(ns_labels 1 pmem1 fsdax xfs /mnt/pmem1)" 1 "  the metrics say DAX"
expect 'vpmem_agent_region_available_bytes{region="region1"}' "$(cat /sys/bus/nd/devices/region1/available_size)" "  region1's free capacity, with labels now, is the kernel's"
keep first.time "$(value vpmem_agent_last_apply_timestamp_seconds)"
check "a rerun writes nothing" [ "$(writes_during vpmem-agent apply)" -eq 0 ]
finish
GUEST

cat > "$work/second.sh" <<'GUEST'
. /common.sh
scrape
expect vpmem_agent_last_apply_success 1 "after the reboot, before the agent: the last boot's metrics"
agent apply > /tmp/apply.out 2>&1
check "the boot's apply mounts both: exit 0" [ $? -eq 0 ]
cat /tmp/apply.out
scrape
expect vpmem_agent_last_apply_done_steps 2 "  two steps (mounts)"
t=$(value vpmem_agent_last_apply_timestamp_seconds)
check "  a time after the first boot's" awk -v t="$t" -v f="$(kept first.time)" 'BEGIN { exit !(t + 0 > f + 0) }'
for r in 0 1; do
	expect "vpmem_agent_namespace_dax$(ns_labels $r pmem$r fsdax xfs /mnt/pmem$r)" 1 "region$r: DAX"
done
# what udev starts for each device at boot, after the service: nothing to do, nothing written
for t in region0 region1 ""; do
	check "the boot's run of apply ${t:-(every region)} after the service's writes nothing to the disk ($vd)" [ "$(writes_during vpmem-agent apply $t)" -eq 0 ]
done
keep second.prom "$(base64 -w0 $MD/vpmem-agent.prom)"
finish
GUEST
vm_file /common.sh "$(cat "$work/common.sh")"

nv0=$(vm_dimm nv0 1G) nv1=$(vm_dimm nv1 1G)
vm_boot first "$work/first.sh" "$nv0" "$nv1"
vm_boot second "$work/second.sh" "$nv0" "$nv1"

# the files as written, through Prometheus' own checks
for k in first second; do
	base64 -d < "$work/files/kept/$k.prom" > "$work/$k.prom" || fail "no $k.prom kept"
	promtool check metrics < "$work/$k.prom" > "$work/$k.lint" 2>&1 || { cat "$work/$k.lint"; fail "promtool check metrics: the $k boot's file"; }
	echo "PASS: promtool check metrics passes the $k boot's file ($(grep -vc '^#' "$work/$k.prom") samples)"
done
