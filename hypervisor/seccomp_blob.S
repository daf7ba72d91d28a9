/* The monitor's seccomp allowlist, compiled to BPF at build time
 * (seccomp_gen.c): struct sock_filter[], 8 bytes an instruction. */
	.section .rodata
	.balign 8
	.globl hx_seccomp_blob
hx_seccomp_blob:
	.incbin HX_SECCOMP_BPF
	.globl hx_seccomp_blob_end
hx_seccomp_blob_end:
	.section .note.GNU-stack, "", @progbits
