// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nd.h"
#include "size.h"

static const char *const mode_names[] = {
	[NS_MODE_UNKNOWN] = "unknown", [NS_MODE_RAW] = "raw",       [NS_MODE_SECTOR] = "sector",
	[NS_MODE_FSDAX] = "fsdax",     [NS_MODE_DEVDAX] = "devdax",
};

const char *ns_mode_name(enum ns_mode mode)
{
	if ((unsigned)mode >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "unknown";
	return mode_names[mode];
}

bool ns_mode_has_filesystem(enum ns_mode mode)
{
	return mode == NS_MODE_FSDAX || mode == NS_MODE_SECTOR;
}

enum ns_mode ns_mode_from_name(const char *name)
{
	for (unsigned i = NS_MODE_RAW; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(name, mode_names[i]) == 0)
			return (enum ns_mode)i;
	return NS_MODE_UNKNOWN;
}

const char *pfn_map_name(enum pfn_map map)
{
	return map == PFN_MAP_MEM ? "mem" : "dev";
}

uint64_t ns_usable_size_estimate(uint64_t size, uint64_t align, enum pfn_map map, uint64_t page_size)
{
	/* the kernel reserves 8 KiB for the info block, then pads the data start to align */
	uint64_t reserve = 8192;

	if (map == PFN_MAP_DEV && page_size)
		reserve += size / page_size * 64;
	if (align && !align_up(reserve, align, &reserve))
		return 0;
	return size > reserve ? size - reserve : 0;
}

static int parse_index(const char *s, unsigned *ret)
{
	unsigned long v;
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int nd_parse_target(const char *target, bool *ret_is_region, unsigned *ret_id)
{
	const char *base = strrchr(target, '/');

	base = base ? base + 1 : target;
	if (strncmp(base, "region", 6) == 0 && parse_index(base + 6, ret_id) == 0) {
		*ret_is_region = true;
		return 0;
	}
	if (strncmp(base, "nmem", 4) == 0 && parse_index(base + 4, ret_id) == 0) {
		*ret_is_region = false;
		return 0;
	}
	return -EINVAL;
}

bool nd_mkfs_marker(const char *name, char buf[ND_NAME_MAX + 1])
{
	size_t len = strlen(name);

	if (len + strlen(ND_MKFS_MARKER) > ND_NAME_MAX)
		return false;
	memcpy(buf, name, len);
	memcpy(buf + len, ND_MKFS_MARKER, strlen(ND_MKFS_MARKER) + 1);
	return true;
}

bool nd_is_mkfs_marker(const char *alt_name, const char *name)
{
	size_t len = strlen(name);

	return alt_name && strncmp(alt_name, name, len) == 0 && strcmp(alt_name + len, ND_MKFS_MARKER) == 0;
}
