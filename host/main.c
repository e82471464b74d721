// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host: the hypervisor side. Discovers persistent memory, lays out
 * backing namespaces (or files), hands them to guests and wipes them when the
 * guests are gone, and says what libvirt or QEMU need. The options before
 * the command are common to all; each command parses its own (cmd-*.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "host.h"
#include "log.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

static const struct command *const commands[] = {
	&cmd_discover, &cmd_setup,	 &cmd_inventory,   &cmd_sync,	   &cmd_reserve,
	&cmd_release,  &cmd_erase,	 &cmd_list,	   &cmd_libvirt_xml, &cmd_qemu_args,
	&cmd_attach,   &cmd_detach,   &cmd_nova_conf,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vpmem-host [OPTIONS] COMMAND [COMMAND OPTIONS]\n"
		"\n"
		"Hand out persistent memory to guests.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->synopsis);
	fprintf(out,
		"\n"
		"Options (before or after the command):\n"
		"  -c, --config FILE      host configuration (default %s/vpmem/host.json)\n"
		"  -s, --state-dir DIR    ledger and lock (default %s/lib/vpmem)\n"
		"  -j, --json             JSON output, for the commands that print data\n"
		"  -v, --verbose          debug messages\n"
		"  -h, --help, -V, --version\n"
		"\"vpmem-host COMMAND --help\" lists a command's options.\n"
		"Exit status: 0 done, 1 failed, 2 usage or configuration error.\n",
		SYSCONFDIR, LOCALSTATEDIR);
}

/*
 * The one place an error becomes an exit status, as vpmem-host(8) says: 0
 * done, 1 failed, 2 a usage or configuration error (-EINVAL: nothing was
 * changed).
 */
static int exit_status(int r)
{
	if (r >= 0)
		return EXIT_SUCCESS;
	return r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
}

int main(int argc, char **argv)
{
	static const struct option global[] = {
		{ "config", required_argument, NULL, 'c' }, { "state-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },         { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
		{},
	};
	struct global_options g = {
		.config = SYSCONFDIR "/vpmem/host.json",
		.state_dir = LOCALSTATEDIR "/lib/vpmem",
	};
	struct host h = { .global = &g, .lock_fd = -EBADF };
	const struct command *cmd = NULL;
	int c, r;

	log_open("vpmem-host");
	while ((c = getopt_long(argc, argv, "+c:s:jvhV", global, NULL)) != -1) {
		switch (c) {
		case 'c': g.config = optarg; break;
		case 's': g.state_dir = optarg; break;
		case 'j': g.json = true; break;
		case 'v': log_set_verbose(true); break;
		case 'h': usage(stdout); return exit_status(0);
		case 'V': printf("vpmem-host %s\n", PACKAGE_VERSION); return exit_status(0);
		default: usage(stderr); return exit_status(-EINVAL);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return exit_status(-EINVAL);
	}
	for (size_t i = 0; i < ELEMENTSOF(commands) && !cmd; i++)
		if (strcmp(argv[optind], commands[i]->name) == 0)
			cmd = commands[i];
	if (!cmd) {
		log_error("unknown command \"%s\"", argv[optind]);
		usage(stderr);
		return exit_status(-EINVAL);
	}
	r = cmd->run(&h, argc - optind, argv + optind);
	host_clear(&h);
	return exit_status(r);
}
