/*
 * futex: the raw futex system call, as libc thread primitives use it.
 * WAIT (value mismatch, relative timeouts, interruption by a signal),
 * WAIT_BITSET with absolute CLOCK_MONOTONIC and CLOCK_REALTIME deadlines,
 * WAKE counts, REQUEUE, CMP_REQUEUE, WAKE_OP (each operation and
 * comparison), WAKE_BITSET, the PRIVATE variants and the errors.
 *
 * Whether a waiter has really gone to sleep is never guessed from a
 * delay: wait_for_waiters() moves the sleepers off the word with
 * CMP_REQUEUE (which only counts, never wakes, them) until the expected
 * number have been seen, then moves them back.  Waiter threads only
 * record what their wait returned; main prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* From linux/futex.h, which musl does not ship. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE (FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_OP_PRIVATE (FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_BITSET_PRIVATE (FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY (-1)
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_ANDN 3
#define FUTEX_OP_XOR 4
#define FUTEX_OP_OPARG_SHIFT 8
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_NE 1
#define FUTEX_OP_CMP_LT 2
#define FUTEX_OP_CMP_LE 3
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP_CMP_GE 5
#define FUTEX_OP(op, oparg, cmp, cmparg)                                                           \
    ((((op)&0xf) << 28) | (((cmp)&0xf) << 24) | (((oparg)&0xfff) << 12) | ((cmparg)&0xfff))

static long futex(int *uaddr, int op, int val, const void *timeout_or_val2, int *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

/* "N" or "-1 ERRNO" for a futex call's result. */
static const char *res(long r, int e)
{
    static char buf[8][32];
    static int i;
    char *b = buf[i++ % 8];
    if (r < 0)
        snprintf(b, 32, "-1 %s", errname(e));
    else
        snprintf(b, 32, "%ld", r);
    return b;
}

#define CALL(expr) (errno = 0, r = (expr), res(r, errno))

static long long ns_now(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct timespec ts_of(long long ns)
{
    struct timespec t = {ns / 1000000000LL, ns % 1000000000LL};
    return t;
}

static int park_word;

/* Wait (at most 5 s) until n threads sleep on *w; returns how many were
 * found.  They are requeued to park_word to be counted and then back. */
static int wait_for_waiters(int *w, int n, int private_flag)
{
    int seen = 0;
    for (int tries = 0; tries < 5000 && seen < n; tries++) {
        long r = futex(w, FUTEX_CMP_REQUEUE | private_flag, 0, (void *)(long)INT_MAX, &park_word,
                       __atomic_load_n(w, __ATOMIC_SEQ_CST));
        if (r > 0)
            seen += r;
        if (seen < n)
            msleep(1);
    }
    long back =
        futex(&park_word, FUTEX_CMP_REQUEUE | private_flag, 0, (void *)(long)INT_MAX, w, park_word);
    return back < 0 ? -1 : (int)back;
}

struct waiter {
    int *word;
    int op;
    int val;
    unsigned bitset;
    long result;
    int err;
    int done;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    errno = 0;
    if ((w->op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET)
        w->result = futex(w->word, w->op, w->val, NULL, NULL, (int)w->bitset);
    else
        w->result = futex(w->word, w->op, w->val, NULL, NULL, 0);
    w->err = errno;
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void start(pthread_t *t, struct waiter *w, int *word, int op, unsigned bitset)
{
    *w = (struct waiter){word, op, 0, bitset, -2, 0, 0};
    pthread_create(t, NULL, wait_thread, w);
}

static int done_count(struct waiter *w, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += __atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST);
    return c;
}

/* Joins n waiters and says how many returned 0 from their wait. */
static int join_all(pthread_t *t, struct waiter *w, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        ok += w[i].result == 0;
    }
    return ok;
}

static void waits(void)
{
    int word = 1;
    long r;
    printf("WAIT, value differs: %s\n", CALL(futex(&word, FUTEX_WAIT, 0, NULL, NULL, 0)));
    printf("WAIT_PRIVATE, value differs: %s\n",
           CALL(futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)));

    struct timespec rel = {0, 30 * 1000000L};
    long long t0 = ns_now(CLOCK_MONOTONIC);
    const char *s = CALL(futex(&word, FUTEX_WAIT, 1, &rel, NULL, 0));
    printf("WAIT, relative 30 ms: %s, waited >= 25 ms %s\n", s,
           ns_now(CLOCK_MONOTONIC) - t0 >= 25000000LL ? "yes" : "no");
    t0 = ns_now(CLOCK_MONOTONIC);
    s = CALL(futex(&word, FUTEX_WAIT_PRIVATE, 1, &rel, NULL, 0));
    printf("WAIT_PRIVATE, relative 30 ms: %s, waited >= 25 ms %s\n", s,
           ns_now(CLOCK_MONOTONIC) - t0 >= 25000000LL ? "yes" : "no");
    struct timespec zero = {0, 0};
    printf("WAIT, zero timeout: %s\n", CALL(futex(&word, FUTEX_WAIT, 1, &zero, NULL, 0)));

    /* WAIT_BITSET takes an absolute deadline: CLOCK_MONOTONIC by
     * default, CLOCK_REALTIME with FUTEX_CLOCK_REALTIME. */
    long long dl = ns_now(CLOCK_MONOTONIC) + 30000000LL;
    struct timespec abs = ts_of(dl);
    s = CALL(futex(&word, FUTEX_WAIT_BITSET, 1, &abs, NULL, FUTEX_BITSET_MATCH_ANY));
    printf("WAIT_BITSET, MONOTONIC deadline +30 ms: %s, woke at or after the deadline %s\n", s,
           ns_now(CLOCK_MONOTONIC) >= dl ? "yes" : "no");
    dl = ns_now(CLOCK_REALTIME) + 30000000LL;
    abs = ts_of(dl);
    s = CALL(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | FUTEX_PRIVATE_FLAG, 1, &abs,
                   NULL, FUTEX_BITSET_MATCH_ANY));
    printf("WAIT_BITSET_PRIVATE|CLOCK_REALTIME, deadline +30 ms: %s, woke at or after the deadline "
           "%s\n",
           s, ns_now(CLOCK_REALTIME) >= dl ? "yes" : "no");
    abs = ts_of(ns_now(CLOCK_MONOTONIC) - 1000000000LL);
    t0 = ns_now(CLOCK_MONOTONIC);
    s = CALL(futex(&word, FUTEX_WAIT_BITSET, 1, &abs, NULL, FUTEX_BITSET_MATCH_ANY));
    printf("WAIT_BITSET, deadline in the past: %s, returned within 1 s %s\n", s,
           ns_now(CLOCK_MONOTONIC) - t0 < 1000000000LL ? "yes" : "no");
    printf("WAIT_BITSET, value differs: %s\n",
           CALL(futex(&word, FUTEX_WAIT_BITSET, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY)));
    printf("WAIT_BITSET, bitset 0: %s\n", CALL(futex(&word, FUTEX_WAIT_BITSET, 1, &abs, NULL, 0)));
    struct timespec bad = {0, 1000000000L};
    printf("WAIT, tv_nsec 1e9: %s\n", CALL(futex(&word, FUTEX_WAIT, 1, &bad, NULL, 0)));
    bad = (struct timespec){-1, 0};
    printf("WAIT, tv_sec -1: %s\n", CALL(futex(&word, FUTEX_WAIT, 1, &bad, NULL, 0)));
}

static void wakes(void)
{
    enum { N = 5 };
    static int word;
    pthread_t t[N];
    struct waiter w[N];
    long r;
    printf("WAKE, nobody waiting: %s\n", CALL(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0)));
    for (int i = 0; i < N; i++)
        start(&t[i], &w[i], &word, FUTEX_WAIT, 0);
    printf("%d waiters asleep: %d\n", N, wait_for_waiters(&word, N, 0));
    printf("WAKE 2: %s\n", CALL(futex(&word, FUTEX_WAKE, 2, NULL, NULL, 0)));
    /* Woken threads finish; wait (bounded) for both before counting. */
    for (int i = 0; i < 5000 && done_count(w, N) < 2; i++)
        msleep(1);
    printf("threads finished after WAKE 2: %d\n", done_count(w, N));
    printf("WAKE 0: %s\n", CALL(futex(&word, FUTEX_WAKE, 0, NULL, NULL, 0)));
    printf("WAKE INT_MAX: %s\n", CALL(futex(&word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0)));
    printf("WAKE again: %s\n", CALL(futex(&word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0)));
    printf("waits that returned 0: %d\n", join_all(t, w, N));

    /* The same with the private variants. */
    for (int i = 0; i < 3; i++)
        start(&t[i], &w[i], &word, FUTEX_WAIT_PRIVATE, 0);
    printf("3 private waiters asleep: %d\n", wait_for_waiters(&word, 3, FUTEX_PRIVATE_FLAG));
    printf("WAKE_PRIVATE 1: %s\n", CALL(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
    printf("WAKE_PRIVATE INT_MAX: %s\n",
           CALL(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0)));
    printf("private waits that returned 0: %d\n", join_all(t, w, 3));
}

static void requeues(void)
{
    static int a, b;
    enum { N = 4 };
    pthread_t t[N];
    struct waiter w[N];
    long r;
    for (int i = 0; i < N; i++)
        start(&t[i], &w[i], &a, FUTEX_WAIT_PRIVATE, 0);
    printf("%d waiters on A: %d\n", N, wait_for_waiters(&a, N, FUTEX_PRIVATE_FLAG));
    /* Wake 1, move 2 to B: the result counts both. */
    printf("REQUEUE_PRIVATE A->B, wake 1, requeue 2: %s\n",
           CALL(futex(&a, FUTEX_REQUEUE_PRIVATE, 1, (void *)2L, &b, 0)));
    printf("WAKE_PRIVATE B: %s\n", CALL(futex(&b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0)));
    printf("WAKE_PRIVATE A: %s\n", CALL(futex(&a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0)));
    printf("waits that returned 0: %d\n", join_all(t, w, N));

    for (int i = 0; i < N; i++)
        start(&t[i], &w[i], &a, FUTEX_WAIT, 0);
    printf("%d waiters on A: %d\n", N, wait_for_waiters(&a, N, 0));
    printf("CMP_REQUEUE, A's value differs: %s\n",
           CALL(futex(&a, FUTEX_CMP_REQUEUE, 1, (void *)1L, &b, 7)));
    printf("CMP_REQUEUE A->B, wake 0, requeue 3: %s\n",
           CALL(futex(&a, FUTEX_CMP_REQUEUE, 0, (void *)3L, &b, 0)));
    printf("WAKE A: %s\n", CALL(futex(&a, FUTEX_WAKE, INT_MAX, NULL, NULL, 0)));
    printf("WAKE B 2: %s\n", CALL(futex(&b, FUTEX_WAKE, 2, NULL, NULL, 0)));
    printf("WAKE B: %s\n", CALL(futex(&b, FUTEX_WAKE, INT_MAX, NULL, NULL, 0)));
    printf("waits that returned 0: %d\n", join_all(t, w, N));
    printf("CMP_REQUEUE, negative count: %s\n",
           CALL(futex(&a, FUTEX_CMP_REQUEUE, -1, (void *)1L, &b, 0)));
}

#define OP(op, oparg, cmp, cmparg) FUTEX_OP(op, oparg, cmp, cmparg)

static void wake_ops(void)
{
    static int a, b;
    long r;
    /* Each operation on the second word, nobody waiting. */
    static const struct {
        const char *name;
        int start, op, oparg, want;
    } ops[] = {
        {"SET 5", 1, FUTEX_OP_SET, 5, 5},
        {"ADD 3", 10, FUTEX_OP_ADD, 3, 13},
        {"OR 6", 9, FUTEX_OP_OR, 6, 15},
        {"ANDN 6", 15, FUTEX_OP_ANDN, 6, 9},
        {"XOR 5", 12, FUTEX_OP_XOR, 5, 9},
        {"SET 1<<4", 0, FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, 16},
        {"ADD 1<<3", 1, FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT, 3, 9},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        b = ops[i].start;
        const char *s = CALL(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &b,
                                   OP(ops[i].op, ops[i].oparg, FUTEX_OP_CMP_EQ, 0)));
        printf("WAKE_OP %s: %s, second word %d (%s)\n", ops[i].name, s, b,
               b == ops[i].want ? "right" : "wrong");
    }

    /* Waiters on both words: the comparison on B's old value decides
     * whether B's waiters are woken too. */
    enum { N = 4 };
    pthread_t t[N];
    struct waiter w[N];
    a = 0;
    b = 0;
    for (int i = 0; i < 2; i++)
        start(&t[i], &w[i], &a, FUTEX_WAIT_PRIVATE, 0);
    for (int i = 2; i < 4; i++)
        start(&t[i], &w[i], &b, FUTEX_WAIT_PRIVATE, 0);
    int na = wait_for_waiters(&a, 2, FUTEX_PRIVATE_FLAG);
    int nb = wait_for_waiters(&b, 2, FUTEX_PRIVATE_FLAG);
    printf("waiters on A and B: %d %d\n", na, nb);
    const char *s = CALL(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &b,
                               OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0)));
    printf("WAKE_OP wake 1 on A, SET B=5, wake 1 on B if old B == 0: %s, B now %d\n", s, b);
    s = CALL(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &b,
                   OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 100)));
    printf("WAKE_OP wake 1 on A, ADD B+=1, wake 1 on B if old B > 100: %s, B now %d\n", s, b);
    static const struct {
        const char *name;
        int cmp, arg;
    } cmps[] = {
        {"EQ 6", FUTEX_OP_CMP_EQ, 6}, {"NE 6", FUTEX_OP_CMP_NE, 6}, {"LT 7", FUTEX_OP_CMP_LT, 7},
        {"LE 5", FUTEX_OP_CMP_LE, 5}, {"GT 5", FUTEX_OP_CMP_GT, 5}, {"GE 7", FUTEX_OP_CMP_GE, 7},
    };
    /* B is 6 and stays 6 (ADD 0): which comparisons hold?  Nobody is left
     * on A and one waiter on B.  A count of 0 still wakes one (Linux wakes
     * at least one waiter, as for WAKE 0 above), so the first true
     * comparison wakes it and nothing is left for the second round. */
    for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++) {
        s = CALL(futex(&a, FUTEX_WAKE_OP_PRIVATE, 0, (void *)0L, &b,
                       OP(FUTEX_OP_ADD, 0, cmps[i].cmp, cmps[i].arg)));
        printf("WAKE_OP, count 0 on B, old B CMP_%s: %s\n", cmps[i].name, s);
    }
    for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++) {
        s = CALL(futex(&a, FUTEX_WAKE_OP_PRIVATE, 0, (void *)1L, &b,
                       OP(FUTEX_OP_ADD, 0, cmps[i].cmp, cmps[i].arg)));
        printf("WAKE_OP, wake 1 on B if old B CMP_%s: %s\n", cmps[i].name, s);
    }
    printf("WAKE_PRIVATE B: %s\n", CALL(futex(&b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0)));
    printf("waits that returned 0: %d\n", join_all(t, w, N));
    printf("WAKE_OP, bad op: %s\n",
           CALL(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &b, OP(7, 0, FUTEX_OP_CMP_EQ, 0))));
}

static void bitsets(void)
{
    static int word;
    enum { N = 3 };
    static const unsigned masks[N] = {1, 2, 4};
    pthread_t t[N];
    struct waiter w[N];
    long r;
    for (int i = 0; i < N; i++)
        start(&t[i], &w[i], &word, FUTEX_WAIT_BITSET_PRIVATE, masks[i]);
    printf("waiters with bitsets 1, 2, 4: %d\n", wait_for_waiters(&word, N, FUTEX_PRIVATE_FLAG));
    printf("WAKE_BITSET 8: %s\n",
           CALL(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 8)));
    printf("WAKE_BITSET 2: %s\n",
           CALL(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 2)));
    for (int i = 0; i < 5000 && !__atomic_load_n(&w[1].done, __ATOMIC_SEQ_CST); i++)
        msleep(1);
    printf("woken: bitset 1 %s, bitset 2 %s, bitset 4 %s\n", w[0].done ? "yes" : "no",
           w[1].done ? "yes" : "no", w[2].done ? "yes" : "no");
    printf("WAKE_BITSET 0: %s\n",
           CALL(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0)));
    printf("WAKE_BITSET 5, wake 1: %s\n",
           CALL(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 5)));
    printf("plain WAKE_PRIVATE (any bitset): %s\n",
           CALL(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0)));
    printf("waits that returned 0: %d\n", join_all(t, w, N));
}

static void on_usr1(int s)
{
    (void)s;
}

static void interrupted(void)
{
    static int word;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1; /* no SA_RESTART */
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t;
    struct waiter w;
    start(&t, &w, &word, FUTEX_WAIT_PRIVATE, 0);
    printf("waiter asleep: %d\n", wait_for_waiters(&word, 1, FUTEX_PRIVATE_FLAG));
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("WAIT interrupted by a handled signal: %s\n", res(w.result, w.err));
}

static void errors(void)
{
    int word = 0;
    long r;
    printf("op 99: %s\n", CALL(futex(&word, 99, 0, NULL, NULL, 0)));
    printf("op 99 | PRIVATE: %s\n", CALL(futex(&word, 99 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0)));
    printf("WAIT on NULL: %s\n", CALL(futex(NULL, FUTEX_WAIT, 0, NULL, NULL, 0)));
    printf("WAIT_PRIVATE on an unmapped page: %s\n",
           CALL(futex((int *)4096, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)));
    printf("WAIT on a misaligned address: %s\n",
           CALL(futex((int *)((char *)&word + 1), FUTEX_WAIT, 0, NULL, NULL, 0)));
    printf("WAKE on a misaligned address: %s\n",
           CALL(futex((int *)((char *)&word + 2), FUTEX_WAKE, 1, NULL, NULL, 0)));
    printf("WAIT, timeout pointer unmapped: %s\n",
           CALL(futex(&word, FUTEX_WAIT, 0, (void *)4096, NULL, 0)));
    printf("CMP_REQUEUE to an unmapped word, nobody waiting: %s\n",
           CALL(futex(&word, FUTEX_CMP_REQUEUE, 1, (void *)1L, (int *)4096, 0)));
    printf("WAKE_OP on an unmapped second word: %s\n",
           CALL(futex(&word, FUTEX_WAKE_OP, 1, (void *)1L, (int *)4096,
                      OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0))));
}

int main(void)
{
    waits();
    wakes();
    requeues();
    wake_ops();
    bitsets();
    interrupted();
    errors();
    return 0;
}
