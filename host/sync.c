// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Keeping OpenStack Placement in step with the host: provider, inventories,
 * traits and allocations. Every write carries the generation it was based on
 * and is retried from a fresh read when Placement says another writer came
 * first (placement.concurrent_update).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "log.h"
#include "sync.h"

#define RETRIES 8
#define OUR_PREFIX "CUSTOM_PMEM_NAMESPACE_"
#define CONFLICT "placement.concurrent_update"

/*
 * s percent-encoded for a path segment or a query value of a Placement URL
 * (RFC 3986: all but the unreserved characters), malloc'd; NULL on ENOMEM.
 */
static char *url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~') {
			*o++ = (char)*c;
		} else {
			*o++ = '%';
			*o++ = hex[*c >> 4];
			*o++ = hex[*c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* *ret = prefix, value escaped, suffix; -ENOMEM */
static int path_with(char **ret, const char *prefix, const char *value, const char *suffix)
{
	_cleanup_free_ char *e = url_escape(value);

	*ret = NULL;
	if (!e || asprintf(ret, "%s%s%s", prefix, e, suffix) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

static bool ours(const char *rc)
{
	return strncmp(rc, OUR_PREFIX, strlen(OUR_PREFIX)) == 0;
}

/*
 * A request: 0 with the HTTP status in *ret_status and the answer in
 * *ret_json, whatever the status (the caller judges it), or a negative errno
 * when no answer came, logged.
 */
static int call(struct placement *p, const char *method, const char *path, struct json_object *body,
		long *ret_status, struct json_object **ret_json)
{
	_cleanup_free_ char *error = NULL;
	int r = placement_request(p, method, path, body, ret_status, ret_json, &error);

	if (r < 0 && error)
		return log_error_errno(r, "Placement: %s", error);
	if (r < 0)
		return log_error_errno(r, "Placement: %m");
	return 0;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/*
 * The member of an answer, only when it has the type we go on to use: an
 * answer is whatever the other end sent (tests/fuzz/fuzz-placement).
 */
static struct json_object *get_typed(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, type) ? v : NULL;
}

static struct json_object *get_object(struct json_object *o, const char *key)
{
	return get_typed(o, key, json_type_object);
}

static const char *get_string(struct json_object *o, const char *key)
{
	struct json_object *v = get_typed(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

/* A provider's UUID as Placement gives it: a string of 36 characters */
static const char *get_uuid(struct json_object *o)
{
	const char *uuid = get_string(o, "uuid");

	return uuid && strlen(uuid) == 36 ? uuid : NULL;
}

static int bad_answer(const char *what, long status, struct json_object *answer)
{
	log_error("Placement: %s: HTTP %ld %s %s", what, status, placement_error_code(answer),
		  placement_error_detail(answer));
	if (status == 401 || status == 403)
		return -EACCES; /* the token: refused, or not allowed this */
	return status >= 500 ? -EIO : -EPROTO;
}

/* The provider's UUID in ret_uuid: looked up by UUID or name, created by name only when create is set. */
static int resolve_provider(struct placement *p, const struct sync_target *t, bool create, FILE *out, char *ret_uuid)
{
	_cleanup_json_ struct json_object *answer = NULL;
	_cleanup_free_ char *path = NULL;
	struct json_object *list, *rp;
	uuid_t uu;
	long st;
	int r;

	if (uuid_parse(t->provider, uu) == 0) {
		if (path_with(&path, "/resource_providers/", t->provider, "") < 0)
			return -ENOMEM;
		r = call(p, "GET", path, NULL, &st, &answer);
		if (r < 0)
			return r;
		if (st != 200) {
			log_error("Placement: no resource provider %s (HTTP %ld)", t->provider, st);
			return -ENOENT;
		}
		snprintf(ret_uuid, 37, "%s", t->provider);
		return 0;
	}
	if (path_with(&path, "/resource_providers?name=", t->provider, "") < 0)
		return -ENOMEM;
	r = call(p, "GET", path, NULL, &st, &answer);
	if (r < 0)
		return r;
	list = get(answer, "resource_providers");
	if (st != 200 || !list || !json_object_is_type(list, json_type_array))
		return bad_answer("listing resource providers", st, answer);
	if (json_object_array_length(list) > 0) {
		const char *parent;

		rp = json_object_array_get_idx(list, 0);
		if (!get_uuid(rp))
			return bad_answer("listing resource providers (a provider without a UUID)", st, answer);
		snprintf(ret_uuid, 37, "%s", get_uuid(rp));
		parent = get_string(rp, "parent_provider_uuid");
		if (t->parent && (!parent || strcmp(parent, t->parent)))
			log_warning("Placement: provider %s is not a child of %s; left as it is", t->provider, t->parent);
		return 0;
	}
	if (!create) {
		/* a reserve or release never makes a second provider that nobody publishes inventory on */
		log_error("Placement has no resource provider %s: run \"vpmem-host sync\" with the same --placement "
			  "and --provider first, which creates it and publishes the inventory",
			  t->provider);
		return -ENOENT;
	}
	{
		_cleanup_json_ struct json_object *body = json_object_new_object(), *created = NULL;

		json_object_object_add(body, "name", json_object_new_string(t->provider));
		if (t->parent)
			json_object_object_add(body, "parent_provider_uuid", json_object_new_string(t->parent));
		r = call(p, "POST", "/resource_providers", body, &st, &created);
		if (r < 0)
			return r;
		if (st != 200 || !get_uuid(created))
			return bad_answer("creating the resource provider", st, created);
		snprintf(ret_uuid, 37, "%s", get_uuid(created));
		fprintf(out, "placement: created resource provider %s (%s)%s%s\n", t->provider, ret_uuid,
			t->parent ? " under " : "", t->parent ? t->parent : "");
	}
	return 0;
}

static int ensure_named(struct placement *p, const char *kind, const char *name, FILE *out)
{
	_cleanup_json_ struct json_object *answer = NULL;
	_cleanup_free_ char *path = NULL;
	long st;
	int r;

	if (path_with(&path, strcmp(kind, "traits") ? "/resource_classes/" : "/traits/", name, "") < 0)
		return -ENOMEM;
	r = call(p, "PUT", path, NULL, &st, &answer);
	if (r < 0)
		return r;
	if (st == 201)
		fprintf(out, "placement: created %s %s\n", strcmp(kind, "traits") ? "resource class" : "trait", name);
	else if (st != 204)
		return bad_answer(path, st, answer);
	return 0;
}

static bool same_record(struct json_object *a, struct json_object *b)
{
	static const char *const keys[] = { "total", "reserved", "min_unit", "max_unit", "step_size" };

	if (!a || !b)
		return false;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get_int64(get(a, keys[i])) != json_object_get_int64(get(b, keys[i])))
			return false;
	return json_object_get_double(get(a, "allocation_ratio")) == json_object_get_double(get(b, "allocation_ratio"));
}

static int sync_inventories(struct placement *p, const char *rp, const struct sync_target *t, FILE *out)
{
	_cleanup_free_ char *inv_path = NULL, *use_path = NULL;

	if (path_with(&inv_path, "/resource_providers/", rp, "/inventories") < 0 ||
	    path_with(&use_path, "/resource_providers/", rp, "/usages") < 0)
		return -ENOMEM;
	for (int attempt = 0; attempt < RETRIES; attempt++) {
		_cleanup_json_ struct json_object *cur = NULL, *usages = NULL, *body = NULL, *answer = NULL;
		struct json_object *current, *used, *next;
		bool changed = false;
		long st;
		int r;

		r = call(p, "GET", inv_path, NULL, &st, &cur);
		if (r < 0)
			return r;
		if (st != 200 || !(current = get_object(cur, "inventories")))
			return bad_answer("reading inventories", st, cur);
		r = call(p, "GET", use_path, NULL, &st, &usages);
		if (r < 0)
			return r;
		if (st != 200 || !(used = get_object(usages, "usages")))
			return bad_answer("reading usages", st, usages);

		next = json_object_new_object();
		/* what others put on the provider stays */
		{
			json_object_object_foreach(current, rc, rec) {
				if (!ours(rc))
					json_object_object_add(next, rc, json_object_get(rec));
			}
		}
		{
			json_object_object_foreach(t->inventory, rc, want) {
				struct json_object *have = get(current, rc);
				int64_t in_use = json_object_get_int64(get(used, rc));

				if (in_use > json_object_get_int64(get(want, "total"))) {
					fprintf(out, "placement: %s: %lld in use, more than the %lld usable now: not shrunk\n",
						rc, (long long)in_use, (long long)json_object_get_int64(get(want, "total")));
					if (have)
						json_object_object_add(next, rc, json_object_get(have));
					continue;
				}
				json_object_object_add(next, rc, json_object_get(want));
				if (!same_record(have, want)) {
					changed = true;
					fprintf(out, "placement: %s: total %lld -> %lld\n", rc,
						(long long)(have ? json_object_get_int64(get(have, "total")) : 0),
						(long long)json_object_get_int64(get(want, "total")));
				}
			}
		}
		{
			json_object_object_foreach(current, rc, rec) {
				if (!ours(rc) || get(t->inventory, rc))
					continue;
				if (json_object_get_int64(get(used, rc)) > 0) {
					fprintf(out, "placement: %s: no longer usable here but still in use: kept\n", rc);
					json_object_object_add(next, rc, json_object_get(rec));
				} else {
					fprintf(out, "placement: %s: removed (nothing usable)\n", rc);
					changed = true;
				}
			}
		}
		if (!changed) {
			json_object_put(next);
			return 0;
		}
		body = json_object_new_object();
		json_object_object_add(body, "resource_provider_generation",
				       json_object_get(get(cur, "resource_provider_generation")));
		json_object_object_add(body, "inventories", next);
		r = call(p, "PUT", inv_path, body, &st, &answer);
		if (r < 0)
			return r;
		if (st == 200)
			return 0;
		if (st == 409 && strcmp(placement_error_code(answer), CONFLICT) == 0) {
			log_info("Placement: the provider changed under us (generation): reading it again");
			continue;
		}
		return bad_answer("updating inventories", st, answer);
	}
	log_error("Placement: inventories: still conflicting after %d tries", RETRIES);
	return -EAGAIN;
}

static int sync_traits(struct placement *p, const char *rp, const struct sync_target *t, FILE *out)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = ensure_named(p, "traits", "CUSTOM_PMEM", out);
	{
		json_object_object_foreach(t->inventory, rc, want) {
			(void)want;
			if (r == 0)
				r = ensure_named(p, "traits", rc, out);
		}
	}
	if (r < 0)
		return r;
	if (path_with(&path, "/resource_providers/", rp, "/traits") < 0)
		return -ENOMEM;
	for (int attempt = 0; attempt < RETRIES; attempt++) {
		_cleanup_json_ struct json_object *cur = NULL, *body = NULL, *answer = NULL;
		struct json_object *have, *next;
		bool changed = false;
		long st;

		r = call(p, "GET", path, NULL, &st, &cur);
		if (r < 0)
			return r;
		if (st != 200 || !(have = get_typed(cur, "traits", json_type_array)))
			return bad_answer("reading traits", st, cur);
		next = json_object_get(have);
#define ADD_TRAIT(name)                                                                      \
	do {                                                                                 \
		bool present = false;                                                        \
		for (size_t i = 0; i < json_object_array_length(have); i++) {               \
			const char *have_i = json_object_get_string(json_object_array_get_idx(have, i)); \
			present = present || (have_i && !strcmp(have_i, (name)));           \
		}                                                                            \
		if (!present) {                                                              \
			json_object_array_add(next, json_object_new_string(name));           \
			fprintf(out, "placement: trait %s set\n", (name));                   \
			changed = true;                                                      \
		}                                                                            \
	} while (0)
		ADD_TRAIT("CUSTOM_PMEM");
		{
			json_object_object_foreach(t->inventory, rc, want) {
				(void)want;
				ADD_TRAIT(rc);
			}
		}
#undef ADD_TRAIT
		if (!changed) {
			json_object_put(next);
			return 0;
		}
		body = json_object_new_object();
		json_object_object_add(body, "traits", next);
		json_object_object_add(body, "resource_provider_generation",
				       json_object_get(get(cur, "resource_provider_generation")));
		r = call(p, "PUT", path, body, &st, &answer);
		if (r < 0)
			return r;
		if (st == 200)
			return 0;
		if (st == 409 && strcmp(placement_error_code(answer), CONFLICT) == 0)
			continue;
		return bad_answer("updating traits", st, answer);
	}
	return -EAGAIN;
}

int placement_set_allocation(struct placement *p, const char *provider_uuid, const char *consumer,
			     struct json_object *resources, const char *project_id, const char *user_id)
{
	_cleanup_free_ char *path = NULL;

	if (path_with(&path, "/allocations/", consumer, "") < 0)
		return -ENOMEM;
	for (int attempt = 0; attempt < RETRIES; attempt++) {
		_cleanup_json_ struct json_object *cur = NULL, *body = NULL, *answer = NULL;
		struct json_object *allocs, *mine, *res, *gen;
		long st;
		int r;

		r = call(p, "GET", path, NULL, &st, &cur);
		if (r < 0)
			return r;
		if (st != 200 || !(allocs = get_object(cur, "allocations")))
			return bad_answer("reading allocations", st, cur);
		body = json_object_new_object();
		allocs = json_object_get(allocs);
		json_object_object_add(body, "allocations", allocs);
		/* keep everything but our classes on our provider, then add ours */
		mine = get_object(allocs, provider_uuid);
		res = mine ? get_object(mine, "resources") : NULL;
		if (!res) {
			mine = json_object_new_object();
			res = json_object_new_object();
			json_object_object_add(mine, "resources", res);
			json_object_object_add(allocs, provider_uuid, mine);
		}
		{
			struct json_object_iterator it = json_object_iter_begin(res), end = json_object_iter_end(res);
			char *drop[64];
			size_t n = 0;

			for (; !json_object_iter_equal(&it, &end) && n < 64; json_object_iter_next(&it))
				if (ours(json_object_iter_peek_name(&it)))
					drop[n++] = strdup(json_object_iter_peek_name(&it));
			for (size_t i = 0; i < n; i++) {
				json_object_object_del(res, drop[i]);
				free(drop[i]);
			}
		}
		if (resources) {
			json_object_object_foreach(resources, rc, count) {
				if (json_object_get_int(count) > 0)
					json_object_object_add(res, rc, json_object_get(count));
			}
		}
		/* a provider entry with nothing left goes, so does a consumer */
		if (json_object_object_length(res) == 0)
			json_object_object_del(allocs, provider_uuid);
		/* the allocations of this consumer as Placement has them, its generation too */
		gen = get(cur, "consumer_generation");
		json_object_object_add(body, "consumer_generation", gen ? json_object_get(gen) : NULL);
		json_object_object_add(body, "project_id",
				       json_object_new_string(get(cur, "project_id") ? json_object_get_string(get(cur, "project_id"))
										    : project_id));
		json_object_object_add(body, "user_id",
				       json_object_new_string(get(cur, "user_id") ? json_object_get_string(get(cur, "user_id"))
										 : user_id));
		/* microversion 1.38 wants the consumer's type: keep Placement's, else an instance */
		json_object_object_add(body, "consumer_type",
				       json_object_new_string(get(cur, "consumer_type") ? json_object_get_string(get(cur, "consumer_type"))
											: "INSTANCE"));
		if (json_object_object_length(allocs) == 0 && !gen)
			return 0; /* nothing there, nothing wanted */
		r = call(p, "PUT", path, body, &st, &answer);
		if (r < 0)
			return r;
		if (st == 204)
			return 0;
		if (st == 409 && strcmp(placement_error_code(answer), CONFLICT) == 0)
			continue;
		if (st == 409) {
			log_error("Placement refused the allocation for %s: %s", consumer, placement_error_detail(answer));
			return -ENOSPC;
		}
		return bad_answer("writing allocations", st, answer);
	}
	return -EAGAIN;
}

static bool same_resources(struct json_object *a, struct json_object *b)
{
	size_t na = 0, nb = 0;

	if (a) {
		json_object_object_foreach(a, rc, count) {
			if (!ours(rc) || json_object_get_int(count) == 0)
				continue;
			na++;
			if (json_object_get_int(get(b, rc)) != json_object_get_int(count))
				return false;
		}
	}
	if (b) {
		json_object_object_foreach(b, rc, count) {
			if (ours(rc) && json_object_get_int(count) > 0)
				nb++;
		}
	}
	return na == nb;
}

static int reconcile(struct placement *p, const char *rp, const struct sync_target *t, FILE *out)
{
	_cleanup_json_ struct json_object *cur = NULL;
	_cleanup_free_ char *path = NULL;
	struct json_object *allocs;
	int failed = 0;
	long st;
	int r;

	if (path_with(&path, "/resource_providers/", rp, "/allocations") < 0)
		return -ENOMEM;
	r = call(p, "GET", path, NULL, &st, &cur);
	if (r < 0)
		return r;
	if (st != 200 || !(allocs = get_object(cur, "allocations")))
		return bad_answer("reading the provider's allocations", st, cur);
	/* Placement has, the ledger does not: remove ours */
	{
		json_object_object_foreach(allocs, consumer, a) {
			if (get(t->held, consumer) || same_resources(get_object(a, "resources"), NULL))
				continue;
			fprintf(out, "placement: %s holds nothing here any more: allocation removed\n", consumer);
			if (placement_set_allocation(p, rp, consumer, NULL, t->project_id, t->user_id) < 0)
				failed++;
		}
	}
	/* the ledger has, Placement does not (or not the same) */
	{
		json_object_object_foreach(t->held, consumer, want) {
			struct json_object *a = get_object(allocs, consumer);

			if (same_resources(want, a ? get_object(a, "resources") : NULL))
				continue;
			fprintf(out, "placement: %s: allocation set from the ledger\n", consumer);
			if (placement_set_allocation(p, rp, consumer, want, t->project_id, t->user_id) < 0)
				failed++;
		}
	}
	return failed ? -EIO : 0;
}

/*
 * A compute node whose Nova reports persistent memory (pmem_namespaces) has
 * our resource classes on its own provider: publishing them again on ours
 * would count the same namespaces twice. -EEXIST (logged) when it has one.
 */
static int parent_has_ours(struct placement *p, const struct sync_target *t)
{
	_cleanup_json_ struct json_object *answer = NULL;
	_cleanup_free_ char *path = NULL;
	struct json_object *inv;
	int clash = 0;
	long st;
	int r;

	if (path_with(&path, "/resource_providers/", t->parent, "/inventories") < 0)
		return -ENOMEM;
	r = call(p, "GET", path, NULL, &st, &answer);
	if (r < 0)
		return r;
	if (st == 404) {
		log_error("Placement: no resource provider %s (--parent)", t->parent);
		return -ENOENT;
	}
	inv = get(answer, "inventories");
	if (st != 200 || !inv || !json_object_is_type(inv, json_type_object))
		return bad_answer("reading the parent's inventories", st, answer);
	{
		json_object_object_foreach(t->inventory, rc, want) {
			(void)want;
			if (!get(inv, rc))
				continue;
			log_error("Placement: the compute node's provider %s already has %s (Nova reports it from "
				  "[libvirt] pmem_namespaces): publishing it here too would count the same namespaces "
				  "twice. Leave that label to Nova, or take it out of its pmem_namespaces.",
				  t->parent, rc);
			clash++;
		}
	}
	return clash ? -EEXIST : 0;
}

int placement_sync(struct placement *p, const struct sync_target *target, bool inventory, bool do_reconcile,
		   FILE *out, char *ret_provider_uuid)
{
	int r;

	r = resolve_provider(p, target, target->create_provider, out, ret_provider_uuid);
	if (r < 0 || !inventory)
		return r;
	if (target->parent) {
		r = parent_has_ours(p, target);
		if (r < 0)
			return r;
	}
	{
		json_object_object_foreach(target->inventory, rc, want) {
			(void)want;
			r = ensure_named(p, "resource_classes", rc, out);
			if (r < 0)
				return r;
		}
	}
	r = sync_inventories(p, ret_provider_uuid, target, out);
	if (r == 0)
		r = sync_traits(p, ret_provider_uuid, target, out);
	if (r == 0 && do_reconcile)
		r = reconcile(p, ret_provider_uuid, target, out);
	return r;
}

void sync_memory_clear(struct sync_memory *m)
{
	free(m->target);
	*m = (struct sync_memory)SYNC_MEMORY_INIT;
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the provider's generation: 0, or a negative errno (logged) */
static int provider_generation(struct placement *p, const char *uuid, long long *ret)
{
	_cleanup_json_ struct json_object *answer = NULL;
	_cleanup_free_ char *path = NULL;
	struct json_object *g;
	long st;
	int r;

	if (path_with(&path, "/resource_providers/", uuid, "") < 0)
		return -ENOMEM;
	r = call(p, "GET", path, NULL, &st, &answer);
	if (r < 0)
		return r;
	if (st != 200)
		return bad_answer(path, st, answer);
	g = get(answer, "generation");
	if (!g || !json_object_is_type(g, json_type_int)) {
		log_error("Placement: %s: an answer without the provider's generation", path);
		return -EBADMSG;
	}
	*ret = json_object_get_int64(g);
	return 0;
}

/* the target as one JSON text, to compare rounds */
static char *target_text(const struct sync_target *t)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	const char *text;

	if (!o)
		return NULL;
	json_object_object_add(o, "provider", json_object_new_string(t->provider));
	json_object_object_add(o, "parent", t->parent ? json_object_new_string(t->parent) : NULL);
	json_object_object_add(o, "inventory", json_object_get(t->inventory));
	json_object_object_add(o, "held", json_object_get(t->held));
	json_object_object_add(o, "project_id", t->project_id ? json_object_new_string(t->project_id) : NULL);
	json_object_object_add(o, "user_id", t->user_id ? json_object_new_string(t->user_id) : NULL);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	return text ? strdup(text) : NULL;
}

int placement_sync_round(struct placement *p, const struct sync_target *target, struct sync_memory *mem, FILE *out,
			 char *ret_provider_uuid)
{
	_cleanup_free_ char *text = target_text(target);
	double now = monotonic();
	long long generation;
	int r;

	if (!text)
		return -ENOMEM;
	mem->last_full = false;
	if (mem->generation >= 0 && mem->target && strcmp(mem->target, text) == 0 &&
	    now - mem->full_at < SYNC_REFRESH_SECONDS) {
		r = provider_generation(p, mem->provider_uuid, &generation);
		if (r == 0 && generation == mem->generation) {
			snprintf(ret_provider_uuid, 37, "%s", mem->provider_uuid);
			return 0;
		}
	}
	/* a full round; what it leaves is remembered only when it all went through */
	mem->last_full = true;
	mem->generation = -1;
	r = placement_sync(p, target, true, true, out, ret_provider_uuid);
	if (r == 0)
		r = provider_generation(p, ret_provider_uuid, &generation);
	if (r < 0)
		return r;
	free(mem->target);
	mem->target = TAKE_PTR(text);
	mem->generation = generation;
	mem->full_at = now;
	snprintf(mem->provider_uuid, sizeof(mem->provider_uuid), "%s", ret_provider_uuid);
	return 0;
}
