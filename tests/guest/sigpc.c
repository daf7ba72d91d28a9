/*
 * sigpc: the pc and stack pointer a signal handler finds in its context
 * when the signal interrupts a blocked system call.  Linux shows the
 * syscall instruction when the call will start again (SA_RESTART), the
 * instruction after it when the call is over (EINTR), and the program's
 * own stack pointer; a handler that moves the pc elsewhere (as musl's
 * thread cancellation does) resumes there on that stack.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

/* sigpc_read(fd, buf, len, &rsp) and sigpc_pause(&rsp) record rsp and make
 * one system call; the pc right after it is sigpc_read_end or
 * sigpc_pause_end. A pc moved to sigpc_cancel makes sigpc_read return
 * -1000. */
long sigpc_read(long fd, void *buf, long len, uint64_t *rsp);
long sigpc_pause(uint64_t *rsp);
extern char sigpc_read_end[], sigpc_pause_end[], sigpc_cancel[];
__asm__(".text\n"
        ".globl sigpc_read, sigpc_read_end, sigpc_cancel\n"
        "sigpc_read:\n"
        "  mov %rsp, (%rcx)\n"
        "  xor %eax, %eax\n"
        "  syscall\n"
        "sigpc_read_end:\n"
        "  ret\n"
        "sigpc_cancel:\n"
        "  mov $-1000, %rax\n"
        "  ret\n"
        ".globl sigpc_pause, sigpc_pause_end\n"
        "sigpc_pause:\n"
        "  mov %rdi, %rcx\n"
        "  mov %rsp, (%rcx)\n"
        "  mov $34, %eax\n"
        "  syscall\n"
        "sigpc_pause_end:\n"
        "  ret\n");

static volatile uint64_t seen_rip, seen_rsp;
static volatile enum { FEED, NOTHING, REDIRECT } action;
static int pipefd[2];

static void on_alarm(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    seen_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    seen_rsp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
    if (action == REDIRECT)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)sigpc_cancel;
    else if (action == FEED && write(pipefd[1], "x", 1) != 1) /* the restarted read finds it */
        _exit(3);
}

static void arm(int restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_alarm;
    sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
    char c = 0;
    uint64_t rsp = 0;
    if (pipe(pipefd))
        return 1;

    action = FEED;
    arm(1);
    long r = sigpc_read(pipefd[0], &c, 1, &rsp);
    printf("restarted read: %ld '%c'\n", r, c);
    yes("  handler pc at the syscall instruction", seen_rip == (uint64_t)sigpc_read_end - 2);
    yes("  handler rsp the program's", seen_rsp == rsp);

    action = NOTHING;
    arm(0);
    r = sigpc_pause(&rsp);
    printf("pause: %ld\n", r);
    yes("  handler pc after the syscall instruction", seen_rip == (uint64_t)sigpc_pause_end);
    yes("  handler rsp the program's", seen_rsp == rsp);

    action = REDIRECT;
    seen_rip = seen_rsp = 0;
    arm(1);
    r = sigpc_read(pipefd[0], &c, 1, &rsp);
    printf("read the handler sent elsewhere: %ld\n", r);
    yes("  handler pc at the syscall instruction", seen_rip == (uint64_t)sigpc_read_end - 2);
    yes("  handler rsp the program's", seen_rsp == rsp);
    return 0;
}
