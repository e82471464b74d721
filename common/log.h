/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_LOG_H
#define VPMEM_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

/*
 * Messages go to stderr, prefixed with the program name, and also to syslog
 * when stderr is neither a terminal nor the journal. Where stderr is the
 * journal (a systemd service's), they go to the journal itself, through
 * its native protocol, with their priority and, for events, a MESSAGE_ID
 * and fields (events.h); on stderr they would reach it as plain text. Where
 * stderr is a pipe (cloud-init's module runs the agent) on a system with a
 * journal, the copy for the system log goes to the journal so, not syslog.
 * Debug messages only with log_set_verbose(true).
 */
void log_open(const char *ident);
void log_set_verbose(bool verbose);
/* No messages at all (the fuzzers, which run the real code millions of times). */
void log_set_silent(bool silent);
bool log_is_verbose(void);
void log_message(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_messagev(int priority, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * An event: a message with the journal's MESSAGE_ID (events.h) and fields,
 * "KEY=value" strings (KEY: capitals, digits and underscores; VPMEM_...),
 * NULL-terminated (fields may be NULL). Elsewhere than the journal, only
 * the message.
 */
void log_event(int priority, const char *message_id, const char *const *fields, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void log_eventv(int priority, const char *message_id, const char *const *fields, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Whether messages go to the journal with their fields (for the tests). */
bool log_to_journal(void);

/*
 * To stderr only: a report for whoever ran the command (a run that found
 * nothing to do), not an event for the system log.
 */
void log_stderr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_message(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_message(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_message(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_message(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_message(LOG_DEBUG, __VA_ARGS__)

/*
 * A message about a failure with a negative (or positive) errno: "%m" in fmt
 * says which error it was. Returns -abs(error), so that
 * "return log_error_errno(r, "cannot read %s: %m", path);" passes the error on.
 */
int log_message_errno(int priority, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error_errno(error, ...) log_message_errno(LOG_ERR, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_message_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_notice_errno(error, ...) log_message_errno(LOG_NOTICE, error, __VA_ARGS__)
#define log_info_errno(error, ...) log_message_errno(LOG_INFO, error, __VA_ARGS__)
#define log_debug_errno(error, ...) log_message_errno(LOG_DEBUG, error, __VA_ARGS__)

#endif
