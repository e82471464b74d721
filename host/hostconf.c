// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host configuration: Nova's pmem_namespaces for namespaces that already
 * exist, and a layout of namespaces or files for setup to create.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "hostconf.h"
#include "jsonparse.h"
#include "fileio.h"
#include "size.h"

char *resource_class_for_label(const char *label)
{
	size_t len = strlen(label);
	char *rc = malloc(sizeof("CUSTOM_PMEM_NAMESPACE_") + len), *p;
	bool in_run = false;

	if (!rc)
		return NULL;
	p = stpcpy(rc, "CUSTOM_PMEM_NAMESPACE_");
	for (const char *c = label; *c; c++) {
		if (isalnum((unsigned char)*c)) {
			*p++ = (char)toupper((unsigned char)*c);
			in_run = false;
		} else if (!in_run) {
			*p++ = '_';
			in_run = true;
		}
	}
	*p = '\0';
	return rc;
}

char *layout_backing_name(const struct layout_entry *entry, unsigned index)
{
	char *s = NULL;

	if (asprintf(&s, "vpmem-%s-%u", entry->label, index) < 0)
		return NULL;
	return s;
}

void host_config_clear(struct host_config *config)
{
	for (size_t i = 0; i < config->n_nova; i++) {
		free(config->nova[i].label);
		free(config->nova[i].name);
	}
	for (size_t i = 0; i < config->n_layout; i++) {
		free(config->layout[i].label);
		free(config->layout[i].directory);
	}
	free(config->nova);
	free(config->layout);
	free(config->placement.url);
	free(config->placement.provider);
	free(config->placement.parent);
	free(config->placement.cacert);
	free(config->placement.token_file);
	free(config->placement.project_id);
	free(config->placement.user_id);
	free(config->libvirt_uri);
	memset(config, 0, sizeof(*config));
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int add_binding(struct host_config *config, const char *label, const char *name)
{
	struct nova_binding *grown = realloc(config->nova, (config->n_nova + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	config->nova = grown;
	grown[config->n_nova].label = strdup(label);
	grown[config->n_nova].name = strdup(name);
	if (!grown[config->n_nova].label || !grown[config->n_nova].name)
		return -ENOMEM;
	config->n_nova++;
	return 0;
}

/* two different labels whose resource classes are the same would share one inventory */
static void check_label_collision(const char *label, const char *other, const char *file, const char *path,
				  struct errlist *errors)
{
	_cleanup_free_ char *a = NULL, *b = NULL;

	if (strcmp(label, other) == 0)
		return;
	a = resource_class_for_label(label);
	b = resource_class_for_label(other);
	if (a && b && strcmp(a, b) == 0)
		errlist_add(errors, file, path, "labels \"%s\" and \"%s\" both become resource class %s", other, label,
			    a);
}

int nova_pmem_namespaces_parse(const char *value, const char *file, const char *path, struct host_config *config,
			       struct errlist *errors)
{
	_cleanup_free_ char *copy = strdup(value);
	size_t before = errors->count;
	char *item, *save = NULL;

	if (!copy)
		return -ENOMEM;
	/* oslo.config's ListOpt: split on commas, strip each item */
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *entry = trim(item), *colon = strchr(entry, ':'), *names, *name, *save2 = NULL;
		const char *label;

		if (!colon) {
			errlist_add(errors, file, path,
				    "\"%s\" doesn't follow the format LABEL:NAME[|NAME...] (Nova: \"The configuration "
				    "doesn't follow the format\")",
				    entry);
			continue;
		}
		*colon = '\0';
		label = trim(entry);
		names = colon + 1;
		if (!*label || strlen(label) > LABEL_MAX) {
			errlist_add(errors, file, path, "a label must be 1 to %d characters (in \"%s:%s\")", LABEL_MAX,
				    label, names);
			continue;
		}
		if (!*trim(names) || strstr(names, "||") || names[0] == '|' || names[strlen(names) - 1] == '|') {
			errlist_add(errors, file, path, "label \"%s\" has an empty namespace name", label);
			continue;
		}
		for (name = strtok_r(names, "|", &save2); name; name = strtok_r(NULL, "|", &save2)) {
			name = trim(name);
			for (size_t i = 0; i < config->n_nova; i++)
				if (strcmp(config->nova[i].name, name) == 0)
					errlist_add(errors, file, path, "Duplicated PMEM namespace %s configured", name);
			for (size_t i = 0; i < config->n_nova; i++)
				check_label_collision(label, config->nova[i].label, file, path, errors);
			if (add_binding(config, label, name) < 0)
				return -ENOMEM;
		}
	}
	return errors->count == before ? 0 : -EINVAL;
}

/* every key of object o not in keys, as "PREFIX.key: unknown key" */
static void check_keys(struct json_object *o, const char *const *keys, size_t n_keys, const char *file,
		       const char *prefix, struct errlist *errors)
{
	json_object_object_foreach(o, key, val) {
		bool known = false;
		char path[96];

		(void)val;
		for (size_t k = 0; k < n_keys; k++)
			known = known || strcmp(key, keys[k]) == 0;
		if (known)
			continue;
		snprintf(path, sizeof(path), "%s.%s", prefix, key);
		errlist_add(errors, file, path, "unknown key");
	}
}

static bool label_is_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > LABEL_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

static void parse_layout_entry(struct json_object *o, size_t i, const char *file, struct layout_entry *e,
			       struct errlist *errors)
{
	static const char *const keys[] = { "label", "count", "size", "region", "align", "backend", "directory" };
	struct json_object *v;
	char path[64];

#define LAYOUT_ERROR(key, ...)                                                        \
	do {                                                                          \
		snprintf(path, sizeof(path), "$.layout[%zu]%s%s", i, (key) ? "." : "", (key) ? (key) : ""); \
		errlist_add(errors, file, path, __VA_ARGS__);                         \
	} while (0)

	memset(e, 0, sizeof(*e));
	e->region = -1;
	e->align = SZ_2M;
	if (!json_object_is_type(o, json_type_object)) {
		LAYOUT_ERROR(NULL, "must be an object");
		return;
	}
	snprintf(path, sizeof(path), "$.layout[%zu]", i);
	check_keys(o, keys, ELEMENTSOF(keys), file, path, errors);
	if (!json_object_object_get_ex(o, "label", &v) || !json_object_is_type(v, json_type_string) ||
	    !label_is_valid(json_object_get_string(v)))
		LAYOUT_ERROR("label", "is required: 1 to %d characters of A-Z a-z 0-9 . _ -", LABEL_MAX);
	else
		e->label = strdup(json_object_get_string(v));

	if (!json_object_object_get_ex(o, "count", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 1 || json_object_get_int64(v) > 1024)
		LAYOUT_ERROR("count", "is required: an integer from 1 to 1024");
	else
		e->count = (unsigned)json_object_get_int64(v);

	if (!json_object_object_get_ex(o, "size", &v) ||
	    (json_object_is_type(v, json_type_string) ? size_parse(json_object_get_string(v), &e->size) < 0
						      : !json_object_is_type(v, json_type_int) ||
							    (e->size = (uint64_t)json_object_get_int64(v)) == 0))
		LAYOUT_ERROR("size", "is required: bytes, or a number with K, M, G or T");
	else if (e->size < SZ_16M)
		LAYOUT_ERROR("size", "must be at least 16M");

	if (json_object_object_get_ex(o, "backend", &v)) {
		const char *b = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

		if (strcmp(b, "file") == 0)
			e->backend = BACKEND_FILE;
		else if (strcmp(b, "devdax") != 0)
			LAYOUT_ERROR("backend", "must be \"devdax\" or \"file\"");
	}

	if (e->backend == BACKEND_DEVDAX) {
		if (!json_object_object_get_ex(o, "region", &v) || !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0 || json_object_get_int64(v) > 65535)
			LAYOUT_ERROR("region", "is required for devdax backings: a region index");
		else
			e->region = (int)json_object_get_int64(v);
		if (json_object_object_get_ex(o, "directory", &v))
			LAYOUT_ERROR("directory", "only applies to file backings");
	} else {
		if (!json_object_object_get_ex(o, "directory", &v) || !json_object_is_type(v, json_type_string) ||
		    json_object_get_string(v)[0] != '/' || strstr(json_object_get_string(v), "/../") ||
		    strstr(json_object_get_string(v), "/./"))
			LAYOUT_ERROR("directory", "is required for file backings: an absolute path");
		else
			e->directory = strdup(json_object_get_string(v));
		if (json_object_object_get_ex(o, "region", &v))
			LAYOUT_ERROR("region", "only applies to devdax backings");
	}
	if (json_object_object_get_ex(o, "align", &v)) {
		if ((json_object_is_type(v, json_type_string) ? size_parse(json_object_get_string(v), &e->align) < 0
							      : true) ||
		    (e->align != (uint64_t)sysconf(_SC_PAGESIZE) && e->align != SZ_2M && e->align != SZ_1G))
			LAYOUT_ERROR("align", "must be the page size, \"2M\" or \"1G\"");
	}
	if (e->size && e->align && e->size % e->align)
		LAYOUT_ERROR("size", "must be a multiple of align");
#undef LAYOUT_ERROR
}

/* one string of the "placement" section; check says what a value must be, or NULL when it is fine */
static int placement_string(struct json_object *section, const char *key, char **ret, const char *(*check)(const char *),
			    const char *file, struct errlist *errors)
{
	struct json_object *v;
	const char *problem;
	char path[48];

	if (!json_object_object_get_ex(section, key, &v))
		return 0;
	snprintf(path, sizeof(path), "$.placement.%s", key);
	if (!json_object_is_type(v, json_type_string) || !*json_object_get_string(v)) {
		errlist_add(errors, file, path, "must be a non-empty string");
		return 0;
	}
	if (check && (problem = check(json_object_get_string(v)))) {
		errlist_add(errors, file, path, "%s", problem);
		return 0;
	}
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

static const char *check_url(const char *s)
{
	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return "must be an http:// or https:// URL";
	if (s[strlen(s) - 1] == '/')
		return "must not end with \"/\"";
	return NULL;
}

static const char *check_uuid(const char *s)
{
	uuid_t uu;

	return strlen(s) == 36 && uuid_parse(s, uu) == 0 ? NULL : "must be the UUID of a resource provider";
}

static const char *check_absolute(const char *s)
{
	return s[0] == '/' ? NULL : "must be an absolute path";
}

static int parse_placement(struct json_object *o, const char *file, struct placement_config *pc, struct errlist *errors)
{
	static const char *const keys[] = { "url",     "provider",   "parent",  "cacert",         "token_file",
					    "timeout", "project_id", "user_id", "token_over_http" };
	struct json_object *v;
	int r = 0;

	if (!json_object_is_type(o, json_type_object)) {
		errlist_add(errors, file, "$.placement", "must be an object");
		return 0;
	}
	check_keys(o, keys, ELEMENTSOF(keys), file, "$.placement", errors);
	if (placement_string(o, "url", &pc->url, check_url, file, errors) < 0 ||
	    placement_string(o, "provider", &pc->provider, NULL, file, errors) < 0 ||
	    placement_string(o, "parent", &pc->parent, check_uuid, file, errors) < 0 ||
	    placement_string(o, "cacert", &pc->cacert, check_absolute, file, errors) < 0 ||
	    placement_string(o, "token_file", &pc->token_file, check_absolute, file, errors) < 0 ||
	    placement_string(o, "project_id", &pc->project_id, NULL, file, errors) < 0 ||
	    placement_string(o, "user_id", &pc->user_id, NULL, file, errors) < 0)
		r = -ENOMEM;
	if (json_object_object_get_ex(o, "timeout", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
		    json_object_get_int64(v) > 3600)
			errlist_add(errors, file, "$.placement.timeout", "must be a number of seconds from 1 to 3600");
		else
			pc->timeout = (long)json_object_get_int64(v);
	}
	if (json_object_object_get_ex(o, "token_over_http", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			errlist_add(errors, file, "$.placement.token_over_http", "must be true or false");
		else
			pc->token_over_http = json_object_get_boolean(v);
	}
	return r;
}

int host_config_parse(const char *file, const char *text, struct host_config *config, struct errlist *errors)
{
	static const char *const keys[] = { "pmem_namespaces", "layout", "placement", "libvirt" };
	_cleanup_json_ struct json_object *root = NULL;
	_cleanup_free_ char *error = NULL;
	struct host_config c = { 0 };
	size_t before = errors->count;
	struct json_object *v;
	int r;

	r = json_parse_strict(text, strlen(text), &root, &error);
	if (r == -EINVAL || (r == 0 && !json_object_is_type(root, json_type_object))) {
		errlist_add(errors, file, NULL, "not a JSON object (%s)", error ? error : "another JSON value");
		return -EINVAL;
	}
	if (r < 0)
		return r;
	{
		json_object_object_foreach(root, key, val) {
			size_t k = 0;

			(void)val;
			while (k < ELEMENTSOF(keys) && strcmp(key, keys[k]))
				k++;
			if (k == ELEMENTSOF(keys))
				errlist_add(errors, file, "$", "unknown key \"%s\"", key);
		}
	}
	if (json_object_object_get_ex(root, "pmem_namespaces", &v)) {
		if (!json_object_is_type(v, json_type_string))
			errlist_add(errors, file, "$.pmem_namespaces", "must be a string like \"6GB:ns0|ns1,LARGE:ns3\"");
		else if (nova_pmem_namespaces_parse(json_object_get_string(v), file, "$.pmem_namespaces", &c, errors) ==
			 -ENOMEM)
			return -ENOMEM;
	}
	if (json_object_object_get_ex(root, "placement", &v) && parse_placement(v, file, &c.placement, errors) < 0) {
		host_config_clear(&c);
		return -ENOMEM;
	}
	if (json_object_object_get_ex(root, "libvirt", &v)) {
		static const char *const libvirt_keys[] = { "uri" };
		struct json_object *uri;

		c.libvirt = true;
		if (!json_object_is_type(v, json_type_object)) {
			errlist_add(errors, file, "$.libvirt", "must be an object");
		} else {
			check_keys(v, libvirt_keys, ELEMENTSOF(libvirt_keys), file, "$.libvirt", errors);
			if (json_object_object_get_ex(v, "uri", &uri)) {
				if (!json_object_is_type(uri, json_type_string) || !*json_object_get_string(uri))
					errlist_add(errors, file, "$.libvirt.uri", "must be a libvirt URI, such as \"qemu:///system\"");
				else if (!(c.libvirt_uri = strdup(json_object_get_string(uri)))) {
					host_config_clear(&c);
					return -ENOMEM;
				}
			}
		}
	}
	if (json_object_object_get_ex(root, "layout", &v)) {
		size_t n;

		if (!json_object_is_type(v, json_type_array)) {
			errlist_add(errors, file, "$.layout", "must be an array");
		} else {
			n = json_object_array_length(v);
			c.layout = calloc(n ? n : 1, sizeof(*c.layout));
			if (!c.layout)
				return -ENOMEM;
			for (size_t i = 0; i < n; i++) {
				parse_layout_entry(json_object_array_get_idx(v, i), i, file, &c.layout[c.n_layout++],
						   errors);
			}
		}
	}

	for (size_t j = 0; j < c.n_nova; j++)
		if (strncmp(c.nova[j].name, "vpmem-", 6) == 0)
			errlist_add(errors, file, "$.pmem_namespaces",
				    "namespace names starting with \"vpmem-\" are the ones setup makes: rename %s",
				    c.nova[j].name);

	/* across entries: one resource class per label */
	for (size_t i = 0; i < c.n_layout; i++) {
		const struct layout_entry *e = &c.layout[i];
		char path[48];

		if (!e->label)
			continue;
		snprintf(path, sizeof(path), "$.layout[%zu].label", i);
		for (size_t j = 0; j < i; j++)
			if (c.layout[j].label)
				check_label_collision(e->label, c.layout[j].label, file, path, errors);
		for (size_t j = 0; j < c.n_nova; j++)
			check_label_collision(e->label, c.nova[j].label, file, path, errors);
		for (size_t j = 0; j < i; j++)
			if (c.layout[j].label && strcmp(c.layout[j].label, e->label) == 0 &&
			    c.layout[j].backend == e->backend)
				errlist_add(errors, file, path, "label \"%s\" is laid out twice: merge the entries", e->label);
	}

	if (errors->count != before) {
		host_config_clear(&c);
		return -EINVAL;
	}
	*config = c;
	return 0;
}

int host_config_load(const char *path, struct host_config *config, struct errlist *errors)
{
	_cleanup_free_ char *text = NULL;
	int r = read_file(path, &text, NULL);

	if (r == -ENOENT) {
		memset(config, 0, sizeof(*config));
		return 0;
	}
	if (r < 0) {
		errlist_add(errors, path, NULL, "cannot read: %s", strerror(-r));
		return r;
	}
	return host_config_parse(path, text, config, errors);
}
