/* Signals, the kernel's half (see signal.h): the pending sets, how a
 * signal is generated, and its delivery. A signal with a handler is
 * delivered when the program next returns from a system call (a signal it
 * sent itself) or at once (a fault), through Linux's exact rt_sigframe
 * (sigframe.c). Default actions end the program as on Linux. */
#include "signal.h"

#include "heap.h"
#include "mm.h"
#include "uapi/errno.h"
#include "x86.h"

/* Process-wide: the actions, and signals sent to the process that no
 * thread has taken yet. Each thread has its own mask, pending set and
 * alternate stack (struct thread). */
static struct ksigaction actions[NSIG + 1];
static uint64_t proc_pending;
static struct ksiginfo proc_info[NSIG + 1];
static struct signal_hooks hooks;

/* Real-time signals queue every instance with its info; standard ones
 * keep one. Queued instances, oldest first. */
#define MAX_QUEUED 1024
struct sigq {
    struct ksiginfo info;
    struct thread *t; /* NULL: sent to the process */
    struct sigq *next;
};
static struct sigq *queued;
static int nqueued;

void signal_set_hooks(const struct signal_hooks *h)
{
    hooks = *h;
}

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

void signal_init(void)
{
    for (int sig = 1; sig <= NSIG; sig++)
        if ((boot->sig_ignored >> (sig - 1) & 1) && sig != SIGKILL && sig != SIGSTOP)
            actions[sig].handler = SIG_IGN;
    signal_set_mask(boot->sig_blocked);
    /* Pending at the execve that started this program: still pending
     * (their siginfo is not kept: they arrive as sent by kill). */
    for (int sig = 1; sig <= NSIG; sig++)
        if (boot->sig_pending >> (sig - 1) & 1)
            signal_send(current, sig, SI_USER);
}

void signal_fork_child(void)
{
    proc_pending = 0;
    current->sigpending = 0;
    while (queued) {
        struct sigq *q = queued;
        queued = q->next;
        kfree(q, sizeof(*q));
    }
    nqueued = 0;
}

int signal_disposition(int sig)
{
    uint64_t h = actions[sig].handler;
    return h == SIG_DFL ? 0 : h == SIG_IGN ? 1 : 2;
}

void kill_self(int sig)
{
    HC(fatal, .signo = sig, .vector = HX_FATAL_SIGNAL,
       .stats = (boot->flags & HX_BOOT_STATS) ? (uint64_t)&kstats : 0);
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
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

static int stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void signal_action(int sig, const struct ksigaction *nw, struct ksigaction *old)
{
    if (old)
        *old = actions[sig];
    if (!nw)
        return;
    actions[sig] = *nw;
    actions[sig].mask &= ~UNBLOCKABLE;
    /* Setting a pending signal to be ignored discards it (POSIX). */
    if (nw->handler == SIG_IGN || (nw->handler == SIG_DFL && default_ignored(sig))) {
        proc_pending &= ~bit(sig);
        for (struct thread *t = all_threads; t; t = t->all_next)
            t->sigpending &= ~bit(sig);
        if (sig >= SIGRTMIN)
            rt_purge(sig);
    }
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
            /* The monitor's process stops, and with it this VM; SIGCONT
             * from the host goes on from here. */
            HC(kill, .pid = boot->pid, .sig = (uint64_t)sig, .kind = HX_STOP_SELF);
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
    if (hooks.sent)
        hooks.sent();
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

void signal_from_host(int sig)
{
    struct ksiginfo info = {0};
    const struct hx_live *live = &boot->live;
    info.signo = sig;
    info.code = live->host_signal_code[sig - 1];
    info.u.kill.pid = live->host_signal_pid[sig - 1];
    info.u.kill.uid = live->host_signal_uid[sig - 1];
    /* si_value, or SIGCHLD's si_status in its first half. */
    info.u.kill.value = sig == SIGCHLD ? (uint32_t)live->host_signal_status[sig - 1]
                                       : live->host_signal_value[sig - 1];
    if (sig == SIGCHLD) {
        if (hooks.child_event)
            hooks.child_event();
        /* A child's stop or continuation is not told with SA_NOCLDSTOP. */
        if ((info.code == CLD_STOPPED || info.code == CLD_CONTINUED) &&
            (actions[SIGCHLD].flags & SA_NOCLDSTOP))
            return;
    }
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
        if (info->code == SI_TIMER && hooks.timer_taken)
            hooks.timer_taken(info);
        return sig;
    }
    return 0;
}

uint64_t signal_pending_set(void)
{
    return current->sigpending | proc_pending;
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

/* ---- Delivery to handlers --------------------------------------------- */

/* Makes *u the entry state of sig's handler, its frame on the stack. */
static void enter_handler(int sig, struct hx_uregs *u, const struct ksiginfo *info,
                          const struct hx_fault_info *fault)
{
    /* A copy: SA_RESETHAND resets the action before the handler is entered. */
    const struct ksigaction act = actions[sig];
    sigframe_push(sig, u, &act, info, fault);
    signal_set_mask(current->sigmask | act.mask | ((act.flags & SA_NODEFER) ? 0 : bit(sig)));
    if (act.flags & SA_RESETHAND)
        actions[sig] = (struct ksigaction){SIG_DFL, 0, 0, 0};
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
void signal_resume(struct hx_uregs *u)
{
    struct ksiginfo info;
    int sig;
    while ((sig = next_handled(&info)))
        enter_handler(sig, u, &info, NULL);
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
    enter_handler(sig, &w, &info, NULL);
    signal_resume(&w);
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

/* The end of a system call whose result is ret, with signals to deliver.
 * A call a signal interrupted is restarted when Linux would restart it:
 * the program resumes at its syscall instruction (or fastcall) with rax
 * the number again. */
void signal_syscall_exit(struct hx_regs *r, long *ret)
{
    int restart = *ret == -ERESTARTSYS || *ret == -ERESTARTNOINTR || *ret == -ERESTARTNOHAND ||
                  *ret == -ERESTART_RESTARTBLOCK;
    struct hx_uregs u = syscall_return_state(r, (uint64_t)*ret);
    uint64_t back = r->fast ? HX_FASTCALL_CALL_LEN : HX_SYSCALL_LEN; /* the call, or syscall */
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
                u.rip = again ? site : site + HX_SYSCALL_LEN;
                u.rcx = site + HX_SYSCALL_LEN;
                u.rsp += HX_FASTCALL_RSP_STEP;
            }
            enter_handler(sig, &u, &info, NULL);
            if (site)
                sigframe_mark_fastcall(&u, r->rip);
            signal_resume(&u);
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

void signal_enter_fault(struct hx_uregs *u, const struct hx_fault_info *fault)
{
    struct ksiginfo info = {0};
    info.signo = fault->signo;
    info.code = fault->code;
    info.u.addr = fault->addr;
    enter_handler(fault->signo, u, &info, fault);
    signal_resume(u);
}

void signal_return(struct hx_regs *r)
{
    struct hx_uregs u;
    sigframe_restore(r, &u);
    if (u.rip >> 47) {
        /* Outside the user half: Linux's return there faults (#GP, or a
         * page fault in the kernel half) and the program gets SIGSEGV with
         * the restored state; here the kernel's own return would fault. */
        struct hx_fault_info gp = {.signo = SIGSEGV, .code = SI_KERNEL, .vector = X86_VEC_GP};
        struct hx_fault_info pf = {
            .signo = SIGSEGV, .code = SEGV_MAPERR, .addr = u.rip, .vector = X86_VEC_PF};
        hx_fault_regs = u;
        hx_fault_info = (uint64_t)((int64_t)(u.rip << 16) >> 16) == u.rip ? pf : gp;
        hx_deliver_fault();
    }
    /* Signals the handler left pending go next, from the restored state. */
    if (irq_due())
        irq_process();
    signal_resume(&u);
}
