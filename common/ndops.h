/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_NDOPS_H
#define VPMEM_NDOPS_H

#include <stdint.h>

#include "nd.h"

struct ndctl_ctx;
struct ndctl_region;
struct ndctl_namespace;

struct nd_namespace_spec {
	const char *name;   /* the label's alt name */
	uint64_t size;      /* already aligned by the caller */
	enum ns_mode mode;  /* NS_MODE_FSDAX or NS_MODE_DEVDAX */
	uint64_t align;
	enum pfn_map map;
};

struct ndctl_region *nd_find_region(struct ndctl_ctx *ctx, unsigned id);
struct ndctl_namespace *nd_find_namespace(struct ndctl_region *region, const char *devname);

/*
 * Initialise the labels of every DIMM of a label-less region, as ndctl
 * init-labels does (disable the region, v1.2 labels or v1.1 for kernels that
 * want them, enable it). raw_blockdev, when given, is probed right before and
 * must hold nothing (-ENOTEMPTY otherwise). DIMMs whose labels are already
 * valid are left alone. 0 or a negative errno.
 */
int nd_region_init_labels(struct ndctl_region *region, const char *raw_blockdev);

/*
 * Create a namespace with libndctl's seed sequence: uuid, alt name, size, then
 * the pfn (fsdax) or dax (devdax) seed with alignment and page-map location.
 * A failed creation is rolled back. *ret_devname gets "namespaceR.N".
 * 0 or a negative errno (-EAGAIN: no idle namespace seed).
 */
int nd_namespace_create(struct ndctl_region *region, const struct nd_namespace_spec *spec, char **ret_devname);

#endif
