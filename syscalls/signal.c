/* Signals: actions, the mask, the alternate stack, and delivery. A signal
 * with a handler is delivered when the program next returns from a system
 * call (a signal it sent itself) or at once (a fault), through Linux's exact
 * rt_sigframe, so that rt_sigreturn and programs that read or change the
 * saved context work. Default actions end the program as on Linux. */
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
static int32_t pending_code[NSIG + 1]; /* si_code of each pending signal */
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
        pending |= bit(sig); /* run when the system call returns */
        return 0;
    }
    if (default_ignored(sig))
        return 0;
    if (sig == SIGSTOP || sig == 20 || sig == 21 || sig == 22) {
        kwarn("stopping on signal %d is not supported; ignored", sig);
        return 0;
    }
    kill_self(sig);
}

#define SI_USER 0
#define SI_TKILL (-6)

long raise_signal(int sig, int32_t code)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    if (sig == 0)
        return 0;
    pending_code[sig] = code;
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
        if ((pending & bit(sig)) && !(blocked & bit(sig)) && signal_disposition(sig) != 2) {
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
    return raise_signal((int)a1, SI_USER);
}

SYSCALL(tkill)
{
    if ((int)a0 != boot->pid)
        return (int)a0 <= 0 ? -EINVAL : -ESRCH;
    return raise_signal((int)a1, SI_TKILL);
}

SYSCALL(tgkill)
{
    if ((int)a0 <= 0 || (int)a1 <= 0)
        return -EINVAL;
    if ((int)a0 != boot->pid || (int)a1 != boot->pid)
        return -ESRCH;
    return raise_signal((int)a2, SI_TKILL);
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
    extern uint64_t hx_user_rsp;
    int on = !(altstack.flags & SS_DISABLE) && hx_user_rsp > altstack.sp &&
             hx_user_rsp - altstack.sp <= altstack.size;
    if (a1) {
        if (!user_ok((void *)a1, sizeof(altstack), 1))
            return -EFAULT;
        memcpy((void *)a1, &altstack, sizeof(altstack));
        if (on)
            ((__typeof__(altstack) *)a1)->flags |= SS_ONSTACK;
    }
    if (a0 && on)
        return -EPERM; /* Linux: not while running on it */
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

/* ---- Delivery to handlers --------------------------------------------- */
#define SA_ONSTACK 0x08000000u
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
struct kstack {
    uint64_t sp;
    int32_t flags, _pad;
    uint64_t size;
};
struct kucontext {
    uint64_t flags, link;
    struct kstack stack;
    struct sigcontext64 mcontext;
    uint64_t sigmask;
};
struct ksiginfo {
    int32_t signo, errno_, code, _pad;
    union {
        struct {
            int32_t pid;
            uint32_t uid;
        } kill;
        uint64_t addr;
        uint8_t _size[112];
    } u;
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

static int on_altstack(uint64_t sp)
{
    return !(altstack.flags & SS_DISABLE) && sp > altstack.sp && sp - altstack.sp <= altstack.size;
}

/* Builds the frame for sig on the program's stack (or its alternate stack)
 * and enters the handler; never returns. */
__attribute__((noreturn)) static void enter_handler(int sig, const struct hx_uregs *u,
                                                    const struct ksiginfo *info,
                                                    const struct hx_fault_info *fault)
{
    /* A copy: SA_RESETHAND resets the action before the handler is entered. */
    const struct ksigaction saved = actions[sig], *act = &saved;
    uint64_t sp = u->rsp - 128; /* the red zone stays the program's */
    int was_on = on_altstack(u->rsp);
    if ((act->flags & SA_ONSTACK) && !(altstack.flags & SS_DISABLE) && !was_on)
        sp = altstack.sp + altstack.size;
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

    memset(f, 0, sizeof(*f));
    f->pretcode = act->restorer;
    f->info = *info;
    f->uc.flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f->uc.stack.sp = altstack.sp;
    f->uc.stack.size = altstack.size;
    f->uc.stack.flags = (altstack.flags & SS_DISABLE) ? SS_DISABLE : was_on ? SS_ONSTACK : 0;
    f->uc.stack.flags |= altstack.flags & (int32_t)SS_AUTODISARM;
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
    m->oldmask = blocked;
    m->fpstate = fp;
    f->uc.sigmask = blocked;

    blocked |= act->mask | ((act->flags & SA_NODEFER) ? 0 : bit(sig));
    blocked &= ~(bit(SIGKILL) | bit(SIGSTOP));
    if (act->flags & SA_RESETHAND)
        actions[sig] = (struct ksigaction){SIG_DFL, 0, 0, 0};
    if ((altstack.flags & SS_AUTODISARM) && !was_on && (act->flags & SA_ONSTACK)) {
        altstack.sp = altstack.size = 0;
        altstack.flags = SS_DISABLE;
    }

    struct hx_uregs h = *u;
    h.rdi = (uint64_t)sig;
    h.rsi = (uint64_t)&f->info;
    h.rdx = (uint64_t)&f->uc;
    h.rax = 0;
    h.rsp = (uint64_t)f;
    h.rip = act->handler;
    h.rflags &= ~0x40500ull; /* DF, TF, AC: as Linux clears them */
    hx_resume(&h);
}

int signal_deliverable(void)
{
    return (pending & ~blocked) != 0;
}

void signal_deliver(const struct hx_uregs *u)
{
    for (int sig = 1; sig <= NSIG; sig++) {
        if (!(pending & ~blocked & bit(sig)))
            continue;
        pending &= ~bit(sig);
        if (signal_disposition(sig) != 2) {
            deliver(sig);
            continue;
        }
        struct ksiginfo info = {0};
        info.signo = sig;
        info.code = pending_code[sig];
        info.u.kill.pid = boot->pid;
        info.u.kill.uid = boot->uid;
        enter_handler(sig, u, &info, NULL);
    }
}

int signal_handles_fault(int sig)
{
    return signal_disposition(sig) == 2 && !(blocked & bit(sig));
}

void hx_deliver_fault(void)
{
    struct hx_fault_info *fi = &hx_fault_info;
    /* The page tables allow the access: a stale TLB entry from before a
     * permission upgrade (those are not flushed). Flush it and retry, once
     * per place: a fault that comes back is real. */
    static uint64_t retried_rip, retried_addr;
    int again = fi->vector == 14 && hx_fault_regs.rip == retried_rip && fi->addr == retried_addr;
    retried_rip = retried_addr = 0;
    if (fi->vector == 14 && !again && !(fi->error & 8 /* reserved bit */) &&
        user_ok((void *)fi->addr, 1, (fi->error & 2) != 0) &&
        (!(fi->error & 16) || (mm_find(fi->addr) && (mm_find(fi->addr)->prot & HX_PROT_X)))) {
        retried_rip = hx_fault_regs.rip;
        retried_addr = fi->addr;
        tlb_flush(fi->addr & ~(PAGE_SIZE - 1), 1);
        hx_resume(&hx_fault_regs);
    }
    if (fi->vector == 14) {
        int r = mm_shared_fault(fi->addr);
        if (r == 1)
            hx_resume(&hx_fault_regs); /* the file grew: its page is mapped now */
        /* A page the mapping allows but does not have is past the end of
         * a mapped file (anonymous memory is mapped eagerly). */
        const struct vma *v = mm_find(fi->addr);
        uint32_t need = (fi->error & 2) ? HX_PROT_W : HX_PROT_R;
        if (r == 0 ||
            (r < 0 && v && !(v->flags & VMA_ANON) && (v->prot & need) && !(fi->error & 1))) {
            fi->signo = 7; /* SIGBUS: past the end of a mapped file */
            fi->code = 2;  /* BUS_ADRERR */
        }
    }
    if (!signal_handles_fault(fi->signo)) {
        /* The default action: the program ends as Linux ends it. */
        hcall(HX_HC_FATAL, (uint64_t)fi->signo, fi->vector, fi->error, fi->addr, hx_fault_regs.rip,
              (boot->flags & HX_BOOT_STATS) ? (uint64_t)&kstats : 0);
        for (;;)
            ;
    }
    struct ksiginfo info = {0};
    info.signo = hx_fault_info.signo;
    info.code = hx_fault_info.code;
    info.u.addr = hx_fault_info.addr;
    enter_handler(hx_fault_info.signo, &hx_fault_regs, &info, &hx_fault_info);
}

extern uint64_t hx_user_rsp;

/* The handler returned through its restorer: the frame's pretcode is
 * gone, so the frame starts 8 bytes below the stack pointer. */
SYSCALL(rt_sigreturn)
{
    const struct rt_sigframe *f = (const struct rt_sigframe *)(hx_user_rsp - 8);
    if (!user_ok(f, sizeof(*f), 0))
        kill_self(11);
    const struct sigcontext64 *m = &f->uc.mcontext;
    struct hx_uregs u = {0};
    u.r8 = m->r8, u.r9 = m->r9, u.r10 = m->r10, u.r11 = m->r11;
    u.r12 = m->r12, u.r13 = m->r13, u.r14 = m->r14, u.r15 = m->r15;
    u.rdi = m->rdi, u.rsi = m->rsi, u.rbp = m->rbp, u.rbx = m->rbx;
    u.rdx = m->rdx, u.rax = m->rax, u.rcx = m->rcx, u.rsp = m->rsp;
    u.rip = m->rip;
    /* Only the flags a program may set (CF PF AF ZF SF TF DF OF AC RF). */
    u.rflags = (m->eflags & 0x50dd5) | 0x202;
    blocked = f->uc.sigmask & ~(bit(SIGKILL) | bit(SIGSTOP));
    /* The alternate stack as the frame says (Linux's restore_altstack). */
    struct kstack ss = f->uc.stack;
    if ((ss.flags & ~(int32_t)SS_AUTODISARM) == SS_DISABLE) {
        altstack.sp = altstack.size = 0;
        altstack.flags = SS_DISABLE;
    } else if (ss.size >= MINSIGSTKSZ) {
        altstack.sp = ss.sp;
        altstack.size = ss.size;
        altstack.flags = ss.flags & (int32_t)SS_AUTODISARM;
    }
    uint64_t fp = m->fpstate;
    if (fp) {
        if ((fp & 63) || !user_ok((void *)fp, boot->xsave_size, 0))
            kill_self(11);
        uint32_t lo = (uint32_t)boot->xcr0, hi = (uint32_t)(boot->xcr0 >> 32);
        __asm__ volatile("xrstor64 (%0)" ::"r"(fp), "a"(lo), "d"(hi) : "memory");
    }
    /* Signals the handler left pending go next, from the restored state. */
    if (signal_deliverable())
        signal_deliver(&u);
    hx_resume(&u);
}
