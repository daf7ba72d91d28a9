/*
 * time: clocks and sleeps.  Natively most clock reads go through the vDSO;
 * a VM without one takes the syscall fallback, so both paths must agree.
 * Only relations are printed (ordering, bounds), never times themselves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "check.h"

#define NS 1000000000LL
#define MS 1000000LL

static long long ns(struct timespec t)
{
    return t.tv_sec * NS + t.tv_nsec;
}

/* Reads a clock, printing the failure so a diff names the clock. */
static long long now(clockid_t id, const char *name)
{
    struct timespec t;
    if (clock_gettime(id, &t) != 0) {
        printf("clock_gettime(%s) failed: %s (%d)\n", name, errname(errno), errno);
        return -1;
    }
    return ns(t);
}

static void clocks(void)
{
    static const struct {
        clockid_t id;
        const char *name;
    } all[] = {
        {CLOCK_REALTIME, "REALTIME"},
        {CLOCK_MONOTONIC, "MONOTONIC"},
        {CLOCK_BOOTTIME, "BOOTTIME"},
        {CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"},
        {CLOCK_REALTIME_COARSE, "REALTIME_COARSE"},
        {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"},
        {CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID"},
        {CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID"},
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        struct timespec t, res;
        int g = clock_gettime(all[i].id, &t);
        int ge = errno;
        int r = clock_getres(all[i].id, &res);
        printf("%s: gettime %s, getres %s", all[i].name, g ? errname(ge) : "ok",
               r ? errname(errno) : "ok");
        if (!g)
            printf(", nsec in range %s", t.tv_nsec >= 0 && t.tv_nsec < NS ? "yes" : "no");
        /* Natively 1 ns for the fine clocks and one tick for the
         * coarse ones; only require a plausible, positive value. */
        if (!r)
            printf(", resolution in (0, 10 ms] %s",
                   ns(res) > 0 && ns(res) <= 10 * MS ? "yes" : "no");
        printf("\n");
    }

    struct timespec t;
    errno = 0;
    int bad = clock_gettime((clockid_t)12345, &t);
    printf("clock_gettime(12345): %d %s\n", bad, errname(errno));
}

static void monotonic(void)
{
    long long prev = now(CLOCK_MONOTONIC, "MONOTONIC"), first = prev;
    int backwards = 0;
    for (int i = 0; i < 20000; i++) {
        long long t = now(CLOCK_MONOTONIC, "MONOTONIC");
        backwards += t < prev;
        prev = t;
    }
    yes("MONOTONIC never went backwards in 20000 reads", !backwards);
    yes("MONOTONIC advanced over the reads", prev > first);

    long long mono = now(CLOCK_MONOTONIC, "MONOTONIC");
    long long boot = now(CLOCK_BOOTTIME, "BOOTTIME");
    long long coarse = now(CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE");
    long long fine = now(CLOCK_MONOTONIC, "MONOTONIC");
    yes("BOOTTIME >= MONOTONIC", boot >= mono);
    yes("MONOTONIC_COARSE within 1 s of MONOTONIC", fine - coarse >= 0 && fine - coarse < NS);
}

static void wall(void)
{
    long long rt = now(CLOCK_REALTIME, "REALTIME");
    time_t t = time(NULL);
    struct timeval tv;
    int g = gettimeofday(&tv, NULL);
    long long gt = tv.tv_sec * NS + tv.tv_usec * 1000LL;
    long long diff_t = t * NS - rt, diff_g = gt - rt;

    yes("REALTIME after 2024-01-01", rt / NS > 1704067200LL);
    yes("time() within 2 s of REALTIME", diff_t > -2 * NS && diff_t < 2 * NS);
    yes("gettimeofday succeeds", g == 0);
    yes("gettimeofday usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    yes("gettimeofday within 2 s of REALTIME", diff_g > -2 * NS && diff_g < 2 * NS);
    long long coarse = now(CLOCK_REALTIME_COARSE, "REALTIME_COARSE");
    yes("REALTIME_COARSE within 2 s of REALTIME", coarse - rt > -2 * NS && coarse - rt < 2 * NS);
}

static void cputime(void)
{
    long long p0 = now(CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID");
    long long t0 = now(CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID");
    /* Burn 20 ms of wall time so some CPU time must be charged. */
    long long end = now(CLOCK_MONOTONIC, "MONOTONIC") + 20 * MS;
    volatile unsigned long spin = 0;
    while (now(CLOCK_MONOTONIC, "MONOTONIC") < end)
        for (int i = 0; i < 1000; i++)
            spin += i;
    long long p1 = now(CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID");
    long long t1 = now(CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID");
    yes("PROCESS_CPUTIME_ID increased while spinning", p1 > p0);
    yes("THREAD_CPUTIME_ID increased while spinning", t1 > t0);
}

/* Prints whether a sleep of want ns measured on MONOTONIC took [want, 2 s). */
static void took(const char *what, int ret, long long t0, long long want)
{
    long long dt = now(CLOCK_MONOTONIC, "MONOTONIC") - t0;
    printf("%s: returned %d, slept at least 20 ms: %s, under 2 s: %s\n", what, ret,
           dt >= want ? "yes" : "no", dt < 2 * NS ? "yes" : "no");
}

static void sleeps(void)
{
    struct timespec req = {0, 20 * MS};
    long long t0 = now(CLOCK_MONOTONIC, "MONOTONIC");
    took("nanosleep(20 ms)", nanosleep(&req, NULL), t0, 20 * MS);

    t0 = now(CLOCK_MONOTONIC, "MONOTONIC");
    took("clock_nanosleep(MONOTONIC, relative 20 ms)",
         clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), t0, 20 * MS);

    /* An absolute deadline must be met on the clock it names. */
    t0 = now(CLOCK_MONOTONIC, "MONOTONIC");
    long long dl = t0 + 20 * MS;
    struct timespec abs = {dl / NS, dl % NS};
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
    yes("MONOTONIC deadline reached", now(CLOCK_MONOTONIC, "MONOTONIC") >= dl);
    took("clock_nanosleep(MONOTONIC, TIMER_ABSTIME +20 ms)", r, t0, 20 * MS);

    t0 = now(CLOCK_MONOTONIC, "MONOTONIC");
    dl = now(CLOCK_REALTIME, "REALTIME") + 20 * MS;
    abs = (struct timespec){dl / NS, dl % NS};
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL);
    yes("REALTIME deadline reached", now(CLOCK_REALTIME, "REALTIME") >= dl);
    took("clock_nanosleep(REALTIME, TIMER_ABSTIME +20 ms)", r, t0, 20 * MS);

    /* A deadline in the past returns at once.  The bound is loose for
     * busy machines but still catches the deadline being taken as a
     * relative 1 s sleep. */
    abs = (struct timespec){1, 0};
    t0 = now(CLOCK_MONOTONIC, "MONOTONIC");
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
    long long dt = now(CLOCK_MONOTONIC, "MONOTONIC") - t0;
    printf("clock_nanosleep past deadline: returned %d, under 500 ms: %s\n", r,
           dt < 500 * MS ? "yes" : "no");

    struct timespec bad = {0, NS};
    errno = 0;
    r = nanosleep(&bad, NULL);
    printf("nanosleep(tv_nsec = 1e9): %d %s\n", r, errname(errno));
    bad = (struct timespec){-1, 0};
    errno = 0;
    r = nanosleep(&bad, NULL);
    printf("nanosleep(tv_sec = -1): %d %s\n", r, errname(errno));
    /* clock_nanosleep reports errors as its return value, not errno. */
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL);
    printf("clock_nanosleep(tv_sec = -1): %s\n", errname(r));
}

int main(void)
{
    clocks();
    monotonic();
    wall();
    cputime();
    sleeps();
    return 0;
}
