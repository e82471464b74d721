/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_APPLY_LOG_H
#define VPMEM_AGENT_APPLY_LOG_H

#include <stddef.h>

/*
 * What an apply run did and what failed, in order, one line each: logged as
 * it happens, and kept for status.json (status.h).
 */
struct apply_log {
	char **done;
	size_t n_done;
	char **failed;
	size_t n_failed;
	size_t n_lost; /* lines logged but not kept: no memory for them */
};

void apply_log_clear(struct apply_log *log);

/* A step done (logged as a notice), or one that failed (logged as an error). */
void apply_log_done(struct apply_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void apply_log_failed(struct apply_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A step that failed with error (a negative errno: "%m" in fmt says which); returns error, negative. */
int apply_log_failed_errno(struct apply_log *log, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
