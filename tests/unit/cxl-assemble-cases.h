/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_CXL_ASSEMBLE_CASES_H
#define VPMEM_CXL_ASSEMBLE_CASES_H

#include <check.h>

/* test-destructive's CXL cases (test-cxl-assemble.c), with libcxl */
TCase *cxl_assemble_tcase(void);

#endif
