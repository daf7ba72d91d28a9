/* futex for a process with one thread: nobody else can wait or wake, so
 * WAKE wakes no one, and WAIT either fails at once (EAGAIN when the value
 * changed) or sleeps until its timeout, as Linux does for a lone thread.
 * Real waiters arrive with threads (issue 4). */
#include "syscalls.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define NSEC 1000000000ll

struct timespec64 {
    int64_t sec, nsec;
};

/* FUTEX_WAKE_OP's operation on *uaddr2 (encoded in val3). */
static long wake_op(uint32_t *uaddr2, uint32_t val3)
{
    uint32_t op = (val3 >> 28) & 7, cmp = (val3 >> 24) & 15;
    uint32_t oparg = (val3 >> 12) & 0xfff;
    if ((val3 >> 31) & 1) /* FUTEX_OP_OPARG_SHIFT */
        oparg = oparg >= 32 ? 0 : 1u << oparg;
    if (!user_ok(uaddr2, 4, 1))
        return -EFAULT;
    uint32_t old = *uaddr2;
    switch (op) {
    case 0:
        *uaddr2 = oparg;
        break;
    case 1:
        *uaddr2 = old + oparg;
        break;
    case 2:
        *uaddr2 = old | oparg;
        break;
    case 3:
        *uaddr2 = old & ~oparg;
        break;
    case 4:
        *uaddr2 = old ^ oparg;
        break;
    default:
        return -ENOSYS;
    }
    if (cmp > 5)
        return -ENOSYS;
    return 0; /* whatever the comparison says, no one waits on uaddr2 */
}

SYSCALL(futex)
{
    uint32_t *uaddr = (uint32_t *)a0;
    int op = (int)a1 & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    uint32_t val = (uint32_t)a2;
    if ((uint64_t)uaddr & 3)
        return -EINVAL;
    if (!user_ok(uaddr, 4, 0))
        return -EFAULT;
    if ((a1 & FUTEX_CLOCK_REALTIME) && op != FUTEX_WAIT_BITSET && op != FUTEX_WAIT)
        return -ENOSYS;
    switch (op) {
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        if (op == FUTEX_WAKE_BITSET && !(uint32_t)a5)
            return -EINVAL;
        return 0;
    case FUTEX_REQUEUE:
        return 0;
    case FUTEX_CMP_REQUEUE:
        return *uaddr != (uint32_t)a5 ? -EAGAIN : 0;
    case FUTEX_WAKE_OP:
        return wake_op((uint32_t *)a4, (uint32_t)a5);
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        if (op == FUTEX_WAIT_BITSET && !(uint32_t)a5)
            return -EINVAL;
        if (*uaddr != val)
            return -EAGAIN;
        /* No other thread can change *uaddr or wake us: wait out the
         * timeout (relative for WAIT, absolute for WAIT_BITSET). */
        const struct timespec64 *ts = (const struct timespec64 *)a3;
        if (!ts) {
            for (;;)
                hcall3(HX_HC_POLL, 0, 0, -1);
        }
        if (!user_ok(ts, sizeof(*ts), 0))
            return -EFAULT;
        if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= NSEC)
            return -EINVAL;
        int64_t ns = ts->sec * NSEC + ts->nsec, deadline;
        if (op == FUTEX_WAIT)
            deadline = clock_monotonic_ns() + ns;
        else if (a1 & FUTEX_CLOCK_REALTIME)
            deadline = ns - clock_realtime_ns() + clock_monotonic_ns();
        else
            deadline = ns;
        if (deadline > clock_monotonic_ns())
            hcall1(HX_HC_SLEEP, deadline);
        return -ETIMEDOUT;
    }
    }
    static uint8_t warned[16];
    if (op < 16 && !warned[op]++)
        kwarn("futex operation %d is not supported yet", op);
    return -ENOSYS;
}
