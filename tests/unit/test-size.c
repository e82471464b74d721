// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>

#include "nd.h"
#include "size.h"
#include "suites.h"

START_TEST(test_parse_units)
{
	static const struct {
		const char *in;
		uint64_t out;
	} ok[] = {
		{ "0", 0 },          { "4096", 4096 },        { "4K", 4096 },          { "4k", 4096 },
		{ "2M", 2 << 20 },   { "6G", UINT64_C(6) << 30 }, { "1T", UINT64_C(1) << 40 }, { "4GiB", UINT64_C(4) << 30 },
		{ "16MiB", 16 << 20 },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(size_parse(ok[i].in, &v), 0);
		ck_assert_uint_eq(v, ok[i].out);
	}
}
END_TEST

START_TEST(test_parse_rejects)
{
	static const char *const bad[] = { "", "G", "-1", " 4G", "4 G", "4GB", "4X", "1.5G", "4Gi", "0x10", "4G4" };
	uint64_t v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(size_parse(bad[i], &v) == -EINVAL, "\"%s\" was accepted", bad[i]);
		ck_assert_uint_eq(v, 42);
	}
	ck_assert_int_eq(size_parse(NULL, &v), -EINVAL);
}
END_TEST

START_TEST(test_parse_overflow)
{
	uint64_t v;

	ck_assert_int_eq(size_parse("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(size_parse("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(size_parse("16777216T", &v), -ERANGE);
	ck_assert_int_eq(size_parse("16777215T", &v), 0);
}
END_TEST

START_TEST(test_format)
{
	char buf[SIZE_BUF];

	ck_assert_str_eq(size_format(SZ_2M, buf, sizeof(buf)), "2M");
	ck_assert_str_eq(size_format(UINT64_C(1536) << 20, buf, sizeof(buf)), "1536M");
	ck_assert_str_eq(size_format(SZ_1G * 6, buf, sizeof(buf)), "6G");
	ck_assert_str_eq(size_format(4097, buf, sizeof(buf)), "4097");
	ck_assert_str_eq(size_format(0, buf, sizeof(buf)), "0");
	ck_assert_str_eq(size_format_human(4292870144ULL, buf, sizeof(buf)), "4.00 GiB");
	ck_assert_str_eq(size_format_human(512, buf, sizeof(buf)), "512 B");
	ck_assert_str_eq(size_format_iec(SZ_2M, buf, sizeof(buf)), "2 MiB");
	ck_assert_str_eq(size_format_iec(65536, buf, sizeof(buf)), "64 KiB");
	ck_assert_str_eq(size_format_iec(SZ_16G, buf, sizeof(buf)), "16 GiB");
	ck_assert_str_eq(size_format_iec(4097, buf, sizeof(buf)), "4097 bytes");
}
END_TEST

START_TEST(test_align)
{
	uint64_t v;

	ck_assert(align_up(1, SZ_2M, &v));
	ck_assert_uint_eq(v, SZ_2M);
	ck_assert(align_up(SZ_2M, SZ_2M, &v));
	ck_assert_uint_eq(v, SZ_2M);
	ck_assert(!align_up(UINT64_MAX, SZ_2M, &v));
	ck_assert_uint_eq(align_down(SZ_2M + 1, SZ_2M), SZ_2M);
	ck_assert_uint_eq(align_down(SZ_2M - 1, SZ_2M), 0);
	ck_assert(is_power_of_2(4096));
	ck_assert(!is_power_of_2(0));
	ck_assert(!is_power_of_2(6));
}
END_TEST

START_TEST(test_usable_estimate)
{
	/* map=dev: 64 bytes of page map per 4 KiB page, plus the info block, padded to align */
	uint64_t size = UINT64_C(256) << 20;
	uint64_t usable = ns_usable_size_estimate(size, SZ_2M, PFN_MAP_DEV, 4096);

	ck_assert_uint_eq(usable, size - (UINT64_C(6) << 20));
	ck_assert_uint_eq(ns_usable_size_estimate(size, SZ_2M, PFN_MAP_MEM, 4096), size - SZ_2M);
	ck_assert_uint_eq(ns_usable_size_estimate(SZ_1M, SZ_2M, PFN_MAP_DEV, 4096), 0);
}
END_TEST

START_TEST(test_targets)
{
	bool is_region = false;
	unsigned id = 0;

	ck_assert_int_eq(nd_parse_target("region3", &is_region, &id), 0);
	ck_assert(is_region);
	ck_assert_uint_eq(id, 3);
	ck_assert_int_eq(nd_parse_target("nmem12", &is_region, &id), 0);
	ck_assert(!is_region);
	ck_assert_uint_eq(id, 12);
	ck_assert_int_eq(nd_parse_target("/devices/platform/ACPI0012:00/ndbus0/region1", &is_region, &id), 0);
	ck_assert(is_region);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_eq(nd_parse_target("/sys/devices/platform/ACPI0012:00/ndbus0/nmem0", &is_region, &id), 0);
	ck_assert(!is_region);
	ck_assert_int_eq(nd_parse_target("region", &is_region, &id), -EINVAL);
	ck_assert_int_eq(nd_parse_target("region1x", &is_region, &id), -EINVAL);
	ck_assert_int_eq(nd_parse_target("namespace0.0", &is_region, &id), -EINVAL);
	ck_assert_int_eq(nd_parse_target("region-1", &is_region, &id), -EINVAL);
	ck_assert_int_eq(nd_parse_target("region99999999", &is_region, &id), -EINVAL);
}
END_TEST

Suite *size_suite(void)
{
	Suite *s = suite_create("size");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_units);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_parse_overflow);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_align);
	tcase_add_test(tc, test_usable_estimate);
	tcase_add_test(tc, test_targets);
	suite_add_tcase(s, tc);
	return s;
}
