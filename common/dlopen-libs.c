// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "dlopen-libs.h"
#include "strutil.h"

#define DLSYM_DEFINE(fn) typeof(fn) *sym_##fn
#define DLSYM(fn) { (void **)&sym_##fn, #fn }

struct dlsym_entry {
	void **fn;
	const char *name;
};

DLSYM_DEFINE(blkid_new_probe);
DLSYM_DEFINE(blkid_free_probe);
DLSYM_DEFINE(blkid_probe_set_device);
DLSYM_DEFINE(blkid_probe_enable_superblocks);
DLSYM_DEFINE(blkid_probe_set_superblocks_flags);
DLSYM_DEFINE(blkid_probe_enable_partitions);
DLSYM_DEFINE(blkid_probe_set_partitions_flags);
DLSYM_DEFINE(blkid_do_probe);
DLSYM_DEFINE(blkid_do_safeprobe);
DLSYM_DEFINE(blkid_probe_lookup_value);

DLSYM_DEFINE(mnt_new_context);
DLSYM_DEFINE(mnt_free_context);
DLSYM_DEFINE(mnt_context_set_source);
DLSYM_DEFINE(mnt_context_set_target);
DLSYM_DEFINE(mnt_context_set_fstype);
DLSYM_DEFINE(mnt_context_set_options);
DLSYM_DEFINE(mnt_context_disable_helpers);
DLSYM_DEFINE(mnt_context_disable_swapmatch);
DLSYM_DEFINE(mnt_context_disable_canonicalize);
DLSYM_DEFINE(mnt_context_mount);
DLSYM_DEFINE(mnt_context_get_syscall_errno);
DLSYM_DEFINE(mnt_context_get_status);
DLSYM_DEFINE(mnt_context_get_excode);

/*
 * Load soname and resolve every symbol, or none: on any failure the handle
 * is closed and the pointers stay NULL, so a later call tries again.
 */
static int dlopen_all(void **handle, const char *soname, const struct dlsym_entry *syms, size_t n,
		      char **ret_error)
{
	void *dl;

	if (*handle)
		return 0;
	dl = dlopen(soname, RTLD_NOW | RTLD_NODELETE);
	if (!dl) {
		const char *e = dlerror();

		*ret_error = strdup_printf("cannot load %s: %s", soname, e ? e : "unknown error");
		return -ELIBACC;
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(dl, syms[i].name);

		if (!p) {
			*ret_error = strdup_printf("%s has no %s", soname, syms[i].name);
			for (size_t j = 0; j < n; j++)
				*syms[j].fn = NULL;
			dlclose(dl);
			return -ELIBACC;
		}
		*syms[i].fn = p;
	}
	*handle = dl;
	return 0;
}

int dlopen_libblkid(char **ret_error)
{
	static void *handle;
	static const struct dlsym_entry syms[] = {
		DLSYM(blkid_new_probe),
		DLSYM(blkid_free_probe),
		DLSYM(blkid_probe_set_device),
		DLSYM(blkid_probe_enable_superblocks),
		DLSYM(blkid_probe_set_superblocks_flags),
		DLSYM(blkid_probe_enable_partitions),
		DLSYM(blkid_probe_set_partitions_flags),
		DLSYM(blkid_do_probe),
		DLSYM(blkid_do_safeprobe),
		DLSYM(blkid_probe_lookup_value),
	};

	return dlopen_all(&handle, "libblkid.so.1", syms, ELEMENTSOF(syms), ret_error);
}

int dlopen_libmount(char **ret_error)
{
	static void *handle;
	static const struct dlsym_entry syms[] = {
		DLSYM(mnt_new_context),
		DLSYM(mnt_free_context),
		DLSYM(mnt_context_set_source),
		DLSYM(mnt_context_set_target),
		DLSYM(mnt_context_set_fstype),
		DLSYM(mnt_context_set_options),
		DLSYM(mnt_context_disable_helpers),
		DLSYM(mnt_context_disable_swapmatch),
		DLSYM(mnt_context_disable_canonicalize),
		DLSYM(mnt_context_mount),
		DLSYM(mnt_context_get_syscall_errno),
		DLSYM(mnt_context_get_status),
		DLSYM(mnt_context_get_excode),
	};

	return dlopen_all(&handle, "libmount.so.1", syms, ELEMENTSOF(syms), ret_error);
}

#ifdef HAVE_LIBSYSTEMD
DLSYM_DEFINE(sd_journal_sendv);

int dlopen_libsystemd(char **ret_error)
{
	static void *handle;
	static const struct dlsym_entry syms[] = {
		DLSYM(sd_journal_sendv),
	};

	return dlopen_all(&handle, "libsystemd.so.0", syms, ELEMENTSOF(syms), ret_error);
}
#endif
