/* The guest kernel, embedded so that one hxrun file runs anywhere. */
	.section .rodata
	.balign 4096
	.globl hx_kernel_blob
hx_kernel_blob:
	.incbin HX_KERNEL_ELF
	.globl hx_kernel_blob_end
hx_kernel_blob_end:
	.section .note.GNU-stack, "", @progbits
