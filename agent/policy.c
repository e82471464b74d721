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

/* options that would turn DAX off or fight the agent's own choice */
static const char *mount_options_problem(const char *options)
{
	_cleanup_free_ char *copy = strdup(options);
	char *opt, *save = NULL;

	if (!copy)
		return "out of memory";
	for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (strcmp(opt, "dax") == 0 || strncmp(opt, "dax=", 4) == 0 || strcmp(opt, "nodax") == 0)
			return "must not set dax: the agent always mounts with DAX";
		if (strcmp(opt, "remount") == 0 || strcmp(opt, "bind") == 0 || strcmp(opt, "move") == 0)
			return "must not contain remount, bind or move";
	}
	for (const char *c = options; *c; c++)
		if ((unsigned char)*c < 0x20)
			return "must not contain control characters";
	return NULL;
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

static char *path_for(size_t index, const char *key)
{
	char *p = NULL;

	if (asprintf(&p, "$.namespaces[%zu]%s%s", index, key ? "." : "", key ? key : "") < 0)
		abort();
	return p;
}

#define ENTRY_ERROR(key, ...)                                          \
	do {                                                           \
		_cleanup_free_ char *_path = path_for(index, key);     \
		errlist_add(errors, file, _path, __VA_ARGS__);         \
	} while (0)

static const char *const entry_keys[] = {
	"name", "region", "mode", "size", "align", "map", "filesystem", "mountpoint", "mount_options",
	"owner", "group", "permissions", "system_ram", "sector_size", "hide_existing_files",
};

static bool key_is_known(const char *key, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static char *dup_string(struct json_object *v)
{
	char *s = strdup(json_object_get_string(v));

	if (!s)
		abort();
	return s;
}

static void parse_entry(struct json_object *obj, size_t index, const char *file, struct ns_policy *p,
			struct errlist *errors)
{
	size_t before = errors->count;
	struct json_object *v;

	memset(p, 0, sizeof(*p));
	p->region = POLICY_REGION_ANY;
	p->mode = NS_MODE_FSDAX;
	p->map = PFN_MAP_DEV;
	p->filesystem = FS_XFS;
	p->permissions = POLICY_PERMISSIONS_UNSET;
	p->source = strdup(file);
	if (!p->source) {
		ENTRY_ERROR(NULL, "out of memory");
		return;
	}

	if (!is_type(obj, json_type_object)) {
		ENTRY_ERROR(NULL, "must be an object");
		return;
	}

	{
		json_object_object_foreach(obj, key, val) {
			(void)val;
			if (!key_is_known(key, entry_keys, ELEMENTSOF(entry_keys)))
				ENTRY_ERROR(key, "unknown key");
		}
	}

	if (json_object_object_get_ex(obj, "region", &v)) {
		if (!is_type(v, json_type_int) || json_object_get_int64(v) < 0 || json_object_get_int64(v) > 65535)
			ENTRY_ERROR("region", "must be a region index, an integer from 0 to 65535");
		else
			p->region = (int)json_object_get_int64(v);
	}

	if (!json_object_object_get_ex(obj, "name", &v))
		ENTRY_ERROR("name", "is required");
	else if (!is_type(v, json_type_string))
		ENTRY_ERROR("name", "must be a string");
	else {
		/* a region-less entry becomes <name><N>: keep room for the index */
		size_t max = p->region == POLICY_REGION_ANY ? POLICY_NAME_MAX - 5 : POLICY_NAME_MAX;

		if (!name_is_valid(json_object_get_string(v), max))
			ENTRY_ERROR("name", "\"%s\" is not a valid name: 1 to %zu characters of A-Z a-z 0-9 . _ -",
				    json_object_get_string(v), max);
		else
			p->name = dup_string(v);
	}

	if (json_object_object_get_ex(obj, "mode", &v)) {
		const char *m = is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

		if (m && strcmp(m, "fsdax") == 0)
			p->mode = NS_MODE_FSDAX;
		else if (m && strcmp(m, "devdax") == 0)
			p->mode = NS_MODE_DEVDAX;
		else if (m && strcmp(m, "sector") == 0)
			p->mode = NS_MODE_SECTOR;
		else
			ENTRY_ERROR("mode", "must be \"fsdax\", \"devdax\" or \"sector\"");
	}
	if (p->mode == NS_MODE_SECTOR)
		p->sector_size = 4096;

	if (json_object_object_get_ex(obj, "sector_size", &v)) {
		int64_t n = is_type(v, json_type_int) ? json_object_get_int64(v) : 0;

		if (p->mode != NS_MODE_SECTOR)
			ENTRY_ERROR("sector_size", "only applies to sector namespaces");
		else if (n != 512 && n != 4096)
			ENTRY_ERROR("sector_size", "must be 512 or 4096");
		else
			p->sector_size = (unsigned)n;
	}

	if (json_object_object_get_ex(obj, "size", &v)) {
		if (parse_size_value(v, &p->size) < 0)
			ENTRY_ERROR("size", "\"%s\" is not a size: give bytes, or a number with K, M, G or T",
				    json_object_get_string(v));
		else if (p->size < SZ_16M)
			ENTRY_ERROR("size", "%s is below the kernel's minimum namespace size of 16M",
				    json_object_get_string(v));
	}

	if (json_object_object_get_ex(obj, "align", &v)) {
		uint64_t a = 0;

		if (p->mode == NS_MODE_SECTOR)
			ENTRY_ERROR("align", "does not apply to sector namespaces");
		/* which of them the system can do, the plan says, with the list of those it can */
		else if (parse_size_value(v, &a) < 0 || !is_power_of_2(a) || a < SZ_4K || a > SZ_16G)
			ENTRY_ERROR("align", "must be a power of two from 4K to 16G, such as the page size, \"2M\", "
					     "\"16M\" or \"1G\"");
		else {
			p->align = a;
			p->align_set = true;
		}
	}

	if (json_object_object_get_ex(obj, "map", &v)) {
		const char *m = is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

		if (p->mode == NS_MODE_SECTOR)
			ENTRY_ERROR("map", "does not apply to sector namespaces");
		else if (m && strcmp(m, "dev") == 0)
			p->map = PFN_MAP_DEV;
		else if (m && strcmp(m, "mem") == 0)
			p->map = PFN_MAP_MEM;
		else
			ENTRY_ERROR("map", "must be \"dev\" or \"mem\"");
	}

	if (json_object_object_get_ex(obj, "filesystem", &v)) {
		const char *f = is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

		if (!ns_mode_has_filesystem(p->mode))
			ENTRY_ERROR("filesystem", "only applies to fsdax and sector namespaces");
		else if (f && strcmp(f, "xfs") == 0)
			p->filesystem = FS_XFS;
		else if (f && strcmp(f, "ext4") == 0)
			p->filesystem = FS_EXT4;
		else if (f && strcmp(f, "none") == 0)
			p->filesystem = FS_NONE;
		else
			ENTRY_ERROR("filesystem", "must be \"xfs\", \"ext4\" or \"none\"");
	}
	if (!ns_mode_has_filesystem(p->mode))
		p->filesystem = FS_NONE;

	if (json_object_object_get_ex(obj, "mountpoint", &v)) {
		const char *problem;

		if (!ns_mode_has_filesystem(p->mode) || p->filesystem == FS_NONE)
			ENTRY_ERROR("mountpoint", "only applies to fsdax and sector namespaces with a filesystem");
		else if (!is_type(v, json_type_string))
			ENTRY_ERROR("mountpoint", "must be a string");
		else if ((problem = mountpoint_problem(json_object_get_string(v))))
			ENTRY_ERROR("mountpoint", "\"%s\" %s", json_object_get_string(v), problem);
		else
			p->mountpoint = dup_string(v);
	}

	if (json_object_object_get_ex(obj, "hide_existing_files", &v)) {
		if (!ns_mode_has_filesystem(p->mode) || p->filesystem == FS_NONE)
			ENTRY_ERROR("hide_existing_files", "only applies to fsdax and sector namespaces with a filesystem");
		else if (!is_type(v, json_type_boolean))
			ENTRY_ERROR("hide_existing_files", "must be true or false");
		else
			p->hide_existing_files = json_object_get_boolean(v);
	}

	if (json_object_object_get_ex(obj, "mount_options", &v)) {
		const char *problem;

		if (!ns_mode_has_filesystem(p->mode) || p->filesystem == FS_NONE)
			ENTRY_ERROR("mount_options", "only applies to fsdax and sector namespaces with a filesystem");
		else if (!is_type(v, json_type_string))
			ENTRY_ERROR("mount_options", "must be a string");
		else if ((problem = mount_options_problem(json_object_get_string(v))))
			ENTRY_ERROR("mount_options", "\"%s\" %s", json_object_get_string(v), problem);
		else if (json_object_get_string_len(v))
			p->mount_options = dup_string(v);
	}

	if (json_object_object_get_ex(obj, "owner", &v)) {
		if (p->mode != NS_MODE_DEVDAX)
			ENTRY_ERROR("owner", "only applies to devdax namespaces");
		else if (!is_type(v, json_type_string) || !name_is_valid(json_object_get_string(v), 32))
			ENTRY_ERROR("owner", "must be a user name or number");
		else
			p->owner = dup_string(v);
	}
	if (json_object_object_get_ex(obj, "group", &v)) {
		if (p->mode != NS_MODE_DEVDAX)
			ENTRY_ERROR("group", "only applies to devdax namespaces");
		else if (!is_type(v, json_type_string) || !name_is_valid(json_object_get_string(v), 32))
			ENTRY_ERROR("group", "must be a group name or number");
		else
			p->group = dup_string(v);
	}
	if (json_object_object_get_ex(obj, "permissions", &v)) {
		const char *s = is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		char *end = NULL;
		unsigned long m = 0;

		if (s && *s) {
			errno = 0;
			m = strtoul(s, &end, 8);
		}
		if (p->mode != NS_MODE_DEVDAX)
			ENTRY_ERROR("permissions", "only applies to devdax namespaces");
		else if (!s || !*s || errno || *end || m > 07777)
			ENTRY_ERROR("permissions", "must be an octal mode in a string, like \"0660\"");
		else
			p->permissions = (mode_t)m;
	}
	if (json_object_object_get_ex(obj, "system_ram", &v)) {
		if (p->mode != NS_MODE_DEVDAX)
			ENTRY_ERROR("system_ram", "only applies to devdax namespaces");
		else if (!is_type(v, json_type_boolean))
			ENTRY_ERROR("system_ram", "must be true or false");
		else
			p->system_ram = json_object_get_boolean(v);
		if (p->system_ram && (p->owner || p->group || p->permissions != POLICY_PERMISSIONS_UNSET))
			ENTRY_ERROR("system_ram",
				    "a device given to the kernel as system RAM has no device node: drop owner, group and permissions");
	}

	if (errors->count != before)
		ns_policy_clear(p);
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

/* "overwrite": ["region0", "nmem1"]: each a region or a DIMM, by the names ndctl gives them. 0 or -ENOMEM. */
static int parse_overwrite_targets(struct json_object *list, const char *file, struct policy_target **ret,
				   size_t *ret_n, struct errlist *errors)
{
	size_t n = json_object_array_length(list);
	struct policy_target *targets;

	*ret = NULL;
	*ret_n = 0;
	if (n == 0) {
		errlist_add(errors, file, "$.overwrite", "is an empty list: say false to overwrite nothing");
		return 0;
	}
	if (n > POLICY_MAX_TARGETS) {
		errlist_add(errors, file, "$.overwrite", "has %zu entries, more than the %d it may have", n,
			    POLICY_MAX_TARGETS);
		return 0;
	}
	targets = calloc(n, sizeof(*targets));
	if (!targets)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(list, i);
		const char *name = is_type(t, json_type_string) ? json_object_get_string(t) : NULL;
		char path[48];

		snprintf(path, sizeof(path), "$.overwrite[%zu]", i);
		/* only the plain names: a sysfs path in a policy would outlive the boot it was true in */
		if (!name || strchr(name, '/') || nd_parse_target(name, &targets[i].is_region, &targets[i].id) < 0)
			errlist_add(errors, file, path, "must name a region or a DIMM (\"region0\", \"nmem1\")");
	}
	*ret = targets;
	*ret_n = n;
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
	static const char *const top_keys[] = { "overwrite", "replace", "namespaces" };
	_cleanup_json_ struct json_object *root = NULL;
	_cleanup_free_ char *error = NULL;
	struct json_object *v, *entries = NULL;
	size_t before = errors->count, n = 0;
	bool overwrite = false, overwrite_given = false, replace = false;
	_cleanup_free_ struct policy_target *targets = NULL;
	size_t n_targets = 0;
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

	{
		json_object_object_foreach(root, key, val) {
			(void)val;
			if (!key_is_known(key, top_keys, ELEMENTSOF(top_keys)))
				errlist_add(errors, file, "$", "unknown key \"%s\"", key);
		}
	}
	if (json_object_object_get_ex(root, "overwrite", &v)) {
		overwrite_given = true;
		if (is_type(v, json_type_boolean)) {
			overwrite = json_object_get_boolean(v);
		} else if (is_type(v, json_type_array)) {
			r = parse_overwrite_targets(v, file, &targets, &n_targets, errors);
			if (r < 0)
				return r;
		} else {
			errlist_add(errors, file, "$.overwrite",
				    "must be true, false, or a list of the regions and DIMMs it applies to "
				    "([\"region0\", \"nmem1\"])");
		}
	}
	if (json_object_object_get_ex(root, "replace", &v)) {
		if (!is_type(v, json_type_boolean))
			errlist_add(errors, file, "$.replace", "must be true or false");
		else
			replace = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(root, "namespaces", &entries) && !is_type(entries, json_type_array)) {
		errlist_add(errors, file, "$.namespaces", "must be an array");
		entries = NULL;
	}
	if (entries && json_object_array_length(entries) > POLICY_MAX_ENTRIES) {
		errlist_add(errors, file, "$.namespaces", "has %zu entries, more than the %d a policy may have",
			    json_object_array_length(entries), POLICY_MAX_ENTRIES);
		entries = NULL;
	}

	if (entries) {
		n = json_object_array_length(entries);
		parsed = calloc(n ? n : 1, sizeof(*parsed));
		if (!parsed)
			return -ENOMEM;
		for (size_t index = 0; index < n; index++) {
			struct json_object *entry = json_object_array_get_idx(entries, index), *name;

			parse_entry(entry, index, file, &parsed[index], errors);
			/* compare the names as written, also of entries that had other errors */
			if (!json_object_object_get_ex(entry, "name", &name) || !is_type(name, json_type_string))
				continue;
			for (size_t j = 0; j < index; j++) {
				struct json_object *other, *other_name;

				other = json_object_array_get_idx(entries, j);
				if (json_object_object_get_ex(other, "name", &other_name) &&
				    is_type(other_name, json_type_string) &&
				    strcmp(json_object_get_string(other_name), json_object_get_string(name)) == 0) {
					ENTRY_ERROR("name", "duplicate name \"%s\" (also $.namespaces[%zu])",
						    json_object_get_string(name), j);
					break;
				}
			}
		}
	}

	if (errors->count != before) {
		r = -EINVAL;
		goto out;
	}

	if (overwrite_given) {
		policy->overwrite = overwrite;
		free(policy->overwrite_targets);
		policy->overwrite_targets = TAKE_PTR(targets);
		policy->n_overwrite_targets = n_targets;
	}
	if (replace) {
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

/* one of the system's own directories (mountpoint.h), where no policy may mount */
static void validate_system_dir(const struct ns_policy *p, struct errlist *errors)
{
	_cleanup_free_ char *spec = NULL;
	bool template;
	const char *dir;

	if (mount_spec(p, &spec, &template) <= 0)
		return;
	dir = template ? mountpoint_template_system_dir(spec) : mountpoint_system_dir(spec);
	if (!dir)
		return;
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
}

/* two entries that can mount at one path, on any regions they apply to: one would hide the other */
static void validate_same_mountpoint(const struct ns_policy *a, const struct ns_policy *b, struct errlist *errors)
{
	_cleanup_free_ char *sa = NULL, *sb = NULL, *path = NULL;
	bool ta, tb;
	unsigned ra = a->region == POLICY_REGION_ANY ? 0 : (unsigned)a->region;
	unsigned rb = b->region == POLICY_REGION_ANY ? 0 : (unsigned)b->region;

	if (mount_spec(a, &sa, &ta) <= 0 || mount_spec(b, &sb, &tb) <= 0)
		return;
	if (mountpoint_templates_meet(sa, ta, sb, tb, &path, &ra, &rb) <= 0)
		return;
	errlist_add(errors, b->source, NULL, "namespaces \"%s\" and \"%s\" can both mount at %s (\"%s\" on region%u, "
		    "\"%s\" on region%u): one would hide the other",
		    a->name, b->name, path, a->name, ra, b->name, rb);
}

void policy_validate(const struct policy *policy, struct errlist *errors)
{
	/* the files merged may hold more than each one may */
	if (policy->n_namespaces > POLICY_MAX_ENTRIES) {
		errlist_add(errors, NULL, NULL, "the policy files together have %zu namespace entries, more than the %d a "
			    "policy may have", policy->n_namespaces, POLICY_MAX_ENTRIES);
		return;
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

		validate_system_dir(a, errors);
		for (size_t j = i + 1; j < policy->n_namespaces; j++) {
			const struct ns_policy *b = &policy->namespaces[j];
			unsigned region;

			/* mountpoints across regions too: entries for two regions can name one path */
			validate_same_mountpoint(a, b, errors);
			if (!could_collide(a, b))
				continue;
			region = a->region != POLICY_REGION_ANY ? (unsigned)a->region
				 : b->region != POLICY_REGION_ANY ? (unsigned)b->region
								  : 0;
			{
				_cleanup_free_ char *na = ns_policy_name_for(a, region);
				_cleanup_free_ char *nb = ns_policy_name_for(b, region);

				if (na && nb && strcmp(na, nb) == 0)
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
	if (errors->count == before)
		policy_validate(&policy, errors);
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
