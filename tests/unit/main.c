/* Runs every hx unit-test suite; exits non-zero when any check fails. */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
    SRunner *sr = srunner_create(loader_suite());
    srunner_add_suite(sr, image_plan_suite());
    srunner_add_suite(sr, guest_mem_suite());
    srunner_add_suite(sr, random_suite());
    srunner_add_suite(sr, scan_suite());
    srunner_add_suite(sr, minifs_suite());
    srunner_add_suite(sr, patch_suite());
    srunner_add_suite(sr, sandbox_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
