// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The data guard's view of a device, on regular files made to look like
 * namespaces: only what is provably empty is empty.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h"
#include "guard.h"
#include "suites.h"

static char dir[] = "/tmp/vpmem-guard-XXXXXX";
static char path[64];

static void setup(void)
{
	int fd;

	strcpy(dir, "/tmp/vpmem-guard-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ns", dir);
	/* a sparse 64 MiB "namespace": all zero */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
	close(fd);
}

static void teardown(void)
{
	char *argv[] = { "rm", "-rf", dir, NULL };

	exec_wait(argv, NULL);
}

static void write_at(off_t offset, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, data, len, offset), (ssize_t)len);
	close(fd);
}

/* What the guard says of path; NULL when it calls it empty. */
static char *probe(char **ret_fstype)
{
	char *what = NULL;

	ck_assert_int_eq(guard_probe_blockdev(path, ret_fstype, NULL, &what), 0);
	return what;
}

START_TEST(test_empty)
{
	_cleanup_free_ char *fstype = NULL, *what = NULL;

	what = probe(&fstype);
	ck_assert_ptr_null(what);
	ck_assert_ptr_null(fstype);
	ck_assert_int_eq(guard_may_destroy_blockdev(path, false, &what), 0);
	ck_assert_ptr_null(what);
}
END_TEST

START_TEST(test_info_blocks)
{
	static const char *const magic[] = { "NVDIMM_PFN_INFO", "NVDIMM_DAX_INFO", "BTT_ARENA_INFO" };
	static const char *const want[] = { "an fsdax (pfn) info block", "a devdax info block",
					    "a sector (btt) info block" };
	char *what;

	for (size_t i = 0; i < 3; i++) {
		char zero[16] = { 0 };

		write_at(4096, magic[i], strlen(magic[i]) + 1);
		what = probe(NULL);
		ck_assert_ptr_nonnull(what);
		ck_assert_str_eq(what, want[i]);
		free(what);
		write_at(4096, zero, sizeof(zero));
	}
	/* BTT 2.0 (v1.2 labels) keeps its info block at the very start */
	write_at(0, "BTT_ARENA_INFO", 15);
	what = probe(NULL);
	ck_assert_str_eq(what, "a sector (btt 2.0) info block");
	free(what);
}
END_TEST

START_TEST(test_one_byte_is_data)
{
	_cleanup_free_ char *what = NULL, *refused = NULL;

	write_at((1 << 20) - 1, "x", 1);
	what = probe(NULL);
	ck_assert_str_eq(what, "non-zero bytes in its first MiB (at offset 1048575)");
	ck_assert_int_eq(guard_may_destroy_blockdev(path, false, &refused), -ENOTEMPTY);
	ck_assert(strstr(refused, path));
	ck_assert(strstr(refused, "non-zero bytes"));
	/* overwrite is the one way past it */
	free(refused);
	refused = NULL;
	ck_assert_int_eq(guard_may_destroy_blockdev(path, true, &refused), 0);
}
END_TEST

/*
 * What a destructive step destroys is sampled beyond the first MiB: the
 * first 4 KiB of every 64 MiB and the last MiB. The probe that describes a
 * device at every boot reads the first MiB alone.
 */
START_TEST(test_sampled_beyond_first_mib)
{
	static const struct {
		off_t offset;
		const char *want;
	} cases[] = {
		{ 64 << 20, "non-zero bytes 64 MiB into it (at offset 67108864), beyond its first MiB" },
		{ (128 << 20) + 4095, "non-zero bytes 128 MiB into it (at offset 134221823), beyond its first MiB" },
		{ (200 << 20) - 1, "non-zero bytes 199 MiB into it (at offset 209715199), beyond its first MiB" },
		{ (199 << 20), "non-zero bytes 199 MiB into it (at offset 208666624), beyond its first MiB" },
	};
	int fd = open(path, O_WRONLY);

	/* 200 MiB: samples at 64 and 128 MiB, and the last MiB from 199 MiB */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 200 << 20), 0);
	close(fd);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *what = NULL, *refused = NULL;
		char zero = 0;

		write_at(cases[i].offset, "x", 1);
		what = probe(NULL);
		ck_assert_ptr_null(what);
		ck_assert_int_eq(guard_may_destroy_blockdev(path, false, &refused), -ENOTEMPTY);
		ck_assert_ptr_nonnull(strstr(refused, cases[i].want));
		free(refused);
		refused = NULL;
		ck_assert_int_eq(guard_may_destroy_blockdev(path, true, &refused), 0);
		write_at(cases[i].offset, &zero, 1);
	}
	/* a namespace made on capacity sampled a moment ago: its start and signatures only */
	{
		_cleanup_free_ char *refused = NULL;
		char zero = 0;

		write_at(64 << 20, "x", 1);
		ck_assert_int_eq(guard_may_destroy_new_blockdev(path, &refused), 0);
		write_at(64 << 20, &zero, 1);
		write_at(4096, "x", 1);
		ck_assert_int_eq(guard_may_destroy_new_blockdev(path, &refused), -ENOTEMPTY);
		ck_assert_ptr_nonnull(strstr(refused, "non-zero bytes in its first MiB"));
		write_at(4096, &zero, 1);
	}
	/* between the samples nothing is read: that is the sampling's price, stated in guard.h */
	{
		_cleanup_free_ char *refused = NULL;

		write_at((64 << 20) + 4096, "x", 1);
		ck_assert_int_eq(guard_may_destroy_blockdev(path, false, &refused), 0);
	}
}
END_TEST

START_TEST(test_filesystem)
{
	char *argv[] = { "mkfs.ext4", "-q", "-F", path, NULL };
	_cleanup_free_ char *fstype = NULL, *what = NULL;

	ck_assert_int_eq(exec_wait(argv, NULL), 0);
	what = probe(&fstype);
	ck_assert_str_eq(fstype, "ext4");
	ck_assert_str_eq(what, "an ext4 signature");
}
END_TEST

/* mkfs.xfs sets sb_inprogress (byte 126 of its superblock) first and clears it last */
START_TEST(test_unfinished_xfs)
{
	char *argv[] = { "mkfs.xfs", "-q", "-f", path, NULL };
	_cleanup_free_ char *fstype = NULL, *what = NULL, *fstype2 = NULL, *what2 = NULL;
	const unsigned char in_progress = 1;

	/* xfsprogs makes nothing under 300 MiB */
	ck_assert_int_eq(truncate(path, 320 << 20), 0);
	ck_assert_int_eq(exec_wait(argv, NULL), 0);
	what = probe(&fstype);
	ck_assert_str_eq(fstype, "xfs");
	write_at(126, &in_progress, 1);
	what2 = probe(&fstype2);
	/* no filesystem anyone can use, and no empty device either */
	ck_assert_ptr_null(fstype2);
	ck_assert_ptr_nonnull(what2);
	ck_assert_ptr_nonnull(strstr(what2, "whose mkfs never finished"));
}
END_TEST

START_TEST(test_cannot_read_is_data)
{
	_cleanup_free_ char *what = NULL, *missing = NULL;
	char nowhere[96];

	/* a directory opens, but every read fails */
	ck_assert_int_eq(guard_probe_blockdev(dir, NULL, NULL, &what), 0);
	ck_assert_ptr_nonnull(what);

	/* a device that is not there cannot be proven empty either */
	snprintf(nowhere, sizeof(nowhere), "%s/gone", dir);
	ck_assert_int_eq(guard_probe_blockdev(nowhere, NULL, NULL, &missing), 0);
	ck_assert(strstr(missing, "cannot be opened"));
}
END_TEST

START_TEST(test_short_device)
{
	_cleanup_free_ char *what = NULL;

	/* smaller than the probe: all of it read and zero is empty, one byte is not */
	ck_assert_int_eq(truncate(path, 8192), 0);
	ck_assert_ptr_null(probe(NULL));
	write_at(8191, "\1", 1);
	what = probe(NULL);
	ck_assert(strstr(what, "at offset 8191"));
}
END_TEST

/* The one decision about a filesystem (plan.c on the snapshot, filesystem.c right before mkfs) */
START_TEST(test_decide_fs)
{
	static const struct {
		struct guard_fs_facts f;
		enum guard_fs_verdict verdict;
		bool force;
	} cases[] = {
		/* empty: made, nothing to force */
		{ { .want = "xfs" }, GUARD_FS_MAKE, false },
		{ { .want = "xfs", .overwrite = true }, GUARD_FS_MAKE, false },
		/* what is asked for is kept, also with overwrite, also beside a stale second signature */
		{ { .want = "xfs", .fstype = "xfs", .contents = "an xfs filesystem" }, GUARD_FS_KEEP, false },
		{ { .want = "xfs", .fstype = "xfs", .contents = "x", .overwrite = true }, GUARD_FS_KEEP, false },
		{ { .want = "ext4", .fstype = "ambiguous", .signatures = "xfs,ext4", .contents = "x" }, GUARD_FS_KEEP, false },
		/* anything else is data, unless overwrite; then mkfs may force */
		{ { .want = "xfs", .fstype = "ext4", .contents = "an ext4 filesystem" }, GUARD_FS_REFUSE, false },
		{ { .want = "xfs", .contents = "non-zero bytes in its first MiB" }, GUARD_FS_REFUSE, false },
		{ { .want = "xfs", .fstype = "ext4", .contents = "x", .overwrite = true }, GUARD_FS_MAKE, true },
		/* the agent's own mkfs cut short: made again, forced; never over a finished or mounted one */
		{ { .want = "xfs", .contents = "an unfinished xfs", .own_mkfs = true }, GUARD_FS_MAKE_AGAIN, true },
		{ { .want = "xfs", .fstype = "ext4", .contents = "x", .own_mkfs = true }, GUARD_FS_REFUSE, false },
		{ { .want = "xfs", .contents = "x", .own_mkfs = true, .mounted = true }, GUARD_FS_REFUSE, false },
		{ { .want = "xfs", .own_mkfs = true }, GUARD_FS_MAKE, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool force = !cases[i].force;

		ck_assert_msg(guard_decide_fs(&cases[i].f, &force) == cases[i].verdict, "case %zu", i);
		ck_assert_msg(force == cases[i].force, "case %zu: force", i);
	}
}
END_TEST

START_TEST(test_signature_list)
{
	ck_assert(guard_signatures_have("xfs,ext4", "ext4"));
	ck_assert(guard_signatures_have("xfs", "xfs"));
	ck_assert(!guard_signatures_have("xfs,ext4", "ext"));
	ck_assert(!guard_signatures_have(NULL, "xfs"));
}
END_TEST

Suite *guard_suite(void)
{
	Suite *s = suite_create("guard");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_info_blocks);
	tcase_add_test(tc, test_one_byte_is_data);
	tcase_add_test(tc, test_sampled_beyond_first_mib);
	tcase_add_test(tc, test_filesystem);
	tcase_add_test(tc, test_unfinished_xfs);
	tcase_add_test(tc, test_cannot_read_is_data);
	tcase_add_test(tc, test_short_device);
	tcase_add_test(tc, test_signature_list);
	tcase_add_test(tc, test_decide_fs);
	suite_add_tcase(s, tc);
	return s;
}
