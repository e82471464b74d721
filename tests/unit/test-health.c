// SPDX-License-Identifier: GPL-2.0-or-later
/* What the DIMMs' firmware reports, said once a boot (agent/health.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "health.h"
#include "suites.h"

static struct ns_state namespaces[] = {
	{ .devname = "namespace0.0", .name = "pmem0", .mode = NS_MODE_FSDAX, .size = 1073741824,
	  .blockdev = "/dev/pmem0", .fstype = "xfs", .mountpoint = "/mnt/pmem0", .dax = 1 },
};

static struct dimm_state dimm = { .devname = "nmem0", .id = "8680-56341200", .dirty_shutdowns = -1 };

static struct region_state region = {
	.devname = "region0", .kind = REGION_PAPR, .namespaces = namespaces, .n_namespaces = 1, .dimm_states = &dimm,
	.n_dimm_states = 1,
};

static char state[] = "/tmp/vpmem-health-XXXXXX", run[64], said[64];

/* health_report() with its messages (stderr) in the returned text */
static char *report(void)
{
	struct inventory inv = { .regions = &region, .n_regions = 1 };
	char path[] = "/tmp/vpmem-health-err-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char *text = NULL;

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	health_report(&inv);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	ck_assert_int_eq(read_file(path, &text, NULL), 0);
	unlink(path);
	return text;
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(state));
	snprintf(run, sizeof(run), "%s/run", state);
	snprintf(said, sizeof(said), "%s/run/8680-56341200", state);
	health_set_dirs(state, run);
}

static void teardown(void)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/8680-56341200", state);
	unlink(path);
	unlink(said);
	rmdir(run);
	rmdir(state);
	health_set_dirs(LOCALSTATEDIR "/lib/vpmem/health", RUNDIR "/health");
}

START_TEST(test_dirty_shutdown_count)
{
	char path[96];
	_cleanup_free_ char *text = NULL, *rec = NULL;
	struct stat first, again;

	setup();
	snprintf(path, sizeof(path), "%s/8680-56341200", state);
	/* first seen: recorded, nothing said (nothing to compare with) */
	dimm = (struct dimm_state){ .devname = "nmem0", .id = "8680-56341200", .health = DIMM_HEALTH_OK, .dirty_shutdowns = 2 };
	text = report();
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(read_file(path, &rec, NULL), 0);
	ck_assert_str_eq(rec, "dirty_shutdowns=2\n");
	ck_assert_int_eq(stat(path, &first), 0);
	free(text);
	/* the same count: nothing said, nothing written */
	text = report();
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(stat(path, &again), 0);
	ck_assert_uint_eq(first.st_ino, again.st_ino);
	free(text);
	/* it rose: said, with what is on the DIMM, and recorded */
	dimm.dirty_shutdowns = 3;
	text = report();
	ck_assert_msg(strstr(text, "warning: nmem0 (region0): the last shutdown was not clean (its dirty shutdown count "
				   "rose from 2 to 3): writes that had not reached its persistence domain are lost. On "
				   "it: xfs on /dev/pmem0 at /mnt/pmem0."),
		      "%s", text);
	free(rec);
	ck_assert_int_eq(read_file(path, &rec, NULL), 0);
	ck_assert_str_eq(rec, "dirty_shutdowns=3\n");
	free(text);
	/* the next run of this boot: not said again */
	text = report();
	ck_assert_str_eq(text, "");
	teardown();
}
END_TEST

START_TEST(test_flags_and_health)
{
	_cleanup_free_ char *text = NULL;

	setup();
	/* papr_scm's dirty shutdown bit: flush_fail */
	dimm = (struct dimm_state){ .devname = "nmem0", .id = "8680-56341200", .health = DIMM_HEALTH_OK,
				    .flags = DIMM_FLAG_FLUSH_FAIL, .dirty_shutdowns = -1 };
	text = report();
	ck_assert_msg(strstr(text, "nmem0 (region0): the last shutdown was not clean (its firmware reports flush_fail)"),
		      "%s", text);
	ck_assert(!strstr(text, "its firmware reports health"));
	free(text);
	text = report();
	ck_assert_str_eq(text, "");
	free(text);
	/* then fatal health in the same boot: said, as an error */
	dimm.health = DIMM_HEALTH_FATAL;
	dimm.flags |= DIMM_FLAG_SMART_EVENT;
	text = report();
	ck_assert_msg(strstr(text, "error: nmem0 (region0): its firmware reports health fatal, flags: flush_fail "
				   "smart_event. On it: xfs on /dev/pmem0 at /mnt/pmem0"),
		      "%s", text);
	free(text);
	/* a DIMM that reports nothing: nothing read or written */
	unlink(said);
	dimm = (struct dimm_state){ .devname = "nmem0", .dirty_shutdowns = -1 };
	text = report();
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(access(said, F_OK), -1);
	teardown();
}
END_TEST

Suite *health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_dirty_shutdown_count);
	tcase_add_test(tc, test_flags_and_health);
	suite_add_tcase(s, tc);
	return s;
}
