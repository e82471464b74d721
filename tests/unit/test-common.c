// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "errlist.h"
#include "exec.h"
#include "fileio.h"
#include "log.h"
#include "mm.h"
#include "mountinfo.h"
#include "suites.h"

static char dir[] = "/tmp/vpmem-common-XXXXXX";

static void setup(void)
{
	strcpy(dir, "/tmp/vpmem-common-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char *argv[] = { "rm", "-rf", dir, NULL };

	exec_wait(argv, NULL);
}

START_TEST(test_mm_geometry)
{
	long page = sysconf(_SC_PAGESIZE);
	_cleanup_free_ char *path = NULL, *missing = NULL;
	struct mm_geometry mm = { 0 };
	uint64_t v = 0;

	/* what the kernel writes, and what it never would */
	ck_assert_int_eq(mm_parse_pmd_size("2097152\n", 4096, &v), 0);
	ck_assert_uint_eq(v, UINT64_C(2) << 20);
	ck_assert_int_eq(mm_parse_pmd_size("16777216\n", 65536, &v), 0);
	ck_assert_uint_eq(v, UINT64_C(16) << 20);
	ck_assert_int_eq(mm_parse_pmd_size("3145728\n", 4096, &v), -EINVAL);
	ck_assert_int_eq(mm_parse_pmd_size("65536\n", 65536, &v), -EINVAL);
	ck_assert_int_eq(mm_parse_pmd_size("", 4096, &v), -EINVAL);
	ck_assert_int_eq(mm_parse_pmd_size("-2097152", 4096, &v), -EINVAL);
	ck_assert_int_eq(mm_parse_pmd_size("2097152 x", 4096, &v), -EINVAL);
	ck_assert_int_eq(mm_parse_pmd_size("99999999999999999999999", 4096, &v), -EINVAL);

	/* the file read, with sysconf's page size */
	ck_assert_int_ge(asprintf(&path, "%s/hpage_pmd_size", dir), 0);
	ck_assert_int_eq(write_file_atomic(path, "2097152\n", 8, 0644), 0);
	ck_assert_int_eq(mm_geometry_read(path, &mm), 0);
	ck_assert_uint_eq(mm.page_size, (uint64_t)page);
	ck_assert_uint_eq(mm.pmd_size, UINT64_C(2) << 20);
	ck_assert_uint_eq(mm_fault_unit(&mm), UINT64_C(2) << 20);
	ck_assert_uint_eq(mm_dax_start_align(&mm), UINT64_C(2) << 20);
	/* no file: no PMD pages (a hash MMU without 16 MiB pages), the page is the unit */
	ck_assert_int_ge(asprintf(&missing, "%s/none", dir), 0);
	ck_assert_int_eq(mm_geometry_read(missing, &mm), 0);
	ck_assert_uint_eq(mm.pmd_size, 0);
	ck_assert_uint_eq(mm_fault_unit(&mm), (uint64_t)page);
	ck_assert_uint_eq(mm_dax_start_align(&mm), UINT64_C(2) << 20);
	/* something else there is an error, not "none" */
	ck_assert_int_eq(write_file_atomic(path, "huge\n", 5, 0644), 0);
	ck_assert_int_eq(mm_geometry_read(path, &mm), -EINVAL);
	/* arm64 with 64 KiB pages: 512 MiB PMDs, namespaces start on 2 MiB all the same */
	mm = (struct mm_geometry){ .page_size = 65536, .pmd_size = UINT64_C(512) << 20 };
	ck_assert_uint_eq(mm_dax_start_align(&mm), UINT64_C(2) << 20);
	/* what mm_geometry_read() sets on powerpc with the hash MMU's 16 MiB pages */
	mm.dax_start_align = UINT64_C(16) << 20;
	ck_assert_uint_eq(mm_dax_start_align(&mm), UINT64_C(16) << 20);
}
END_TEST

START_TEST(test_exec)
{
	char *ok[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	char *missing[] = { "/nonexistent/vpmem-tool", NULL };
	char *args[] = { "printf", "%s|", "a b", "$(reboot)", ";", NULL };
	_cleanup_free_ char *output = NULL, *output2 = NULL;

	ck_assert_int_eq(exec_wait(ok, &output), 3);
	ck_assert_str_eq(output, "out\nerr\n");
	ck_assert_int_eq(exec_wait(missing, NULL), 127);
	/* arguments reach the program as they are: no shell in between */
	ck_assert_int_eq(exec_wait(args, &output2), 0);
	ck_assert_str_eq(output2, "a b|$(reboot)|;|");
}
END_TEST

START_TEST(test_atomic_write)
{
	char path[128];
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct stat st;

	snprintf(path, sizeof(path), "%s/f.json", dir);
	ck_assert_int_eq(write_file_atomic(path, "one", 3, 0644), 0);
	ck_assert_int_eq(write_file_atomic(path, "second", 6, 0600), 0);
	ck_assert_int_eq(read_file(path, &text, &len), 0);
	ck_assert_str_eq(text, "second");
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(write_file_atomic("/nonexistent-dir/x", "a", 1, 0644), -ENOENT);
}
END_TEST

START_TEST(test_mkdir_nofollow)
{
	char path[128], link[128], through[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	ck_assert_int_eq(mkdir_p_nofollow(path, 0755), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(mkdir_p_nofollow(path, 0755), 0);

	/* a planted symlink is refused, not followed */
	snprintf(link, sizeof(link), "%s/evil", dir);
	ck_assert_int_eq(symlink("/tmp", link), 0);
	snprintf(through, sizeof(through), "%s/evil/x", dir);
	ck_assert_int_eq(mkdir_p_nofollow(through, 0755), -ELOOP);
	ck_assert_int_eq(mkdir_p_nofollow(link, 0755), -ELOOP);
	ck_assert_int_eq(mkdir_p_nofollow("relative/x", 0755), -EINVAL);
}
END_TEST

START_TEST(test_lock)
{
	char path[128];
	int fd, other;

	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = lock_file(path);
	ck_assert_int_ge(fd, 0);
	other = open(path, O_RDWR);
	ck_assert_int_ge(other, 0);
	ck_assert_int_eq(flock(other, LOCK_EX | LOCK_NB), -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	close(fd);
	ck_assert_int_eq(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
}
END_TEST

START_TEST(test_errlist)
{
	struct errlist e = { 0 };

	errlist_add(&e, "f.json", "$.a", "bad %d", 1);
	errlist_add(&e, NULL, NULL, "plain");
	errlist_add(&e, "f.json", NULL, "no path");
	ck_assert_uint_eq(e.count, 3);
	ck_assert_uint_eq(e.n_messages, 3);
	ck_assert_str_eq(e.messages[0], "f.json: $.a: bad 1");
	ck_assert_str_eq(e.messages[1], "plain");
	ck_assert_str_eq(e.messages[2], "f.json: no path");
	errlist_clear(&e);
	ck_assert_uint_eq(e.count, 0);
	ck_assert_uint_eq(e.n_messages, 0);
}
END_TEST

/* /proc/self/mountinfo as proc(5) gives it: optional fields, escapes, devices without a major */
/* log_error_errno: says which error "%m" is, returns it negative, and leaves errno as it was */
START_TEST(test_log_errno)
{
	char path[] = "/tmp/vpmem-test-log-XXXXXX";
	_cleanup_free_ char *text = NULL;
	int fd = mkstemp(path), saved = dup(STDERR_FILENO), r;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	log_set_silent(false);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	errno = ENOENT;
	r = log_error_errno(-EIO, "cannot read %s: %m", "thing");
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(log_warning_errno(ENOSPC, "full: %m"), -ENOSPC);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	close(fd);
	ck_assert_int_eq(r, -EIO);
	ck_assert_int_eq(read_file(path, &text, NULL), 0);
	unlink(path);
	ck_assert_ptr_nonnull(strstr(text, "error: cannot read thing: Input/output error\n"));
	ck_assert_ptr_nonnull(strstr(text, "warning: full: No space left on device\n"));
}
END_TEST

START_TEST(test_mountinfo)
{
	static const char table[] =
		"22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
		"28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
		"97 28 259:0 / /mnt/my\\040pmem rw,relatime shared:50 master:3 - xfs /dev/pmem0 rw,attr2,dax=always,inode64\n"
		"98 28 259:0 /sub /srv/bind rw,relatime - xfs /dev/pmem0 rw,attr2,dax=always,inode64\n"
		"99 28 259:1 / /mnt/back\\134slash\\011tab rw - ext4 /dev/pmem1 rw,dax\n"
		"100 28 259:2 / /mnt/broken rw shared:3 xfs /dev/pmem2 rw\n"
		"101 28 259:3\n"
		"102 28 x:3 / /mnt/notnumbers rw - xfs /dev/pmem3 rw\n";
	char tmp[] = "/tmp/vpmem-mountinfo-XXXXXX", path[64];
	struct mountinfo mi = { 0 };
	const struct mount_entry *m;
	struct mount_entry e;
	char line[] = "1 2 8:1 / /x rw - vfat /dev/sda1";
	char bad[] = "1 2 8:1 / /x rw shared:1";

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/mountinfo", tmp);
	ck_assert_int_eq(write_file_atomic(path, table, sizeof(table) - 1, 0644), 0);
	ck_assert_int_eq(mountinfo_read(path, &mi), 0);
	/* proc (0:21) and the three malformed lines are left out */
	ck_assert_uint_eq(mi.n_entries, 4);
	m = mountinfo_find_devno(&mi, makedev(259, 0));
	ck_assert_ptr_nonnull(m);
	/* the first mount of a device, not a later bind mount of part of it */
	ck_assert_str_eq(m->target, "/mnt/my pmem");
	ck_assert_str_eq(m->fstype, "xfs");
	ck_assert_str_eq(m->fs_options, "rw,attr2,dax=always,inode64");
	m = mountinfo_find_devno(&mi, makedev(259, 1));
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->target, "/mnt/back\\slash\ttab");
	ck_assert_str_eq(m->fs_options, "rw,dax");
	ck_assert_ptr_null(mountinfo_find_devno(&mi, makedev(259, 2)));
	ck_assert_ptr_null(mountinfo_find_devno(&mi, makedev(259, 3)));
	ck_assert_ptr_null(mountinfo_find_devno(&mi, makedev(0, 21)));
	mountinfo_clear(&mi);
	ck_assert_uint_eq(mi.n_entries, 0);

	/* a line without super options is still a mount */
	ck_assert_int_eq(mountinfo_parse_line(line, &e), 0);
	ck_assert_str_eq(e.fs_options, "");
	ck_assert_str_eq(e.target, "/x");
	free(e.target);
	free(e.fstype);
	free(e.fs_options);
	ck_assert_int_eq(mountinfo_parse_line(bad, &e), -EINVAL);

	ck_assert_int_eq(mountinfo_read("/nonexistent/mountinfo", &mi), -ENOENT);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(tmp), 0);

	/*
	 * And the real one reads, and what it lists is what stat() says is
	 * mounted there. (Not "/" itself: in a build chroot, as pbuilder makes
	 * one, the root is no mountpoint the chroot can see.)
	 */
	ck_assert_int_eq(mountinfo_read("/proc/self/mountinfo", &mi), 0);
	{
		size_t confirmed = 0;

		for (size_t i = 0; i < mi.n_entries; i++) {
			struct stat st;

			/* a mountpoint hidden by a later mount, or gone, says nothing */
			if (stat(mi.entries[i].target, &st) < 0 || st.st_dev != mi.entries[i].devno)
				continue;
			confirmed++;
			m = mountinfo_find_devno(&mi, st.st_dev);
			ck_assert_ptr_nonnull(m);
			ck_assert_uint_eq(m->devno, st.st_dev);
		}
		/* the block devices' mounts it lists: stat() confirms some (a parse gone wrong, none) */
		if (mi.n_entries)
			ck_assert_uint_gt(confirmed, 0);
	}
	mountinfo_clear(&mi);
}
END_TEST

Suite *common_suite(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exec);
	tcase_add_test(tc, test_mm_geometry);
	tcase_add_test(tc, test_atomic_write);
	tcase_add_test(tc, test_mkdir_nofollow);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_errlist);
	tcase_add_test(tc, test_mountinfo);
	tcase_add_test(tc, test_log_errno);
	suite_add_tcase(s, tc);
	return s;
}
