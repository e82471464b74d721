// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host's shared machinery: option parsing per command, loading the
 * host's state under its lock, and what several commands print.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "fileio.h"
#include "host-metrics.h"
#include "host.h"
#include "log.h"
#include "size.h"
#include "strutil.h"

/* getopt's value for the i-th option of a command's table */
#define OPTION_VALUE(i) (0x100 + (int)(i))

static const struct host_option *option_named(const struct host_option *options, const char *name)
{
	for (const struct host_option *o = options; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

static void command_usage(const struct command *cmd, FILE *out)
{
	fprintf(out, "Usage: vpmem-host [-c FILE] [-s DIR] %s %s\n\n%s\n\nOptions:\n", cmd->name, cmd->synopsis,
		cmd->summary);
	for (const struct host_option *o = cmd->options; o->name; o++)
		fprintf(out, "  --%s%s%s\n", o->name, o->meta ? " " : "", o->meta ? o->meta : "");
	fprintf(out, "  -c, --config FILE, -s, --state-dir DIR, -v, --verbose, -h, --help\n");
}

int option_flag(const struct host_option *option, const char *value, void *member)
{
	*(bool *)member = true;
	return 0;
}

int option_string(const struct host_option *option, const char *value, void *member)
{
	*(const char **)member = value;
	return 0;
}

int option_number(const struct host_option *option, const char *value, void *member)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < option->min || v > option->max) {
		log_error("--%s takes a number from %ld to %ld, not \"%s\"", option->name, option->min, option->max,
			  value);
		return -EINVAL;
	}
	*(long *)member = v;
	return 0;
}

int option_machine(const struct host_option *option, const char *value, void *member)
{
	if (guest_machine_parse(value, member) < 0) {
		log_error("--%s takes the guest's QEMU machine type, \"pseries\" (IBM POWER) or \"pc\", \"q35\" (x86), "
			  "not \"%s\"",
			  option->name, value);
		return -EINVAL;
	}
	return 0;
}

int option_provider_uuid(const struct host_option *option, const char *value, void *member)
{
	if (!is_uuid(value)) {
		log_error("--%s takes the UUID of a resource provider", option->name);
		return -EINVAL;
	}
	*(const char **)member = value;
	return 0;
}

const struct host_option json_options[] = {
	{ "json", NULL, option_flag, offsetof(struct json_args, json), 0, 0 },
	{},
};

int host_parse_options(struct host *h, const struct command *cmd, int argc, char **argv, void *args)
{
	static const struct option global[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
	};
	struct global_options *g = h->global;
	const struct host_option *json = option_named(cmd->options, "json");
	_cleanup_free_ struct option *table = NULL;
	size_t n = 0;
	int c;

	while (cmd->options[n].name)
		n++;
	table = calloc(ELEMENTSOF(global) + n + 1, sizeof(*table));
	if (!table)
		return log_error_errno(-ENOMEM, "cannot parse the options: %m");
	memcpy(table, global, sizeof(global));
	for (size_t i = 0; i < n; i++)
		table[ELEMENTSOF(global) + i] = (struct option){ cmd->options[i].name,
								 cmd->options[i].meta ? required_argument : no_argument,
								 NULL, OPTION_VALUE(i) };

	/* -j before the command is its --json */
	if (g->json && !json) {
		log_error("%s has no JSON output", cmd->name);
		return -EINVAL;
	}
	if (g->json)
		json->parse(json, NULL, (char *)args + json->offset);
	optind = 0; /* glibc: start over, argv[0] is the command */
	opterr = 0;
	while ((c = getopt_long(argc, argv, json ? "+:c:s:vhj" : "+:c:s:vh", table, NULL)) != -1) {
		const struct host_option *o;

		switch (c) {
		case 'c': g->config = optarg; break;
		case 's': g->state_dir = optarg; break;
		case 'v': log_set_verbose(true); break;
		case 'h': command_usage(cmd, stdout); return 0;
		case 'j': json->parse(json, NULL, (char *)args + json->offset); break;
		case ':':
			log_error("%s: %s needs a value", cmd->name, argv[optind - 1]);
			return -EINVAL;
		case '?':
			log_error("%s does not take %s (see \"vpmem-host %s --help\")", cmd->name, argv[optind - 1],
				  cmd->name);
			return -EINVAL;
		default:
			o = &cmd->options[c - OPTION_VALUE(0)];
			if (o->parse(o, optarg, (char *)args + o->offset) < 0)
				return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("%s takes no arguments, only options: \"%s\" (see \"vpmem-host %s --help\")", cmd->name,
			  argv[optind], cmd->name);
		return -EINVAL;
	}
	return 1;
}

static void placement_settings_clear(struct placement_settings *s);

void host_clear(struct host *h)
{
	struct global_options *global = h->global;

	backings_clear(&h->set);
	ledger_clear(&h->ledger);
	inventory_clear(&h->inv);
	host_config_clear(&h->config);
	placement_settings_clear(&h->placement);
	if (h->ctx)
		ndctl_unref(h->ctx);
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	free(h->state_dir);
	free(h->ledger_path);
	free(h->lock_path);
	*h = (struct host){ .global = global, .lock_fd = -EBADF };
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

	if (r < 0)
		return host_failure(log_error_errno(r, "cannot open libndctl: %m"));
	r = inventory_read(h->ctx, false, &h->inv);
	if (r < 0)
		return host_failure(log_error_errno(r, "cannot read the persistent memory configuration: %m"));
	return 0;
}

/* The state directory, made absolute (mkdir_p_nofollow walks from "/"), and the ledger's and lock's paths in it */
static int state_paths(struct host *h)
{
	const char *dir = h->global->state_dir;
	_cleanup_free_ char *cwd = NULL;

	if (dir[0] == '/') {
		h->state_dir = strdup(dir);
	} else {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return log_error_errno(errno, "cannot resolve the state directory %s: %m", dir);
		h->state_dir = strdup_printf("%s/%s", cwd, dir);
	}
	if (h->state_dir) {
		h->ledger_path = strdup_printf("%s/ledger.json", h->state_dir);
		h->lock_path = strdup_printf("%s/lock", h->state_dir);
	}
	if (!h->state_dir || !h->ledger_path || !h->lock_path)
		return log_error_errno(-ENOMEM, "cannot resolve the state directory %s: %m", dir);
	return 0;
}

int host_open(struct host *h, bool lock)
{
	struct errlist errors = { 0 };
	_cleanup_free_ char *ledger_error = NULL;
	int r;

	h->lock_fd = -EBADF;
	r = state_paths(h);
	if (r < 0)
		return r;
	r = host_config_load(h->global->config, &h->config, &errors);
	errlist_log(&errors, NULL);
	errlist_clear(&errors);
	if (r < 0)
		return -EINVAL; /* host.json that cannot be read is a configuration error too */

	if (lock) {
		r = mkdir_p_nofollow(h->state_dir, 0700);
		if (r >= 0)
			r = h->lock_fd = lock_file(h->lock_path);
		if (r < 0)
			return host_failure(log_error_errno(r, "cannot lock %s: %m", h->lock_path));
	}
	r = ledger_load(h->ledger_path, &h->ledger, &ledger_error);
	if (r < 0 && ledger_error)
		return log_error_errno(r, "%s: %s", h->ledger_path, ledger_error);
	if (r < 0)
		return log_error_errno(r, "%s: %m", h->ledger_path);
	r = host_read_inventory(h);
	if (r < 0)
		return r;
	r = backings_collect(&h->config, &h->inv, &h->ledger, &h->set, &errors);
	errlist_log(&errors, h->global->config);
	errlist_clear(&errors);
	if (r < 0)
		return r; /* -EINVAL: the configuration does not match the system */
	if (lock) {
		r = ledger_sync(&h->ledger, &h->set);
		if (r < 0)
			return log_error_errno(r, "cannot record the backings found in the ledger: %m");
		if (r > 0) {
			r = host_save(h);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int host_save(struct host *h)
{
	int r = ledger_save(h->ledger_path, &h->ledger);

	if (r < 0)
		return host_failure(log_error_errno(r, "cannot write %s: %m", h->ledger_path));
	host_metrics_write(h);
	return 0;
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

/* the first line of a token file, read now (a rotated token is used at once); -EINVAL when it cannot be */
static int read_token(const char *file, char **ret)
{
	_cleanup_free_ char *text = NULL;
	int r = read_file(file, &text, NULL);

	if (r < 0) {
		log_error_errno(r, "cannot read the Placement token file %s: %m", file);
		return -EINVAL;
	}
	text[strcspn(text, "\r\n")] = '\0';
	if (!*text) {
		log_error("the Placement token file %s holds no token", file);
		return -EINVAL;
	}
	*ret = TAKE_PTR(text);
	return 0;
}

int host_placement_settings(struct host *h, const struct placement_args *args, bool *ret_enabled)
{
	const struct placement_config *pc = &h->config.placement;
	struct placement_settings *s = &h->placement;
	const char *token_file = args->token_file ? args->token_file : pc->token_file;
	const char *env = getenv("OS_AUTH_TOKEN");
	_cleanup_free_ char *host = NULL;
	int r;

	*ret_enabled = false;
	placement_settings_clear(s);
	if (args->disabled || (!args->url && !pc->url))
		return 0;
	if (pick(&s->url, args->url, pc->url, NULL) < 0 || pick(&s->provider, args->provider, pc->provider, NULL) < 0 ||
	    pick(&s->parent, args->parent, pc->parent, NULL) < 0 ||
	    pick(&s->cacert, args->cacert, pc->cacert, NULL) < 0 ||
	    pick(&s->project_id, args->project_id, pc->project_id, "vpmem") < 0 ||
	    pick(&s->user_id, args->user_id, pc->user_id, "vpmem") < 0)
		return log_error_errno(-ENOMEM, "%m");
	/* the token: --token, --token-file, $OS_AUTH_TOKEN, then host.json's token_file */
	if (args->token) {
		if (!(s->token = strdup(args->token)))
			return log_error_errno(-ENOMEM, "%m");
	} else if (!args->token_file && env && *env) {
		if (!(s->token = strdup(env)))
			return log_error_errno(-ENOMEM, "%m");
	} else if (token_file) {
		r = read_token(token_file, &s->token);
		if (r < 0)
			return r;
	}
	r = placement_url_plain_remote(s->url, &host);
	if (r < 0) {
		log_error("the Placement URL \"%s\" cannot be parsed", s->url);
		return -EINVAL;
	}
	if (r > 0 && s->token && !pc->token_over_http) {
		log_error("will not send the Placement token over plain http to %s, which is not this host: use https, "
			  "or say \"token_over_http\": true in the \"placement\" section of %s",
			  host, h->global->config);
		return -EINVAL;
	}
	s->conn = (struct placement_options){
		.url = s->url,
		.token = s->token,
		.cacert = s->cacert,
		.timeout = args->timeout ? args->timeout : pc->timeout,
	};
	*ret_enabled = true;
	return 0;
}

int backing_lsa_path(struct host *h, const char *uuid, bool create, char **ret_path)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	if (!is_uuid(uuid))
		return -EINVAL;
	dir = strdup_printf("%s/lsa", h->state_dir);
	path = strdup_printf("%s/lsa/%s", h->state_dir, uuid);
	if (!dir || !path)
		return -ENOMEM;
	if (create) {
		r = mkdir_p_nofollow(dir, 0700);
		if (r < 0)
			return r;
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) < 0)
			return -errno;
		/* a new one is blank; one of another size is not what the guest's labels were written to */
		if (st.st_size == 0 && ftruncate(fd, (off_t)CXL_LSA_SIZE) < 0)
			return -errno;
		if (st.st_size != 0 && (uint64_t)st.st_size != CXL_LSA_SIZE)
			return -EBADMSG;
		if (fsync(fd) < 0)
			return -errno;
	}
	*ret_path = TAKE_PTR(path);
	return 0;
}

int backing_lsa_erase(struct host *h, const char *uuid, char **ret_reason)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	static const char zeros[4096];
	int r = backing_lsa_path(h, uuid, false, &path);

	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		r = -errno;
	/* zeros first: the tenant's namespace labels and names are gone even where the blocks stay on disk */
	for (uint64_t off = 0; r >= 0 && off < CXL_LSA_SIZE; off += sizeof(zeros))
		if (pwrite(fd, zeros, sizeof(zeros), (off_t)off) != (ssize_t)sizeof(zeros))
			r = errno ? -errno : -EIO;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && unlink(path) < 0)
		r = -errno;
	if (r < 0)
		*ret_reason = strdup_printf("cannot erase its CXL label storage area %s: %s", path, strerror(-r));
	return r;
}

int backing_guest_sizes(const struct backing *b, enum guest_machine machine, struct guest_sizes *ret)
{
	uint64_t align = b->align > SZ_2M ? b->align : SZ_2M;
	uint64_t label = guest_label_size(machine, b->kind == BACKEND_DEVDAX, align);

	if (!label)
		return -EOPNOTSUPP;
	return guest_size_compute(machine, b->size, label, align, ret);
}

struct json_object *reservation_json(struct host *h, const struct ledger_entry *e, enum guest_machine machine)
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
		if (backing_guest_sizes(b, machine, &sz) == 0) {
			json_object_object_add(o, "target_size", json_object_new_uint64(sz.target));
			json_object_object_add(o, "label_size", json_object_new_uint64(sz.label));
			json_object_object_add(o, "guest_size", json_object_new_uint64(sz.guest));
		}
	}
	/* given as a CXL device (qemu-args --model cxl): its label storage area, erased with it */
	{
		_cleanup_free_ char *lsa = NULL;

		if (backing_lsa_path(h, e->uuid, false, &lsa) == 0 && access(lsa, F_OK) == 0)
			json_object_object_add(o, "cxl_label_area", json_object_new_string(lsa));
	}
	if (problem)
		json_object_object_add(o, "problem", json_object_new_string(problem));
	if (e->note)
		json_object_object_add(o, "note", json_object_new_string(e->note));
	return o;
}
