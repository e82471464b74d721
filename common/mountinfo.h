/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_MOUNTINFO_H
#define VPMEM_MOUNTINFO_H

#include <sys/types.h>

/*
 * The mounts of block devices, as /proc/self/mountinfo lists them
 * (proc(5)). The inventory needs only these four fields of the mounts of
 * pmem devices, on every boot: reading them here keeps libmount (and the
 * libraries it loads, most of a no-op run's start-up) off that path.
 * Mounting still goes through libmount.
 */
struct mount_entry {
	dev_t devno;
	char *target;	  /* the mountpoint, unescaped */
	char *fstype;
	char *fs_options; /* the superblock's options ("rw,dax=always,...") */
};

struct mountinfo {
	struct mount_entry *entries;
	size_t n_entries;
};

/*
 * Read path (normally /proc/self/mountinfo), keeping the mounts of devices
 * with a major number (not proc, sysfs, tmpfs, ...). Lines that do not have
 * the format are skipped. Returns 0 or a negative errno.
 */
int mountinfo_read(const char *path, struct mountinfo *ret);

/* The first mount of devno in the table's order, or NULL. */
const struct mount_entry *mountinfo_find_devno(const struct mountinfo *mi, dev_t devno);

/* Parse one line (without its newline) into e; -EINVAL if it is not one. */
int mountinfo_parse_line(char *line, struct mount_entry *e);

void mountinfo_clear(struct mountinfo *mi);

#endif
