// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small client of the OpenStack Placement API over libcurl: JSON in and out,
 * microversion 1.39, token authentication, TLS verification always on.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup-libs.h"
#include "jsonparse.h"
#include "placement.h"

#define PLACEMENT_MICROVERSION "placement 1.39"
#define MAX_ANSWER (16 * 1024 * 1024)

struct placement {
	CURL *curl;
	char *url;
	char *token_header;
	char *cacert;
	long timeout;
	placement_answer_fn answer; /* instead of HTTP (tests, fuzzing) */
	void *answer_data;
	unsigned long requests;     /* made so far */
};

struct buffer {
	char *data;
	size_t len;
	bool overflow;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buffer *b = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (b->len + n > MAX_ANSWER) {
		b->overflow = true;
		return 0;
	}
	grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->data = grown;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static bool is_loopback(const char *host)
{
	char addr[INET6_ADDRSTRLEN + 2];
	struct in6_addr a6;
	struct in_addr a4;
	size_t len = strlen(host);

	if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	/* libcurl gives an IPv6 host in brackets */
	if (len < 3 || len >= sizeof(addr) || host[0] != '[' || host[len - 1] != ']')
		return false;
	memcpy(addr, host + 1, len - 2);
	addr[len - 2] = '\0';
	if (inet_pton(AF_INET6, addr, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

int placement_url_plain_remote(const char *url, char **ret_host)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int r;

	*ret_host = NULL;
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		r = -EINVAL;
	} else if (strcasecmp(scheme, "http") != 0 || is_loopback(host)) {
		r = 0;
	} else {
		*ret_host = strdup(host);
		r = *ret_host ? 1 : -ENOMEM;
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

int placement_open(const struct placement_options *o, struct placement **ret)
{
	struct placement *p = calloc(1, sizeof(*p));
	size_t len;

	if (!p)
		return -ENOMEM;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	p->curl = curl_easy_init();
	p->url = strdup(o->url);
	if (!p->curl || !p->url)
		goto nomem;
	len = strlen(p->url);
	while (len && p->url[len - 1] == '/')
		p->url[--len] = '\0';
	if (o->token && asprintf(&p->token_header, "X-Auth-Token: %s", o->token) < 0)
		goto nomem;
	if (o->cacert && !(p->cacert = strdup(o->cacert)))
		goto nomem;
	p->timeout = o->timeout > 0 ? o->timeout : 30;
	*ret = p;
	return 0;
nomem:
	placement_close(p);
	return -ENOMEM;
}

int placement_open_answering(placement_answer_fn answer, void *data, struct placement **ret)
{
	struct placement *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->answer = answer;
	p->answer_data = data;
	p->url = strdup("");
	if (!p->url) {
		free(p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

void placement_close(struct placement *p)
{
	if (!p)
		return;
	if (p->curl)
		curl_easy_cleanup(p->curl);
	free(p->url);
	if (p->token_header) {
		/* the token does not outlive its use in memory either */
		memset(p->token_header, 0, strlen(p->token_header));
		free(p->token_header);
	}
	free(p->cacert);
	free(p);
}

/* Send the request over HTTP; the answer's status and body, or a negative errno and a message. */
/* An answer's JSON, strictly (jsonparse.h); NULL when it is anything else. */
static struct json_object *parse_answer(const char *data, size_t len)
{
	_cleanup_free_ char *error = NULL;
	struct json_object *o = NULL;

	return json_parse_strict(data, len, &o, &error) == 0 ? o : NULL;
}

static int http_request(struct placement *p, const char *method, const char *path, const char *text,
			long *ret_status, struct buffer *answer, char **ret_error)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	_cleanup_free_ char *url = NULL;
	CURLcode rc;
	int r;

	if (asprintf(&url, "%s%s", p->url, path) < 0)
		return -ENOMEM;
	headers = curl_slist_append(headers, "OpenStack-API-Version: " PLACEMENT_MICROVERSION);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (text)
		headers = curl_slist_append(headers, "Content-Type: application/json");
	if (p->token_header)
		headers = curl_slist_append(headers, p->token_header);

	curl_easy_reset(p->curl);
	curl_easy_setopt(p->curl, CURLOPT_URL, url);
	curl_easy_setopt(p->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT, p->timeout);
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(p->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	/* libcurl before 7.85 (Debian 11's 7.74) has only the bitmask */
	curl_easy_setopt(p->curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(p->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(p->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (p->cacert)
		curl_easy_setopt(p->curl, CURLOPT_CAINFO, p->cacert);
	if (text)
		curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, text);

	rc = curl_easy_perform(p->curl);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		r = rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT
		    : rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ? -EHOSTUNREACH
										 : -EPROTO;
		if (asprintf(ret_error, "%s %s: %s", method, path,
			     answer->overflow ? "the answer is too large" : errbuf[0] ? errbuf : curl_easy_strerror(rc)) < 0)
			*ret_error = NULL;
		return r;
	}
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, ret_status);
	return 0;
}

int placement_request(struct placement *p, const char *method, const char *path, struct json_object *body,
		      long *ret_status, struct json_object **ret_json, char **ret_error)
{
	const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
	struct buffer answer = { 0 };
	int r;

	*ret_json = NULL;
	*ret_error = NULL;
	p->requests++;
	if (p->answer) {
		r = p->answer(p->answer_data, method, path, text, ret_status, &answer.data, &answer.len);
		if (r < 0 && asprintf(ret_error, "%s %s: no answer (%s)", method, path, strerror(-r)) < 0)
			*ret_error = NULL;
	} else {
		r = http_request(p, method, path, text, ret_status, &answer, ret_error);
	}
	if (r < 0) {
		free(answer.data);
		return r;
	}
	if (answer.len) {
		char *nul = realloc(answer.data, answer.len + 1);

		if (!nul) {
			free(answer.data);
			return -ENOMEM;
		}
		answer.data = nul;
		answer.data[answer.len] = '\0';
		*ret_json = parse_answer(answer.data, answer.len);
		if (!*ret_json) {
			char preview[61];
			size_t n = answer.len < 60 ? answer.len : 60;

			/* what came, printable: a NUL or a control byte is part of what is wrong with it */
			for (size_t i = 0; i < n; i++)
				preview[i] = answer.data[i] >= 0x20 && answer.data[i] < 0x7f ? answer.data[i] : '?';
			preview[n] = '\0';
			if (asprintf(ret_error, "%s %s: HTTP %ld with an answer that is not JSON (%zu bytes: %s%s)", method,
				     path, *ret_status, answer.len, preview, answer.len > 60 ? "..." : "") < 0)
				*ret_error = NULL;
			r = -EBADMSG;
		}
	}
	free(answer.data);
	return r;
}

static struct json_object *first_error(struct json_object *answer)
{
	struct json_object *errors;

	if (!answer || !json_object_object_get_ex(answer, "errors", &errors) ||
	    !json_object_is_type(errors, json_type_array) || json_object_array_length(errors) == 0)
		return NULL;
	return json_object_array_get_idx(errors, 0);
}

const char *placement_error_code(struct json_object *answer)
{
	struct json_object *e = first_error(answer), *code;

	return e && json_object_object_get_ex(e, "code", &code) ? json_object_get_string(code) : "";
}

const char *placement_error_detail(struct json_object *answer)
{
	struct json_object *e = first_error(answer), *detail;

	return e && json_object_object_get_ex(e, "detail", &detail) ? json_object_get_string(detail) : "";
}

unsigned long placement_request_count(const struct placement *p)
{
	return p->requests;
}
