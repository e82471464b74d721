/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What vpmem-host's commands share: their options, the loaded state of the
 * host (configuration, ledger, backings) and the helpers around it. Each
 * group of commands lives in its own cmd-*.c; main.c dispatches.
 */
#ifndef VPMEM_HOST_HOST_H
#define VPMEM_HOST_HOST_H

#include <stdbool.h>

#include "backing.h"
#include "hostconf.h"
#include "inventory.h"
#include "ledger.h"
#include "placement.h"
#include "sizes.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* Every option a command may take; each command lists the ones it accepts. */
enum host_option {
	OPT_END = 0,
	OPT_JSON = 'j',
	OPT_LABEL = 0x100,
	OPT_CONSUMER,
	OPT_UUID,
	OPT_NUMA_NODE,
	OPT_GUEST_NODE,
	OPT_PLACEMENT,
	OPT_NO_PLACEMENT,
	OPT_PROVIDER,
	OPT_PARENT,
	OPT_TOKEN,
	OPT_TOKEN_FILE,
	OPT_CACERT,
	OPT_TIMEOUT,
	OPT_PROJECT_ID,
	OPT_USER_ID,
	OPT_INTERVAL,
	OPT_DOMAIN,
	OPT_CONNECT,
	OPT_UNVERIFIED,
	OPT_MACHINE,
};

/* The Placement options, as a group */
#define OPTS_PLACEMENT                                                                                           \
	OPT_PLACEMENT, OPT_NO_PLACEMENT, OPT_PROVIDER, OPT_PARENT, OPT_TOKEN, OPT_TOKEN_FILE, OPT_CACERT, OPT_TIMEOUT, \
		OPT_PROJECT_ID, OPT_USER_ID

struct options {
	const char *config;
	const char *state_dir;
	bool json;
	const char *label;
	const char *consumer;
	const char *uuid;
	bool unverified;
	int numa_node;
	int guest_node;
	enum guest_machine machine; /* the guest's: sizes and device options follow it */
	const char *domain;
	const char *connect; /* libvirt URI */
	/* Placement: given on the command line, else from host.json */
	struct placement_options placement;
	bool no_placement;
	const char *provider;
	const char *parent;
	const char *project_id;
	const char *user_id;
	const char *token_file;
	char *token;         /* owned: --token */
	long interval;
};

/*
 * The Placement settings one command, or one round of sync, works with: the
 * command line's, else host.json's, copied (the configuration they come
 * from is loaded again for each round), and the token read for this round.
 */
struct placement_settings {
	struct placement_options conn; /* points into the strings below */
	char *url;
	char *token;
	char *cacert;
	char *provider;
	char *parent;
	char *project_id;
	char *user_id;
};

/* Everything a command works on, loaded under the lock when it changes things. */
struct host {
	struct options *o;
	struct host_config config;
	struct ndctl_ctx *ctx;
	struct inventory inv;
	struct ledger ledger;
	struct backing_set set;
	struct placement_settings placement; /* host_placement_settings() */
	int lock_fd;
	char *ledger_path;
	char *lock_path;
};

struct command {
	const char *name;
	int (*fn)(struct host *h);
	const enum host_option *options; /* what it takes besides -c, -s, -v, -h; OPT_END-terminated */
	const char *synopsis;            /* its options, for usage */
	const char *summary;
};

/*
 * Parse a command's own options (argv[0] is its name). Options it does not
 * take are refused by name, as are arguments. Returns -1 to go on, or an exit
 * code (help printed: 0; a usage error: EXIT_USAGE).
 */
int host_parse_command(const struct command *cmd, int argc, char **argv, struct options *o);

/* Load configuration, system and ledger (under the lock with lock). Returns an exit code. */
int host_open(struct host *h, bool lock);
/* Release everything loaded; h can be opened again afterwards. */
void host_clear(struct host *h);
/* Write the ledger; logs on failure. 0 or a negative errno. */
int host_save(struct host *h);
/* libndctl and the inventory only (discover needs no configuration). */
int host_read_inventory(struct host *h);

/*
 * Whether Placement is to be told, from the command line or host.json
 * "placement" (the command line wins; --no-placement turns it off). Fills
 * h->placement (host_clear frees it) and reads the token file again. A token
 * goes over plain http only to a loopback address, unless host.json's
 * "placement" says "token_over_http": true. Call after host_open. Returns an
 * exit code.
 */
int host_placement_settings(struct host *h, bool *ret_enabled);

void print_json(struct json_object *o);
bool is_uuid(const char *s);

/* What the guest gets from a backing: QEMU's minimum label, at least 2 MiB alignment. */
/*
 * The module sizes of backing b for a guest of machine: 0, -EINVAL when it is
 * too small for one, -EOPNOTSUPP when no module of that machine can map it
 * (a device-dax alignment over 16 MiB for pseries, guest_label_size).
 */
int backing_guest_sizes(const struct backing *b, enum guest_machine machine, struct guest_sizes *ret);
/* One ledger entry, with its backing and the sizes a guest gets, as the JSON list and reserve print. */
struct json_object *reservation_json(struct host *h, const struct ledger_entry *e);

/* cmd-placement.c: what sync publishes, and the calls reserve and release make */
struct json_object *host_inventory_json(struct host *h);
int host_placement_run(struct host *h, bool create, bool inventory, bool reconcile, char *ret_rp);
int host_placement_update_consumer(struct host *h, const char *rp, const char *consumer);

/*
 * cmd-backings.c: reserve a backing of label for consumer, or find the one it
 * holds, and tell Placement when asked to (a reservation Placement refuses is
 * rolled back). h is open under the lock. Returns an exit code; the entry in
 * *ret.
 */
int host_reserve(struct host *h, const char *label, const char *consumer, int numa_node, struct ledger_entry **ret);

/*
 * cmd-backings.c: under the lock, mark the entries want(e, arg) chooses
 * "erasing" with this process as their owner (consumer: a release's, NULL
 * otherwise); then erase them without the lock and record each outcome.
 * Returns an exit code.
 */
int host_erase_entries(struct host *h, bool (*want)(const struct ledger_entry *, const void *), const void *arg,
		       const char *consumer);

/*
 * cmd-libvirt.c: the backing paths of the memory devices (NVDIMM,
 * virtio-pmem) that libvirt's domains name, running or only defined, in
 * their persistent and live definitions.
 */
struct libvirt_source {
	char *domain;
	char *path;
};
struct libvirt_sources {
	struct libvirt_source *items;
	size_t n;
};
/* Every domain's, through uri (NULL: libvirt's default). 0, or a negative errno (logged). */
int libvirt_sources_read(const char *uri, struct libvirt_sources *ret);
/* The domain that names b, by its path, its link or another path to the same device or file; NULL if none. */
const char *libvirt_sources_naming(const struct libvirt_sources *s, const struct backing *b);
void libvirt_sources_clear(struct libvirt_sources *s);

extern const struct command cmd_discover, cmd_setup, cmd_inventory, cmd_sync, cmd_reserve, cmd_release, cmd_erase,
	cmd_list, cmd_libvirt_xml, cmd_qemu_args, cmd_nova_conf, cmd_attach, cmd_detach;

#endif
