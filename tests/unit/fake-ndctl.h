/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fake libndctl of tests/unit/fake-ndctl.c: the state a test builds. */
#ifndef VPMEM_FAKE_NDCTL_H
#define VPMEM_FAKE_NDCTL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ndctl/libndctl.h>
#include <linux/ndctl.h>
#include <daxctl/libdaxctl.h>

enum fake_claim {
	FAKE_CLAIM_NONE,
	FAKE_CLAIM_PFN,
	FAKE_CLAIM_DAX,
	FAKE_CLAIM_BTT,
};

struct ndctl_namespace {
	char devname[32];      /* "namespace0.0" */
	uint64_t size;
	bool enabled;
	enum fake_claim claim;
	char device[160];      /* the block device, relative to /dev: "../var/tmp/.../pmem0" */
	char alt_name[64];
	unsigned char uuid[16];
};

struct ndctl_dimm {
	bool labels_valid;
};

struct ndctl_pfn {
	struct ndctl_namespace *ns;
	bool fail;             /* enable fails */
};

struct ndctl_dax {
	struct ndctl_namespace *ns;
};

struct ndctl_btt {
	struct ndctl_namespace *ns;
};

struct ndctl_region {
	unsigned id;
	bool labelled;
	bool enabled;
	struct ndctl_dimm dimm;
	struct ndctl_pfn pfn;
	struct ndctl_dax dax;
	struct ndctl_btt btt;
	struct ndctl_namespace namespaces[4];
	size_t n_namespaces;
	char seed_device[160]; /* set: the namespace seed is a new namespace on this file (as ns->device) */
};

struct ndctl_cmd {
	int unused;
};

struct fake_system {
	struct ndctl_region regions[4];
	size_t n_regions;
	char log[4096];        /* every configuration change, in order, space separated */
};

extern struct fake_system fake_system;

void fake_reset(void);

/* Append the formatted change and a space to a fake's log of size bytes (fake-cxl.c's too). */
void fake_log_append(char *log, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

#endif
