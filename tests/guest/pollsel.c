/*
 * pollsel: poll, ppoll, select and pselect with timeouts, signal masks and
 * other threads (pipe.c covers the zero-timeout readiness of one pipe).
 * Timeouts expire and return 0 (select updating its timeval, ppoll not
 * touching its timespec), a thread's write wakes each of them, POLLHUP for
 * a closed writer, POLLNVAL for a closed fd, a negative fd ignored, EBADF
 * from select, EINTR from a handler, and the sigmask of ppoll/pselect.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char *pev(short r)
{
    static char b[4][64];
    static int i;
    char *s = b[i++ % 4];
    s[0] = 0;
    if (r & POLLIN)
        strcat(s, "IN ");
    if (r & POLLOUT)
        strcat(s, "OUT ");
    if (r & POLLHUP)
        strcat(s, "HUP ");
    if (r & POLLERR)
        strcat(s, "ERR ");
    if (r & POLLNVAL)
        strcat(s, "NVAL ");
    size_t n = strlen(s);
    if (n)
        s[n - 1] = 0;
    else
        strcpy(s, "none");
    return s;
}

static void timeouts(void)
{
    int p[2];
    if (pipe(p))
        return;
    struct pollfd pf = {p[0], POLLIN, 0};
    long long t0 = now_ms();
    int n = poll(&pf, 1, 50);
    printf("poll 50 ms on an empty pipe: %d, waited >= 45 ms %s\n", n, yn(now_ms() - t0 >= 45));
    t0 = now_ms();
    n = poll(NULL, 0, 30);
    printf("poll with no fds, 30 ms: %d, waited >= 25 ms %s\n", n, yn(now_ms() - t0 >= 25));

    struct timespec ts = {0, 30 * 1000000L};
    t0 = now_ms();
    n = ppoll(&pf, 1, &ts, NULL);
    printf("ppoll 30 ms: %d, waited >= 25 ms %s, timespec untouched %s\n", n,
           yn(now_ms() - t0 >= 25), yn(ts.tv_sec == 0 && ts.tv_nsec == 30 * 1000000L));
    ts = (struct timespec){0, 1000000000L};
    errno = 0;
    n = ppoll(&pf, 1, &ts, NULL);
    printf("ppoll tv_nsec 1e9: %d %s\n", n, errname(errno));

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 50000};
    t0 = now_ms();
    n = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select 50 ms: %d, waited >= 45 ms %s, set cleared %s, timeval updated to <= the "
           "original %s\n",
           n, yn(now_ms() - t0 >= 45), yn(!FD_ISSET(p[0], &rd)),
           yn(tv.tv_sec == 0 && tv.tv_usec <= 50000));
    tv = (struct timeval){0, 30000};
    t0 = now_ms();
    n = select(0, NULL, NULL, NULL, &tv);
    printf("select with no fds, 30 ms (a sleep): %d, waited >= 25 ms %s\n", n,
           yn(now_ms() - t0 >= 25));
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    ts = (struct timespec){0, 30 * 1000000L};
    t0 = now_ms();
    n = pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL);
    printf("pselect 30 ms: %d, waited >= 25 ms %s, timespec untouched %s\n", n,
           yn(now_ms() - t0 >= 25), yn(ts.tv_sec == 0 && ts.tv_nsec == 30 * 1000000L));
    /* The raw pselect6 updates the timespec, as select does its timeval. */
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    ts = (struct timespec){0, 20 * 1000000L};
    long r = syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &ts, NULL);
    printf("raw pselect6 20 ms: %ld, timespec updated to <= the original %s\n", r,
           yn(ts.tv_sec == 0 && ts.tv_nsec <= 20 * 1000000L));
    tv = (struct timeval){0, -1};
    errno = 0;
    n = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select tv_usec -1: %d %s\n", n, errname(errno));
    close(p[0]);
    close(p[1]);
}

struct later {
    int fd;
    long ms;
};

static void *write_later(void *arg)
{
    struct later *l = arg;
    msleep(l->ms);
    if (write(l->fd, "x", 1) != 1)
        return NULL;
    return NULL;
}

static void *close_later(void *arg)
{
    struct later *l = arg;
    msleep(l->ms);
    close(l->fd);
    return NULL;
}

static void woken(void)
{
    for (int which = 0; which < 4; which++) {
        static const char *names[] = {"poll", "ppoll", "select", "pselect"};
        int p[2];
        if (pipe(p))
            return;
        struct later l = {p[1], 20};
        pthread_t t;
        pthread_create(&t, NULL, write_later, &l);
        long long t0 = now_ms();
        int n = -1, ready = 0;
        struct pollfd pf = {p[0], POLLIN, 0};
        struct timespec ts = {5, 0};
        struct timeval tv = {5, 0};
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(p[0], &rd);
        if (which == 0) {
            n = poll(&pf, 1, 5000);
            ready = pf.revents == POLLIN;
        } else if (which == 1) {
            n = ppoll(&pf, 1, &ts, NULL);
            ready = pf.revents == POLLIN;
        } else if (which == 2) {
            n = select(p[0] + 1, &rd, NULL, NULL, &tv);
            ready = FD_ISSET(p[0], &rd);
        } else {
            n = pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL);
            ready = FD_ISSET(p[0], &rd);
        }
        long long took = now_ms() - t0;
        pthread_join(t, NULL);
        printf("%s woken by a thread's write after 20 ms: %d, readable %s, after >= 15 ms %s\n",
               names[which], n, yn(ready), yn(took >= 15));
        close(p[0]);
        close(p[1]);
    }

    /* The writer closing wakes a poll with POLLHUP. */
    int p[2];
    if (pipe(p))
        return;
    struct later l = {p[1], 20};
    pthread_t t;
    pthread_create(&t, NULL, close_later, &l);
    struct pollfd pf = {p[0], POLLIN, 0};
    int n = poll(&pf, 1, 5000);
    pthread_join(t, NULL);
    printf("poll woken by the writer closing: %d %s\n", n, pev(pf.revents));
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 0};
    n = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select on that read end: %d, readable (EOF) %s\n", n, yn(FD_ISSET(p[0], &rd)));
    close(p[0]);
}

static void bad_fds(void)
{
    int p[2];
    if (pipe(p))
        return;
    int gone = p[0];
    close(p[0]);
    struct pollfd pf[3] = {{gone, POLLIN, 0}, {-1, POLLIN, 0}, {p[1], POLLOUT, 0}};
    pf[1].revents = 0x7fff;
    int n = poll(pf, 3, 0);
    printf("poll closed fd, -1, a writable fd: %d; %s; -1 revents %s; %s\n", n, pev(pf[0].revents),
           pf[1].revents == 0 ? "0" : "set", pev(pf[2].revents));
    pf[0].events = 0;
    n = poll(pf, 1, 0);
    printf("closed fd with events 0: %d %s\n", n, pev(pf[0].revents));
    /* The reader gone: the write end reports POLLERR. */
    pf[0] = (struct pollfd){p[1], POLLOUT, 0};
    n = poll(pf, 1, 0);
    printf("write end with no reader: %d %s\n", n, pev(pf[0].revents));

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(gone, &rd);
    struct timeval tv = {0, 0};
    errno = 0;
    n = select(gone + 1, &rd, NULL, NULL, &tv);
    printf("select on a closed fd: %d %s\n", n, errname(errno));
    errno = 0;
    n = select(-1, NULL, NULL, NULL, &tv);
    printf("select nfds -1: %d %s\n", n, errname(errno));
    errno = 0;
    struct pollfd *volatile unmapped = (struct pollfd *)8;
    n = poll(unmapped, 1, 0);
    printf("poll fds unmapped: %d %s\n", n, errname(errno));
    close(p[1]);
}

static volatile sig_atomic_t usr1;

static void on_usr1(int s)
{
    (void)s;
    usr1++;
}

static void *signal_later(void *arg)
{
    pthread_t *main_thread = arg;
    msleep(20);
    pthread_kill(*main_thread, SIGUSR1);
    return NULL;
}

static void signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART; /* poll and select are never restarted */
    sigaction(SIGUSR1, &sa, NULL);
    int p[2];
    if (pipe(p))
        return;
    pthread_t self = pthread_self(), t;

    for (int which = 0; which < 2; which++) {
        usr1 = 0;
        pthread_create(&t, NULL, signal_later, &self);
        errno = 0;
        int n;
        if (which == 0) {
            struct pollfd pf = {p[0], POLLIN, 0};
            n = poll(&pf, 1, 5000);
        } else {
            fd_set rd;
            FD_ZERO(&rd);
            FD_SET(p[0], &rd);
            struct timeval tv = {5, 0};
            n = select(p[0] + 1, &rd, NULL, NULL, &tv);
        }
        int e = errno;
        pthread_join(t, NULL);
        printf("%s interrupted by a handler (SA_RESTART): %d %s, handler ran %d\n",
               which ? "select" : "poll", n, errname(e), (int)usr1);
    }

    /* SIGUSR1 blocked; ppoll/pselect unblock it only while waiting. */
    sigset_t block, during;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &during);
    sigdelset(&during, SIGUSR1);
    for (int which = 0; which < 2; which++) {
        usr1 = 0;
        pthread_create(&t, NULL, signal_later, &self);
        errno = 0;
        int n;
        struct timespec ts = {5, 0};
        if (which == 0) {
            struct pollfd pf = {p[0], POLLIN, 0};
            n = ppoll(&pf, 1, &ts, &during);
        } else {
            fd_set rd;
            FD_ZERO(&rd);
            FD_SET(p[0], &rd);
            n = pselect(p[0] + 1, &rd, NULL, NULL, &ts, &during);
        }
        int e = errno;
        pthread_join(t, NULL);
        printf("%s with a mask unblocking SIGUSR1: %d %s, handler ran %d, blocked again after %s\n",
               which ? "pselect" : "ppoll", n, errname(e), (int)usr1,
               yn(sigprocmask(SIG_BLOCK, NULL, &block) == 0 && sigismember(&block, SIGUSR1)));
    }
    /* A signal already pending, kept blocked by the mask: timeout. */
    usr1 = 0;
    raise(SIGUSR1);
    sigset_t keep = during;
    sigaddset(&keep, SIGUSR1);
    struct pollfd pf = {p[0], POLLIN, 0};
    struct timespec ts = {0, 20 * 1000000L};
    int n = ppoll(&pf, 1, &ts, &keep);
    printf("ppoll, mask blocking a pending signal: %d, handler ran %d\n", n, (int)usr1);
    /* The same pending signal with a mask that unblocks it: EINTR at once. */
    ts = (struct timespec){5, 0};
    long long t0 = now_ms();
    errno = 0;
    n = ppoll(&pf, 1, &ts, &during);
    printf("ppoll, mask unblocking a pending signal: %d %s, handler ran %d, at once (< 4 s) %s\n",
           n, errname(errno), (int)usr1, yn(now_ms() - t0 < 4000));
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    timeouts();
    woken();
    bad_fds();
    signals();
    return 0;
}
