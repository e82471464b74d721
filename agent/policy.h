/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_POLICY_H
#define VPMEM_AGENT_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cxl-plan.h"
#include "errlist.h"
#include "nd.h"

enum fs_type {
	FS_XFS,
	FS_EXT4,
	FS_NONE,
};

#define POLICY_REGION_ANY (-1)
#define POLICY_PERMISSIONS_UNSET ((mode_t)-1)
/* a namespace's alt name is 64 bytes on the label, NUL included */
#define POLICY_NAME_MAX 63
/*
 * Namespace entries a policy may have, all files merged: more than any guest
 * has room for (a label area holds a few hundred labels), few enough that
 * checking every pair stays cheap on user-data someone got wrong.
 */
#define POLICY_MAX_ENTRIES 256

struct ns_policy {
	char *name;
	int region;              /* POLICY_REGION_ANY: every region, name gets the index appended */
	enum ns_mode mode;
	uint64_t size;           /* 0: the rest of the region */
	uint64_t align;          /* 0: the system's (plan_ns_align) */
	bool align_set;          /* given in the policy, not defaulted */
	enum pfn_map map;
	enum fs_type filesystem; /* fsdax and sector */
	char *mountpoint;        /* fsdax and sector; NULL: /mnt/<name> */
	char *mount_options;     /* extra options, DAX is always added */
	bool hide_existing_files; /* mount also over a directory that holds files (never a system one, never a mountpoint) */
	char *owner;             /* devdax only; NULL: leave as is */
	char *group;
	mode_t permissions;      /* POLICY_PERMISSIONS_UNSET: leave as is */
	bool system_ram;         /* devdax only: online the device as system RAM */
	unsigned sector_size;    /* sector only: 512 or 4096 */
	char *source;            /* the file this entry came from */
};

/* A region or a DIMM named by "overwrite" (regionN, nmemN). */
struct policy_target {
	bool is_region;
	unsigned id;
};

#define POLICY_MAX_TARGETS 256

struct policy {
	bool overwrite;          /* "overwrite": true: on every region */
	struct policy_target *overwrite_targets; /* "overwrite": [...]: on these regions, and the regions of these DIMMs */
	size_t n_overwrite_targets;
	bool builtin;            /* no file gave "namespaces": the built-in default */
	struct ns_policy *namespaces;
	size_t n_namespaces;
	struct cxl_policy cxl;   /* "cxl": the CXL regions to assemble (cxl-plan.h); a later file's replaces it */
};

/*
 * Parse one policy document (JSON text) from file (used in messages) and
 * merge it over *policy: "overwrite" (true, false, or a list of regions and
 * DIMMs) replaces the earlier value, "replace":
 * true drops every earlier namespace entry, and each entry of "namespaces"
 * replaces the earlier entry of the same name or is appended. Every problem
 * is added to errors with its JSON path; on any error *policy is unchanged.
 * Returns 0, or -EINVAL when errors were added, or -ENOMEM.
 */
int policy_merge_text(struct policy *policy, const char *file, const char *text, struct errlist *errors);

/*
 * Read the effective policy: override if given, otherwise, from the most
 * general to the most specific, <etc_dir>/vpmem.json (the image),
 * <etc_dir>/vpmem.d/<*>.json, <run_dir>/vpmem.d/<*>.json (written at boot,
 * e.g. from instance metadata) and <run_dir>/vpmem.json (written at boot from
 * user-data), drop-ins in lexical order; missing files are skipped. Applies
 * the built-in default when no file lists namespaces, then checks the
 * cross-entry rules. Returns 0, -EINVAL with errors filled, or another errno.
 */
int policy_load(struct policy *ret, const char *override, const char *etc_dir, const char *run_dir,
		struct errlist *errors);

/* Does the policy's "overwrite" cover region id, whose DIMMs are dimms ("nmemN", NULL-terminated)? */
bool policy_overwrites(const struct policy *policy, unsigned id, char *const *dimms);

/* "overwrite is ON", "overwrite on region0, nmem1", or NULL (off): for check-config. Free it. */
char *policy_overwrite_describe(const struct policy *policy);

/*
 * Checks that span entries: duplicate names and mountpoints, two size-less
 * entries on a region. Returns 0 (with any problem added to errors) or -ENOMEM.
 */
int policy_validate(const struct policy *policy, struct errlist *errors);

/* Fill in the built-in default: one fsdax xfs namespace "pmem<N>" over each whole region. */
int policy_set_builtin(struct policy *policy);

void policy_clear(struct policy *policy);

/* The name and mountpoint an entry gets on region_id (index appended when region-less). */
char *ns_policy_name_for(const struct ns_policy *p, unsigned region_id);
char *ns_policy_mountpoint_for(const struct ns_policy *p, unsigned region_id);

const char *fs_type_name(enum fs_type fs);

/*
 * Write the keys the parser knows, from its tables, one a line:
 * "top|entry NAME TYPE[,TYPE...][ required]", with JSON Schema's type names
 * (tests/unit/policy-keys prints them for the checks of the schema and man page).
 */
void policy_keys_write(FILE *f);

#endif
