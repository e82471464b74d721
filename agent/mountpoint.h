/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_MOUNTPOINT_H
#define VPMEM_AGENT_MOUNTPOINT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Where the agent may mount. A filesystem it mounts hides what the directory
 * held, and the directory from then on holds the new, empty filesystem: a
 * mountpoint that is one of the system's own directories (/etc, /usr, /var,
 * ...), lies in a kernel or runtime tree (/proc, /sys, /dev, /run, /boot) or
 * in the agent's own directories is refused whatever it holds; any other
 * directory must be empty and not a mountpoint already.
 */

/*
 * The system directory path is or lies under, or NULL when path may be a
 * mountpoint. path is absolute and canonical (policy.c checked it).
 */
const char *mountpoint_system_dir(const char *path);

/*
 * The same for a region-less entry's mountpoint, which is prefix followed by
 * the region's number: the system directory some prefix<N> is or lies under,
 * or NULL.
 */
const char *mountpoint_template_system_dir(const char *prefix);

/*
 * Can a and b expand to the same path? Each is a fixed path (template false)
 * or a prefix the region number is appended to (template true). On true,
 * *ret_path is one such path (malloc'ed), and *ret_a and *ret_b the region
 * numbers that give it (for a template; unchanged for a fixed path).
 * Returns 1, 0, or -ENOMEM.
 */
int mountpoint_templates_meet(const char *a, bool a_template, const char *b, bool b_template, char **ret_path,
			      unsigned *ret_a, unsigned *ret_b);

/*
 * Is the directory open at dirfd (O_DIRECTORY) one the agent may mount on
 * (empty and not a mountpoint)? 0, or -EBUSY (a mountpoint already) or
 * -ENOTEMPTY with *ret_what saying what is there (malloc'ed: "app.conf, data
 * and 3 more"), or another negative errno when it cannot tell.
 */
int mountpoint_dir_check(int dirfd, char **ret_what);

/*
 * The same for path, walked without following symlinks: 0 also when it does
 * not exist yet (the agent makes it empty), -ELOOP when a component is a
 * symlink, -ENOTDIR when one is not a directory.
 */
int mountpoint_path_check(const char *path, char **ret_what);

#endif
