/*
 * traps: CPU exceptions other than page faults must become the signal Linux
 * sends, which then kills the process (shell status 128 + signal).  A
 * unikernel sees these as guest exceptions and must not, for example, halt
 * the VM on hlt or reboot on a double fault.  argv[1] picks the trap:
 *   ud2   invalid opcode       -> SIGILL  (132)
 *   div0  integer divide by 0  -> SIGFPE  (136)
 *   int3  breakpoint           -> SIGTRAP (133)
 *   hlt   privileged in ring 3 -> SIGSEGV (139)
 *   cli   privileged in ring 3 -> SIGSEGV (139)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "ud2";
    printf("about to trap: %s\n", mode);
    fflush(stdout);

    if (strcmp(mode, "ud2") == 0) {
        __asm__ volatile("ud2");
    } else if (strcmp(mode, "div0") == 0) {
        /* The asm keeps the divisor opaque so gcc emits a real idiv. */
        int num = 1, den = 0;
        __asm__ volatile("" : "+r"(den));
        __asm__ volatile("cltd; idivl %1" : "+a"(num) : "r"(den) : "edx");
        printf("quotient %d\n", num);
    } else if (strcmp(mode, "int3") == 0) {
        __asm__ volatile("int3");
    } else if (strcmp(mode, "hlt") == 0) {
        __asm__ volatile("hlt");
    } else if (strcmp(mode, "cli") == 0) {
        __asm__ volatile("cli");
    } else {
        printf("unknown mode\n");
        return 2;
    }
    printf("survived: %s\n", mode);
    return 1;
}
