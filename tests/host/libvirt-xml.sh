#!/bin/sh
# The libvirt XML vpmem-host writes is accepted by libvirt's own schema
# (virt-xml-validate, Debian's libvirt-clients) in a minimal domain around it.
# A file backing here; the devdax form (with <pmem/>) is validated by
# tests/vm/host-devdax.sh from a real device-dax namespace.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
command -v virt-xml-validate >/dev/null 2>&1 || { echo "SKIP: virt-xml-validate is not installed (Debian: libvirt-clients)"; exit 77; }
. "$top_srcdir/tests/host/wrap-domain.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-xml.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat > "$work/host.json" <<JSON
{"layout": [{"label": "F", "backend": "file", "directory": "$work/files", "size": "64M", "count": 2}]}
JSON
H="$top_builddir/host/vpmem-host -c $work/host.json -s $work/state"
c=$(cat /proc/sys/kernel/random/uuid)
$H setup 2>/dev/null
$H reserve --label F --consumer "$c" >/dev/null 2>&1
$H libvirt-xml --consumer "$c" > "$work/memory.xml"
cat "$work/memory.xml"
wrap_domain "$work/memory.xml" "$work/domain.xml"
virt-xml-validate "$work/domain.xml" domain
grep -q "<size unit='KiB'>65536</size>" "$work/memory.xml" || { echo "FAIL: the target size of a 64 MiB file is 65536 KiB"; exit 1; }
if grep -q "<pmem/>" "$work/memory.xml"; then echo "FAIL: a file is not persistent memory: no <pmem/>"; exit 1; fi
echo "PASS: libvirt's schema accepts the XML for a file backing"
