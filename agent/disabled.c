// SPDX-License-Identifier: GPL-2.0-or-later
/* The regions the agent disabled: see disabled.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
	_cleanup_free_ char *path = strdup_printf("%s/%s", disabled_dir, name);
	int r;

	if (!path || !text)
		return -ENOMEM;
	r = mkdir_p_nofollow(disabled_dir, 0755);
	if (r < 0)
		return r;
	return write_file_atomic(path, text, strlen(text), 0644);
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

static int forget_name(const char *name)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", disabled_dir, name);

	if (!path)
		return -ENOMEM;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int disabled_forget(struct ndctl_region *region)
{
	return forget_name(ndctl_region_get_devname(region));
}

int disabled_forget_namespace(struct ndctl_namespace *ndns)
{
	return forget_name(ndctl_namespace_get_devname(ndns));
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

/* Enable ndns again if it is the namespace the record describes and it is disabled. 1 enabled, 0 not, or -errno. */
static int restore_namespace(struct ndctl_ctx *ctx, const char *name, const char *text)
{
	struct ndctl_namespace *ndns = find_namespace_by_name(ctx, name);
	_cleanup_free_ char *now = NULL;
	int r;

	if (!ndns) {
		log_info("%s: disabled by an earlier run of the agent, and gone since", name);
		return forget_name(name);
	}
	now = namespace_record_text(ndns);
	if (!now)
		return -ENOMEM;
	if (strcmp(now, text) != 0) {
		log_warning("%s: is not the namespace an earlier run of the agent disabled (another uuid or size): "
			    "left as it is",
			    name);
		return forget_name(name);
	}
	if (nd_namespace_is_active(ndns))
		return forget_name(name);
	/* the kernel finds its info block again and claims it, as at boot */
	r = ndctl_namespace_enable(ndns);
	if (r < 0) {
		log_error("%s: disabled by an earlier run of the agent, which was stopped before it enabled it again, "
			  "and it cannot be enabled: %s",
			  name, strerror(-r));
		return r;
	}
	log_notice("%s: enabled again: an earlier run of the agent disabled it to rename it and was stopped before "
		   "it enabled it",
		   name);
	r = forget_name(name);
	return r < 0 ? r : 1;
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

/* Enable region again if it is the one the record describes and it is disabled. 1 enabled, 0 not, or -errno. */
static int restore_one(struct ndctl_ctx *ctx, const char *name)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", disabled_dir, name), *text = NULL, *now = NULL;
	struct ndctl_region *region;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_file(path, &text, NULL);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (strncmp(name, "namespace", 9) == 0)
		return restore_namespace(ctx, name, text);
	region = find_by_name(ctx, name);
	if (!region) {
		log_info("%s: disabled by an earlier run of the agent, and gone since", name);
		return forget_name(name);
	}
	now = record_text(region);
	if (!now)
		return -ENOMEM;
	if (strcmp(now, text) != 0) {
		log_warning("%s: is not the region an earlier run of the agent disabled (another address or size): "
			    "left as it is",
			    name);
		return forget_name(name);
	}
	if (!ndctl_region_is_enabled(region)) {
		r = ndctl_region_enable(region);
		if (r < 0) {
			log_error("%s: disabled by an earlier run of the agent, which was stopped before it enabled it "
				  "again, and it cannot be enabled: %s",
				  name, strerror(-r));
			return r;
		}
		log_notice("%s: enabled again: an earlier run of the agent disabled it to initialise its labels and "
			   "was stopped before it enabled it",
			   name);
		r = forget_name(name);
		return r < 0 ? r : 1;
	}
	return forget_name(name);
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
