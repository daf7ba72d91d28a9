/* Constants kernel/entry.S shares with the kernel's C code. */
#ifndef HX_ENTRY_H
#define HX_ENTRY_H

/* The fastcall entry's table of leaf system calls (syscalls/dispatch.c)
 * covers the numbers below this. */
#define HX_LEAF_MAX 512

/* Where struct hx_stats keeps its fastcall count: the entry counts leaf
 * fastcalls there itself. */
#define HX_STATS_FASTCALLS 32

/* Offsets in struct hx_regs (kernel/sched.h), the system-call frame,
 * checked there. */
#define F_NR 96
#define F_FAST 104
#define F_RIP 112
#define F_RFLAGS 120
#define F_RSP 128

/* Offsets in struct hx_uregs (kernel/kernel.h), which hx_resume reads,
 * checked there. */
#define U_R15 0
#define U_R14 8
#define U_R13 16
#define U_R12 24
#define U_RBP 32
#define U_RBX 40
#define U_R11 48
#define U_R10 56
#define U_R9 64
#define U_R8 72
#define U_RAX 80
#define U_RCX 88
#define U_RDX 96
#define U_RSI 104
#define U_RDI 112
#define U_RIP 128
#define U_RFLAGS 136
#define U_RSP 144

#endif
