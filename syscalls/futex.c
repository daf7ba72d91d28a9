/* futex: waiters queue on the word's address (one address space, so
 * private and shared futexes are the same) in FIFO order, and sleep in the
 * scheduler, so a wait and its wake never leave CPL3. The kernel is never
 * preempted, which makes each operation atomic with respect to the
 * program's threads.
 *
 * A word in a host file mapped MAP_SHARED (/dev/shm, a file) may also be
 * another process's, and each process is a VM of its own (DESIGN.md
 * section 10): that process's wakes never reach this queue, and its
 * changes to the word are made beside ours. So a wait on such a word also
 * watches it, with a poll that backs off from 50 us to 5 ms, and ends as a
 * wake when the word changes: every process-shared protocol of glibc and
 * musl (locks, semaphores, condition variables, barriers) changes the word
 * before it wakes. A wait that sees no change for 100 ms ends as a
 * spurious wakeup (which futex(2) allows), for a wake without a change.
 * Read-modify-writes of the word are atomic instructions. (A host futex
 * on the shared page, waited on beside the VM, would wake at once: the
 * speed work of issue 15.) */
#include "syscalls.h"
#include "uapi/futex.h"
#include "uapi/time.h"

static struct thread *waiters; /* every queued thread, oldest first */

static void enqueue(struct thread *t, uint32_t *uaddr, uint32_t bitset)
{
    t->futex_key = (uint64_t)uaddr;
    t->futex_bitset = bitset;
    t->futex_next = NULL;
    struct thread **p = &waiters;
    while (*p)
        p = &(*p)->futex_next;
    *p = t;
}

static void dequeue(struct thread *t)
{
    for (struct thread **p = &waiters; *p; p = &(*p)->futex_next)
        if (*p == t) {
            *p = t->futex_next;
            break;
        }
    t->futex_key = 0;
}

void futex_fork_child(void)
{
    waiters = NULL; /* only threads that are gone were waiting */
}

long futex_wake(uint32_t *uaddr, int n, uint32_t bitset)
{
    int woken = 0;
    if (n <= 0)
        n = 1; /* Linux wakes one for a count of 0 */
    for (struct thread **p = &waiters; *p && woken < n;) {
        struct thread *t = *p;
        if (t->futex_key == (uint64_t)uaddr && (t->futex_bitset & bitset)) {
            *p = t->futex_next;
            t->futex_key = 0;
            sched_wake(t, WAKE_EVENT);
            woken++;
        } else {
            p = &t->futex_next;
        }
    }
    return woken;
}

/* Wakes n waiters of uaddr and moves up to n2 more to uaddr2. */
static long requeue(uint32_t *uaddr, int n, uint32_t *uaddr2, int n2)
{
    long woken = n ? futex_wake(uaddr, n, ~0u) : 0, moved = 0;
    for (struct thread *t = waiters; t && moved < n2; t = t->futex_next)
        if (t->futex_key == (uint64_t)uaddr) {
            t->futex_key = (uint64_t)uaddr2;
            moved++;
        }
    return woken + moved;
}

#define POLL_FIRST_NS 50000ll
#define POLL_MAX_NS 5000000ll
#define POLL_GIVE_UP_NS 100000000ll

/* The deadline of one sleep of a wait on a word other processes may
 * change (*step: this poll's length, doubled for the next), or deadline. */
static int64_t poll_deadline(int64_t deadline, int64_t *step)
{
    int64_t until = clock_monotonic_ns() + *step;
    if (*step < POLL_MAX_NS)
        *step *= 2;
    return deadline && deadline < until ? deadline : until;
}

/* Sleeps while *uaddr == val, until a wake, the deadline or a signal. */
static long wait(uint32_t *uaddr, uint32_t val, int64_t deadline, uint32_t bitset)
{
    if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val)
        return -EAGAIN;
    struct thread *t = current;
    int remote = mm_host_shared((uint64_t)uaddr);
    int64_t step = POLL_FIRST_NS, since = remote ? clock_monotonic_ns() : 0;
    for (;;) {
        enqueue(t, uaddr, bitset);
        enum wake_reason r = sched_block(remote ? poll_deadline(deadline, &step) : deadline, 1);
        if (!t->futex_key)
            return 0; /* woken by a wake */
        dequeue(t);
        if (r == WAKE_TIMEOUT && remote && (!deadline || clock_monotonic_ns() < deadline)) {
            if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val ||
                clock_monotonic_ns() - since >= POLL_GIVE_UP_NS)
                return 0;
            continue;
        }
        if (r == WAKE_TIMEOUT)
            return -ETIMEDOUT;
        /* A signal: restarted after the handler only when there was no
         * timeout to account for (Linux's restart block does that part). */
        return deadline ? -ERESTART_RESTARTBLOCK : -ERESTARTSYS;
    }
}

/* Priority-inheritance locks (FUTEX_LOCK_PI): the word holds the owner's
 * tid; with one CPU and threads of equal priority there is no priority to
 * lend, so these are plain handoff locks with Linux's word protocol. */
static long lock_pi(uint32_t *uaddr, int64_t deadline, int try)
{
    struct thread *t = current;
    int remote = mm_host_shared((uint64_t)uaddr);
    int64_t step = POLL_FIRST_NS;
    for (;;) {
        uint32_t v = __atomic_load_n(uaddr, __ATOMIC_SEQ_CST);
        uint32_t owner = v & FUTEX_TID_MASK;
        if (!owner) {
            uint32_t mine = (uint32_t)t->tid | (v & FUTEX_OWNER_DIED);
            if (__atomic_compare_exchange_n(uaddr, &v, mine, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                return 0;
            continue; /* another process took it */
        }
        if (owner == (uint32_t)t->tid)
            return try ? -EAGAIN : -EDEADLK;
        if (try)
            return -EAGAIN;
        if (!remote && !thread_by_tid((int)owner)) {
            /* The owner is gone without unlocking: Linux hands the lock
             * over with OWNER_DIED set. (On a word other processes share,
             * an owner that is not ours may be theirs.) */
            *uaddr = (uint32_t)t->tid | FUTEX_OWNER_DIED;
            return 0;
        }
        if (!__atomic_compare_exchange_n(uaddr, &v, v | FUTEX_WAITERS, 0, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST))
            continue;
        enqueue(t, uaddr, ~0u);
        enum wake_reason r = sched_block(remote ? poll_deadline(deadline, &step) : deadline, 1);
        if (r == WAKE_TIMEOUT && remote && t->futex_key &&
            (!deadline || clock_monotonic_ns() < deadline)) {
            dequeue(t);
            continue; /* look at the word again */
        }
        if (t->futex_key)
            dequeue(t);
        else if ((*uaddr & FUTEX_TID_MASK) == (uint32_t)t->tid)
            return 0; /* handed over by unlock_pi */
        if (r == WAKE_TIMEOUT)
            return -ETIMEDOUT;
        if (r == WAKE_SIGNAL)
            return -ERESTARTNOINTR;
    }
}

static long unlock_pi(uint32_t *uaddr)
{
    struct thread *t = current;
    if ((*uaddr & FUTEX_TID_MASK) != (uint32_t)t->tid)
        return -EPERM;
    struct thread *next = NULL;
    int more = 0;
    for (struct thread *w = waiters; w; w = w->futex_next)
        if (w->futex_key == (uint64_t)uaddr) {
            if (next) {
                more = 1;
                break;
            }
            next = w;
        }
    if (!next) {
        __atomic_store_n(uaddr, 0, __ATOMIC_SEQ_CST);
        return 0;
    }
    __atomic_store_n(uaddr, (uint32_t)next->tid | (more ? FUTEX_WAITERS : 0), __ATOMIC_SEQ_CST);
    dequeue(next);
    sched_wake(next, WAKE_EVENT);
    return 0;
}

/* FUTEX_WAKE_OP's operation on *uaddr2 (encoded in val3). */
static long wake_op(uint32_t *uaddr, uint32_t val, uint32_t *uaddr2, uint32_t val2, uint32_t val3)
{
    uint32_t op = (val3 >> 28) & 7, cmp = (val3 >> 24) & 15;
    uint32_t oparg = (val3 >> 12) & 0xfff, cmparg = val3 & 0xfff;
    if ((val3 >> 31) & 1) /* FUTEX_OP_OPARG_SHIFT */
        oparg = oparg >= 32 ? 0 : 1u << oparg;
    if (!user_ok(uaddr2, 4, 1))
        return -EFAULT;
    if (op > 4)
        return -ENOSYS;
    /* Atomic: the word may be another process's too. */
    uint32_t old = __atomic_load_n(uaddr2, __ATOMIC_SEQ_CST), next;
    do {
        next = op == 0   ? oparg
               : op == 1 ? old + oparg
               : op == 2 ? old | oparg
               : op == 3 ? old & ~oparg
                         : old ^ oparg;
    } while (
        !__atomic_compare_exchange_n(uaddr2, &old, next, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    int take;
    switch (cmp) {
    case 0:
        take = old == cmparg;
        break;
    case 1:
        take = old != cmparg;
        break;
    case 2:
        take = (int32_t)old < (int32_t)cmparg;
        break;
    case 3:
        take = (int32_t)old <= (int32_t)cmparg;
        break;
    case 4:
        take = (int32_t)old > (int32_t)cmparg;
        break;
    case 5:
        take = (int32_t)old >= (int32_t)cmparg;
        break;
    default:
        return -ENOSYS;
    }
    long n = futex_wake(uaddr, (int)val, ~0u);
    if (take)
        n += futex_wake(uaddr2, (int)val2, ~0u);
    return n;
}

/* A timeout argument as an absolute CLOCK_MONOTONIC deadline: relative for
 * FUTEX_WAIT, absolute on the chosen clock for the others. */
static long deadline_of(uint64_t uts, int relative, int realtime, int64_t *deadline)
{
    *deadline = 0;
    if (!uts)
        return 0;
    int64_t ns;
    long r = user_timespec_ns(uts, &ns);
    if (r)
        return r;
    if (relative)
        *deadline = clock_monotonic_ns() + ns;
    else if (realtime)
        *deadline = ns - clock_realtime_ns() + clock_monotonic_ns();
    else
        *deadline = ns;
    if (*deadline <= 0)
        *deadline = 1; /* already past, but "0" means none */
    return 0;
}

SYSCALL(futex)
{
    uint32_t *uaddr = (uint32_t *)a0;
    int op = (int)a1 & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    int realtime = (a1 & FUTEX_CLOCK_REALTIME) != 0;
    uint32_t val = (uint32_t)a2;
    if ((uint64_t)uaddr & 3)
        return -EINVAL;
    if (!user_ok(uaddr, 4, 1))
        return -EFAULT;
    if (realtime && op != FUTEX_WAIT_BITSET && op != FUTEX_WAIT && op != FUTEX_LOCK_PI2)
        return -ENOSYS;
    int64_t deadline;
    long r;
    switch (op) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        uint32_t bitset = op == FUTEX_WAIT ? ~0u : (uint32_t)a5;
        if (!bitset)
            return -EINVAL;
        if ((r = deadline_of(a3, op == FUTEX_WAIT, realtime, &deadline)))
            return r;
        return wait(uaddr, val, deadline, bitset);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
        uint32_t bitset = op == FUTEX_WAKE ? ~0u : (uint32_t)a5;
        if (!bitset)
            return -EINVAL;
        return futex_wake(uaddr, (int)MIN(val, 0x7fffffffu), bitset);
    }
    case FUTEX_CMP_REQUEUE:
        if (*uaddr != (uint32_t)a5)
            return -EAGAIN;
        /* fall through */
    case FUTEX_REQUEUE:
        if ((int)val < 0 || (int)a3 < 0)
            return -EINVAL;
        if (!user_ok((void *)a4, 4, 0) || (a4 & 3))
            return (a4 & 3) ? -EINVAL : -EFAULT;
        return requeue(uaddr, (int)val, (uint32_t *)a4, (int)a3);
    case FUTEX_WAKE_OP:
        if (((uint64_t)a4 & 3))
            return -EINVAL;
        return wake_op(uaddr, val, (uint32_t *)a4, (uint32_t)a3, (uint32_t)a5);
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
        /* LOCK_PI's timeout is absolute CLOCK_REALTIME; LOCK_PI2's follows the flag. */
        if ((r = deadline_of(a3, 0, op == FUTEX_LOCK_PI || realtime, &deadline)))
            return r;
        return lock_pi(uaddr, deadline, 0);
    case FUTEX_TRYLOCK_PI:
        return lock_pi(uaddr, 0, 1);
    case FUTEX_UNLOCK_PI:
        return unlock_pi(uaddr);
    }
    static uint8_t warned[16];
    if (op < 16 && !warned[op]++)
        kwarn("futex operation %d is not supported", op);
    return -ENOSYS;
}
