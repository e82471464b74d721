// SPDX-License-Identifier: GPL-2.0-or-later
/* The agent's records: see record.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "record.h"
#include "strutil.h"

/* name's path in dir; the name becomes a file name: letters, digits, '.', '-', '_', not starting with '.' */
static int record_path(const char *dir, const char *name, char **ret)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";

	if (!name || !*name || *name == '.' || strlen(name) > 64 || strspn(name, allowed) != strlen(name))
		return -EINVAL;
	*ret = strdup_printf("%s/%s", dir, name);
	return *ret ? 0 : -ENOMEM;
}

int record_write(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = record_path(dir, name, &path);
	if (r < 0)
		return r;
	r = mkdir_p_nofollow(dir, 0700);
	if (r < 0)
		return r;
	return write_file_atomic(path, text, strlen(text), 0600);
}

int record_read(const char *dir, const char *name, char **ret_text)
{
	_cleanup_free_ char *path = NULL;
	int r;

	*ret_text = NULL;
	r = record_path(dir, name, &path);
	if (r < 0)
		return r;
	return read_file(path, ret_text, NULL);
}

int record_remove(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int dfd = -EBADF;
	int r;

	r = record_path(dir, name, &path);
	if (r < 0)
		return r;
	if (unlink(path) < 0)
		return errno == ENOENT ? 0 : -errno;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return -errno;
	return 0;
}

char *record_value(const char *text, const char *key)
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

int record_value_u64(const char *text, const char *key, uint64_t *ret)
{
	_cleanup_free_ char *v = record_value(text, key);
	char *end;

	if (!v)
		return -ENOENT;
	if (!*v || strspn(v, "0123456789") != strlen(v))
		return -EINVAL;
	errno = 0;
	*ret = strtoull(v, &end, 10);
	return errno ? -errno : 0;
}
