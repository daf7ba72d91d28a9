/*
 * sigtimers: timers that deliver signals, sleeps that signals interrupt,
 * and CPU-time accounting.  setitimer/getitimer (REAL, VIRTUAL, PROF),
 * a SIGALRM that must interrupt a loop making no system calls, periodic
 * timers, POSIX timers (timer_create with SIGEV_SIGNAL, SIGEV_NONE and
 * SIGEV_THREAD, timer_settime/gettime/getoverrun/delete), nanosleep and
 * clock_nanosleep interrupted by a handler, times(), getrusage() and the
 * CPU-time clocks.
 *
 * Only relations are printed (fired, ordering, lower bounds with slack,
 * "advanced": yes/no), never times or counts that depend on the load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000LL

static long long ns_of(struct timespec t)
{
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long tv_ns(struct timeval t)
{
    return t.tv_sec * 1000000000LL + t.tv_usec * 1000LL;
}

static long long now(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return ns_of(t);
}

static volatile sig_atomic_t alarms, profs, vtalrms, usr1s;
static volatile int last_signo, last_code, last_value;

static void on_alarm(int s)
{
    (void)s;
    alarms++;
}

static void on_prof(int s)
{
    if (s == SIGPROF)
        profs++;
    else
        vtalrms++;
}

static void on_usr1(int s, siginfo_t *si, void *uc)
{
    (void)s;
    (void)uc;
    last_signo = si->si_signo;
    last_code = si->si_code;
    last_value = si->si_value.sival_int;
    usr1s++;
}

static void handle(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

/* Spin without system calls (the clock is a vDSO read natively, and only
 * every 64K iterations) until *flag becomes nonzero or limit_ms pass. */
static int spin_until(volatile sig_atomic_t *flag, long long limit_ms)
{
    long long t0 = now(CLOCK_MONOTONIC);
    for (unsigned long i = 0; !*flag; i++)
        if ((i & 0xffff) == 0 && now(CLOCK_MONOTONIC) - t0 > limit_ms * MS)
            return 0;
    return 1;
}

/* Burn ms milliseconds of this thread's CPU time (not wall time: on a
 * loaded machine the thread may get a fraction of a CPU), giving up after
 * 5 s of wall time should the thread CPU clock not advance. */
static void burn(long ms)
{
    long long start = now(CLOCK_THREAD_CPUTIME_ID), wall = now(CLOCK_MONOTONIC);
    volatile unsigned long x = 0;
    while (now(CLOCK_THREAD_CPUTIME_ID) - start < ms * MS &&
           now(CLOCK_MONOTONIC) - wall < 5000 * MS)
        for (int i = 0; i < 1000; i++)
            x++;
}

/* sigsuspend, bounded: ppoll with no fds lets a signal in through the
 * mask the same way but gives up after 5 s, so a timer that never fires
 * fails the test instead of hanging it. */
static void wait_for_signal(const sigset_t *mask)
{
    struct timespec limit = {5, 0};
    ppoll(NULL, 0, &limit, mask);
}

static void itimers(void)
{
    handle(SIGALRM, on_alarm, 0);
    struct itimerval it = {{0, 0}, {0, 50000}}, old;
    long long t0 = now(CLOCK_MONOTONIC);
    alarms = 0;
    int r = setitimer(ITIMER_REAL, &it, NULL);
    int ok = spin_until(&alarms, 10000);
    printf("ITIMER_REAL 50 ms while spinning: setitimer %d, handler ran %s, after >= 45 ms %s\n", r,
           yn(ok), yn(now(CLOCK_MONOTONIC) - t0 >= 45 * MS));
    getitimer(ITIMER_REAL, &old);
    printf("one-shot disarmed after firing: %s\n",
           yn(old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0));

    /* Round trip: interval exact, remaining no more than what was set. */
    it = (struct itimerval){{2, 0}, {5, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
    getitimer(ITIMER_REAL, &old);
    printf("getitimer REAL: interval 2 s %s, 4 s < remaining <= 5 s %s\n",
           yn(old.it_interval.tv_sec == 2 && old.it_interval.tv_usec == 0),
           yn(tv_ns(old.it_value) <= 5000 * MS && tv_ns(old.it_value) > 4000 * MS));
    struct itimerval zero = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &zero, &old);
    printf("disarm returns the old value: interval 2 s %s, remaining <= 5 s %s\n",
           yn(old.it_interval.tv_sec == 2), yn(tv_ns(old.it_value) <= 5000 * MS));
    getitimer(ITIMER_REAL, &old);
    printf("disarmed: %s\n", yn(tv_ns(old.it_value) == 0 && tv_ns(old.it_interval) == 0));
    printf("alarm() after disarm returns %u\n", alarm(0));
    alarm(100);
    printf("alarm(100) then alarm(0) returns 100: %s\n", yn(alarm(0) == 100));

    errno = 0;
    r = setitimer(99, &it, NULL);
    printf("setitimer which 99: %d %s\n", r, errname(errno));
    it = (struct itimerval){{0, 0}, {0, 1000000}};
    errno = 0;
    r = setitimer(ITIMER_REAL, &it, NULL);
    printf("setitimer tv_usec 1000000: %d %s\n", r, errname(errno));
    errno = 0;
    r = getitimer(99, &old);
    printf("getitimer which 99: %d %s\n", r, errname(errno));

    /* Periodic: 20 ms interval, fires (at least) three times. */
    alarms = 0;
    it = (struct itimerval){{0, 20000}, {0, 20000}};
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &orig);
    t0 = now(CLOCK_MONOTONIC);
    setitimer(ITIMER_REAL, &it, NULL);
    int rounds = 0;
    while (alarms < 3 && rounds++ < 100)
        wait_for_signal(&orig);
    setitimer(ITIMER_REAL, &zero, NULL);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    printf("periodic ITIMER_REAL 20 ms: fired 3 times %s, took >= 55 ms %s\n", yn(alarms >= 3),
           yn(now(CLOCK_MONOTONIC) - t0 >= 55 * MS));

    /* CPU-time timers fire only while the process runs. */
    handle(SIGPROF, on_prof, 0);
    handle(SIGVTALRM, on_prof, 0);
    it = (struct itimerval){{0, 0}, {0, 20000}};
    setitimer(ITIMER_PROF, &it, NULL);
    getitimer(ITIMER_PROF, &old);
    /* Linux adds a tick to CPU-time timers, so allow some slack. */
    printf("getitimer PROF: armed %s, remaining <= 40 ms %s\n", yn(tv_ns(old.it_value) > 0),
           yn(tv_ns(old.it_value) <= 40 * MS));
    printf("ITIMER_PROF 20 ms of CPU while spinning: fired %s\n", yn(spin_until(&profs, 10000)));
    setitimer(ITIMER_VIRTUAL, &it, NULL);
    printf("ITIMER_VIRTUAL 20 ms of CPU while spinning: fired %s\n",
           yn(spin_until(&vtalrms, 10000)));
    setitimer(ITIMER_VIRTUAL, &it, NULL);
    struct timespec nap = {0, 50 * MS};
    nanosleep(&nap, NULL);
    getitimer(ITIMER_VIRTUAL, &old);
    printf("ITIMER_VIRTUAL while sleeping 50 ms: not fired %s, still armed %s\n", yn(vtalrms == 1),
           yn(tv_ns(old.it_value) > 0));
    setitimer(ITIMER_VIRTUAL, &zero, NULL);
}

static sem_t thread_fired;
static volatile int thread_value;

static void on_timer_thread(union sigval v)
{
    thread_value = v.sival_int;
    sem_post(&thread_fired);
}

static void posix_timers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &orig);

    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 77;
    timer_t t;
    int r = timer_create(CLOCK_MONOTONIC, &ev, &t);
    printf("timer_create(MONOTONIC, SIGEV_SIGNAL): %s\n", r ? errname(errno) : "ok");
    if (r) {
        sigprocmask(SIG_SETMASK, &orig, NULL);
        return;
    }
    struct itimerspec its = {{0, 0}, {0, 30 * MS}}, cur;
    r = timer_settime(t, 0, &its, NULL);
    timer_gettime(t, &cur);
    printf("timer_settime 30 ms: %d, gettime 0 < remaining <= 30 ms %s, interval 0 %s\n", r,
           yn(ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 30 * MS),
           yn(ns_of(cur.it_interval) == 0));
    usr1s = 0;
    for (int i = 0; i < 100 && !usr1s; i++)
        wait_for_signal(&orig);
    printf("fired: %s, si_signo SIGUSR1 %s, si_code SI_TIMER %s, si_value %d\n", yn(usr1s == 1),
           yn(last_signo == SIGUSR1), yn(last_code == SI_TIMER), last_value);
    timer_gettime(t, &cur);
    printf("after firing, gettime 0: %s\n", yn(ns_of(cur.it_value) == 0));

    /* Absolute deadline, then re-arm to replace it and read the old one. */
    struct timespec n;
    clock_gettime(CLOCK_MONOTONIC, &n);
    its.it_value = n;
    its.it_value.tv_sec += 10;
    timer_settime(t, TIMER_ABSTIME, &its, NULL);
    struct itimerspec prev;
    its = (struct itimerspec){{0, 0}, {0, 0}};
    timer_settime(t, 0, &its, &prev);
    printf("TIMER_ABSTIME +10 s, then disarmed: old remaining in (9 s, 10 s] %s\n",
           yn(ns_of(prev.it_value) > 9000 * MS && ns_of(prev.it_value) <= 10000 * MS));

    /* Overruns: a 1 ms periodic timer while its signal is blocked. */
    its = (struct itimerspec){{0, 1 * MS}, {0, 1 * MS}};
    timer_settime(t, 0, &its, NULL);
    struct timespec nap = {0, 30 * MS};
    nanosleep(&nap, NULL);
    siginfo_t si;
    struct timespec zero = {0, 0};
    int s = sigtimedwait(&block, &si, &zero);
    int over = timer_getoverrun(t);
    its = (struct itimerspec){{0, 0}, {0, 0}};
    timer_settime(t, 0, &its, NULL);
    /* Another expiry may have queued a signal before the disarm. */
    while (sigtimedwait(&block, NULL, &zero) == SIGUSR1)
        ;
    printf("1 ms periodic, signal blocked 30 ms: one signal %s, si_overrun > 0 %s, "
           "timer_getoverrun > 0 %s, same %s\n",
           yn(s == SIGUSR1), yn(si.si_overrun > 0), yn(over > 0), yn(over == si.si_overrun));
    printf("timer_delete: %d\n", timer_delete(t));

    /* SIGEV_NONE: counts down, never signals. */
    ev.sigev_notify = SIGEV_NONE;
    timer_create(CLOCK_REALTIME, &ev, &t);
    its = (struct itimerspec){{0, 0}, {0, 20 * MS}};
    timer_settime(t, 0, &its, NULL);
    usr1s = 0;
    nanosleep(&nap, NULL);
    timer_gettime(t, &cur);
    sigset_t pend;
    sigpending(&pend);
    printf("SIGEV_NONE on REALTIME, 20 ms: expired %s, no signal %s\n",
           yn(ns_of(cur.it_value) == 0), yn(!sigismember(&pend, SIGUSR1) && usr1s == 0));
    timer_delete(t);
    sigprocmask(SIG_SETMASK, &orig, NULL);

    /* SIGEV_THREAD: the callback runs on a thread libc makes. */
    sem_init(&thread_fired, 0, 0);
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_timer_thread;
    ev.sigev_value.sival_int = 99;
    r = timer_create(CLOCK_MONOTONIC, &ev, &t);
    its = (struct itimerspec){{0, 0}, {0, 10 * MS}};
    timer_settime(t, 0, &its, NULL);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;
    int w = sem_timedwait(&thread_fired, &dl);
    printf("SIGEV_THREAD: create %s, callback ran %s, value %d\n", r ? errname(errno) : "ok",
           yn(w == 0), thread_value);
    timer_delete(t);
    sem_destroy(&thread_fired);

    errno = 0;
    r = timer_create(12345, &ev, &t);
    printf("timer_create bad clock: %d %s\n", r, errname(r ? errno : 0));
}

static void interrupted_sleeps(void)
{
    /* SA_RESTART does not restart sleeps: they return EINTR. */
    handle(SIGALRM, on_alarm, SA_RESTART);
    struct itimerval it = {{0, 0}, {0, 30000}};
    struct timespec req = {5, 0}, rem = {-1, -1};

    setitimer(ITIMER_REAL, &it, NULL);
    errno = 0;
    int r = nanosleep(&req, &rem);
    printf("nanosleep 5 s, SIGALRM after 30 ms: %d %s, 4 s < remaining < 5 s %s\n", r,
           errname(errno), yn(ns_of(rem) > 4000 * MS && ns_of(rem) < 5000 * MS));

    setitimer(ITIMER_REAL, &it, NULL);
    rem = (struct timespec){-1, -1};
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    printf("clock_nanosleep MONOTONIC relative 5 s, interrupted: %s, remaining filled %s\n",
           errname(r), yn(ns_of(rem) > 4000 * MS && ns_of(rem) < 5000 * MS));

    static const struct {
        clockid_t c;
        const char *name;
    } clocks[] = {{CLOCK_MONOTONIC, "MONOTONIC"}, {CLOCK_REALTIME, "REALTIME"}};
    for (int i = 0; i < 2; i++) {
        struct timespec abs;
        clock_gettime(clocks[i].c, &abs);
        abs.tv_sec += 5;
        setitimer(ITIMER_REAL, &it, NULL);
        rem = (struct timespec){-1, -1};
        r = clock_nanosleep(clocks[i].c, TIMER_ABSTIME, &abs, &rem);
        printf("clock_nanosleep %s TIMER_ABSTIME +5 s, interrupted: %s, remaining untouched %s\n",
               clocks[i].name, errname(r), yn(rem.tv_sec == -1 && rem.tv_nsec == -1));
    }
    /* Uninterrupted, for contrast: the deadline is reached. */
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    long long dl = ns_of(abs) + 20 * MS;
    abs.tv_nsec += 20 * MS;
    if (abs.tv_nsec >= 1000000000L) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000L;
    }
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL);
    printf("clock_nanosleep REALTIME TIMER_ABSTIME +20 ms: %s, woke after the deadline %s\n",
           errname(r), yn(now(CLOCK_REALTIME) >= dl));
    r = clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL);
    printf("clock_nanosleep THREAD_CPUTIME_ID: %s\n", errname(r));
}

struct cpu_report {
    int thread_advanced, thread_sleep_small, rusage_thread_advanced;
};

static void *thread_cpu(void *arg)
{
    struct cpu_report *c = arg;
    struct rusage a, b;
    long long t0 = now(CLOCK_THREAD_CPUTIME_ID);
    getrusage(RUSAGE_THREAD, &a);
    burn(50);
    long long t1 = now(CLOCK_THREAD_CPUTIME_ID);
    getrusage(RUSAGE_THREAD, &b);
    struct timespec nap = {0, 50 * MS};
    nanosleep(&nap, NULL);
    long long t2 = now(CLOCK_THREAD_CPUTIME_ID);
    c->thread_advanced = t1 - t0 >= 10 * MS;
    c->thread_sleep_small = t2 - t1 < 25 * MS;
    c->rusage_thread_advanced =
        tv_ns(b.ru_utime) + tv_ns(b.ru_stime) > tv_ns(a.ru_utime) + tv_ns(a.ru_stime);
    return NULL;
}

static void cpu_time(void)
{
    struct tms t0, t1;
    clock_t c0 = times(&t0);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    long long p0 = now(CLOCK_PROCESS_CPUTIME_ID), th0 = now(CLOCK_THREAD_CPUTIME_ID);
    burn(50);
    long long p1 = now(CLOCK_PROCESS_CPUTIME_ID), th1 = now(CLOCK_THREAD_CPUTIME_ID);
    clock_t c1 = times(&t1);
    getrusage(RUSAGE_SELF, &r1);
    printf(
        "times() after a 50 ms CPU spin: elapsed ticks non-decreasing %s, CPU ticks advanced %s, "
        "children 0 %s\n",
        yn(c1 >= c0), yn(t1.tms_utime + t1.tms_stime > t0.tms_utime + t0.tms_stime),
        yn(t1.tms_cutime == 0 && t1.tms_cstime == 0));
    printf("getrusage SELF after the spin: CPU advanced %s, user time >= 10 ms %s\n",
           yn(tv_ns(r1.ru_utime) + tv_ns(r1.ru_stime) > tv_ns(r0.ru_utime) + tv_ns(r0.ru_stime)),
           yn(tv_ns(r1.ru_utime) >= 10 * MS));
    printf("PROCESS_CPUTIME advanced >= 10 ms during the spin %s, THREAD_CPUTIME %s\n",
           yn(p1 - p0 >= 10 * MS), yn(th1 - th0 >= 10 * MS));
    struct timespec nap = {0, 50 * MS};
    nanosleep(&nap, NULL);
    long long p2 = now(CLOCK_PROCESS_CPUTIME_ID), th2 = now(CLOCK_THREAD_CPUTIME_ID);
    printf("during a 50 ms sleep, PROCESS_CPUTIME advanced < 25 ms %s, THREAD_CPUTIME %s\n",
           yn(p2 - p1 < 25 * MS), yn(th2 - th1 < 25 * MS));
    struct rusage rc;
    getrusage(RUSAGE_CHILDREN, &rc);
    printf("RUSAGE_CHILDREN zero: %s\n", yn(tv_ns(rc.ru_utime) == 0 && tv_ns(rc.ru_stime) == 0));
    errno = 0;
    int r = getrusage(99, &rc);
    printf("getrusage who 99: %d %s\n", r, errname(errno));

    /* Another thread's CPU time: its own clock; the process clock sums. */
    struct cpu_report c = {0, 0, 0};
    pthread_t t;
    long long m0 = now(CLOCK_THREAD_CPUTIME_ID), pp0 = now(CLOCK_PROCESS_CPUTIME_ID);
    pthread_create(&t, NULL, thread_cpu, &c);
    pthread_join(t, NULL);
    long long m1 = now(CLOCK_THREAD_CPUTIME_ID), pp1 = now(CLOCK_PROCESS_CPUTIME_ID);
    printf("thread: its THREAD_CPUTIME advanced in a spin %s, not in a sleep %s, RUSAGE_THREAD "
           "advanced %s\n",
           yn(c.thread_advanced), yn(c.thread_sleep_small), yn(c.rusage_thread_advanced));
    printf("main's THREAD_CPUTIME while joining < 25 ms %s, PROCESS_CPUTIME counted the thread "
           ">= 10 ms %s\n",
           yn(m1 - m0 < 25 * MS), yn(pp1 - pp0 >= 10 * MS));
}

int main(void)
{
    itimers();
    posix_timers();
    interrupted_sleeps();
    cpu_time();
    return 0;
}
