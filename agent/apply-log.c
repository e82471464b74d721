// SPDX-License-Identifier: GPL-2.0-or-later
/* The record of one apply run: see apply-log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "apply-log.h"
#include "log.h"

/* Log one step at priority and keep it in the run's record: done, or failed. */
static void record(struct apply_log *log, int priority, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void record(struct apply_log *log, int priority, const char *fmt, va_list ap)
{
	char ***list = priority == LOG_ERR ? &log->failed : &log->done;
	size_t *n = priority == LOG_ERR ? &log->n_failed : &log->n_done;
	char *line = NULL, **grown;
	va_list again;
	int saved = errno, r;

	va_copy(again, ap);
	r = vasprintf(&line, fmt, ap);
	if (r < 0) {
		/* said at least, if not kept */
		errno = saved;
		log_messagev(priority, fmt, again);
		va_end(again);
		log->n_lost++;
		return;
	}
	va_end(again);
	log_message(priority, "%s", line);
	grown = realloc(*list, (*n + 1) * sizeof(char *));
	if (!grown) {
		free(line);
		log->n_lost++;
		return;
	}
	*list = grown;
	(*list)[(*n)++] = line;
}

void apply_log_done(struct apply_log *log, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(log, LOG_NOTICE, fmt, ap);
	va_end(ap);
}

void apply_log_failed(struct apply_log *log, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(log, LOG_ERR, fmt, ap);
	va_end(ap);
}

int apply_log_failed_errno(struct apply_log *log, int error, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (error > 0)
		error = -error;
	va_start(ap, fmt);
	/* "%m": vasprintf reads errno */
	errno = -error;
	record(log, LOG_ERR, fmt, ap);
	va_end(ap);
	errno = saved;
	return error;
}

void apply_log_clear(struct apply_log *log)
{
	for (size_t i = 0; i < log->n_done; i++)
		free(log->done[i]);
	for (size_t i = 0; i < log->n_failed; i++)
		free(log->failed[i]);
	free(log->done);
	free(log->failed);
	memset(log, 0, sizeof(*log));
}
