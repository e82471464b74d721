#!/bin/sh
# build-initramfs.sh KERNEL_ROOT KVER OUT.cpio
# The base image of the test VM: static busybox, the NVDIMM, virtio-pmem,
# e820 and xfs modules with their dependencies, and mkfs.xfs/mkfs.ext4/
# xfs_io/ndctl with their libraries. Everything comes from the host's Debian packages.
set -eu
kroot=$1 kver=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "$work.modprobe.d" "$work.magic"' EXIT

mkdir -p "$work/bin" "$work/sbin" "$work/lib" "$work/lib64" "$work/usr/lib" "$work/lib/modules/$kver"
cp /bin/busybox "$work/bin/busybox"
cp "$here/init" "$work/init"
cp "$here/guest.sh" "$work/lib/vpmem-guest.sh"
chmod 755 "$work/init"

# kernel modules, with whatever they depend on (ignoring the host's
# modprobe.d: ndctl's package hides libnvdimm behind an install rule)
mkdir -p "$work.modprobe.d"
# (CXL's: a kernel without them has none to copy)
for m in nfit nd_pmem nd_btt dax_pmem device_dax kmem xfs crc32c_intel virtio_pci virtio_pmem virtio_blk nd_e820 \
	cxl_acpi cxl_pci cxl_mem cxl_pmem; do
	modprobe -C "$work.modprobe.d" -d "$kroot" -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
	rel=${ko#"$kroot"/}
	mkdir -p "$work/$(dirname "$rel")"
	cp "$ko" "$work/$rel"
done
# Each module as the kernel loads it soonest under TCG, where hashing and
# decompressing cost seconds a boot: decompressed (Debian 13's are .ko.xz)
# and without its signature (the kernel hashes a signed module to verify it;
# an unsigned one it loads and marks the kernel tainted, which no test reads).
# A signature is appended to the module: the signature, a 12-byte trailer
# whose last 4 bytes are its length (big-endian), and the 28-byte magic.
find "$work" -name '*.ko.xz' -exec xz -d {} +
printf '~Module signature appended~\n' > "$work.magic"
find "$work" -name '*.ko' | while read -r ko; do
	tail -c 28 "$ko" | cmp -s - "$work.magic" || continue
	len=$(tail -c 32 "$ko" | head -c 4 | od -An -tu1 | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
	truncate -s $(($(stat -c %s "$ko") - 28 - 12 - len)) "$ko"
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -e "$kroot/lib/modules/$kver/$f" ] && cp "$kroot/lib/modules/$kver/$f" "$work/lib/modules/$kver/"
done
depmod -b "$work" "$kver"

# programs and every library they load
. "$here/copy-libs.sh"
copy_with_libs "$work" /sbin mkfs.xfs mkfs.ext4 mke2fs xfs_io xfs_db blkid dumpe2fs
# ndctl and daxctl, for scenarios that set a device up by hand as a user would
copy_with_libs "$work" /usr/bin ndctl daxctl
# cxl (ndctl 76 and later), for the CXL scenarios' hand procedure
command -v cxl >/dev/null && copy_with_libs "$work" /usr/bin cxl
mkdir -p "$work/etc"
[ -e /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$work/etc/"

# uncompressed: the kernel copies it out without gunzip, about a second
# sooner a boot under TCG (the cache keeps one copy)
(cd "$work" && find . | cpio -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
