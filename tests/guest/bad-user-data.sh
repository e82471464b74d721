#!/bin/sh
# Bad user-data: cloud-init's log says clearly what is wrong, no device is
# touched (the regions keep no labels), and the boot still completes.
. "$(dirname "$0")/lib.sh"
guest_setup
nv0=$(vm_dimm nv0 1G)

guest_seed '#cloud-config
vpmem:
  namespaces:
    - name: data
      size: 4X
      mountpoint: relative/path
      colour: blue'

cat > "$work/test.sh" <<'GUEST'
check "the boot completed" systemctl is-active -q multi-user.target
cloud-init status --wait --long || true
grep -E "vpmem|cc_vpmem" /var/log/cloud-init.log | grep -v "DEBUG" | tee /tmp/ci-vpmem
check "cloud-init's log names the bad size" grep -q 'namespaces\[0\].size' /tmp/ci-vpmem
check "and the unknown key" grep -q 'namespaces\[0\].colour: unknown key' /tmp/ci-vpmem
check "and says no device was touched" grep -q "no device was touched" /tmp/ci-vpmem
check "cloud-init reports the error" sh -c 'cloud-init status | grep -q "status: error"'
check "the region got no labels" [ ! -e /sys/bus/nd/devices/namespace0.0/alt_name ]
check "nothing is mounted" sh -c '! grep -q "^/dev/pmem" /proc/mounts'
systemctl status --no-pager vpmem-agent.service | tail -n 8
check "vpmem-agent.service refused the policy too (exit 2)" \
	[ "$(systemctl show -P ExecMainStatus vpmem-agent.service)" = 2 ]
finish
GUEST

guest_boot bad-user-data "$work/test.sh" "$nv0"
