// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host: the hypervisor side. Discovers persistent memory, lays out
 * backing namespaces (or files), hands them to guests and wipes them when the
 * guests are gone, and says what libvirt or QEMU need. One function per verb.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "config.h"
#include "backing.h"
#include "cleanup-libs.h"
#include "erase.h"
#include "fileio.h"
#include "inventory.h"
#include "ledger.h"
#include "log.h"
#include "ndops.h"
#include "output.h"
#include "size.h"
#include "sizes.h"
#include "sync.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct options {
	const char *config;
	const char *state_dir;
	bool json;
	const char *label;
	const char *consumer;
	const char *uuid;
	int numa_node;
	unsigned guest_node;
	/* Placement */
	struct placement_options placement;
	const char *provider;
	const char *parent;
	const char *project_id;
	const char *user_id;
	long interval;
};

/* Everything a command works on, loaded under the lock when it changes things. */
struct host {
	struct options *o;
	struct host_config config;
	struct ndctl_ctx *ctx;
	struct inventory inv;
	struct ledger ledger;
	struct backing_set set;
	int lock_fd;
	char *ledger_path;
	char *lock_path;
};

/* Release everything loaded; h can be opened again afterwards. */
static void host_clear(struct host *h)
{
	struct options *o = h->o;

	backings_clear(&h->set);
	ledger_clear(&h->ledger);
	inventory_clear(&h->inv);
	host_config_clear(&h->config);
	if (h->ctx)
		ndctl_unref(h->ctx);
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	free(h->ledger_path);
	free(h->lock_path);
	*h = (struct host){ .o = o, .lock_fd = -EBADF };
}

static void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
}

static bool is_uuid(const char *s)
{
	uuid_t uu;

	return s && strlen(s) == 36 && uuid_parse(s, uu) == 0;
}

static int read_inventory(struct host *h)
{
	int r = ndctl_new(&h->ctx);

	if (r < 0) {
		log_error("cannot open libndctl: %s", strerror(-r));
		return r;
	}
	r = inventory_read(h->ctx, false, &h->inv);
	if (r < 0)
		log_error("cannot read the persistent memory configuration: %s", strerror(-r));
	return r;
}

/*
 * Load configuration, system and ledger. With lock, take the host lock first
 * so that nothing changes in between. Returns an exit code (0 on success).
 */
static int host_open(struct host *h, bool lock)
{
	struct errlist errors = { 0 };
	_cleanup_free_ char *ledger_error = NULL;
	int r;

	h->lock_fd = -EBADF;
	r = host_config_load(h->o->config, &h->config, &errors);
	for (size_t i = 0; i < errors.count; i++)
		log_error("%s", errors.messages[i]);
	errlist_clear(&errors);
	if (r < 0)
		return EXIT_USAGE;

	if (asprintf(&h->ledger_path, "%s/ledger.json", h->o->state_dir) < 0 ||
	    asprintf(&h->lock_path, "%s/lock", h->o->state_dir) < 0)
		return EXIT_FAILED;
	if (lock) {
		r = mkdir_p_nofollow(h->o->state_dir, 0700);
		if (r >= 0)
			r = h->lock_fd = lock_file(h->lock_path);
		if (r < 0) {
			log_error("cannot lock %s: %s", h->lock_path, strerror(-r));
			return EXIT_FAILED;
		}
	}
	r = ledger_load(h->ledger_path, &h->ledger, &ledger_error);
	if (r < 0) {
		log_error("%s: %s", h->ledger_path, ledger_error ? ledger_error : strerror(-r));
		return EXIT_FAILED;
	}
	if (read_inventory(h) < 0)
		return EXIT_FAILED;
	r = backings_collect(&h->config, &h->inv, &h->ledger, &h->set, &errors);
	for (size_t i = 0; i < errors.count; i++)
		log_error("%s: %s", h->o->config, errors.messages[i]);
	errlist_clear(&errors);
	if (r == -EINVAL)
		return EXIT_USAGE;
	if (r < 0)
		return EXIT_FAILED;
	if (lock) {
		r = ledger_sync(&h->ledger, &h->set);
		if (r > 0 && (r = ledger_save(h->ledger_path, &h->ledger)) < 0) {
			log_error("cannot write %s: %s", h->ledger_path, strerror(-r));
			return EXIT_FAILED;
		}
	}
	return 0;
}

static int save(struct host *h)
{
	int r = ledger_save(h->ledger_path, &h->ledger);

	if (r < 0)
		log_error("cannot write %s: %s", h->ledger_path, strerror(-r));
	return r;
}

/* What the guest gets from a backing: QEMU's minimum label, at least 2 MiB alignment. */
static int backing_guest_sizes(const struct backing *b, struct guest_sizes *ret)
{
	return guest_size_compute(b->size, LABEL_SIZE_MIN, b->align > SZ_2M ? b->align : SZ_2M, ret);
}

/* ---- discover ---- */

static int cmd_discover(struct host *h, int argc, char **argv)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();
	struct json_object *regions = json_object_new_array();

	if (read_inventory(h) < 0)
		return EXIT_FAILED;
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
	if (h->o->json) {
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
	char uuid[37];
	uuid_t uu;
	int r;

	if (!dir)
		return -ENOMEM;
	*strrchr(dir, '/') = '\0';
	r = mkdir_p_nofollow(dir, 0700);
	if (r < 0) {
		log_error("cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	/* never overwrite: a file that is there but not in the ledger is someone's */
	fd = open(b->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		log_error("cannot create %s: %s", b->path, r == -EEXIST ? "it exists but is not in the ledger; left as it is"
									  : strerror(-r));
		return r;
	}
	/* reserve the space now: a guest must never hit a full disk on a page fault */
	r = posix_fallocate(fd, 0, (off_t)b->layout->size);
	if (r != 0 || fsync(fd) < 0) {
		log_error("cannot allocate %s: %s", b->path, strerror(r ? r : errno));
		unlink(b->path);
		return -(r ? r : errno);
	}
	uuid_generate(uu);
	uuid_unparse(uu, uuid);
	if (!ledger_add(&h->ledger, uuid, b->label, BACKEND_FILE, b->path, b->layout->size))
		return -ENOMEM;
	snprintf(b->uuid, sizeof(b->uuid), "%s", uuid);
	b->present = true;
	b->size = b->layout->size;
	log_notice("created %s (%s, label %s)", b->path, uuid, b->label);
	return save(h);
}

static int cmd_setup(struct host *h, int argc, char **argv)
{
	int r, ret = host_open(h, true), failed = 0;
	unsigned created = 0;

	if (ret)
		return ret;

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
				return EXIT_USAGE;
			wanted += sz;
			any = true;
		}
		if (any && !region->labelled && !region->label_capable) {
			log_error("%s has no label area: cannot create namespaces on it", region->devname);
			return EXIT_FAILED;
		}
		if (any && wanted > (region->labelled ? region->available : region->size)) {
			char w[SIZE_BUF], a[SIZE_BUF];

			log_error("%s: the layout needs %s more, but only %s is free: nothing created", region->devname,
				  size_format_human(wanted, w, sizeof(w)),
				  size_format_human(region->labelled ? region->available : region->size, a, sizeof(a)));
			return EXIT_FAILED;
		}
	}
	for (size_t k = 0; k < h->set.n; k++) {
		struct backing *b = &h->set.items[k];

		if (!b->present && b->layout && b->kind == BACKEND_DEVDAX && !inventory_find_region(&h->inv, (unsigned)b->region)) {
			log_error("layout: %s: there is no region%d on this host", b->name, b->region);
			return EXIT_USAGE;
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
				return EXIT_USAGE;
			if (ndctl_new(&ctx) < 0 || !(region = nd_find_region(ctx, rs->id))) {
				failed++;
				continue;
			}
			if (!ndctl_region_get_nstype(region) || ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM) {
				_cleanup_free_ char *what = NULL;

				r = nd_region_init_labels(region, false, &what);
				if (r < 0) {
					log_error("%s: labels not initialised: %s", rs->devname,
						  r == -ENOTEMPTY ? what : strerror(-r));
					return EXIT_FAILED;
				}
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
				log_error("%s: cannot create devdax namespace %s: %s", rs->devname, b->name, strerror(-r));
				failed++;
				continue;
			}
			log_notice("%s: created devdax namespace %s (%s)", rs->devname, b->name, devname);
			created++;
		}
	}

	/* record what now exists */
	if (created) {
		struct errlist errors = { 0 };

		inventory_clear(&h->inv);
		backings_clear(&h->set);
		if (inventory_read(h->ctx, false, &h->inv) < 0 ||
		    backings_collect(&h->config, &h->inv, &h->ledger, &h->set, &errors) < 0) {
			errlist_clear(&errors);
			return EXIT_FAILED;
		}
		if (ledger_sync(&h->ledger, &h->set) < 0 || save(h) < 0)
			return EXIT_FAILED;
	}
	if (!created && !failed)
		log_info("nothing to do: the layout is in place");
	return failed ? EXIT_FAILED : 0;
}


/* ---- Placement ---- */

/* {"<consumer>": {"CUSTOM_...": n}} for every consumer holding reserved backings */
static struct json_object *held_json(struct host *h)
{
	struct json_object *held = json_object_new_object();

	for (size_t i = 0; i < h->ledger.n; i++) {
		const struct ledger_entry *e = &h->ledger.entries[i];
		_cleanup_free_ char *rc = NULL;
		struct json_object *c, *n;

		if (e->state != BACKING_RESERVED || !e->consumer || !(rc = resource_class_for_label(e->label)))
			continue;
		if (!json_object_object_get_ex(held, e->consumer, &c)) {
			c = json_object_new_object();
			json_object_object_add(held, e->consumer, c);
		}
		n = json_object_object_get_ex(c, rc, &n) ? n : NULL;
		json_object_object_add(c, rc, json_object_new_int(n ? json_object_get_int(n) + 1 : 1));
	}
	return held;
}

static struct json_object *inventory_json(struct host *h);

static char *default_provider(void)
{
	char host[HOST_NAME_MAX + 1] = "localhost", *s = NULL;

	gethostname(host, sizeof(host) - 1);
	if (asprintf(&s, "%s-vpmem", host) < 0)
		return NULL;
	return s;
}

/* sync this host to Placement (only sync creates the provider): 0, or a negative errno (logged) */
static int placement_run(struct host *h, bool create, bool inventory, bool reconcile, char *ret_rp)
{
	_cleanup_json_ struct json_object *inv = inventory_json(h), *held = held_json(h);
	_cleanup_free_ char *fallback = default_provider();
	struct placement *p = NULL;
	struct sync_target t = {
		.provider = h->o->provider ? h->o->provider : fallback,
		.parent = h->o->parent,
		.create_provider = create,
		.inventory = inv,
		.held = held,
		.project_id = h->o->project_id,
		.user_id = h->o->user_id,
	};
	int r;

	if (!t.provider)
		return -ENOMEM;
	r = placement_open(&h->o->placement, &p);
	if (r < 0)
		return r;
	r = placement_sync(p, &t, inventory, reconcile, stdout, ret_rp);
	placement_close(p);
	return r;
}

/* the consumer's count of each of our classes, from the ledger */
static int placement_update_consumer(struct host *h, const char *rp, const char *consumer)
{
	_cleanup_json_ struct json_object *held = held_json(h);
	struct json_object *mine = NULL;
	struct placement *p = NULL;
	int r;

	json_object_object_get_ex(held, consumer, &mine);
	r = placement_open(&h->o->placement, &p);
	if (r < 0)
		return r;
	r = placement_set_allocation(p, rp, consumer, mine, h->o->project_id, h->o->user_id);
	placement_close(p);
	return r;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int cmd_sync(struct host *h, int argc, char **argv)
{
	if (!h->o->placement.url) {
		log_error("sync needs --placement URL");
		return EXIT_USAGE;
	}
	if (h->o->interval > 0) {
		signal(SIGTERM, on_stop);
		signal(SIGINT, on_stop);
	}
	for (;;) {
		char rp[37] = "";
		int ret = host_open(h, true), r;

		if (ret)
			return ret;
		r = placement_run(h, true, true, true, rp);
		if (r == 0)
			log_info("in step with Placement (provider %s)", rp);
		if (h->o->interval <= 0)
			return r < 0 ? EXIT_FAILED : 0;
		host_clear(h);
		for (long s = 0; s < h->o->interval && !stop_requested; s++)
			sleep(1);
		if (stop_requested)
			return 0;
	}
}

/* ---- inventory ---- */

struct label_count {
	const char *label;
	unsigned usable;
};

static struct json_object *inventory_json(struct host *h)
{
	struct json_object *root = json_object_new_object();
	struct label_count counts[256];
	size_t n = 0;

	for (size_t i = 0; i < h->set.n; i++) {
		const struct backing *b = &h->set.items[i];
		struct ledger_entry *e;
		size_t k;

		for (k = 0; k < n && strcmp(counts[k].label, b->label); k++)
			;
		if (k == n && n < ELEMENTSOF(counts))
			counts[n++] = (struct label_count){ .label = b->label };
		if (k == ELEMENTSOF(counts) || !b->present || !b->healthy)
			continue;
		e = ledger_find(&h->ledger, b->uuid);
		/* quarantined and half-erased backings are not capacity */
		if (e && (e->state == BACKING_QUARANTINED || e->state == BACKING_ERASING))
			continue;
		if (e && ledger_entry_problem(e, &h->set))
			continue;
		counts[k].usable++;
	}
	for (size_t k = 0; k < n; k++) {
		_cleanup_free_ char *rc = resource_class_for_label(counts[k].label);
		struct json_object *o;

		/* Placement rejects total=0 (Nova bugs 1901120, 1906494): leave the label out */
		if (!counts[k].usable || !rc)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "total", json_object_new_int(counts[k].usable));
		json_object_object_add(o, "reserved", json_object_new_int(0));
		json_object_object_add(o, "min_unit", json_object_new_int(1));
		json_object_object_add(o, "max_unit", json_object_new_int(counts[k].usable));
		json_object_object_add(o, "step_size", json_object_new_int(1));
		json_object_object_add(o, "allocation_ratio", json_object_new_double(1.0));
		json_object_object_add(root, rc, o);
	}
	return root;
}

static int cmd_inventory(struct host *h, int argc, char **argv)
{
	_cleanup_json_ struct json_object *inv = NULL;
	int ret = host_open(h, false);

	if (ret)
		return ret;
	inv = inventory_json(h);
	if (h->o->json) {
		print_json(inv);
		return 0;
	}
	printf("%-40s %6s %8s\n", "RESOURCE CLASS", "TOTAL", "MAX_UNIT");
	{
		json_object_object_foreach(inv, rc, o) {
			struct json_object *t;

			json_object_object_get_ex(o, "total", &t);
			printf("%-40s %6d %8d\n", rc, json_object_get_int(t), json_object_get_int(t));
		}
	}
	return 0;
}

/* ---- reserve, release, erase ---- */

static struct json_object *reservation_json(struct host *h, const struct ledger_entry *e)
{
	struct backing *b = backings_find_uuid(&h->set, e->uuid);
	struct json_object *o = json_object_new_object();
	struct guest_sizes sz;

	json_object_object_add(o, "uuid", json_object_new_string(e->uuid));
	json_object_object_add(o, "label", json_object_new_string(e->label));
	json_object_object_add(o, "backend", json_object_new_string(e->kind == BACKEND_FILE ? "file" : "devdax"));
	json_object_object_add(o, "state", json_object_new_string(backing_state_name(e->state)));
	json_object_object_add(o, "consumer", e->consumer ? json_object_new_string(e->consumer) : NULL);
	json_object_object_add(o, "name", json_object_new_string(e->name));
	if (b) {
		json_object_object_add(o, "path", b->path ? json_object_new_string(b->path) : NULL);
		json_object_object_add(o, "numa_node", json_object_new_int(b->numa_node));
		json_object_object_add(o, "backing_size", json_object_new_uint64(b->size));
		if (backing_guest_sizes(b, &sz) == 0) {
			json_object_object_add(o, "target_size", json_object_new_uint64(sz.target));
			json_object_object_add(o, "label_size", json_object_new_uint64(sz.label));
			json_object_object_add(o, "guest_size", json_object_new_uint64(sz.guest));
		}
	}
	{
		const char *problem = ledger_entry_problem(e, &h->set);

		if (problem)
			json_object_object_add(o, "problem", json_object_new_string(problem));
		if (e->note)
			json_object_object_add(o, "note", json_object_new_string(e->note));
	}
	return o;
}

static int cmd_reserve(struct host *h, int argc, char **argv)
{
	struct ledger_entry *pick = NULL;
	bool reserved_now = false;
	int ret;

	if (!h->o->label || !is_uuid(h->o->consumer)) {
		log_error("reserve needs --label LABEL and --consumer UUID (a UUID, as Nova's instance ids)");
		return EXIT_USAGE;
	}
	ret = host_open(h, true);
	if (ret)
		return ret;

	/* the same consumer asking again gets what it has */
	for (size_t i = 0; i < h->ledger.n && !pick; i++) {
		struct ledger_entry *e = &h->ledger.entries[i];

		if (e->state == BACKING_RESERVED && e->consumer && strcmp(e->consumer, h->o->consumer) == 0 &&
		    strcmp(e->label, h->o->label) == 0)
			pick = e;
	}
	if (!pick) {
		int best = -1;

		for (size_t i = 0; i < h->ledger.n; i++) {
			struct ledger_entry *e = &h->ledger.entries[i];
			struct backing *b;
			int score;

			if (e->state != BACKING_FREE || strcmp(e->label, h->o->label) != 0 || ledger_entry_problem(e, &h->set))
				continue;
			b = backings_find_uuid(&h->set, e->uuid);
			if (!b || !b->path)
				continue;
			score = h->o->numa_node >= 0 && b->numa_node == h->o->numa_node ? 2 : 1;
			if (score > best) {
				best = score;
				pick = e;
			}
		}
		if (!pick) {
			bool known = false;

			for (size_t i = 0; i < h->set.n; i++)
				known = known || strcmp(h->set.items[i].label, h->o->label) == 0;
			log_error(known ? "no free backing of label %s: all are reserved, quarantined or unusable"
					: "no backing has the label %s in %s",
				  h->o->label, h->o->config);
			return EXIT_FAILED;
		}
		if (ledger_reserve(pick, h->o->consumer) < 0 || save(h) < 0)
			return EXIT_FAILED;
		reserved_now = true;
		log_notice("reserved %s (%s, label %s) for %s", pick->name, pick->uuid, pick->label, h->o->consumer);
	}
	if (h->o->placement.url) {
		char rp[37] = "";
		int r = placement_run(h, false, true, false, rp);

		if (r == 0)
			r = placement_update_consumer(h, rp, h->o->consumer);
		if (r < 0 && !reserved_now) {
			/* a reservation the consumer already had, and may be using: never undone here */
			log_error("%s already holds %s; %s: the next sync records it", h->o->consumer, pick->name,
				  r == -ENOSPC ? "Placement refused the allocation" : "Placement could not record it");
			return EXIT_FAILED;
		}
		if (r < 0) {
			/* Placement said no, or could not be asked: the reservation this run made goes too */
			if (ledger_unreserve(pick, h->o->consumer) < 0 || save(h) < 0)
				log_error("cannot roll back the reservation of %s: the next sync repairs it", pick->uuid);
			log_error("reservation of %s for %s rolled back: %s", pick->name, h->o->consumer,
				  r == -ENOSPC ? "Placement refused the allocation" : "Placement could not record it");
			return EXIT_FAILED;
		}
		log_notice("recorded in Placement: %s holds %s on provider %s", h->o->consumer, pick->label, rp);
	}
	{
		_cleanup_json_ struct json_object *o = reservation_json(h, pick);
		struct backing *b = backings_find_uuid(&h->set, pick->uuid);
		struct vnvdimm d = { .id = "vpmem0", .guest_node = h->o->guest_node };

		/* what the hypervisor needs, right away */
		if (b && b->path && backing_guest_sizes(b, &d.sizes) == 0) {
			_cleanup_strv_free_ char **words = NULL;
			char *xml = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&xml, &len);

			d.path = b->path;
			d.real_pmem = b->kind == BACKEND_DEVDAX;
			words = qemu_args_for(&d);
			if (words) {
				struct json_object *a = json_object_new_array();

				for (char **w = words; *w; w++)
					json_object_array_add(a, json_object_new_string(*w));
				json_object_object_add(o, "qemu_args", a);
			}
			if (f) {
				libvirt_xml_write(f, NULL, &d, 1);
				fclose(f);
				json_object_object_add(o, "libvirt_xml", json_object_new_string(xml));
				free(xml);
			}
		}
		if (h->o->json) {
			print_json(o);
		} else {
			struct json_object *v;

			printf("%s\t%s\t%s", pick->uuid, pick->label,
			       json_object_object_get_ex(o, "path", &v) ? json_object_get_string(v) : "-");
			if (json_object_object_get_ex(o, "guest_size", &v))
				printf("\tguest %s bytes", json_object_get_string(v));
			printf("\n");
		}
	}
	return 0;
}

/*
 * Erase one entry this process marked "erasing" (lock not held), then record
 * the outcome under the lock, if the entry is still this process's: one that
 * was taken over meanwhile (this process was stopped so long that it was
 * thought dead) is left to the one that took it.
 */
static int erase_and_record(struct host *h, const char *uuid, const struct ledger_owner *self)
{
	_cleanup_free_ char *reason = NULL, *path = NULL;
	struct ledger_entry *e = ledger_find(&h->ledger, uuid);
	struct backing *b = backings_find_uuid(&h->set, uuid);
	enum backend_kind kind = e->kind;
	uint64_t size = b ? b->size : 0;
	int r;

	if (b && b->path)
		path = strdup(b->path);
	if (!path) {
		r = -ENODEV;
		reason = strdup("the backing is not on the system");
	} else {
		r = backing_erase(kind, path, size, &reason);
	}

	/* the ledger may have changed while erasing: reload it under the lock */
	{
		_cleanup_free_ char *err = NULL;
		struct ledger fresh = { 0 };
		int fd, saved;

		fd = lock_file(h->lock_path);
		if (fd < 0)
			return fd;
		if (ledger_load(h->ledger_path, &fresh, &err) < 0 || !(e = ledger_find(&fresh, uuid))) {
			close(fd);
			ledger_clear(&fresh);
			return -EIO;
		}
		if (ledger_finish_erase(e, self, r == 0, reason ? reason : strerror(-r)) < 0) {
			log_error("%s (%s) was taken over by another eraser meanwhile: this outcome is not recorded",
				  e->name, uuid);
			close(fd);
			ledger_clear(&fresh);
			return -ESTALE;
		}
		if (r == 0)
			log_notice("erased %s (%s), verified: free again", e->name, uuid);
		else
			log_error("erasing %s (%s) failed: %s; quarantined until \"vpmem-host erase --uuid %s\" succeeds",
				  e->name, uuid, reason ? reason : strerror(-r), uuid);
		ledger_clear(&h->ledger);
		h->ledger = fresh;
		saved = ledger_save(h->ledger_path, &h->ledger);
		close(fd);
		return r < 0 ? -EIO : saved;
	}
}

/*
 * Under the lock, mark the chosen entries "erasing" with this process as
 * their owner (consumer: release's, NULL for erase --uuid); then erase them
 * without it. An entry another live process is erasing is left to it.
 */
static int erase_entries(struct host *h, bool (*want)(const struct ledger_entry *, const struct options *),
			 const char *consumer)
{
	char (*uuids)[37] = calloc(h->ledger.n ? h->ledger.n : 1, 37);
	struct ledger_owner self;
	size_t n = 0, left = 0;
	int failed = 0, r;

	if (!uuids)
		return EXIT_FAILED;
	r = ledger_owner_self(&self);
	if (r < 0) {
		log_error("cannot tell who this process is (/proc): %s", strerror(-r));
		free(uuids);
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < h->ledger.n; i++) {
		struct ledger_entry *e = &h->ledger.entries[i];

		if (!want(e, h->o))
			continue;
		r = ledger_begin_erase(e, &self, consumer);
		if (r == -EBUSY) {
			log_notice("%s (%s) is being erased by process %d: left to it", e->name, e->uuid, e->owner.pid);
			/* a release is done when someone erases; erase --uuid asked for this process to */
			if (consumer)
				left++;
			else
				failed++;
			continue;
		}
		if (r < 0) {
			log_error("%s (%s) is %s: not erased", e->name, e->uuid, backing_state_name(e->state));
			failed++;
			continue;
		}
		memcpy(uuids[n++], e->uuid, 37);
	}
	if (n && save(h) < 0) {
		free(uuids);
		return EXIT_FAILED;
	}
	close(h->lock_fd);
	h->lock_fd = -EBADF;
	for (size_t i = 0; i < n; i++)
		if (erase_and_record(h, uuids[i], &self) < 0)
			failed++;
	free(uuids);
	if (!n && !failed && !left)
		log_info("nothing to erase");
	return failed ? EXIT_FAILED : 0;
}

static bool held_by_consumer(const struct ledger_entry *e, const struct options *o)
{
	return (e->state == BACKING_RESERVED || e->state == BACKING_ERASING) && e->consumer &&
	       strcmp(e->consumer, o->consumer) == 0;
}

static bool chosen_for_erase(const struct ledger_entry *e, const struct options *o)
{
	return strcmp(e->uuid, o->uuid) == 0 && e->state != BACKING_RESERVED;
}

static int cmd_release(struct host *h, int argc, char **argv)
{
	int ret;

	if (!is_uuid(h->o->consumer)) {
		log_error("release needs --consumer UUID");
		return EXIT_USAGE;
	}
	ret = host_open(h, true);
	if (ret)
		return ret;
	if (h->o->placement.url) {
		char rp[37] = "";
		int r;

		struct ledger_owner self;

		/* what the consumer keeps of ours after this release: nothing (erased below, by this process) */
		if (ledger_owner_self(&self) < 0)
			return EXIT_FAILED;
		for (size_t i = 0; i < h->ledger.n; i++)
			if (held_by_consumer(&h->ledger.entries[i], h->o))
				ledger_begin_erase(&h->ledger.entries[i], &self, h->o->consumer);
		if (save(h) < 0)
			return EXIT_FAILED;
		/* only the provider: the inventory is not shrunk for backings being erased */
		r = placement_run(h, false, false, false, rp);
		if (r == 0)
			r = placement_update_consumer(h, rp, h->o->consumer);
		if (r < 0)
			log_error("the allocation of %s stays in Placement for now: the next sync removes it",
				  h->o->consumer);
		ret = erase_entries(h, held_by_consumer, h->o->consumer);
		return r < 0 ? EXIT_FAILED : ret;
	}
	return erase_entries(h, held_by_consumer, h->o->consumer);
}

static int cmd_erase(struct host *h, int argc, char **argv)
{
	struct ledger_entry *e;
	int ret;

	if (!is_uuid(h->o->uuid)) {
		log_error("erase needs --uuid UUID of a backing");
		return EXIT_USAGE;
	}
	ret = host_open(h, true);
	if (ret)
		return ret;
	e = ledger_find(&h->ledger, h->o->uuid);
	if (!e) {
		log_error("no backing %s in the ledger", h->o->uuid);
		return EXIT_USAGE;
	}
	if (e->state == BACKING_RESERVED) {
		log_error("%s is reserved by %s: release it instead", e->uuid, e->consumer);
		return EXIT_FAILED;
	}
	return erase_entries(h, chosen_for_erase, NULL);
}

/* ---- list, libvirt-xml, qemu-args ---- */

static int cmd_list(struct host *h, int argc, char **argv)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	int ret = host_open(h, false);

	if (ret)
		return ret;
	for (size_t i = 0; i < h->ledger.n; i++)
		json_object_array_add(arr, reservation_json(h, &h->ledger.entries[i]));
	if (h->o->json) {
		print_json(arr);
		return 0;
	}
	printf("%-36s  %-10s %-12s %-36s  %s\n", "UUID", "LABEL", "STATE", "CONSUMER", "BACKING");
	for (size_t i = 0; i < h->ledger.n; i++) {
		const struct ledger_entry *e = &h->ledger.entries[i];
		const char *problem = ledger_entry_problem(e, &h->set);

		printf("%-36s  %-10s %-12s %-36s  %s%s%s\n", e->uuid, e->label, backing_state_name(e->state),
		       e->consumer ? e->consumer : "-", e->name, problem ? "  PROBLEM: " : "", problem ? problem : "");
	}
	return 0;
}

static int consumer_modules(struct host *h, struct vnvdimm **ret, size_t *ret_n, char ***ret_ids)
{
	struct vnvdimm *d = calloc(h->ledger.n ? h->ledger.n : 1, sizeof(*d));
	char **ids = calloc(h->ledger.n + 1, sizeof(char *));
	size_t n = 0;

	if (!d || !ids) {
		free(d);
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->ledger.n; i++) {
		const struct ledger_entry *e = &h->ledger.entries[i];
		struct backing *b;

		if (e->state != BACKING_RESERVED || !e->consumer || strcmp(e->consumer, h->o->consumer))
			continue;
		b = backings_find_uuid(&h->set, e->uuid);
		if (!b || !b->path || ledger_entry_problem(e, &h->set)) {
			log_error("%s (%s) reserved by %s is not usable: %s", e->name, e->uuid, e->consumer,
				  ledger_entry_problem(e, &h->set) ? ledger_entry_problem(e, &h->set) : "no device");
			free(d);
			strv_free(ids);
			return -ENODEV;
		}
		if (asprintf(&ids[n], "vpmem%zu", n) < 0 || backing_guest_sizes(b, &d[n].sizes) < 0) {
			free(d);
			strv_free(ids);
			return -EINVAL;
		}
		d[n].id = ids[n];
		d[n].path = b->path;
		d[n].real_pmem = b->kind == BACKEND_DEVDAX;
		d[n].guest_node = h->o->guest_node;
		n++;
	}
	*ret = d;
	*ret_n = n;
	*ret_ids = ids;
	return 0;
}

static int cmd_hypervisor(struct host *h, bool xml)
{
	_cleanup_free_ struct vnvdimm *d = NULL;
	_cleanup_strv_free_ char **ids = NULL;
	size_t n = 0;
	int ret;

	if (!is_uuid(h->o->consumer)) {
		log_error("needs --consumer UUID");
		return EXIT_USAGE;
	}
	ret = host_open(h, false);
	if (ret)
		return ret;
	if (consumer_modules(h, &d, &n, &ids) < 0)
		return EXIT_FAILED;
	if (!n) {
		log_error("%s holds no reservation", h->o->consumer);
		return EXIT_FAILED;
	}
	/* stdout is what the hypervisor reads; what it needs besides goes to stderr */
	return (xml ? libvirt_xml_write(stdout, stderr, d, n) : qemu_args_write(stdout, stderr, d, n)) < 0 ? EXIT_FAILED
													     : 0;
}

static int cmd_libvirt_xml(struct host *h, int argc, char **argv)
{
	return cmd_hypervisor(h, true);
}

static int cmd_qemu_args(struct host *h, int argc, char **argv)
{
	return cmd_hypervisor(h, false);
}

static const struct command {
	const char *name;
	int (*fn)(struct host *h, int argc, char **argv);
} commands[] = {
	{ "discover", cmd_discover }, { "setup", cmd_setup },	  { "inventory", cmd_inventory },
	{ "reserve", cmd_reserve },   { "release", cmd_release }, { "erase", cmd_erase },
	{ "list", cmd_list },	      { "libvirt-xml", cmd_libvirt_xml }, { "qemu-args", cmd_qemu_args },
	{ "sync", cmd_sync },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vpmem-host [OPTIONS] COMMAND\n"
		"\n"
		"Hand out persistent memory to guests.\n"
		"\n"
		"Commands:\n"
		"  discover                          regions, DIMMs, namespaces, health\n"
		"  setup                             create the layout's namespaces and files\n"
		"  inventory                         Placement inventory per label\n"
		"  reserve --label L --consumer UUID [--numa-node N]\n"
		"  release --consumer UUID           erase (verified) and free its backings\n"
		"  erase --uuid UUID                 erase a quarantined backing\n"
		"  list                              backings, states and reservations\n"
		"  libvirt-xml --consumer UUID [--guest-node N]\n"
		"  qemu-args --consumer UUID [--guest-node N]\n"
		"  sync --placement URL [--provider NAME|UUID] [--parent UUID] [--interval S]\n"
		"                                    publish inventory, traits, allocations to Placement\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE      host configuration (default %s/vpmem/host.json)\n"
		"  -s, --state-dir DIR    ledger and lock (default %s/lib/vpmem)\n"
		"  -j, --json             JSON output\n"
		"  --placement URL        also record reservations in OpenStack Placement\n"
		"  --token T, --token-file F   X-Auth-Token (else $OS_AUTH_TOKEN)\n"
		"  --cacert FILE          CA bundle for TLS (always verified)\n"
		"  --timeout S            per request (default 30)\n"
		"  --project-id, --user-id   for consumers Placement does not know yet\n"
		"  -v, --verbose          debug messages\n"
		"  -h, --help, -V, --version\n"
		"Exit status: 0 done, 1 failed, 2 usage or configuration error.\n",
		SYSCONFDIR, LOCALSTATEDIR);
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },    { "state-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },            { "verbose", no_argument, NULL, 'v' },
		{ "label", required_argument, NULL, 'l' },     { "consumer", required_argument, NULL, 'C' },
		{ "uuid", required_argument, NULL, 'u' },      { "numa-node", required_argument, NULL, 'N' },
		{ "guest-node", required_argument, NULL, 'G' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },         { "placement", required_argument, NULL, 'P' },
		{ "provider", required_argument, NULL, 'R' },   { "parent", required_argument, NULL, 'A' },
		{ "token", required_argument, NULL, 'T' },      { "token-file", required_argument, NULL, 'F' },
		{ "cacert", required_argument, NULL, 'X' },     { "timeout", required_argument, NULL, 'O' },
		{ "interval", required_argument, NULL, 'I' },   { "project-id", required_argument, NULL, 'J' },
		{ "user-id", required_argument, NULL, 'U' },    {},
	};
	_cleanup_free_ char *token = NULL;
	struct options o = {
		.config = SYSCONFDIR "/vpmem/host.json",
		.state_dir = LOCALSTATEDIR "/lib/vpmem",
		.numa_node = -1,
		.project_id = "vpmem",
		.user_id = "vpmem",
	};
	struct host h = { .o = &o, .lock_fd = -EBADF };
	_cleanup_free_ char *state_dir = NULL;
	char *end;
	int c, ret;

	log_open("vpmem-host");
	while ((c = getopt_long(argc, argv, "c:s:jvhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 's': o.state_dir = optarg; break;
		case 'j': o.json = true; break;
		case 'v': log_set_verbose(true); break;
		case 'l': o.label = optarg; break;
		case 'C': o.consumer = optarg; break;
		case 'u': o.uuid = optarg; break;
		case 'N':
			o.numa_node = (int)strtol(optarg, &end, 10);
			if (*end || o.numa_node < 0) {
				log_error("--numa-node takes a node number");
				return EXIT_USAGE;
			}
			break;
		case 'G':
			o.guest_node = (unsigned)strtoul(optarg, &end, 10);
			if (*end) {
				log_error("--guest-node takes a node number");
				return EXIT_USAGE;
			}
			break;
		case 'P': o.placement.url = optarg; break;
		case 'R': o.provider = optarg; break;
		case 'A': o.parent = optarg; break;
		case 'T':
			free(token);
			token = strdup(optarg);
			break;
		case 'F': {
			_cleanup_free_ char *text = NULL;
			int r = read_file(optarg, &text, NULL);

			if (r < 0) {
				log_error("cannot read the token file %s: %s", optarg, strerror(-r));
				return EXIT_USAGE;
			}
			text[strcspn(text, "\r\n")] = '\0';
			free(token);
			token = TAKE_PTR(text);
			break;
		}
		case 'X': o.placement.cacert = optarg; break;
		case 'O':
		case 'I': {
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1) {
				log_error("--%s takes a number of seconds", c == 'O' ? "timeout" : "interval");
				return EXIT_USAGE;
			}
			if (c == 'O')
				o.placement.timeout = v;
			else
				o.interval = v;
			break;
		}
		case 'J': o.project_id = optarg; break;
		case 'U': o.user_id = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vpmem-host %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!token && getenv("OS_AUTH_TOKEN"))
		token = strdup(getenv("OS_AUTH_TOKEN"));
	o.placement.token = token;
	if (o.parent && !is_uuid(o.parent)) {
		log_error("--parent takes the UUID of a resource provider");
		return EXIT_USAGE;
	}
	/* the state directory is created component by component from "/" */
	if (o.state_dir[0] != '/') {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);

		if (!cwd || asprintf(&state_dir, "%s/%s", cwd, o.state_dir) < 0) {
			log_error("cannot resolve the state directory %s", o.state_dir);
			return EXIT_FAILED;
		}
		o.state_dir = state_dir;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			ret = commands[i].fn(&h, 0, NULL);
			host_clear(&h);
			return ret;
		}
	}
	log_error("unknown command \"%s\"", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
