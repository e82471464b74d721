// SPDX-License-Identifier: GPL-2.0-or-later
/* Prometheus' text format, the agent's metrics and vpmem-host's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-metrics.h"
#include "cleanup.h"
#include "fileio.h"
#include "metrics.h"
#include "status.h"
#include "suites.h"
#ifdef ENABLE_HOST
#include <json-c/json.h>

#include "host-metrics.h"
#endif

START_TEST(test_format)
{
	_cleanup_free_ char *text = NULL;
	struct metrics m;
	size_t len;

	ck_assert_int_eq(metrics_begin(&m, "a header"), 0);
	metrics_family(&m, "x_bytes", "gauge", "Help with a \\ and a\nline feed.");
	metrics_sample_u64(&m, "x_bytes", UINT64_C(18446744073709551615), "path", "/mnt/\"q\"\\\n", "empty", NULL,
			   NULL);
	metrics_sample_u64(&m, "x_bytes", 0, NULL);
	metrics_family(&m, "y_seconds", "summary", "A summary.");
	metrics_sample_double(&m, "y_seconds_sum", 1796563271.123, NULL);
	metrics_sample_double(&m, "y_seconds_count", 0.25, "l", "v", NULL);
	ck_assert_int_eq(metrics_finish(&m, &text, &len), 0);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_str_eq(text, "# a header\n"
			       "# HELP x_bytes Help with a \\\\ and a\\nline feed.\n"
			       "# TYPE x_bytes gauge\n"
			       "x_bytes{path=\"/mnt/\\\"q\\\"\\\\\\n\",empty=\"\"} 18446744073709551615\n"
			       "x_bytes 0\n"
			       "# HELP y_seconds A summary.\n"
			       "# TYPE y_seconds summary\n"
			       "y_seconds_sum 1796563271.123\n"
			       "y_seconds_count{l=\"v\"} 0.25\n");
}
END_TEST

START_TEST(test_dir)
{
	bool explicit;

	unsetenv("VPMEM_METRICS_DIR");
	ck_assert_str_eq(metrics_dir(&explicit), "/var/lib/prometheus/node-exporter");
	ck_assert(!explicit);
	setenv("VPMEM_METRICS_DIR", "", 1);
	ck_assert_ptr_null(metrics_dir(&explicit));
	ck_assert(explicit);
	setenv("VPMEM_METRICS_DIR", "/srv/prom", 1);
	ck_assert_str_eq(metrics_dir(&explicit), "/srv/prom");
	ck_assert(explicit);
	unsetenv("VPMEM_METRICS_DIR");
	/* no such directory: nothing made */
	ck_assert_int_eq(metrics_write_file("/nonexistent/vpmem", "x.prom", "", 0), -ENOENT);
}
END_TEST

static struct ns_state namespaces[] = {
	{ .devname = "namespace0.0", .name = "pmem0", .mode = NS_MODE_FSDAX, .enabled = true, .size = 1073741824,
	  .blockdev = "/dev/pmem0", .fstype = "xfs", .mountpoint = "/mnt/pmem0", .dax = 1 },
	{ .devname = "namespace0.1", .name = "fast", .mode = NS_MODE_DEVDAX, .enabled = true, .size = 268435456,
	  .chardev = "/dev/dax0.1" },
	{ .devname = "namespace0.2", .name = "nodax", .mode = NS_MODE_FSDAX, .enabled = true, .size = 536870912,
	  .blockdev = "/dev/pmem0.2", .fstype = "ext4", .mountpoint = "/mnt/\"odd\"", .dax = 0 },
	{ .devname = "namespace0.3", .name = "", .mode = NS_MODE_FSDAX, .enabled = true, .size = 16777216,
	  .blockdev = "/dev/pmem0.3" },
};

static struct dimm_state dimms[] = {
	{ .devname = "nmem0", .health = DIMM_HEALTH_CRITICAL, .flags = DIMM_FLAG_FLUSH_FAIL, .dirty_shutdowns = 2 },
	{ .devname = "nmem1", .health = DIMM_HEALTH_UNKNOWN, .dirty_shutdowns = -1 },
};

static struct region_state region = {
	.devname = "region0", .id = 0, .size = 2147352576, .available = 805175296, .enabled = true,
	.namespaces = namespaces, .n_namespaces = 4, .kind = REGION_NFIT, .provider = "ACPI.NFIT", .badblocks = 8,
	.dimm_states = dimms, .n_dimm_states = 2,
};

START_TEST(test_agent)
{
	struct inventory inv = { .regions = &region, .n_regions = 1 };
	char *failed[] = { "region0: refused", "region0: refused again", "region1: mkfs failed" };
	struct apply_log log = { .failed = failed, .n_failed = 3 };
	struct apply_run run = { .started = 1000.5, .ended = 1002.25, .log = &log };
	_cleanup_free_ char *text = NULL;
	size_t len;

	log.n_reason[APPLY_REFUSED_DATA] = 2;
	log.n_reason[APPLY_FAILED] = 1;
	ck_assert_int_eq(agent_metrics_render(&inv, &run, 0x1234, &text, &len), 0);
	ck_assert(strncmp(text, "# vpmem-agent state 0000000000001234 failures ", 46) == 0);
	ck_assert(strstr(text, "\nvpmem_agent_namespace_size_bytes{region=\"region0\",namespace=\"namespace0.0\","
			       "name=\"pmem0\",mode=\"fsdax\",device=\"/dev/pmem0\",filesystem=\"xfs\","
			       "mountpoint=\"/mnt/pmem0\"} 1073741824\n"));
	/* devdax: no filesystem; label values escaped */
	ck_assert(strstr(text, "name=\"fast\",mode=\"devdax\",device=\"/dev/dax0.1\",filesystem=\"\",mountpoint=\"\"} "
			       "268435456\n"));
	ck_assert(strstr(text, "\nvpmem_agent_namespace_dax{region=\"region0\",namespace=\"namespace0.0\","
			       "name=\"pmem0\",mode=\"fsdax\",device=\"/dev/pmem0\",filesystem=\"xfs\","
			       "mountpoint=\"/mnt/pmem0\"} 1\n"));
	ck_assert(strstr(text, "mountpoint=\"/mnt/\\\"odd\\\"\"} 0\n"));
	/* DAX only where a filesystem is mounted */
	ck_assert(!strstr(text, "vpmem_agent_namespace_dax{region=\"region0\",namespace=\"namespace0.1\""));
	ck_assert(!strstr(text, "vpmem_agent_namespace_dax{region=\"region0\",namespace=\"namespace0.3\""));
	ck_assert(strstr(text, "\nvpmem_agent_region_badblocks{region=\"region0\"} 8\n"));
	ck_assert(strstr(text, "\nvpmem_agent_region_size_bytes{region=\"region0\",kind=\"nfit\"} 2147352576\n"));
	ck_assert(strstr(text, "\nvpmem_agent_region_available_bytes{region=\"region0\"} 805175296\n"));
	ck_assert(strstr(text, "\nvpmem_agent_last_apply_success 0\n"));
	ck_assert(strstr(text, "\nvpmem_agent_last_apply_timestamp_seconds 1002.25\n"));
	ck_assert(strstr(text, "\nvpmem_agent_last_apply_duration_seconds 1.75\n"));
	ck_assert(strstr(text, "\nvpmem_agent_last_apply_refusals{reason=\"data\"} 2\n"));
	ck_assert(strstr(text, "\nvpmem_agent_last_apply_refusals{reason=\"mountpoint\"} 0\n"));
	ck_assert(strstr(text, "\nvpmem_agent_last_apply_failures{reason=\"error\"} 1\n"));
	ck_assert(strstr(text, "\nvpmem_agent_last_apply_failures{reason=\"policy\"} 0\n"));
	/* the DIMMs' health: a state of five, their flags, a dirty shutdown count where kept */
	ck_assert(strstr(text, "\nvpmem_agent_dimm_health{region=\"region0\",dimm=\"nmem0\",state=\"critical\"} 1\n"));
	ck_assert(strstr(text, "\nvpmem_agent_dimm_health{region=\"region0\",dimm=\"nmem0\",state=\"ok\"} 0\n"));
	ck_assert(strstr(text, "\nvpmem_agent_dimm_health{region=\"region0\",dimm=\"nmem1\",state=\"unknown\"} 1\n"));
	ck_assert(strstr(text, "\nvpmem_agent_dimm_flag{region=\"region0\",dimm=\"nmem0\",flag=\"flush_fail\"} 1\n"));
	ck_assert(strstr(text, "\nvpmem_agent_dimm_flag{region=\"region0\",dimm=\"nmem0\",flag=\"not_armed\"} 0\n"));
	ck_assert(strstr(text, "\nvpmem_agent_dimm_flag{region=\"region0\",dimm=\"nmem1\",flag=\"flush_fail\"} 0\n"));
	ck_assert(strstr(text, "\nvpmem_agent_dimm_dirty_shutdowns{region=\"region0\",dimm=\"nmem0\"} 2\n"));
	ck_assert(!strstr(text, "vpmem_agent_dimm_dirty_shutdowns{region=\"region0\",dimm=\"nmem1\"}"));
	/* failures are not refusals */
	ck_assert(!strstr(text, "vpmem_agent_last_apply_refusals{reason=\"error\"}"));
}
END_TEST

/* stat path: its inode, which a write (rename over it) changes */
static ino_t inode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_ino;
}

static void assert_file_has(const char *path, const char *what)
{
	_cleanup_free_ char *text = NULL;

	ck_assert_int_eq(read_file(path, &text, NULL), 0);
	ck_assert_msg(strstr(text, what), "%s does not have %s:\n%s", path, what, text);
}

/*
 * Written when the state changed or an apply did something, with that
 * apply's outcome; never by a run with nothing to do on an unchanged state.
 */
START_TEST(test_agent_update)
{
	struct inventory inv = { .regions = &region, .n_regions = 1 };
	struct apply_log log = { 0 };
	struct apply_run run = { .started = 1, .ended = 2, .log = &log };
	char dir[] = "/tmp/vpmem-metrics-XXXXXX", path[64];
	char *done[] = { "region0: mounted" };
	ino_t ino;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vpmem-agent.prom", dir);
	setenv("VPMEM_METRICS_DIR", dir, 1);
	/* no file yet: written, even by a run with nothing to do */
	agent_metrics_update(&inv, &run, status_state_digest(&inv));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ino = st.st_ino;
	/* nothing done, the same state: not written (the file keeps its run's time) */
	run.ended = 3;
	agent_metrics_update(&inv, &run, status_state_digest(&inv));
	ck_assert_uint_eq(inode_of(path), ino);
	assert_file_has(path, "\nvpmem_agent_last_apply_timestamp_seconds 2\n");
	/* a refusal on the same state: written, with it */
	log.n_reason[APPLY_REFUSED_CAPACITY] = 1;
	agent_metrics_update(&inv, &run, status_state_digest(&inv));
	ck_assert_uint_ne(inode_of(path), ino);
	ino = inode_of(path);
	assert_file_has(path, "\nvpmem_agent_last_apply_refusals{reason=\"capacity\"} 1\n");
	assert_file_has(path, "\nvpmem_agent_last_apply_timestamp_seconds 3\n");
	assert_file_has(path, "\nvpmem_agent_last_apply_success 1\n");
	/* the same refusal again in this boot: not written */
	run.ended = 4;
	agent_metrics_update(&inv, &run, status_state_digest(&inv));
	ck_assert_uint_eq(inode_of(path), ino);
	/* the state changed under a run with nothing to do (someone turned DAX off): written, the last apply kept */
	log.n_reason[APPLY_REFUSED_CAPACITY] = 0;
	namespaces[0].dax = 0;
	agent_metrics_update(&inv, &run, status_state_digest(&inv));
	ck_assert_uint_ne(inode_of(path), ino);
	ino = inode_of(path);
	assert_file_has(path, "mountpoint=\"/mnt/pmem0\"} 0\n");
	assert_file_has(path, "\nvpmem_agent_last_apply_refusals{reason=\"capacity\"} 1\n");
	assert_file_has(path, "\nvpmem_agent_last_apply_timestamp_seconds 3\n");
	/* and then nothing changes: not written */
	agent_metrics_update(&inv, &run, status_state_digest(&inv));
	ck_assert_uint_eq(inode_of(path), ino);
	/* an apply that did something: written, with it */
	namespaces[0].dax = 1;
	log.done = done;
	log.n_done = 1;
	run.ended = 5;
	agent_metrics_update(&inv, &run, status_state_digest(&inv));
	ck_assert_uint_ne(inode_of(path), ino);
	assert_file_has(path, "\nvpmem_agent_last_apply_done_steps 1\n");
	assert_file_has(path, "\nvpmem_agent_last_apply_refusals{reason=\"capacity\"} 0\n");
	assert_file_has(path, "\nvpmem_agent_last_apply_timestamp_seconds 5\n");
	ck_assert_int_eq(unlink(path), 0);
	/* nothing beside it: no temporary file left */
	ck_assert_int_eq(rmdir(dir), 0);
	/* a directory that does not exist: nothing, and no failure */
	agent_metrics_update(&inv, &run, 1);
	ck_assert_int_eq(access(dir, F_OK), -1);
	unsetenv("VPMEM_METRICS_DIR");
}
END_TEST

#ifdef ENABLE_HOST
START_TEST(test_host)
{
	struct ledger_entry entries[] = {
		{ .uuid = "6127956b-94bd-490d-a07a-e97b7e850ebb", .label = "6GB", .state = BACKING_FREE },
		{ .uuid = "4afd946b-68e7-497a-92a0-4228e999a904", .label = "6GB", .state = BACKING_RESERVED },
		{ .uuid = "5bfd946b-68e7-497a-92a0-4228e999a904", .label = "6GB", .state = BACKING_RESERVED },
		{ .uuid = "6cfd946b-68e7-497a-92a0-4228e999a904", .label = "LARGE", .state = BACKING_QUARANTINED },
	};
	struct host h = { .ledger = { .entries = entries, .n = 4 } };
	_cleanup_free_ char *text = NULL;
	struct json_object *counters = json_tokener_parse(
		"{\"erase\": {\"6GB\": {\"count\": 3, \"seconds\": 1.5, \"bytes\": 100, \"written_bytes\": 40, "
		"\"failures\": 1}}, \"in_use_refusals\": {\"LARGE\": 2}, \"placement\": {\"rounds\": 7, "
		"\"requests\": 30, \"last_requests\": 1, \"in_step\": 1, \"last_success\": 1796563271.5, "
		"\"errors\": {\"timeout\": 2}}}");
	size_t len;

	ck_assert_ptr_nonnull(counters);
	ck_assert_int_eq(host_metrics_render(&h, counters, &text, &len), 0);
	ck_assert(strstr(text, "\nvpmem_host_backings{label=\"6GB\",state=\"reserved\"} 2\n"));
	ck_assert(strstr(text, "\nvpmem_host_backings{label=\"6GB\",state=\"free\"} 1\n"));
	ck_assert(strstr(text, "\nvpmem_host_backings{label=\"LARGE\",state=\"quarantined\"} 1\n"));
	ck_assert(strstr(text, "\nvpmem_host_backings{label=\"LARGE\",state=\"free\"} 0\n"));
	ck_assert(strstr(text, "\nvpmem_host_erase_duration_seconds_sum{label=\"6GB\"} 1.5\n"));
	ck_assert(strstr(text, "\nvpmem_host_erase_duration_seconds_count{label=\"6GB\"} 3\n"));
	ck_assert(strstr(text, "\nvpmem_host_erase_duration_seconds_count{label=\"LARGE\"} 0\n"));
	ck_assert(strstr(text, "\nvpmem_host_erase_failures_total{label=\"6GB\"} 1\n"));
	ck_assert(strstr(text, "\nvpmem_host_erase_verified_bytes_total{label=\"6GB\"} 100\n"));
	ck_assert(strstr(text, "\nvpmem_host_erase_written_bytes_total{label=\"6GB\"} 40\n"));
	ck_assert(strstr(text, "\nvpmem_host_in_use_refusals_total{label=\"LARGE\"} 2\n"));
	ck_assert(strstr(text, "\nvpmem_host_placement_sync_rounds_total 7\n"));
	ck_assert(strstr(text, "\nvpmem_host_placement_sync_errors_total{kind=\"timeout\"} 2\n"));
	ck_assert(strstr(text, "\nvpmem_host_placement_sync_errors_total{kind=\"server\"} 0\n"));
	ck_assert(strstr(text, "\nvpmem_host_placement_sync_in_step 1\n"));
	ck_assert(strstr(text, "\nvpmem_host_placement_sync_last_success_timestamp_seconds 1796563271.5\n"));
	ck_assert(strstr(text, "\nvpmem_host_placement_sync_requests 1\n"));
	ck_assert(strstr(text, "\nvpmem_host_placement_sync_requests_total 30\n"));
	json_object_put(counters);
	free(text);
	text = NULL;
	/* no counters yet: zeros */
	ck_assert_int_eq(host_metrics_render(&h, NULL, &text, &len), 0);
	ck_assert(strstr(text, "\nvpmem_host_placement_sync_last_success_timestamp_seconds 0\n"));
	ck_assert(strstr(text, "\nvpmem_host_erase_failures_total{label=\"6GB\"} 0\n"));
}
END_TEST

START_TEST(test_sync_error_kind)
{
	ck_assert_str_eq(sync_error_kind(-EHOSTUNREACH), "unreachable");
	ck_assert_str_eq(sync_error_kind(-ETIMEDOUT), "timeout");
	ck_assert_str_eq(sync_error_kind(-EACCES), "auth");
	ck_assert_str_eq(sync_error_kind(-EPROTO), "protocol");
	ck_assert_str_eq(sync_error_kind(-EBADMSG), "protocol");
	ck_assert_str_eq(sync_error_kind(-EIO), "server");
	ck_assert_str_eq(sync_error_kind(-EAGAIN), "conflict");
	ck_assert_str_eq(sync_error_kind(-ENOSPC), "capacity");
	ck_assert_str_eq(sync_error_kind(-ENOENT), "not_found");
	ck_assert_str_eq(sync_error_kind(-EINVAL), "config");
	ck_assert_str_eq(sync_error_kind(-ENOMEM), "other");
}
END_TEST
#endif

Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_dir);
	tcase_add_test(tc, test_agent);
	tcase_add_test(tc, test_agent_update);
#ifdef ENABLE_HOST
	tcase_add_test(tc, test_host);
	tcase_add_test(tc, test_sync_error_kind);
#endif
	suite_add_tcase(s, tc);
	return s;
}
