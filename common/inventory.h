/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_INVENTORY_H
#define VPMEM_AGENT_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm.h"
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
	char *claim_uuid;   /* its pfn, dax or btt info block's uuid, new at every change of mode; NULL for none */
	enum ns_mode mode;  /* NS_MODE_RAW: claimed by no personality (also where the kernel maps its pages) */
	bool enabled;
	uint64_t size;      /* the namespace's size */
	unsigned badblocks; /* known bad 512-byte sectors in its range of the region (any, where unknown) */
	uint64_t dev_size;  /* its device's usable size: less the info block, the page map, the BTT */
	uint64_t align;
	unsigned sector_size; /* sector mode: the BTT's sector size */
	char *blockdev;     /* "/dev/pmem0" (fsdax, raw), "/dev/pmem0s" (sector) */
	char *chardev;      /* "/dev/dax0.0", devdax */
	char *fstype;       /* what libblkid found (or the mount table says), NULL for nothing */
	char *signatures;   /* every signature found, comma separated, NULL for none */
	char *contents;     /* what the data guard found on the block device, NULL: provably empty */
	char *mountpoint;   /* where it is mounted, NULL when not */
	int dax;            /* when mounted: 1 DAX in effect, 0 not, -1 unknown */
	bool system_ram;    /* devdax handed to the kernel as memory */
};

/*
 * What a DIMM's firmware reports of it, as the kernel shows it: the NFIT's
 * memory device flags, or papr_scm's health bitmap (nmemN/nfit/flags,
 * nmemN/papr/flags).
 */
enum dimm_flag {
	DIMM_FLAG_NOT_ARMED = 1 << 0,    /* writes would not persist: the kernel makes its regions read-only */
	DIMM_FLAG_SAVE_FAIL = 1 << 1,    /* the last shutdown's save failed */
	DIMM_FLAG_RESTORE_FAIL = 1 << 2, /* the last restore failed: what it holds is lost */
	DIMM_FLAG_FLUSH_FAIL = 1 << 3,   /* the last shutdown's flush failed: it was not clean */
	DIMM_FLAG_MAP_FAIL = 1 << 4,     /* the firmware could not map it */
	DIMM_FLAG_SMART_EVENT = 1 << 5,  /* it raised a health event (smart_event, smart_notify) */
	DIMM_FLAG__ALL = (1 << 6) - 1,
};

/* Its health, where it answers SMART (ndctl list -DH): NFIT DIMMs with a vendor's DSM, papr_scm. */
enum dimm_health {
	DIMM_HEALTH_UNKNOWN, /* it does not say (QEMU's NFIT DIMMs have no SMART) */
	DIMM_HEALTH_OK,
	DIMM_HEALTH_NON_CRITICAL,
	DIMM_HEALTH_CRITICAL,
	DIMM_HEALTH_FATAL,
};

struct dimm_state {
	char *devname;      /* "nmem0" */
	unsigned handle;
	unsigned phys_id;
	unsigned vendor;    /* JEDEC ids from the NFIT */
	unsigned device;
	unsigned serial;
	bool failed;        /* NFIT flags: failed to save, restore, arm, flush or map */
	char *id;           /* its unique id (ndctl's "id"), NULL when it has none */
	unsigned flags;     /* enum dimm_flag */
	enum dimm_health health;    /* read with report only */
	long long dirty_shutdowns;  /* its unclean (dirty) shutdown count; -1 when it does not say */
};

#define MAX_ALIGNMENTS 8

/* Where a region comes from: the bus provider. */
enum region_kind {
	REGION_NFIT,        /* ACPI NFIT NVDIMMs: QEMU -device nvdimm, libvirt model='nvdimm' */
	REGION_VIRTIO,      /* virtio-pmem: asynchronous, flushed through the host */
	REGION_E820,        /* legacy memmap=nn!ss (type-12) memory */
	REGION_PAPR,        /* IBM POWER papr_scm */
	REGION_CXL,         /* a CXL pmem region (its nvdimm bus is the CXL nvdimm bridge's) */
	REGION_OTHER,       /* of_pmem and anything newer */
};

enum persist_domain {
	PERSIST_DOMAIN_UNSPECIFIED,    /* the kernel does not say (virtio-pmem, e820, NFIT without capabilities) */
	PERSIST_DOMAIN_NONE,
	PERSIST_DOMAIN_MEMORY_CONTROLLER,
	PERSIST_DOMAIN_CPU_CACHE,
};

/* A CXL region's member: where it sits in the interleave set, and on which device. */
struct cxl_member_state {
	char *memdev;       /* "mem0" */
	uint64_t serial;
	char *decoder;      /* its endpoint decoder, "decoder2.0" */
	char *host;         /* the PCI device, "0000:0d:00.0" */
};

/* The CXL region an nvdimm region stands for (filled by the agent through libcxl). */
struct cxl_region_state {
	char *region;       /* "region0" on the cxl bus */
	char *root_decoder; /* its CXL fixed memory window, "decoder0.0" */
	unsigned ways;
	unsigned granularity;
	struct cxl_member_state *members; /* in position order */
	size_t n_members;
};

struct region_state {
	char *devname;      /* "region0" */
	unsigned id;
	enum region_kind kind;
	char *provider;     /* the bus provider, "ACPI.NFIT", "virtio-pmem", "e820", ... */
	enum persist_domain persistence;
	bool async;         /* writes persist only when flushed to the host (fsync/msync) */
	unsigned badblocks; /* known bad 512-byte sectors in the region */
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
	struct cxl_region_state *cxl; /* REGION_CXL, when known */
};

struct inventory {
	struct region_state *regions;
	size_t n_regions;
	struct mm_geometry mm; /* the page sizes DAX maps with here */
};

/*
 * Read every pmem region with its namespaces, filesystems and mounts. With
 * report, also what only reports show: whether DAX is in effect on each
 * mounted filesystem, as its mount options and the block device's
 * queue/dax imply (mount_dax_expected(): nothing is written, at every boot)
 * and the regions' bad blocks. Planning needs neither.
 */
int inventory_read(struct ndctl_ctx *ctx, bool report, struct inventory *ret);
void inventory_clear(struct inventory *inv);

const struct region_state *inventory_find_region(const struct inventory *inv, unsigned id);
const struct ns_state *region_find_namespace(const struct region_state *region, const char *name);

/* True when the kernel maps a raw namespace's pages itself (virtio-pmem, e820, papr_scm): DAX works on it. */
bool region_maps_pages(const struct region_state *region);

/* "NFIT NVDIMM with labels", "NFIT NVDIMM, label-less", "virtio-pmem", "e820", ... */
const char *region_kind_describe(const struct region_state *region);
const char *region_kind_name(enum region_kind kind);

void cxl_region_state_free(struct cxl_region_state *c);

/* "not_armed", "save_fail", ... for one flag; "ok", "non_critical", "critical", "fatal", "unknown" */
const char *dimm_flag_name(enum dimm_flag flag);
const char *dimm_health_name(enum dimm_health health);
const char *persistence_name(enum persist_domain p);

#endif
