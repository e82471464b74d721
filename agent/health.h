/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_HEALTH_H
#define VPMEM_AGENT_HEALTH_H

#include "inventory.h"

/*
 * What the DIMMs' firmware reports that whoever keeps data on them must
 * know, said as events (events.h), once a boot each:
 *
 *   - a shutdown that was not clean: the DIMM says its last flush or save
 *     failed (flush_fail, save_fail: papr_scm's "dirty shutdown" health
 *     bit shows as flush_fail), or its dirty shutdown count rose since the
 *     agent last saw it (kept in LOCALSTATEDIR/lib/vpmem/health/<dimm>,
 *     written when it changes). Writes that had not reached the DIMM's
 *     persistence domain are lost: the message names the filesystems on
 *     it, whose journals recover their metadata at mount, and says that
 *     data written there without fsync/msync (or flushes, through DAX) must
 *     be checked by whoever wrote it (EVENT_UNCLEAN_SHUTDOWN);
 *   - a health problem: SMART non_critical, critical or fatal, or a flag
 *     (not_armed, restore_fail, map_fail, smart_event) (EVENT_DIMM_HEALTH).
 *
 * "Once a boot": a record in RUNDIR/health/<dimm> says what was said.
 * Nothing is read or written for DIMMs that report nothing (QEMU's NFIT
 * DIMMs): the boot path stays as it was.
 */
void health_report(const struct inventory *inv);

/* Where the records are (tests): the state directory's and the run directory's. */
void health_set_dirs(const char *state_dir, const char *run_dir);

#endif
