/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_CXL_PLAN_H
#define VPMEM_AGENT_CXL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apply-log.h"
#include "cxl-label.h"

/*
 * Which CXL pmem regions to assemble, from what the memory devices are and
 * what their label storage areas hold, and the policy's "cxl" entries.
 * Regions vanish at every reboot (the HDM decoders are reset) and come back
 * only when made again with the same members in the same order at the same
 * device addresses: the kernel then finds their namespace labels valid (the
 * interleave-set cookie of cxl-label.h). The labels on the devices say what
 * that set was; where they say nothing, the policy decides, or one region
 * per device by default. A device whose labels cannot be accounted for is
 * refused with the reason, and nothing is made on it. Pure logic: agent/cxl.c
 * reads the facts through libcxl and does what the plan says.
 */

/* CXL decoders map in multiples of 256 MiB per device. */
#define CXL_REGION_ALIGN (256ULL << 20)
#define CXL_MAX_WAYS 16

struct cxl_memdev_facts {
	char devname[32];        /* "mem0" */
	uint64_t serial;
	uint64_t pmem_size;      /* persistent capacity */
	uint64_t pmem_base;      /* its first device address (after any volatile capacity) */
	char busy[48];           /* "" or what holds it already ("region0", "decoder2.0") */
	bool lsa_read;           /* false: the label area could not be read (lsa_error says why) */
	char lsa_error[96];
	struct cxl_lsa lsa;
};

/* One "cxl" entry of the policy: members by name ("mem0") or serial number ("0x1a"), in interleave order. */
struct cxl_policy_entry {
	char **memdevs;
	size_t n_memdevs;
	unsigned granularity;    /* 0: the root decoder's */
};

struct cxl_policy {
	bool given;              /* a "cxl" key was given: only its entries are made, no default */
	struct cxl_policy_entry *entries;
	size_t n_entries;
};

enum cxl_assembly_source {
	CXL_FROM_LABELS,  /* the set the devices' labels record */
	CXL_FROM_POLICY,  /* a policy entry, on devices without labels */
	CXL_FROM_DEFAULT, /* one region per device without labels */
};

struct cxl_assembly {
	size_t members[CXL_MAX_WAYS]; /* indexes into the facts, in position order */
	size_t ways;
	unsigned granularity;    /* 0: the root decoder's */
	uint64_t member_size;    /* each member's share, a multiple of CXL_REGION_ALIGN */
	enum cxl_assembly_source source;
	int entry;               /* the policy entry it is, or -1 */
	/* a member's label area was blank: its capacity is unproven until read (agent/cxl.c) */
	bool prove_empty;
};

/*
 * The assemblies come in the order they are to be made, the same at every
 * boot: the kernel numbers regions as they are made, and a policy entry with
 * "region" names one by that number. The policy's entries in their order,
 * then the other sets by their smallest serial number.
 */
struct cxl_plan {
	struct cxl_assembly *assemblies;
	size_t n_assemblies;
	char **refusals;         /* messages, one a device or entry */
	enum apply_reason *refusal_reasons; /* why, for each */
	size_t n_refusals;
};

/* Returns 0 (refusals are part of the plan) or -ENOMEM. */
int cxl_plan_build(const struct cxl_memdev_facts *m, size_t n, const struct cxl_policy *policy, struct cxl_plan *ret);

void cxl_plan_clear(struct cxl_plan *plan);

/* Does spec ("memN" or a serial number) name this device? */
bool cxl_memdev_matches(const struct cxl_memdev_facts *m, const char *spec);

/* Is spec a valid memdev spec ("memN", N < 65536, or a serial number "0x..." or decimal)? */
bool cxl_memdev_spec_valid(const char *spec);

const char *cxl_assembly_source_name(enum cxl_assembly_source s);

/* "mem1 (serial 0x2), mem0 (serial 0x1)": an assembly's members in position order, for messages */
void cxl_assembly_describe(const struct cxl_memdev_facts *m, const struct cxl_assembly *a, char *buf, size_t len);

void cxl_policy_clear(struct cxl_policy *p);

#endif
