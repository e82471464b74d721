/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_METRICS_H
#define VPMEM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Metrics in Prometheus' text exposition format (version 0.0.4), for
 * node_exporter's textfile collector: a family is announced once with its
 * HELP and TYPE, then its samples follow, each with its labels (name, value
 * pairs, a NULL name ends them). No timestamps: the textfile collector
 * refuses them. Values are integers or floating point numbers; label values
 * and help texts are escaped as the format says.
 *
 * The text is built in memory (a memstream): an error on the way (no
 * memory) shows at metrics_finish(), so that a writer need not check every
 * call.
 */
struct metrics {
	FILE *f;
	char *text;
	size_t len;
};

/* 0 or -ENOMEM. header, when not NULL, is written first as a comment line ("# header"). */
int metrics_begin(struct metrics *m, const char *header);

/* type: "gauge", "counter", "summary", "untyped". */
void metrics_family(struct metrics *m, const char *name, const char *type, const char *help);

/* A sample of name (the family's, or its _sum/_count) with labels: "name", "value", ..., NULL. */
void metrics_sample_u64(struct metrics *m, const char *name, uint64_t value, ...) __attribute__((sentinel));
void metrics_sample_double(struct metrics *m, const char *name, double value, ...) __attribute__((sentinel));

/* The text (NUL-terminated, the caller's to free) and its length; 0 or the first error. */
int metrics_finish(struct metrics *m, char **ret_text, size_t *ret_len);
void metrics_abandon(struct metrics *m);

/*
 * Where metrics are written: $VPMEM_METRICS_DIR if set (empty: nowhere),
 * else Debian's textfile directory, /var/lib/prometheus/node-exporter.
 * Returns NULL when they are to be written nowhere; *ret_explicit says the
 * environment chose it (a missing directory is then worth a warning).
 */
#define METRICS_DIR_DEFAULT "/var/lib/prometheus/node-exporter"
const char *metrics_dir(bool *ret_explicit);

/*
 * Replace dir/name with text, atomically (a temporary file whose name does
 * not end in .prom, renamed over it): the collector reads the old file or
 * the new one, never half of one. 0, -ENOENT when dir does not exist (nothing
 * written), or another negative errno.
 */
int metrics_write_file(const char *dir, const char *name, const char *text, size_t len);

/*
 * metrics_write_file() to metrics_dir(), if there is one and it exists: a
 * missing default directory (no node_exporter here) is a debug message, a
 * missing directory that was asked for or another failure a warning. The
 * metrics are a report: nothing else depends on them being written.
 */
void metrics_publish(const char *name, const char *text, size_t len);

/*
 * Read dir/name (a file this program wrote before), without touching its
 * access time (O_NOATIME where allowed): a reader at every boot that writes
 * an inode's atime is a writer. 0 with the text, or a negative errno.
 */
int metrics_read_file(const char *dir, const char *name, char **ret_text);

/* The same for its first size - 1 bytes at most, NUL-terminated: their count, or a negative errno. */
ssize_t metrics_read_head(const char *dir, const char *name, char *buf, size_t size);

/* Now, in seconds since the epoch (CLOCK_REALTIME). */
double metrics_now(void);

#endif
