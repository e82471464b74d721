/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_MKFS_H
#define VPMEM_AGENT_MKFS_H

#include <stdbool.h>
#include <stdint.h>

#include "mm.h"
#include "policy.h"

/* xfsprogs refuses to make filesystems smaller than this */
#define XFS_MIN_SIZE (UINT64_C(300) << 20)

/*
 * Build the mkfs command line for fs on device: blocks of the page size
 * (DAX needs block size == PAGE_SIZE), reflink off for xfs, and when striped
 * a stripe unit of one PMD page so that allocations are PMD-aligned (xfs:
 * -d su=2m,sw=1 on x86; ext4: -E stride/stripe_width of a PMD page in
 * blocks). check_only adds xfs's -N (print the geometry, write nothing);
 * force lets mkfs overwrite an existing signature and is only passed when
 * the policy says "overwrite". Returns a NULL-terminated argv to free with
 * strv_free, or NULL.
 */
enum mkfs_layout {
	MKFS_PLAIN,         /* no stripe unit: no PMD pages, or devices nothing else fits on */
	MKFS_STRIPED,       /* a PMD-page stripe unit */
	MKFS_STRIPED_SMALL, /* xfs too small for that: the same in two allocation groups with a 64 MiB log */
};

char **mkfs_build_argv(enum fs_type fs, const char *device, const struct mm_geometry *mm, enum mkfs_layout layout,
		       bool check_only, bool force);

/* What the filesystem is laid out for, for the plan: "2 MiB aligned" (to the PMD page) */
const char *mkfs_layout_describe(const struct mm_geometry *mm, char *buf, size_t size);

/*
 * Make the filesystem. For xfs the striped geometry is checked first with
 * -N: devices too small for it in the default layout get two allocation
 * groups with a 64 MiB log, and only those that cannot take even that are
 * made without a stripe unit; *ret_striped says which was made. Without
 * PMD pages (mm->pmd_size 0) there is no stripe unit to set.
 * Output of a failing mkfs goes to *ret_output. 0 or a negative errno.
 */
int mkfs_run(enum fs_type fs, const char *device, const struct mm_geometry *mm, bool force, bool *ret_striped,
	     char **ret_output);

#endif
