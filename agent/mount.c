// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
/* after <sys/mount.h>: glibc before 2.36 cannot take them the other way round */
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup-libs.h"
#include "dlopen-libs.h"
#include "fileio.h"
#include "mount.h"
#include "mountpoint.h"

char *mount_build_options(const char *extra, bool legacy_dax)
{
	const char *dax = legacy_dax ? "dax" : "dax=always";
	char *s = NULL;

	if (extra && *extra) {
		if (asprintf(&s, "%s,%s", dax, extra) < 0)
			return NULL;
		return s;
	}
	return strdup(dax);
}

static int mount_once(const char *source, const char *target, const char *fstype, const char *options,
		      char **ret_message)
{
	_cleanup_(mnt_free_contextp) struct libmnt_context *cxt = NULL;
	_cleanup_free_ char *error = NULL;
	char buf[512] = "";
	int rc, r;

	r = dlopen_libmount(&error);
	if (r < 0) {
		if (ret_message)
			*ret_message = TAKE_PTR(error);
		return r;
	}
	cxt = sym_mnt_new_context();
	if (!cxt)
		return -ENOMEM;
	if (sym_mnt_context_set_source(cxt, source) < 0 || sym_mnt_context_set_target(cxt, target) < 0 ||
	    sym_mnt_context_set_fstype(cxt, fstype) < 0 || sym_mnt_context_set_options(cxt, options) < 0)
		return -ENOMEM;
	/* no /sbin/mount.<type> helpers, no fstab lookups, no path resolution: exactly this mount */
	sym_mnt_context_disable_helpers(cxt, 1);
	sym_mnt_context_disable_swapmatch(cxt, 1);
	sym_mnt_context_disable_canonicalize(cxt, 1);

	rc = sym_mnt_context_mount(cxt);
	r = sym_mnt_context_get_syscall_errno(cxt);
	if (rc == 0 && sym_mnt_context_get_status(cxt) == 1)
		return 0;
	sym_mnt_context_get_excode(cxt, rc, buf, sizeof(buf));
	if (ret_message)
		*ret_message = strdup(buf[0] ? buf : "mount failed");
	return r > 0 ? -r : (rc < 0 ? rc : -EIO);
}

int mount_namespace(const char *source, const char *target, const char *fstype, const char *extra, bool dax,
		    bool hide_existing, char **ret_message)
{
	_cleanup_free_ char *options = NULL, *what = NULL;
	_cleanup_close_ int fd = -EBADF;
	char where[64];
	int r;

	/*
	 * Walk to the mountpoint without following symlinks and mount onto the
	 * directory that walk opened, through /proc/self/fd (as systemd's
	 * mount_nofollow() does): a symlink swapped in after the walk cannot
	 * redirect the mount.
	 */
	fd = mkdir_p_nofollow_open(target, 0755);
	if (fd < 0) {
		if (ret_message && asprintf(ret_message, "cannot create mountpoint %s: %s", target, strerror(-fd)) < 0)
			*ret_message = NULL;
		return fd;
	}
	/* the plan looked at the directory; this is the one the mount goes onto */
	r = mountpoint_dir_check(fd, &what);
	if (r == -ENOTEMPTY && hide_existing)
		r = 0;
	if (r < 0) {
		int n = 0;

		if (ret_message && r == -ENOTEMPTY)
			n = asprintf(ret_message, "%s holds %s: not mounted over it, which would hide it", target,
				     what ? what : "files");
		else if (ret_message && r == -EBUSY)
			n = asprintf(ret_message, "%s is already a mountpoint of another filesystem", target);
		else if (ret_message)
			n = asprintf(ret_message, "cannot look at %s: %s", target, strerror(-r));
		if (n < 0)
			*ret_message = NULL;
		return r;
	}
	snprintf(where, sizeof(where), "/proc/self/fd/%d", fd);
	/*
	 * libmount 2.39 and later mount with the new API when the kernel has
	 * it, and move_mount() does not follow the /proc/self/fd magic link
	 * it is given as target (libmount 2.41, Debian 13: "move_mount()
	 * failed: No such file or directory"). mount(2) follows it, as it
	 * must: ask for that, by libmount's documented switch (mount(8),
	 * LIBMOUNT_FORCE_MOUNT2); older libmount ignores it.
	 */
	if (setenv("LIBMOUNT_FORCE_MOUNT2", "always", 1) < 0)
		return -errno;
	options = dax ? mount_build_options(extra, false) : strdup(extra ? extra : "");
	if (!options)
		return -ENOMEM;
	r = mount_once(source, where, fstype, *options ? options : NULL, ret_message);
	if (r != -EINVAL || !dax)
		return r;

	/* kernels before 5.8 know only the bare "dax" option */
	if (ret_message) {
		free(*ret_message);
		*ret_message = NULL;
	}
	free(options);
	options = mount_build_options(extra, true);
	if (!options)
		return -ENOMEM;
	return mount_once(source, where, fstype, options, ret_message);
}

int unmount_nofollow(const char *target)
{
	return umount2(target, UMOUNT_NOFOLLOW) < 0 ? -errno : 0;
}

int xfs_set_extsize_hint(const char *dir, uint32_t extsize)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct fsxattr fsx;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx) < 0)
		return -errno;
	if ((fsx.fsx_xflags & FS_XFLAG_EXTSZINHERIT) && fsx.fsx_extsize == extsize)
		return 0;
	fsx.fsx_xflags |= FS_XFLAG_EXTSZINHERIT;
	fsx.fsx_extsize = extsize;
	if (ioctl(fd, FS_IOC_FSSETXATTR, &fsx) < 0)
		return -errno;
	return 0;
}
