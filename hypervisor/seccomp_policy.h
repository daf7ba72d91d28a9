/* The monitor's seccomp allowlist, as a libseccomp filter (build time). */
#ifndef HX_SECCOMP_POLICY_H
#define HX_SECCOMP_POLICY_H

#include <seccomp.h>

/* The allowlist: every other call traps (SIGSYS). NULL on failure. */
scmp_filter_ctx hx_seccomp_policy(void);

#endif
