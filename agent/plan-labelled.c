// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The planner for regions with namespace labels (NVDIMMs with a label area,
 * papr_scm): namespaces are created by name, carved from the free capacity,
 * and recognised by name on every later run.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cleanup.h"
#include "plan-internal.h"
#include "size.h"
#include "strutil.h"

/* An existing namespace of the entry's name: keep it, give it its mode, or say why it cannot be used. */
static int plan_existing(struct plan_region *pr, struct plan_ns *pn, const struct ns_state *ns, bool overwrite)
{
	const struct region_state *region = pr->region;
	const struct ns_policy *p = pn->policy;
	int r;

	pn->existing = ns;
	pn->size = ns->size;
	if (ns->mode != p->mode) {
		/*
		 * A raw namespace that provably holds nothing (the power went
		 * between its label and its info block) is given its mode. Any
		 * other is someone's: its mode is theirs, also with overwrite.
		 */
		if (ns->mode == NS_MODE_RAW && !ns->contents && !ns->mountpoint) {
			pn->reconfigure = true;
			pn->problem_reason = APPLY_REFUSED_DEVICE;
			r = plan_ns_align(pr, pn, &pn->problem);
			if (r < 0)
				return r == -EINVAL ? 0 : r;
			r = plan_decide_fs(pn, region, NULL, overwrite);
			pn->mount = pn->mountpoint != NULL;
			return r;
		}
		pn->problem_reason = APPLY_REFUSED_CONFLICT;
		pn->problem = strdup_printf("namespace \"%s\" (%s) exists in %s mode%s%s, the policy asks for %s: left as "
					    "it is",
					    pn->name, ns->devname, ns_mode_name(ns->mode), ns->contents ? " and holds " : "",
					    ns->contents ? ns->contents : "", ns_mode_name(p->mode));
		return pn->problem ? 0 : -ENOMEM;
	}
	r = plan_decide_fs(pn, region, ns, overwrite);
	if (r < 0 || pn->fs == FS_ACTION_REFUSE)
		return r;
	if (pn->mountpoint && ns->mountpoint && strcmp(ns->mountpoint, pn->mountpoint) != 0) {
		pn->problem_reason = APPLY_REFUSED_CONFLICT;
		pn->problem = strdup_printf("namespace \"%s\" is mounted at %s, the policy asks for %s: left as it is",
					    pn->name, ns->mountpoint, pn->mountpoint);
		return pn->problem ? 0 : -ENOMEM;
	}
	pn->mount = pn->mountpoint && !ns->mountpoint;
	return 0;
}

int plan_labelled(struct plan_region *pr, const struct policy *policy, uint64_t available)
{
	const struct region_state *region = pr->region;
	uint64_t wanted = 0;
	/* an index, not a pointer: plan_add_ns() moves the entries as it grows them */
	size_t rest = SIZE_MAX;
	int r;

	for (size_t i = 0; i < policy->n_namespaces; i++) {
		const struct ns_policy *p = &policy->namespaces[i];
		_cleanup_free_ char *why = NULL;
		const struct ns_state *ns;
		uint64_t unit;
		struct plan_ns *pn;

		if (!plan_entry_applies(p, region))
			continue;
		r = plan_add_ns(pr, p, &pn);
		if (r < 0)
			return r;
		/* before label initialisation there is nothing to find by name */
		ns = pr->init_labels ? NULL : region_find_namespace(region, pn->name);
		if (ns) {
			r = plan_existing(pr, pn, ns, pr->overwrite);
			if (r < 0)
				return r;
			continue;
		}

		r = plan_ns_align(pr, pn, &why);
		if (r < 0)
			return r == -EINVAL ? plan_refuse(pr, APPLY_REFUSED_DEVICE, "%s", why) : r;
		r = plan_decide_fs(pn, region, NULL, pr->overwrite);
		if (r < 0)
			return r;
		pn->mount = pn->mountpoint != NULL;
		unit = plan_size_unit(region, pn->align ? pn->align : mm_fault_unit(pr->mm));
		if (p->size) {
			if (!align_up(p->size, unit, &pn->size))
				return plan_refuse(pr, APPLY_REFUSED_CAPACITY, "%s: size of \"%s\" is too large", region->devname, pn->name);
			wanted += pn->size;
		} else {
			rest = pr->n_ns - 1;
		}
	}

	if (wanted > available || (rest != SIZE_MAX && available - wanted < SZ_16M)) {
		char w[SIZE_BUF], a[SIZE_BUF];

		/*
		 * The built-in policy provisions a region that has room. One
		 * whose capacity namespaces it did not make already hold (by
		 * hand, by another tool) is theirs: left as it is, at every
		 * boot, and that is not a failure.
		 */
		if (policy->builtin && region->n_namespaces > 0 && pr->n_ns == 1 && rest == 0)
			return plan_skip(pr,
					 "%s: its capacity is held by namespaces the built-in policy did not make (%s "
					 "free): left as it is",
					 region->devname, size_format_human(available, a, sizeof(a)));

		return plan_refuse(pr, APPLY_REFUSED_CAPACITY,
				   "%s: the policy asks for %s (%llu bytes)%s, but only %s (%llu bytes) is free: left as "
				   "it is",
				   region->devname, size_format_human(wanted, w, sizeof(w)), (unsigned long long)wanted,
				   rest != SIZE_MAX ? " plus at least 16 MiB for the rest" : "",
				   size_format_human(available, a, sizeof(a)), (unsigned long long)available);
	}
	if (rest != SIZE_MAX) {
		struct plan_ns *pn = &pr->ns[rest];

		pn->size = align_down(available - wanted, plan_size_unit(region, pn->align ? pn->align : mm_fault_unit(pr->mm)));
		if (pn->size < SZ_16M) {
			char a[SIZE_BUF];

			return plan_refuse(pr, APPLY_REFUSED_CAPACITY, "%s: only %s is left for \"%s\", below the 16 MiB minimum: left as it is",
					   region->devname, size_format_human(available - wanted, a, sizeof(a)),
					   pn->name);
		}
	}
	return plan_check_xfs_sizes(pr);
}
