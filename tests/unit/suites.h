/* Check suites of the hx unit tests, run together by tests/unit/main.c. */
#ifndef HX_TESTS_UNIT_SUITES_H
#define HX_TESTS_UNIT_SUITES_H

#include <check.h>

Suite *loader_suite(void);     /* loader/elf_load.c and loader/stack.c */
Suite *image_plan_suite(void); /* loader/image_plan.c: Linux's placement of a process image */
Suite *guest_mem_suite(void);  /* hypervisor/guest_mem.c */
Suite *random_suite(void);     /* kernel/random.c, built for the host */
Suite *scan_suite(void);       /* rewriter/: syscall-site analysis for hxscan */
Suite *minifs_suite(void);     /* minifs/minifs.c */
Suite *patch_suite(void);      /* rewriter/patch.c: hxrewrite's site selection and trampolines */
Suite *sandbox_suite(void);    /* hypervisor/sandbox.c: capabilities and the seccomp allowlist */

#endif
