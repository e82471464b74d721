// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device-dax namespaces: the owner, group and permissions the policy asks
 * for, or the kernel's system RAM (after the guard, or the record that the
 * agent itself gave it away in an earlier boot).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cleanup-libs.h"
#include "devdax.h"
#include "guard.h"
#include "log.h"
#include "system-ram.h"

static int lookup_id(const char *name, bool group, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(name, &end, 10);
	if (!errno && !*end && v < UINT32_MAX) {
		*ret = (unsigned)v;
		return 0;
	}
	if (group) {
		struct group *gr = getgrnam(name);

		if (!gr)
			return -ENOENT;
		*ret = gr->gr_gid;
	} else {
		struct passwd *pw = getpwnam(name);

		if (!pw)
			return -ENOENT;
		*ret = pw->pw_uid;
	}
	return 0;
}

int devdax_set_access(const char *dev, const struct ns_policy *p, struct apply_log *log, const char *region)
{
	unsigned uid = (unsigned)-1, gid = (unsigned)-1;
	struct stat st;

	if (!p->owner && !p->group && p->permissions == POLICY_PERMISSIONS_UNSET)
		return 0;
	if (p->owner && lookup_id(p->owner, false, &uid) < 0) {
		apply_log_failed(log, APPLY_FAILED, "%s: %s: no user \"%s\"", region, dev, p->owner);
		return -ENOENT;
	}
	if (p->group && lookup_id(p->group, true, &gid) < 0) {
		apply_log_failed(log, APPLY_FAILED, "%s: %s: no group \"%s\"", region, dev, p->group);
		return -ENOENT;
	}
	if (stat(dev, &st) < 0)
		return apply_log_failed_errno(log, errno, "%s: %s: %m", region, dev);
	if ((uid == (unsigned)-1 || st.st_uid == uid) && (gid == (unsigned)-1 || st.st_gid == gid) &&
	    (p->permissions == POLICY_PERMISSIONS_UNSET || (st.st_mode & 07777) == p->permissions))
		return 0;
	if (chown(dev, uid, gid) < 0 || (p->permissions != POLICY_PERMISSIONS_UNSET && chmod(dev, p->permissions) < 0))
		return apply_log_failed_errno(log, errno, "%s: cannot set owner/permissions of %s: %m", region, dev);
	apply_log_done(log, "%s: set owner %s, group %s, permissions %04o on %s", region, p->owner ? p->owner : "-",
		       p->group ? p->group : "-",
		       p->permissions == POLICY_PERMISSIONS_UNSET ? st.st_mode & 07777 : p->permissions, dev);
	return 0;
}

struct daxctl_dev *devdax_device(struct ndctl_namespace *ndns)
{
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
	struct daxctl_region *dregion = dax ? ndctl_dax_get_daxctl_region(dax) : NULL;
	struct daxctl_dev *dev;

	if (!dregion)
		return NULL;
	daxctl_dev_foreach (dregion, dev)
		if (daxctl_dev_get_size(dev))
			return dev;
	return NULL;
}

int devdax_to_system_ram(struct ndctl_namespace *ndns, bool overwrite, struct apply_log *log, const char *region)
{
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
	struct daxctl_dev *dev = devdax_device(ndns);
	struct daxctl_memory *mem;
	char uuid[UUID_STR_LEN] = "";
	int r;

	if (!dax || !dev)
		return -ENXIO;
	if (!daxctl_dev_get_memory(dev)) {
		_cleanup_free_ char *path = NULL, *what = NULL, *why = NULL;
		uuid_t uu;
		uint64_t size = daxctl_dev_get_size(dev), align = daxctl_dev_get_align(dev);

		ndctl_dax_get_uuid(dax, uu);
		uuid_unparse(uu, uuid);
		if (asprintf(&path, "/dev/%s", daxctl_dev_get_devname(dev)) < 0)
			return -ENOMEM;
		/* memory the agent gave away in an earlier boot holds what the kernel left there */
		r = system_ram_was(uuid, size, align, &why);
		if (r < 0)
			log_warning_errno(r, "%s: cannot read the record of what was system RAM (%s): %m", region,
					  LOCALSTATEDIR "/lib/vpmem/system-ram");
		if (why)
			log_notice("%s: %s is not taken as system RAM again by its record: %s", region,
				   daxctl_dev_get_devname(dev), why);
		/* the kernel will use it as memory: whatever it holds is gone */
		r = r > 0 ? 0 : guard_may_destroy_daxdev(path, size, align, overwrite, &what);
		if (r < 0) {
			apply_log_failed(
				log, r == -ENOTEMPTY ? APPLY_REFUSED_DATA : APPLY_FAILED,
				"%s: %s: not handed to the kernel as system RAM (set \"overwrite\": true to give it "
				"away, destroying that)",
				region, what ? what : strerror(-r));
			return r;
		}
		r = daxctl_dev_disable(dev);
		if (r == 0)
			r = daxctl_dev_enable_ram(dev);
		if (r < 0)
			return apply_log_failed_errno(log, r, "%s: cannot hand %s to the kernel as system RAM: %m",
						      region, daxctl_dev_get_devname(dev));
		r = system_ram_remember(uuid, size, align);
		if (r < 0)
			log_warning_errno(r,
					  "%s: cannot record %s as system RAM in %s (after a reboot it will need "
					  "\"overwrite\"): %m",
					  region, daxctl_dev_get_devname(dev), LOCALSTATEDIR "/lib/vpmem/system-ram");
	}
	mem = daxctl_dev_get_memory(dev);
	if (mem && daxctl_memory_is_online(mem) <= 0) {
		r = daxctl_memory_online(mem);
		if (r < 0)
			return apply_log_failed_errno(log, r, "%s: cannot online the memory of %s: %m", region,
						      daxctl_dev_get_devname(dev));
		apply_log_done(log, "%s: %s is now system RAM (%d memory blocks onlined)", region,
			       daxctl_dev_get_devname(dev), r);
	}
	return 0;
}
