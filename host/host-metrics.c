// SPDX-License-Identifier: GPL-2.0-or-later
/* vpmem-host's metrics for node_exporter's textfile collector: see host-metrics.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cleanup-libs.h"
#include "fileio.h"
#include "host-metrics.h"
#include "log.h"
#include "metrics.h"
#include "strutil.h"

#define COUNTERS_FILE "counters.json"

static const char *const error_kinds[] = {
	"unreachable", "timeout", "auth", "protocol", "server", "conflict", "capacity", "not_found", "config", "other",
};

const char *sync_error_kind(int error)
{
	switch (error < 0 ? -error : error) {
	case EHOSTUNREACH:
	case ECONNREFUSED:
		return "unreachable";
	case ETIMEDOUT:
		return "timeout";
	case EACCES:
		return "auth";
	case EPROTO:
	case EBADMSG:
		return "protocol";
	case EIO:
		return "server";
	case EAGAIN:
	case EEXIST:
		return "conflict";
	case ENOSPC:
		return "capacity";
	case ENOENT:
		return "not_found";
	case EINVAL:
		return "config";
	default:
		return "other";
	}
}

/* counters.json: {"erase": {LABEL: {...}}, "in_use_refusals": {LABEL: n}, "placement": {...}} */
static struct json_object *counters_load(const struct host *h, char **ret_path)
{
	_cleanup_free_ char *text = NULL;
	struct json_object *root = NULL;

	*ret_path = strdup_printf("%s/%s", h->state_dir, COUNTERS_FILE);
	if (!*ret_path)
		return NULL;
	if (read_file(*ret_path, &text, NULL) >= 0)
		root = json_tokener_parse(text);
	if (root && !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		root = NULL;
	}
	/* missing or unreadable: counted again from zero, as a restarted exporter would */
	return root ? root : json_object_new_object();
}

static struct json_object *child(struct json_object *o, const char *key)
{
	struct json_object *c;

	if (json_object_object_get_ex(o, key, &c) && json_object_is_type(c, json_type_object))
		return c;
	c = json_object_new_object();
	if (c && json_object_object_add(o, key, c) < 0) {
		json_object_put(c);
		return NULL;
	}
	return c;
}

static uint64_t get_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static double get_double(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static void add_u64(struct json_object *o, const char *key, uint64_t delta)
{
	if (o)
		json_object_object_add(o, key, json_object_new_int64((int64_t)(get_u64(o, key) + delta)));
}

static void add_double(struct json_object *o, const char *key, double delta)
{
	if (o)
		json_object_object_add(o, key, json_object_new_double(get_double(o, key) + delta));
}

static void set_double(struct json_object *o, const char *key, double value)
{
	if (o)
		json_object_object_add(o, key, json_object_new_double(value));
}

static const char *label_of(const char *label)
{
	return label ? label : "";
}

/* the labels the host knows: its layout's, Nova's and the ledger's, each once, in that order */
static size_t host_labels(const struct host *h, const char **labels, size_t max)
{
	size_t n = 0;

#define ADD_LABEL(l)                                                              \
	do {                                                                      \
		const char *l_ = label_of(l);                                     \
		bool seen_ = false;                                               \
		for (size_t k_ = 0; k_ < n; k_++)                                 \
			seen_ = seen_ || strcmp(labels[k_], l_) == 0;             \
		if (!seen_ && n < max)                                            \
			labels[n++] = l_;                                         \
	} while (0)
	for (size_t i = 0; i < h->config.n_layout; i++)
		ADD_LABEL(h->config.layout[i].label);
	for (size_t i = 0; i < h->config.n_nova; i++)
		ADD_LABEL(h->config.nova[i].label);
	for (size_t i = 0; i < h->ledger.n; i++)
		ADD_LABEL(h->ledger.entries[i].label);
#undef ADD_LABEL
	return n;
}

/* the counters of the erases of a label, NULL when none */
static struct json_object *label_counters(struct json_object *erase, const char *label)
{
	struct json_object *e = NULL;

	if (erase)
		json_object_object_get_ex(erase, label, &e);
	return e;
}

/* the erase counters per label: family, its help, its key in counters.json */
static const struct {
	const char *name, *help, *key;
} erase_counters[] = {
	{ "vpmem_host_erase_failures_total", "Erases per label that failed: the backing was quarantined.", "failures" },
	{ "vpmem_host_erase_verified_bytes_total", "Bytes of backings per label proven zero by erases (read back).",
	  "bytes" },
	{ "vpmem_host_erase_written_bytes_total",
	  "Bytes erases wrote per label (devdax: only chunks that were not zero already).", "written_bytes" },
};

int host_metrics_render(const struct host *h, struct json_object *counters, char **ret_text, size_t *ret_len)
{
	size_t cap = h->config.n_layout + h->config.n_nova + h->ledger.n + 1, n_labels;
	_cleanup_free_ const char **labels = calloc(cap, sizeof(*labels));
	struct json_object *erase = NULL, *in_use = NULL, *pl = NULL, *errors = NULL;
	struct metrics m;
	int r;

	if (!labels)
		return -ENOMEM;
	n_labels = host_labels(h, labels, cap);
	if (counters) {
		json_object_object_get_ex(counters, "erase", &erase);
		json_object_object_get_ex(counters, "in_use_refusals", &in_use);
		json_object_object_get_ex(counters, "placement", &pl);
		if (pl)
			json_object_object_get_ex(pl, "errors", &errors);
	}
	r = metrics_begin(&m, NULL);
	if (r < 0)
		return r;

	metrics_family(&m, "vpmem_host_backings", "gauge",
		       "Backings per label and state, from the ledger: free, reserved, erasing, quarantined, "
		       "unverified.");
	for (size_t l = 0; l < n_labels; l++)
		for (enum backing_state s = 0; s < BACKING__MAX; s++) {
			uint64_t count = 0;

			for (size_t i = 0; i < h->ledger.n; i++)
				count += h->ledger.entries[i].state == s &&
					 strcmp(label_of(h->ledger.entries[i].label), labels[l]) == 0;
			metrics_sample_u64(&m, "vpmem_host_backings", count, "label", labels[l], "state",
					   backing_state_name(s), NULL);
		}

	metrics_family(&m, "vpmem_host_erase_duration_seconds", "summary",
		       "Time taken by the erases of backings per label that ended, erased or not: zeroing and "
		       "reading back.");
	for (size_t l = 0; l < n_labels; l++) {
		struct json_object *e = label_counters(erase, labels[l]);

		metrics_sample_double(&m, "vpmem_host_erase_duration_seconds_sum", get_double(e, "seconds"), "label",
				      labels[l], NULL);
		metrics_sample_u64(&m, "vpmem_host_erase_duration_seconds_count", get_u64(e, "count"), "label",
				   labels[l], NULL);
	}
	for (size_t c = 0; c < ELEMENTSOF(erase_counters); c++) {
		metrics_family(&m, erase_counters[c].name, "counter", erase_counters[c].help);
		for (size_t l = 0; l < n_labels; l++)
			metrics_sample_u64(&m, erase_counters[c].name,
					   get_u64(label_counters(erase, labels[l]), erase_counters[c].key), "label",
					   labels[l], NULL);
	}
	metrics_family(&m, "vpmem_host_in_use_refusals_total", "counter",
		       "Backings per label not erased because a process (a running guest) or a libvirt domain used "
		       "them.");
	for (size_t l = 0; l < n_labels; l++)
		metrics_sample_u64(&m, "vpmem_host_in_use_refusals_total", get_u64(in_use, labels[l]), "label",
				   labels[l], NULL);

	metrics_family(&m, "vpmem_host_placement_sync_rounds_total", "counter",
		       "Rounds of sync with OpenStack Placement (vpmem-host sync), done or failed.");
	metrics_sample_u64(&m, "vpmem_host_placement_sync_rounds_total", get_u64(pl, "rounds"), NULL);
	metrics_family(&m, "vpmem_host_placement_sync_errors_total", "counter",
		       "Rounds of sync that failed, by kind: unreachable, timeout, auth (the token refused), protocol "
		       "(an answer that is not Placement's), server (5xx), conflict, capacity, not_found, config, "
		       "other.");
	for (size_t k = 0; k < ELEMENTSOF(error_kinds); k++)
		metrics_sample_u64(&m, "vpmem_host_placement_sync_errors_total", get_u64(errors, error_kinds[k]),
				   "kind", error_kinds[k], NULL);
	metrics_family(&m, "vpmem_host_placement_sync_in_step", "gauge",
		       "1 when the last round of sync left Placement in step with this host, 0 when it failed.");
	metrics_sample_u64(&m, "vpmem_host_placement_sync_in_step", get_u64(pl, "in_step"), NULL);
	metrics_family(&m, "vpmem_host_placement_sync_last_success_timestamp_seconds", "gauge",
		       "When the last round of sync that left Placement in step ended, in seconds since the epoch (0: "
		       "never).");
	metrics_sample_double(&m, "vpmem_host_placement_sync_last_success_timestamp_seconds",
			      get_double(pl, "last_success"), NULL);
	metrics_family(&m, "vpmem_host_placement_sync_requests", "gauge",
		       "Requests to Placement in the last round of sync (one when nothing changed).");
	metrics_sample_u64(&m, "vpmem_host_placement_sync_requests", get_u64(pl, "last_requests"), NULL);
	metrics_family(&m, "vpmem_host_placement_sync_requests_total", "counter",
		       "Requests to Placement in every round of sync.");
	metrics_sample_u64(&m, "vpmem_host_placement_sync_requests_total", get_u64(pl, "requests"), NULL);
	return metrics_finish(&m, ret_text, ret_len);
}

static void write_prom(struct host *h, struct json_object *counters)
{
	_cleanup_free_ char *text = NULL;
	bool explicit;
	size_t len;
	int r;

	if (!metrics_dir(&explicit))
		return;
	r = host_metrics_render(h, counters, &text, &len);
	if (r < 0)
		log_warning_errno(r, "cannot make the metrics: %m");
	else
		metrics_publish(HOST_METRICS_FILE, text, len);
}

void host_metrics_write(struct host *h)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ struct json_object *counters = NULL;
	bool explicit;

	if (!h->state_dir || !metrics_dir(&explicit))
		return;
	counters = counters_load(h, &path);
	write_prom(h, counters);
}

/* counters.json changed by change(), saved, and the metrics written */
static void update(struct host *h, void (*change)(struct json_object *root, const void *arg), const void *arg)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ struct json_object *counters = NULL;
	const char *text;
	int r;

	if (!h->state_dir)
		return;
	counters = counters_load(h, &path);
	if (!counters || !path) {
		log_warning_errno(-ENOMEM, "cannot count for the metrics: %m");
		return;
	}
	change(counters, arg);
	text = json_object_to_json_string_ext(counters, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	r = text ? write_file_atomic(path, text, strlen(text), 0600) : -ENOMEM;
	if (r < 0)
		log_warning_errno(r, "cannot write %s: %m", path);
	write_prom(h, counters);
}

struct erase_arg {
	const char *label;
	bool erased;
	const struct erase_stats *stats;
};

static void change_erase(struct json_object *root, const void *arg)
{
	const struct erase_arg *a = arg;
	struct json_object *e = child(child(root, "erase"), label_of(a->label));

	add_u64(e, "count", 1);
	add_double(e, "seconds", a->stats->seconds);
	add_u64(e, "bytes", a->stats->bytes);
	add_u64(e, "written_bytes", a->stats->zeroed);
	if (!a->erased)
		add_u64(e, "failures", 1);
}

void host_metrics_erase(struct host *h, const char *label, bool erased, const struct erase_stats *stats)
{
	struct erase_arg a = { label, erased, stats };

	update(h, change_erase, &a);
}

static void change_in_use(struct json_object *root, const void *label)
{
	add_u64(child(root, "in_use_refusals"), label_of(label), 1);
}

void host_metrics_in_use(struct host *h, const char *label)
{
	update(h, change_in_use, label);
}

struct round_arg {
	int result;
	unsigned long requests;
};

static void change_round(struct json_object *root, const void *arg)
{
	const struct round_arg *a = arg;
	struct json_object *pl = child(root, "placement");
	struct timespec ts;

	add_u64(pl, "rounds", 1);
	add_u64(pl, "requests", a->requests);
	if (pl)
		json_object_object_add(pl, "last_requests", json_object_new_int64((int64_t)a->requests));
	if (pl)
		json_object_object_add(pl, "in_step", json_object_new_int(a->result == 0));
	if (a->result < 0) {
		add_u64(child(pl, "errors"), sync_error_kind(a->result), 1);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	set_double(pl, "last_success", (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

void host_metrics_sync_round(struct host *h, int result, unsigned long requests)
{
	struct round_arg a = { result, requests };

	update(h, change_round, &a);
}
