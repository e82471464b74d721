// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "mm.h"
#include "size.h"

int mm_parse_pmd_size(const char *text, uint64_t page_size, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || (*end && !(*end == '\n' && end[1] == '\0')))
		return -EINVAL;
	/* a huge page is a power of two and a whole number of pages */
	if (!is_power_of_2(v) || v <= page_size || v % page_size)
		return -EINVAL;
	*ret = v;
	return 0;
}

int mm_geometry_read(const char *pmd_path, struct mm_geometry *ret)
{
	long page_size = sysconf(_SC_PAGESIZE);
	_cleanup_free_ char *text = NULL;
	struct mm_geometry mm = { 0 };
	int r;

	if (page_size <= 0 || !is_power_of_2((uint64_t)page_size))
		return -EINVAL;
	mm.page_size = (uint64_t)page_size;
	/* no PMD pages until proven otherwise: what a caller going on after an error has */
	*ret = mm;
	r = read_file(pmd_path, &text, NULL);
	/* ENOENT: no transparent huge pages, or a hash MMU without 16 MiB pages */
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	r = mm_parse_pmd_size(text, mm.page_size, &mm.pmd_size);
	if (r < 0)
		return r;
#if defined(__powerpc64__)
	/* the hash MMU's 16 MiB linear mapping (mm.h): radix has 2 MiB PMDs */
	if (mm.pmd_size > mm_dax_start_align(&mm))
		mm.dax_start_align = mm.pmd_size;
#endif
	*ret = mm;
	return 0;
}
