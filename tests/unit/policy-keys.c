// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Print the policy keys from the parser's own tables, one a line (see
 * policy_keys_write()): tests/unit/cloud-init-schema.py holds the cloud-init
 * schema's keys and vpmem.json(5)'s to them.
 */
#include <stdio.h>

#include "policy.h"

int main(void)
{
	policy_keys_write(stdout);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
