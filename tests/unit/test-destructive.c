// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every step that can destroy data, driven through ndops.c, guard.c and
 * provision.c against a fake libndctl (fake-ndctl.c) whose namespaces are
 * regular files: what holds data is refused and the fake's log of
 * configuration changes stays empty; what is empty, or given up with
 * overwrite, goes through libndctl's sequence.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cleanup.h"
#include "disabled.h"
#include "exec.h"
#include "fake-ndctl.h"
#include "ndops.h"
#include "provision.h"
#include "size.h"
#ifdef HAVE_LIBCXL
#include "cxl-assemble-cases.h"
#endif

static char dir[] = "/var/tmp/vpmem-fake-XXXXXX";
static char file[128], disabled_dir[128];

static void setup(void)
{
	struct ndctl_region *r;
	struct ndctl_namespace *ns;
	int fd;

	strcpy(dir, "/var/tmp/vpmem-fake-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/pmem0", dir);
	snprintf(disabled_dir, sizeof(disabled_dir), "%s/disabled", dir);
	disabled_set_dir(disabled_dir);
	fd = open(file, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
	close(fd);

	/* region0: a label-capable DIMM without labels yet, its label-less namespace empty */
	fake_reset();
	fake_system.n_regions = 1;
	r = &fake_system.regions[0];
	r->id = 0;
	r->enabled = true;
	r->n_namespaces = 1;
	ns = &r->namespaces[0];
	strcpy(ns->devname, "namespace0.0");
	ns->size = 64 << 20;
	ns->enabled = true;
	snprintf(ns->device, sizeof(ns->device), "..%s", file);
}

static void teardown(void)
{
	char *argv[] = { "rm", "-rf", dir, NULL };

	exec_wait(argv, NULL);
}

static struct ndctl_region *region0(void)
{
	return &fake_system.regions[0];
}

static struct ndctl_namespace *namespace0(void)
{
	return &fake_system.regions[0].namespaces[0];
}

static void write_file_at(off_t offset, const char *data, size_t len)
{
	int fd = open(file, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, data, len, offset), (ssize_t)len);
	close(fd);
}

static const struct nd_namespace_spec fsdax_spec = {
	.mode = NS_MODE_FSDAX, .align = SZ_2M, .map = PFN_MAP_DEV,
};

/* The data loss the guard exists for: a label-less devdax namespace holding data. */
START_TEST(test_labelless_devdax_refused)
{
	_cleanup_free_ char *what = NULL, *what2 = NULL;

	namespace0()->claim = FAKE_CLAIM_DAX;
	ck_assert_int_eq(nd_region_init_labels(region0(), false, &what), -ENOTEMPTY);
	ck_assert_str_eq(what, "namespace0.0 is a devdax namespace");
	ck_assert_int_eq(nd_namespace_reconfigure(region0(), namespace0(), &fsdax_spec, false, &what2), -ENOTEMPTY);
	ck_assert_str_eq(fake_system.log, "");
	ck_assert(namespace0()->claim == FAKE_CLAIM_DAX);
}
END_TEST

START_TEST(test_sector_never_relabelled)
{
	_cleanup_free_ char *what = NULL;
	struct region_state rs = { .devname = "region0", .id = 0 };
	struct plan_region pr = { .region = &rs, .init_labels = true };
	struct plan plan = { .regions = &pr, .n_regions = 1 };
	struct apply_log log = { 0 };

	namespace0()->claim = FAKE_CLAIM_BTT;
	ck_assert_int_eq(nd_region_init_labels(region0(), false, &what), -ENOTEMPTY);
	ck_assert_str_eq(what, "namespace0.0 is a sector namespace");
	/* a plan from a stale snapshot that says "initialise labels" is stopped right before acting */
	ck_assert_int_eq(provision_apply(&plan, &log), -EIO);
	ck_assert_uint_eq(log.n_failed, 1);
	ck_assert(strstr(log.failed[0], "namespace0.0 is a sector namespace: labels not initialised"));
	ck_assert_str_eq(fake_system.log, "");
	apply_log_clear(&log);
}
END_TEST

START_TEST(test_unreadable_refused)
{
	_cleanup_free_ char *what = NULL, *missing = NULL;

	/* a device whose every read fails (a directory) */
	snprintf(namespace0()->device, sizeof(namespace0()->device), "..%s", dir);
	ck_assert_int_eq(nd_region_init_labels(region0(), false, &what), -ENOTEMPTY);
	ck_assert(strstr(what, "a read error in its first MiB"));
	/* a device node that is not there */
	snprintf(namespace0()->device, sizeof(namespace0()->device), "..%s/gone", dir);
	ck_assert_int_eq(nd_namespace_reconfigure(region0(), namespace0(), &fsdax_spec, false, &missing), -ENOTEMPTY);
	ck_assert(strstr(missing, "cannot be opened"));
	/* a disabled namespace cannot be read either */
	namespace0()->enabled = false;
	free(what);
	what = NULL;
	ck_assert_int_eq(nd_region_init_labels(region0(), false, &what), -ENOTEMPTY);
	ck_assert(strstr(what, "its contents cannot be read"));
	ck_assert_str_eq(fake_system.log, "");
}
END_TEST

START_TEST(test_one_byte_refused)
{
	_cleanup_free_ char *what = NULL;

	write_file_at(777, "x", 1);
	ck_assert_int_eq(nd_region_init_labels(region0(), false, &what), -ENOTEMPTY);
	ck_assert(strstr(what, "non-zero bytes in its first MiB (at offset 777)"));
	ck_assert_str_eq(fake_system.log, "");
}
END_TEST

START_TEST(test_empty_gets_labels)
{
	_cleanup_free_ char *what = NULL;

	ck_assert_int_eq(nd_region_init_labels(region0(), false, &what), 0);
	ck_assert_ptr_null(what);
	ck_assert_str_eq(fake_system.log, "region0:disable dimm:init-labels region0:enable ");
}
END_TEST

START_TEST(test_empty_reconfigured)
{
	_cleanup_free_ char *what = NULL;

	ck_assert_int_eq(nd_namespace_reconfigure(region0(), namespace0(), &fsdax_spec, false, &what), 0);
	/* libndctl's sequence (enforce mode 0 is fsdax), and no wipe: there was nothing to wipe */
	ck_assert(strstr(fake_system.log, "namespace0.0:enforce-mode=0 pfn:uuid pfn:location=2 pfn:align=2097152 "
					  "pfn:namespace=namespace0.0 pfn:enable "));
	ck_assert(!strstr(fake_system.log, "raw-mode"));
	ck_assert(namespace0()->claim == FAKE_CLAIM_PFN);
}
END_TEST

/* overwrite gets past the guard, and wipes the old personality's info block first */
START_TEST(test_overwrite_wipes_info_block)
{
	_cleanup_free_ char *what = NULL;
	char buf[16] = "";
	int fd;

	namespace0()->claim = FAKE_CLAIM_DAX;
	write_file_at(4096, "NVDIMM_DAX_INFO", 16);
	ck_assert_int_eq(nd_namespace_reconfigure(region0(), namespace0(), &fsdax_spec, true, &what), 0);
	ck_assert(strstr(fake_system.log, "namespace0.0:raw-mode=1 namespace0.0:enable namespace0.0:raw-mode=0"));
	fd = open(file, O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 4096), (ssize_t)sizeof(buf));
	close(fd);
	ck_assert_mem_eq(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	ck_assert(namespace0()->claim == FAKE_CLAIM_PFN);
}
END_TEST

/* overwrite with the asked filesystem already there: kept, never made again */
START_TEST(test_overwrite_keeps_asked_filesystem)
{
	char *mkfs[] = { "mkfs.ext4", "-q", "-F", file, NULL };
	struct ns_policy policy = { .name = "data", .mode = NS_MODE_FSDAX, .filesystem = FS_EXT4 };
	struct ns_state existing = { .devname = "namespace0.0", .mode = NS_MODE_FSDAX };
	struct region_state rs = { .devname = "region0", .id = 0 };
	/* the plan said mkfs (a snapshot from before someone else made it): the last look says keep */
	struct plan_ns pn = { .policy = &policy, .name = "data", .existing = &existing, .fs = FS_ACTION_MKFS };
	struct plan_region pr = { .region = &rs, .ns = &pn, .n_ns = 1, .overwrite = true };
	struct plan plan = { .regions = &pr, .n_regions = 1 };
	struct apply_log log = { 0 };
	unsigned char before[4096], after[4096];
	int fd;

	ck_assert_int_eq(exec_wait(mkfs, NULL), 0);
	namespace0()->claim = FAKE_CLAIM_PFN;
	fd = open(file, O_RDONLY);
	ck_assert_int_eq(pread(fd, before, sizeof(before), 1024), (ssize_t)sizeof(before));
	ck_assert_int_eq(provision_apply(&plan, &log), 0);
	ck_assert_int_eq(pread(fd, after, sizeof(after), 1024), (ssize_t)sizeof(after));
	close(fd);
	ck_assert_mem_eq(before, after, sizeof(before));
	ck_assert_uint_eq(log.n_done, 0);
	ck_assert_uint_eq(log.n_failed, 0);
	ck_assert_str_eq(fake_system.log, "");
	apply_log_clear(&log);
}
END_TEST

/* without overwrite, another filesystem found at the last look is refused */
START_TEST(test_other_filesystem_refused)
{
	char *mkfs[] = { "mkfs.ext4", "-q", "-F", file, NULL };
	struct ns_policy policy = { .name = "data", .mode = NS_MODE_FSDAX, .filesystem = FS_XFS };
	struct ns_state existing = { .devname = "namespace0.0", .mode = NS_MODE_FSDAX };
	struct region_state rs = { .devname = "region0", .id = 0 };
	struct plan_ns pn = { .policy = &policy, .name = "data", .existing = &existing, .fs = FS_ACTION_MKFS };
	struct plan_region pr = { .region = &rs, .ns = &pn, .n_ns = 1 };
	struct plan plan = { .regions = &pr, .n_regions = 1 };
	struct apply_log log = { 0 };

	ck_assert_int_eq(exec_wait(mkfs, NULL), 0);
	namespace0()->claim = FAKE_CLAIM_PFN;
	ck_assert_int_eq(provision_apply(&plan, &log), -EIO);
	ck_assert_uint_eq(log.n_failed, 1);
	ck_assert(strstr(log.failed[0], "pmem0 holds an ext4 signature (\"data\"): not formatted"));
	apply_log_clear(&log);
}
END_TEST

/*
 * A run killed between disabling a region for its labels and enabling it
 * again: the next run enables it, by the record the first wrote before it
 * disabled it; a region someone else disabled stays disabled.
 */
START_TEST(test_disabled_by_the_agent_enabled_again)
{
	char record[160];

	ck_assert_int_eq(disabled_remember(region0()), 0);
	ck_assert_int_eq(ndctl_region_disable_invalidate(region0()), 0);
	/* ... and here the run was killed */
	ck_assert(!region0()->enabled);
	ck_assert_int_eq(disabled_restore(), 1);
	ck_assert(region0()->enabled);
	snprintf(record, sizeof(record), "%s/region0", disabled_dir);
	ck_assert_int_eq(access(record, F_OK), -1);
	/* nothing left to do */
	ck_assert_int_eq(disabled_restore(), 0);
}
END_TEST

START_TEST(test_disabled_by_someone_else_stays)
{
	char record[160];
	int fd;

	ck_assert_int_eq(ndctl_region_disable_invalidate(region0()), 0);
	ck_assert_int_eq(disabled_restore(), 0);
	ck_assert(!region0()->enabled);
	/* a record for another region0 (another boot's, another size): not this one */
	ck_assert_int_eq(disabled_remember(region0()), 0);
	snprintf(record, sizeof(record), "%s/region0", disabled_dir);
	fd = open(record, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "resource=1\nsize=2\n", 18), 18);
	close(fd);
	ck_assert_int_eq(disabled_restore(), 0);
	ck_assert(!region0()->enabled);
	ck_assert_int_eq(access(record, F_OK), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("destructive steps");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_labelless_devdax_refused);
	tcase_add_test(tc, test_sector_never_relabelled);
	tcase_add_test(tc, test_unreadable_refused);
	tcase_add_test(tc, test_one_byte_refused);
	tcase_add_test(tc, test_empty_gets_labels);
	tcase_add_test(tc, test_empty_reconfigured);
	tcase_add_test(tc, test_overwrite_wipes_info_block);
	tcase_add_test(tc, test_overwrite_keeps_asked_filesystem);
	tcase_add_test(tc, test_other_filesystem_refused);
	tcase_add_test(tc, test_disabled_by_the_agent_enabled_again);
	tcase_add_test(tc, test_disabled_by_someone_else_stays);
	suite_add_tcase(s, tc);
#ifdef HAVE_LIBCXL
	suite_add_tcase(s, cxl_assemble_tcase());
#endif
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
