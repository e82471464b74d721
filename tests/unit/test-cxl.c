// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CXL: the label storage area as the kernel writes it (cxl-label.h), and
 * the region planner's cases (cxl-plan.h) on devices described by hand.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl-label.h"
#include "cxl-plan.h"
#include "suites.h"

#define LSA_SIZE (256 * 1024)
#define MIB (1024ULL * 1024)

static void put_le(uint8_t *p, uint64_t v, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * A v1.2 label area as the kernel initialises it for 256 KiB (index blocks of
 * 256 bytes, 1022 slots of 256), with labels in the first slots; index 1 is
 * current (seq 2, index 0 seq 1), or only index 0 when one_index.
 */
struct test_label {
	uint8_t uuid_byte;
	uint16_t nlabel, position;
	uint64_t cookie, dpa, rawsize;
};

static void write_index(uint8_t *lsa, unsigned i, uint32_t seq, const struct test_label *labels, size_t n)
{
	uint8_t *idx = lsa + i * 256;
	uint32_t nslot = 1022;

	memset(idx, 0, 256);
	memcpy(idx, CXL_LSA_INDEX_SIG, sizeof(CXL_LSA_INDEX_SIG));
	idx[19] = 1; /* 256-byte labels */
	put_le(idx + 20, seq, 4);
	put_le(idx + 24, i * 256, 8);
	put_le(idx + 32, 256, 8);
	put_le(idx + 40, i ? 0 : 256, 8);
	put_le(idx + 48, 512, 8);
	put_le(idx + 56, nslot, 4);
	put_le(idx + 60, 1, 2);
	put_le(idx + 62, 2, 2);
	/* every slot free, then the labels' taken */
	memset(idx + 72, 0xff, (nslot + 7) / 8);
	for (size_t k = 0; k < n; k++)
		idx[72 + k / 8] &= (uint8_t)~(1u << (k % 8));
	put_le(idx + 64, cxl_lsa_fletcher64(idx, 256), 8);
}

static uint8_t *make_lsa(const struct test_label *labels, size_t n, bool one_index)
{
	uint8_t *lsa = calloc(1, LSA_SIZE);

	ck_assert_ptr_nonnull(lsa);
	for (size_t k = 0; k < n; k++) {
		uint8_t *l = lsa + 512 + k * 256;

		memset(l, labels[k].uuid_byte, 16);
		strcpy((char *)l + 16, "ns");
		put_le(l + 84, labels[k].nlabel, 2);
		put_le(l + 86, labels[k].position, 2);
		put_le(l + 88, labels[k].cookie, 8);
		put_le(l + 104, labels[k].dpa, 8);
		put_le(l + 112, labels[k].rawsize, 8);
		put_le(l + 120, k, 4);
		put_le(l + 248, cxl_lsa_fletcher64(l, 256), 8);
	}
	write_index(lsa, 0, 1, labels, n);
	if (!one_index)
		write_index(lsa, 1, 2, labels, n);
	return lsa;
}

START_TEST(test_cookie)
{
	/* seen in a guest (6.1, QEMU 10.0): serials 1 and 2 at DPA 0, ndctl list -R's iset_id */
	struct cxl_iset_member m[2] = { { 0, 1 }, { 0, 2 } };

	ck_assert_uint_eq(cxl_iset_cookie(m, 2), 0xa00000003ULL);
	/* another order is another set */
	m[0].serial = 2, m[1].serial = 1;
	ck_assert_uint_ne(cxl_iset_cookie(m, 2), 0xa00000003ULL);
}
END_TEST

START_TEST(test_lsa_states)
{
	struct test_label one = { 0xab, 2, 1, 0xa00000003ULL, 0, 512 * MIB };
	uint8_t *lsa = calloc(1, LSA_SIZE);
	struct cxl_lsa p;

	ck_assert_int_eq(cxl_lsa_parse(lsa, LSA_SIZE, &p), 0);
	ck_assert_int_eq(p.state, CXL_LSA_BLANK);

	/* one stray byte is not blank, and no index */
	lsa[4096] = 1;
	ck_assert_int_eq(cxl_lsa_parse(lsa, LSA_SIZE, &p), 0);
	ck_assert_int_eq(p.state, CXL_LSA_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(p.reason, "1 of its 262144 bytes"));
	free(lsa);

	lsa = make_lsa(NULL, 0, false);
	ck_assert_int_eq(cxl_lsa_parse(lsa, LSA_SIZE, &p), 0);
	ck_assert_int_eq(p.state, CXL_LSA_EMPTY);
	free(lsa);

	lsa = make_lsa(&one, 1, false);
	ck_assert_int_eq(cxl_lsa_parse(lsa, LSA_SIZE, &p), 0);
	ck_assert_int_eq(p.state, CXL_LSA_LABELS);
	ck_assert_uint_eq(p.n_labels, 1);
	ck_assert_uint_eq(p.labels[0].nlabel, 2);
	ck_assert_uint_eq(p.labels[0].position, 1);
	ck_assert_uint_eq(p.labels[0].isetcookie, 0xa00000003ULL);
	ck_assert_uint_eq(p.labels[0].rawsize, 512 * MIB);
	ck_assert_str_eq(p.labels[0].name, "ns");
	cxl_lsa_clear(&p);

	/* a label whose checksum is wrong: the whole area is unknown, no partial list */
	lsa[512 + 100] ^= 1;
	ck_assert_int_eq(cxl_lsa_parse(lsa, LSA_SIZE, &p), 0);
	ck_assert_int_eq(p.state, CXL_LSA_UNKNOWN);
	ck_assert_uint_eq(p.n_labels, 0);
	ck_assert_ptr_nonnull(strstr(p.reason, "checksum"));
	free(lsa);

	/* the second index damaged: the first still holds */
	lsa = make_lsa(&one, 1, false);
	lsa[256 + 30] ^= 1;
	ck_assert_int_eq(cxl_lsa_parse(lsa, LSA_SIZE, &p), 0);
	ck_assert_int_eq(p.state, CXL_LSA_LABELS);
	cxl_lsa_clear(&p);
	/* both damaged: unknown */
	lsa[30] ^= 1;
	ck_assert_int_eq(cxl_lsa_parse(lsa, LSA_SIZE, &p), 0);
	ck_assert_int_eq(p.state, CXL_LSA_UNKNOWN);
	free(lsa);

	/* the newer index wins: index 1 (seq 2) frees the label index 0 (seq 1) has */
	lsa = make_lsa(&one, 1, true);
	write_index(lsa, 1, 2, NULL, 0);
	ck_assert_int_eq(cxl_lsa_parse(lsa, LSA_SIZE, &p), 0);
	ck_assert_int_eq(p.state, CXL_LSA_EMPTY);
	free(lsa);
}
END_TEST

/* A device: serial, capacity, and what its label area holds (NULL: blank). */
static void device(struct cxl_memdev_facts *f, unsigned id, uint64_t serial, uint64_t size, const uint8_t *lsa)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->devname, sizeof(f->devname), "mem%u", id);
	f->serial = serial;
	f->pmem_size = size;
	f->lsa_read = true;
	if (lsa)
		ck_assert_int_eq(cxl_lsa_parse(lsa, LSA_SIZE, &f->lsa), 0);
	else
		f->lsa.state = CXL_LSA_BLANK;
}

static void clear_devices(struct cxl_memdev_facts *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cxl_lsa_clear(&f[i].lsa);
}

static bool refused_with(const struct cxl_plan *plan, const char *what)
{
	for (size_t i = 0; i < plan->n_refusals; i++)
		if (strstr(plan->refusals[i], what))
			return true;
	return false;
}

START_TEST(test_plan_default)
{
	struct cxl_memdev_facts f[3];
	struct cxl_policy none = { 0 };
	struct cxl_plan plan;

	/* named out of serial order (the kernel numbers them as they probe) */
	device(&f[0], 0, 7, 512 * MIB, NULL);
	device(&f[1], 1, 3, 1024 * MIB + 100 * MIB, NULL);
	device(&f[2], 2, 9, 200 * MIB, NULL);
	ck_assert_int_eq(cxl_plan_build(f, 3, &none, &plan), 0);
	ck_assert_uint_eq(plan.n_assemblies, 2);
	/* by serial: mem1 (3) before mem0 (7); whole 256 MiB only */
	ck_assert_uint_eq(plan.assemblies[0].members[0], 1);
	ck_assert_uint_eq(plan.assemblies[0].member_size, 1024 * MIB);
	ck_assert(plan.assemblies[0].prove_empty);
	ck_assert_int_eq(plan.assemblies[0].source, CXL_FROM_DEFAULT);
	ck_assert_uint_eq(plan.assemblies[1].members[0], 0);
	/* 200 MiB maps nothing */
	ck_assert(refused_with(&plan, "mem2 (serial 0x9): less than 256 MiB"));
	cxl_plan_clear(&plan);

	/* assembled already, or without persistent capacity: not planned */
	strcpy(f[0].busy, "region0");
	f[1].pmem_size = 0;
	ck_assert_int_eq(cxl_plan_build(f, 2, &none, &plan), 0);
	ck_assert_uint_eq(plan.n_assemblies, 0);
	ck_assert_uint_eq(plan.n_refusals, 0);
	cxl_plan_clear(&plan);
	clear_devices(f, 3);
}
END_TEST

START_TEST(test_plan_policy)
{
	char *pair[] = { "0x2", "mem0" }, *solo[] = { "mem5" };
	struct cxl_policy_entry entries[] = { { pair, 2, 4096 }, { solo, 1, 0 } };
	struct cxl_policy policy = { .given = true, .entries = entries, .n_entries = 2 };
	struct test_label junk = { 0x11, 1, 0, 0x1234, 0, 256 * MIB };
	struct cxl_memdev_facts f[3];
	struct cxl_plan plan;
	uint8_t *lsa;

	device(&f[0], 0, 1, 512 * MIB, NULL);
	device(&f[1], 1, 2, 768 * MIB, NULL);
	device(&f[2], 2, 3, 512 * MIB, NULL);
	ck_assert_int_eq(cxl_plan_build(f, 3, &policy, &plan), 0);
	/* the pair in the policy's order; mem2 not named: no default when "cxl" is given; mem5 absent: later */
	ck_assert_uint_eq(plan.n_assemblies, 1);
	ck_assert_uint_eq(plan.assemblies[0].ways, 2);
	ck_assert_uint_eq(plan.assemblies[0].members[0], 1);
	ck_assert_uint_eq(plan.assemblies[0].members[1], 0);
	ck_assert_uint_eq(plan.assemblies[0].member_size, 512 * MIB);
	ck_assert_uint_eq(plan.assemblies[0].granularity, 4096);
	ck_assert_int_eq(plan.assemblies[0].entry, 0);
	ck_assert_uint_eq(plan.n_refusals, 0);
	cxl_plan_clear(&plan);

	/* a member whose label area holds stray bytes: refused, and its entry with it */
	lsa = calloc(1, LSA_SIZE);
	lsa[9] = 0x42;
	cxl_lsa_clear(&f[0].lsa);
	device(&f[0], 0, 1, 512 * MIB, lsa);
	free(lsa);
	ck_assert_int_eq(cxl_plan_build(f, 3, &policy, &plan), 0);
	ck_assert_uint_eq(plan.n_assemblies, 0);
	ck_assert(refused_with(&plan, "mem0 (serial 0x1): its label storage area holds"));
	cxl_plan_clear(&plan);

	/* labels of a set of one, but not the one these addresses and serial give */
	lsa = make_lsa(&junk, 1, false);
	cxl_lsa_clear(&f[0].lsa);
	device(&f[0], 0, 1, 512 * MIB, lsa);
	free(lsa);
	ck_assert_int_eq(cxl_plan_build(f, 3, &policy, &plan), 0);
	ck_assert_uint_eq(plan.n_assemblies, 0);
	ck_assert(refused_with(&plan, "at other device addresses or of other devices"));
	cxl_plan_clear(&plan);
	clear_devices(f, 3);
}
END_TEST

START_TEST(test_plan_labels)
{
	struct cxl_iset_member set[2] = { { 0, 0x20 }, { 0, 0x10 } };
	uint64_t cookie = cxl_iset_cookie(set, 2);
	struct test_label at0 = { 0x77, 2, 0, cookie, 0, 256 * MIB }, at1 = { 0x77, 2, 1, cookie, 0, 256 * MIB };
	char *other[] = { "0x10", "0x20" };
	struct cxl_policy_entry entry = { other, 2, 0 };
	struct cxl_policy none = { 0 }, conflicting = { .given = true, .entries = &entry, .n_entries = 1 };
	struct cxl_memdev_facts f[3];
	struct cxl_plan plan;
	uint8_t *l0 = make_lsa(&at0, 1, false), *l1 = make_lsa(&at1, 1, false);

	/* renumbered since: mem0 holds position 1 (serial 0x10), mem2 position 0 (0x20); mem1 is blank */
	device(&f[0], 0, 0x10, 512 * MIB, l1);
	device(&f[1], 1, 0x30, 512 * MIB, NULL);
	device(&f[2], 2, 0x20, 512 * MIB, l0);
	ck_assert_int_eq(cxl_plan_build(f, 3, &none, &plan), 0);
	ck_assert_uint_eq(plan.n_assemblies, 2);
	/* the set as its labels say, whatever the names; then the default for the blank one */
	ck_assert_int_eq(plan.assemblies[0].source, CXL_FROM_LABELS);
	ck_assert_uint_eq(plan.assemblies[0].ways, 2);
	ck_assert_uint_eq(plan.assemblies[0].members[0], 2);
	ck_assert_uint_eq(plan.assemblies[0].members[1], 0);
	ck_assert(!plan.assemblies[0].prove_empty);
	ck_assert_int_eq(plan.assemblies[1].source, CXL_FROM_DEFAULT);
	ck_assert_uint_eq(plan.assemblies[1].members[0], 1);
	cxl_plan_clear(&plan);

	/* a policy that asks for the two in the other order: refused, the labels' set is not made either */
	ck_assert_int_eq(cxl_plan_build(f, 3, &conflicting, &plan), 0);
	ck_assert_uint_eq(plan.n_assemblies, 0);
	ck_assert(refused_with(&plan, "asks for another interleave set"));
	cxl_plan_clear(&plan);

	/* position 0 gone (its device not plugged in): position 1 alone would read wrong data */
	ck_assert_int_eq(cxl_plan_build(f, 2, &none, &plan), 0);
	ck_assert(refused_with(&plan, "mem0 (serial 0x10): its labels are position 1 of a 2-way interleave set"));
	ck_assert_uint_eq(plan.n_assemblies, 1);
	ck_assert_uint_eq(plan.assemblies[0].members[0], 1);
	cxl_plan_clear(&plan);

	/* the same serial on another device at position 0: another cookie */
	f[2].serial = 0x21;
	ck_assert_int_eq(cxl_plan_build(f, 3, &none, &plan), 0);
	ck_assert(refused_with(&plan, "at other device addresses or of other devices"));
	cxl_plan_clear(&plan);

	clear_devices(f, 3);
	free(l0);
	free(l1);
}
END_TEST

START_TEST(test_memdev_specs)
{
	ck_assert(cxl_memdev_spec_valid("mem0"));
	ck_assert(cxl_memdev_spec_valid("mem65535"));
	ck_assert(cxl_memdev_spec_valid("0x1a"));
	ck_assert(cxl_memdev_spec_valid("26"));
	ck_assert(!cxl_memdev_spec_valid("mem"));
	ck_assert(!cxl_memdev_spec_valid("mem01"));
	ck_assert(!cxl_memdev_spec_valid("mem65536"));
	ck_assert(!cxl_memdev_spec_valid("nmem0"));
	ck_assert(!cxl_memdev_spec_valid("-1"));
	ck_assert(!cxl_memdev_spec_valid(""));
	ck_assert(!cxl_memdev_spec_valid("0x1g"));
}
END_TEST

Suite *cxl_suite(void)
{
	Suite *s = suite_create("cxl");
	TCase *tc = tcase_create("cxl");

	tcase_add_test(tc, test_cookie);
	tcase_add_test(tc, test_lsa_states);
	tcase_add_test(tc, test_plan_default);
	tcase_add_test(tc, test_plan_policy);
	tcase_add_test(tc, test_plan_labels);
	tcase_add_test(tc, test_memdev_specs);
	suite_add_tcase(s, tc);
	return s;
}
