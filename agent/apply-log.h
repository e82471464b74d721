/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_APPLY_LOG_H
#define VPMEM_AGENT_APPLY_LOG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Why a step did not happen: the agent refused it, to keep data or what is
 * there, for a reason; or it failed. The reason names a series of the
 * metrics ("reason" label) and an event of the journal (MESSAGE_ID).
 */
enum apply_reason {
	APPLY_FAILED,             /* an operation failed */
	APPLY_DAX_OFF,            /* mounted, but the kernel turned DAX off */
	APPLY_POLICY,             /* the policy is invalid: nothing was done */
	APPLY_REFUSED_DATA,       /* it would destroy (or hide) what a device holds */
	APPLY_REFUSED_CONFLICT,   /* what is there (a namespace's mode, a mount, a label set) is not what is asked */
	APPLY_REFUSED_MOUNTPOINT, /* mounting there would hide something, or cannot be done safely */
	APPLY_REFUSED_CAPACITY,   /* there is not room for what is asked */
	APPLY_REFUSED_DEVICE,     /* the device cannot be given it (disabled, read-only, misaligned, asynchronous) */
	APPLY_REASON__MAX,
};

/* "error", "dax_off", "policy", "data", "conflict", "mountpoint", "capacity", "device" */
const char *apply_reason_name(enum apply_reason reason);
bool apply_reason_is_refusal(enum apply_reason reason);
/* The journal's MESSAGE_ID of a step that failed for reason (events.h) */
const char *apply_reason_event(enum apply_reason reason);

/*
 * What an apply run did and what failed, in order, one line each: logged as
 * it happens, and kept for status.json (status.h), with how many failed
 * for each reason (kept or not).
 */
struct apply_log {
	char **done;
	size_t n_done;
	char **failed;
	size_t n_failed;
	size_t n_lost; /* lines logged but not kept: no memory for them */
	unsigned n_reason[APPLY_REASON__MAX];
	/* what the steps logged now are about, for the journal's VPMEM_REGION, VPMEM_DIMMS and VPMEM_DEVICE */
	char region[32];
	char dimms[128];
	char device[128];
};

struct region_state;
/*
 * The region (NULL: none) and device (/dev/pmemN, /dev/daxN.M, a
 * namespace, CXL memdevs; NULL: none) the next steps logged are about:
 * each is an event in the journal (events.h) with the region's name, its
 * DIMMs and the device as fields.
 */
void apply_log_subject(struct apply_log *log, const struct region_state *region, const char *device);

void apply_log_clear(struct apply_log *log);

/* A step done (logged as a notice), or one that failed or was refused, for reason (logged as an error). */
void apply_log_done(struct apply_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void apply_log_failed(struct apply_log *log, enum apply_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A step that failed (APPLY_FAILED) with error (a negative errno: "%m" in fmt says which); returns error, negative. */
int apply_log_failed_errno(struct apply_log *log, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
