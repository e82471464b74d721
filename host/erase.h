/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_ERASE_H
#define VPMEM_HOST_ERASE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "hostconf.h"

struct erase_stats {
	uint64_t bytes;	 /* proven zero */
	uint64_t zeroed; /* of which written (devdax: chunks that were not zero already) */
	double seconds;
};

/*
 * Zero a backing through its device (or file) and read it back to prove it:
 * the next tenant must not read the last one's data. devdax: mmap, then a
 * chunk at a time: read, and where not all zero, zero with non-temporal
 * stores, fence, read back; file: zero the range (fallocate ZERO_RANGE, else
 * writes), fsync, read back what holds data. Returns 0 with what it did in
 * *stats, or a negative errno with a reason in *ret_reason.
 */
int backing_erase(enum backend_kind kind, const char *path, uint64_t size, struct erase_stats *stats,
		  char **ret_reason);

/*
 * Is a the object b is? A device node (device-dax) is the same device by its
 * device number alone, whatever node it is reached through (libvirt gives each
 * QEMU a /dev of its own, a tmpfs with its own node of the device, in a mount
 * namespace of its own: another inode, the same device); a file is the same
 * device and inode.
 */
bool same_object(const struct stat *a, const struct stat *b);

/*
 * Is path open or mapped by a process (a running QEMU)? Looks at every
 * process's open files and mappings in /proc: a device node (device-dax) is
 * the same device by its device number, whatever node and whatever mount
 * namespace the process reached it through (libvirt's private /dev); a file
 * is the same device and inode. Returns 1 with
 * the first such process's pid and command name, 0 if none, or a negative
 * errno when path cannot be examined.
 */
int backing_user(const char *path, int *ret_pid, char ret_comm[16]);

#endif
