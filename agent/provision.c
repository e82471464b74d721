// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Acting on a plan, through libndctl and libdaxctl. Every step that could
 * destroy data re-checks the device right before it, under the agent lock,
 * because the plan was computed from a snapshot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-libs.h"
#include "devdax.h"
#include "disabled.h"
#include "filesystem.h"
#include "log.h"
#include "nd.h"
#include "ndops.h"
#include "pending.h"
#include "provision.h"
#include "size.h"

/* The block device (fsdax, sector, raw) or character device (devdax) of a namespace, "/dev/..." or NULL. */
static int namespace_device(struct ndctl_namespace *ndns, char **ret)
{
	struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
	struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);
	struct daxctl_dev *dev = devdax_device(ndns);
	const char *name;

	if (pfn)
		name = ndctl_pfn_get_block_device(pfn);
	else if (btt)
		name = ndctl_btt_get_block_device(btt);
	else if (dev)
		name = daxctl_dev_get_devname(dev);
	else
		name = ndctl_namespace_get_block_device(ndns);
	*ret = NULL;
	if (!name || !*name)
		return 0;
	return asprintf(ret, "/dev/%s", name) < 0 ? -ENOMEM : 0;
}

/* Create, reconfigure or find the namespace of one entry; *ret_ndns NULL when it failed (logged). */
static int provision_namespace(const struct plan *plan, const struct plan_region *pr, const struct plan_ns *pn,
			       struct ndctl_region *region, struct ndctl_namespace **ret_ndns, struct apply_log *log)
{
	const char *rname = pr->region->devname;
	const struct ns_policy *p = pn->policy;
	struct nd_namespace_spec spec = {
		.name = pn->name,
		.size = pn->size,
		.mode = p->mode,
		.align = pn->align,
		.map = p->map,
		.sector_size = p->sector_size,
	};
	_cleanup_free_ char *devname = NULL, *what = NULL;
	char s[SIZE_BUF], marked[ND_NAME_MAX + 1];
	int r;

	*ret_ndns = NULL;
	if (pn->existing) {
		struct ndctl_namespace *ndns = nd_find_namespace(region, pn->existing->devname);

		if (!ndns) {
			apply_log_failed(log, APPLY_FAILED, "%s: %s vanished", rname, pn->existing->devname);
			return -ENODEV;
		}
		if (!pn->reconfigure) {
			*ret_ndns = ndns;
			return 0;
		}
		r = nd_namespace_reconfigure(region, ndns, &spec, pr->overwrite, &what);
		if (r < 0) {
			apply_log_failed(log, r == -ENOTEMPTY ? APPLY_REFUSED_DATA : APPLY_FAILED, "%s: %s not made a %s namespace: %s", rname, pn->existing->devname,
					 ns_mode_name(p->mode), what ? what : strerror(-r));
			return r;
		}
		*ret_ndns = ndns;
		return 1;
	}
	/*
	 * Under its marked name until its filesystem is made (nd.h), where no
	 * record of the mkfs would outlive a power cut: a guest without state
	 * can finish it. Elsewhere the record does, without the second enable
	 * of the namespace that renaming it takes (its whole page map again).
	 */
	if (ns_mode_has_filesystem(p->mode) && p->filesystem != FS_NONE && pn->fs == FS_ACTION_MKFS &&
	    !mkfs_pending_kept() && nd_mkfs_marker(pn->name, marked))
		spec.name = marked;
	r = nd_namespace_create(region, &spec, &devname);
	if (r < 0)
		return apply_log_failed_errno(log, r, "%s: cannot create %s namespace \"%s\" of %s: %m", rname,
					      ns_mode_name(p->mode), pn->name,
					      size_format_human(pn->size, s, sizeof(s)));
	*ret_ndns = nd_find_namespace(region, devname);
	if (!*ret_ndns) {
		apply_log_failed(log, APPLY_FAILED, "%s: %s vanished", rname, devname);
		return -ENODEV;
	}
	return 1;
}

static int apply_region(const struct plan *plan, const struct plan_region *pr, struct apply_log *log)
{
	_cleanup_(ndctl_unrefp) struct ndctl_ctx *ctx = NULL;
	const char *rname = pr->region->devname;
	struct ndctl_region *region;
	int r, result = 0;

	if (ndctl_new(&ctx) < 0 || !(region = nd_find_region(ctx, pr->region->id))) {
		apply_log_failed(log, APPLY_FAILED, "%s: gone", rname);
		return -ENODEV;
	}

	if (pr->init_labels) {
		_cleanup_free_ char *what = NULL;

		/* a run stopped while the region is disabled leaves it so: the next one enables it (disabled.h) */
		r = disabled_remember(region);
		if (r < 0)
			/* as before there were records: a run killed now would leave it disabled for a person */
			log_warning_errno(
				r,
				"%s: cannot record that the agent disables it to initialise its labels (a run "
				"killed meanwhile would leave it disabled): %m",
				rname);
		r = nd_region_init_labels(region, pr->overwrite, &what);
		if (ndctl_region_is_enabled(region)) {
			int k = disabled_forget(region);

			if (k < 0)
				log_warning_errno(k, "%s: cannot drop the record that the agent disabled it: %m",
						  rname);
		}
		if (r == -ENOTEMPTY) {
			apply_log_failed(log, APPLY_REFUSED_DATA, "%s: %s: labels not initialised", rname, what);
			return r;
		}
		if (r < 0) {
			/* the region was disabled for the labels: say so when it could not be enabled again */
			apply_log_failed(
				log, APPLY_FAILED, "%s: cannot initialise namespace labels: %s%s%s%s", rname, strerror(-r),
				ndctl_region_is_enabled(region) ? "" : "; it is left disabled (\"ndctl enable-region ",
				ndctl_region_is_enabled(region) ? "" : rname,
				ndctl_region_is_enabled(region) ? "" : "\")");
			return r;
		}
		apply_log_done(log, "%s: initialised namespace labels", rname);
		ndctl_unref(ctx);
		ctx = NULL;
		if (ndctl_new(&ctx) < 0 || !(region = nd_find_region(ctx, pr->region->id))) {
			apply_log_failed(log, APPLY_FAILED, "%s: gone after label initialisation", rname);
			return -ENODEV;
		}
	}

	for (size_t i = 0; i < pr->n_ns; i++) {
		const struct plan_ns *pn = &pr->ns[i];
		_cleanup_free_ char *device = NULL;
		struct ndctl_namespace *ndns;
		int changed;

		apply_log_subject(log, pr->region,
				  !pn->existing          ? NULL
				  : pn->existing->chardev ? pn->existing->chardev
				  : pn->existing->blockdev ? pn->existing->blockdev
							   : pn->existing->devname);
		if (pn->problem) {
			apply_log_failed(log, pn->problem_reason, "%s: %s", rname, pn->problem);
			result = -EIO;
			continue;
		}
		changed = provision_namespace(plan, pr, pn, region, &ndns, log);
		if (changed < 0) {
			result = changed;
			continue;
		}
		if (namespace_device(ndns, &device) < 0)
			return apply_log_failed_errno(log, ENOMEM, "%s: \"%s\": %m", rname, pn->name);
		apply_log_subject(log, pr->region, device ? device : ndctl_namespace_get_devname(ndns));
		if (changed)
			apply_log_done(log, "%s: %s %s namespace \"%s\" (%s, %s)", rname,
				       pn->reconfigure ? "made" : "created", ns_mode_name(pn->policy->mode), pn->name,
				       ndctl_namespace_get_devname(ndns), device ? device : "no device");

		if (pn->policy->mode == NS_MODE_DEVDAX) {
			if (pn->policy->system_ram)
				r = devdax_to_system_ram(ndns, pr->overwrite, log, rname);
			else if (device)
				r = devdax_set_access(device, pn->policy, log, rname);
			else
				r = 0;
		} else {
			r = provision_fs(pr, pn, ndns, device, pr->overwrite, log);
		}
		if (r < 0)
			result = r;
	}
	return result;
}

/*
 * Does the region need anything done, or looked at on the live system? A
 * region whose namespaces all exist as asked, with their filesystems there
 * and mounted, needs nothing: on the boot path that is every region, and
 * opening a libndctl context to find so (a bus scan and module lookups per
 * region) costs more than the rest of the run.
 */
static bool region_has_work(const struct plan_region *pr)
{
	if (pr->init_labels)
		return true;
	for (size_t i = 0; i < pr->n_ns; i++) {
		const struct plan_ns *pn = &pr->ns[i];
		const struct ns_policy *p = pn->policy;

		if (pn->problem || !pn->existing || pn->reconfigure || pn->mount || pn->fs == FS_ACTION_MKFS ||
		    pn->fs == FS_ACTION_REFUSE)
			return true;
		/* device access and system RAM are checked on the device itself */
		if (p->mode == NS_MODE_DEVDAX &&
		    (p->system_ram || p->owner || p->group || p->permissions != POLICY_PERMISSIONS_UNSET))
			return true;
	}
	return false;
}

int provision_apply(const struct plan *plan, struct apply_log *log)
{
	int result = 0;

	for (size_t i = 0; i < plan->n_regions; i++) {
		const struct plan_region *pr = &plan->regions[i];

		apply_log_subject(log, pr->region, NULL);
		if (pr->error) {
			apply_log_failed(log, pr->error_reason, "%s", pr->error);
			result = -EIO;
			continue;
		}
		if (pr->skipped) {
			log_stderr("%s", pr->skipped);
			continue;
		}
		if (!region_has_work(pr))
			continue;
		if (apply_region(plan, pr, log) < 0)
			result = -EIO;
	}
	apply_log_subject(log, NULL, NULL);
	return result;
}
