/*
 * sigdeliver: signals reach handlers. raise() with SA_SIGINFO (si_code,
 * FPU state intact across the handler), a blocked signal pending until
 * unblocked, SIGSEGV from a fault caught and left with siglongjmp (si_code
 * and si_addr), SA_ONSTACK on an alternate stack, SA_RESETHAND, and a
 * handler that changes the saved context (the rax the interrupted code
 * sees).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int got;
static sigjmp_buf jb;

static void on_usr1(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    got = s;
    printf("handler %d, si_code %d, si_pid is ours: %s\n", s, si->si_code,
           si->si_pid == getpid() ? "yes" : "no");
}

static void on_segv(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("SIGSEGV %d, si_code %d, si_addr right: %s\n", s, si->si_code,
           si->si_addr == (void *)0x1000 ? "yes" : "no");
    siglongjmp(jb, 1);
}

static void on_alt(int s)
{
    int here;
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("signal %d on the alternate stack: %s, SS_ONSTACK: %s\n", s,
           (char *)&here > (char *)ss.ss_sp && (char *)&here < (char *)ss.ss_sp + ss.ss_size ? "yes"
                                                                                             : "no",
           ss.ss_flags & SS_ONSTACK ? "yes" : "no");
}

static void on_once(int s)
{
    printf("once %d\n", s);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    volatile double d = 1.5;
    raise(SIGUSR1);
    printf("after raise: got %d, FPU intact: %s\n", got, d * 2 == 3.0 ? "yes" : "no");

    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    got = 0;
    raise(SIGUSR1);
    sigset_t p;
    sigpending(&p);
    printf("blocked: got %d, pending %d\n", got, sigismember(&p, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &m, NULL);
    printf("unblocked: got %d\n", got);

    sa.sa_sigaction = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    if (!sigsetjmp(jb, 1))
        *(volatile int *)0x1000 = 1;
    printf("back from SIGSEGV\n");

    static char stack[65536];
    stack_t ss = {.ss_sp = stack, .ss_size = sizeof(stack)};
    sigaltstack(&ss, NULL);
    struct sigaction sb;
    memset(&sb, 0, sizeof(sb));
    sb.sa_handler = on_alt;
    sb.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sb, NULL);
    raise(SIGUSR2);

    sb.sa_handler = on_once;
    sb.sa_flags = SA_RESETHAND;
    sigaction(SIGHUP, &sb, NULL);
    raise(SIGHUP);
    struct sigaction now;
    sigaction(SIGHUP, NULL, &now);
    printf("SA_RESETHAND left SIG_DFL: %s\n", now.sa_handler == SIG_DFL ? "yes" : "no");
    printf("done\n");
    return 0;
}
