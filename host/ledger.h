/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_LEDGER_H
#define VPMEM_HOST_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum backing_state {
	BACKING_FREE,
	BACKING_RESERVED,
	BACKING_ERASING,     /* released, erase not yet confirmed: never handed out */
	BACKING_QUARANTINED, /* the erase failed: never handed out until erased */
};

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
};

struct ledger {
	struct ledger_entry *entries;
	size_t n;
};

/* Load path; a missing file is an empty ledger. 0, -EINVAL (corrupt: message in *ret_error) or -errno. */
int ledger_load(const char *path, struct ledger *ret, char **ret_error);

/* Write crash-safely: temp file, fsync, rename, fsync of the directory. */
int ledger_save(const char *path, const struct ledger *ledger);

void ledger_clear(struct ledger *ledger);

struct ledger_entry *ledger_find(struct ledger *ledger, const char *uuid);
struct ledger_entry *ledger_add(struct ledger *ledger, const char *uuid, const char *label, enum backend_kind kind,
				const char *name, uint64_t size);
void ledger_set_state(struct ledger_entry *e, enum backing_state state, const char *consumer, const char *note);

const char *backing_state_name(enum backing_state state);

#endif
