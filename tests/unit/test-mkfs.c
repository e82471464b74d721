// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0", 4096, MKFS_STRIPED, false, false),
		    "mkfs.xfs -q -b size=4096 -m reflink=0 -d su=2097152,sw=1 -l su=4096 /dev/pmem0");
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0.1", 4096, MKFS_PLAIN, false, false),
		    "mkfs.xfs -q -b size=4096 -m reflink=0 /dev/pmem0.1");
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0", 4096, MKFS_STRIPED, true, false),
		    "mkfs.xfs -N -q -b size=4096 -m reflink=0 -d su=2097152,sw=1 -l su=4096 /dev/pmem0");
	/* -f only when overwriting was asked for */
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0", 4096, MKFS_PLAIN, false, true),
		    "mkfs.xfs -f -q -b size=4096 -m reflink=0 /dev/pmem0");
}
END_TEST

START_TEST(test_page_size_follows_kernel)
{
	/* ppc64 and some arm64 kernels: 64 KiB pages, and blocks to match */
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem1", 65536, MKFS_STRIPED, false, false),
		    "mkfs.xfs -q -b size=65536 -m reflink=0 -d su=2097152,sw=1 -l su=65536 /dev/pmem1");
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem1", 65536, MKFS_STRIPED, false, false),
		    "mkfs.ext4 -q -b 65536 -E stride=32,stripe_width=32 /dev/pmem1");
}
END_TEST

START_TEST(test_ext4)
{
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem0", 4096, MKFS_STRIPED, false, false),
		    "mkfs.ext4 -q -b 4096 -E stride=512,stripe_width=512 /dev/pmem0");
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem0", 4096, MKFS_STRIPED, false, true),
		    "mkfs.ext4 -F -q -b 4096 -E stride=512,stripe_width=512 /dev/pmem0");
	ck_assert_ptr_null(mkfs_build_argv(FS_NONE, "/dev/pmem0", 4096, MKFS_STRIPED, false, false));
}
END_TEST

START_TEST(test_small_xfs_keeps_its_stripe)
{
	char path[] = "/tmp/vpmem-mkfs-XXXXXX";
	_cleanup_free_ char *output = NULL;
	bool striped = false;
	int fd = mkstemp(path);

	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem1", 4096, MKFS_STRIPED_SMALL, false, false),
		    "mkfs.xfs -q -b size=4096 -m reflink=0 -d su=2097152,sw=1,agcount=2 -l su=4096,size=64m /dev/pmem1");
	/* 512 MiB (e820 in the tests): too small for the default striped layout, not for two groups */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 512 << 20), 0);
	close(fd);
	ck_assert_int_eq(mkfs_run(FS_XFS, path, false, &striped, &output), 0);
	ck_assert(striped);
	unlink(path);
}
END_TEST

Suite *mkfs_suite(void)
{
	Suite *s = suite_create("mkfs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_xfs);
	tcase_add_test(tc, test_page_size_follows_kernel);
	tcase_add_test(tc, test_ext4);
	tcase_add_test(tc, test_small_xfs_keeps_its_stripe);
	suite_add_tcase(s, tc);
	return s;
}
