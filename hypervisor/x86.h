/* The x86-64 architectural values the monitor programs into the vCPU and
 * the page tables it builds (Intel SDM vol. 3, AMD APM vol. 2), named once so
 * that the machine setup reads as the list of features it turns on. */
#ifndef HX_HYPERVISOR_X86_H
#define HX_HYPERVISOR_X86_H

/* CR0 */
#define X86_CR0_PE (1ull << 0)  /* protected mode */
#define X86_CR0_MP (1ull << 1)  /* WAIT/FWAIT honour TS */
#define X86_CR0_ET (1ull << 4)  /* x87 present (fixed to 1) */
#define X86_CR0_NE (1ull << 5)  /* x87 errors as #MF, not IRQ 13 */
#define X86_CR0_WP (1ull << 16) /* read-only pages are read-only at CPL0 too */
#define X86_CR0_PG (1ull << 31) /* paging */

/* CR4 */
#define X86_CR4_PAE (1ull << 5)         /* required by long mode */
#define X86_CR4_OSFXSR (1ull << 9)      /* FXSAVE/FXRSTOR and SSE */
#define X86_CR4_OSXMMEXCPT (1ull << 10) /* SSE exceptions as #XM */
#define X86_CR4_FSGSBASE (1ull << 16)   /* rd/wrfsbase at CPL3 */
#define X86_CR4_OSXSAVE (1ull << 18)    /* XSAVE and XCR0 (AVX, AVX-512) */

/* EFER (MSR 0xc0000080) */
#define X86_EFER_SCE (1ull << 0)  /* syscall/sysret */
#define X86_EFER_LME (1ull << 8)  /* long mode enable */
#define X86_EFER_LMA (1ull << 10) /* long mode active */
#define X86_EFER_NXE (1ull << 11) /* no-execute page bit */

/* RFLAGS */
#define X86_RFLAGS_FIXED (1ull << 1) /* reserved, always 1 */
#define X86_RFLAGS_TF (1ull << 8)
#define X86_RFLAGS_IF (1ull << 9)
#define X86_RFLAGS_DF (1ull << 10)
#define X86_RFLAGS_AC (1ull << 18)

/* XCR0 components */
#define X86_XCR0_X87 (1ull << 0)
#define X86_XCR0_SSE (1ull << 1)
#define X86_XCR0_AVX (1ull << 2)
#define X86_XCR0_OPMASK (1ull << 5)    /* AVX-512 k0-k7 */
#define X86_XCR0_ZMM_HI256 (1ull << 6) /* AVX-512 upper halves of zmm0-15 */
#define X86_XCR0_HI16_ZMM (1ull << 7)  /* AVX-512 zmm16-31 */
/* The legacy XSAVE area and the XSAVE header: where component 2 may start. */
#define X86_XSAVE_LEGACY_SIZE 576

/* CPUID leaf 7, subleaf 0, ECX */
#define X86_CPUID7_ECX_PKU (1u << 3)
#define X86_CPUID7_ECX_OSPKE (1u << 4)

/* MSRs */
#define X86_MSR_TSC 0x10
#define X86_MSR_PAT 0x277
#define X86_MSR_MTRR_DEF_TYPE 0x2ff
#define X86_MSR_STAR 0xc0000081
#define X86_MSR_LSTAR 0xc0000082
#define X86_MSR_FMASK 0xc0000084
/* MTRRs enabled, default memory type write-back. */
#define X86_MTRR_DEF_ENABLE (1ull << 11)
#define X86_MTRR_TYPE_WB 6ull
/* PAT's power-on value: WB, WT, UC-, UC in PAT0-3 and again in PAT4-7. */
#define X86_PAT_DEFAULT 0x0007040600070406ull

/* Page-table entry bits */
#define X86_PTE_P (1ull << 0)
#define X86_PTE_W (1ull << 1)
#define X86_PTE_U (1ull << 2)
#define X86_PTE_PWT (1ull << 3)
#define X86_PTE_PCD (1ull << 4)
#define X86_PTE_PS (1ull << 7) /* a 2 MiB page in a page directory */
#define X86_PTE_ADDR 0x000ffffffffff000ull

#endif
