/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_STRUTIL_H
#define VPMEM_STRUTIL_H

#include <stdarg.h>

/* A newly allocated formatted string, or NULL when memory ran out. */
char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *strdup_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
