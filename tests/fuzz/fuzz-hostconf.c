// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: vpmem-host's host.json parser (layout, placement,
 * Nova's pmem_namespaces inside it) and Nova's pmem_namespaces syntax on its
 * own. The first byte chooses which; the rest is the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "hostconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_config config = { 0 };
	struct errlist errors = { 0 };
	char *text;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		nova_pmem_namespaces_parse(text, "nova.conf", "pmem_namespaces", &config, &errors);
	else
		host_config_parse("host.json", text, &config, &errors);
	errlist_clear(&errors);
	host_config_clear(&config);
	free(text);
	return 0;
}
