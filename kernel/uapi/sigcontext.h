/* Linux's x86-64 signal context: what a handler's frame holds
 * (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h). */
#ifndef HX_UAPI_SIGCONTEXT_H
#define HX_UAPI_SIGCONTEXT_H

#include "uapi/signal.h"

/* uc_flags */
#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4
/* The XSAVE area's software bytes (struct _fpx_sw_bytes) and its end. */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u

struct sigcontext64 {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
        eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2, fpstate, reserved1[8];
};
_Static_assert(sizeof(struct sigcontext64) == 256, "sigcontext layout");

struct kucontext {
    uint64_t flags, link;
    struct kaltstack stack;
    struct sigcontext64 mcontext;
    uint64_t sigmask;
};

#endif
