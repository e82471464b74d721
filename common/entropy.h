/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_ENTROPY_H
#define VPMEM_ENTROPY_H

/*
 * Wait until the kernel's random number generator is initialised. Early in
 * a VM's boot it often is not: libuuid (our uuid_generate, and mkfs.xfs and
 * mke2fs, which make a filesystem UUID before anything else, even with -N)
 * then polls getrandom(GRND_NONBLOCK) and sleeps 125 ms up to eight times
 * per request, three requests per UUID: about 3 s for every mkfs. A blocking
 * getrandom makes the kernel (5.4 and later) gather jitter entropy itself,
 * which takes about a second here, once per boot; afterwards it returns at
 * once. Call it before work that makes UUIDs, never on the no-op path.
 */
void crng_wait(void);

#endif
