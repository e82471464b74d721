// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vpmem-host: the hypervisor side. Discovers persistent memory, lays out
 * backing namespaces (or files), hands them to guests and wipes them when the
 * guests are gone, and says what libvirt or QEMU need. The options before
 * the command are common to all; each command parses its own (cmd-*.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "host.h"
#include "log.h"

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

int main(int argc, char **argv)
{
	static const struct option global[] = {
		{ "config", required_argument, NULL, 'c' }, { "state-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },         { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
		{},
	};
	struct options o = {
		.config = SYSCONFDIR "/vpmem/host.json",
		.state_dir = LOCALSTATEDIR "/lib/vpmem",
		.numa_node = -1,
		.machine = guest_machine_native(),
	};
	struct host h = { .o = &o, .lock_fd = -EBADF };
	_cleanup_free_ char *state_dir = NULL;
	const struct command *cmd = NULL;
	int c, ret;

	log_open("vpmem-host");
	while ((c = getopt_long(argc, argv, "+c:s:jvhV", global, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 's': o.state_dir = optarg; break;
		case 'j': o.json = true; break;
		case 'v': log_set_verbose(true); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vpmem-host %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands) && !cmd; i++)
		if (strcmp(argv[optind], commands[i]->name) == 0)
			cmd = commands[i];
	if (!cmd) {
		log_error("unknown command \"%s\"", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	ret = host_parse_command(cmd, argc - optind, argv + optind, &o);
	if (ret >= 0) {
		free(o.token);
		return ret;
	}
	/* the state directory is created component by component from "/" */
	if (o.state_dir[0] != '/') {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);

		if (!cwd || asprintf(&state_dir, "%s/%s", cwd, o.state_dir) < 0) {
			log_error("cannot resolve the state directory %s", o.state_dir);
			free(o.token);
			return EXIT_FAILED;
		}
		o.state_dir = state_dir;
	}
	ret = cmd->fn(&h);
	host_clear(&h);
	free(o.token);
	return ret;
}
