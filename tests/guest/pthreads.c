/*
 * pthreads: POSIX threads through libc -- clone with CLONE_SETTLS and
 * CLONE_CHILD_CLEARTID underneath (pthread_join waits on the cleared tid
 * with a futex), mutexes, condition variables, rwlocks, barriers,
 * thread-local storage, thread-specific data destructors, cancellation
 * with cleanup handlers, detached threads and gettid.
 *
 * Threads never print: each records what it saw, and main prints the
 * facts after joining, so the output does not depend on scheduling.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long tid(void)
{
    return syscall(SYS_gettid);
}

/* A deadline this far from now on CLOCK_REALTIME, for timed waits. */
static struct timespec deadline(long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* ---- create and join ---- */

static void *ret_value(void *arg)
{
    intptr_t i = (intptr_t)arg;
    return (void *)(i * 3 + 1);
}

static void create_join(void)
{
    enum { N = 64 };
    pthread_t t[N];
    int created = 0, right = 0;
    for (intptr_t i = 0; i < N; i++)
        if (pthread_create(&t[i], NULL, ret_value, (void *)i) == 0)
            created++;
    for (intptr_t i = 0; i < created; i++) {
        void *r = NULL;
        if (pthread_join(t[i], &r) == 0 && r == (void *)(i * 3 + 1))
            right++;
    }
    printf("create %d threads: %d created, %d joined with the right value\n", N, created, right);

    /* A small explicit stack size is honoured and read back. */
    pthread_attr_t a;
    pthread_attr_init(&a);
    int r = pthread_attr_setstacksize(&a, 128 * 1024);
    size_t sz = 0;
    pthread_attr_getstacksize(&a, &sz);
    pthread_t small;
    void *v = NULL;
    int c = pthread_create(&small, &a, ret_value, (void *)5);
    if (c == 0)
        pthread_join(small, &v);
    pthread_attr_destroy(&a);
    printf("128 KiB stack: setstacksize %s, read back %s, create %s, value right %s\n", errname(r),
           sz == 128 * 1024 ? "yes" : "no", errname(c), v == (void *)16 ? "yes" : "no");
}

/* ---- mutexes ---- */

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&count_lock);
        counter++;
        pthread_mutex_unlock(&count_lock);
    }
    return NULL;
}

static void *try_from_other(void *arg)
{
    return (void *)(intptr_t)pthread_mutex_trylock(arg);
}

static void *unlock_from_other(void *arg)
{
    return (void *)(intptr_t)pthread_mutex_unlock(arg);
}

static void mutexes(void)
{
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, count_up, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    printf("mutex counter, 8 threads x 10000: %ld\n", counter);

    pthread_mutex_lock(&count_lock);
    pthread_t o;
    void *r;
    pthread_create(&o, NULL, try_from_other, &count_lock);
    pthread_join(o, &r);
    printf("trylock of a held mutex from another thread: %s\n", errname((int)(intptr_t)r));
    pthread_mutex_unlock(&count_lock);

    pthread_mutexattr_t ma;
    pthread_mutex_t m;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &ma);
    pthread_mutex_lock(&m);
    printf("errorcheck relock: %s\n", errname(pthread_mutex_lock(&m)));
    pthread_create(&o, NULL, unlock_from_other, &m);
    pthread_join(o, &r);
    printf("errorcheck unlock by another thread: %s\n", errname((int)(intptr_t)r));
    pthread_mutex_unlock(&m);
    printf("errorcheck unlock when unlocked: %s\n", errname(pthread_mutex_unlock(&m)));
    pthread_mutex_destroy(&m);

    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&m, &ma);
    int a = pthread_mutex_lock(&m), b = pthread_mutex_lock(&m), c = pthread_mutex_trylock(&m);
    pthread_create(&o, NULL, try_from_other, &m);
    pthread_join(o, &r);
    printf("recursive lock x3: %s %s %s, other thread trylock: %s\n", errname(a), errname(b),
           errname(c), errname((int)(intptr_t)r));
    pthread_mutex_unlock(&m);
    pthread_mutex_unlock(&m);
    pthread_mutex_unlock(&m);
    pthread_create(&o, NULL, try_from_other, &m);
    pthread_join(o, &r);
    printf("after 3 unlocks, other thread trylock: %s\n", errname((int)(intptr_t)r));
    pthread_mutex_destroy(&m);
    pthread_mutexattr_destroy(&ma);
}

struct timed {
    pthread_mutex_t *m;
    int result;
    long long waited_ms;
};

static void *timed_lock(void *arg)
{
    struct timed *t = arg;
    struct timespec a, b, d = deadline(50);
    clock_gettime(CLOCK_MONOTONIC, &a);
    t->result = pthread_mutex_timedlock(t->m, &d);
    clock_gettime(CLOCK_MONOTONIC, &b);
    t->waited_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    if (t->result == 0)
        pthread_mutex_unlock(t->m);
    return NULL;
}

static void timedlock(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timed t = {&m, -1, 0};
    pthread_t o;
    pthread_mutex_lock(&m);
    pthread_create(&o, NULL, timed_lock, &t);
    pthread_join(o, NULL);
    printf("timedlock 50 ms on a held mutex: %s, waited >= 45 ms: %s\n", errname(t.result),
           t.waited_ms >= 45 ? "yes" : "no");
    /* Released while the other thread waits: it gets the lock. */
    t.result = -1;
    pthread_create(&o, NULL, timed_lock, &t);
    msleep(5);
    pthread_mutex_unlock(&m);
    pthread_join(o, NULL);
    printf("timedlock, released while waiting: %s\n", errname(t.result));
}

/* ---- condition variables ---- */

enum { SLOTS = 4, ITEMS = 2000 };
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static int q[SLOTS], q_head, q_len, q_done;

static void *produce(void *arg)
{
    int base = (int)(intptr_t)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == SLOTS)
            pthread_cond_wait(&q_not_full, &q_lock);
        q[(q_head + q_len) % SLOTS] = base + i;
        q_len++;
        pthread_cond_signal(&q_not_empty);
        pthread_mutex_unlock(&q_lock);
    }
    return NULL;
}

struct consumed {
    long sum;
    int n;
};

static void *consume(void *arg)
{
    struct consumed *c = arg;
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 0 && !q_done)
            pthread_cond_wait(&q_not_empty, &q_lock);
        if (q_len == 0) {
            pthread_mutex_unlock(&q_lock);
            return NULL;
        }
        int v = q[q_head];
        q_head = (q_head + 1) % SLOTS;
        q_len--;
        pthread_cond_signal(&q_not_full);
        pthread_mutex_unlock(&q_lock);
        c->sum += v;
        c->n++;
    }
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_waiting, gate_passed;

static void *wait_gate(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&gate_lock);
    gate_waiting++;
    pthread_cond_broadcast(&gate_cond); /* tell main one more is waiting */
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    gate_passed++;
    pthread_mutex_unlock(&gate_lock);
    return NULL;
}

static void condvars(void)
{
    pthread_t p[2], c[2];
    struct consumed got[2] = {{0, 0}, {0, 0}};
    for (int i = 0; i < 2; i++)
        pthread_create(&c[i], NULL, consume, &got[i]);
    for (int i = 0; i < 2; i++)
        pthread_create(&p[i], NULL, produce, (void *)(intptr_t)(i * 100000));
    for (int i = 0; i < 2; i++)
        pthread_join(p[i], NULL);
    pthread_mutex_lock(&q_lock);
    q_done = 1;
    pthread_cond_broadcast(&q_not_empty);
    pthread_mutex_unlock(&q_lock);
    for (int i = 0; i < 2; i++)
        pthread_join(c[i], NULL);
    long want = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 1; j <= ITEMS; j++)
            want += i * 100000 + j;
    printf("condvar queue, 2 producers x %d items: consumed %d, sum right %s\n", ITEMS,
           got[0].n + got[1].n, got[0].sum + got[1].sum == want ? "yes" : "no");

    /* Broadcast wakes every waiter. */
    enum { W = 6 };
    pthread_t w[W];
    for (int i = 0; i < W; i++)
        pthread_create(&w[i], NULL, wait_gate, NULL);
    pthread_mutex_lock(&gate_lock);
    while (gate_waiting < W)
        pthread_cond_wait(&gate_cond, &gate_lock);
    int before = gate_passed;
    gate_open = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    for (int i = 0; i < W; i++)
        pthread_join(w[i], NULL);
    printf("broadcast: %d passed before, %d after\n", before, gate_passed);

    /* A timed wait with nobody signalling times out. */
    pthread_mutex_lock(&gate_lock);
    struct timespec d = deadline(30);
    int r = pthread_cond_timedwait(&gate_cond, &gate_lock, &d);
    pthread_mutex_unlock(&gate_lock);
    printf("cond_timedwait 30 ms: %s\n", errname(r));

    /* A monotonic-clock condvar. */
    pthread_condattr_t ca;
    pthread_cond_t mc;
    pthread_condattr_init(&ca);
    int s = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&mc, &ca);
    clock_gettime(CLOCK_MONOTONIC, &d);
    d.tv_nsec += 20000000;
    if (d.tv_nsec >= 1000000000) {
        d.tv_sec++;
        d.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&gate_lock);
    r = pthread_cond_timedwait(&mc, &gate_lock, &d);
    pthread_mutex_unlock(&gate_lock);
    printf("condattr_setclock MONOTONIC: %s, timedwait 20 ms: %s\n", errname(s), errname(r));
    pthread_cond_destroy(&mc);
    pthread_condattr_destroy(&ca);
}

/* ---- rwlocks ---- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int readers_in, readers_max_seen;
static pthread_mutex_t rd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rd_cond = PTHREAD_COND_INITIALIZER;
static long rw_value;

/* Four readers hold the read lock at once: each waits (bounded) for the
 * others to be inside before leaving. */
static void *reader(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&rw);
    pthread_mutex_lock(&rd_lock);
    readers_in++;
    if (readers_in > readers_max_seen)
        readers_max_seen = readers_in;
    pthread_cond_broadcast(&rd_cond);
    struct timespec d = deadline(5000);
    while (readers_max_seen < 4)
        if (pthread_cond_timedwait(&rd_cond, &rd_lock, &d) == ETIMEDOUT)
            break;
    readers_in--;
    pthread_mutex_unlock(&rd_lock);
    pthread_rwlock_unlock(&rw);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5000; i++) {
        pthread_rwlock_wrlock(&rw);
        long v = rw_value;
        rw_value = v + 1;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *try_write(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_rwlock_trywrlock(&rw);
}

static void *try_read(void *arg)
{
    (void)arg;
    int r = pthread_rwlock_tryrdlock(&rw);
    if (r == 0)
        pthread_rwlock_unlock(&rw);
    return (void *)(intptr_t)r;
}

static void rwlocks(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, reader, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("rwlock: 4 readers inside at once: %s\n", readers_max_seen == 4 ? "yes" : "no");

    void *r;
    pthread_t o;
    pthread_rwlock_rdlock(&rw);
    pthread_create(&o, NULL, try_write, NULL);
    pthread_join(o, &r);
    printf("trywrlock while read-locked: %s\n", errname((int)(intptr_t)r));
    pthread_create(&o, NULL, try_read, NULL);
    pthread_join(o, &r);
    printf("tryrdlock while read-locked: %s\n", errname((int)(intptr_t)r));
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_wrlock(&rw);
    pthread_create(&o, NULL, try_read, NULL);
    pthread_join(o, &r);
    printf("tryrdlock while write-locked: %s\n", errname((int)(intptr_t)r));
    pthread_rwlock_unlock(&rw);

    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, writer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("rwlock writers, 4 x 5000: %ld\n", rw_value);
}

/* ---- barriers ---- */

static pthread_barrier_t bar;
static int serial_count[3];
static int phase_seen[5][3];
static int phase;

static void *barrier_worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int round = 0; round < 3; round++) {
        /* Everyone sees the phase main published before the round. */
        phase_seen[me][round] = __atomic_load_n(&phase, __ATOMIC_SEQ_CST);
        int r = pthread_barrier_wait(&bar);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD) {
            __atomic_fetch_add(&serial_count[round], 1, __ATOMIC_SEQ_CST);
            __atomic_store_n(&phase, round + 1, __ATOMIC_SEQ_CST);
        }
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

static void barriers(void)
{
    pthread_barrier_init(&bar, NULL, 5);
    pthread_t t[5];
    for (int i = 0; i < 5; i++)
        pthread_create(&t[i], NULL, barrier_worker, (void *)(intptr_t)i);
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&bar);
    int phases_right = 1;
    for (int i = 0; i < 5; i++)
        for (int r = 0; r < 3; r++)
            phases_right &= phase_seen[i][r] == r;
    printf("barrier, 5 threads x 3 rounds: serial thread per round %d %d %d, phases in step %s\n",
           serial_count[0], serial_count[1], serial_count[2], phases_right ? "yes" : "no");
}

/* ---- thread-local storage ---- */

static __thread int tls_int = 7;
static _Thread_local char tls_buf[32] = "initial";
static pthread_key_t key;
static int destructed;
static int destructed_right;

static void destructor(void *v)
{
    __atomic_fetch_add(&destructed, 1, __ATOMIC_SEQ_CST);
    if (*(int *)v >= 100 && *(int *)v < 104)
        __atomic_fetch_add(&destructed_right, 1, __ATOMIC_SEQ_CST);
    free(v);
}

struct tls_report {
    int started_with_init, own_value_kept, key_started_null, key_kept, addr_differs;
};

static pthread_barrier_t tls_bar;
static int *main_tls_addr;

static void *tls_worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    struct tls_report *r = calloc(1, sizeof(*r));
    r->started_with_init = tls_int == 7 && strcmp(tls_buf, "initial") == 0;
    r->key_started_null = pthread_getspecific(key) == NULL;
    r->addr_differs = &tls_int != main_tls_addr;
    tls_int = me;
    snprintf(tls_buf, sizeof(tls_buf), "thread %d", me);
    int *v = malloc(sizeof(int));
    *v = 100 + me;
    pthread_setspecific(key, v);
    pthread_barrier_wait(&tls_bar); /* all have written their own copies */
    char want[32];
    snprintf(want, sizeof(want), "thread %d", me);
    r->own_value_kept = tls_int == me && strcmp(tls_buf, want) == 0;
    r->key_kept = pthread_getspecific(key) == v;
    return r;
}

static void tls(void)
{
    main_tls_addr = &tls_int;
    tls_int = 1000;
    pthread_key_create(&key, destructor);
    pthread_barrier_init(&tls_bar, NULL, 4);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, tls_worker, (void *)(intptr_t)i);
    int init = 0, kept = 0, knull = 0, kkept = 0, addr = 0;
    for (int i = 0; i < 4; i++) {
        struct tls_report *r;
        pthread_join(t[i], (void **)&r);
        init += r->started_with_init;
        kept += r->own_value_kept;
        knull += r->key_started_null;
        kkept += r->key_kept;
        addr += r->addr_differs;
        free(r);
    }
    pthread_barrier_destroy(&tls_bar);
    printf("tls, 4 threads: started with initialiser %d, kept own value %d, own address %d\n", init,
           kept, addr);
    printf("main's tls untouched: %s\n",
           tls_int == 1000 && strcmp(tls_buf, "initial") == 0 ? "yes" : "no");
    printf("key: started NULL %d, kept %d, destructors run %d (right value %d)\n", knull, kkept,
           destructed, destructed_right);
    printf("key in main: %s\n", pthread_getspecific(key) == NULL ? "NULL" : "set");
    pthread_key_delete(key);
}

/* ---- cancellation ---- */

static pthread_mutex_t cx_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cx_cond = PTHREAD_COND_INITIALIZER;
static int cx_ready;
static int cleanup_ran[4];

static void cleanup_unlock(void *arg)
{
    cleanup_ran[0]++;
    pthread_mutex_unlock(arg);
}

static void cleanup_mark(void *arg)
{
    cleanup_ran[(intptr_t)arg]++;
}

static void *cancel_in_condwait(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cx_lock);
    pthread_cleanup_push(cleanup_unlock, &cx_lock);
    cx_ready = 1;
    pthread_cond_broadcast(&cx_cond);
    for (;;)
        pthread_cond_wait(&cx_cond, &cx_lock);
    pthread_cleanup_pop(1);
    return NULL;
}

static void *cancel_in_read(void *arg)
{
    int fd = *(int *)arg;
    char c;
    pthread_cleanup_push(cleanup_mark, (void *)1);
    for (;;)
        if (read(fd, &c, 1) <= 0)
            break;
    pthread_cleanup_pop(0);
    return (void *)1;
}

static void *cancel_in_sleep(void *arg)
{
    (void)arg;
    pthread_cleanup_push(cleanup_mark, (void *)2);
    sleep(30);
    pthread_cleanup_pop(0);
    return (void *)1;
}

static int disabled_state_seen;

static void *cancel_disabled(void *arg)
{
    sem_t *go = arg;
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    pthread_cleanup_push(cleanup_mark, (void *)3);
    sem_wait(go); /* main cancels while we are here, with cancel disabled */
    msleep(1);    /* a cancellation point, but cancellation is disabled */
    disabled_state_seen = 1;
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    pthread_testcancel();
    disabled_state_seen = 2; /* not reached */
    pthread_cleanup_pop(0);
    return NULL;
}

static void cancellation(void)
{
    pthread_t t;
    void *r = NULL;
    pthread_create(&t, NULL, cancel_in_condwait, NULL);
    pthread_mutex_lock(&cx_lock);
    while (!cx_ready)
        pthread_cond_wait(&cx_cond, &cx_lock);
    pthread_mutex_unlock(&cx_lock);
    /* The thread is in (or about to enter) pthread_cond_wait. */
    int c = pthread_cancel(t);
    pthread_join(t, &r);
    int relock = pthread_mutex_trylock(&cx_lock);
    if (relock == 0)
        pthread_mutex_unlock(&cx_lock);
    printf("cancel in cond_wait: cancel %s, joined PTHREAD_CANCELED %s, cleanup ran %d, "
           "mutex released %s\n",
           errname(c), r == PTHREAD_CANCELED ? "yes" : "no", cleanup_ran[0],
           relock == 0 ? "yes" : "no");

    int p[2];
    if (pipe(p) != 0)
        return;
    r = NULL;
    pthread_create(&t, NULL, cancel_in_read, &p[0]);
    msleep(20);
    c = pthread_cancel(t);
    pthread_join(t, &r);
    printf("cancel in read: cancel %s, joined PTHREAD_CANCELED %s, cleanup ran %d\n", errname(c),
           r == PTHREAD_CANCELED ? "yes" : "no", cleanup_ran[1]);
    close(p[0]);
    close(p[1]);

    r = NULL;
    pthread_create(&t, NULL, cancel_in_sleep, NULL);
    msleep(20);
    c = pthread_cancel(t);
    pthread_join(t, &r);
    printf("cancel in sleep: cancel %s, joined PTHREAD_CANCELED %s, cleanup ran %d\n", errname(c),
           r == PTHREAD_CANCELED ? "yes" : "no", cleanup_ran[2]);

    sem_t go;
    sem_init(&go, 0, 0);
    r = NULL;
    pthread_create(&t, NULL, cancel_disabled, &go);
    c = pthread_cancel(t);
    sem_post(&go);
    pthread_join(t, &r);
    printf("cancel while disabled: cancel %s, ran on to testcancel %s, joined PTHREAD_CANCELED "
           "%s, cleanup ran %d\n",
           errname(c), disabled_state_seen == 1 ? "yes" : "no",
           r == PTHREAD_CANCELED ? "yes" : "no", cleanup_ran[3]);
    sem_destroy(&go);
}

/* ---- detached threads and ids ---- */

static sem_t detached_done;
static int detached_saw_detached;

static void *detached_worker(void *arg)
{
    (void)arg;
    /* A detached thread cannot be joined: joining it is undefined, so
     * only check that it runs and finishes. */
    detached_saw_detached = 1;
    sem_post(&detached_done);
    return NULL;
}

struct ids {
    long tid;
    pid_t pid;
    pthread_t self;
};

static void *report_ids(void *arg)
{
    struct ids *i = arg;
    i->tid = tid();
    i->pid = getpid();
    i->self = pthread_self();
    return NULL;
}

static void detach_and_ids(void)
{
    sem_init(&detached_done, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, detached_worker, NULL);
    int d = pthread_detach(t);
    struct timespec dl = deadline(5000);
    int w = sem_timedwait(&detached_done, &dl);
    printf("detach: %s, detached thread ran %s\n", errname(d),
           w == 0 && detached_saw_detached ? "yes" : "no");
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int ds = -1;
    pthread_attr_getdetachstate(&a, &ds);
    int c = pthread_create(&t, &a, detached_worker, NULL);
    dl = deadline(5000);
    w = sem_timedwait(&detached_done, &dl);
    printf("created detached: %s, state read back %s, ran %s\n", errname(c),
           ds == PTHREAD_CREATE_DETACHED ? "yes" : "no", w == 0 ? "yes" : "no");
    pthread_attr_destroy(&a);
    sem_destroy(&detached_done);

    struct ids in[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, report_ids, &in[i]);
    int eq_self = 1;
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        eq_self &= pthread_equal(in[i].self, th[i]) != 0;
    }
    printf("main: gettid == getpid %s\n", tid() == getpid() ? "yes" : "no");
    printf("threads: gettid != getpid %s, getpid same as main %s, tids distinct %s\n",
           in[0].tid != getpid() && in[1].tid != getpid() && in[2].tid != getpid() ? "yes" : "no",
           in[0].pid == getpid() && in[1].pid == getpid() && in[2].pid == getpid() ? "yes" : "no",
           in[0].tid != in[1].tid && in[1].tid != in[2].tid && in[0].tid != in[2].tid ? "yes"
                                                                                      : "no");
    printf("pthread_self in thread equals the id pthread_create gave: %s\n",
           eq_self ? "yes" : "no");
    printf("pthread_equal(self, self): %s\n",
           pthread_equal(pthread_self(), pthread_self()) ? "yes" : "no");
}

/* ---- pthread_once and thread exit paths ---- */

static int once_runs;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void once_fn(void)
{
    __atomic_fetch_add(&once_runs, 1, __ATOMIC_SEQ_CST);
}

static void *call_once(void *arg)
{
    (void)arg;
    pthread_once(&once, once_fn);
    return NULL;
}

static void *exit_early(void *arg)
{
    (void)arg;
    pthread_exit((void *)42);
    return NULL;
}

static void once_and_exit(void)
{
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, call_once, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    printf("pthread_once from 8 threads: ran %d time(s)\n", once_runs);
    void *r = NULL;
    pthread_create(&t[0], NULL, exit_early, NULL);
    pthread_join(t[0], &r);
    printf("pthread_exit value: %ld\n", (long)(intptr_t)r);
}

static void *last_thread(void *arg)
{
    (void)arg;
    msleep(20);
    printf("last thread finishing after main's pthread_exit\n");
    fflush(stdout);
    return NULL;
}

int main(void)
{
    create_join();
    mutexes();
    timedlock();
    condvars();
    rwlocks();
    barriers();
    tls();
    cancellation();
    detach_and_ids();
    once_and_exit();
    /* Leave through pthread_exit from main while another thread still
     * runs: the process ends when the last thread does, with status 0. */
    printf("main calls pthread_exit\n");
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, NULL, last_thread, NULL);
    pthread_exit(NULL);
}
