// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "cleanup.h"
#include "mount.h"
#include "suites.h"

START_TEST(test_options)
{
	_cleanup_free_ char *a = mount_build_options(NULL, false);
	_cleanup_free_ char *b = mount_build_options("noatime", false);
	_cleanup_free_ char *c = mount_build_options("noatime,nodev", true);
	_cleanup_free_ char *d = mount_build_options("", false);

	ck_assert_str_eq(a, "dax=always");
	ck_assert_str_eq(b, "dax=always,noatime");
	ck_assert_str_eq(c, "dax,noatime,nodev");
	ck_assert_str_eq(d, "dax=always");
}
END_TEST

START_TEST(test_options_have_dax)
{
	ck_assert(mount_options_have_dax("rw,relatime,attr2,dax=always,inode64"));
	ck_assert(mount_options_have_dax("dax"));
	ck_assert(!mount_options_have_dax("rw,relatime,dax=never"));
	ck_assert(!mount_options_have_dax("rw,relatime,dax=inode"));
	ck_assert(!mount_options_have_dax("rw,daxfoo"));
	ck_assert(!mount_options_have_dax(NULL));
}
END_TEST

START_TEST(test_dax_in_effect_falls_back_to_options)
{
	/* /proc is never DAX; statx tells on 5.8+, the options tell otherwise */
	ck_assert_int_eq(mount_dax_in_effect("/proc", "rw,nosuid"), 0);
	ck_assert_int_ne(mount_dax_in_effect("/nonexistent-vpmem", NULL), 1);
	ck_assert_int_eq(mount_dax_in_effect("/nonexistent-vpmem", "rw,dax=always"), 1);
}
END_TEST

Suite *mount_suite(void)
{
	Suite *s = suite_create("mount");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_options_have_dax);
	tcase_add_test(tc, test_dax_in_effect_falls_back_to_options);
	suite_add_tcase(s, tc);
	return s;
}
