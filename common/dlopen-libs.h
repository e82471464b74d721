/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_DLOPEN_LIBS_H
#define VPMEM_DLOPEN_LIBS_H

#include <blkid/blkid.h>
#include <libmount/libmount.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

/*
 * libblkid and libmount are loaded when first needed, the way systemd loads
 * the libraries only some of its paths use. Linked, the two and what they
 * pull in (libselinux, libpcre2) cost every run of the agent about 1.4
 * million instructions of relocation before main(), more than the rest of
 * a boot with nothing to do; that run (everything mounted, nothing to
 * probe or mount) now loads neither.
 *
 * Each function is called through sym_<name>, set by dlopen_libblkid() or
 * dlopen_libmount(): 0 once the library is loaded (again: at once), or
 * -ELIBACC with the reason in *ret_error (free it) when it cannot be.
 */
#define DLSYM_DECLARE(fn) extern typeof(fn) *sym_##fn

DLSYM_DECLARE(blkid_new_probe);
DLSYM_DECLARE(blkid_free_probe);
DLSYM_DECLARE(blkid_probe_set_device);
DLSYM_DECLARE(blkid_probe_enable_superblocks);
DLSYM_DECLARE(blkid_probe_set_superblocks_flags);
DLSYM_DECLARE(blkid_probe_enable_partitions);
DLSYM_DECLARE(blkid_probe_set_partitions_flags);
DLSYM_DECLARE(blkid_do_probe);
DLSYM_DECLARE(blkid_do_safeprobe);
DLSYM_DECLARE(blkid_probe_lookup_value);

DLSYM_DECLARE(mnt_new_context);
DLSYM_DECLARE(mnt_free_context);
DLSYM_DECLARE(mnt_context_set_source);
DLSYM_DECLARE(mnt_context_set_target);
DLSYM_DECLARE(mnt_context_set_fstype);
DLSYM_DECLARE(mnt_context_set_options);
DLSYM_DECLARE(mnt_context_disable_helpers);
DLSYM_DECLARE(mnt_context_disable_swapmatch);
DLSYM_DECLARE(mnt_context_disable_canonicalize);
DLSYM_DECLARE(mnt_context_mount);
DLSYM_DECLARE(mnt_context_get_syscall_errno);
DLSYM_DECLARE(mnt_context_get_status);
DLSYM_DECLARE(mnt_context_get_excode);

int dlopen_libblkid(char **ret_error);
int dlopen_libmount(char **ret_error);

#ifdef HAVE_LIBSYSTEMD
/* libsystemd, for the journal (log.c): loaded at the first message for it, never on a run that logs nothing */
DLSYM_DECLARE(sd_journal_sendv);
int dlopen_libsystemd(char **ret_error);
#endif

static inline void blkid_free_probep(blkid_probe *pr)
{
	if (*pr)
		sym_blkid_free_probe(*pr);
}

static inline void mnt_free_contextp(struct libmnt_context **cxt)
{
	if (*cxt)
		sym_mnt_free_context(*cxt);
}

#endif
