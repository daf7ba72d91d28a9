/* The CPL3 half of a fault (or of the monitor's interrupt) in the program:
 * the CPL0 handler (trap.c) saved the state and came here, where the fault
 * is looked at at native speed: a stale TLB entry is flushed and retried,
 * a shared file mapping that grew is mapped, and anything else becomes its
 * signal, to the program's handler or its default action. */
#include "mm.h"
#include "signal.h"
#include "x86.h"

/* The fault being delivered, saved by the CPL0 handler (kernel/trap.c). */
struct hx_uregs hx_fault_regs;
struct hx_fault_info hx_fault_info;

static int (*file_fault)(uint64_t addr);

void mm_set_file_fault(int (*fn)(uint64_t addr))
{
    file_fault = fn;
}

void hx_deliver_fault(void)
{
    /* Ours: another thread's fault may reuse the global once we switch. */
    struct hx_uregs regs = hx_fault_regs;
    struct hx_fault_info *fi = &hx_fault_info;
    if (fi->vector == HX_IRQ_VECTOR) {
        kstats.cpl0[HX_CPL0_IRQ]++;
        irq_process();
        signal_resume(&regs);
    }
    kstats.cpl0[HX_CPL0_FAULT]++;
    /* The page tables allow the access: a stale TLB entry from before a
     * permission upgrade (those are not flushed). Flush it and retry, once
     * per place: a fault that comes back is real. */
    static uint64_t retried_rip, retried_addr;
    int pf = fi->vector == X86_VEC_PF;
    int again = pf && regs.rip == retried_rip && fi->addr == retried_addr;
    retried_rip = retried_addr = 0;
    if (pf && !again && !(fi->error & X86_PF_RSVD) &&
        user_ok((void *)fi->addr, 1, (fi->error & X86_PF_WRITE) != 0) &&
        (!(fi->error & X86_PF_INSTR) ||
         (mm_find(fi->addr) && (mm_find(fi->addr)->prot & HX_PROT_X)))) {
        retried_rip = regs.rip;
        retried_addr = fi->addr;
        tlb_flush(fi->addr & ~(PAGE_SIZE - 1), 1);
        hx_resume(&regs);
    }
    if (pf) {
        int r = file_fault ? file_fault(fi->addr) : -1;
        if (r == 1)
            hx_resume(&regs); /* the file grew: its page is mapped now */
        /* A page the mapping allows but does not have is past the end of
         * a mapped file (anonymous memory is mapped eagerly). */
        const struct vma *v = mm_find(fi->addr);
        uint32_t need = (fi->error & X86_PF_WRITE) ? HX_PROT_W : HX_PROT_R;
        if (r == 0 || (r < 0 && v && !(v->flags & VMA_ANON) && (v->prot & need) &&
                       !(fi->error & X86_PF_PROT))) {
            fi->signo = SIGBUS; /* past the end of a mapped file */
            fi->code = BUS_ADRERR;
        } else {
            /* A mapping that forbids the access (PROT_NONE pages are not
             * present here) is SEGV_ACCERR; no mapping is SEGV_MAPERR. */
            fi->code = v ? SEGV_ACCERR : SEGV_MAPERR;
        }
    }
    if (!signal_handles_fault(fi->signo)) {
        /* The default action: the program ends as Linux ends it. */
        HC(fatal, .signo = fi->signo, .vector = fi->vector, .error = fi->error, .addr = fi->addr,
           .rip = regs.rip, .stats = (boot->flags & HX_BOOT_STATS) ? (uint64_t)&kstats : 0);
        for (;;)
            ;
    }
    struct hx_fault_info fault = *fi;
    signal_enter_fault(&regs, &fault);
}
