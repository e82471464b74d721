// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: everything vpmem-host reads from OpenStack Placement.
 * The input is a series of answers, each a status byte (one of the codes
 * Placement gives), a 16-bit little-endian length and that many bytes of
 * body; when they run out, requests get no answer. A full sync (provider,
 * classes, inventories, traits, every consumer's allocations) and then a
 * reserve's allocation are run against them: the real placement.c after its
 * transport, and sync.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "placement.h"
#include "sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *data;
	size_t size, off;
};

static int answer(void *userdata, const char *method, const char *path, const char *body, long *ret_status,
		  char **ret_body, size_t *ret_len)
{
	static const long codes[] = { 200, 201, 204, 400, 404, 409, 500, 503, 302, 418 };
	struct feed *f = userdata;
	size_t len;

	(void)body;
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz-placement: %s %s\n", method, path);
	if (f->size - f->off < 3)
		return -EHOSTUNREACH;
	*ret_status = codes[f->data[f->off] % (sizeof(codes) / sizeof(codes[0]))];
	len = (size_t)f->data[f->off + 1] | (size_t)f->data[f->off + 2] << 8;
	f->off += 3;
	if (len > f->size - f->off)
		len = f->size - f->off;
	*ret_body = NULL;
	*ret_len = len;
	if (len) {
		*ret_body = malloc(len);
		if (!*ret_body)
			return -ENOMEM;
		memcpy(*ret_body, f->data + f->off, len);
	}
	f->off += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct feed feed = { .data = data, .size = size };
	struct json_object *inventory, *held, *resources;
	struct placement *p = NULL;
	char uuid[37] = "";
	struct sync_target target = {
		.provider = "host-a",
		.create_provider = true,
		.project_id = "7bc4bb4dae2b4a7da1a86ac3f5cabd7c",
		.user_id = "ea85f4ec8bb94d9e86f2a9e4fbb96d72",
	};

	log_set_silent(getenv("FUZZ_VERBOSE") == NULL);
	if (!null)
		null = fopen("/dev/null", "w");
	if (!null || placement_open_answering(answer, &feed, &p) < 0)
		return 0;
	inventory = json_tokener_parse("{\"CUSTOM_PMEM_NAMESPACE_SMALL\": {\"total\": 4, \"reserved\": 0, \"min_unit\": 1,"
				       " \"max_unit\": 1, \"step_size\": 1, \"allocation_ratio\": 1.0}}");
	held = json_tokener_parse("{\"0f6bb0a4-6a8c-4a67-8e6b-1a2b3c4d5e6f\": {\"CUSTOM_PMEM_NAMESPACE_SMALL\": 1}}");
	resources = json_tokener_parse("{\"CUSTOM_PMEM_NAMESPACE_SMALL\": 1}");
	target.inventory = inventory;
	target.held = held;
	if (placement_sync(p, &target, true, true, null, uuid) == 0 || uuid[0])
		placement_set_allocation(p, uuid[0] ? uuid : "c5d2ba1b-7c0d-4b79-a3b2-5a1bf7bd6d2e",
					 "0f6bb0a4-6a8c-4a67-8e6b-1a2b3c4d5e6f", resources, target.project_id,
					 target.user_id);
	json_object_put(inventory);
	json_object_put(held);
	json_object_put(resources);
	placement_close(p);
	return 0;
}
