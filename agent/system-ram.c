// SPDX-License-Identifier: GPL-2.0-or-later
/* The record of devdax devices handed to the kernel as system RAM: see system-ram.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "record.h"
#include "strutil.h"
#include "system-ram.h"

static const char *record_dir = LOCALSTATEDIR "/lib/vpmem/system-ram";

void system_ram_set_dir(const char *dir)
{
	record_dir = dir;
}

/* vpmem 0.1 kept bare uuids in a file where the directory is now: they proved nothing (no size, no boot) */
static int drop_old_file(void)
{
	struct stat st;

	if (lstat(record_dir, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISREG(st.st_mode) && unlink(record_dir) < 0)
		return -errno;
	return 0;
}

int system_ram_was(const char *uuid, uint64_t size, uint64_t align, char **ret_why)
{
	_cleanup_free_ char *text = NULL, *boot = NULL;
	uint64_t was_size, was_align;
	char now[37];
	const char *why;
	int r;

	if (ret_why)
		*ret_why = NULL;
	r = drop_old_file();
	if (r < 0)
		return r;
	r = record_read(record_dir, uuid, &text);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = read_boot_id(now);
	if (r < 0)
		return r;
	boot = record_value(text, "boot");
	if (!boot || record_value_u64(text, "size", &was_size) < 0 || record_value_u64(text, "align", &was_align) < 0)
		why = "its record is incomplete";
	else if (was_size != size || was_align != align)
		why = "its record is for a device of another size or alignment";
	else if (strcmp(boot, now) == 0)
		why = "it was system RAM earlier in this boot and has been made devdax again since: it may hold data "
		      "written after that";
	else
		return 1;
	/* a record that no longer holds is dropped: it never holds again */
	r = record_remove(record_dir, uuid);
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
	_cleanup_free_ char *text = NULL;
	char now[37];
	int r;

	r = drop_old_file();
	if (r < 0)
		return r;
	r = read_boot_id(now);
	if (r < 0)
		return r;
	text = strdup_printf("size=%" PRIu64 "\nalign=%" PRIu64 "\nboot=%s\n", size, align, now);
	if (!text)
		return -ENOMEM;
	return record_write(record_dir, uuid, text);
}
