/* timerfd: a kernel timer as a file; reading it waits in the scheduler
 * for an expiration. Its generation counter moves with each one (epoll's
 * edge trigger). */
#include "heap.h"
#include "vfs.h"
#include "uapi/poll.h"
#include "uapi/timerfd.h"

struct timerfd {
    struct ktimer kt; /* first: the timer's fire function finds the object */
    int clock;
    uint64_t ticks; /* expirations not yet read */
    int64_t interval;
    uint32_t gen;
};

static const struct file_ops timerfd_ops;

static void changed(uint32_t *gen)
{
    (*gen)++;
    io_notify();
}

static void timerfd_fire(struct ktimer *kt)
{
    struct timerfd *t = (struct timerfd *)kt;
    t->ticks++;
    if (t->interval) /* missed periods count as expirations */
        t->ticks += (uint64_t)ktimer_rearm(kt, t->interval);
    changed(&t->gen);
}

static int64_t clock_now(int clock)
{
    return clock == 0 || clock == 8 ? clock_realtime_ns() : clock_monotonic_ns();
}

SYSCALL(timerfd_create)
{
    int clock = (int)a0;
    if (clock != 0 && clock != 1 && clock != 7 && clock != 8 && clock != 9)
        return -EINVAL; /* REALTIME, MONOTONIC, BOOTTIME and their ALARM forms */
    if (a1 & ~(uint64_t)(O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    struct timerfd *t = kmalloc(sizeof(*t));
    if (t) {
        t->clock = clock;
        t->kt.fire = timerfd_fire;
    }
    return fd_install_object(&timerfd_ops, t, (uint32_t)a1, sizeof(*t));
}

struct kitimerspec {
    int64_t isec, insec, vsec, vnsec;
};

static struct timerfd *timerfd_get(uint64_t fd, long *err)
{
    struct file *f = fd_get(fd);
    *err = !f ? -EBADF : f->ops != &timerfd_ops ? -EINVAL : 0;
    return *err ? NULL : f->obj;
}

static void timerfd_read_spec(struct timerfd *t, struct kitimerspec *v)
{
    int64_t left = t->kt.armed ? MAX(t->kt.when - clock_monotonic_ns(), 1) : 0;
    v->isec = t->interval / NSEC_PER_SEC;
    v->insec = t->interval % NSEC_PER_SEC;
    v->vsec = left / NSEC_PER_SEC;
    v->vnsec = left % NSEC_PER_SEC;
}

SYSCALL(timerfd_settime)
{
    long err;
    struct timerfd *t = timerfd_get(a0, &err);
    if (!t)
        return err;
    if (a1 & ~(uint64_t)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -EINVAL;
    const struct kitimerspec *nv = (const struct kitimerspec *)a2;
    if (!user_ok(nv, sizeof(*nv), 0))
        return -EFAULT;
    struct kitimerspec nw = *nv;
    if (nw.insec < 0 || nw.insec >= NSEC_PER_SEC || nw.vnsec < 0 || nw.vnsec >= NSEC_PER_SEC ||
        nw.isec < 0 || nw.vsec < 0)
        return -EINVAL;
    if (a3) {
        if (!user_ok((void *)a3, sizeof(struct kitimerspec), 1))
            return -EFAULT;
        timerfd_read_spec(t, (struct kitimerspec *)a3);
    }
    ktimer_cancel(&t->kt);
    t->ticks = 0;
    int64_t value = MIN(nw.vsec, 1ll << 33) * NSEC_PER_SEC + nw.vnsec;
    t->interval = value ? MIN(nw.isec, 1ll << 33) * NSEC_PER_SEC + nw.insec : 0;
    if (value) {
        /* An absolute time on the timer's clock, as a monotonic deadline:
         * the two clocks tick together here. */
        int64_t when = (a1 & TFD_TIMER_ABSTIME) ? value - clock_now(t->clock) : value;
        ktimer_arm(&t->kt, clock_monotonic_ns() + MAX(when, 0));
    }
    return 0;
}

SYSCALL(timerfd_gettime)
{
    long err;
    struct timerfd *t = timerfd_get(a0, &err);
    if (!t)
        return err;
    if (!user_ok((void *)a1, sizeof(struct kitimerspec), 1))
        return -EFAULT;
    timerfd_read_spec(t, (struct kitimerspec *)a1);
    return 0;
}

static long timerfd_read(struct file *f, uint8_t *buf, uint64_t len)
{
    struct timerfd *t = f->obj;
    if (len < 8)
        return -EINVAL;
    while (!t->ticks) {
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (io_block(0) == WAKE_SIGNAL)
            return -ERESTARTSYS;
    }
    memcpy(buf, &t->ticks, 8);
    t->ticks = 0;
    return 8;
}

static long timerfd_read_op(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return pos ? -ESPIPE : timerfd_read(f, (uint8_t *)buf, len);
}

static long timerfd_write(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    (void)f, (void)buf, (void)len;
    return pos ? -ESPIPE : -EINVAL;
}

static int16_t timerfd_revents(struct file *f, int16_t events)
{
    int16_t r = ((struct timerfd *)f->obj)->ticks ? POLLIN : 0;
    return r & (events | POLLERR | POLLHUP);
}

static uint32_t timerfd_gen(struct file *f)
{
    return ((struct timerfd *)f->obj)->gen;
}

static void timerfd_release(struct file *f)
{
    ktimer_cancel(&((struct timerfd *)f->obj)->kt);
    kfree(f->obj, sizeof(struct timerfd));
    f->obj = NULL;
}

static const struct file_ops timerfd_ops = {
    .read = timerfd_read_op,
    .write = timerfd_write,
    .revents = timerfd_revents,
    .gen = timerfd_gen,
    .release = timerfd_release,
};
