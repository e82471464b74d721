/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_EXEC_H
#define VPMEM_EXEC_H

#include <stddef.h>

/*
 * Run argv[0] (searched in PATH) with argv, without a shell, and wait for it.
 * Its stdout and stderr are captured into *ret_output (NUL-terminated, may be
 * NULL when not wanted). Returns the exit status (0..255), or a negative errno
 * if it could not be started or was killed by a signal (-EINTR; the output
 * then ends with "<program> killed by signal N (<name>)").
 */
int exec_wait(char *const argv[], char **ret_output);

/* Join argv with spaces, for logs. The caller frees the result. */
char *argv_join(char *const argv[]);

#endif
