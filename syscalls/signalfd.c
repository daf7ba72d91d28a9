/* signalfd: pending signals of a mask read as records. Its readiness
 * moves with every signal sent (kernel/signal.c calls event_signal_sent
 * through the hook syscalls_init registers with signal_set_hooks). */
#include "heap.h"
#include "vfs.h"
#include "uapi/poll.h"

struct signalfd {
    uint64_t mask;
};

static const struct file_ops signalfd_ops;

static uint32_t signal_gen; /* moves with every signal sent (signalfd) */

void event_signal_sent(void)
{
    signal_gen++;
}

SYSCALL(signalfd4)
{
    if (a2 != 8)
        return -EINVAL;
    if (a3 & ~(uint64_t)(O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    if (!user_ok((void *)a1, 8, 0))
        return -EFAULT;
    uint64_t mask = *(uint64_t *)a1 & ~((1ull << 8) | (1ull << 18)); /* not KILL, STOP */
    if ((int)a0 != -1) {
        struct file *f = fd_get(a0);
        if (!f)
            return -EBADF;
        if (f->ops != &signalfd_ops)
            return -EINVAL;
        ((struct signalfd *)f->obj)->mask = mask;
        io_notify();
        return (long)a0;
    }
    struct signalfd *s = kmalloc(sizeof(*s));
    if (s)
        s->mask = mask;
    return fd_install_object(&signalfd_ops, s, (uint32_t)a3, sizeof(*s));
}

SYSCALL(signalfd)
{
    return sys_signalfd4(a0, a1, a2, 0, 0, 0);
}

/* struct signalfd_siginfo, 128 bytes. */
struct sfd_info {
    uint32_t signo;
    int32_t errno_, code;
    uint32_t pid, uid;
    int32_t fd;
    uint32_t tid, band, overrun, trapno;
    int32_t status, int_;
    uint64_t ptr, utime, stime, addr;
    uint16_t addr_lsb;
    uint8_t _pad[46];
};
_Static_assert(sizeof(struct sfd_info) == 128, "signalfd_siginfo layout");

static long signalfd_read(struct file *f, uint8_t *buf, uint64_t len)
{
    struct signalfd *s = f->obj;
    if (len < sizeof(struct sfd_info))
        return -EINVAL;
    uint64_t done = 0;
    while (len - done >= sizeof(struct sfd_info)) {
        struct ksiginfo info;
        int sig = signal_dequeue(s->mask, &info);
        if (!sig) {
            if (done)
                break;
            if (f->flags & O_NONBLOCK)
                return -EAGAIN;
            if (io_block(0) == WAKE_SIGNAL)
                return -ERESTARTSYS;
            continue;
        }
        struct sfd_info o = {0};
        o.signo = (uint32_t)sig;
        o.errno_ = info.errno_;
        o.code = info.code;
        o.pid = (uint32_t)info.u.kill.pid;
        o.uid = info.u.kill.uid;
        if (info.code == -2) { /* SI_TIMER */
            o.tid = (uint32_t)info.u.timer.tid;
            o.overrun = (uint32_t)info.u.timer.overrun;
            o.ptr = info.u.timer.value;
            o.int_ = (int32_t)info.u.timer.value;
        } else {
            o.ptr = info.u.kill.value;
            o.int_ = (int32_t)info.u.kill.value;
        }
        if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE)
            o.addr = info.u.addr;
        memcpy(buf + done, &o, sizeof(o));
        done += sizeof(o);
    }
    return (long)done;
}

static long signalfd_read_op(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return pos ? -ESPIPE : signalfd_read(f, (uint8_t *)buf, len);
}

static long signalfd_write(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    (void)f, (void)buf, (void)len;
    return pos ? -ESPIPE : -EINVAL;
}

static int16_t signalfd_revents(struct file *f, int16_t events)
{
    int16_t r = signal_pending_set() & ((struct signalfd *)f->obj)->mask ? POLLIN : 0;
    return r & (events | POLLERR | POLLHUP);
}

static uint32_t signalfd_gen(struct file *f)
{
    (void)f;
    return signal_gen;
}

static void signalfd_release(struct file *f)
{
    kfree(f->obj, sizeof(struct signalfd));
    f->obj = NULL;
}

static const struct file_ops signalfd_ops = {
    .read = signalfd_read_op,
    .write = signalfd_write,
    .revents = signalfd_revents,
    .gen = signalfd_gen,
    .release = signalfd_release,
};
