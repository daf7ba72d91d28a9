/* The monitor's own confinement (DESIGN.md section 12): hxrun run as root
 * keeps only docker's default capabilities (--cap-add and --cap-drop as
 * docker spells them), nobody gains privileges through exec
 * (PR_SET_NO_NEW_PRIVS), and once the machine is built a seccomp allowlist
 * (seccomp_policy.c, compiled to BPF at build time) admits only the host
 * system calls the hypercall handlers make. */
#include "sandbox.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall_names.h"

/* Capability names as capabilities(7) gives them, by number. */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};
#define NCAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

/* Docker's default set (moby's oci/caps/defaults.go). */
static const int docker_default[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
};

void hx_caps_default(struct hx_caps *c)
{
    c->keep = 0;
    for (size_t i = 0; i < sizeof(docker_default) / sizeof(docker_default[0]); i++)
        c->keep |= 1ull << docker_default[i];
}

int hx_caps_change(struct hx_caps *c, const char *name, int add)
{
    if (!strcasecmp(name, "ALL")) {
        c->keep = add ? (1ull << NCAPS) - 1 : 0;
        return 0;
    }
    if (!strncasecmp(name, "CAP_", 4))
        name += 4;
    for (int i = 0; i < NCAPS; i++)
        if (!strcasecmp(name, cap_names[i])) {
            if (add)
                c->keep |= 1ull << i;
            else
                c->keep &= ~(1ull << i);
            return 0;
        }
    return -1;
}

int hx_caps_apply(const struct hx_caps *c)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0) {
        fprintf(stderr, "hxrun: cannot read capabilities: %s\n", strerror(errno));
        return -1;
    }
    uint64_t permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
    uint64_t keep = permitted & c->keep;
    /* The bounding set first (that needs CAP_SETPCAP, which goes last):
     * nothing dropped can come back through a file capability. Without
     * CAP_SETPCAP (not root) there is nothing to drop it with, and
     * no_new_privs below keeps exec from raising anything. EINVAL: a
     * capability this kernel does not have. */
    for (int i = 0; i < NCAPS && (permitted & (1ull << CAP_SETPCAP)); i++)
        if (!(c->keep & (1ull << i)) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL) {
            fprintf(stderr, "hxrun: cannot drop capability %s: %s\n", cap_names[i],
                    strerror(errno));
            return -1;
        }
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (keep != permitted) {
        for (int w = 0; w < 2; w++) {
            d[w].effective = d[w].permitted = (uint32_t)(keep >> (32 * w));
            d[w].inheritable &= d[w].permitted;
        }
        if (syscall(SYS_capset, &h, d) < 0) {
            fprintf(stderr, "hxrun: cannot drop capabilities: %s\n", strerror(errno));
            return -1;
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        fprintf(stderr, "hxrun: cannot set no_new_privs: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- seccomp ---------------------------------------------------------- */

/* The allowlist of seccomp_policy.c, compiled at build time. */
extern const struct sock_filter hx_seccomp_blob[], hx_seccomp_blob_end[];

/* SECCOMP_RET_TRAP lands here: the monitor's own bug, or a compromised
 * monitor. One line naming the call, then the exit status of an hx
 * problem. Only async-signal-safe calls. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    char line[160];
    const struct hx_syscall_info *info = hx_syscall_info((uint64_t)si->si_syscall);
    const char *name = info ? info->name : NULL;
    int n = snprintf(line, sizeof(line),
                     "hxrun: the monitor made a system call outside its allowlist: %s (%d)\n",
                     name ? name : "?", si->si_syscall);
    if (n > 0 && write(2, line, (size_t)n) < 0)
        _exit(125);
    _exit(125);
}

int hx_seccomp_apply(void)
{
    struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    struct sock_fprog prog = {(unsigned short)(hx_seccomp_blob_end - hx_seccomp_blob),
                              (struct sock_filter *)hx_seccomp_blob};
    /* no_new_privs is set (hx_caps_apply): no privilege is needed. */
    if (sigaction(SIGSYS, &sa, NULL) < 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
        fprintf(stderr, "hxrun: cannot install the seccomp filter: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}
