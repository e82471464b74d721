// SPDX-License-Identifier: GPL-2.0-or-later
/* The record of one apply run: see apply-log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "apply-log.h"
#include "events.h"
#include "inventory.h"
#include "log.h"

static const char *const reason_names[APPLY_REASON__MAX] = {
	[APPLY_FAILED] = "error",
	[APPLY_DAX_OFF] = "dax_off",
	[APPLY_POLICY] = "policy",
	[APPLY_REFUSED_DATA] = "data",
	[APPLY_REFUSED_CONFLICT] = "conflict",
	[APPLY_REFUSED_MOUNTPOINT] = "mountpoint",
	[APPLY_REFUSED_CAPACITY] = "capacity",
	[APPLY_REFUSED_DEVICE] = "device",
};

const char *apply_reason_name(enum apply_reason reason)
{
	return reason < APPLY_REASON__MAX ? reason_names[reason] : "error";
}

static const char *const reason_events[APPLY_REASON__MAX] = {
	[APPLY_FAILED] = EVENT_APPLY_ERROR,
	[APPLY_DAX_OFF] = EVENT_DAX_OFF,
	[APPLY_POLICY] = EVENT_POLICY_INVALID,
	[APPLY_REFUSED_DATA] = EVENT_REFUSED_DATA,
	[APPLY_REFUSED_CONFLICT] = EVENT_REFUSED_CONFLICT,
	[APPLY_REFUSED_MOUNTPOINT] = EVENT_REFUSED_MOUNTPOINT,
	[APPLY_REFUSED_CAPACITY] = EVENT_REFUSED_CAPACITY,
	[APPLY_REFUSED_DEVICE] = EVENT_REFUSED_DEVICE,
};

const char *apply_reason_event(enum apply_reason reason)
{
	return reason_events[reason < APPLY_REASON__MAX ? reason : APPLY_FAILED];
}

void apply_log_subject(struct apply_log *log, const struct region_state *region, const char *device)
{
	snprintf(log->region, sizeof(log->region), "%s", region ? region->devname : "");
	log->dimms[0] = '\0';
	for (char **d = region ? region->dimms : NULL; d && *d; d++)
		snprintf(log->dimms + strlen(log->dimms), sizeof(log->dimms) - strlen(log->dimms), "%s%s",
			 d == region->dimms ? "" : ",", *d);
	snprintf(log->device, sizeof(log->device), "%s", device ? device : "");
}

bool apply_reason_is_refusal(enum apply_reason reason)
{
	return reason >= APPLY_REFUSED_DATA && reason < APPLY_REASON__MAX;
}

/* Log one step at priority and keep it in the run's record: done, or failed (for reason). */
static void record(struct apply_log *log, int priority, enum apply_reason reason, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void record(struct apply_log *log, int priority, enum apply_reason reason, const char *fmt, va_list ap)
{
	char ***list = priority == LOG_ERR ? &log->failed : &log->done;
	size_t *n = priority == LOG_ERR ? &log->n_failed : &log->n_done;
	char *line = NULL, **grown, f_reason[48], f_region[48], f_dimms[160], f_device[160];
	const char *fields[5] = { 0 }, *id = EVENT_PROVISIONED;
	size_t k = 0;
	va_list again;
	int saved = errno, r;

	if (reason >= APPLY_REASON__MAX)
		reason = APPLY_FAILED;
	if (priority == LOG_ERR) {
		log->n_reason[reason]++;
		id = apply_reason_event(reason);
		snprintf(f_reason, sizeof(f_reason), "VPMEM_REASON=%s", apply_reason_name(reason));
		fields[k++] = f_reason;
	}
	if (log->region[0]) {
		snprintf(f_region, sizeof(f_region), "VPMEM_REGION=%s", log->region);
		fields[k++] = f_region;
	}
	if (log->dimms[0]) {
		snprintf(f_dimms, sizeof(f_dimms), "VPMEM_DIMMS=%s", log->dimms);
		fields[k++] = f_dimms;
	}
	if (log->device[0]) {
		snprintf(f_device, sizeof(f_device), "VPMEM_DEVICE=%s", log->device);
		fields[k++] = f_device;
	}
	va_copy(again, ap);
	r = vasprintf(&line, fmt, ap);
	if (r < 0) {
		/* said at least, if not kept */
		errno = saved;
		log_eventv(priority, id, fields, fmt, again);
		va_end(again);
		log->n_lost++;
		return;
	}
	va_end(again);
	log_event(priority, id, fields, "%s", line);
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
	record(log, LOG_NOTICE, APPLY_FAILED, fmt, ap);
	va_end(ap);
}

void apply_log_failed(struct apply_log *log, enum apply_reason reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(log, LOG_ERR, reason, fmt, ap);
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
	record(log, LOG_ERR, APPLY_FAILED, fmt, ap);
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
