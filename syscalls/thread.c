/* Threads: clone and clone3 for the flag sets pthread_create uses, thread
 * exit with the CLONE_CHILD_CLEARTID wake pthread_join waits for, and the
 * per-thread bookkeeping calls. A clone without CLONE_THREAD makes a
 * process (process.c). */
#include "syscalls.h"
#include "uapi/resource.h"
#include "uapi/sched.h"

#define THREAD_FLAGS (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)
/* Flags a thread may carry that change nothing here: the shared tables
 * are the only tables. */
#define SHARED_FLAGS (CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_DETACHED)

static long do_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                     uint64_t tls)
{
    if (!(flags & CLONE_THREAD))
        return process_clone(flags, stack, parent_tid, child_tid, tls);
    if ((flags & THREAD_FLAGS) != THREAD_FLAGS)
        return -EINVAL; /* a thread shares the memory and the signal actions */
    uint64_t known = THREAD_FLAGS | SHARED_FLAGS | CLONE_SETTLS | CLONE_PARENT_SETTID |
                     CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | 0xff /* exit signal */;
    if (flags & ~known) {
        kwarn("clone flags 0x%lx are not supported", flags & ~known);
        return -EINVAL;
    }
    if ((flags & CLONE_PARENT_SETTID) && !user_ok((void *)parent_tid, 4, 1))
        return -EFAULT;
    if ((flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) && !user_ok((void *)child_tid, 4, 1))
        return -EFAULT;
    if ((flags & CLONE_SETTLS) && tls >= HX_USER_TOP)
        return -EPERM;
    struct thread *t = thread_new();
    if (!t)
        return -EAGAIN;
    struct hx_regs *r = current->frame;
    /* The child returns from the same call with 0, on its own stack. A
     * fastcall's trampoline adds HX_FASTCALL_RSP_STEP to rsp after the
     * call, so its child starts that much lower. */
    t->start = syscall_return_state(r, 0);
    if (stack)
        t->start.rsp = stack - (r->fast ? HX_FASTCALL_RSP_STEP : 0);
    /* The FPU state is the parent's, as Linux copies it. */
    uint32_t lo = (uint32_t)boot->xcr0, hi = (uint32_t)(boot->xcr0 >> 32);
    __asm__ volatile("xsave64 (%0)" ::"r"(t->xsave), "a"(lo), "d"(hi) : "memory");
    if (flags & CLONE_SETTLS)
        t->fsbase = tls;
    else
        __asm__ volatile("rdfsbase %0" : "=r"(t->fsbase));
    __asm__ volatile("rdgsbase %0" : "=r"(t->gsbase));
    t->sigmask = current->sigmask;
    t->altstack.flags = 2; /* SS_DISABLE: a new thread has none */
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = child_tid;
    if (flags & CLONE_CHILD_SETTID)
        *(uint32_t *)child_tid = (uint32_t)t->tid;
    if (flags & CLONE_PARENT_SETTID)
        *(uint32_t *)parent_tid = (uint32_t)t->tid;
    sched_enqueue(t);
    return t->tid;
}

SYSCALL(clone)
{
    /* x86-64 order: flags, stack, parent_tid, child_tid, tls. */
    return do_clone(a0, a1, a2, a3, a4);
}

struct clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

SYSCALL(clone3)
{
    struct clone_args ca = {0};
    if (a1 < 64 || a1 > 4096)
        return -EINVAL;
    if (!user_ok((void *)a0, a1, 0))
        return -EFAULT;
    memcpy(&ca, (void *)a0, MIN(a1, sizeof(ca)));
    /* Fields past what we know must be zero, as Linux checks. */
    for (uint64_t i = sizeof(ca); i < a1; i++)
        if (((uint8_t *)a0)[i])
            return -E2BIG;
    if (ca.exit_signal > 64 || ca.set_tid || ca.set_tid_size || (ca.flags & CLONE_PIDFD))
        return -EINVAL;
    if ((ca.stack == 0) != (ca.stack_size == 0))
        return -EINVAL;
    return do_clone(ca.flags | ca.exit_signal, ca.stack ? ca.stack + ca.stack_size : 0,
                    ca.parent_tid, ca.child_tid, ca.tls);
}

SYSCALL(exit)
{
    struct thread *t = current;
    if (nthreads == 1)
        kexit((int)a0); /* the last thread: the process ends with its status */
    if (t->clear_child_tid && user_ok((void *)t->clear_child_tid, 4, 1)) {
        *(uint32_t *)t->clear_child_tid = 0;
        futex_wake((uint32_t *)t->clear_child_tid, 1, ~0u);
    }
    /* Signals sent to this thread alone die with it; the process's stay. */
    sched_exit_thread();
}

LEAF_SYSCALL(gettid)
{
    return current->tid;
}

SYSCALL(set_tid_address)
{
    current->clear_child_tid = a0;
    return current->tid;
}

SYSCALL(set_robust_list)
{
    if (a1 != 24) /* sizeof(struct robust_list_head) */
        return -EINVAL;
    current->robust_list = a0;
    return 0;
}

SYSCALL(get_robust_list)
{
    struct thread *t = a0 ? thread_by_tid((int)a0) : current;
    if (!t)
        return -ESRCH;
    if (!user_ok((void *)a1, 8, 1) || !user_ok((void *)a2, 8, 1))
        return -EFAULT;
    *(uint64_t *)a1 = t->robust_list;
    *(uint64_t *)a2 = 24;
    return 0;
}

SYSCALL(sched_yield)
{
    sched_yield();
    return 0;
}

/* ---- Scheduling parameters --------------------------------------------- */
/* One vCPU and round robin among equals: every thread runs SCHED_OTHER.
 * Nice values are kept and reported (they change nothing here, which a
 * program cannot tell apart from a machine with nothing else to run). */

/* The nice value lives in the boot information, which exec passes on. */
#define nice_value (boot->nice)

/* The thread a pid argument names: 0 is the caller. */
static struct thread *sched_target(uint64_t pid)
{
    if ((int)pid < 0)
        return NULL;
    return pid ? thread_by_tid((int)pid) : current;
}

SYSCALL(sched_setaffinity)
{
    if ((int)a0 < 0 || (a0 && !thread_by_tid((int)a0)))
        return -ESRCH;
    if (!a1)
        return -EINVAL;
    if (!user_ok((void *)a2, MIN(a1, 8), 0))
        return -EFAULT;
    /* A mask without CPU 0 names no CPU this machine has. */
    if (!(*(uint8_t *)a2 & 1))
        return -EINVAL;
    return 0;
}

SYSCALL(sched_get_priority_max)
{
    switch (a0) {
    case SCHED_FIFO:
    case SCHED_RR:
        return 99;
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
        return 0;
    }
    return -EINVAL;
}

SYSCALL(sched_get_priority_min)
{
    switch (a0) {
    case SCHED_FIFO:
    case SCHED_RR:
        return 1;
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
        return 0;
    }
    return -EINVAL;
}

SYSCALL(sched_getscheduler)
{
    return sched_target(a0) ? SCHED_OTHER : ((int)a0 < 0 ? -EINVAL : -ESRCH);
}

SYSCALL(sched_getparam)
{
    if ((int)a0 < 0 || !a1)
        return -EINVAL;
    if (!sched_target(a0))
        return -ESRCH;
    if (!user_ok((void *)a1, 4, 1))
        return -EFAULT;
    *(int32_t *)a1 = 0;
    return 0;
}

/* Real-time policies would need priorities this scheduler does not have:
 * refused as Linux refuses them to a process without CAP_SYS_NICE. */
static long set_policy(uint64_t pid, uint64_t policy, uint64_t uparam)
{
    if ((int)pid < 0 || !uparam)
        return -EINVAL;
    if (!sched_target(pid))
        return -ESRCH;
    if (!user_ok((void *)uparam, 4, 0))
        return -EFAULT;
    int prio = *(int32_t *)uparam;
    policy &= ~(uint64_t)SCHED_RESET_ON_FORK;
    if (policy == SCHED_FIFO || policy == SCHED_RR) {
        if (prio < 1 || prio > 99)
            return -EINVAL;
        static int warned;
        if (!warned++)
            kwarn("real-time scheduling policies are not supported");
        return -EPERM;
    }
    if (policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE)
        return -EINVAL;
    return prio ? -EINVAL : 0;
}

SYSCALL(sched_setscheduler)
{
    return set_policy(a0, a1, a2);
}

SYSCALL(sched_setparam)
{
    return set_policy(a0, SCHED_OTHER, a1);
}

SYSCALL(sched_rr_get_interval)
{
    if ((int)a0 < 0)
        return -EINVAL;
    if (!sched_target(a0))
        return -ESRCH;
    if (!user_ok((void *)a1, 16, 1))
        return -EFAULT;
    /* SCHED_OTHER threads get a zero interval, as Linux reports. */
    ((int64_t *)a1)[0] = ((int64_t *)a1)[1] = 0;
    return 0;
}

/* The only process, user and group are this one. */
static long prio_check(uint64_t which, uint64_t who)
{
    if (which > PRIO_USER)
        return -EINVAL;
    if (which == PRIO_PROCESS && who && !thread_by_tid((int)who))
        return -ESRCH;
    if (which == PRIO_PGRP && who && (int)who != boot->pid)
        return -ESRCH;
    if (which == PRIO_USER && who && (uint32_t)who != boot->uid)
        return -ESRCH;
    return 0;
}

SYSCALL(getpriority)
{
    long r = prio_check(a0, a1);
    return r ? r : 20 - nice_value; /* the kernel's form: 40..1 for nice -20..19 */
}

SYSCALL(setpriority)
{
    long r = prio_check(a0, a1);
    if (r)
        return r;
    int n = (int)a2;
    n = n < -20 ? -20 : n > 19 ? 19 : n;
    /* Lowering nice needs CAP_SYS_NICE, as on Linux (hxrun's uid decides). */
    if (n < nice_value && boot->euid != 0)
        return -EACCES;
    nice_value = n;
    return 0;
}
