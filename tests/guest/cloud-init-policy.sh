#!/bin/sh
# The policy comes with the instance: cloud-config user-data asks for devdax
# on region 0 and xfs + ext4 on region 1; NoCloud meta-data carries an
# OpenStack-style "meta" policy that user-data overrides entry by entry.
# cloud-init accepts the "vpmem" key without a warning and ends "done", and
# the built-in default never ran first.
#
# user-data says "overwrite: true": on the instance's first boot it applies to
# the devices present then (region0's DIMM holds stray bytes, which only
# overwrite gets past), once. At the next boot of the same instance, a DIMM
# holding data is hot-added for an entry of the policy: it is refused, and its
# backing file is unchanged, byte for byte.
. "$(dirname "$0")/lib.sh"
guest_setup
nv0=$(vm_dimm nv0 1G) nv1=$(vm_dimm nv1 2G) nv2=$(vm_dimm nv2 1G)
# stray bytes at the start of region0's DIMM (not a signature: data all the same)
dd if=/dev/urandom of="$nv0" bs=1M count=1 conv=notrunc status=none
dd if=/dev/urandom of="$nv2" bs=1M count=4 conv=notrunc status=none
nv2_before=$(vm_sum "$nv2")

guest_seed '#cloud-config
vpmem:
  overwrite: true
  namespaces:
    - name: z
      region: 2
      filesystem: xfs
      mountpoint: /srv/z
    - name: fast
      region: 0
      mode: devdax
      group: disk
      permissions: "0660"
    - name: x
      region: 1
      size: 1G
      filesystem: xfs
      mountpoint: /srv/x
    - name: e
      region: 1
      filesystem: ext4
      mountpoint: /srv/e' \
'meta:
  vpmem: "{\"namespaces\": [{\"name\": \"x\", \"region\": 1, \"size\": \"1G\", \"filesystem\": \"ext4\", \"mountpoint\": \"/srv/meta\"}]}"'

cat > "$work/test.sh" <<'GUEST'
cloud-init status --wait --long || true
check "cloud-init status is done" sh -c 'cloud-init status | grep -q "status: done"'
# cloud-init >= 23.4 keeps what it logged at WARNING and above, deprecations
# included, and calls such a run "degraded done"; 22.4 keeps errors only
cloud-init status --format json > /tmp/ci-status.json 2>/dev/null || true
check "cloud-init's run is clean: done, no errors, no warnings, no deprecations" python3 -c '
import json, sys
s = json.load(open("/tmp/ci-status.json"))
recoverable = s.get("recoverable_errors") or {}
problems = list(s.get("errors") or []) + [m for level in recoverable.values() for m in level]
status = s.get("extended_status", s.get("status"))
print("cloud-init", status, problems)
sys.exit(0 if status == "done" and not problems else 1)'
check "no deprecation is logged about the vpmem module" sh -c "! grep -i deprecat /var/log/cloud-init.log | grep -qiE 'vpmem|log. parameter'"
grep -E "WARNING|ERROR" /var/log/cloud-init.log | grep -iE "schema|cloud-config|vpmem" | tee /tmp/ci-warnings
check "cloud-init logged no schema warning and no vpmem error" [ ! -s /tmp/ci-warnings ]
check "no traceback from the vpmem module" sh -c "! grep -A3 Traceback /var/log/cloud-init.log | grep -q cc_vpmem"
check "the vpmem module ran" grep -q "Running module vpmem" /var/log/cloud-init.log
check "user-data's policy is in /run/vpmem/vpmem.json" grep -q '"name": "fast"' /run/vpmem/vpmem.json
check "metadata's policy is in the drop-in" grep -q '/srv/meta' /run/vpmem/vpmem.d/50-instance-metadata.json
vpmem-agent status
dax=$(ls /dev/dax0.* 2>/dev/null | head -n 1)
check "region0 is devdax" [ -c "$dax" ]
check "with group disk and mode 0660" [ "$(stat -c '%G %a' "$dax")" = "disk 660" ]
check "x is xfs at /srv/x, with DAX: user-data overrides the metadata entry of the same name" \
	is_mounted_dax /srv/x xfs
check "e is ext4 at /srv/e, with DAX" is_mounted_dax /srv/e ext4
check "nothing at the metadata's mountpoint" sh -c "! grep -q ' /srv/meta ' /proc/mounts"
check "the built-in default never ran (no /mnt/pmem*)" sh -c "! grep -q ' /mnt/pmem' /proc/mounts && ! ls /sys/bus/nd/devices/namespace*/alt_name | xargs cat | grep -q pmem"
journalctl -b -o cat | grep "vpmem-agent" | head -n 20
check "overwrite ran once, on the regions present" \
	grep -q "overwrite (from the instance's policy, on its first boot only): region0 region1" /var/log/cloud-init.log
check "  by cloud-init's per-instance semaphore" sh -c 'ls /var/lib/cloud/instance/sem/ | grep -qx vpmem_overwrite'
check "overwrite is in no file the agent reads later" sh -c '! grep -rq overwrite /run/vpmem/vpmem.json /run/vpmem/vpmem.d'
finish
GUEST

cat > "$work/again.sh" <<'GUEST'
cloud-init status --wait --long || true
check "the vpmem module ran again at this boot" sh -c 'journalctl -b -o cat | grep -q "Running module vpmem" || \
	[ "$(grep -c "Running module vpmem" /var/log/cloud-init.log)" -ge 2 ]'
check "overwrite did not run again" [ "$(grep -c "on its first boot only" /var/log/cloud-init.log)" -eq 1 ]
check "x is DAX-mounted again at /srv/x" is_mounted_dax /srv/x
echo "VPMEM-HOTPLUG-NOW 1"
i=0
while [ $i -lt 300 ] && ! journalctl -b -o cat -u 'vpmem-agent@*' | grep -q "region2"; do sleep 1; i=$((i + 1)); done
sleep 2
journalctl -b -o cat -u 'vpmem-agent@*' | tee /tmp/hotplug
echo "waited $i s for the hot-added DIMM's run"
check "the hot-added DIMM holding data is refused" sh -c 'grep "region2" /tmp/hotplug | grep -q "non-zero bytes in its first MiB"'
check "  nothing at /srv/z" sh -c "! grep -q ' /srv/z ' /proc/mounts"
# the refusal is an event a fleet's log search finds by its MESSAGE_ID (refused: data), with its fields
journalctl -b -o json MESSAGE_ID=b51d1969653248f79b75d8261223a3ea > /tmp/refused.json
cat /tmp/refused.json
check "journalctl MESSAGE_ID=<refused: data> finds it, with VPMEM_REASON, VPMEM_REGION and VPMEM_DIMMS" python3 -c '
import json, sys
events = [json.loads(l) for l in open("/tmp/refused.json") if l.strip()]
hit = [e for e in events if e.get("VPMEM_REGION") == "region2" and e.get("VPMEM_REASON") == "data"
       and e.get("PRIORITY") == "3" and e.get("SYSLOG_IDENTIFIER") == "vpmem-agent"
       and e.get("VPMEM_DIMMS", "").startswith("nmem") and "non-zero bytes" in e.get("MESSAGE", "")
       and e.get("_SYSTEMD_UNIT", "").startswith("vpmem-agent@")]
print(len(events), "events,", len(hit), "as expected:", hit[:1])
other = [e for e in events if e.get("VPMEM_REASON") != "data"]
sys.exit(0 if hit and not other else 1)'
journalctl -b -o json MESSAGE_ID=f1bdd3c55ecf49afadc99c3f8a4729b8 > /tmp/provisioned.json
check "the mounts of this boot are events too (provisioned), with their devices" python3 -c '
import json, sys
events = [json.loads(l) for l in open("/tmp/provisioned.json") if l.strip()]
mounts = [e for e in events if "with DAX, verified" in e.get("MESSAGE", "")]
print([(e.get("VPMEM_REGION"), e.get("VPMEM_DEVICE")) for e in mounts])
sys.exit(0 if mounts and all(e.get("VPMEM_DEVICE", "").startswith("/dev/pmem") and e.get("VPMEM_REGION", "").startswith("region") for e in mounts) else 1)' 
finish
GUEST

guest_boot cloud-init "$work/test.sh" "$nv0" "$nv1"
guest_boot again "$work/again.sh" --hotplug "$nv2" "$nv0" "$nv1"
[ "$(vm_sum "$nv2")" = "$nv2_before" ] || fail "the hot-added DIMM's backing changed although it held data"
echo "PASS: the hot-added DIMM's backing file is unchanged"
