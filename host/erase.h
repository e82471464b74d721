/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_ERASE_H
#define VPMEM_HOST_ERASE_H

#include <stdint.h>

#include "hostconf.h"

/*
 * Zero a backing through its device (or file) and read it back to prove it:
 * the next tenant must not read the last one's data. devdax: mmap, zero,
 * msync, read back; file: zero the range (fallocate ZERO_RANGE, else
 * writes), fsync, read back. Returns 0, or a negative errno with a reason in
 * *ret_reason.
 */
int backing_erase(enum backend_kind kind, const char *path, uint64_t size, char **ret_reason);

/*
 * Is path open or mapped by a process (a running QEMU)? Compares device and
 * inode with every process's open files and mappings in /proc. Returns 1 with
 * the first such process's pid and command name, 0 if none, or a negative
 * errno when path cannot be examined.
 */
int backing_user(const char *path, int *ret_pid, char ret_comm[16]);

#endif
