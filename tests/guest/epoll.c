/*
 * epoll: epoll_create1 and epoll_ctl (and their errors), epoll_wait
 * timeouts, level- versus edge-triggered readiness, EPOLLONESHOT,
 * EPOLLHUP/EPOLLRDHUP, epoll_pwait with a signal mask, epoll_pwait2 with
 * a timespec (raw syscall: musl may lack the wrapper), a wakeup from
 * another thread, and eventfd, timerfd and signalfd in one epoll set.
 * Events are identified by the data the test stored, never by fd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

/* "N" or "-1 ERRNO" */
static void ret(const char *what, long r)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: %ld\n", what, r);
}

static const char *evs(uint32_t e)
{
    static char b[4][96];
    static int i;
    char *s = b[i++ % 4];
    s[0] = 0;
    if (e & EPOLLIN)
        strcat(s, "IN ");
    if (e & EPOLLOUT)
        strcat(s, "OUT ");
    if (e & EPOLLRDHUP)
        strcat(s, "RDHUP ");
    if (e & EPOLLHUP)
        strcat(s, "HUP ");
    if (e & EPOLLERR)
        strcat(s, "ERR ");
    if (e & EPOLLPRI)
        strcat(s, "PRI ");
    size_t n = strlen(s);
    if (n)
        s[n - 1] = 0;
    else
        strcpy(s, "none");
    return s;
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event e = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/* epoll_wait with a 0 timeout, printing count, data and events. */
static void poll_now(int ep, const char *what)
{
    struct epoll_event e[8];
    int n = epoll_wait(ep, e, 8, 0);
    /* Sorted by data: the order of the ready list is not the point. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && e[j - 1].data.u64 > e[j].data.u64; j--) {
            struct epoll_event x = e[j];
            e[j] = e[j - 1];
            e[j - 1] = x;
        }
    printf("%s: %d", what, n);
    for (int i = 0; i < n; i++)
        printf(" [%llu %s]", (unsigned long long)e[i].data.u64, evs(e[i].events));
    printf("\n");
}

static void ctl_errors(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("epoll_create1(EPOLL_CLOEXEC): %s, FD_CLOEXEC set %s\n", ep >= 0 ? "ok" : "failed",
           yn(fcntl(ep, F_GETFD) & FD_CLOEXEC));
    errno = 0;
    ret("epoll_create1(bad flags)", epoll_create1(12345));
    errno = 0;
    long c0 = syscall(SYS_epoll_create, 0); /* musl's wrapper ignores the size */
    printf("epoll_create(0): %s\n", c0 < 0 ? errname(errno) : "ok");
    if (c0 >= 0)
        close((int)c0);
    int p[2];
    if (pipe(p) != 0)
        return;
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 1};
    ret("ADD", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    errno = 0;
    ret("ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    ret("MOD", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
    ret("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], &e));
    errno = 0;
    ret("DEL again", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], &e));
    errno = 0;
    ret("MOD not added", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
    errno = 0;
    ret("ADD closed fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e));
    errno = 0;
    ret("ADD on a non-epoll fd", epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &e));
    errno = 0;
    ret("ADD the epoll fd to itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e));
    errno = 0;
    ret("bad op", epoll_ctl(ep, 99, p[0], &e));
    int f = open("/dev/null", O_RDONLY);
    errno = 0;
    ret("ADD a regular file (/dev/null)", epoll_ctl(ep, EPOLL_CTL_ADD, f, &e));
    close(f);
    errno = 0;
    ret("epoll_wait maxevents 0", epoll_wait(ep, &e, 0, 0));
    errno = 0;
    ret("epoll_wait on a pipe", epoll_wait(p[0], &e, 1, 0));

    /* An epoll fd inside another, and the loop refused. */
    int ep2 = epoll_create1(0);
    ret("ADD epoll A into B", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &e));
    errno = 0;
    ret("ADD epoll B into A (loop)", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &e));
    add(ep, p[0], EPOLLIN, 5);
    if (write(p[1], "x", 1) != 1)
        return;
    poll_now(ep2, "outer epoll sees the inner one readable");
    struct epoll_event *volatile unmapped = (struct epoll_event *)8;
    errno = 0;
    ret("epoll_wait, an event ready, buffer unmapped", epoll_wait(ep, unmapped, 1, 0));
    close(ep2);
    close(ep);
    close(p[0]);
    close(p[1]);
}

static void timeouts(void)
{
    int ep = epoll_create1(0);
    struct epoll_event e;
    long long t0 = now_ms();
    int n = epoll_wait(ep, &e, 1, 0);
    printf("epoll_wait timeout 0, empty set: %d\n", n);
    t0 = now_ms();
    n = epoll_wait(ep, &e, 1, 50);
    printf("epoll_wait timeout 50 ms: %d, waited >= 45 ms %s\n", n, yn(now_ms() - t0 >= 45));

    struct timespec ts = {0, 30 * 1000000L};
    t0 = now_ms();
    errno = 0;
    long r = syscall(SYS_epoll_pwait2, ep, &e, 1, &ts, NULL, 8);
    printf("epoll_pwait2 30 ms: %ld %s, waited >= 25 ms %s\n", r, errname(errno),
           yn(now_ms() - t0 >= 25));
    ts = (struct timespec){0, 0};
    r = syscall(SYS_epoll_pwait2, ep, &e, 1, &ts, NULL, 8);
    printf("epoll_pwait2 zero timespec: %ld\n", r);
    ts = (struct timespec){0, 1000000000L};
    errno = 0;
    r = syscall(SYS_epoll_pwait2, ep, &e, 1, &ts, NULL, 8);
    printf("epoll_pwait2 tv_nsec 1e9: %ld %s\n", r, errname(errno));
    close(ep);
}

static void triggers(void)
{
    int ep = epoll_create1(0);
    int lt[2], et[2], os[2];
    if (pipe(lt) || pipe(et) || pipe(os))
        return;
    add(ep, lt[0], EPOLLIN, 1);
    add(ep, et[0], EPOLLIN | EPOLLET, 2);
    add(ep, os[0], EPOLLIN | EPOLLONESHOT, 3);
    poll_now(ep, "nothing written");
    if (write(lt[1], "ab", 2) != 2 || write(et[1], "ab", 2) != 2 || write(os[1], "ab", 2) != 2)
        return;
    poll_now(ep, "after writing to all three");
    poll_now(ep, "again, nothing read");
    char c;
    if (read(lt[0], &c, 1) != 1 || read(et[0], &c, 1) != 1 || read(os[0], &c, 1) != 1)
        return;
    poll_now(ep, "after reading one byte of two");
    if (write(lt[1], "c", 1) != 1 || write(et[1], "c", 1) != 1 || write(os[1], "c", 1) != 1)
        return;
    poll_now(ep, "after writing more");
    poll_now(ep, "again");
    struct epoll_event e = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 33};
    epoll_ctl(ep, EPOLL_CTL_MOD, os[0], &e);
    poll_now(ep, "after re-arming the one-shot with MOD");
    /* Drain everything: nothing is ready. */
    char buf[16];
    if (read(lt[0], buf, 16) < 0 || read(et[0], buf, 16) < 0 || read(os[0], buf, 16) < 0)
        return;
    poll_now(ep, "after draining");

    /* A writable pipe end, level-triggered, reports OUT every time. */
    add(ep, lt[1], EPOLLOUT, 4);
    poll_now(ep, "write end added");
    epoll_ctl(ep, EPOLL_CTL_DEL, lt[1], NULL);

    /* Closing the write ends: HUP for pipes. */
    close(lt[1]);
    close(et[1]);
    poll_now(ep, "write ends of 1 and 2 closed");
    close(lt[0]);
    close(et[0]);
    close(os[0]);
    close(os[1]);

    /* Closing an fd removes it from the set. */
    int p[2];
    if (pipe(p))
        return;
    add(ep, p[0], EPOLLIN, 9);
    if (write(p[1], "x", 1) != 1)
        return;
    close(p[0]);
    poll_now(ep, "read end closed after becoming readable");
    close(p[1]);

    /* EPOLLRDHUP on a socket pair when the peer shuts down writing. */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 7);
    poll_now(ep, "socket, quiet");
    shutdown(sv[1], SHUT_WR);
    poll_now(ep, "socket, peer shut down writing");
    close(sv[1]);
    poll_now(ep, "socket, peer closed");
    close(sv[0]);
    close(ep);
}

static volatile sig_atomic_t usr1;

static void on_usr1(int s)
{
    (void)s;
    usr1++;
}

struct later {
    int fd;
    pthread_t target;
    long ms;
};

static void *write_later(void *arg)
{
    struct later *l = arg;
    msleep(l->ms);
    if (write(l->fd, "w", 1) != 1)
        return NULL;
    return NULL;
}

static void *signal_later(void *arg)
{
    struct later *l = arg;
    msleep(l->ms);
    pthread_kill(l->target, SIGUSR1);
    return NULL;
}

static void waking(void)
{
    int ep = epoll_create1(0);
    int p[2];
    if (pipe(p))
        return;
    add(ep, p[0], EPOLLIN, 42);
    struct later l = {p[1], pthread_self(), 30};
    pthread_t t;
    pthread_create(&t, NULL, write_later, &l);
    struct epoll_event e;
    long long t0 = now_ms();
    int n = epoll_wait(ep, &e, 1, 5000);
    long long took = now_ms() - t0;
    pthread_join(t, NULL);
    printf("epoll_wait woken by another thread's write: %d [%llu %s], after >= 25 ms %s\n", n,
           (unsigned long long)e.data.u64, evs(e.events), yn(took >= 25));
    char c;
    if (read(p[0], &c, 1) != 1)
        return;

    /* epoll_pwait: SIGUSR1 blocked normally, unblocked only while waiting;
     * a handler without SA_RESTART makes the wait fail with EINTR. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, during;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &during);
    sigdelset(&during, SIGUSR1);
    l.ms = 30;
    pthread_create(&t, NULL, signal_later, &l);
    errno = 0;
    n = epoll_pwait(ep, &e, 1, 5000, &during);
    int err = errno;
    pthread_join(t, NULL);
    printf("epoll_pwait, signal unblocked by its mask: %d %s, handler ran %d\n", n, errname(err),
           (int)usr1);
    /* With the mask keeping SIGUSR1 blocked, the wait times out and the
     * signal stays pending. */
    sigset_t keep = during;
    sigaddset(&keep, SIGUSR1);
    pthread_kill(pthread_self(), SIGUSR1);
    n = epoll_pwait(ep, &e, 1, 20, &keep);
    sigset_t pend;
    sigpending(&pend);
    printf("epoll_pwait, mask blocking the pending signal: %d, still pending %s, handler ran %d\n",
           n, yn(sigismember(&pend, SIGUSR1)), (int)usr1);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("after unblocking: handler ran %d\n", (int)usr1);
    close(p[0]);
    close(p[1]);
    close(ep);
}

static void special_fds(void)
{
    int ep = epoll_create1(0);
    int efd = eventfd(0, EFD_NONBLOCK);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int sfd = signalfd(-1, &m, SFD_NONBLOCK);
    add(ep, efd, EPOLLIN, 100);
    add(ep, tfd, EPOLLIN, 200);
    add(ep, sfd, EPOLLIN, 300);
    poll_now(ep, "eventfd, timerfd, signalfd, all quiet");

    struct itimerspec its = {{0, 0}, {0, 20 * 1000000L}};
    timerfd_settime(tfd, 0, &its, NULL);
    struct epoll_event e[4];
    long long t0 = now_ms();
    int n = epoll_wait(ep, e, 4, 5000);
    printf("timerfd 20 ms: %d [%llu %s], after >= 15 ms %s\n", n, (unsigned long long)e[0].data.u64,
           evs(e[0].events), yn(now_ms() - t0 >= 15));
    uint64_t v;
    if (read(tfd, &v, 8) != 8)
        return;
    uint64_t one = 1;
    if (write(efd, &one, 8) != 8)
        return;
    raise(SIGUSR2);
    n = epoll_wait(ep, e, 4, 5000);
    int saw_e = 0, saw_s = 0, other = 0;
    for (int i = 0; i < n; i++) {
        if (e[i].data.u64 == 100)
            saw_e = 1;
        else if (e[i].data.u64 == 300)
            saw_s = 1;
        else
            other = 1;
    }
    printf("after an eventfd write and a raise: %d, eventfd %s, signalfd %s, others %s\n", n,
           yn(saw_e), yn(saw_s), yn(other));
    struct signalfd_siginfo si;
    if (read(efd, &v, 8) != 8 || read(sfd, &si, sizeof(si)) != sizeof(si))
        return;
    printf("read them: eventfd %llu, signalfd signal %u\n", (unsigned long long)v, si.ssi_signo);
    poll_now(ep, "all quiet again");
    close(efd);
    close(tfd);
    close(sfd);
    close(ep);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
}

int main(void)
{
    ctl_errors();
    timeouts();
    triggers();
    waking();
    special_fds();
    return 0;
}
