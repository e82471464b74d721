// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CXL region assembly (agent/cxl.c) against a fake libcxl (fake-cxl.c) and
 * the fake libndctl: the sequence cxl create-region makes, a region taken
 * apart after any step that fails, a blank device whose capacity holds data
 * refused with its label area zeroed back and its region gone, and refusals
 * that change nothing (the fakes' logs stay empty). Part of test-destructive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "apply-log.h"
#include "cxl.h"
#include "exec.h"
#include "fake-cxl.h"
#include "fake-ndctl.h"
#include "cxl-assemble-cases.h"

#define MIB (1024ULL * 1024)

static char dir[] = "/var/tmp/vpmem-fake-cxl-XXXXXX";
static char sysfs[128], capacity[128];
static struct cxl_policy no_policy;
static struct apply_log log_;

static void setup(void)
{
	int fd;

	strcpy(dir, "/var/tmp/vpmem-fake-cxl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sysfs, sizeof(sysfs), "%s/sys", dir);
	snprintf(capacity, sizeof(capacity), "%s/pmem", dir);
	fd = open(capacity, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
	close(fd);
	fake_cxl_reset(2, 512 * MIB, sysfs);
	/* what a new region's nvdimm region reads: the file (a name under /dev that leads to it) */
	snprintf(fake_cxl.seed_device, sizeof(fake_cxl.seed_device), "..%s", capacity);
	cxl_set_sysfs_dir(sysfs);
	memset(&log_, 0, sizeof(log_));
}

static void teardown(void)
{
	char *argv[] = { "rm", "-rf", dir, NULL };

	apply_log_clear(&log_);
	exec_wait(argv, NULL);
}

static bool logged(char **lines, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(lines[i], what))
			return true;
	return false;
}

START_TEST(test_blank_devices_assembled)
{
	ck_assert_int_eq(cxl_assemble(&no_policy, false, &log_), 0);
	/* one region a device, as cxl create-region makes it, in serial order */
	ck_assert_str_eq(fake_cxl.log,
			 "region0:create region0:granularity=256 region0:ways=1 region0:uuid region0:size=536870912 "
			 "decoder2.0:dpa_size=0 decoder2.0:mode=pmem decoder2.0:dpa_size=536870912 region0:target0=mem0 "
			 "region0:commit "
			 "region0:enable "
			 "region1:create region1:granularity=256 region1:ways=1 region1:uuid region1:size=536870912 "
			 "decoder3.0:dpa_size=0 decoder3.0:mode=pmem decoder3.0:dpa_size=536870912 region1:target0=mem1 "
			 "region1:commit "
			 "region1:enable ");
	/* each capacity read through a raw namespace made for it and deleted after */
	ck_assert_str_eq(fake_system.log,
			 "namespace0.0:uuid namespace0.0:name=vpmem-proof namespace0.0:size=67108864 namespace0.0:enable "
			 "namespace0.0:disable namespace0.0:delete "
			 "namespace1.0:uuid namespace1.0:name=vpmem-proof namespace1.0:size=67108864 namespace1.0:enable "
			 "namespace1.0:disable namespace1.0:delete ");
	ck_assert_uint_eq(log_.n_failed, 0);
	ck_assert_uint_eq(log_.n_done, 2);
	ck_assert(logged(log_.done, log_.n_done, "mem0 (serial 0x1): assembled region0 (1-way"));
	ck_assert_uint_eq(fake_cxl_live_regions(), 2);

	/* the next run: both assembled, nothing to do */
	fake_cxl.log[0] = fake_system.log[0] = '\0';
	ck_assert_int_eq(cxl_assemble(&no_policy, false, &log_), 0);
	ck_assert_str_eq(fake_cxl.log, "");
	ck_assert_uint_eq(log_.n_done, 2);
}
END_TEST

START_TEST(test_blank_device_holding_data_refused)
{
	int fd = open(capacity, O_WRONLY);

	/* one byte in the last MiB of what the region reads */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "x", 1, (64 << 20) - 4096), 1);
	close(fd);
	fake_cxl.n_memdevs = 1;
	ck_assert_int_eq(cxl_assemble(&no_policy, false, &log_), 0);
	ck_assert_uint_eq(log_.n_failed, 1);
	ck_assert(logged(log_.failed, 1, "its capacity is not"));
	/* the labels the reading wrote zeroed back, the region taken apart, the capacity given back */
	ck_assert_ptr_nonnull(strstr(fake_system.log, "region0:disable dimm:zero-labels"));
	ck_assert_ptr_nonnull(strstr(fake_cxl.log, "region0:disable region0:reset region0:clear0 "
						   "decoder2.0:dpa_size=0 region0:delete"));
	ck_assert_uint_eq(fake_cxl_live_regions(), 0);
	ck_assert(!fake_cxl_capacity_allocated());
}
END_TEST

START_TEST(test_failed_step_taken_apart)
{
	static const char *steps[] = { "create", "mode", "dpa", "target", "commit", "enable" };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		fake_cxl_reset(1, 512 * MIB, sysfs);
		snprintf(fake_cxl.seed_device, sizeof(fake_cxl.seed_device), "..%s", capacity);
		fake_cxl.fail = steps[i];
		apply_log_clear(&log_);
		memset(&log_, 0, sizeof(log_));
		ck_assert_int_eq(cxl_assemble(&no_policy, false, &log_), 0);
		ck_assert_uint_eq(log_.n_failed, 1);
		ck_assert(logged(log_.failed, 1, "taken apart again"));
		ck_assert_msg(fake_cxl_live_regions() == 0, "a region is left after \"%s\" failed", steps[i]);
		ck_assert_msg(!fake_cxl_capacity_allocated(), "capacity is left allocated after \"%s\" failed", steps[i]);
		if (strcmp(steps[i], "create") != 0)
			ck_assert_ptr_nonnull(strstr(fake_cxl.log, "region0:delete"));
	}
}
END_TEST

START_TEST(test_refusals_change_nothing)
{
	uint8_t *stray = calloc(1, 256 << 10);

	/* stray bytes in mem0's label area, mem1's cannot be read, both busy-free */
	stray[300] = 0x5a;
	fake_cxl.memdevs[0].lsa = stray;
	fake_cxl.memdevs[1].read_error = -EIO;
	ck_assert_int_eq(cxl_assemble(&no_policy, false, &log_), 0);
	ck_assert_str_eq(fake_cxl.log, "");
	ck_assert_str_eq(fake_system.log, "");
	ck_assert_uint_eq(log_.n_failed, 2);
	ck_assert(logged(log_.failed, 2, "mem0 (serial 0x1): its label storage area holds"));
	ck_assert(logged(log_.failed, 2, "mem1 (serial 0x2): cannot read its label storage area"));

	/* a device with capacity allocated already (someone's region in the making): left alone */
	fake_cxl.memdevs[0].lsa = NULL;
	fake_cxl.memdevs[1].read_error = 0;
	fake_cxl.memdevs[0].decoders[0].dpa_size = 256 * MIB;
	fake_cxl.memdevs[1].decoders[0].dpa_size = 256 * MIB;
	apply_log_clear(&log_);
	memset(&log_, 0, sizeof(log_));
	ck_assert_int_eq(cxl_assemble(&no_policy, false, &log_), 0);
	ck_assert_str_eq(fake_cxl.log, "");
	ck_assert_uint_eq(log_.n_failed + log_.n_done, 0);

	/* a dry run prints and changes nothing */
	fake_cxl.memdevs[0].decoders[0].dpa_size = fake_cxl.memdevs[1].decoders[0].dpa_size = 0;
	ck_assert_int_eq(cxl_assemble(&no_policy, true, &log_), 0);
	ck_assert_str_eq(fake_cxl.log, "");
	ck_assert_str_eq(fake_system.log, "");
	free(stray);
}
END_TEST

START_TEST(test_no_memdev_no_libcxl)
{
	char path[192];

	/* a CXL bus without memory devices (the kernel has it built in): libcxl is not even opened */
	snprintf(path, sizeof(path), "%s/mem0", sysfs);
	ck_assert_int_eq(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/mem1", sysfs);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(cxl_assemble(&no_policy, false, &log_), 0);
	ck_assert_str_eq(fake_cxl.log, "");
	ck_assert_uint_eq(log_.n_done + log_.n_failed, 0);
}
END_TEST

START_TEST(test_policy_interleave)
{
	char *pair[] = { "0x2", "0x1" };
	struct cxl_policy_entry entry = { pair, 2, 4096 };
	struct cxl_policy policy = { .given = true, .entries = &entry, .n_entries = 1 };

	ck_assert_int_eq(cxl_assemble(&policy, false, &log_), 0);
	/* the policy's order: serial 2 (mem1) at position 0, the granularity asked for */
	ck_assert_str_eq(fake_cxl.log,
			 "region0:create region0:granularity=4096 region0:ways=2 region0:uuid region0:size=1073741824 "
			 "decoder3.0:dpa_size=0 decoder3.0:mode=pmem decoder3.0:dpa_size=536870912 region0:target0=mem1 "
			 "decoder2.0:dpa_size=0 decoder2.0:mode=pmem decoder2.0:dpa_size=536870912 region0:target1=mem0 "
			 "region0:commit "
			 "region0:enable ");
	ck_assert_uint_eq(log_.n_failed, 0);
}
END_TEST

TCase *cxl_assemble_tcase(void)
{
	TCase *tc = tcase_create("cxl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_blank_devices_assembled);
	tcase_add_test(tc, test_blank_device_holding_data_refused);
	tcase_add_test(tc, test_failed_step_taken_apart);
	tcase_add_test(tc, test_refusals_change_nothing);
	tcase_add_test(tc, test_policy_interleave);
	tcase_add_test(tc, test_no_memdev_no_libcxl);
	return tc;
}
