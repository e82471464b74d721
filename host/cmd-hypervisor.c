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

static int consumer_modules(struct host *h, struct vnvdimm **ret, size_t *ret_n, char ***ret_ids)
{
	struct vnvdimm *d = calloc(h->ledger.n ? h->ledger.n : 1, sizeof(*d));
	char **ids = calloc(h->ledger.n + 1, sizeof(char *));
	size_t n = 0;
	int r;

	if (!d || !ids) {
		free(d);
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->ledger.n; i++) {
		const struct ledger_entry *e = &h->ledger.entries[i];
		struct backing *b;

		if (!ledger_reserved_for(e, h->o->consumer))
			continue;
		b = backings_find_uuid(&h->set, e->uuid);
		if (!b || !b->path || ledger_entry_problem(e, &h->set)) {
			log_error("%s (%s) reserved by %s is not usable: %s", e->name, e->uuid, e->consumer,
				  ledger_entry_problem(e, &h->set) ? ledger_entry_problem(e, &h->set) : "no device");
			free(d);
			strv_free(ids);
			return -ENODEV;
		}
		{
			_cleanup_free_ char *why = NULL;

			/* definitions name the backing by a name that survives renumbering */
			if (backing_check_link(b, &why) < 0) {
				log_error("%s (%s) reserved by %s: %s", e->name, e->uuid, e->consumer,
					  why ? why : "cannot be named");
				free(d);
				strv_free(ids);
				return -ENODEV;
			}
		}
		if (asprintf(&ids[n], "vpmem%zu", n) < 0) {
			free(d);
			strv_free(ids);
			return -ENOMEM;
		}
		r = backing_guest_sizes(b, h->o->machine, &d[n].sizes);
		if (r == -EOPNOTSUPP)
			log_error("%s is device-dax aligned to %llu bytes: a %s guest's module could not end on that "
				  "alignment (use a namespace aligned to 2 or 16 MiB)",
				  b->path, (unsigned long long)b->align, guest_machine_name(h->o->machine));
		else if (r < 0)
			log_error("%s (%llu bytes) is too small for an NVDIMM of a %s guest%s", b->path,
				  (unsigned long long)b->size, guest_machine_name(h->o->machine),
				  h->o->machine == GUEST_MACHINE_PSERIES ? " (256 MiB and its label at least)" : "");
		if (r < 0) {
			free(d);
			strv_free(ids);
			return -EINVAL;
		}
		d[n].id = ids[n];
		d[n].path = b->link;
		d[n].uuid = b->uuid;
		d[n].machine = h->o->machine;
		d[n].real_pmem = b->kind == BACKEND_DEVDAX;
		d[n].guest_node = (unsigned)h->o->guest_node;
		n++;
	}
	*ret = d;
	*ret_n = n;
	*ret_ids = ids;
	return 0;
}

static int cmd_hypervisor(struct host *h, bool xml)
{
	_cleanup_free_ struct vnvdimm *d = NULL;
	_cleanup_strv_free_ char **ids = NULL;
	size_t n = 0;
	int ret;

	if (!is_uuid(h->o->consumer)) {
		log_error("needs --consumer UUID");
		return EXIT_USAGE;
	}
	ret = host_open(h, false);
	if (ret)
		return ret;
	if (consumer_modules(h, &d, &n, &ids) < 0)
		return EXIT_FAILED;
	if (!n) {
		log_error("%s holds no reservation", h->o->consumer);
		return EXIT_FAILED;
	}
	/* stdout is what the hypervisor reads; what it needs besides goes to stderr */
	return (xml ? libvirt_xml_write(stdout, stderr, d, n) : qemu_args_write(stdout, stderr, d, n)) < 0 ? EXIT_FAILED
													     : 0;
}

static int cmd_libvirt_xml_run(struct host *h)
{
	return cmd_hypervisor(h, true);
}

static int cmd_qemu_args_run(struct host *h)
{
	return cmd_hypervisor(h, false);
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
static int cmd_nova_conf_run(struct host *h)
{
	_cleanup_strv_free_ char **labels = NULL;
	_cleanup_free_ char *line = NULL;
	size_t len = 0;
	FILE *f;
	int ret = host_open(h, false);

	if (ret)
		return ret;
	for (size_t i = 0; i < h->set.n; i++) {
		const struct backing *b = &h->set.items[i];

		if (setup_devdax(b) && !strv_contains(labels, b->label) &&
		    strv_push(&labels, b->label) < 0)
			return EXIT_FAILED;
	}
	if (!labels) {
		log_error("host.json's layout has no devdax namespaces on this host: run \"vpmem-host setup\" first "
			  "(Nova takes devdax namespaces only)");
		return EXIT_FAILED;
	}
	f = open_memstream(&line, &len);
	if (!f)
		return EXIT_FAILED;
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
	"nova-conf", cmd_nova_conf_run, (const enum host_option[]){ OPT_END }, "",
	"The [libvirt] pmem_namespaces line of nova.conf for the devdax namespaces setup made,\n"
	"for Nova to schedule and bind them instead of vpmem-host.",
};

const struct command cmd_libvirt_xml = {
	"libvirt-xml", cmd_libvirt_xml_run, (const enum host_option[]){ OPT_CONSUMER, OPT_GUEST_NODE, OPT_MACHINE, OPT_END },
	"--consumer UUID [--guest-node N] [--machine TYPE]",
	"The <memory model='nvdimm'> elements of the consumer's backings on stdout; what the\n"
	"domain needs besides (maxMemory slots, a NUMA cell) on stderr.",
};

const struct command cmd_qemu_args = {
	"qemu-args", cmd_qemu_args_run, (const enum host_option[]){ OPT_CONSUMER, OPT_GUEST_NODE, OPT_MACHINE, OPT_END },
	"--consumer UUID [--guest-node N] [--machine TYPE]",
	"QEMU's arguments for the consumer's backings, shell-quoted on one line on stdout; what\n"
	"QEMU needs besides (-machine nvdimm=on, -m slots) on stderr.",
};
