/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_INVENTORY_H
#define VPMEM_AGENT_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nd.h"

struct ndctl_ctx;

/*
 * A snapshot of the live system in plain structures: what the planner reads.
 * Keeping libndctl out of the planner lets the unit tests build any state.
 */
struct ns_state {
	char *devname;      /* "namespace0.0" */
	unsigned id;        /* the N of namespaceR.N */
	char *name;         /* alt name, "" when none */
	char *uuid;         /* NULL for label-less namespaces */
	enum ns_mode mode;
	bool enabled;
	uint64_t size;
	uint64_t dev_size;  /* devdax: the device's usable size (less the page map with map=dev) */
	uint64_t align;
	char *blockdev;     /* "/dev/pmem0", fsdax and raw */
	char *chardev;      /* "/dev/dax0.0", devdax */
	char *fstype;       /* what libblkid found, NULL for nothing */
	bool has_data;      /* a signature, or a non-zero byte in the first MiB */
	char *mountpoint;   /* where it is mounted, NULL when not */
	int dax;            /* when mounted: 1 DAX in effect, 0 not, -1 unknown */
	bool system_ram;    /* devdax handed to the kernel as memory */
	unsigned badblocks; /* known bad 512-byte sectors in the namespace */
};

struct dimm_state {
	char *devname;      /* "nmem0" */
	unsigned handle;
	unsigned phys_id;
	unsigned vendor;    /* JEDEC ids from the NFIT */
	unsigned device;
	unsigned serial;
	bool failed;        /* NFIT flags: failed to save, restore, arm, flush or map */
};

#define MAX_ALIGNMENTS 8

struct region_state {
	char *devname;      /* "region0" */
	unsigned id;
	uint64_t resource;  /* physical start address, 0 when unknown */
	uint64_t size;
	uint64_t available;
	uint64_t align;     /* 0 when the kernel does not say */
	unsigned ways;
	bool enabled;
	bool readonly;
	bool labelled;      /* namespaces come from labels (nstype pmem) */
	bool label_capable; /* every DIMM has a label area we can write */
	int numa_node;
	char **dimms;       /* "nmem0", ... NULL-terminated */
	struct dimm_state *dimm_states;
	size_t n_dimm_states;
	uint64_t fsdax_aligns[MAX_ALIGNMENTS];
	size_t n_fsdax_aligns;
	uint64_t devdax_aligns[MAX_ALIGNMENTS];
	size_t n_devdax_aligns;
	struct ns_state *namespaces;
	size_t n_namespaces;
};

struct inventory {
	struct region_state *regions;
	size_t n_regions;
};

/*
 * Read every pmem region with its namespaces, filesystems and mounts. With
 * check_dax, also ask the kernel whether DAX is in effect on each mounted
 * filesystem (a temporary file in its root): for reports, not for planning.
 */
int inventory_read(struct ndctl_ctx *ctx, bool check_dax, struct inventory *ret);
void inventory_clear(struct inventory *inv);

const struct region_state *inventory_find_region(const struct inventory *inv, unsigned id);
const struct ns_state *region_find_namespace(const struct region_state *region, const char *name);

/*
 * Probe a block device: *ret_fstype gets libblkid's TYPE (or PTTYPE for a
 * partition table, "ambiguous" when several signatures match), *ret_has_data
 * is true when anything was found or the first MiB holds a non-zero byte.
 */
int probe_block_device(const char *path, char **ret_fstype, bool *ret_has_data);

#endif
