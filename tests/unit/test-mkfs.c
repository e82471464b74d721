// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/*
 * A mkfs.xfs that writes its superblock before it refuses the striped layout
 * (as a flush failing at the end does): the retry with the smaller layout
 * must overwrite what the refused attempt wrote, since the device was proven
 * empty before it, instead of refusing "an existing filesystem".
 */
static const char fake_mkfs_xfs[] =
	"#!/bin/sh\n"
	"echo \"$*\" >> \"$(dirname \"$0\")/calls\"\n"
	"for a; do dev=$a; done\n"
	"case \" $* \" in *' -f '*) ;; *) if [ \"$(head -c 4 \"$dev\")\" = XFSB ]; then\n"
	"  echo \"mkfs.xfs: $dev appears to contain an existing filesystem (xfs).\" >&2; exit 1; fi ;; esac\n"
	"case \" $* \" in *agcount=2*) ;; *' -N '*) exit 1 ;; *)\n"
	"  printf XFSB | dd of=\"$dev\" conv=notrunc 2>/dev/null; echo 'mkfs.xfs: cannot do that stripe' >&2; exit 1 ;; esac\n"
	"case \" $* \" in *' -N '*) ;; *) printf XFSB | dd of=\"$dev\" conv=notrunc 2>/dev/null ;; esac\n"
	"exit 0\n";

START_TEST(test_retry_overwrites_its_own_attempt)
{
	char dir[] = "/tmp/vpmem-fake-mkfs-XXXXXX";
	_cleanup_free_ char *output = NULL, *fake = NULL, *dev = NULL, *calls = NULL, *path = NULL;
	const char *old_path = getenv("PATH");
	_cleanup_free_ char *saved_path = old_path ? strdup(old_path) : NULL;
	bool striped = false;
	FILE *f;
	int r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(asprintf(&fake, "%s/mkfs.xfs", dir), 0);
	ck_assert_int_ge(asprintf(&dev, "%s/dev", dir), 0);
	ck_assert_int_ge(asprintf(&calls, "%s/calls", dir), 0);
	ck_assert_int_ge(asprintf(&path, "%s:%s", dir, saved_path ? saved_path : "/usr/bin:/bin"), 0);
	f = fopen(fake, "w");
	ck_assert_ptr_nonnull(f);
	fputs(fake_mkfs_xfs, f);
	fclose(f);
	ck_assert_int_eq(chmod(fake, 0755), 0);
	f = fopen(dev, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(truncate(dev, 1 << 20), 0);

	setenv("PATH", path, 1);
	r = mkfs_run(FS_XFS, dev, false, &striped, &output);
	if (saved_path)
		setenv("PATH", saved_path, 1);
	ck_assert_msg(r == 0, "mkfs_run: %d, %s", r, output ? output : "");
	ck_assert(striped);
	/* the first run without -f (the device was empty), the last with it */
	f = fopen(calls, "r");
	ck_assert_ptr_nonnull(f);
	{
		char line[512], first[512] = "", last[512] = "";

		while (fgets(line, sizeof(line), f)) {
			if (!first[0])
				snprintf(first, sizeof(first), "%s", line);
			snprintf(last, sizeof(last), "%s", line);
		}
		fclose(f);
		ck_assert_ptr_null(strstr(first, "-f "));
		ck_assert_ptr_nonnull(strstr(last, "-f "));
		ck_assert_ptr_nonnull(strstr(last, "agcount=2"));
		ck_assert_ptr_null(strstr(last, "-N "));
	}
	unlink(fake);
	unlink(dev);
	unlink(calls);
	rmdir(dir);
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
	tcase_add_test(tc, test_retry_overwrites_its_own_attempt);
	suite_add_tcase(s, tc);
	return s;
}
