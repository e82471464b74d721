/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_DAXFS_H
#define VPMEM_DAXFS_H

#include <stdbool.h>

/*
 * Is DAX in effect on the filesystem mounted at mountpoint? statx()'s
 * STATX_ATTR_DAX (5.8+) on an O_TMPFILE file in its root, since directories
 * never carry the flag; where the kernel cannot say (before 5.8, a read-only
 * mount), what fs_options (as in mountinfo) ask for, or -1 when fs_options
 * is NULL: after its own mount the agent passes NULL, and says the kernel
 * cannot confirm DAX rather than take the options' word. 1 yes, 0 no, -1
 * unknown.
 */
int mount_dax_in_effect(const char *mountpoint, const char *fs_options);

/*
 * Is DAX in effect on a filesystem mounted from blockdev (/dev/pmemN) with
 * fs_options, judged without touching the filesystem: the options ask for
 * DAX on every file (dax, dax=always) and the block device can do DAX
 * (/sys/class/block/NAME/queue/dax). 1 yes, 0 no, -1 unknown (dax=inode:
 * per file). For reports on every boot; after a mount that changed
 * something, mount_dax_in_effect() proves it on a file.
 */
int mount_dax_expected(const char *blockdev, const char *fs_options);

/* Does fs_options (comma separated) switch DAX on? */
bool mount_options_have_dax(const char *fs_options);

#endif
