/* Helpers the process tests (proc_*.c) share: signal names, wait statuses
 * printed the same way on every libc, and children that report through a
 * pipe so that only the parent writes to stdout. Included after check.h
 * and the system headers the helpers use. */
#ifndef HX_TESTS_GUEST_PROC_H
#define HX_TESTS_GUEST_PROC_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* The name of signal s, the same with every libc (strsignal's text is not). */
static inline const char *signame(int s)
{
    static const char *const names[] = {
        [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
        [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",
        [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM", [SIGCHLD] = "SIGCHLD",
        [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
        [SIGTTOU] = "SIGTTOU",
    };
    static char buf[32];
    if (s > 0 && s < (int)(sizeof(names) / sizeof(names[0])) && names[s])
        return names[s];
    snprintf(buf, sizeof(buf), "signal %d", s);
    return buf;
}

/* What a wait status says, never WCOREDUMP (it depends on ulimit -c). */
static inline void show_status(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by %s\n", what, signame(WTERMSIG(st)));
    else if (WIFSTOPPED(st))
        printf("%s: stopped by %s\n", what, signame(WSTOPSIG(st)));
    else if (WIFCONTINUED(st))
        printf("%s: continued\n", what);
    else
        printf("%s: status %#x\n", what, st);
}

/* Waits for pid and shows its status; says so when waitpid fails or
 * returns another pid. */
static inline int reap(const char *what, pid_t pid)
{
    int st = 0;
    pid_t r = waitpid(pid, &st, 0);
    if (r != pid) {
        printf("%s: waitpid -1 %s\n", what, errname(errno));
        return -1;
    }
    show_status(what, st);
    return st;
}

/* Reads fd to EOF (bounded by alarm) into buf, NUL-terminated. */
static inline size_t read_all(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = 0;
    return n;
}

/* Runs fn in a child whose text output (through fd, with dprintf) is
 * printed by the parent, followed by the child's status. The child
 * _exits with fn's return value. */
static inline void in_child(const char *what, int (*fn)(int fd))
{
    int p[2];
    if (pipe(p) < 0) {
        printf("%s: pipe %s\n", what, errname(errno));
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("%s: fork %s\n", what, errname(errno));
        return;
    }
    if (pid == 0) {
        close(p[0]);
        _exit(fn(p[1]));
    }
    close(p[1]);
    static char buf[4096];
    read_all(p[0], buf, sizeof(buf));
    close(p[0]);
    fputs(buf, stdout);
    reap(what, pid);
}

/* Forks a child that blocks until the parent closes p[1] (a pipe made in
 * p; the child waits for a byte or EOF), then _exits with code; with
 * stop_first it first stops itself (raise(SIGSTOP)). The parent gets the
 * child's pid and keeps p[1]. */
static inline pid_t fork_blocked(int p[2], int code, int stop_first)
{
    if (pipe(p) < 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(p[1]);
        if (stop_first)
            raise(SIGSTOP);
        if (read(p[0], &c, 1) < 0) {
            /* the byte or EOF is all it waits for */
        }
        _exit(code);
    }
    close(p[0]);
    return pid;
}

#endif
