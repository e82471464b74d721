// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The agent's and vpmem-host's metrics for states the scenarios do not
 * make (every mode and kind, failures of every reason, label values that
 * need escaping), for tests/metrics/promtool.sh: metrics-sample agent|host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-metrics.h"
#include "cleanup.h"
#ifdef ENABLE_HOST
#include <json-c/json.h>

#include "host-metrics.h"
#endif

static int agent(void)
{
	static struct ns_state ns0[] = {
		{ .devname = "namespace0.0", .name = "pmem0", .mode = NS_MODE_FSDAX, .size = 1073741824,
		  .blockdev = "/dev/pmem0", .fstype = "xfs", .mountpoint = "/mnt/pmem0", .dax = 1 },
		{ .devname = "namespace0.1", .name = "fast", .mode = NS_MODE_DEVDAX, .size = 268435456,
		  .chardev = "/dev/dax0.1" },
		{ .devname = "namespace0.2", .name = "quote\"back\\slash", .mode = NS_MODE_FSDAX, .size = 536870912,
		  .blockdev = "/dev/pmem0.2", .fstype = "ext4", .mountpoint = "/mnt/a b\nc", .dax = 0 },
		{ .devname = "namespace0.3", .name = "", .mode = NS_MODE_RAW, .size = 16777216,
		  .blockdev = "/dev/pmem0.3" },
	};
	static struct ns_state ns1[] = {
		{ .devname = "namespace1.0", .name = "", .mode = NS_MODE_SECTOR, .size = 1073741824,
		  .blockdev = "/dev/pmem1s", .fstype = "ext4", .mountpoint = "/mnt/journal", .dax = 0 },
	};
	static struct dimm_state dimms[] = {
		{ .devname = "nmem0", .health = DIMM_HEALTH_FATAL, .flags = DIMM_FLAG__ALL, .dirty_shutdowns = 7 },
		{ .devname = "nmem1", .health = DIMM_HEALTH_UNKNOWN, .dirty_shutdowns = -1 },
	};
	static struct region_state regions[] = {
		{ .devname = "region0", .size = 2147352576, .available = 805175296, .namespaces = ns0,
		  .n_namespaces = 4, .kind = REGION_NFIT, .badblocks = 8, .dimm_states = dimms, .n_dimm_states = 2 },
		{ .devname = "region1", .id = 1, .size = 1073741824, .namespaces = ns1, .n_namespaces = 1,
		  .kind = REGION_VIRTIO },
		{ .devname = "region2", .id = 2, .size = 1073741824, .available = 1073741824, .kind = REGION_CXL },
	};
	struct inventory inv = { .regions = regions, .n_regions = 3 };
	struct apply_log log = { 0 };
	struct apply_run run = { .started = 1796563270.5, .ended = 1796563271.75, .log = &log };
	_cleanup_free_ char *text = NULL;
	size_t len;

	for (enum apply_reason r = 0; r < APPLY_REASON__MAX; r++)
		log.n_reason[r] = r;
	if (agent_metrics_render(&inv, &run, 0xfeed, &text, &len) < 0)
		return EXIT_FAILURE;
	fwrite(text, 1, len, stdout);
	return EXIT_SUCCESS;
}

#ifdef ENABLE_HOST
static int host(void)
{
	struct layout_entry layout[] = { { .label = "6GB" }, { .label = "never used" } };
	struct ledger_entry entries[] = {
		{ .uuid = "6127956b-94bd-490d-a07a-e97b7e850ebb", .label = "6GB", .state = BACKING_FREE },
		{ .uuid = "4afd946b-68e7-497a-92a0-4228e999a904", .label = "6GB", .state = BACKING_ERASING },
		{ .uuid = "6cfd946b-68e7-497a-92a0-4228e999a904", .label = "odd \"label\"", .state = BACKING_UNVERIFIED },
	};
	struct host h = { .ledger = { .entries = entries, .n = 3 },
			  .config = { .layout = layout, .n_layout = 2 } };
	struct json_object *counters = json_tokener_parse(
		"{\"erase\": {\"6GB\": {\"count\": 3, \"seconds\": 1.5, \"bytes\": 100, \"written_bytes\": 40, "
		"\"failures\": 1}}, \"in_use_refusals\": {\"odd \\\"label\\\"\": 2}, \"placement\": {\"rounds\": 7, "
		"\"requests\": 30, \"last_requests\": 1, \"in_step\": 0, \"last_success\": 1796563271.5, "
		"\"errors\": {\"timeout\": 2, \"server\": 1}}}");
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (!counters)
		return EXIT_FAILURE;
	r = host_metrics_render(&h, counters, &text, &len);
	json_object_put(counters);
	if (r < 0)
		return EXIT_FAILURE;
	fwrite(text, 1, len, stdout);
	return EXIT_SUCCESS;
}
#endif

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "agent") == 0)
		return agent();
#ifdef ENABLE_HOST
	if (argc == 2 && strcmp(argv[1], "host") == 0)
		return host();
#endif
	fprintf(stderr, "usage: metrics-sample agent|host\n");
	return 2;
}
