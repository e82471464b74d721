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

#endif
