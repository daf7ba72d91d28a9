/* Signals across execve: a blocked signal pending at the exec is still
 * pending in the new program (POSIX: execve keeps the pending set and the
 * mask), arrives when the program unblocks it, and an ignored one stays
 * ignored while a handled one is back to its default. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
    got = sig;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "after")) {
        sigset_t pending, mask;
        sigpending(&pending);
        sigprocmask(SIG_SETMASK, NULL, &mask);
        struct sigaction usr2, term;
        sigaction(SIGUSR2, NULL, &usr2);
        sigaction(SIGTERM, NULL, &term);
        printf("after exec: SIGUSR1 pending %d, blocked %d; SIGUSR2 ignored %d; SIGTERM "
               "default %d\n",
               sigismember(&pending, SIGUSR1), sigismember(&mask, SIGUSR1),
               usr2.sa_handler == SIG_IGN, term.sa_handler == SIG_DFL);
        signal(SIGUSR1, on_usr1);
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        printf("unblocked: the handler ran for signal %d\n", (int)got);
        return 0;
    }
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGTERM, on_usr1);
    raise(SIGUSR1);
    printf("before exec: SIGUSR1 raised while blocked\n");
    fflush(stdout);
    char *args[] = {argv[0], "after", NULL};
    execv("/proc/self/exe", args);
    perror("execv");
    return 1;
}
