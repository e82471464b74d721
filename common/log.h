/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_LOG_H
#define VPMEM_LOG_H

#include <stdbool.h>
#include <syslog.h>

/*
 * Messages go to stderr, prefixed with the program name, and also to syslog
 * when stderr is neither a terminal nor already the journal (a systemd
 * service's stderr is). Debug messages only with log_set_verbose(true).
 */
void log_open(const char *ident);
void log_set_verbose(bool verbose);
/* No messages at all (the fuzzers, which run the real code millions of times). */
void log_set_silent(bool silent);
bool log_is_verbose(void);
void log_message(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

#endif
