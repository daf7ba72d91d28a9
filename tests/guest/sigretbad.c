/* A signal handler that sends the program outside the user half: the
 * return from the handler faults, and the program gets SIGSEGV (si_code
 * SI_KERNEL for a non-canonical address, SEGV_MAPERR at the address for
 * the kernel half), which its own handler can catch. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf back;
static uint64_t target;
static volatile int segv_code;
static volatile uint64_t segv_addr;

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP] = (greg_t)target;
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    segv_code = si->si_code;
    segv_addr = (uint64_t)si->si_addr;
    siglongjmp(back, 1);
}

int main(void)
{
    static const uint64_t targets[] = {0x800000000000ull, 0x8000000000000000ull,
                                       0xffff800000000000ull, 0xffffffff80200000ull};
    struct sigaction sa = {0};
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        target = targets[i];
        segv_code = 0;
        if (!sigsetjmp(back, 1))
            raise(SIGUSR1);
        printf("return to %#llx: SIGSEGV si_code %d, si_addr %s\n", (unsigned long long)target,
               segv_code,
               segv_addr == target ? "the address"
               : segv_addr == 0    ? "0"
                                   : "something else");
    }
    return 0;
}
