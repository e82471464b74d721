// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "mountpoint.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000 /* Linux 5.8 */
#endif

/* the system's own directories: refused as mountpoints even when empty */
static const char *const system_dirs[] = {
	"/",
	"/bin",
	"/etc",
	"/home",
	"/lib",
	"/lib32",
	"/lib64",
	"/libx32",
	"/media",
	"/mnt",
	"/root",
	"/sbin",
	"/tmp",
	"/usr",
	"/usr/bin",
	"/usr/include",
	"/usr/lib",
	"/usr/lib32",
	"/usr/lib64",
	"/usr/libexec",
	"/usr/libx32",
	"/usr/local",
	"/usr/local/bin",
	"/usr/local/etc",
	"/usr/local/lib",
	"/usr/local/sbin",
	"/usr/local/share",
	"/usr/sbin",
	"/usr/share",
	"/usr/src",
	"/var",
	"/var/backups",
	"/var/cache",
	"/var/lib",
	"/var/local",
	"/var/lock",
	"/var/log",
	"/var/mail",
	"/var/opt",
	"/var/run",
	"/var/spool",
	"/var/tmp",
};

/* trees refused with everything below them: the kernel's, the runtime's, the boot loader's, the agent's own */
static const char *const system_trees[] = {
	"/proc", "/sys", "/dev", "/run", "/boot", "/efi", SYSCONFDIR "/vpmem", RUNDIR, LOCALSTATEDIR "/lib/vpmem",
};

static bool is_under(const char *path, const char *tree)
{
	size_t n = strlen(tree);

	return strncmp(path, tree, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const char *mountpoint_system_dir(const char *path)
{
	for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
		if (strcmp(path, system_dirs[i]) == 0)
			return system_dirs[i];
	for (size_t i = 0; i < ELEMENTSOF(system_trees); i++)
		if (is_under(path, system_trees[i]))
			return system_trees[i];
	return NULL;
}

/* a region number as the agent writes it (%u): digits, no leading zero, at most UINT_MAX */
static bool is_region_number(const char *s, unsigned long long *ret)
{
	unsigned long long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > UINT_MAX)
			return false;
	}
	if (ret)
		*ret = v;
	return true;
}

/* does prefix<N> give path, for some region number N? */
static bool template_gives(const char *prefix, const char *path, unsigned long long *ret)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && is_region_number(path + n, ret);
}

const char *mountpoint_template_system_dir(const char *prefix)
{
	for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
		if (template_gives(prefix, system_dirs[i], NULL))
			return system_dirs[i];
	for (size_t i = 0; i < ELEMENTSOF(system_trees); i++) {
		size_t n = strlen(system_trees[i]);

		/* the digits hold no '/': prefix<N> lies below a tree when prefix does */
		if (template_gives(prefix, system_trees[i], NULL) ||
		    (strncmp(prefix, system_trees[i], n) == 0 && prefix[n] == '/'))
			return system_trees[i];
	}
	return NULL;
}

/* prefix<x> == prefix rest<y>: with y = 0, x = rest followed by 0 */
static int longer_meets(const char *shorter, const char *longer, char **ret_path, unsigned *ret_short,
			unsigned *ret_long)
{
	const char *rest = longer + strlen(shorter);
	unsigned long long x;
	char *path;

	if (strncmp(longer, shorter, strlen(shorter)) != 0 || !is_region_number(rest, &x) || x == 0 ||
	    x * 10 > UINT_MAX)
		return 0;
	if (asprintf(&path, "%s0", longer) < 0)
		return -ENOMEM;
	*ret_path = path;
	*ret_short = (unsigned)(x * 10);
	*ret_long = 0;
	return 1;
}

int mountpoint_templates_meet(const char *a, bool a_template, const char *b, bool b_template, char **ret_path,
			      unsigned *ret_a, unsigned *ret_b)
{
	unsigned long long n;

	if (!a_template && !b_template) {
		if (strcmp(a, b) != 0)
			return 0;
		*ret_path = strdup(a);
		return *ret_path ? 1 : -ENOMEM;
	}
	if (a_template && !b_template) {
		if (!template_gives(a, b, &n))
			return 0;
		*ret_a = (unsigned)n;
		*ret_path = strdup(b);
		return *ret_path ? 1 : -ENOMEM;
	}
	if (!a_template && b_template)
		return mountpoint_templates_meet(b, true, a, false, ret_path, ret_b, ret_a);
	/* both templates: equal prefixes meet on every region, else one must extend the other by digits */
	if (strcmp(a, b) == 0) {
		if (asprintf(ret_path, "%s0", a) < 0)
			return -ENOMEM;
		*ret_a = *ret_b = 0;
		return 1;
	}
	if (strlen(a) < strlen(b))
		return longer_meets(a, b, ret_path, ret_a, ret_b);
	return longer_meets(b, a, ret_path, ret_b, ret_a);
}

static bool is_mount_root(int dirfd)
{
	struct statx stx;
	struct stat self, parent;

	if (statx(dirfd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, &stx) == 0 &&
	    (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return stx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
	/* before Linux 5.8: another filesystem than its parent's (a bind mount of the same one goes unseen) */
	if (fstat(dirfd, &self) < 0 || fstatat(dirfd, "..", &parent, 0) < 0)
		return false;
	return self.st_dev != parent.st_dev || self.st_ino == parent.st_ino;
}

int mountpoint_dir_check(int dirfd, char **ret_what)
{
	_cleanup_free_ char *what = NULL;
	DIR *d;
	struct dirent *de;
	size_t n = 0, used = 0, size = 0;
	int fd;

	if (is_mount_root(dirfd))
		return -EBUSY;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;

		close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++n > 3)
			continue;
		/* the first three by name as readdir gives them, a directory with a slash */
		{
			size_t need = used + strlen(de->d_name) + 4;
			struct stat st;
			bool is_dir = de->d_type == DT_DIR;
			char *grown;

			if (de->d_type == DT_UNKNOWN)
				is_dir = fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);

			if (need > size) {
				size = need * 2;
				grown = realloc(what, size);
				if (!grown) {
					closedir(d);
					return -ENOMEM;
				}
				what = grown;
			}
			used += (size_t)snprintf(what + used, size - used, "%s%s%s", n > 1 ? ", " : "", de->d_name,
						 is_dir ? "/" : "");
		}
	}
	if (errno) {
		int r = -errno;

		closedir(d);
		return r;
	}
	closedir(d);
	if (n == 0)
		return 0;
	if (ret_what) {
		if (n > 3) {
			if (asprintf(ret_what, "%s and %zu more", what, n - 3) < 0)
				return -ENOMEM;
		} else {
			*ret_what = TAKE_PTR(what);
		}
	}
	return -ENOTEMPTY;
}

int mountpoint_path_check(const char *path, char **ret_what)
{
	_cleanup_close_ int fd = open_dir_nofollow(path);

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	return mountpoint_dir_check(fd, ret_what);
}
