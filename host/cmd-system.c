// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host discover and setup: what the host has, and laying out the
 * configuration's namespaces and files on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "entropy.h"
#include "cleanup-libs.h"
#include "erase.h"
#include "fileio.h"
#include "host.h"
#include "log.h"
#include "ndops.h"
#include "output.h"
#include "size.h"
#include "sizes.h"
#include "strutil.h"
#include "sync.h"

/* ---- discover ---- */

static int cmd_discover_run(struct host *h, int argc, char **argv)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *regions;
	struct json_args args = { 0 };
	int ret;

	ret = host_parse_options(h, &cmd_discover, argc, argv, &args);
	if (ret <= 0)
		return ret;
	ret = host_read_inventory(h);
	if (ret < 0)
		return ret;
	root = json_object_new_object();
	regions = json_object_new_array();
	for (size_t i = 0; i < h->inv.n_regions; i++) {
		const struct region_state *r = &h->inv.regions[i];
		struct json_object *jr = json_object_new_object(), *jd = json_object_new_array(),
				   *jn = json_object_new_array();
		bool dimms_failed = false;

		json_object_object_add(jr, "region", json_object_new_string(r->devname));
		json_object_object_add(jr, "size", json_object_new_uint64(r->size));
		json_object_object_add(jr, "available", json_object_new_uint64(r->available));
		json_object_object_add(jr, "align", json_object_new_uint64(r->align));
		json_object_object_add(jr, "numa_node", json_object_new_int(r->numa_node));
		json_object_object_add(jr, "labels", json_object_new_boolean(r->labelled));
		for (size_t d = 0; d < r->n_dimm_states; d++) {
			const struct dimm_state *ds = &r->dimm_states[d];
			struct json_object *o = json_object_new_object();
			char hex[8];

			json_object_object_add(o, "dimm", json_object_new_string(ds->devname));
			snprintf(hex, sizeof(hex), "0x%04x", ds->vendor);
			json_object_object_add(o, "vendor", json_object_new_string(hex));
			snprintf(hex, sizeof(hex), "0x%04x", ds->device);
			json_object_object_add(o, "device", json_object_new_string(hex));
			json_object_object_add(o, "serial", json_object_new_uint64(ds->serial));
			json_object_object_add(o, "handle", json_object_new_uint64(ds->handle));
			json_object_object_add(o, "phys_id", json_object_new_uint64(ds->phys_id));
			json_object_object_add(o, "health", json_object_new_string(ds->failed ? "failed" : "ok"));
			json_object_array_add(jd, o);
			dimms_failed = dimms_failed || ds->failed;
		}
		json_object_object_add(jr, "dimms", jd);
		for (size_t n = 0; n < r->n_namespaces; n++) {
			const struct ns_state *ns = &r->namespaces[n];
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "namespace", json_object_new_string(ns->devname));
			json_object_object_add(o, "name", json_object_new_string(ns->name));
			json_object_object_add(o, "uuid", ns->uuid ? json_object_new_string(ns->uuid) : NULL);
			json_object_object_add(o, "mode", json_object_new_string(ns_mode_name(ns->mode)));
			json_object_object_add(o, "size", json_object_new_uint64(ns->size));
			json_object_object_add(o, "align", json_object_new_uint64(ns->align));
			json_object_object_add(o, "device", ns->chardev ? json_object_new_string(ns->chardev)
							  : ns->blockdev ? json_object_new_string(ns->blockdev)
									 : NULL);
			json_object_object_add(o, "numa_node", json_object_new_int(r->numa_node));
			json_object_object_add(o, "badblocks", json_object_new_uint64(ns->badblocks));
			json_object_object_add(o, "health", json_object_new_string(ns->badblocks || dimms_failed ? "unhealthy"
														  : "ok"));
			json_object_array_add(jn, o);
		}
		json_object_object_add(jr, "namespaces", jn);
		json_object_array_add(regions, jr);
	}
	json_object_object_add(root, "regions", regions);
	if (args.json) {
		print_json(root);
		return 0;
	}
	for (size_t i = 0; i < h->inv.n_regions; i++) {
		const struct region_state *r = &h->inv.regions[i];
		char s[SIZE_BUF], a[SIZE_BUF];

		printf("%s: %s, %s free, NUMA node %d, DIMMs", r->devname, size_format_human(r->size, s, sizeof(s)),
		       size_format_human(r->available, a, sizeof(a)), r->numa_node);
		for (size_t d = 0; d < r->n_dimm_states; d++)
			printf(" %s (vendor 0x%04x device 0x%04x%s)", r->dimm_states[d].devname, r->dimm_states[d].vendor,
			       r->dimm_states[d].device, r->dimm_states[d].failed ? ", FAILED" : "");
		printf("\n");
		for (size_t n = 0; n < r->n_namespaces; n++) {
			const struct ns_state *ns = &r->namespaces[n];

			printf("  %-14s %-20s %-7s %-11s %-12s %s%s\n", ns->devname, *ns->name ? ns->name : "-",
			       ns_mode_name(ns->mode), size_format_human(ns->size, s, sizeof(s)),
			       ns->chardev ? ns->chardev : ns->blockdev ? ns->blockdev : "-", ns->uuid ? ns->uuid : "-",
			       ns->badblocks ? "  BAD BLOCKS" : "");
		}
	}
	return 0;
}

/* ---- setup ---- */

static int setup_file(struct host *h, struct backing *b)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *dir = strdup(b->path);
	struct ledger_entry *e;
	char uuid[37];
	uuid_t uu;
	int r;

	if (!dir)
		return -ENOMEM;
	*strrchr(dir, '/') = '\0';
	r = mkdir_p_nofollow(dir, 0700);
	if (r < 0)
		return log_error_errno(r, "cannot create %s: %m", dir);
	/* never overwrite: a file that is there but not in the ledger is someone's */
	fd = open(b->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return log_error_errno(errno, "cannot create %s: it exists but is not in the ledger; left as it is",
				       b->path);
	if (fd < 0)
		return log_error_errno(errno, "cannot create %s: %m", b->path);
	/* reserve the space now: a guest must never hit a full disk on a page fault */
	r = -posix_fallocate(fd, 0, (off_t)b->layout->size);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		log_error_errno(r, "cannot allocate %s: %m", b->path);
		unlink(b->path);
		return r;
	}
	crng_wait();
	uuid_generate(uu);
	uuid_unparse(uu, uuid);
	e = ledger_add(&h->ledger, uuid, b->label, BACKEND_FILE, b->path, b->layout->size);
	if (!e)
		return -ENOMEM;
	/* made here with O_EXCL and allocated, never written: it reads as zeros */
	r = ledger_proven_empty(e);
	if (r < 0)
		return r;
	snprintf(b->uuid, sizeof(b->uuid), "%s", uuid);
	b->present = true;
	b->size = b->layout->size;
	log_notice("created %s (%s, label %s)", b->path, uuid, b->label);
	return host_save(h);
}

/* an unverified entry for one of the namespaces this run created */
static bool created_now(const struct ledger_entry *e, const void *names)
{
	return e->state == BACKING_UNVERIFIED && strv_contains((char *const *)names, e->name);
}

static int cmd_setup_run(struct host *h, int argc, char **argv)
{
	_cleanup_strv_free_ char **made = NULL;
	unsigned created = 0, failed = 0;
	int r;

	r = host_parse_options(h, &cmd_setup, argc, argv, NULL);
	if (r <= 0)
		return r;
	r = host_open(h, true);
	if (r < 0)
		return r;

	/* plan: does every region have room for what is missing on it? */
	for (size_t i = 0; i < h->inv.n_regions; i++) {
		const struct region_state *region = &h->inv.regions[i];
		uint64_t wanted = 0, unit = region->align > SZ_2M ? region->align : SZ_2M;
		bool any = false;

		for (size_t k = 0; k < h->set.n; k++) {
			const struct backing *b = &h->set.items[k];
			uint64_t sz;

			if (b->present || b->kind != BACKEND_DEVDAX || !b->layout || b->region != (int)region->id)
				continue;
			if (!align_up(b->layout->size, unit, &sz))
				return -EINVAL;
			wanted += sz;
			any = true;
		}
		if (any && !region->labelled && !region->label_capable) {
			log_error("%s has no label area: cannot create namespaces on it", region->devname);
			return -EOPNOTSUPP;
		}
		if (any && wanted > (region->labelled ? region->available : region->size)) {
			char w[SIZE_BUF], a[SIZE_BUF];

			log_error("%s: the layout needs %s more, but only %s is free: nothing created", region->devname,
				  size_format_human(wanted, w, sizeof(w)),
				  size_format_human(region->labelled ? region->available : region->size, a, sizeof(a)));
			return -ENOSPC;
		}
	}
	for (size_t k = 0; k < h->set.n; k++) {
		struct backing *b = &h->set.items[k];

		if (!b->present && b->layout && b->kind == BACKEND_DEVDAX && !inventory_find_region(&h->inv, (unsigned)b->region)) {
			log_error("layout: %s: there is no region%d on this host", b->name, b->region);
			return -EINVAL;
		}
	}

	/* act */
	for (size_t k = 0; k < h->set.n; k++) {
		struct backing *b = &h->set.items[k];

		if (b->present || !b->layout)
			continue;
		if (b->kind == BACKEND_FILE) {
			if (setup_file(h, b) < 0)
				failed++;
			else
				created++;
			continue;
		}
		{
			_cleanup_(ndctl_unrefp) struct ndctl_ctx *ctx = NULL;
			const struct region_state *rs = inventory_find_region(&h->inv, (unsigned)b->region);
			struct ndctl_region *region;
			_cleanup_free_ char *devname = NULL;
			struct nd_namespace_spec spec = {
				.name = b->name,
				.mode = NS_MODE_DEVDAX,
				.align = b->layout->align,
				.map = PFN_MAP_DEV,
			};

			if (!align_up(b->layout->size, rs->align > SZ_2M ? rs->align : SZ_2M, &spec.size))
				return -EINVAL; /* the plan above checked it */
			if (ndctl_new(&ctx) < 0 || !(region = nd_find_region(ctx, rs->id))) {
				failed++;
				continue;
			}
			if (!ndctl_region_get_nstype(region) || ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM) {
				_cleanup_free_ char *what = NULL;

				r = nd_region_init_labels(region, false, &what);
				if (r == -ENOTEMPTY)
					return log_error_errno(r, "%s: labels not initialised: %s", rs->devname, what);
				if (r < 0)
					return host_failure(log_error_errno(r, "%s: labels not initialised: %m", rs->devname));
				log_notice("%s: initialised namespace labels", rs->devname);
				ndctl_unref(ctx);
				ctx = NULL;
				if (ndctl_new(&ctx) < 0 || !(region = nd_find_region(ctx, rs->id))) {
					failed++;
					continue;
				}
			}
			r = nd_namespace_create(region, &spec, &devname);
			if (r < 0) {
				log_error_errno(r, "%s: cannot create devdax namespace %s: %m", rs->devname, b->name);
				failed++;
				continue;
			}
			log_notice("%s: created devdax namespace %s (%s)", rs->devname, b->name, devname);
			r = strv_push(&made, b->name);
			if (r < 0)
				return r;
			created++;
		}
	}

	/* record what now exists */
	if (created) {
		struct errlist errors = { 0 };

		/* a new libndctl context: the old one does not see the namespaces made since */
		inventory_clear(&h->inv);
		backings_clear(&h->set);
		ndctl_unref(h->ctx);
		h->ctx = NULL;
		r = host_read_inventory(h);
		if (r >= 0)
			r = backings_collect(&h->config, &h->inv, &h->ledger, &h->set, &errors);
		errlist_clear(&errors);
		if (r >= 0)
			r = ledger_sync(&h->ledger, &h->set);
		if (r >= 0)
			r = host_save(h);
		if (r < 0)
			return host_failure(r); /* what was made is recorded by the next command under the lock */
	}
	/*
	 * device-dax is not zeroed when a namespace is created: what an earlier
	 * namespace on that capacity held is still there. What this run made is
	 * erased (and verified) before anyone can reserve it.
	 */
	if (made) {
		r = host_erase_entries(h, created_now, made, NULL, false);
		if (r < 0)
			return r;
	}
	if (!created && !failed)
		log_info("nothing to do: the layout is in place");
	return failed ? -EIO : 0; /* each failure is logged */
}

const struct command cmd_discover = {
	"discover", cmd_discover_run, json_options, "[--json]",
	"Regions, DIMMs and namespaces of this host, with their health.",
};

const struct command cmd_setup = {
	"setup", cmd_setup_run, (const struct host_option[]){ {} }, "",
	"Create the namespaces and files of host.json's layout that are missing.",
};
