/* The monitor's own confinement (DESIGN.md section 12): hxrun run as root
 * keeps only docker's default capabilities (--cap-add and --cap-drop as
 * docker spells them), nobody gains privileges through exec
 * (PR_SET_NO_NEW_PRIVS), and once the machine is built a seccomp allowlist
 * admits only the host system calls the hypercall handlers make. The list
 * is one table here: a call the monitor needs later (the processes issue:
 * fork, exec of hxrun itself) is one more line. */
#include "sandbox.h"

#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/sockios.h>

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
     * nothing dropped can come back through a file capability. */
    for (int i = 0; i < NCAPS; i++)
        if (!(c->keep & (1ull << i)) && prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1 &&
            prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EPERM) {
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

/* Every host system call the monitor makes once the guest runs: the
 * hypercall handlers (files, sockets, polling, time, memory of shared
 * mappings), the vCPU loop, the timer thread and its start, and exit. */
static const int allowed[] = {
    /* files */
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(preadv),
    SCMP_SYS(pwritev),
    SCMP_SYS(preadv2),
    SCMP_SYS(pwritev2),
    SCMP_SYS(open),
    SCMP_SYS(openat),
    SCMP_SYS(close),
    SCMP_SYS(lseek),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(statx),
    SCMP_SYS(fstatfs),
    SCMP_SYS(statfs),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fallocate),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(getdents64),
    SCMP_SYS(readlink),
    SCMP_SYS(readlinkat),
    SCMP_SYS(unlinkat),
    SCMP_SYS(mkdirat),
    SCMP_SYS(symlinkat),
    SCMP_SYS(linkat),
    SCMP_SYS(renameat2),
    SCMP_SYS(renameat),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(fchmod),
    SCMP_SYS(fchmodat),
    SCMP_SYS(chmod),
    SCMP_SYS(fchown),
    SCMP_SYS(fchownat),
    SCMP_SYS(utimensat),
    SCMP_SYS(flock),
    SCMP_SYS(fcntl),
    SCMP_SYS(dup),
    SCMP_SYS(dup3),
    SCMP_SYS(copy_file_range),
    SCMP_SYS(sendfile),
    SCMP_SYS(splice),
    SCMP_SYS(pipe2),
    SCMP_SYS(rmdir),
    SCMP_SYS(unlink),
    SCMP_SYS(mkdir),
    SCMP_SYS(symlink),
    SCMP_SYS(access),
    SCMP_SYS(getcwd),
    SCMP_SYS(umask),
    /* sockets */
    SCMP_SYS(socket),
    SCMP_SYS(socketpair),
    SCMP_SYS(bind),
    SCMP_SYS(connect),
    SCMP_SYS(listen),
    SCMP_SYS(accept4),
    SCMP_SYS(accept),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(getsockopt),
    SCMP_SYS(setsockopt),
    SCMP_SYS(shutdown),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendmmsg),
    SCMP_SYS(recvmmsg),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    /* waiting, time, randomness */
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(getrandom),
    SCMP_SYS(clock_getres),
    SCMP_SYS(eventfd2),
    SCMP_SYS(timer_create),
    SCMP_SYS(timer_settime),
    SCMP_SYS(timer_delete),
    SCMP_SYS(futex),
    /* memory: guest RAM is built before; shared file mappings, malloc */
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(msync),
    SCMP_SYS(brk),
    SCMP_SYS(mremap),
    /* signals and the timer thread */
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(tgkill),
    SCMP_SYS(kill),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(getuid),
    SCMP_SYS(getgid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getegid),
    SCMP_SYS(getppid),
    /* identity answers for the guest, resource limits */
    SCMP_SYS(uname),
    SCMP_SYS(prlimit64),
    SCMP_SYS(getrusage),
    SCMP_SYS(sched_getaffinity),
    /* the end */
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

/* ioctl: KVM's on its own fds, and the terminal's and sockets' queries
 * the guest may make (hc_io.c, hc_net.c); never another (TIOCSTI, say). */
static const unsigned long allowed_ioctls[] = {
    KVM_RUN,       KVM_SET_USER_MEMORY_REGION,
    KVM_GET_REGS,  KVM_GET_SREGS,
    KVM_INTERRUPT, TCGETS,
    TIOCGWINSZ,    FIONREAD,
    SIOCOUTQ,      SIOCOUTQNSD,
    SIOCATMARK,
};

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
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return -1;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !rc; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    for (size_t i = 0; i < sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]) && !rc; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i]));
    if (!rc)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc)
        fprintf(stderr, "hxrun: cannot install the seccomp filter: %s\n", strerror(-rc));
    return rc ? -1 : 0;
}
