// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host's shared machinery: option parsing per command, loading the
 * host's state under its lock, and what several commands print.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "fileio.h"
#include "host.h"
#include "log.h"
#include "size.h"

static const struct {
	enum host_option id;
	const char *name;
	bool argument;
	const char *meta;
} catalogue[] = {
	{ OPT_JSON, "json", false, NULL },
	{ OPT_LABEL, "label", true, "LABEL" },
	{ OPT_CONSUMER, "consumer", true, "UUID" },
	{ OPT_UUID, "uuid", true, "UUID" },
	{ OPT_NUMA_NODE, "numa-node", true, "N" },
	{ OPT_GUEST_NODE, "guest-node", true, "N" },
	{ OPT_PLACEMENT, "placement", true, "URL" },
	{ OPT_NO_PLACEMENT, "no-placement", false, NULL },
	{ OPT_PROVIDER, "provider", true, "NAME|UUID" },
	{ OPT_PARENT, "parent", true, "UUID" },
	{ OPT_TOKEN, "token", true, "TOKEN" },
	{ OPT_TOKEN_FILE, "token-file", true, "FILE" },
	{ OPT_CACERT, "cacert", true, "FILE" },
	{ OPT_TIMEOUT, "timeout", true, "S" },
	{ OPT_PROJECT_ID, "project-id", true, "ID" },
	{ OPT_USER_ID, "user-id", true, "ID" },
	{ OPT_INTERVAL, "interval", true, "S" },
	{ OPT_DOMAIN, "domain", true, "NAME" },
	{ OPT_CONNECT, "connect", true, "URI" },
	{ OPT_UNVERIFIED, "unverified", false, NULL },
	{ OPT_MACHINE, "machine", true, "TYPE" },
};

static bool takes(const struct command *cmd, enum host_option id)
{
	for (const enum host_option *p = cmd->options; *p; p++)
		if (*p == id)
			return true;
	return false;
}

static void command_usage(const struct command *cmd, FILE *out)
{
	fprintf(out, "Usage: vpmem-host [-c FILE] [-s DIR] %s %s\n\n%s\n\nOptions:\n", cmd->name, cmd->synopsis,
		cmd->summary);
	for (size_t i = 0; i < ELEMENTSOF(catalogue); i++)
		if (takes(cmd, catalogue[i].id))
			fprintf(out, "  --%s%s%s\n", catalogue[i].name, catalogue[i].argument ? " " : "",
				catalogue[i].argument ? catalogue[i].meta : "");
	fprintf(out, "  -c, --config FILE, -s, --state-dir DIR, -v, --verbose, -h, --help\n");
}

static int number(const char *name, const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		log_error("--%s takes a number from %ld to %ld, not \"%s\"", name, min, max, s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int set_option(enum host_option id, const char *arg, struct options *o)
{
	long v;

	switch (id) {
	case OPT_JSON: o->json = true; return 0;
	case OPT_LABEL: o->label = arg; return 0;
	case OPT_CONSUMER: o->consumer = arg; return 0;
	case OPT_UUID: o->uuid = arg; return 0;
	case OPT_NUMA_NODE:
		if (number("numa-node", arg, 0, 65535, &v) < 0)
			return -EINVAL;
		o->numa_node = (int)v;
		return 0;
	case OPT_GUEST_NODE:
		if (number("guest-node", arg, 0, 255, &v) < 0)
			return -EINVAL;
		o->guest_node = (int)v;
		return 0;
	case OPT_MACHINE:
		if (guest_machine_parse(arg, &o->machine) < 0) {
			log_error("--machine takes the guest's QEMU machine type, \"pseries\" (IBM POWER) or \"pc\", "
				  "\"q35\" (x86), not \"%s\"",
				  arg);
			return -EINVAL;
		}
		return 0;
	case OPT_PLACEMENT: o->placement.url = arg; return 0;
	case OPT_NO_PLACEMENT: o->no_placement = true; return 0;
	case OPT_PROVIDER: o->provider = arg; return 0;
	case OPT_PARENT:
		if (!is_uuid(arg)) {
			log_error("--parent takes the UUID of a resource provider");
			return -EINVAL;
		}
		o->parent = arg;
		return 0;
	case OPT_TOKEN:
		free(o->token);
		o->token = strdup(arg);
		return o->token ? 0 : -ENOMEM;
	case OPT_TOKEN_FILE: o->token_file = arg; return 0;
	case OPT_CACERT: o->placement.cacert = arg; return 0;
	case OPT_TIMEOUT:
		if (number("timeout", arg, 1, 3600, &v) < 0)
			return -EINVAL;
		o->placement.timeout = v;
		return 0;
	case OPT_PROJECT_ID: o->project_id = arg; return 0;
	case OPT_USER_ID: o->user_id = arg; return 0;
	case OPT_INTERVAL:
		if (number("interval", arg, 1, 86400, &v) < 0)
			return -EINVAL;
		o->interval = v;
		return 0;
	case OPT_DOMAIN: o->domain = arg; return 0;
	case OPT_CONNECT: o->connect = arg; return 0;
	case OPT_UNVERIFIED: o->unverified = true; return 0;
	case OPT_END: break;
	}
	return -EINVAL;
}

int host_parse_command(const struct command *cmd, int argc, char **argv, struct options *o)
{
	struct option table[ELEMENTSOF(catalogue) + 5] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
	};
	size_t n = 4;
	int c;

	for (size_t i = 0; i < ELEMENTSOF(catalogue); i++)
		if (takes(cmd, catalogue[i].id))
			table[n++] = (struct option){ catalogue[i].name,
						      catalogue[i].argument ? required_argument : no_argument, NULL,
						      (int)catalogue[i].id };
	table[n] = (struct option){ 0 };

	if (o->json && !takes(cmd, OPT_JSON)) {
		log_error("%s has no JSON output", cmd->name);
		return EXIT_USAGE;
	}
	optind = 0; /* glibc: start over, argv[0] is the command */
	opterr = 0;
	while ((c = getopt_long(argc, argv, takes(cmd, OPT_JSON) ? "+:c:s:vhj" : "+:c:s:vh", table, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 's': o->state_dir = optarg; break;
		case 'v': log_set_verbose(true); break;
		case 'h': command_usage(cmd, stdout); return 0;
		case ':':
			log_error("%s: %s needs a value", cmd->name, argv[optind - 1]);
			return EXIT_USAGE;
		case '?':
			log_error("%s does not take %s (see \"vpmem-host %s --help\")", cmd->name, argv[optind - 1],
				  cmd->name);
			return EXIT_USAGE;
		default:
			if (set_option((enum host_option)c, optarg, o) < 0)
				return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("%s takes no arguments, only options: \"%s\" (see \"vpmem-host %s --help\")", cmd->name,
			  argv[optind], cmd->name);
		return EXIT_USAGE;
	}
	return -1;
}

static void placement_settings_clear(struct placement_settings *s);

void host_clear(struct host *h)
{
	struct options *o = h->o;

	backings_clear(&h->set);
	ledger_clear(&h->ledger);
	inventory_clear(&h->inv);
	host_config_clear(&h->config);
	placement_settings_clear(&h->placement);
	if (h->ctx)
		ndctl_unref(h->ctx);
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	free(h->ledger_path);
	free(h->lock_path);
	*h = (struct host){ .o = o, .lock_fd = -EBADF };
}

void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
}

bool is_uuid(const char *s)
{
	uuid_t uu;

	return s && strlen(s) == 36 && uuid_parse(s, uu) == 0;
}

int host_read_inventory(struct host *h)
{
	int r = ndctl_new(&h->ctx);

	if (r < 0) {
		log_error("cannot open libndctl: %s", strerror(-r));
		return r;
	}
	r = inventory_read(h->ctx, false, &h->inv);
	if (r < 0)
		log_error("cannot read the persistent memory configuration: %s", strerror(-r));
	return r;
}

int host_open(struct host *h, bool lock)
{
	struct errlist errors = { 0 };
	_cleanup_free_ char *ledger_error = NULL;
	int r;

	h->lock_fd = -EBADF;
	r = host_config_load(h->o->config, &h->config, &errors);
	for (size_t i = 0; i < errors.count; i++)
		log_error("%s", errors.messages[i]);
	errlist_clear(&errors);
	if (r < 0)
		return EXIT_USAGE;

	if (asprintf(&h->ledger_path, "%s/ledger.json", h->o->state_dir) < 0 ||
	    asprintf(&h->lock_path, "%s/lock", h->o->state_dir) < 0)
		return EXIT_FAILED;
	if (lock) {
		r = mkdir_p_nofollow(h->o->state_dir, 0700);
		if (r >= 0)
			r = h->lock_fd = lock_file(h->lock_path);
		if (r < 0) {
			log_error("cannot lock %s: %s", h->lock_path, strerror(-r));
			return EXIT_FAILED;
		}
	}
	r = ledger_load(h->ledger_path, &h->ledger, &ledger_error);
	if (r < 0) {
		log_error("%s: %s", h->ledger_path, ledger_error ? ledger_error : strerror(-r));
		return EXIT_FAILED;
	}
	if (host_read_inventory(h) < 0)
		return EXIT_FAILED;
	r = backings_collect(&h->config, &h->inv, &h->ledger, &h->set, &errors);
	for (size_t i = 0; i < errors.count; i++)
		log_error("%s: %s", h->o->config, errors.messages[i]);
	errlist_clear(&errors);
	if (r == -EINVAL)
		return EXIT_USAGE;
	if (r < 0)
		return EXIT_FAILED;
	if (lock) {
		r = ledger_sync(&h->ledger, &h->set);
		if (r > 0 && (r = ledger_save(h->ledger_path, &h->ledger)) < 0) {
			log_error("cannot write %s: %s", h->ledger_path, strerror(-r));
			return EXIT_FAILED;
		}
	}
	return 0;
}

int host_save(struct host *h)
{
	int r = ledger_save(h->ledger_path, &h->ledger);

	if (r < 0)
		log_error("cannot write %s: %s", h->ledger_path, strerror(-r));
	return r;
}

static void placement_settings_clear(struct placement_settings *s)
{
	if (s->token) {
		/* the token does not outlive its round in memory */
		memset(s->token, 0, strlen(s->token));
		free(s->token);
	}
	free(s->url);
	free(s->cacert);
	free(s->provider);
	free(s->parent);
	free(s->project_id);
	free(s->user_id);
	*s = (struct placement_settings){ 0 };
}

/* *ret = a copy of the first of a, b, c that is set (NULL if none); -ENOMEM */
static int pick(char **ret, const char *a, const char *b, const char *c)
{
	const char *v = a ? a : b ? b : c;

	*ret = NULL;
	if (v && !(*ret = strdup(v)))
		return -ENOMEM;
	return 0;
}

/* the first line of a token file, read now (a rotated token is used at once) */
static int read_token(const char *file, char **ret)
{
	_cleanup_free_ char *text = NULL;
	int r = read_file(file, &text, NULL);

	if (r < 0) {
		log_error("cannot read the Placement token file %s: %s", file, strerror(-r));
		return r;
	}
	text[strcspn(text, "\r\n")] = '\0';
	if (!*text) {
		log_error("the Placement token file %s holds no token", file);
		return -ENODATA;
	}
	*ret = TAKE_PTR(text);
	return 0;
}

int host_placement_settings(struct host *h, bool *ret_enabled)
{
	const struct options *o = h->o;
	const struct placement_config *pc = &h->config.placement;
	struct placement_settings *s = &h->placement;
	const char *token_file = o->token_file ? o->token_file : pc->token_file;
	const char *env = getenv("OS_AUTH_TOKEN");
	_cleanup_free_ char *host = NULL;
	int r;

	*ret_enabled = false;
	placement_settings_clear(s);
	if (o->no_placement || (!o->placement.url && !pc->url))
		return 0;
	if (pick(&s->url, o->placement.url, pc->url, NULL) < 0 || pick(&s->provider, o->provider, pc->provider, NULL) < 0 ||
	    pick(&s->parent, o->parent, pc->parent, NULL) < 0 ||
	    pick(&s->cacert, o->placement.cacert, pc->cacert, NULL) < 0 ||
	    pick(&s->project_id, o->project_id, pc->project_id, "vpmem") < 0 ||
	    pick(&s->user_id, o->user_id, pc->user_id, "vpmem") < 0)
		goto nomem;
	/* the token: --token, --token-file, $OS_AUTH_TOKEN, then host.json's token_file */
	if (o->token) {
		if (!(s->token = strdup(o->token)))
			goto nomem;
	} else if (!o->token_file && env && *env) {
		if (!(s->token = strdup(env)))
			goto nomem;
	} else if (token_file && read_token(token_file, &s->token) < 0) {
		return EXIT_USAGE;
	}
	r = placement_url_plain_remote(s->url, &host);
	if (r < 0) {
		log_error("the Placement URL \"%s\" cannot be parsed", s->url);
		return EXIT_USAGE;
	}
	if (r > 0 && s->token && !pc->token_over_http) {
		log_error("will not send the Placement token over plain http to %s, which is not this host: use https, "
			  "or say \"token_over_http\": true in the \"placement\" section of %s",
			  host, o->config);
		return EXIT_USAGE;
	}
	s->conn = (struct placement_options){
		.url = s->url,
		.token = s->token,
		.cacert = s->cacert,
		.timeout = o->placement.timeout ? o->placement.timeout : pc->timeout,
	};
	*ret_enabled = true;
	return 0;
nomem:
	log_error("out of memory");
	return EXIT_FAILED;
}

int backing_guest_sizes(const struct backing *b, enum guest_machine machine, struct guest_sizes *ret)
{
	uint64_t align = b->align > SZ_2M ? b->align : SZ_2M;
	uint64_t label = guest_label_size(machine, b->kind == BACKEND_DEVDAX, align);

	if (!label)
		return -EOPNOTSUPP;
	return guest_size_compute(machine, b->size, label, align, ret);
}

struct json_object *reservation_json(struct host *h, const struct ledger_entry *e)
{
	struct backing *b = backings_find_uuid(&h->set, e->uuid);
	struct json_object *o = json_object_new_object();
	const char *problem = ledger_entry_problem(e, &h->set);
	struct guest_sizes sz;

	json_object_object_add(o, "uuid", json_object_new_string(e->uuid));
	json_object_object_add(o, "label", json_object_new_string(e->label));
	json_object_object_add(o, "backend", json_object_new_string(e->kind == BACKEND_FILE ? "file" : "devdax"));
	json_object_object_add(o, "state", json_object_new_string(backing_state_name(e->state)));
	json_object_object_add(o, "consumer", e->consumer ? json_object_new_string(e->consumer) : NULL);
	json_object_object_add(o, "name", json_object_new_string(e->name));
	if (b) {
		json_object_object_add(o, "path", b->path ? json_object_new_string(b->path) : NULL);
		json_object_object_add(o, "numa_node", json_object_new_int(b->numa_node));
		json_object_object_add(o, "backing_size", json_object_new_uint64(b->size));
		if (backing_guest_sizes(b, h->o->machine, &sz) == 0) {
			json_object_object_add(o, "target_size", json_object_new_uint64(sz.target));
			json_object_object_add(o, "label_size", json_object_new_uint64(sz.label));
			json_object_object_add(o, "guest_size", json_object_new_uint64(sz.guest));
		}
	}
	if (problem)
		json_object_object_add(o, "problem", json_object_new_string(problem));
	if (e->note)
		json_object_object_add(o, "note", json_object_new_string(e->note));
	return o;
}
