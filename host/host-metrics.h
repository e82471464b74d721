/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_HOST_METRICS_H
#define VPMEM_HOST_HOST_METRICS_H

#include <stdbool.h>

#include "erase.h"
#include "host.h"

#define HOST_METRICS_FILE "vpmem-host.prom"

/*
 * vpmem-host's metrics, in Prometheus' text format (vpmem-host(8),
 * METRICS), for node_exporter's textfile collector: the backings per label
 * and state, from the ledger; and what no ledger holds, counted since the
 * state directory was made and kept in it (counters.json): erases and their
 * durations and bytes per label, refusals to erase a backing in use, and
 * the rounds of Placement sync with their errors by kind and requests.
 *
 * Every function here is called with the state directory's lock held, and
 * writes the file to metrics_dir() (metrics.h) when that exists. Failures
 * are warnings: the metrics are a report, not the host's state.
 */

/* The ledger changed (host_save): the backings per label and state. */
void host_metrics_write(struct host *h);

/* An erase of a backing of label ended: erased, or not (quarantined); with what it did. */
void host_metrics_erase(struct host *h, const char *label, bool erased, const struct erase_stats *stats);

/* A backing of label was not erased: a process or a libvirt domain uses it. */
void host_metrics_in_use(struct host *h, const char *label);

/* A round of sync ended with result (0 or the negative errno of the failure) after requests to Placement. */
void host_metrics_sync_round(struct host *h, int result, unsigned long requests);

/* What kind of error a sync round's errno is, for the metrics: "unreachable", "timeout", ... */
const char *sync_error_kind(int error);

/* The metrics for the ledger and counters (a json_object from counters.json, or NULL); 0 or -ENOMEM. */
struct json_object;
int host_metrics_render(const struct host *h, struct json_object *counters, char **ret_text, size_t *ret_len);

#endif
