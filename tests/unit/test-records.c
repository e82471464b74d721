// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The agent's records (record.h): one format, root's alone, and they hold
 * only for the device they describe: the record of what was system RAM
 * (system-ram.h).
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h"
#include "fileio.h"
#include "record.h"
#include "suites.h"
#include "system-ram.h"

#define UUID_A "8d1f1b9e-5b3c-4f6e-9a4a-2c1d0e9f7a61"
#define UUID_B "0d5c6e1a-2f3b-4c4d-8e5f-6a7b8c9d0e1f"
#define GIB (1024ULL * 1024 * 1024)
#define MIB2 (2ULL * 1024 * 1024)

static char dir[] = "/tmp/vpmem-records-XXXXXX";
static char ram[64];

static void setup(void)
{
	strcpy(dir, "/tmp/vpmem-records-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ram, sizeof(ram), "%s/lib/system-ram", dir);
	system_ram_set_dir(ram);
}

static void teardown(void)
{
	char *argv[] = { "rm", "-rf", dir, NULL };

	exec_wait(argv, NULL);
}

/* as a reboot leaves it: the record of an earlier boot */
static void write_earlier_boot(const char *uuid, unsigned long long size, unsigned long long align)
{
	_cleanup_free_ char *text = NULL;

	ck_assert_int_ge(asprintf(&text, "size=%llu\nalign=%llu\nboot=00000000-0000-4000-8000-000000000000\n", size,
				  align),
			 0);
	ck_assert_int_eq(record_write(ram, uuid, text), 0);
}

static bool has_record(const char *uuid)
{
	_cleanup_free_ char *text = NULL;
	int r = record_read(ram, uuid, &text);

	ck_assert(r == 0 || r == -ENOENT);
	return r == 0;
}

START_TEST(test_record_format)
{
	_cleanup_free_ char *text = NULL, *v = NULL, *path = NULL;
	uint64_t n;
	struct stat st;

	ck_assert_int_eq(record_write(ram, "region0", "resource=4294967296\nsize=17\nname=a=b\n"), 0);
	ck_assert_int_eq(record_read(ram, "region0", &text), 0);
	ck_assert_int_eq(record_value_u64(text, "size", &n), 0);
	ck_assert_uint_eq(n, 17);
	ck_assert_int_eq(record_value_u64(text, "resource", &n), 0);
	ck_assert_uint_eq(n, 4294967296ULL);
	ck_assert_int_eq(record_value_u64(text, "missing", &n), -ENOENT);
	ck_assert_int_eq(record_value_u64(text, "name", &n), -EINVAL);
	v = record_value(text, "name");
	ck_assert_str_eq(v, "a=b");
	/* "size" is not "resource"'s tail, nor a prefix of another key */
	ck_assert_ptr_null(record_value(text, "siz"));
	/* root's alone, as vpmem-host's state */
	ck_assert_int_eq(stat(ram, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_ge(asprintf(&path, "%s/region0", ram), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	/* names become file names: nothing that leaves the directory */
	ck_assert_int_eq(record_write(ram, "../escape", "x=1\n"), -EINVAL);
	ck_assert_int_eq(record_write(ram, ".hidden", "x=1\n"), -EINVAL);
	ck_assert_int_eq(record_write(ram, "", "x=1\n"), -EINVAL);
	free(text);
	ck_assert_int_eq(record_read(ram, "a/b", &text), -EINVAL);
	ck_assert_ptr_null(text);
	/* removed, and removing what is not there is no error */
	ck_assert_int_eq(record_remove(ram, "region0"), 0);
	ck_assert_int_eq(record_remove(ram, "region0"), 0);
	ck_assert_int_eq(record_read(ram, "region0", &text), -ENOENT);
}
END_TEST

START_TEST(test_system_ram_earlier_boot)
{
	_cleanup_free_ char *why = NULL;

	ck_assert_int_eq(system_ram_was(UUID_A, GIB, MIB2, &why), 0);
	ck_assert_ptr_null(why);
	write_earlier_boot(UUID_A, GIB, MIB2);
	ck_assert_int_eq(system_ram_was(UUID_A, GIB, MIB2, &why), 1);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(system_ram_was(UUID_B, GIB, MIB2, &why), 0);
	/* it holds until the device changes */
	ck_assert(has_record(UUID_A));
}
END_TEST

START_TEST(test_system_ram_same_boot_is_someone_elses)
{
	_cleanup_free_ char *why = NULL;

	/* handed over in this boot, seen devdax again in this boot: someone made it so */
	ck_assert_int_eq(system_ram_remember(UUID_A, GIB, MIB2), 0);
	ck_assert_int_eq(system_ram_remember(UUID_B, GIB, MIB2), 0);
	ck_assert_int_eq(system_ram_was(UUID_A, GIB, MIB2, &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "earlier in this boot"));
	/* and its record is gone, the other one kept */
	ck_assert(!has_record(UUID_A));
	ck_assert(has_record(UUID_B));
}
END_TEST

START_TEST(test_system_ram_other_device)
{
	_cleanup_free_ char *why = NULL;

	write_earlier_boot(UUID_A, GIB, MIB2);
	ck_assert_int_eq(system_ram_was(UUID_A, 2 * GIB, MIB2, &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "another size or alignment"));
	free(why);
	why = NULL;
	/* dropped: the right size later does not bring it back */
	ck_assert_int_eq(system_ram_was(UUID_A, GIB, MIB2, &why), 0);
	ck_assert_ptr_null(why);

	write_earlier_boot(UUID_A, GIB, MIB2);
	ck_assert_int_eq(system_ram_was(UUID_A, GIB, GIB, &why), 0);
	ck_assert_ptr_nonnull(why);
	ck_assert(!has_record(UUID_A));
	/* a record without its boot proves nothing either */
	ck_assert_int_eq(record_write(ram, UUID_B, "size=1073741824\nalign=2097152\n"), 0);
	free(why);
	ck_assert_int_eq(system_ram_was(UUID_B, GIB, MIB2, &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "incomplete"));
	ck_assert(!has_record(UUID_B));
}
END_TEST

START_TEST(test_system_ram_old_file_proves_nothing)
{
	char lib[80];
	struct stat st;

	/* vpmem 0.1 wrote bare uuids into a file where the directory is now */
	snprintf(lib, sizeof(lib), "%s/lib", dir);
	ck_assert_int_eq(mkdir_p_nofollow(lib, 0755), 0);
	ck_assert_int_eq(write_file_atomic(ram, UUID_A "\n" UUID_B "\n", 74, 0644), 0);
	ck_assert_int_eq(system_ram_was(UUID_A, GIB, MIB2, NULL), 0);
	ck_assert_int_eq(lstat(ram, &st), -1);
	/* remembering makes the directory of records */
	ck_assert_int_eq(write_file_atomic(ram, UUID_A "\n", 37, 0644), 0);
	ck_assert_int_eq(system_ram_remember(UUID_A, GIB, MIB2), 0);
	ck_assert_int_eq(lstat(ram, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert(has_record(UUID_A));
}
END_TEST

Suite *records_suite(void)
{
	Suite *s = suite_create("records");
	TCase *tc = tcase_create("records");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_record_format);
	tcase_add_test(tc, test_system_ram_earlier_boot);
	tcase_add_test(tc, test_system_ram_same_boot_is_someone_elses);
	tcase_add_test(tc, test_system_ram_other_device);
	tcase_add_test(tc, test_system_ram_old_file_proves_nothing);
	suite_add_tcase(s, tc);
	return s;
}
