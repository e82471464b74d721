/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_ND_H
#define VPMEM_ND_H

#include <stdbool.h>
#include <stdint.h>

enum ns_mode {
	NS_MODE_UNKNOWN = 0,
	NS_MODE_RAW,
	NS_MODE_SECTOR,
	NS_MODE_FSDAX,
	NS_MODE_DEVDAX,
};

enum pfn_map {
	PFN_MAP_DEV, /* memmap in the namespace itself ("dev", ndctl's default) */
	PFN_MAP_MEM, /* memmap in system RAM */
};

const char *ns_mode_name(enum ns_mode mode);
/* fsdax and sector namespaces are block devices that carry a filesystem */
bool ns_mode_has_filesystem(enum ns_mode mode);
enum ns_mode ns_mode_from_name(const char *name);
const char *pfn_map_name(enum pfn_map map);

/*
 * Usable capacity of an fsdax/devdax namespace of size bytes once the kernel
 * has put its info block and, with map=dev, the page map (64 bytes per page)
 * at its start, padded to align. An estimate that errs low, for planning.
 */
uint64_t ns_usable_size_estimate(uint64_t size, uint64_t align, enum pfn_map map, uint64_t page_size);

/*
 * The name a labelled namespace carries while the agent's own mkfs on it is
 * under way: the entry's name and ":mkfs", a character no entry name can
 * have. Where no record of an mkfs would outlive a power cut (pending.h),
 * the agent creates a namespace that gets a filesystem under it and gives
 * it its own name once mkfs has finished: a namespace found under it,
 * holding no finished filesystem, holds nothing but what that mkfs wrote,
 * and a guest that keeps no state (pending.h) can make it again.
 */
#define ND_MKFS_MARKER ":mkfs"
/* The longest name a label holds (the kernel's NSLABEL_NAME_LEN less its NUL). */
#define ND_NAME_MAX 63

/* The marked name for name, in buf of ND_NAME_MAX + 1; false when it does not fit (no marker then). */
bool nd_mkfs_marker(const char *name, char buf[ND_NAME_MAX + 1]);

/* Is alt_name the marked form of name? */
bool nd_is_mkfs_marker(const char *alt_name, const char *name);

/*
 * Parse "regionN", "nmemN" or a sysfs devpath ending in one of them
 * ("/devices/platform/ACPI0012:00/ndbus0/region0"). Returns 0 and sets
 * *ret_is_region and *ret_id, or -EINVAL.
 */
int nd_parse_target(const char *target, bool *ret_is_region, unsigned *ret_id);

#endif
