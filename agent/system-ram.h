/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_SYSTEM_RAM_H
#define VPMEM_AGENT_SYSTEM_RAM_H

#include <stdint.h>

/*
 * The record of the devdax devices the agent itself handed to the kernel as
 * system RAM. Memory the kernel used holds nobody's data: after a reboot the
 * device is devdax again, holding whatever the kernel left there, and the
 * policy that asks for system RAM takes it again without "overwrite".
 *
 * LOCALSTATEDIR/lib/vpmem/system-ram/<uuid of the dax info block> holds
 * (record.h):
 *
 *     size=<bytes>
 *     align=<bytes>
 *     boot=<boot id>
 *
 * The uuid is new at every change of mode: a personality made anew is
 * another device, and the guard applies to it. A record holds only for a
 * device of the same size and alignment, in a later boot than the one that
 * last saw it as system RAM: a device that was system RAM earlier in this
 * boot and is devdax now was made so by someone (daxctl reconfigure-device),
 * who may have stored data on it since. Such records are dropped, and so
 * are records of another size or alignment, and vpmem 0.1's file of bare
 * uuids where the directory is now. What no record covers: a device made
 * devdax again by hand and written to in a boot in which the agent did not
 * run again before the reboot.
 */

/*
 * Called for a devdax device the policy asks to be system RAM, which is not:
 * 1 when the record says it was, in an earlier boot; 0 when not (a record that
 * no longer holds is dropped, and *ret_why, when asked, says why); a
 * negative errno when the record cannot be read or rewritten.
 */
int system_ram_was(const char *uuid, uint64_t size, uint64_t align, char **ret_why);

/* The device is system RAM now, handed over by the agent: record it, in this boot. 0 or a negative errno. */
int system_ram_remember(const char *uuid, uint64_t size, uint64_t align);

/* Where the records live; tests point it elsewhere (the string must outlive its use). */
void system_ram_set_dir(const char *dir);

#endif
