/* Linux's x86-64 signal frame: what a handler finds on its stack, built
 * exactly as Linux builds it so that rt_sigreturn and programs that read or
 * change the saved context work, and read back when the handler returns. */
#include "mm.h"
#include "signal.h"
#include "uapi/sigcontext.h"
#include "x86.h"

/* arch/x86/include/asm/sigframe.h */
struct rt_sigframe {
    uint64_t pretcode;
    struct kucontext uc;
    struct ksiginfo info;
};

/* The uc_mcontext.reserved1[] word where a fastcall's frame keeps the
 * trampoline's return address (zero in every other frame, as Linux leaves
 * it): rt_sigreturn to the original syscall goes back there. */
#define FASTCALL_RET_WORD 0

static int on_altstack(const struct kaltstack *as, uint64_t sp)
{
    return !(as->flags & SS_DISABLE) && sp > as->sp && sp - as->sp <= as->size;
}

void sigframe_push(int sig, struct hx_uregs *u, const struct ksigaction *act,
                   const struct ksiginfo *info, const struct hx_fault_info *fault)
{
    struct thread *t = current;
    struct kaltstack *as = &t->altstack;
    uint64_t sp = u->rsp - HX_RED_ZONE; /* the red zone stays the program's */
    int was_on = on_altstack(as, u->rsp);
    if ((act->flags & SA_ONSTACK) && !(as->flags & SS_DISABLE) && !was_on)
        sp = as->sp + as->size;
    uint64_t xsize = boot->xsave_size;
    uint64_t fp = (sp - (xsize + 4)) & ~63ull;
    struct rt_sigframe *f = (struct rt_sigframe *)(((fp - sizeof(*f)) & ~15ull) - 8);
    if (!user_ok(f, fp + xsize + 4 - (uint64_t)f, 1))
        kill_self(SIGSEGV); /* no room for the frame: Linux forces SIGSEGV */

    /* The program's FPU/SSE/AVX state, as Linux saves it. */
    memset((void *)fp, 0, X86_XSAVE_HDR_END);
    uint32_t lo = (uint32_t)boot->xcr0, hi = (uint32_t)(boot->xcr0 >> 32);
    __asm__ volatile("xsave64 (%0)" ::"r"(fp), "a"(lo), "d"(hi) : "memory");
    uint32_t *sw = (uint32_t *)(fp + X86_FXSAVE_SW_BYTES);
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
    u->rflags &= ~(uint64_t)X86_EFLAGS_ODD; /* DF, TF, AC: as Linux clears them */
}

void sigframe_mark_fastcall(const struct hx_uregs *u, uint64_t ret)
{
    /* for rt_sigreturn, if the handler leaves rip there */
    ((struct rt_sigframe *)u->rsp)->uc.mcontext.reserved1[FASTCALL_RET_WORD] = ret;
}

/* The original syscall instruction of the fastcall that returns to ret
 * (its trampoline's HX_FASTCALL_MARK), or 0. */
uint64_t fastcall_site(uint64_t ret)
{
    const uint8_t *p = (const uint8_t *)ret;
    if (!user_ok(p - HX_FASTCALL_CALL_LEN, HX_FASTCALL_CALL_LEN + HX_FASTCALL_MARK_LEN, 0) ||
        memcmp(p - HX_FASTCALL_CALL_LEN, HX_FASTCALL_CALL, HX_FASTCALL_OPCODE_LEN) ||
        memcmp(p, HX_FASTCALL_MARK, HX_FASTCALL_OPCODE_LEN))
        return 0;
    int32_t rel;
    memcpy(&rel, p + HX_FASTCALL_OPCODE_LEN, 4);
    return ret + (uint64_t)(int64_t)rel;
}

/* The handler returned through its restorer: the frame's pretcode is
 * gone, so the frame starts 8 bytes below the program's stack pointer at
 * the call (a fastcall's trampoline had moved it HX_FASTCALL_RSP_STEP
 * bytes further). */
void sigframe_restore(const struct hx_regs *r, struct hx_uregs *u)
{
    const struct rt_sigframe *f =
        (const struct rt_sigframe *)(r->rsp + (r->fast ? HX_FASTCALL_RSP_STEP : 0) - 8);
    if (!user_ok(f, sizeof(*f), 0))
        kill_self(SIGSEGV);
    const struct sigcontext64 *m = &f->uc.mcontext;
    *u = (struct hx_uregs){0};
    u->r8 = m->r8, u->r9 = m->r9, u->r10 = m->r10, u->r11 = m->r11;
    u->r12 = m->r12, u->r13 = m->r13, u->r14 = m->r14, u->r15 = m->r15;
    u->rdi = m->rdi, u->rsi = m->rsi, u->rbp = m->rbp, u->rbx = m->rbx;
    u->rdx = m->rdx, u->rax = m->rax, u->rcx = m->rcx, u->rsp = m->rsp;
    u->rip = m->rip;
    /* A fastcall showed the handler its original syscall instruction (see
     * signal_syscall_exit); a pc left there goes back to the trampoline:
     * to the call again, or to its return, on the trampoline's rsp. */
    uint64_t ret = m->reserved1[FASTCALL_RET_WORD], site = ret ? fastcall_site(ret) : 0;
    if (site && (u->rip == site || u->rip == site + HX_SYSCALL_LEN)) {
        u->rip = u->rip == site ? ret - HX_FASTCALL_CALL_LEN : ret;
        u->rsp -= HX_FASTCALL_RSP_STEP;
    }
    /* Only the flags a program may set (CF PF AF ZF SF TF DF OF AC RF). */
    u->rflags = (m->eflags & X86_EFLAGS_USER) | X86_EFLAGS_BASE;
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
            kill_self(SIGSEGV);
        uint32_t lo = (uint32_t)boot->xcr0, hi = (uint32_t)(boot->xcr0 >> 32);
        __asm__ volatile("xrstor64 (%0)" ::"r"(fp), "a"(lo), "d"(hi) : "memory");
    }
}
