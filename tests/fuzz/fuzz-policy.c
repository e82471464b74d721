// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the policy parser and merge, and the planner on what
 * they accept. The input is up to four policy files separated by a line
 * "--", merged in order as /etc/vpmem/vpmem.json and its drop-ins are; an
 * accepted policy is planned against a fixed inventory of every kind of
 * region (fresh, labelled with room, label-less with data, virtio-pmem).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "plan.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct mm_geometry geometries[] = {
	{ .page_size = 4096, .pmd_size = UINT64_C(2) << 20 },
	{ .page_size = 65536, .pmd_size = 0 },
	{ .page_size = 65536, .pmd_size = UINT64_C(16) << 20, .dax_start_align = UINT64_C(16) << 20 },
};

static char *dimms[] = { "nmem0", NULL };

static struct ns_state raw_ns = {
	.devname = "namespace0.0", .name = "", .mode = NS_MODE_RAW, .enabled = true,
	.size = UINT64_C(4) << 30, .blockdev = "/dev/pmem0",
};

static struct ns_state kept_ns = {
	.devname = "namespace1.0", .name = "pmem1", .uuid = "8a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11",
	.mode = NS_MODE_FSDAX, .enabled = true, .size = UINT64_C(1) << 30, .align = UINT64_C(2) << 20,
	.blockdev = "/dev/pmem1", .fstype = "xfs", .contents = "a mounted xfs filesystem", .mountpoint = "/mnt/pmem1",
	.dax = 1,
};

static struct ns_state data_ns = {
	.devname = "namespace2.0", .name = "", .mode = NS_MODE_RAW, .enabled = true,
	.size = UINT64_C(1) << 30, .blockdev = "/dev/pmem2", .fstype = "ext4", .signatures = "ext4",
	.contents = "an ext4 signature",
};

static struct ns_state virtio_ns = {
	.devname = "namespace3.0", .name = "", .mode = NS_MODE_RAW, .enabled = true,
	.size = UINT64_C(1) << 30, .blockdev = "/dev/pmem3",
};

static struct region_state regions[] = {
	{ .devname = "region0", .id = 0, .size = UINT64_C(4) << 30, .align = UINT64_C(16) << 20, .ways = 1,
	  .enabled = true, .label_capable = true, .dimms = dimms, .namespaces = &raw_ns, .n_namespaces = 1,
	  .kind = REGION_NFIT, .resource = UINT64_C(4) << 30,
	  .fsdax_aligns = { 4096, UINT64_C(2) << 20, UINT64_C(1) << 30 }, .n_fsdax_aligns = 3,
	  .devdax_aligns = { 4096, UINT64_C(2) << 20, UINT64_C(1) << 30 }, .n_devdax_aligns = 3 },
	{ .devname = "region1", .id = 1, .size = UINT64_C(4) << 30, .available = UINT64_C(3) << 30,
	  .align = UINT64_C(16) << 20, .ways = 2, .enabled = true, .labelled = true, .label_capable = true,
	  .dimms = dimms, .namespaces = &kept_ns, .n_namespaces = 1, .kind = REGION_NFIT,
	  .resource = UINT64_C(8) << 30 },
	{ .devname = "region2", .id = 2, .size = UINT64_C(1) << 30, .align = UINT64_C(16) << 20, .ways = 1,
	  .enabled = true, .dimms = dimms, .namespaces = &data_ns, .n_namespaces = 1, .kind = REGION_NFIT,
	  .resource = UINT64_C(12) << 30 },
	{ .devname = "region3", .id = 3, .size = UINT64_C(1) << 30, .align = UINT64_C(16) << 20, .ways = 1,
	  .enabled = true, .namespaces = &virtio_ns, .n_namespaces = 1, .kind = REGION_VIRTIO, .async = true,
	  /* off a 2 MiB boundary: no DAX namespace can start there */
	  .resource = (UINT64_C(14) << 30) + (UINT64_C(1) << 20) },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *doc, *next;
	struct policy policy = { .builtin = true };
	struct errlist errors = { 0 };
	bool ok = true;
	int n = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (doc = text; doc && n < 4 && ok; doc = next, n++) {
		char name[32];

		next = strstr(doc, "\n--\n");
		if (next) {
			*next = '\0';
			next += 4;
		}
		snprintf(name, sizeof(name), "fuzz-%d.json", n);
		ok = policy_merge_text(&policy, name, doc, &errors) == 0;
	}
	if (ok && policy.builtin && !policy.n_namespaces)
		ok = policy_set_builtin(&policy) == 0;
	/* planned for x86-64, and for a POWER hash MMU without and with 16 MiB pages */
	for (size_t g = 0; ok && g < sizeof(geometries) / sizeof(geometries[0]); g++) {
		struct inventory inv = { .regions = regions, .n_regions = sizeof(regions) / sizeof(regions[0]) };
		struct plan plan;

		if (plan_build(&policy, &inv, NULL, &geometries[g], &plan) == 0) {
			FILE *null = fopen("/dev/null", "w");

			if (null) {
				plan_print(&plan, null);
				fclose(null);
			}
			plan_clear(&plan);
		}
	}
	errlist_clear(&errors);
	policy_clear(&policy);
	free(text);
	return 0;
}
