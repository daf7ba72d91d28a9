/*
 * tls: thread-local storage of the main thread.  A static binary sets up TLS
 * itself from PT_TLS (found via AT_PHDR) and installs the thread pointer with
 * arch_prctl(ARCH_SET_FS), so this checks the loader and that syscall.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

/* From asm/prctl.h, which musl does not ship. */
#define HX_ARCH_GET_FS 0x1003

static __thread int tls_init = 42;
static __thread char tls_str[16] = "thread-local";
static __thread long tls_zero;
static __thread _Alignas(64) unsigned char tls_aligned[64];

/* Kept out of line so the compiler must really load through the pointer
 * instead of folding the value it just stored. */
__attribute__((noinline)) static int load(volatile int *p)
{
    return *p;
}

/* True when p lies within 64 KiB of the thread pointer, on either side:
 * glibc keeps errno below it (variant II TLS), musl above it (in the TCB). */
static int near(uintptr_t tp, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return (a < tp ? tp - a : a - tp) < 65536;
}

int main(void)
{
    yes("initialized int is 42", tls_init == 42);
    yes("initialized string intact", strcmp(tls_str, "thread-local") == 0);
    yes("zero-initialized long is 0", tls_zero == 0);
    int all_zero = 1;
    for (size_t i = 0; i < sizeof(tls_aligned); i++)
        all_zero &= tls_aligned[i] == 0;
    yes("zero-initialized array is 0", all_zero);
    yes("64-byte aligned variable is aligned", (uintptr_t)tls_aligned % 64 == 0);
    yes("addresses distinct",
        (void *)&tls_init != (void *)tls_str && (void *)&tls_init != (void *)&tls_zero &&
            (void *)tls_str != (void *)&tls_zero && (void *)tls_aligned != (void *)&tls_zero);

    tls_init = 7;
    tls_zero = -1;
    strcpy(tls_str, "changed");
    yes("write to int visible", load(&tls_init) == 7);
    yes("write to long visible", tls_zero == -1);
    yes("write to string visible", strcmp(tls_str, "changed") == 0);

    /* x86-64 libcs keep a self pointer at %fs:0; it must equal the base
     * the kernel reports, or TLS was installed somewhere else. */
    uintptr_t self = 0, fsbase = 0;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
    long r = syscall(SYS_arch_prctl, HX_ARCH_GET_FS, &fsbase);
    yes("arch_prctl(ARCH_GET_FS) succeeds", r == 0);
    yes("%fs:0 equals ARCH_GET_FS base", r == 0 && self == fsbase);
    yes("pthread_self equals thread pointer", (uintptr_t)pthread_self() == self);
    yes("TLS int just below thread pointer", (uintptr_t)&tls_init < self && near(self, &tls_init));

    errno = 0;
    int cr = close(-1);
    yes("close(-1) fails with EBADF via errno", cr == -1 && errno == EBADF);
    errno = 0;
    yes("errno writable and reads back", errno == 0);
    yes("errno near thread pointer", near(self, &errno));
    return 0;
}
