// SPDX-License-Identifier: GPL-2.0-or-later
/* The regions the agent disabled: see disabled.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "disabled.h"
#include "fileio.h"
#include "log.h"
#include "ndops.h"
#include "record.h"
#include "strutil.h"

static const char *disabled_dir = RUNDIR "/disabled";

void disabled_set_dir(const char *dir)
{
	disabled_dir = dir;
}

static char *record_text(struct ndctl_region *region)
{
	return strdup_printf("resource=%llu\nsize=%llu\n", ndctl_region_get_resource(region),
			     ndctl_region_get_size(region));
}

static char *namespace_record_text(struct ndctl_namespace *ndns)
{
	char uuid[UUID_STR_LEN];
	uuid_t uu;

	ndctl_namespace_get_uuid(ndns, uu);
	uuid_unparse(uu, uuid);
	return strdup_printf("uuid=%s\nsize=%llu\n", uuid, ndctl_namespace_get_size(ndns));
}

static int remember(const char *name, char *text)
{
	return text ? record_write(disabled_dir, name, text) : -ENOMEM;
}

int disabled_remember(struct ndctl_region *region)
{
	_cleanup_free_ char *text = record_text(region);

	return remember(ndctl_region_get_devname(region), text);
}

int disabled_remember_namespace(struct ndctl_namespace *ndns)
{
	_cleanup_free_ char *text = namespace_record_text(ndns);

	return remember(ndctl_namespace_get_devname(ndns), text);
}

int disabled_forget(struct ndctl_region *region)
{
	return record_remove(disabled_dir, ndctl_region_get_devname(region));
}

int disabled_forget_namespace(struct ndctl_namespace *ndns)
{
	return record_remove(disabled_dir, ndctl_namespace_get_devname(ndns));
}

static struct ndctl_namespace *find_namespace_by_name(struct ndctl_ctx *ctx, const char *name)
{
	struct ndctl_namespace *ndns;
	struct ndctl_region *region;
	struct ndctl_bus *bus;

	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region)
			ndctl_namespace_foreach(region, ndns)
				if (strcmp(ndctl_namespace_get_devname(ndns), name) == 0)
					return ndns;
	return NULL;
}

static struct ndctl_region *find_by_name(struct ndctl_ctx *ctx, const char *name)
{
	struct ndctl_region *region;
	struct ndctl_bus *bus;

	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region)
			if (strcmp(ndctl_region_get_devname(region), name) == 0)
				return region;
	return NULL;
}

/* What a record is about, found again: its record's text now, whether it is enabled, how to enable it. */
struct found {
	char *text;
	bool active;
	int (*enable)(void *object);
	void *object;
	const char *why; /* why the agent disabled it */
};

static int enable_region(void *region)
{
	return ndctl_region_enable(region);
}

/* the kernel finds the namespace's info block again and claims it, as at boot */
static int enable_namespace(void *ndns)
{
	int r = ndctl_namespace_enable(ndns);

	return r < 0 ? r : 0;
}

/* The region or namespace name, as it is now; 0 when it is gone, 1 when found, or -ENOMEM. */
static int find(struct ndctl_ctx *ctx, const char *name, struct found *ret)
{
	if (strncmp(name, "namespace", 9) == 0) {
		struct ndctl_namespace *ndns = find_namespace_by_name(ctx, name);

		if (!ndns)
			return 0;
		*ret = (struct found){ namespace_record_text(ndns), nd_namespace_is_active(ndns), enable_namespace, ndns,
				       "to rename it" };
	} else {
		struct ndctl_region *region = find_by_name(ctx, name);

		if (!region)
			return 0;
		*ret = (struct found){ record_text(region), ndctl_region_is_enabled(region), enable_region, region,
				       "to initialise its labels" };
	}
	return ret->text ? 1 : -ENOMEM;
}

/* Enable name again if it is what the record describes and it is disabled. 1 enabled, 0 not, or -errno. */
static int restore_one(struct ndctl_ctx *ctx, const char *name)
{
	_cleanup_free_ char *text = NULL;
	struct found found = { 0 };
	int r;

	r = record_read(disabled_dir, name, &text);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	r = find(ctx, name, &found);
	if (r < 0)
		return r;
	if (r == 0)
		log_info("%s: disabled by an earlier run of the agent, and gone since", name);
	else if (strcmp(found.text, text) != 0)
		log_warning("%s: is not what an earlier run of the agent disabled (another address, uuid or size): left "
			    "as it is",
			    name);
	else if (!found.active) {
		r = found.enable(found.object);
		free(found.text);
		if (r < 0)
			return log_error_errno(
				r,
				"%s: disabled by an earlier run of the agent, which was stopped before it enabled it "
				"again, and it cannot be enabled: %m",
				name);
		log_notice("%s: enabled again: an earlier run of the agent disabled it %s and was stopped before it "
			   "enabled it",
			   name, found.why);
		r = record_remove(disabled_dir, name);
		return r < 0 ? r : 1;
	}
	free(found.text);
	return record_remove(disabled_dir, name);
}

int disabled_restore(void)
{
	static const char *const kinds[] = { "region", "namespace" };
	_cleanup_(ndctl_unrefp) struct ndctl_ctx *ctx = NULL;
	int n = 0, result = 0;

	/* regions first: a namespace is enabled in an enabled region only */
	for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
		_cleanup_(closedirp) DIR *d = opendir(disabled_dir);
		struct dirent *de;

		/* every run passes here: without a record it costs one failed opendir */
		if (!d)
			return errno == ENOENT ? 0 : -errno;
		while ((de = readdir(d))) {
			int r;

			if (strncmp(de->d_name, kinds[k], strlen(kinds[k])) != 0)
				continue;
			if (!ctx) {
				r = ndctl_new(&ctx);
				if (r < 0)
					return r;
			}
			r = restore_one(ctx, de->d_name);
			if (r < 0)
				result = r;
			else
				n += r;
		}
	}
	return result < 0 ? result : n;
}
