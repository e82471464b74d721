/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the planners of each kind of region (plan-*.c); not for the rest of the agent. */
#ifndef VPMEM_AGENT_PLAN_INTERNAL_H
#define VPMEM_AGENT_PLAN_INTERNAL_H

#include "plan.h"

/* Set the region's error (a region with an error changes nothing). 0, or -ENOMEM. */
int plan_refuse(struct plan_region *pr, enum apply_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Leave the region as it is without failing: drop its entries, say why. 0, or -ENOMEM. */
int plan_skip(struct plan_region *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a zeroed entry to the region's plan, with the entry's name and mountpoint on that region. */
int plan_add_ns(struct plan_region *pr, const struct ns_policy *p, struct plan_ns **ret);

/* Does the policy entry apply to the region? */
bool plan_entry_applies(const struct ns_policy *p, const struct region_state *region);

/* Does the region support align for namespaces of mode? (Unknown lists: yes, the kernel decides.) */
bool plan_align_supported(const struct region_state *region, enum ns_mode mode, uint64_t align);

/*
 * Set the alignment a new namespace pn gets on pr's region: 0 for sector;
 * its entry's when the region can do it; by default the PMD size when the
 * region can map PMD pages, else the page size. 0, or -EINVAL with *why
 * saying which alignments the region can do (free it), or -ENOMEM.
 */
int plan_ns_align(const struct plan_region *pr, struct plan_ns *pn, char **why);

/*
 * What to do about the filesystem of an entry on ns (NULL: a namespace still
 * to be made) of region: sets pn->fs, and pn->problem when refused. The
 * asked filesystem already there is kept, also with overwrite; the agent's
 * own mkfs of ns cut short is made again (pn->mkfs_again); anything else
 * that is there is refused unless overwrite. 0 or -ENOMEM.
 */
int plan_decide_fs(struct plan_ns *pn, const struct region_state *region, const struct ns_state *ns, bool overwrite);

/* Refuse entries xfs cannot be made on (xfsprogs' 300 MiB floor), before anything changes. */
int plan_check_xfs_sizes(struct plan_region *pr);

/*
 * The planners, one per kind of region. Each fills pr (entries, or an
 * error) for the policy's entries that apply to the region. 0 or -ENOMEM.
 */
int plan_labelled(struct plan_region *pr, const struct policy *policy, uint64_t available);
int plan_label_less(struct plan_region *pr, const struct policy *policy);

/* The one namespace of a label-less region, NULL when there is none or more than one. */
const struct ns_state *plan_label_less_namespace(const struct region_state *region);

/* Is what is on a label-less region's namespace already what p asks for? */
bool plan_label_less_matches(const struct region_state *region, const struct ns_policy *p, const struct ns_state *ns);

#endif
