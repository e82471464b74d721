/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_FILESYSTEM_H
#define VPMEM_AGENT_FILESYSTEM_H

#include <stdbool.h>

#include "apply-log.h"
#include "plan.h"

struct ndctl_namespace;

/*
 * The filesystem of one planned entry on its namespace (blockdev, its block
 * device): kept or made as the guard decides on what the device holds right
 * now, the namespace given its own name where it carries the marked one,
 * then mounted and DAX verified with the kernel when the entry mounts.
 * 0, or a negative errno (logged in log).
 */
int provision_fs(const struct plan_region *pr, const struct plan_ns *pn, struct ndctl_namespace *ndns,
		 const char *blockdev, bool overwrite, struct apply_log *log);

#endif
