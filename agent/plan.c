// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Planning: from the policy and a snapshot of the system, decide everything
 * apply will do, region by region, before anything is changed. A region
 * whose plan does not fit is refused whole; an entry that conflicts with what
 * is on the system is refused alone. Nothing here touches the system.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-libs.h"
#include "mkfs.h"
#include "plan.h"
#include "size.h"

/* memremap_compat_align() on x86-64: a namespace must start on it */
#define DAX_START_ALIGN SZ_2M

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

uint64_t plan_size_unit(const struct region_state *region, uint64_t align)
{
	uint64_t unit = align * (region->ways ? region->ways : 1);

	if (region->align > unit)
		unit = region->align;
	return unit;
}

static bool align_supported(const struct region_state *region, enum ns_mode mode, uint64_t align)
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

static bool fs_is_dax_capable(const char *fstype)
{
	return fstype && (strcmp(fstype, "xfs") == 0 || strcmp(fstype, "ext4") == 0);
}

static enum fs_action decide_fs(const struct ns_policy *p, const struct ns_state *ns, bool overwrite,
				char **ret_problem)
{
	const char *want = fs_type_name(p->filesystem);

	if (p->mode != NS_MODE_FSDAX || p->filesystem == FS_NONE)
		return FS_ACTION_NONE;
	if (!ns)
		return FS_ACTION_MKFS;
	if (ns->fstype && strcmp(ns->fstype, want) == 0)
		return FS_ACTION_KEEP;
	if (ns->has_data && !overwrite) {
		*ret_problem = ns->fstype ? format("%s holds %s, not %s; set \"overwrite\": true to reformat it",
						   ns->devname, ns->fstype, want)
					  : format("%s holds data but no filesystem; set \"overwrite\": true to "
						   "make %s on it",
						   ns->devname, want);
		return FS_ACTION_REFUSE;
	}
	return FS_ACTION_MKFS;
}

static int add_ns(struct plan_region *pr, struct plan_ns **ret)
{
	struct plan_ns *grown = realloc(pr->ns, (pr->n_ns + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	pr->ns = grown;
	*ret = &pr->ns[pr->n_ns++];
	memset(*ret, 0, sizeof(**ret));
	return 0;
}

/* A label-less region: initialise labels if it is empty, adopt a filesystem on it, or refuse. */
static const struct ns_state *plan_label_less(struct plan_region *pr, const struct policy *policy,
					      bool *ret_stop)
{
	const struct region_state *region = pr->region;
	const struct ns_state *raw = NULL;

	*ret_stop = false;
	for (size_t i = 0; i < region->n_namespaces; i++)
		if (region->namespaces[i].mode == NS_MODE_RAW || region->namespaces[i].blockdev)
			raw = &region->namespaces[i];

	if (raw && raw->has_data && !policy->overwrite) {
		*ret_stop = true;
		if (fs_is_dax_capable(raw->fstype))
			return raw;
		pr->error = raw->fstype
				    ? format("%s has no namespace labels and %s holds %s: left as it is (set "
					     "\"overwrite\": true to re-label it, destroying that data)",
					     region->devname, raw->blockdev ? raw->blockdev : raw->devname, raw->fstype)
				    : format("%s has no namespace labels and %s holds data: left as it is (set "
					     "\"overwrite\": true to re-label it, destroying that data)",
					     region->devname, raw->blockdev ? raw->blockdev : raw->devname);
		return NULL;
	}
	if (!region->label_capable) {
		*ret_stop = true;
		pr->error = format("%s has no namespace labels and its DIMMs have no label area "
				   "(QEMU: -device nvdimm,label-size=128K): cannot create namespaces",
				   region->devname);
		return NULL;
	}
	pr->init_labels = true;
	return NULL;
}

static int plan_region(struct plan_region *pr, const struct policy *policy, long page_size)
{
	const struct region_state *region = pr->region;
	uint64_t available = region->available, wanted = 0;
	struct plan_ns *rest = NULL;
	bool any = false;
	int r;

	for (size_t i = 0; i < policy->n_namespaces; i++)
		if (policy->namespaces[i].region == POLICY_REGION_ANY ||
		    policy->namespaces[i].region == (int)region->id)
			any = true;
	if (!any)
		return 0;

	if (!region->enabled) {
		pr->error = format("%s is disabled: left as it is", region->devname);
		return 0;
	}
	if (region->readonly) {
		pr->error = format("%s is read-only: left as it is", region->devname);
		return 0;
	}

	/*
	 * The kernel creates fsdax and devdax namespaces only at addresses
	 * aligned to its memory-hotplug granularity (2 MiB on x86-64). QEMU
	 * places a vNVDIMM right after the previous one, whose size less the
	 * label carved from its end need not be a 2 MiB multiple: such a region
	 * can hold no DAX namespace at all, so it is left untouched, labels too.
	 */
	if (region->resource % DAX_START_ALIGN) {
		pr->error = format("%s starts at %#llx, which is not 2 MiB aligned: the kernel cannot create fsdax "
				   "or devdax namespaces on it. Place the NVDIMM on a 2 MiB boundary (QEMU: "
				   "memory-backend-file align=2M, or a backing size of the label size plus a multiple of "
				   "2 MiB); left as it is",
				   region->devname, (unsigned long long)region->resource);
		return pr->error ? 0 : -ENOMEM;
	}

	if (!region->labelled) {
		bool stop;
		const struct ns_state *adopt = plan_label_less(pr, policy, &stop);

		if (adopt) {
			/* keep the filesystem where it is; mount it for the first entry that asks for that type */
			for (size_t i = 0; i < policy->n_namespaces; i++) {
				const struct ns_policy *p = &policy->namespaces[i];
				struct plan_ns *pn;

				if (p->region != POLICY_REGION_ANY && p->region != (int)region->id)
					continue;
				if (p->mode != NS_MODE_FSDAX || strcmp(fs_type_name(p->filesystem), adopt->fstype))
					continue;
				r = add_ns(pr, &pn);
				if (r < 0)
					return r;
				pn->policy = p;
				pn->existing = adopt;
				pn->size = adopt->size;
				pn->fs = FS_ACTION_KEEP;
				pn->name = ns_policy_name_for(p, region->id);
				pn->mountpoint = ns_policy_mountpoint_for(p, region->id);
				pn->mount = !adopt->mountpoint;
				if (!pn->name || !pn->mountpoint)
					return -ENOMEM;
				break;
			}
			pr->adopt = adopt;
			pr->notice = format("%s has no namespace labels and %s holds %s: kept as it is, labels not "
					    "initialised",
					    region->devname, adopt->blockdev ? adopt->blockdev : adopt->devname,
					    adopt->fstype);
			if (!pr->n_ns)
				pr->error = format("%s holds an existing %s filesystem that no policy entry asks for: "
						   "left as it is, not mounted",
						   adopt->blockdev ? adopt->blockdev : adopt->devname, adopt->fstype);
			return pr->notice ? 0 : -ENOMEM;
		}
		if (stop)
			return pr->error ? 0 : -ENOMEM;
		/* after init-labels the whole region is free */
		available = region->size;
	}

	for (size_t i = 0; i < policy->n_namespaces; i++) {
		const struct ns_policy *p = &policy->namespaces[i];
		uint64_t unit = plan_size_unit(region, p->align);
		struct plan_ns *pn;

		if (p->region != POLICY_REGION_ANY && p->region != (int)region->id)
			continue;
		r = add_ns(pr, &pn);
		if (r < 0)
			return r;
		pn->policy = p;
		pn->name = ns_policy_name_for(p, region->id);
		pn->mountpoint = ns_policy_mountpoint_for(p, region->id);
		if (!pn->name)
			return -ENOMEM;

		if (region->labelled)
			pn->existing = region_find_namespace(region, pn->name);
		if (pn->existing) {
			const struct ns_state *ns = pn->existing;

			pn->size = ns->size;
			if (ns->mode != p->mode) {
				pn->problem = format("namespace \"%s\" (%s) exists in %s mode, the policy asks for %s: "
						     "left as it is",
						     pn->name, ns->devname, ns_mode_name(ns->mode), ns_mode_name(p->mode));
				continue;
			}
			pn->fs = decide_fs(p, ns, policy->overwrite, &pn->problem);
			if (pn->fs == FS_ACTION_REFUSE)
				continue;
			if (pn->mountpoint && ns->mountpoint && strcmp(ns->mountpoint, pn->mountpoint) != 0) {
				pn->problem = format("namespace \"%s\" is mounted at %s, the policy asks for %s: left "
						     "as it is",
						     pn->name, ns->mountpoint, pn->mountpoint);
				continue;
			}
			pn->mount = pn->mountpoint && !ns->mountpoint;
			continue;
		}

		pn->align = p->align;
		if (!align_supported(region, p->mode, pn->align)) {
			char buf[SIZE_BUF];

			pr->error = format("%s does not support align %s for %s namespaces (\"%s\")",
					   region->devname, size_format(pn->align, buf, sizeof(buf)),
					   ns_mode_name(p->mode), pn->name);
			return pr->error ? 0 : -ENOMEM;
		}
		pn->fs = decide_fs(p, NULL, policy->overwrite, &pn->problem);
		pn->mount = pn->mountpoint != NULL;
		if (p->size) {
			if (!align_up(p->size, unit, &pn->size)) {
				pr->error = format("%s: size of \"%s\" is too large", region->devname, pn->name);
				return pr->error ? 0 : -ENOMEM;
			}
			wanted += pn->size;
		} else {
			rest = pn;
		}
	}

	if (wanted > available || (rest && available - wanted < SZ_16M)) {
		char w[SIZE_BUF], a[SIZE_BUF];

		pr->error = format("%s: the policy asks for %s (%llu bytes)%s, but only %s (%llu bytes) is free: left "
				   "as it is",
				   region->devname, size_format_human(wanted, w, sizeof(w)), (unsigned long long)wanted,
				   rest ? " plus at least 16 MiB for the rest" : "",
				   size_format_human(available, a, sizeof(a)), (unsigned long long)available);
		return pr->error ? 0 : -ENOMEM;
	}
	if (rest) {
		rest->size = align_down(available - wanted, plan_size_unit(region, rest->align));
		if (rest->size < SZ_16M) {
			char a[SIZE_BUF];

			pr->error = format("%s: only %s is left for \"%s\", below the 16 MiB minimum: left as it is",
					   region->devname, size_format_human(available - wanted, a, sizeof(a)),
					   rest->name);
			return pr->error ? 0 : -ENOMEM;
		}
	}

	/* xfsprogs will not make a filesystem under 300 MiB: say so before changing anything */
	for (size_t i = 0; i < pr->n_ns; i++) {
		struct plan_ns *pn = &pr->ns[i];
		uint64_t usable;

		if (pn->existing || pn->fs != FS_ACTION_MKFS || pn->policy->filesystem != FS_XFS)
			continue;
		usable = ns_usable_size_estimate(pn->size, pn->align, pn->policy->map, (uint64_t)page_size);
		if (usable < XFS_MIN_SIZE) {
			char s[SIZE_BUF];

			pr->error = format("%s: \"%s\" would be %s, too small for xfs (at least 300 MiB): give it more "
					   "space or use \"filesystem\": \"ext4\"; left as it is",
					   region->devname, pn->name, size_format_human(usable, s, sizeof(s)));
			return pr->error ? 0 : -ENOMEM;
		}
	}
	return 0;
}

int plan_build(const struct policy *policy, const struct inventory *inv, const bool *selected, long page_size,
	       struct plan *ret)
{
	struct plan plan = { .overwrite = policy->overwrite, .page_size = page_size };
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
		r = plan_region(pr, policy, page_size);
		if (r < 0) {
			plan_clear(&plan);
			return r;
		}
		/* a refused region does nothing at all */
		if (pr->error) {
			pr->init_labels = false;
			pr->adopt = NULL;
		}
	}
	*ret = plan;
	return 0;
}

void plan_clear(struct plan *plan)
{
	for (size_t i = 0; i < plan->n_regions; i++) {
		struct plan_region *pr = &plan->regions[i];

		for (size_t j = 0; j < pr->n_ns; j++) {
			free(pr->ns[j].name);
			free(pr->ns[j].mountpoint);
			free(pr->ns[j].problem);
		}
		free(pr->ns);
		free(pr->error);
		free(pr->notice);
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

static void print_ns(const struct plan_region *pr, const struct plan_ns *pn, long page_size, FILE *out)
{
	const char *region = pr->region->devname;
	const struct ns_policy *p = pn->policy;
	char s[SIZE_BUF], a[SIZE_BUF];

	if (pn->problem) {
		fprintf(out, "%s: cannot provision \"%s\": %s\n", region, pn->name, pn->problem);
		return;
	}
	if (pn->existing)
		fprintf(out, "%s: keep %s namespace \"%s\" (%s)\n", region, ns_mode_name(pn->existing->mode), pn->name,
			pn->existing->devname);
	else
		fprintf(out, "%s: create %s namespace \"%s\" of %s (align %s%s%s)\n", region, ns_mode_name(p->mode),
			pn->name, size_format_human(pn->size, s, sizeof(s)), size_format(pn->align, a, sizeof(a)),
			p->mode == NS_MODE_FSDAX || p->mode == NS_MODE_DEVDAX ? ", map " : "",
			p->mode == NS_MODE_FSDAX || p->mode == NS_MODE_DEVDAX ? pfn_map_name(p->map) : "");
	if (pn->fs == FS_ACTION_MKFS)
		fprintf(out, "%s: make %s on \"%s\" (%ld-byte blocks, 2 MiB aligned%s)\n", region,
			fs_type_name(p->filesystem), pn->name, page_size,
			p->filesystem == FS_XFS ? ", reflink off" : "");
	else if (pn->fs == FS_ACTION_KEEP)
		fprintf(out, "%s: keep the %s filesystem on \"%s\"\n", region, fs_type_name(p->filesystem), pn->name);
	if (pn->mount)
		fprintf(out, "%s: mount \"%s\" at %s with DAX\n", region, pn->name, pn->mountpoint);
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
		if (pr->notice) {
			fprintf(out, "%s: %s\n", pr->region->devname, pr->notice);
			lines++;
		}
		if (pr->init_labels) {
			fprintf(out, "%s: initialise namespace labels on", pr->region->devname);
			for (char **d = pr->region->dimms; d && *d; d++)
				fprintf(out, " %s", *d);
			fputc('\n', out);
			lines++;
		}
		for (size_t j = 0; j < pr->n_ns; j++, lines++)
			print_ns(pr, &pr->ns[j], plan->page_size, out);
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
		add_string(jr, "notice", pr->notice);
		for (size_t j = 0; j < pr->n_ns; j++) {
			const struct plan_ns *pn = &pr->ns[j];
			struct json_object *o = json_object_new_object();

			add_string(o, "name", pn->name);
			add_string(o, "mode", ns_mode_name(pn->policy->mode));
			json_object_object_add(o, "create", json_object_new_boolean(!pn->existing && !pn->problem));
			add_string(o, "namespace", pn->existing ? pn->existing->devname : NULL);
			json_object_object_add(o, "size", json_object_new_uint64(pn->size));
			if (pn->policy->mode == NS_MODE_FSDAX && pn->policy->filesystem != FS_NONE) {
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
