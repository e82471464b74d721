// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "errlist.h"
#include "log.h"

void errlist_add(struct errlist *list, const char *file, const char *path, const char *fmt, ...)
{
	char *detail = NULL, *msg = NULL, **grown;
	va_list ap;
	int r;

	/* counted first: an error that cannot be described is still an error */
	list->count++;
	va_start(ap, fmt);
	r = vasprintf(&detail, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;

	if (file && path)
		r = asprintf(&msg, "%s: %s: %s", file, path, detail);
	else if (file || path)
		r = asprintf(&msg, "%s: %s", file ? file : path, detail);
	else
		r = asprintf(&msg, "%s", detail);
	free(detail);
	if (r < 0)
		return;

	grown = realloc(list->messages, (list->n_messages + 1) * sizeof(*grown));
	if (!grown) {
		free(msg);
		return;
	}
	list->messages = grown;
	list->messages[list->n_messages++] = msg;
}

void errlist_log_event(const struct errlist *list, const char *prefix, const char *message_id,
		       const char *const *fields)
{
	for (size_t i = 0; i < list->n_messages; i++)
		log_event(LOG_ERR, message_id, fields, "%s%s%s", prefix ? prefix : "", prefix ? ": " : "",
			  list->messages[i]);
	if (list->count > list->n_messages)
		log_event(LOG_ERR, message_id, fields, "%s%s%zu more errors, which there was no memory to describe",
			  prefix ? prefix : "", prefix ? ": " : "", list->count - list->n_messages);
}

void errlist_log(const struct errlist *list, const char *prefix)
{
	errlist_log_event(list, prefix, NULL, NULL);
}

void errlist_clear(struct errlist *list)
{
	for (size_t i = 0; i < list->n_messages; i++)
		free(list->messages[i]);
	free(list->messages);
	list->messages = NULL;
	list->n_messages = 0;
	list->count = 0;
}
