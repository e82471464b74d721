// SPDX-License-Identifier: GPL-2.0-or-later
/* The record of devdax devices handed to the kernel as system RAM: see system-ram.h. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fileio.h"
#include "strutil.h"
#include "system-ram.h"

static const char *record_path = LOCALSTATEDIR "/lib/vpmem/system-ram";

void system_ram_set_path(const char *path)
{
	record_path = path;
}

struct line {
	char uuid[37];
	uint64_t size, align;
	char boot[37];
};

/* One line of the record; false when it is not one of this format. */
static bool parse_line(const char *text, size_t len, struct line *ret)
{
	_cleanup_free_ char *copy = strndup(text, len);
	int n = 0;

	memset(ret, 0, sizeof(*ret));
	if (!copy)
		return false;
	return sscanf(copy, "%36s size=%" SCNu64 " align=%" SCNu64 " boot=%36s%n", ret->uuid, &ret->size, &ret->align,
		      ret->boot, &n) == 4 &&
	       (size_t)n == len && strlen(ret->boot) == 36;
}

/*
 * The record without the lines about uuid (every line that is not of this
 * format is dropped too), to *ret_rest; the line about uuid, when there is a
 * valid one, to *ret_found: 1. 0 when there is none, or a negative errno.
 * *ret_changed says whether the rest differs from the record; ret_boot
 * gets this boot's id, which both callers compare with.
 */
static int split_record(const char *uuid, char **ret_rest, struct line *ret_found, bool *ret_changed,
			char ret_boot[37])
{
	_cleanup_free_ char *text = NULL, *rest = NULL;
	size_t n_rest = 0;
	int r, found = 0;

	*ret_changed = false;
	r = read_boot_id(ret_boot);
	if (r < 0)
		return r;
	r = read_file(record_path, &text, NULL);
	if (r == -ENOENT)
		text = NULL;
	else if (r < 0)
		return r;
	rest = calloc(1, text ? strlen(text) + 1 : 1);
	if (!rest)
		return -ENOMEM;
	for (const char *p = text; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct line line;

		if (!parse_line(p, len, &line)) {
			*ret_changed = true;
		} else if (strcmp(line.uuid, uuid) == 0) {
			*ret_found = line;
			found = 1;
			*ret_changed = true;
		} else {
			memcpy(rest + n_rest, p, len);
			n_rest += len;
			rest[n_rest++] = '\n';
		}
		p = end ? end + 1 : NULL;
	}
	*ret_rest = TAKE_PTR(rest);
	return found;
}

static int write_record(const char *text)
{
	_cleanup_free_ char *dir = strdup(record_path);
	int r;

	if (!dir)
		return -ENOMEM;
	r = mkdir_p_nofollow(dirname(dir), 0755);
	if (r < 0)
		return r;
	return write_file_atomic(record_path, text, strlen(text), 0644);
}

int system_ram_was(const char *uuid, uint64_t size, uint64_t align, char **ret_why)
{
	_cleanup_free_ char *rest = NULL;
	struct line line;
	char boot[37];
	bool changed;
	const char *why;
	int r;

	if (ret_why)
		*ret_why = NULL;
	r = split_record(uuid, &rest, &line, &changed, boot);
	if (r < 0)
		return r;
	if (r == 0) {
		/* lines of an older format or garbage are dropped on the way: they cannot prove anything */
		return changed ? write_record(rest) : 0;
	}
	if (line.size == size && line.align == align && strcmp(line.boot, boot) != 0)
		return 1;
	why = line.size != size || line.align != align
		      ? "its record is for a device of another size or alignment"
		      : "it was system RAM earlier in this boot and has been made devdax again since: it may hold "
			"data written after that";
	r = write_record(rest);
	if (r < 0)
		return r;
	if (ret_why) {
		*ret_why = strdup(why);
		if (!*ret_why)
			return -ENOMEM;
	}
	return 0;
}

int system_ram_remember(const char *uuid, uint64_t size, uint64_t align)
{
	_cleanup_free_ char *rest = NULL, *text = NULL;
	struct line line;
	char boot[37];
	bool changed;
	int r;

	r = split_record(uuid, &rest, &line, &changed, boot);
	if (r < 0)
		return r;
	if (r > 0 && !strcmp(line.boot, boot) && line.size == size && line.align == align)
		return 0;
	text = strdup_printf("%s%s size=%" PRIu64 " align=%" PRIu64 " boot=%s\n", rest, uuid, size, align, boot);
	if (!text)
		return -ENOMEM;
	return write_record(text);
}
