#!/bin/sh
# What a DIMM's firmware reports: an NVDIMM whose NFIT entry says it cannot
# persist writes (QEMU's unarmed=on: the kernel's nfit/flags say not_armed
# and its region is read-only) beside a healthy one. The agent refuses the
# read-only region (reason device), says the DIMM's health once a boot as
# an event, status shows the flags, and the metrics carry them; the
# healthy DIMM is provisioned as usual and reports nothing.
. "$(dirname "$0")/lib.sh"
vm_setup

cat > "$work/test.sh" <<'GUEST'
mkdir -p /tmp/prom
export VPMEM_METRICS_DIR=/tmp/prom
for f in /sys/bus/nd/devices/nmem*/nfit/flags; do echo "$f: $(cat "$f")"; done
bad=$(grep -l not_armed /sys/bus/nd/devices/nmem*/nfit/flags | head -n 1 | cut -d/ -f6)
check "the kernel says one DIMM is not armed ($bad)" [ -n "$bad" ]
good=$(ls /sys/bus/nd/devices/ | grep '^nmem' | grep -vx "$bad" | head -n 1)
region_of_dimm() { for r in /sys/bus/nd/devices/region*; do grep -q "^$1," "$r"/mapping0 2>/dev/null && basename "$r"; done; }
rbad=$(region_of_dimm "$bad") rgood=$(region_of_dimm "$good")
check "  and its region $rbad is read-only" [ "$(cat /sys/bus/nd/devices/$rbad/read_only)" = 1 ]
agent apply > /tmp/apply.out 2>&1
check "apply: exit 1" [ $? -eq 1 ]
cat /tmp/apply.out
check "the read-only region is refused" grep -q "$rbad is read-only: left as it is" /tmp/apply.out
check "the DIMM's health is said" grep -q "warning: $bad ($rbad): its firmware reports health unknown, flags: not_armed" /tmp/apply.out
check "the healthy DIMM's region is provisioned" is_mounted_dax /mnt/pmem${rgood#region}
check "  and nothing is said of its DIMM" sh -c "! grep -q '$good (' /tmp/apply.out"
agent apply > /tmp/again.out 2>&1
check "a second run of the boot does not say it again" sh -c "! grep -q 'its firmware reports' /tmp/again.out"
vpmem-agent status | tee /tmp/status
check "status shows the flag" grep -q "^  $bad: health unknown, flags: not_armed$" /tmp/status
check "status --json too" sh -c "vpmem-agent status --json | tr -d ' \n' | grep -q '{\"dimm\":\"$bad\",\"health\":\"unknown\",\"flags\":\[\"not_armed\"\],\"dirty_shutdowns\":null}'"
grep dimm /tmp/prom/vpmem-agent.prom
check "the metrics carry it" grep -qx "vpmem_agent_dimm_flag{region=\"$rbad\",dimm=\"$bad\",flag=\"not_armed\"} 1" /tmp/prom/vpmem-agent.prom
check "  and not for the healthy one" grep -qx "vpmem_agent_dimm_flag{region=\"$rgood\",dimm=\"$good\",flag=\"not_armed\"} 0" /tmp/prom/vpmem-agent.prom
check "  the refusal by its reason" grep -qx 'vpmem_agent_last_apply_refusals{reason="device"} 1' /tmp/prom/vpmem-agent.prom
check "  no dirty shutdown count where the DIMM keeps none" sh -c '! grep -q "^vpmem_agent_dimm_dirty_shutdowns" /tmp/prom/vpmem-agent.prom'
finish
GUEST

vm_boot health "$work/test.sh" "$(vm_dimm nv0 1G)" "unarmed:$(vm_dimm nv1 1G)"
