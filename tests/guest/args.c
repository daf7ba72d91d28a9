/*
 * args: what the loader hands a new process -- argv, envp, the auxiliary
 * vector and the initial stack layout.  Prints derived facts only, never raw
 * addresses, so two runs of the same binary print the same thing.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "check.h"

extern char **environ;
/* Provided by the linker: our own ELF header, so AT_PHDR/AT_PHNUM can be
 * checked against what the binary really contains. */
extern const ElfW(Ehdr) __ehdr_start;
/* The libc entry point; AT_ENTRY must name it. */
extern char _start[];

int main(int argc, char **argv, char **envp)
{
    /* Read before anything else so no call of ours disturbs the frame. */
    uintptr_t frame = (uintptr_t)__builtin_frame_address(0);

    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]: \"%s\"\n", i, argv[i]);
    yes("argv[argc] is NULL", argv[argc] == NULL);

    int envc = 0;
    for (char **e = envp; *e; e++, envc++)
        printf("env: %s\n", *e);
    printf("envc: %d\n", envc);
    yes("envp == environ", envp == environ);
    /* The ABI stack layout is argc, argv..., NULL, envp..., NULL, auxv. */
    yes("envp directly follows argv", envp == argv + argc + 1);
    yes("initial stack pointer 16-byte aligned", ((uintptr_t)argv - sizeof(long)) % 16 == 0);
    /* With a frame pointer, rbp == entry rsp - 8, and the ABI requires
     * entry rsp + 8 to be 16-byte aligned. */
    yes("stack 16-byte aligned at main", frame % 16 == 0);

    /* Walk the auxv that follows envp and compare with getauxval, which
     * proves libc found the vector where the loader put it. */
    ElfW(auxv_t) *auxv = (ElfW(auxv_t) *)(envp + envc + 1);
    int n = 0, pagesz_matches = 0;
    while (n < 64 && auxv[n].a_type != AT_NULL) {
        if (auxv[n].a_type == AT_PAGESZ)
            pagesz_matches = auxv[n].a_un.a_val == getauxval(AT_PAGESZ);
        n++;
    }
    yes("auxv terminated by AT_NULL within 64 entries", n < 64);
    yes("auxv after envp agrees with getauxval", pagesz_matches);

    printf("AT_PAGESZ: %lu\n", getauxval(AT_PAGESZ));
    yes("sysconf(_SC_PAGESIZE) == AT_PAGESZ",
        (unsigned long)sysconf(_SC_PAGESIZE) == getauxval(AT_PAGESZ));
    printf("AT_PHENT: %lu\n", getauxval(AT_PHENT));
    yes("AT_PHNUM > 0", getauxval(AT_PHNUM) > 0);
    yes("AT_PHNUM matches ELF header", getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
    /* Static libcs find PT_TLS through AT_PHDR, so it must be exact. */
    yes("AT_PHDR matches ELF header",
        getauxval(AT_PHDR) == (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff);
    yes("AT_ENTRY nonzero", getauxval(AT_ENTRY) != 0);
    yes("AT_ENTRY is _start", getauxval(AT_ENTRY) == (uintptr_t)_start);
    /* The interpreter's base: 0 for a static program; randomised natively
     * for a dynamic one, so only its shape is compared. */
    unsigned long base = getauxval(AT_BASE);
    printf("AT_BASE: %s\n", !base ? "0" : base % 4096 ? "unaligned" : "page-aligned");

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    yes("AT_RANDOM non-null", rnd != NULL);
    if (rnd) {
        /* Touching all 16 bytes faults if the pointer is bogus. */
        unsigned char copy[16];
        memcpy(copy, rnd, sizeof(copy));
        yes("AT_RANDOM readable", 1);
    }

    yes("AT_UID == getuid()", getauxval(AT_UID) == getuid());
    yes("AT_EUID == geteuid()", getauxval(AT_EUID) == geteuid());
    yes("AT_GID == getgid()", getauxval(AT_GID) == getgid());
    yes("AT_EGID == getegid()", getauxval(AT_EGID) == getegid());
    printf("AT_SECURE: %lu\n", getauxval(AT_SECURE));
    printf("AT_CLKTCK: %lu\n", getauxval(AT_CLKTCK));

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    yes("AT_EXECFN non-null", execfn != NULL);
    yes("AT_EXECFN equals argv[0]", execfn && argc > 0 && strcmp(execfn, argv[0]) == 0);

    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("AT_PLATFORM: %s\n", platform ? platform : "(none)");
    yes("AT_HWCAP nonzero", getauxval(AT_HWCAP) != 0);
    return 0;
}
