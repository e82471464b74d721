/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_GUARD_H
#define VPMEM_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ndctl_namespace;
struct ndctl_region;

/*
 * The data guard: the one place that decides whether something may be
 * destroyed. Every destructive step (initialising labels, changing a
 * namespace's mode, mkfs, handing devdax to system RAM) asks it first, right
 * before acting, under the agent's lock. Anything not provably empty is data:
 *
 *   - a namespace claimed by a personality (fsdax, devdax or sector), enabled
 *     or not, or one whose contents cannot be read (disabled, no device node);
 *   - a pfn, dax or btt info block on an unclaimed namespace;
 *   - any libblkid signature (filesystem, partition table, RAID, swap, ...),
 *     also several at once ("ambiguous"); an xfs superblock that says its
 *     mkfs is still in progress is reported as such, with no type: it is
 *     no filesystem anyone can mount, and no empty device either;
 *   - any non-zero byte in the first MiB;
 *   - before a step that destroys the whole device (every guard_may_destroy_
 *     call), also any non-zero byte in its last MiB or in the first 4 KiB of
 *     every 64 MiB: where filesystems keep their secondary superblocks and
 *     allocation group headers (xfs, ext4), and a sample of the rest. Only
 *     first provisioning pays for it: the probes that describe a device at
 *     every boot read the first MiB alone;
 *   - any open error, read error or short read on the way.
 *
 * "overwrite" in the policy allows destroying what stands in the way of the
 * policy; the callers only ask about such targets.
 */

/* How much of a device's start (and, before it is destroyed, of its end) is read to prove it empty. */
#define GUARD_PROBE_BYTES (1024 * 1024)
/* Before a device is destroyed, the first GUARD_SAMPLE_BYTES of every GUARD_SAMPLE_STRIDE are read too. */
#define GUARD_SAMPLE_STRIDE (64ULL * 1024 * 1024)
#define GUARD_SAMPLE_BYTES 4096

/*
 * What a block device (or a regular file, for tests) holds. On return
 * *ret_what is NULL when it is provably empty, or describes what is there
 * ("an xfs filesystem", "a dax info block", "non-zero bytes in its first
 * MiB", "a read error in its first MiB: Input/output error"). *ret_fstype
 * gets libblkid's TYPE (or PTTYPE; "ambiguous" when several match), NULL when
 * none; *ret_signatures, when asked for, every signature found, comma
 * separated. A failure to probe is reported as data, never as empty.
 * Returns 0, or -ENOMEM.
 */
int guard_probe_blockdev(const char *path, char **ret_fstype, char **ret_signatures, char **ret_what);

/*
 * Does the device at path start with an xfs superblock's magic? 1 yes, 0 no,
 * or -errno when it cannot be opened or read. (mkfs: to tell whether an xfs
 * there is one its own failed attempt wrote.)
 */
int guard_starts_with_xfs(const char *path);

/*
 * What a live namespace holds, by the rules above: *ret_what NULL when it is
 * provably empty. Returns 0 or -ENOMEM.
 */
int guard_probe_namespace(struct ndctl_namespace *ndns, char **ret_what);

/*
 * May the namespace's contents be destroyed? 0 when it is provably empty or
 * overwrite is set; -ENOTEMPTY, with *ret_what saying what is there,
 * otherwise (-ENOMEM on allocation failure).
 */
int guard_may_destroy_namespace(struct ndctl_namespace *ndns, bool overwrite, char **ret_what);

/* The same for every namespace of a region: label initialisation destroys them all. */
int guard_may_destroy_region(struct ndctl_region *region, bool overwrite, char **ret_what);

/* The same for a block device, before mkfs: what is on it must be empty, or overwrite set. */
int guard_may_destroy_blockdev(const char *path, bool overwrite, char **ret_what);

/*
 * The same for the block device of a namespace created a moment ago, under
 * the same lock, on a region whose labels the same run initialised: the
 * guard sampled the whole region then, and only its first MiB and
 * signatures are looked at again. (Under TCG every sample of capacity
 * nothing touched yet costs about 14 ms: 0.9 s per pass over 4 GiB.)
 */
int guard_may_destroy_new_blockdev(const char *path, char **ret_what);

/*
 * The same for a device-dax character device, before it is handed to the
 * kernel as system RAM: it is mapped read-only, and its first and last MiB
 * and the samples must be zero. align is the device's mapping alignment.
 */
int guard_may_destroy_daxdev(const char *path, uint64_t size, size_t align, bool overwrite, char **ret_what);

/* True when the comma-separated signature list has type. */
bool guard_signatures_have(const char *signatures, const char *type);

/*
 * What becomes of the filesystem a policy asks for on a device, from what
 * the device holds: the one decision, made by the planner on its snapshot
 * and made again right before mkfs, under the lock, on what is there then.
 */
enum guard_fs_verdict {
	GUARD_FS_KEEP,       /* what the policy asks for is there: kept, also with overwrite */
	GUARD_FS_MAKE,       /* nothing there (first MiB), or overwrite: mkfs, after guard_may_destroy_*() */
	GUARD_FS_MAKE_AGAIN, /* the agent's own mkfs of it, cut short: made again, forced */
	GUARD_FS_REFUSE,     /* anything else is data: left as it is */
};

struct guard_fs_facts {
	const char *want;       /* the filesystem type the policy asks for */
	const char *fstype;     /* libblkid's TYPE on the device, NULL when none */
	const char *signatures; /* every signature found (comma separated), or NULL */
	const char *contents;   /* what the guard's probe found there, NULL when provably empty */
	bool mounted;           /* the device is mounted somewhere */
	/* the agent's record (pending.h), or the namespace's marked name (nd.h): its mkfs of want was under way */
	bool own_mkfs;
	bool overwrite;         /* the user asked to destroy what stands in the way, on this device */
};

/*
 * The verdict for those facts; *ret_force says whether mkfs may be told to
 * write over a signature it finds (-f, -F): only over what overwrite
 * licenses, or over the agent's own mkfs cut short.
 */
enum guard_fs_verdict guard_decide_fs(const struct guard_fs_facts *f, bool *ret_force);

/*
 * mkfs.xfs's first attempt failed after writing (its flush at the end, say):
 * may the retry force? Only over the superblock that attempt wrote: the
 * device did not start with xfs before it (had_xfs_before) and does now.
 */
bool guard_may_force_retry(const char *path, bool had_xfs_before);

#endif
