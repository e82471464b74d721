// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "mountinfo.h"

/* the next space-separated field of *s, NUL-terminated in place, or NULL */
static char *next_field(char **s)
{
	char *start = *s, *end;

	if (!start || !*start)
		return NULL;
	end = strchr(start, ' ');
	if (end) {
		*end = '\0';
		*s = end + 1;
	} else {
		*s = NULL;
	}
	return start;
}

/* "MAJ:MIN", decimal */
static int parse_devno(const char *s, unsigned *maj, unsigned *min)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	a = strtoul(s, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	b = strtoul(end + 1, &end, 10);
	if (*end || a > UINT_MAX || b > UINT_MAX)
		return -EINVAL;
	*maj = (unsigned)a;
	*min = (unsigned)b;
	return 0;
}

/* The kernel writes space, tab, newline and backslash in paths as \ooo. */
static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static void entry_clear(struct mount_entry *e)
{
	free(e->target);
	free(e->fstype);
	free(e->fs_options);
	memset(e, 0, sizeof(*e));
}

int mountinfo_parse_line(char *line, struct mount_entry *e)
{
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS */
	char *f[5], *field, *fstype, *options, *rest = line;
	unsigned maj, min;

	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < 5; i++)
		if (!(f[i] = next_field(&rest)))
			return -EINVAL;
	if (parse_devno(f[2], &maj, &min) < 0)
		return -EINVAL;
	/* the options of the mount, then optional fields up to a lone "-" */
	if (!next_field(&rest))
		return -EINVAL;
	do {
		field = next_field(&rest);
		if (!field)
			return -EINVAL;
	} while (strcmp(field, "-") != 0);
	fstype = next_field(&rest);
	if (!fstype || !next_field(&rest))
		return -EINVAL;
	options = next_field(&rest);

	e->devno = makedev(maj, min);
	e->target = unescape(f[4]);
	e->fstype = unescape(fstype);
	e->fs_options = strdup(options ? options : "");
	if (!e->target || !e->fstype || !e->fs_options) {
		entry_clear(e);
		return -ENOMEM;
	}
	return 0;
}

int mountinfo_read(const char *path, struct mountinfo *ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	struct mountinfo mi = { 0 };
	size_t size = 0;
	ssize_t n;

	if (!f)
		return -errno;
	while ((n = getline(&line, &size, f)) > 0) {
		struct mount_entry e, *grown;
		char *p = line;
		int r;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		/* mounts without a device (major 0: proc, sysfs, tmpfs, ...) are not wanted: skip them unparsed */
		for (int i = 0; i < 2 && p; i++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (!p || strncmp(p, "0:", 2) == 0)
			continue;
		r = mountinfo_parse_line(line, &e);
		if (r == -EINVAL)
			continue;
		if (r < 0) {
			mountinfo_clear(&mi);
			return r;
		}
		grown = realloc(mi.entries, (mi.n_entries + 1) * sizeof(*grown));
		if (!grown) {
			entry_clear(&e);
			mountinfo_clear(&mi);
			return -ENOMEM;
		}
		mi.entries = grown;
		mi.entries[mi.n_entries++] = e;
	}
	if (ferror(f)) {
		mountinfo_clear(&mi);
		return -EIO;
	}
	*ret = mi;
	return 0;
}

const struct mount_entry *mountinfo_find_devno(const struct mountinfo *mi, dev_t devno)
{
	for (size_t i = 0; i < mi->n_entries; i++)
		if (mi->entries[i].devno == devno)
			return &mi->entries[i];
	return NULL;
}

void mountinfo_clear(struct mountinfo *mi)
{
	for (size_t i = 0; i < mi->n_entries; i++)
		entry_clear(&mi->entries[i]);
	free(mi->entries);
	memset(mi, 0, sizeof(*mi));
}
