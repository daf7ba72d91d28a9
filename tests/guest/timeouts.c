/*
 * timeouts: the struct timespec every waiting system call takes, checked
 * the same way by each (nanosleep, clock_nanosleep, ppoll, pselect6,
 * futex, rt_sigtimedwait, epoll_pwait2): negative seconds, nanoseconds out
 * of [0, 1e9), a pointer to nothing, and a timeout so large that adding it
 * to a clock would overflow, where the call has no reason to wait (a
 * ready fd, a futex word that differs, a pending signal, a deadline
 * already past). Raw system calls, so that no libc rewrites the argument.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* Linux's futex operations (musl has no <linux/futex.h>). */
#define FUTEX_WAIT_PRIVATE 128        /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define FUTEX_WAIT_BITSET_PRIVATE 137 /* FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG */
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static const struct {
    const char *name;
    struct timespec ts;
} bad[] = {
    {"negative seconds", {-1, 0}},
    {"negative nanoseconds", {0, -1}},
    {"a second of nanoseconds", {0, 1000000000L}},
};

/* A timespec pointer no page backs. */
#define NOWHERE ((struct timespec *)8)

static const struct timespec huge = {LONG_MAX, 999999999L};

int main(void)
{
    char what[96];
    int fds[2];
    if (pipe(fds))
        return 1;
    if (write(fds[1], "x", 1) != 1) /* the read end is ready */
        return 1;
    struct pollfd p = {fds[0], POLLIN, 0};
    uint32_t word = 1;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev))
        return 1;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const struct timespec *ts = &bad[i].ts;
        snprintf(what, sizeof(what), "nanosleep, %s", bad[i].name);
        ok(what, syscall(SYS_nanosleep, ts, NULL));
        snprintf(what, sizeof(what), "clock_nanosleep, %s", bad[i].name);
        ok(what, syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, ts, NULL));
        snprintf(what, sizeof(what), "ppoll, %s", bad[i].name);
        ok(what, syscall(SYS_ppoll, &p, 1, ts, NULL, 8));
        snprintf(what, sizeof(what), "futex wait, %s", bad[i].name);
        ok(what, syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, ts, NULL, 0));
        snprintf(what, sizeof(what), "rt_sigtimedwait, %s", bad[i].name);
        ok(what, syscall(SYS_rt_sigtimedwait, &usr1, NULL, ts, 8));
        snprintf(what, sizeof(what), "epoll_pwait2, %s", bad[i].name);
        ok(what, syscall(SYS_epoll_pwait2, ep, &ev, 1, ts, NULL, 8));
    }

    ok("nanosleep, no timespec", syscall(SYS_nanosleep, NOWHERE, NULL));
    ok("ppoll, no timespec", syscall(SYS_ppoll, &p, 1, NOWHERE, NULL, 8));
    ok("futex wait, no timespec",
       syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, NOWHERE, NULL, 0));
    ok("rt_sigtimedwait, no timespec", syscall(SYS_rt_sigtimedwait, &usr1, NULL, NOWHERE, 8));
    ok("epoll_pwait2, no timespec", syscall(SYS_epoll_pwait2, ep, &ev, 1, NOWHERE, NULL, 8));

    /* Nothing to wait for: the size of the timeout must not matter. */
    val("ppoll, huge timeout, ready fd", syscall(SYS_ppoll, &p, 1, &huge, NULL, 8));
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fds[0], &set);
    val("pselect6, huge timeout, ready fd",
        syscall(SYS_pselect6, fds[0] + 1, &set, NULL, NULL, &huge, NULL));
    val("epoll_pwait2, huge timeout, ready fd",
        syscall(SYS_epoll_pwait2, ep, &ev, 1, &huge, NULL, 8));
    ok("futex wait, huge timeout, word differs",
       syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, &huge, NULL, 0));
    struct timespec past = {1, 0};
    ok("futex wait_bitset, absolute, long past",
       syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 1, &past, NULL,
               FUTEX_BITSET_MATCH_ANY));
    ok("clock_nanosleep, absolute, long past",
       syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
    raise(SIGUSR1);
    val("rt_sigtimedwait, huge timeout, pending signal",
        syscall(SYS_rt_sigtimedwait, &usr1, NULL, &huge, 8));
    return 0;
}
