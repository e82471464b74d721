/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_MOUNT_H
#define VPMEM_AGENT_MOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "daxfs.h"

/*
 * Mount options for a DAX mount: "dax=always" (or the legacy "dax" for
 * kernels older than 5.8 that know only that) followed by the user's extra
 * options. The caller frees the result.
 */
char *mount_build_options(const char *extra, bool legacy_dax);

/*
 * Mount source on target through libmount, creating target (0755) without
 * following symlinks and mounting onto the directory that walk opened (no
 * window for a symlink to be swapped in). With dax, dax=always is tried
 * first and the legacy "dax" when the kernel rejects it; without (sector
 * mode), only the extra options. The directory must be empty (unless
 * hide_existing) and not a mountpoint already (mountpoint.h): -ENOTEMPTY or
 * -EBUSY otherwise, with nothing mounted. Returns 0 or a negative errno;
 * *ret_message gets the explanation (libmount's) on failure.
 */
int mount_namespace(const char *source, const char *target, const char *fstype, const char *extra, bool dax,
		    bool hide_existing,
		    char **ret_message);

/* Unmount target without following a symlink there. 0 or a negative errno. */
int unmount_nofollow(const char *target);

/*
 * Set the extent size hint with inheritance on an XFS directory so that
 * files created below it are allocated in extsize (PMD page) units and can be
 * faulted in huge pages. A no-op when already set. 0 or a negative errno.
 */
int xfs_set_extsize_hint(const char *dir, uint32_t extsize);

#endif
