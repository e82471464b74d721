// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <sys/random.h>

#include "entropy.h"

void crng_wait(void)
{
	char byte;

	/* ENOSYS (a kernel before 3.17): nothing to wait for; EINTR: again */
	while (getrandom(&byte, 1, 0) < 0 && errno == EINTR)
		;
}
