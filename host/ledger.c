// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ledger of backings and reservations, /var/lib/vpmem/ledger.json. It is
 * only ever replaced whole and atomically under the host lock, so a crash at
 * any point leaves the previous or the next version, never a mix: no
 * reservation is lost and no backing is handed to two consumers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup-libs.h"
#include "fileio.h"
#include "jsonparse.h"
#include "ledger.h"
#include "strutil.h"

static const char *const state_names[] = {
	[BACKING_FREE] = "free",
	[BACKING_RESERVED] = "reserved",
	[BACKING_ERASING] = "erasing",
	[BACKING_QUARANTINED] = "quarantined",
	[BACKING_UNVERIFIED] = "unverified",
};

const char *backing_state_name(enum backing_state state)
{
	return state_names[state];
}

static void entry_clear(struct ledger_entry *e)
{
	free(e->label);
	free(e->name);
	free(e->consumer);
	free(e->note);
}

void ledger_clear(struct ledger *ledger)
{
	for (size_t i = 0; i < ledger->n; i++)
		entry_clear(&ledger->entries[i]);
	free(ledger->entries);
	memset(ledger, 0, sizeof(*ledger));
}

struct ledger_entry *ledger_find(struct ledger *ledger, const char *uuid)
{
	for (size_t i = 0; i < ledger->n; i++)
		if (strcmp(ledger->entries[i].uuid, uuid) == 0)
			return &ledger->entries[i];
	return NULL;
}

struct ledger_entry *ledger_add(struct ledger *ledger, const char *uuid, const char *label, enum backend_kind kind,
				const char *name, uint64_t size)
{
	struct ledger_entry *grown = realloc(ledger->entries, (ledger->n + 1) * sizeof(*grown)), *e;

	if (!grown)
		return NULL;
	ledger->entries = grown;
	e = &grown[ledger->n];
	memset(e, 0, sizeof(*e));
	snprintf(e->uuid, sizeof(e->uuid), "%s", uuid);
	e->label = strdup(label);
	e->name = strdup(name);
	if (!e->label || !e->name) {
		entry_clear(e);
		return NULL;
	}
	e->kind = kind;
	e->size = size;
	e->state = BACKING_UNVERIFIED;
	e->since = (int64_t)time(NULL);
	ledger->n++;
	return e;
}

/* Field 22 of /proc/PID/stat, the start time; *ret_state gets field 3. */
static int process_start(int pid, uint64_t *ret_start, char *ret_state)
{
	_cleanup_free_ char *text = NULL;
	char path[64], *p;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	/* the command name may hold anything, spaces and parentheses too: start after its last ')' */
	p = strrchr(text, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %" SCNu64,
			 ret_state, ret_start) != 2)
		return -EIO;
	return 0;
}

int ledger_owner_self(struct ledger_owner *ret)
{
	char state;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->pid = (int)getpid();
	if (read_boot_id(ret->boot_id) < 0)
		return -EIO;
	r = process_start(ret->pid, &ret->start, &state);
	return r;
}

bool ledger_owner_alive(const struct ledger_owner *owner)
{
	char boot_id[37], state = 0;
	uint64_t start = 0;

	if (read_boot_id(boot_id) < 0 || strcmp(boot_id, owner->boot_id) != 0)
		return false;
	if (process_start(owner->pid, &start, &state) < 0)
		return false;
	return start == owner->start && state != 'Z' && state != 'X';
}

int ledger_set_state(struct ledger_entry *e, enum backing_state state, const char *consumer, const char *note)
{
	char *c = consumer ? strdup(consumer) : NULL, *n = note ? strdup(note) : NULL;

	if ((consumer && !c) || (note && !n)) {
		free(c);
		free(n);
		return -ENOMEM;
	}
	free(e->consumer);
	free(e->note);
	e->consumer = c;
	e->note = n;
	e->state = state;
	e->since = (int64_t)time(NULL);
	e->has_owner = false;
	memset(&e->owner, 0, sizeof(e->owner));
	return 0;
}

bool ledger_reserved_for(const struct ledger_entry *e, const char *consumer)
{
	return e->state == BACKING_RESERVED && e->consumer && strcmp(e->consumer, consumer) == 0;
}

struct ledger_entry *ledger_find_reserved(struct ledger *ledger, const char *consumer, const char *label)
{
	for (size_t i = 0; i < ledger->n; i++)
		if (ledger_reserved_for(&ledger->entries[i], consumer) && strcmp(ledger->entries[i].label, label) == 0)
			return &ledger->entries[i];
	return NULL;
}

int ledger_proven_empty(struct ledger_entry *e)
{
	if (e->state != BACKING_UNVERIFIED)
		return -EINVAL;
	return ledger_set_state(e, BACKING_FREE, NULL, NULL);
}

int ledger_reserve(struct ledger_entry *e, const char *consumer)
{
	if (e->state != BACKING_FREE)
		return -EINVAL;
	return ledger_set_state(e, BACKING_RESERVED, consumer, NULL);
}

int ledger_unreserve(struct ledger_entry *e, const char *consumer)
{
	if (!ledger_reserved_for(e, consumer))
		return -EPERM;
	return ledger_set_state(e, BACKING_FREE, NULL, NULL);
}

static bool owner_equal(const struct ledger_owner *a, const struct ledger_owner *b)
{
	return a->pid == b->pid && a->start == b->start && strcmp(a->boot_id, b->boot_id) == 0;
}

int ledger_begin_erase(struct ledger_entry *e, const struct ledger_owner *owner, const char *consumer)
{
	int r;

	/* already this owner's */
	if (e->state == BACKING_ERASING && e->has_owner && owner_equal(&e->owner, owner))
		return 0;
	switch (e->state) {
	case BACKING_RESERVED:
		/* erase --uuid never takes a backing from under its consumer */
		if (!consumer || !e->consumer || strcmp(e->consumer, consumer) != 0)
			return -EPERM;
		break;
	case BACKING_ERASING:
		/* one live eraser at a time; one that died is taken over */
		if (e->has_owner && ledger_owner_alive(&e->owner))
			return -EBUSY;
		if (consumer && (!e->consumer || strcmp(e->consumer, consumer) != 0))
			return -EPERM;
		break;
	case BACKING_FREE:
	case BACKING_QUARANTINED:
	case BACKING_UNVERIFIED:
		if (consumer)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	r = ledger_set_state(e, BACKING_ERASING, e->consumer, NULL);
	if (r < 0)
		return r;
	e->has_owner = true;
	e->owner = *owner;
	return 0;
}

int ledger_finish_erase(struct ledger_entry *e, const struct ledger_owner *owner, bool erased, const char *reason)
{
	if (e->state != BACKING_ERASING || !e->has_owner || !owner_equal(&e->owner, owner))
		return -ESTALE;
	if (erased)
		return ledger_set_state(e, BACKING_FREE, NULL, NULL);
	return ledger_set_state(e, BACKING_QUARANTINED, NULL, reason);
}

static const char *get_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int ledger_load(const char *path, struct ledger *ret, char **ret_error)
{
	_cleanup_free_ char *text = NULL, *error = NULL;
	_cleanup_json_ struct json_object *root = NULL;
	struct ledger ledger = { 0 };
	struct json_object *arr;
	int r;

	*ret_error = NULL;
	r = read_file(path, &text, NULL);
	if (r == -ENOENT) {
		*ret = ledger;
		return 0;
	}
	if (r < 0)
		return r;
	r = json_parse_strict(text, strlen(text), &root, &error);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || !json_object_object_get_ex(root, "backings", &arr) || !json_object_is_type(arr, json_type_array)) {
		*ret_error = strdup_printf("not a vpmem ledger (%s)", error ? error : "no \"backings\" array");
		return -EBADMSG;
	}
	/* a newer vpmem-host's ledger may say what this one cannot read: it is neither read nor rewritten */
	{
		struct json_object *v = NULL;
		bool known = !json_object_object_get_ex(root, "version", &v) ||
			     (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == LEDGER_VERSION);

		if (!known) {
			if (asprintf(ret_error,
				     "written in ledger format %s, which this vpmem-host (format %d) does not know: a "
				     "newer vpmem-host wrote it? Nothing was read or changed",
				     v ? json_object_get_string(v) : "(none)", LEDGER_VERSION) < 0)
				*ret_error = NULL;
			return -EPROTO;
		}
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		const char *uuid = get_string(o, "uuid"), *label = get_string(o, "label"), *name = get_string(o, "name");
		const char *kind = get_string(o, "backend"), *state = get_string(o, "state");
		struct ledger_entry *e;
		int s = -1;

		for (int k = 0; state && k < BACKING__MAX; k++)
			if (strcmp(state, state_names[k]) == 0)
				s = k;
		if (!uuid || strlen(uuid) != 36 || !label || !name || !kind || s < 0 || ledger_find(&ledger, uuid)) {
			if (asprintf(ret_error, "entry %zu is malformed or repeated", i) < 0)
				*ret_error = NULL;
			ledger_clear(&ledger);
			return -EBADMSG;
		}
		e = ledger_add(&ledger, uuid, label, strcmp(kind, "file") == 0 ? BACKEND_FILE : BACKEND_DEVDAX, name,
			       json_object_object_get_ex(o, "size", &v) ? (uint64_t)json_object_get_int64(v) : 0);
		if (!e) {
			ledger_clear(&ledger);
			return -ENOMEM;
		}
		r = ledger_set_state(e, (enum backing_state)s, get_string(o, "consumer"), get_string(o, "note"));
		if (r < 0) {
			ledger_clear(&ledger);
			return r;
		}
		if (json_object_object_get_ex(o, "since", &v))
			e->since = json_object_get_int64(v);
		/* an erasing entry without a readable owner counts as one whose eraser died */
		if (json_object_object_get_ex(o, "owner", &v) && json_object_is_type(v, json_type_object)) {
			struct json_object *pid, *start;
			const char *boot_id = get_string(v, "boot_id");

			if (json_object_object_get_ex(v, "pid", &pid) && json_object_object_get_ex(v, "start", &start) &&
			    boot_id && strlen(boot_id) == 36) {
				e->has_owner = true;
				e->owner.pid = json_object_get_int(pid);
				e->owner.start = (uint64_t)json_object_get_int64(start);
				memcpy(e->owner.boot_id, boot_id, 37);
			}
		}
	}
	*ret = ledger;
	return 0;
}

int ledger_save(const char *path, const struct ledger *ledger)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	const char *text;

	json_object_object_add(root, "version", json_object_new_int(LEDGER_VERSION));
	for (size_t i = 0; i < ledger->n; i++) {
		const struct ledger_entry *e = &ledger->entries[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "uuid", json_object_new_string(e->uuid));
		json_object_object_add(o, "label", json_object_new_string(e->label));
		json_object_object_add(o, "backend", json_object_new_string(e->kind == BACKEND_FILE ? "file" : "devdax"));
		json_object_object_add(o, "name", json_object_new_string(e->name));
		json_object_object_add(o, "size", json_object_new_uint64(e->size));
		json_object_object_add(o, "state", json_object_new_string(state_names[e->state]));
		if (e->consumer)
			json_object_object_add(o, "consumer", json_object_new_string(e->consumer));
		if (e->note)
			json_object_object_add(o, "note", json_object_new_string(e->note));
		if (e->has_owner) {
			struct json_object *w = json_object_new_object();

			json_object_object_add(w, "pid", json_object_new_int(e->owner.pid));
			json_object_object_add(w, "boot_id", json_object_new_string(e->owner.boot_id));
			json_object_object_add(w, "start", json_object_new_uint64(e->owner.start));
			json_object_object_add(o, "owner", w);
		}
		json_object_object_add(o, "since", json_object_new_int64(e->since));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "backings", arr);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	return write_file_atomic(path, text, strlen(text), 0600);
}
