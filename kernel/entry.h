/* Constants kernel/entry.S shares with the kernel's C code. */
#ifndef HX_ENTRY_H
#define HX_ENTRY_H

/* The fastcall entry's table of leaf system calls (syscalls/dispatch.c)
 * covers the numbers below this. */
#define HX_LEAF_MAX 512

/* Where struct hx_stats keeps its fastcall count: the entry counts leaf
 * fastcalls there itself. */
#define HX_STATS_FASTCALLS 32

/* Offsets in struct hx_regs (kernel/sched.h), the system-call frame. */
#define F_FAST 104
#define F_RIP 112
#define F_RFLAGS 120
#define F_RSP 128

#endif
