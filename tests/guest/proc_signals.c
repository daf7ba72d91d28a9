/*
 * proc_signals: signals between processes.  kill from parent to child and
 * back, to the process group, and with signal 0; SIGCHLD's siginfo and its
 * flags (SA_NOCLDSTOP, SA_NOCLDWAIT, SIG_IGN's auto-reaping); what a child
 * inherits (mask, dispositions, alternate stack) and what it does not
 * (pending signals, timers); PR_SET_PDEATHSIG and getppid after the parent
 * died.  Children report through pipes or their exit status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

static volatile sig_atomic_t report_fd = -1;
static volatile sig_atomic_t got;

static void usr1_report(int sig)
{
    (void)sig;
    got++;
    if (report_fd >= 0)
        write(report_fd, "handler ran in child\n", 21);
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

static int is_pending(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigpending(&s);
    return sigismember(&s, sig) == 1;
}

/* Waits at most 5 s for sig (blocked) and returns its siginfo's si_code,
 * or -1000 on timeout. */
static int wait_sig(int sig, siginfo_t *si)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    struct timespec t = {5, 0};
    siginfo_t tmp;
    if (!si)
        si = &tmp;
    for (;;) {
        int r = sigtimedwait(&s, si, &t);
        if (r == sig)
            return si->si_code;
        if (r < 0 && errno == EINTR)
            continue;
        return -1000;
    }
}

static void parent_to_child(void)
{
    int p[2];
    pipe(p);
    set_handler(SIGUSR1, usr1_report, 0);
    /* Blocked before fork, so the signal waits for the child's
     * sigsuspend whenever it is sent. */
    block(SIGUSR1, SIG_BLOCK);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        report_fd = p[1];
        sigset_t none;
        sigemptyset(&none);
        sigsuspend(&none);
        _exit(got == 1 ? 0 : 1);
    }
    close(p[1]);
    printf("kill child SIGUSR1: %d\n", kill(pid, SIGUSR1));
    char buf[256];
    read_all(p[0], buf, sizeof(buf));
    close(p[0]);
    fputs(buf, stdout);
    reap("child", pid);
    block(SIGUSR1, SIG_UNBLOCK);
    set_handler(SIGUSR1, SIG_DFL, 0);
}

static void child_to_parent(void)
{
    block(SIGUSR2, SIG_BLOCK);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(kill(getppid(), SIGUSR2) == 0 ? 0 : 1);
    reap("child that signalled its parent", pid);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    int code = wait_sig(SIGUSR2, &si);
    yes("parent got SIGUSR2", code != -1000);
    yes("si_code SI_USER", code == SI_USER);
    yes("si_pid == child", si.si_pid == pid);
    yes("si_uid == getuid()", si.si_uid == getuid());
    block(SIGUSR2, SIG_UNBLOCK);
}

static void to_group(void)
{
    /* The child leads a group of its own with two grandchildren in it, and
     * signals the group; the parent, outside it, must not be reached. */
    block(SIGUSR1, SIG_BLOCK);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (setpgid(0, 0) < 0)
            _exit(100);
        pid_t g[2];
        for (int i = 0; i < 2; i++) {
            g[i] = fork();
            if (g[i] == 0)
                _exit(wait_sig(SIGUSR1, NULL) == SI_USER ? 10 : 11);
        }
        if (kill(0, SIGUSR1) < 0)
            _exit(101);
        int total = wait_sig(SIGUSR1, NULL) == SI_USER ? 1 : 0;
        for (int i = 0; i < 2; i++) {
            int st;
            if (waitpid(g[i], &st, 0) == g[i] && WIFEXITED(st) && WEXITSTATUS(st) == 10)
                total += 10;
        }
        _exit(total);
    }
    reap("kill(0) in a group of 3 (21: all got it)", pid);
    yes("parent outside the group not signalled", !is_pending(SIGUSR1));
    block(SIGUSR1, SIG_UNBLOCK);
}

static void existence(void)
{
    int p[2];
    pid_t pid = fork_blocked(p, 0, 0);
    errno = 0;
    int r = kill(pid, 0);
    printf("kill(child, 0) while running: %d %s\n", r, errname(errno));
    close(p[1]);
    /* A zombie still exists. */
    siginfo_t si;
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    errno = 0;
    r = kill(pid, 0);
    printf("kill(child, 0) as a zombie: %d %s\n", r, errname(errno));
    waitpid(pid, NULL, 0);
    errno = 0;
    r = kill(pid, 0);
    printf("kill(child, 0) after it is reaped: %d %s\n", r, errname(errno));
    errno = 0;
    r = kill(pid, SIGKILL);
    printf("kill(reaped, SIGKILL): %d %s\n", r, errname(errno));
    errno = 0;
    r = kill(getpid(), 0);
    printf("kill(self, 0): %d %s\n", r, errname(errno));
    errno = 0;
    r = kill(-pid, 0);
    printf("kill(-reaped, 0): %d %s\n", r, errname(errno));
    errno = 0;
    r = kill(pid, 65);
    printf("kill(reaped, 65): %d %s\n", r, errname(errno));
    errno = 0;
    r = kill(getpid(), 65);
    printf("kill(self, 65): %d %s\n", r, errname(errno));
}

static volatile sig_atomic_t chld_count, chld_code, chld_pid, chld_status;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    chld_count++;
    chld_code = si->si_code;
    chld_pid = si->si_pid;
    chld_status = si->si_status;
}

static void set_chld(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    chld_count = chld_code = chld_pid = chld_status = 0;
}

static const char *cld(int code)
{
    switch (code) {
    case CLD_EXITED:
        return "CLD_EXITED";
    case CLD_KILLED:
        return "CLD_KILLED";
    case CLD_DUMPED:
        return "CLD_DUMPED";
    case CLD_STOPPED:
        return "CLD_STOPPED";
    case CLD_CONTINUED:
        return "CLD_CONTINUED";
    case 0:
        return "none";
    }
    return "other";
}

static void sigchld(void)
{
    /* The handler runs, with the exit's siginfo. */
    block(SIGCHLD, SIG_BLOCK);
    set_chld(0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    sigset_t none;
    sigemptyset(&none);
    while (chld_count == 0)
        sigsuspend(&none);
    printf("SIGCHLD handler: count %d, si_code %s, si_status %d, si_pid == child: %s\n",
           (int)chld_count, cld(chld_code), (int)chld_status, yn(chld_pid == pid));
    reap("child", pid);

    /* Killed child. */
    set_chld(0);
    int p[2];
    pid = fork_blocked(p, 0, 0);
    kill(pid, SIGKILL);
    while (chld_count == 0)
        sigsuspend(&none);
    printf("SIGCHLD for a killed child: si_code %s, si_status %s, si_pid == child: %s\n",
           cld(chld_code), signame(chld_status), yn(chld_pid == pid));
    close(p[1]);
    reap("child", pid);

    /* Without SA_NOCLDSTOP a stop is signalled too. */
    set_chld(0);
    pid = fork_blocked(p, 8, 1);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    int code = wait_sig(SIGCHLD, &si);
    printf("SIGCHLD for a stop: si_code %s, si_status %s, si_pid == child: %s\n", cld(code),
           signame(si.si_status), yn(si.si_pid == pid));
    waitpid(pid, NULL, WUNTRACED);
    kill(pid, SIGCONT);
    memset(&si, 0, sizeof(si));
    code = wait_sig(SIGCHLD, &si);
    printf("SIGCHLD for a continue: si_code %s, si_status %s, si_pid == child: %s\n", cld(code),
           signame(si.si_status), yn(si.si_pid == pid));
    close(p[1]);
    memset(&si, 0, sizeof(si));
    code = wait_sig(SIGCHLD, &si);
    printf("SIGCHLD for the exit: si_code %s, si_status %d\n", cld(code), si.si_status);
    reap("child", pid);

    /* SA_NOCLDSTOP: the stop and the continue are not signalled, the exit
     * is. */
    set_chld(SA_NOCLDSTOP);
    pid = fork_blocked(p, 9, 1);
    int st = -1;
    waitpid(pid, &st, WUNTRACED);
    show_status("SA_NOCLDSTOP child", st);
    yes("SIGCHLD pending after the stop", is_pending(SIGCHLD));
    kill(pid, SIGCONT);
    waitpid(pid, &st, WCONTINUED);
    show_status("SA_NOCLDSTOP child", st);
    close(p[1]);
    reap("SA_NOCLDSTOP child", pid);
    yes("SIGCHLD pending after the exit", is_pending(SIGCHLD));
    block(SIGCHLD, SIG_UNBLOCK);
    printf("handler: count %d, si_code %s, si_status %d\n", (int)chld_count, cld(chld_code),
           (int)chld_status);

    /* A blocked SIGCHLD stays pending across the exit and the reaping. */
    set_handler(SIGCHLD, SIG_DFL, 0);
    block(SIGCHLD, SIG_BLOCK);
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(0);
    reap("child with SIGCHLD blocked", pid);
    yes("SIGCHLD pending (SIG_DFL, blocked)", is_pending(SIGCHLD));
    memset(&si, 0, sizeof(si));
    code = wait_sig(SIGCHLD, &si);
    printf("sigtimedwait: si_code %s, si_pid == child: %s\n", cld(code), yn(si.si_pid == pid));
    yes("no longer pending", !is_pending(SIGCHLD));
    block(SIGCHLD, SIG_UNBLOCK);

    /* SIG_IGN: children are reaped by the kernel; wait blocks until they
     * are all gone and then fails with ECHILD. */
    set_handler(SIGCHLD, SIG_IGN, 0);
    fflush(stdout);
    pid_t a = fork();
    if (a == 0)
        _exit(1);
    pid_t b = fork();
    if (b == 0)
        _exit(2);
    errno = 0;
    pid_t r = waitpid(-1, &st, 0);
    printf("SIGCHLD SIG_IGN: waitpid(-1): %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(a, &st, 0);
    printf("SIGCHLD SIG_IGN: waitpid(child): %d %s\n", (int)r, errname(errno));
    (void)b;

    /* SA_NOCLDWAIT with a handler: reaped by the kernel, but still
     * signalled. */
    block(SIGCHLD, SIG_BLOCK);
    set_chld(SA_NOCLDWAIT);
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(3);
    errno = 0;
    r = waitpid(-1, &st, 0);
    printf("SA_NOCLDWAIT: waitpid(-1): %d %s\n", (int)r, errname(errno));
    yes("SA_NOCLDWAIT: SIGCHLD still sent", is_pending(SIGCHLD));
    memset(&si, 0, sizeof(si));
    code = wait_sig(SIGCHLD, &si);
    printf("SA_NOCLDWAIT: si_code %s, si_status %d, si_pid == child: %s\n", cld(code), si.si_status,
           yn(si.si_pid == pid));

    /* SA_NOCLDWAIT on SIG_DFL: reaped too. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(4);
    errno = 0;
    r = waitpid(-1, &st, 0);
    printf("SA_NOCLDWAIT on SIG_DFL: waitpid(-1): %d %s\n", (int)r, errname(errno));
    /* Clear whatever is pending and go back to normal. */
    set_handler(SIGCHLD, SIG_IGN, 0);
    set_handler(SIGCHLD, SIG_DFL, 0);
    block(SIGCHLD, SIG_UNBLOCK);
}

static void inherit_handler(int sig)
{
    (void)sig;
}

static char altstack[64 * 1024];

static int inherited(int fd)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    dprintf(fd, "child: SIGUSR2 still blocked: %s\n", yn(sigismember(&cur, SIGUSR2) == 1));
    dprintf(fd, "child: SIGTERM still unblocked: %s\n", yn(sigismember(&cur, SIGTERM) == 0));
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    dprintf(fd, "child: SIGUSR1 handler kept: %s\n", yn(sa.sa_handler == inherit_handler));
    dprintf(fd, "child: SA_RESTART kept: %s\n", yn(sa.sa_flags & SA_RESTART));
    dprintf(fd, "child: handler mask kept: %s\n", yn(sigismember(&sa.sa_mask, SIGINT) == 1));
    sigaction(SIGHUP, NULL, &sa);
    dprintf(fd, "child: SIGHUP still SIG_IGN: %s\n", yn(sa.sa_handler == SIG_IGN));
    sigaction(SIGTERM, NULL, &sa);
    dprintf(fd, "child: SIGTERM still SIG_DFL: %s\n", yn(sa.sa_handler == SIG_DFL));
    stack_t ss;
    memset(&ss, 0, sizeof(ss));
    sigaltstack(NULL, &ss);
    dprintf(fd, "child: same alternate stack: %s\n",
            yn(ss.ss_sp == altstack && ss.ss_size == sizeof(altstack) && ss.ss_flags == 0));
    sigset_t pend;
    sigemptyset(&pend);
    sigpending(&pend);
    dprintf(fd, "child: SIGUSR2 not pending: %s\n", yn(sigismember(&pend, SIGUSR2) == 0));
    struct itimerval it;
    getitimer(ITIMER_REAL, &it);
    dprintf(fd, "child: ITIMER_REAL zero: %s\n",
            yn(it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0 && it.it_interval.tv_sec == 0));
    getitimer(ITIMER_VIRTUAL, &it);
    dprintf(fd, "child: ITIMER_VIRTUAL zero: %s\n",
            yn(it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0 && it.it_interval.tv_sec == 0));
    getitimer(ITIMER_PROF, &it);
    dprintf(fd, "child: ITIMER_PROF zero: %s\n",
            yn(it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0));
    dprintf(fd, "child: alarm(0) returns 0: %s\n", yn(alarm(0) == 0));
    /* The blocked SIGUSR2 sent to the child itself is its own. */
    raise(SIGUSR2);
    dprintf(fd, "child: own SIGUSR2 pending: %s\n", yn(is_pending(SIGUSR2)));
    return 0;
}

static void inheritance(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = inherit_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaction(SIGUSR1, &sa, NULL);
    set_handler(SIGHUP, SIG_IGN, 0);
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
    sigaltstack(&ss, NULL);
    block(SIGUSR2, SIG_BLOCK);
    raise(SIGUSR2);
    struct itimerval it = {{100, 0}, {100, 0}};
    setitimer(ITIMER_VIRTUAL, &it, NULL);
    setitimer(ITIMER_PROF, &it, NULL);

    in_child("inheritance child", inherited);

    yes("parent: SIGUSR2 still pending", is_pending(SIGUSR2));
    struct itimerval off;
    memset(&off, 0, sizeof(off));
    setitimer(ITIMER_VIRTUAL, &off, &it);
    yes("parent: ITIMER_VIRTUAL still set", it.it_value.tv_sec > 0);
    setitimer(ITIMER_PROF, &off, NULL);
    unsigned left = alarm(10);
    yes("parent: alarm still set", left > 0);
    /* Discard the pending SIGUSR2, restore the rest. */
    set_handler(SIGUSR2, SIG_IGN, 0);
    set_handler(SIGUSR2, SIG_DFL, 0);
    block(SIGUSR2, SIG_UNBLOCK);
    set_handler(SIGUSR1, SIG_DFL, 0);
    set_handler(SIGHUP, SIG_DFL, 0);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
}

static void pdeathsig(void)
{
    /* top -> middle -> grandchild.  The grandchild asks for SIGUSR1 when
     * its parent dies, tells the middle one it is ready, the middle one
     * exits, and the grandchild reports to the top through a pipe. */
    int report[2];
    pipe(report);
    block(SIGUSR1, SIG_BLOCK);
    fflush(stdout);
    pid_t middle = fork();
    if (middle == 0) {
        int ready[2];
        close(report[0]);
        pipe(ready);
        pid_t me = getpid();
        pid_t g = fork();
        if (g == 0) {
            close(ready[0]);
            int fd = report[1];
            dprintf(fd, "grandchild: prctl(PR_SET_PDEATHSIG): %d\n",
                    prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0));
            int sig = 0;
            prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
            dprintf(fd, "grandchild: PR_GET_PDEATHSIG: %s\n", signame(sig));
            dprintf(fd, "grandchild: parent alive: %s\n", yn(getppid() == me));
            close(ready[1]);
            siginfo_t si;
            memset(&si, 0, sizeof(si));
            int code = wait_sig(SIGUSR1, &si);
            dprintf(fd, "grandchild: got SIGUSR1 when its parent died: %s\n", yn(code != -1000));
            dprintf(fd, "grandchild: getppid changed: %s\n", yn(getppid() != me));
            _exit(0);
        }
        close(ready[1]);
        close(report[1]);
        char c;
        read(ready[0], &c, 1);
        _exit(g > 0 ? 0 : 1);
    }
    close(report[1]);
    char buf[1024];
    read_all(report[0], buf, sizeof(buf));
    close(report[0]);
    fputs(buf, stdout);
    reap("middle process", middle);
    block(SIGUSR1, SIG_UNBLOCK);

    /* A fork child does not inherit PDEATHSIG. */
    prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int sig = -1;
        prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
        _exit(sig);
    }
    reap("PR_GET_PDEATHSIG in a child of a process that set it", pid);
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
}

int main(void)
{
    alarm(10);
    parent_to_child();
    child_to_parent();
    to_group();
    existence();
    sigchld();
    inheritance();
    pdeathsig();
    return 0;
}
