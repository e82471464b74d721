// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CXL pmem regions, assembled through libcxl at every boot (cxl.h): the
 * facts for cxl-plan.c read from the devices, then its plan carried out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cxl.h"
#include "fileio.h"
#include "log.h"
#include "size.h"

#ifndef HAVE_LIBCXL

void cxl_inventory_annotate(struct inventory *inv)
{
	(void)inv;
}

void cxl_set_sysfs_dir(const char *dir)
{
	(void)dir;
}

int cxl_assemble(const struct cxl_policy *policy, bool dry_run, struct apply_log *log)
{
	(void)dry_run;
	(void)log;
	if (policy->given)
		log_warning("the policy has \"cxl\" entries, but this vpmem-agent was built without libcxl: "
			    "CXL regions are left as they are");
	return 0;
}

#else

#include <cxl/libcxl.h>
#include <ndctl/libndctl.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "guard.h"

/* The name of the raw namespace that holds a blank region's capacity while it is read. */
#define PROOF_NAME "vpmem-proof"
/* How long the kernel may take to show a committed region as an nvdimm region (TCG included). */
#define ND_REGION_WAIT_MS 20000
#define COMMIT_STEP "commit the decoders"
#define TARGET_STEP "set a target"

/* The kernel's CXL devices (tests point it elsewhere: cxl_set_sysfs_dir) */
static const char *sysfs_dir = "/sys/bus/cxl/devices";

void cxl_set_sysfs_dir(const char *dir)
{
	sysfs_dir = dir;
}

/*
 * Is there a CXL memory device ("memN")? The kernels vpmem runs on have the
 * CXL bus built in, so the bus is there also where no device is: a
 * directory read, where opening libcxl (and with it libkmod's configuration)
 * cost every no-op apply 5 % (./dev.sh bench, 2026-12-06).
 */
static bool any_memdev(void)
{
	_cleanup_(closedirp) DIR *d = opendir(sysfs_dir);
	struct dirent *de;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "mem", 3) == 0 && de->d_name[3] >= '0' && de->d_name[3] <= '9')
			return true;
	return false;
}

static void cxl_unrefp(struct cxl_ctx **ctx)
{
	if (*ctx)
		cxl_unref(*ctx);
}

/* What holds a device already: an endpoint decoder with capacity, and its region. */
static void read_busy(struct cxl_memdev *memdev, char *buf, size_t len)
{
	struct cxl_endpoint *ep = cxl_memdev_get_endpoint(memdev);
	struct cxl_decoder *decoder;

	buf[0] = '\0';
	if (!ep) {
		snprintf(buf, len, "no CXL endpoint (its port is not enabled)");
		return;
	}
	cxl_decoder_foreach(cxl_endpoint_get_port(ep), decoder) {
		unsigned long long size = cxl_decoder_get_dpa_size(decoder);
		struct cxl_region *region;

		if (size == 0 || size == ULLONG_MAX)
			continue;
		region = cxl_decoder_get_region(decoder);
		snprintf(buf, len, "%s", region ? cxl_region_get_devname(region) : cxl_decoder_get_devname(decoder));
		return;
	}
}

static void read_lsa(struct cxl_memdev *memdev, struct cxl_memdev_facts *f)
{
	size_t size = cxl_memdev_get_label_size(memdev);
	_cleanup_free_ void *buf = NULL;
	int r;

	if (size == 0) {
		/* no label area: nothing to account for, and none for the kernel's labels either */
		snprintf(f->lsa_error, sizeof(f->lsa_error), "the device has none");
		return;
	}
	buf = malloc(size);
	if (!buf) {
		snprintf(f->lsa_error, sizeof(f->lsa_error), "out of memory");
		return;
	}
	r = cxl_memdev_read_label(memdev, buf, size, 0);
	if (r < 0) {
		snprintf(f->lsa_error, sizeof(f->lsa_error), "%s", strerror(-r));
		return;
	}
	if (cxl_lsa_parse(buf, size, &f->lsa) < 0) {
		snprintf(f->lsa_error, sizeof(f->lsa_error), "out of memory");
		return;
	}
	f->lsa_read = true;
}

static int read_facts(struct cxl_ctx *ctx, struct cxl_memdev_facts **ret, struct cxl_memdev ***ret_devs, size_t *ret_n)
{
	struct cxl_memdev_facts *facts = NULL;
	struct cxl_memdev **devs = NULL, *memdev;
	size_t n = 0;

	cxl_memdev_foreach(ctx, memdev) {
		struct cxl_memdev_facts *nf = realloc(facts, (n + 1) * sizeof(*nf));
		struct cxl_memdev **nd = realloc(devs, (n + 1) * sizeof(*nd));
		struct cxl_memdev_facts *f;

		if (nf)
			facts = nf;
		if (nd)
			devs = nd;
		if (!nf || !nd) {
			for (size_t i = 0; i < n; i++)
				cxl_lsa_clear(&facts[i].lsa);
			free(facts);
			free(devs);
			return -ENOMEM;
		}
		f = &facts[n];
		memset(f, 0, sizeof(*f));
		devs[n++] = memdev;
		snprintf(f->devname, sizeof(f->devname), "%s", cxl_memdev_get_devname(memdev));
		f->serial = cxl_memdev_get_serial(memdev);
		f->pmem_size = cxl_memdev_get_pmem_size(memdev);
		if (f->pmem_size == ULLONG_MAX)
			f->pmem_size = 0;
		/* static partitions: volatile capacity first, then persistent */
		f->pmem_base = cxl_memdev_get_ram_size(memdev);
		if (f->pmem_base == ULLONG_MAX)
			f->pmem_base = 0;
		if (f->pmem_size == 0)
			continue;
		read_busy(memdev, f->busy, sizeof(f->busy));
		if (!f->busy[0])
			read_lsa(memdev, f);
	}
	*ret = facts;
	*ret_devs = devs;
	*ret_n = n;
	return 0;
}

/* A pmem-capable root decoder that reaches every member and has room for size. */
static struct cxl_decoder *find_root_decoder(struct cxl_ctx *ctx, struct cxl_memdev **members, size_t ways,
					     uint64_t size)
{
	struct cxl_bus *bus;

	cxl_bus_foreach(ctx, bus) {
		struct cxl_port *port = cxl_bus_get_port(bus);
		struct cxl_decoder *decoder;

		cxl_decoder_foreach(port, decoder) {
			bool all = true;

			if (!cxl_decoder_is_pmem_capable(decoder) || cxl_decoder_get_max_available_extent(decoder) < size)
				continue;
			for (size_t i = 0; i < ways && all; i++)
				all = cxl_decoder_get_target_by_memdev(decoder, members[i]) != NULL;
			if (all)
				return decoder;
		}
	}
	return NULL;
}

/* An endpoint decoder's first device address, as the kernel has it now (libcxl keeps the value it first read). */
static uint64_t dpa_resource_now(struct cxl_decoder *decoder)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	size_t len;

	if (asprintf(&path, "%s/%s/dpa_resource", sysfs_dir, cxl_decoder_get_devname(decoder)) < 0 ||
	    read_file(path, &text, &len) < 0)
		return UINT64_MAX;
	return strtoull(text, NULL, 0);
}

static struct cxl_decoder *free_endpoint_decoder(struct cxl_memdev *memdev)
{
	struct cxl_endpoint *ep = cxl_memdev_get_endpoint(memdev);
	struct cxl_decoder *decoder;

	if (!ep)
		return NULL;
	cxl_decoder_foreach(cxl_endpoint_get_port(ep), decoder)
		if (cxl_decoder_get_size(decoder) == 0 && cxl_decoder_get_dpa_size(decoder) == 0)
			return decoder;
	return NULL;
}

/* Take a region apart again: its decoders reset, its capacity given back, the region deleted. */
static void teardown(struct cxl_region *region, size_t ways)
{
	if (cxl_region_is_enabled(region))
		cxl_region_disable(region);
	cxl_region_decode_reset(region);
	for (size_t i = 0; i < ways; i++) {
		struct cxl_decoder *ep = cxl_region_get_target_decoder(region, (int)i);

		cxl_region_clear_target(region, (int)i);
		if (ep)
			cxl_decoder_set_dpa_size(ep, 0);
	}
	cxl_region_delete(region);
}

static int create_region(struct cxl_decoder *root, struct cxl_memdev **members, const struct cxl_assembly *a,
			 struct cxl_region **ret, const char **ret_step)
{
	struct cxl_decoder *eps[CXL_MAX_WAYS] = { NULL };
	struct cxl_region *region;
	unsigned granularity = a->granularity ? a->granularity : cxl_decoder_get_interleave_granularity(root);
	uuid_t uuid;
	int r;

	*ret_step = "create a pmem region";
	region = cxl_decoder_create_pmem_region(root);
	if (!region)
		return -ENXIO;
	uuid_generate(uuid);
	*ret_step = "set the interleave granularity";
	r = cxl_region_set_interleave_granularity(region, granularity);
	if (r >= 0) {
		*ret_step = "set the interleave ways";
		r = cxl_region_set_interleave_ways(region, (unsigned)a->ways);
	}
	if (r >= 0) {
		*ret_step = "set the region's uuid";
		r = cxl_region_set_uuid(region, uuid);
	}
	if (r >= 0) {
		*ret_step = "set the region's size";
		r = cxl_region_set_size(region, a->member_size * a->ways);
	}
	for (size_t i = 0; i < a->ways && r >= 0; i++) {
		struct cxl_decoder *ep = free_endpoint_decoder(members[i]);

		*ret_step = "find a free endpoint decoder";
		if (!ep) {
			r = -EBUSY;
			break;
		}
		if (cxl_decoder_get_mode(ep) != CXL_DECODER_MODE_PMEM) {
			*ret_step = "set an endpoint decoder to pmem";
			r = cxl_decoder_set_dpa_size(ep, 0);
			if (r >= 0)
				r = cxl_decoder_set_mode(ep, CXL_DECODER_MODE_PMEM);
		}
		if (r >= 0) {
			*ret_step = "allocate device capacity";
			r = cxl_decoder_set_dpa_size(ep, a->member_size);
			if (r >= 0)
				eps[i] = ep;
		}
		/* the labels' cookie holds each member's first device address: the persistent partition's start */
		if (r >= 0 && dpa_resource_now(ep) != cxl_memdev_get_ram_size(members[i])) {
			*ret_step = "allocate device capacity at the start of the persistent partition";
			r = -EADDRNOTAVAIL;
		}
		if (r >= 0) {
			*ret_step = TARGET_STEP;
			r = cxl_region_set_target(region, (int)i, ep);
		}
	}
	if (r >= 0) {
		*ret_step = COMMIT_STEP;
		r = cxl_region_decode_commit(region);
	}
	if (r >= 0) {
		*ret_step = "enable the region";
		r = cxl_region_enable(region);
	}
	if (r < 0) {
		teardown(region, a->ways);
		/* capacity allocated for a member that never became a target */
		for (size_t i = 0; i < a->ways; i++)
			if (eps[i] && cxl_decoder_get_dpa_size(eps[i]) > 0)
				cxl_decoder_set_dpa_size(eps[i], 0);
		return r;
	}
	*ret = region;
	return 0;
}

/* Does the CPU say it runs under a hypervisor (the "hypervisor" flag of /proc/cpuinfo)? */
static bool cpu_says_hypervisor(void)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (read_file("/proc/cpuinfo", &text, &len) < 0)
		return false;
	return strstr(text, " hypervisor") != NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The nvdimm region the kernel made of the CXL region at resource, waited for; NULL after the wait. */
static struct ndctl_region *wait_nd_region(struct ndctl_ctx **ctx, uint64_t resource)
{
	for (long waited = 0; waited <= ND_REGION_WAIT_MS; waited += 50) {
		struct ndctl_bus *bus;
		struct ndctl_region *region;

		if (*ctx)
			ndctl_unref(*ctx);
		*ctx = NULL;
		if (ndctl_new(ctx) < 0)
			return NULL;
		ndctl_bus_foreach(*ctx, bus) {
			ndctl_region_foreach(bus, region) {
				if (ndctl_region_get_resource(region) != resource)
					continue;
				ndctl_bus_wait_probe(bus);
				return region;
			}
		}
		sleep_ms(50);
	}
	return NULL;
}

/*
 * A region whose members' label areas were blank: its capacity was never
 * accounted for by a label. Read it through a raw namespace over all of it
 * (labels only; raw writes nothing to the capacity), then delete that
 * namespace. Returns 0 when provably empty, -EEXIST with *ret_what when it
 * holds data, or another negative errno.
 */
static int prove_empty(struct ndctl_region *region, char **ret_what)
{
	struct ndctl_namespace *ndns = ndctl_region_get_namespace_seed(region);
	_cleanup_free_ char *path = NULL;
	uuid_t uuid;
	int r, q;

	if (!ndns)
		return -ENXIO;
	uuid_generate(uuid);
	r = ndctl_namespace_set_uuid(ndns, uuid);
	if (r >= 0)
		r = ndctl_namespace_set_alt_name(ndns, PROOF_NAME);
	if (r >= 0)
		r = ndctl_namespace_set_size(ndns, ndctl_region_get_max_available_extent(region));
	if (r >= 0)
		r = ndctl_namespace_enable(ndns);
	if (r >= 0 && !ndctl_namespace_get_block_device(ndns))
		r = -ENODEV;
	if (r >= 0 && asprintf(&path, "/dev/%s", ndctl_namespace_get_block_device(ndns)) < 0)
		r = -ENOMEM;
	if (r >= 0) {
		r = guard_may_destroy_blockdev(path, false, ret_what);
		if (r < 0 && r != -ENOMEM && *ret_what)
			r = -EEXIST;
	}
	q = ndctl_namespace_disable_invalidate(ndns);
	if (q >= 0)
		q = ndctl_namespace_delete(ndns);
	if (q < 0 && r >= 0)
		r = q;
	return r;
}

/* Give the members' label areas back as they were (blank), the nvdimm region disabled first. */
static int zero_labels(struct ndctl_region *region)
{
	struct ndctl_dimm *dimm;
	int r = ndctl_region_disable_invalidate(region);

	if (r < 0)
		return r;
	ndctl_dimm_foreach_in_region(region, dimm) {
		int q = ndctl_dimm_zero_labels(dimm);

		if (q < 0 && r >= 0)
			r = q;
	}
	return r;
}

static void assemble_one(struct cxl_ctx *ctx, const struct cxl_memdev_facts *m, struct cxl_memdev **devs,
			 const struct cxl_assembly *a, struct apply_log *log)
{
	_cleanup_(ndctl_unrefp) struct ndctl_ctx *nd = NULL;
	struct cxl_memdev *members[CXL_MAX_WAYS];
	struct ndctl_region *ndr;
	struct cxl_decoder *root;
	struct cxl_region *region = NULL;
	_cleanup_free_ char *what = NULL;
	const char *step = "";
	char names[256], size[SIZE_BUF];
	int r;

	cxl_assembly_describe(m, a, names, sizeof(names));
	size_format_human(a->member_size * a->ways, size, sizeof(size));
	for (size_t i = 0; i < a->ways; i++)
		members[i] = devs[a->members[i]];
	/* the journal's VPMEM_DEVICE: the memdevs, in position order */
	{
		char devices[128] = "";

		for (size_t i = 0; i < a->ways; i++)
			snprintf(devices + strlen(devices), sizeof(devices) - strlen(devices), "%s%s", i ? "," : "",
				 cxl_memdev_get_devname(members[i]));
		apply_log_subject(log, NULL, devices);
	}
	root = find_root_decoder(ctx, members, a->ways, a->member_size * a->ways);
	if (!root) {
		apply_log_failed(log, APPLY_FAILED, "CXL %s: no root decoder (CXL fixed memory window) with pmem capability and %s "
			"free reaches %s: left as it is", names, size, a->ways > 1 ? "all of them" : "it");
		return;
	}
	r = create_region(root, members, a, &region, &step);
	if (r == -ENXIO && strcmp(step, COMMIT_STEP) == 0 && cpu_says_hypervisor()) {
		apply_log_failed_errno(log, r, "CXL %s: a %zu-way pmem region under %s: cannot %s: %m; taken apart "
				       "again. Linux 6.2 and later commit CXL regions only where the CPU does not say it "
				       "runs under a hypervisor (it cannot know that its caches can be flushed): start the "
				       "VM with the CPU's hypervisor flag off (QEMU: -cpu MODEL,-hypervisor)",
				       names, a->ways, cxl_decoder_get_devname(root), step);
		return;
	}
	if (r == -EBUSY && strcmp(step, TARGET_STEP) == 0) {
		apply_log_failed_errno(log, r, "CXL %s: a %zu-way pmem region under %s: cannot %s: %m; taken apart "
				       "again. Every region takes a decoder of each port on the way, and a host bridge "
				       "has a few (QEMU's pxb-cxl: 4): with all in use, another region needs another "
				       "host bridge", names, a->ways, cxl_decoder_get_devname(root), step);
		return;
	}
	if (r < 0) {
		apply_log_failed_errno(log, r, "CXL %s: a %zu-way pmem region under %s: cannot %s: %m; taken apart "
				       "again", names, a->ways, cxl_decoder_get_devname(root), step);
		return;
	}
	ndr = wait_nd_region(&nd, cxl_region_get_resource(region));
	if (!ndr) {
		apply_log_failed(log, APPLY_FAILED, "CXL %s: %s was committed, but the kernel made no nvdimm region of it within %d s "
				 "(is cxl_pmem loaded?); taken apart again", names, cxl_region_get_devname(region),
				 ND_REGION_WAIT_MS / 1000);
		teardown(region, a->ways);
		return;
	}
	if (a->prove_empty) {
		r = prove_empty(ndr, &what);
		if (r < 0) {
			int q = zero_labels(ndr);

			if (r == -EEXIST)
				apply_log_failed(log, APPLY_REFUSED_DATA, "CXL %s: its label area was blank, but its capacity is not: read "
						 "through %s, %s: data; left as it was (region taken apart again%s)", names,
						 cxl_region_get_devname(region), what,
						 q < 0 ? ", but its label area keeps an empty label index" : "");
			else
				apply_log_failed_errno(log, r, "CXL %s: cannot read what %s holds: %m; left as it "
						       "was (region taken apart again)", names,
						       cxl_region_get_devname(region));
			teardown(region, a->ways);
			return;
		}
	}
	apply_log_done(log, "CXL %s: assembled %s (%zu-way, %s, from the %s) as %s", names,
		       cxl_region_get_devname(region), a->ways, size, cxl_assembly_source_name(a->source),
		       ndctl_region_get_devname(ndr));
}

int cxl_assemble(const struct cxl_policy *policy, bool dry_run, struct apply_log *log)
{
	_cleanup_(cxl_unrefp) struct cxl_ctx *ctx = NULL;
	_cleanup_free_ struct cxl_memdev **devs = NULL;
	struct cxl_memdev_facts *facts = NULL;
	struct cxl_plan plan = { 0 };
	size_t n = 0;
	int r;

	/* no CXL memory device: libcxl not even opened (every boot of a guest without CXL) */
	if (!any_memdev())
		return 0;
	r = cxl_new(&ctx);
	if (r < 0)
		return log_error_errno(r, "cannot open libcxl: %m");
	r = read_facts(ctx, &facts, &devs, &n);
	if (r < 0)
		return log_error_errno(r, "cannot read the CXL memory devices: %m");
	if (n == 0)
		goto out;
	r = cxl_plan_build(facts, n, policy, &plan);
	if (r < 0) {
		log_error_errno(r, "cannot plan the CXL regions: %m");
		goto out;
	}
	apply_log_subject(log, NULL, NULL);
	for (size_t i = 0; i < plan.n_refusals; i++) {
		if (dry_run)
			printf("CXL: %s\n", plan.refusals[i]);
		else
			apply_log_failed(log, plan.refusal_reasons[i], "CXL %s", plan.refusals[i]);
	}
	for (size_t i = 0; i < plan.n_assemblies; i++) {
		const struct cxl_assembly *a = &plan.assemblies[i];

		if (dry_run) {
			char names[256], size[SIZE_BUF];

			cxl_assembly_describe(facts, a, names, sizeof(names));
			printf("CXL: assemble a %zu-way pmem region of %s (%s, from the %s)%s\n", a->ways, names,
			       size_format_human(a->member_size * a->ways, size, sizeof(size)),
			       cxl_assembly_source_name(a->source), a->prove_empty ? ", its capacity read first" : "");
			continue;
		}
		assemble_one(ctx, facts, devs, a, log);
	}
	apply_log_subject(log, NULL, NULL);
out:
	cxl_plan_clear(&plan);
	for (size_t i = 0; i < n; i++)
		cxl_lsa_clear(&facts[i].lsa);
	free(facts);
	return r < 0 ? r : 0;
}

static struct cxl_region_state *region_state_of(struct cxl_region *region)
{
	struct cxl_region_state *c = calloc(1, sizeof(*c));
	unsigned ways = cxl_region_get_interleave_ways(region);

	if (!c)
		return NULL;
	c->region = strdup(cxl_region_get_devname(region));
	c->root_decoder = strdup(cxl_decoder_get_devname(cxl_region_get_decoder(region)));
	c->ways = ways;
	c->granularity = cxl_region_get_interleave_granularity(region);
	c->members = calloc(ways && ways <= CXL_MAX_WAYS ? ways : 1, sizeof(*c->members));
	if (!c->region || !c->root_decoder || !c->members) {
		cxl_region_state_free(c);
		return NULL;
	}
	for (unsigned i = 0; i < ways && i <= CXL_MAX_WAYS; i++) {
		struct cxl_decoder *ep = cxl_region_get_target_decoder(region, (int)i);
		struct cxl_memdev *memdev = ep ? cxl_decoder_get_memdev(ep) : NULL;
		struct cxl_member_state *m = &c->members[c->n_members];

		if (!memdev)
			continue;
		m->memdev = strdup(cxl_memdev_get_devname(memdev));
		m->serial = cxl_memdev_get_serial(memdev);
		m->decoder = strdup(cxl_decoder_get_devname(ep));
		m->host = strdup(cxl_memdev_get_host(memdev) ? cxl_memdev_get_host(memdev) : "");
		c->n_members++;
		if (!m->memdev || !m->decoder || !m->host) {
			cxl_region_state_free(c);
			return NULL;
		}
	}
	return c;
}

void cxl_inventory_annotate(struct inventory *inv)
{
	_cleanup_(cxl_unrefp) struct cxl_ctx *ctx = NULL;
	struct cxl_bus *bus;
	bool any = false;

	for (size_t i = 0; i < inv->n_regions; i++)
		any |= inv->regions[i].kind == REGION_CXL;
	if (!any || cxl_new(&ctx) < 0)
		return;
	cxl_bus_foreach(ctx, bus) {
		struct cxl_decoder *root;

		cxl_decoder_foreach(cxl_bus_get_port(bus), root) {
			struct cxl_region *region;

			cxl_region_foreach(root, region) {
				unsigned long long res = cxl_region_get_resource(region);

				for (size_t i = 0; i < inv->n_regions; i++) {
					struct region_state *r = &inv->regions[i];

					if (r->kind != REGION_CXL || r->cxl || r->resource != res)
						continue;
					r->cxl = region_state_of(region);
				}
			}
		}
	}
}

#endif
