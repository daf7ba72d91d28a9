/* The monitor's seccomp allowlist (DESIGN.md section 12), the one list of
 * host system calls it may make once the machine is built. hx_seccomp_gen
 * compiles it to BPF at build time (libseccomp); hxrun loads that program
 * (sandbox.c), which costs microseconds where building it at every start
 * cost 0.6 ms. A call the monitor needs later (the processes issue: fork,
 * exec of hxrun itself) is one more line here. */
#include "seccomp_policy.h"

#include <linux/kvm.h>
#include <stddef.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

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
    SCMP_SYS(restart_syscall), /* a sleep or poll the kernel resumes after SIGSTOP/SIGCONT */
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
    /* processes (hc_proc.c, vm_fork.c): fork is clone, above; a child
     * makes its own VM (the KVM ioctls below) */
    SCMP_SYS(wait4),
    SCMP_SYS(waitid),
    SCMP_SYS(rt_sigqueueinfo),
    SCMP_SYS(setpgid),
    SCMP_SYS(getpgid),
    SCMP_SYS(getpgrp),
    SCMP_SYS(setsid),
    SCMP_SYS(getsid),
    /* the program's credentials (hx_hc_cred) */
    SCMP_SYS(setuid),
    SCMP_SYS(setgid),
    SCMP_SYS(setreuid),
    SCMP_SYS(setregid),
    SCMP_SYS(setresuid),
    SCMP_SYS(setresgid),
    SCMP_SYS(getresuid),
    SCMP_SYS(getresgid),
    SCMP_SYS(setfsuid),
    SCMP_SYS(setfsgid),
    SCMP_SYS(setgroups),
    SCMP_SYS(getgroups),
    /* execve: building the new machine (glibc's qsort asks sysinfo for
     * the memory size) and the new program's fastcall copies
     * (fastcall_cache.c) */
    SCMP_SYS(sysinfo),
    SCMP_SYS(memfd_create),
    SCMP_SYS(fgetxattr),
    SCMP_SYS(fsetxattr),
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
    KVM_RUN,
    KVM_SET_USER_MEMORY_REGION,
    KVM_GET_REGS,
    KVM_GET_SREGS,
    KVM_INTERRUPT,
    /* a fork's child builds its VM from the parent vCPU's state */
    KVM_CREATE_VM,
    KVM_CREATE_VCPU,
    KVM_GET_VCPU_MMAP_SIZE,
    KVM_GET_SUPPORTED_CPUID,
    KVM_SET_CPUID2,
    KVM_GET_XCRS,
    KVM_SET_XCRS,
    KVM_GET_XSAVE,
    KVM_SET_XSAVE,
    KVM_GET_MSRS,
    KVM_SET_MSRS,
    KVM_SET_REGS,
    KVM_SET_SREGS,
    KVM_GET_VCPU_EVENTS,
    KVM_SET_VCPU_EVENTS,
    KVM_GET_TSC_KHZ,
    KVM_GET_DIRTY_LOG,
    /* the console and sockets */
    TCGETS,
    TIOCGWINSZ,
    FIONREAD,
    SIOCOUTQ,
    SIOCOUTQNSD,
    SIOCATMARK,
};

scmp_filter_ctx hx_seccomp_policy(void)
{
    /* Anything else: SIGSYS, which sandbox.c turns into one line. */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx)
        return NULL;
    /* A binary tree of syscall numbers: fewer checks per call. */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !rc; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    for (size_t i = 0; i < sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]) && !rc; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i]));
    /* A child monitor asks to hear of its parent's end (hc_proc.c). */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG));
    /* And PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER for the program. */
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, PR_SET_CHILD_SUBREAPER));
    if (!rc)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, PR_GET_CHILD_SUBREAPER));
    if (rc) {
        seccomp_release(ctx);
        return NULL;
    }
    return ctx;
}
