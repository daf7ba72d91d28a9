/* ns per getppid() system call, measured by the program itself, so the
 * same binary runs natively and under hxrun. With "call" as the second
 * argument it measures a plain function call that returns the same kind
 * of value instead: the floor a fastcall is compared with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long raw_getppid(void)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(110L) : "rcx", "r11", "memory");
    return r;
}

static long parent = 1;

/* What a getppid without a kernel would be: a call that loads a value. */
__attribute__((noipa)) static long plain_getppid(void)
{
    return parent;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    int call = argc > 2 && !strcmp(argv[2], "call");
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (call)
        for (long i = 0; i < n; i++) {
            plain_getppid();
            __asm__ volatile("" ::: "memory");
        }
    else
        for (long i = 0; i < n; i++)
            raw_getppid();
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
    return 0;
}
