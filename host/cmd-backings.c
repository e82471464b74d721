// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host reserve, release, erase and list: the ledger's backings,
 * handed to consumers and erased when they give them back.
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
#include "strutil.h"
#include "log.h"
#include "ndops.h"
#include "output.h"
#include "size.h"
#include "sizes.h"
#include "sync.h"

int host_reserve(struct host *h, const struct placement_args *placement_args, const char *label, const char *consumer,
		 int numa_node, struct ledger_entry **ret)
{
	struct ledger_entry *pick;
	bool reserved_now = false, placement;
	int r;

	r = host_placement_settings(h, placement_args, &placement);
	if (r < 0)
		return r;

	/* the same consumer asking again gets what it has */
	pick = ledger_find_reserved(&h->ledger, consumer, label);
	if (!pick) {
		int best = -1;

		for (size_t i = 0; i < h->ledger.n; i++) {
			struct ledger_entry *e = &h->ledger.entries[i];
			struct backing *b;
			int score;

			if (e->state != BACKING_FREE || strcmp(e->label, label) != 0 || ledger_entry_problem(e, &h->set))
				continue;
			b = backings_find_uuid(&h->set, e->uuid);
			if (!b || !b->path)
				continue;
			score = numa_node >= 0 && b->numa_node == numa_node ? 2 : 1;
			if (score > best) {
				best = score;
				pick = e;
			}
		}
		if (!pick) {
			bool known = false;

			for (size_t i = 0; i < h->set.n; i++)
				known = known || strcmp(h->set.items[i].label, label) == 0;
			if (known)
				log_error("no free backing of label %s: all are reserved, being erased, quarantined, "
					  "unverified or unusable",
					  label);
			else
				log_error("no backing has the label %s in %s", label, h->global->config);
			return known ? -ENOSPC : -ENOENT;
		}
		r = ledger_reserve(pick, consumer);
		if (r < 0)
			return host_failure(log_error_errno(r, "cannot reserve %s: %m", pick->uuid));
		r = host_save(h);
		if (r < 0)
			return r;
		reserved_now = true;
		log_notice("reserved %s (%s, label %s) for %s", pick->name, pick->uuid, pick->label, consumer);
	}
	if (placement) {
		char rp[37] = "";

		r = host_placement_run(h, false, true, false, rp);
		if (r == 0)
			r = host_placement_update_consumer(h, rp, consumer);
		if (r < 0 && !reserved_now) {
			/* a reservation the consumer already had, and may be using: never undone here */
			log_error("%s already holds %s; %s: the next sync records it", consumer, pick->name,
				  r == -ENOSPC ? "Placement refused the allocation" : "Placement could not record it");
			return host_failure(r);
		}
		if (r < 0) {
			/* Placement said no, or could not be asked: the reservation this run made goes too */
			if (ledger_unreserve(pick, consumer) < 0 || host_save(h) < 0)
				log_error("cannot roll back the reservation of %s: the next sync repairs it", pick->uuid);
			log_error("reservation of %s for %s rolled back: %s", pick->name, consumer,
				  r == -ENOSPC ? "Placement refused the allocation" : "Placement could not record it");
			return host_failure(r);
		}
		log_notice("recorded in Placement: %s holds %s on provider %s", consumer, pick->label, rp);
	}
	*ret = pick;
	return 0;
}

struct reserve_args {
	bool json;
	const char *label;
	const char *consumer;
	long numa_node;
	long guest_node;
	struct placement_args placement;
	enum guest_machine machine;
};

static const struct host_option reserve_options[] = {
	{ "json", NULL, option_flag, offsetof(struct reserve_args, json), 0, 0 },
	{ "label", "LABEL", option_string, offsetof(struct reserve_args, label), 0, 0 },
	{ "consumer", "UUID", option_string, offsetof(struct reserve_args, consumer), 0, 0 },
	{ "numa-node", "N", option_number, offsetof(struct reserve_args, numa_node), 0, 65535 },
	{ "guest-node", "N", option_number, offsetof(struct reserve_args, guest_node), 0, 255 },
	PLACEMENT_OPTIONS(struct reserve_args, placement),
	{ "machine", "TYPE", option_machine, offsetof(struct reserve_args, machine), 0, 0 },
	{},
};

static int cmd_reserve_run(struct host *h, int argc, char **argv)
{
	struct reserve_args args = { .numa_node = -1, .machine = guest_machine_native() };
	_cleanup_json_ struct json_object *o = NULL;
	struct ledger_entry *pick = NULL;
	struct backing *b;
	struct vnvdimm d = { .id = "vpmem0" };
	int r;

	r = host_parse_options(h, &cmd_reserve, argc, argv, &args);
	if (r <= 0)
		return r;
	if (!args.label || !is_uuid(args.consumer)) {
		log_error("reserve needs --label LABEL and --consumer UUID (a UUID, as Nova's instance ids)");
		return -EINVAL;
	}
	r = host_open(h, true);
	if (r < 0)
		return r;
	r = host_reserve(h, &args.placement, args.label, args.consumer, (int)args.numa_node, &pick);
	if (r < 0)
		return r;

	o = reservation_json(h, pick, args.machine);
	b = backings_find_uuid(&h->set, pick->uuid);
	/* what the hypervisor needs, right away */
	if (b && b->path && backing_guest_sizes(b, args.machine, &d.sizes) == 0) {
		_cleanup_strv_free_ char **words = NULL;
		_cleanup_free_ char *xml = NULL;

		d.path = b->path;
		d.uuid = b->uuid;
		d.machine = args.machine;
		d.real_pmem = b->kind == BACKEND_DEVDAX;
		d.guest_node = (unsigned)args.guest_node;
		words = qemu_args_for(&d);
		if (words) {
			struct json_object *a = json_object_new_array();

			for (char **w = words; *w; w++)
				json_object_array_add(a, json_object_new_string(*w));
			json_object_object_add(o, "qemu_args", a);
		}
		if (libvirt_xml_format(&d, 1, &xml) == 0)
			json_object_object_add(o, "libvirt_xml", json_object_new_string(xml));
	}
	if (args.json) {
		print_json(o);
	} else {
		struct json_object *v;

		printf("%s\t%s\t%s", pick->uuid, pick->label,
		       json_object_object_get_ex(o, "path", &v) ? json_object_get_string(v) : "-");
		if (json_object_object_get_ex(o, "guest_size", &v))
			printf("\tguest %s bytes", json_object_get_string(v));
		printf("\n");
	}
	return 0;
}

/*
 * Erase one entry this process marked "erasing" (lock not held), then record
 * the outcome under the lock, if the entry is still this process's: one that
 * was taken over meanwhile (this process was stopped so long that it was
 * thought dead) is left to the one that took it. 0, or a negative errno
 * (logged) when it was not erased or the outcome not recorded.
 */
static int erase_and_record(struct host *h, const char *uuid, const struct ledger_owner *self)
{
	_cleanup_free_ char *reason = NULL, *path = NULL, *ledger_error = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct ledger_entry *e = ledger_find(&h->ledger, uuid);
	struct backing *b = backings_find_uuid(&h->set, uuid);
	enum backend_kind kind = e->kind;
	uint64_t size = b ? b->size : 0;
	struct erase_stats stats = { 0 };
	struct ledger fresh = { 0 };
	const char *why;
	int r, erased;

	if (b && b->path)
		path = strdup(b->path);
	if (!path) {
		erased = -ENODEV;
		reason = strdup("the backing is not on the system");
	} else {
		erased = backing_erase(kind, path, size, &stats, &reason);
	}
	/* a CXL device's label storage area is the backing's too: the tenant's labels and names */
	if (erased == 0)
		erased = backing_lsa_erase(h, uuid, &reason);
	why = reason ? reason : strerror(-erased);

	/* the ledger may have changed while erasing: reload it under the lock */
	fd = lock_file(h->lock_path);
	if (fd < 0)
		return log_error_errno(fd, "cannot lock %s to record the erase of %s: %m", h->lock_path, uuid);
	r = ledger_load(h->ledger_path, &fresh, &ledger_error);
	if (r < 0 && ledger_error)
		return log_error_errno(r, "%s: %s; the erase of %s is not recorded", h->ledger_path, ledger_error, uuid);
	if (r < 0)
		return log_error_errno(r, "%s: %m; the erase of %s is not recorded", h->ledger_path, uuid);
	e = ledger_find(&fresh, uuid);
	if (!e) {
		log_error("%s is no longer in %s: the erase is not recorded", uuid, h->ledger_path);
		ledger_clear(&fresh);
		return -ESTALE;
	}
	r = ledger_finish_erase(e, self, erased == 0, why);
	if (r == -ESTALE)
		log_error("%s (%s) was taken over by another eraser meanwhile: this outcome is not recorded", e->name,
			  uuid);
	else if (r < 0)
		log_error_errno(r, "cannot record the erase of %s: %m", uuid);
	if (r < 0) {
		ledger_clear(&fresh);
		return r;
	}
	host_metrics_erase(h, e->label, erased == 0, &stats);
	{
		_cleanup_free_ char *f_backing = strdup_printf("VPMEM_BACKING=%s", uuid);
		_cleanup_free_ char *f_label = strdup_printf("VPMEM_LABEL=%s", e->label ? e->label : "");
		_cleanup_free_ char *f_device = strdup_printf("VPMEM_DEVICE=%s", e->name ? e->name : "");
		const char *fields[] = { f_backing, f_label, f_device, NULL };

		/* a field that could not be made ends the list there */
		if (erased == 0) {
			char b1[SIZE_BUF], b2[SIZE_BUF];

			log_event(LOG_NOTICE, EVENT_ERASED, fields,
				  "erased %s (%s), verified: free again (%s in %.3f s, %s of it written)", e->name, uuid,
				  size_format_human(stats.bytes, b1, sizeof(b1)), stats.seconds,
				  size_format_human(stats.zeroed, b2, sizeof(b2)));
		} else {
			log_event(LOG_ERR, EVENT_ERASE_FAILED, fields,
				  "erasing %s (%s) failed: %s; quarantined until \"vpmem-host erase --uuid %s\" succeeds",
				  e->name, uuid, why, uuid);
		}
	}
	ledger_clear(&h->ledger);
	h->ledger = fresh;
	r = host_save(h);
	return erased < 0 ? -EIO : r;
}

int host_erase_entries(struct host *h, bool (*want)(const struct ledger_entry *, const void *), const void *arg,
		       const char *consumer, bool json)
{
	/* the entries this process erases, then the ones it does not (left to another, refused) */
	size_t cap = h->ledger.n ? h->ledger.n : 1, n = 0, left = 0, n_others = 0;
	_cleanup_free_ char(*uuids)[37] = calloc(2 * cap, 37);
	char(*others)[37] = uuids ? uuids + cap : NULL;
	struct ledger_owner self;
	unsigned failed = 0;
	int r;

	if (!uuids)
		return log_error_errno(-ENOMEM, "%m");
	r = ledger_owner_self(&self);
	if (r < 0)
		return host_failure(log_error_errno(r, "cannot tell who this process is (/proc): %m"));
	for (size_t i = 0; i < h->ledger.n; i++) {
		struct ledger_entry *e = &h->ledger.entries[i];

		if (!want(e, arg))
			continue;
		r = ledger_begin_erase(e, &self, consumer);
		if (r == -ENOMEM)
			return log_error_errno(r, "%m");
		if (r == -EBUSY) {
			log_notice("%s (%s) is being erased by process %d: left to it", e->name, e->uuid, e->owner.pid);
			/* a release is done when someone erases; erase --uuid asked for this process to */
			if (consumer)
				left++;
			else
				failed++;
			memcpy(others[n_others++], e->uuid, 37);
			continue;
		}
		if (r < 0) {
			log_error("%s (%s) is %s: not erased", e->name, e->uuid, backing_state_name(e->state));
			failed++;
			memcpy(others[n_others++], e->uuid, 37);
			continue;
		}
		memcpy(uuids[n++], e->uuid, 37);
	}
	if (n) {
		r = host_save(h);
		if (r < 0)
			return r;
	}
	close(h->lock_fd);
	h->lock_fd = -EBADF;
	for (size_t i = 0; i < n; i++)
		if (erase_and_record(h, uuids[i], &self) < 0)
			failed++;
	if (json) {
		_cleanup_json_ struct json_object *arr = json_object_new_array();
		struct ledger_entry *e;

		for (size_t i = 0; i < n + n_others; i++)
			if ((e = ledger_find(&h->ledger, i < n ? uuids[i] : others[i - n])))
				json_object_array_add(arr, reservation_json(h, e, guest_machine_native()));
		print_json(arr);
	}
	if (!n && !failed && !left)
		log_info("nothing to erase");
	return failed ? -EIO : 0; /* each failure is logged */
}

static bool held_by_consumer(const struct ledger_entry *e, const void *consumer)
{
	return (e->state == BACKING_RESERVED || e->state == BACKING_ERASING) && e->consumer &&
	       strcmp(e->consumer, consumer) == 0;
}

static bool chosen_for_erase(const struct ledger_entry *e, const void *uuid)
{
	return strcmp(e->uuid, uuid) == 0 && e->state != BACKING_RESERVED;
}

static bool unverified(const struct ledger_entry *e, const void *unused)
{
	(void)unused;
	return e->state == BACKING_UNVERIFIED;
}

/*
 * Is a backing of the entries want() chooses in use? By a process that
 * still has it open or mapped (a guest still running), or, where libvirt is
 * configured (host.json's "libvirt", or connect), by a libvirt domain that
 * names it in its definition, running or not: each is named. Ones a live
 * eraser is erasing are left out: it has them open itself. 0 when none is,
 * -EBUSY when some are, or a negative errno (logged) when libvirt cannot be
 * asked: what it would say is not known.
 */
static int in_use(struct host *h, const char *connect, bool (*want)(const struct ledger_entry *, const void *),
		  const void *arg)
{
	struct libvirt_sources domains = { 0 };
	unsigned busy = 0;
	int r;

	if (connect || h->config.libvirt) {
		r = libvirt_sources_read(connect ? connect : h->config.libvirt_uri, &domains);
		if (r < 0) {
			log_error("libvirt cannot tell which domains name the backings: nothing was erased");
			return r;
		}
	}
	for (size_t i = 0; i < h->ledger.n; i++) {
		const struct ledger_entry *e = &h->ledger.entries[i];
		const char *domain;
		_cleanup_free_ char *f_backing = NULL, *f_device = NULL, *f_who = NULL, *why = NULL;
		struct backing *b;
		char comm[16];
		int pid;

		/* a live eraser has it open itself; the work of a dead one is taken over, and checked */
		if ((e->state == BACKING_ERASING && e->has_owner && ledger_owner_alive(&e->owner)) || !want(e, arg) ||
		    !(b = backings_find_uuid(&h->set, e->uuid)) || !b->path)
			continue;
		if (backing_user(b->path, &pid, comm) > 0) {
			f_who = strdup_printf("VPMEM_PID=%d", pid);
			why = strdup_printf("is in use by process %d (%s): a guest still running keeps its NVDIMM; stop "
					    "it first",
					    pid, comm);
		} else if ((domain = libvirt_sources_naming(&domains, b))) {
			f_who = strdup_printf("VPMEM_DOMAIN=%s", domain);
			why = strdup_printf("is named by the libvirt domain %s: a domain keeps its NVDIMM when it is "
					    "stopped too; \"vpmem-host detach --domain %s\" first",
					    domain, domain);
		} else {
			continue;
		}
		f_backing = strdup_printf("VPMEM_BACKING=%s", e->uuid);
		f_device = strdup_printf("VPMEM_DEVICE=%s", b->path);
		{
			const char *fields[] = { f_backing, f_device, f_who, NULL };

			log_event(LOG_ERR, EVENT_BACKING_IN_USE, fields, "%s (%s) %s. Nothing was erased.", b->path,
				  e->uuid, why ? why : "is in use");
		}
		host_metrics_in_use(h, e->label);
		busy++;
	}
	libvirt_sources_clear(&domains);
	return busy ? -EBUSY : 0;
}

struct release_args {
	bool json;
	const char *consumer;
	struct placement_args placement;
	const char *connect;
};

static const struct host_option release_options[] = {
	{ "json", NULL, option_flag, offsetof(struct release_args, json), 0, 0 },
	{ "consumer", "UUID", option_string, offsetof(struct release_args, consumer), 0, 0 },
	PLACEMENT_OPTIONS(struct release_args, placement),
	{ "connect", "URI", option_string, offsetof(struct release_args, connect), 0, 0 },
	{},
};

static int cmd_release_run(struct host *h, int argc, char **argv)
{
	struct release_args args = { 0 };
	struct ledger_owner self;
	char rp[37] = "";
	bool placement;
	int r, erased;

	r = host_parse_options(h, &cmd_release, argc, argv, &args);
	if (r <= 0)
		return r;
	if (!is_uuid(args.consumer)) {
		log_error("release needs --consumer UUID");
		return -EINVAL;
	}
	r = host_open(h, true);
	if (r < 0)
		return r;
	r = host_placement_settings(h, &args.placement, &placement);
	if (r < 0)
		return r;
	r = in_use(h, args.connect, held_by_consumer, args.consumer);
	if (r < 0)
		return r;
	if (!placement)
		return host_erase_entries(h, held_by_consumer, args.consumer, args.consumer, args.json);

	/* what the consumer keeps of ours after this release: nothing (erased below, by this process) */
	r = ledger_owner_self(&self);
	if (r < 0)
		return host_failure(log_error_errno(r, "cannot tell who this process is (/proc): %m"));
	for (size_t i = 0; i < h->ledger.n; i++)
		/* one another live process is erasing is left to it, and to host_erase_entries to say so */
		if (held_by_consumer(&h->ledger.entries[i], args.consumer) &&
		    ledger_begin_erase(&h->ledger.entries[i], &self, args.consumer) == -ENOMEM)
			return log_error_errno(-ENOMEM, "%m");
	r = host_save(h);
	if (r < 0)
		return r;
	/* only the provider: the inventory is not shrunk for backings being erased */
	r = host_placement_run(h, false, false, false, rp);
	if (r == 0)
		r = host_placement_update_consumer(h, rp, args.consumer);
	if (r < 0)
		log_error("the allocation of %s stays in Placement for now: the next sync removes it", args.consumer);
	erased = host_erase_entries(h, held_by_consumer, args.consumer, args.consumer, args.json);
	return r < 0 ? host_failure(r) : erased;
}

struct erase_args {
	bool json;
	const char *uuid;
	const char *connect;
	bool unverified;
};

static const struct host_option erase_options[] = {
	{ "json", NULL, option_flag, offsetof(struct erase_args, json), 0, 0 },
	{ "uuid", "UUID", option_string, offsetof(struct erase_args, uuid), 0, 0 },
	{ "connect", "URI", option_string, offsetof(struct erase_args, connect), 0, 0 },
	{ "unverified", NULL, option_flag, offsetof(struct erase_args, unverified), 0, 0 },
	{},
};

static int cmd_erase_run(struct host *h, int argc, char **argv)
{
	struct erase_args args = { 0 };
	struct ledger_entry *e;
	int r;

	r = host_parse_options(h, &cmd_erase, argc, argv, &args);
	if (r <= 0)
		return r;
	if (!!args.uuid == args.unverified || (args.uuid && !is_uuid(args.uuid))) {
		log_error("erase needs --uuid UUID of a backing, or --unverified");
		return -EINVAL;
	}
	r = host_open(h, true);
	if (r < 0)
		return r;
	if (args.unverified) {
		r = in_use(h, args.connect, unverified, NULL);
		if (r < 0)
			return r;
		return host_erase_entries(h, unverified, NULL, NULL, args.json);
	}
	e = ledger_find(&h->ledger, args.uuid);
	if (!e) {
		log_error("no backing %s in the ledger", args.uuid);
		return -EINVAL;
	}
	if (e->state == BACKING_RESERVED) {
		log_error("%s is reserved by %s: release it instead", e->uuid, e->consumer);
		return -EPERM;
	}
	r = in_use(h, args.connect, chosen_for_erase, args.uuid);
	if (r < 0)
		return r;
	return host_erase_entries(h, chosen_for_erase, args.uuid, NULL, args.json);
}

/* a backing on the system the ledger has not recorded yet (the next command under the lock does) */
static struct json_object *unrecorded_json(const struct backing *b)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "uuid", b->uuid[0] ? json_object_new_string(b->uuid) : NULL);
	json_object_object_add(o, "label", json_object_new_string(b->label));
	json_object_object_add(o, "backend", json_object_new_string(b->kind == BACKEND_FILE ? "file" : "devdax"));
	json_object_object_add(o, "state", json_object_new_string(backing_state_name(BACKING_UNVERIFIED)));
	json_object_object_add(o, "consumer", NULL);
	json_object_object_add(o, "name", json_object_new_string(b->name));
	json_object_object_add(o, "path", b->path ? json_object_new_string(b->path) : NULL);
	json_object_object_add(o, "backing_size", json_object_new_uint64(b->size));
	json_object_object_add(o, "note", json_object_new_string("not in the ledger: nothing proves it empty"));
	return o;
}

static bool recorded(struct host *h, const struct backing *b)
{
	return b->uuid[0] && ledger_find(&h->ledger, b->uuid);
}

static int cmd_list_run(struct host *h, int argc, char **argv)
{
	_cleanup_json_ struct json_object *arr = NULL;
	struct json_args args = { 0 };
	int r;

	r = host_parse_options(h, &cmd_list, argc, argv, &args);
	if (r <= 0)
		return r;
	r = host_open(h, false);
	if (r < 0)
		return r;
	arr = json_object_new_array();
	for (size_t i = 0; i < h->ledger.n; i++)
		json_object_array_add(arr, reservation_json(h, &h->ledger.entries[i], guest_machine_native()));
	for (size_t i = 0; i < h->set.n; i++)
		if (h->set.items[i].present && !recorded(h, &h->set.items[i]))
			json_object_array_add(arr, unrecorded_json(&h->set.items[i]));
	if (args.json) {
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
	for (size_t i = 0; i < h->set.n; i++) {
		const struct backing *b = &h->set.items[i];

		if (b->present && !recorded(h, b))
			printf("%-36s  %-10s %-12s %-36s  %s  (not in the ledger yet)\n", b->uuid[0] ? b->uuid : "-",
			       b->label, backing_state_name(BACKING_UNVERIFIED), "-", b->name);
	}
	return 0;
}

const struct command cmd_reserve = {
	"reserve", cmd_reserve_run, reserve_options,
	"--label LABEL --consumer UUID [--numa-node N] [--guest-node N] [--machine TYPE] [--json] [Placement options]",
	"Reserve a free backing of LABEL for the consumer (an instance UUID), or show the one it\n"
	"holds already; with Placement configured, record the allocation there too.",
};

const struct command cmd_release = {
	"release", cmd_release_run, release_options,
	"--consumer UUID [--json] [--connect URI] [Placement options]",
	"Erase the consumer's backings, verify the erase, and free them (quarantined if it fails).",
};

const struct command cmd_erase = {
	"erase", cmd_erase_run, erase_options,
	"--uuid UUID | --unverified [--json] [--connect URI]",
	"Erase a backing nobody holds (quarantined, unverified or free), or every unverified\n"
	"one, and verify the erase: free again, or quarantined with the reason.",
};

const struct command cmd_list = {
	"list", cmd_list_run, json_options, "[--json]",
	"The ledger: every backing, its state, its consumer and any problem.",
};
