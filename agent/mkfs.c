// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h"
#include "entropy.h"
#include "guard.h"
#include "mkfs.h"
#include "size.h"
#include "strutil.h"

struct argv_builder {
	char **argv;
	size_t n;
	bool failed;
};

static void push(struct argv_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void push(struct argv_builder *b, const char *fmt, ...)
{
	char **grown;
	va_list ap;
	char *s;
	int r;

	if (b->failed)
		return;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	grown = r < 0 ? NULL : realloc(b->argv, (b->n + 2) * sizeof(char *));
	if (!grown) {
		if (r >= 0)
			free(s);
		b->failed = true;
		return;
	}
	b->argv = grown;
	b->argv[b->n++] = s;
	b->argv[b->n] = NULL;
}

/* A stripe unit is one PMD page, a whole number of pages; without PMD pages there is none. */
static bool can_stripe(const struct mm_geometry *mm)
{
	return mm->pmd_size && mm->pmd_size % mm->page_size == 0;
}

char **mkfs_build_argv(enum fs_type fs, const char *device, const struct mm_geometry *mm, enum mkfs_layout layout,
		       bool check_only, bool force)
{
	unsigned long long page_size = mm->page_size, pmd = mm->pmd_size;
	struct argv_builder b = { 0 };

	if (!can_stripe(mm))
		layout = MKFS_PLAIN;

	switch (fs) {
	case FS_XFS:
		push(&b, "mkfs.xfs");
		if (check_only)
			push(&b, "-N");
		if (force)
			push(&b, "-f");
		push(&b, "-q");
		push(&b, "-b");
		push(&b, "size=%llu", page_size);
		push(&b, "-m");
		push(&b, "reflink=0");
		if (layout == MKFS_STRIPED) {
			push(&b, "-d");
			push(&b, "su=%llu,sw=1", pmd);
			/* the log cannot take a PMD-page stripe unit; keep it to one block */
			push(&b, "-l");
			push(&b, "su=%llu", page_size);
		} else if (layout == MKFS_STRIPED_SMALL) {
			/*
			 * Under about 540 MiB a striped xfs wants a 64 MiB log, which
			 * does not fit in the default four allocation groups: two
			 * hold it, and the stripe unit keeps file extents PMD
			 * aligned, without which no fault can map a PMD page.
			 */
			push(&b, "-d");
			push(&b, "su=%llu,sw=1,agcount=2", pmd);
			push(&b, "-l");
			push(&b, "su=%llu,size=64m", page_size);
		}
		break;
	case FS_EXT4:
		push(&b, "mkfs.ext4");
		if (force)
			push(&b, "-F");
		push(&b, "-q");
		push(&b, "-b");
		push(&b, "%llu", page_size);
		if (layout != MKFS_PLAIN) {
			unsigned long long blocks = pmd / page_size;

			push(&b, "-E");
			push(&b, "stride=%llu,stripe_width=%llu", blocks, blocks);
		}
		break;
	default:
		return NULL;
	}
	push(&b, "%s", device);
	if (b.failed) {
		strv_free(b.argv);
		return NULL;
	}
	return b.argv;
}

/* Does mkfs.xfs -N accept this geometry? 1 yes, 0 no, or a negative errno. */
static int xfs_layout_fits(const char *device, const struct mm_geometry *mm, enum mkfs_layout layout, bool force)
{
	_cleanup_strv_free_ char **check = mkfs_build_argv(FS_XFS, device, mm, layout, true, force);
	int r;

	if (!check)
		return -ENOMEM;
	r = exec_wait(check, NULL);
	return r < 0 ? r : r == 0;
}

/*
 * After mkfs.xfs refused the striped layout: the layout that fits, from dry
 * runs. 1 with *layout changed, 0 when the striped one fits (the refusal
 * was about something else), or a negative errno.
 */
static int xfs_smaller_layout(const char *device, const struct mm_geometry *mm, bool force, enum mkfs_layout *layout)
{
	int r = xfs_layout_fits(device, mm, MKFS_STRIPED, force);

	if (r != 0)
		return r < 0 ? r : 0;
	r = xfs_layout_fits(device, mm, MKFS_STRIPED_SMALL, force);
	if (r < 0)
		return r;
	*layout = r ? MKFS_STRIPED_SMALL : MKFS_PLAIN;
	return 1;
}

/* mkfs with layout: its exit status (127: not found), or a negative errno */
static int mkfs_exec(enum fs_type fs, const char *device, const struct mm_geometry *mm, enum mkfs_layout layout,
		     bool force, char **ret_output)
{
	_cleanup_strv_free_ char **argv = mkfs_build_argv(fs, device, mm, layout, false, force);

	if (!argv)
		return -ENOMEM;
	if (ret_output) {
		free(*ret_output);
		*ret_output = NULL;
	}
	return exec_wait(argv, ret_output);
}

const char *mkfs_layout_describe(const struct mm_geometry *mm, char *buf, size_t size)
{
	char p[SIZE_BUF];

	if (mm->pmd_size)
		snprintf(buf, size, "%s aligned", size_format_iec(mm->pmd_size, p, sizeof(p)));
	else
		snprintf(buf, size, "no stripe unit: this system has no huge pages");
	return buf;
}

int mkfs_run(enum fs_type fs, const char *device, const struct mm_geometry *mm, bool force, bool *ret_striped,
	     char **ret_output)
{
	enum mkfs_layout layout = can_stripe(mm) ? MKFS_STRIPED : MKFS_PLAIN;
	bool xfs_before = false;
	int r;

	/* mkfs makes a UUID first of all: without the kernel's CRNG that costs seconds */
	crng_wait();
	/* to tell, should the striped attempt fail, whether an xfs there is its own */
	if (fs == FS_XFS && layout == MKFS_STRIPED && !force)
		xfs_before = guard_starts_with_xfs(device) != 0;

	/*
	 * The striped layout first, for real: mkfs.xfs checks the geometry
	 * before it writes anything, so when it refuses (a device too small
	 * for a PMD-page stripe unit), the dry runs pick the layout that fits and
	 * that one is made. One mkfs on the common path instead of two.
	 */
	r = mkfs_exec(fs, device, mm, layout, force, ret_output);
	if (r > 0 && r != 127 && fs == FS_XFS && layout == MKFS_STRIPED) {
		_cleanup_free_ char *first = ret_output ? TAKE_PTR(*ret_output) : NULL;
		int smaller;

		/*
		 * An attempt that failed after writing (a flush failing at
		 * the end) leaves its own superblock, which the retry must
		 * overwrite: only then, when the device had none before. A
		 * refusal of what was there leaves it as it was, and the
		 * retry refuses it too.
		 */
		if (!force && guard_may_force_retry(device, xfs_before))
			force = true;
		smaller = xfs_smaller_layout(device, mm, force, &layout);
		if (smaller < 0)
			return smaller;
		if (smaller)
			r = mkfs_exec(fs, device, mm, layout, force, ret_output);
		/* when it fails again, both say why */
		if (r != 0 && ret_output && first && *first) {
			if (*ret_output && **ret_output) {
				char *both = strdup_printf("%s; then: %s", first, *ret_output);

				if (both) {
					free(*ret_output);
					*ret_output = both;
				}
			} else {
				free(*ret_output);
				*ret_output = TAKE_PTR(first);
			}
		}
	}
	if (r < 0)
		return r;
	if (r != 0)
		return r == 127 ? -ENOENT : -EIO;
	*ret_striped = layout != MKFS_PLAIN;
	return 0;
}
