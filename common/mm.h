/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_MM_H
#define VPMEM_MM_H

#include <stdint.h>

/*
 * The running kernel's page sizes, which DAX is laid out by: the page size
 * (4 KiB on x86, 64 KiB on POWER) and the size of a PMD ("huge") page, the
 * unit a DAX fault maps at once when the file's extent is aligned to it. The
 * PMD size is 2 MiB on x86-64 and on POWER's radix MMU, 16 MiB on POWER's
 * hash MMU when the hypervisor offers 16 MiB pages, and there is none at all
 * on a hash MMU without them or a kernel without transparent huge pages.
 */
struct mm_geometry {
	uint64_t page_size;
	uint64_t pmd_size;        /* 0: the kernel cannot map PMD pages */
	uint64_t dax_start_align; /* mm_dax_start_align(); 0: 2 MiB */
};

#define MM_PMD_SIZE_PATH "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"

/*
 * Read the running system's: sysconf for the page size, pmd_path (normally
 * MM_PMD_SIZE_PATH) for the PMD size, a missing file meaning none. 0, or
 * -EINVAL when either is not a power of two the other divides, or another
 * negative errno from reading. When only the PMD size failed, *ret has the
 * page size and no PMD pages.
 */
int mm_geometry_read(const char *pmd_path, struct mm_geometry *ret);

/* Parse hpage_pmd_size's text ("2097152\n"). 0 or -EINVAL. */
int mm_parse_pmd_size(const char *text, uint64_t page_size, uint64_t *ret);

/* The unit files are laid out in for DAX: the PMD size, or the page size without one. */
static inline uint64_t mm_fault_unit(const struct mm_geometry *mm)
{
	return mm->pmd_size ? mm->pmd_size : mm->page_size;
}

/*
 * Where the kernel can start a DAX namespace: memremap_compat_align(), the
 * memory-hotplug subsection (2 MiB) on every architecture but powerpc, whose
 * hash MMU needs its linear mapping's page size: 16 MiB when it has such
 * pages, and then that is the PMD size too; 2 MiB with the radix MMU or
 * without 16 MiB pages. (Not the PMD size elsewhere: arm64 with 64 KiB
 * pages has 512 MiB PMDs and starts namespaces on 2 MiB all the same.)
 * mm_geometry_read() works it out for the architecture it was built for.
 */
static inline uint64_t mm_dax_start_align(const struct mm_geometry *mm)
{
	return mm->dax_start_align ? mm->dax_start_align : UINT64_C(2) << 20;
}

#endif
