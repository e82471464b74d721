// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading the live system: regions and namespaces through libndctl, what is on
 * the block devices through libblkid, where they are mounted from
 * /proc/self/mountinfo (mountinfo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "inventory.h"
#include "log.h"
#include "ndops.h"
#include "daxfs.h"
#include "guard.h"
#include "mountinfo.h"
#include "size.h"

static char *dev_path(const char *name)
{
	char *p = NULL;

	if (!name)
		return NULL;
	if (asprintf(&p, "/dev/%s", name) < 0)
		return NULL;
	return p;
}

static void ns_state_clear(struct ns_state *ns)
{
	free(ns->devname);
	free(ns->name);
	free(ns->uuid);
	free(ns->claim_uuid);
	free(ns->blockdev);
	free(ns->chardev);
	free(ns->fstype);
	free(ns->signatures);
	free(ns->contents);
	free(ns->mountpoint);
}

static void region_state_clear(struct region_state *r)
{
	free(r->devname);
	free(r->provider);
	strv_free(r->dimms);
	for (size_t i = 0; i < r->n_dimm_states; i++) {
		free(r->dimm_states[i].devname);
		free(r->dimm_states[i].id);
	}
	free(r->dimm_states);
	for (size_t i = 0; i < r->n_namespaces; i++)
		ns_state_clear(&r->namespaces[i]);
	free(r->namespaces);
	cxl_region_state_free(r->cxl);
}

void inventory_clear(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n_regions; i++)
		region_state_clear(&inv->regions[i]);
	free(inv->regions);
	memset(inv, 0, sizeof(*inv));
}

static enum ns_mode mode_from_ndctl(struct ndctl_namespace *ndns)
{
	/* the kernel's mode names the personality that claims it, when one does */
	switch (ndctl_namespace_get_mode(ndns)) {
	case NDCTL_NS_MODE_FSDAX:
		/* "memory" without a pfn: a raw namespace whose pages the kernel maps (virtio-pmem, e820) */
		if (!ndctl_namespace_get_pfn(ndns) && ndctl_namespace_get_block_device(ndns))
			return NS_MODE_RAW;
		return NS_MODE_FSDAX;
	case NDCTL_NS_MODE_DEVDAX:
		return NS_MODE_DEVDAX;
	case NDCTL_NS_MODE_SECTOR:
		return NS_MODE_SECTOR;
	case NDCTL_NS_MODE_RAW:
		return NS_MODE_RAW;
	default:
		/* a namespace not claimed by pfn/dax/btt reports "unknown" on some kernels */
		return ndctl_namespace_get_block_device(ndns) ? NS_MODE_RAW : NS_MODE_UNKNOWN;
	}
}

static void fill_devdax(struct ndctl_namespace *ndns, struct ns_state *ns)
{
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
	struct daxctl_region *dregion;
	struct daxctl_dev *dev;

	if (!dax)
		return;
	ns->align = ndctl_dax_get_align(dax);
	dregion = ndctl_dax_get_daxctl_region(dax);
	if (!dregion)
		return;
	daxctl_dev_foreach(dregion, dev) {
		if (!daxctl_dev_get_size(dev))
			continue;
		ns->chardev = dev_path(daxctl_dev_get_devname(dev));
		ns->dev_size = daxctl_dev_get_size(dev);
		/* libdaxctl has a memory object only for devices in system-ram mode */
		ns->system_ram = daxctl_dev_get_memory(dev) != NULL;
		break;
	}
}

/*
 * The region's known bad sectors (512 bytes, from its start), read once per
 * region: a namespace's share is what falls in its range. Unlike the block
 * device's list this covers device-dax too, and costs no file per namespace.
 */
#define MAX_BAD_RANGES 64
struct bad_ranges {
	uint64_t start[MAX_BAD_RANGES], len[MAX_BAD_RANGES];
	size_t n;
	bool overflow; /* more ranges than kept: place none */
	unsigned total;
};

static unsigned namespace_bad_sectors(struct ndctl_namespace *ndns, uint64_t region_start, const struct bad_ranges *bad)
{
	unsigned long long start = ndctl_namespace_get_resource(ndns);
	uint64_t first, end;
	unsigned n = 0;

	if (!bad->total)
		return 0;
	/* where the namespace lies is not known: any of the region's bad sectors may be in it */
	if (bad->overflow || start == ULLONG_MAX || !region_start || start < region_start)
		return bad->total;
	first = (start - region_start) / 512;
	end = first + ndctl_namespace_get_size(ndns) / 512;
	for (size_t i = 0; i < bad->n; i++) {
		uint64_t lo = bad->start[i] > first ? bad->start[i] : first;
		uint64_t hi = bad->start[i] + bad->len[i] < end ? bad->start[i] + bad->len[i] : end;

		if (hi > lo)
			n += (unsigned)(hi - lo);
	}
	return n;
}

static int read_namespace(struct ndctl_namespace *ndns, const struct mountinfo *mounts, bool report,
			  uint64_t region_start, const struct bad_ranges *bad, struct ns_state *ns)
{
	const char *alt = ndctl_namespace_get_alt_name(ndns);
	struct stat st;
	int r;

	ns->devname = strdup(ndctl_namespace_get_devname(ndns));
	ns->name = strdup(alt ? alt : "");
	if (!ns->devname || !ns->name)
		return -ENOMEM;
	ns->id = ndctl_namespace_get_id(ndns);
	ns->badblocks = namespace_bad_sectors(ndns, region_start, bad);
	ns->size = ndctl_namespace_get_size(ndns);
	/* an fsdax/devdax namespace is claimed by its pfn/dax device, not bound itself */
	ns->enabled = ndctl_namespace_is_active(ndns);
	ns->mode = mode_from_ndctl(ndns);
	ns->dax = -1;
	if (ndctl_namespace_get_type(ndns) != ND_DEVICE_NAMESPACE_IO) {
		uuid_t uu;

		ndctl_namespace_get_uuid(ndns, uu);
		if (!uuid_is_null(uu)) {
			ns->uuid = malloc(37);
			if (!ns->uuid)
				return -ENOMEM;
			uuid_unparse(uu, ns->uuid);
		}
	}

	if (ns->mode == NS_MODE_FSDAX) {
		struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);

		if (pfn) {
			ns->align = ndctl_pfn_get_align(pfn);
			ns->dev_size = ndctl_pfn_get_size(pfn);
			ns->blockdev = dev_path(ndctl_pfn_get_block_device(pfn));
		}
	} else if (ns->mode == NS_MODE_DEVDAX) {
		fill_devdax(ndns, ns);
	} else if (ns->mode == NS_MODE_SECTOR) {
		struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);

		if (btt) {
			ns->sector_size = ndctl_btt_get_sector_size(btt);
			ns->dev_size = ndctl_btt_get_size(btt);
			ns->blockdev = dev_path(ndctl_btt_get_block_device(btt));
		}
	} else if (ns->mode == NS_MODE_RAW) {
		ns->dev_size = ns->size;
		ns->blockdev = dev_path(ndctl_namespace_get_block_device(ndns));
	}
	if (ns->dev_size == ULLONG_MAX)
		ns->dev_size = 0;
	r = nd_namespace_claim_uuid(ndns, &ns->claim_uuid);
	if (r < 0)
		return r;

	if (!ns->blockdev || !ns->enabled || stat(ns->blockdev, &st) < 0 || !S_ISBLK(st.st_mode)) {
		/* nothing to read: the guard counts it as data */
		if (ns->mode == NS_MODE_RAW &&
		    asprintf(&ns->contents, "%s has no readable block device", ns->devname) < 0)
			return -ENOMEM;
		return 0;
	}

	if (mounts) {
		const struct mount_entry *m = mountinfo_find_devno(mounts, st.st_rdev);

		if (m) {
			ns->mountpoint = strdup(m->target);
			ns->fstype = strdup(m->fstype);
			if (!ns->mountpoint || !ns->fstype)
				return -ENOMEM;
			if (asprintf(&ns->contents, "a mounted %s filesystem", ns->fstype ? ns->fstype : "") < 0)
				return -ENOMEM;
			if (report)
				ns->dax = mount_dax_expected(ns->blockdev, m->fs_options);
			return 0;
		}
	}
	/* not mounted: what is on it, as the data guard sees it */
	return guard_probe_blockdev(ns->blockdev, &ns->fstype, &ns->signatures, &ns->contents);
}

static int compare_ns(const void *a, const void *b)
{
	const struct ns_state *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static bool region_label_capable(struct ndctl_region *region)
{
	struct ndctl_dimm *dimm;
	unsigned count = 0;

	ndctl_dimm_foreach_in_region(region, dimm) {
		if (!ndctl_dimm_is_cmd_supported(dimm, ND_CMD_GET_CONFIG_SIZE) ||
		    !ndctl_dimm_is_cmd_supported(dimm, ND_CMD_GET_CONFIG_DATA) ||
		    !ndctl_dimm_is_cmd_supported(dimm, ND_CMD_SET_CONFIG_DATA))
			return false;
		count++;
	}
	return count > 0;
}

static const struct {
	const char *provider;
	enum region_kind kind;
} providers[] = {
	{ "ACPI.NFIT", REGION_NFIT },
	{ "virtio-pmem", REGION_VIRTIO },
	{ "e820", REGION_E820 },
	{ "papr_scm", REGION_PAPR },
	{ "CXL", REGION_CXL },
};

static int read_region_kind(struct ndctl_region *region, struct bad_ranges *bad, struct region_state *rs)
{
	const char *provider = ndctl_bus_get_provider(ndctl_region_get_bus(region));
	struct badblock *bb;

	rs->provider = strdup(provider ? provider : "");
	if (!rs->provider)
		return -ENOMEM;
	rs->kind = REGION_OTHER;
	for (size_t i = 0; i < ELEMENTSOF(providers); i++)
		if (strcmp(rs->provider, providers[i].provider) == 0)
			rs->kind = providers[i].kind;
	/*
	 * papr_scm names its bus after its device-tree node
	 * ("ibm,persistent-memory:ibm,pmemory@90000000", seen on 6.1): libndctl
	 * knows it by the node's "compatible" instead
	 */
	if (rs->kind == REGION_OTHER && ndctl_bus_is_papr_scm(ndctl_region_get_bus(region)))
		rs->kind = REGION_PAPR;
	/* virtio-pmem is the one asynchronous kind: the kernel flushes it through the host on fsync */
	rs->async = rs->kind == REGION_VIRTIO;
	switch (ndctl_region_get_persistence_domain(region)) {
	case PERSISTENCE_NONE:
		rs->persistence = PERSIST_DOMAIN_NONE;
		break;
	case PERSISTENCE_MEM_CTRL:
		rs->persistence = PERSIST_DOMAIN_MEMORY_CONTROLLER;
		break;
	case PERSISTENCE_CPU_CACHE:
		rs->persistence = PERSIST_DOMAIN_CPU_CACHE;
		break;
	case PERSISTENCE_UNKNOWN:
	default:
		rs->persistence = PERSIST_DOMAIN_UNSPECIFIED;
		break;
	}
	ndctl_region_badblock_foreach(region, bb) {
		if (bad->n < MAX_BAD_RANGES) {
			bad->start[bad->n] = bb->offset;
			bad->len[bad->n++] = bb->len;
		} else {
			bad->overflow = true;
		}
		bad->total += (unsigned)bb->len;
	}
	rs->badblocks = bad->total;
	return 0;
}

static void read_alignments(struct ndctl_region *region, struct region_state *rs)
{
	struct ndctl_pfn *pfn = ndctl_region_get_pfn_seed(region);
	struct ndctl_dax *dax = ndctl_region_get_dax_seed(region);

	if (pfn) {
		int n = ndctl_pfn_get_num_alignments(pfn);

		for (int i = 0; i < n && rs->n_fsdax_aligns < MAX_ALIGNMENTS; i++)
			rs->fsdax_aligns[rs->n_fsdax_aligns++] = ndctl_pfn_get_supported_alignment(pfn, i);
	}
	if (dax) {
		int n = ndctl_dax_get_num_alignments(dax);

		for (int i = 0; i < n && rs->n_devdax_aligns < MAX_ALIGNMENTS; i++)
			rs->devdax_aligns[rs->n_devdax_aligns++] = ndctl_dax_get_supported_alignment(dax, i);
	}
}

/*
 * What the DIMM's firmware says of it: the flags and the dirty shutdown
 * count libndctl read when it found the DIMM (nfit/ or papr/ in sysfs:
 * nothing more to ask), and, for a report, its SMART health where it
 * answers SMART (one command; QEMU's NFIT DIMMs do not, papr_scm does).
 */
static int read_dimm_health(struct ndctl_dimm *dimm, bool report, struct dimm_state *d)
{
	const char *id = ndctl_dimm_get_unique_id(dimm);
	struct ndctl_cmd *cmd;

	if (id && *id && !(d->id = strdup(id)))
		return -ENOMEM;
	d->flags = (ndctl_dimm_failed_arm(dimm) > 0 ? DIMM_FLAG_NOT_ARMED : 0) |
		   (ndctl_dimm_failed_save(dimm) > 0 ? DIMM_FLAG_SAVE_FAIL : 0) |
		   (ndctl_dimm_failed_restore(dimm) > 0 ? DIMM_FLAG_RESTORE_FAIL : 0) |
		   (ndctl_dimm_failed_flush(dimm) > 0 ? DIMM_FLAG_FLUSH_FAIL : 0) |
		   (ndctl_dimm_failed_map(dimm) > 0 ? DIMM_FLAG_MAP_FAIL : 0) |
		   (ndctl_dimm_smart_pending(dimm) > 0 ? DIMM_FLAG_SMART_EVENT : 0);
	d->dirty_shutdowns = ndctl_dimm_get_dirty_shutdown(dimm);
	if (d->dirty_shutdowns < 0)
		d->dirty_shutdowns = -1;
	d->health = DIMM_HEALTH_UNKNOWN;
	if (!report)
		return 0;
	cmd = ndctl_dimm_cmd_new_smart(dimm);
	if (!cmd)
		return 0;
	if (ndctl_cmd_submit(cmd) >= 0 && ndctl_cmd_get_firmware_status(cmd) == 0) {
		unsigned flags = ndctl_cmd_smart_get_flags(cmd);

		if (flags & ND_SMART_HEALTH_VALID) {
			unsigned h = ndctl_cmd_smart_get_health(cmd);

			d->health = h & ND_SMART_FATAL_HEALTH	   ? DIMM_HEALTH_FATAL
				    : h & ND_SMART_CRITICAL_HEALTH  ? DIMM_HEALTH_CRITICAL
				    : h & ND_SMART_NON_CRITICAL_HEALTH ? DIMM_HEALTH_NON_CRITICAL
								    : DIMM_HEALTH_OK;
		}
		/* the DIMM's own count, where the kernel shows none */
		if (d->dirty_shutdowns < 0 && (flags & ND_SMART_SHUTDOWN_COUNT_VALID))
			d->dirty_shutdowns = ndctl_cmd_smart_get_shutdown_count(cmd);
	}
	ndctl_cmd_unref(cmd);
	return 0;
}

static int read_region(struct ndctl_region *region, const struct mountinfo *mounts, bool report,
		       struct region_state *rs)
{
	struct bad_ranges bad = { 0 };
	struct ndctl_namespace *ndns;
	struct ndctl_dimm *dimm;
	unsigned long align;
	size_t n_dimms = 0;
	int r;

	rs->devname = strdup(ndctl_region_get_devname(region));
	if (!rs->devname)
		return -ENOMEM;
	rs->id = ndctl_region_get_id(region);
	r = read_region_kind(region, &bad, rs);
	if (r < 0)
		return r;
	rs->resource = ndctl_region_get_resource(region);
	if (rs->resource == ULLONG_MAX)
		rs->resource = 0;
	rs->size = ndctl_region_get_size(region);
	rs->available = ndctl_region_get_max_available_extent(region);
	if (rs->available == ULLONG_MAX)
		rs->available = ndctl_region_get_available_size(region);
	align = ndctl_region_get_align(region);
	rs->align = align == ULONG_MAX ? 0 : align;
	rs->ways = ndctl_region_get_interleave_ways(region);
	if (!rs->ways)
		rs->ways = 1;
	rs->enabled = ndctl_region_is_enabled(region) > 0;
	rs->readonly = ndctl_region_get_ro(region) > 0;
	rs->labelled = ndctl_region_get_nstype(region) == ND_DEVICE_NAMESPACE_PMEM;
	rs->label_capable = region_label_capable(region);
	rs->numa_node = ndctl_region_get_numa_node(region);

	ndctl_dimm_foreach_in_region(region, dimm)
		n_dimms++;
	rs->dimms = calloc(n_dimms + 1, sizeof(char *));
	rs->dimm_states = calloc(n_dimms ? n_dimms : 1, sizeof(*rs->dimm_states));
	if (!rs->dimms || !rs->dimm_states)
		return -ENOMEM;
	ndctl_dimm_foreach_in_region(region, dimm) {
		struct dimm_state *d = &rs->dimm_states[rs->n_dimm_states++];

		d->devname = strdup(ndctl_dimm_get_devname(dimm));
		rs->dimms[rs->n_dimm_states - 1] = strdup(ndctl_dimm_get_devname(dimm));
		if (!d->devname || !rs->dimms[rs->n_dimm_states - 1])
			return -ENOMEM;
		d->handle = ndctl_dimm_get_handle(dimm);
		d->phys_id = ndctl_dimm_get_phys_id(dimm);
		d->vendor = ndctl_dimm_get_vendor(dimm);
		d->device = ndctl_dimm_get_device(dimm);
		d->serial = ndctl_dimm_get_serial(dimm);
		d->failed = ndctl_dimm_failed_save(dimm) > 0 || ndctl_dimm_failed_restore(dimm) > 0 ||
			    ndctl_dimm_failed_arm(dimm) > 0 || ndctl_dimm_failed_flush(dimm) > 0 ||
			    ndctl_dimm_failed_map(dimm) > 0;
		r = read_dimm_health(dimm, report, d);
		if (r < 0)
			return r;
	}

	/*
	 * The alignments a new namespace may have: a labelled region without
	 * room for one (16 MiB, the smallest the planner makes) needs none, and
	 * that is every provisioned region at every boot.
	 */
	if (!rs->labelled || rs->available >= SZ_16M)
		read_alignments(region, rs);

	ndctl_namespace_foreach(region, ndns) {
		struct ns_state *grown;

		/* idle seeds have no size: they are not namespaces yet */
		if (ndctl_namespace_get_size(ndns) == 0)
			continue;
		grown = realloc(rs->namespaces, (rs->n_namespaces + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		rs->namespaces = grown;
		memset(&rs->namespaces[rs->n_namespaces], 0, sizeof(*grown));
		r = read_namespace(ndns, mounts, report, rs->resource, &bad, &rs->namespaces[rs->n_namespaces++]);
		if (r < 0)
			return r;
	}
	qsort(rs->namespaces, rs->n_namespaces, sizeof(*rs->namespaces), compare_ns);
	return 0;
}

int inventory_read(struct ndctl_ctx *ctx, bool report, struct inventory *ret)
{
	struct mountinfo mounts = { 0 };
	struct inventory inv = { 0 };
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	bool have_mounts;
	int r = 0;

	/*
	 * Page sizes only shape new layouts: a system whose huge-page size
	 * cannot be read (never seen) is planned for as one without, which is
	 * always valid, and the reason is said
	 */
	r = mm_geometry_read(MM_PMD_SIZE_PATH, &inv.mm);
	if (r < 0 && !inv.mm.page_size)
		return r;
	if (r < 0)
		log_warning_errno(r, "cannot read %s: %m; laying out for no huge pages", MM_PMD_SIZE_PATH);
	/* without the mount table, mounted devices are probed as unmounted ones: the guard sees what is on them */
	have_mounts = mountinfo_read("/proc/self/mountinfo", &mounts) >= 0;

	ndctl_bus_foreach(ctx, bus) {
		ndctl_region_foreach(bus, region) {
			struct region_state *grown;

			if (ndctl_region_get_type(region) != ND_DEVICE_REGION_PMEM)
				continue;
			grown = realloc(inv.regions, (inv.n_regions + 1) * sizeof(*grown));
			if (!grown) {
				r = -ENOMEM;
				goto out;
			}
			inv.regions = grown;
			memset(&inv.regions[inv.n_regions], 0, sizeof(*grown));
			r = read_region(region, have_mounts ? &mounts : NULL, report, &inv.regions[inv.n_regions++]);
			if (r < 0)
				goto out;
		}
	}
out:
	mountinfo_clear(&mounts);
	if (r < 0) {
		inventory_clear(&inv);
		return r;
	}
	*ret = inv;
	return 0;
}
