// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The agent's records hold only for the device they describe: the record of
 * what was system RAM (system-ram.h).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h"
#include "fileio.h"
#include "suites.h"
#include "system-ram.h"

#define UUID_A "8d1f1b9e-5b3c-4f6e-9a4a-2c1d0e9f7a61"
#define UUID_B "0d5c6e1a-2f3b-4c4d-8e5f-6a7b8c9d0e1f"
#define GIB (1024ULL * 1024 * 1024)
#define MIB2 (2ULL * 1024 * 1024)

static char dir[] = "/tmp/vpmem-records-XXXXXX";
static char path[64];

static void setup(void)
{
	strcpy(dir, "/tmp/vpmem-records-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lib/system-ram", dir);
	system_ram_set_path(path);
}

static void teardown(void)
{
	char *argv[] = { "rm", "-rf", dir, NULL };

	exec_wait(argv, NULL);
}

static void write_record(const char *text)
{
	char lib[80];

	snprintf(lib, sizeof(lib), "%s/lib", dir);
	ck_assert_int_eq(mkdir_p_nofollow(lib, 0755), 0);
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static char *record_text(void)
{
	char *text = NULL;

	ck_assert_int_eq(read_file(path, &text, NULL), 0);
	return text;
}

/* as a reboot leaves it: the line of an earlier boot */
static void write_earlier_boot(const char *uuid, unsigned long long size, unsigned long long align)
{
	_cleanup_free_ char *text = NULL;

	ck_assert_int_ge(asprintf(&text, "%s size=%llu align=%llu boot=00000000-0000-4000-8000-000000000000\n", uuid,
				  size, align),
			 0);
	write_record(text);
}

START_TEST(test_system_ram_earlier_boot)
{
	_cleanup_free_ char *why = NULL;

	ck_assert_int_eq(system_ram_was(UUID_A, GIB, MIB2, &why), 0);
	ck_assert_ptr_null(why);
	write_earlier_boot(UUID_A, GIB, MIB2);
	ck_assert_int_eq(system_ram_was(UUID_A, GIB, MIB2, &why), 1);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(system_ram_was(UUID_B, GIB, MIB2, &why), 0);
}
END_TEST

START_TEST(test_system_ram_same_boot_is_someone_elses)
{
	_cleanup_free_ char *why = NULL, *text = NULL;

	/* handed over in this boot, seen devdax again in this boot: someone made it so */
	ck_assert_int_eq(system_ram_remember(UUID_A, GIB, MIB2), 0);
	ck_assert_int_eq(system_ram_remember(UUID_B, GIB, MIB2), 0);
	ck_assert_int_eq(system_ram_was(UUID_A, GIB, MIB2, &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "earlier in this boot"));
	/* and the line is gone, the other one kept */
	text = record_text();
	ck_assert_ptr_null(strstr(text, UUID_A));
	ck_assert_ptr_nonnull(strstr(text, UUID_B));
}
END_TEST

START_TEST(test_system_ram_other_device)
{
	_cleanup_free_ char *why = NULL, *text = NULL;

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
	text = record_text();
	ck_assert_str_eq(text, "");
}
END_TEST

START_TEST(test_system_ram_old_format_proves_nothing)
{
	_cleanup_free_ char *text = NULL;

	/* vpmem 0.1 wrote bare uuids: no size, no boot */
	write_record(UUID_A "\n" UUID_B "\n");
	ck_assert_int_eq(system_ram_was(UUID_A, GIB, MIB2, NULL), 0);
	text = record_text();
	ck_assert_str_eq(text, "");
	/* remembering writes the current format, once */
	ck_assert_int_eq(system_ram_remember(UUID_A, GIB, MIB2), 0);
	free(text);
	text = record_text();
	ck_assert_ptr_nonnull(strstr(text, UUID_A " size=1073741824 align=2097152 boot="));
	ck_assert_int_eq(system_ram_remember(UUID_A, GIB, MIB2), 0);
	free(text);
	text = record_text();
	ck_assert_ptr_null(strstr(strstr(text, UUID_A) + 1, UUID_A));
}
END_TEST

Suite *records_suite(void)
{
	Suite *s = suite_create("records");
	TCase *tc = tcase_create("system-ram");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_system_ram_earlier_boot);
	tcase_add_test(tc, test_system_ram_same_boot_is_someone_elses);
	tcase_add_test(tc, test_system_ram_other_device);
	tcase_add_test(tc, test_system_ram_old_format_proves_nothing);
	suite_add_tcase(s, tc);
	return s;
}
