/*
 * segv: bad memory accesses must kill the process with SIGSEGV (status 139
 * in the shell), after output written so far has reached stdout.  argv[1]
 * picks the access:
 *   null     write through a null pointer (default)
 *   high     read of an unmapped but canonical high address
 *   noncanon read of a non-canonical address (#GP rather than #PF)
 *   rodata   write to the page holding a string literal
 *   text     write to our own code
 *   nx       call into a non-executable buffer on the stack
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Hide where p came from, so the compiler cannot prove the access invalid
 * and replace it with a trap instruction of its own. */
#define LAUNDER(p) __asm__ volatile("" : "+r"(p))

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "null";
	printf("about to fault: %s\n", mode);
	fflush(stdout);

	if (strcmp(mode, "null") == 0) {
		volatile int *p = NULL;
		LAUNDER(p);
		*p = 1;
	} else if (strcmp(mode, "high") == 0) {
		/* 16 TiB: far above a static binary's heap and far below
		 * where Linux puts mmap regions and the stack. */
		volatile char *p = (volatile char *)(uintptr_t)0x100000000000ULL;
		LAUNDER(p);
		printf("read %d\n", *p);
	} else if (strcmp(mode, "noncanon") == 0) {
		volatile char *p = (volatile char *)(uintptr_t)0x8000000000000000ULL;
		LAUNDER(p);
		printf("read %d\n", *p);
	} else if (strcmp(mode, "rodata") == 0) {
		volatile char *p = (volatile char *)"read-only literal";
		LAUNDER(p);
		*p = 'R';
	} else if (strcmp(mode, "text") == 0) {
		volatile unsigned char *p = (volatile unsigned char *)main;
		LAUNDER(p);
		*p = 0xc3;
	} else if (strcmp(mode, "nx") == 0) {
		/* A single ret: if the stack were executable this returns. */
		unsigned char code[16] = { 0xc3 };
		void (*fn)(void) = (void (*)(void))(uintptr_t)code;
		LAUNDER(fn);
		fn();
	} else {
		printf("unknown mode\n");
		return 2;
	}
	printf("survived: %s\n", mode);
	return 1;
}
