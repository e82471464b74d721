// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(size_suite());
	int failed;

	srunner_add_suite(sr, policy_suite());
	srunner_add_suite(sr, plan_suite());
	srunner_add_suite(sr, mkfs_suite());
	srunner_add_suite(sr, mount_suite());
	srunner_add_suite(sr, status_suite());
	srunner_add_suite(sr, common_suite());
#ifdef ENABLE_HOST
	srunner_add_suite(sr, host_suite());
#endif
	srunner_add_suite(sr, guard_suite());
	srunner_add_suite(sr, records_suite());
	srunner_add_suite(sr, cxl_suite());
	srunner_add_suite(sr, metrics_suite());
	srunner_add_suite(sr, health_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
