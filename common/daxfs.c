// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "daxfs.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

bool mount_options_have_dax(const char *fs_options)
{
	_cleanup_free_ char *copy = NULL;
	char *opt, *save = NULL;

	if (!fs_options)
		return false;
	copy = strdup(fs_options);
	if (!copy)
		return false;
	for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save))
		if (strcmp(opt, "dax") == 0 || strcmp(opt, "dax=always") == 0)
			return true;
	return false;
}

int mount_dax_in_effect(const char *mountpoint, const char *fs_options)
{
	_cleanup_close_ int fd = -EBADF;
	struct statx stx;

	/*
	 * Only regular files carry S_DAX (xfs and ext4 never set it on
	 * directories), so ask about an unnamed temporary file in the root: it
	 * is what a new file there gets, and it vanishes on close.
	 */
	fd = open(mountpoint, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 && statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx) == 0 &&
	    (stx.stx_attributes_mask & STATX_ATTR_DAX))
		return (stx.stx_attributes & STATX_ATTR_DAX) ? 1 : 0;
	if (!fs_options)
		return -1;
	return mount_options_have_dax(fs_options) ? 1 : 0;
}

int mount_dax_expected(const char *blockdev, const char *fs_options)
{
	const char *name = blockdev ? strrchr(blockdev, '/') : NULL;
	char path[128], flag = '0';
	int fd, r;

	if (!mount_options_have_dax(fs_options))
		return fs_options && strstr(fs_options, "dax=inode") ? -1 : 0;
	if (!name)
		return -1;
	snprintf(path, sizeof(path), "/sys/class/block/%s/queue/dax", name + 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = (int)read(fd, &flag, 1);
	close(fd);
	return r == 1 ? flag == '1' : -1;
}
