/*
 * proc_vfork: the other ways to make a process.  vfork (the parent waits
 * until the child is gone), clone(CLONE_VM|CLONE_VFORK|SIGCHLD) running a
 * function on a stack of its own (memory shared until it exits),
 * clone(CLONE_VFORK) without CLONE_VM, a fork-like clone, syscall(SYS_fork),
 * and clone3 without CLONE_VM: CLONE_PARENT_SETTID and bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* struct clone_args of <linux/sched.h>, which musl-gcc cannot include. */
struct hx_clone_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

static int vp[2];

/* Did the child write its byte before the parent got to look? */
static int byte_waiting(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    char c = 0;
    ssize_t r = read(fd, &c, 1);
    fcntl(fd, F_SETFL, fl);
    return r == 1 && c == 'c';
}

static pid_t do_vfork(void)
{
    pid_t pid = vfork();
    if (pid == 0) {
        write(vp[1], "c", 1);
        _exit(5);
    }
    return pid;
}

static void with_vfork(void)
{
    pipe(vp);
    fflush(stdout);
    pid_t pid = do_vfork();
    yes("vfork returned a pid", pid > 0);
    yes("child ran before the parent resumed", byte_waiting(vp[0]));
    reap("vfork child", pid);
    close(vp[0]);
    close(vp[1]);
}

/* clone with a stack of our own: the child pops fn and arg from it, calls
 * fn, and leaves with SYS_exit and fn's result. */
static long clone_on_stack(unsigned long flags, void *stack_top, int (*fn)(void *), void *arg)
{
    void **sp = (void **)((uintptr_t)stack_top & ~(uintptr_t)15);
    *--sp = arg;
    *--sp = (void *)fn;
    long ret;
    register long r10 __asm__("r10") = 0;
    register long r8 __asm__("r8") = 0;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "pop %%rax\n\t"
                     "pop %%rdi\n\t"
                     "call *%%rax\n\t"
                     "mov %%eax, %%edi\n\t"
                     "mov $60, %%eax\n\t"
                     "syscall\n\t"
                     "hlt\n"
                     "1:\n"
                     : "=a"(ret)
                     : "0"((long)SYS_clone), "D"(flags), "S"(sp), "d"(0L), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

static _Alignas(16) char child_stack[64 * 1024];
static volatile int shared_word;
static volatile long child_saw_pid, child_saw_ppid;

static int on_own_stack(void *arg)
{
    char here;
    shared_word = 42;
    child_saw_pid = syscall(SYS_getpid);
    child_saw_ppid = syscall(SYS_getppid);
    /* Running on the stack it was given. */
    if (&here < child_stack || &here >= child_stack + sizeof(child_stack))
        return 1;
    return *(int *)arg;
}

static void with_clone_vm(void)
{
    static int code = 12;
    shared_word = 0;
    fflush(stdout);
    long pid = clone_on_stack(CLONE_VM | CLONE_VFORK | SIGCHLD, child_stack + sizeof(child_stack),
                              on_own_stack, &code);
    yes("clone(CLONE_VM|CLONE_VFORK) returned a pid", pid > 0);
    yes("child's write to memory seen at once", shared_word == 42);
    yes("child's getpid() == clone's result", child_saw_pid == pid);
    yes("child's getppid() == our pid", child_saw_ppid == getpid());
    reap("clone(CLONE_VM|CLONE_VFORK) child", (pid_t)pid);

    /* CLONE_VFORK without CLONE_VM: a copy, but the parent still waits. */
    int p[2];
    pipe(p);
    shared_word = 0;
    fflush(stdout);
    pid = syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        shared_word = 43;
        write(p[1], "c", 1);
        _exit(shared_word == 43 ? 13 : 0);
    }
    yes("clone(CLONE_VFORK) returned a pid", pid > 0);
    yes("child ran before the parent resumed", byte_waiting(p[0]));
    yes("child's write not seen (a copy)", shared_word == 0);
    reap("clone(CLONE_VFORK) child", (pid_t)pid);
    close(p[0]);
    close(p[1]);

    /* Plain fork through clone. */
    fflush(stdout);
    pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        shared_word = 44;
        _exit(14);
    }
    reap("clone(SIGCHLD) child", (pid_t)pid);
    yes("its write not seen", shared_word == 0);
}

static void with_sys_fork(void)
{
    fflush(stdout);
    long pid = syscall(SYS_fork);
    if (pid == 0)
        _exit(15);
    yes("SYS_fork returned a pid", pid > 0);
    reap("SYS_fork child", (pid_t)pid);
}

static void with_clone3(void)
{
    struct hx_clone_args args;
    memset(&args, 0, sizeof(args));
    args.exit_signal = SIGCHLD;
    fflush(stdout);
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid < 0 && errno == ENOSYS) {
        printf("clone3: skipped\n");
        return;
    }
    if (pid == 0)
        _exit(16);
    yes("clone3 returned a pid", pid > 0);
    reap("clone3 child", (pid_t)pid);

    /* The first version of the struct (64 bytes) is accepted too, and
     * CLONE_PARENT_SETTID stores the pid in the parent. */
    pid_t ptid = 0;
    memset(&args, 0, sizeof(args));
    args.flags = CLONE_PARENT_SETTID;
    args.parent_tid = (uintptr_t)&ptid;
    args.exit_signal = SIGCHLD;
    fflush(stdout);
    pid = syscall(SYS_clone3, &args, 64);
    if (pid == 0)
        _exit(17);
    yes("clone3 (64-byte args) CLONE_PARENT_SETTID stored the pid", pid > 0 && ptid == pid);
    reap("clone3 child", (pid_t)pid);

    /* exit_signal 0 (not a SIGCHLD child, which plain waitpid ignores):
     * tests/guest/pending/proc_exit_signal.c, until hx has it. */

    memset(&args, 0, sizeof(args));
    args.exit_signal = SIGCHLD;
    errno = 0;
    long e = syscall(SYS_clone3, &args, 8);
    printf("clone3 with size 8: %ld %s\n", e, errname(errno));
    errno = 0;
    e = syscall(SYS_clone3, NULL, sizeof(args));
    printf("clone3 with NULL args: %ld %s\n", e, errname(errno));
    args.exit_signal = 65;
    errno = 0;
    e = syscall(SYS_clone3, &args, sizeof(args));
    printf("clone3 with exit_signal 65: %ld %s\n", e, errname(errno));
    /* A stack without a size, or the other way round. */
    args.exit_signal = SIGCHLD;
    args.stack_size = 4096;
    errno = 0;
    e = syscall(SYS_clone3, &args, sizeof(args));
    printf("clone3 with stack_size but no stack: %ld %s\n", e, errname(errno));
    /* CLONE_THREAD needs CLONE_SIGHAND and CLONE_VM. */
    memset(&args, 0, sizeof(args));
    args.flags = CLONE_THREAD;
    errno = 0;
    e = syscall(SYS_clone3, &args, sizeof(args));
    printf("clone3 CLONE_THREAD alone: %ld %s\n", e, errname(errno));
}

int main(void)
{
    alarm(10);
    with_vfork();
    with_clone_vm();
    with_sys_fork();
    with_clone3();
    errno = 0;
    pid_t r = wait(NULL);
    printf("no child left: %d %s\n", (int)r, errname(errno));
    return 0;
}
