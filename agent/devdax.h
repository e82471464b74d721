/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_DEVDAX_H
#define VPMEM_AGENT_DEVDAX_H

#include <stdbool.h>

#include "apply-log.h"
#include "policy.h"

struct daxctl_dev;
struct ndctl_namespace;

/* The first device of a devdax namespace (the one with a size), or NULL. */
struct daxctl_dev *devdax_device(struct ndctl_namespace *ndns);

/*
 * Give the device node dev (/dev/daxX.Y) the owner, group and permissions
 * the entry p asks for, where they differ. 0, or a negative errno (logged).
 */
int devdax_set_access(const char *dev, const struct ns_policy *p, struct apply_log *log, const char *region);

/*
 * Hand the namespace's device to the kernel as system RAM, and online its
 * memory: destroys what it holds, so only when the guard proves it empty,
 * overwrite is set, or the agent's record (system-ram.h) says it gave it
 * away in an earlier boot. 0, or a negative errno (logged).
 */
int devdax_to_system_ram(struct ndctl_namespace *ndns, bool overwrite, struct apply_log *log, const char *region);

#endif
