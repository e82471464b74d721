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
	size_t count;      /* errors found: what a check compares, before and after */
	char **messages;   /* what each was, in order: n_messages of them */
	size_t n_messages; /* fewer than count only when there was no memory to describe some */
};

void errlist_add(struct errlist *list, const char *file, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Log every error (log_error), each after "prefix: " when prefix is not NULL. */
void errlist_log(const struct errlist *list, const char *prefix);
/* The same, each an event with the journal's MESSAGE_ID and fields (log_event()) */
void errlist_log_event(const struct errlist *list, const char *prefix, const char *message_id,
		       const char *const *fields);

void errlist_clear(struct errlist *list);

#endif
