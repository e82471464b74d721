/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_ERRLIST_H
#define VPMEM_ERRLIST_H

#include <stddef.h>

/*
 * A list of validation errors, each tied to where it was found: a file and a
 * JSON path such as "$.namespaces[1].size". Configuration checks collect every
 * error instead of stopping at the first, so a user fixes them in one go.
 */
struct errlist {
	char **messages;
	size_t count;
};

void errlist_add(struct errlist *list, const char *file, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void errlist_clear(struct errlist *list);

#endif
