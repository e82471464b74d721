// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the small parsers of outside input. Sizes ("2G",
 * "1.5 GiB": policies, host.json, the command line), targets ("region3",
 * "nmem0", sysfs paths: udev; "mem0", "0x1a": CXL devices), lines of
 * /proc/self/mountinfo (the kernel, with paths anyone who can mount
 * chooses), and a CXL device's label storage area (whatever the device, or
 * whoever had it before, wrote there).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cxl-label.h"
#include "cxl-plan.h"
#include "mountinfo.h"
#include "nd.h"
#include "size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct mount_entry e;
	uint64_t bytes;
	bool is_region;
	unsigned id;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (size_parse(text, &bytes) == 0) {
		char buf[SIZE_BUF];

		size_format(bytes, buf, sizeof(buf));
		size_format_human(bytes, buf, sizeof(buf));
	}
	nd_parse_target(text, &is_region, &id);
	cxl_memdev_spec_valid(text);
	{
		struct cxl_lsa lsa;

		if (cxl_lsa_parse(data, size, &lsa) == 0)
			cxl_lsa_clear(&lsa);
	}
	if (mountinfo_parse_line(text, &e) == 0) {
		free(e.target);
		free(e.fstype);
		free(e.fs_options);
	}
	free(text);
	return 0;
}
