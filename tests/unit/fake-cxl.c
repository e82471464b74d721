// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fake of the libcxl calls agent/cxl.c makes, linked in place of the real
 * library (as fake-ndctl.c is for libndctl): one bus, one root decoder (a
 * fixed memory window over every device), the devices a test builds in
 * fake_cxl with two endpoint decoders each and label areas in memory. Every
 * call that would change the configuration is appended to fake_cxl.log, and
 * fake_cxl.fail makes one step fail. An enabled region becomes an nvdimm
 * region of fake-ndctl.c's, as the kernel makes one. The VM tests run the
 * real thing (tests/vm/cxl.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake-cxl.h"
#include "fake-ndctl.h"

struct fake_cxl fake_cxl;

static struct cxl_ctx { int refs; } the_ctx;
static struct cxl_bus { int unused; } the_bus;
static struct cxl_target { int unused; } the_target;

static int record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int record(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fake_log_append(fake_cxl.log, sizeof(fake_cxl.log), fmt, ap);
	va_end(ap);
	return 0;
}

/* the step fails when the test says so: -ENXIO, as the kernel's commit under a hypervisor */
static int step(const char *name)
{
	return fake_cxl.fail && strcmp(fake_cxl.fail, name) == 0 ? -ENXIO : 0;
}

static void write_dpa_resource(struct cxl_decoder *d)
{
	char path[256], text[32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fake_cxl.sysfs, d->devname);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/dpa_resource", fake_cxl.sysfs, d->devname);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	snprintf(text, sizeof(text), "%#llx\n", (unsigned long long)d->dpa_resource);
	if (write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

void fake_cxl_reset(size_t n, uint64_t pmem, const char *sysfs)
{
	memset(&fake_cxl, 0, sizeof(fake_cxl));
	fake_reset();
	snprintf(fake_cxl.sysfs, sizeof(fake_cxl.sysfs), "%s", sysfs);
	mkdir(sysfs, 0700);
	fake_cxl.n_memdevs = n;
	strcpy(fake_cxl.root.devname, "decoder0.0");
	fake_cxl.root.pmem_capable = true;
	fake_cxl.root.granularity = 256;
	fake_cxl.root.port = &fake_cxl.root_port;
	fake_cxl.root_port.decoders = &fake_cxl.root;
	fake_cxl.root_port.n_decoders = 1;
	for (size_t i = 0; i < n; i++) {
		struct cxl_memdev *m = &fake_cxl.memdevs[i];

		snprintf(m->devname, sizeof(m->devname), "mem%u", (unsigned)i);
		/* the agent looks for memN there before it opens libcxl */
		{
			char path[192];

			snprintf(path, sizeof(path), "%s/%s", sysfs, m->devname);
			mkdir(path, 0700);
		}
		m->serial = i + 1;
		m->pmem_size = pmem;
		m->lsa_size = 256 << 10;
		m->endpoint.port.decoders = m->decoders;
		m->endpoint.port.n_decoders = FAKE_CXL_EP_DECODERS;
		for (size_t k = 0; k < FAKE_CXL_EP_DECODERS; k++) {
			struct cxl_decoder *d = &m->decoders[k];

			snprintf(d->devname, sizeof(d->devname), "decoder%u.%u", (unsigned)i + 2, (unsigned)k);
			d->port = &m->endpoint.port;
			d->memdev = m;
			d->mode = CXL_DECODER_MODE_NONE;
			d->dpa_resource = UINT64_MAX;
			write_dpa_resource(d);
		}
	}
}

size_t fake_cxl_live_regions(void)
{
	size_t n = 0;

	for (size_t i = 0; i < fake_cxl.n_regions; i++)
		n += !fake_cxl.regions[i].deleted;
	return n;
}

bool fake_cxl_capacity_allocated(void)
{
	for (size_t i = 0; i < fake_cxl.n_memdevs; i++)
		for (size_t k = 0; k < FAKE_CXL_EP_DECODERS; k++)
			if (fake_cxl.memdevs[i].decoders[k].dpa_size)
				return true;
	return false;
}

int cxl_new(struct cxl_ctx **ctx)
{
	the_ctx.refs++;
	*ctx = &the_ctx;
	return 0;
}

void cxl_unref(struct cxl_ctx *ctx)
{
	ctx->refs--;
}

struct cxl_bus *cxl_bus_get_first(struct cxl_ctx *ctx)
{
	return &the_bus;
}

struct cxl_bus *cxl_bus_get_next(struct cxl_bus *bus)
{
	return NULL;
}

struct cxl_port *cxl_bus_get_port(struct cxl_bus *bus)
{
	return &fake_cxl.root_port;
}

/* memdevs */

struct cxl_memdev *cxl_memdev_get_first(struct cxl_ctx *ctx)
{
	return fake_cxl.n_memdevs ? &fake_cxl.memdevs[0] : NULL;
}

struct cxl_memdev *cxl_memdev_get_next(struct cxl_memdev *memdev)
{
	size_t i = (size_t)(memdev - fake_cxl.memdevs) + 1;

	return i < fake_cxl.n_memdevs ? &fake_cxl.memdevs[i] : NULL;
}

const char *cxl_memdev_get_devname(struct cxl_memdev *memdev)
{
	return memdev->devname;
}

const char *cxl_memdev_get_host(struct cxl_memdev *memdev)
{
	return "0000:0d:00.0";
}

unsigned long long cxl_memdev_get_serial(struct cxl_memdev *memdev)
{
	return memdev->serial;
}

unsigned long long cxl_memdev_get_pmem_size(struct cxl_memdev *memdev)
{
	return memdev->pmem_size;
}

unsigned long long cxl_memdev_get_ram_size(struct cxl_memdev *memdev)
{
	return memdev->ram_size;
}

size_t cxl_memdev_get_label_size(struct cxl_memdev *memdev)
{
	return memdev->lsa_size;
}

int cxl_memdev_read_label(struct cxl_memdev *memdev, void *buf, size_t length, size_t offset)
{
	if (memdev->read_error)
		return memdev->read_error;
	if (offset + length > memdev->lsa_size)
		return -EINVAL;
	if (memdev->lsa)
		memcpy(buf, memdev->lsa + offset, length);
	else
		memset(buf, 0, length);
	return 0;
}

struct cxl_endpoint *cxl_memdev_get_endpoint(struct cxl_memdev *memdev)
{
	return &memdev->endpoint;
}

struct cxl_port *cxl_endpoint_get_port(struct cxl_endpoint *endpoint)
{
	return &endpoint->port;
}

/* decoders */

struct cxl_decoder *cxl_decoder_get_first(struct cxl_port *port)
{
	return port->n_decoders ? &port->decoders[0] : NULL;
}

struct cxl_decoder *cxl_decoder_get_next(struct cxl_decoder *decoder)
{
	size_t i = (size_t)(decoder - decoder->port->decoders) + 1;

	return i < decoder->port->n_decoders ? &decoder->port->decoders[i] : NULL;
}

const char *cxl_decoder_get_devname(struct cxl_decoder *decoder)
{
	return decoder->devname;
}

struct cxl_memdev *cxl_decoder_get_memdev(struct cxl_decoder *decoder)
{
	return decoder->memdev;
}

bool cxl_decoder_is_pmem_capable(struct cxl_decoder *decoder)
{
	return decoder->pmem_capable;
}

unsigned int cxl_decoder_get_interleave_granularity(struct cxl_decoder *decoder)
{
	return decoder->granularity;
}

unsigned long long cxl_decoder_get_max_available_extent(struct cxl_decoder *decoder)
{
	return 64ULL << 30;
}

struct cxl_target *cxl_decoder_get_target_by_memdev(struct cxl_decoder *decoder, struct cxl_memdev *memdev)
{
	return decoder == &fake_cxl.root ? &the_target : NULL;
}

unsigned long long cxl_decoder_get_size(struct cxl_decoder *decoder)
{
	return decoder->region ? decoder->dpa_size : 0;
}

unsigned long long cxl_decoder_get_dpa_size(struct cxl_decoder *decoder)
{
	return decoder->dpa_size;
}

enum cxl_decoder_mode cxl_decoder_get_mode(struct cxl_decoder *decoder)
{
	return decoder->mode;
}

struct cxl_region *cxl_decoder_get_region(struct cxl_decoder *decoder)
{
	return decoder->region;
}

int cxl_decoder_set_mode(struct cxl_decoder *decoder, enum cxl_decoder_mode mode)
{
	if (step("mode"))
		return step("mode");
	decoder->mode = mode;
	return record("%s:mode=%s", decoder->devname, cxl_decoder_mode_name(mode));
}

/* capacity is allocated from the start of the device's persistent partition, after what is taken */
int cxl_decoder_set_dpa_size(struct cxl_decoder *decoder, unsigned long long size)
{
	struct cxl_memdev *m = decoder->memdev;

	if (size && step("dpa"))
		return step("dpa");
	if (size) {
		decoder->dpa_resource = m->ram_size + m->dpa_used;
		m->dpa_used += size;
	} else if (decoder->dpa_size) {
		m->dpa_used -= decoder->dpa_size;
		decoder->dpa_resource = UINT64_MAX;
	}
	decoder->dpa_size = size;
	write_dpa_resource(decoder);
	return record("%s:dpa_size=%llu", decoder->devname, size);
}

/* regions */

struct cxl_region *cxl_decoder_create_pmem_region(struct cxl_decoder *decoder)
{
	struct cxl_region *r;

	if (fake_cxl.n_regions == 4 || step("create"))
		return NULL;
	r = &fake_cxl.regions[fake_cxl.n_regions];
	memset(r, 0, sizeof(*r));
	snprintf(r->devname, sizeof(r->devname), "region%u", (unsigned)fake_cxl.n_regions);
	fake_cxl.n_regions++;
	record("%s:create", r->devname);
	return r;
}

struct cxl_region *cxl_region_get_first(struct cxl_decoder *decoder)
{
	for (size_t i = 0; i < fake_cxl.n_regions; i++)
		if (!fake_cxl.regions[i].deleted)
			return &fake_cxl.regions[i];
	return NULL;
}

struct cxl_region *cxl_region_get_next(struct cxl_region *region)
{
	for (size_t i = (size_t)(region - fake_cxl.regions) + 1; i < fake_cxl.n_regions; i++)
		if (!fake_cxl.regions[i].deleted)
			return &fake_cxl.regions[i];
	return NULL;
}

const char *cxl_region_get_devname(struct cxl_region *region)
{
	return region->devname;
}

struct cxl_decoder *cxl_region_get_decoder(struct cxl_region *region)
{
	return &fake_cxl.root;
}

unsigned long long cxl_region_get_resource(struct cxl_region *region)
{
	return region->resource;
}

unsigned int cxl_region_get_interleave_ways(struct cxl_region *region)
{
	return region->ways;
}

unsigned int cxl_region_get_interleave_granularity(struct cxl_region *region)
{
	return region->granularity;
}

struct cxl_decoder *cxl_region_get_target_decoder(struct cxl_region *region, int position)
{
	return position >= 0 && position < 16 ? region->targets[position] : NULL;
}

int cxl_region_is_enabled(struct cxl_region *region)
{
	return region->enabled;
}

int cxl_region_set_interleave_granularity(struct cxl_region *region, unsigned int granularity)
{
	region->granularity = granularity;
	return record("%s:granularity=%u", region->devname, granularity);
}

int cxl_region_set_interleave_ways(struct cxl_region *region, unsigned int ways)
{
	region->ways = ways;
	return record("%s:ways=%u", region->devname, ways);
}

int cxl_region_set_uuid(struct cxl_region *region, uuid_t uu)
{
	return record("%s:uuid", region->devname);
}

int cxl_region_set_size(struct cxl_region *region, unsigned long long size)
{
	region->size = size;
	return record("%s:size=%llu", region->devname, size);
}

int cxl_region_set_target(struct cxl_region *region, int position, struct cxl_decoder *decoder)
{
	if (position < 0 || position >= 16)
		return -EINVAL;
	if (step("target"))
		return step("target");
	region->targets[position] = decoder;
	decoder->region = region;
	return record("%s:target%d=%s", region->devname, position, decoder->memdev->devname);
}

int cxl_region_clear_target(struct cxl_region *region, int position)
{
	if (position < 0 || position >= 16)
		return -EINVAL;
	if (region->targets[position])
		region->targets[position]->region = NULL;
	region->targets[position] = NULL;
	return record("%s:clear%d", region->devname, position);
}

int cxl_region_decode_commit(struct cxl_region *region)
{
	if (step("commit"))
		return step("commit");
	region->committed = true;
	return record("%s:commit", region->devname);
}

int cxl_region_decode_reset(struct cxl_region *region)
{
	region->committed = false;
	return record("%s:reset", region->devname);
}

/* the kernel's nvdimm region of it: a fake-ndctl region at the address fake-ndctl gives its number */
int cxl_region_enable(struct cxl_region *region)
{
	struct ndctl_region *nd;

	if (step("enable"))
		return step("enable");
	if (fake_system.n_regions == 4)
		return -ENOSPC;
	nd = &fake_system.regions[fake_system.n_regions];
	memset(nd, 0, sizeof(*nd));
	nd->id = (unsigned)fake_system.n_regions;
	nd->enabled = true;
	nd->labelled = true;
	snprintf(nd->seed_device, sizeof(nd->seed_device), "%s", fake_cxl.seed_device);
	fake_system.n_regions++;
	region->resource = ndctl_region_get_resource(nd);
	region->enabled = true;
	return record("%s:enable", region->devname);
}

int cxl_region_disable(struct cxl_region *region)
{
	region->enabled = false;
	return record("%s:disable", region->devname);
}

int cxl_region_delete(struct cxl_region *region)
{
	region->deleted = true;
	return record("%s:delete", region->devname);
}
