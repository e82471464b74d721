/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_HOST_PLACEMENT_H
#define VPMEM_HOST_PLACEMENT_H

#include <stdbool.h>

struct json_object;

/* How to reach OpenStack Placement. */
struct placement_options {
	const char *url;      /* e.g. http://127.0.0.1:8778 (no trailing /) */
	const char *token;    /* X-Auth-Token; never logged */
	const char *cacert;   /* CA bundle; TLS is verified in any case */
	long timeout;         /* seconds for a whole request */
};

struct placement;

/*
 * Is url plain http to a host that is not this one (a loopback address or
 * "localhost")? 1 with the host in *ret_host (malloc'd), 0 (https, or
 * loopback), or a negative errno for a URL that cannot be parsed.
 */
int placement_url_plain_remote(const char *url, char **ret_host);

int placement_open(const struct placement_options *o, struct placement **ret);

/*
 * A Placement that answers without HTTP, for tests and fuzzing: answer() gets
 * each request and sets the status and the body (malloc'd, or NULL for none),
 * or returns a negative errno for a request that got no answer (-EHOSTUNREACH,
 * -ETIMEDOUT, -EPROTO). Everything after the transport is the real code.
 */
typedef int (*placement_answer_fn)(void *data, const char *method, const char *path, const char *body,
				   long *ret_status, char **ret_body, size_t *ret_len);
int placement_open_answering(placement_answer_fn answer, void *data, struct placement **ret);
void placement_close(struct placement *p);

/*
 * One request. body may be NULL; *ret_json gets the parsed answer (NULL for
 * an empty one) and *ret_status the HTTP status. Returns 0 when a status was
 * received (whatever it is), -EHOSTUNREACH/-ETIMEDOUT/-EPROTO when not, with a
 * message in *ret_error. A body that is not JSON gives -EBADMSG.
 */
int placement_request(struct placement *p, const char *method, const char *path, struct json_object *body,
		      long *ret_status, struct json_object **ret_json, char **ret_error);

/* How many requests p has made (answered or not). */
unsigned long placement_request_count(const struct placement *p);

/* The "code" of the first error of a Placement error answer, or "". */
const char *placement_error_code(struct json_object *answer);
/* Its "detail", or "". */
const char *placement_error_detail(struct json_object *answer);

#endif
