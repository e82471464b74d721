// SPDX-License-Identifier: GPL-2.0-or-later
/* The record of an mkfs in progress: see pending.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "pending.h"
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

/* The record's path; uuid comes from libuuid, but is checked: it becomes a file name. */
static int record_path(const char *uuid, char **ret)
{
	if (!uuid || !*uuid || strlen(uuid) > 36 || strspn(uuid, "0123456789abcdef-") != strlen(uuid))
		return -EINVAL;
	*ret = strdup_printf("%s/%s", pending_dir, uuid);
	return *ret ? 0 : -ENOMEM;
}

int mkfs_pending_begin(const char *uuid, const char *fstype, const char *device)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	char when[64] = "";
	time_t now = time(NULL);
	uint64_t size;
	struct tm tm;
	int r;

	r = record_path(uuid, &path);
	if (r < 0)
		return r;
	r = device_size_of(device, &size);
	if (r < 0)
		return r;
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	text = strdup_printf("fstype=%s\ndevice=%s\nsize=%" PRIu64 "\nstarted=%s\n", fstype, device, size, when);
	if (!text)
		return -ENOMEM;
	r = mkdir_p_nofollow(pending_dir, 0755);
	if (r < 0)
		return r;
	/* written to a temporary name, fsynced, renamed, and the directory fsynced */
	return write_file_atomic(path, text, strlen(text), 0644);
}

int mkfs_pending_end(const char *uuid)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int dfd = -EBADF;
	int r;

	r = record_path(uuid, &path);
	if (r < 0)
		return r;
	if (unlink(path) < 0)
		return errno == ENOENT ? 0 : -errno;
	dfd = open(pending_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return -errno;
	return 0;
}

/* The value of "key=" in a record's text, or NULL. */
static char *record_value(const char *text, const char *key)
{
	size_t len = strlen(key);

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		if (n > len && strncmp(line, key, len) == 0 && line[len] == '=')
			return strndup(line + len + 1, n - len - 1);
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

int mkfs_pending_find(const char *uuid, const char *fstype, const char *device, char **ret_since)
{
	_cleanup_free_ char *path = NULL, *text = NULL, *type = NULL, *recorded = NULL, *started = NULL, *size = NULL;
	char now[32];
	uint64_t bytes;
	int r;

	if (ret_since)
		*ret_since = NULL;
	if (!uuid)
		return 0;
	r = record_path(uuid, &path);
	if (r < 0)
		return r;
	r = read_file(path, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = device_size_of(device, &bytes);
	if (r < 0)
		return r;
	snprintf(now, sizeof(now), "%" PRIu64, bytes);
	type = record_value(text, "fstype");
	size = record_value(text, "size");
	/* another type, another size, or a record without one (vpmem 0.1): it no longer holds */
	if (!type || strcmp(type, fstype) != 0 || !size || strcmp(size, now) != 0)
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
