/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_NDOPS_H
#define VPMEM_NDOPS_H

#include <stdbool.h>
#include <stdint.h>

#include "nd.h"

struct ndctl_ctx;
struct ndctl_region;
struct ndctl_namespace;

struct nd_namespace_spec {
	const char *name;   /* the label's alt name (labelled regions) */
	uint64_t size;      /* already aligned by the caller (labelled regions) */
	enum ns_mode mode;  /* NS_MODE_FSDAX, NS_MODE_DEVDAX or NS_MODE_SECTOR */
	uint64_t align;     /* fsdax, devdax */
	enum pfn_map map;   /* fsdax, devdax */
	unsigned sector_size; /* sector */
};

struct ndctl_region *nd_find_region(struct ndctl_ctx *ctx, unsigned id);
struct ndctl_namespace *nd_find_namespace(struct ndctl_region *region, const char *devname);

/*
 * Initialise the labels of every DIMM of a label-less region, as ndctl
 * init-labels does (disable the region, v1.2 labels or v1.1 for kernels that
 * want them, enable it). The data guard looks at every namespace of the
 * region right before: unless overwrite, they must all be provably empty
 * (-ENOTEMPTY otherwise, *ret_what saying what is there). DIMMs whose labels
 * are already valid are left alone. 0 or a negative errno.
 */
int nd_region_init_labels(struct ndctl_region *region, bool overwrite, char **ret_what);

/*
 * Create a namespace with libndctl's seed sequence: uuid, alt name, size, then
 * the pfn (fsdax) or dax (devdax) seed with alignment and page-map location.
 * A failed creation is rolled back. *ret_devname gets "namespaceR.N".
 * 0 or a negative errno (-EAGAIN: no idle namespace seed).
 */
int nd_namespace_create(struct ndctl_region *region, const struct nd_namespace_spec *spec, char **ret_devname);

/*
 * Give an existing namespace (the one namespace of a label-less region) the
 * mode of spec, as ndctl create-namespace -e does: the data guard first
 * (unless overwrite, it must be provably empty: -ENOTEMPTY, *ret_what),
 * then disable it, wipe the info block of a previous personality, and set up
 * the pfn, dax or btt seed. 0 or a negative errno.
 */
int nd_namespace_reconfigure(struct ndctl_region *region, struct ndctl_namespace *ndns,
			     const struct nd_namespace_spec *spec, bool overwrite, char **ret_what);

/*
 * The uuid of the info block that claims ndns (pfn, dax or btt), unparsed,
 * in *ret (NULL when none): new at every change of mode. 0 or -ENOMEM.
 */
int nd_namespace_claim_uuid(struct ndctl_namespace *ndns, char **ret);

/*
 * Give a labelled namespace with a filesystem personality (fsdax, sector) a
 * new name. The kernel changes a label's name only on a namespace that is
 * disabled and unclaimed: the personality is released (its info block stays
 * on the media, untouched), the name written to the label, and the namespace
 * enabled again, where the kernel finds the info block and claims it again,
 * as at every boot. -EBUSY while the device is open or mounted; 0 or a
 * negative errno. The caller records before that it disables the namespace.
 */
int nd_namespace_rename(struct ndctl_namespace *ndns, const char *name);

/* Is the namespace enabled, itself or through the personality that claims it? */
bool nd_namespace_is_active(struct ndctl_namespace *ndns);

#endif
