// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cleanup-libs.h"
#include "fileio.h"
#include "size.h"
#include "status.h"

/*
 * The status document is described once, by status_walk(), to a sink: one
 * builds it with json-c, the other only hashes it. A boot with nothing to
 * do compares the hash with the one the file was written with and stops
 * there, without building the document.
 */
struct status_sink {
	void (*open)(struct status_sink *s, const char *key, bool array); /* key NULL in arrays and at the root */
	void (*close)(struct status_sink *s);
	void (*string)(struct status_sink *s, const char *key, const char *value); /* NULL: null */
	void (*number)(struct status_sink *s, const char *key, uint64_t value);
	void (*boolean)(struct status_sink *s, const char *key, int value); /* < 0: null */
	void (*mark)(struct status_sink *s); /* NULL, or told where the state ends and the run's record begins */
};

static void walk_ns(const struct ns_state *ns, struct status_sink *s)
{
	s->open(s, NULL, false);
	s->string(s, "namespace", ns->devname);
	s->string(s, "name", ns->name && *ns->name ? ns->name : NULL);
	s->string(s, "uuid", ns->uuid);
	s->string(s, "mode", ns_mode_name(ns->mode));
	s->boolean(s, "enabled", ns->enabled);
	s->number(s, "size", ns->size);
	if (ns->dev_size)
		s->number(s, "device_size", ns->dev_size);
	if (ns->sector_size)
		s->number(s, "sector_size", ns->sector_size);
	if (ns->align)
		s->number(s, "align", ns->align);
	s->string(s, "device", ns->chardev ? ns->chardev : ns->blockdev);
	if (ns->mode == NS_MODE_DEVDAX) {
		s->boolean(s, "system_ram", ns->system_ram);
	} else {
		s->string(s, "filesystem", ns->fstype);
		s->string(s, "mountpoint", ns->mountpoint);
		/* sector mode is never DAX: that is its point, not a failure */
		s->boolean(s, "dax", ns->mode == NS_MODE_SECTOR ? 0 : ns->mountpoint && ns->dax >= 0 ? ns->dax : -1);
	}
	s->close(s);
}

/* {["digest",] "regions": [...], and with a log "result", "done", "failed"} */
static void status_walk(const struct inventory *inv, const struct apply_log *log, const char *digest,
			struct status_sink *s)
{
	s->open(s, NULL, false);
	if (digest)
		s->string(s, "digest", digest);
	s->open(s, "regions", true);
	for (size_t i = 0; i < inv->n_regions; i++) {
		const struct region_state *r = &inv->regions[i];

		s->open(s, NULL, false);
		s->string(s, "region", r->devname);
		s->string(s, "kind", region_kind_name(r->kind));
		s->string(s, "description", region_kind_describe(r));
		s->string(s, "provider", r->provider);
		s->string(s, "persistence_domain", persistence_name(r->persistence));
		s->boolean(s, "synchronous", !r->async);
		s->number(s, "badblocks", r->badblocks);
		s->number(s, "size", r->size);
		s->number(s, "available", r->available);
		if (r->align)
			s->number(s, "align", r->align);
		s->boolean(s, "labels", r->labelled);
		s->boolean(s, "label_area", r->label_capable);
		s->boolean(s, "enabled", r->enabled);
		if (r->numa_node >= 0)
			s->number(s, "numa_node", (uint64_t)r->numa_node);
		s->open(s, "dimms", true);
		for (char **d = r->dimms; d && *d; d++)
			s->string(s, NULL, *d);
		s->close(s);
		/* what each DIMM's firmware says: health (SMART), flags, dirty shutdown count */
		s->open(s, "dimm_health", true);
		for (size_t d = 0; d < r->n_dimm_states; d++) {
			const struct dimm_state *ds = &r->dimm_states[d];

			s->open(s, NULL, false);
			s->string(s, "dimm", ds->devname);
			s->string(s, "health", dimm_health_name(ds->health));
			s->open(s, "flags", true);
			for (unsigned f = 1; f & DIMM_FLAG__ALL; f <<= 1)
				if (ds->flags & f)
					s->string(s, NULL, dimm_flag_name(f));
			s->close(s);
			if (ds->dirty_shutdowns >= 0)
				s->number(s, "dirty_shutdowns", (uint64_t)ds->dirty_shutdowns);
			else
				s->string(s, "dirty_shutdowns", NULL);
			s->close(s);
		}
		s->close(s);
		if (r->cxl) {
			s->open(s, "cxl", false);
			s->string(s, "region", r->cxl->region);
			s->string(s, "root_decoder", r->cxl->root_decoder);
			s->number(s, "interleave_ways", r->cxl->ways);
			s->number(s, "interleave_granularity", r->cxl->granularity);
			s->open(s, "memdevs", true);
			for (size_t m = 0; m < r->cxl->n_members; m++) {
				s->open(s, NULL, false);
				s->string(s, "memdev", r->cxl->members[m].memdev);
				s->number(s, "serial", r->cxl->members[m].serial);
				s->number(s, "position", m);
				s->string(s, "decoder", r->cxl->members[m].decoder);
				s->string(s, "host", r->cxl->members[m].host);
				s->close(s);
			}
			s->close(s);
			s->close(s);
		}
		s->open(s, "namespaces", true);
		for (size_t j = 0; j < r->n_namespaces; j++)
			walk_ns(&r->namespaces[j], s);
		s->close(s);
		s->close(s);
	}
	s->close(s);
	/* what DAX maps with here: a huge page size of 0 means none (a POWER hash MMU without 16 MiB pages) */
	s->number(s, "page_size", inv->mm.page_size);
	s->number(s, "huge_page_size", inv->mm.pmd_size);
	if (s->mark)
		s->mark(s);
	if (log) {
		s->string(s, "result", log->n_failed ? "failed" : "ok");
		s->open(s, "done", true);
		for (size_t i = 0; i < log->n_done; i++)
			s->string(s, NULL, log->done[i]);
		s->close(s);
		s->open(s, "failed", true);
		for (size_t i = 0; i < log->n_failed; i++)
			s->string(s, NULL, log->failed[i]);
		s->close(s);
	}
	s->close(s);
}

/* json-c: a stack of the open objects and arrays */
struct json_sink {
	struct status_sink sink;
	struct json_object *root, *stack[8];
	size_t depth;
};

static void json_put(struct json_sink *j, const char *key, struct json_object *v)
{
	struct json_object *top;

	if (!j->depth) {
		j->root = v;
		return;
	}
	top = j->stack[j->depth - 1];
	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, v);
	else
		json_object_object_add(top, key, v);
}

static void json_open(struct status_sink *s, const char *key, bool array)
{
	struct json_sink *j = (struct json_sink *)s;
	struct json_object *v = array ? json_object_new_array() : json_object_new_object();

	json_put(j, key, v);
	if (j->depth < ELEMENTSOF(j->stack))
		j->stack[j->depth++] = v;
}

static void json_close(struct status_sink *s)
{
	struct json_sink *j = (struct json_sink *)s;

	if (j->depth)
		j->depth--;
}

static void json_string(struct status_sink *s, const char *key, const char *value)
{
	json_put((struct json_sink *)s, key, value ? json_object_new_string(value) : NULL);
}

static void json_number(struct status_sink *s, const char *key, uint64_t value)
{
	json_put((struct json_sink *)s, key, json_object_new_uint64(value));
}

static void json_boolean(struct status_sink *s, const char *key, int value)
{
	json_put((struct json_sink *)s, key, value < 0 ? NULL : json_object_new_boolean(value));
}

static struct json_object *status_build(const struct inventory *inv, const struct apply_log *log, const char *digest)
{
	struct json_sink j = { .sink = { json_open, json_close, json_string, json_number, json_boolean } };

	status_walk(inv, log, digest, &j.sink);
	return j.root;
}

struct json_object *status_to_json(const struct inventory *inv)
{
	return status_build(inv, NULL, NULL);
}

/* FNV-1a over every event of the walk, each tagged and terminated */
struct hash_sink {
	struct status_sink sink;
	uint64_t h;
	uint64_t state; /* h at the mark */
};

static void hash_bytes(struct hash_sink *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h->h ^= p[i];
		h->h *= UINT64_C(0x100000001b3);
	}
}

static void hash_event(struct hash_sink *h, char tag, const char *key)
{
	hash_bytes(h, &tag, 1);
	if (key)
		hash_bytes(h, key, strlen(key) + 1);
	else
		hash_bytes(h, "", 1);
}

static void hash_open(struct status_sink *s, const char *key, bool array)
{
	hash_event((struct hash_sink *)s, array ? '[' : '{', key);
}

static void hash_close(struct status_sink *s)
{
	hash_event((struct hash_sink *)s, ')', NULL);
}

static void hash_string(struct status_sink *s, const char *key, const char *value)
{
	struct hash_sink *h = (struct hash_sink *)s;

	hash_event(h, value ? 's' : 'n', key);
	if (value)
		hash_bytes(h, value, strlen(value) + 1);
}

static void hash_number(struct status_sink *s, const char *key, uint64_t value)
{
	hash_event((struct hash_sink *)s, 'u', key);
	hash_bytes((struct hash_sink *)s, &value, sizeof(value));
}

static void hash_boolean(struct status_sink *s, const char *key, int value)
{
	hash_event((struct hash_sink *)s, value < 0 ? 'n' : value ? 't' : 'f', key);
}

static void hash_mark(struct status_sink *s)
{
	struct hash_sink *h = (struct hash_sink *)s;

	h->state = h->h;
}

uint64_t status_digests(const struct inventory *inv, const struct apply_log *log, uint64_t *ret_state)
{
	struct hash_sink h = { .sink = { hash_open, hash_close, hash_string, hash_number, hash_boolean, hash_mark },
			       .h = UINT64_C(0xcbf29ce484222325) };

	/* another version of the agent may write another document for the same status */
	hash_bytes(&h, PACKAGE_VERSION, sizeof(PACKAGE_VERSION));
	status_walk(inv, log, NULL, &h.sink);
	if (ret_state)
		*ret_state = h.state;
	return h.h;
}

uint64_t status_digest(const struct inventory *inv, const struct apply_log *log)
{
	return status_digests(inv, log, NULL);
}

uint64_t status_state_digest(const struct inventory *inv)
{
	uint64_t state;

	status_digests(inv, NULL, &state);
	return state;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

void status_print(const struct inventory *inv, FILE *out)
{
	char p[SIZE_BUF], h[SIZE_BUF];

	if (!inv->n_regions) {
		fprintf(out, "no persistent memory regions\n");
		return;
	}
	if (inv->mm.pmd_size)
		fprintf(out, "pages: %s, huge pages: %s\n", size_format_iec(inv->mm.page_size, p, sizeof(p)),
			size_format_iec(inv->mm.pmd_size, h, sizeof(h)));
	else if (inv->mm.page_size)
		fprintf(out, "pages: %s, huge pages: none (DAX maps every page on its own)\n",
			size_format_iec(inv->mm.page_size, p, sizeof(p)));
	for (size_t i = 0; i < inv->n_regions; i++) {
		const struct region_state *r = &inv->regions[i];
		char s[SIZE_BUF], a[SIZE_BUF];

		fprintf(out, "%s: %s, %s, %s free, persistence domain %s, %u bad blocks%s\n", r->devname,
			region_kind_describe(r), size_format_human(r->size, s, sizeof(s)),
			size_format_human(r->available, a, sizeof(a)), persistence_name(r->persistence), r->badblocks,
			r->enabled ? "" : ", disabled");
		if (r->cxl) {
			fprintf(out, "  CXL %s under %s: %u-way, granularity %u:", r->cxl->region, r->cxl->root_decoder,
				r->cxl->ways, r->cxl->granularity);
			for (size_t m = 0; m < r->cxl->n_members; m++)
				fprintf(out, "%s %s (serial %#" PRIx64 ", %s)", m ? "," : "", r->cxl->members[m].memdev,
					r->cxl->members[m].serial, r->cxl->members[m].host);
			fputc('\n', out);
		}
		for (size_t d = 0; d < r->n_dimm_states; d++) {
			const struct dimm_state *ds = &r->dimm_states[d];

			/* what the firmware says, where it says anything (QEMU's NFIT DIMMs say nothing) */
			if (ds->health == DIMM_HEALTH_UNKNOWN && !ds->flags && ds->dirty_shutdowns < 0)
				continue;
			fprintf(out, "  %s: health %s", ds->devname, dimm_health_name(ds->health));
			if (ds->dirty_shutdowns >= 0)
				fprintf(out, ", %lld dirty shutdown%s", ds->dirty_shutdowns, ds->dirty_shutdowns == 1 ? "" : "s");
			for (unsigned f = 1, first = 1; f & DIMM_FLAG__ALL; f <<= 1)
				if (ds->flags & f) {
					fprintf(out, "%s%s", first ? ", flags: " : " ", dimm_flag_name(f));
					first = 0;
				}
			fputc('\n', out);
		}
		if (r->async)
			fprintf(out, "  asynchronous: writes persist only when fsync()/msync() flushes them to the host; "
				     "MAP_SYNC is refused, devdax is not offered\n");
		if (!r->n_namespaces)
			continue;
		fprintf(out, "  %-14s %-12s %-7s %-11s %-13s %-5s %-20s %s\n", "NAMESPACE", "NAME", "MODE", "SIZE",
			"DEVICE", "FS", "MOUNTPOINT", "DAX");
		for (size_t j = 0; j < r->n_namespaces; j++) {
			const struct ns_state *ns = &r->namespaces[j];
			const char *dax = "-";

			if (ns->mode == NS_MODE_DEVDAX)
				dax = ns->system_ram ? "system-ram" : "devdax";
			else if (ns->mode == NS_MODE_SECTOR)
				dax = "no (sector)";
			else if (ns->mountpoint)
				dax = ns->dax > 0 ? "yes" : ns->dax == 0 ? "NO" : "unknown";
			fprintf(out, "  %-14s %-12s %-7s %-11s %-13s %-5s %-20s %s\n", ns->devname, or_dash(ns->name),
				ns_mode_name(ns->mode), size_format_human(ns->dev_size ? ns->dev_size : ns->size, s, sizeof(s)),
				or_dash(ns->chardev ? ns->chardev : ns->blockdev), or_dash(ns->fstype),
				or_dash(ns->mountpoint), dax);
		}
	}
}

int status_write_file(const char *path, const struct inventory *inv, const struct apply_log *log, uint64_t digest_value)
{
	_cleanup_json_ struct json_object *root = NULL;
	_cleanup_free_ char *old = NULL;
	char digest[17], head[64];
	const char *text;
	size_t len;

	/*
	 * The file starts with the digest of the document: the same status
	 * gives the same digest, and a boot with nothing to do compares it and
	 * writes nothing (the file's mtime says when the status last changed).
	 */
	snprintf(digest, sizeof(digest), "%016" PRIx64, digest_value);
	snprintf(head, sizeof(head), "{\n  \"digest\": \"%s\",", digest);
	if (read_file(path, &old, &len) >= 0 && strncmp(old, head, strlen(head)) == 0)
		return 0;

	root = status_build(inv, log, digest);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	return write_file_atomic(path, text, strlen(text), 0644);
}
