/* Processes: fork, vfork and clone without CLONE_VM, wait4 and waitid,
 * process groups and sessions (DESIGN.md section 10). Every process is a
 * VM of its own: fork is the monitor forking itself, whose child builds a
 * new VM over a copy-on-write copy of this one's memory and returns here
 * with 0. So pids are host pids, and waiting, groups, sessions and SIGCHLD
 * are the host's; this file drops, in the child, what a child does not
 * inherit, and makes a thread that must wait for a child wait in the
 * scheduler (other threads run) until the host's SIGCHLD. */
#include "syscalls.h"
#include "uapi/sched.h"
#include "uapi/wait.h"

/* ---- fork ---------------------------------------------------------------- */

#define PROCESS_FLAGS                                                                              \
    (CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |            \
     CLONE_CHILD_CLEARTID | 0xff /* exit signal */)

/* In the new process: only the calling thread goes on, and nothing
 * pending or armed is inherited (POSIX, fork(2)). */
static void fork_child(void)
{
    sched_fork_child();
    signal_fork_child();
    futex_fork_child();
    time_fork_child();
    boot->live.pdeathsig = 0;
    memset(&kstats, 0, sizeof(kstats));
}

long process_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                   uint64_t tls)
{
    if (flags & ~(uint64_t)PROCESS_FLAGS) {
        kwarn("clone flags 0x%lx are not supported for a new process",
              flags & ~(uint64_t)PROCESS_FLAGS);
        return -EINVAL;
    }
    /* The child shares the parent's memory until it execs or ends only
     * with CLONE_VFORK, when the parent waits meanwhile: a copy then does
     * as well, but for what the child writes into the parent's memory. */
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
        kwarn("clone with CLONE_VM but neither CLONE_THREAD nor CLONE_VFORK is not supported");
        return -EINVAL;
    }
    if ((flags & CLONE_PARENT_SETTID) && !user_ok((void *)parent_tid, 4, 1))
        return -EFAULT;
    if ((flags & CLONE_CHILD_SETTID) && !user_ok((void *)child_tid, 4, 1))
        return -EFAULT;
    if ((flags & CLONE_SETTLS) && tls >= HX_USER_TOP)
        return -EPERM;
    /* Guest pipes become host pipes, which both processes reach. */
    long r = pipe_share_all();
    if (r < 0)
        return r;
    long pid = HC(fork, .vfork = (flags & CLONE_VFORK) != 0);
    if (pid < 0)
        return pid;
    if (pid > 0) {
        if (flags & CLONE_PARENT_SETTID)
            *(uint32_t *)parent_tid = (uint32_t)pid;
        return pid;
    }
    fork_child();
    if (flags & CLONE_CHILD_SETTID)
        *(uint32_t *)child_tid = (uint32_t)boot->pid;
    current->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? child_tid : 0;
    if (flags & CLONE_SETTLS)
        __asm__ volatile("wrfsbase %0" ::"r"(tls));
    /* A new stack (posix_spawn's clone): the child returns onto it. A
     * fastcall's trampoline adds HX_FASTCALL_RSP_STEP to rsp after the
     * call, so its child starts that much lower. */
    if (stack)
        current->frame->rsp = stack - (current->frame->fast ? HX_FASTCALL_RSP_STEP : 0);
    return 0;
}

SYSCALL(fork)
{
    return process_clone(SIGCHLD, 0, 0, 0, 0);
}

SYSCALL(vfork)
{
    return process_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

/* ---- wait ---------------------------------------------------------------- */

/* Threads waiting for a child to change state, woken by each SIGCHLD the
 * host sends (process_child_event); each then asks the host again. */
struct child_waiter {
    struct thread *t;
    struct child_waiter *next;
};
static struct child_waiter *child_waiters;
static uint32_t child_events;

void process_child_event(void)
{
    child_events++;
    for (struct child_waiter *w = child_waiters; w; w = w->next)
        sched_wake(w->t, WAKE_EVENT);
}

/* The host's answer (> 0: a child, 0: none yet but some may come), or
 * with a blocking wait, the first answer that is not 0. */
static long wait_child(uint64_t kind, int64_t id, uint64_t idtype, uint64_t options, uint64_t out,
                       uint64_t rusage)
{
    for (;;) {
        uint32_t seen = child_events;
        long r = HC(wait_child, .kind = kind, .id = id, .idtype = idtype,
                    .options = options & ~(uint64_t)WNOHANG, .out = out, .rusage = rusage);
        if (r != 0 || (options & WNOHANG))
            return r;
        if (seen != child_events)
            continue; /* a SIGCHLD came meanwhile */
        struct child_waiter w = {current, child_waiters};
        child_waiters = &w;
        enum wake_reason why = sched_block(0, 1);
        for (struct child_waiter **p = &child_waiters; *p; p = &(*p)->next)
            if (*p == &w) {
                *p = w.next;
                break;
            }
        if (why == WAKE_SIGNAL)
            return -ERESTARTSYS;
    }
}

SYSCALL(wait4)
{
    uint64_t known = WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE;
    if (a2 & ~known)
        return -EINVAL;
    if ((int)a0 == -0x7fffffff - 1) /* -INT_MIN names no group */
        return -ESRCH;
    return wait_child(HX_WAIT4, (int)a0, 0, a2, a1, a3);
}

SYSCALL(waitid)
{
    uint64_t known =
        WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE;
    if ((a3 & ~known) || !(a3 & (WEXITED | WSTOPPED | WCONTINUED)))
        return -EINVAL;
    if (a0 == P_PIDFD)
        return -EBADF; /* the guest has no pidfds */
    if (a0 > P_PIDFD)
        return -EINVAL;
    long r = wait_child(HX_WAITID, (int)a1, a0, a3, a2, a4);
    return r < 0 ? r : 0;
}

/* ---- process groups and sessions -------------------------------------------- */

SYSCALL(setpgid)
{
    if ((int)a0 < 0 || (int)a1 < 0)
        return -EINVAL;
    return HC(pgrp, .op = HX_SETPGID, .pid = (int)a0, .pgid = (int)a1);
}

SYSCALL(getpgid)
{
    if ((int)a0 < 0)
        return -ESRCH;
    return HC(pgrp, .op = HX_GETPGID, .pid = (int)a0);
}

SYSCALL(getpgrp)
{
    return HC(pgrp, .op = HX_GETPGID, .pid = 0);
}

SYSCALL(setsid)
{
    return HC(pgrp, .op = HX_SETSID);
}

SYSCALL(getsid)
{
    if ((int)a0 < 0)
        return -ESRCH;
    return HC(pgrp, .op = HX_GETSID, .pid = (int)a0);
}

/* ---- SIGCHLD's disposition ----------------------------------------------------- */

static int noreap_told;

/* A SIGCHLD ignored, or handled with SA_NOCLDWAIT, means children leave no
 * zombie: the host's monitor must reap them likewise. */
void process_child_action(void)
{
    struct ksigaction a;
    signal_action(SIGCHLD, NULL, &a);
    int noreap = a.handler == SIG_IGN || (a.flags & SA_NOCLDWAIT);
    if (noreap != noreap_told) {
        HC(child_signal, .noreap = (uint64_t)noreap);
        noreap_told = noreap;
    }
}
