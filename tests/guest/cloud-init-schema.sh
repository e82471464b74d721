#!/bin/sh
# The vpmem key in cloud-init's schema, through the package's life in the
# guest image (Debian 12's cloud-init 22.4, or 13's 25.1 with
# VPMEM_GUEST_RELEASE=trixie), run with apt and dpkg in a chroot of the image:
# - installed: cloud-init's schema file is diverted and the merge is in its
#   place; `cloud-init schema` passes vpmem's examples and names the unknown
#   keys and the missing name of a bad vpmem key;
# - cloud-init reinstalled, removed, installed again: the trigger merges again
#   or undoes the merge, and cloud-init's own file is always the package's;
# - vpmem-agent purged: no diversion, cloud-init's files verify as shipped.
# Needs Debian's mirror for cloud-init's package (the image is built from it).
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm/guest.sh
. "$vm_dir/guest.sh"
guest_require
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-schema.XXXXXX")
trap 'rm -rf "$work"' EXIT
guest_base
root="$work/root"
mkdir -p "$root" "$work/pkg"
tar -xf "$base_tar" -C "$root"
guest_debs
cp $debs "$root/tmp/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/tmp/t"
cp "$top_srcdir"/cloud-init/examples/*.yaml "$root/tmp/t/"
cat > "$root/tmp/t/bad.yaml" <<'EOF'
#cloud-config
vpmem:
  namespaces:
    - name: data
      colour: blue
    - mode: devdax
  overwirte: true
EOF

schema=/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json
in_root() { guest_chroot "$root" "$@"; }
run_apt() { guest_apt "$root" "$@" > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get $*"; }; }
cloud_init_version=$(in_root dpkg-query -W -f '${Version}' cloud-init)
echo "Debian $guest_release, cloud-init $cloud_init_version"

# merged: the diversion is vpmem-agent's, the diverted file is cloud-init's
# own, and the file in its place is that plus vpmem's key, nothing else
merged() {
	check "$1: vpmem-agent diverts cloud-init's schema" \
		[ "$(in_root dpkg-divert --listpackage "$schema")" = vpmem-agent ]
	check_sh "$1: cloud-init's files verify as shipped" '[ -z "$(in_root dpkg --verify cloud-init)" ]'
	in_root python3 -c '
import json, sys
merged = json.load(open(sys.argv[1])); base = json.load(open(sys.argv[1] + ".vpmem-distrib"))
extra = json.load(open("/usr/share/vpmem/cloud-init-schema.json"))
for name in extra["$defs"]:
    assert merged["$defs"].pop(name) == extra["$defs"][name], name
if "properties" in base:
    assert merged["properties"].pop("vpmem") == {}
assert merged["allOf"].pop() == extra["allOf"][0]
assert merged == base, "the merge changed cloud-init'"'"'s own schema"
' "$schema" > "$work/cmp" 2>&1 || true
	cat "$work/cmp"
	check "$1: the merge is cloud-init's schema plus vpmem's key" [ ! -s "$work/cmp" ]
	for y in "$top_srcdir"/cloud-init/examples/*.yaml; do
		in_root cloud-init schema -c "/tmp/t/${y##*/}" > "$work/valid" 2>&1 || true
		grep -q "^Valid" "$work/valid" || cat "$work/valid"
		check "$1: cloud-init schema passes ${y##*/}" grep -q "^Valid" "$work/valid"
	done
	in_root cloud-init schema -c /tmp/t/bad.yaml > "$work/bad" 2>&1 || true
	sed 's/^/    /' "$work/bad"
	check "$1: cloud-init schema names the unknown key of an entry" grep -q "vpmem.namespaces.0: .*'colour'" "$work/bad"
	check "$1: the entry without a name" grep -q "vpmem.namespaces.1: 'name' is a required property" "$work/bad"
	check "$1: and the misspelt top-level key" grep -q "vpmem: .*'overwirte'" "$work/bad"
}

# unmerged: nothing of vpmem's is left in cloud-init's schema
unmerged() {
	check_sh "$1: no diversion of cloud-init's schema" '[ -z "$(in_root dpkg-divert --listpackage "$schema")" ]'
	check "$1: no diverted copy is left" [ ! -e "$root$schema.vpmem-distrib" ]
	check "$1: no vpmem key in the schema file" sh -c "! grep -qs cc_vpmem '$root$schema'"
}

run_apt install $(for d in $debs; do echo "/tmp/${d##*/}"; done)
merged "installed"

# cloud-init's package from Debian's mirror, the one the image was built from
run_apt update
run_apt install --reinstall cloud-init
check "cloud-init reinstalled: dpkg unpacked it again" grep -q "Unpacking cloud-init" "$work/apt.log"
merged "cloud-init reinstalled"

run_apt remove cloud-init
unmerged "cloud-init removed"
check "cloud-init removed: its schema file is gone" [ ! -e "$root$schema" ]

run_apt install cloud-init
merged "cloud-init installed again"

run_apt purge vpmem-agent
unmerged "vpmem-agent purged"
check_sh "vpmem-agent purged: cloud-init's files verify as shipped" '[ -z "$(in_root dpkg --verify cloud-init)" ]'
in_root cloud-init schema -c /tmp/t/data-and-devdax.yaml > "$work/plain" 2>&1 || true
sed 's/^/    /' "$work/plain"
case $cloud_init_version in
22.*) check "vpmem-agent purged: cloud-init $cloud_init_version takes any top-level key" grep -q "^Valid" "$work/plain" ;;
*) check "vpmem-agent purged: cloud-init $cloud_init_version no longer knows the vpmem key" grep -q "'vpmem' was unexpected" "$work/plain" ;;
esac
finish
