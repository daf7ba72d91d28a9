/*
 * eventfd: the counter descriptors.  eventfd (counter, EFD_SEMAPHORE,
 * EFD_NONBLOCK, overflow, a blocking read woken by another thread),
 * timerfd (relative, TFD_TIMER_ABSTIME, intervals and expiration counts,
 * gettime, TFD_NONBLOCK, a blocking read), signalfd (reading
 * signalfd_siginfo, changing the mask), and poll() on all three.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000LL

static long long now_ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long ns_of(struct timespec t)
{
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* "value N" or "-1 ERRNO" for an 8-byte read. */
static const char *rd(int fd)
{
    static char b[4][40];
    static int i;
    char *s = b[i++ % 4];
    uint64_t v = 0;
    errno = 0;
    ssize_t r = read(fd, &v, 8);
    if (r == 8)
        snprintf(s, 40, "%llu", (unsigned long long)v);
    else
        snprintf(s, 40, "%zd %s", r, errname(errno));
    return s;
}

static const char *wr(int fd, uint64_t v)
{
    static char b[4][40];
    static int i;
    char *s = b[i++ % 4];
    errno = 0;
    ssize_t r = write(fd, &v, 8);
    snprintf(s, 40, "%zd%s%s", r, r < 0 ? " " : "", r < 0 ? errname(errno) : "");
    return s;
}

static short revents(int fd, short events)
{
    struct pollfd p = {fd, events, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static const char *pev(short r)
{
    return r == 0                    ? "none"
           : r == POLLIN             ? "IN"
           : r == POLLOUT            ? "OUT"
           : r == (POLLIN | POLLOUT) ? "IN OUT"
           : r == POLLERR            ? "ERR"
                                     : "other";
}

struct later {
    int fd;
    long ms;
    uint64_t value;
};

static void *write_later(void *arg)
{
    struct later *l = arg;
    msleep(l->ms);
    if (write(l->fd, &l->value, 8) != 8)
        return NULL;
    return NULL;
}

static void eventfds(void)
{
    int e = eventfd(3, EFD_NONBLOCK);
    printf("eventfd(3, NONBLOCK): poll %s\n", pev(revents(e, POLLIN | POLLOUT)));
    printf("read: %s\n", rd(e));
    const char *x = rd(e);
    printf("read when 0: %s, poll %s\n", x, pev(revents(e, POLLIN | POLLOUT)));
    const char *w5 = wr(e, 5), *w7 = wr(e, 7);
    x = rd(e);
    printf("write 5: %s, write 7: %s, read: %s\n", w5, w7, x);
    printf("write 0xffffffffffffffff: %s\n", wr(e, UINT64_MAX));
    x = wr(e, UINT64_MAX - 1);
    printf("write 0xfffffffffffffffe: %s, poll %s\n", x, pev(revents(e, POLLIN | POLLOUT)));
    printf("write 1 more (would overflow): %s\n", wr(e, 1));
    printf("read: %s\n", rd(e));
    char small[4];
    errno = 0;
    ssize_t r = read(e, small, 4);
    printf("read of 4 bytes: %zd %s\n", r, errname(errno));
    errno = 0;
    r = write(e, small, 4);
    printf("write of 4 bytes: %zd %s\n", r, errname(errno));
    close(e);

    e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    const char *a = rd(e);
    const char *b = rd(e);
    const char *c = rd(e);
    const char *d = rd(e);
    printf("EFD_SEMAPHORE from 3: reads %s, %s, %s, then %s\n", a, b, c, d);
    close(e);

    errno = 0;
    e = eventfd(0, 0x12345);
    printf("eventfd bad flags: %s\n", e < 0 ? errname(errno) : "ok");

    /* Blocking read of 0 waits for another thread's write. */
    e = eventfd(0, EFD_CLOEXEC);
    printf("EFD_CLOEXEC: %s, O_NONBLOCK clear %s\n", yn(fcntl(e, F_GETFD) & FD_CLOEXEC),
           yn(!(fcntl(e, F_GETFL) & O_NONBLOCK)));
    struct later l = {e, 30, 9};
    pthread_t t;
    long long t0 = now_ns(CLOCK_MONOTONIC);
    pthread_create(&t, NULL, write_later, &l);
    const char *v = rd(e);
    long long took = now_ns(CLOCK_MONOTONIC) - t0;
    pthread_join(t, NULL);
    printf("blocking read of 0, written by a thread after 30 ms: %s, waited >= 25 ms %s\n", v,
           yn(took >= 25 * MS));
    close(e);
}

static void timerfds(void)
{
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    const char *unarmed = rd(t);
    printf("timerfd unarmed: read %s, poll %s\n", unarmed, pev(revents(t, POLLIN)));
    struct itimerspec its = {{0, 0}, {0, 30 * MS}}, cur;
    timerfd_settime(t, 0, &its, NULL);
    timerfd_gettime(t, &cur);
    const char *early = rd(t);
    printf("armed 30 ms: gettime 0 < remaining <= 30 ms %s, read %s\n",
           yn(ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 30 * MS), early);
    struct pollfd p = {t, POLLIN, 0};
    long long t0 = now_ns(CLOCK_MONOTONIC);
    int n = poll(&p, 1, 5000);
    int late_enough = now_ns(CLOCK_MONOTONIC) - t0 >= 25 * MS;
    const char *first = rd(t);
    const char *second = rd(t);
    printf("poll until it fires: %d %s, after >= 25 ms %s, read %s, then %s\n", n, pev(p.revents),
           yn(late_enough), first, second);
    timerfd_gettime(t, &cur);
    printf("one-shot after firing: gettime 0 %s\n", yn(ns_of(cur.it_value) == 0));

    /* Interval: 10 ms; after 55 ms at least 4 expirations are counted. */
    its = (struct itimerspec){{0, 10 * MS}, {0, 10 * MS}};
    timerfd_settime(t, 0, &its, NULL);
    msleep(55);
    uint64_t count = 0;
    ssize_t r = read(t, &count, 8);
    timerfd_gettime(t, &cur);
    printf("interval 10 ms, read after 55 ms: %zd bytes, count >= 4 %s, interval reads back %s\n",
           r, yn(count >= 4), yn(ns_of(cur.it_interval) == 10 * MS));
    struct itimerspec off = {{0, 0}, {0, 0}}, old;
    timerfd_settime(t, 0, &off, &old);
    printf("disarm returns the old interval: %s\n", yn(ns_of(old.it_interval) == 10 * MS));
    close(t);

    /* Absolute deadline on CLOCK_REALTIME, blocking read. */
    t = timerfd_create(CLOCK_REALTIME, 0);
    long long dl = now_ns(CLOCK_REALTIME) + 30 * MS;
    its = (struct itimerspec){{0, 0}, {dl / 1000000000LL, dl % 1000000000LL}};
    int s = timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL);
    const char *v = rd(t);
    printf("REALTIME TFD_TIMER_ABSTIME +30 ms, blocking read: settime %d, read %s, at or after "
           "the deadline %s\n",
           s, v, yn(now_ns(CLOCK_REALTIME) >= dl));
    /* A deadline in the past fires at once. */
    its.it_value.tv_sec -= 10;
    timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL);
    printf("deadline in the past: read %s\n", rd(t));
    close(t);

    errno = 0;
    t = timerfd_create(12345, 0);
    printf("timerfd_create bad clock: %s\n", t < 0 ? errname(errno) : "ok");
    t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    its = (struct itimerspec){{0, 0}, {0, 1000000000L}};
    errno = 0;
    s = timerfd_settime(t, 0, &its, NULL);
    printf("timerfd_settime tv_nsec 1e9: %d %s\n", s, errname(errno));
    errno = 0;
    s = timerfd_settime(t, 0x100, &its, NULL);
    printf("timerfd_settime bad flags: %d %s\n", s, errname(errno));
    close(t);
}

static void signalfds(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int s = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    struct signalfd_siginfo si;
    errno = 0;
    ssize_t r = read(s, &si, sizeof(si));
    printf("signalfd, nothing pending: read %zd %s, poll %s\n", r, errname(errno),
           pev(revents(s, POLLIN)));
    raise(SIGUSR1);
    printf("after raise: poll %s\n", pev(revents(s, POLLIN)));
    memset(&si, 0, sizeof(si));
    r = read(s, &si, sizeof(si));
    printf("read %zd (sizeof %zu): ssi_signo %u, ssi_code %s, ssi_pid ours %s, ssi_uid ours %s\n",
           r, sizeof(si), si.ssi_signo,
           si.ssi_code == SI_TKILL  ? "SI_TKILL"
           : si.ssi_code == SI_USER ? "SI_USER"
                                    : "other",
           yn(si.ssi_pid == (uint32_t)getpid()), yn(si.ssi_uid == getuid()));
    union sigval v = {.sival_int = 555};
    sigqueue(getpid(), SIGUSR1, v);
    memset(&si, 0, sizeof(si));
    r = read(s, &si, sizeof(si));
    printf("after sigqueue: ssi_code SI_QUEUE %s, ssi_int %d\n", yn(si.ssi_code == SI_QUEUE),
           si.ssi_int);
    errno = 0;
    char small[16];
    r = read(s, small, sizeof(small));
    printf("read smaller than signalfd_siginfo: %zd %s\n", r, errname(errno));

    /* Update the mask of the same signalfd to take SIGUSR2 too. */
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int s2 = signalfd(s, &m, 0);
    raise(SIGUSR2);
    raise(SIGUSR1);
    int got1 = 0, got2 = 0;
    while (read(s, &si, sizeof(si)) == sizeof(si)) {
        got1 += si.ssi_signo == SIGUSR1;
        got2 += si.ssi_signo == SIGUSR2;
    }
    printf("mask updated in place (same fd %s): got SIGUSR1 %d, SIGUSR2 %d\n", yn(s2 == s), got1,
           got2);
    /* Two signals read in one call. */
    raise(SIGUSR1);
    raise(SIGUSR2);
    struct signalfd_siginfo two[2];
    r = read(s, two, sizeof(two));
    printf("two pending, one read of two records: %zd bytes, signals %u %u\n", r, two[0].ssi_signo,
           two[1].ssi_signo);
    errno = 0;
    int bad = signalfd(0, &m, 0); /* stdin is not a signalfd */
    printf("signalfd on a non-signalfd fd: %s\n", bad < 0 ? errname(errno) : "ok");
    close(s);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
}

int main(void)
{
    eventfds();
    timerfds();
    signalfds();
    return 0;
}
