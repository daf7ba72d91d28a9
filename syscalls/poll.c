/* poll, select and pselect6 over guest objects and host fds in one wait:
 * guest objects are checked here, host fds by one host poll. */
#include "vfs.h"
#include "uapi/poll.h"

#define MAX_HOST_POLL 64

/* Readiness of a guest object, through its ops: files and devices without
 * a revents op are always ready. */
int16_t file_revents(struct file *f, int16_t events)
{
    if (f->ops->revents)
        return f->ops->revents(f, events);
    return events & (POLLIN | POLLOUT);
}

uint32_t file_gen(struct file *f)
{
    return f->ops->gen ? f->ops->gen(f) : 0;
}

long file_again(struct file *f, long r, uint64_t want, int out)
{
    if (f->hostfd < 0 || !(r == -EAGAIN || (out && f->sock && r >= 0 && (uint64_t)r < want)))
        return r;
    if (out)
        f->again_out++;
    else
        f->again_in++;
    /* Another thread's epoll_wait may be waiting without that direction. */
    if (nthreads > 1)
        io_notify();
    return r;
}

/* Polls an array in kernel or user memory the caller has checked, until
 * something is ready, the deadline (0: none, -1: do not wait) or a signal.
 * Guest objects are looked at here; host fds by the scheduler's host wait,
 * which covers every blocked thread's host fds in one hypercall. */
long poll_wait(struct pollfd *p, uint64_t n, int64_t deadline)
{
    struct hostwait host[MAX_HOST_POLL];
    int map[MAX_HOST_POLL], buffered[MAX_HOST_POLL];
    int host_known = 0; /* host[] holds fresh answers from a wake */
    for (;;) {
        int nhost = 0, ready = 0;
        for (uint64_t i = 0; i < n; i++) {
            p[i].revents = 0;
            if (p[i].fd < 0)
                continue;
            struct file *f = fd_get((uint64_t)p[i].fd);
            if (!f) {
                p[i].revents = POLLNVAL;
            } else if (f->hostfd >= 0) {
                if (nhost == MAX_HOST_POLL)
                    return -ENOMEM;
                if (!host_known)
                    host[nhost] = (struct hostwait){f->hostfd, p[i].events, 0};
                /* Data a wait already brought into the guest. */
                buffered[nhost] = (p[i].events & POLLIN) && sockbuf_rx_ready(f->hostfd);
                ready += buffered[nhost];
                map[nhost++] = (int)i;
                continue;
            } else {
                p[i].revents = file_revents(f, p[i].events);
            }
            ready += p[i].revents != 0;
        }
        /* Ask the host now when the answer is needed now, or when other
         * threads would keep the CPU until the next tick; otherwise the
         * idle wait asks, once. */
        if (nhost && !host_known && (ready || deadline == -1 || sched_others_runnable())) {
            long r = host_io(host, nhost, 0);
            if (r < 0)
                return r;
            host_known = r > 0 || ready || deadline == -1;
        }
        if (host_known)
            for (int i = 0; i < nhost; i++) {
                p[map[i]].revents = host[i].revents | (buffered[i] ? POLLIN : 0);
                ready += host[i].revents != 0 && !buffered[i];
            }
        if (ready || deadline == -1)
            return ready;
        if (host_known)
            for (int i = 0; i < nhost; i++)
                host[i].revents = 0;
        current->hostwait = nhost ? host : NULL;
        current->nhostwait = nhost;
        enum wake_reason w = io_block(deadline);
        host_known = 0;
        for (int i = 0; i < nhost; i++)
            host_known |= host[i].revents != 0;
        if (w == WAKE_SIGNAL)
            return -ERESTARTNOHAND;
        if (w == WAKE_TIMEOUT)
            deadline = -1; /* one last look, then 0 */
    }
}

/* A poll timeout in ms as a deadline for poll_wait. */
int64_t ms_deadline(int timeout)
{
    if (timeout < 0)
        return 0;
    if (timeout == 0)
        return -1;
    return clock_monotonic_ns() + (int64_t)timeout * 1000000;
}

SYSCALL(poll)
{
    struct pollfd *p = (struct pollfd *)a0;
    if (a1 > boot->rlimits[RLIMIT_NOFILE].cur)
        return -EINVAL;
    if (!user_ok(p, a1 * sizeof(*p), 1))
        return -EFAULT;
    return poll_wait(p, a1, ms_deadline((int)a2));
}

/* A timespec timeout as a deadline for poll_wait (NULL: none). */
long ts_deadline(uint64_t uts, int64_t *deadline)
{
    *deadline = 0;
    if (!uts)
        return 0;
    int64_t ns;
    long r = user_timespec_ns(uts, &ns);
    if (r)
        return r;
    *deadline = ns ? clock_monotonic_ns() + ns : -1; /* 0: do not wait */
    return 0;
}

/* Writes back the time left, as Linux does for ppoll and pselect6. */
static void ts_left(uint64_t uts, int64_t deadline)
{
    struct timespec64 *ts = (struct timespec64 *)uts;
    if (!ts || deadline <= 0 || !user_ok(ts, sizeof(*ts), 1))
        return;
    int64_t left = MAX(deadline - clock_monotonic_ns(), 0);
    ts->sec = left / NSEC_PER_SEC;
    ts->nsec = left % NSEC_PER_SEC;
}

/* The signal mask argument of ppoll, pselect6 and epoll_pwait: in place
 * for the call, the old one back afterwards. */
long temp_sigmask(uint64_t umask, uint64_t size)
{
    if (!umask)
        return 0;
    if (size != 8)
        return -EINVAL;
    if (!user_ok((void *)umask, 8, 0))
        return -EFAULT;
    signal_set_temp_mask(*(uint64_t *)umask);
    return 0;
}

SYSCALL(ppoll)
{
    struct pollfd *p = (struct pollfd *)a0;
    int64_t deadline;
    if (a1 > boot->rlimits[7].cur)
        return -EINVAL;
    if (!user_ok(p, a1 * sizeof(*p), 1))
        return -EFAULT;
    long r = ts_deadline(a2, &deadline);
    if (!r)
        r = temp_sigmask(a3, a4);
    if (r)
        return r;
    r = poll_wait(p, a1, deadline);
    ts_left(a2, deadline);
    return r;
}

#define POLLIN_SET (POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLOUT | POLLERR)

/* select and pselect6 as poll over the fds named in the sets. */
static long do_select(uint64_t nfds_arg, uint64_t *sets[3], int64_t deadline)
{
    /* On this thread's kernel stack: another may select while it waits. */
    struct pollfd p[FD_SETSIZE];
    uint64_t nfds = (uint32_t)nfds_arg;
    static const int16_t want[3] = {POLLIN, POLLOUT, 0x2 /* POLLPRI */};
    if ((int)nfds_arg < 0) /* the kernel takes an int */
        return -EINVAL;
    if (nfds > FD_SETSIZE)
        nfds = FD_SETSIZE; /* Linux looks no further than its fd table */
    uint64_t words = (nfds + 63) / 64, n = 0;
    for (int k = 0; k < 3; k++)
        if (sets[k] && !user_ok(sets[k], words * 8, 1))
            return -EFAULT;
    for (uint64_t fd = 0; fd < nfds; fd++) {
        int16_t ev = 0;
        for (int k = 0; k < 3; k++)
            if (sets[k] && (sets[k][fd / 64] >> (fd % 64) & 1))
                ev |= want[k];
        if (!ev)
            continue;
        if (!fd_get(fd))
            return -EBADF;
        p[n++] = (struct pollfd){(int)fd, ev, 0};
    }
    long r = poll_wait(p, n, deadline);
    if (r < 0)
        return r;
    for (int k = 0; k < 3; k++)
        if (sets[k])
            memset(sets[k], 0, words * 8);
    long count = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t fd = (uint64_t)p[i].fd;
        int16_t got[3] = {(int16_t)(p[i].revents & POLLIN_SET),
                          (int16_t)(p[i].revents & POLLOUT_SET), (int16_t)(p[i].revents & 0x2)};
        for (int k = 0; k < 3; k++)
            if (sets[k] && (p[i].events & want[k]) && got[k]) {
                sets[k][fd / 64] |= 1ull << (fd % 64);
                count++;
            }
    }
    return count;
}

SYSCALL(select)
{
    uint64_t *sets[3] = {(uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3};
    int64_t *tv = (int64_t *)a4;
    int64_t deadline = 0;
    if (tv) {
        if (!user_ok(tv, 16, 1))
            return -EFAULT;
        if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
            return -EINVAL;
        deadline = (!tv[0] && !tv[1])
                       ? -1
                       : clock_monotonic_ns() + MIN(tv[0], 1ll << 33) * NSEC_PER_SEC + tv[1] * 1000;
    }
    long r = do_select(a0, sets, deadline);
    if (tv && (r >= 0 || r == -ERESTARTNOHAND)) {
        /* Linux writes back the time left. */
        int64_t left = deadline > 0 ? MAX(deadline - clock_monotonic_ns(), 0) : 0;
        if (r == 0)
            left = 0;
        tv[0] = left / NSEC_PER_SEC;
        tv[1] = left % NSEC_PER_SEC / 1000;
    }
    return r;
}

SYSCALL(pselect6)
{
    uint64_t *sets[3] = {(uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3};
    int64_t deadline;
    long r = ts_deadline(a4, &deadline);
    if (r)
        return r;
    if (a5) {
        /* The sixth argument: { const sigset_t *mask; size_t size; }. */
        const uint64_t *sm = (const uint64_t *)a5;
        if (!user_ok(sm, 16, 0))
            return -EFAULT;
        if ((r = temp_sigmask(sm[0], sm[1])))
            return r;
    }
    r = do_select(a0, sets, deadline);
    ts_left(a4, deadline);
    return r;
}
