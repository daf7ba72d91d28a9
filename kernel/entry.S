/* Kernel entry points: boot (from the monitor, at CPL3), the syscall
 * instruction (LSTAR), exceptions (IDT, CPL0), and the CPL0 TLB-flush gate.
 * Everything but the exception and TLB paths runs at CPL3 (DESIGN.md s. 3). */
#include "hx/abi.h"
#include "entry.h"
#include "x86.h"

	.section .hxhdr, "a"
	.long HX_KERNEL_MAGIC, HX_ABI_VERSION
	.quad hx_boot_entry
	.quad hx_fastcall_entry
	.quad hx_syscall_entry

	.text
/* rdi = boot info. */
	.globl hx_boot_entry
hx_boot_entry:
	lea hx_kstack_top(%rip), %rsp
	call hx_kmain
	ud2

/* hx_enter_user(entry, sp): the Linux process entry state, all registers
 * zero but rsp, default x87 and SSE control words. */
	.globl hx_enter_user
hx_enter_user:
	mov %rdi, %rcx
	mov %rsi, %rsp
	fninit
	push $X86_MXCSR_DEFAULT
	ldmxcsr (%rsp)
	pop %rax
	push $X86_EFLAGS_BASE
	popfq
	xor %eax, %eax
	xor %ebx, %ebx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	jmp *%rcx

/* The syscall instruction lands here, at CPL3 on PVM and at CPL0 on
 * hardware KVM: the code is the same, only the way back differs. The
 * program's stack is never written (the red zone is the program's). The
 * frame is struct hx_regs (kernel/sched.h), on the kernel stack of the
 * thread that made the call. IF stays set (FMASK leaves it): an interrupt
 * that lands in kernel code only sets hx_irq_pending (see hx_irq). */
	.globl hx_syscall_entry
hx_syscall_entry:
	mov %rsp, hx_user_rsp(%rip)
	mov hx_kstack_cur(%rip), %rsp
	pushq hx_user_rsp(%rip)	/* rsp */
	push %r11		/* user rflags */
	push %rcx		/* user rip */
	pushq $0		/* entered by the syscall instruction */
	push %rax		/* syscall number */
	jmp syscall_regs

/* The rest of struct hx_regs: the registers a system call preserves
 * (rcx and r11 are not among them). */
	.macro save_regs
	push %rdi
	push %rsi
	push %rdx
	push %r10
	push %r8
	push %r9
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	.endm
	.macro restore_regs
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	pop %r9
	pop %r8
	pop %r10
	pop %rdx
	pop %rsi
	pop %rdi
	.endm

/* DF, TF, AC: flags the kernel must not run with; a fastcall made with
 * one of them set takes the slow way in and out (popfq both ways). */
#define ODD_FLAGS X86_EFLAGS_ODD

/* Back from a fastcall: the program's rflags and its rsp, pointing at the
 * return address the trampoline's call pushed, are at the top of the stack.
 * `ret` (not `jmp`) keeps the CPU's return predictions in step with the
 * call; the arithmetic flags come back with sahf and an add that sets OF
 * as it was, because popfq alone costs more than the rest of a fastcall.
 * rcx and r11 end as after sysret: the return address and the rflags. */
	.macro fastcall_return
	pop %r11		/* rflags */
	mov %rax, %rcx
	mov %r11d, %eax
	mov %al, %ah		/* SF ZF AF PF CF, for sahf */
	bt $X86_EFLAGS_OF_BIT, %r11d	/* OF */
	setc %al
	add $0x7f, %al		/* overflows exactly when OF was set */
	sahf
	mov %rcx, %rax
	pop %rsp
	mov (%rsp), %rcx
	ret
	.endm

/* The program's rflags and rsp (at the return address), as the fastcall
 * entry saves them first, become the first five words of the frame;
 * r11 holds the number. */
	.macro quick_to_frame
	pop %rcx		/* rflags */
	addq $8, (%rsp)		/* rsp after the return */
	push %rcx
	mov 8(%rsp), %rcx
	pushq -8(%rcx)		/* rip: the return address */
	pushq $1		/* entered by a fastcall */
	push %r11		/* number */
	.endm

/* A rewritten site's `call *HX_FASTCALL_SLOT` lands here, always at CPL3:
 * [rsp] is the return address into its trampoline, which has already moved
 * rsp past the red zone. A leaf system call (syscalls.h: LEAF_SYSCALL)
 * keeps every register but rax: it is called with no more than the
 * program's rsp and rflags saved, and returns straight to the
 * program unless an interrupt came meanwhile. Anything else builds the
 * frame a syscall builds. */
	.globl hx_fastcall_entry
hx_fastcall_entry:
	mov %rsp, %rcx
	mov hx_kstack_cur(%rip), %rsp
	push %rcx		/* the program's rsp, at the return address */
	pushfq			/* first: the checks below change the flags */
	testl $ODD_FLAGS, (%rsp)
	jnz 3f
	cmp $HX_LEAF_MAX, %rax
	jae 3f
	cmpq $0, hx_leaf_table(,%rax,8)
	je 3f
	mov %rax, %r11		/* the number, which the leaf keeps */
	mov %r10, %rcx
	call *hx_leaf_table(,%rax,8)
	incq kstats+HX_STATS_FASTCALLS(%rip)
	cmpb $0, hx_irq_pending(%rip)
	jne 1f
	fastcall_return
	/* An interrupt to act on first: the whole frame, then the end of a
	 * system call (which may switch threads or enter a handler). */
1:	quick_to_frame
	save_regs
	mov %rsp, %rdi
	mov %rax, %rsi
	call hx_syscall_exit
	jmp syscall_return
	/* Not a leaf: the whole frame and the dispatcher. The kernel runs
	 * without DF, TF and AC; the frame keeps them for the way back. */
3:	mov %rax, %r11
	quick_to_frame
	testl $ODD_FLAGS, F_RFLAGS-F_NR(%rsp)	/* rflags */
	jz syscall_regs
	mov F_RFLAGS-F_NR(%rsp), %r11
	and $~ODD_FLAGS, %r11
	push %r11
	popfq

syscall_regs:
	save_regs
	mov %rsp, %rdi
	call hx_syscall
syscall_return:
	/* A fastcall returning where it was called from, with ordinary
	 * flags: the quick way back. rcx and r11 are free until the end. */
	cmpq $0, F_FAST(%rsp)
	je 2f
	mov F_RSP(%rsp), %rcx
	mov F_RIP(%rsp), %r11
	cmp -8(%rcx), %r11
	jne 2f
	testl $ODD_FLAGS, F_RFLAGS(%rsp)
	jnz 2f
	restore_regs
	add $F_RFLAGS-F_NR, %rsp	/* number, entry kind, rip */
	subq $8, 8(%rsp)	/* rsp at the return address */
	fastcall_return
2:	restore_regs
	add $F_RIP-F_NR, %rsp	/* number, entry kind */
	mov %cs, %ecx
	test $3, %cl
	pop %rcx		/* rip */
	pop %r11		/* rflags */
	jz 1f
	push %r11
	popfq
	pop %rsp
	jmp *%rcx
1:	pop %rsp
	sysretq

/* hx_resume(struct hx_uregs *r): returns to the program with every
 * register as r holds it (a signal handler's entry, rt_sigreturn). No
 * register is free for the jump, so the target goes through a variable;
 * the program's stack is never touched. */
	.globl hx_resume
hx_resume:
	mov %cs, %eax
	test $3, %al
	jz 1f
	mov U_RIP(%rdi), %rax
	mov %rax, hx_resume_rip(%rip)
	mov U_RFLAGS(%rdi), %rax
	mov %rax, hx_resume_flags(%rip)
	mov U_RSP(%rdi), %rax
	mov %rax, hx_resume_rsp(%rip)
	mov U_R15(%rdi), %r15
	mov U_R14(%rdi), %r14
	mov U_R13(%rdi), %r13
	mov U_R12(%rdi), %r12
	mov U_RBP(%rdi), %rbp
	mov U_RBX(%rdi), %rbx
	mov U_R11(%rdi), %r11
	mov U_R10(%rdi), %r10
	mov U_R9(%rdi), %r9
	mov U_R8(%rdi), %r8
	mov U_RAX(%rdi), %rax
	mov U_RCX(%rdi), %rcx
	mov U_RDX(%rdi), %rdx
	mov U_RSI(%rdi), %rsi
	mov U_RDI(%rdi), %rdi
	pushq hx_resume_flags(%rip)
	popfq
	mov hx_resume_rsp(%rip), %rsp
	jmp *hx_resume_rip(%rip)
	/* At CPL0 (hardware KVM's syscall entry): iretq to CPL3. */
1:	pushq $HX_SEL_UDATA
	pushq U_RSP(%rdi)	/* rsp */
	pushq U_RFLAGS(%rdi)	/* rflags */
	pushq $HX_SEL_UCODE
	pushq U_RIP(%rdi)	/* rip */
	mov U_R15(%rdi), %r15
	mov U_R14(%rdi), %r14
	mov U_R13(%rdi), %r13
	mov U_R12(%rdi), %r12
	mov U_RBP(%rdi), %rbp
	mov U_RBX(%rdi), %rbx
	mov U_R11(%rdi), %r11
	mov U_R10(%rdi), %r10
	mov U_R9(%rdi), %r9
	mov U_R8(%rdi), %r8
	mov U_RAX(%rdi), %rax
	mov U_RCX(%rdi), %rcx
	mov U_RDX(%rdi), %rdx
	mov U_RSI(%rdi), %rsi
	mov U_RDI(%rdi), %rdi
	iretq

/* A fault or interrupt in the program: the CPL0 handler saved the
 * registers in hx_fault_regs and iretq'd here, at CPL3 on the kernel stack
 * of the thread that was running. */
	.globl hx_fault_cpl3
hx_fault_cpl3:
	mov hx_kstack_cur(%rip), %rsp
	call hx_deliver_fault
	ud2

/* hx_switch(uint64_t *save_sp, uint64_t sp): thread switch, at CPL3. The
 * callee-saved registers go on the old kernel stack; the new one holds
 * what an earlier hx_switch saved (or what thread_new prepared). */
	.globl hx_switch
hx_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/* A new thread's first switch returns here. */
	.globl hx_thread_start
hx_thread_start:
	and $-16, %rsp
	call thread_first_run
	ud2

/* The monitor's interrupt (HX_IRQ_VECTOR): a timer deadline passed or a
 * host signal arrived. In kernel code (which runs at CPL3 too, but in the
 * upper half) it only leaves a note for the next return to the program;
 * in the program it is handled at CPL3 like a fault. */
	.globl hx_irq
hx_irq:
	btq $63, (%rsp)		/* rip in the upper half: the kernel */
	jnc 1f
	movb $1, hx_irq_pending(%rip)
	iretq
1:	pushq $0
	pushq $HX_IRQ_VECTOR
	jmp trap_common

/* Exceptions: a common frame (struct hx_trap_frame), then C at CPL0. */
	.macro trap_noerr vec
	.globl hx_trap\vec
hx_trap\vec:
	pushq $0
	pushq $\vec
	jmp trap_common
	.endm
	.macro trap_err vec
	.globl hx_trap\vec
hx_trap\vec:
	pushq $\vec
	jmp trap_common
	.endm
	trap_noerr 0
	trap_noerr 1
	trap_noerr 2
	trap_noerr 3
	trap_noerr 4
	trap_noerr 5
/* #UD: the kernel's deliberate ud2 in tlb_flush is how CPL3 code asks for
 * a TLB flush (PVM answers `int n` with #UD, so a software-interrupt gate
 * cannot be used). rdi = first page, rsi = page count (0: all). Kept to a
 * few instructions: each costs ~0.7 us at CPL0 under PVM. */
	.globl hx_trap6
hx_trap6:
	cmpq $hx_tlb_ud2, (%rsp)
	jne 3f
	addq $2, (%rsp)
	test %rsi, %rsi
	jz 2f
1:	invlpg (%rdi)
	add $4096, %rdi
	dec %rsi
	jnz 1b
	iretq
2:	mov %cr3, %rax
	mov %rax, %cr3
	iretq
3:	pushq $0
	pushq $X86_VEC_UD
	jmp trap_common
	trap_noerr 7
	trap_err 8
	trap_noerr 9
	trap_err 10
	trap_err 11
	trap_err 12
	trap_err 13
	trap_err 14
	trap_noerr 15
	trap_noerr 16
	trap_err 17
	trap_noerr 18
	trap_noerr 19
	trap_noerr 20
	trap_err 21
trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %cr2, %rax
	push %rax
	mov %rsp, %rdi
	call hx_trap
	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp		/* vector, error code */
	iretq

/* tlb_flush(va, pages): see hx_trap6. */
	.globl tlb_flush_cpl0
tlb_flush_cpl0:
	.globl hx_tlb_ud2
hx_tlb_ud2:
	ud2
	ret

	.data
/* The top of the running thread's kernel stack. */
	.globl hx_kstack_cur
hx_kstack_cur:
	.quad hx_kstack_top

	.bss
	.balign 4096
/* The first thread's kernel stack (boot, then its system calls). */
	.skip 65536
	.globl hx_kstack_top
hx_kstack_top:
/* The program's rsp between the syscall instruction and the frame. */
hx_user_rsp:
	.skip 8
/* hx_resume's targets: no register is free for them. */
hx_resume_rip:
	.skip 8
hx_resume_flags:
	.skip 8
hx_resume_rsp:
	.skip 8
	.globl hx_irq_pending
hx_irq_pending:
	.skip 8

	.section .note.GNU-stack, "", @progbits
