/* Signal state: actions, the mask and the alternate stack are kept exactly;
 * delivery to handlers arrives with threads and timers (issue 4). Faults and
 * SIGPIPE with the default action end the program as on Linux. */
#include "syscalls.h"

#define NSIG 64
#define SIGKILL 9
#define SIGSTOP 19
#define SIG_DFL 0
#define SIG_IGN 1
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048

struct ksigaction {
    uint64_t handler, flags, restorer, mask;
};

static struct ksigaction actions[NSIG + 1];
static uint64_t blocked, pending;
static struct {
    uint64_t sp;
    int32_t flags;
    int32_t _pad;
    uint64_t size;
} altstack = {0, SS_DISABLE, 0, 0};

int signal_disposition(int sig)
{
    uint64_t h = actions[sig].handler;
    return h == SIG_DFL ? 0 : h == SIG_IGN ? 1 : 2;
}

void kill_self(int sig)
{
    hcall(HX_HC_FATAL, (uint64_t)sig, HX_FATAL_SIGNAL, 0, 0, 0,
          (boot->flags & HX_BOOT_STATS) ? (uint64_t)&kstats : 0);
    for (;;)
        ;
}

static uint64_t bit(int sig)
{
    return 1ull << (sig - 1);
}

/* Linux's default action for signals whose default is to do nothing. */
static int default_ignored(int sig)
{
    return sig == 17 /* SIGCHLD */ || sig == 18 /* SIGCONT */ || sig == 23 /* SIGURG */ ||
           sig == 28 /* SIGWINCH */;
}

/* Delivers an unblocked signal to the process. Handlers run only once
 * signal frames exist (issue 4); until then that is refused loudly. */
static long deliver(int sig)
{
    switch (signal_disposition(sig)) {
    case 1:
        return 0;
    case 2:
        kwarn("signal %d has a handler, and running handlers is not supported yet", sig);
        return -ENOSYS;
    }
    if (default_ignored(sig))
        return 0;
    if (sig == SIGSTOP || sig == 20 || sig == 21 || sig == 22) {
        kwarn("stopping on signal %d is not supported; ignored", sig);
        return 0;
    }
    kill_self(sig);
}

static long raise_signal(int sig)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    if (sig == 0)
        return 0;
    if (blocked & bit(sig)) {
        pending |= bit(sig);
        return 0;
    }
    return deliver(sig);
}

/* After the mask changed: deliver what is pending and no longer blocked. */
static void deliver_unblocked(void)
{
    for (int sig = 1; sig <= NSIG; sig++)
        if ((pending & bit(sig)) && !(blocked & bit(sig))) {
            pending &= ~bit(sig);
            deliver(sig);
        }
}

/* The only process is this one: pid 0 and -1 (group, everyone we may
 * signal) reach it too. */
SYSCALL(kill)
{
    int pid = (int)a0;
    /* kill(-1) reaches every process but the caller: here, none. */
    if (pid != boot->pid && pid != 0 && pid != -boot->pid)
        return -ESRCH;
    return raise_signal((int)a1);
}

SYSCALL(tkill)
{
    if ((int)a0 != boot->pid)
        return (int)a0 <= 0 ? -EINVAL : -ESRCH;
    return raise_signal((int)a1);
}

SYSCALL(tgkill)
{
    if ((int)a0 <= 0 || (int)a1 <= 0)
        return -EINVAL;
    if ((int)a0 != boot->pid || (int)a1 != boot->pid)
        return -ESRCH;
    return raise_signal((int)a2);
}

SYSCALL(rt_sigpending)
{
    if (a1 > 8)
        return -EINVAL;
    if (!user_ok((void *)a0, a1, 1))
        return -EFAULT;
    memcpy((void *)a0, &pending, a1);
    return 0;
}

SYSCALL(rt_sigaction)
{
    int sig = (int)a0;
    if (a3 != 8 || sig < 1 || sig > NSIG)
        return -EINVAL;
    if (a1 && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    struct ksigaction nw;
    if (a1) {
        if (!user_ok((void *)a1, sizeof(nw), 0))
            return -EFAULT;
        memcpy(&nw, (void *)a1, sizeof(nw));
    }
    if (a2) {
        if (!user_ok((void *)a2, sizeof(nw), 1))
            return -EFAULT;
        memcpy((void *)a2, &actions[sig], sizeof(nw));
    }
    if (a1) {
        nw.mask &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
        actions[sig] = nw;
    }
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
        *(uint64_t *)a2 = blocked;
    }
    if (a1) {
        if (a0 == SIG_BLOCK)
            blocked |= set;
        else if (a0 == SIG_UNBLOCK)
            blocked &= ~set;
        else
            blocked = set;
        blocked &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
        deliver_unblocked();
    }
    return 0;
}

SYSCALL(sigaltstack)
{
    __typeof__(altstack) nw;
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
    if (a1) {
        if (!user_ok((void *)a1, sizeof(altstack), 1))
            return -EFAULT;
        memcpy((void *)a1, &altstack, sizeof(altstack));
    }
    if (a0) {
        if (((uint32_t)nw.flags & ~SS_AUTODISARM) == SS_DISABLE) {
            altstack.sp = 0;
            altstack.size = 0;
            altstack.flags = SS_DISABLE;
        } else {
            altstack.sp = nw.sp;
            altstack.size = nw.size;
            altstack.flags = nw.flags & (int32_t)SS_AUTODISARM;
        }
    }
    return 0;
}
