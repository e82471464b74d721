// SPDX-License-Identifier: GPL-2.0-or-later
/* The agent's metrics for node_exporter's textfile collector: see agent-metrics.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent-metrics.h"
#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "metrics.h"

#define NS_LABELS(r, ns)                                                                                        \
	"region", (r)->devname, "namespace", (ns)->devname, "name", (ns)->name, "mode", ns_mode_name((ns)->mode), \
		"device", (ns)->chardev ? (ns)->chardev : (ns)->blockdev, "filesystem",                           \
		(ns)->mode == NS_MODE_DEVDAX ? NULL : (ns)->fstype, "mountpoint", (ns)->mountpoint

/* DAX as the status reports it: 1 or 0 for a mounted filesystem, -1 where it does not apply or is unknown */
static int ns_dax(const struct ns_state *ns)
{
	if (ns->mode == NS_MODE_DEVDAX || !ns->mountpoint)
		return -1;
	if (ns->mode == NS_MODE_SECTOR)
		return 0;
	return ns->dax;
}

static void render_namespaces(struct metrics *m, const struct inventory *inv)
{
	metrics_family(m, "vpmem_agent_namespace_size_bytes", "gauge",
		       "Size of each persistent memory namespace, with its region, name, mode, device, filesystem and "
		       "mountpoint.");
	for (size_t i = 0; i < inv->n_regions; i++)
		for (size_t j = 0; j < inv->regions[i].n_namespaces; j++) {
			const struct region_state *r = &inv->regions[i];
			const struct ns_state *ns = &r->namespaces[j];

			metrics_sample_u64(m, "vpmem_agent_namespace_size_bytes", ns->size, NS_LABELS(r, ns), NULL);
		}

	metrics_family(m, "vpmem_agent_namespace_dax", "gauge",
		       "1 when DAX is in effect on the namespace's mounted filesystem as the kernel reports it "
		       "(its mount options and the device's DAX support), 0 when it is not (sector mode never is); "
		       "mounted filesystems only.");
	for (size_t i = 0; i < inv->n_regions; i++)
		for (size_t j = 0; j < inv->regions[i].n_namespaces; j++) {
			const struct region_state *r = &inv->regions[i];
			const struct ns_state *ns = &r->namespaces[j];
			int dax = ns_dax(ns);

			if (dax >= 0)
				metrics_sample_u64(m, "vpmem_agent_namespace_dax", (uint64_t)dax, NS_LABELS(r, ns), NULL);
		}
}

static void render_regions(struct metrics *m, const struct inventory *inv)
{
	metrics_family(m, "vpmem_agent_region_size_bytes", "gauge",
		       "Size of each persistent memory region, with its kind (nfit, virtio-pmem, e820, papr_scm, cxl, other).");
	for (size_t i = 0; i < inv->n_regions; i++)
		metrics_sample_u64(m, "vpmem_agent_region_size_bytes", inv->regions[i].size, "region",
				   inv->regions[i].devname, "kind", region_kind_name(inv->regions[i].kind), NULL);
	metrics_family(m, "vpmem_agent_region_available_bytes", "gauge",
		       "Capacity of each region that no namespace uses.");
	for (size_t i = 0; i < inv->n_regions; i++)
		metrics_sample_u64(m, "vpmem_agent_region_available_bytes", inv->regions[i].available, "region",
				   inv->regions[i].devname, NULL);
	metrics_family(m, "vpmem_agent_region_badblocks", "gauge",
		       "Known bad 512-byte sectors in each region, as the kernel lists them (badblocks).");
	for (size_t i = 0; i < inv->n_regions; i++)
		metrics_sample_u64(m, "vpmem_agent_region_badblocks", inv->regions[i].badblocks, "region",
				   inv->regions[i].devname, NULL);
}

static void render_dimms(struct metrics *m, const struct inventory *inv)
{
	static const enum dimm_health states[] = { DIMM_HEALTH_OK, DIMM_HEALTH_NON_CRITICAL, DIMM_HEALTH_CRITICAL,
						   DIMM_HEALTH_FATAL, DIMM_HEALTH_UNKNOWN };

	metrics_family(m, "vpmem_agent_dimm_health", "gauge",
		       "1 for the health state each DIMM's SMART reports (ok, non_critical, critical, fatal), 0 for "
		       "the others; unknown where the DIMM does not answer SMART.");
	for (size_t i = 0; i < inv->n_regions; i++)
		for (size_t d = 0; d < inv->regions[i].n_dimm_states; d++) {
			const struct dimm_state *ds = &inv->regions[i].dimm_states[d];

			for (size_t k = 0; k < ELEMENTSOF(states); k++)
				metrics_sample_u64(m, "vpmem_agent_dimm_health", ds->health == states[k], "region",
						   inv->regions[i].devname, "dimm", ds->devname, "state",
						   dimm_health_name(states[k]), NULL);
		}
	metrics_family(m, "vpmem_agent_dimm_flag", "gauge",
		       "1 for each flag each DIMM's firmware sets (the NFIT's or papr_scm's): not_armed, save_fail, "
		       "restore_fail, flush_fail (its last shutdown was not clean), map_fail, smart_event.");
	for (size_t i = 0; i < inv->n_regions; i++)
		for (size_t d = 0; d < inv->regions[i].n_dimm_states; d++) {
			const struct dimm_state *ds = &inv->regions[i].dimm_states[d];

			for (unsigned f = 1; f & DIMM_FLAG__ALL; f <<= 1)
				metrics_sample_u64(m, "vpmem_agent_dimm_flag", (ds->flags & f) != 0, "region",
						   inv->regions[i].devname, "dimm", ds->devname, "flag", dimm_flag_name(f),
						   NULL);
		}
	metrics_family(m, "vpmem_agent_dimm_dirty_shutdowns", "gauge",
		       "Each DIMM's count of unclean (dirty) shutdowns, as its firmware keeps it; DIMMs that keep "
		       "none have no series.");
	for (size_t i = 0; i < inv->n_regions; i++)
		for (size_t d = 0; d < inv->regions[i].n_dimm_states; d++) {
			const struct dimm_state *ds = &inv->regions[i].dimm_states[d];

			if (ds->dirty_shutdowns >= 0)
				metrics_sample_u64(m, "vpmem_agent_dimm_dirty_shutdowns", (uint64_t)ds->dirty_shutdowns,
						   "region", inv->regions[i].devname, "dimm", ds->devname, NULL);
		}
}

static void render_run(struct metrics *m, const struct apply_run *run)
{
	const struct apply_log *log = run->log;
	double duration = run->ended - run->started;

	metrics_family(m, "vpmem_agent_last_apply_success", "gauge",
		       "1 when the last apply did everything it had to, 0 when a step failed or was refused.");
	metrics_sample_u64(m, "vpmem_agent_last_apply_success", log->n_failed || log->n_lost ? 0 : 1, NULL);
	metrics_family(m, "vpmem_agent_last_apply_timestamp_seconds", "gauge",
		       "When the last apply that found the status changed ended, in seconds since the epoch (an "
		       "apply with nothing to do on an unchanged system writes nothing).");
	metrics_sample_double(m, "vpmem_agent_last_apply_timestamp_seconds", run->ended, NULL);
	metrics_family(m, "vpmem_agent_last_apply_duration_seconds", "gauge", "How long that apply took.");
	metrics_sample_double(m, "vpmem_agent_last_apply_duration_seconds", duration > 0 ? duration : 0, NULL);
	metrics_family(m, "vpmem_agent_last_apply_done_steps", "gauge",
		       "Steps the last apply did (namespaces made, filesystems made, mounts, ...).");
	metrics_sample_u64(m, "vpmem_agent_last_apply_done_steps", log->n_done, NULL);
	metrics_family(m, "vpmem_agent_last_apply_refusals", "gauge",
		       "Steps the last apply refused, by reason: data (it would destroy or hide data), conflict (what "
		       "is there is not what is asked), mountpoint, capacity, device (disabled, read-only, "
		       "misaligned, asynchronous).");
	for (enum apply_reason r = 0; r < APPLY_REASON__MAX; r++)
		if (apply_reason_is_refusal(r))
			metrics_sample_u64(m, "vpmem_agent_last_apply_refusals", log->n_reason[r], "reason",
					   apply_reason_name(r), NULL);
	metrics_family(m, "vpmem_agent_last_apply_failures", "gauge",
		       "Steps of the last apply that failed, by reason: error (an operation failed), dax_off (mounted, "
		       "but the kernel turned DAX off), policy (the policy is invalid: nothing was done).");
	for (enum apply_reason r = 0; r < APPLY_REASON__MAX; r++)
		if (!apply_reason_is_refusal(r))
			metrics_sample_u64(m, "vpmem_agent_last_apply_failures", log->n_reason[r], "reason",
					   apply_reason_name(r), NULL);
}

static uint64_t fnv_mix(uint64_t h, const void *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= ((const unsigned char *)data)[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/*
 * The digest of a run's failures: the lines, how many for each reason, and
 * this boot's id. The same failures in the same boot are not new: udev's
 * run for one device after the boot's run for all refuses what that one
 * refused, and says nothing new. Refused again at the next boot, they are.
 */
static uint64_t failures_digest(const struct apply_log *log)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	char boot_id[37];

	h = fnv_mix(h, log->n_reason, sizeof(log->n_reason));
	for (size_t i = 0; i < log->n_failed; i++)
		h = fnv_mix(h, log->failed[i], strlen(log->failed[i]) + 1);
	if (read_boot_id(boot_id) >= 0)
		h = fnv_mix(h, boot_id, sizeof(boot_id));
	return h;
}

static bool has_failures(const struct apply_log *log)
{
	if (log->n_failed || log->n_lost)
		return true;
	for (size_t i = 0; i < APPLY_REASON__MAX; i++)
		if (log->n_reason[i])
			return true;
	return false;
}

#define HEADER_FORMAT "vpmem-agent state %016" PRIx64 " failures %016" PRIx64
/* where the last apply's series begin: kept as they are by a run that says nothing new */
#define RUN_MARK "# HELP vpmem_agent_last_apply_success "

static int render(const struct inventory *inv, const struct apply_run *run, const char *kept_run, uint64_t state,
		  uint64_t failures, char **ret_text, size_t *ret_len)
{
	struct metrics m;
	char header[80];
	int r;

	snprintf(header, sizeof(header), HEADER_FORMAT, state, failures);
	r = metrics_begin(&m, header);
	if (r < 0)
		return r;
	render_namespaces(&m, inv);
	render_regions(&m, inv);
	render_dimms(&m, inv);
	if (kept_run)
		fputs(kept_run, m.f);
	else
		render_run(&m, run);
	return metrics_finish(&m, ret_text, ret_len);
}

int agent_metrics_render(const struct inventory *inv, const struct apply_run *run, uint64_t state, char **ret_text,
			 size_t *ret_len)
{
	return render(inv, run, NULL, state, has_failures(run->log) ? failures_digest(run->log) : 0, ret_text,
		      ret_len);
}

/* The file's header: 0 and its state and run digests, or -ENOENT (none, or not ours). */
static int read_header(const char *old, uint64_t *ret_state, uint64_t *ret_run)
{
	return old && sscanf(old, "# vpmem-agent state %16" SCNx64 " failures %16" SCNx64 "\n", ret_state, ret_run) == 2
		       ? 0
		       : -ENOENT;
}

static bool dir_exists(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

void agent_metrics_update(const struct inventory *inv, const struct apply_run *run, uint64_t state)
{
	_cleanup_free_ char *old = NULL, *text = NULL;
	const struct apply_log *log = run->log;
	uint64_t old_state = 0, old_failures = 0, failures = 0;
	struct apply_run now = *run;
	const char *dir, *kept = NULL;
	bool explicit, have_old;
	char head[96];
	size_t len;
	ssize_t n;
	int r;

	dir = metrics_dir(&explicit);
	if (!dir)
		return;
	/* the first line, read at every run: what makes a run with nothing to say write nothing */
	n = metrics_read_head(dir, AGENT_METRICS_FILE, head, sizeof(head));
	if (n == -ENOENT && !dir_exists(dir)) {
		/* no node_exporter here: nothing to make */
		if (explicit)
			log_warning("%s (VPMEM_METRICS_DIR) does not exist: no metrics written", dir);
		return;
	}
	have_old = n > 0 && read_header(head, &old_state, &old_failures) >= 0;
	if (has_failures(log))
		failures = failures_digest(log);
	/* something done, or failures not said in this boot yet: this run is the last apply now */
	if (!have_old || log->n_done || (failures && failures != old_failures)) {
		if (!now.ended)
			now.ended = metrics_now();
	} else {
		/* the last apply is still the one the file says; the state may have changed under it */
		if (old_state == state)
			return;
		if (metrics_read_file(dir, AGENT_METRICS_FILE, &old) >= 0 && (kept = strstr(old, "\n" RUN_MARK)))
			kept++;
		else if (!now.ended)
			now.ended = metrics_now();
		failures = old_failures;
	}
	r = render(inv, &now, kept, state, failures, &text, &len);
	if (r < 0) {
		log_warning_errno(r, "cannot make the metrics: %m");
		return;
	}
	metrics_publish(AGENT_METRICS_FILE, text, len);
}
