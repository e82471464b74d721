/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_DISABLED_H
#define VPMEM_AGENT_DISABLED_H

struct ndctl_namespace;
struct ndctl_region;

/*
 * The regions the agent disables, to initialise their labels, and enables
 * again right after. A run killed in between (a crash, the OOM killer, a
 * unit's timeout) would leave the region disabled for the rest of the boot,
 * and every later run would leave it so, as it leaves every region someone
 * disabled. So the agent writes RUNDIR/disabled/regionN, durably, before it
 * disables region N, and removes it once the region is enabled again; the
 * next run enables a recorded region it finds disabled, and only that.
 *
 * The record holds the region's physical address and size: region numbers
 * are only valid within a boot (RUNDIR is), and the region must still be
 * the one the agent disabled.
 *
 * The same for a namespace the agent disables to rename it (nd.h's mkfs
 * marker): RUNDIR/disabled/namespaceX.Y holds its uuid and size.
 */

/* Where the records live (RUNDIR/disabled); tests point it elsewhere (the string must outlive its use). */
void disabled_set_dir(const char *dir);

/* Record, before disabling it, that the agent disables region. 0 or a negative errno. */
int disabled_remember(struct ndctl_region *region);

/* The region is enabled again: drop its record. 0 (also when there is none) or a negative errno. */
int disabled_forget(struct ndctl_region *region);

/* The same for a namespace. */
int disabled_remember_namespace(struct ndctl_namespace *ndns);
int disabled_forget_namespace(struct ndctl_namespace *ndns);

/*
 * Enable every region and namespace the agent disabled and was stopped before it enabled
 * it again, and drop the records (also of regions found enabled, or gone).
 * Logs what it does. Returns how many regions it enabled, or a negative
 * errno when one cannot be.
 */
int disabled_restore(void);

#endif
