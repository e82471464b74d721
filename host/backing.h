/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_BACKING_H
#define VPMEM_HOST_BACKING_H

#include <stdbool.h>
#include <stdint.h>

#include "hostconf.h"
#include "errlist.h"
#include "inventory.h"
#include "ledger.h"

/* A backing the configuration names, as it is on the system now. */
struct backing {
	char uuid[37];        /* "" while it does not exist yet */
	const char *label;
	enum backend_kind kind;
	char *name;           /* namespace alt name, or the file's path */
	char *path;           /* /dev/daxX.Y or the file */
	char *link;           /* what definitions name: BACKING_BY_UUID/<uuid> for device-dax (a
			       * udev link that follows renumbering), the file's path for a file */
	char *devname;        /* namespaceX.Y */
	uint64_t size;
	uint64_t align;
	int numa_node;        /* host NUMA node, -1 unknown */
	bool present;
	bool healthy;         /* no bad blocks, no DIMM failure flags */
	const struct layout_entry *layout; /* set for backings setup makes */
	int region;           /* devdax: the region it is (to be) on */
};

struct backing_set {
	struct backing *items;
	size_t n;
};

/*
 * The backings the configuration names, matched with the live system: Nova's
 * pmem_namespaces by name (each must exist and be devdax, else an error as
 * Nova gives it), layout namespaces by their "vpmem-<label>-<i>" names, and
 * files by path (their UUIDs come from the ledger). 0, -EINVAL (errors) or
 * -ENOMEM.
 */
int backings_collect(const struct host_config *config, const struct inventory *inv, const struct ledger *ledger,
		     struct backing_set *ret, struct errlist *errors);
void backings_clear(struct backing_set *set);

struct backing *backings_find_uuid(struct backing_set *set, const char *uuid);

/* Where udev (vpmem-host's rule) links each device-dax device by its namespace's UUID */
#define BACKING_BY_UUID "/dev/vpmem/by-uuid"

/*
 * Before a definition names b->link: does it lead to b? For device-dax, the
 * link must lead to a character device with b's device number, which the
 * kernel says is the device of the namespace with b's UUID (sysfs: the
 * device's nd_dax parent, its namespace, its uuid). 0, or a negative errno
 * with the reason in *ret_why (malloc'd).
 */
int backing_check_link(const struct backing *b, char **ret_why);

/* Does path (as a domain names it) lead to b, by name, link or the same device or file? */
bool backing_named_by(const struct backing *b, const char *path);

/*
 * Bring the ledger up to date with the present backings. New ones are added
 * unverified (nothing proves them empty); a file the ledger does not know
 * gets a new UUID, in the set too. Returns how many entries were added, or
 * -ENOMEM.
 */
int ledger_sync(struct ledger *ledger, struct backing_set *set);

/* Why a ledger entry cannot be used now ("vanished", "size changed"...), or NULL. */
const char *ledger_entry_problem(const struct ledger_entry *e, const struct backing_set *set);

#endif
