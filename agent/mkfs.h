/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_MKFS_H
#define VPMEM_AGENT_MKFS_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

/* xfsprogs refuses to make filesystems smaller than this */
#define XFS_MIN_SIZE (UINT64_C(300) << 20)

/* The DAX-friendly allocation unit: one PMD page. */
#define DAX_ALIGN_BYTES (UINT64_C(2) << 20)

/*
 * Build the mkfs command line for fs on device: blocks of page_size bytes
 * (DAX needs block size == PAGE_SIZE), reflink off for xfs, and when stripe is
 * set a 2 MiB stripe unit so allocations are PMD-aligned (xfs: -d su=2m,sw=1;
 * ext4: -E stride/stripe_width of 2 MiB in blocks). check_only adds xfs's -N
 * (print the geometry, write nothing); force lets mkfs overwrite an existing
 * signature and is only passed when the policy says "overwrite". Returns a
 * NULL-terminated argv to free with strv_free, or NULL.
 */
enum mkfs_layout {
	MKFS_PLAIN,         /* no stripe unit: for devices nothing else fits on */
	MKFS_STRIPED,       /* a 2 MiB stripe unit */
	MKFS_STRIPED_SMALL, /* xfs under about 540 MiB: the same in two allocation groups with a 64 MiB log */
};

char **mkfs_build_argv(enum fs_type fs, const char *device, long page_size, enum mkfs_layout layout,
		       bool check_only, bool force);

/*
 * Make the filesystem. For xfs the striped geometry is checked first with
 * -N: devices too small for it in the default layout get two allocation
 * groups with a 64 MiB log, and only those that cannot take even that are
 * made without a stripe unit; *ret_striped says which was made.
 * Output of a failing mkfs goes to *ret_output. 0 or a negative errno.
 */
int mkfs_run(enum fs_type fs, const char *device, bool force, bool *ret_striped, char **ret_output);

#endif
