/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_PENDING_H
#define VPMEM_AGENT_PENDING_H

#include <stdbool.h>

/*
 * The record of an mkfs in progress, which lets a run after a crash tell the
 * agent's own half-made filesystem from data.
 *
 * Right before mkfs, after the guard has proven the device empty, the agent
 * writes LOCALSTATEDIR/lib/vpmem/mkfs/<uuid>, named by the uuid of the
 * device's info block (pfn or btt), which is new at every change of mode:
 * no other namespace, and no later personality of this one, has it. The
 * file is made durable (fsync of the file and its directory) before mkfs
 * starts, and removed, durably, as soon as mkfs has exited 0 and the device
 * is flushed: before anything mounts the filesystem. While the record is
 * there, only that mkfs has written to the device since it was proven empty.
 *
 * The record names the filesystem type and the device's size in bytes. A
 * later run honours it only for the same uuid, filesystem type and size
 * (another size is another device, whatever its uuid says), and only when
 * the device holds no finished filesystem: nothing
 * libblkid recognises (bytes mkfs wrote before it was cut), or an xfs whose
 * superblock still says "in progress". It then makes the filesystem again.
 * A device with a finished filesystem on it is never made again: the record
 * is stale (the power went between mkfs's exit and the removal), and it is
 * dropped when the filesystem is mounted.
 *
 * An mkfs that fails (exits with an error, rather than being cut short by
 * a crash or a signal) leaves no record: what it wrote is refused like any
 * other content, and nothing licenses a forced mkfs over what someone may
 * write to the device afterwards.
 *
 * Without the record (a root filesystem that keeps no state, or lost it), a
 * labelled namespace can still carry the proof in its name (nd.h's mkfs
 * marker). Without either, the half-made filesystem cannot be told from
 * data: the agent stops and says so, and what to run.
 */

/* Where the records live; tests point it elsewhere (the string must outlive its use). */
void mkfs_pending_set_dir(const char *dir);

/*
 * Will a record outlive a power cut? False when the records' directory (or
 * the nearest directory above it that exists) is on tmpfs, ramfs or an
 * overlay (an initramfs, a live image, a Kata guest's root), or read-only:
 * then a labelled namespace carries the proof in its name instead (nd.h),
 * which costs a second enable of the namespace. Asked at first
 * provisioning only.
 */
bool mkfs_pending_kept(void);

/*
 * Record that mkfs of fstype starts on device (a block device, or a regular
 * file in tests), whose info block has uuid.
 * 0, or a negative errno (the caller carries on: a missing record only
 * means a refusal after a crash, never a loss).
 */
int mkfs_pending_begin(const char *uuid, const char *fstype, const char *device);

/* mkfs finished: drop the record. 0 (also when there was none) or a negative errno. */
int mkfs_pending_end(const char *uuid);

/*
 * Is there a record for uuid, fstype and device (its size)? 1, with
 * *ret_since (when asked) saying when and on which device it started; 0 when
 * there is none; -ESTALE when there is one for uuid that does not hold
 * (another type or size: the caller drops it); another negative errno when
 * the record or the device's size cannot be read.
 */
int mkfs_pending_find(const char *uuid, const char *fstype, const char *device, char **ret_since);

#endif
