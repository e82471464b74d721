// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "vpmem";
static bool log_verbose;
static bool log_to_syslog;
static bool log_silent;

/* systemd sets JOURNAL_STREAM=<dev>:<ino> when stderr goes to the journal */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_open(const char *ident)
{
	log_ident = ident;
	/* stderr already reaches the journal under systemd: once is enough */
	log_to_syslog = !isatty(STDERR_FILENO) && !stderr_is_journal();
	if (log_to_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void log_set_silent(bool silent)
{
	log_silent = silent;
}

void log_set_verbose(bool verbose)
{
	log_verbose = verbose;
}

bool log_is_verbose(void)
{
	return log_verbose;
}

static const char *priority_prefix(int priority)
{
	switch (priority) {
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

/* To stderr, and to syslog too when it is on and to_syslog says so */
static void log_v(int priority, bool to_syslog, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static void log_v(int priority, bool to_syslog, const char *fmt, va_list ap)
{
	va_list again;
	int saved = errno;

	if (log_silent || (priority == LOG_DEBUG && !log_verbose))
		return;
	va_copy(again, ap);
	fprintf(stderr, "%s: %s", log_ident, priority_prefix(priority));
	/* "%m" says what errno was at the call, in both places */
	errno = saved;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (to_syslog && log_to_syslog) {
		errno = saved;
		vsyslog(priority, fmt, again);
	}
	va_end(again);
	errno = saved;
}

void log_message(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(priority, true, fmt, ap);
	va_end(ap);
}

void log_messagev(int priority, const char *fmt, va_list ap)
{
	log_v(priority, true, fmt, ap);
}

void log_stderr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(LOG_INFO, false, fmt, ap);
	va_end(ap);
}

int log_message_errno(int priority, int error, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (error < 0)
		error = -error;
	va_start(ap, fmt);
	/* "%m" in fmt is glibc's strerror(errno), for stderr and vsyslog alike */
	errno = error;
	log_v(priority, true, fmt, ap);
	va_end(ap);
	errno = saved;
	return -error;
}
