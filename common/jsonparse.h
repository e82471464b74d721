/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_JSONPARSE_H
#define VPMEM_JSONPARSE_H

#include <stddef.h>

struct json_object;

/*
 * The one JSON reader of vpmem, for every file it reads (policies,
 * host.json, the ledger) and every answer it gets (Placement): one JSON
 * document, parsed strictly (json-c's JSON_TOKENER_STRICT: no comments,
 * which json-c accepts by default, no single quotes, no trailing commas),
 * with nothing after it but white space, and no NUL inside.
 *
 * Returns 0 and the document in *ret; -EINVAL with *ret_error saying what
 * and where ("not valid JSON at offset 12: unexpected character", "not
 * valid JSON: unexpected text at offset 40"); or -ENOMEM.
 */
int json_parse_strict(const char *text, size_t len, struct json_object **ret, char **ret_error);

#endif
