// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Changing the namespace configuration through libndctl, the way ndctl's own
 * commands do it: label initialisation and namespace creation. Shared by the
 * guest agent and the host companion. Callers hold their lock around these.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "guard.h"
#include "entropy.h"
#include "ndops.h"

/*
 * A fresh library context for each region: after labels are initialised or
 * namespaces created, a long-lived context holds stale seeds (PMEM-CSI saw
 * "pfn: no seed" from exactly that).
 */
struct ndctl_region *nd_find_region(struct ndctl_ctx *ctx, unsigned id)
{
	struct ndctl_region *region;
	struct ndctl_bus *bus;

	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region)
			if (ndctl_region_get_id(region) == id)
				return region;
	return NULL;
}

struct ndctl_namespace *nd_find_namespace(struct ndctl_region *region, const char *devname)
{
	struct ndctl_namespace *ndns;

	ndctl_namespace_foreach(region, ndns)
		if (strcmp(ndctl_namespace_get_devname(ndns), devname) == 0)
			return ndns;
	return NULL;
}

/* ndctl's own sequence (ndctl/namespace.c: namespace_prep_reconfig / autolabel) */
int nd_region_init_labels(struct ndctl_region *region, bool overwrite, char **ret_what)
{
	struct ndctl_dimm *dimm;
	int r = 0;

	/* last look before the labels are written: labels replace every namespace the region has */
	r = guard_may_destroy_region(region, overwrite, ret_what);
	if (r < 0)
		return r;

	r = ndctl_region_disable_invalidate(region);
	if (r < 0)
		return r;
	ndctl_dimm_foreach_in_region(region, dimm) {
		if (ndctl_dimm_is_active(dimm)) {
			r = -EBUSY;
			goto out;
		}
	}
	ndctl_dimm_foreach_in_region(region, dimm) {
		_cleanup_(ndctl_cmd_unrefp) struct ndctl_cmd *cmd_read = ndctl_dimm_read_label_index(dimm);
		int labels;

		if (!cmd_read) {
			r = -ENXIO;
			goto out;
		}
		/* another run may have initialised them meanwhile: never twice */
		if (ndctl_dimm_validate_labels(dimm) >= 0)
			continue;
		labels = ndctl_dimm_init_labels(dimm, NDCTL_NS_VERSION_1_2);
		if (labels < 0) {
			r = labels;
			goto out;
		}
		ndctl_dimm_disable(dimm);
		ndctl_dimm_enable(dimm);
		/* kernels that do not understand v1.2 labels see fewer free slots: fall back to v1.1 */
		if ((unsigned long)labels != ndctl_dimm_get_available_labels(dimm) + 1) {
			labels = ndctl_dimm_init_labels(dimm, NDCTL_NS_VERSION_1_1);
			if (labels < 0) {
				r = labels;
				goto out;
			}
			ndctl_dimm_disable(dimm);
			ndctl_dimm_enable(dimm);
		}
	}
out:
	if (ndctl_region_enable(region) < 0 && r == 0)
		r = -EIO;
	if (r == 0 && ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM)
		r = -EIO;
	return r;
}

static struct ndctl_namespace *region_idle_namespace(struct ndctl_region *region)
{
	struct ndctl_namespace *ndns;

	ndctl_namespace_foreach(region, ndns)
		if (ndctl_namespace_get_id(ndns) == 0 && ndctl_namespace_get_size(ndns) == 0 &&
		    ndctl_namespace_is_configuration_idle(ndns))
			return ndns;
	ndns = ndctl_region_get_namespace_seed(region);
	if (ndns && ndctl_namespace_is_configuration_idle(ndns) && ndctl_namespace_get_size(ndns) == 0)
		return ndns;
	return NULL;
}

/* Claim ndns with the region's pfn (fsdax), dax (devdax) or btt (sector) seed. */
static int setup_personality(struct ndctl_region *region, struct ndctl_namespace *ndns,
			     const struct nd_namespace_spec *spec)
{
	enum ndctl_pfn_loc loc = spec->map == PFN_MAP_MEM ? NDCTL_PFN_LOC_RAM : NDCTL_PFN_LOC_PMEM;
	uint64_t align = spec->align;
	uuid_t uu;
	int r;

	crng_wait();
	uuid_generate(uu);
	if (spec->mode == NS_MODE_SECTOR) {
		struct ndctl_btt *btt = ndctl_region_get_btt_seed(region);

		if (!btt)
			return -ENXIO;
		if ((r = ndctl_btt_set_uuid(btt, uu)) < 0 || (r = ndctl_btt_set_sector_size(btt, spec->sector_size)) < 0 ||
		    (r = ndctl_btt_set_namespace(btt, ndns)) < 0)
			return r;
		r = ndctl_btt_enable(btt);
		if (r < 0)
			ndctl_btt_set_namespace(btt, NULL);
		return r;
	}
	if (spec->mode == NS_MODE_FSDAX) {
		struct ndctl_pfn *pfn = ndctl_region_get_pfn_seed(region);

		if (!pfn)
			return -ENXIO;
		if ((r = ndctl_pfn_set_uuid(pfn, uu)) < 0 || (r = ndctl_pfn_set_location(pfn, loc)) < 0)
			return r;
		if (ndctl_pfn_has_align(pfn) && (r = ndctl_pfn_set_align(pfn, align)) < 0)
			return r;
		if ((r = ndctl_pfn_set_namespace(pfn, ndns)) < 0)
			return r;
		r = ndctl_pfn_enable(pfn);
		if (r < 0)
			ndctl_pfn_set_namespace(pfn, NULL);
		return r;
	} else {
		struct ndctl_dax *dax = ndctl_region_get_dax_seed(region);

		if (!dax)
			return -ENXIO;
		if ((r = ndctl_dax_set_uuid(dax, uu)) < 0 || (r = ndctl_dax_set_location(dax, loc)) < 0 ||
		    (r = ndctl_dax_set_align(dax, align)) < 0 || (r = ndctl_dax_set_namespace(dax, ndns)) < 0)
			return r;
		r = ndctl_dax_enable(dax);
		if (r < 0)
			ndctl_dax_set_namespace(dax, NULL);
		return r;
	}
}

static enum ndctl_namespace_mode enforce_mode(enum ns_mode mode)
{
	switch (mode) {
	case NS_MODE_DEVDAX:
		return NDCTL_NS_MODE_DEVDAX;
	case NS_MODE_SECTOR:
		return NDCTL_NS_MODE_SECTOR;
	default:
		return NDCTL_NS_MODE_FSDAX;
	}
}

static bool namespace_supports_sector_size(struct ndctl_namespace *ndns, unsigned sector_size)
{
	int n = ndctl_namespace_get_num_sector_sizes(ndns);

	for (int i = 0; i < n; i++)
		if (ndctl_namespace_get_supported_sector_size(ndns, i) == sector_size)
			return true;
	return false;
}

/* libndctl's seed sequence: uuid, alt name, size (uuid before size), mode, then the pfn or dax seed */
int nd_namespace_create(struct ndctl_region *region, const struct nd_namespace_spec *spec, char **ret_devname)
{
	struct ndctl_namespace *ndns = region_idle_namespace(region);
	uuid_t uu;
	int r;

	if (!ndns)
		return -EAGAIN;
	crng_wait();
	uuid_generate(uu);
	if ((r = ndctl_namespace_set_uuid(ndns, uu)) < 0 || (r = ndctl_namespace_set_alt_name(ndns, spec->name)) < 0 ||
	    (r = ndctl_namespace_set_size(ndns, spec->size)) < 0)
		goto fail;
	/* the label records the sector size a btt is made with (ndctl does the same) */
	if (spec->mode == NS_MODE_SECTOR && namespace_supports_sector_size(ndns, spec->sector_size) &&
	    (r = ndctl_namespace_set_sector_size(ndns, spec->sector_size)) < 0)
		goto fail;
	ndctl_namespace_set_enforce_mode(ndns, enforce_mode(spec->mode));
	r = setup_personality(region, ndns, spec);
	if (r < 0)
		goto fail;
	*ret_devname = strdup(ndctl_namespace_get_devname(ndns));
	return *ret_devname ? 0 : -ENOMEM;
fail:
	/* leave no half-made namespace behind */
	ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
	ndctl_namespace_delete(ndns);
	return r;
}

/*
 * Wipe the info block of a previous personality, as ndctl does before it
 * reconfigures: with the personality probes switched off (force_raw) the
 * block device is the bare namespace, whose first 8 KiB hold every info
 * block (pfn, dax, btt 1.1 at 4 KiB, btt 2.0 at 0). Otherwise the kernel
 * would bring the old personality back on the next enable.
 */
static int wipe_info_blocks(struct ndctl_namespace *ndns)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ void *zeros = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *bdev;
	int r;

	r = ndctl_namespace_set_raw_mode(ndns, 1);
	if (r < 0)
		return r;
	r = ndctl_namespace_enable(ndns);
	bdev = ndctl_namespace_get_block_device(ndns);
	if (r < 0 || !bdev || !*bdev || asprintf(&path, "/dev/%s", bdev) < 0) {
		r = r < 0 ? r : -ENODEV;
		goto out;
	}
	if (posix_memalign(&zeros, 4096, 8192) != 0) {
		r = -ENOMEM;
		goto out;
	}
	memset(zeros, 0, 8192);
	fd = open(path, O_RDWR | O_DIRECT | O_EXCL | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, zeros, 8192, 0) != 8192 || fsync(fd) < 0)
		r = -errno;
out:
	ndctl_namespace_set_raw_mode(ndns, 0);
	ndctl_namespace_disable_invalidate(ndns);
	return r;
}

int nd_namespace_reconfigure(struct ndctl_region *region, struct ndctl_namespace *ndns,
			     const struct nd_namespace_spec *spec, bool overwrite, char **ret_what)
{
	bool claimed = ndctl_namespace_get_pfn(ndns) || ndctl_namespace_get_dax(ndns) || ndctl_namespace_get_btt(ndns);
	int r;

	r = guard_may_destroy_namespace(ndns, overwrite, ret_what);
	if (r < 0)
		return r;
	/* refuses while the device is open (mounted, in use), as ndctl does */
	r = ndctl_namespace_disable_safe(ndns);
	if (r < 0)
		return r;
	r = ndctl_namespace_disable_invalidate(ndns);
	if (r < 0)
		return r;
	/* label-less namespaces keep no mode: the kernel refuses to record it, and says so */
	ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
	if (claimed || overwrite) {
		r = wipe_info_blocks(ndns);
		if (r < 0)
			return r;
	}
	ndctl_namespace_set_enforce_mode(ndns, enforce_mode(spec->mode));
	r = setup_personality(region, ndns, spec);
	if (r < 0)
		/* leave it usable as it now is, a raw namespace, rather than disabled */
		ndctl_namespace_enable(ndns);
	return r;
}

/* The uuid of the info block that claims ndns (pfn, dax or btt), unparsed, or NULL. */
int nd_namespace_claim_uuid(struct ndctl_namespace *ndns, char **ret)
{
	struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
	struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);
	uuid_t uu;

	*ret = NULL;
	if (pfn)
		ndctl_pfn_get_uuid(pfn, uu);
	else if (dax)
		ndctl_dax_get_uuid(dax, uu);
	else if (btt)
		ndctl_btt_get_uuid(btt, uu);
	else
		return 0;
	if (uuid_is_null(uu))
		return 0;
	*ret = malloc(UUID_STR_LEN);
	if (!*ret)
		return -ENOMEM;
	uuid_unparse(uu, *ret);
	return 0;
}

int nd_namespace_rename(struct ndctl_namespace *ndns, const char *name)
{
	int r, k;

	r = ndctl_namespace_disable_safe(ndns);
	if (r < 0)
		return r;
	r = ndctl_namespace_set_alt_name(ndns, name);
	/* enabled again also when the name could not be written: it is usable as it was */
	k = ndctl_namespace_enable(ndns);
	return r < 0 ? r : k < 0 ? k : 0;
}

bool nd_namespace_is_active(struct ndctl_namespace *ndns)
{
	struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
	struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);

	/* a claimed namespace has no driver of its own: its personality has */
	return ndctl_namespace_is_enabled(ndns) || (pfn && ndctl_pfn_is_enabled(pfn)) ||
	       (btt && ndctl_btt_is_enabled(btt)) || (dax && ndctl_dax_is_enabled(dax));
}
