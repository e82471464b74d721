// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LIBSYSTEMD
#include <sys/uio.h>
#endif

#include "dlopen-libs.h"
#include "log.h"

static const char *log_ident = "vpmem";
static bool log_verbose;
static bool log_to_syslog;
static bool log_journal;      /* stderr is the journal: messages go to it, with their fields */
#ifdef HAVE_LIBSYSTEMD
static bool log_journal_also; /* for the system log, the journal rather than syslog (a pipe is stderr) */
static bool log_journal_checked; /* whether log_journal_also was checked against the journal's socket */
#endif
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
	bool journal = stderr_is_journal();

	log_ident = ident;
	/* stderr already reaches the journal under systemd: once is enough */
	log_to_syslog = !isatty(STDERR_FILENO) && !journal;
#ifdef HAVE_LIBSYSTEMD
	/* stderr is the journal: talk to it directly, with the fields stderr cannot carry */
	log_journal = journal;
	/*
	 * stderr is a pipe (cloud-init's module runs the agent so) on a system
	 * with a journal: what would go to syslog goes to the journal with its
	 * fields; stderr has the message too, for whoever reads the pipe
	 */
	log_journal_also = log_to_syslog;
#else
	if (log_to_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
#endif
}

bool log_to_journal(void)
{
	return log_journal;
}

#ifdef HAVE_LIBSYSTEMD
/* The message and its fields to the journal; false when it could not be sent (then to stderr) */
static bool journal_send(int priority, const char *message_id, const char *const *fields, const char *text)
{
	char prio[16], *message = NULL, *ident = NULL, *id = NULL, *error = NULL;
	struct iovec iov[16];
	size_t n = 0;
	bool sent = false;

	/* loaded at the first message for the journal; where it cannot be, stderr has them */
	if (dlopen_libsystemd(&error) < 0) {
		free(error);
		log_journal = false;
		return false;
	}
	snprintf(prio, sizeof(prio), "PRIORITY=%d", priority);
	if (asprintf(&message, "MESSAGE=%s", text) < 0)
		message = NULL;
	if (asprintf(&ident, "SYSLOG_IDENTIFIER=%s", log_ident) < 0)
		ident = NULL;
	if (message_id && asprintf(&id, "MESSAGE_ID=%s", message_id) < 0)
		id = NULL;
	if (!message || !ident || (message_id && !id))
		goto out;
	iov[n++] = (struct iovec){ message, strlen(message) };
	iov[n++] = (struct iovec){ prio, strlen(prio) };
	iov[n++] = (struct iovec){ ident, strlen(ident) };
	if (id)
		iov[n++] = (struct iovec){ id, strlen(id) };
	for (size_t i = 0; fields && fields[i] && n < sizeof(iov) / sizeof(iov[0]); i++)
		iov[n++] = (struct iovec){ (void *)fields[i], strlen(fields[i]) };
	sent = sym_sd_journal_sendv(iov, (int)n) >= 0;
out:
	free(message);
	free(ident);
	free(id);
	return sent;
}

/* The same, formatting fmt with errno as it was at the call (for "%m"); ap is copied, not used */
static bool journal_sendv(int priority, const char *message_id, const char *const *fields, int saved_errno,
			  const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static bool journal_sendv(int priority, const char *message_id, const char *const *fields, int saved_errno,
			  const char *fmt, va_list ap)
{
	char *text = NULL;
	va_list copy;
	bool sent;

	va_copy(copy, ap);
	errno = saved_errno;
	if (vasprintf(&text, fmt, copy) < 0)
		text = NULL;
	va_end(copy);
	sent = text && journal_send(priority, message_id, fields, text);
	free(text);
	return sent;
}
#endif

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

/*
 * To the journal, with the event's fields, when it is stderr and to_syslog
 * says the message is for the system's log; else to stderr, and to syslog
 * too when it is on and to_syslog says so.
 */
static void log_v(int priority, bool to_syslog, const char *message_id, const char *const *fields, const char *fmt,
		  va_list ap) __attribute__((format(printf, 5, 0)));
static void log_v(int priority, bool to_syslog, const char *message_id, const char *const *fields, const char *fmt,
		  va_list ap)
{
	va_list again;
	int saved = errno;

	if (log_silent || (priority == LOG_DEBUG && !log_verbose))
		return;
#ifdef HAVE_LIBSYSTEMD
	if (to_syslog && log_journal && journal_sendv(priority, message_id, fields, saved, fmt, ap)) {
		errno = saved;
		return;
	}
#else
	(void)message_id;
	(void)fields;
#endif
	va_copy(again, ap);
	fprintf(stderr, "%s: %s", log_ident, priority_prefix(priority));
	/* "%m" says what errno was at the call, in both places */
	errno = saved;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (to_syslog && log_to_syslog) {
#ifdef HAVE_LIBSYSTEMD
		/* a journal to talk to? Asked at the first message for it, not at every run */
		if (log_journal_also && !log_journal_checked) {
			log_journal_checked = true;
			log_journal_also = access("/run/systemd/journal/socket", F_OK) == 0;
			if (!log_journal_also)
				openlog(log_ident, LOG_PID, LOG_DAEMON);
		}
		if (log_journal_also) {
			if (journal_sendv(priority, message_id, fields, saved, fmt, again)) {
				va_end(again);
				errno = saved;
				return;
			}
			/* no journal after all: syslog, from now on */
			log_journal_also = false;
			openlog(log_ident, LOG_PID, LOG_DAEMON);
		}
#endif
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
	log_v(priority, true, NULL, NULL, fmt, ap);
	va_end(ap);
}

void log_messagev(int priority, const char *fmt, va_list ap)
{
	log_v(priority, true, NULL, NULL, fmt, ap);
}

void log_event(int priority, const char *message_id, const char *const *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(priority, true, message_id, fields, fmt, ap);
	va_end(ap);
}

void log_eventv(int priority, const char *message_id, const char *const *fields, const char *fmt, va_list ap)
{
	log_v(priority, true, message_id, fields, fmt, ap);
}

void log_stderr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(LOG_INFO, false, NULL, NULL, fmt, ap);
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
	log_v(priority, true, NULL, NULL, fmt, ap);
	va_end(ap);
	errno = saved;
	return -error;
}
