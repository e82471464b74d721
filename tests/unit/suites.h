/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPMEM_TEST_SUITES_H
#define VPMEM_TEST_SUITES_H

#include <check.h>

Suite *size_suite(void);
Suite *policy_suite(void);
Suite *plan_suite(void);
Suite *mkfs_suite(void);
Suite *mount_suite(void);
Suite *status_suite(void);
Suite *common_suite(void);
Suite *host_suite(void);
Suite *guard_suite(void);
Suite *records_suite(void);
Suite *cxl_suite(void);
Suite *metrics_suite(void);
Suite *health_suite(void);

#endif
