/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_LEDGER_H
#define VPMEM_HOST_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostconf.h"

enum backing_state {
	BACKING_FREE,
	BACKING_RESERVED,
	BACKING_ERASING,     /* released, erase not yet confirmed: never handed out */
	BACKING_QUARANTINED, /* the erase failed: never handed out until erased */
	BACKING_UNVERIFIED,  /* found, not made empty by us: erased before first use */
	BACKING__MAX,
};

/*
 * Who erases a backing: a process of one boot. One that died (another boot,
 * no such process, or another process now under its pid) is recognised, and
 * its work is redone by the next release or erase.
 */
/* The ledger's format; a ledger in another is neither read nor rewritten. */
#define LEDGER_VERSION 1

struct ledger_owner {
	int pid;
	char boot_id[37];
	uint64_t start;   /* the process's start time, clock ticks after boot (/proc/PID/stat) */
};

/* This process as an owner. 0 or a negative errno. */
int ledger_owner_self(struct ledger_owner *ret);

/* Is the owner still running? (On this boot, with the same start time, not a zombie.) */
bool ledger_owner_alive(const struct ledger_owner *owner);

/*
 * One backing the host hands out, keyed by UUID: a namespace's own UUID
 * (device names renumber, names can be reused), or one made for a file.
 */
struct ledger_entry {
	char uuid[37];
	char *label;
	enum backend_kind kind;
	char *name;       /* namespace alt name, or the file's path */
	uint64_t size;    /* at reservation or setup time, to notice changes */
	enum backing_state state;
	char *consumer;   /* when reserved or erasing */
	int64_t since;    /* when the state last changed (seconds since the epoch) */
	char *note;       /* why quarantined */
	bool has_owner;   /* erasing: who */
	struct ledger_owner owner;
};

struct ledger {
	struct ledger_entry *entries;
	size_t n;
};

/*
 * Load path; a missing file is an empty ledger. 0, -EBADMSG (corrupt) or
 * -EPROTO (a format this vpmem-host does not know), with a message in
 * *ret_error, or another negative errno.
 */
int ledger_load(const char *path, struct ledger *ret, char **ret_error);

/* Write crash-safely: temp file, fsync, rename, fsync of the directory. */
int ledger_save(const char *path, const struct ledger *ledger);

void ledger_clear(struct ledger *ledger);

struct ledger_entry *ledger_find(struct ledger *ledger, const char *uuid);
/* A backing new to the ledger: unverified (nothing proves it empty yet). */
struct ledger_entry *ledger_add(struct ledger *ledger, const char *uuid, const char *label, enum backend_kind kind,
				const char *name, uint64_t size);
/* Set the state, with copies of consumer and note (either may be NULL). 0 or -ENOMEM (e unchanged). */
int ledger_set_state(struct ledger_entry *e, enum backing_state state, const char *consumer, const char *note);

/* Is e reserved for consumer? */
bool ledger_reserved_for(const struct ledger_entry *e, const char *consumer);
/* The entry of label reserved for consumer, or NULL. */
struct ledger_entry *ledger_find_reserved(struct ledger *ledger, const char *consumer, const char *label);

/*
 * The state changes, each checking the state it expects; on any other state
 * they change nothing and return a negative errno:
 *
 *   (new) -> unverified                             ledger_add
 *   unverified -> free                              ledger_proven_empty (a file setup just made)
 *   free -> reserved(consumer)                      ledger_reserve
 *   reserved(consumer) -> free                      ledger_unreserve (undoing a reservation just made)
 *   reserved(consumer) -> erasing(owner)            ledger_begin_erase with consumer (release)
 *   free, quarantined, unverified -> erasing(owner) ledger_begin_erase without (erase --uuid)
 *   erasing(dead owner) -> erasing(owner)           ledger_begin_erase: the work of one that died is redone
 *   erasing(owner) -> free or quarantined(reason)   ledger_finish_erase, by that owner only
 *
 * -EBUSY: another live process is erasing it; -EPERM: it is reserved by
 * another consumer, or reserved at all for erase --uuid; -ESTALE: the entry
 * is no longer this owner's to finish; -EINVAL: not in a state that allows it;
 * -ENOMEM.
 */
int ledger_proven_empty(struct ledger_entry *e);
int ledger_reserve(struct ledger_entry *e, const char *consumer);
int ledger_unreserve(struct ledger_entry *e, const char *consumer);
int ledger_begin_erase(struct ledger_entry *e, const struct ledger_owner *owner, const char *consumer);
int ledger_finish_erase(struct ledger_entry *e, const struct ledger_owner *owner, bool erased, const char *reason);

const char *backing_state_name(enum backing_state state);

#endif
