// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "mount.h"
#include "mountinfo.h"
#include "mountpoint.h"
#include "suites.h"

START_TEST(test_options)
{
	_cleanup_free_ char *a = mount_build_options(NULL, false);
	_cleanup_free_ char *b = mount_build_options("noatime", false);
	_cleanup_free_ char *c = mount_build_options("noatime,nodev", true);
	_cleanup_free_ char *d = mount_build_options("", false);

	ck_assert_str_eq(a, "dax=always");
	ck_assert_str_eq(b, "dax=always,noatime");
	ck_assert_str_eq(c, "dax,noatime,nodev");
	ck_assert_str_eq(d, "dax=always");
}
END_TEST

START_TEST(test_options_have_dax)
{
	ck_assert(mount_options_have_dax("rw,relatime,attr2,dax=always,inode64"));
	ck_assert(mount_options_have_dax("dax"));
	ck_assert(!mount_options_have_dax("rw,relatime,dax=never"));
	ck_assert(!mount_options_have_dax("rw,relatime,dax=inode"));
	ck_assert(!mount_options_have_dax("rw,daxfoo"));
	ck_assert(!mount_options_have_dax(NULL));
}
END_TEST

/* Where the kernel can say (statx, 5.8+), what it says wins over the options */
START_TEST(test_dax_in_effect_asks_the_kernel)
{
	char dir[] = "/tmp/vpmem-test-dax-XXXXXX";
	_cleanup_free_ char *file = NULL;
	struct statx stx;
	bool kernel_says;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(asprintf(&file, "%s/f", dir), 0);
	fd = open(file, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	kernel_says = statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
		      (stx.stx_attributes_mask & STATX_ATTR_DAX) && !(stx.stx_attributes & STATX_ATTR_DAX);
	close(fd);
	unlink(file);
	if (kernel_says)
		/* a filesystem without DAX, whatever the options claim */
		ck_assert_int_eq(mount_dax_in_effect(dir, "rw,dax=always"), 0);
	else
		fprintf(stderr, "test_dax_in_effect_asks_the_kernel: this kernel has no STATX_ATTR_DAX (before 5.8), or "
				"%s cannot make files: only the options were checked\n",
			dir);
	rmdir(dir);
}
END_TEST

START_TEST(test_dax_in_effect_falls_back_to_options)
{
	/* /proc makes no files to ask the kernel about: the options tell */
	ck_assert_int_eq(mount_dax_in_effect("/proc", "rw,nosuid"), 0);
	ck_assert_int_eq(mount_dax_in_effect("/proc", "rw,dax=always"), 1);
	/* nothing to ask and no options: unknown */
	ck_assert_int_eq(mount_dax_in_effect("/nonexistent-vpmem", NULL), -1);
	ck_assert_int_eq(mount_dax_in_effect("/nonexistent-vpmem", "rw,dax=always"), 1);
}
END_TEST

START_TEST(test_system_dirs)
{
	ck_assert_str_eq(mountpoint_system_dir("/etc"), "/etc");
	ck_assert_str_eq(mountpoint_system_dir("/var/lib"), "/var/lib");
	ck_assert_str_eq(mountpoint_system_dir("/usr"), "/usr");
	ck_assert_str_eq(mountpoint_system_dir("/proc/x"), "/proc");
	ck_assert_str_eq(mountpoint_system_dir("/run/data"), "/run");
	ck_assert_str_eq(mountpoint_system_dir("/boot/efi"), "/boot");
	ck_assert_str_eq(mountpoint_system_dir(LOCALSTATEDIR "/lib/vpmem/mkfs"), LOCALSTATEDIR "/lib/vpmem");
	ck_assert_str_eq(mountpoint_system_dir(SYSCONFDIR "/vpmem"), SYSCONFDIR "/vpmem");
	/* an application's directory below them is the application's */
	ck_assert_ptr_null(mountpoint_system_dir("/var/lib/pgsql"));
	ck_assert_ptr_null(mountpoint_system_dir("/srv/app"));
	ck_assert_ptr_null(mountpoint_system_dir("/mnt/pmem0"));
	ck_assert_ptr_null(mountpoint_system_dir("/etcetera"));
	ck_assert_ptr_null(mountpoint_system_dir("/running"));

	/* prefix<N> */
	ck_assert_str_eq(mountpoint_template_system_dir("/lib"), "/lib32");
	ck_assert_str_eq(mountpoint_template_system_dir("/run/d"), "/run");
	ck_assert_ptr_null(mountpoint_template_system_dir("/ru"));
	ck_assert_ptr_null(mountpoint_template_system_dir("/mnt/data"));
	ck_assert_str_eq(mountpoint_template_system_dir("/usr/lib"), "/usr/lib32");
	ck_assert_ptr_null(mountpoint_template_system_dir("/usr/lib/app"));
}
END_TEST

START_TEST(test_templates_meet)
{
	_cleanup_free_ char *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL, *p5 = NULL;
	char *none = NULL;
	unsigned a = 99, b = 99;

	ck_assert_int_eq(mountpoint_templates_meet("/srv/p", false, "/srv/p", false, &p1, &a, &b), 1);
	ck_assert_str_eq(p1, "/srv/p");
	ck_assert_int_eq(mountpoint_templates_meet("/srv/p", false, "/srv/q", false, &none, &a, &b), 0);
	/* "data" on every region, "data1" on one */
	ck_assert_int_eq(mountpoint_templates_meet("/mnt/data", true, "/mnt/data1", false, &p2, &a, &b), 1);
	ck_assert_str_eq(p2, "/mnt/data1");
	ck_assert_uint_eq(a, 1);
	ck_assert_int_eq(mountpoint_templates_meet("/mnt/data12", false, "/mnt/data", true, &p3, &a, &b), 1);
	ck_assert_uint_eq(b, 12);
	ck_assert_int_eq(mountpoint_templates_meet("/mnt/data", true, "/mnt/data01", false, &none, &a, &b), 0);
	ck_assert_int_eq(mountpoint_templates_meet("/mnt/data", true, "/mnt/data", false, &none, &a, &b), 0);
	/* two region-less entries */
	ck_assert_int_eq(mountpoint_templates_meet("/mnt/d", true, "/mnt/d1", true, &p4, &a, &b), 1);
	ck_assert_str_eq(p4, "/mnt/d10");
	ck_assert_uint_eq(a, 10);
	ck_assert_uint_eq(b, 0);
	ck_assert_int_eq(mountpoint_templates_meet("/mnt/d", true, "/mnt/d", true, &p5, &a, &b), 1);
	ck_assert_int_eq(mountpoint_templates_meet("/mnt/d", true, "/mnt/d0", true, &none, &a, &b), 0);
	ck_assert_int_eq(mountpoint_templates_meet("/mnt/d", true, "/mnt/dx", true, &none, &a, &b), 0);
	ck_assert_int_eq(mountpoint_templates_meet("/mnt/d", true, "/mnt/d9999999999", true, &none, &a, &b), 0);
	ck_assert_ptr_null(none);
}
END_TEST

static void touch_at(const char *dir, const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

/* whether /proc/self/mountinfo lists a mount on path */
static bool listed_as_mountpoint(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	ssize_t n;
	bool found = false;

	ck_assert_ptr_nonnull(f);
	while (!found && (n = getline(&line, &size, f)) > 0) {
		struct mount_entry e;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (mountinfo_parse_line(line, &e) < 0)
			continue;
		found = strcmp(e.target, path) == 0;
		free(e.target);
		free(e.fstype);
		free(e.fs_options);
	}
	return found;
}

START_TEST(test_dir_check)
{
	char dir[] = "/tmp/vpmem-mountpoint.XXXXXX", sub[600], link[600];
	_cleanup_free_ char *one = NULL, *many = NULL;
	_cleanup_close_ int fd = -EBADF;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(mountpoint_dir_check(fd, NULL), 0);
	ck_assert_int_eq(mountpoint_path_check(dir, NULL), 0);
	/* not there yet: the agent makes it, empty */
	snprintf(sub, sizeof(sub), "%s/not/yet", dir);
	ck_assert_int_eq(mountpoint_path_check(sub, NULL), 0);

	touch_at(dir, "app.conf");
	ck_assert_int_eq(mountpoint_dir_check(fd, &one), -ENOTEMPTY);
	ck_assert_str_eq(one, "app.conf");
	snprintf(sub, sizeof(sub), "%s/data", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	touch_at(dir, "b");
	touch_at(dir, "c");
	touch_at(dir, "d");
	ck_assert_int_eq(mountpoint_path_check(dir, &many), -ENOTEMPTY);
	ck_assert_msg(strstr(many, " and 2 more") && strstr(many, ", "), "%s", many);

	/* a symlink on the way is not followed */
	snprintf(link, sizeof(link), "%s/link", dir);
	ck_assert_int_eq(symlink(sub, link), 0);
	snprintf(sub, sizeof(sub), "%s/link/x", dir);
	ck_assert_int_eq(mountpoint_path_check(sub, NULL), -ELOOP);

	/*
	 * a mountpoint already, whatever it holds; "/" only where it is one: in
	 * a build chroot, as pbuilder makes one, it is a directory of the
	 * host's filesystem, which this process's mountinfo does not list
	 */
	ck_assert_int_eq(mountpoint_path_check("/proc", NULL), -EBUSY);
	ck_assert_int_eq(mountpoint_path_check("/", NULL), listed_as_mountpoint("/") ? -EBUSY : -ENOTEMPTY);

	for (const char *const *n = (const char *const[]){ "app.conf", "b", "c", "d", "link", NULL }; *n; n++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, *n);
		ck_assert_int_eq(unlink(sub), 0);
	}
	snprintf(sub, sizeof(sub), "%s/data", dir);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *mount_suite(void)
{
	Suite *s = suite_create("mount");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_options_have_dax);
	tcase_add_test(tc, test_dax_in_effect_falls_back_to_options);
	tcase_add_test(tc, test_dax_in_effect_asks_the_kernel);
	tcase_add_test(tc, test_system_dirs);
	tcase_add_test(tc, test_templates_meet);
	tcase_add_test(tc, test_dir_check);
	suite_add_tcase(s, tc);
	return s;
}
