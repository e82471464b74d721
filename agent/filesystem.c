// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A namespace's filesystem: kept, or made (bracketed by the record of the
 * mkfs, pending.h, or under the namespace's marked name, nd.h), named, then
 * mounted with DAX and the kernel asked whether DAX is in effect. What may
 * be destroyed, the guard decides, right before, under the agent's lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup-libs.h"
#include "disabled.h"
#include "filesystem.h"
#include "guard.h"
#include "log.h"
#include "mkfs.h"
#include "mount.h"
#include "nd.h"
#include "ndops.h"
#include "pending.h"
#include "size.h"

static int mount_and_verify(const struct plan_region *pr, const struct plan_ns *pn, const char *dev, const char *fstype,
			    const struct ns_state *raw, struct apply_log *log)
{
	const char *region = pr->region->devname;
	const struct mm_geometry *mm = pr->mm;
	char pages[SIZE_BUF];
	bool dax = pn->policy->mode == NS_MODE_FSDAX;
	_cleanup_free_ char *message = NULL;
	int in_effect, r;

	r = mount_namespace(dev, pn->mountpoint, fstype, pn->policy->mount_options, dax,
			    pn->policy->hide_existing_files, &message);
	if (r < 0) {
		apply_log_failed(log, r == -ENOTEMPTY || r == -EBUSY || r == -ELOOP ? APPLY_REFUSED_MOUNTPOINT : APPLY_FAILED, "%s: cannot mount \"%s\" (%s) at %s: %s", region, pn->name, dev, pn->mountpoint,
				 message ? message : strerror(-r));
		/* raw NVDIMM namespaces have no page map, and current kernels refuse DAX on them */
		if (raw)
			apply_log_failed(
				log, APPLY_FAILED,
				"%s: %s is a label-less raw namespace, which the kernel cannot use for DAX; its "
				"%s filesystem is kept as it is (copy the data off, then apply with \"overwrite\": "
				"true to make an fsdax namespace of it)",
				region, dev, fstype);
		return r;
	}
	if (!dax) {
		apply_log_done(log, "%s: mounted \"%s\" (%s, %s) at %s, without DAX (sector mode)", region, pn->name,
			       dev, fstype, pn->mountpoint);
		return 0;
	}
	in_effect = mount_dax_in_effect(pn->mountpoint, NULL);
	if (in_effect == 0) {
		/* a pmem filesystem silently running through the page cache is worse than none */
		r = unmount_nofollow(pn->mountpoint);
		apply_log_failed(log, APPLY_DAX_OFF, "%s: \"%s\" (%s) mounted at %s without DAX (the kernel turned it off): %s",
				 region, pn->name, dev, pn->mountpoint,
				 r < 0 ? "and it cannot be unmounted" : "unmounted");
		return -EOPNOTSUPP;
	}
	/* without PMD pages (a POWER hash MMU without 16 MiB pages) every fault maps one page */
	apply_log_done(log, "%s: mounted \"%s\" (%s, %s) at %s with DAX%s%s%s", region, pn->name, dev, fstype,
		       pn->mountpoint, in_effect < 0 ? " (kernel cannot confirm it)" : ", verified",
		       mm->pmd_size ? "" : "; this system has no huge pages, so DAX maps it in pages of ",
		       mm->pmd_size ? "" : size_format_iec(mm->page_size, pages, sizeof(pages)));
	if (strcmp(fstype, "xfs") == 0 && mm->pmd_size) {
		r = xfs_set_extsize_hint(pn->mountpoint, (uint32_t)mm->pmd_size);
		if (r < 0)
			log_warning_errno(r, "%s: cannot set the %s extent size hint on %s: %m", region,
					  size_format_iec(mm->pmd_size, pages, sizeof(pages)), pn->mountpoint);
	}
	return 0;
}

/* Flush what mkfs wrote, so that the record of it can go. 0 or a negative errno. */
static int flush_blockdev(const char *blockdev)
{
	_cleanup_close_ int fd = open(blockdev, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

/*
 * Did label initialisation sample the region's capacity? It samples every
 * namespace with a size (guard_may_destroy_region()): the label-less
 * namespace over the whole region. A region that showed none had nothing
 * sampled, and its new namespaces are sampled before mkfs.
 */
static bool labels_sampled_capacity(const struct region_state *region)
{
	for (size_t i = 0; i < region->n_namespaces; i++)
		if (region->namespaces[i].size)
			return true;
	return false;
}

/* The namespace's marked name (nd.h) becomes its own, now that its filesystem is made. 0 or -errno (logged). */
static int rename_marked(const struct plan_region *pr, const struct plan_ns *pn, struct ndctl_namespace *ndns,
			 struct apply_log *log)
{
	const char *region = pr->region->devname;
	_cleanup_free_ char *devname = strdup(ndctl_namespace_get_devname(ndns));
	int r, k;

	if (!devname)
		return -ENOMEM;
	/* a run stopped while it is disabled leaves it so: the next one enables it (disabled.h) */
	r = disabled_remember_namespace(ndns);
	if (r < 0)
		log_warning_errno(
			r,
			"%s: cannot record that the agent disables %s to rename it (a run killed meanwhile would "
			"leave it disabled): %m",
			region, devname);
	r = nd_namespace_rename(ndns, pn->name);
	if (nd_namespace_is_active(ndns)) {
		k = disabled_forget_namespace(ndns);
		if (k < 0)
			log_warning_errno(k, "%s: cannot drop the record that the agent disabled %s: %m", region,
					  devname);
	}
	if (r < 0)
		return apply_log_failed_errno(
			log, r,
			"%s: cannot give %s its name \"%s\" now that its filesystem is made (it is not mounted "
			"until it has it): %m",
			region, devname, pn->name);
	/* finishing what an earlier run was stopped in is worth a line; the usual end of an mkfs is not */
	if (pn->fs == FS_ACTION_KEEP)
		apply_log_done(log, "%s: gave %s its name \"%s\": the agent's mkfs on it had finished", region, devname,
			       pn->name);
	else
		log_info("%s: gave %s its name \"%s\"", region, devname, pn->name);
	return 0;
}

/*
 * mkfs, bracketed by the record that lets a run after a crash recognise
 * what it leaves (pending.h). The caller has proven the device empty, or
 * has overwrite, or found the record of this very mkfs.
 */
static int make_filesystem(const struct plan_region *pr, const struct plan_ns *pn, struct ndctl_namespace *ndns,
			   bool marked, const char *blockdev, const char *uuid, bool force, struct apply_log *log)
{
	const char *fstype = fs_type_name(pn->policy->filesystem), *region = pr->region->devname;
	_cleanup_free_ char *output = NULL;
	char pmd[SIZE_BUF];
	bool recorded = false, striped = false;
	int r;

	if (uuid) {
		r = mkfs_pending_begin(uuid, fstype, blockdev);
		if (r < 0)
			log_warning_errno(
				r,
				"%s: cannot record that mkfs.%s of %s is in progress (a crash now would leave a "
				"device the agent cannot tell from data): %m",
				region, fstype, blockdev);
		recorded = r >= 0;
	}
	r = mkfs_run(pn->policy->filesystem, blockdev, pr->mm, force, &striped, &output);
	if (r < 0) {
		apply_log_failed(log, APPLY_FAILED, "%s: mkfs.%s on %s failed: %s%s%s", region, fstype, blockdev,
				 r == -EINTR ? "killed" : strerror(-r), output && *output ? ": " : "",
				 output ? output : "");
		/* cut short by a signal is a crash, which the record is for; a failure licenses nothing later */
		if (recorded && r != -EINTR) {
			int k = mkfs_pending_end(uuid);

			if (k < 0)
				log_warning_errno(k, "%s: cannot drop the record of the failed mkfs.%s on %s: %m",
						  region, fstype, blockdev);
		}
		/* nor does the namespace's marked name (nd.h) */
		if (marked && r != -EINTR)
			(void)rename_marked(pr, pn, ndns, log);
		return r;
	}
	if (recorded) {
		r = flush_blockdev(blockdev);
		if (r == 0)
			r = mkfs_pending_end(uuid);
		if (r < 0)
			return apply_log_failed_errno(
				log, r, "%s: made %s on %s, but cannot flush it or drop the record of it: %m", region,
				fstype, blockdev);
	}
	size_format_iec(pr->mm->pmd_size, pmd, sizeof(pmd));
	if (!pr->mm->pmd_size)
		apply_log_done(log, "%s: made %s on %s (\"%s\"), without a stripe unit: this system has no huge pages",
			       region, fstype, blockdev, pn->name);
	else if (striped)
		apply_log_done(log, "%s: made %s on %s (\"%s\"), %s stripe aligned", region, fstype, blockdev, pn->name,
			       pmd);
	else
		apply_log_done(log, "%s: made %s on %s (\"%s\"), too small for a %s stripe unit: made without one",
			       region, fstype, blockdev, pn->name, pmd);
	return 0;
}

int provision_fs(const struct plan_region *pr, const struct plan_ns *pn, struct ndctl_namespace *ndns,
		 const char *blockdev, bool overwrite, struct apply_log *log)
{
	const char *fstype = fs_type_name(pn->policy->filesystem), *region = pr->region->devname;
	const struct ns_state *raw = NULL;
	_cleanup_free_ char *uuid = NULL;
	bool marked;
	int r;

	if (pn->fs == FS_ACTION_NONE)
		return 0;
	if (!blockdev) {
		apply_log_failed(log, APPLY_FAILED, "%s: \"%s\" has no block device", region, pn->name);
		return -ENODEV;
	}
	if (pn->existing && !pn->reconfigure && pn->existing->mode == NS_MODE_RAW && !region_maps_pages(pr->region))
		raw = pn->existing;
	r = nd_namespace_claim_uuid(ndns, &uuid);
	if (r < 0)
		return apply_log_failed_errno(log, r, "%s: cannot read the info block uuid of \"%s\" (%s): %m", region,
					      pn->name, blockdev);
	marked = nd_is_mkfs_marker(ndctl_namespace_get_alt_name(ndns), pn->name);
	if (pn->fs == FS_ACTION_MKFS) {
		_cleanup_free_ char *found = NULL, *signatures = NULL, *what = NULL, *since = NULL, *refused = NULL;
		struct guard_fs_facts facts = {
			.want = fstype,
			.mounted = pn->existing && pn->existing->mountpoint,
			.overwrite = overwrite,
		};
		int pending = 0;
		bool force;

		/* a new namespace can land on capacity that held an old one: look again, right before */
		r = guard_probe_blockdev(blockdev, &found, &signatures, &what);
		if (r < 0)
			return apply_log_failed_errno(log, r, "%s: cannot look at %s (\"%s\") before mkfs: %m", region,
						      blockdev, pn->name);
		if (uuid && !found) {
			pending = mkfs_pending_find(uuid, fstype, blockdev, &since);
			if (pending == -ESTALE) {
				log_notice("%s: the record of an earlier mkfs on %s is for another filesystem type or "
					   "device size: dropped",
					   region, blockdev);
				pending = mkfs_pending_end(uuid);
			}
		}
		facts.fstype = found;
		facts.signatures = signatures;
		facts.contents = what;
		facts.own_mkfs = pending > 0 || marked;
		switch (guard_decide_fs(&facts, &force)) {
		case GUARD_FS_KEEP:
			break;
		case GUARD_FS_MAKE_AGAIN:
			/* still the agent's own mkfs cut short, looked at again under the lock */
			log_notice("%s: %s holds %s, from the agent's own %s, cut short: making it again", region,
				   blockdev, what,
				   pending > 0 ? since : "mkfs, which the namespace's name says was under way");
			r = make_filesystem(pr, pn, ndns, marked, blockdev, uuid, force, log);
			if (r < 0)
				return r;
			break;
		case GUARD_FS_REFUSE:
		case GUARD_FS_MAKE:
			/*
			 * The whole device, by the guard's samples, unless a
			 * namespace this run made on capacity its label
			 * initialisation sampled whole: not twice.
			 */
			r = pr->init_labels && !pn->existing && !overwrite && labels_sampled_capacity(pr->region)
				    ? guard_may_destroy_new_blockdev(blockdev, &refused)
				    : guard_may_destroy_blockdev(blockdev, overwrite, &refused);
			if (r < 0) {
				apply_log_failed(log, refused ? APPLY_REFUSED_DATA : APPLY_FAILED,
						 "%s: %s (\"%s\"): not formatted. If it holds nothing you need, run "
						 "\"vpmem-agent apply --overwrite %s\" to replace it",
						 region, refused ? refused : strerror(-r), pn->name, region);
				return r;
			}
			r = make_filesystem(pr, pn, ndns, marked, blockdev, uuid, force, log);
			if (r < 0)
				return r;
			break;
		}
	} else if (pn->fs == FS_ACTION_KEEP && pn->mount && uuid &&
		   mkfs_pending_find(uuid, fstype, blockdev, NULL) != 0) {
		/* a finished filesystem is never made again: the record outlived its mkfs by a crash */
		r = mkfs_pending_end(uuid);
		if (r < 0)
			log_warning_errno(r, "%s: cannot drop the stale record of mkfs.%s on %s: %m", region, fstype,
					  blockdev);
	}
	/* the filesystem is made: the namespace gets its own name, before anything can store data on it */
	if (marked && pn->fs != FS_ACTION_REFUSE) {
		r = rename_marked(pr, pn, ndns, log);
		if (r < 0)
			return r;
	}
	if (!pn->mount)
		return 0;
	return mount_and_verify(pr, pn, blockdev, fstype, raw, log);
}
