#!/bin/sh
# The policy comes with the instance: cloud-config user-data asks for devdax
# on region 0 and xfs + ext4 on region 1; NoCloud meta-data carries an
# OpenStack-style "meta" policy that user-data overrides entry by entry.
# cloud-init accepts the "vpmem" key without a warning and ends "done", and
# the built-in default never ran first.
. "$(dirname "$0")/lib.sh"
guest_setup
nv0=$(vm_dimm nv0 1G) nv1=$(vm_dimm nv1 2G)

guest_seed '#cloud-config
vpmem:
  namespaces:
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
check "x is xfs at /srv/x: user-data overrides the metadata entry of the same name" \
	sh -c "is_mounted_dax /srv/x 2>/dev/null || grep -q ' /srv/x xfs .*dax' /proc/mounts"
check "e is ext4 at /srv/e" sh -c "grep -q ' /srv/e ext4 .*dax' /proc/mounts"
check "nothing at the metadata's mountpoint" sh -c "! grep -q ' /srv/meta ' /proc/mounts"
check "the built-in default never ran (no /mnt/pmem*)" sh -c "! grep -q ' /mnt/pmem' /proc/mounts && ! ls /sys/bus/nd/devices/namespace*/alt_name | xargs cat | grep -q pmem"
journalctl -b -o cat | grep "vpmem-agent" | head -n 20
finish
GUEST

guest_boot cloud-init "$work/test.sh" "$nv0" "$nv1"
