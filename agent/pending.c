// SPDX-License-Identifier: GPL-2.0-or-later
/* The record of an mkfs in progress: see pending.h. */
#include <errno.h>
#include <linux/magic.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>

#include "cleanup.h"
#include "fileio.h"
#include "pending.h"
#include "record.h"
#include "strutil.h"

static const char *pending_dir = LOCALSTATEDIR "/lib/vpmem/mkfs";

void mkfs_pending_set_dir(const char *dir)
{
	pending_dir = dir;
}

bool mkfs_pending_kept(void)
{
	_cleanup_free_ char *dir = strdup(pending_dir);
	struct statfs sfs;

	if (!dir)
		return false;
	/* the directory may not exist yet: the filesystem it will be made on */
	while (statfs(dir, &sfs) < 0) {
		char *slash = strrchr(dir, '/');

		if (errno != ENOENT || !slash || slash == dir)
			return false;
		*slash = '\0';
	}
	if (sfs.f_flags & ST_RDONLY)
		return false;
	return sfs.f_type != TMPFS_MAGIC && sfs.f_type != RAMFS_MAGIC && sfs.f_type != OVERLAYFS_SUPER_MAGIC;
}

int mkfs_pending_begin(const char *uuid, const char *fstype, const char *device)
{
	_cleanup_free_ char *text = NULL;
	char when[64] = "";
	time_t now = time(NULL);
	uint64_t size;
	struct tm tm;
	int r;

	r = device_size_of(device, &size);
	if (r < 0)
		return r;
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	text = strdup_printf("fstype=%s\ndevice=%s\nsize=%" PRIu64 "\nstarted=%s\n", fstype, device, size, when);
	if (!text)
		return -ENOMEM;
	return record_write(pending_dir, uuid, text);
}

int mkfs_pending_end(const char *uuid)
{
	return record_remove(pending_dir, uuid);
}

int mkfs_pending_find(const char *uuid, const char *fstype, const char *device, char **ret_since)
{
	_cleanup_free_ char *text = NULL, *type = NULL, *recorded = NULL, *started = NULL;
	uint64_t bytes, size;
	int r;

	if (ret_since)
		*ret_since = NULL;
	if (!uuid)
		return 0;
	r = record_read(pending_dir, uuid, &text);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = device_size_of(device, &bytes);
	if (r < 0)
		return r;
	type = record_value(text, "fstype");
	/* another type, another size, or a record without one (vpmem 0.1): it no longer holds */
	if (!type || strcmp(type, fstype) != 0 || record_value_u64(text, "size", &size) < 0 || size != bytes)
		return -ESTALE;
	if (ret_since) {
		recorded = record_value(text, "device");
		started = record_value(text, "started");
		*ret_since = strdup_printf("mkfs.%s on %s started %s", fstype, recorded ? recorded : "?",
					   started && *started ? started : "at an unknown time");
		if (!*ret_since)
			return -ENOMEM;
	}
	return 1;
}
