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
#include "host.h"
#include "log.h"
#include "ndops.h"
#include "output.h"
#include "size.h"
#include "sizes.h"
#include "sync.h"

int host_reserve(struct host *h, const char *label, const char *consumer, int numa_node, struct ledger_entry **ret)
{
	struct ledger_entry *pick;
	bool reserved_now = false, placement;
	int ret_code;

	ret_code = host_placement_settings(h, &placement);
	if (ret_code)
		return ret_code;

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
			log_error(known ? "no free backing of label %s: all are reserved, being erased, quarantined, "
					  "unverified or unusable"
					: "no backing has the label %s in %s",
				  label, h->o->config);
			return EXIT_FAILED;
		}
		if (ledger_reserve(pick, consumer) < 0 || host_save(h) < 0)
			return EXIT_FAILED;
		reserved_now = true;
		log_notice("reserved %s (%s, label %s) for %s", pick->name, pick->uuid, pick->label, consumer);
	}
	if (placement) {
		char rp[37] = "";
		int r = host_placement_run(h, false, true, false, rp);

		if (r == 0)
			r = host_placement_update_consumer(h, rp, consumer);
		if (r < 0 && !reserved_now) {
			/* a reservation the consumer already had, and may be using: never undone here */
			log_error("%s already holds %s; %s: the next sync records it", consumer, pick->name,
				  r == -ENOSPC ? "Placement refused the allocation" : "Placement could not record it");
			return EXIT_FAILED;
		}
		if (r < 0) {
			/* Placement said no, or could not be asked: the reservation this run made goes too */
			if (ledger_unreserve(pick, consumer) < 0 || host_save(h) < 0)
				log_error("cannot roll back the reservation of %s: the next sync repairs it", pick->uuid);
			log_error("reservation of %s for %s rolled back: %s", pick->name, consumer,
				  r == -ENOSPC ? "Placement refused the allocation" : "Placement could not record it");
			return EXIT_FAILED;
		}
		log_notice("recorded in Placement: %s holds %s on provider %s", consumer, pick->label, rp);
	}
	*ret = pick;
	return 0;
}

static int cmd_reserve_run(struct host *h)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct ledger_entry *pick = NULL;
	struct backing *b;
	struct vnvdimm d = { .id = "vpmem0", .guest_node = (unsigned)h->o->guest_node, .machine = h->o->machine };
	int ret;

	if (!h->o->label || !is_uuid(h->o->consumer)) {
		log_error("reserve needs --label LABEL and --consumer UUID (a UUID, as Nova's instance ids)");
		return EXIT_USAGE;
	}
	ret = host_open(h, true);
	if (ret)
		return ret;
	ret = host_reserve(h, h->o->label, h->o->consumer, h->o->numa_node, &pick);
	if (ret)
		return ret;

	o = reservation_json(h, pick);
	b = backings_find_uuid(&h->set, pick->uuid);
	/* what the hypervisor needs, right away */
	if (b && b->path && backing_guest_sizes(b, h->o->machine, &d.sizes) == 0) {
		_cleanup_strv_free_ char **words = NULL;
		char *xml = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&xml, &len);

		d.path = b->path;
		d.uuid = b->uuid;
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
	struct erase_stats stats = { 0 };
	int r;

	if (b && b->path)
		path = strdup(b->path);
	if (!path) {
		r = -ENODEV;
		reason = strdup("the backing is not on the system");
	} else {
		r = backing_erase(kind, path, size, &stats, &reason);
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
		if (r == 0) {
			char b1[SIZE_BUF], b2[SIZE_BUF];

			log_notice("erased %s (%s), verified: free again (%s in %.3f s, %s of it written)", e->name,
				   uuid, size_format_human(stats.bytes, b1, sizeof(b1)), stats.seconds,
				   size_format_human(stats.zeroed, b2, sizeof(b2)));
		}
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
 * With --json, prints each entry touched as it is afterwards.
 */
int host_erase_entries(struct host *h, bool (*want)(const struct ledger_entry *, const void *), const void *arg,
		       const char *consumer)
{
	/* the entries this process erases, then the ones it does not (left to another, refused) */
	size_t cap = h->ledger.n ? h->ledger.n : 1, n = 0, left = 0, n_others = 0;
	char (*uuids)[37] = calloc(2 * cap, 37), (*others)[37] = uuids ? uuids + cap : NULL;
	struct ledger_owner self;
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

		if (!want(e, arg))
			continue;
		r = ledger_begin_erase(e, &self, consumer);
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
	if (n && host_save(h) < 0) {
		free(uuids);
		return EXIT_FAILED;
	}
	close(h->lock_fd);
	h->lock_fd = -EBADF;
	for (size_t i = 0; i < n; i++)
		if (erase_and_record(h, uuids[i], &self) < 0)
			failed++;
	if (h->o->json) {
		_cleanup_json_ struct json_object *arr = json_object_new_array();
		struct ledger_entry *e;

		for (size_t i = 0; i < n + n_others; i++)
			if ((e = ledger_find(&h->ledger, i < n ? uuids[i] : others[i - n])))
				json_object_array_add(arr, reservation_json(h, e));
		print_json(arr);
	}
	free(uuids);
	if (!n && !failed && !left)
		log_info("nothing to erase");
	return failed ? EXIT_FAILED : 0;
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
 * Entries want() chooses whose backing a process still has open or mapped (a
 * guest still running), or, where libvirt is configured (host.json's
 * "libvirt", or --connect), a libvirt domain names in its definition, running
 * or not: each is named. Ones a live eraser is erasing are left out: it has
 * them open itself. Returns how many (1 when libvirt cannot be asked: what
 * it would say is not known).
 */
static unsigned in_use(struct host *h, bool (*want)(const struct ledger_entry *, const void *), const void *arg)
{
	struct libvirt_sources domains = { 0 };
	unsigned busy = 0;

	if ((h->o->connect || h->config.libvirt) &&
	    libvirt_sources_read(h->o->connect ? h->o->connect : h->config.libvirt_uri, &domains) < 0) {
		log_error("libvirt cannot tell which domains name the backings: nothing was erased");
		return 1;
	}
	for (size_t i = 0; i < h->ledger.n; i++) {
		const struct ledger_entry *e = &h->ledger.entries[i];
		const char *domain;
		struct backing *b;
		char comm[16];
		int pid;

		/* a live eraser has it open itself; the work of a dead one is taken over, and checked */
		if ((e->state == BACKING_ERASING && e->has_owner && ledger_owner_alive(&e->owner)) || !want(e, arg) ||
		    !(b = backings_find_uuid(&h->set, e->uuid)) || !b->path)
			continue;
		if (backing_user(b->path, &pid, comm) > 0) {
			log_error("%s (%s) is in use by process %d (%s): a guest still running keeps its NVDIMM; stop it "
				  "first. Nothing was erased.",
				  b->path, e->uuid, pid, comm);
			busy++;
		} else if ((domain = libvirt_sources_naming(&domains, b))) {
			log_error("%s (%s) is named by the libvirt domain %s: a domain keeps its NVDIMM when it is stopped "
				  "too; \"vpmem-host detach --domain %s\" first. Nothing was erased.",
				  b->path, e->uuid, domain, domain);
			busy++;
		}
	}
	libvirt_sources_clear(&domains);
	return busy;
}

static int cmd_release_run(struct host *h)
{
	bool placement;
	int ret;

	if (!is_uuid(h->o->consumer)) {
		log_error("release needs --consumer UUID");
		return EXIT_USAGE;
	}
	ret = host_open(h, true);
	if (ret)
		return ret;
	ret = host_placement_settings(h, &placement);
	if (ret)
		return ret;
	if (in_use(h, held_by_consumer, h->o->consumer))
		return EXIT_FAILED;
	if (placement) {
		struct ledger_owner self;
		char rp[37] = "";
		int r;

		/* what the consumer keeps of ours after this release: nothing (erased below, by this process) */
		if (ledger_owner_self(&self) < 0)
			return EXIT_FAILED;
		for (size_t i = 0; i < h->ledger.n; i++)
			if (held_by_consumer(&h->ledger.entries[i], h->o->consumer))
				ledger_begin_erase(&h->ledger.entries[i], &self, h->o->consumer);
		if (host_save(h) < 0)
			return EXIT_FAILED;
		/* only the provider: the inventory is not shrunk for backings being erased */
		r = host_placement_run(h, false, false, false, rp);
		if (r == 0)
			r = host_placement_update_consumer(h, rp, h->o->consumer);
		if (r < 0)
			log_error("the allocation of %s stays in Placement for now: the next sync removes it",
				  h->o->consumer);
		ret = host_erase_entries(h, held_by_consumer, h->o->consumer, h->o->consumer);
		return r < 0 ? EXIT_FAILED : ret;
	}
	return host_erase_entries(h, held_by_consumer, h->o->consumer, h->o->consumer);
}

static int cmd_erase_run(struct host *h)
{
	struct ledger_entry *e;
	int ret;

	if (!!h->o->uuid == h->o->unverified || (h->o->uuid && !is_uuid(h->o->uuid))) {
		log_error("erase needs --uuid UUID of a backing, or --unverified");
		return EXIT_USAGE;
	}
	ret = host_open(h, true);
	if (ret)
		return ret;
	if (h->o->unverified)
		return in_use(h, unverified, NULL) ? EXIT_FAILED : host_erase_entries(h, unverified, NULL, NULL);
	e = ledger_find(&h->ledger, h->o->uuid);
	if (!e) {
		log_error("no backing %s in the ledger", h->o->uuid);
		return EXIT_USAGE;
	}
	if (e->state == BACKING_RESERVED) {
		log_error("%s is reserved by %s: release it instead", e->uuid, e->consumer);
		return EXIT_FAILED;
	}
	if (in_use(h, chosen_for_erase, h->o->uuid))
		return EXIT_FAILED;
	return host_erase_entries(h, chosen_for_erase, h->o->uuid, NULL);
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

static int cmd_list_run(struct host *h)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	int ret = host_open(h, false);

	if (ret)
		return ret;
	for (size_t i = 0; i < h->ledger.n; i++)
		json_object_array_add(arr, reservation_json(h, &h->ledger.entries[i]));
	for (size_t i = 0; i < h->set.n; i++)
		if (h->set.items[i].present && !recorded(h, &h->set.items[i]))
			json_object_array_add(arr, unrecorded_json(&h->set.items[i]));
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
	for (size_t i = 0; i < h->set.n; i++) {
		const struct backing *b = &h->set.items[i];

		if (b->present && !recorded(h, b))
			printf("%-36s  %-10s %-12s %-36s  %s  (not in the ledger yet)\n", b->uuid[0] ? b->uuid : "-",
			       b->label, backing_state_name(BACKING_UNVERIFIED), "-", b->name);
	}
	return 0;
}

const struct command cmd_reserve = {
	"reserve", cmd_reserve_run,
	(const enum host_option[]){ OPT_LABEL, OPT_CONSUMER, OPT_NUMA_NODE, OPT_GUEST_NODE, OPT_MACHINE, OPT_JSON,
				    OPTS_PLACEMENT, OPT_END },
	"--label LABEL --consumer UUID [--numa-node N] [--guest-node N] [--machine TYPE] [--json] [Placement options]",
	"Reserve a free backing of LABEL for the consumer (an instance UUID), or show the one it\n"
	"holds already; with Placement configured, record the allocation there too.",
};

const struct command cmd_release = {
	"release", cmd_release_run,
	(const enum host_option[]){ OPT_CONSUMER, OPT_JSON, OPT_CONNECT, OPTS_PLACEMENT, OPT_END },
	"--consumer UUID [--json] [--connect URI] [Placement options]",
	"Erase the consumer's backings, verify the erase, and free them (quarantined if it fails).",
};

const struct command cmd_erase = {
	"erase", cmd_erase_run, (const enum host_option[]){ OPT_UUID, OPT_UNVERIFIED, OPT_JSON, OPT_CONNECT, OPT_END },
	"--uuid UUID | --unverified [--json] [--connect URI]",
	"Erase a backing nobody holds (quarantined, unverified or free), or every unverified\n"
	"one, and verify the erase: free again, or quarantined with the reason.",
};

const struct command cmd_list = {
	"list", cmd_list_run, (const enum host_option[]){ OPT_JSON, OPT_END }, "[--json]",
	"The ledger: every backing, its state, its consumer and any problem.",
};
