// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h"
#include "mkfs.h"
#include "suites.h"

/* x86-64; POWER with the radix MMU, the hash MMU with 16 MiB pages, and without them */
static const struct mm_geometry x86 = { .page_size = 4096, .pmd_size = UINT64_C(2) << 20 };
static const struct mm_geometry radix = { .page_size = 65536, .pmd_size = UINT64_C(2) << 20 };
static const struct mm_geometry hash16m = { .page_size = 65536, .pmd_size = UINT64_C(16) << 20 };
static const struct mm_geometry hash = { .page_size = 65536, .pmd_size = 0 };

static void assert_argv(char **argv, const char *expected)
{
	_cleanup_free_ char *joined = argv_join(argv);

	ck_assert_str_eq(joined, expected);
	strv_free(argv);
}

START_TEST(test_xfs)
{
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0", &x86, MKFS_STRIPED, false, false),
		    "mkfs.xfs -q -b size=4096 -m reflink=0 -d su=2097152,sw=1 -l su=4096 /dev/pmem0");
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0.1", &x86, MKFS_PLAIN, false, false),
		    "mkfs.xfs -q -b size=4096 -m reflink=0 /dev/pmem0.1");
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0", &x86, MKFS_STRIPED, true, false),
		    "mkfs.xfs -N -q -b size=4096 -m reflink=0 -d su=2097152,sw=1 -l su=4096 /dev/pmem0");
	/* -f only when overwriting was asked for */
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem0", &x86, MKFS_PLAIN, false, true),
		    "mkfs.xfs -f -q -b size=4096 -m reflink=0 /dev/pmem0");
}
END_TEST

START_TEST(test_page_size_follows_kernel)
{
	/* ppc64 and some arm64 kernels: 64 KiB pages, and blocks to match */
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem1", &radix, MKFS_STRIPED, false, false),
		    "mkfs.xfs -q -b size=65536 -m reflink=0 -d su=2097152,sw=1 -l su=65536 /dev/pmem1");
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem1", &radix, MKFS_STRIPED, false, false),
		    "mkfs.ext4 -q -b 65536 -E stride=32,stripe_width=32 /dev/pmem1");
	/* the hash MMU with 16 MiB pages: PMD pages of 16 MiB, and the stripe unit follows */
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem1", &hash16m, MKFS_STRIPED, false, false),
		    "mkfs.xfs -q -b size=65536 -m reflink=0 -d su=16777216,sw=1 -l su=65536 /dev/pmem1");
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem1", &hash16m, MKFS_STRIPED_SMALL, false, false),
		    "mkfs.xfs -q -b size=65536 -m reflink=0 -d su=16777216,sw=1,agcount=2 -l su=65536,size=64m "
		    "/dev/pmem1");
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem1", &hash16m, MKFS_STRIPED, false, false),
		    "mkfs.ext4 -q -b 65536 -E stride=256,stripe_width=256 /dev/pmem1");
	/* and without huge pages there is nothing to align to: no stripe unit */
	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem1", &hash, MKFS_STRIPED, false, false),
		    "mkfs.xfs -q -b size=65536 -m reflink=0 /dev/pmem1");
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem1", &hash, MKFS_STRIPED, false, false),
		    "mkfs.ext4 -q -b 65536 /dev/pmem1");
}
END_TEST

START_TEST(test_layout_describe)
{
	char buf[64];

	ck_assert_str_eq(mkfs_layout_describe(&x86, buf, sizeof(buf)), "2 MiB aligned");
	ck_assert_str_eq(mkfs_layout_describe(&hash16m, buf, sizeof(buf)), "16 MiB aligned");
	ck_assert_str_eq(mkfs_layout_describe(&hash, buf, sizeof(buf)), "no stripe unit: this system has no huge pages");
}
END_TEST

START_TEST(test_ext4)
{
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem0", &x86, MKFS_STRIPED, false, false),
		    "mkfs.ext4 -q -b 4096 -E stride=512,stripe_width=512 /dev/pmem0");
	assert_argv(mkfs_build_argv(FS_EXT4, "/dev/pmem0", &x86, MKFS_STRIPED, false, true),
		    "mkfs.ext4 -F -q -b 4096 -E stride=512,stripe_width=512 /dev/pmem0");
	ck_assert_ptr_null(mkfs_build_argv(FS_NONE, "/dev/pmem0", &x86, MKFS_STRIPED, false, false));
}
END_TEST

START_TEST(test_small_xfs_keeps_its_stripe)
{
	char path[] = "/tmp/vpmem-mkfs-XXXXXX";
	_cleanup_free_ char *output = NULL;
	bool striped = false;
	int fd = mkstemp(path);

	assert_argv(mkfs_build_argv(FS_XFS, "/dev/pmem1", &x86, MKFS_STRIPED_SMALL, false, false),
		    "mkfs.xfs -q -b size=4096 -m reflink=0 -d su=2097152,sw=1,agcount=2 -l su=4096,size=64m /dev/pmem1");
	/* 512 MiB (e820 in the tests): too small for the default striped layout, not for two groups */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 512 << 20), 0);
	close(fd);
	ck_assert_int_eq(mkfs_run(FS_XFS, path, &x86, false, &striped, &output), 0);
	ck_assert(striped);
	unlink(path);
}
END_TEST

/*
 * A mkfs.xfs that, like the real one, refuses a device that holds something
 * unless given -f, can do the 2 MiB stripe only in two allocation groups,
 * and, first, writes its superblock before it refuses the default striped
 * layout (as a flush failing at the end does).
 */
static const char fake_mkfs_xfs[] =
	"#!/bin/sh\n"
	"echo \"$*\" >> \"$(dirname \"$0\")/calls\"\n"
	"for a; do dev=$a; done\n"
	"case \" $* \" in *' -f '*) ;; *) if [ -n \"$(head -c 4 \"$dev\" | tr -d '\\000')\" ]; then\n"
	"  echo \"mkfs.xfs: $dev appears to contain an existing filesystem.\" >&2; exit 1; fi ;; esac\n"
	"case \" $* \" in *agcount=2*) ;; *' -N '*) exit 1 ;; *)\n"
	"  printf XFSB | dd of=\"$dev\" conv=notrunc 2>/dev/null; echo 'mkfs.xfs: cannot do that stripe' >&2; exit 1 ;; esac\n"
	"case \" $* \" in *' -N '*) ;; *) printf XFSB | dd of=\"$dev\" conv=notrunc 2>/dev/null ;; esac\n"
	"exit 0\n";

struct fake_run {
	int r;
	bool striped;
	char head[5];		/* the device's first bytes after the run */
	char first[512], last[512];	/* the first and the last call */
};

/* mkfs_run with the fake first in PATH, on a 1 MiB device starting with data (or zeros) */
static void run_fake_mkfs(const char *data, struct fake_run *run)
{
	char dir[] = "/tmp/vpmem-fake-mkfs-XXXXXX";
	_cleanup_free_ char *output = NULL, *fake = NULL, *dev = NULL, *calls = NULL, *path = NULL;
	const char *old_path = getenv("PATH");
	_cleanup_free_ char *saved_path = old_path ? strdup(old_path) : NULL;
	char line[512];
	FILE *f;

	memset(run, 0, sizeof(*run));
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
	if (data)
		fputs(data, f);
	fclose(f);
	ck_assert_int_eq(truncate(dev, 1 << 20), 0);

	setenv("PATH", path, 1);
	run->r = mkfs_run(FS_XFS, dev, &x86, false, &run->striped, &output);
	if (saved_path)
		setenv("PATH", saved_path, 1);

	f = fopen(calls, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (!run->first[0])
			snprintf(run->first, sizeof(run->first), "%s", line);
		snprintf(run->last, sizeof(run->last), "%s", line);
	}
	fclose(f);
	f = fopen(dev, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fread(run->head, 1, 4, f), 4);
	fclose(f);
	unlink(fake);
	unlink(dev);
	unlink(calls);
	rmdir(dir);
}

/* the retry with the smaller layout overwrites what the failed attempt wrote */
START_TEST(test_retry_overwrites_its_own_attempt)
{
	struct fake_run run;

	run_fake_mkfs(NULL, &run);
	ck_assert_msg(run.r == 0, "mkfs_run: %d", run.r);
	ck_assert(run.striped);
	/* the first run without -f (the device was empty), the last with it */
	ck_assert_ptr_null(strstr(run.first, "-f "));
	ck_assert_ptr_nonnull(strstr(run.last, "-f "));
	ck_assert_ptr_nonnull(strstr(run.last, "agcount=2"));
	ck_assert_ptr_null(strstr(run.last, "-N "));
}
END_TEST

/* but what the first attempt refused to overwrite, no retry overwrites */
START_TEST(test_retry_never_overwrites_data)
{
	struct fake_run run;

	run_fake_mkfs("DATA", &run);
	ck_assert_int_eq(run.r, -EIO);
	ck_assert_str_eq(run.head, "DATA");
	ck_assert_ptr_null(strstr(run.first, "-f "));
	ck_assert_ptr_null(strstr(run.last, "-f "));
}
END_TEST

Suite *mkfs_suite(void)
{
	Suite *s = suite_create("mkfs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_xfs);
	tcase_add_test(tc, test_page_size_follows_kernel);
	tcase_add_test(tc, test_ext4);
	tcase_add_test(tc, test_layout_describe);
	tcase_add_test(tc, test_small_xfs_keeps_its_stripe);
	tcase_add_test(tc, test_retry_overwrites_its_own_attempt);
	tcase_add_test(tc, test_retry_never_overwrites_data);
	suite_add_tcase(s, tc);
	return s;
}
