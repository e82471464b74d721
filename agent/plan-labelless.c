// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The planner for regions without labels: NVDIMMs without a label area
 * (QEMU's default, Kata), virtio-pmem, e820 (memmap=), and label-capable
 * NVDIMMs whose label-less namespace is kept. Such a region holds one
 * namespace over all of it, which has no name and can only change mode (the
 * kernel keeps the mode in an info block 4 KiB into the namespace). The
 * region's one policy entry is matched to it by region, and what is there
 * is recognised by its mode and filesystem: a rerun or a reboot finds the
 * same and changes nothing.
 */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "plan-internal.h"
#include "size.h"
#include "strutil.h"

/* The one namespace of a label-less region, NULL when there is none or more than one. */
const struct ns_state *plan_label_less_namespace(const struct region_state *region)
{
	return region->n_namespaces == 1 ? &region->namespaces[0] : NULL;
}

/* Is what is on ns already what p asks for? (A personality of its mode, or its filesystem on a raw namespace.) */
bool plan_label_less_matches(const struct region_state *region, const struct ns_policy *p, const struct ns_state *ns)
{
	if (ns->mode == p->mode)
		return true;
	/* a filesystem on the raw namespace: DAX works there where the kernel maps its pages */
	return ns->mode == NS_MODE_RAW && p->mode == NS_MODE_FSDAX && p->filesystem != FS_NONE && ns->fstype &&
	       strcmp(ns->fstype, fs_type_name(p->filesystem)) == 0 && region_maps_pages(region);
}

/* A raw NVDIMM namespace holding the asked filesystem: kept and mounted, DAX or not is the kernel's word. */
static bool raw_holds_asked_fs(const struct ns_policy *p, const struct ns_state *ns)
{
	return ns->mode == NS_MODE_RAW && p->mode == NS_MODE_FSDAX && p->filesystem != FS_NONE && ns->fstype &&
	       strcmp(ns->fstype, fs_type_name(p->filesystem)) == 0;
}

int plan_label_less(struct plan_region *pr, const struct policy *policy)
{
	const struct region_state *region = pr->region;
	const struct ns_state *ns = plan_label_less_namespace(region);
	const struct ns_policy *p = NULL;
	_cleanup_free_ char *why = NULL;
	struct plan_ns *pn;
	size_t entries = 0;
	int r;

	for (size_t i = 0; i < policy->n_namespaces; i++)
		if (plan_entry_applies(&policy->namespaces[i], region)) {
			p = p ? p : &policy->namespaces[i];
			entries++;
		}
	if (!p)
		return 0;
	if (!ns)
		return plan_refuse(pr, APPLY_REFUSED_DEVICE, "%s has no labels and %zu namespaces, not one: left as it is", region->devname,
				   region->n_namespaces);
	if (entries > 1)
		return plan_refuse(pr, APPLY_REFUSED_DEVICE,
				   "%s (%s) is label-less: one namespace over the whole region, but the policy has %zu "
				   "entries for it: left as it is",
				   region->devname, region_kind_describe(region), entries);
	if (p->size && p->size != ns->size) {
		char s[SIZE_BUF], w[SIZE_BUF];

		return plan_refuse(pr, APPLY_REFUSED_CAPACITY,
				   "%s (%s) is label-less: one namespace over the whole region (%s), \"%s\" asks for "
				   "%s: left as it is",
				   region->devname, region_kind_describe(region), size_format_human(ns->size, w, sizeof(w)),
				   p->name, size_format_human(p->size, s, sizeof(s)));
	}

	r = plan_add_ns(pr, p, &pn);
	if (r < 0)
		return r;
	pn->existing = ns;
	pn->size = ns->size;

	if (plan_label_less_matches(region, p, ns) || (raw_holds_asked_fs(p, ns) && !pr->overwrite)) {
		/* there already: keep it, make or keep its filesystem, mount it */
		r = plan_decide_fs(pn, region, ns, pr->overwrite);
		if (r < 0 || pn->fs == FS_ACTION_REFUSE)
			return r;
		if (pn->mountpoint && ns->mountpoint && strcmp(ns->mountpoint, pn->mountpoint) != 0) {
			pn->problem_reason = APPLY_REFUSED_CONFLICT;
			pn->problem = strdup_printf("%s (%s) is mounted at %s, the policy asks for %s: left as it is",
						    ns->devname, ns->blockdev ? ns->blockdev : "", ns->mountpoint,
						    pn->mountpoint);
			return pn->problem ? 0 : -ENOMEM;
		}
		pn->mount = pn->mountpoint && !ns->mountpoint;
		return 0;
	}

	/* anything else on it is data unless it is provably empty */
	if (!pr->overwrite && (ns->mode != NS_MODE_RAW || ns->contents)) {
		if (ns->mode != NS_MODE_RAW)
			return plan_refuse(pr, APPLY_REFUSED_CONFLICT,
					   "%s (%s): %s is a %s namespace, the policy asks for %s (\"%s\"): left as it "
					   "is (run \"vpmem-agent apply --overwrite %s\", or set \"overwrite\": true, to change "
					   "its mode, destroying its data)",
					   region->devname, region_kind_describe(region), ns->devname,
					   ns_mode_name(ns->mode), ns_mode_name(p->mode), p->name, region->devname);
		return plan_refuse(pr, APPLY_REFUSED_DATA,
				   "%s (%s): %s holds %s: left as it is (if it holds nothing you need, run \"vpmem-agent "
				   "apply --overwrite %s\", or set \"overwrite\": true, to make %s %s namespace of it, "
				   "destroying that)",
				   region->devname, region_kind_describe(region),
				   ns->blockdev ? ns->blockdev : ns->devname, ns->contents, region->devname,
				   p->mode == NS_MODE_FSDAX ? "an" : "a", ns_mode_name(p->mode));
	}

	/* the kernel gives a mode only to a namespace that is a whole number of region alignments */
	if (region->align && ns->size % region->align) {
		char s[SIZE_BUF], a[SIZE_BUF];

		return plan_refuse(pr, APPLY_REFUSED_DEVICE,
				   "%s (%s): %s is %s (%llu bytes), not a multiple of the region alignment (%s): the "
				   "kernel cannot give it a mode. Size the device on the host so that it is (QEMU: the "
				   "backing size less the label a multiple of %s); left as it is",
				   region->devname, region_kind_describe(region), ns->devname,
				   size_format_human(ns->size, s, sizeof(s)), (unsigned long long)ns->size,
				   size_format(region->align, a, sizeof(a)), a);
	}
	pn->reconfigure = true;
	r = plan_ns_align(pr, pn, &why);
	if (r < 0)
		return r == -EINVAL ? plan_refuse(pr, APPLY_REFUSED_DEVICE, "%s", why) : r;
	r = plan_decide_fs(pn, region, NULL, pr->overwrite);
	if (r < 0)
		return r;
	pn->mount = pn->mountpoint != NULL;
	return plan_check_xfs_sizes(pr);
}
