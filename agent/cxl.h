/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_CXL_H
#define VPMEM_AGENT_CXL_H

#include <stdbool.h>

#include "apply-log.h"
#include "cxl-plan.h"
#include "inventory.h"

/*
 * Assemble the CXL pmem regions cxl-plan.h decides on, through libcxl, as
 * `cxl create-region` would: a region under the root decoder that reaches
 * every member, its ways, granularity and size, one free endpoint decoder a
 * member in pmem mode with the member's share, the targets in position
 * order, committed and enabled; then the kernel's nvdimm region appears and
 * the rest of apply treats it as any labelled region. A region whose
 * members' label areas were blank has its capacity read (through a raw
 * namespace the label area is given back from) before anything is made
 * on it: data found there is refused and the region taken apart again.
 * With dry_run, only prints what it would do. Returns 0 (refusals and
 * failures are in log), or a negative errno when libcxl cannot be used at all.
 * Without CXL devices, or without libcxl at build time, it does nothing.
 */
int cxl_assemble(const struct cxl_policy *policy, bool dry_run, struct apply_log *log);

/*
 * Add to each CXL region of inv the CXL topology it sits on (region, root
 * decoder, ways, granularity, members in position order with their serial
 * numbers and PCI devices), for status. Quiet: what cannot be read is left out.
 */
void cxl_inventory_annotate(struct inventory *inv);

/* Where the kernel's CXL devices are (/sys/bus/cxl/devices): for tests against a fake libcxl. */
void cxl_set_sysfs_dir(const char *dir);

#endif
