// SPDX-License-Identifier: GPL-2.0-or-later
/* What the DIMMs' firmware reports, said once a boot: see health.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cleanup.h"
#include "events.h"
#include "health.h"
#include "log.h"
#include "record.h"
#include "strutil.h"

static const char *state_dir = LOCALSTATEDIR "/lib/vpmem/health";
static const char *run_dir = RUNDIR "/health";

void health_set_dirs(const char *state, const char *run)
{
	state_dir = state;
	run_dir = run;
}

#define UNCLEAN_FLAGS (DIMM_FLAG_FLUSH_FAIL | DIMM_FLAG_SAVE_FAIL)
#define PROBLEM_FLAGS (DIMM_FLAG_NOT_ARMED | DIMM_FLAG_RESTORE_FAIL | DIMM_FLAG_MAP_FAIL | DIMM_FLAG_SMART_EVENT)

/* the name of a DIMM's records: its unique id where it has one fit for a file name (names renumber), else nmemN */
static const char *record_name(const struct dimm_state *d)
{
	if (d->id && *d->id && !strchr(d->id, '/') && strcmp(d->id, ".") != 0 && strcmp(d->id, "..") != 0)
		return d->id;
	return d->devname;
}

/* "xfs on /dev/pmem0 at /mnt/pmem0, ext4 on /dev/pmem0.1 (not mounted)": what the DIMM's regions hold */
static char *holdings(const struct inventory *inv, const struct dimm_state *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool any = false;

	if (!f)
		return NULL;
	for (size_t i = 0; i < inv->n_regions; i++) {
		const struct region_state *r = &inv->regions[i];
		bool member = false;

		for (size_t k = 0; k < r->n_dimm_states; k++)
			member = member || &r->dimm_states[k] == d || strcmp(r->dimm_states[k].devname, d->devname) == 0;
		if (!member)
			continue;
		for (size_t j = 0; j < r->n_namespaces; j++) {
			const struct ns_state *ns = &r->namespaces[j];
			const char *dev = ns->chardev ? ns->chardev : ns->blockdev ? ns->blockdev : ns->devname;

			if (ns->mode == NS_MODE_DEVDAX)
				fprintf(f, "%sdevdax %s", any ? ", " : "", dev);
			else if (ns->fstype && ns->mountpoint)
				fprintf(f, "%s%s on %s at %s", any ? ", " : "", ns->fstype, dev, ns->mountpoint);
			else if (ns->fstype)
				fprintf(f, "%s%s on %s (not mounted)", any ? ", " : "", ns->fstype, dev);
			else
				fprintf(f, "%s%s", any ? ", " : "", dev);
			any = true;
		}
	}
	if (!any)
		fputs("no namespace", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const char *region_of(const struct inventory *inv, const struct dimm_state *d)
{
	for (size_t i = 0; i < inv->n_regions; i++)
		for (size_t k = 0; k < inv->regions[i].n_dimm_states; k++)
			if (&inv->regions[i].dimm_states[k] == d)
				return inv->regions[i].devname;
	return "";
}

static void flags_text(unsigned flags, char *buf, size_t size)
{
	buf[0] = '\0';
	for (unsigned f = 1; f & DIMM_FLAG__ALL; f <<= 1)
		if (flags & f)
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? " " : "", dimm_flag_name(f));
}

/*
 * The dirty shutdown count against the one recorded: how many it rose by
 * (0 when not, or seen for the first time), recording the new one. The
 * record is written only when the count is not the one it holds.
 */
static long long dirty_shutdowns_rose(const struct dimm_state *d, long long *ret_was)
{
	_cleanup_free_ char *text = NULL, *line = NULL;
	uint64_t was;
	int r;

	*ret_was = -1;
	if (d->dirty_shutdowns < 0)
		return 0;
	r = record_read(state_dir, record_name(d), &text);
	if (r >= 0 && record_value_u64(text, "dirty_shutdowns", &was) >= 0) {
		*ret_was = (long long)was;
		if ((long long)was == d->dirty_shutdowns)
			return 0;
	} else if (r < 0 && r != -ENOENT) {
		log_warning_errno(r, "%s: cannot read its record of dirty shutdowns in %s: %m", d->devname, state_dir);
		return 0;
	}
	if (asprintf(&line, "dirty_shutdowns=%lld\n", d->dirty_shutdowns) < 0)
		return 0;
	r = record_write(state_dir, record_name(d), line);
	if (r < 0)
		log_warning_errno(r, "%s: cannot record its dirty shutdown count in %s: %m", d->devname, state_dir);
	/* first seen: nothing to compare with; lower: another DIMM under the same id, or a reset */
	return *ret_was >= 0 && d->dirty_shutdowns > *ret_was ? d->dirty_shutdowns - *ret_was : 0;
}

/* Was what is to be said said in this boot already? Records it if not. */
static bool said_this_boot(const struct dimm_state *d, const char *what)
{
	_cleanup_free_ char *text = NULL, *said = NULL, *line = NULL;

	if (record_read(run_dir, record_name(d), &text) >= 0 && (said = record_value(text, "said")) &&
	    strcmp(said, what) == 0)
		return true;
	if (asprintf(&line, "said=%s\n", what) >= 0)
		(void)record_write(run_dir, record_name(d), line);
	return false;
}

static void report_dimm(const struct inventory *inv, const struct dimm_state *d)
{
	char flags[128], what[256], f_dimm[64], f_region[48], f_count[48], f_id[96], f_health[48];
	const char *fields[6] = { f_dimm, f_region, f_health, NULL, NULL, NULL };
	_cleanup_free_ char *held = NULL;
	long long was, rose = dirty_shutdowns_rose(d, &was);
	bool unclean = (d->flags & UNCLEAN_FLAGS) || rose > 0;
	bool problem = d->health >= DIMM_HEALTH_NON_CRITICAL || (d->flags & PROBLEM_FLAGS);
	size_t k = 3;

	if (!unclean && !problem)
		return;
	flags_text(d->flags, flags, sizeof(flags));
	snprintf(what, sizeof(what), "health=%s flags=%s dirty_shutdowns=%lld", dimm_health_name(d->health),
		 flags[0] ? flags : "none", d->dirty_shutdowns);
	if (said_this_boot(d, what))
		return;
	snprintf(f_dimm, sizeof(f_dimm), "VPMEM_DIMM=%s", d->devname);
	snprintf(f_region, sizeof(f_region), "VPMEM_REGION=%s", region_of(inv, d));
	snprintf(f_health, sizeof(f_health), "VPMEM_HEALTH=%s", dimm_health_name(d->health));
	if (d->dirty_shutdowns >= 0) {
		snprintf(f_count, sizeof(f_count), "VPMEM_DIRTY_SHUTDOWNS=%lld", d->dirty_shutdowns);
		fields[k++] = f_count;
	}
	if (d->id) {
		snprintf(f_id, sizeof(f_id), "VPMEM_DIMM_ID=%s", d->id);
		fields[k++] = f_id;
	}
	held = holdings(inv, d);
	if (unclean) {
		char why[160];

		if (rose > 0 && (d->flags & UNCLEAN_FLAGS))
			snprintf(why, sizeof(why), "its firmware reports %s, and its dirty shutdown count rose from %lld to %lld",
				 flags, was, d->dirty_shutdowns);
		else if (rose > 0)
			snprintf(why, sizeof(why), "its dirty shutdown count rose from %lld to %lld", was, d->dirty_shutdowns);
		else
			snprintf(why, sizeof(why), "its firmware reports %s", flags);
		log_event(LOG_WARNING, EVENT_UNCLEAN_SHUTDOWN, fields,
			  "%s (%s): the last shutdown was not clean (%s): writes that had not reached its persistence "
			  "domain are lost. On it: %s. A filesystem's journal recovers its metadata when it is mounted; "
			  "data written there without fsync/msync (or, through DAX, without flushing the CPU caches) "
			  "must be checked by whoever wrote it",
			  d->devname, region_of(inv, d), why, held ? held : "?");
	}
	if (problem)
		log_event(d->health >= DIMM_HEALTH_CRITICAL ? LOG_ERR : LOG_WARNING, EVENT_DIMM_HEALTH, fields,
			  "%s (%s): its firmware reports health %s%s%s. On it: %s", d->devname, region_of(inv, d),
			  dimm_health_name(d->health), flags[0] ? ", flags: " : "", flags, held ? held : "?");
}

void health_report(const struct inventory *inv)
{
	for (size_t i = 0; i < inv->n_regions; i++)
		for (size_t k = 0; k < inv->regions[i].n_dimm_states; k++) {
			const struct dimm_state *d = &inv->regions[i].dimm_states[k];

			/* nothing to say, nothing to compare: nothing read */
			if (d->health == DIMM_HEALTH_UNKNOWN && !d->flags && d->dirty_shutdowns < 0)
				continue;
			report_dimm(inv, d);
		}
}
