/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_SIZES_H
#define VPMEM_HOST_SIZES_H

#include <stdint.h>

/* QEMU refuses smaller label areas */
#define LABEL_SIZE_MIN (UINT64_C(128) << 10)
/* libvirt rounds an x86 memory module's size up to this */
#define LIBVIRT_MODULE_ALIGN (UINT64_C(2) << 20)
/* PAPR's SCM block: a pseries NVDIMM less its label is a multiple of it (QEMU refuses others) */
#define PSERIES_SCM_BLOCK (UINT64_C(256) << 20)

/* The guest's machine, whose rules the module sizes follow */
enum guest_machine {
	GUEST_MACHINE_X86,     /* pc, q35: what QEMU and libvirt do on x86-64 */
	GUEST_MACHINE_PSERIES, /* IBM POWER pseries: papr_scm, label and uuid mandatory */
};

/* "pseries" (and "pseries-7.2" ...), or "pc", "q35", "x86" (and their versions). 0 or -EINVAL. */
int guest_machine_parse(const char *s, enum guest_machine *ret);
const char *guest_machine_name(enum guest_machine m);

/* The machine a guest of this host has: pseries on ppc64, else x86 */
enum guest_machine guest_machine_native(void);

/* The largest label area given a pseries device-dax module (guest_label_size) */
#define PSERIES_DEVDAX_LABEL_MAX (UINT64_C(16) << 20)

/*
 * The label area of a module: QEMU's minimum, 128 KiB, except for a
 * device-dax backing of a pseries guest. QEMU maps the module's whole size
 * from the device, and device-dax maps only whole multiples of its
 * alignment, while a pseries module is 256 MiB multiples plus the label: the
 * label is then the device's alignment (2 or 16 MiB), so that the module
 * ends on it. 0 when no label can do that (an alignment over 16 MiB: the
 * guest would read a label area that large through a hypervisor call per 8
 * bytes).
 */
uint64_t guest_label_size(enum guest_machine machine, int devdax, uint64_t align);

struct guest_sizes {
	uint64_t backing; /* bytes of the namespace or file */
	uint64_t target;  /* the module size given to libvirt/QEMU, label included */
	uint64_t label;   /* the label area, carved by QEMU from the end of target */
	uint64_t align;   /* the backend alignment (QEMU align=, libvirt alignsize) */
	uint64_t guest;   /* what the guest sees as its region */
};

/*
 * From a backing of backing bytes, the module size and what the guest gets.
 * On x86:
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
 * On pseries:
 *
 *   guest  = ALIGN_DOWN(backing - label, 256 MiB)
 *   target = guest + label
 *
 * QEMU refuses a pseries NVDIMM whose size less the label is not a multiple
 * of 256 MiB, and libvirt aligns the module down to that itself (it does not
 * round it up to 2 MiB there). The same 4292870144-byte namespace gives guest
 * 3840 MiB, target 3840 MiB + 128 KiB. With an alignment over 256 MiB the
 * guest size is a multiple of it instead.
 *
 * label must be at least 128 KiB and align a power of two of at least 2 MiB.
 * Returns 0, or -EINVAL when the parameters are wrong or nothing would be
 * left for the guest.
 */
int guest_size_compute(enum guest_machine machine, uint64_t backing, uint64_t label, uint64_t align,
		       struct guest_sizes *ret);

/* CXL: decoders map whole 256 MiB per device; the label storage area is a file of its own */
#define CXL_CAPACITY_ALIGN (UINT64_C(256) << 20)
#define CXL_LSA_SIZE (UINT64_C(256) << 10)
/* the fixed memory window: address space only, at least this, a multiple of 256 MiB */
#define CXL_WINDOW_MIN (UINT64_C(4) << 30)

/*
 * The persistent capacity of a CXL type-3 device from a backing: whole 256
 * MiB (what an HDM decoder maps), and whole multiples of the backing's
 * alignment (device-dax maps nothing smaller):
 *
 *   target = guest = ALIGN_DOWN(backing, MAX(256 MiB, align))
 *
 * label is the label storage area, CXL_LSA_SIZE, in a file beside the
 * backing. Returns 0, or -EINVAL when nothing would be left.
 */
int guest_cxl_size_compute(uint64_t backing, uint64_t align, struct guest_sizes *ret);

/* The fixed memory window for devices of total bytes: twice that, at least CXL_WINDOW_MIN (interleave alignment). */
uint64_t cxl_window_size(uint64_t total);

#endif
