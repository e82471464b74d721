/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_OUTPUT_H
#define VPMEM_HOST_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "sizes.h"

/* What the hypervisor needs to know about one reserved backing. */
struct vnvdimm {
	const char *id;      /* unique in the domain, e.g. "vpmem0" */
	const char *path;    /* /dev/daxX.Y or the file */
	const char *uuid;    /* the module's uuid: pseries needs one (the backing's) */
	enum guest_machine machine;
	bool real_pmem;      /* devdax on real persistent memory: <pmem/>, pmem=on */
	struct guest_sizes sizes;
	unsigned guest_node; /* the guest NUMA node the module belongs to */
	const char *lsa;     /* CXL: the label storage area's file, or NULL for an NVDIMM */
	uint64_t serial;     /* CXL: the device's serial number (the guest's labels record it) */
};

/*
 * libvirt's <memory model='nvdimm'> elements of the modules, the shape Nova
 * writes, written with libxml2: in *ret (malloc'd). 0, -EINVAL when a
 * pseries module has no uuid (nothing is written then), or -ENOMEM.
 */
int libvirt_xml_format(const struct vnvdimm *dimms, size_t n, char **ret);

/*
 * The same on out; on notes (may be NULL) what the domain must also have
 * (<maxMemory slots=...>, a NUMA cell for node). 0, or a negative errno
 * (-EIO: out could not be written).
 */
int libvirt_xml_write(FILE *out, FILE *notes, const struct vnvdimm *dimms, size_t n);

/*
 * QEMU's arguments on one line, each shell-quoted where it needs to be (for
 * eval): a memory-backend-file and an nvdimm device per module. On notes
 * (may be NULL), the machine and memory options they need.
 */
int qemu_args_write(FILE *out, FILE *notes, const struct vnvdimm *dimms, size_t n);

/*
 * The same for CXL type-3 devices (each d->lsa set): one CXL host bridge
 * (pxb-cxl) with a root port and a type-3 device per backing, its persistent
 * memory the backing and its label storage area d->lsa, and the fixed memory
 * window over the host bridge. On notes, the machine and QEMU they need.
 */
int qemu_cxl_args_write(FILE *out, FILE *notes, const struct vnvdimm *dimms, size_t n);

/* The QEMU argument words (NULL-terminated) for one module: for tests and execs. */
char **qemu_args_for(const struct vnvdimm *d);

#endif
