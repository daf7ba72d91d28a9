/* Exceptions (CPL0) and the CPL0 TLB-flush gate. The monitor placed the GDT,
 * IDT and TSS; the kernel fills in its own handler addresses and stacks at
 * boot, at CPL3, since they are plain memory. A fault the program has no
 * handler for ends the VM like the matching signal ends a Linux process. */
#include "kernel.h"
#include "uapi/signal.h"
#include "x86.h"

struct hx_trap_frame {
    uint64_t cr2;
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

#define NTRAPS X86_NVEC_EXCEPTIONS
extern char hx_trap0[], hx_trap1[], hx_trap2[], hx_trap3[], hx_trap4[], hx_trap5[], hx_trap6[],
    hx_trap7[], hx_trap8[], hx_trap9[], hx_trap10[], hx_trap11[], hx_trap12[], hx_trap13[],
    hx_trap14[], hx_trap15[], hx_trap16[], hx_trap17[], hx_trap18[], hx_trap19[], hx_trap20[],
    hx_trap21[], hx_irq[];
static char *const traps[NTRAPS] = {
    hx_trap0,  hx_trap1,  hx_trap2,  hx_trap3,  hx_trap4,  hx_trap5,  hx_trap6,  hx_trap7,
    hx_trap8,  hx_trap9,  hx_trap10, hx_trap11, hx_trap12, hx_trap13, hx_trap14, hx_trap15,
    hx_trap16, hx_trap17, hx_trap18, hx_trap19, hx_trap20, hx_trap21};

static uint8_t ist_stack[16384] __attribute__((aligned(16)));

static void set_gate(int vec, void *handler, int dpl)
{
    uint64_t *idt = (uint64_t *)(HX_KTEXT_BASE + HX_GPA_IDT);
    uint64_t h = (uint64_t)handler;
    idt[vec * 2] = (h & 0xffff) | ((uint64_t)HX_SEL_KCODE << 16) | (1ull << 32) /* IST1 */ |
                   (((uint64_t)X86_GATE_INTERRUPT | (uint64_t)dpl << 5) << 40) |
                   ((h >> 16 & 0xffff) << 48);
    idt[vec * 2 + 1] = h >> 32;
}

void trap_init(void)
{
    /* TSS: RSP0 and IST1 both point at the exception stack. */
    uint8_t *tss = (uint8_t *)(HX_KTEXT_BASE + HX_GPA_TSS);
    uint64_t top = (uint64_t)(ist_stack + sizeof(ist_stack));
    memcpy(tss + X86_TSS_RSP0, &top, 8);
    memcpy(tss + X86_TSS_IST1, &top, 8);
    uint16_t iomap = X86_TSS_SIZE; /* no I/O permission bitmap */
    memcpy(tss + X86_TSS_IOMAP_BASE, &iomap, 2);
    for (int v = 0; v < NTRAPS; v++)
        set_gate(v, traps[v],
                 v == X86_VEC_BP || v == X86_VEC_OF ? 3 : 0); /* int3 and into from CPL3 */
    set_gate(HX_IRQ_VECTOR, hx_irq, 0);
}

void tlb_flush(uint64_t va, uint64_t pages)
{
    kstats.cpl0[HX_CPL0_TLB]++;
    if (pages > 32)
        pages = 0;
    __asm__ volatile("call tlb_flush_cpl0" : "+D"(va), "+S"(pages) : : "rax", "memory");
}

/* Linux's signal for each exception vector. */
static int signal_of(uint64_t vector)
{
    switch (vector) {
    case X86_VEC_DE:
    case X86_VEC_MF:
    case X86_VEC_XM:
        return SIGFPE;
    case X86_VEC_DB:
    case X86_VEC_BP:
        return SIGTRAP;
    case X86_VEC_UD:
        return SIGILL;
    case X86_VEC_AC:
        return SIGBUS;
    default:
        return SIGSEGV; /* #PF, #GP, #SS, #NP, ... */
    }
}

/* Linux's si_code for a fault. */
static int32_t code_of(const struct hx_trap_frame *f, int sig)
{
    switch (sig) {
    case SIGSEGV:
        if (f->vector != X86_VEC_PF)
            return SI_KERNEL; /* #GP and the like */
        return (f->error & X86_PF_PROT) ? SEGV_ACCERR : SEGV_MAPERR;
    case SIGFPE:
        return FPE_INTDIV;
    case SIGILL:
        return ILL_ILLOPN;
    case SIGBUS:
        return BUS_ADRALN;
    default:
        return SI_KERNEL; /* int3 */
    }
}

extern char hx_fault_cpl3[];
extern uint64_t hx_kstack_cur;

/* Runs at CPL0: kept short, every instruction is emulated under PVM. The
 * monitor's interrupt in the program comes here too (vector HX_IRQ_VECTOR)
 * and goes on to CPL3 the same way; it is counted there. */
void hx_trap(struct hx_trap_frame *f)
{
    if (f->rip >= 0xffff800000000000ull) {
        /* The kernel itself faulted (it lives in the upper half): a bug in
         * hx, not in the program. A program that jumps past the stack,
         * to [HX_USER_TOP, 2^47), faults there at CPL3 like anywhere
         * unmapped: SIGSEGV, as on Linux. */
        HC(fatal, .signo = 0, .vector = f->vector, .error = f->error, .addr = f->cr2,
           .rip = f->rip);
        for (;;)
            ;
    }
    int sig = signal_of(f->vector);
    /* si_addr: the address for a page fault, the instruction for SIGFPE
     * and SIGILL, 0 for a general-protection fault (as Linux). */
    uint64_t addr = f->vector == X86_VEC_PF            ? f->cr2
                    : (sig == SIGFPE || sig == SIGILL) ? f->rip
                                                       : 0;
    {
        /* Save the program's state and continue at CPL3, where the fault is
         * looked at and its signal delivered at native speed
         * (kernel/fault.c). */
        struct hx_uregs *u = &hx_fault_regs;
        u->r15 = f->r15, u->r14 = f->r14, u->r13 = f->r13, u->r12 = f->r12;
        u->rbp = f->rbp, u->rbx = f->rbx, u->r11 = f->r11, u->r10 = f->r10;
        u->r9 = f->r9, u->r8 = f->r8, u->rax = f->rax, u->rcx = f->rcx;
        u->rdx = f->rdx, u->rsi = f->rsi, u->rdi = f->rdi;
        u->rip = f->rip, u->rflags = f->rflags, u->rsp = f->rsp;
        hx_fault_info =
            (struct hx_fault_info){sig, code_of(f, sig), addr, f->vector, f->error, f->cr2};
        f->rip = (uint64_t)hx_fault_cpl3;
        f->cs = HX_SEL_UCODE;
        f->ss = HX_SEL_UDATA;
        f->rsp = hx_kstack_cur;
        f->rflags = X86_EFLAGS_BASE; /* IF: CPL3 code could not set it again */
    }
}
