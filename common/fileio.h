/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_FILEIO_H
#define VPMEM_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Replace path with data, crash-safely: write a temporary file beside it,
 * fsync it, rename it over path, fsync the directory. Readers see the old or
 * the new content, never a mix. Returns 0 or a negative errno.
 */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

/* Read fd to its end (retrying on EINTR), NUL-terminated. Returns 0 or a negative errno. */
int read_fd_all(int fd, char **ret);

/* Read a whole (small) file. Returns 0 or a negative errno. */
int read_file(const char *path, char **ret_data, size_t *ret_len);

/*
 * Create directory path and its missing parents with mode, walking from "/"
 * one component at a time with openat(O_NOFOLLOW), so that a symlink planted
 * anywhere on the way is refused (-ELOOP) rather than followed. path must be
 * absolute. Returns 0 (also when it already exists) or a negative errno.
 */
int mkdir_p_nofollow(const char *path, mode_t mode);

/* The same, returning a descriptor of the directory path (O_DIRECTORY), or a negative errno. */
int mkdir_p_nofollow_open(const char *path, mode_t mode);

/* A descriptor of the existing directory path (O_DIRECTORY), walked as above but creating nothing. */
int open_dir_nofollow(const char *path);

/*
 * Open (creating) path and take an exclusive flock on it, waiting for other
 * holders. Returns the fd, which holds the lock until closed, or a negative
 * errno.
 */
int lock_file(const char *path);

/* The size in bytes of a block device, or of a regular file (tests). 0 or a negative errno. */
int device_size_of(const char *path, uint64_t *ret);

/* This boot's id (/proc/sys/kernel/random/boot_id), 36 characters and a NUL. 0 or a negative errno. */
int read_boot_id(char ret[37]);

#endif
