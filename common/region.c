// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Questions about a snapshot of the system (inventory.h) that need no
 * library: what kind a region is, what is in it. Kept apart from the
 * reading of the live system so that code which only plans or reports
 * links without libndctl.
 */
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

const struct region_state *inventory_find_region(const struct inventory *inv, unsigned id)
{
	for (size_t i = 0; i < inv->n_regions; i++)
		if (inv->regions[i].id == id)
			return &inv->regions[i];
	return NULL;
}

bool region_maps_pages(const struct region_state *region)
{
	return region->kind == REGION_VIRTIO || region->kind == REGION_E820 || region->kind == REGION_PAPR;
}

const char *region_kind_name(enum region_kind kind)
{
	switch (kind) {
	case REGION_NFIT:
		return "nfit";
	case REGION_VIRTIO:
		return "virtio-pmem";
	case REGION_E820:
		return "e820";
	case REGION_PAPR:
		return "papr_scm";
	case REGION_CXL:
		return "cxl";
	default:
		return "other";
	}
}

const char *region_kind_describe(const struct region_state *region)
{
	switch (region->kind) {
	case REGION_NFIT:
		if (region->labelled)
			return "NVDIMM with labels";
		return region->label_capable ? "NVDIMM, no labels yet" : "NVDIMM without a label area";
	case REGION_VIRTIO:
		return "virtio-pmem";
	case REGION_E820:
		return "e820 pmem";
	case REGION_PAPR:
		return region->labelled ? "papr_scm NVDIMM with labels" : "papr_scm NVDIMM, no labels yet";
	case REGION_CXL:
		return "CXL pmem region";
	default:
		return "persistent memory";
	}
}

const char *persistence_name(enum persist_domain p)
{
	switch (p) {
	case PERSIST_DOMAIN_NONE:
		return "none";
	case PERSIST_DOMAIN_MEMORY_CONTROLLER:
		return "memory_controller";
	case PERSIST_DOMAIN_CPU_CACHE:
		return "cpu_cache";
	default:
		return "unspecified";
	}
}

const struct ns_state *region_find_namespace(const struct region_state *region, const char *name)
{
	for (size_t i = 0; i < region->n_namespaces; i++)
		if (region->namespaces[i].name && strcmp(region->namespaces[i].name, name) == 0)
			return &region->namespaces[i];
	/* the agent's own, still under its name for an mkfs under way (nd.h) */
	for (size_t i = 0; i < region->n_namespaces; i++)
		if (nd_is_mkfs_marker(region->namespaces[i].name, name))
			return &region->namespaces[i];
	return NULL;
}

void cxl_region_state_free(struct cxl_region_state *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_members; i++) {
		free(c->members[i].memdev);
		free(c->members[i].decoder);
		free(c->members[i].host);
	}
	free(c->members);
	free(c->region);
	free(c->root_decoder);
	free(c);
}

const char *dimm_flag_name(enum dimm_flag flag)
{
	switch (flag) {
	case DIMM_FLAG_NOT_ARMED:
		return "not_armed";
	case DIMM_FLAG_SAVE_FAIL:
		return "save_fail";
	case DIMM_FLAG_RESTORE_FAIL:
		return "restore_fail";
	case DIMM_FLAG_FLUSH_FAIL:
		return "flush_fail";
	case DIMM_FLAG_MAP_FAIL:
		return "map_fail";
	case DIMM_FLAG_SMART_EVENT:
		return "smart_event";
	default:
		return "?";
	}
}

const char *dimm_health_name(enum dimm_health health)
{
	switch (health) {
	case DIMM_HEALTH_OK:
		return "ok";
	case DIMM_HEALTH_NON_CRITICAL:
		return "non_critical";
	case DIMM_HEALTH_CRITICAL:
		return "critical";
	case DIMM_HEALTH_FATAL:
		return "fatal";
	default:
		return "unknown";
	}
}
