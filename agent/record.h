/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_RECORD_H
#define VPMEM_AGENT_RECORD_H

#include <stdint.h>

/*
 * The agent's records, one format for all: one small file per device,
 * named after it (a uuid, or the kernel's name of a region or namespace),
 * holding "key=value" lines, in a directory of their kind:
 *
 *     LOCALSTATEDIR/lib/vpmem/mkfs/<uuid>        an mkfs under way (pending.h)
 *     LOCALSTATEDIR/lib/vpmem/system-ram/<uuid>  given to the kernel as RAM (system-ram.h)
 *     RUNDIR/disabled/<region or namespace>      disabled by the agent (disabled.h)
 *
 * Directories are made 0700 and files 0600, as vpmem-host's state: what the
 * agent knows about devices is root's. A record is written to a temporary
 * name, fsynced and renamed, and its removal fsyncs the directory: after a
 * power cut it is there whole, or not at all.
 */

/* Write name's record in dir (made when missing). 0 or a negative errno (-EINVAL: a name not fit for a file). */
int record_write(const char *dir, const char *name, const char *text);

/* Read name's record in dir. 0, -ENOENT when there is none, or another negative errno. */
int record_read(const char *dir, const char *name, char **ret_text);

/* Remove name's record from dir. 0, also when there was none, or a negative errno. */
int record_remove(const char *dir, const char *name);

/* The value of key in a record's text: a new string, or NULL when it has none (or no memory). */
char *record_value(const char *text, const char *key);

/* The same as a number: 0, or -ENOENT when missing, -EINVAL when not a decimal number, -ENOMEM. */
int record_value_u64(const char *text, const char *key, uint64_t *ret);

#endif
