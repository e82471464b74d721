/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_STRUTIL_H
#define VPMEM_STRUTIL_H

#include <stdarg.h>
#include <stdbool.h>

/* A newly allocated formatted string, or NULL when memory ran out. */
char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *strdup_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Append a copy of s to the NULL-terminated *strv (NULL is empty). 0 or -ENOMEM (*strv unchanged). */
int strv_push(char ***strv, const char *s);
/* Does the NULL-terminated strv (NULL is empty) hold s? */
bool strv_contains(char *const *strv, const char *s);

#endif
