/*
 * proc_exit_signal: a child made with exit_signal 0 is a "clone" child:
 * plain waitpid does not see it (ECHILD), only __WALL or __WCLONE wait for
 * it, and its end sends the parent no SIGCHLD.
 *
 * PENDING: hx forks every process with SIGCHLD as its exit signal (the
 * monitor forks itself); see tests/guest/pending/README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "../proc.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

struct hx_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

int main(void)
{
    alarm(10);
    struct hx_clone_args args;
    long pid;
    /* exit_signal 0: not a SIGCHLD child, so plain waitpid ignores it. */
    memset(&args, 0, sizeof(args));
    fflush(stdout);
    pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0)
        _exit(18);
    int st = -1;
    errno = 0;
    pid_t r = waitpid((pid_t)pid, &st, 0);
    printf("waitpid on an exit_signal 0 child: %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(-1, &st, WNOHANG);
    printf("waitpid(-1) on it: %d %s\n", (int)r, errname(errno));
    r = waitpid((pid_t)pid, &st, __WALL);
    yes("waitpid __WALL reaps it", r == pid);
    show_status("exit_signal 0 child", st);

    return 0;
}
