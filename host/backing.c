// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <uuid/uuid.h>

#include "entropy.h"
#include "backing.h"
#include "cleanup.h"
#include "erase.h"
#include "fileio.h"

void backings_clear(struct backing_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->items[i].name);
		free(set->items[i].path);
		free(set->items[i].link);
		free(set->items[i].devname);
	}
	free(set->items);
	memset(set, 0, sizeof(*set));
}

static struct backing *add(struct backing_set *set)
{
	struct backing *grown = realloc(set->items, (set->n + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	set->items = grown;
	memset(&grown[set->n], 0, sizeof(*grown));
	grown[set->n].numa_node = -1;
	grown[set->n].region = -1;
	return &grown[set->n++];
}

struct backing *backings_find_uuid(struct backing_set *set, const char *uuid)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i].present && strcmp(set->items[i].uuid, uuid) == 0)
			return &set->items[i];
	return NULL;
}

/* the live namespace named name: *ret_count says how many carry that name */
static const struct ns_state *find_named(const struct inventory *inv, const char *name,
					 const struct region_state **ret_region, unsigned *ret_count)
{
	const struct ns_state *found = NULL;

	*ret_count = 0;
	for (size_t r = 0; r < inv->n_regions; r++)
		for (size_t i = 0; i < inv->regions[r].n_namespaces; i++)
			if (strcmp(inv->regions[r].namespaces[i].name, name) == 0) {
				found = &inv->regions[r].namespaces[i];
				*ret_region = &inv->regions[r];
				(*ret_count)++;
			}
	return found;
}

static bool dimms_ok(const struct region_state *region)
{
	for (size_t i = 0; i < region->n_dimm_states; i++)
		if (region->dimm_states[i].failed)
			return false;
	return true;
}

static int fill_devdax(struct backing *b, const struct ns_state *ns, const struct region_state *region)
{
	snprintf(b->uuid, sizeof(b->uuid), "%s", ns->uuid ? ns->uuid : "");
	b->path = ns->chardev ? strdup(ns->chardev) : NULL;
	b->devname = strdup(ns->devname);
	if ((ns->chardev && !b->path) || !b->devname)
		return -ENOMEM;
	if (ns->uuid && asprintf(&b->link, "%s/%s", BACKING_BY_UUID, ns->uuid) < 0) {
		b->link = NULL;
		return -ENOMEM;
	}
	/* what can be mapped: the dax device, less the page map a map=dev namespace keeps */
	b->size = ns->dev_size ? ns->dev_size : ns->size;
	b->align = ns->align;
	b->numa_node = region->numa_node;
	b->region = (int)region->id;
	b->present = ns->chardev != NULL && ns->uuid != NULL;
	b->healthy = ns->badblocks == 0 && dimms_ok(region);
	return 0;
}

int backings_collect(const struct host_config *config, const struct inventory *inv, const struct ledger *ledger,
		     struct backing_set *ret, struct errlist *errors)
{
	struct backing_set set = { 0 };
	size_t before = errors->count;

	for (size_t i = 0; i < config->n_nova; i++) {
		const struct nova_binding *nb = &config->nova[i];
		const struct region_state *region = NULL;
		const struct ns_state *ns;
		struct backing *b;
		unsigned count;

		ns = find_named(inv, nb->name, &region, &count);
		if (!ns) {
			errlist_add(errors, NULL, "pmem_namespaces", "The PMEM namespace %s isn't on host", nb->name);
			continue;
		}
		if (count > 1) {
			errlist_add(errors, NULL, "pmem_namespaces", "%u namespaces on this host are named %s", count,
				    nb->name);
			continue;
		}
		if (ns->mode != NS_MODE_DEVDAX) {
			errlist_add(errors, NULL, "pmem_namespaces",
				    "The PMEM namespace %s (%s) is in %s mode: a guest can only be given devdax", nb->name,
				    ns->devname, ns_mode_name(ns->mode));
			continue;
		}
		b = add(&set);
		if (!b || !(b->name = strdup(nb->name)) || fill_devdax(b, ns, region) < 0)
			goto nomem;
		b->label = nb->label;
		b->kind = BACKEND_DEVDAX;
	}

	for (size_t l = 0; l < config->n_layout; l++) {
		const struct layout_entry *e = &config->layout[l];

		for (unsigned i = 0; i < e->count; i++) {
			_cleanup_free_ char *name = layout_backing_name(e, i);
			struct backing *b = add(&set);

			if (!name || !b)
				goto nomem;
			b->label = e->label;
			b->kind = e->backend;
			b->layout = e;
			b->region = e->region;
			b->align = e->align;
			if (e->backend == BACKEND_DEVDAX) {
				const struct region_state *region = NULL;
				unsigned count;
				const struct ns_state *ns = find_named(inv, name, &region, &count);

				b->name = TAKE_PTR(name);
				if (ns && ns->mode != NS_MODE_DEVDAX) {
					errlist_add(errors, NULL, "layout",
						    "namespace %s (%s) is in %s mode, not devdax: reconfigure or delete it",
						    b->name, ns->devname, ns_mode_name(ns->mode));
					continue;
				}
				if (ns && fill_devdax(b, ns, region) < 0)
					goto nomem;
				if (!ns && (region = inventory_find_region(inv, (unsigned)e->region)))
					b->numa_node = region->numa_node;
			} else {
				struct stat st;

				if (asprintf(&b->name, "%s/%s-%u.img", e->directory, e->label, i) < 0 ||
				    !(b->path = strdup(b->name)) || !(b->link = strdup(b->name)))
					goto nomem;
				b->align = UINT64_C(2) << 20;
				b->healthy = true;
				if (stat(b->path, &st) == 0 && S_ISREG(st.st_mode)) {
					b->size = (uint64_t)st.st_size;
					for (size_t k = 0; k < ledger->n; k++)
						if (ledger->entries[k].kind == BACKEND_FILE &&
						    strcmp(ledger->entries[k].name, b->name) == 0)
							snprintf(b->uuid, sizeof(b->uuid), "%s", ledger->entries[k].uuid);
					/* one the ledger does not know gets a UUID, unverified, when ledger_sync records it */
					b->present = true;
				}
			}
		}
	}
	if (errors->count != before) {
		backings_clear(&set);
		return -EINVAL;
	}
	*ret = set;
	return 0;
nomem:
	backings_clear(&set);
	return -ENOMEM;
}

int ledger_sync(struct ledger *ledger, struct backing_set *set)
{
	int added = 0;

	for (size_t i = 0; i < set->n; i++) {
		struct backing *b = &set->items[i];

		if (!b->present || (b->uuid[0] && ledger_find(ledger, b->uuid)))
			continue;
		if (!b->uuid[0]) {
			uuid_t uu;

			crng_wait();
			uuid_generate(uu);
			uuid_unparse(uu, b->uuid);
		}
		if (!ledger_add(ledger, b->uuid, b->label, b->kind, b->name, b->size))
			return -ENOMEM;
		added++;
	}
	return added;
}

const char *ledger_entry_problem(const struct ledger_entry *e, const struct backing_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct backing *b = &set->items[i];

		if (!b->present || strcmp(b->uuid, e->uuid) != 0)
			continue;
		if (e->size && b->size != e->size)
			return "its size changed";
		if (strcmp(b->label, e->label) != 0)
			return "its label changed in the configuration";
		if (!b->healthy)
			return "unhealthy (bad blocks or a failed DIMM)";
		return NULL;
	}
	return "vanished: not on the system, or no longer in the configuration";
}

/* the UUID of the namespace whose device-dax device is rdev, as sysfs has it: 0 or a negative errno */
static int dax_namespace_uuid(dev_t rdev, char ret[37])
{
	char path[PATH_MAX + 32], dev[PATH_MAX];
	_cleanup_free_ char *ns = NULL, *uuid = NULL;
	char *slash;
	int r;

	/* /sys/dev/char/M:m is the dax device; its parent directory the nd_dax device that names the namespace */
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major(rdev), minor(rdev));
	if (!realpath(path, dev))
		return -errno;
	slash = strrchr(dev, '/');
	if (!slash)
		return -ENODEV;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/namespace", dev);
	r = read_file(path, &ns, NULL);
	if (r < 0)
		return r;
	ns[strcspn(ns, "\n")] = '\0';
	if (!*ns || strchr(ns, '/'))
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/uuid", ns);
	r = read_file(path, &uuid, NULL);
	if (r < 0)
		return r;
	uuid[strcspn(uuid, "\n")] = '\0';
	snprintf(ret, 37, "%s", uuid);
	return 0;
}

int backing_check_link(const struct backing *b, char **ret_why)
{
	struct stat dev, link;
	char uuid[37] = "";
	int r;

	*ret_why = NULL;
	if (!b->link || !b->path)
		return asprintf(ret_why, "%s has no name to give a guest", b->name) < 0 ? -ENOMEM : -ENOENT;
	if (b->kind == BACKEND_FILE)
		return 0;
	if (stat(b->path, &dev) < 0 || !S_ISCHR(dev.st_mode))
		return asprintf(ret_why, "%s is not a character device", b->path) < 0 ? -ENOMEM : -ENODEV;
	if (stat(b->link, &link) < 0)
		return asprintf(ret_why,
				"%s does not exist: vpmem-host's udev rule makes it (is it installed? \"udevadm trigger "
				"--subsystem-match=dax\" applies it to devices already there)",
				b->link) < 0
			       ? -ENOMEM
			       : -ENOENT;
	if (!S_ISCHR(link.st_mode) || link.st_rdev != dev.st_rdev)
		return asprintf(ret_why, "%s does not lead to %s", b->link, b->path) < 0 ? -ENOMEM : -EXDEV;
	r = dax_namespace_uuid(link.st_rdev, uuid);
	if (r < 0)
		return asprintf(ret_why, "the kernel does not say which namespace %s belongs to: %s", b->link,
				strerror(-r)) < 0
			       ? -ENOMEM
			       : r;
	if (strcmp(uuid, b->uuid) != 0)
		return asprintf(ret_why, "%s leads to the device of namespace %s, not %s", b->link, uuid, b->uuid) < 0
			       ? -ENOMEM
			       : -EXDEV;
	return 0;
}

bool backing_named_by(const struct backing *b, const char *path)
{
	struct stat a, mine;

	if ((b->link && strcmp(path, b->link) == 0) || (b->path && strcmp(path, b->path) == 0))
		return true;
	return b->path && stat(path, &a) == 0 && stat(b->path, &mine) == 0 && same_object(&a, &mine);
}
