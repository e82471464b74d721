// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup-libs.h"
#include "fileio.h"
#include "status.h"
#include "suites.h"

static char *dimms[] = { "nmem0", NULL };

static struct ns_state namespaces[] = {
	{ .devname = "namespace0.0", .name = "pmem0", .uuid = "8a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11",
	  .mode = NS_MODE_FSDAX, .enabled = true, .size = 1073741824, .align = 2097152, .blockdev = "/dev/pmem0",
	  .fstype = "xfs", .contents = "a mounted xfs filesystem", .mountpoint = "/mnt/pmem0", .dax = 1 },
	{ .devname = "namespace0.1", .name = "fast", .mode = NS_MODE_DEVDAX, .enabled = true, .size = 268435456,
	  .align = 2097152, .chardev = "/dev/dax0.1" },
};

static struct dimm_state dimm_states[] = {
	{ .devname = "nmem0", .health = DIMM_HEALTH_NON_CRITICAL, .flags = DIMM_FLAG_SAVE_FAIL | DIMM_FLAG_FLUSH_FAIL,
	  .dirty_shutdowns = 3 },
};

static struct region_state region = {
	.devname = "region0", .id = 0, .size = 2147352576, .available = 805175296, .align = 16777216, .ways = 1,
	.enabled = true, .labelled = true, .label_capable = true, .numa_node = 0, .dimms = dimms,
	.namespaces = namespaces, .n_namespaces = 2, .kind = REGION_NFIT, .provider = "ACPI.NFIT",
	.persistence = PERSIST_DOMAIN_MEMORY_CONTROLLER, .badblocks = 8, .dimm_states = dimm_states, .n_dimm_states = 1,
};

/* virtio-pmem: asynchronous, its label-less namespace reconfigured as sector */
static struct ns_state virtio_namespaces[] = {
	{ .devname = "namespace1.0", .name = "", .mode = NS_MODE_SECTOR, .enabled = true, .size = 1073741824,
	  .dev_size = 1065353216, .sector_size = 4096, .blockdev = "/dev/pmem1s", .fstype = "ext4",
	  .contents = "a mounted ext4 filesystem", .mountpoint = "/mnt/journal", .dax = 0 },
};

static struct region_state virtio_region = {
	.devname = "region1", .id = 1, .size = 1073741824, .align = 16777216, .ways = 1, .enabled = true,
	.numa_node = -1, .namespaces = virtio_namespaces, .n_namespaces = 1, .kind = REGION_VIRTIO,
	.provider = "virtio-pmem", .async = true,
};

START_TEST(test_json)
{
	struct inventory inv = { .regions = &region, .n_regions = 1, .mm = { .page_size = 4096, .pmd_size = UINT64_C(2) << 20 } };
	_cleanup_json_ struct json_object *j = status_to_json(&inv);
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	ck_assert_str_eq(text,
			 "{\"regions\":[{\"region\":\"region0\",\"kind\":\"nfit\",\"description\":\"NVDIMM with labels\","
			 "\"provider\":\"ACPI.NFIT\",\"persistence_domain\":\"memory_controller\",\"synchronous\":true,"
			 "\"badblocks\":8,\"size\":2147352576,\"available\":805175296,"
			 "\"align\":16777216,\"labels\":true,\"label_area\":true,\"enabled\":true,\"numa_node\":0,\"dimms\":[\"nmem0\"],"
			 "\"dimm_health\":[{\"dimm\":\"nmem0\",\"health\":\"non_critical\",\"flags\":[\"save_fail\",\"flush_fail\"],"
			 "\"dirty_shutdowns\":3}],"
			 "\"namespaces\":[{\"namespace\":\"namespace0.0\",\"name\":\"pmem0\","
			 "\"uuid\":\"8a4d6ea9-4c6b-4b8a-9d0b-2f7d3f3c1c11\",\"mode\":\"fsdax\",\"enabled\":true,"
			 "\"size\":1073741824,\"align\":2097152,\"device\":\"/dev/pmem0\",\"filesystem\":\"xfs\","
			 "\"mountpoint\":\"/mnt/pmem0\",\"dax\":true},"
			 "{\"namespace\":\"namespace0.1\",\"name\":\"fast\",\"uuid\":null,\"mode\":\"devdax\","
			 "\"enabled\":true,\"size\":268435456,\"align\":2097152,\"device\":\"/dev/dax0.1\","
			 "\"system_ram\":false}]}],\"page_size\":4096,\"huge_page_size\":2097152}");
}
END_TEST

START_TEST(test_table)
{
	struct inventory inv = { .regions = &region, .n_regions = 1, .mm = { .page_size = 4096, .pmd_size = UINT64_C(2) << 20 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	status_print(&inv, f);
	fclose(f);
	ck_assert(strstr(buf, "region0: NVDIMM with labels, 2.00 GiB, 767.88 MiB free, persistence domain "
			      "memory_controller, 8 bad blocks\n"));
	ck_assert(strstr(buf, "namespace0.0   pmem0        fsdax   1.00 GiB    /dev/pmem0    xfs   /mnt/pmem0           yes\n"));
	ck_assert(strstr(buf, "namespace0.1   fast         devdax  256.00 MiB  /dev/dax0.1   -     -                    devdax\n"));
	ck_assert(strstr(buf, "pages: 4 KiB, huge pages: 2 MiB\n"));
	ck_assert(strstr(buf, "\n  nmem0: health non_critical, 3 dirty shutdowns, flags: save_fail flush_fail\n"));
	free(buf);
	buf = NULL;

	/* a POWER hash MMU without 16 MiB pages: said, not hidden */
	inv.mm = (struct mm_geometry){ .page_size = 65536, .pmd_size = 0 };
	f = open_memstream(&buf, &len);
	status_print(&inv, f);
	fclose(f);
	ck_assert(strstr(buf, "pages: 64 KiB, huge pages: none (DAX maps every page on its own)\n"));
	free(buf);
}
END_TEST

START_TEST(test_virtio_sector)
{
	struct inventory inv = { .regions = &virtio_region, .n_regions = 1 };
	_cleanup_json_ struct json_object *j = status_to_json(&inv);
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	/* the real size of the device, and sector mode is not a DAX failure */
	ck_assert(strstr(text, "\"kind\":\"virtio-pmem\",\"description\":\"virtio-pmem\""));
	ck_assert(strstr(text, "\"persistence_domain\":\"unspecified\",\"synchronous\":false"));
	ck_assert(strstr(text, "\"mode\":\"sector\",\"enabled\":true,\"size\":1073741824,"
			       "\"device_size\":1065353216,\"sector_size\":4096,"));
	ck_assert(strstr(text, "\"mountpoint\":\"/mnt/journal\",\"dax\":false}"));
	status_print(&inv, f);
	fclose(f);
	ck_assert(strstr(buf, "region1: virtio-pmem, 1.00 GiB, 0 B free"));
	ck_assert(strstr(buf, "asynchronous: writes persist only when fsync()/msync() flushes them to the host"));
	ck_assert(strstr(buf, "namespace1.0   -            sector  1016.00 MiB /dev/pmem1s   ext4  /mnt/journal         no (sector)\n"));
	free(buf);
}
END_TEST

START_TEST(test_status_file)
{
	struct inventory inv = { .regions = &region, .n_regions = 1 };
	char *done[] = { "region0: created fsdax namespace" };
	char *failed[] = { "region1: refused" };
	struct apply_log log = { .done = done, .n_done = 1, .failed = failed, .n_failed = 1 };
	char dir[] = "/tmp/vpmem-status-XXXXXX", path[64];
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ struct json_object *j = NULL;
	struct json_object *v;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/status.json", dir);
	ck_assert_int_eq(status_write_file(path, &inv, &log, status_digest(&inv, &log)), 0);
	ck_assert_int_eq(read_file(path, &text, NULL), 0);
	j = json_tokener_parse(text);
	ck_assert_ptr_nonnull(j);
	ck_assert(json_object_object_get_ex(j, "result", &v));
	ck_assert_str_eq(json_object_get_string(v), "failed");
	ck_assert(json_object_object_get_ex(j, "done", &v));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "region0: created fsdax namespace");
	ck_assert(json_object_object_get_ex(j, "regions", &v));
	ck_assert_uint_eq(json_object_array_length(v), 1);
	/* no temporary file is left behind */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A run with nothing to do writes the file only when the status differs. */
START_TEST(test_status_file_unchanged)
{
	struct inventory inv = { .regions = &region, .n_regions = 1 }, none = { 0 };
	struct apply_log noop = { 0 };
	char dir[] = "/tmp/vpmem-status-XXXXXX", path[64];
	_cleanup_free_ char *text = NULL;
	struct stat first, again, changed;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/status.json", dir);
	ck_assert_int_eq(status_write_file(path, &inv, &noop, status_digest(&inv, &noop)), 0);
	ck_assert_int_eq(stat(path, &first), 0);
	ck_assert_int_eq(status_write_file(path, &inv, &noop, status_digest(&inv, &noop)), 0);
	ck_assert_int_eq(stat(path, &again), 0);
	/* the same file, not a new one renamed over it */
	ck_assert_uint_eq(first.st_ino, again.st_ino);
	/* one field of one namespace is enough */
	namespaces[0].dax = 0;
	ck_assert_int_eq(status_write_file(path, &inv, &noop, status_digest(&inv, &noop)), 0);
	namespaces[0].dax = 1;
	ck_assert_int_eq(stat(path, &changed), 0);
	ck_assert_uint_ne(first.st_ino, changed.st_ino);
	ck_assert_int_eq(read_file(path, &text, NULL), 0);
	ck_assert(strstr(text, "\"dax\": false"));
	/* the digest leads the document */
	ck_assert(strncmp(text, "{\n  \"digest\": \"", 15) == 0);
	first = changed;
	ck_assert_int_eq(status_write_file(path, &none, &noop, status_digest(&none, &noop)), 0);
	ck_assert_int_eq(stat(path, &changed), 0);
	ck_assert_uint_ne(first.st_ino, changed.st_ino);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_virtio_sector);
	tcase_add_test(tc, test_status_file_unchanged);
	tcase_add_test(tc, test_status_file);
	suite_add_tcase(s, tc);
	return s;
}
