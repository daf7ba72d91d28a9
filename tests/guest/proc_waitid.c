/*
 * proc_waitid: waitid's id types (P_PID, P_PGID, P_ALL) and options
 * (WEXITED, WNOHANG, WNOWAIT, WSTOPPED, WCONTINUED), the siginfo it fills
 * for an exit, a kill, a crash, a stop and a continue, and wait4 with
 * WUNTRACED and WCONTINUED on a child that stops itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

static const char *codename(int code)
{
    switch (code) {
    case CLD_EXITED:
        return "CLD_EXITED";
    case CLD_KILLED:
        return "CLD_KILLED";
    case CLD_DUMPED:
        return "CLD_DUMPED";
    case CLD_TRAPPED:
        return "CLD_TRAPPED";
    case CLD_STOPPED:
        return "CLD_STOPPED";
    case CLD_CONTINUED:
        return "CLD_CONTINUED";
    case 0:
        return "0";
    }
    return "other";
}

/* Calls waitid with a siginfo full of garbage and prints what came back. */
static int show_waitid(const char *what, idtype_t type, id_t id, int options, pid_t child)
{
    siginfo_t si;
    memset(&si, 0x5a, sizeof(si));
    errno = 0;
    int r = waitid(type, id, &si, options);
    if (r < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        return r;
    }
    if (si.si_pid == 0) {
        printf("%s: 0, si_pid 0, si_signo %d\n", what, si.si_signo);
        return 0;
    }
    const char *code = codename(si.si_code);
    if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
        /* Whether a core is dumped depends on ulimit -c. */
        if (si.si_status == SIGSEGV || si.si_status == SIGABRT)
            code = "killed or dumped";
    }
    int status = si.si_status;
    printf("%s: %d, si_signo %s, si_code %s, si_status %d%s%s, si_pid == child: %s\n", what, r,
           signame(si.si_signo), code, status, si.si_code == CLD_EXITED ? "" : " ",
           si.si_code == CLD_EXITED ? "" : signame(status), yn(si.si_pid == child));
    return r;
}

static void exits(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(9);
    show_waitid("P_PID WEXITED, _exit(9)", P_PID, pid, WEXITED, pid);
    show_waitid("again", P_PID, pid, WEXITED, pid);

    int p[2];
    pid = fork_blocked(p, 10, 0);
    show_waitid("WNOHANG on a running child", P_PID, pid, WEXITED | WNOHANG, pid);
    show_waitid("P_ALL WNOHANG on a running child", P_ALL, 0, WEXITED | WNOHANG, pid);
    close(p[1]);
    show_waitid("P_ALL after it exits", P_ALL, 0, WEXITED, pid);
    show_waitid("P_ALL with no children", P_ALL, 0, WEXITED, pid);
    show_waitid("P_ALL WNOHANG with no children", P_ALL, 0, WEXITED | WNOHANG, pid);

    /* WNOWAIT leaves the child waitable: the same answer twice. */
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(11);
    show_waitid("WNOWAIT", P_PID, pid, WEXITED | WNOWAIT, pid);
    show_waitid("WNOWAIT again", P_PID, pid, WEXITED | WNOWAIT, pid);
    show_waitid("P_ALL WNOWAIT", P_ALL, 0, WEXITED | WNOWAIT, pid);
    int st = -1;
    pid_t r = waitpid(pid, &st, 0);
    yes("waitpid after WNOWAIT still reaps it", r == pid);
    show_status("its status", st);
    show_waitid("then", P_PID, pid, WEXITED | WNOHANG, pid);
}

static void groups(void)
{
    /* A child in a group of its own: both sides call setpgid, so the group
     * exists whichever runs first. */
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        setpgid(0, 0);
        close(p[1]);
        read(p[0], &c, 1);
        _exit(12);
    }
    close(p[0]);
    setpgid(pid, pid);
    show_waitid("P_PGID of the child's group, WNOHANG", P_PGID, pid, WEXITED | WNOHANG, pid);
    show_waitid("P_PGID of our own group", P_PGID, getpgrp(), WEXITED | WNOHANG, pid);
    close(p[1]);
    show_waitid("P_PGID of the child's group", P_PGID, pid, WEXITED, pid);
    show_waitid("P_PGID of an empty group", P_PGID, pid, WEXITED, pid);

    /* P_PGID with id 0: the caller's own group (Linux 5.4 and later). */
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(13);
    show_waitid("P_PGID 0", P_PGID, 0, WEXITED, pid);
}

static void killed(void)
{
    int p[2];
    pid_t pid = fork_blocked(p, 0, 0);
    kill(pid, SIGKILL);
    show_waitid("SIGKILL", P_PID, pid, WEXITED, pid);
    close(p[1]);

    pid = fork_blocked(p, 0, 0);
    kill(pid, SIGTERM);
    show_waitid("SIGTERM", P_PID, pid, WEXITED, pid);
    close(p[1]);

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        volatile int *volatile z = NULL;
        *z = 1;
        _exit(99);
    }
    show_waitid("SIGSEGV", P_PID, pid, WEXITED, pid);

    fflush(stdout);
    pid = fork();
    if (pid == 0)
        abort();
    show_waitid("abort", P_PID, pid, WEXITED, pid);
}

static void stops(void)
{
    int p[2];
    pid_t pid = fork_blocked(p, 4, 1);
    show_waitid("WSTOPPED", P_PID, pid, WSTOPPED, pid);
    show_waitid("WSTOPPED again (reported once)", P_PID, pid, WSTOPPED | WNOHANG, pid);
    show_waitid("WEXITED WNOHANG while stopped", P_PID, pid, WEXITED | WNOHANG, pid);
    kill(pid, SIGCONT);
    show_waitid("WCONTINUED", P_PID, pid, WCONTINUED, pid);
    show_waitid("WCONTINUED again (reported once)", P_PID, pid, WCONTINUED | WNOHANG, pid);
    close(p[1]);
    show_waitid("WEXITED", P_PID, pid, WEXITED, pid);

    /* WNOWAIT on a stop: still reported by the next wait. */
    pid = fork_blocked(p, 5, 1);
    show_waitid("WSTOPPED WNOWAIT", P_PID, pid, WSTOPPED | WNOWAIT, pid);
    show_waitid("WSTOPPED", P_PID, pid, WSTOPPED, pid);
    /* A stopped child can still be killed. */
    kill(pid, SIGKILL);
    show_waitid("SIGKILL while stopped", P_PID, pid, WEXITED, pid);
    close(p[1]);

    /* The same through wait4 / waitpid. */
    pid = fork_blocked(p, 6, 1);
    int st = -1;
    pid_t r = wait4(pid, &st, WUNTRACED, NULL);
    yes("wait4 WUNTRACED returns the child", r == pid);
    printf("WIFSTOPPED %d WSTOPSIG %s\n", !!WIFSTOPPED(st), signame(WSTOPSIG(st)));
    st = -1;
    r = waitpid(pid, &st, WUNTRACED | WNOHANG);
    printf("waitpid WUNTRACED again: %d\n", (int)r);
    kill(pid, SIGCONT);
    st = -1;
    r = waitpid(pid, &st, WCONTINUED);
    yes("waitpid WCONTINUED returns the child", r == pid);
    printf("WIFCONTINUED %d, WIFSTOPPED %d, WIFEXITED %d\n", !!WIFCONTINUED(st), !!WIFSTOPPED(st),
           !!WIFEXITED(st));
    close(p[1]);
    reap("then", pid);
}

static void errors(void)
{
    siginfo_t si;
    errno = 0;
    int r = waitid(P_ALL, 0, &si, 0);
    printf("options 0: %d %s\n", r, errname(errno));
    errno = 0;
    r = waitid(P_ALL, 0, &si, WNOHANG);
    printf("WNOHANG alone: %d %s\n", r, errname(errno));
    errno = 0;
    r = waitid((idtype_t)42, 0, &si, WEXITED);
    printf("bad idtype: %d %s\n", r, errname(errno));
    errno = 0;
    r = waitid(P_PID, (id_t)getppid(), &si, WEXITED | WNOHANG);
    printf("P_PID of our parent: %d %s\n", r, errname(errno));
    errno = 0;
    r = waitid(P_PID, 0, &si, WEXITED | WNOHANG);
    printf("P_PID 0: %d %s\n", r, errname(errno));
}

/* __WALL and __WCLONE: the children fork makes send SIGCHLD, so __WCLONE
 * finds none of them and __WALL finds them all; without children, ECHILD
 * (hxrun's janitor, a child of the first hxrun, is never the program's). */
static void clone_options(void)
{
    int st = 0;
    errno = 0;
    printf("no child, __WALL: %d %s\n", (int)waitpid(-1, &st, __WALL), errname(errno));
    errno = 0;
    printf("no child, __WCLONE|WNOHANG: %d %s\n", (int)waitpid(-1, &st, __WCLONE | WNOHANG),
           errname(errno));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    errno = 0;
    printf("a forked child, __WCLONE: %d %s\n", (int)waitpid(-1, &st, __WCLONE), errname(errno));
    pid_t r = waitpid(-1, &st, __WALL);
    printf("a forked child, __WALL: %s, status %d\n", r == pid ? "it" : "another",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
    alarm(10);
    exits();
    groups();
    killed();
    stops();
    errors();
    clone_options();
    return 0;
}
