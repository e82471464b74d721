// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "exec.h"
#include "mkfs.h"
#include "suites.h"

static void assert_argv(char **argv, const char *expected)
{
	_cleanup_free_ char *joined = argv_join(argv);

	ck_assert_str_eq(joined, expected);
	strv_free(argv);
}

START_TEST(test_xfs)
{
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0", 4096, true, false, false),
		    "mkfs.xfs -q -b size=4096 -m reflink=0 -d su=2097152,sw=1 -l su=4096 /dev/pmem0");
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0.1", 4096, false, false, false),
		    "mkfs.xfs -q -b size=4096 -m reflink=0 /dev/pmem0.1");
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0", 4096, true, true, false),
		    "mkfs.xfs -N -q -b size=4096 -m reflink=0 -d su=2097152,sw=1 -l su=4096 /dev/pmem0");
	/* -f only when overwriting was asked for */
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0", 4096, false, false, true),
		    "mkfs.xfs -f -q -b size=4096 -m reflink=0 /dev/pmem0");
}
END_TEST

START_TEST(test_page_size_follows_kernel)
{
	/* ppc64 and some arm64 kernels: 64 KiB pages, and blocks to match */
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem1", 65536, true, false, false),
		    "mkfs.xfs -q -b size=65536 -m reflink=0 -d su=2097152,sw=1 -l su=65536 /dev/pmem1");
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem1", 65536, true, false, false),
		    "mkfs.ext4 -q -b 65536 -E stride=32,stripe_width=32 /dev/pmem1");
}
END_TEST

START_TEST(test_ext4)
{
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem0", 4096, true, false, false),
		    "mkfs.ext4 -q -b 4096 -E stride=512,stripe_width=512 /dev/pmem0");
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem0", 4096, true, false, true),
		    "mkfs.ext4 -F -q -b 4096 -E stride=512,stripe_width=512 /dev/pmem0");
	ck_assert_ptr_null(mkfs_build_argv(FS_NONE, "/dev/pmem0", 4096, true, false, false));
}
END_TEST

Suite *mkfs_suite(void)
{
	Suite *s = suite_create("mkfs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_xfs);
	tcase_add_test(tc, test_page_size_follows_kernel);
	tcase_add_test(tc, test_ext4);
	suite_add_tcase(s, tc);
	return s;
}
