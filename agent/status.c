// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cleanup-libs.h"
#include "fileio.h"
#include "size.h"
#include "status.h"

static void add_string(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

static struct json_object *ns_to_json(const struct ns_state *ns)
{
	struct json_object *o = json_object_new_object();

	add_string(o, "namespace", ns->devname);
	add_string(o, "name", ns->name && *ns->name ? ns->name : NULL);
	add_string(o, "uuid", ns->uuid);
	add_string(o, "mode", ns_mode_name(ns->mode));
	json_object_object_add(o, "enabled", json_object_new_boolean(ns->enabled));
	json_object_object_add(o, "size", json_object_new_uint64(ns->size));
	if (ns->dev_size)
		json_object_object_add(o, "device_size", json_object_new_uint64(ns->dev_size));
	if (ns->sector_size)
		json_object_object_add(o, "sector_size", json_object_new_uint64(ns->sector_size));
	if (ns->align)
		json_object_object_add(o, "align", json_object_new_uint64(ns->align));
	add_string(o, "device", ns->chardev ? ns->chardev : ns->blockdev);
	if (ns->mode == NS_MODE_DEVDAX) {
		json_object_object_add(o, "system_ram", json_object_new_boolean(ns->system_ram));
		return o;
	}
	add_string(o, "filesystem", ns->fstype);
	add_string(o, "mountpoint", ns->mountpoint);
	/* sector mode is never DAX: that is its point, not a failure */
	json_object_object_add(o, "dax",
			       ns->mode == NS_MODE_SECTOR ? json_object_new_boolean(false)
			       : ns->mountpoint && ns->dax >= 0 ? json_object_new_boolean(ns->dax)
								 : NULL);
	return o;
}

struct json_object *status_to_json(const struct inventory *inv)
{
	struct json_object *root = json_object_new_object(), *regions = json_object_new_array();

	for (size_t i = 0; i < inv->n_regions; i++) {
		const struct region_state *r = &inv->regions[i];
		struct json_object *o = json_object_new_object(), *dimms = json_object_new_array(),
				   *nss = json_object_new_array();

		add_string(o, "region", r->devname);
		add_string(o, "kind", region_kind_name(r->kind));
		add_string(o, "description", region_kind_describe(r));
		add_string(o, "provider", r->provider);
		add_string(o, "persistence_domain", persistence_name(r->persistence));
		json_object_object_add(o, "synchronous", json_object_new_boolean(!r->async));
		json_object_object_add(o, "badblocks", json_object_new_uint64(r->badblocks));
		json_object_object_add(o, "size", json_object_new_uint64(r->size));
		json_object_object_add(o, "available", json_object_new_uint64(r->available));
		if (r->align)
			json_object_object_add(o, "align", json_object_new_uint64(r->align));
		json_object_object_add(o, "labels", json_object_new_boolean(r->labelled));
		json_object_object_add(o, "label_area", json_object_new_boolean(r->label_capable));
		json_object_object_add(o, "enabled", json_object_new_boolean(r->enabled));
		if (r->numa_node >= 0)
			json_object_object_add(o, "numa_node", json_object_new_int(r->numa_node));
		for (char **d = r->dimms; d && *d; d++)
			json_object_array_add(dimms, json_object_new_string(*d));
		json_object_object_add(o, "dimms", dimms);
		for (size_t j = 0; j < r->n_namespaces; j++)
			json_object_array_add(nss, ns_to_json(&r->namespaces[j]));
		json_object_object_add(o, "namespaces", nss);
		json_object_array_add(regions, o);
	}
	json_object_object_add(root, "regions", regions);
	return root;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

void status_print(const struct inventory *inv, FILE *out)
{
	if (!inv->n_regions) {
		fprintf(out, "no persistent memory regions\n");
		return;
	}
	for (size_t i = 0; i < inv->n_regions; i++) {
		const struct region_state *r = &inv->regions[i];
		char s[SIZE_BUF], a[SIZE_BUF];

		fprintf(out, "%s: %s, %s, %s free, persistence domain %s, %u bad blocks%s\n", r->devname,
			region_kind_describe(r), size_format_human(r->size, s, sizeof(s)),
			size_format_human(r->available, a, sizeof(a)), persistence_name(r->persistence), r->badblocks,
			r->enabled ? "" : ", disabled");
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

int status_write_file(const char *path, const struct inventory *inv, const struct apply_log *log)
{
	_cleanup_json_ struct json_object *root = status_to_json(inv);
	struct json_object *done = json_object_new_array(), *failed = json_object_new_array();
	const char *text;

	for (size_t i = 0; i < log->n_done; i++)
		json_object_array_add(done, json_object_new_string(log->done[i]));
	for (size_t i = 0; i < log->n_failed; i++)
		json_object_array_add(failed, json_object_new_string(log->failed[i]));
	json_object_object_add(root, "result", json_object_new_string(log->n_failed ? "failed" : "ok"));
	json_object_object_add(root, "done", done);
	json_object_object_add(root, "failed", failed);
	/* a boot with nothing to do writes nothing: the file changes (with its time) only when the status does */
	if (!log->n_done && !log->n_failed) {
		_cleanup_json_ struct json_object *old = json_object_from_file(path);

		if (old && json_object_is_type(old, json_type_object)) {
			json_object_object_del(old, "time");
			if (json_object_equal(old, root))
				return 0;
		}
	}
	json_object_object_add(root, "time", json_object_new_int64((int64_t)time(NULL)));
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	return write_file_atomic(path, text, strlen(text), 0644);
}
