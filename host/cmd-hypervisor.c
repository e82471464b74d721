// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host libvirt-xml and qemu-args: what the hypervisor needs to give a
 * consumer its backings.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "erase.h"
#include "fileio.h"
#include "host.h"
#include "log.h"
#include "ndops.h"
#include "output.h"
#include "size.h"
#include "sizes.h"
#include "strutil.h"
#include "sync.h"

/* What libvirt-xml and qemu-args take */
struct hypervisor_args {
	const char *consumer;
	long guest_node;
	enum guest_machine machine;
	bool cxl; /* --model cxl: CXL type-3 devices instead of NVDIMMs */
};

static int option_model(const struct host_option *option, const char *value, void *member)
{
	if (strcmp(value, "nvdimm") != 0 && strcmp(value, "cxl") != 0) {
		log_error("--%s takes \"nvdimm\" or \"cxl\", not \"%s\"", option->name, value);
		return -EINVAL;
	}
	*(bool *)member = strcmp(value, "cxl") == 0;
	return 0;
}

static const struct host_option hypervisor_options[] = {
	{ "consumer", "UUID", option_string, offsetof(struct hypervisor_args, consumer), 0, 0 },
	{ "guest-node", "N", option_number, offsetof(struct hypervisor_args, guest_node), 0, 255 },
	{ "machine", "TYPE", option_machine, offsetof(struct hypervisor_args, machine), 0, 0 },
	{ "model", "nvdimm|cxl", option_model, offsetof(struct hypervisor_args, cxl), 0, 0 },
	{},
};

/* A CXL device's serial number from its backing's uuid (its first 8 bytes): the same at every start. */
static uint64_t cxl_serial(const char *uuid)
{
	uuid_t u;
	uint64_t serial = 0;

	if (uuid_parse(uuid, u) < 0)
		return 0;
	for (size_t i = 0; i < 8; i++)
		serial = serial << 8 | u[i];
	return serial;
}

/* The modules of the consumer's backings (their ids in *ret_ids). 0 or a negative errno, logged. */
static int consumer_modules(struct host *h, const struct hypervisor_args *args, struct vnvdimm **ret, size_t *ret_n,
			    char ***ret_ids, char ***ret_lsas)
{
	_cleanup_free_ struct vnvdimm *d = calloc(h->ledger.n ? h->ledger.n : 1, sizeof(*d));
	_cleanup_strv_free_ char **ids = calloc(h->ledger.n + 1, sizeof(char *));
	_cleanup_strv_free_ char **lsas = calloc(h->ledger.n + 1, sizeof(char *));
	size_t n = 0;
	int r;

	if (!d || !ids || !lsas)
		return log_error_errno(-ENOMEM, "%m");
	for (size_t i = 0; i < h->ledger.n; i++) {
		const struct ledger_entry *e = &h->ledger.entries[i];
		_cleanup_free_ char *why = NULL;
		const char *problem;
		struct backing *b;

		if (!ledger_reserved_for(e, args->consumer))
			continue;
		b = backings_find_uuid(&h->set, e->uuid);
		problem = ledger_entry_problem(e, &h->set);
		if (!b || !b->path || problem) {
			log_error("%s (%s) reserved by %s is not usable: %s", e->name, e->uuid, e->consumer,
				  problem ? problem : "no device");
			return -ENODEV;
		}
		/* definitions name the backing by a name that survives renumbering */
		if (backing_check_link(b, &why) < 0) {
			log_error("%s (%s) reserved by %s: %s", e->name, e->uuid, e->consumer, why ? why : "cannot be named");
			return -ENODEV;
		}
		if (asprintf(&ids[n], "vpmem%zu", n) < 0) {
			ids[n] = NULL;
			return log_error_errno(-ENOMEM, "%m");
		}
		if (args->cxl) {
			uint64_t align = b->align > LIBVIRT_MODULE_ALIGN ? b->align : LIBVIRT_MODULE_ALIGN;

			r = guest_cxl_size_compute(b->size, align, &d[n].sizes);
			if (r < 0)
				return log_error_errno(-ERANGE, "%s (%llu bytes) is too small for a CXL device (256 MiB at least)",
						       b->path, (unsigned long long)b->size);
			/* the label storage area is the backing's: made blank once, erased with it */
			r = backing_lsa_path(h, e->uuid, true, &lsas[n]);
			if (r < 0)
				return log_error_errno(r, "cannot make the CXL label storage area of %s (%s) in %s/lsa: %m",
						       e->name, e->uuid, h->state_dir);
			d[n].lsa = lsas[n];
			d[n].serial = cxl_serial(e->uuid);
		} else {
			r = backing_guest_sizes(b, args->machine, &d[n].sizes);
		}
		if (r == -EOPNOTSUPP)
			return log_error_errno(r, "%s is device-dax aligned to %llu bytes: a %s guest's module could not end "
						  "on that alignment (use a namespace aligned to 2 or 16 MiB)",
					       b->path, (unsigned long long)b->align, guest_machine_name(args->machine));
		if (r < 0)
			return log_error_errno(-ERANGE, "%s (%llu bytes) is too small for an NVDIMM of a %s guest%s", b->path,
					       (unsigned long long)b->size, guest_machine_name(args->machine),
					       args->machine == GUEST_MACHINE_PSERIES ? " (256 MiB and its label at least)"
										    : "");
		d[n].id = ids[n];
		d[n].path = b->link;
		d[n].uuid = b->uuid;
		d[n].machine = args->machine;
		d[n].real_pmem = b->kind == BACKEND_DEVDAX;
		d[n].guest_node = (unsigned)args->guest_node;
		n++;
	}
	*ret = TAKE_PTR(d);
	*ret_n = n;
	*ret_ids = TAKE_PTR(ids);
	*ret_lsas = TAKE_PTR(lsas);
	return 0;
}

static int cmd_hypervisor(struct host *h, const struct command *cmd, int argc, char **argv)
{
	struct hypervisor_args args = { .machine = guest_machine_native() };
	_cleanup_free_ struct vnvdimm *d = NULL;
	_cleanup_strv_free_ char **ids = NULL, **lsas = NULL;
	size_t n = 0;
	int r;

	r = host_parse_options(h, cmd, argc, argv, &args);
	if (r <= 0)
		return r;
	if (!is_uuid(args.consumer)) {
		log_error("needs --consumer UUID");
		return -EINVAL;
	}
	if (args.cxl && cmd == &cmd_libvirt_xml) {
		log_error("libvirt has no element for a CXL type-3 device (up to 11.x): give the guest qemu-args "
			  "--model cxl (libvirt: <qemu:commandline>)");
		return -EINVAL;
	}
	if (args.cxl && args.machine == GUEST_MACHINE_PSERIES) {
		log_error("--model cxl is for x86 guests (q35): pseries has no CXL");
		return -EINVAL;
	}
	r = host_open(h, false);
	if (r < 0)
		return r;
	r = consumer_modules(h, &args, &d, &n, &ids, &lsas);
	if (r < 0)
		return r;
	if (!n) {
		log_error("%s holds no reservation", args.consumer);
		return -ENOENT;
	}
	/* stdout is what the hypervisor reads; what it needs besides goes to stderr */
	if (cmd == &cmd_libvirt_xml)
		r = libvirt_xml_write(stdout, stderr, d, n);
	else if (args.cxl)
		r = qemu_cxl_args_write(stdout, stderr, d, n);
	else
		r = qemu_args_write(stdout, stderr, d, n);
	if (r < 0)
		return host_failure(log_error_errno(r, "cannot write the modules of %s: %m", args.consumer));
	return 0;
}

static int cmd_libvirt_xml_run(struct host *h, int argc, char **argv)
{
	return cmd_hypervisor(h, &cmd_libvirt_xml, argc, argv);
}

static int cmd_qemu_args_run(struct host *h, int argc, char **argv)
{
	return cmd_hypervisor(h, &cmd_qemu_args, argc, argv);
}

/* a devdax namespace of the layout, there on the system */
static bool setup_devdax(const struct backing *b)
{
	return b->layout && b->kind == BACKEND_DEVDAX && b->present;
}

/*
 * Nova's [libvirt] pmem_namespaces for the devdax namespaces setup made:
 * "LABEL:name|name,LABEL2:name". Nova finds namespaces by name and
 * publishes CUSTOM_PMEM_NAMESPACE_<LABEL> itself.
 */
static int cmd_nova_conf_run(struct host *h, int argc, char **argv)
{
	_cleanup_strv_free_ char **labels = NULL;
	_cleanup_free_ char *line = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	r = host_parse_options(h, &cmd_nova_conf, argc, argv, NULL);
	if (r <= 0)
		return r;
	r = host_open(h, false);
	if (r < 0)
		return r;
	for (size_t i = 0; i < h->set.n; i++) {
		const struct backing *b = &h->set.items[i];

		if (setup_devdax(b) && !strv_contains(labels, b->label) && (r = strv_push(&labels, b->label)) < 0)
			return log_error_errno(r, "%m");
	}
	if (!labels) {
		log_error("host.json's layout has no devdax namespaces on this host: run \"vpmem-host setup\" first "
			  "(Nova takes devdax namespaces only)");
		return -ENOENT;
	}
	f = open_memstream(&line, &len);
	if (!f)
		return log_error_errno(errno, "%m");
	for (char **l = labels; *l; l++) {
		const char *sep = ":";

		fprintf(f, "%s%s", l == labels ? "" : ",", *l);
		for (size_t i = 0; i < h->set.n; i++) {
			const struct backing *b = &h->set.items[i];

			if (setup_devdax(b) && strcmp(b->label, *l) == 0) {
				fprintf(f, "%s%s", sep, b->name);
				sep = "|";
			}
		}
	}
	fclose(f);
	printf("[libvirt]\npmem_namespaces = %s\n", line);
	fprintf(stderr,
		"vpmem-host: Nova then reports these namespaces to Placement and assigns them itself: do not also "
		"reserve or attach them with vpmem-host, and do not \"vpmem-host sync\" these labels (it refuses "
		"when the compute node's provider has them).\n");
	return 0;
}

const struct command cmd_nova_conf = {
	"nova-conf", cmd_nova_conf_run, (const struct host_option[]){ {} }, "",
	"The [libvirt] pmem_namespaces line of nova.conf for the devdax namespaces setup made,\n"
	"for Nova to schedule and bind them instead of vpmem-host.",
};

const struct command cmd_libvirt_xml = {
	"libvirt-xml", cmd_libvirt_xml_run, hypervisor_options,
	"--consumer UUID [--guest-node N] [--machine TYPE]",
	"The <memory model='nvdimm'> elements of the consumer's backings on stdout; what the\n"
	"domain needs besides (maxMemory slots, a NUMA cell) on stderr.",
};

const struct command cmd_qemu_args = {
	"qemu-args", cmd_qemu_args_run, hypervisor_options,
	"--consumer UUID [--guest-node N] [--machine TYPE]",
	"QEMU's arguments for the consumer's backings, shell-quoted on one line on stdout; what\n"
	"QEMU needs besides (-machine nvdimm=on, -m slots) on stderr.",
};
