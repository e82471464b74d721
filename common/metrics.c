// SPDX-License-Identifier: LGPL-2.1-or-later
/* Prometheus' text format for node_exporter's textfile collector: see metrics.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "metrics.h"

int metrics_begin(struct metrics *m, const char *header)
{
	*m = (struct metrics){ 0 };
	m->f = open_memstream(&m->text, &m->len);
	if (!m->f)
		return -ENOMEM;
	if (header)
		fprintf(m->f, "# %s\n", header);
	return 0;
}

/* help text: backslash and line feed escaped; label values: double quote too */
static void put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && quote)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

void metrics_family(struct metrics *m, const char *name, const char *type, const char *help)
{
	if (!m->f)
		return;
	fprintf(m->f, "# HELP %s ", name);
	put_escaped(m->f, help, false);
	fprintf(m->f, "\n# TYPE %s %s\n", name, type);
}

static void put_labels(FILE *f, va_list ap)
{
	const char *name;
	bool first = true;

	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);

		fputs(first ? "{" : ",", f);
		first = false;
		fprintf(f, "%s=\"", name);
		put_escaped(f, value ? value : "", true);
		fputc('"', f);
	}
	if (!first)
		fputc('}', f);
}

/* name{labels} value: the value already formatted */
static void sample(struct metrics *m, const char *name, const char *value, va_list ap)
{
	if (!m->f)
		return;
	fputs(name, m->f);
	put_labels(m->f, ap);
	fprintf(m->f, " %s\n", value);
}

void metrics_sample_u64(struct metrics *m, const char *name, uint64_t value, ...)
{
	char text[32];
	va_list ap;

	snprintf(text, sizeof(text), "%" PRIu64, value);
	va_start(ap, value);
	sample(m, name, text, ap);
	va_end(ap);
}

void metrics_sample_double(struct metrics *m, const char *name, double value, ...)
{
	char text[64];
	va_list ap;

	/* Go's ParseFloat reads every %g; enough digits that a time in seconds keeps its milliseconds */
	snprintf(text, sizeof(text), "%.15g", value);
	va_start(ap, value);
	sample(m, name, text, ap);
	va_end(ap);
}

int metrics_finish(struct metrics *m, char **ret_text, size_t *ret_len)
{
	int r = 0;

	if (!m->f)
		return -ENOMEM;
	if (ferror(m->f))
		r = -ENOMEM;
	if (fclose(m->f) != 0 && r == 0)
		r = -ENOMEM;
	m->f = NULL;
	if (r < 0) {
		free(m->text);
		m->text = NULL;
		return r;
	}
	*ret_text = m->text;
	*ret_len = m->len;
	m->text = NULL;
	return 0;
}

void metrics_abandon(struct metrics *m)
{
	if (m->f)
		fclose(m->f);
	free(m->text);
	*m = (struct metrics){ 0 };
}

const char *metrics_dir(bool *ret_explicit)
{
	const char *e = getenv("VPMEM_METRICS_DIR");

	*ret_explicit = e != NULL;
	if (!e)
		return METRICS_DIR_DEFAULT;
	return *e ? e : NULL;
}

int metrics_write_file(const char *dir, const char *name, const char *text, size_t len)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	/* "NAME.prom.tmp.PID": not read by the collector, which reads *.prom */
	return write_file_atomic(path, text, len, 0644);
}

void metrics_publish(const char *name, const char *text, size_t len)
{
	bool explicit;
	const char *dir = metrics_dir(&explicit);
	int r;

	if (!dir)
		return;
	r = metrics_write_file(dir, name, text, len);
	if (r == -ENOENT && !explicit)
		log_debug("%s does not exist (no node_exporter here): no metrics written", dir);
	else if (r == -ENOENT)
		log_warning("%s (VPMEM_METRICS_DIR) does not exist: no metrics written", dir);
	else if (r < 0)
		log_warning_errno(r, "cannot write the metrics to %s/%s: %m", dir, name);
}

static int open_noatime(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOATIME);
	/* O_NOATIME: only for the file's owner or with CAP_FOWNER */
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int metrics_read_file(const char *dir, const char *name, char **ret_text)
{
	_cleanup_close_ int fd = open_noatime(dir, name);

	if (fd < 0)
		return fd;
	return read_fd_all(fd, ret_text);
}

ssize_t metrics_read_head(const char *dir, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = open_noatime(dir, name);
	ssize_t n;

	if (fd < 0)
		return fd;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

double metrics_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
