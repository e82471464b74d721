// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"

static int unit_shift(const char *suffix, unsigned *ret_shift)
{
	static const struct {
		char c;
		unsigned shift;
	} units[] = { { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 } };

	if (*suffix == '\0') {
		*ret_shift = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (toupper((unsigned char)suffix[0]) != units[i].c)
			continue;
		if (suffix[1] == '\0' || strcmp(suffix + 1, "iB") == 0) {
			*ret_shift = units[i].shift;
			return 0;
		}
	}
	return -EINVAL;
}

int size_parse(const char *s, uint64_t *ret_size)
{
	unsigned long long v;
	unsigned shift;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno)
		return -EINVAL;
	if (unit_shift(end, &shift) < 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret_size = (uint64_t)v << shift;
	return 0;
}

/* The largest binary unit size is a whole number of: its letter ('K' to 'T'), *ret the number; 0 for none. */
static char exact_unit(uint64_t size, unsigned long long *ret)
{
	static const char units[] = "KMGT";

	for (int i = 3; i >= 0; i--) {
		uint64_t unit = UINT64_C(1) << (10 * (i + 1));

		if (size && size % unit == 0) {
			*ret = (unsigned long long)(size / unit);
			return units[i];
		}
	}
	return 0;
}

const char *size_format(uint64_t size, char *buf, size_t len)
{
	unsigned long long n;
	char unit = exact_unit(size, &n);

	if (unit)
		snprintf(buf, len, "%llu%c", n, unit);
	else
		snprintf(buf, len, "%llu", (unsigned long long)size);
	return buf;
}

const char *size_format_iec(uint64_t size, char *buf, size_t len)
{
	unsigned long long n;
	char unit = exact_unit(size, &n);

	if (unit)
		snprintf(buf, len, "%llu %ciB", n, unit);
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)size);
	return buf;
}

const char *size_format_human(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)size;
	unsigned i = 0;

	while (v >= 1024.0 && i < sizeof(units) / sizeof(units[0]) - 1) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)size);
	else
		snprintf(buf, len, "%.2f %s", v, units[i]);
	return buf;
}
