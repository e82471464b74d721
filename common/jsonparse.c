// SPDX-License-Identifier: LGPL-2.1-or-later
/* The one JSON reader: see jsonparse.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-libs.h"
#include "jsonparse.h"
#include "strutil.h"

int json_parse_strict(const char *text, size_t len, struct json_object **ret, char **ret_error)
{
	_cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
	_cleanup_json_ struct json_object *root = NULL;
	enum json_tokener_error jerr;
	size_t end;

	*ret = NULL;
	*ret_error = NULL;
	if (len > INT_MAX) {
		*ret_error = strdup("not valid JSON: larger than 2 GiB");
		return *ret_error ? -EINVAL : -ENOMEM;
	}
	if (memchr(text, '\0', len)) {
		size_t at = (size_t)((const char *)memchr(text, '\0', len) - text);

		*ret_error = strdup_printf("not valid JSON: a NUL byte at offset %zu", at);
		return *ret_error ? -EINVAL : -ENOMEM;
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	/* the end can be reported past the text (a comment running to its end): clamp it */
	end = json_tokener_get_parse_end(tok);
	if (end > len)
		end = len;
	if (!root || jerr != json_tokener_success) {
		*ret_error = strdup_printf("not valid JSON at offset %zu: %s", end,
					   jerr == json_tokener_continue || jerr == json_tokener_success
						   ? "unexpected end of input"
						   : json_tokener_error_desc(jerr));
		return *ret_error ? -EINVAL : -ENOMEM;
	}
	for (size_t i = end; i < len; i++)
		if (!strchr(" \t\r\n", text[i])) {
			*ret_error = strdup_printf("not valid JSON: unexpected text at offset %zu", i);
			return *ret_error ? -EINVAL : -ENOMEM;
		}
	*ret = TAKE_PTR(root);
	return 0;
}
