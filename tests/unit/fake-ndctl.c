// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fake of the libndctl and libdaxctl calls that ndops.c, guard.c and
 * provision.c make, linked in place of the real libraries (no LD_PRELOAD,
 * no root, no kernel): one bus with the regions a test builds in fake_system,
 * whose namespaces' block devices are regular files. Every call that would
 * change the configuration is appended to fake_system.log, so a test can
 * prove that a refusal changed nothing. The VM tests run the real thing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-ndctl.h"

struct fake_system fake_system;

static struct ndctl_ctx { int refs; } the_ctx;
static struct ndctl_bus { int unused; } the_bus;

void fake_reset(void)
{
	memset(&fake_system, 0, sizeof(fake_system));
}

void fake_log_append(char *log, size_t size, const char *fmt, va_list ap)
{
	size_t len = strlen(log);

	vsnprintf(log + len, size - len, fmt, ap);
	len = strlen(log);
	if (len + 1 < size)
		strcat(log, " ");
}

static int record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int record(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fake_log_append(fake_system.log, sizeof(fake_system.log), fmt, ap);
	va_end(ap);
	return 0;
}

int ndctl_new(struct ndctl_ctx **ctx)
{
	the_ctx.refs++;
	*ctx = &the_ctx;
	return 0;
}

struct ndctl_ctx *ndctl_unref(struct ndctl_ctx *ctx)
{
	ctx->refs--;
	return NULL;
}

void ndctl_cmd_unref(struct ndctl_cmd *cmd)
{
}

struct ndctl_bus *ndctl_bus_get_first(struct ndctl_ctx *ctx)
{
	return &the_bus;
}

struct ndctl_bus *ndctl_bus_get_next(struct ndctl_bus *bus)
{
	return NULL;
}

/* regions */

struct ndctl_region *ndctl_region_get_first(struct ndctl_bus *bus)
{
	return fake_system.n_regions ? &fake_system.regions[0] : NULL;
}

struct ndctl_region *ndctl_region_get_next(struct ndctl_region *region)
{
	size_t i = (size_t)(region - fake_system.regions) + 1;

	return i < fake_system.n_regions ? &fake_system.regions[i] : NULL;
}

unsigned int ndctl_region_get_id(struct ndctl_region *region)
{
	return region->id;
}

const char *ndctl_region_get_devname(struct ndctl_region *region)
{
	static char names[8][16];
	size_t i = (size_t)(region - fake_system.regions) % 8;

	snprintf(names[i], sizeof(names[i]), "region%u", region->id);
	return names[i];
}

/* every fake region: 64 MiB at 4 GiB plus 1 GiB per id */
unsigned long long ndctl_region_get_size(struct ndctl_region *region)
{
	return 64ULL << 20;
}

unsigned long long ndctl_region_get_resource(struct ndctl_region *region)
{
	return (4ULL << 30) + ((unsigned long long)region->id << 30);
}

unsigned int ndctl_region_get_nstype(struct ndctl_region *region)
{
	return region->labelled ? ND_DEVICE_NAMESPACE_PMEM : ND_DEVICE_NAMESPACE_IO;
}

int ndctl_region_disable_invalidate(struct ndctl_region *region)
{
	region->enabled = false;
	return record("region%u:disable", region->id);
}

int ndctl_region_is_enabled(struct ndctl_region *region)
{
	return region->enabled;
}

int ndctl_region_enable(struct ndctl_region *region)
{
	region->enabled = true;
	/* labels on the DIMM: the kernel now reads namespaces from them */
	region->labelled = region->dimm.labels_valid;
	return record("region%u:enable", region->id);
}

struct ndctl_dimm *ndctl_region_get_first_dimm(struct ndctl_region *region)
{
	return &region->dimm;
}

struct ndctl_dimm *ndctl_region_get_next_dimm(struct ndctl_region *region, struct ndctl_dimm *dimm)
{
	return NULL;
}

struct ndctl_namespace *ndctl_region_get_namespace_seed(struct ndctl_region *region)
{
	struct ndctl_namespace *ns;

	if (!region->seed_device[0] || region->n_namespaces == 4)
		return NULL;
	ns = &region->namespaces[region->n_namespaces];
	memset(ns, 0, sizeof(*ns));
	snprintf(ns->devname, sizeof(ns->devname), "namespace%u.%u", region->id, (unsigned)region->n_namespaces);
	snprintf(ns->device, sizeof(ns->device), "%s", region->seed_device);
	region->n_namespaces++;
	return ns;
}

unsigned long long ndctl_region_get_max_available_extent(struct ndctl_region *region)
{
	return ndctl_region_get_size(region);
}

int ndctl_bus_wait_probe(struct ndctl_bus *bus)
{
	return 0;
}

int ndctl_dimm_zero_labels(struct ndctl_dimm *dimm)
{
	dimm->labels_valid = false;
	return record("dimm:zero-labels");
}

struct ndctl_pfn *ndctl_region_get_pfn_seed(struct ndctl_region *region)
{
	return &region->pfn;
}

struct ndctl_dax *ndctl_region_get_dax_seed(struct ndctl_region *region)
{
	return &region->dax;
}

struct ndctl_btt *ndctl_region_get_btt_seed(struct ndctl_region *region)
{
	return &region->btt;
}

/* DIMMs */

int ndctl_dimm_is_active(struct ndctl_dimm *dimm)
{
	return 0;
}

struct ndctl_cmd *ndctl_dimm_read_label_index(struct ndctl_dimm *dimm)
{
	static struct ndctl_cmd cmd;

	return &cmd;
}

int ndctl_dimm_validate_labels(struct ndctl_dimm *dimm)
{
	return dimm->labels_valid ? 0 : -EINVAL;
}

int ndctl_dimm_init_labels(struct ndctl_dimm *dimm, enum ndctl_namespace_version v)
{
	dimm->labels_valid = true;
	record("dimm:init-labels");
	return 2;
}

unsigned long ndctl_dimm_get_available_labels(struct ndctl_dimm *dimm)
{
	return 1;
}

int ndctl_dimm_disable(struct ndctl_dimm *dimm)
{
	return 0;
}

int ndctl_dimm_enable(struct ndctl_dimm *dimm)
{
	return 0;
}

/* namespaces */

static struct ndctl_region *region_of(struct ndctl_namespace *ndns)
{
	for (size_t i = 0; i < fake_system.n_regions; i++) {
		struct ndctl_region *r = &fake_system.regions[i];

		if (ndns >= r->namespaces && ndns < r->namespaces + r->n_namespaces)
			return r;
	}
	abort();
}

struct ndctl_namespace *ndctl_namespace_get_first(struct ndctl_region *region)
{
	return region->n_namespaces ? &region->namespaces[0] : NULL;
}

struct ndctl_namespace *ndctl_namespace_get_next(struct ndctl_namespace *ndns)
{
	struct ndctl_region *r = region_of(ndns);
	size_t i = (size_t)(ndns - r->namespaces) + 1;

	return i < r->n_namespaces ? &r->namespaces[i] : NULL;
}

const char *ndctl_namespace_get_devname(struct ndctl_namespace *ndns)
{
	return ndns->devname;
}

unsigned int ndctl_namespace_get_id(struct ndctl_namespace *ndns)
{
	return (unsigned)(ndns - region_of(ndns)->namespaces);
}

unsigned long long ndctl_namespace_get_size(struct ndctl_namespace *ndns)
{
	return ndns->size;
}

int ndctl_namespace_is_enabled(struct ndctl_namespace *ndns)
{
	return ndns->enabled;
}

int ndctl_namespace_is_configuration_idle(struct ndctl_namespace *ndns)
{
	return !ndns->enabled && !ndns->claim;
}

/* the block device: the fake's file, as a name under /dev that leads to it */
const char *ndctl_namespace_get_block_device(struct ndctl_namespace *ndns)
{
	return ndns->enabled && !ndns->claim ? ndns->device : "";
}

struct ndctl_pfn *ndctl_namespace_get_pfn(struct ndctl_namespace *ndns)
{
	return ndns->claim == FAKE_CLAIM_PFN ? &region_of(ndns)->pfn : NULL;
}

struct ndctl_dax *ndctl_namespace_get_dax(struct ndctl_namespace *ndns)
{
	return ndns->claim == FAKE_CLAIM_DAX ? &region_of(ndns)->dax : NULL;
}

struct ndctl_btt *ndctl_namespace_get_btt(struct ndctl_namespace *ndns)
{
	return ndns->claim == FAKE_CLAIM_BTT ? &region_of(ndns)->btt : NULL;
}

int ndctl_namespace_get_num_sector_sizes(struct ndctl_namespace *ndns)
{
	return 0;
}

unsigned int ndctl_namespace_get_supported_sector_size(struct ndctl_namespace *ndns, int i)
{
	return 0;
}

int ndctl_namespace_disable_safe(struct ndctl_namespace *ndns)
{
	return ndctl_namespace_disable_invalidate(ndns);
}

int ndctl_namespace_disable_invalidate(struct ndctl_namespace *ndns)
{
	ndns->enabled = false;
	ndns->claim = FAKE_CLAIM_NONE;
	return record("%s:disable", ndns->devname);
}

int ndctl_namespace_enable(struct ndctl_namespace *ndns)
{
	ndns->enabled = true;
	return record("%s:enable", ndns->devname);
}

int ndctl_namespace_delete(struct ndctl_namespace *ndns)
{
	return record("%s:delete", ndns->devname);
}

int ndctl_namespace_set_enforce_mode(struct ndctl_namespace *ndns, enum ndctl_namespace_mode mode)
{
	return record("%s:enforce-mode=%d", ndns->devname, (int)mode);
}

int ndctl_namespace_set_raw_mode(struct ndctl_namespace *ndns, int raw_mode)
{
	return record("%s:raw-mode=%d", ndns->devname, raw_mode);
}

int ndctl_namespace_set_uuid(struct ndctl_namespace *ndns, uuid_t uu)
{
	memcpy(ndns->uuid, uu, sizeof(ndns->uuid));
	return record("%s:uuid", ndns->devname);
}

void ndctl_namespace_get_uuid(struct ndctl_namespace *ndns, uuid_t uu)
{
	memcpy(uu, ndns->uuid, sizeof(ndns->uuid));
}

int ndctl_namespace_set_alt_name(struct ndctl_namespace *ndns, const char *alt_name)
{
	snprintf(ndns->alt_name, sizeof(ndns->alt_name), "%s", alt_name);
	return record("%s:name=%s", ndns->devname, alt_name);
}

const char *ndctl_namespace_get_alt_name(struct ndctl_namespace *ndns)
{
	return ndns->alt_name;
}

int ndctl_namespace_set_size(struct ndctl_namespace *ndns, unsigned long long size)
{
	ndns->size = size;
	return record("%s:size=%llu", ndns->devname, size);
}

int ndctl_namespace_set_sector_size(struct ndctl_namespace *ndns, unsigned int sector_size)
{
	return record("%s:sector-size=%u", ndns->devname, sector_size);
}

/* personalities: the region's seeds */

int ndctl_pfn_set_uuid(struct ndctl_pfn *pfn, uuid_t uu)
{
	return record("pfn:uuid");
}

int ndctl_pfn_set_location(struct ndctl_pfn *pfn, enum ndctl_pfn_loc loc)
{
	return record("pfn:location=%d", (int)loc);
}

int ndctl_pfn_has_align(struct ndctl_pfn *pfn)
{
	return 1;
}

int ndctl_pfn_set_align(struct ndctl_pfn *pfn, unsigned long align)
{
	return record("pfn:align=%lu", align);
}

int ndctl_pfn_set_namespace(struct ndctl_pfn *pfn, struct ndctl_namespace *ndns)
{
	pfn->ns = ndns;
	return record("pfn:namespace=%s", ndns ? ndns->devname : "none");
}

int ndctl_pfn_enable(struct ndctl_pfn *pfn)
{
	if (pfn->fail)
		return -ENXIO;
	pfn->ns->claim = FAKE_CLAIM_PFN;
	pfn->ns->enabled = true;
	return record("pfn:enable");
}

const char *ndctl_pfn_get_block_device(struct ndctl_pfn *pfn)
{
	for (size_t i = 0; i < fake_system.n_regions; i++)
		if (&fake_system.regions[i].pfn == pfn)
			for (size_t j = 0; j < fake_system.regions[i].n_namespaces; j++)
				if (fake_system.regions[i].namespaces[j].claim == FAKE_CLAIM_PFN)
					return fake_system.regions[i].namespaces[j].device;
	return "";
}

int ndctl_dax_set_uuid(struct ndctl_dax *dax, uuid_t uu)
{
	return record("dax:uuid");
}

int ndctl_dax_set_location(struct ndctl_dax *dax, enum ndctl_pfn_loc loc)
{
	return record("dax:location=%d", (int)loc);
}

int ndctl_dax_set_align(struct ndctl_dax *dax, unsigned long align)
{
	return record("dax:align=%lu", align);
}

int ndctl_dax_set_namespace(struct ndctl_dax *dax, struct ndctl_namespace *ndns)
{
	dax->ns = ndns;
	return record("dax:namespace=%s", ndns ? ndns->devname : "none");
}

/* a personality is enabled when it claims an enabled namespace */
int ndctl_pfn_is_enabled(struct ndctl_pfn *pfn)
{
	return pfn->ns && pfn->ns->claim == FAKE_CLAIM_PFN && pfn->ns->enabled;
}

int ndctl_dax_is_enabled(struct ndctl_dax *dax)
{
	return dax->ns && dax->ns->claim == FAKE_CLAIM_DAX && dax->ns->enabled;
}

int ndctl_btt_is_enabled(struct ndctl_btt *btt)
{
	return btt->ns && btt->ns->claim == FAKE_CLAIM_BTT && btt->ns->enabled;
}

int ndctl_dax_enable(struct ndctl_dax *dax)
{
	dax->ns->claim = FAKE_CLAIM_DAX;
	return record("dax:enable");
}

void ndctl_dax_get_uuid(struct ndctl_dax *dax, uuid_t uu)
{
	memset(uu, 0, sizeof(uuid_t));
}

void ndctl_pfn_get_uuid(struct ndctl_pfn *pfn, uuid_t uu)
{
	memset(uu, 0, sizeof(uuid_t));
}

void ndctl_btt_get_uuid(struct ndctl_btt *btt, uuid_t uu)
{
	memset(uu, 0, sizeof(uuid_t));
}

struct daxctl_region *ndctl_dax_get_daxctl_region(struct ndctl_dax *dax)
{
	return NULL;
}

int ndctl_btt_set_uuid(struct ndctl_btt *btt, uuid_t uu)
{
	return record("btt:uuid");
}

int ndctl_btt_set_sector_size(struct ndctl_btt *btt, unsigned int sector_size)
{
	return record("btt:sector-size=%u", sector_size);
}

int ndctl_btt_set_namespace(struct ndctl_btt *btt, struct ndctl_namespace *ndns)
{
	btt->ns = ndns;
	return record("btt:namespace=%s", ndns ? ndns->devname : "none");
}

int ndctl_btt_enable(struct ndctl_btt *btt)
{
	btt->ns->claim = FAKE_CLAIM_BTT;
	return record("btt:enable");
}

const char *ndctl_btt_get_block_device(struct ndctl_btt *btt)
{
	return btt->ns ? btt->ns->device : "";
}

/* libdaxctl: no device-dax devices in the fake */

struct daxctl_dev *daxctl_dev_get_first(struct daxctl_region *region)
{
	return NULL;
}

struct daxctl_dev *daxctl_dev_get_next(struct daxctl_dev *dev)
{
	return NULL;
}

const char *daxctl_dev_get_devname(struct daxctl_dev *dev)
{
	return "";
}

unsigned long long daxctl_dev_get_size(struct daxctl_dev *dev)
{
	return 0;
}

unsigned long daxctl_dev_get_align(struct daxctl_dev *dev)
{
	return 0;
}

struct daxctl_memory *daxctl_dev_get_memory(struct daxctl_dev *dev)
{
	return NULL;
}

int daxctl_dev_disable(struct daxctl_dev *dev)
{
	return record("daxdev:disable");
}

int daxctl_dev_enable_ram(struct daxctl_dev *dev)
{
	return record("daxdev:system-ram");
}

int daxctl_memory_is_online(struct daxctl_memory *mem)
{
	return 0;
}

int daxctl_memory_online(struct daxctl_memory *mem)
{
	return record("memory:online");
}
