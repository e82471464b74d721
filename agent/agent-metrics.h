/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_AGENT_METRICS_H
#define VPMEM_AGENT_AGENT_METRICS_H

#include <stdint.h>

#include "apply-log.h"
#include "inventory.h"

#define AGENT_METRICS_FILE "vpmem-agent.prom"

/*
 * What one apply run was: when it started and ended (seconds since the
 * epoch; ended 0: now, read only when the run is written), and what it did.
 */
struct apply_run {
	double started;
	double ended;
	const struct apply_log *log;
};

/*
 * The agent's metrics, in Prometheus' text format (vpmem-agent(8),
 * METRICS): every namespace with its region, name, mode, filesystem and
 * mountpoint, its size and whether DAX is in effect; every region's size,
 * free capacity and bad blocks; the last apply's result, time, duration,
 * refusals by reason and failures. The first line is a comment with the
 * state's digest (status_digest() of inv without a log) and the digest of
 * the run's failures.
 * Returns 0 with the text (the caller's to free), or -ENOMEM.
 */
int agent_metrics_render(const struct inventory *inv, const struct apply_run *run, uint64_t state, char **ret_text,
			 size_t *ret_len);

/*
 * After an apply: write the metrics to metrics_dir() (metrics.h), unless
 * nothing changed. The "last apply" they report is the last one that did
 * something, or refused or failed something not said in this boot yet: a
 * run with nothing new leaves it as it is, and writes only when the state
 * (status_digest() of inv without a log) is not the one the file has, as
 * when someone unmounted a filesystem. A boot with nothing to do writes
 * nothing; a boot that mounts writes once. A missing
 * directory (node_exporter not installed) writes nothing either. Failures
 * are logged as warnings: the metrics are a report, not provisioning.
 */
void agent_metrics_update(const struct inventory *inv, const struct apply_run *run, uint64_t state);

#endif
