/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_PROVISION_H
#define VPMEM_AGENT_PROVISION_H

#include <stddef.h>

#include "apply-log.h"
#include "plan.h"

/*
 * Carry out a plan: initialise labels, create namespaces with libndctl's seed
 * sequence, make filesystems, mount them with DAX and check it, set devdax
 * ownership. Regions with an error and entries with a problem are skipped.
 * The caller holds the agent lock. Returns 0 when everything planned was done,
 * -EIO when something failed (see log).
 */
int provision_apply(const struct plan *plan, struct apply_log *log);

#endif
