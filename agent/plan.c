// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Planning: from the policy and a snapshot of the system, decide everything
 * apply will do, region by region, before anything is changed. A region
 * whose plan does not fit is refused whole; an entry that conflicts with what
 * is on the system is refused alone. Nothing here changes the system: it
 * reads the snapshot, and the agent's own records (pending.h) to tell its
 * own mkfs cut short from data. What may be destroyed, the guard decides.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-libs.h"
#include "guard.h"
#include "mkfs.h"
#include "mountpoint.h"
#include "pending.h"
#include "plan-internal.h"
#include "size.h"
#include "strutil.h"

/* Replace *reason with the formatted text. 0, or -ENOMEM. */
static int set_reason(char **reason, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static int set_reason(char **reason, const char *fmt, va_list ap)
{
	char *s = strdup_vprintf(fmt, ap);

	free(*reason);
	*reason = s;
	return s ? 0 : -ENOMEM;
}

int plan_refuse(struct plan_region *pr, enum apply_reason reason, const char *fmt, ...)
{
	va_list ap;
	int r;

	pr->error_reason = reason;
	va_start(ap, fmt);
	r = set_reason(&pr->error, fmt, ap);
	va_end(ap);
	return r;
}

static void plan_ns_clear(struct plan_region *pr)
{
	for (size_t j = 0; j < pr->n_ns; j++) {
		free(pr->ns[j].name);
		free(pr->ns[j].mountpoint);
		free(pr->ns[j].problem);
		free(pr->ns[j].mkfs_again);
	}
	free(pr->ns);
	pr->ns = NULL;
	pr->n_ns = 0;
}

int plan_skip(struct plan_region *pr, const char *fmt, ...)
{
	va_list ap;
	int r;

	plan_ns_clear(pr);
	pr->init_labels = false;
	va_start(ap, fmt);
	r = set_reason(&pr->skipped, fmt, ap);
	va_end(ap);
	return r;
}

uint64_t plan_size_unit(const struct region_state *region, uint64_t align)
{
	uint64_t unit = align * (region->ways ? region->ways : 1);

	if (region->align > unit)
		unit = region->align;
	return unit;
}

bool plan_align_supported(const struct region_state *region, enum ns_mode mode, uint64_t align)
{
	const uint64_t *list = mode == NS_MODE_DEVDAX ? region->devdax_aligns : region->fsdax_aligns;
	size_t n = mode == NS_MODE_DEVDAX ? region->n_devdax_aligns : region->n_fsdax_aligns;

	/* older kernels do not list alignments: let the kernel decide */
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (list[i] == align)
			return true;
	return false;
}

int plan_ns_align(const struct plan_region *pr, struct plan_ns *pn, char **why)
{
	const struct region_state *region = pr->region;
	const struct ns_policy *p = pn->policy;
	uint64_t *ret = &pn->align;
	const uint64_t *list = p->mode == NS_MODE_DEVDAX ? region->devdax_aligns : region->fsdax_aligns;
	size_t n = p->mode == NS_MODE_DEVDAX ? region->n_devdax_aligns : region->n_fsdax_aligns;
	char a[SIZE_BUF], can[MAX_ALIGNMENTS * (SIZE_BUF + 2)] = "";
	size_t used = 0;

	if (p->mode == NS_MODE_SECTOR) {
		*ret = 0;
		return 0;
	}
	if (!p->align) {
		/*
		 * As the kernel itself picks: the PMD size, when this kernel
		 * has one and the region can align to it (a POWER hash MMU
		 * without 16 MiB pages has none), else the page size.
		 */
		*ret = pr->mm->pmd_size && plan_align_supported(region, p->mode, pr->mm->pmd_size) ? pr->mm->pmd_size
												    : pr->mm->page_size;
		return 0;
	}
	if (plan_align_supported(region, p->mode, p->align)) {
		*ret = p->align;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(can + used, sizeof(can) - used, "%s%s", i ? ", " : "",
					 size_format(list[i], a, sizeof(a)));
	*why = strdup_printf("%s does not support align %s for %s namespaces (\"%s\"): it can do %s", region->devname,
			     size_format(p->align, a, sizeof(a)), ns_mode_name(p->mode), pn->name, can);
	return *why ? -EINVAL : -ENOMEM;
}

bool plan_entry_applies(const struct ns_policy *p, const struct region_state *region)
{
	return p->region == POLICY_REGION_ANY || p->region == (int)region->id;
}

int plan_decide_fs(struct plan_ns *pn, const struct region_state *region, const struct ns_state *ns, bool overwrite)
{
	const struct ns_policy *p = pn->policy;
	const char *want = fs_type_name(p->filesystem);
	struct guard_fs_facts facts = {
		.want = want,
		.overwrite = overwrite,
	};
	_cleanup_free_ char *since = NULL;
	bool force;
	int r;

	pn->fs = FS_ACTION_MKFS;
	if (!ns_mode_has_filesystem(p->mode) || p->filesystem == FS_NONE) {
		pn->fs = FS_ACTION_NONE;
		return 0;
	}
	if (!ns)
		return 0;
	facts.fstype = ns->fstype;
	facts.signatures = ns->signatures;
	facts.contents = ns->contents;
	facts.mounted = ns->mountpoint != NULL;
	/* the agent's own mkfs cut short: by its record (pending.h; read here, changed only by apply) */
	if (ns->contents && !ns->fstype && ns->claim_uuid) {
		r = mkfs_pending_find(ns->claim_uuid, want, ns->blockdev, &since);
		if (r == -ENOMEM)
			return r;
		facts.own_mkfs = r > 0;
	}
	/* or, where no record survived, by the namespace's own name (nd.h) */
	if (!facts.own_mkfs && nd_is_mkfs_marker(ns->name, pn->name)) {
		since = strdup_printf("mkfs.%s on %s, which the namespace's name (\"%s\") says was under way", want,
				      ns->blockdev ? ns->blockdev : ns->devname, ns->name);
		if (!since)
			return -ENOMEM;
		facts.own_mkfs = true;
	}
	switch (guard_decide_fs(&facts, &force)) {
	case GUARD_FS_KEEP:
		pn->fs = FS_ACTION_KEEP;
		return 0;
	case GUARD_FS_MAKE_AGAIN:
		pn->mkfs_again = TAKE_PTR(since);
		return 0;
	case GUARD_FS_REFUSE:
		pn->fs = FS_ACTION_REFUSE;
		pn->problem_reason = APPLY_REFUSED_DATA;
		pn->problem = strdup_printf("%s holds %s; the policy asks for %s: left as it is. If it holds nothing "
					    "you need (a first provisioning cut short by a crash can leave this), run "
					    "\"vpmem-agent apply --overwrite %s\" to make %s on it, destroying what is there",
					    ns->blockdev ? ns->blockdev : ns->devname, ns->contents, want,
					    region->devname, want);
		return pn->problem ? 0 : -ENOMEM;
	case GUARD_FS_MAKE:
		break;
	}
	return 0;
}

int plan_add_ns(struct plan_region *pr, const struct ns_policy *p, struct plan_ns **ret)
{
	struct plan_ns *grown = realloc(pr->ns, (pr->n_ns + 1) * sizeof(*grown)), *pn;

	if (!grown)
		return -ENOMEM;
	pr->ns = grown;
	pn = &pr->ns[pr->n_ns++];
	memset(pn, 0, sizeof(*pn));
	pn->policy = p;
	pn->name = ns_policy_name_for(p, pr->region->id);
	pn->mountpoint = ns_policy_mountpoint_for(p, pr->region->id);
	if (!pn->name)
		return -ENOMEM;
	*ret = pn;
	return 0;
}

int plan_check_xfs_sizes(struct plan_region *pr)
{
	/* xfsprogs will not make a filesystem under 300 MiB: say so before changing anything */
	for (size_t i = 0; i < pr->n_ns; i++) {
		struct plan_ns *pn = &pr->ns[i];
		uint64_t usable;

		if ((pn->existing && !pn->reconfigure) || pn->fs != FS_ACTION_MKFS || pn->policy->filesystem != FS_XFS)
			continue;
		usable = pn->policy->mode == NS_MODE_SECTOR
				 ? pn->size
				 : ns_usable_size_estimate(pn->size, pn->align, pn->policy->map, pr->mm->page_size);
		if (usable < XFS_MIN_SIZE) {
			char s[SIZE_BUF];

			return plan_refuse(pr, APPLY_REFUSED_CAPACITY,
					   "%s: \"%s\" would be %s, too small for xfs (at least 300 MiB): give it more "
					   "space or use \"filesystem\": \"ext4\"; left as it is",
					   pr->region->devname, pn->name, size_format_human(usable, s, sizeof(s)));
		}
	}
	return 0;
}

/*
 * A label-capable region without labels yet: initialise them when its
 * label-less namespace is provably empty, or when overwrite is set and what is
 * there is not what the policy asks for. Otherwise the label-less namespace
 * is kept (or refused) by the label-less planner.
 */
static bool wants_labels(const struct plan_region *pr, const struct policy *policy)
{
	const struct region_state *region = pr->region;
	const struct ns_state *ns = plan_label_less_namespace(region);
	const struct ns_policy *p = NULL;
	size_t entries = 0;

	if (!region->label_capable || region->labelled)
		return false;
	if (region->n_namespaces == 0 || (ns && ns->mode == NS_MODE_RAW && !ns->contents))
		return true;
	if (!pr->overwrite || !ns)
		return pr->overwrite;
	for (size_t i = 0; i < policy->n_namespaces; i++)
		if (plan_entry_applies(&policy->namespaces[i], region)) {
			p = &policy->namespaces[i];
			entries++;
		}
	return entries != 1 || !plan_label_less_matches(region, p, ns);
}

static int plan_region(struct plan_region *pr, const struct policy *policy)
{
	const struct region_state *region = pr->region;
	bool any = false, dax = false;

	for (size_t i = 0; i < policy->n_namespaces; i++) {
		const struct ns_policy *p = &policy->namespaces[i];

		if (!plan_entry_applies(p, region))
			continue;
		any = true;
		dax |= p->mode != NS_MODE_SECTOR;
		/* devdax has no fsync: on an asynchronous region nothing would ever reach the host's media */
		if (region->async && p->mode == NS_MODE_DEVDAX)
			return plan_refuse(pr, APPLY_REFUSED_DEVICE,
					   "%s is %s, which is asynchronous: writes persist only through fsync/msync "
					   "of a file, which device-dax%s cannot do; \"%s\" cannot be %s there (use "
					   "fsdax): left as it is",
					   region->devname, region_kind_describe(region),
					   p->system_ram ? " as system RAM" : "", p->name,
					   p->system_ram ? "system RAM" : "devdax");
		/*
		 * The BTT flushes from inside its per-CPU lane, with preemption
		 * off, and an asynchronous region's flush waits for the host:
		 * seen here on 6.1, mkfs on such a device ends in "BUG:
		 * scheduling while atomic" and a killed process.
		 */
		if (region->async && p->mode == NS_MODE_SECTOR)
			return plan_refuse(pr, APPLY_REFUSED_DEVICE,
					   "%s is %s, which is asynchronous: the kernel's sector mode (BTT) flushes it "
					   "where it cannot wait for the host, and crashes the writer; \"%s\" cannot be a "
					   "sector namespace there (use fsdax): left as it is",
					   region->devname, region_kind_describe(region), p->name);
	}
	if (!any)
		return 0;
	if (!region->enabled)
		return plan_refuse(pr, APPLY_REFUSED_DEVICE, "%s is disabled: left as it is (\"ndctl enable-region %s\" enables it)",
				   region->devname, region->devname);
	if (region->readonly)
		return plan_refuse(pr, APPLY_REFUSED_DEVICE, "%s is read-only: left as it is", region->devname);

	/*
	 * The kernel creates fsdax and devdax namespaces only at addresses
	 * aligned to its memory-hotplug granularity (memremap_compat_align():
	 * 2 MiB, 16 MiB on a POWER hash MMU with 16 MiB pages). QEMU places a
	 * vNVDIMM right after the previous one, whose size less the label
	 * carved from its end need not be a multiple of that: such a region
	 * can hold no DAX namespace at all, so it is left untouched, labels too.
	 */
	if (dax && region->resource % mm_dax_start_align(pr->mm)) {
		char a[SIZE_BUF], q[SIZE_BUF];

		size_format_iec(mm_dax_start_align(pr->mm), a, sizeof(a));
		size_format(mm_dax_start_align(pr->mm), q, sizeof(q));
		return plan_refuse(pr, APPLY_REFUSED_DEVICE,
				   "%s starts at %#llx, which is not %s aligned: the kernel cannot create fsdax or "
				   "devdax namespaces on it. Place the NVDIMM on a %s boundary (QEMU: "
				   "memory-backend-file align=%s, or a backing size of the label size plus a multiple "
				   "of %s); left as it is",
				   region->devname, (unsigned long long)region->resource, a, a, q, a);
	}

	if (region->labelled)
		return plan_labelled(pr, policy, region->available);
	if (wants_labels(pr, policy)) {
		/* after init-labels the whole region is free */
		pr->init_labels = true;
		return plan_labelled(pr, policy, region->size);
	}
	return plan_label_less(pr, policy);
}

/*
 * Where a namespace is to be mounted: an empty directory (or none yet), never
 * one that holds files or another mountpoint, whose contents the mount would
 * hide (the system's own directories the policy refuses already:
 * policy_validate). Checked before anything is changed; the mount checks
 * again on the directory it opens (mount.c).
 */
static int plan_check_mountpoints(struct plan_region *pr)
{
	const char *region = pr->region->devname;

	for (size_t i = 0; i < pr->n_ns; i++) {
		const struct plan_ns *pn = &pr->ns[i];
		_cleanup_free_ char *what = NULL;
		int r;

		if (!pn->mount || !pn->mountpoint || pn->problem)
			continue;
		r = mountpoint_path_check(pn->mountpoint, &what);
		if (r == -ENOMEM)
			return r;
		if (r == -ENOTEMPTY && pn->policy->hide_existing_files)
			continue;
		if (r == -ENOTEMPTY)
			return plan_refuse(pr, APPLY_REFUSED_MOUNTPOINT,
					   "%s: %s holds %s: \"%s\" is not mounted over it, which would hide what it "
					   "holds (empty it, choose another mountpoint, or give the entry "
					   "\"hide_existing_files\": true); left as it is",
					   region, pn->mountpoint, what ? what : "files", pn->name);
		if (r == -EBUSY)
			return plan_refuse(pr, APPLY_REFUSED_MOUNTPOINT,
					   "%s: %s is already a mountpoint of another filesystem: \"%s\" is not mounted "
					   "over it, which would hide it; left as it is",
					   region, pn->mountpoint, pn->name);
		if (r == -ELOOP)
			return plan_refuse(pr, APPLY_REFUSED_MOUNTPOINT,
					   "%s: a component of %s is a symbolic link: \"%s\" is not mounted through it; "
					   "left as it is",
					   region, pn->mountpoint, pn->name);
		if (r < 0)
			return plan_refuse(pr, APPLY_REFUSED_MOUNTPOINT, "%s: cannot look at %s, where \"%s\" would be mounted: %s; left as it is",
					   region, pn->mountpoint, pn->name, strerror(-r));
	}
	return 0;
}

int plan_build(const struct policy *policy, const struct inventory *inv, const bool *selected,
	       const struct mm_geometry *mm, struct plan *ret)
{
	struct plan plan = { .mm = mm };
	int r;

	plan.regions = calloc(inv->n_regions ? inv->n_regions : 1, sizeof(*plan.regions));
	if (!plan.regions)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_regions; i++) {
		struct plan_region *pr;

		if (selected && !selected[i])
			continue;
		pr = &plan.regions[plan.n_regions++];
		pr->region = &inv->regions[i];
		pr->mm = mm;
		pr->overwrite = policy_overwrites(policy, pr->region->id, pr->region->dimms);
		r = plan_region(pr, policy);
		if (r >= 0 && !pr->error)
			r = plan_check_mountpoints(pr);
		if (r < 0) {
			plan_clear(&plan);
			return r;
		}
		/* a refused region does nothing at all */
		if (pr->error)
			pr->init_labels = false;
	}
	*ret = plan;
	return 0;
}

void plan_clear(struct plan *plan)
{
	for (size_t i = 0; i < plan->n_regions; i++) {
		struct plan_region *pr = &plan->regions[i];

		plan_ns_clear(pr);
		free(pr->error);
		free(pr->skipped);
	}
	free(plan->regions);
	memset(plan, 0, sizeof(*plan));
}

bool plan_has_failures(const struct plan *plan)
{
	for (size_t i = 0; i < plan->n_regions; i++) {
		if (plan->regions[i].error)
			return true;
		for (size_t j = 0; j < plan->regions[i].n_ns; j++)
			if (plan->regions[i].ns[j].problem)
				return true;
	}
	return false;
}

/* "align 2M, map dev" or "sector size 4096" */
static const char *describe_new(const struct plan_ns *pn, char *buf, size_t size)
{
	char a[SIZE_BUF];

	if (pn->policy->mode == NS_MODE_SECTOR)
		snprintf(buf, size, "sector size %u", pn->policy->sector_size);
	else
		snprintf(buf, size, "align %s, map %s", size_format(pn->align, a, sizeof(a)), pfn_map_name(pn->policy->map));
	return buf;
}

static void print_ns(const struct plan_region *pr, const struct plan_ns *pn, FILE *out)
{
	const char *region = pr->region->devname;
	const struct ns_policy *p = pn->policy;
	char s[SIZE_BUF], a[64];

	if (pn->problem) {
		fprintf(out, "%s: cannot provision \"%s\": %s\n", region, pn->name, pn->problem);
		return;
	}
	if (pn->reconfigure)
		fprintf(out, "%s: make %s (%s) %s %s namespace \"%s\" (%s)\n", region, pn->existing->devname,
			region_kind_describe(pr->region), p->mode == NS_MODE_FSDAX ? "an" : "a", ns_mode_name(p->mode),
			pn->name, describe_new(pn, a, sizeof(a)));
	else if (pn->existing)
		fprintf(out, "%s: keep %s namespace \"%s\" (%s)\n", region, ns_mode_name(pn->existing->mode), pn->name,
			pn->existing->devname);
	else
		fprintf(out, "%s: create %s namespace \"%s\" of %s (%s)\n", region, ns_mode_name(p->mode), pn->name,
			size_format_human(pn->size, s, sizeof(s)), describe_new(pn, a, sizeof(a)));
	if (pn->fs == FS_ACTION_MKFS)
		fprintf(out, "%s: make %s on \"%s\" (%llu-byte blocks, %s%s)\n", region, fs_type_name(p->filesystem),
			pn->name, (unsigned long long)pr->mm->page_size,
			mkfs_layout_describe(pr->mm, a, sizeof(a)), p->filesystem == FS_XFS ? ", reflink off" : "");
	else if (pn->fs == FS_ACTION_KEEP)
		fprintf(out, "%s: keep the %s filesystem on \"%s\"\n", region, fs_type_name(p->filesystem), pn->name);
	if (pn->mount)
		fprintf(out, "%s: mount \"%s\" at %s%s\n", region, pn->name, pn->mountpoint,
			p->mode == NS_MODE_FSDAX ? " with DAX" : ", without DAX (sector mode)");
	else if (pn->mountpoint)
		fprintf(out, "%s: \"%s\" is mounted at %s\n", region, pn->name, pn->mountpoint);
	if (p->mode == NS_MODE_DEVDAX && p->system_ram)
		fprintf(out, "%s: hand \"%s\" to the kernel as system RAM\n", region, pn->name);
	else if (p->mode == NS_MODE_DEVDAX && (p->owner || p->group || p->permissions != POLICY_PERMISSIONS_UNSET))
		fprintf(out, "%s: set owner, group and permissions of \"%s\"\n", region, pn->name);
}

void plan_print(const struct plan *plan, FILE *out)
{
	size_t lines = 0;

	for (size_t i = 0; i < plan->n_regions; i++) {
		const struct plan_region *pr = &plan->regions[i];

		if (pr->error) {
			fprintf(out, "%s: refused: %s\n", pr->region->devname, pr->error);
			lines++;
			continue;
		}
		if (pr->skipped) {
			fprintf(out, "%s\n", pr->skipped);
			lines++;
			continue;
		}
		if (pr->init_labels) {
			fprintf(out, "%s: initialise namespace labels on", pr->region->devname);
			for (char **d = pr->region->dimms; d && *d; d++)
				fprintf(out, " %s", *d);
			fputc('\n', out);
			lines++;
		}
		for (size_t j = 0; j < pr->n_ns; j++, lines++)
			print_ns(pr, &pr->ns[j], out);
	}
	if (!lines)
		fprintf(out, "nothing to do\n");
}

static const char *fs_action_name(enum fs_action a)
{
	switch (a) {
	case FS_ACTION_KEEP:
		return "keep";
	case FS_ACTION_MKFS:
		return "mkfs";
	case FS_ACTION_REFUSE:
		return "refuse";
	default:
		return "none";
	}
}

static void add_string(struct json_object *o, const char *key, const char *value)
{
	if (value)
		json_object_object_add(o, key, json_object_new_string(value));
}

struct json_object *plan_to_json(const struct plan *plan)
{
	struct json_object *regions = json_object_new_array();

	for (size_t i = 0; i < plan->n_regions; i++) {
		const struct plan_region *pr = &plan->regions[i];
		struct json_object *jr = json_object_new_object(), *jns = json_object_new_array();

		add_string(jr, "region", pr->region->devname);
		json_object_object_add(jr, "init_labels", json_object_new_boolean(pr->init_labels));
		add_string(jr, "error", pr->error);
		add_string(jr, "skipped", pr->skipped);
		for (size_t j = 0; j < pr->n_ns; j++) {
			const struct plan_ns *pn = &pr->ns[j];
			struct json_object *o = json_object_new_object();

			add_string(o, "name", pn->name);
			add_string(o, "mode", ns_mode_name(pn->policy->mode));
			json_object_object_add(o, "create", json_object_new_boolean(!pn->existing && !pn->problem));
			json_object_object_add(o, "reconfigure", json_object_new_boolean(pn->reconfigure && !pn->problem));
			add_string(o, "namespace", pn->existing ? pn->existing->devname : NULL);
			json_object_object_add(o, "size", json_object_new_uint64(pn->size));
			if (ns_mode_has_filesystem(pn->policy->mode) && pn->policy->filesystem != FS_NONE) {
				add_string(o, "filesystem", fs_type_name(pn->policy->filesystem));
				add_string(o, "filesystem_action", fs_action_name(pn->fs));
				add_string(o, "mountpoint", pn->mountpoint);
				json_object_object_add(o, "mount", json_object_new_boolean(pn->mount && !pn->problem));
			}
			add_string(o, "problem", pn->problem);
			json_object_array_add(jns, o);
		}
		json_object_object_add(jr, "namespaces", jns);
		json_object_array_add(regions, jr);
	}
	return regions;
}
