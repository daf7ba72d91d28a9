/* Signals: actions, the mask, the alternate stack, and delivery. A signal
 * with a handler is delivered when the program next returns from a system
 * call (a signal it sent itself) or at once (a fault), through Linux's exact
 * rt_sigframe, so that rt_sigreturn and programs that read or change the
 * saved context work. Default actions end the program as on Linux. */
#include "heap.h"
#include "syscalls.h"
#include "vfs.h"

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
#define SI_USER 0
#define SI_TKILL (-6)
#define UNBLOCKABLE ((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)))

/* Process-wide: the actions, and signals sent to the process that no
 * thread has taken yet. Each thread has its own mask, pending set and
 * alternate stack (struct thread). */
static struct ksigaction actions[NSIG + 1];
static uint64_t proc_pending;
static struct ksiginfo proc_info[NSIG + 1];

/* Real-time signals (32 and up) queue every instance with its info;
 * standard ones keep one. Queued instances, oldest first. */
#define SIGRTMIN 32
#define MAX_QUEUED 1024
struct sigq {
    struct ksiginfo info;
    struct thread *t; /* NULL: sent to the process */
    struct sigq *next;
};
static struct sigq *queued;
static int nqueued;

static long rt_queue(struct thread *t, const struct ksiginfo *info)
{
    if (nqueued >= MAX_QUEUED)
        return -EAGAIN;
    struct sigq *q = kmalloc(sizeof(*q)), **p = &queued;
    if (!q)
        return -EAGAIN;
    q->info = *info;
    q->t = t;
    while (*p)
        p = &(*p)->next;
    *p = q;
    nqueued++;
    return 0;
}

/* Takes the oldest instance of sig for t (NULL: the process); reports
 * whether more remain. */
static int rt_take(int sig, struct thread *t, struct ksiginfo *info)
{
    int more = 0, took = 0;
    for (struct sigq **p = &queued; *p;) {
        struct sigq *q = *p;
        if (q->info.signo == sig && q->t == t) {
            if (took) {
                more = 1;
                break;
            }
            *info = q->info;
            *p = q->next;
            kfree(q, sizeof(*q));
            nqueued--;
            took = 1;
            continue;
        }
        p = &q->next;
    }
    return more;
}

/* Drops every queued instance of sig (it became ignored). */
static void rt_purge(int sig)
{
    struct ksiginfo dummy;
    for (struct thread *t = all_threads; t; t = t->all_next)
        while (rt_take(sig, t, &dummy))
            ;
    while (rt_take(sig, NULL, &dummy))
        ;
}

/* What exec passed on from hxrun's own process (see hx_boot_info). */
void signal_init(void)
{
    for (int sig = 1; sig <= NSIG; sig++)
        if ((boot->sig_ignored >> (sig - 1) & 1) && sig != SIGKILL && sig != SIGSTOP)
            actions[sig].handler = SIG_IGN;
    signal_set_mask(boot->sig_blocked);
}

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

static int stop_signal(int sig)
{
    return sig == SIGSTOP || sig == 20 || sig == 21 || sig == 22;
}

int signal_wakes(const struct thread *t)
{
    return ((t->sigpending | proc_pending) & (~t->sigmask | t->sigwait)) != 0;
}

int signal_deliverable(void)
{
    return ((current->sigpending | proc_pending) & ~current->sigmask) != 0;
}

/* Queues a signal for thread t, or for the process when t is NULL, as
 * Linux generates it: ignored signals are dropped unless blocked, a fatal
 * default action ends the process at once unless every candidate blocks
 * the signal, and a thread that can take it is woken. */
static long send_signal(struct thread *t, const struct ksiginfo *info)
{
    int sig = info->signo;
    struct thread *target = t;
    if (!target) {
        /* The process: the current thread if it takes the signal, else any
         * thread that does (preferring one that waits), else it stays
         * pending until a thread unblocks it. */
        if (!(current->sigmask & bit(sig)))
            target = current;
        for (struct thread *c = all_threads; c && !target; c = c->all_next)
            if (c->state != T_DEAD && !(c->sigmask & bit(sig)))
                target = c;
    }
    int blocked = !target || (target->sigmask & bit(sig));
    int disp = signal_disposition(sig);
    if (!blocked && (disp == 1 || (disp == 0 && default_ignored(sig))))
        return 0;
    if (!blocked && disp == 0) {
        if (stop_signal(sig)) {
            kwarn("stopping on signal %d is not supported; ignored", sig);
            return 0;
        }
        kill_self(sig);
    }
    if (sig >= SIGRTMIN) {
        long r = rt_queue(t, info);
        if (r)
            return r;
    }
    if (t) {
        if (!(t->sigpending & bit(sig)))
            t->siginfo[sig] = *info;
        t->sigpending |= bit(sig);
    } else {
        if (!(proc_pending & bit(sig)))
            proc_info[sig] = *info;
        proc_pending |= bit(sig);
    }
    for (struct thread *c = t ? t : all_threads; c; c = t ? NULL : c->all_next)
        if (c->state == T_BLOCKED && c->interruptible && signal_wakes(c)) {
            sched_wake(c, WAKE_SIGNAL);
            break;
        }
    event_signal_sent();
    io_notify(); /* signalfd readers */
    return 0;
}

static struct ksiginfo user_info(int sig, int32_t code)
{
    struct ksiginfo info = {0};
    info.signo = sig;
    info.code = code;
    info.u.kill.pid = boot->pid;
    info.u.kill.uid = boot->uid;
    return info;
}

long signal_send(struct thread *t, int sig, int32_t code)
{
    struct ksiginfo info = user_info(sig, code);
    return send_signal(t, &info);
}

long signal_send_info(struct thread *t, const struct ksiginfo *info)
{
    return send_signal(t, info);
}

/* A signal the host sent hxrun (Ctrl-C, kill): from another process. */
void signal_from_host(int sig)
{
    struct ksiginfo info = {0};
    info.signo = sig;
    info.code = SI_USER;
    info.u.kill.pid = boot->live.host_signal_pid[sig - 1];
    info.u.kill.uid = boot->live.host_signal_uid[sig - 1];
    send_signal(NULL, &info);
}

/* Takes the lowest pending signal in set for the current thread, its own
 * before the process's; 0 when none. */
int signal_dequeue(uint64_t set, struct ksiginfo *info)
{
    struct thread *t = current;
    for (int pass = 0; pass < 2; pass++) {
        uint64_t *pend = pass ? &proc_pending : &t->sigpending;
        uint64_t m = *pend & set;
        if (!m)
            continue;
        int sig = __builtin_ctzll(m) + 1;
        if (sig >= SIGRTMIN) {
            if (!rt_take(sig, pass ? NULL : t, info))
                *pend &= ~bit(sig);
        } else {
            *pend &= ~bit(sig);
            *info = pass ? proc_info[sig] : t->siginfo[sig];
        }
        info->signo = sig;
        if (info->code == -2 /* SI_TIMER */)
            posix_timer_delivered(info);
        return sig;
    }
    return 0;
}

uint64_t signal_pending_set(void)
{
    return current->sigpending | proc_pending;
}

static int check_sig(uint64_t a)
{
    return (int64_t)a >= 0 && a <= NSIG;
}

/* The only process is this one: pid 0 and -1 (group, everyone we may
 * signal) reach it too. */
SYSCALL(kill)
{
    int pid = (int)a0;
    if (!check_sig(a1))
        return -EINVAL;
    /* kill(-1) reaches every process but the caller: here, none. */
    if (pid != boot->pid && pid != 0 && pid != -boot->pid)
        return -ESRCH;
    return a1 ? signal_send(NULL, (int)a1, SI_USER) : 0;
}

static long thread_kill(int tgid, int tid, uint64_t sig)
{
    if (tid <= 0 || !check_sig(sig))
        return -EINVAL;
    struct thread *t = thread_by_tid(tid);
    if (!t || (tgid != -1 && tgid != boot->pid))
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
    return sig ? send_signal(t, &info) : 0;
}

SYSCALL(rt_sigqueueinfo)
{
    if ((int)a0 != boot->pid)
        return -ESRCH;
    return queue_info(NULL, a1, a2);
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
        nw.mask &= ~UNBLOCKABLE;
        actions[sig] = nw;
        /* Setting a pending signal to be ignored discards it (POSIX). */
        if (nw.handler == SIG_IGN || (nw.handler == SIG_DFL && default_ignored(sig))) {
            proc_pending &= ~bit(sig);
            for (struct thread *t = all_threads; t; t = t->all_next)
                t->sigpending &= ~bit(sig);
            if (sig >= SIGRTMIN)
                rt_purge(sig);
        }
    }
    return 0;
}

/* A new mask for the current thread; process signals it now takes are
 * looked at when the system call returns. */
void signal_set_mask(uint64_t mask)
{
    current->sigmask = mask & ~UNBLOCKABLE;
}

/* For the length of one system call (rt_sigsuspend, ppoll, pselect6,
 * epoll_pwait): the old mask comes back when it returns, or when the
 * handler of the signal that ended it returns. */
void signal_set_temp_mask(uint64_t mask)
{
    if (!current->restore_mask) {
        current->saved_mask = current->sigmask;
        current->restore_mask = 1;
    }
    signal_set_mask(mask);
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
        const struct timespec64 *ts = (const struct timespec64 *)a2;
        if (!user_ok(ts, sizeof(*ts), 0))
            return -EFAULT;
        if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000)
            return -EINVAL;
        deadline = clock_monotonic_ns() + MIN(ts->sec, 1ll << 32) * 1000000000ll + ts->nsec;
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

/* ---- Delivery to handlers --------------------------------------------- */
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_RESETHAND 0x80000000u
#define SA_NODEFER 0x40000000u
#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u

/* Linux's x86-64 signal frame (arch/x86/include/uapi/asm/sigcontext.h). */
struct sigcontext64 {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
        eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2, fpstate, reserved1[8];
};
struct kucontext {
    uint64_t flags, link;
    struct kaltstack stack;
    struct sigcontext64 mcontext;
    uint64_t sigmask;
};
struct rt_sigframe {
    uint64_t pretcode;
    struct kucontext uc;
    struct ksiginfo info;
};
_Static_assert(sizeof(struct sigcontext64) == 256, "sigcontext layout");
_Static_assert(sizeof(struct ksiginfo) == 128, "siginfo layout");

/* The fault being delivered, saved by the CPL0 handler (kernel/trap.c). */
struct hx_uregs hx_fault_regs;
struct hx_fault_info hx_fault_info;

static int on_altstack(const struct kaltstack *as, uint64_t sp)
{
    return !(as->flags & SS_DISABLE) && sp > as->sp && sp - as->sp <= as->size;
}

/* Builds the frame for sig on the program's stack (or its alternate stack)
 * from the state *u, and makes *u the handler's entry state. */
static void setup_frame(int sig, struct hx_uregs *u, const struct ksiginfo *info,
                        const struct hx_fault_info *fault)
{
    struct thread *t = current;
    struct kaltstack *as = &t->altstack;
    /* A copy: SA_RESETHAND resets the action before the handler is entered. */
    const struct ksigaction saved = actions[sig], *act = &saved;
    uint64_t sp = u->rsp - 128; /* the red zone stays the program's */
    int was_on = on_altstack(as, u->rsp);
    if ((act->flags & SA_ONSTACK) && !(as->flags & SS_DISABLE) && !was_on)
        sp = as->sp + as->size;
    uint64_t xsize = boot->xsave_size;
    uint64_t fp = (sp - (xsize + 4)) & ~63ull;
    struct rt_sigframe *f = (struct rt_sigframe *)(((fp - sizeof(*f)) & ~15ull) - 8);
    if (!user_ok(f, fp + xsize + 4 - (uint64_t)f, 1))
        kill_self(11); /* no room for the frame: Linux forces SIGSEGV */

    /* The program's FPU/SSE/AVX state, as Linux saves it. */
    memset((void *)fp, 0, 576);
    uint32_t lo = (uint32_t)boot->xcr0, hi = (uint32_t)(boot->xcr0 >> 32);
    __asm__ volatile("xsave64 (%0)" ::"r"(fp), "a"(lo), "d"(hi) : "memory");
    uint32_t *sw = (uint32_t *)(fp + 464);
    sw[0] = FP_XSTATE_MAGIC1;
    sw[1] = (uint32_t)xsize + 4;
    memcpy(&sw[2], &boot->xcr0, 8);
    sw[4] = (uint32_t)xsize;
    *(uint32_t *)(fp + xsize) = FP_XSTATE_MAGIC2;

    /* The mask the handler's return restores: the one from before
     * rt_sigsuspend, ppoll and the like changed it for their duration. */
    uint64_t oldmask = t->restore_mask ? t->saved_mask : t->sigmask;
    t->restore_mask = 0;

    memset(f, 0, sizeof(*f));
    f->pretcode = act->restorer;
    f->info = *info;
    f->uc.flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f->uc.stack.sp = as->sp;
    f->uc.stack.size = as->size;
    f->uc.stack.flags = (as->flags & SS_DISABLE) ? SS_DISABLE : was_on ? SS_ONSTACK : 0;
    f->uc.stack.flags |= as->flags & (int32_t)SS_AUTODISARM;
    struct sigcontext64 *m = &f->uc.mcontext;
    m->r8 = u->r8, m->r9 = u->r9, m->r10 = u->r10, m->r11 = u->r11;
    m->r12 = u->r12, m->r13 = u->r13, m->r14 = u->r14, m->r15 = u->r15;
    m->rdi = u->rdi, m->rsi = u->rsi, m->rbp = u->rbp, m->rbx = u->rbx;
    m->rdx = u->rdx, m->rax = u->rax, m->rcx = u->rcx, m->rsp = u->rsp;
    m->rip = u->rip, m->eflags = u->rflags;
    m->cs = HX_SEL_UCODE;
    m->ss = HX_SEL_UDATA;
    if (fault) {
        m->err = fault->error;
        m->trapno = fault->vector;
        m->cr2 = fault->cr2;
    }
    m->oldmask = oldmask;
    m->fpstate = fp;
    f->uc.sigmask = oldmask;

    signal_set_mask(t->sigmask | act->mask | ((act->flags & SA_NODEFER) ? 0 : bit(sig)));
    if (act->flags & SA_RESETHAND)
        actions[sig] = (struct ksigaction){SIG_DFL, 0, 0, 0};
    if ((as->flags & SS_AUTODISARM) && !was_on && (act->flags & SA_ONSTACK)) {
        as->sp = as->size = 0;
        as->flags = SS_DISABLE;
    }

    u->rdi = (uint64_t)sig;
    u->rsi = (uint64_t)&f->info;
    u->rdx = (uint64_t)&f->uc;
    u->rax = 0;
    u->rsp = (uint64_t)f;
    u->rip = act->handler;
    u->rflags &= ~0x40500ull; /* DF, TF, AC: as Linux clears them */
}

/* Takes the next signal the current thread can take and that has a
 * handler; signals ignored or fatal by now are dealt with on the way. */
static int next_handled(struct ksiginfo *info)
{
    int sig;
    while ((sig = signal_dequeue(~current->sigmask, info))) {
        if (signal_disposition(sig) == 2)
            return sig;
        /* send_signal decided when it was sent, but the disposition may
         * have changed while the signal was blocked. */
        if (signal_disposition(sig) == 0 && !default_ignored(sig) && !stop_signal(sig))
            kill_self(sig);
    }
    return 0;
}

/* Frames for every further signal the thread takes go on top, so the
 * last one's handler runs first, as on Linux; then the program resumes. */
__attribute__((noreturn)) static void resume_stacked(struct hx_uregs *u)
{
    struct ksiginfo info;
    int sig;
    while ((sig = next_handled(&info)))
        setup_frame(sig, u, &info, NULL);
    hx_resume(u);
}

/* Delivers the pending signals the current thread takes, from the state u
 * it would return to: enters the handlers (not returning), or returns
 * when none has one. */
void signal_deliver(const struct hx_uregs *u)
{
    struct ksiginfo info;
    int sig = next_handled(&info);
    if (!sig)
        return;
    struct hx_uregs w = *u;
    setup_frame(sig, &w, &info, NULL);
    resume_stacked(&w);
}

struct hx_uregs syscall_return_state(const struct hx_regs *r, uint64_t rax)
{
    return (struct hx_uregs){.r15 = r->r15,
                             .r14 = r->r14,
                             .r13 = r->r13,
                             .r12 = r->r12,
                             .rbp = r->rbp,
                             .rbx = r->rbx,
                             .r11 = r->rflags,
                             .r10 = r->r10,
                             .r9 = r->r9,
                             .r8 = r->r8,
                             .rax = rax,
                             .rcx = r->rip,
                             .rdx = r->rdx,
                             .rsi = r->rsi,
                             .rdi = r->rdi,
                             .rip = r->rip,
                             .rflags = r->rflags,
                             .rsp = r->rsp};
}

/* The original syscall instruction of the fastcall that returns to ret
 * (its trampoline's HX_FASTCALL_MARK), or 0. */
static uint64_t fastcall_site(uint64_t ret)
{
    const uint8_t *p = (const uint8_t *)ret;
    if (!user_ok(p - HX_FASTCALL_CALL_LEN, HX_FASTCALL_CALL_LEN + HX_FASTCALL_MARK_LEN, 0) ||
        memcmp(p - HX_FASTCALL_CALL_LEN, HX_FASTCALL_CALL, 3) || memcmp(p, HX_FASTCALL_MARK, 3))
        return 0;
    int32_t rel;
    memcpy(&rel, p + 3, 4);
    return ret + (uint64_t)(int64_t)rel;
}

/* The end of a system call whose result is ret, with signals to deliver.
 * A call a signal interrupted is restarted when Linux would restart it:
 * the program resumes at its syscall instruction (or fastcall) with rax
 * the number again. */
void signal_syscall_exit(struct hx_regs *r, long *ret)
{
    int restart = *ret == -ERESTARTSYS || *ret == -ERESTARTNOINTR || *ret == -ERESTARTNOHAND ||
                  *ret == -ERESTART_RESTARTBLOCK;
    struct hx_uregs u = syscall_return_state(r, (uint64_t)*ret);
    uint64_t back = r->fast ? HX_FASTCALL_CALL_LEN : 2; /* call *HX_FASTCALL_SLOT, or syscall */
    if (signal_deliverable()) {
        struct ksiginfo info;
        int sig = next_handled(&info);
        if (sig) {
            int again = 0;
            if (restart) {
                int sa_restart = (actions[sig].flags & SA_RESTART) != 0;
                if (*ret == -ERESTARTNOINTR || (*ret == -ERESTARTSYS && sa_restart)) {
                    u.rip -= back;
                    u.rax = r->nr;
                    again = 1;
                } else {
                    u.rax = (uint64_t)-EINTR;
                }
            }
            /* A fastcall's handler sees what Linux would show for the
             * original syscall instruction: its address when the call
             * starts again, the next one's when it is over, and the
             * program's own rsp. The trampoline's state at its call and
             * return is exactly the original's there, so the original
             * code's unwind tables apply too. */
            uint64_t site = r->fast ? fastcall_site(r->rip) : 0;
            if (site) {
                u.rip = again ? site : site + 2;
                u.rcx = site + 2;
                u.rsp += 128;
            }
            setup_frame(sig, &u, &info, NULL);
            if (site) /* for rt_sigreturn, if the handler leaves rip there */
                ((struct rt_sigframe *)u.rsp)->uc.mcontext.reserved1[0] = r->rip;
            resume_stacked(&u);
        }
    }
    if (restart) {
        /* No handler ran: the call goes on as if nothing happened. */
        r->rip -= back;
        *ret = (long)r->nr;
    }
    if (current->restore_mask) {
        current->restore_mask = 0;
        signal_set_mask(current->saved_mask);
    }
}

int signal_handles_fault(int sig)
{
    return signal_disposition(sig) == 2 && !(current->sigmask & bit(sig));
}

void hx_deliver_fault(void)
{
    /* Ours: another thread's fault may reuse the global once we switch. */
    struct hx_uregs regs = hx_fault_regs;
    struct hx_fault_info *fi = &hx_fault_info;
    if (fi->vector == HX_IRQ_VECTOR) {
        kstats.cpl0[HX_CPL0_IRQ]++;
        irq_process();
        resume_stacked(&regs);
    }
    kstats.cpl0[HX_CPL0_FAULT]++;
    /* The page tables allow the access: a stale TLB entry from before a
     * permission upgrade (those are not flushed). Flush it and retry, once
     * per place: a fault that comes back is real. */
    static uint64_t retried_rip, retried_addr;
    int again = fi->vector == 14 && regs.rip == retried_rip && fi->addr == retried_addr;
    retried_rip = retried_addr = 0;
    if (fi->vector == 14 && !again && !(fi->error & 8 /* reserved bit */) &&
        user_ok((void *)fi->addr, 1, (fi->error & 2) != 0) &&
        (!(fi->error & 16) || (mm_find(fi->addr) && (mm_find(fi->addr)->prot & HX_PROT_X)))) {
        retried_rip = regs.rip;
        retried_addr = fi->addr;
        tlb_flush(fi->addr & ~(PAGE_SIZE - 1), 1);
        hx_resume(&regs);
    }
    if (fi->vector == 14) {
        int r = mm_shared_fault(fi->addr);
        if (r == 1)
            hx_resume(&regs); /* the file grew: its page is mapped now */
        /* A page the mapping allows but does not have is past the end of
         * a mapped file (anonymous memory is mapped eagerly). */
        const struct vma *v = mm_find(fi->addr);
        uint32_t need = (fi->error & 2) ? HX_PROT_W : HX_PROT_R;
        if (r == 0 ||
            (r < 0 && v && !(v->flags & VMA_ANON) && (v->prot & need) && !(fi->error & 1))) {
            fi->signo = 7; /* SIGBUS: past the end of a mapped file */
            fi->code = 2;  /* BUS_ADRERR */
        } else {
            /* A mapping that forbids the access (PROT_NONE pages are not
             * present here) is SEGV_ACCERR; no mapping is SEGV_MAPERR. */
            fi->code = v ? 2 : 1;
        }
    }
    if (!signal_handles_fault(fi->signo)) {
        /* The default action: the program ends as Linux ends it. */
        hcall(HX_HC_FATAL, (uint64_t)fi->signo, fi->vector, fi->error, fi->addr, regs.rip,
              (boot->flags & HX_BOOT_STATS) ? (uint64_t)&kstats : 0);
        for (;;)
            ;
    }
    struct hx_fault_info fault = *fi;
    struct ksiginfo info = {0};
    info.signo = fault.signo;
    info.code = fault.code;
    info.u.addr = fault.addr;
    setup_frame(fault.signo, &regs, &info, &fault);
    resume_stacked(&regs);
}

/* The handler returned through its restorer: the frame's pretcode is
 * gone, so the frame starts 8 bytes below the program's stack pointer at
 * the call (a fastcall's trampoline had moved it 128 bytes further). */
SYSCALL(rt_sigreturn)
{
    struct hx_regs *r = current->frame;
    const struct rt_sigframe *f = (const struct rt_sigframe *)(r->rsp + (r->fast ? 128 : 0) - 8);
    if (!user_ok(f, sizeof(*f), 0))
        kill_self(11);
    const struct sigcontext64 *m = &f->uc.mcontext;
    struct hx_uregs u = {0};
    u.r8 = m->r8, u.r9 = m->r9, u.r10 = m->r10, u.r11 = m->r11;
    u.r12 = m->r12, u.r13 = m->r13, u.r14 = m->r14, u.r15 = m->r15;
    u.rdi = m->rdi, u.rsi = m->rsi, u.rbp = m->rbp, u.rbx = m->rbx;
    u.rdx = m->rdx, u.rax = m->rax, u.rcx = m->rcx, u.rsp = m->rsp;
    u.rip = m->rip;
    /* A fastcall showed the handler its original syscall instruction (see
     * signal_syscall_exit); a pc left there goes back to the trampoline:
     * to the call again, or to its return, on the trampoline's rsp. */
    uint64_t ret = m->reserved1[0], site = ret ? fastcall_site(ret) : 0;
    if (site && (u.rip == site || u.rip == site + 2)) {
        u.rip = u.rip == site ? ret - HX_FASTCALL_CALL_LEN : ret;
        u.rsp -= 128;
    }
    /* Only the flags a program may set (CF PF AF ZF SF TF DF OF AC RF). */
    u.rflags = (m->eflags & 0x50dd5) | 0x202;
    signal_set_mask(f->uc.sigmask);
    /* The alternate stack as the frame says (Linux's restore_altstack). */
    struct kaltstack ss = f->uc.stack, *as = &current->altstack;
    if ((ss.flags & ~(int32_t)SS_AUTODISARM) == SS_DISABLE) {
        as->sp = as->size = 0;
        as->flags = SS_DISABLE;
    } else if (ss.size >= MINSIGSTKSZ) {
        as->sp = ss.sp;
        as->size = ss.size;
        as->flags = ss.flags & (int32_t)SS_AUTODISARM;
    }
    uint64_t fp = m->fpstate;
    if (fp) {
        if ((fp & 63) || !user_ok((void *)fp, boot->xsave_size, 0))
            kill_self(11);
        uint32_t lo = (uint32_t)boot->xcr0, hi = (uint32_t)(boot->xcr0 >> 32);
        __asm__ volatile("xrstor64 (%0)" ::"r"(fp), "a"(lo), "d"(hi) : "memory");
    }
    if (u.rip >> 47) {
        /* Outside the user half: Linux's return there faults (#GP, or a
         * page fault in the kernel half) and the program gets SIGSEGV with
         * the restored state; here the kernel's own return would fault. */
        struct hx_fault_info gp = {.signo = 11, .code = 0x80 /* SI_KERNEL */, .vector = 13};
        struct hx_fault_info pf = {
            .signo = 11, .code = 1 /* MAPERR */, .addr = u.rip, .vector = 14};
        hx_fault_regs = u;
        hx_fault_info = (uint64_t)((int64_t)(u.rip << 16) >> 16) == u.rip ? pf : gp;
        hx_deliver_fault();
    }
    /* Signals the handler left pending go next, from the restored state. */
    if (irq_due())
        irq_process();
    resume_stacked(&u);
}
