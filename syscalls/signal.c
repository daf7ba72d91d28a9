/* Signals, the system calls: actions, masks, the alternate stack,
 * sending, waiting. The pending sets and delivery are the kernel's
 * (kernel/signal.c, sigframe.c). */
#include "syscalls.h"

static int check_sig(uint64_t a)
{
    return (int64_t)a >= 0 && a <= NSIG;
}

SYSCALL(kill)
{
    int pid = (int)a0;
    if (pid == boot->pid)
        return !check_sig(a1) ? -EINVAL : a1 ? signal_send(NULL, (int)a1, SI_USER) : 0;
    /* Other processes are the monitor's to reach (it checks the signal
     * number once it found them: ESRCH comes first, as on Linux); for a
     * group (or every process) it says whether the caller is in it, which
     * then takes the signal before kill returns, as on Linux. */
    long r = HC(kill, .pid = pid, .sig = a1 > NSIG ? 65 : a1, .kind = HX_KILL);
    if (r < 0 || pid > 0)
        return r;
    if ((r & HX_KILL_SELF) && a1) {
        long s = signal_send(NULL, (int)a1, SI_USER);
        if (s < 0)
            return s;
    }
    return 0;
}

static long thread_kill(int tgid, int tid, uint64_t sig)
{
    if (tid <= 0 || !check_sig(sig))
        return -EINVAL;
    if (tgid != -1 && tgid != boot->pid)
        return HC(kill, .pid = tgid, .tid = tid, .sig = sig, .kind = HX_TGKILL);
    struct thread *t = thread_by_tid(tid);
    if (!t && tgid == -1 && tid != boot->pid) /* tkill of another process's thread */
        return HC(kill, .pid = tid, .tid = tid, .sig = sig, .kind = HX_TGKILL);
    if (!t)
        return -ESRCH;
    return sig ? signal_send(t, (int)sig, SI_TKILL) : 0;
}

SYSCALL(tkill)
{
    return thread_kill(-1, (int)a0, a1);
}

SYSCALL(tgkill)
{
    if ((int)a0 <= 0)
        return -EINVAL;
    return thread_kill((int)a0, (int)a1, a2);
}

/* rt_sigqueueinfo and rt_tgsigqueueinfo: the sender chooses the info
 * (Linux lets a process pretend to be the kernel only towards itself, and
 * itself is the only process here). */
static long queue_info(struct thread *t, uint64_t sig, uint64_t uinfo)
{
    if (!check_sig(sig))
        return -EINVAL;
    if (!user_ok((void *)uinfo, sizeof(struct ksiginfo), 0))
        return -EFAULT;
    struct ksiginfo info;
    memcpy(&info, (void *)uinfo, sizeof(info));
    info.signo = (int32_t)sig;
    return sig ? signal_send_info(t, &info) : 0;
}

SYSCALL(rt_sigqueueinfo)
{
    if ((int)a0 == boot->pid)
        return queue_info(NULL, a1, a2);
    if (!check_sig(a1))
        return -EINVAL;
    if (!user_ok((void *)a2, sizeof(struct ksiginfo), 0))
        return -EFAULT;
    const struct ksiginfo *info = (const struct ksiginfo *)a2;
    /* Towards another process only a code below 0 other than SI_TKILL:
     * the kernel's and kill's own codes cannot be forged (Linux's rule). */
    if (info->code >= 0 || info->code == SI_TKILL)
        return -EPERM;
    return HC(kill, .pid = (int)a0, .sig = a1, .kind = HX_SIGQUEUE, .value = info->u.kill.value);
}

SYSCALL(rt_tgsigqueueinfo)
{
    if ((int)a0 != boot->pid)
        return -ESRCH;
    struct thread *t = thread_by_tid((int)a1);
    if (!t)
        return -ESRCH;
    return queue_info(t, a2, a3);
}

SYSCALL(rt_sigpending)
{
    if (a1 > 8)
        return -EINVAL;
    if (!user_ok((void *)a0, a1, 1))
        return -EFAULT;
    uint64_t set = signal_pending_set() & current->sigmask;
    memcpy((void *)a0, &set, a1);
    return 0;
}

SYSCALL(rt_sigaction)
{
    int sig = (int)a0;
    if (a3 != 8 || sig < 1 || sig > NSIG)
        return -EINVAL;
    if (a1 && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    struct ksigaction nw, old;
    if (a1) {
        if (!user_ok((void *)a1, sizeof(nw), 0))
            return -EFAULT;
        memcpy(&nw, (void *)a1, sizeof(nw));
    }
    if (a2 && !user_ok((void *)a2, sizeof(old), 1))
        return -EFAULT;
    signal_action(sig, a1 ? &nw : NULL, &old);
    if (a2)
        memcpy((void *)a2, &old, sizeof(old));
    if (a1 && sig == SIGCHLD)
        process_child_action();
    return 0;
}

SYSCALL(rt_sigprocmask)
{
    if (a3 != 8)
        return -EINVAL;
    uint64_t set = 0;
    if (a1) {
        if (!user_ok((void *)a1, 8, 0))
            return -EFAULT;
        set = *(uint64_t *)a1;
        if (a0 > SIG_SETMASK)
            return -EINVAL;
    }
    if (a2) {
        if (!user_ok((void *)a2, 8, 1))
            return -EFAULT;
        *(uint64_t *)a2 = current->sigmask;
    }
    if (a1) {
        uint64_t m = current->sigmask;
        if (a0 == SIG_BLOCK)
            m |= set;
        else if (a0 == SIG_UNBLOCK)
            m &= ~set;
        else
            m = set;
        signal_set_mask(m);
    }
    return 0;
}

SYSCALL(rt_sigsuspend)
{
    if (a1 != 8)
        return -EINVAL;
    if (!user_ok((void *)a0, 8, 0))
        return -EFAULT;
    signal_set_temp_mask(*(uint64_t *)a0);
    while (!signal_deliverable())
        sched_block(0, 1);
    return -ERESTARTNOHAND;
}

SYSCALL(rt_sigtimedwait)
{
    if (a3 != 8)
        return -EINVAL;
    if (!user_ok((void *)a0, 8, 0) || (a1 && !user_ok((void *)a1, sizeof(struct ksiginfo), 1)))
        return -EFAULT;
    uint64_t set = *(uint64_t *)a0 & ~UNBLOCKABLE;
    int64_t deadline = 0;
    if (a2) {
        int64_t ns;
        long r = user_timespec_ns(a2, &ns);
        if (r)
            return r;
        deadline = clock_monotonic_ns() + ns;
    }
    for (;;) {
        struct ksiginfo info;
        int sig = signal_dequeue(set, &info);
        if (sig) {
            if (a1)
                memcpy((void *)a1, &info, sizeof(info));
            return sig;
        }
        if (a2 && deadline <= clock_monotonic_ns())
            return -EAGAIN;
        current->sigwait = set;
        enum wake_reason r = sched_block(a2 ? deadline : 0, 1);
        current->sigwait = 0;
        if (r == WAKE_SIGNAL && !(signal_pending_set() & set))
            return -EINTR; /* another signal, for a handler */
    }
}

SYSCALL(sigaltstack)
{
    struct kaltstack nw, *as = &current->altstack;
    if (a0) {
        if (!user_ok((void *)a0, sizeof(nw), 0))
            return -EFAULT;
        memcpy(&nw, (void *)a0, sizeof(nw));
        uint32_t mode = (uint32_t)nw.flags & ~SS_AUTODISARM;
        if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
            return -EINVAL;
        if (mode != SS_DISABLE && nw.size < MINSIGSTKSZ)
            return -ENOMEM;
    }
    uint64_t rsp = current->frame->rsp;
    int on = !(as->flags & SS_DISABLE) && rsp > as->sp && rsp - as->sp <= as->size;
    if (a1) {
        if (!user_ok((void *)a1, sizeof(*as), 1))
            return -EFAULT;
        memcpy((void *)a1, as, sizeof(*as));
        if (on)
            ((struct kaltstack *)a1)->flags |= SS_ONSTACK;
    }
    if (a0 && on)
        return -EPERM; /* Linux: not while running on it */
    if (a0) {
        if (((uint32_t)nw.flags & ~SS_AUTODISARM) == SS_DISABLE) {
            as->sp = 0;
            as->size = 0;
            as->flags = SS_DISABLE;
        } else {
            as->sp = nw.sp;
            as->size = nw.size;
            as->flags = nw.flags & (int32_t)SS_AUTODISARM;
        }
    }
    return 0;
}

/* The handler returned through its restorer (kernel/sigframe.c reads its
 * frame). */
SYSCALL(rt_sigreturn)
{
    signal_return(current->frame);
}
