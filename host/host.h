/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What vpmem-host's commands share: the loaded state of the host
 * (configuration, ledger, backings), the parsing of their options and the
 * helpers around them. Each group of commands lives in its own cmd-*.c, and
 * each command owns its options: a struct of the values it takes, filled by
 * host_parse_options() from its table. main.c dispatches. Everything here
 * returns 0 or a negative errno, -EINVAL for a usage or configuration error
 * found before anything was changed; main.c alone makes that an exit status.
 */
#ifndef VPMEM_HOST_HOST_H
#define VPMEM_HOST_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "backing.h"
#include "hostconf.h"
#include "inventory.h"
#include "ledger.h"
#include "placement.h"
#include "sizes.h"

/* The options before the command; -c and -s may come after it too. */
struct global_options {
	const char *config;    /* -c: host.json */
	const char *state_dir; /* -s: the ledger and the lock */
	bool json;             /* -j: for a command that takes --json, as if it were given after it */
};

/*
 * One option of a command: --name sets the member at offset in the
 * command's own struct of arguments, through parse, which checks the value
 * (logging why it is refused: -EINVAL). A command lists the options it
 * takes in a table ending with an empty entry.
 */
struct host_option {
	const char *name;
	const char *meta; /* the value's name in --help; NULL: the option takes no value */
	int (*parse)(const struct host_option *option, const char *value, void *member);
	size_t offset;
	long min, max; /* option_number's range */
};

/* What a command takes whose only option is --json (discover, inventory, list) */
struct json_args {
	bool json;
};
extern const struct host_option json_options[];

/* The parsers: true; the value itself; a number from min to max (a long); a guest machine; a provider's UUID. */
int option_flag(const struct host_option *option, const char *value, void *member);
int option_string(const struct host_option *option, const char *value, void *member);
int option_number(const struct host_option *option, const char *value, void *member);
int option_machine(const struct host_option *option, const char *value, void *member);
int option_provider_uuid(const struct host_option *option, const char *value, void *member);

/*
 * The Placement options of the commands that tell Placement: what the
 * command line says. host.json's "placement" supplies what it leaves out
 * (host_placement_settings).
 */
struct placement_args {
	const char *url;
	bool disabled; /* --no-placement */
	const char *provider;
	const char *parent;
	const char *token;
	const char *token_file;
	const char *cacert;
	long timeout;
	const char *project_id;
	const char *user_id;
};

/* The table entries of the Placement options, for the member of type that is a struct placement_args */
#define PLACEMENT_OPTIONS(type, member)                                                                         \
	{ "placement", "URL", option_string, offsetof(type, member.url), 0, 0 },                                \
	{ "no-placement", NULL, option_flag, offsetof(type, member.disabled), 0, 0 },                           \
	{ "provider", "NAME|UUID", option_string, offsetof(type, member.provider), 0, 0 },                      \
	{ "parent", "UUID", option_provider_uuid, offsetof(type, member.parent), 0, 0 },                        \
	{ "token", "TOKEN", option_string, offsetof(type, member.token), 0, 0 },                                \
	{ "token-file", "FILE", option_string, offsetof(type, member.token_file), 0, 0 },                       \
	{ "cacert", "FILE", option_string, offsetof(type, member.cacert), 0, 0 },                               \
	{ "timeout", "S", option_number, offsetof(type, member.timeout), 1, 3600 },                             \
	{ "project-id", "ID", option_string, offsetof(type, member.project_id), 0, 0 },                         \
	{ "user-id", "ID", option_string, offsetof(type, member.user_id), 0, 0 }

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
	struct global_options *global; /* main's; -c and -s after the command change it */
	struct host_config config;
	struct ndctl_ctx *ctx;
	struct inventory inv;
	struct ledger ledger;
	struct backing_set set;
	struct placement_settings placement; /* host_placement_settings() */
	int lock_fd;
	char *state_dir; /* global->state_dir, absolute */
	char *ledger_path;
	char *lock_path;
};

struct command {
	const char *name;
	/* argv[0] is the command's name; it parses the rest with host_parse_options. 0 or a negative errno. */
	int (*run)(struct host *h, int argc, char **argv);
	const struct host_option *options; /* what it takes besides -c, -s, -v, -h */
	const char *synopsis;              /* its options, for usage */
	const char *summary;
};

/*
 * Parse the options of cmd (argv[0] is its name) into args, the command's
 * own struct, by cmd->options; -c and -s are the global ones. Options it does
 * not take are refused by name, as are arguments. Returns 1 to go on, 0 when
 * --help was printed, or -EINVAL (a usage error, logged).
 */
int host_parse_options(struct host *h, const struct command *cmd, int argc, char **argv, void *args);

/*
 * Load configuration, system and ledger (under the lock with lock). 0, or a
 * negative errno, logged: -EINVAL when host.json cannot be read or is wrong.
 */
int host_open(struct host *h, bool lock);
/* Release everything loaded; h can be opened again afterwards. */
void host_clear(struct host *h);
/* Write the ledger; logs on failure. 0 or a negative errno. */
int host_save(struct host *h);
/* libndctl and the inventory only (discover needs no configuration). 0 or a negative errno, logged. */
int host_read_inventory(struct host *h);

/*
 * Whether Placement is to be told, from the command line (args) or host.json
 * "placement": the command line wins; --no-placement turns it off. Fills
 * h->placement (host_clear frees it) and reads the token file again. A token
 * goes over plain http only to a loopback address, unless host.json's
 * "placement" says "token_over_http": true. Call after host_open. 0, or a
 * negative errno, logged (-EINVAL: a setting that cannot be used).
 */
int host_placement_settings(struct host *h, const struct placement_args *args, bool *ret_enabled);

/*
 * An error passed on as a failure (exit status 1), never as a usage error:
 * an EINVAL that comes from the system (the kernel, a file), or that is
 * found once something was changed, goes on as -EIO.
 */
static inline int host_failure(int r)
{
	return r == -EINVAL ? -EIO : r;
}

void print_json(struct json_object *o);
bool is_uuid(const char *s);

/* What the guest gets from a backing: QEMU's minimum label, at least 2 MiB alignment. */
/*
 * The module sizes of backing b for a guest of machine: 0, -EINVAL when it is
 * too small for one, -EOPNOTSUPP when no module of that machine can map it
 * (a device-dax alignment over 16 MiB for pseries, guest_label_size).
 */
/*
 * The label storage area of a backing given as a CXL device: <state>/lsa/<uuid>,
 * CXL_LSA_SIZE bytes, made blank when missing (create). In *ret_path. 0 or a negative errno.
 */
int backing_lsa_path(struct host *h, const char *uuid, bool create, char **ret_path);

/* Zero and remove a backing's label storage area, when it has one. 0 or a negative errno (*ret_reason says what). */
int backing_lsa_erase(struct host *h, const char *uuid, char **ret_reason);

int backing_guest_sizes(const struct backing *b, enum guest_machine machine, struct guest_sizes *ret);
/*
 * One ledger entry, with its backing and the sizes a guest of machine gets,
 * as the JSON list and reserve print.
 */
struct json_object *reservation_json(struct host *h, const struct ledger_entry *e, enum guest_machine machine);

/* cmd-placement.c: what sync publishes, and the calls reserve and release make */
struct json_object *host_inventory_json(struct host *h);
int host_placement_run(struct host *h, bool create, bool inventory, bool reconcile, char *ret_rp);
int host_placement_update_consumer(struct host *h, const char *rp, const char *consumer);

/*
 * cmd-backings.c: reserve a backing of label for consumer (near numa_node
 * when it is not -1), or find the one it holds, and tell Placement when the
 * command line (placement) or host.json ask to (a reservation Placement
 * refuses is rolled back). h is open under the lock. 0 with the entry in
 * *ret, or a negative errno, logged.
 */
int host_reserve(struct host *h, const struct placement_args *placement, const char *label, const char *consumer,
		 int numa_node, struct ledger_entry **ret);

/*
 * cmd-backings.c: under the lock, mark the entries want(e, arg) chooses
 * "erasing" with this process as their owner (consumer: a release's, NULL
 * otherwise); then erase them without the lock and record each outcome.
 * With json, print each entry touched as it is afterwards. 0, or a negative
 * errno when one could not be erased (each logged).
 */
int host_erase_entries(struct host *h, bool (*want)(const struct ledger_entry *, const void *), const void *arg,
		       const char *consumer, bool json);

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
