// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Acting on a plan, through libndctl and libdaxctl. Every step that could
 * destroy data re-checks the device right before it, under the agent lock,
 * because the plan was computed from a snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "disabled.h"
#include "fileio.h"
#include "guard.h"
#include "inventory.h"
#include "log.h"
#include "mkfs.h"
#include "mount.h"
#include "nd.h"
#include "ndops.h"
#include "pending.h"
#include "provision.h"
#include "size.h"
#include "system-ram.h"

/* Log one step at priority and keep it in the run's record: done, or failed. */
static void record(struct apply_log *log, int priority, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void record(struct apply_log *log, int priority, const char *fmt, va_list ap)
{
	char ***list = priority == LOG_ERR ? &log->failed : &log->done;
	size_t *n = priority == LOG_ERR ? &log->n_failed : &log->n_done;
	char *line = NULL, **grown;

	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	log_message(priority, "%s", line);
	grown = realloc(*list, (*n + 1) * sizeof(char *));
	if (!grown)
		abort();
	*list = grown;
	(*list)[(*n)++] = line;
}

static void done(struct apply_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failed(struct apply_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void done(struct apply_log *log, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(log, LOG_NOTICE, fmt, ap);
	va_end(ap);
}

static void failed(struct apply_log *log, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(log, LOG_ERR, fmt, ap);
	va_end(ap);
}

void apply_log_clear(struct apply_log *log)
{
	for (size_t i = 0; i < log->n_done; i++)
		free(log->done[i]);
	for (size_t i = 0; i < log->n_failed; i++)
		free(log->failed[i]);
	free(log->done);
	free(log->failed);
	memset(log, 0, sizeof(*log));
}

static int lookup_id(const char *name, bool group, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(name, &end, 10);
	if (!errno && !*end && v < UINT32_MAX) {
		*ret = (unsigned)v;
		return 0;
	}
	if (group) {
		struct group *gr = getgrnam(name);

		if (!gr)
			return -ENOENT;
		*ret = gr->gr_gid;
	} else {
		struct passwd *pw = getpwnam(name);

		if (!pw)
			return -ENOENT;
		*ret = pw->pw_uid;
	}
	return 0;
}

static int devdax_set_access(const char *dev, const struct ns_policy *p, struct apply_log *log,
			     const char *region)
{
	unsigned uid = (unsigned)-1, gid = (unsigned)-1;
	struct stat st;

	if (!p->owner && !p->group && p->permissions == POLICY_PERMISSIONS_UNSET)
		return 0;
	if (p->owner && lookup_id(p->owner, false, &uid) < 0) {
		failed(log, "%s: %s: no user \"%s\"", region, dev, p->owner);
		return -ENOENT;
	}
	if (p->group && lookup_id(p->group, true, &gid) < 0) {
		failed(log, "%s: %s: no group \"%s\"", region, dev, p->group);
		return -ENOENT;
	}
	if (stat(dev, &st) < 0) {
		failed(log, "%s: %s: %s", region, dev, strerror(errno));
		return -errno;
	}
	if ((uid == (unsigned)-1 || st.st_uid == uid) && (gid == (unsigned)-1 || st.st_gid == gid) &&
	    (p->permissions == POLICY_PERMISSIONS_UNSET || (st.st_mode & 07777) == p->permissions))
		return 0;
	if (chown(dev, uid, gid) < 0 ||
	    (p->permissions != POLICY_PERMISSIONS_UNSET && chmod(dev, p->permissions) < 0)) {
		failed(log, "%s: cannot set owner/permissions of %s: %s", region, dev, strerror(errno));
		return -errno;
	}
	done(log, "%s: set owner %s, group %s, permissions %04o on %s", region, p->owner ? p->owner : "-",
	     p->group ? p->group : "-", p->permissions == POLICY_PERMISSIONS_UNSET ? st.st_mode & 07777 : p->permissions,
	     dev);
	return 0;
}

/* The first device of a devdax namespace, with its path and alignment. */
static struct daxctl_dev *devdax_device(struct ndctl_namespace *ndns)
{
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
	struct daxctl_region *dregion = dax ? ndctl_dax_get_daxctl_region(dax) : NULL;
	struct daxctl_dev *dev;

	if (!dregion)
		return NULL;
	daxctl_dev_foreach(dregion, dev)
		if (daxctl_dev_get_size(dev))
			return dev;
	return NULL;
}

static int devdax_to_system_ram(struct ndctl_namespace *ndns, bool overwrite, struct apply_log *log,
				const char *region)
{
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
	struct daxctl_dev *dev = devdax_device(ndns);
	struct daxctl_memory *mem;
	char uuid[UUID_STR_LEN] = "";
	int r;

	if (!dax || !dev)
		return -ENXIO;
	if (!daxctl_dev_get_memory(dev)) {
		_cleanup_free_ char *path = NULL, *what = NULL, *why = NULL;
		uuid_t uu;
		uint64_t size = daxctl_dev_get_size(dev), align = daxctl_dev_get_align(dev);

		ndctl_dax_get_uuid(dax, uu);
		uuid_unparse(uu, uuid);
		if (asprintf(&path, "/dev/%s", daxctl_dev_get_devname(dev)) < 0)
			return -ENOMEM;
		/* memory the agent gave away in an earlier boot holds what the kernel left there */
		r = system_ram_was(uuid, size, align, &why);
		if (r < 0)
			log_warning("%s: cannot read the record of what was system RAM (%s): %s", region,
				    LOCALSTATEDIR "/lib/vpmem/system-ram", strerror(-r));
		if (why)
			log_notice("%s: %s is not taken as system RAM again by its record: %s", region,
				   daxctl_dev_get_devname(dev), why);
		/* the kernel will use it as memory: whatever it holds is gone */
		r = r > 0 ? 0 : guard_may_destroy_daxdev(path, size, align, overwrite, &what);
		if (r < 0) {
			failed(log, "%s: %s: not handed to the kernel as system RAM (set \"overwrite\": true to give it "
				    "away, destroying that)",
			       region, what ? what : strerror(-r));
			return r;
		}
		r = daxctl_dev_disable(dev);
		if (r == 0)
			r = daxctl_dev_enable_ram(dev);
		if (r < 0) {
			failed(log, "%s: cannot hand %s to the kernel as system RAM: %s", region, daxctl_dev_get_devname(dev),
			       strerror(-r));
			return r;
		}
		r = system_ram_remember(uuid, size, align);
		if (r < 0)
			log_warning("%s: cannot record %s as system RAM in %s (after a reboot it will need \"overwrite\"): %s",
				    region, daxctl_dev_get_devname(dev), LOCALSTATEDIR "/lib/vpmem/system-ram",
				    strerror(-r));
	}
	mem = daxctl_dev_get_memory(dev);
	if (mem && daxctl_memory_is_online(mem) <= 0) {
		r = daxctl_memory_online(mem);
		if (r < 0) {
			failed(log, "%s: cannot online the memory of %s: %s", region, daxctl_dev_get_devname(dev),
			       strerror(-r));
			return r;
		}
		done(log, "%s: %s is now system RAM (%d memory blocks onlined)", region, daxctl_dev_get_devname(dev), r);
	}
	return 0;
}

static int mount_and_verify(const struct plan_region *pr, const struct plan_ns *pn, const char *dev,
			    const char *fstype, const struct ns_state *raw, struct apply_log *log)
{
	const char *region = pr->region->devname;
	const struct mm_geometry *mm = pr->mm;
	char pages[SIZE_BUF];
	bool dax = pn->policy->mode == NS_MODE_FSDAX;
	_cleanup_free_ char *message = NULL;
	int in_effect, r;

	r = mount_namespace(dev, pn->mountpoint, fstype, pn->policy->mount_options, dax, pn->policy->hide_existing_files,
			    &message);
	if (r < 0) {
		failed(log, "%s: cannot mount \"%s\" (%s) at %s: %s", region, pn->name, dev, pn->mountpoint,
		       message ? message : strerror(-r));
		/* raw NVDIMM namespaces have no page map, and current kernels refuse DAX on them */
		if (raw)
			failed(log, "%s: %s is a label-less raw namespace, which the kernel cannot use for DAX; its "
				    "%s filesystem is kept as it is (copy the data off, then apply with \"overwrite\": "
				    "true to make an fsdax namespace of it)",
			       region, dev, fstype);
		return r;
	}
	if (!dax) {
		done(log, "%s: mounted \"%s\" (%s, %s) at %s, without DAX (sector mode)", region, pn->name, dev, fstype,
		     pn->mountpoint);
		return 0;
	}
	in_effect = mount_dax_in_effect(pn->mountpoint, NULL);
	if (in_effect == 0) {
		/* a pmem filesystem silently running through the page cache is worse than none */
		r = unmount_nofollow(pn->mountpoint);
		failed(log, "%s: \"%s\" (%s) mounted at %s without DAX (the kernel turned it off): %s", region,
		       pn->name, dev, pn->mountpoint, r < 0 ? "and it cannot be unmounted" : "unmounted");
		return -EOPNOTSUPP;
	}
	/* without PMD pages (a POWER hash MMU without 16 MiB pages) every fault maps one page */
	done(log, "%s: mounted \"%s\" (%s, %s) at %s with DAX%s%s%s", region, pn->name, dev, fstype, pn->mountpoint,
	     in_effect < 0 ? " (kernel cannot confirm it)" : ", verified",
	     mm->pmd_size ? "" : "; this system has no huge pages, so DAX maps it in pages of ",
	     mm->pmd_size ? "" : size_format_iec(mm->page_size, pages, sizeof(pages)));
	if (strcmp(fstype, "xfs") == 0 && mm->pmd_size) {
		r = xfs_set_extsize_hint(pn->mountpoint, (uint32_t)mm->pmd_size);
		if (r < 0)
			log_warning("%s: cannot set the %s extent size hint on %s: %s", region,
				    size_format_iec(mm->pmd_size, pages, sizeof(pages)), pn->mountpoint, strerror(-r));
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
		log_warning("%s: cannot record that the agent disables %s to rename it (a run killed meanwhile would "
			    "leave it disabled): %s",
			    region, devname, strerror(-r));
	r = nd_namespace_rename(ndns, pn->name);
	if (nd_namespace_is_active(ndns)) {
		k = disabled_forget_namespace(ndns);
		if (k < 0)
			log_warning("%s: cannot drop the record that the agent disabled %s: %s", region, devname,
				    strerror(-k));
	}
	if (r < 0) {
		failed(log, "%s: cannot give %s its name \"%s\" now that its filesystem is made (it is not mounted "
			    "until it has it): %s",
		       region, devname, pn->name, strerror(-r));
		return r;
	}
	/* finishing what an earlier run was stopped in is worth a line; the usual end of an mkfs is not */
	if (pn->fs == FS_ACTION_KEEP)
		done(log, "%s: gave %s its name \"%s\": the agent's mkfs on it had finished", region, devname,
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
			log_warning("%s: cannot record that mkfs.%s of %s is in progress (a crash now would leave a "
				    "device the agent cannot tell from data): %s",
				    region, fstype, blockdev, strerror(-r));
		recorded = r >= 0;
	}
	r = mkfs_run(pn->policy->filesystem, blockdev, pr->mm, force, &striped, &output);
	if (r < 0) {
		failed(log, "%s: mkfs.%s on %s failed: %s%s%s", region, fstype, blockdev,
		       r == -EINTR ? "killed" : strerror(-r), output && *output ? ": " : "", output ? output : "");
		/* cut short by a signal is a crash, which the record is for; a failure licenses nothing later */
		if (recorded && r != -EINTR) {
			int k = mkfs_pending_end(uuid);

			if (k < 0)
				log_warning("%s: cannot drop the record of the failed mkfs.%s on %s: %s", region, fstype,
					    blockdev, strerror(-k));
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
		if (r < 0) {
			failed(log, "%s: made %s on %s, but cannot flush it or drop the record of it: %s", region, fstype,
			       blockdev, strerror(-r));
			return r;
		}
	}
	size_format_iec(pr->mm->pmd_size, pmd, sizeof(pmd));
	if (!pr->mm->pmd_size)
		done(log, "%s: made %s on %s (\"%s\"), without a stripe unit: this system has no huge pages", region,
		     fstype, blockdev, pn->name);
	else if (striped)
		done(log, "%s: made %s on %s (\"%s\"), %s stripe aligned", region, fstype, blockdev, pn->name, pmd);
	else
		done(log, "%s: made %s on %s (\"%s\"), too small for a %s stripe unit: made without one", region,
		     fstype, blockdev, pn->name, pmd);
	return 0;
}

static int provision_fs(const struct plan_region *pr, const struct plan_ns *pn, struct ndctl_namespace *ndns,
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
		failed(log, "%s: \"%s\" has no block device", region, pn->name);
		return -ENODEV;
	}
	if (pn->existing && !pn->reconfigure && pn->existing->mode == NS_MODE_RAW && !region_maps_pages(pr->region))
		raw = pn->existing;
	r = nd_namespace_claim_uuid(ndns, &uuid);
	if (r < 0) {
		failed(log, "%s: cannot read the info block uuid of \"%s\" (%s): %s", region, pn->name, blockdev,
		       strerror(-r));
		return r;
	}
	marked = nd_is_mkfs_marker(ndctl_namespace_get_alt_name(ndns), pn->name);
	if (pn->fs == FS_ACTION_MKFS) {
		_cleanup_free_ char *found = NULL, *signatures = NULL, *what = NULL, *since = NULL;
		int pending = 0;

		/* a new namespace can land on capacity that held an old one: look again, right before */
		r = guard_probe_blockdev(blockdev, &found, &signatures, &what);
		if (r < 0) {
			failed(log, "%s: cannot look at %s (\"%s\") before mkfs: %s", region, blockdev, pn->name,
			       strerror(-r));
			return r;
		}
		if (uuid && !found) {
			pending = mkfs_pending_find(uuid, fstype, blockdev, &since);
			if (pending == -ESTALE) {
				log_notice("%s: the record of an earlier mkfs on %s is for another filesystem type or device "
					   "size: dropped",
					   region, blockdev);
				pending = mkfs_pending_end(uuid);
			}
		}
		if (found && (strcmp(found, fstype) == 0 || guard_signatures_have(signatures, fstype))) {
			/* what the policy asks for is there: kept, also with overwrite */
		} else if (pn->mkfs_again && !found && (pending > 0 || marked)) {
			/* still the agent's own mkfs cut short, looked at again under the lock */
			log_notice("%s: %s holds %s, from the agent's own %s, cut short: making it again", region,
				   blockdev, what ? what : "nothing",
				   pending > 0 ? since : "mkfs, which the namespace's name says was under way");
			r = make_filesystem(pr, pn, ndns, marked, blockdev, uuid, true, log);
			if (r < 0)
				return r;
		} else {
			_cleanup_free_ char *refused = NULL;

			/* a namespace this run made on capacity its label initialisation sampled whole: not twice */
			r = pr->init_labels && !pn->existing && !overwrite && labels_sampled_capacity(pr->region)
				    ? guard_may_destroy_new_blockdev(blockdev, &refused)
				    : guard_may_destroy_blockdev(blockdev, overwrite, &refused);
			if (r < 0) {
				failed(log, "%s: %s (\"%s\"): not formatted. If it holds nothing you need, run "
					    "\"vpmem-agent apply --overwrite %s\" to replace it",
				       region, refused ? refused : strerror(-r), pn->name, region);
				return r;
			}
			r = make_filesystem(pr, pn, ndns, marked, blockdev, uuid, what != NULL, log);
			if (r < 0)
				return r;
		}
	} else if (pn->fs == FS_ACTION_KEEP && pn->mount && uuid && mkfs_pending_find(uuid, fstype, blockdev, NULL) != 0) {
		/* a finished filesystem is never made again: the record outlived its mkfs by a crash */
		r = mkfs_pending_end(uuid);
		if (r < 0)
			log_warning("%s: cannot drop the stale record of mkfs.%s on %s: %s", region, fstype, blockdev,
				    strerror(-r));
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
			failed(log, "%s: %s vanished", rname, pn->existing->devname);
			return -ENODEV;
		}
		if (!pn->reconfigure) {
			*ret_ndns = ndns;
			return 0;
		}
		r = nd_namespace_reconfigure(region, ndns, &spec, pr->overwrite, &what);
		if (r < 0) {
			failed(log, "%s: %s not made a %s namespace: %s", rname, pn->existing->devname,
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
	if (r < 0) {
		failed(log, "%s: cannot create %s namespace \"%s\" of %s: %s", rname, ns_mode_name(p->mode), pn->name,
		       size_format_human(pn->size, s, sizeof(s)), strerror(-r));
		return r;
	}
	*ret_ndns = nd_find_namespace(region, devname);
	if (!*ret_ndns) {
		failed(log, "%s: %s vanished", rname, devname);
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
		failed(log, "%s: gone", rname);
		return -ENODEV;
	}

	if (pr->init_labels) {
		_cleanup_free_ char *what = NULL;

		/* a run stopped while the region is disabled leaves it so: the next one enables it (disabled.h) */
		r = disabled_remember(region);
		if (r < 0)
			/* as before there were records: a run killed now would leave it disabled for a person */
			log_warning("%s: cannot record that the agent disables it to initialise its labels (a run "
				    "killed meanwhile would leave it disabled): %s",
				    rname, strerror(-r));
		r = nd_region_init_labels(region, pr->overwrite, &what);
		if (ndctl_region_is_enabled(region)) {
			int k = disabled_forget(region);

			if (k < 0)
				log_warning("%s: cannot drop the record that the agent disabled it: %s", rname,
					    strerror(-k));
		}
		if (r == -ENOTEMPTY) {
			failed(log, "%s: %s: labels not initialised", rname, what);
			return r;
		}
		if (r < 0) {
			/* the region was disabled for the labels: say so when it could not be enabled again */
			failed(log, "%s: cannot initialise namespace labels: %s%s%s%s", rname, strerror(-r),
			       ndctl_region_is_enabled(region) ? "" : "; it is left disabled (\"ndctl enable-region ",
			       ndctl_region_is_enabled(region) ? "" : rname, ndctl_region_is_enabled(region) ? "" : "\")");
			return r;
		}
		done(log, "%s: initialised namespace labels", rname);
		ndctl_unref(ctx);
		ctx = NULL;
		if (ndctl_new(&ctx) < 0 || !(region = nd_find_region(ctx, pr->region->id))) {
			failed(log, "%s: gone after label initialisation", rname);
			return -ENODEV;
		}
	}

	for (size_t i = 0; i < pr->n_ns; i++) {
		const struct plan_ns *pn = &pr->ns[i];
		_cleanup_free_ char *device = NULL;
		struct ndctl_namespace *ndns;
		int changed;

		if (pn->problem) {
			failed(log, "%s: %s", rname, pn->problem);
			result = -EIO;
			continue;
		}
		changed = provision_namespace(plan, pr, pn, region, &ndns, log);
		if (changed < 0) {
			result = changed;
			continue;
		}
		if (namespace_device(ndns, &device) < 0) {
			failed(log, "%s: \"%s\": %s", rname, pn->name, strerror(ENOMEM));
			return -ENOMEM;
		}
		if (changed)
			done(log, "%s: %s %s namespace \"%s\" (%s, %s)", rname, pn->reconfigure ? "made" : "created",
			     ns_mode_name(pn->policy->mode), pn->name, ndctl_namespace_get_devname(ndns),
			     device ? device : "no device");

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

		if (pr->error) {
			failed(log, "%s", pr->error);
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
	return result;
}
