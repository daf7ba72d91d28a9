/*
 * starve: CPU-bound threads that never make a system call must not starve
 * anything else.  The scheduler has to preempt them: a sleeping main thread
 * still wakes up on time to stop a spinner; a spinning main thread still
 * sees a sleeping thread wake and set its flag; several spinners all make
 * progress; blocking I/O between two threads keeps flowing while spinners
 * run; and sched_yield hands the CPU over.
 *
 * Only facts are printed (counters > 0, who finished), never counts or
 * times, which depend on the number of CPUs and the load.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static volatile int stop;
static volatile int spinner_started;

static void *spin_until_stop(void *arg)
{
    volatile unsigned long *count = arg;
    spinner_started = 1;
    while (!stop)
        (*count)++;
    return NULL;
}

/* A spinner on another thread; main sleeps and must wake to stop it. */
static void sleeper_not_starved(void)
{
    volatile unsigned long n = 0;
    stop = 0;
    pthread_t t;
    spinner_started = 0;
    pthread_create(&t, NULL, spin_until_stop, (void *)&n);
    while (!spinner_started)
        sched_yield();
    long long t0 = now_ms();
    struct timespec req = {0, 50 * 1000000L};
    int r = nanosleep(&req, NULL);
    long long slept = now_ms() - t0;
    stop = 1;
    pthread_join(t, NULL);
    printf("main slept 50 ms beside a spinner: nanosleep %d, slept >= 45 ms %s, spinner ran %s, "
           "spinner stopped\n",
           r, slept >= 45 ? "yes" : "no", n > 0 ? "yes" : "no");
}

static volatile int flag_from_sleeper;

static void *sleep_then_set(void *arg)
{
    (void)arg;
    msleep(50);
    flag_from_sleeper = 1;
    return NULL;
}

/* Main spins with no system calls; a sleeping thread must still get to
 * run when its sleep ends.  Bounded: give up after 10 s of spinning. */
static void spinner_main(void)
{
    pthread_t t;
    long long t0 = now_ms();
    pthread_create(&t, NULL, sleep_then_set, NULL);
    unsigned long spins = 0;
    while (!flag_from_sleeper) {
        /* Read the clock only every so often: the loop is meant to be
         * system-call free (the vDSO may not make one, hx may). */
        if ((++spins & 0xffffff) == 0 && now_ms() - t0 > 10000)
            break;
    }
    int seen = flag_from_sleeper;
    long long took = now_ms() - t0;
    pthread_join(t, NULL);
    printf("main spun until a sleeping thread set a flag: flag seen %s, after >= 45 ms %s\n",
           seen ? "yes" : "no", took >= 45 ? "yes" : "no");
}

/* Three spinners (more than some machines have CPUs) all make progress. */
static void spinners_share(void)
{
    enum { N = 3 };
    volatile unsigned long n[N] = {0};
    pthread_t t[N];
    stop = 0;
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, spin_until_stop, (void *)&n[i]);
    msleep(100);
    stop = 1;
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    int all = 1;
    for (int i = 0; i < N; i++)
        all &= n[i] > 0;
    printf("%d spinners for 100 ms: every counter > 0 %s\n", N, all ? "yes" : "no");
}

struct pingpong {
    int to_child[2], to_parent[2];
    int rounds;
};

static void *echo(void *arg)
{
    struct pingpong *p = arg;
    char c;
    while (read(p->to_child[0], &c, 1) == 1) {
        c++;
        if (write(p->to_parent[1], &c, 1) != 1)
            break;
    }
    return NULL;
}

/* Blocking pipe ping-pong between main and a thread, with two spinners
 * competing for the CPUs. */
static void io_beside_spinners(void)
{
    struct pingpong p;
    if (pipe(p.to_child) != 0 || pipe(p.to_parent) != 0)
        return;
    volatile unsigned long n[2] = {0, 0};
    pthread_t s[2], e;
    stop = 0;
    for (int i = 0; i < 2; i++)
        pthread_create(&s[i], NULL, spin_until_stop, (void *)&n[i]);
    pthread_create(&e, NULL, echo, &p);
    int ok = 0;
    for (int i = 0; i < 50; i++) {
        char c = (char)i, back = 0;
        if (write(p.to_child[1], &c, 1) != 1 || read(p.to_parent[0], &back, 1) != 1)
            break;
        if (back == (char)(i + 1))
            ok++;
    }
    close(p.to_child[1]);
    pthread_join(e, NULL);
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(s[i], NULL);
    close(p.to_child[0]);
    close(p.to_parent[0]);
    close(p.to_parent[1]);
    printf("50 pipe round trips beside 2 spinners: %d right\n", ok);
}

static volatile int turn;
static int yield_turns[2];

static void *take_turns(void *arg)
{
    int me = (int)(long)arg;
    long long t0 = now_ms();
    unsigned long spins = 0;
    for (int i = 0; i < 200; i++) {
        while (turn != me) {
            sched_yield();
            if ((++spins & 0xfff) == 0 && now_ms() - t0 > 10000)
                return NULL;
        }
        yield_turns[me]++;
        turn = !me;
    }
    return NULL;
}

/* Strict alternation through a shared variable, waiting with sched_yield:
 * works on one CPU only if yield lets the other thread run. */
static void yield_alternation(void)
{
    pthread_t t[2];
    turn = 0;
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, take_turns, (void *)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("sched_yield alternation, 2 threads x 200 turns: %d and %d\n", yield_turns[0],
           yield_turns[1]);
}

int main(void)
{
    sleeper_not_starved();
    spinner_main();
    spinners_share();
    io_beside_spinners();
    yield_alternation();
    return 0;
}
