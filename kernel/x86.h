/* x86-64 architecture constants the kernel shares with kernel/entry.S
 * (only #defines: the assembler includes it too). */
#ifndef HX_X86_H
#define HX_X86_H

/* Exception vectors (Intel SDM vol. 3, table 6-1). */
#define X86_VEC_DE 0  /* divide error */
#define X86_VEC_DB 1  /* debug */
#define X86_VEC_BP 3  /* int3 */
#define X86_VEC_OF 4  /* into */
#define X86_VEC_UD 6  /* invalid opcode */
#define X86_VEC_GP 13 /* general protection */
#define X86_VEC_PF 14 /* page fault */
#define X86_VEC_MF 16 /* x87 floating point */
#define X86_VEC_AC 17 /* alignment check */
#define X86_VEC_XM 19 /* SIMD floating point */
/* The vectors with an IDT gate here: 0..21. */
#define X86_NVEC_EXCEPTIONS 22

/* Page-fault error code bits. */
#define X86_PF_PROT 1   /* the page was present: a protection fault */
#define X86_PF_WRITE 2  /* a write */
#define X86_PF_RSVD 8   /* a reserved bit was set in a paging entry */
#define X86_PF_INSTR 16 /* an instruction fetch */

/* The 64-bit TSS (Intel SDM vol. 3, figure 8-11): where RSP0 and IST1
 * are, where the I/O-permission-bitmap offset is, and its size (an offset
 * that large means no bitmap). */
#define X86_TSS_RSP0 4
#define X86_TSS_IST1 36
#define X86_TSS_IOMAP_BASE 102
#define X86_TSS_SIZE 104

/* An IDT gate's type byte: present, 64-bit interrupt gate (DPL added). */
#define X86_GATE_INTERRUPT 0x8e

/* rflags bits. */
#define X86_EFLAGS_CF 0x1
#define X86_EFLAGS_PF 0x4
#define X86_EFLAGS_AF 0x10
#define X86_EFLAGS_ZF 0x40
#define X86_EFLAGS_SF 0x80
#define X86_EFLAGS_TF 0x100
#define X86_EFLAGS_IF 0x200
#define X86_EFLAGS_DF 0x400
#define X86_EFLAGS_OF 0x800
#define X86_EFLAGS_OF_BIT 11
#define X86_EFLAGS_RF 0x10000
#define X86_EFLAGS_AC 0x40000
/* The flags the kernel must not run with and a signal handler starts
 * without (Linux clears them too): DF, TF, AC. */
#define X86_EFLAGS_ODD 0x40500
/* The flags a program may set through rt_sigreturn (Linux's FIX_EFLAGS):
 * CF PF AF ZF SF TF DF OF AC RF. */
#define X86_EFLAGS_USER 0x50dd5
/* What a program starts and resumes with when nothing else is set: IF, and
 * bit 1 (always 1). */
#define X86_EFLAGS_BASE 0x202

/* MXCSR at a process's start: every SSE exception masked. */
#define X86_MXCSR_DEFAULT 0x1f80

/* The XSAVE area: the legacy FXSAVE region (512 bytes) with the software
 * bytes Linux's signal frame keeps at its offset 464, then the 64-byte
 * XSAVE header. */
#define X86_FXSAVE_SW_BYTES 464
#define X86_XSAVE_HDR_END 576

/* Page-table entry bits (Intel SDM vol. 3, 4.5). Only C uses them: the
 * assembler does not take the ull suffix. Bits 9-11 are the software's own
 * (kernel/mm.c uses them). */
#define X86_PTE_P 0x1ull
#define X86_PTE_W 0x2ull
#define X86_PTE_U 0x4ull
#define X86_PTE_A 0x20ull
#define X86_PTE_PS 0x80ull /* in a PDE: a 2 MiB page */
#define X86_PTE_NX (1ull << 63)
#define X86_PTE_ADDR 0x000ffffffffff000ull
/* A 2 MiB page (one PDE with X86_PTE_PS). */
#define X86_HUGE_PAGE_SIZE (2ull << 20)

#endif
