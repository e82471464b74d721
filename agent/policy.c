// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The provisioning policy: which namespaces each region gets, and what is
 * made of them. Parsing is strict (unknown keys and wrong types are errors
 * with their JSON path) because a typo in a policy must never turn into a
 * namespace or a filesystem nobody asked for.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup-libs.h"
#include "fileio.h"
#include "jsonparse.h"
#include "log.h"
#include "mountpoint.h"
#include "nd.h"
#include "policy.h"
#include "size.h"
#include "strutil.h"

const char *fs_type_name(enum fs_type fs)
{
	switch (fs) {
	case FS_XFS:
		return "xfs";
	case FS_EXT4:
		return "ext4";
	default:
		return "none";
	}
}

static void ns_policy_clear(struct ns_policy *p)
{
	free(p->name);
	free(p->mountpoint);
	free(p->mount_options);
	free(p->owner);
	free(p->group);
	free(p->source);
	memset(p, 0, sizeof(*p));
}

void policy_clear(struct policy *policy)
{
	for (size_t i = 0; i < policy->n_namespaces; i++)
		ns_policy_clear(&policy->namespaces[i]);
	free(policy->namespaces);
	free(policy->overwrite_targets);
	cxl_policy_clear(&policy->cxl);
	memset(policy, 0, sizeof(*policy));
}

static bool name_is_valid(const char *name, size_t max)
{
	size_t len = strlen(name);

	if (len == 0 || len > max)
		return false;
	for (const char *c = name; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '-' || *c == '_' || *c == '.'))
			return false;
	}
	return true;
}

/* absolute, no ".", ".." or empty components, not "/" itself */
static const char *mountpoint_problem(const char *path)
{
	const char *c = path;

	if (path[0] != '/')
		return "must be an absolute path";
	if (strlen(path) >= PATH_MAX)
		return "is too long";
	if (strcmp(path, "/") == 0)
		return "must not be the root directory";
	while (*c) {
		const char *end;
		size_t len;

		while (*c == '/')
			c++;
		if (!*c)
			break;
		end = strchrnul(c, '/');
		len = (size_t)(end - c);
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return "must not contain \".\" or \"..\" components";
		c = end;
	}
	if (strstr(path, "//"))
		return "must not contain empty components (\"//\")";
	if (strlen(path) > 1 && path[strlen(path) - 1] == '/')
		return "must not end with \"/\"";
	for (c = path; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == ',' || *c == '\\')
			return "must not contain control characters, commas or backslashes";
	return NULL;
}

/*
 * Options that would turn DAX off or fight the agent's own choice: 0, or 1
 * with *ret_problem saying what is wrong, or -ENOMEM.
 */
static int mount_options_problem(const char *options, const char **ret_problem)
{
	_cleanup_free_ char *copy = strdup(options);
	char *opt, *save = NULL;

	if (!copy)
		return -ENOMEM;
	*ret_problem = NULL;
	for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (strcmp(opt, "dax") == 0 || strncmp(opt, "dax=", 4) == 0 || strcmp(opt, "nodax") == 0)
			*ret_problem = "must not set dax: the agent always mounts with DAX";
		else if (strcmp(opt, "remount") == 0 || strcmp(opt, "bind") == 0 || strcmp(opt, "move") == 0)
			*ret_problem = "must not contain remount, bind or move";
		if (*ret_problem)
			return 1;
	}
	for (const char *c = options; *c; c++)
		if ((unsigned char)*c < 0x20) {
			*ret_problem = "must not contain control characters";
			return 1;
		}
	return 0;
}

static int parse_size_value(struct json_object *v, uint64_t *ret)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		if (i <= 0)
			return -EINVAL;
		*ret = (uint64_t)i;
		return 0;
	}
	if (json_object_is_type(v, json_type_string))
		return size_parse(json_object_get_string(v), ret);
	return -EINVAL;
}

static bool is_type(struct json_object *v, json_type t)
{
	return json_object_is_type(v, t);
}

/* "$.namespaces[1]" or "$.namespaces[1].size", or NULL when memory ran out */
static char *path_for(size_t index, const char *key)
{
	return strdup_printf("$.namespaces[%zu]%s%s", index, key ? "." : "", key ? key : "");
}

/* An error about entry index (or its key), as policy_merge_text() reports them. 0 or -ENOMEM. */
static int entry_error(struct errlist *errors, const char *file, size_t index, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int entry_error(struct errlist *errors, const char *file, size_t index, const char *key, const char *fmt, ...)
{
	_cleanup_free_ char *path = path_for(index, key), *detail = NULL;
	va_list ap;

	va_start(ap, fmt);
	detail = strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!path || !detail)
		return -ENOMEM;
	errlist_add(errors, file, path, "%s", detail);
	return 0;
}

/*
 * The keys of a policy, after systemd's json_dispatch: one table for the top
 * level and one for a namespace entry, each key with the JSON types its value
 * may have and the function that takes such a value into its field. Each
 * value is taken on its own; what one key means for another (mode and
 * filesystem for the keys that apply to them, region for the room a name
 * has) is checked after, in entry_check_across_keys(). policy_keys_write()
 * prints the tables: tests/unit/cloud-init-schema.py holds the cloud-init
 * schema's keys and vpmem.json(5)'s to them.
 */
#define JSON_TYPE_BIT(t) (1u << (t))

enum {
	KEY_REQUIRED = 1 << 0,    /* "is required" when missing */
	KEY_QUOTE_VALUE = 1 << 1, /* the error for a value refused starts with the value, quoted */
};

struct key_parse;

/* A string a key takes, and the value of its enum field that it stands for. */
struct policy_choice {
	const char *name;
	int value;
};

struct policy_key {
	const char *name;
	unsigned types; /* JSON_TYPE_BIT()s of the values it takes */
	/* 0; -EINVAL, refused (the error key_refuse() set, or invalid); or -ENOMEM */
	int (*dispatch)(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp);
	size_t offset;       /* of the field dispatch fills, in the object parsed into */
	unsigned flags;      /* KEY_* */
	const char *invalid; /* the error for a value of another type, or one dispatch refuses */
	const struct policy_choice *choices; /* dispatch_choice()'s, ending with { NULL } */
};

#define KEYS_MAX 16
#define TOP_LEVEL SIZE_MAX

/* One object being dispatched: where its errors go, and each key's error until they are reported. */
struct key_parse {
	const char *file;
	size_t index; /* the entry's, or TOP_LEVEL */
	struct errlist *errors;
	const struct policy_key *keys;
	size_t n_keys;
	unsigned given;          /* bit i: keys[i] is in the object */
	size_t current;          /* the key being dispatched */
	char *problems[KEYS_MAX]; /* keys[i]'s error, reported in the table's order */
};

static bool key_given(const struct key_parse *kp, size_t key)
{
	return kp->given & (1u << key);
}

/* Set the current key's error; returns -EINVAL for dispatch to return, or -ENOMEM. */
static int key_refuse(struct key_parse *kp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int key_refuse(struct key_parse *kp, const char *fmt, ...)
{
	va_list ap;

	free(kp->problems[kp->current]);
	va_start(ap, fmt);
	kp->problems[kp->current] = strdup_vprintf(fmt, ap);
	va_end(ap);
	return kp->problems[kp->current] ? -EINVAL : -ENOMEM;
}

/* Replace key's error, if it was given, with one saying it does not apply. 0 or -ENOMEM. */
static int key_not_applicable(struct key_parse *kp, size_t key, bool applies, const char *why)
{
	if (applies || !key_given(kp, key))
		return 0;
	kp->current = key;
	return key_refuse(kp, "%s", why) == -ENOMEM ? -ENOMEM : 0;
}

static void key_parse_done(struct key_parse *kp)
{
	for (size_t i = 0; i < kp->n_keys; i++)
		free(kp->problems[i]);
}

/* one of key->choices, into an enum field */
static int dispatch_choice(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	for (const struct policy_choice *c = key->choices; c->name; c++)
		if (strcmp(json_object_get_string(v), c->name) == 0) {
			*(int *)field = c->value;
			return 0;
		}
	return -EINVAL;
}

static int dispatch_bool(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	*(bool *)field = json_object_get_boolean(v);
	return 0;
}

static int dispatch_string(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	char *s = strdup(json_object_get_string(v));

	if (!s)
		return -ENOMEM;
	free(*(char **)field);
	*(char **)field = s;
	return 0;
}

/* a user or group, by name or number */
static int dispatch_account(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	if (!name_is_valid(json_object_get_string(v), 32))
		return -EINVAL;
	return dispatch_string(key, v, field, kp);
}

static int dispatch_region(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	int64_t i = json_object_get_int64(v);

	if (i < 0 || i > 65535)
		return -EINVAL;
	*(int *)field = (int)i;
	return 0;
}

static int dispatch_sector_size(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	int64_t n = json_object_get_int64(v);

	if (n != 512 && n != 4096)
		return -EINVAL;
	*(unsigned *)field = (unsigned)n;
	return 0;
}

static int dispatch_size(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	uint64_t size;

	if (parse_size_value(v, &size) < 0)
		return -EINVAL;
	if (size < SZ_16M)
		return key_refuse(kp, "%s is below the kernel's minimum namespace size of 16M",
				  json_object_get_string(v));
	*(uint64_t *)field = size;
	return 0;
}

static int dispatch_align(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	uint64_t a = 0;

	/* which of them the system can do, the plan says, with the list of those it can */
	if (parse_size_value(v, &a) < 0 || !is_power_of_2(a) || a < SZ_4K || a > SZ_16G)
		return -EINVAL;
	*(uint64_t *)field = a;
	return 0;
}

static int dispatch_mountpoint(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	const char *problem = mountpoint_problem(json_object_get_string(v));

	if (problem)
		return key_refuse(kp, "\"%s\" %s", json_object_get_string(v), problem);
	return dispatch_string(key, v, field, kp);
}

static int dispatch_mount_options(const struct policy_key *key, struct json_object *v, void *field,
				  struct key_parse *kp)
{
	const char *problem;
	int r = mount_options_problem(json_object_get_string(v), &problem);

	if (r < 0)
		return r;
	if (r > 0)
		return key_refuse(kp, "\"%s\" %s", json_object_get_string(v), problem);
	/* "": none besides the agent's */
	if (json_object_get_string_len(v) == 0)
		return 0;
	return dispatch_string(key, v, field, kp);
}

static int dispatch_permissions(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	const char *s = json_object_get_string(v);
	char *end = NULL;
	unsigned long m;

	if (!*s)
		return -EINVAL;
	errno = 0;
	m = strtoul(s, &end, 8);
	if (errno || *end || m > 07777)
		return -EINVAL;
	*(mode_t *)field = (mode_t)m;
	return 0;
}

/* "overwrite": true or false, or the regions and DIMMs it applies to */
struct overwrite_value {
	bool all;
	struct policy_target *targets;
	size_t n_targets;
};

/*
 * "overwrite": ["region0", "nmem1"]: each a region or a DIMM, by the names
 * ndctl gives them; an element that is neither has an error of its own path.
 */
static int dispatch_overwrite(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	struct overwrite_value *o = field;
	size_t n;

	if (is_type(v, json_type_boolean))
		return dispatch_bool(key, v, &o->all, kp);
	n = json_object_array_length(v);
	if (n == 0)
		return key_refuse(kp, "is an empty list: say false to overwrite nothing");
	if (n > POLICY_MAX_TARGETS)
		return key_refuse(kp, "has %zu entries, more than the %d it may have", n, POLICY_MAX_TARGETS);
	o->targets = calloc(n, sizeof(*o->targets));
	if (!o->targets)
		return -ENOMEM;
	o->n_targets = n;
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(v, i);
		const char *name = is_type(t, json_type_string) ? json_object_get_string(t) : NULL;
		char path[48];

		snprintf(path, sizeof(path), "$.overwrite[%zu]", i);
		/* only the plain names: a sysfs path in a policy would outlive the boot it was true in */
		if (!name || strchr(name, '/') || nd_parse_target(name, &o->targets[i].is_region, &o->targets[i].id) < 0)
			errlist_add(kp->errors, kp->file, path, "must name a region or a DIMM (\"region0\", \"nmem1\")");
	}
	return 0;
}

static int dispatch_namespaces(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	if (json_object_array_length(v) > POLICY_MAX_ENTRIES)
		return key_refuse(kp, "has %zu entries, more than the %d a policy may have", json_object_array_length(v),
				  POLICY_MAX_ENTRIES);
	*(struct json_object **)field = v;
	return 0;
}

/* CXL interleave granularities (CXL 2.0 8.2.5.12.7): 256 bytes to 16 KiB */
static bool cxl_granularity_valid(int64_t g)
{
	return g >= 256 && g <= 16384 && (g & (g - 1)) == 0;
}

/*
 * "cxl": [{"memdevs": ["mem0", "0x1a"], "granularity": 4096}, ...]. Each
 * problem is added with its path; 0, -EINVAL when any, or -ENOMEM.
 */
static int dispatch_cxl(const struct policy_key *key, struct json_object *v, void *field, struct key_parse *kp)
{
	struct cxl_policy *cxl = field;
	size_t n = json_object_array_length(v);

	(void)key;
	if (n > POLICY_MAX_ENTRIES)
		return key_refuse(kp, "has %zu entries, more than the %d it may have", n, POLICY_MAX_ENTRIES);
	cxl->given = true;
	cxl->entries = calloc(n ? n : 1, sizeof(*cxl->entries));
	if (!cxl->entries)
		return -ENOMEM;
	cxl->n_entries = n;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i), *memdevs = NULL, *g = NULL;
		struct cxl_policy_entry *pe = &cxl->entries[i];
		char path[64];

		snprintf(path, sizeof(path), "$.cxl[%zu]", i);
		if (!is_type(e, json_type_object)) {
			errlist_add(kp->errors, kp->file, path, "must be an object with \"memdevs\" (and \"granularity\")");
			continue;
		}
		{
			json_object_object_foreach(e, name, value) {
				(void)value;
				if (strcmp(name, "memdevs") != 0 && strcmp(name, "granularity") != 0)
					errlist_add(kp->errors, kp->file, path, "unknown key \"%s\"", name);
			}
		}
		if (json_object_object_get_ex(e, "granularity", &g)) {
			if (!is_type(g, json_type_int) || !cxl_granularity_valid(json_object_get_int64(g)))
				errlist_add(kp->errors, kp->file, path,
					    "granularity must be a power of two from 256 to 16384 (bytes)");
			else
				pe->granularity = (unsigned)json_object_get_int64(g);
		}
		if (!json_object_object_get_ex(e, "memdevs", &memdevs)) {
			errlist_add(kp->errors, kp->file, path, "memdevs is required");
			continue;
		}
		if (!is_type(memdevs, json_type_array) || json_object_array_length(memdevs) == 0 ||
		    json_object_array_length(memdevs) > CXL_MAX_WAYS) {
			errlist_add(kp->errors, kp->file, path,
				    "memdevs must be a list of 1 to %d CXL memory devices, in interleave order", CXL_MAX_WAYS);
			continue;
		}
		pe->memdevs = calloc(json_object_array_length(memdevs), sizeof(char *));
		if (!pe->memdevs)
			return -ENOMEM;
		for (size_t k = 0; k < json_object_array_length(memdevs); k++) {
			struct json_object *d = json_object_array_get_idx(memdevs, k);
			const char *spec = is_type(d, json_type_string) ? json_object_get_string(d) : NULL;

			if (!spec || !cxl_memdev_spec_valid(spec)) {
				char p2[96];

				snprintf(p2, sizeof(p2), "%s.memdevs[%zu]", path, k);
				errlist_add(kp->errors, kp->file, p2,
					    "must name a CXL memory device: \"mem0\", or its serial number (\"0x1a\")");
				continue;
			}
			pe->memdevs[pe->n_memdevs] = strdup(spec);
			if (!pe->memdevs[pe->n_memdevs])
				return -ENOMEM;
			pe->n_memdevs++;
		}
	}
	/* one device in two entries: which would it be in? */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < cxl->entries[i].n_memdevs; k++)
			for (size_t j = 0; j < i; j++)
				for (size_t l = 0; l < cxl->entries[j].n_memdevs; l++)
					if (strcmp(cxl->entries[i].memdevs[k], cxl->entries[j].memdevs[l]) == 0) {
						char path[64];

						snprintf(path, sizeof(path), "$.cxl[%zu].memdevs[%zu]", i, k);
						errlist_add(kp->errors, kp->file, path, "\"%s\" is in $.cxl[%zu] too",
							    cxl->entries[i].memdevs[k], j);
					}
	/* (each problem is in the list with its path already: the merge fails on them) */
	return 0;
}

/* A policy file's top level, as dispatched. */
struct policy_file {
	struct overwrite_value overwrite;
	bool replace;
	struct json_object *namespaces; /* the document's */
	struct cxl_policy cxl;
};

enum { TOP_OVERWRITE, TOP_REPLACE, TOP_NAMESPACES, TOP_CXL };

static const struct policy_key top_keys[] = {
	[TOP_OVERWRITE] = { "overwrite", JSON_TYPE_BIT(json_type_boolean) | JSON_TYPE_BIT(json_type_array),
			    dispatch_overwrite, offsetof(struct policy_file, overwrite), 0,
			    "must be true, false, or a list of the regions and DIMMs it applies to "
			    "([\"region0\", \"nmem1\"])" },
	[TOP_REPLACE] = { "replace", JSON_TYPE_BIT(json_type_boolean), dispatch_bool,
			  offsetof(struct policy_file, replace), 0, "must be true or false" },
	[TOP_NAMESPACES] = { "namespaces", JSON_TYPE_BIT(json_type_array), dispatch_namespaces,
			     offsetof(struct policy_file, namespaces), 0, "must be an array" },
	[TOP_CXL] = { "cxl", JSON_TYPE_BIT(json_type_array), dispatch_cxl, offsetof(struct policy_file, cxl), 0,
		      "must be an array of CXL regions ({\"memdevs\": [\"mem0\", ...]})" },
};

/* An entry's keys, in the order their errors are reported. */
enum {
	KEY_REGION,
	KEY_NAME,
	KEY_MODE,
	KEY_SECTOR_SIZE,
	KEY_SIZE,
	KEY_ALIGN,
	KEY_MAP,
	KEY_FILESYSTEM,
	KEY_MOUNTPOINT,
	KEY_HIDE_EXISTING_FILES,
	KEY_MOUNT_OPTIONS,
	KEY_OWNER,
	KEY_GROUP,
	KEY_PERMISSIONS,
	KEY_SYSTEM_RAM,
};

#define T_BOOLEAN JSON_TYPE_BIT(json_type_boolean)
#define T_INTEGER JSON_TYPE_BIT(json_type_int)
#define T_STRING JSON_TYPE_BIT(json_type_string)
#define ENTRY_FIELD(f) offsetof(struct ns_policy, f)

static const struct policy_key entry_keys[] = {
	[KEY_REGION] = { "region", T_INTEGER, dispatch_region, ENTRY_FIELD(region), 0,
			 "must be a region index, an integer from 0 to 65535" },
	/* its characters and length are checked with region's, in entry_check_across_keys() */
	[KEY_NAME] = { "name", T_STRING, dispatch_string, ENTRY_FIELD(name), KEY_REQUIRED, "must be a string" },
	[KEY_MODE] = { "mode", T_STRING, dispatch_choice, ENTRY_FIELD(mode), 0,
		       "must be \"fsdax\", \"devdax\" or \"sector\"",
		       (const struct policy_choice[]){ { "fsdax", NS_MODE_FSDAX },
						       { "devdax", NS_MODE_DEVDAX },
						       { "sector", NS_MODE_SECTOR },
						       { NULL } } },
	[KEY_SECTOR_SIZE] = { "sector_size", T_INTEGER, dispatch_sector_size, ENTRY_FIELD(sector_size), 0,
			      "must be 512 or 4096" },
	[KEY_SIZE] = { "size", T_INTEGER | T_STRING, dispatch_size, ENTRY_FIELD(size), KEY_QUOTE_VALUE,
		       "is not a size: give bytes, or a number with K, M, G or T" },
	[KEY_ALIGN] = { "align", T_INTEGER | T_STRING, dispatch_align, ENTRY_FIELD(align), 0,
			"must be a power of two from 4K to 16G, such as the page size, \"2M\", \"16M\" or \"1G\"" },
	[KEY_MAP] = { "map", T_STRING, dispatch_choice, ENTRY_FIELD(map), 0, "must be \"dev\" or \"mem\"",
		      (const struct policy_choice[]){ { "dev", PFN_MAP_DEV }, { "mem", PFN_MAP_MEM }, { NULL } } },
	[KEY_FILESYSTEM] = { "filesystem", T_STRING, dispatch_choice, ENTRY_FIELD(filesystem), 0,
			     "must be \"xfs\", \"ext4\" or \"none\"",
			     (const struct policy_choice[]){ { "xfs", FS_XFS }, { "ext4", FS_EXT4 }, { "none", FS_NONE },
							     { NULL } } },
	[KEY_MOUNTPOINT] = { "mountpoint", T_STRING, dispatch_mountpoint, ENTRY_FIELD(mountpoint), 0,
			     "must be a string" },
	[KEY_HIDE_EXISTING_FILES] = { "hide_existing_files", T_BOOLEAN, dispatch_bool,
				      ENTRY_FIELD(hide_existing_files), 0, "must be true or false" },
	[KEY_MOUNT_OPTIONS] = { "mount_options", T_STRING, dispatch_mount_options, ENTRY_FIELD(mount_options), 0,
				"must be a string" },
	[KEY_OWNER] = { "owner", T_STRING, dispatch_account, ENTRY_FIELD(owner), 0, "must be a user name or number" },
	[KEY_GROUP] = { "group", T_STRING, dispatch_account, ENTRY_FIELD(group), 0, "must be a group name or number" },
	[KEY_PERMISSIONS] = { "permissions", T_STRING, dispatch_permissions, ENTRY_FIELD(permissions), 0,
			      "must be an octal mode in a string, like \"0660\"" },
	[KEY_SYSTEM_RAM] = { "system_ram", T_BOOLEAN, dispatch_bool, ENTRY_FIELD(system_ram), 0,
			     "must be true or false" },
};

/* dispatch_choice() stores an int */
_Static_assert(sizeof(enum ns_mode) == sizeof(int), "enum ns_mode is not an int");
_Static_assert(sizeof(enum pfn_map) == sizeof(int), "enum pfn_map is not an int");
_Static_assert(sizeof(enum fs_type) == sizeof(int), "enum fs_type is not an int");
_Static_assert(ELEMENTSOF(top_keys) <= KEYS_MAX && ELEMENTSOF(entry_keys) <= KEYS_MAX, "struct key_parse is too small");

static const struct policy_key *key_find(const struct policy_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/*
 * Take each key of obj into target by kp->keys: an unknown key is an error
 * at once; a key's own error (the type of its value, the value, missing when
 * required) waits in kp->problems for keys_report(). 0 or -ENOMEM.
 */
static int keys_dispatch(struct json_object *obj, void *target, struct key_parse *kp)
{
	json_object_object_foreach(obj, name, value) {
		(void)value;
		if (key_find(kp->keys, kp->n_keys, name))
			continue;
		if (kp->index == TOP_LEVEL)
			errlist_add(kp->errors, kp->file, "$", "unknown key \"%s\"", name);
		else if (entry_error(kp->errors, kp->file, kp->index, name, "unknown key") < 0)
			return -ENOMEM;
	}

	for (size_t i = 0; i < kp->n_keys; i++) {
		const struct policy_key *key = &kp->keys[i];
		struct json_object *v;
		int r;

		kp->current = i;
		if (!json_object_object_get_ex(obj, key->name, &v)) {
			if ((key->flags & KEY_REQUIRED) && key_refuse(kp, "is required") == -ENOMEM)
				return -ENOMEM;
			continue;
		}
		kp->given |= 1u << i;
		/* (a JSON null is a NULL json_object, of json_type_null) */
		if (key->types & JSON_TYPE_BIT(json_object_get_type(v)))
			r = key->dispatch(key, v, (char *)target + key->offset, kp);
		else
			r = -EINVAL;
		if (r == -ENOMEM)
			return r;
		if (r < 0 && !kp->problems[i]) {
			if (key->flags & KEY_QUOTE_VALUE)
				r = key_refuse(kp, "\"%s\" %s", json_object_get_string(v), key->invalid);
			else
				r = key_refuse(kp, "%s", key->invalid);
			if (r == -ENOMEM)
				return r;
		}
	}
	return 0;
}

/* Add the keys' errors to the list, in the table's order. 0 or -ENOMEM. */
static int keys_report(const struct key_parse *kp)
{
	for (size_t i = 0; i < kp->n_keys; i++) {
		_cleanup_free_ char *path = NULL;

		if (!kp->problems[i])
			continue;
		if (kp->index == TOP_LEVEL)
			path = strdup_printf("$.%s", kp->keys[i].name);
		else
			path = path_for(kp->index, kp->keys[i].name);
		if (!path)
			return -ENOMEM;
		errlist_add(kp->errors, kp->file, path, "%s", kp->problems[i]);
	}
	return 0;
}

/*
 * The rules between an entry's keys, once each was taken on its own: the
 * keys that apply only to some modes, or only with a filesystem; the room a
 * name has, which depends on region; system RAM, which has no device node
 * to own. A key that does not apply has that error instead of its own.
 * Fills in the defaults that depend on mode. 0 or -ENOMEM.
 */
static int entry_check_across_keys(struct ns_policy *p, struct key_parse *kp)
{
	bool sector = p->mode == NS_MODE_SECTOR, devdax = p->mode == NS_MODE_DEVDAX;
	bool mounted;
	int r = 0;

	if (sector && !p->sector_size)
		p->sector_size = 4096;
	r = key_not_applicable(kp, KEY_SECTOR_SIZE, sector, "only applies to sector namespaces");
	if (r >= 0)
		r = key_not_applicable(kp, KEY_ALIGN, !sector, "does not apply to sector namespaces");
	if (r >= 0)
		r = key_not_applicable(kp, KEY_MAP, !sector, "does not apply to sector namespaces");
	if (r >= 0)
		r = key_not_applicable(kp, KEY_FILESYSTEM, ns_mode_has_filesystem(p->mode),
				       "only applies to fsdax and sector namespaces");
	if (!ns_mode_has_filesystem(p->mode))
		p->filesystem = FS_NONE;
	mounted = p->filesystem != FS_NONE;
	for (size_t key = KEY_MOUNTPOINT; r >= 0 && key <= KEY_MOUNT_OPTIONS; key++)
		r = key_not_applicable(kp, key, mounted, "only applies to fsdax and sector namespaces with a filesystem");
	for (size_t key = KEY_OWNER; r >= 0 && key <= KEY_SYSTEM_RAM; key++)
		r = key_not_applicable(kp, key, devdax, "only applies to devdax namespaces");
	if (r < 0)
		return r;

	if (p->name) {
		/* a region-less entry becomes <name><N>: keep room for the index */
		size_t max = p->region == POLICY_REGION_ANY ? POLICY_NAME_MAX - 5 : POLICY_NAME_MAX;

		kp->current = KEY_NAME;
		if (!name_is_valid(p->name, max) &&
		    key_refuse(kp, "\"%s\" is not a valid name: 1 to %zu characters of A-Z a-z 0-9 . _ -", p->name,
			       max) == -ENOMEM)
			return -ENOMEM;
	}

	kp->current = KEY_SYSTEM_RAM;
	if (devdax && p->system_ram && (p->owner || p->group || p->permissions != POLICY_PERMISSIONS_UNSET) &&
	    key_refuse(kp, "a device given to the kernel as system RAM has no device node: drop owner, group and "
			   "permissions") == -ENOMEM)
		return -ENOMEM;
	return 0;
}

/*
 * Parse entry index of "namespaces" into *p; its errors are added to errors
 * (and *p then cleared). 0 or -ENOMEM.
 */
static int parse_entry(struct json_object *obj, size_t index, const char *file, struct ns_policy *p,
		       struct errlist *errors)
{
	struct key_parse kp = {
		.file = file, .index = index, .errors = errors, .keys = entry_keys, .n_keys = ELEMENTSOF(entry_keys),
	};
	size_t before = errors->count;
	int r;

	*p = (struct ns_policy){
		.region = POLICY_REGION_ANY,
		.mode = NS_MODE_FSDAX,
		.map = PFN_MAP_DEV,
		.filesystem = FS_XFS,
		.permissions = POLICY_PERMISSIONS_UNSET,
	};
	p->source = strdup(file);
	if (!p->source)
		return -ENOMEM;
	if (!is_type(obj, json_type_object))
		return entry_error(errors, file, index, NULL, "must be an object");

	r = keys_dispatch(obj, p, &kp);
	if (r >= 0)
		r = entry_check_across_keys(p, &kp);
	if (r >= 0)
		r = keys_report(&kp);
	key_parse_done(&kp);
	/* only an align given is set: the plan picks the system's for the others */
	p->align_set = p->align != 0;
	if (r < 0 || errors->count != before)
		ns_policy_clear(p);
	return r;
}

static void keys_write(FILE *f, const char *scope, const struct policy_key *keys, size_t n)
{
	/* JSON Schema's names of json-c's types */
	static const char *const type_names[] = {
		[json_type_null] = "null",	[json_type_boolean] = "boolean", [json_type_double] = "number",
		[json_type_int] = "integer",	[json_type_object] = "object",	 [json_type_array] = "array",
		[json_type_string] = "string",
	};

	for (size_t i = 0; i < n; i++) {
		const char *sep = " ";

		fprintf(f, "%s %s", scope, keys[i].name);
		for (size_t t = 0; t < ELEMENTSOF(type_names); t++)
			if (keys[i].types & JSON_TYPE_BIT(t)) {
				fprintf(f, "%s%s", sep, type_names[t]);
				sep = ",";
			}
		fprintf(f, "%s\n", keys[i].flags & KEY_REQUIRED ? " required" : "");
	}
}

void policy_keys_write(FILE *f)
{
	keys_write(f, "top", top_keys, ELEMENTSOF(top_keys));
	keys_write(f, "entry", entry_keys, ELEMENTSOF(entry_keys));
}

static int policy_add_entry(struct policy *policy, struct ns_policy *entry)
{
	struct ns_policy *grown;

	for (size_t i = 0; i < policy->n_namespaces; i++) {
		if (strcmp(policy->namespaces[i].name, entry->name) == 0) {
			ns_policy_clear(&policy->namespaces[i]);
			policy->namespaces[i] = *entry;
			return 0;
		}
	}
	grown = realloc(policy->namespaces, (policy->n_namespaces + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	policy->namespaces = grown;
	policy->namespaces[policy->n_namespaces++] = *entry;
	return 0;
}

bool policy_overwrites(const struct policy *policy, unsigned id, char *const *dimms)
{
	if (policy->overwrite)
		return true;
	for (size_t i = 0; i < policy->n_overwrite_targets; i++) {
		const struct policy_target *t = &policy->overwrite_targets[i];
		char nmem[32];

		if (t->is_region) {
			if (t->id == id)
				return true;
			continue;
		}
		/* an interleaved region is destroyed as a whole: naming one of its DIMMs names it */
		snprintf(nmem, sizeof(nmem), "nmem%u", t->id);
		for (char *const *d = dimms; d && *d; d++)
			if (strcmp(*d, nmem) == 0)
				return true;
	}
	return false;
}

char *policy_overwrite_describe(const struct policy *policy)
{
	char *text = NULL;

	if (policy->overwrite)
		return strdup("overwrite is ON");
	for (size_t i = 0; i < policy->n_overwrite_targets; i++) {
		const struct policy_target *t = &policy->overwrite_targets[i];
		char *grown = strdup_printf("%s%s%s%u", text ? text : "overwrite on ", text ? ", " : "",
					    t->is_region ? "region" : "nmem", t->id);

		free(text);
		text = grown;
		if (!text)
			return NULL;
	}
	return text;
}

int policy_merge_text(struct policy *policy, const char *file, const char *text, struct errlist *errors)
{
	_cleanup_json_ struct json_object *root = NULL;
	_cleanup_free_ char *error = NULL;
	struct policy_file top = { 0 };
	struct key_parse kp = {
		.file = file, .index = TOP_LEVEL, .errors = errors, .keys = top_keys, .n_keys = ELEMENTSOF(top_keys),
	};
	struct json_object *entries;
	size_t before = errors->count, n = 0;
	struct ns_policy *parsed = NULL;
	int r = 0;

	r = json_parse_strict(text, strlen(text), &root, &error);
	if (r == -EINVAL) {
		errlist_add(errors, file, NULL, "%s", error);
		return r;
	}
	if (r < 0)
		return r;
	if (!is_type(root, json_type_object)) {
		errlist_add(errors, file, "$", "the policy must be a JSON object");
		return -EINVAL;
	}

	r = keys_dispatch(root, &top, &kp);
	if (r >= 0)
		r = keys_report(&kp);
	key_parse_done(&kp);
	if (r < 0)
		goto out;
	entries = top.namespaces;

	if (entries) {
		size_t count = json_object_array_length(entries);

		parsed = calloc(count ? count : 1, sizeof(*parsed));
		if (!parsed) {
			r = -ENOMEM;
			goto out;
		}
		n = count;
		for (size_t index = 0; index < n; index++) {
			struct json_object *entry = json_object_array_get_idx(entries, index), *name;

			r = parse_entry(entry, index, file, &parsed[index], errors);
			if (r < 0)
				goto out;
			/* compare the names as written, also of entries that had other errors */
			if (!json_object_object_get_ex(entry, "name", &name) || !is_type(name, json_type_string))
				continue;
			for (size_t j = 0; j < index; j++) {
				struct json_object *other, *other_name;

				other = json_object_array_get_idx(entries, j);
				if (json_object_object_get_ex(other, "name", &other_name) &&
				    is_type(other_name, json_type_string) &&
				    strcmp(json_object_get_string(other_name), json_object_get_string(name)) == 0) {
					r = entry_error(errors, file, index, "name", "duplicate name \"%s\" (also $.namespaces[%zu])",
							json_object_get_string(name), j);
					if (r < 0)
						goto out;
					break;
				}
			}
		}
	}

	if (errors->count != before) {
		r = -EINVAL;
		goto out;
	}

	if (key_given(&kp, TOP_OVERWRITE)) {
		policy->overwrite = top.overwrite.all;
		free(policy->overwrite_targets);
		policy->overwrite_targets = TAKE_PTR(top.overwrite.targets);
		policy->n_overwrite_targets = top.overwrite.n_targets;
	}
	if (key_given(&kp, TOP_CXL)) {
		cxl_policy_clear(&policy->cxl);
		policy->cxl = top.cxl;
		memset(&top.cxl, 0, sizeof(top.cxl));
	}
	if (top.replace) {
		for (size_t i = 0; i < policy->n_namespaces; i++)
			ns_policy_clear(&policy->namespaces[i]);
		policy->n_namespaces = 0;
		/* an empty replacing file still means "nothing", not the default */
		policy->builtin = false;
	}
	if (entries)
		policy->builtin = false;
	for (size_t i = 0; i < n; i++) {
		r = policy_add_entry(policy, &parsed[i]);
		if (r < 0)
			goto out;
		memset(&parsed[i], 0, sizeof(parsed[i]));
	}
out:
	for (size_t i = 0; i < n; i++)
		ns_policy_clear(&parsed[i]);
	free(parsed);
	free(top.overwrite.targets);
	cxl_policy_clear(&top.cxl);
	return r;
}

char *ns_policy_name_for(const struct ns_policy *p, unsigned region_id)
{
	char *s = NULL;

	if (p->region == POLICY_REGION_ANY) {
		if (asprintf(&s, "%s%u", p->name, region_id) < 0)
			return NULL;
		return s;
	}
	return strdup(p->name);
}

/*
 * Where an entry mounts, on every region it applies to: a fixed path, or a
 * prefix its region's number is appended to (a region-less entry). Returns
 * 1 with *ret set, 0 when it mounts nothing, or -ENOMEM.
 */
static int mount_spec(const struct ns_policy *p, char **ret, bool *ret_template)
{
	if (!ns_mode_has_filesystem(p->mode) || p->filesystem == FS_NONE)
		return 0;
	*ret_template = p->region == POLICY_REGION_ANY;
	if (p->mountpoint)
		*ret = strdup(p->mountpoint);
	else if (asprintf(ret, "/mnt/%s", p->name) < 0)
		*ret = NULL;
	return *ret ? 1 : -ENOMEM;
}

char *ns_policy_mountpoint_for(const struct ns_policy *p, unsigned region_id)
{
	_cleanup_free_ char *spec = NULL;
	bool template;
	char *s;

	if (mount_spec(p, &spec, &template) <= 0)
		return NULL;
	if (!template)
		return TAKE_PTR(spec);
	if (asprintf(&s, "%s%u", spec, region_id) < 0)
		return NULL;
	return s;
}

static bool could_collide(const struct ns_policy *a, const struct ns_policy *b)
{
	return a->region == b->region || a->region == POLICY_REGION_ANY || b->region == POLICY_REGION_ANY;
}

/* one of the system's own directories (mountpoint.h), where no policy may mount. 0 or -ENOMEM. */
static int validate_system_dir(const struct ns_policy *p, struct errlist *errors)
{
	_cleanup_free_ char *spec = NULL;
	bool template;
	const char *dir;
	int r;

	r = mount_spec(p, &spec, &template);
	if (r <= 0)
		return r;
	dir = template ? mountpoint_template_system_dir(spec) : mountpoint_system_dir(spec);
	if (!dir)
		return 0;
	if (template)
		errlist_add(errors, p->source, NULL,
			    "namespace \"%s\" mounts at %s<N> on region N, which on some region is or lies in %s, one "
			    "of the system's own directories: a filesystem mounted there would hide what the system "
			    "keeps there",
			    p->name, spec, dir);
	else
		errlist_add(errors, p->source, NULL,
			    "namespace \"%s\" mounts at %s, which %s %s, one of the system's own directories: a "
			    "filesystem mounted there would hide what the system keeps there",
			    p->name, spec, strcmp(spec, dir) == 0 ? "is" : "lies in", dir);
	return 0;
}

/* two entries that can mount at one path, on any regions they apply to: one would hide the other. 0 or -ENOMEM. */
static int validate_same_mountpoint(const struct ns_policy *a, const struct ns_policy *b, struct errlist *errors)
{
	_cleanup_free_ char *sa = NULL, *sb = NULL, *path = NULL;
	bool ta, tb;
	unsigned ra = a->region == POLICY_REGION_ANY ? 0 : (unsigned)a->region;
	unsigned rb = b->region == POLICY_REGION_ANY ? 0 : (unsigned)b->region;
	int r;

	r = mount_spec(a, &sa, &ta);
	if (r > 0)
		r = mount_spec(b, &sb, &tb);
	if (r > 0)
		r = mountpoint_templates_meet(sa, ta, sb, tb, &path, &ra, &rb);
	if (r <= 0)
		return r;
	errlist_add(errors, b->source, NULL, "namespaces \"%s\" and \"%s\" can both mount at %s (\"%s\" on region%u, "
		    "\"%s\" on region%u): one would hide the other",
		    a->name, b->name, path, a->name, ra, b->name, rb);
	return 0;
}

int policy_validate(const struct policy *policy, struct errlist *errors)
{
	int r;

	/* the files merged may hold more than each one may */
	if (policy->n_namespaces > POLICY_MAX_ENTRIES) {
		errlist_add(errors, NULL, NULL, "the policy files together have %zu namespace entries, more than the %d a "
			    "policy may have", policy->n_namespaces, POLICY_MAX_ENTRIES);
		return 0;
	}
	/*
	 * Names are compared as they come out for one region; region-less
	 * entries get the index appended, so "data" on every region and "data0"
	 * on region 0 collide on region 0. Mountpoints are compared over every
	 * region the entries apply to: "data" on every region and "data1" on
	 * region 0 both mount at /mnt/data1.
	 */
	for (size_t i = 0; i < policy->n_namespaces; i++) {
		const struct ns_policy *a = &policy->namespaces[i];

		r = validate_system_dir(a, errors);
		if (r < 0)
			return r;
		for (size_t j = i + 1; j < policy->n_namespaces; j++) {
			const struct ns_policy *b = &policy->namespaces[j];
			unsigned region;

			/* mountpoints across regions too: entries for two regions can name one path */
			r = validate_same_mountpoint(a, b, errors);
			if (r < 0)
				return r;
			if (!could_collide(a, b))
				continue;
			region = a->region != POLICY_REGION_ANY ? (unsigned)a->region
				 : b->region != POLICY_REGION_ANY ? (unsigned)b->region
								  : 0;
			{
				_cleanup_free_ char *na = ns_policy_name_for(a, region);
				_cleanup_free_ char *nb = ns_policy_name_for(b, region);

				if (!na || !nb)
					return -ENOMEM;
				if (strcmp(na, nb) == 0)
					errlist_add(errors, b->source, NULL,
						    "namespaces \"%s\" and \"%s\" both become \"%s\" on region%u", a->name,
						    b->name, na, region);
				if (!a->size && !b->size)
					errlist_add(errors, b->source, NULL,
						    "namespaces \"%s\" and \"%s\" both take the rest of region%u: give one a size",
						    a->name, b->name, region);
			}
		}
	}
	return 0;
}

int policy_set_builtin(struct policy *policy)
{
	struct ns_policy entry = {
		.region = POLICY_REGION_ANY,
		.mode = NS_MODE_FSDAX,
		.map = PFN_MAP_DEV,
		.filesystem = FS_XFS,
		.permissions = POLICY_PERMISSIONS_UNSET,
	};
	int r;

	entry.name = strdup("pmem");
	entry.source = strdup("built-in default");
	if (!entry.name || !entry.source) {
		ns_policy_clear(&entry);
		return -ENOMEM;
	}
	r = policy_add_entry(policy, &entry);
	if (r < 0) {
		ns_policy_clear(&entry);
		return r;
	}
	policy->builtin = true;
	return 0;
}

static int merge_file(struct policy *policy, const char *path, bool missing_ok, struct errlist *errors)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_file(path, &text, NULL);
	if (r == -ENOENT && missing_ok)
		return 0;
	log_debug("policy: reading %s", path);
	if (r < 0) {
		errlist_add(errors, path, NULL, "cannot read: %s", strerror(-r));
		return r;
	}
	return policy_merge_text(policy, path, text, errors);
}

static int filter_json(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".json") == 0;
}

/*
 * DIR/vpmem.d/<*>.json in lexical order; a missing directory holds nothing,
 * one that cannot be read is an error (the policy would be missing a part).
 */
static int merge_dropins(struct policy *policy, const char *dir, struct errlist *errors)
{
	_cleanup_free_ char *dropin_dir = NULL;
	struct dirent **list = NULL;
	int n, r = 0;

	if (asprintf(&dropin_dir, "%s/vpmem.d", dir) < 0)
		return -ENOMEM;
	n = scandir(dropin_dir, &list, filter_json, alphasort);
	if (n < 0 && errno != ENOENT) {
		/* reported with the other errors: the run stops before anything changes */
		errlist_add(errors, dropin_dir, NULL, "cannot read the directory: %s", strerror(errno));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (r == 0 && asprintf(&path, "%s/%s", dropin_dir, list[i]->d_name) < 0)
			r = -ENOMEM;
		if (r == 0)
			merge_file(policy, path, true, errors);
		free(list[i]);
	}
	free(list);
	return r;
}

static int merge_main(struct policy *policy, const char *dir, struct errlist *errors)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/vpmem.json", dir) < 0)
		return -ENOMEM;
	merge_file(policy, path, true, errors);
	return 0;
}

int policy_load(struct policy *ret, const char *override, const char *etc_dir, const char *run_dir,
		struct errlist *errors)
{
	struct policy policy = { .builtin = true };
	size_t before = errors->count;
	int r = 0;

	if (override) {
		r = merge_file(&policy, override, false, errors);
	} else {
		/* from the most general to the most specific: image, image drop-ins,
		 * boot-time drop-ins (instance metadata), boot-time policy (user-data) */
		if ((r = merge_main(&policy, etc_dir, errors)) < 0 || (r = merge_dropins(&policy, etc_dir, errors)) < 0 ||
		    (r = merge_dropins(&policy, run_dir, errors)) < 0 || (r = merge_main(&policy, run_dir, errors)) < 0)
			goto fail;
	}

	if (errors->count == before && policy.builtin && policy.n_namespaces == 0) {
		r = policy_set_builtin(&policy);
		if (r < 0)
			goto fail;
	}
	if (errors->count == before) {
		r = policy_validate(&policy, errors);
		if (r < 0)
			goto fail;
	}
	if (errors->count != before) {
		r = -EINVAL;
		goto fail;
	}
	*ret = policy;
	return 0;
fail:
	policy_clear(&policy);
	return r < 0 ? r : -EINVAL;
}
