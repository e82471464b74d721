/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_SYNC_H
#define VPMEM_HOST_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "placement.h"

/*
 * Every function here returns 0 or a negative errno, with the reason logged:
 * the HTTP statuses of Placement's answers are judged here and go no
 * further. A request that got no answer gives placement_request's errno
 * (-EHOSTUNREACH, -ETIMEDOUT, -EPROTO, -EBADMSG); an answer other than the
 * one expected gives -EIO (a 5xx status), -EACCES (401 or 403: the token)
 * or -EPROTO, one without what it
 * must hold -EBADMSG; besides, -ENOENT (no such provider), -EEXIST (the
 * parent publishes our classes), -ENOSPC (Placement refused an allocation),
 * -EAGAIN (still conflicting after the retries), -ENOMEM.
 */

struct json_object;

/* What this host should look like in Placement. */
struct sync_target {
	const char *provider;        /* name or UUID of the resource provider */
	const char *parent;          /* UUID of the compute node provider, or NULL */
	bool create_provider;        /* create it by name when missing (sync), or fail (reserve, release) */
	struct json_object *inventory; /* {"CUSTOM_PMEM_NAMESPACE_X": {total, ...}, ...} */
	struct json_object *held;    /* {"<consumer>": {"CUSTOM_...": n}} from the ledger */
	const char *project_id;      /* for consumers Placement does not know yet */
	const char *user_id;
};

/*
 * Make Placement match target: the provider (created by name if missing, as a
 * child of parent, when create_provider says so; -ENOENT, logged, otherwise:
 * reserve and release need the one sync made), the custom resource classes, the inventories (PUT with the
 * provider generation, retried on placement.concurrent_update; a class in use
 * is never shrunk below its usage or removed: that is reported), the traits
 * CUSTOM_PMEM and one per class (added, never dropping others'), and, with
 * reconcile, every consumer's allocation of our classes. Without inventory,
 * only the provider is looked up. Each change is
 * printed to out. 0, or a negative errno with the reason logged.
 */
int placement_sync(struct placement *p, const struct sync_target *target, bool inventory, bool reconcile,
		   FILE *out, char *ret_provider_uuid);

/*
 * What a daemon's last round made Placement match, so that a round in which
 * nothing changed costs one request, as Nova's report client keeps its
 * provider tree: the provider's UUID and generation after the last full
 * round, and the target it made Placement match then. A round is full (every
 * step of placement_sync, then the generation read) when the target changed,
 * when the provider's generation moved (someone changed its inventory,
 * traits or allocations), and at least every SYNC_REFRESH_SECONDS (what does
 * not move the generation: an allocation deleted by someone else).
 */
#define SYNC_REFRESH_SECONDS 300
struct sync_memory {
	char provider_uuid[37];
	long long generation; /* -1: none known */
	char *target;         /* the last full round's target, as JSON */
	double full_at;       /* CLOCK_MONOTONIC seconds */
	bool last_full;       /* whether the last round was a full one */
};
#define SYNC_MEMORY_INIT { .generation = -1 }
void sync_memory_clear(struct sync_memory *m);

/*
 * placement_sync (inventory and reconcile) for a round of a daemon,
 * remembering in mem. 0, or a negative errno (mem then forgets the provider's
 * generation: the next round is a full one).
 */
int placement_sync_round(struct placement *p, const struct sync_target *target, struct sync_memory *mem, FILE *out,
			 char *ret_provider_uuid);

/*
 * Set consumer's allocation of our classes on provider_uuid to resources
 * ({"CUSTOM_...": n}, empty or NULL to remove them), keeping everything else
 * the consumer holds. The consumer generation is honoured and conflicts are
 * retried. 0; -ENOSPC when Placement refuses (capacity, max_unit); another
 * negative errno otherwise, logged.
 */
int placement_set_allocation(struct placement *p, const char *provider_uuid, const char *consumer,
			     struct json_object *resources, const char *project_id, const char *user_id);

#endif
