/* Time system calls, served from the TSC without leaving the VM; sleeping
 * blocks the thread in the scheduler. Timers (alarm, setitimer, the POSIX
 * timer_* calls) are kernel timers that send their signal when due. */
#include "syscalls.h"
#include "uapi/time.h"

static int clock_read(uint64_t id, int64_t *ns)
{
    switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_TAI:
        *ns = clock_realtime_ns();
        return 0;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
        *ns = clock_monotonic_ns();
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
        *ns = cpu_time_process();
        return 0;
    case CLOCK_THREAD_CPUTIME_ID:
        *ns = cpu_time_thread();
        return 0;
    }
    return -EINVAL;
}

static long put_ts(uint64_t uaddr, int64_t ns)
{
    struct timespec64 *ts = (struct timespec64 *)uaddr;
    if (!user_ok(ts, sizeof(*ts), 1))
        return -EFAULT;
    ts->sec = ns / NSEC_PER_SEC;
    ts->nsec = ns % NSEC_PER_SEC;
    return 0;
}

LEAF_SYSCALL(clock_gettime)
{
    int64_t ns;
    int r = clock_read(a0, &ns);
    return r ? r : put_ts(a1, ns);
}

LEAF_SYSCALL(clock_getres)
{
    int64_t ns;
    int r = clock_read(a0, &ns);
    if (r)
        return r;
    if (!a1)
        return 0;
    int coarse = a0 == CLOCK_REALTIME_COARSE || a0 == CLOCK_MONOTONIC_COARSE;
    return put_ts(a1, coarse ? boot->coarse_res_ns : 1);
}

LEAF_SYSCALL(gettimeofday)
{
    int64_t ns = clock_realtime_ns();
    if (a0) {
        int64_t *tv = (int64_t *)a0;
        if (!user_ok(tv, 16, 1))
            return -EFAULT;
        tv[0] = ns / NSEC_PER_SEC;
        tv[1] = ns % NSEC_PER_SEC / 1000;
    }
    if (a1) {
        int32_t *tz = (int32_t *)a1; /* struct timezone: UTC, no DST */
        if (!user_ok(tz, 8, 1))
            return -EFAULT;
        tz[0] = tz[1] = 0;
    }
    return 0;
}

LEAF_SYSCALL(time)
{
    int64_t t = clock_realtime_ns() / NSEC_PER_SEC;
    if (a0) {
        if (!user_ok((void *)a0, 8, 1))
            return -EFAULT;
        *(int64_t *)a0 = t;
    }
    return t;
}

long user_timespec_ns(uint64_t uts, int64_t *ns)
{
    const struct timespec64 *ts = (const struct timespec64 *)uts;
    if (!user_ok(ts, sizeof(*ts), 0))
        return -EFAULT;
    if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= NSEC_PER_SEC)
        return -EINVAL;
    *ns = ts->sec >= TIMESPEC_NS_MAX / NSEC_PER_SEC ? TIMESPEC_NS_MAX
                                                    : ts->sec * NSEC_PER_SEC + ts->nsec;
    return 0;
}

/* Sleeps until a CLOCK_MONOTONIC deadline; -EINTR-like when a signal
 * for a handler came first (the time left is then deadline - now). */
static long sleep_until(int64_t deadline)
{
    for (;;) {
        if (clock_monotonic_ns() >= deadline)
            return 0;
        if (sched_block(deadline, 1) == WAKE_SIGNAL && signal_deliverable())
            return -ERESTART_RESTARTBLOCK;
    }
}

SYSCALL(nanosleep)
{
    int64_t ns;
    long r = user_timespec_ns(a0, &ns);
    if (r)
        return r;
    int64_t deadline = clock_monotonic_ns() + ns;
    r = sleep_until(deadline);
    if (r && a1) {
        int64_t left = MAX(deadline - clock_monotonic_ns(), 0);
        if (put_ts(a1, left))
            return -EFAULT;
    }
    return r;
}

SYSCALL(clock_nanosleep)
{
    int64_t ns, now;
    if (a0 == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    if (a0 == CLOCK_PROCESS_CPUTIME_ID)
        return -ENOTSUP; /* not slept on here; Linux supports it */
    if (clock_read(a0, &now))
        return -EINVAL;
    long r = user_timespec_ns(a2, &ns);
    if (r)
        return r;
    /* A realtime deadline becomes a monotonic one: both tick together. */
    int abs = (a1 & TIMER_ABSTIME) != 0;
    int64_t deadline = abs ? ns - now + clock_monotonic_ns() : clock_monotonic_ns() + ns;
    r = sleep_until(deadline);
    if (r) {
        /* clock_nanosleep returns the error rather than setting errno. */
        if (!abs && a3 && put_ts(a3, MAX(deadline - clock_monotonic_ns(), 0)))
            return -EFAULT;
        return abs ? -ERESTARTNOHAND : r;
    }
    return 0;
}

SYSCALL(pause)
{
    while (!signal_deliverable())
        sched_block(0, 1);
    return -ERESTARTNOHAND;
}

/* ---- CPU time ---------------------------------------------------------- */

LEAF_SYSCALL(times)
{
    int64_t ticks = cpu_time_process() / (NSEC_PER_SEC / USER_HZ);
    if (a0) {
        int64_t *t = (int64_t *)a0; /* utime, stime, cutime, cstime */
        if (!user_ok(t, 32, 1))
            return -EFAULT;
        t[0] = ticks;
        t[1] = t[2] = t[3] = 0;
    }
    /* Linux counts from a point before boot; what matters is that it moves. */
    return (clock_monotonic_ns() / (NSEC_PER_SEC / USER_HZ)) & 0x7fffffffffffffffll;
}

LEAF_SYSCALL(getrusage)
{
    int who = (int)a0;
    if (who != 0 && who != -1 && who != 1) /* SELF, CHILDREN, THREAD */
        return -EINVAL;
    int64_t *ru = (int64_t *)a1; /* struct rusage: 2 timevals + 14 longs */
    if (!user_ok(ru, 144, 1))
        return -EFAULT;
    memset(ru, 0, 144);
    if (who == -1)
        return 0; /* no children */
    int64_t ns = who == 1 ? cpu_time_thread() : cpu_time_process();
    /* All of it as user time: the kernel's own share is not told apart. */
    ru[0] = ns / NSEC_PER_SEC;
    ru[1] = ns % NSEC_PER_SEC / 1000;
    ru[4] = (int64_t)((boot->ram_size - mm_free_bytes()) >> 10); /* ru_maxrss, KiB */
    return 0;
}

/* ---- Interval and POSIX timers ----------------------------------------- */
#define NTIMERS 64

struct ptimer {
    struct ktimer kt;
    int used, clock, signo, tid; /* tid: SIGEV_THREAD_ID's target, 0: process */
    int notify;
    uint64_t value; /* sigev_value */
    int64_t interval;
    int overrun, pending_overrun;
    int queued; /* its signal is pending: expirations count as overruns */
};

/* Slot 0 is ITIMER_REAL (alarm, setitimer); the rest are timer_create's,
 * whose ids are the slot numbers minus one. */
static struct ptimer timers[NTIMERS + 1];
/* ITIMER_VIRTUAL and ITIMER_PROF: both count the process's CPU time (the
 * kernel's share is not told apart from the program's). */
static struct ptimer cpu_itimers[2];

static void timer_fire(struct ktimer *kt)
{
    struct ptimer *p = (struct ptimer *)kt;
    if (p->interval) /* missed periods are overruns, as on Linux */
        p->overrun += (int)MIN(ktimer_rearm(kt, p->interval), 0x7fffffff);
    if (p->notify == SIGEV_NONE)
        return;
    if (p->queued && p != &timers[0] && !kt->cpu) {
        p->overrun++;
        return;
    }
    struct ksiginfo info = {0};
    info.signo = p->signo;
    if (p == &timers[0] || kt->cpu) {
        info.code = 0x80; /* SI_KERNEL, as Linux's it_real_fn sends */
    } else {
        info.code = SI_TIMER;
        info.u.timer.tid = (int32_t)(p - timers - 1);
        info.u.timer.overrun = 0;
        info.u.timer.value = p->value;
        p->queued = 1;
    }
    struct thread *t = p->tid ? thread_by_tid(p->tid) : NULL;
    signal_send_info(t, &info);
}

static struct ptimer *ptimer_get(uint64_t id)
{
    if (id >= NTIMERS || !timers[id + 1].used)
        return NULL;
    return &timers[id + 1];
}

/* A timer's signal is being delivered: its overrun count goes with it. */
void posix_timer_delivered(struct ksiginfo *info)
{
    struct ptimer *p = ptimer_get((uint64_t)info->u.timer.tid);
    if (!p)
        return;
    p->pending_overrun = p->overrun;
    info->u.timer.overrun = p->overrun;
    p->overrun = 0;
    p->queued = 0;
}

static int64_t timer_left(const struct ptimer *p)
{
    if (!p->kt.armed)
        return 0;
    return MAX(p->kt.when - (p->kt.cpu ? cpu_time_process() : clock_monotonic_ns()), 1);
}

/* Arms p for value ns from now (0 disarms), then every interval ns. */
static void timer_set(struct ptimer *p, int64_t value, int64_t interval)
{
    ktimer_cancel(&p->kt);
    p->kt.fire = timer_fire;
    p->interval = value ? interval : 0;
    p->overrun = 0;
    if (value)
        ktimer_arm(&p->kt, (p->kt.cpu ? cpu_time_process() : clock_monotonic_ns()) + value);
}

void time_fork_child(void)
{
    for (int i = 0; i <= NTIMERS; i++) {
        ktimer_cancel(&timers[i].kt);
        memset(&timers[i], 0, sizeof(timers[i]));
    }
    for (int i = 0; i < 2; i++) {
        ktimer_cancel(&cpu_itimers[i].kt);
        memset(&cpu_itimers[i], 0, sizeof(cpu_itimers[i]));
    }
}

struct ktimeval {
    int64_t sec, usec;
};
struct kitimerval {
    struct ktimeval interval, value;
};

static int64_t tv_ns(const struct ktimeval *tv)
{
    return MIN(tv->sec, 1ll << 33) * NSEC_PER_SEC + tv->usec * 1000;
}

static void ns_tv(int64_t ns, struct ktimeval *tv)
{
    /* Linux rounds a remaining time up to the next microsecond. */
    ns = (ns + 999) / 1000 * 1000;
    tv->sec = ns / NSEC_PER_SEC;
    tv->usec = ns % NSEC_PER_SEC / 1000;
}

/* The itimer which names (ITIMER_REAL, _VIRTUAL, _PROF), or NULL. */
static struct ptimer *itimer(uint64_t which)
{
    static const int signo[3] = {SIGALRM, SIGVTALRM, SIGPROF};
    if (which > 2)
        return NULL;
    struct ptimer *p = which ? &cpu_itimers[which - 1] : &timers[0];
    p->kt.cpu = which != 0;
    p->signo = signo[which];
    p->notify = SIGEV_SIGNAL;
    p->tid = 0;
    return p;
}

SYSCALL(getitimer)
{
    struct ptimer *p = itimer(a0);
    if (!p)
        return -EINVAL;
    struct kitimerval *v = (struct kitimerval *)a1;
    if (!user_ok(v, sizeof(*v), 1))
        return -EFAULT;
    ns_tv(p->interval, &v->interval);
    ns_tv(timer_left(p), &v->value);
    return 0;
}

SYSCALL(setitimer)
{
    struct ptimer *p = itimer(a0);
    if (!p)
        return -EINVAL;
    const struct kitimerval *nv = (const struct kitimerval *)a1;
    struct kitimerval *ov = (struct kitimerval *)a2, nw = {0};
    if (nv) {
        if (!user_ok(nv, sizeof(*nv), 0))
            return -EFAULT;
        nw = *nv;
        if (nw.value.usec < 0 || nw.value.usec >= 1000000 || nw.interval.usec < 0 ||
            nw.interval.usec >= 1000000 || nw.value.sec < 0 || nw.interval.sec < 0)
            return -EINVAL;
    }
    if (ov) {
        if (!user_ok(ov, sizeof(*ov), 1))
            return -EFAULT;
        ns_tv(p->interval, &ov->interval);
        ns_tv(timer_left(p), &ov->value);
    }
    timer_set(p, tv_ns(&nw.value), tv_ns(&nw.interval));
    return 0;
}

SYSCALL(alarm)
{
    int64_t left = timer_left(itimer(0));
    timer_set(&timers[0], (int64_t)MIN(a0, 1ull << 32) * NSEC_PER_SEC, 0);
    /* Seconds left, rounded to nearest, at least 1 if any (Linux). */
    return left ? MAX((left + NSEC_PER_SEC / 2) / NSEC_PER_SEC, 1) : 0;
}

struct ksigevent {
    uint64_t value;
    int32_t signo, notify;
    int32_t tid;
    int32_t _pad[11];
};

SYSCALL(timer_create)
{
    int64_t now;
    if (a0 != CLOCK_REALTIME && a0 != CLOCK_MONOTONIC && a0 != CLOCK_BOOTTIME && a0 != CLOCK_TAI) {
        if (clock_read(a0, &now))
            return -EINVAL;
        kwarn("timer_create on CPU-time clocks is not supported");
        return -ENOTSUP;
    }
    struct ksigevent ev = {0};
    if (a1) {
        if (!user_ok((void *)a1, sizeof(ev), 0))
            return -EFAULT;
        memcpy(&ev, (void *)a1, sizeof(ev));
    }
    if (!user_ok((void *)a2, 4, 1))
        return -EFAULT;
    int id = 1;
    while (id <= NTIMERS && timers[id].used)
        id++;
    if (id > NTIMERS)
        return -EAGAIN;
    struct ptimer *p = &timers[id];
    memset(p, 0, sizeof(*p));
    if (!a1) {
        p->notify = SIGEV_SIGNAL;
        p->signo = SIGALRM;
        p->value = (uint64_t)(id - 1);
    } else {
        int notify = ev.notify & ~SIGEV_THREAD_ID;
        if (notify != SIGEV_SIGNAL && notify != SIGEV_NONE)
            return -EINVAL;
        if (notify == SIGEV_SIGNAL && (ev.signo < 1 || ev.signo > NSIG))
            return -EINVAL;
        if (ev.notify & SIGEV_THREAD_ID) {
            if (!thread_by_tid(ev.tid))
                return -EINVAL;
            p->tid = ev.tid;
        }
        p->notify = notify;
        p->signo = ev.signo;
        p->value = ev.value;
    }
    p->used = 1;
    p->clock = (int)a0;
    *(int32_t *)a2 = id - 1;
    return 0;
}

struct kitimerspec {
    struct timespec64 interval, value;
};

static void timer_read(const struct ptimer *p, struct kitimerspec *v)
{
    int64_t left = timer_left(p);
    v->interval.sec = p->interval / NSEC_PER_SEC;
    v->interval.nsec = p->interval % NSEC_PER_SEC;
    v->value.sec = left / NSEC_PER_SEC;
    v->value.nsec = left % NSEC_PER_SEC;
}

SYSCALL(timer_settime)
{
    struct ptimer *p = ptimer_get(a0);
    if (!p)
        return -EINVAL;
    const struct kitimerspec *nv = (const struct kitimerspec *)a2;
    if (!user_ok(nv, sizeof(*nv), 0))
        return -EFAULT;
    struct kitimerspec nw = *nv;
    if (nw.value.nsec < 0 || nw.value.nsec >= NSEC_PER_SEC || nw.interval.nsec < 0 ||
        nw.interval.nsec >= NSEC_PER_SEC || nw.value.sec < 0 || nw.interval.sec < 0)
        return -EINVAL;
    if (a3) {
        if (!user_ok((void *)a3, sizeof(struct kitimerspec), 1))
            return -EFAULT;
        timer_read(p, (struct kitimerspec *)a3);
    }
    int64_t value = MIN(nw.value.sec, 1ll << 33) * NSEC_PER_SEC + nw.value.nsec;
    int64_t interval = MIN(nw.interval.sec, 1ll << 33) * NSEC_PER_SEC + nw.interval.nsec;
    if (value && (a1 & TIMER_ABSTIME)) {
        int64_t now;
        clock_read((uint64_t)p->clock, &now);
        value = MAX(value - now, 1);
    }
    timer_set(p, value, interval);
    return 0;
}

SYSCALL(timer_gettime)
{
    struct ptimer *p = ptimer_get(a0);
    if (!p)
        return -EINVAL;
    if (!user_ok((void *)a1, sizeof(struct kitimerspec), 1))
        return -EFAULT;
    timer_read(p, (struct kitimerspec *)a1);
    return 0;
}

SYSCALL(timer_getoverrun)
{
    struct ptimer *p = ptimer_get(a0);
    return p ? p->pending_overrun : -EINVAL;
}

SYSCALL(timer_delete)
{
    struct ptimer *p = ptimer_get(a0);
    if (!p)
        return -EINVAL;
    ktimer_cancel(&p->kt);
    p->used = 0;
    return 0;
}
