/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_SIZES_H
#define VPMEM_HOST_SIZES_H

#include <stdint.h>

/* QEMU refuses smaller label areas */
#define LABEL_SIZE_MIN (UINT64_C(128) << 10)
/* libvirt rounds an x86 memory module's size up to this */
#define LIBVIRT_MODULE_ALIGN (UINT64_C(2) << 20)

struct guest_sizes {
	uint64_t backing; /* bytes of the namespace or file */
	uint64_t target;  /* the module size given to libvirt/QEMU, label included */
	uint64_t label;   /* the label area, carved by QEMU from the end of target */
	uint64_t align;   /* the backend alignment (QEMU align=, libvirt alignsize) */
	uint64_t guest;   /* what the guest sees as its region */
};

/*
 * From a backing of backing bytes, the module size and what the guest gets:
 *
 *   target = ALIGN_DOWN(backing, 2 MiB)
 *   guest  = ALIGN_DOWN(target - label, align)
 *
 * QEMU puts the label at the end of the backend and gives the guest the rest
 * aligned down to the backend's alignment (hw/mem/nvdimm.c). libvirt on x86
 * rounds the module size UP to 2 MiB when the domain starts, so target must
 * already be a 2 MiB multiple, or it would reach past the backing device.
 * With a 128 KiB label and 2 MiB alignment that is the largest guest size
 * possible, and the guest region is a 2 MiB multiple, so the next module
 * starts on a 2 MiB boundary (the guest kernel needs it for DAX namespaces).
 * A 4292870144-byte namespace gives target 4094 MiB and guest 4092 MiB;
 * oVirt's formula gives 3840 MiB for it.
 *
 * label must be at least 128 KiB and align a power of two of at least 2 MiB.
 * Returns 0, or -EINVAL when the parameters are wrong or nothing would be
 * left for the guest.
 */
int guest_size_compute(uint64_t backing, uint64_t label, uint64_t align, struct guest_sizes *ret);

#endif
