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
 *   mprotect write to a page just made read-only (after writing it: the
 *            old writable translation may be cached in the TLB)
 *   munmap   read of a page just unmapped (after using it)
 *   split    write to one read-only 4 KiB page inside a used 4 MiB mapping
 *   brk      write to heap memory just given back with sbrk
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
        unsigned char code[16] = {0xc3};
        void (*fn)(void) = (void (*)(void))(uintptr_t)code;
        LAUNDER(fn);
        fn();
    } else if (strcmp(mode, "mprotect") == 0) {
        volatile char *p =
            mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 1;
        mprotect((void *)p, 8192, PROT_READ);
        printf("read back %d\n", p[0]);
        fflush(stdout);
        p[0] = 2;
    } else if (strcmp(mode, "munmap") == 0) {
        volatile char *p =
            mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[4096] = 1;
        munmap((void *)p, 8192);
        printf("read %d\n", p[4096]);
    } else if (strcmp(mode, "split") == 0) {
        size_t len = 4 << 20;
        volatile char *p =
            mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (size_t i = 0; i < len; i += 4096)
            p[i] = 1;
        mprotect((void *)(p + (3 << 20)), 4096, PROT_READ);
        p[(3 << 20) + 4096] = 3; /* the neighbour stays writable */
        printf("neighbour %d\n", p[(3 << 20) + 4096]);
        fflush(stdout);
        p[(3 << 20) + 8] = 2;
    } else if (strcmp(mode, "brk") == 0) {
        volatile char *p = sbrk(65536);
        p[65536 - 1] = 1;
        sbrk(-65536);
        printf("shrunk\n");
        fflush(stdout);
        p[65536 - 1] = 2;
    } else {
        printf("unknown mode\n");
        return 2;
    }
    printf("survived: %s\n", mode);
    return 1;
}
