/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_HOSTCONF_H
#define VPMEM_HOST_HOSTCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errlist.h"

enum backend_kind {
	BACKEND_DEVDAX, /* a devdax namespace: real persistent memory */
	BACKEND_FILE,   /* a file, for hosts without PMEM */
};

/* One namespace named in Nova's pmem_namespaces ("LABEL:NAME|NAME,..."). */
struct nova_binding {
	char *label;
	char *name;
};

/* What setup creates: count backings of size for label. */
struct layout_entry {
	char *label;
	unsigned count;
	uint64_t size;
	enum backend_kind backend;
	int region;       /* devdax: the region index */
	uint64_t align;   /* devdax: the dax alignment */
	char *directory;  /* file: where the files live */
};

/* Where and as whom to publish to OpenStack Placement (host.json "placement"). */
struct placement_config {
	char *url;
	char *provider;   /* name or UUID of our resource provider */
	char *parent;     /* UUID of the compute node's provider */
	char *cacert;
	char *token_file;
	long timeout;     /* seconds, 0 for the default */
	char *project_id;
	char *user_id;
	bool token_over_http; /* a token may go over plain http to a host that is not loopback */
};

struct host_config {
	struct placement_config placement;
	bool libvirt;      /* a "libvirt" section: ask libvirt before erasing */
	char *libvirt_uri; /* its "uri", or NULL for libvirt's default */
	struct nova_binding *nova;
	size_t n_nova;
	struct layout_entry *layout;
	size_t n_layout;
};

#define LABEL_MAX 32

/*
 * Parse Nova's [libvirt] pmem_namespaces value, "6GB:ns0|ns1|ns2,LARGE:ns3",
 * with Nova's checks (the format, a namespace named twice) and the ones Nova
 * lacks (an empty label or name, two labels that normalise to one resource
 * class). Errors go to errors under path. 0 or -EINVAL.
 */
int nova_pmem_namespaces_parse(const char *value, const char *file, const char *path, struct host_config *config,
			       struct errlist *errors);

/*
 * Parse host.json text: "pmem_namespaces", "layout" and "placement". Every problem is added
 * to errors with its JSON path. 0, -EINVAL or -ENOMEM; on error *config is
 * left empty.
 */
int host_config_parse(const char *file, const char *text, struct host_config *config, struct errlist *errors);

/* Read and parse path; a missing file is an empty configuration. */
int host_config_load(const char *path, struct host_config *config, struct errlist *errors);

void host_config_clear(struct host_config *config);

/*
 * Placement's resource class for a label, as Nova and os-resource-classes
 * make it: "CUSTOM_" + ("PMEM_NAMESPACE_" + label with every run of
 * characters other than A-Z a-z 0-9 replaced by "_"), upper-cased.
 */
char *resource_class_for_label(const char *label);

/* The name setup gives the index-th namespace (or file) of a layout entry. */
char *layout_backing_name(const struct layout_entry *entry, unsigned index);

#endif
