// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host sync and inventory: publishing the backings to OpenStack
 * Placement, and the calls reserve and release make to it.
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

#include "cleanup-libs.h"
#include "erase.h"
#include "fileio.h"
#include "events.h"
#include "host-metrics.h"
#include "host.h"
#include "log.h"
#include "ndops.h"
#include "output.h"
#include "size.h"
#include "sizes.h"
#include "sync.h"

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

static char *default_provider(void)
{
	char host[HOST_NAME_MAX + 1] = "localhost", *s = NULL;

	gethostname(host, sizeof(host) - 1);
	if (asprintf(&s, "%s-vpmem", host) < 0)
		return NULL;
	return s;
}

/* the target of this host, from the ledger and the backings; its JSON parts and the fallback name are the caller's */
static struct sync_target host_target(struct host *h, bool create, struct json_object *inv, struct json_object *held,
				      const char *fallback)
{
	return (struct sync_target){
		.provider = h->placement.provider ? h->placement.provider : fallback,
		.parent = h->placement.parent,
		.create_provider = create,
		.inventory = inv,
		.held = held,
		.project_id = h->placement.project_id,
		.user_id = h->placement.user_id,
	};
}

/*
 * sync this host to Placement (only sync creates the provider): 0, or a
 * negative errno (logged). What changed is reported on stdout by sync, on
 * stderr by reserve and release, whose stdout is for programs.
 */
int host_placement_run(struct host *h, bool create, bool inventory, bool reconcile, char *ret_rp)
{
	_cleanup_json_ struct json_object *inv = host_inventory_json(h), *held = held_json(h);
	_cleanup_free_ char *fallback = default_provider();
	struct sync_target t = host_target(h, create, inv, held, fallback);
	struct placement *p = NULL;
	int r;

	if (!t.provider)
		return -ENOMEM;
	r = placement_open(&h->placement.conn, &p);
	if (r < 0)
		return r;
	r = placement_sync(p, &t, inventory, reconcile, create ? stdout : stderr, ret_rp);
	placement_close(p);
	return r;
}

/* the consumer's count of each of our classes, from the ledger */
int host_placement_update_consumer(struct host *h, const char *rp, const char *consumer)
{
	_cleanup_json_ struct json_object *held = held_json(h);
	struct json_object *mine = NULL;
	struct placement *p = NULL;
	int r;

	json_object_object_get_ex(held, consumer, &mine);
	r = placement_open(&h->placement.conn, &p);
	if (r < 0)
		return r;
	r = placement_set_allocation(p, rp, consumer, mine, h->placement.project_id, h->placement.user_id);
	placement_close(p);
	return r;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* what one round of sync did */
struct round {
	unsigned long number;
	bool in_step;
	bool full;              /* every step, not the generation alone */
	unsigned long requests; /* to Placement */
	char rp[37];
};

struct sync_args {
	bool json;
	struct placement_args placement;
	long interval;
};

static const struct host_option sync_options[] = {
	{ "json", NULL, option_flag, offsetof(struct sync_args, json), 0, 0 },
	PLACEMENT_OPTIONS(struct sync_args, placement),
	{ "interval", "S", option_number, offsetof(struct sync_args, interval), 1, 86400 },
	{},
};

/*
 * One round of sync: host.json, the ledger, the system and the token read
 * again, Placement told (at the cost of one request when nothing changed
 * since the last round: mem). 0 or a negative errno, logged.
 */
static int sync_round(struct host *h, const struct sync_args *args, struct sync_memory *mem, struct round *res)
{
	_cleanup_json_ struct json_object *inv = NULL, *held = NULL;
	_cleanup_free_ char *fallback = NULL;
	struct placement *p = NULL;
	struct sync_target t;
	bool enabled;
	int r;

	r = host_open(h, true);
	if (r < 0)
		return r;
	r = host_placement_settings(h, &args->placement, &enabled);
	if (r < 0)
		return r;
	if (!enabled) {
		log_error("sync needs Placement: --placement URL, or \"url\" in the \"placement\" section of %s",
			  h->global->config);
		return -EINVAL;
	}
	inv = host_inventory_json(h);
	held = held_json(h);
	fallback = default_provider();
	t = host_target(h, true, inv, held, fallback);
	if (!t.provider)
		return log_error_errno(-ENOMEM, "%m");
	r = placement_open(&h->placement.conn, &p);
	if (r < 0)
		return log_error_errno(r, "Placement: %m");
	/* with --json, stdout is for the rounds: the changes go to stderr */
	r = placement_sync_round(p, &t, mem, args->json ? stderr : stdout, res->rp);
	res->full = mem->last_full;
	res->requests = placement_request_count(p);
	placement_close(p);
	if (r < 0)
		return host_failure(r);
	res->in_step = true;
	log_info("in step with Placement (provider %s, %lu request%s%s)", res->rp, res->requests,
		 res->requests == 1 ? "" : "s", res->full ? "" : ": nothing changed");
	return 0;
}

static void print_round(const struct round *res)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	json_object_object_add(o, "round", json_object_new_uint64(res->number));
	json_object_object_add(o, "in_step", json_object_new_boolean(res->in_step));
	json_object_object_add(o, "full", json_object_new_boolean(res->full));
	json_object_object_add(o, "requests", json_object_new_uint64(res->requests));
	json_object_object_add(o, "provider", res->rp[0] ? json_object_new_string(res->rp) : NULL);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
}

/*
 * sync, and with --interval a daemon: a round every S seconds until SIGTERM
 * or SIGINT. Each round owns everything it uses and lets go of it at its end
 * (host_clear): host.json, the token file and the ledger are read again, so
 * a change takes effect at the next round; only what Placement was made to
 * match is kept from round to round (mem). A configuration that is wrong at
 * the start ends it (exit 2: systemd does not retry); later, a round that
 * fails, for a bad host.json as for a Placement that does not answer, is
 * logged and the next one tries again. --json: a line per round.
 */
static int cmd_sync_run(struct host *h, int argc, char **argv)
{
	struct sync_memory mem = SYNC_MEMORY_INIT;
	struct sync_args args = { 0 };
	unsigned long rounds = 0, failed = 0;
	int r;

	r = host_parse_options(h, &cmd_sync, argc, argv, &args);
	if (r <= 0)
		return r;
	if (args.interval > 0) {
		signal(SIGTERM, on_stop);
		signal(SIGINT, on_stop);
	}
	for (;;) {
		struct round res = { .number = rounds + 1 };

		r = sync_round(h, &args, &mem, &res);
		/* counted under the lock the round holds; a round that got no lock is not counted */
		if (h->lock_fd >= 0)
			host_metrics_sync_round(h, r, res.requests);
		host_clear(h);
		rounds++;
		if (args.json)
			print_round(&res);
		/* a configuration that is wrong at the start ends it: -EINVAL, exit status 2 */
		if (args.interval <= 0 || (rounds == 1 && r == -EINVAL))
			break;
		if (r < 0) {
			char f_reason[48];
			const char *fields[] = { f_reason, NULL };

			failed++;
			snprintf(f_reason, sizeof(f_reason), "VPMEM_REASON=%s", sync_error_kind(r));
			log_event(LOG_WARNING, EVENT_SYNC_FAILED, fields,
				  "sync round %lu failed (%lu of %lu so far); the next in %ld s", rounds, failed, rounds,
				  args.interval);
		}
		for (long s = 0; s < args.interval && !stop_requested; s++)
			sleep(1);
		if (stop_requested) {
			log_info("stopped after %lu rounds, %lu of them failed", rounds, failed);
			r = 0;
			break;
		}
	}
	sync_memory_clear(&mem);
	return r;
}

struct label_count {
	const char *label;
	unsigned usable;
};

struct json_object *host_inventory_json(struct host *h)
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
		/* quarantined, half-erased and unverified backings are not capacity */
		if (e && (e->state == BACKING_QUARANTINED || e->state == BACKING_ERASING || e->state == BACKING_UNVERIFIED))
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

static int cmd_inventory_run(struct host *h, int argc, char **argv)
{
	_cleanup_json_ struct json_object *inv = NULL;
	struct json_args args = { 0 };
	int r;

	r = host_parse_options(h, &cmd_inventory, argc, argv, &args);
	if (r <= 0)
		return r;
	r = host_open(h, false);
	if (r < 0)
		return r;
	inv = host_inventory_json(h);
	if (args.json) {
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

const struct command cmd_sync = {
	"sync", cmd_sync_run, sync_options,
	"[--placement URL] [--provider NAME|UUID] [--parent UUID] [--interval S] [--json]",
	"Publish the inventory, traits and allocations to OpenStack Placement, creating the\n"
	"provider the first time. Settings come from host.json's \"placement\" section; the\n"
	"options override them. With --interval, again every S seconds until stopped.",
};

const struct command cmd_inventory = {
	"inventory", cmd_inventory_run, json_options, "[--json]",
	"The Placement inventory of this host: usable backings per resource class.",
};
