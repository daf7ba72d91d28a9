/* Constants kernel/entry.S shares with the kernel's C code. */
#ifndef HX_ENTRY_H
#define HX_ENTRY_H

/* The fastcall entry's table of leaf system calls (syscalls/dispatch.c)
 * covers the numbers below this. */
#define HX_LEAF_MAX 512

/* Where struct hx_stats keeps its fastcall count: the entry counts leaf
 * fastcalls there itself. */
#define HX_STATS_FASTCALLS 32

#endif
