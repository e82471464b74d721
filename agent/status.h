/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_AGENT_STATUS_H
#define VPMEM_AGENT_STATUS_H

#include <stdint.h>
#include <stdio.h>

#include "inventory.h"
#include "provision.h"

struct json_object;

/* {"regions": [...]} describing every region and namespace of inv. */
struct json_object *status_to_json(const struct inventory *inv);

/* The same as a table for people. */
void status_print(const struct inventory *inv, FILE *out);

/*
 * The record of an apply run: the status plus what was done and what failed,
 * written atomically to path (temp file + rename), unless the file there has
 * the same digest (status_digest() of inv and log). 0 or a negative errno.
 */
int status_write_file(const char *path, const struct inventory *inv, const struct apply_log *log, uint64_t digest);

/*
 * A digest of everything status_write_file() writes (and of this agent's
 * version): the same status, the same digest. What else reports the status
 * (the metrics) keeps it to write only when it changes.
 */
uint64_t status_digest(const struct inventory *inv, const struct apply_log *log);

/*
 * Both at once, in one walk: the digest of the document with log, and in
 * *ret_state the digest of the state alone (what status_state_digest()
 * gives), which the metrics keep.
 */
uint64_t status_digests(const struct inventory *inv, const struct apply_log *log, uint64_t *ret_state);
uint64_t status_state_digest(const struct inventory *inv);

#endif
