/* poll, select and pselect6 over guest objects and host fds in one wait:
 * guest objects are checked here, host fds by one host poll. */
#include "vfs.h"

struct pollfd {
    int fd;
    int16_t events, revents;
};

#define POLLIN 1
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
#define POLLNVAL 32
#define MAX_HOST_POLL 64

/* Readiness of a guest object; files and devices are always ready. */
static int16_t guest_revents(const struct file *f, int16_t events)
{
    if (f->kind == K_PIPE_R || f->kind == K_PIPE_W)
        return pipe_revents(f, events);
    return events & (POLLIN | POLLOUT);
}

/* Polls an array in kernel or user memory the caller has checked. */
static long do_poll(struct pollfd *p, uint64_t n, int timeout)
{
    struct pollfd host[MAX_HOST_POLL];
    int map[MAX_HOST_POLL], nhost = 0, ready = 0;
    for (uint64_t i = 0; i < n; i++) {
        p[i].revents = 0;
        if (p[i].fd < 0)
            continue;
        struct file *f = fd_get((uint64_t)p[i].fd);
        if (!f) {
            p[i].revents = POLLNVAL;
        } else if (f->kind == K_HOST) {
            if (nhost == MAX_HOST_POLL)
                return -ENOMEM;
            host[nhost] = (struct pollfd){f->hostfd, p[i].events, 0};
            map[nhost++] = (int)i;
            continue;
        } else {
            p[i].revents = guest_revents(f, p[i].events);
        }
        ready += p[i].revents != 0;
    }
    /* Guest objects cannot change while we wait (one thread), so the host
     * wait only needs the host fds, and none at all if something is ready. */
    if (!nhost && (ready || !timeout))
        return ready;
    long r = hcall3(HX_HC_POLL, host, nhost, ready ? 0 : timeout);
    if (r < 0)
        return r;
    for (int i = 0; i < nhost; i++) {
        p[map[i]].revents = host[i].revents;
        ready += host[i].revents != 0;
    }
    return ready;
}

SYSCALL(poll)
{
    struct pollfd *p = (struct pollfd *)a0;
    if (a1 > boot->rlimits[7].cur)
        return -EINVAL;
    if (!user_ok(p, a1 * sizeof(*p), 1))
        return -EFAULT;
    return do_poll(p, a1, (int)a2);
}

#define FD_SETSIZE 1024
#define POLLIN_SET (POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLOUT | POLLERR)

/* select and pselect6 as poll over the fds named in the sets. */
static long do_select(uint64_t nfds, uint64_t *sets[3], int timeout)
{
    static struct pollfd p[FD_SETSIZE];
    static const int16_t want[3] = {POLLIN, POLLOUT, 0x2 /* POLLPRI */};
    if ((int64_t)nfds < 0)
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
    long r = do_poll(p, n, timeout);
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

struct timespec64 {
    int64_t sec, nsec;
};

SYSCALL(select)
{
    uint64_t *sets[3] = {(uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3};
    int64_t *tv = (int64_t *)a4;
    int timeout = -1;
    if (tv) {
        if (!user_ok(tv, 16, 1))
            return -EFAULT;
        if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
            return -EINVAL;
        timeout = (int)MIN(tv[0] * 1000 + (tv[1] + 999) / 1000, 0x7fffffff);
    }
    int64_t start = clock_monotonic_ns();
    long r = do_select(a0, sets, timeout);
    if (tv && r >= 0) {
        /* Linux writes back the time left. */
        int64_t left = tv[0] * 1000000000ll + tv[1] * 1000 - (clock_monotonic_ns() - start);
        if (left < 0 || r == 0)
            left = 0;
        tv[0] = left / 1000000000ll;
        tv[1] = left % 1000000000ll / 1000;
    }
    return r;
}

SYSCALL(pselect6)
{
    uint64_t *sets[3] = {(uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3};
    const struct timespec64 *ts = (const struct timespec64 *)a4;
    int timeout = -1;
    if (ts) {
        if (!user_ok(ts, sizeof(*ts), 0))
            return -EFAULT;
        if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000)
            return -EINVAL;
        timeout = (int)MIN(ts->sec * 1000 + (ts->nsec + 999999) / 1000000, 0x7fffffff);
    }
    /* The signal mask argument matters only for delivery, which comes with
     * issue 4; its pointer is still checked. */
    if (a5 && !user_ok((void *)a5, 16, 0))
        return -EFAULT;
    return do_select(a0, sets, timeout);
}
