/*
 * proc_exec: execve of /proc/self/exe, the running program's own file by
 * the kernel's link (busybox sh runs its applets so), from a forked child
 * and in the process itself; access(X_OK) on it; a chain of 20 execs,
 * each just after forking a child that exits at once (its SIGCHLD comes
 * while the new program starts: the guest kernel must not get it before it
 * can take an interrupt).  The program run again reports through its exit
 * status, so only the first one prints.
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

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "again"))
        return 40 + argc; /* what it was given, as its status */
    if (argc > 2 && !strcmp(argv[1], "chain")) {
        int n = atoi(argv[2]);
        if (n == 0) {
            int reaped = 0;
            while (wait(NULL) > 0)
                reaped++;
            return reaped; /* the zombies the chain left */
        }
        if (fork() == 0)
            _exit(0);
        char next[16];
        snprintf(next, sizeof(next), "%d", n - 1);
        execl("/proc/self/exe", argv[0], "chain", next, (char *)NULL);
        return 127;
    }
    if (argc > 1 && !strcmp(argv[1], "in-place")) {
        execl("/proc/self/exe", argv[0], "again", "x", "y", (char *)NULL);
        return 127;
    }
    ok("access /proc/self/exe X_OK", access("/proc/self/exe", X_OK));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "again", (char *)NULL);
        _exit(errno == EACCES ? 126 : 127);
    }
    int st;
    waitpid(pid, &st, 0);
    yes("forked child ran /proc/self/exe (status 42)", WIFEXITED(st) && WEXITSTATUS(st) == 42);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 42)
        printf("  status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "in-place", (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    yes("a program run by /proc/self/exe runs it again (status 44)",
        WIFEXITED(st) && WEXITSTATUS(st) == 44);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 44)
        printf("  status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "chain", "20", (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    if (WIFEXITED(st))
        printf("chain of 20 execs: status %d\n", WEXITSTATUS(st));
    else
        printf("chain of 20 execs: %s\n", WIFSIGNALED(st) ? signame(WTERMSIG(st)) : "stopped");
    return 0;
}
