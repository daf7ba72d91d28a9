/* eventfd: a counter as a file. It waits and wakes through the scheduler
 * (io_block, io_notify) like pipes; its generation counter moves when it
 * may have become ready, which is what epoll's edge trigger reports. */
#include "heap.h"
#include "vfs.h"
#include "uapi/eventfd.h"
#include "uapi/poll.h"

struct eventfd {
    uint64_t count;
    int semaphore;
    uint32_t gen;
};

static const struct file_ops eventfd_ops;

static void changed(uint32_t *gen)
{
    (*gen)++;
    io_notify();
}

SYSCALL(eventfd2)
{
    if (a1 & ~(uint64_t)(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    struct eventfd *e = kmalloc(sizeof(*e));
    if (e) {
        e->count = (uint32_t)a0;
        e->semaphore = (a1 & EFD_SEMAPHORE) != 0;
    }
    return fd_install_object(&eventfd_ops, e, (uint32_t)a1, sizeof(*e));
}

SYSCALL(eventfd)
{
    return sys_eventfd2(a0, 0, 0, 0, 0, 0);
}

static long eventfd_rw(struct file *f, uint8_t *buf, uint64_t len, int write)
{
    struct eventfd *e = f->obj;
    if (len < 8)
        return -EINVAL;
    if (write) {
        uint64_t v;
        memcpy(&v, buf, 8);
        if (v == ~0ull)
            return -EINVAL;
        while (0xfffffffffffffffeull - e->count < v) {
            if (f->flags & O_NONBLOCK)
                return -EAGAIN;
            if (io_block(0) == WAKE_SIGNAL)
                return -ERESTARTSYS;
        }
        e->count += v;
    } else {
        while (!e->count) {
            if (f->flags & O_NONBLOCK)
                return -EAGAIN;
            if (io_block(0) == WAKE_SIGNAL)
                return -ERESTARTSYS;
        }
        uint64_t v = e->semaphore ? 1 : e->count;
        e->count -= v;
        memcpy(buf, &v, 8);
    }
    changed(&e->gen);
    return 8;
}

static long eventfd_read(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return pos ? -ESPIPE : eventfd_rw(f, (uint8_t *)buf, len, 0);
}

static long eventfd_write(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return pos ? -ESPIPE : eventfd_rw(f, (uint8_t *)buf, len, 1);
}

static int16_t eventfd_revents(struct file *f, int16_t events)
{
    struct eventfd *e = f->obj;
    int16_t r = 0;
    if (e->count)
        r |= POLLIN;
    if (e->count < 0xfffffffffffffffeull)
        r |= POLLOUT;
    return r & (events | POLLERR | POLLHUP);
}

static uint32_t eventfd_gen(struct file *f)
{
    return ((struct eventfd *)f->obj)->gen;
}

static void eventfd_release(struct file *f)
{
    kfree(f->obj, sizeof(struct eventfd));
    f->obj = NULL;
}

static const struct file_ops eventfd_ops = {
    .read = eventfd_read,
    .write = eventfd_write,
    .revents = eventfd_revents,
    .gen = eventfd_gen,
    .release = eventfd_release,
};
