// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"
#include "nd.h"
#include "pending.h"
#include "plan.h"
#include "policy.h"
#include "size.h"
#include "suites.h"

#define REGION_SIZE UINT64_C(2147352576) /* a 2 GiB QEMU vNVDIMM with a 128 KiB label */
/* x86-64's page sizes, which these tests plan for unless they say otherwise */
static const struct mm_geometry x86 = { .page_size = 4096, .pmd_size = SZ_2M };

static char *dimms0[] = { "nmem0", NULL };

static struct ns_state raw_ns = {
	.devname = "namespace0.0", .name = "", .mode = NS_MODE_RAW, .enabled = true,
	.size = REGION_SIZE, .blockdev = "/dev/pmem0",
};

static struct region_state fresh_region(void)
{
	struct region_state r = {
		.devname = "region0", .id = 0, .size = REGION_SIZE, .available = 0, .align = SZ_16M,
		.ways = 1, .enabled = true, .labelled = false, .label_capable = true, .dimms = dimms0,
		.namespaces = &raw_ns, .n_namespaces = 1,
	};
	return r;
}

static struct region_state labelled_region(uint64_t available, struct ns_state *ns, size_t n)
{
	struct region_state r = fresh_region();

	r.labelled = true;
	r.available = available;
	r.namespaces = ns;
	r.n_namespaces = n;
	return r;
}

static struct policy parse(const char *text)
{
	struct policy p = { .builtin = true };
	struct errlist errors = { 0 };

	ck_assert_int_eq(policy_merge_text(&p, "t.json", text, &errors), 0);
	if (p.builtin && !p.n_namespaces)
		ck_assert_int_eq(policy_set_builtin(&p), 0);
	return p;
}

static struct plan build_on(struct policy *p, struct region_state *regions, size_t n, const struct mm_geometry *mm)
{
	struct inventory inv = { .regions = regions, .n_regions = n };
	struct plan plan;

	ck_assert_int_eq(plan_build(p, &inv, NULL, mm, &plan), 0);
	return plan;
}

static struct plan build(struct policy *p, struct region_state *regions, size_t n)
{
	return build_on(p, regions, n, &x86);
}

START_TEST(test_fresh_default)
{
	struct region_state r = fresh_region();
	struct policy p = parse("{}");
	struct plan plan = build(&p, &r, 1);
	struct plan_region *pr = &plan.regions[0];

	ck_assert_ptr_null(pr->error);
	ck_assert(pr->init_labels);
	ck_assert_uint_eq(pr->n_ns, 1);
	ck_assert_str_eq(pr->ns[0].name, "pmem0");
	ck_assert_str_eq(pr->ns[0].mountpoint, "/mnt/pmem0");
	ck_assert_ptr_null(pr->ns[0].existing);
	/* the whole region, rounded down to the 16 MiB region alignment */
	ck_assert_uint_eq(pr->ns[0].size, align_down(REGION_SIZE, SZ_16M));
	ck_assert_uint_eq(pr->ns[0].align, SZ_2M);
	ck_assert_int_eq(pr->ns[0].fs, FS_ACTION_MKFS);
	ck_assert(pr->ns[0].mount);
	ck_assert(!plan_has_failures(&plan));
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

/* A papr_scm region as a pseries guest sees it: 2 GiB at 256 MiB, 16 MiB region alignment */
static struct region_state power_region(uint64_t page, uint64_t pmd)
{
	struct region_state r = labelled_region(UINT64_C(2) << 30, NULL, 0);

	r.resource = UINT64_C(0x40000000) + (UINT64_C(256) << 20);
	/* the kernel lists the page size, and the PMD size when it has one */
	r.fsdax_aligns[0] = r.devdax_aligns[0] = page;
	r.fsdax_aligns[1] = r.devdax_aligns[1] = pmd;
	r.n_fsdax_aligns = r.n_devdax_aligns = pmd ? 2 : 1;
	return r;
}

START_TEST(test_power_default_align)
{
	static const struct mm_geometry radix = { .page_size = 65536, .pmd_size = SZ_2M };
	static const struct mm_geometry hash16m = { .page_size = 65536, .pmd_size = SZ_16M, .dax_start_align = SZ_16M };
	static const struct mm_geometry hash = { .page_size = 65536, .pmd_size = 0 };
	struct policy p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 0},"
				" {\"name\": \"b\", \"region\": 0, \"mode\": \"devdax\", \"size\": \"100M\"}]}");
	struct region_state r;
	struct plan plan;

	/* radix: as on x86 */
	r = power_region(65536, SZ_2M);
	plan = build_on(&p, &r, 1, &radix);
	ck_assert_ptr_null(plan.regions[0].error);
	ck_assert_uint_eq(plan.regions[0].ns[0].align, SZ_2M);
	ck_assert_uint_eq(plan.regions[0].ns[1].align, SZ_2M);
	plan_clear(&plan);

	/* hash with 16 MiB pages: 16 MiB, as "ndctl create-namespace" picks there */
	r = power_region(65536, SZ_16M);
	plan = build_on(&p, &r, 1, &hash16m);
	ck_assert_ptr_null(plan.regions[0].error);
	ck_assert_uint_eq(plan.regions[0].ns[0].align, SZ_16M);
	ck_assert_uint_eq(plan.regions[0].ns[1].align, SZ_16M);
	/* sizes in 16 MiB units: 100M becomes 112M */
	ck_assert_uint_eq(plan.regions[0].ns[1].size, UINT64_C(112) << 20);
	plan_clear(&plan);

	/* hash without them: no PMD size, namespaces align to the page */
	r = power_region(65536, 0);
	plan = build_on(&p, &r, 1, &hash);
	ck_assert_ptr_null(plan.regions[0].error);
	ck_assert_uint_eq(plan.regions[0].ns[0].align, 65536);
	ck_assert_uint_eq(plan.regions[0].ns[1].align, 65536);
	ck_assert(!plan_has_failures(&plan));
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_power_align_refused_with_choices)
{
	static const struct mm_geometry hash16m = { .page_size = 65536, .pmd_size = SZ_16M, .dax_start_align = SZ_16M };
	struct policy p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"align\": \"2M\"}]}");
	struct region_state r = power_region(65536, SZ_16M);
	struct plan plan = build_on(&p, &r, 1, &hash16m);

	ck_assert_msg(plan.regions[0].error && strstr(plan.regions[0].error,
						      "region0 does not support align 2M for fsdax namespaces "
						      "(\"a\"): it can do 64K, 16M"),
		      "%s", plan.regions[0].error ? plan.regions[0].error : "(no error)");
	plan_clear(&plan);
	policy_clear(&p);

	/* what it can do is taken */
	p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"align\": \"64K\"}]}");
	plan = build_on(&p, &r, 1, &hash16m);
	ck_assert_ptr_null(plan.regions[0].error);
	ck_assert_uint_eq(plan.regions[0].ns[0].align, 65536);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_power_hash_start_alignment)
{
	static const struct mm_geometry hash16m = { .page_size = 65536, .pmd_size = SZ_16M, .dax_start_align = SZ_16M };
	static const struct mm_geometry hash = { .page_size = 65536, .pmd_size = 0 };
	struct policy p = parse("{}");
	struct region_state r = power_region(65536, SZ_16M);
	struct plan plan;

	/* 2 MiB aligned is not enough where the linear map is in 16 MiB pages */
	r.resource += SZ_2M;
	plan = build_on(&p, &r, 1, &hash16m);
	ck_assert_msg(plan.regions[0].error && strstr(plan.regions[0].error, "which is not 16 MiB aligned"), "%s",
		      plan.regions[0].error ? plan.regions[0].error : "(no error)");
	ck_assert(strstr(plan.regions[0].error, "memory-backend-file align=16M"));
	plan_clear(&plan);
	/* without 16 MiB pages the memory-hotplug subsection, 2 MiB, is what counts */
	r = power_region(65536, 0);
	r.resource += SZ_2M;
	plan = build_on(&p, &r, 1, &hash);
	ck_assert_ptr_null(plan.regions[0].error);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_sizes_round_up_and_rest_down)
{
	struct region_state r = labelled_region(REGION_SIZE, NULL, 0);
	struct policy p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"size\": \"1000M\"},"
				" {\"name\": \"b\", \"region\": 0, \"mode\": \"devdax\"}]}");
	struct plan plan = build(&p, &r, 1);
	struct plan_region *pr = &plan.regions[0];

	ck_assert_ptr_null(pr->error);
	ck_assert(!pr->init_labels);
	ck_assert_uint_eq(pr->ns[0].size, UINT64_C(1008) << 20); /* up to 16 MiB */
	ck_assert_uint_eq(pr->ns[1].size, align_down(REGION_SIZE - (UINT64_C(1008) << 20), SZ_16M));
	ck_assert_int_eq(pr->ns[1].fs, FS_ACTION_NONE);
	ck_assert(!pr->ns[1].mount);
	plan_clear(&plan);
	policy_clear(&p);

	/* the entry that takes the rest need not be the last (tests/fuzz found a use after free there) */
	p = parse("{\"namespaces\": [{\"name\": \"b\", \"region\": 0, \"mode\": \"devdax\"},"
		  " {\"name\": \"a\", \"region\": 0, \"size\": \"1000M\"}, {\"name\": \"c\", \"region\": 0, \"size\": \"16M\", \"mode\": \"devdax\"}]}");
	plan = build(&p, &r, 1);
	pr = &plan.regions[0];
	ck_assert_ptr_null(pr->error);
	ck_assert_uint_eq(pr->n_ns, 3);
	ck_assert_str_eq(pr->ns[0].name, "b");
	ck_assert_uint_eq(pr->ns[0].size, align_down(REGION_SIZE - (UINT64_C(1008) << 20) - SZ_16M, SZ_16M));
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_does_not_fit)
{
	struct region_state r = labelled_region(REGION_SIZE, NULL, 0);
	struct policy p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"size\": \"1G\"},"
				" {\"name\": \"b\", \"region\": 0, \"size\": \"1G\"}]}");
	struct plan plan = build(&p, &r, 1);

	ck_assert_ptr_nonnull(plan.regions[0].error);
	ck_assert(strstr(plan.regions[0].error, "region0"));
	ck_assert(strstr(plan.regions[0].error, "asks for 2.00 GiB (2147483648 bytes)"));
	ck_assert(strstr(plan.regions[0].error, "only 2.00 GiB (2147352576 bytes) is free"));
	ck_assert(plan_has_failures(&plan));
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

/* A region whose capacity someone else's namespaces hold: the built-in policy leaves it, without failing */
START_TEST(test_builtin_leaves_held_region)
{
	struct ns_state ns = {
		.devname = "namespace0.0", .name = "", .uuid = "0f6bb0a4-6a8c-4a67-8e6b-1a2b3c4d5e6f",
		.mode = NS_MODE_FSDAX, .enabled = true, .size = REGION_SIZE, .blockdev = "/dev/pmem0",
		.fstype = "xfs", .contents = "a mounted xfs filesystem", .mountpoint = "/srv/by-hand",
	};
	struct region_state r = labelled_region(0, &ns, 1);
	struct policy p = parse("{}");
	struct plan plan = build(&p, &r, 1);

	ck_assert_ptr_null(plan.regions[0].error);
	ck_assert_ptr_nonnull(plan.regions[0].skipped);
	ck_assert(strstr(plan.regions[0].skipped, "region0: its capacity is held by namespaces the built-in policy"));
	ck_assert_uint_eq(plan.regions[0].n_ns, 0);
	ck_assert(!plan_has_failures(&plan));
	plan_clear(&plan);
	policy_clear(&p);

	/* a policy someone wrote that asks for a namespace there is not met: that fails */
	p = parse("{\"namespaces\": [{\"name\": \"data\"}]}");
	plan = build(&p, &r, 1);
	ck_assert_ptr_null(plan.regions[0].skipped);
	ck_assert_ptr_nonnull(plan.regions[0].error);
	ck_assert(plan_has_failures(&plan));
	plan_clear(&plan);
	policy_clear(&p);

	/* an empty labelled region is provisioned by the built-in policy as before */
	r = labelled_region(REGION_SIZE, NULL, 0);
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert_ptr_null(plan.regions[0].skipped);
	ck_assert_uint_eq(plan.regions[0].n_ns, 1);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_xfs_too_small)
{
	struct region_state r = labelled_region(REGION_SIZE, NULL, 0);
	struct policy p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"size\": \"256M\"}]}");
	struct plan plan = build(&p, &r, 1);

	ck_assert_ptr_nonnull(plan.regions[0].error);
	ck_assert(strstr(plan.regions[0].error, "too small for xfs"));
	plan_clear(&plan);
	policy_clear(&p);

	p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"size\": \"256M\", \"filesystem\": \"ext4\"}]}");
	plan = build(&p, &r, 1);
	ck_assert_ptr_null(plan.regions[0].error);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_rerun_keeps_everything)
{
	struct ns_state ns = {
		.devname = "namespace0.0", .name = "pmem0", .mode = NS_MODE_FSDAX, .enabled = true,
		.size = UINT64_C(2136997888), .blockdev = "/dev/pmem0", .fstype = "xfs", .contents = "a mounted xfs filesystem",
		.mountpoint = "/mnt/pmem0", .dax = 1,
	};
	struct region_state r = labelled_region(0, &ns, 1);
	struct policy p = parse("{}");
	struct plan plan = build(&p, &r, 1);
	struct plan_region *pr = &plan.regions[0];

	ck_assert_ptr_null(pr->error);
	ck_assert(!pr->init_labels);
	ck_assert_ptr_eq(pr->ns[0].existing, &ns);
	ck_assert_int_eq(pr->ns[0].fs, FS_ACTION_KEEP);
	ck_assert(!pr->ns[0].mount);
	ck_assert(!plan_has_failures(&plan));
	plan_clear(&plan);

	/* after a reboot: there, not mounted */
	ns.mountpoint = NULL;
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_KEEP);
	ck_assert(plan.regions[0].ns[0].mount);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_existing_conflicts)
{
	struct ns_state ns = {
		.devname = "namespace0.0", .name = "pmem0", .mode = NS_MODE_FSDAX, .enabled = true,
		.size = SZ_1G, .blockdev = "/dev/pmem0", .fstype = "ext4", .contents = "an ext4 signature",
	};
	struct region_state r = labelled_region(SZ_1G, &ns, 1);
	struct policy p = parse("{}");
	struct plan plan = build(&p, &r, 1);

	/* another filesystem: refused, never reformatted */
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_REFUSE);
	ck_assert(strstr(plan.regions[0].ns[0].problem, "holds an ext4 signature; the policy asks for xfs"));
	ck_assert(plan_has_failures(&plan));
	plan_clear(&plan);
	policy_clear(&p);

	/* unless overwrite */
	p = parse("{\"overwrite\": true}");
	ck_assert_int_eq(policy_set_builtin(&p), 0);
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_MKFS);
	ck_assert_ptr_null(plan.regions[0].ns[0].problem);
	plan_clear(&plan);
	policy_clear(&p);

	/* data without a signature is data too */
	ns.fstype = NULL;
	ns.contents = "non-zero bytes in its first MiB (at offset 512)";
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_REFUSE);
	ck_assert(strstr(plan.regions[0].ns[0].problem, "holds non-zero bytes"));
	plan_clear(&plan);
	policy_clear(&p);

	/* an empty namespace gets its filesystem */
	ns.contents = NULL;
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_MKFS);
	plan_clear(&plan);
	policy_clear(&p);

	/* the wrong mode is left alone */
	ns.mode = NS_MODE_DEVDAX;
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert(strstr(plan.regions[0].ns[0].problem, "exists in devdax mode"));
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_labelless_with_data)
{
	struct ns_state raw = raw_ns;
	struct region_state r = fresh_region();
	struct policy p;
	struct plan plan;

	r.namespaces = &raw;

	/* a filesystem the policy asks for: kept, mounted, labels untouched */
	raw.fstype = "xfs";
	raw.contents = "an xfs signature";
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert(!plan.regions[0].init_labels);
	ck_assert_ptr_null(plan.regions[0].error);
	ck_assert_uint_eq(plan.regions[0].n_ns, 1);
	ck_assert_ptr_eq(plan.regions[0].ns[0].existing, &raw);
	ck_assert(!plan.regions[0].ns[0].reconfigure);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_KEEP);
	ck_assert(plan.regions[0].ns[0].mount);
	ck_assert_str_eq(plan.regions[0].ns[0].mountpoint, "/mnt/pmem0");
	plan_clear(&plan);
	policy_clear(&p);

	/* a filesystem nobody asked for: kept, reported */
	raw.fstype = "ext4";
	raw.contents = "an ext4 signature";
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert(!plan.regions[0].init_labels);
	ck_assert(strstr(plan.regions[0].error, "holds an ext4 signature: left as it is"));
	ck_assert(plan_has_failures(&plan));
	plan_clear(&plan);
	policy_clear(&p);

	/* unknown data, or a device that cannot be read: kept, reported */
	raw.fstype = NULL;
	raw.contents = "a read error in its first MiB: Input/output error";
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert(!plan.regions[0].init_labels);
	ck_assert(strstr(plan.regions[0].error, "a read error in its first MiB"));
	plan_clear(&plan);
	policy_clear(&p);

	/* overwrite: labels are initialised over it */
	p = parse("{\"overwrite\": true}");
	ck_assert_int_eq(policy_set_builtin(&p), 0);
	plan = build(&p, &r, 1);
	ck_assert(plan.regions[0].init_labels);
	ck_assert_ptr_null(plan.regions[0].error);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

/* The data loss this guard exists for: a label-less devdax personality holding data on a label-capable DIMM. */
START_TEST(test_labelless_personality_is_data)
{
	struct ns_state ns = {
		.devname = "namespace0.0", .name = "", .mode = NS_MODE_DEVDAX, .enabled = true,
		.size = REGION_SIZE, .chardev = "/dev/dax0.0",
	};
	struct region_state r = fresh_region();
	struct policy p;
	struct plan plan;

	r.namespaces = &ns;
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert(!plan.regions[0].init_labels);
	ck_assert_ptr_nonnull(plan.regions[0].error);
	ck_assert(strstr(plan.regions[0].error, "namespace0.0 is a devdax namespace, the policy asks for fsdax"));
	ck_assert(plan_has_failures(&plan));
	plan_clear(&plan);
	policy_clear(&p);

	/* the policy asks for what is there: kept as it is, no labels */
	p = parse("{\"namespaces\": [{\"name\": \"fast\", \"mode\": \"devdax\"}]}");
	plan = build(&p, &r, 1);
	ck_assert(!plan.regions[0].init_labels);
	ck_assert_ptr_null(plan.regions[0].error);
	ck_assert_ptr_eq(plan.regions[0].ns[0].existing, &ns);
	ck_assert(!plan.regions[0].ns[0].reconfigure);
	plan_clear(&plan);
	policy_clear(&p);

	/* so with overwrite too: what the policy asks for is never destroyed */
	p = parse("{\"overwrite\": true, \"namespaces\": [{\"name\": \"fast\", \"mode\": \"devdax\"}]}");
	plan = build(&p, &r, 1);
	ck_assert(!plan.regions[0].init_labels);
	ck_assert(!plan.regions[0].ns[0].reconfigure);
	plan_clear(&plan);
	policy_clear(&p);

	/* a sector namespace is never re-labelled without overwrite */
	ns.mode = NS_MODE_SECTOR;
	ns.chardev = NULL;
	ns.blockdev = "/dev/pmem0s";
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert(!plan.regions[0].init_labels);
	ck_assert(strstr(plan.regions[0].error, "is a sector namespace"));
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

/* without a label area the region is the whole device: a multiple of the 16 MiB region alignment */
#define LABEL_LESS_SIZE (UINT64_C(2) << 30)

static struct region_state label_less_region(enum region_kind kind, struct ns_state *ns)
{
	struct region_state r = fresh_region();

	ns->size = LABEL_LESS_SIZE;
	r.size = LABEL_LESS_SIZE;
	r.kind = kind;
	r.label_capable = false;
	r.dimms = kind == REGION_NFIT ? dimms0 : NULL;
	r.async = kind == REGION_VIRTIO;
	r.namespaces = ns;
	return r;
}

START_TEST(test_label_less_shapes)
{
	static const enum region_kind kinds[] = { REGION_NFIT, REGION_VIRTIO, REGION_E820 };

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct ns_state raw = raw_ns;
		struct region_state r = label_less_region(kinds[k], &raw);
		struct policy p = parse("{}");
		struct plan plan = build(&p, &r, 1);
		struct plan_ns *pn = &plan.regions[0].ns[0];

		/* fresh: the one namespace gets the fsdax personality, then xfs */
		ck_assert_ptr_null(plan.regions[0].error);
		ck_assert(!plan.regions[0].init_labels);
		ck_assert_ptr_eq(pn->existing, &raw);
		ck_assert(pn->reconfigure);
		ck_assert_uint_eq(pn->size, LABEL_LESS_SIZE);
		ck_assert_int_eq(pn->fs, FS_ACTION_MKFS);
		ck_assert(pn->mount);
		plan_clear(&plan);

		/* reconfigured: recognised by its mode, nothing to do but mount */
		raw.mode = NS_MODE_FSDAX;
		raw.fstype = "xfs";
		raw.contents = "an xfs signature";
		plan = build(&p, &r, 1);
		pn = &plan.regions[0].ns[0];
		ck_assert(!pn->reconfigure);
		ck_assert_int_eq(pn->fs, FS_ACTION_KEEP);
		ck_assert(pn->mount);
		plan_clear(&plan);
		policy_clear(&p);

		/* one namespace over the whole region: a second entry or a smaller size is refused */
		raw = raw_ns;
		raw.size = LABEL_LESS_SIZE;
		p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"filesystem\": \"ext4\"},"
			  " {\"name\": \"b\", \"region\": 0, \"filesystem\": \"ext4\", \"size\": \"64M\"}]}");
		plan = build(&p, &r, 1);
		ck_assert(strstr(plan.regions[0].error, "is label-less: one namespace over the whole region, but the "
							"policy has 2 entries"));
		plan_clear(&plan);
		policy_clear(&p);
		p = parse("{\"namespaces\": [{\"name\": \"a\", \"size\": \"1G\"}]}");
		plan = build(&p, &r, 1);
		ck_assert(strstr(plan.regions[0].error, "one namespace over the whole region (2.00 GiB)"));
		plan_clear(&plan);
		policy_clear(&p);

		/* sector: a btt over the whole region, mounted without DAX (not on virtio-pmem, see below) */
		if (kinds[k] == REGION_VIRTIO)
			continue;
		p = parse("{\"namespaces\": [{\"name\": \"journal\", \"mode\": \"sector\", \"sector_size\": 512,"
			  " \"filesystem\": \"ext4\"}]}");
		plan = build(&p, &r, 1);
		pn = &plan.regions[0].ns[0];
		ck_assert_ptr_null(plan.regions[0].error);
		ck_assert(pn->reconfigure);
		ck_assert_uint_eq(pn->align, 0);
		ck_assert_int_eq(pn->fs, FS_ACTION_MKFS);
		ck_assert_str_eq(pn->mountpoint, "/mnt/journal0");
		plan_clear(&plan);
		policy_clear(&p);

		/* a device that is not a whole number of region alignments cannot be given a mode */
		raw.size = r.size = LABEL_LESS_SIZE - SZ_2M;
		p = parse("{}");
		plan = build(&p, &r, 1);
		ck_assert(strstr(plan.regions[0].error, "not a multiple of the region alignment (16M)"));
		plan_clear(&plan);
		policy_clear(&p);
	}
}
END_TEST

START_TEST(test_virtio_pmem)
{
	struct ns_state raw = raw_ns;
	struct region_state r = label_less_region(REGION_VIRTIO, &raw);
	struct policy p;
	struct plan plan;

	/* asynchronous: devdax and system RAM are refused, with the reason */
	p = parse("{\"namespaces\": [{\"name\": \"fast\", \"mode\": \"devdax\"}]}");
	plan = build(&p, &r, 1);
	ck_assert(strstr(plan.regions[0].error, "is virtio-pmem, which is asynchronous"));
	ck_assert_uint_eq(plan.regions[0].n_ns, 0);
	plan_clear(&plan);
	policy_clear(&p);

	/* and sector mode, whose BTT cannot wait for the host's flush */
	p = parse("{\"namespaces\": [{\"name\": \"log\", \"mode\": \"sector\"}]}");
	plan = build(&p, &r, 1);
	ck_assert(strstr(plan.regions[0].error, "cannot be a sector namespace there"));
	plan_clear(&plan);
	policy_clear(&p);

	/* a filesystem made on the raw device by hand: the kernel maps its pages, so it is kept and mounted */
	raw.fstype = "ext4";
	raw.contents = "an ext4 signature";
	p = parse("{\"overwrite\": true, \"namespaces\": [{\"name\": \"data\", \"filesystem\": \"ext4\"}]}");
	plan = build(&p, &r, 1);
	ck_assert_ptr_null(plan.regions[0].error);
	ck_assert(!plan.regions[0].ns[0].reconfigure);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_KEEP);
	ck_assert(plan.regions[0].ns[0].mount);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_overwrite_keeps_asked_filesystem)
{
	struct ns_state ns = {
		.devname = "namespace0.0", .name = "pmem0", .mode = NS_MODE_FSDAX, .enabled = true,
		.size = SZ_1G, .blockdev = "/dev/pmem0", .fstype = "ambiguous", .signatures = "xfs,ext4",
		.contents = "several signatures (xfs,ext4)",
	};
	struct region_state r = labelled_region(SZ_1G, &ns, 1);
	struct policy p = parse("{\"overwrite\": true}");
	struct plan plan;

	ck_assert_int_eq(policy_set_builtin(&p), 0);
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_KEEP);
	plan_clear(&plan);

	ns.fstype = "xfs";
	ns.signatures = "xfs";
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_KEEP);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_region_selection_and_names)
{
	static char *dimms1[] = { "nmem1", NULL };
	struct region_state r[2] = { labelled_region(REGION_SIZE, NULL, 0), labelled_region(REGION_SIZE, NULL, 0) };
	struct policy p = parse("{\"namespaces\": [{\"name\": \"db\", \"size\": \"1G\", \"mountpoint\": \"/srv/db\"},"
				" {\"name\": \"only1\", \"region\": 1, \"mode\": \"devdax\"}]}");
	struct inventory inv = { .regions = r, .n_regions = 2 };
	bool selected[2] = { false, true };
	struct plan plan;

	r[1].devname = "region1";
	r[1].id = 1;
	r[1].dimms = dimms1;
	plan = build(&p, r, 2);
	ck_assert_uint_eq(plan.n_regions, 2);
	ck_assert_uint_eq(plan.regions[0].n_ns, 1);
	ck_assert_str_eq(plan.regions[0].ns[0].name, "db0");
	ck_assert_str_eq(plan.regions[0].ns[0].mountpoint, "/srv/db0");
	ck_assert_uint_eq(plan.regions[1].n_ns, 2);
	ck_assert_str_eq(plan.regions[1].ns[0].name, "db1");
	ck_assert_str_eq(plan.regions[1].ns[1].name, "only1");
	plan_clear(&plan);

	ck_assert_int_eq(plan_build(&p, &inv, selected, &x86, &plan), 0);
	ck_assert_uint_eq(plan.n_regions, 1);
	ck_assert_str_eq(plan.regions[0].region->devname, "region1");
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_unsupported_align)
{
	struct region_state r = labelled_region(REGION_SIZE, NULL, 0);
	struct policy p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 0, \"mode\": \"devdax\", \"align\": \"1G\"}]}");
	struct plan plan;

	r.devdax_aligns[0] = 4096;
	r.devdax_aligns[1] = SZ_2M;
	r.n_devdax_aligns = 2;
	plan = build(&p, &r, 1);
	ck_assert(strstr(plan.regions[0].error, "does not support align 1G"));
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_misaligned_region)
{
	/* a second vNVDIMM placed right after a first whose region is 1 GiB - 128 KiB */
	struct region_state r = fresh_region();
	struct policy p = parse("{}");
	struct plan plan;

	r.resource = UINT64_C(0x13ffe0000);
	plan = build(&p, &r, 1);
	ck_assert(strstr(plan.regions[0].error, "region0 starts at 0x13ffe0000, which is not 2 MiB aligned"));
	/* refused before anything: not even labels */
	ck_assert(!plan.regions[0].init_labels);
	ck_assert(plan_has_failures(&plan));
	plan_clear(&plan);

	r.resource = UINT64_C(0x140000000);
	plan = build(&p, &r, 1);
	ck_assert_ptr_null(plan.regions[0].error);
	ck_assert(plan.regions[0].init_labels);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

START_TEST(test_unit)
{
	struct region_state r = labelled_region(0, NULL, 0);

	ck_assert_uint_eq(plan_size_unit(&r, SZ_2M), SZ_16M);
	r.align = 0;
	ck_assert_uint_eq(plan_size_unit(&r, SZ_2M), SZ_2M);
	r.ways = 4;
	ck_assert_uint_eq(plan_size_unit(&r, SZ_2M), 4 * SZ_2M);
}
END_TEST

START_TEST(test_untouched_regions)
{
	struct region_state r = fresh_region();
	struct policy p = parse("{\"namespaces\": [{\"name\": \"a\", \"region\": 5}]}");
	struct plan plan = build(&p, &r, 1);

	/* no entry for region0: no labels, nothing */
	ck_assert(!plan.regions[0].init_labels);
	ck_assert_uint_eq(plan.regions[0].n_ns, 0);
	ck_assert_ptr_null(plan.regions[0].error);
	plan_clear(&plan);
	policy_clear(&p);

	r.readonly = true;
	p = parse("{}");
	plan = build(&p, &r, 1);
	ck_assert(strstr(plan.regions[0].error, "read-only"));
	ck_assert(!plan.regions[0].init_labels);
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

/*
 * After a crash part way through a first provisioning: the record of the
 * agent's own mkfs lets it make the filesystem again; without it, or on a
 * device with a finished filesystem, it is data.
 */
static char pending_dir[] = "/tmp/vpmem-pending-XXXXXX";

START_TEST(test_mkfs_cut_short)
{
	static struct ns_state ns = {
		.devname = "namespace0.0", .name = "pmem0", .mode = NS_MODE_FSDAX, .enabled = true,
		.size = REGION_SIZE, .blockdev = "/dev/pmem0", .claim_uuid = "8d1f1b9e-5b3c-4f6e-9a4a-2c1d0e9f7a61",
		.contents = "non-zero bytes in its first MiB (at offset 4096)",
	};
	struct region_state r = labelled_region(0, &ns, 1);
	struct policy p = parse("{}");
	struct plan plan;
	char *argv[] = { "rm", "-rf", pending_dir, NULL };

	static char device[64];
	int fd;

	strcpy(pending_dir, "/tmp/vpmem-pending-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(pending_dir));
	mkfs_pending_set_dir(pending_dir);
	/* the "device": a file of the namespace's size, which the record binds to */
	snprintf(device, sizeof(device), "%s/pmem0", pending_dir);
	fd = open(device, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
	ns.blockdev = device;

	/* no record: refused, and it says what to run */
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_REFUSE);
	ck_assert_ptr_nonnull(strstr(plan.regions[0].ns[0].problem, "vpmem-agent apply --overwrite region0"));
	plan_clear(&plan);

	/* the record of an ext4 mkfs does not make xfs */
	ck_assert_int_eq(mkfs_pending_begin(ns.claim_uuid, "ext4", device), 0);
	ck_assert_int_eq(mkfs_pending_find(ns.claim_uuid, "xfs", device, NULL), -ESTALE);
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_REFUSE);
	plan_clear(&plan);

	/* the record of this very mkfs: made again */
	ck_assert_int_eq(mkfs_pending_begin(ns.claim_uuid, "xfs", device), 0);
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_MKFS);
	ck_assert_ptr_nonnull(strstr(plan.regions[0].ns[0].mkfs_again, "mkfs.xfs on "));
	ck_assert_ptr_nonnull(strstr(plan.regions[0].ns[0].mkfs_again, "/pmem0 started "));
	ck_assert(!plan_has_failures(&plan));
	plan_clear(&plan);

	/* the same uuid on a device of another size is another device: the record does not hold */
	ck_assert_int_eq(ftruncate(fd, 32 << 20), 0);
	ck_assert_int_eq(mkfs_pending_find(ns.claim_uuid, "xfs", device, NULL), -ESTALE);
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_REFUSE);
	plan_clear(&plan);
	ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
	close(fd);

	/* another device (another info block) with the same bytes: data */
	ns.claim_uuid = "0d5c6e1a-2f3b-4c4d-8e5f-6a7b8c9d0e1f";
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_REFUSE);
	plan_clear(&plan);
	ns.claim_uuid = "8d1f1b9e-5b3c-4f6e-9a4a-2c1d0e9f7a61";

	/* a finished filesystem is never made again, record or not */
	ns.fstype = "ext4";
	ns.contents = "an ext4 signature";
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_REFUSE);
	plan_clear(&plan);
	ns.fstype = "xfs";
	ns.signatures = "xfs";
	ns.contents = "an xfs signature";
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_KEEP);
	ck_assert_ptr_null(plan.regions[0].ns[0].mkfs_again);
	plan_clear(&plan);

	/* gone once mkfs finished */
	ns.fstype = NULL;
	ns.signatures = NULL;
	ns.contents = "non-zero bytes in its first MiB (at offset 4096)";
	ck_assert_int_eq(mkfs_pending_end(ns.claim_uuid), 0);
	ck_assert_int_eq(mkfs_pending_find(ns.claim_uuid, "xfs", device, NULL), 0);
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_REFUSE);
	plan_clear(&plan);
	/* no record, but the namespace's marked name (nd.h): the agent's own mkfs, made again */
	ns.name = "pmem0:mkfs";
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_MKFS);
	ck_assert_ptr_eq(plan.regions[0].ns[0].existing, &ns);
	ck_assert_ptr_nonnull(strstr(plan.regions[0].ns[0].mkfs_again, "(\"pmem0:mkfs\") says was under way"));
	plan_clear(&plan);
	/* a finished filesystem under the marked name is kept (and renamed at apply) */
	ns.fstype = "xfs";
	ns.signatures = "xfs";
	ns.contents = "an xfs signature";
	plan = build(&p, &r, 1);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_KEEP);
	plan_clear(&plan);
	ns.fstype = NULL;
	ns.signatures = NULL;
	ns.contents = "non-zero bytes in its first MiB (at offset 4096)";
	/* another entry's mark is not this one's */
	ns.name = "pmem01:mkfs";
	ck_assert(!nd_is_mkfs_marker(ns.name, "pmem0"));
	ck_assert(nd_is_mkfs_marker("pmem0:mkfs", "pmem0"));
	ck_assert(!nd_is_mkfs_marker("pmem0", "pmem0"));
	ck_assert(!nd_is_mkfs_marker(NULL, "pmem0"));
	ns.name = "pmem0";
	{
		char marked[ND_NAME_MAX + 1];
		char long_name[60];

		ck_assert(nd_mkfs_marker("data", marked));
		ck_assert_str_eq(marked, "data:mkfs");
		memset(long_name, 'a', 59);
		long_name[59] = '\0';
		ck_assert(!nd_mkfs_marker(long_name, marked));
		long_name[58] = '\0';
		ck_assert(nd_mkfs_marker(long_name, marked));
	}

	/* a name that is no uuid never becomes a path */
	ck_assert_int_eq(mkfs_pending_begin("../../etc/passwd", "xfs", device), -EINVAL);

	policy_clear(&p);
	exec_wait(argv, NULL);
}
END_TEST

/* a labelled namespace whose power went between its label and its info block */
START_TEST(test_labelled_raw_namespace)
{
	static struct ns_state ns = {
		.devname = "namespace0.0", .name = "pmem0", .mode = NS_MODE_RAW, .enabled = true,
		.size = REGION_SIZE, .blockdev = "/dev/pmem0",
	};
	struct region_state r = labelled_region(0, &ns, 1);
	struct policy p = parse("{}");
	struct plan plan = build(&p, &r, 1);

	/* provably empty: given its mode */
	ck_assert_ptr_null(plan.regions[0].ns[0].problem);
	ck_assert(plan.regions[0].ns[0].reconfigure);
	ck_assert_int_eq(plan.regions[0].ns[0].fs, FS_ACTION_MKFS);
	ck_assert(plan.regions[0].ns[0].mount);
	plan_clear(&plan);

	/* anything on it: someone's raw namespace, left as it is */
	ns.contents = "non-zero bytes in its first MiB (at offset 0)";
	plan = build(&p, &r, 1);
	ck_assert(!plan.regions[0].ns[0].reconfigure);
	ck_assert_ptr_nonnull(strstr(plan.regions[0].ns[0].problem, "exists in raw mode and holds non-zero bytes"));
	plan_clear(&plan);
	policy_clear(&p);
}
END_TEST

Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fresh_default);
	tcase_add_test(tc, test_power_default_align);
	tcase_add_test(tc, test_power_align_refused_with_choices);
	tcase_add_test(tc, test_power_hash_start_alignment);
	tcase_add_test(tc, test_sizes_round_up_and_rest_down);
	tcase_add_test(tc, test_does_not_fit);
	tcase_add_test(tc, test_builtin_leaves_held_region);
	tcase_add_test(tc, test_xfs_too_small);
	tcase_add_test(tc, test_rerun_keeps_everything);
	tcase_add_test(tc, test_existing_conflicts);
	tcase_add_test(tc, test_labelless_with_data);
	tcase_add_test(tc, test_labelless_personality_is_data);
	tcase_add_test(tc, test_label_less_shapes);
	tcase_add_test(tc, test_virtio_pmem);
	tcase_add_test(tc, test_overwrite_keeps_asked_filesystem);
	tcase_add_test(tc, test_region_selection_and_names);
	tcase_add_test(tc, test_unsupported_align);
	tcase_add_test(tc, test_misaligned_region);
	tcase_add_test(tc, test_unit);
	tcase_add_test(tc, test_untouched_regions);
	tcase_add_test(tc, test_mkfs_cut_short);
	tcase_add_test(tc, test_labelled_raw_namespace);
	suite_add_tcase(s, tc);
	return s;
}
