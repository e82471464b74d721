/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fake libcxl of tests/unit/fake-cxl.c: the CXL topology a test builds. */
#ifndef VPMEM_FAKE_CXL_H
#define VPMEM_FAKE_CXL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cxl/libcxl.h>

#define FAKE_CXL_MEMDEVS 4
#define FAKE_CXL_EP_DECODERS 2

struct cxl_port {
	struct cxl_decoder *decoders;
	size_t n_decoders;
};

struct cxl_decoder {
	char devname[32];
	struct cxl_port *port;
	struct cxl_memdev *memdev;   /* an endpoint decoder's */
	bool pmem_capable;           /* a root decoder's */
	unsigned granularity;
	uint64_t dpa_size;
	uint64_t dpa_resource;       /* UINT64_MAX: none */
	enum cxl_decoder_mode mode;
	struct cxl_region *region;
};

struct cxl_endpoint {
	struct cxl_port port;
};

struct cxl_memdev {
	char devname[24];
	uint64_t serial;
	uint64_t pmem_size, ram_size;
	uint8_t *lsa;                /* the label area a test set (lsa_size bytes) */
	size_t lsa_size;
	int read_error;              /* cxl_memdev_read_label fails with it */
	struct cxl_endpoint endpoint;
	struct cxl_decoder decoders[FAKE_CXL_EP_DECODERS];
	uint64_t dpa_used;           /* capacity allocated so far */
};

struct cxl_region {
	char devname[24];
	unsigned ways, granularity;
	uint64_t size, resource;
	struct cxl_decoder *targets[16];
	bool committed, enabled, deleted;
};

struct fake_cxl {
	struct cxl_memdev memdevs[FAKE_CXL_MEMDEVS];
	size_t n_memdevs;
	struct cxl_decoder root;
	struct cxl_port root_port;
	struct cxl_region regions[4];
	size_t n_regions;
	const char *fail;            /* the configuration step that fails ("commit", "enable", ...), or NULL */
	char sysfs[128];             /* where dpa_resource files are written (cxl_set_sysfs_dir) */
	char seed_device[160];       /* the file a region's nvdimm region reads its capacity from (fake-ndctl) */
	char log[4096];              /* every configuration change, in order, space separated */
};

extern struct fake_cxl fake_cxl;

/* An empty topology of n memory devices (mem0.., serial numbers 1..), pmem bytes each, label areas blank. */
void fake_cxl_reset(size_t n, uint64_t pmem, const char *sysfs);

/* The regions not deleted */
size_t fake_cxl_live_regions(void);

/* Capacity still allocated on any device */
bool fake_cxl_capacity_allocated(void);

#endif
