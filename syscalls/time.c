/* Time system calls, served from the TSC without leaving the VM; sleeping
 * is one blocking hypercall. */
#include "syscalls.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1
#define NSEC 1000000000ll

struct timespec64 {
    int64_t sec, nsec;
};

/* Time spent blocked in the host, which is not CPU time. */
static int64_t idle_ns;

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
    case CLOCK_THREAD_CPUTIME_ID:
        *ns = clock_monotonic_ns() - boot->monotonic_base_ns - idle_ns;
        return 0;
    }
    return -EINVAL;
}

static long put_ts(uint64_t uaddr, int64_t ns)
{
    struct timespec64 *ts = (struct timespec64 *)uaddr;
    if (!user_ok(ts, sizeof(*ts), 1))
        return -EFAULT;
    ts->sec = ns / NSEC;
    ts->nsec = ns % NSEC;
    return 0;
}

SYSCALL(clock_gettime)
{
    int64_t ns;
    int r = clock_read(a0, &ns);
    return r ? r : put_ts(a1, ns);
}

SYSCALL(clock_getres)
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

SYSCALL(gettimeofday)
{
    int64_t ns = clock_realtime_ns();
    if (a0) {
        int64_t *tv = (int64_t *)a0;
        if (!user_ok(tv, 16, 1))
            return -EFAULT;
        tv[0] = ns / NSEC;
        tv[1] = ns % NSEC / 1000;
    }
    if (a1) {
        int32_t *tz = (int32_t *)a1; /* struct timezone: UTC, no DST */
        if (!user_ok(tz, 8, 1))
            return -EFAULT;
        tz[0] = tz[1] = 0;
    }
    return 0;
}

SYSCALL(time)
{
    int64_t t = clock_realtime_ns() / NSEC;
    if (a0) {
        if (!user_ok((void *)a0, 8, 1))
            return -EFAULT;
        *(int64_t *)a0 = t;
    }
    return t;
}

static long get_ts(uint64_t uaddr, int64_t *ns)
{
    const struct timespec64 *ts = (const struct timespec64 *)uaddr;
    if (!user_ok(ts, sizeof(*ts), 0))
        return -EFAULT;
    if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= NSEC)
        return -EINVAL;
    *ns = ts->sec > INT64_MAX / NSEC - 1 ? INT64_MAX / 2 : ts->sec * NSEC + ts->nsec;
    return 0;
}

static void sleep_until_monotonic(int64_t deadline)
{
    int64_t start = clock_monotonic_ns();
    if (deadline <= start)
        return;
    hcall1(HX_HC_SLEEP, deadline);
    idle_ns += clock_monotonic_ns() - start;
}

SYSCALL(nanosleep)
{
    int64_t ns;
    long r = get_ts(a0, &ns);
    if (r)
        return r;
    sleep_until_monotonic(clock_monotonic_ns() + ns);
    return 0;
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
    long r = get_ts(a2, &ns);
    if (r)
        return r;
    /* A realtime deadline becomes a monotonic one: both tick together. */
    int64_t deadline =
        (a1 & TIMER_ABSTIME) ? ns - now + clock_monotonic_ns() : clock_monotonic_ns() + ns;
    sleep_until_monotonic(deadline);
    return 0;
}
