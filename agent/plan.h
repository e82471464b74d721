/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_PLAN_H
#define VPMEM_AGENT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "apply-log.h"
#include "inventory.h"
#include "mm.h"
#include "policy.h"

struct json_object;

enum fs_action {
	FS_ACTION_NONE,   /* devdax, or filesystem "none" */
	FS_ACTION_KEEP,   /* the asked filesystem is already there */
	FS_ACTION_MKFS,   /* empty (a new namespace is probed again before mkfs) */
	FS_ACTION_REFUSE, /* something else is there and overwrite is off */
};

struct plan_ns {
	const struct ns_policy *policy;
	char *name;                   /* the namespace's name on this region */
	char *mountpoint;             /* NULL when not mounted by the agent */
	uint64_t size;                /* bytes to create, or the existing size */
	uint64_t align;               /* the alignment to create it with */
	const struct ns_state *existing; /* NULL: to be created */
	bool reconfigure;             /* label-less: give existing (the region's one namespace) the entry's mode */
	enum fs_action fs;
	char *mkfs_again;             /* FS_ACTION_MKFS over the agent's own mkfs cut short: which (pending.h) */
	bool mount;                   /* not mounted yet */
	char *problem;                /* this entry cannot be provisioned, why */
	enum apply_reason problem_reason;
};

struct plan_region {
	const struct region_state *region;
	const struct mm_geometry *mm; /* the system's page sizes */
	bool overwrite;               /* the policy's "overwrite" covers this region */
	bool init_labels;
	char *error;                  /* the region is left untouched, why: a failure */
	enum apply_reason error_reason;
	char *skipped;                /* the region is left untouched, why: not a failure (the built-in policy) */
	struct plan_ns *ns;
	size_t n_ns;
};

struct plan {
	const struct mm_geometry *mm;
	struct plan_region *regions;
	size_t n_regions;
};

/*
 * Compute what apply would do for the selected regions (selected[i] for
 * inv->regions[i]; NULL selects all) on a system with mm's page sizes,
 * changing nothing. The plan points into policy, inv and mm, which must
 * outlive it. Errors that concern one region or one
 * entry are recorded in the plan, not returned. 0 or -ENOMEM.
 */
int plan_build(const struct policy *policy, const struct inventory *inv, const bool *selected,
	       const struct mm_geometry *mm, struct plan *ret);
void plan_clear(struct plan *plan);

/* The alignment unit for namespace sizes: max(align x ways, region align). */
uint64_t plan_size_unit(const struct region_state *region, uint64_t align);

/* True when the plan has an error or a problem: apply then exits 1. */
bool plan_has_failures(const struct plan *plan);

/* Human-readable steps, one per line, for --dry-run. */
void plan_print(const struct plan *plan, FILE *out);
struct json_object *plan_to_json(const struct plan *plan);

#endif
