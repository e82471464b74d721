/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_SIZE_H
#define VPMEM_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SZ_1K (UINT64_C(1) << 10)
#define SZ_4K (UINT64_C(4) << 10)
#define SZ_1M (UINT64_C(1) << 20)
#define SZ_2M (UINT64_C(2) << 20)
#define SZ_16M (UINT64_C(16) << 20)
#define SZ_1G (UINT64_C(1) << 30)
#define SZ_16G (UINT64_C(16) << 30)
#define SZ_1T (UINT64_C(1) << 40)

/*
 * Parse "4096", "4K", "2M", "6G", "1T" (binary units, "4GiB" is accepted as
 * well; "4GB" is not, since it could mean 10^9). Returns 0, or -EINVAL for
 * anything else and -ERANGE on overflow.
 */
int size_parse(const char *s, uint64_t *ret_size);

/* Format bytes as the largest exact binary unit ("2G", "1536M", "4097"). */
const char *size_format(uint64_t size, char *buf, size_t len);

/* The same for prose: "2 MiB", "64 KiB", "4097 bytes". */
const char *size_format_iec(uint64_t size, char *buf, size_t len);

/* Format bytes for humans, rounded: "3.99 GiB". */
const char *size_format_human(uint64_t size, char *buf, size_t len);

static inline bool is_power_of_2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* align must be a power of two; returns false if rounding up overflows */
static inline bool align_up(uint64_t x, uint64_t align, uint64_t *ret)
{
	uint64_t r = (x + align - 1) & ~(align - 1);

	if (r < x)
		return false;
	*ret = r;
	return true;
}

static inline uint64_t align_down(uint64_t x, uint64_t align)
{
	return x & ~(align - 1);
}

#define SIZE_BUF 32

#endif
