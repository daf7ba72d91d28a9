/* The floor: a bare syscall whose handler returns at once (jmp *%rcx), at
 * CPL3 in a VM built by floor.c. rdi = iterations; the final store exits. */
	.code64
	.globl _start
_start:
1:	syscall
	dec %rdi
	jnz 1b
	movq $0x3fe00000, %rbx
	movq %rax, (%rbx)
	.globl entry
entry:
	jmp *%rcx
