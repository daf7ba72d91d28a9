/* Thread costs, measured by the program itself so the same binary runs
 * natively and under hxrun.  Usage: threads pingpong|create [N]
 *   pingpong  N futex round trips between two threads (default 20000):
 *             prints round trips per second
 *   create    N pthread_create + pthread_join pairs (default 2000):
 *             prints threads per second */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static int turn; /* 0: main's turn, 1: the other thread's */
static long rounds;

static void futex_wait(int *w, int val)
{
    syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(int *w)
{
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Hand the turn over and sleep until it comes back; always through the
 * kernel (no spinning), so each round trip is two wakeups. */
static void pass_and_wait(int mine, int theirs)
{
    __atomic_store_n(&turn, theirs, __ATOMIC_SEQ_CST);
    futex_wake(&turn);
    while (__atomic_load_n(&turn, __ATOMIC_SEQ_CST) != mine)
        futex_wait(&turn, theirs);
}

static void *partner(void *arg)
{
    (void)arg;
    for (long i = 0; i < rounds; i++) {
        while (__atomic_load_n(&turn, __ATOMIC_SEQ_CST) != 1)
            futex_wait(&turn, 0);
        if (i + 1 < rounds)
            pass_and_wait(1, 0);
        else {
            __atomic_store_n(&turn, 0, __ATOMIC_SEQ_CST);
            futex_wake(&turn);
        }
    }
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

static double seconds(struct timespec a, struct timespec b)
{
    return (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "pingpong";
    long n = argc > 2 ? atol(argv[2]) : 0;
    struct timespec a, b;
    if (strcmp(what, "pingpong") == 0) {
        rounds = n > 0 ? n : 20000;
        pthread_t t;
        pthread_create(&t, NULL, partner, NULL);
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < rounds; i++)
            pass_and_wait(0, 1);
        clock_gettime(CLOCK_MONOTONIC, &b);
        pthread_join(t, NULL);
        printf("%.0f\n", rounds / seconds(a, b));
    } else if (strcmp(what, "create") == 0) {
        n = n > 0 ? n : 2000;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, nothing, NULL) != 0) {
                fprintf(stderr, "pthread_create failed after %ld threads\n", i);
                return 1;
            }
            pthread_join(t, NULL);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%.0f\n", n / seconds(a, b));
    } else {
        fprintf(stderr, "usage: threads pingpong|create [N]\n");
        return 2;
    }
    return 0;
}
