// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-agent: provision the virtual NVDIMMs of a guest. One function per
 * verb, dispatched from a table, as ndctl does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "agent-metrics.h"
#include "cleanup-libs.h"
#include "cxl.h"
#include "disabled.h"
#include "events.h"
#include "fileio.h"
#include "health.h"
#include "inventory.h"
#include "log.h"
#include "metrics.h"
#include "nd.h"
#include "plan.h"
#include "policy.h"
#include "provision.h"
#include "status.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct options {
	const char *config;
	bool dry_run;
	bool json;
	bool overwrite;
};

static const char *etc_dir(void)
{
	return SYSCONFDIR "/vpmem";
}

static const char *run_dir(void)
{
	return RUNDIR;
}

static void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int load_policy(const char *file, struct policy *ret)
{
	struct errlist errors = { 0 };
	int r;

	r = policy_load(ret, file, etc_dir(), run_dir(), &errors);
	if (r == -EINVAL) {
		static const char *const fields[] = { "VPMEM_REASON=policy", NULL };

		errlist_log_event(&errors, NULL, EVENT_POLICY_INVALID, fields);
	} else if (r < 0) {
		log_error_errno(r, "cannot read the policy: %m");
	}
	errlist_clear(&errors);
	return r;
}

/* Which regions the targets name; NULL targets: all. Returns 0 or -EINVAL (logged). */
static int select_regions(const struct inventory *inv, char **targets, int n_targets, bool *selected)
{
	for (size_t i = 0; i < inv->n_regions; i++)
		selected[i] = n_targets == 0;

	for (int t = 0; t < n_targets; t++) {
		bool is_region, found = false;
		unsigned id;

		if (nd_parse_target(targets[t], &is_region, &id) < 0) {
			log_error("%s: not a target: give regionN, nmemN or a sysfs path ending in one", targets[t]);
			return -EINVAL;
		}
		for (size_t i = 0; i < inv->n_regions; i++) {
			char nmem[32];

			if (is_region) {
				if (inv->regions[i].id == id)
					selected[i] = found = true;
				continue;
			}
			snprintf(nmem, sizeof(nmem), "nmem%u", id);
			for (char **d = inv->regions[i].dimms; d && *d; d++)
				if (strcmp(*d, nmem) == 0)
					selected[i] = found = true;
		}
		if (!found && is_region) {
			log_error("%s: no such persistent memory region", targets[t]);
			return -EINVAL;
		}
		/* a DIMM shows up before its region: nothing to do for it yet */
		if (!found)
			log_info("%s: belongs to no region yet, nothing to do", targets[t]);
	}
	return 0;
}

static int read_inventory(struct ndctl_ctx **ret_ctx, bool report, struct inventory *inv)
{
	int r = ndctl_new(ret_ctx);

	if (r < 0)
		return log_error_errno(r, "cannot open libndctl: %m");
	r = inventory_read(*ret_ctx, report, inv);
	if (r < 0)
		log_error_errno(r, "cannot read the persistent memory configuration: %m");
	return r;
}

/*
 * An apply that stopped at an invalid policy: what is there is reported
 * (metrics) with the run's failure, if the inventory can be read.
 */
static void report_policy_failure(struct apply_log *log, double started)
{
	_cleanup_(ndctl_unrefp) struct ndctl_ctx *ctx = NULL;
	struct inventory inv = { 0 };
	struct apply_run run = { .started = started, .log = log };

	log->n_reason[APPLY_POLICY]++;
	if (ndctl_new(&ctx) < 0 || inventory_read(ctx, true, &inv) < 0) {
		inventory_clear(&inv);
		return;
	}
	cxl_inventory_annotate(&inv);
	agent_metrics_update(&inv, &run, status_state_digest(&inv));
	inventory_clear(&inv);
}

static int cmd_apply(struct options *o, int argc, char **argv)
{
	double started = metrics_now();
	_cleanup_(ndctl_unrefp) struct ndctl_ctx *ctx = NULL;
	_cleanup_free_ char *lock_path = NULL, *status_path = NULL;
	_cleanup_close_ int lock_fd = -EBADF;
	_cleanup_free_ bool *selected = NULL;
	struct policy policy = { 0 };
	struct inventory inv = { 0 };
	struct apply_log log = { 0 };
	struct plan plan = { 0 };
	struct apply_run run = { .started = started, .log = &log };
	uint64_t digest, state;
	int r, ret = EXIT_FAILED;

	/*
	 * A CXL memory device (udev's "memN"): its region is assembled, and
	 * the region it becomes provisioned, by a run over every region (its
	 * number is not known before); the other targets stay as they are.
	 */
	for (int i = 0; i < argc; i++) {
		const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		bool is_region;
		unsigned id;

		if (strncmp(name, "mem", 3) == 0 && cxl_memdev_spec_valid(name)) {
			if (o->overwrite) {
				log_error("%s: --overwrite takes regions and DIMMs, not CXL memory devices", argv[i]);
				return EXIT_USAGE;
			}
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(*argv));
			argc--, i--;
			continue;
		}
		if (nd_parse_target(argv[i], &is_region, &id) < 0) {
			log_error("%s: not a target: give regionN, nmemN, memN or a sysfs path ending in one", argv[i]);
			return EXIT_USAGE;
		}
	}
	/* destroying data is asked for one device at a time, never for "everything" */
	if (o->overwrite && argc == 0) {
		log_error("--overwrite destroys what stands in the way of the policy: name the regions it may do "
			  "that on (apply --overwrite regionN)");
		return EXIT_USAGE;
	}
	if (!o->dry_run) {
		if (asprintf(&lock_path, "%s/lock", run_dir()) < 0 || asprintf(&status_path, "%s/status.json", run_dir()) < 0) {
			ret = EXIT_FAILED;
			goto out;
		}
		r = mkdir_p_nofollow(run_dir(), 0755);
		if (r >= 0)
			lock_fd = lock_file(lock_path);
		if (r < 0 || lock_fd < 0) {
			log_error("cannot lock %s: %s", lock_path, strerror(r < 0 ? -r : -lock_fd));
			goto out;
		}
	}
	/* what an earlier run disabled and was stopped before enabling again, it enables now */
	if (!o->dry_run) {
		r = disabled_restore();
		if (r < 0)
			log_error_errno(r, "cannot enable again what an earlier run of the agent disabled: %m");
	}
	/* read under the lock: a run queued behind another applies the policy as it is now */
	if (load_policy(o->config, &policy) < 0) {
		if (!o->dry_run)
			report_policy_failure(&log, started);
		ret = EXIT_USAGE;
		goto out;
	}
	if (o->overwrite)
		policy.overwrite = true;

	/* CXL regions first: they vanish at every reboot, and what is on them comes back once they are assembled */
	if (cxl_assemble(&policy.cxl, o->dry_run, &log) < 0)
		goto out;

	/* read once, with what the report needs too: on a boot with nothing to do it is all there is */
	if (read_inventory(&ctx, !o->dry_run, &inv) < 0)
		goto out;
	/* what the DIMMs' firmware reports of the last shutdown and their health: said once a boot */
	if (!o->dry_run)
		health_report(&inv);
	selected = calloc(inv.n_regions ? inv.n_regions : 1, sizeof(bool));
	if (!selected)
		goto out;
	if (select_regions(&inv, argv, argc, selected) < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	r = plan_build(&policy, &inv, selected, &inv.mm, &plan);
	if (r < 0) {
		log_error_errno(r, "cannot plan: %m");
		goto out;
	}

	if (log_is_verbose() && !o->dry_run) {
		log_debug("plan:");
		plan_print(&plan, stderr);
	}

	if (o->dry_run) {
		if (o->json) {
			_cleanup_json_ struct json_object *j = plan_to_json(&plan);

			print_json(j);
		} else {
			plan_print(&plan, stdout);
		}
		ret = plan_has_failures(&plan) ? EXIT_FAILED : EXIT_SUCCESS;
		goto out;
	}

	r = provision_apply(&plan, &log);
	ret = r < 0 || log.n_failed ? EXIT_FAILED : EXIT_SUCCESS;

	/* report the system as it is now, not as it was planned: read again if anything was done */
	if (log.n_done || log.n_failed) {
		inventory_clear(&inv);
		ndctl_unref(ctx);
		ctx = NULL;
		if (read_inventory(&ctx, true, &inv) < 0)
			ret = EXIT_FAILED;
	}
	cxl_inventory_annotate(&inv);
	digest = status_digests(&inv, &log, &state);
	r = status_write_file(status_path, &inv, &log, digest);
	if (r < 0) {
		/* what reads the status (cloud-init, monitoring) would read an old one: a failure */
		log_error_errno(r, "cannot write %s: %m", status_path);
		ret = EXIT_FAILED;
	}
	agent_metrics_update(&inv, &run, state);
	if (o->json) {
		_cleanup_json_ struct json_object *j = status_to_json(&inv);
		struct json_object *done = json_object_new_array(), *failed = json_object_new_array();

		for (size_t i = 0; i < log.n_done; i++)
			json_object_array_add(done, json_object_new_string(log.done[i]));
		for (size_t i = 0; i < log.n_failed; i++)
			json_object_array_add(failed, json_object_new_string(log.failed[i]));
		json_object_object_add(j, "done", done);
		json_object_object_add(j, "failed", failed);
		print_json(j);
	} else if (!log.n_done && !log.n_failed) {
		/* every boot of a provisioned guest: not worth a line in the system log */
		log_stderr("nothing to do: everything is as the policy asks");
	}
out:
	plan_clear(&plan);
	apply_log_clear(&log);
	inventory_clear(&inv);
	policy_clear(&policy);
	return ret;
}

static int cmd_status(struct options *o, int argc, char **argv)
{
	_cleanup_(ndctl_unrefp) struct ndctl_ctx *ctx = NULL;
	struct inventory inv = { 0 };

	if (argc > 0) {
		log_error("status takes no arguments");
		return EXIT_USAGE;
	}
	if (read_inventory(&ctx, true, &inv) < 0)
		return EXIT_FAILED;
	cxl_inventory_annotate(&inv);
	if (o->json) {
		_cleanup_json_ struct json_object *j = status_to_json(&inv);

		print_json(j);
	} else {
		status_print(&inv, stdout);
	}
	inventory_clear(&inv);
	return EXIT_SUCCESS;
}

static int cmd_check_config(struct options *o, int argc, char **argv)
{
	_cleanup_free_ char *overwrite = NULL;
	struct policy policy = { 0 };
	const char *file = o->config;

	if (argc > 1) {
		log_error("check-config takes at most one file");
		return EXIT_USAGE;
	}
	if (argc == 1)
		file = argv[0];
	if (load_policy(file, &policy) < 0)
		return EXIT_USAGE;

	overwrite = policy_overwrite_describe(&policy);
	printf("policy is valid%s: %zu namespace entr%s%s%s\n", policy.builtin ? " (built-in default)" : "",
	       policy.n_namespaces, policy.n_namespaces == 1 ? "y" : "ies", overwrite ? ", " : "",
	       overwrite ? overwrite : "");
	for (size_t i = 0; i < policy.n_namespaces; i++) {
		const struct ns_policy *p = &policy.namespaces[i];
		char region[16];

		if (p->region == POLICY_REGION_ANY)
			snprintf(region, sizeof(region), "every region");
		else
			snprintf(region, sizeof(region), "region%d", p->region);
		printf("  %s: %s on %s, from %s\n", p->name, ns_mode_name(p->mode), region, p->source);
	}
	policy_clear(&policy);
	return EXIT_SUCCESS;
}

static const struct command {
	const char *name;
	int (*fn)(struct options *o, int argc, char **argv);
} commands[] = {
	{ "apply", cmd_apply },
	{ "status", cmd_status },
	{ "check-config", cmd_check_config },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vpmem-agent [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Provision persistent memory (NVDIMMs, virtio-pmem, e820, CXL): regions, labels, namespaces,\n"
		"filesystems mounted with DAX, devdax and sector devices.\n"
		"\n"
		"Commands:\n"
		"  apply [TARGET...]     provision regionN, nmemN, memN (CXL) or sysfs paths (default: all)\n"
		"  status                show regions, namespaces, filesystems, mounts and DAX\n"
		"  check-config [FILE]   validate the effective policy (or FILE)\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE     use only FILE as the policy\n"
		"  -n, --dry-run         apply: print the plan, change nothing\n"
		"      --overwrite       apply: destroy what stands in the way of the policy on the\n"
		"                        regions named (as \"overwrite\": true would, for them only)\n"
		"  -j, --json            JSON output\n"
		"  -v, --verbose         debug messages\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version\n"
		"\n"
		"Policy: %s/vpmem.json, %s/vpmem.d/*.json, %s/vpmem.d/*.json, %s/vpmem.json\n"
		"Exit status: 0 done or nothing to do, 1 provisioning failed, 2 usage or policy error.\n",
		etc_dir(), etc_dir(), run_dir(), run_dir());
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' }, { "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },         { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
		{ "overwrite", no_argument, NULL, 'O' },    {},
	};
	struct options o = { 0 };
	int c;

	log_open("vpmem-agent");
	/* options may come before or after the command */
	while ((c = getopt_long(argc, argv, "c:njvhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'O':
			o.overwrite = true;
			break;
		case 'c':
			o.config = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'v':
			log_set_verbose(true);
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("vpmem-agent %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].fn(&o, argc - optind - 1, argv + optind + 1);
	log_error("unknown command \"%s\"", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
