/* The monitor's own confinement: capabilities, no_new_privs, seccomp. */
#ifndef HX_SANDBOX_H
#define HX_SANDBOX_H

#include <stdint.h>

/* The capabilities hxrun keeps when it has them (run as root). */
struct hx_caps {
    uint64_t keep; /* bit N: capability N */
};

/* Docker's default set. */
void hx_caps_default(struct hx_caps *c);

/* --cap-add NAME / --cap-drop NAME: NAME as docker spells it (NET_ADMIN,
 * CAP_NET_ADMIN, ALL). Returns -1 for an unknown name. */
int hx_caps_change(struct hx_caps *c, const char *name, int add);

/* Drops every capability outside c from the bounding, permitted,
 * effective, inheritable and ambient sets, and sets PR_SET_NO_NEW_PRIVS.
 * Returns 0, or -1 after one line on stderr. */
int hx_caps_apply(const struct hx_caps *c);

/* Installs the seccomp allowlist of the running monitor (after the machine
 * is built): a call outside it ends hxrun with one line naming it and
 * status 125. Returns 0, or -1 after one line on stderr. */
int hx_seccomp_apply(void);

#endif
