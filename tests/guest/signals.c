/*
 * signals: signal state only, nothing is delivered.  Dispositions, the
 * blocked mask and the alternate stack must be stored and read back
 * exactly, and bad requests refused as Linux refuses them.  Where a libc
 * would reject a request itself, the raw syscall is used so the kernel
 * (or hx) is what answers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

/* The kernel's struct sigaction on x86-64, for raw rt_sigaction. */
struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};
#define HX_SA_RESTORER 0x04000000UL

static void ret(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: %ld\n", what, r);
}

static void handler(int sig)
{
    (void)sig;
}

static void dispositions(void)
{
    struct sigaction sa, old;
    memset(&old, 0, sizeof(old));
    ret("sigaction query SIGUSR1", sigaction(SIGUSR1, NULL, &old));
    yes("SIGUSR1 starts as SIG_DFL", old.sa_handler == SIG_DFL);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaddset(&sa.sa_mask, SIGTERM);
    ret("sigaction install SIGUSR1", sigaction(SIGUSR1, &sa, NULL));

    memset(&old, 0, sizeof(old));
    ret("sigaction read back SIGUSR1", sigaction(SIGUSR1, NULL, &old));
    yes("handler matches", old.sa_handler == handler);
    yes("SA_RESTART kept", old.sa_flags & SA_RESTART);
    yes("SA_ONSTACK kept", old.sa_flags & SA_ONSTACK);
    yes("SA_SIGINFO not set", !(old.sa_flags & SA_SIGINFO));
    yes("SA_NODEFER not set", !(old.sa_flags & SA_NODEFER));
    /* libc adds SA_RESTORER with its return trampoline; signal delivery
     * will need it, so it must be stored too. */
    yes("SA_RESTORER set", (unsigned long)old.sa_flags & HX_SA_RESTORER);
    yes("mask has SIGUSR2", sigismember(&old.sa_mask, SIGUSR2) == 1);
    yes("mask has SIGTERM", sigismember(&old.sa_mask, SIGTERM) == 1);
    yes("mask lacks SIGINT", sigismember(&old.sa_mask, SIGINT) == 0);

    /* Replace with SA_SIGINFO and get the previous one back at once. */
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    memset(&old, 0, sizeof(old));
    ret("sigaction replace", sigaction(SIGUSR1, &sa, &old));
    yes("previous action returned", old.sa_handler == handler && (old.sa_flags & SA_RESTART));
    sigaction(SIGUSR1, NULL, &old);
    yes("SA_SIGINFO|SA_RESETHAND stored",
        (old.sa_flags & (SA_SIGINFO | SA_RESETHAND)) == (SA_SIGINFO | SA_RESETHAND));
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR1, NULL, &old);
    yes("SIG_IGN stored", old.sa_handler == SIG_IGN);

    errno = 0;
    ret("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
    errno = 0;
    ret("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL));

    struct k_sigaction k;
    memset(&k, 0, sizeof(k));
    /* Linux lets anyone read SIGKILL's disposition, just not set it. */
    errno = 0;
    ret("rt_sigaction query SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, NULL, &k, 8));
    errno = 0;
    ret("rt_sigaction signal 0", syscall(SYS_rt_sigaction, 0, NULL, &k, 8));
    errno = 0;
    ret("rt_sigaction signal 65", syscall(SYS_rt_sigaction, 65, NULL, &k, 8));
    errno = 0;
    ret("rt_sigaction sigsetsize 4", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &k, 4));
    /* Real-time signals are ordinary signals as far as state goes. */
    k.handler = (void *)handler;
    k.flags = HX_SA_RESTORER;
    k.restorer = (void *)handler;
    k.mask = 1UL << (SIGUSR2 - 1);
    errno = 0;
    ret("rt_sigaction install signal 64", syscall(SYS_rt_sigaction, 64, &k, NULL, 8));
    struct k_sigaction back;
    memset(&back, 0, sizeof(back));
    syscall(SYS_rt_sigaction, 64, NULL, &back, 8);
    yes("signal 64 reads back exactly", back.handler == k.handler && back.flags == k.flags &&
                                            back.restorer == k.restorer && back.mask == k.mask);
}

static void masks(void)
{
    sigset_t set, cur;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    /* SIGKILL and SIGSTOP cannot be blocked; the request is silently
     * trimmed, not refused. */
    sigaddset(&set, SIGKILL);
    sigaddset(&set, SIGSTOP);
    ret("sigprocmask SIG_BLOCK", sigprocmask(SIG_BLOCK, &set, NULL));
    sigprocmask(SIG_BLOCK, NULL, &cur);
    yes("SIGUSR1 blocked", sigismember(&cur, SIGUSR1) == 1);
    yes("SIGUSR2 blocked", sigismember(&cur, SIGUSR2) == 1);
    yes("SIGKILL not blocked", sigismember(&cur, SIGKILL) == 0);
    yes("SIGSTOP not blocked", sigismember(&cur, SIGSTOP) == 0);
    yes("SIGINT not blocked", sigismember(&cur, SIGINT) == 0);

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigset_t prev;
    ret("sigprocmask SIG_UNBLOCK SIGUSR1", sigprocmask(SIG_UNBLOCK, &set, &prev));
    yes("previous mask had SIGUSR1", sigismember(&prev, SIGUSR1) == 1);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    yes("SIGUSR1 unblocked", sigismember(&cur, SIGUSR1) == 0);
    yes("SIGUSR2 still blocked", sigismember(&cur, SIGUSR2) == 1);

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    ret("sigprocmask SIG_SETMASK {SIGTERM}", sigprocmask(SIG_SETMASK, &set, NULL));
    sigprocmask(SIG_BLOCK, NULL, &cur);
    yes("only SIGTERM blocked", sigismember(&cur, SIGTERM) == 1 && sigismember(&cur, SIGUSR2) == 0);

    sigset_t pend;
    sigemptyset(&pend);
    ret("sigpending", sigpending(&pend));
    yes("nothing pending", sigismember(&pend, SIGTERM) == 0 && sigismember(&pend, SIGUSR1) == 0);

    unsigned long raw = 0;
    errno = 0;
    ret("rt_sigprocmask bad how", syscall(SYS_rt_sigprocmask, 99, &raw, NULL, 8));
    errno = 0;
    ret("rt_sigprocmask sigsetsize 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &raw, 4));
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
}

static void altstack(void)
{
    stack_t ss, old;
    memset(&old, 0, sizeof(old));
    ret("sigaltstack query", sigaltstack(NULL, &old));
    yes("starts disabled", old.ss_flags == SS_DISABLE);

    size_t size = 64 * 1024;
    void *mem = malloc(size);
    ss.ss_sp = mem;
    ss.ss_size = size;
    ss.ss_flags = 0;
    ret("sigaltstack set 64 KiB", sigaltstack(&ss, NULL));
    memset(&old, 0, sizeof(old));
    sigaltstack(NULL, &old);
    yes("read back: same base", old.ss_sp == mem);
    yes("read back: same size", old.ss_size == size);
    yes("read back: flags 0", old.ss_flags == 0);

    ss.ss_size = 1024;
    errno = 0;
    ret("sigaltstack 1 KiB (below MINSIGSTKSZ)", sigaltstack(&ss, NULL));
    ss.ss_size = size;
    ss.ss_flags = 0x1234;
    errno = 0;
    ret("sigaltstack bad flags", sigaltstack(&ss, NULL));

    ss.ss_flags = SS_DISABLE;
    ret("sigaltstack SS_DISABLE", sigaltstack(&ss, NULL));
    memset(&old, 0, sizeof(old));
    sigaltstack(NULL, &old);
    yes("read back: SS_DISABLE", old.ss_flags == SS_DISABLE);
    free(mem);
}

int main(void)
{
    dispositions();
    masks();
    altstack();
    return 0;
}
