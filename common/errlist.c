// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "errlist.h"

void errlist_add(struct errlist *list, const char *file, const char *path, const char *fmt, ...)
{
	char *detail = NULL, *msg = NULL, **grown;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&detail, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();

	if (file && path)
		r = asprintf(&msg, "%s: %s: %s", file, path, detail);
	else if (file || path)
		r = asprintf(&msg, "%s: %s", file ? file : path, detail);
	else
		r = asprintf(&msg, "%s", detail);
	free(detail);
	if (r < 0)
		abort();

	grown = realloc(list->messages, (list->count + 1) * sizeof(*grown));
	if (!grown)
		abort();
	list->messages = grown;
	list->messages[list->count++] = msg;
}

void errlist_clear(struct errlist *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->messages[i]);
	free(list->messages);
	list->messages = NULL;
	list->count = 0;
}
