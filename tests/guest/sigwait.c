/*
 * sigwait: signals and threads, and waiting for signals.  Per-thread
 * masks (inherited at creation, changed by pthread_sigmask), pthread_kill
 * running the handler on the chosen thread, a process-directed kill()
 * reaching the one thread that does not block it, per-thread pending
 * sets, sigtimedwait / sigwaitinfo / sigwait / raw rt_sigtimedwait,
 * sigsuspend woken from another thread, sigqueue values, real-time
 * queueing versus standard-signal coalescing and delivery order,
 * sa_mask and SA_NODEFER, SA_RESTART versus EINTR on a blocking read, and
 * SIGPIPE.
 *
 * Helper threads are created with every signal blocked (main blocks
 * them around pthread_create), so a process-directed signal can only go
 * where the test means it to.  Only main prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char *code_name(int c)
{
    switch (c) {
    case SI_USER:
        return "SI_USER";
    case SI_QUEUE:
        return "SI_QUEUE";
    case SI_TKILL:
        return "SI_TKILL";
    case SI_TIMER:
        return "SI_TIMER";
    case SI_KERNEL:
        return "SI_KERNEL";
    }
    return "other";
}

static volatile sig_atomic_t hits;
/* What the last handler saw.  volatile: glibc declares its system call
 * wrappers leaf functions, so without it the compiler may keep values
 * read before a raise() or sigprocmask() in registers across it. */
static volatile pthread_t handled_on;
static volatile int last_code, last_pid, last_value;
static volatile int order[16], norder;

static void on_sig(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    hits++;
    handled_on = pthread_self();
    last_code = si->si_code;
    last_pid = si->si_pid;
    last_value = si->si_value.sival_int;
    if (norder < 16)
        order[norder++] = s;
}

static void handle(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

static sigset_t just(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    return s;
}

static int is_blocked(int sig)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

/* Create a thread with every signal blocked; it unblocks what it wants. */
static void spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- masks are per thread ---- */

struct mask_report {
    int inherited_usr2, usr1_after, main_usr1_seen;
};

static void *mask_thread(void *arg)
{
    struct mask_report *m = arg;
    m->inherited_usr2 = is_blocked(SIGUSR2);
    sigset_t s = just(SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    m->usr1_after = is_blocked(SIGUSR1);
    return NULL;
}

static void masks(void)
{
    sigset_t s = just(SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    struct mask_report m;
    pthread_t t;
    pthread_create(&t, NULL, mask_thread, &m); /* plain create: inherits */
    pthread_join(t, NULL);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    printf("thread inherited main's mask (SIGUSR2 blocked): %s\n", yn(m.inherited_usr2));
    printf("thread blocked SIGUSR1 for itself: %s, main's SIGUSR1 still unblocked: %s\n",
           yn(m.usr1_after), yn(!is_blocked(SIGUSR1)));
    errno = 0;
    int r = pthread_sigmask(99, &s, NULL);
    printf("pthread_sigmask bad how: %s\n", errname(r));
}

/* ---- directed delivery ---- */

struct waiter {
    int sig;
    volatile int ready;
    int suspended_eintr;
    int pending_before;
    pthread_t self;
};

/* Unblock sig only inside sigsuspend, so a signal sent early stays
 * pending on this thread instead of being lost. */
static void *suspend_thread(void *arg)
{
    struct waiter *w = arg;
    w->self = pthread_self();
    sigset_t wait_mask;
    pthread_sigmask(SIG_BLOCK, NULL, &wait_mask);
    sigdelset(&wait_mask, w->sig);
    w->ready = 1;
    int r = sigsuspend(&wait_mask);
    w->suspended_eintr = r == -1 && errno == EINTR;
    return NULL;
}

static void *block_and_wait(void *arg)
{
    struct waiter *w = arg;
    /* sig stays blocked; report what is pending here, then take it. */
    for (int i = 0; i < 5000; i++) {
        sigset_t p;
        sigpending(&p);
        if (sigismember(&p, w->sig)) {
            w->pending_before = 1;
            break;
        }
        msleep(1);
    }
    sigset_t s = just(w->sig);
    w->suspended_eintr = sigwaitinfo(&s, NULL) == w->sig;
    return NULL;
}

static void directed(void)
{
    handle(SIGUSR1, 0);
    pthread_t t[3];
    struct waiter w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (struct waiter){SIGUSR1, 0, 0, 0, 0};
        spawn(&t[i], suspend_thread, &w[i]);
    }
    /* Signal the middle one; then the others, one by one. */
    hits = 0;
    pthread_kill(t[1], SIGUSR1);
    pthread_join(t[1], NULL);
    printf("pthread_kill to thread 2 of 3: handler ran %d time(s), on that thread %s, its "
           "sigsuspend returned EINTR %s, si_code %s\n",
           (int)hits, yn(pthread_equal(handled_on, t[1])), yn(w[1].suspended_eintr),
           code_name(last_code));
    int right = 0;
    for (int i = 0; i < 3; i += 2) {
        pthread_kill(t[i], SIGUSR1);
        pthread_join(t[i], NULL);
        right += pthread_equal(handled_on, t[i]) != 0 && w[i].suspended_eintr;
    }
    printf("the other two, each on its own thread: %d\n", right);

    /* kill() of the process, blocked in main: only the waiter can take it. */
    sigset_t s = just(SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    struct waiter k = {SIGUSR1, 0, 0, 0, 0};
    pthread_t kt;
    spawn(&kt, suspend_thread, &k);
    while (!k.ready)
        msleep(1);
    hits = 0;
    kill(getpid(), SIGUSR1);
    pthread_join(kt, NULL);
    sigset_t p;
    sigpending(&p);
    printf("kill(getpid()) with main blocking it: handled on the waiting thread %s, hits %d, "
           "si_code %s, si_pid ours %s, pending in main %s\n",
           yn(pthread_equal(handled_on, kt)), (int)hits, code_name(last_code),
           yn(last_pid == getpid()), yn(sigismember(&p, SIGUSR1)));

    /* A signal pending on another thread is not pending for main. */
    struct waiter b = {SIGUSR1, 0, 0, 0, 0};
    pthread_t bt;
    spawn(&bt, block_and_wait, &b);
    pthread_kill(bt, SIGUSR1);
    pthread_join(bt, NULL);
    sigpending(&p);
    printf("pthread_kill to a thread blocking it: pending there %s, not in main %s, "
           "sigwaitinfo took it %s\n",
           yn(b.pending_before), yn(!sigismember(&p, SIGUSR1)), yn(b.suspended_eintr));
    sigprocmask(SIG_UNBLOCK, &s, NULL);

    printf("pthread_kill(self, 0): %s\n", errname(pthread_kill(pthread_self(), 0)));
    errno = 0;
    int r = syscall(SYS_tgkill, getpid() + 100000, (long)syscall(SYS_gettid), SIGUSR1);
    printf("tgkill with the wrong tgid: %d %s\n", r, errname(errno));
    errno = 0;
    r = kill(getpid(), 0);
    printf("kill(getpid(), 0): %d\n", r);
    errno = 0;
    r = kill(getpid(), 65);
    printf("kill signal 65: %d %s\n", r, errname(errno));
}

/* ---- waiting ---- */

static void *kill_main_later(void *arg)
{
    pthread_t *m = arg;
    msleep(20);
    pthread_kill(*m, SIGUSR2);
    return NULL;
}

static void waiting(void)
{
    sigset_t s = just(SIGUSR1), orig;
    sigprocmask(SIG_BLOCK, &s, &orig);
    siginfo_t si;
    struct timespec to = {0, 30 * 1000000L};
    errno = 0;
    int r = sigtimedwait(&s, &si, &to);
    printf("sigtimedwait 30 ms, nothing pending: %d %s\n", r, errname(errno));
    struct timespec zero = {0, 0};
    errno = 0;
    r = sigtimedwait(&s, &si, &zero);
    printf("sigtimedwait zero timeout: %d %s\n", r, errname(errno));

    raise(SIGUSR1);
    memset(&si, 0, sizeof(si));
    r = sigtimedwait(&s, &si, &to);
    printf("sigtimedwait after raise: %d, si_signo %d, si_code %s, si_pid ours %s, si_uid ours "
           "%s\n",
           r, si.si_signo, code_name(si.si_code), yn(si.si_pid == getpid()),
           yn(si.si_uid == getuid()));

    kill(getpid(), SIGUSR1);
    memset(&si, 0, sizeof(si));
    r = sigwaitinfo(&s, &si);
    printf("sigwaitinfo after kill: %d, si_code %s\n", r, code_name(si.si_code));

    union sigval v = {.sival_int = 4242};
    sigqueue(getpid(), SIGUSR1, v);
    memset(&si, 0, sizeof(si));
    r = sigwaitinfo(&s, &si);
    printf("sigwaitinfo after sigqueue: %d, si_code %s, si_value %d\n", r, code_name(si.si_code),
           si.si_value.sival_int);

    raise(SIGUSR1);
    int got = 0;
    r = sigwait(&s, &got);
    printf("sigwait: returned %d, signal %d\n", r, got);

    /* Raw rt_sigtimedwait: returns the signal number; a bad size is
     * refused. */
    raise(SIGUSR1);
    errno = 0;
    long lr = syscall(SYS_rt_sigtimedwait, &s, NULL, &zero, 8);
    printf("rt_sigtimedwait raw: %ld\n", lr);
    errno = 0;
    lr = syscall(SYS_rt_sigtimedwait, &s, NULL, &zero, 4);
    printf("rt_sigtimedwait sigsetsize 4: %ld %s\n", lr, errname(errno));
    struct timespec bad = {0, 1000000000L};
    errno = 0;
    r = sigtimedwait(&s, NULL, &bad);
    printf("sigtimedwait tv_nsec 1e9: %d %s\n", r, errname(errno));

    /* Signals not in the wait set stay pending and are not returned. */
    sigset_t both = s;
    sigaddset(&both, SIGUSR2);
    sigprocmask(SIG_BLOCK, &both, NULL);
    raise(SIGUSR2);
    errno = 0;
    r = sigtimedwait(&s, &si, &zero);
    sigset_t p;
    sigpending(&p);
    printf("waiting for SIGUSR1 with SIGUSR2 pending: %d %s, SIGUSR2 still pending %s\n", r,
           errname(errno), yn(sigismember(&p, SIGUSR2)));
    sigset_t u2 = just(SIGUSR2);
    sigwaitinfo(&u2, NULL);

    /* sigsuspend woken by another thread's pthread_kill. */
    handle(SIGUSR2, 0);
    hits = 0;
    pthread_t self = pthread_self(), t;
    spawn(&t, kill_main_later, &self);
    sigset_t wait_mask = orig;
    sigdelset(&wait_mask, SIGUSR2);
    errno = 0;
    r = sigsuspend(&wait_mask);
    int e = errno;
    pthread_join(t, NULL);
    printf("sigsuspend woken by another thread: %d %s, handler ran %d, on main %s, mask restored "
           "(SIGUSR2 blocked) %s\n",
           r, errname(e), (int)hits, yn(pthread_equal(handled_on, self)), yn(is_blocked(SIGUSR2)));
    sigprocmask(SIG_SETMASK, &orig, NULL);
}

/* ---- queueing and order ---- */

static void queueing(void)
{
    int rt = SIGRTMIN + 2;
    handle(rt, 0);
    handle(SIGRTMIN, 0);
    handle(SIGUSR1, 0);
    handle(SIGUSR2, 0);
    handle(SIGHUP, 0);
    sigset_t s, orig;
    sigemptyset(&s);
    sigaddset(&s, rt);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGHUP);
    sigaddset(&s, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &s, &orig);
    hits = 0;
    norder = 0;
    int values[3], nv = 0;
    for (int i = 1; i <= 3; i++) {
        union sigval v = {.sival_int = i * 10};
        sigqueue(getpid(), rt, v);
        raise(SIGUSR1);
    }
    raise(SIGUSR2);
    raise(SIGHUP);
    sigset_t p;
    sigpending(&p);
    printf("pending: SIGHUP %s, SIGUSR1 %s, SIGUSR2 %s, SIGRTMIN+2 %s\n",
           yn(sigismember(&p, SIGHUP)), yn(sigismember(&p, SIGUSR1)), yn(sigismember(&p, SIGUSR2)),
           yn(sigismember(&p, rt)));
    /* Take the real-time ones with sigwaitinfo to see their values in
     * order; the others are delivered on unblocking. */
    sigset_t rts = just(rt);
    siginfo_t si;
    struct timespec zero = {0, 0};
    while (nv < 3 && sigtimedwait(&rts, &si, &zero) == rt)
        values[nv++] = si.si_value.sival_int;
    printf("SIGRTMIN+2 queued 3 times: taken %d, values", nv);
    for (int i = 0; i < nv; i++)
        printf(" %d", values[i]);
    printf("\n");
    sigprocmask(SIG_SETMASK, &orig, NULL);
    printf("standard signals raised while blocked (SIGUSR1 3 times): delivered %d, order", norder);
    for (int i = 0; i < norder; i++)
        printf(" %s", order[i] == SIGHUP    ? "SIGHUP"
                      : order[i] == SIGUSR1 ? "SIGUSR1"
                      : order[i] == SIGUSR2 ? "SIGUSR2"
                                            : "other");
    printf("\n");

    /* Real-time signals queue; delivered on unblock, lowest first. */
    sigprocmask(SIG_BLOCK, &s, NULL);
    norder = 0;
    for (int i = 0; i < 3; i++) {
        union sigval v = {.sival_int = i};
        sigqueue(getpid(), rt, v);
    }
    union sigval v = {.sival_int = 7};
    sigqueue(getpid(), SIGRTMIN, v);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    printf("real-time signals queued while blocked: delivered %d, order", norder);
    for (int i = 0; i < norder; i++)
        printf(" SIGRTMIN+%d", order[i] - SIGRTMIN);
    printf(", last value %d\n", last_value);

    /* rt_sigqueueinfo to ourselves with SI_QUEUE. */
    siginfo_t q;
    memset(&q, 0, sizeof(q));
    q.si_signo = rt;
    q.si_code = SI_QUEUE;
    q.si_pid = getpid();
    q.si_uid = getuid();
    q.si_value.sival_int = 31337;
    hits = 0;
    long r = syscall(SYS_rt_sigqueueinfo, getpid(), rt, &q);
    printf("rt_sigqueueinfo SI_QUEUE to self: %ld, handler ran %d, si_code %s, si_value %d\n", r,
           (int)hits, code_name(last_code), last_value);
    /* si_code SI_KERNEL (positive) from user space is refused. */
    q.si_code = SI_KERNEL;
    errno = 0;
    r = syscall(SYS_rt_sigqueueinfo, getpid(), rt, &q);
    printf("rt_sigqueueinfo SI_KERNEL: %ld %s\n", r, errname(errno));
    signal(rt, SIG_DFL);
    signal(SIGRTMIN, SIG_DFL);
}

/* ---- handler masks and nesting ---- */

static volatile int trace[8], ntrace, mask_in_handler_usr2, mask_in_handler_self;

static void nesting(int s)
{
    if (ntrace < 8)
        trace[ntrace++] = 1; /* enter */
    mask_in_handler_usr2 = is_blocked(SIGUSR2);
    mask_in_handler_self = is_blocked(s);
    if (ntrace == 1)
        raise(s);
    if (ntrace < 8)
        trace[ntrace++] = 2; /* leave */
}

static void print_trace(const char *what)
{
    printf("%s:", what);
    for (int i = 0; i < ntrace; i++)
        printf(" %s", trace[i] == 1 ? "enter" : "leave");
    printf("\n");
}

static void handler_masks(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = nesting;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGHUP, &sa, NULL);
    ntrace = 0;
    raise(SIGHUP);
    print_trace("raise from its own handler, deferred");
    printf("in the handler: SIGUSR2 (sa_mask) blocked %s, SIGHUP blocked %s; after: SIGUSR2 "
           "blocked %s\n",
           yn(mask_in_handler_usr2), yn(mask_in_handler_self), yn(is_blocked(SIGUSR2)));
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGHUP, &sa, NULL);
    ntrace = 0;
    raise(SIGHUP);
    print_trace("with SA_NODEFER, nested");
    printf("with SA_NODEFER, SIGHUP blocked in the handler: %s\n", yn(mask_in_handler_self));
    signal(SIGHUP, SIG_DFL);
}

/* ---- SA_RESTART and EINTR ---- */

static void *write_later(void *arg)
{
    int fd = *(int *)arg;
    msleep(100);
    if (write(fd, "r", 1) != 1)
        return NULL;
    return NULL;
}

static void restart(void)
{
    for (int with = 1; with >= 0; with--) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sig;
        sa.sa_flags = SA_SIGINFO | (with ? SA_RESTART : 0);
        sigaction(SIGALRM, &sa, NULL);
        int p[2];
        if (pipe(p) != 0)
            return;
        pthread_t t;
        spawn(&t, write_later, &p[1]); /* SIGALRM blocked there */
        hits = 0;
        struct itimerval it = {{0, 0}, {0, 30000}};
        setitimer(ITIMER_REAL, &it, NULL);
        char c = 0;
        errno = 0;
        ssize_t r = read(p[0], &c, 1);
        int e = errno;
        int hits_at_return = hits;
        pthread_join(t, NULL);
        if (with)
            printf("read on an empty pipe, SIGALRM (SA_RESTART) at 30 ms, data at 100 ms: "
                   "handler ran %d, read %zd '%c'\n",
                   hits_at_return, r, c);
        else
            printf("read on an empty pipe, SIGALRM (no SA_RESTART) at 30 ms: handler ran %d, "
                   "read %zd %s\n",
                   hits_at_return, r, errname(e));
        close(p[0]);
        close(p[1]);
    }
    signal(SIGALRM, SIG_DFL);
}

/* ---- SIGPIPE ---- */

static void sigpipe(void)
{
    handle(SIGPIPE, 0);
    int p[2];
    if (pipe(p) != 0)
        return;
    close(p[0]);
    hits = 0;
    errno = 0;
    ssize_t r = write(p[1], "x", 1);
    int e = errno;
    printf("write to a pipe with no reader: %zd %s, SIGPIPE handler ran %d, si_code %s, si_pid "
           "ours %s\n",
           r, errname(e), (int)hits, code_name(last_code), yn(last_pid == getpid()));

    sigset_t s = just(SIGPIPE), orig;
    sigprocmask(SIG_BLOCK, &s, &orig);
    errno = 0;
    r = write(p[1], "x", 1);
    e = errno;
    sigset_t pend;
    sigpending(&pend);
    printf("same with SIGPIPE blocked: %zd %s, pending %s\n", r, errname(e),
           yn(sigismember(&pend, SIGPIPE)));
    sigwaitinfo(&s, NULL);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    r = write(p[1], "x", 1);
    printf("same with SIGPIPE ignored: %zd %s\n", r, errname(errno));
    close(p[1]);
    signal(SIGPIPE, SIG_DFL);
}

int main(void)
{
    masks();
    directed();
    waiting();
    queueing();
    handler_masks();
    restart();
    sigpipe();
    return 0;
}
