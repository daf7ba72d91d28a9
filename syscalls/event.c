/* eventfd, timerfd, signalfd and epoll: guest objects. They wait and wake
 * through the scheduler (io_block, io_notify) like pipes, and epoll mixes
 * them with host fds (sockets, the console) in one wait. Each object has a
 * generation counter that moves when it may have become ready, which is
 * what epoll's edge trigger reports. */
#include "heap.h"
#include "vfs.h"

#define POLLIN 1
#define POLLPRI 2
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
#define POLLRDHUP 0x2000
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
#define EFD_SEMAPHORE 1
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define NSEC 1000000000ll
#define EPOLL_MAX 4096

struct eventfd {
    uint64_t count;
    int semaphore;
    uint32_t gen;
};

struct timerfd {
    struct ktimer kt; /* first: the timer's fire function finds the object */
    int clock;
    uint64_t ticks; /* expirations not yet read */
    int64_t interval;
    uint32_t gen;
};

struct signalfd {
    uint64_t mask;
};

struct epitem {
    int fd;
    struct file *file; /* not a reference: an fd closed is dropped lazily */
    uint32_t events;
    uint64_t data;
    uint32_t gen;     /* the object's generation when last reported (ET) */
    int16_t last;     /* host fds: what was reported last (ET) */
    int16_t disabled; /* EPOLLONESHOT fired */
};

struct epoll {
    struct epitem *items;
    int n, cap;
    struct epoll *next; /* every epoll object */
};

static struct epoll *epolls;

static uint32_t signal_gen; /* moves with every signal sent (signalfd) */

void event_signal_sent(void)
{
    signal_gen++;
}

static void changed(uint32_t *gen)
{
    (*gen)++;
    io_notify();
}

static long new_file(enum kind kind, void *obj, uint32_t flags, uint64_t size)
{
    if (!obj)
        return -ENOMEM;
    struct file *f = file_new(kind);
    if (!f) {
        kfree(obj, size);
        return -ENFILE;
    }
    f->obj = obj;
    f->flags = O_RDWR | (flags & O_NONBLOCK);
    return fd_install(f, 0, (flags & O_CLOEXEC) != 0);
}

void event_release(struct file *f)
{
    switch (f->kind) {
    case K_EVENTFD:
        kfree(f->obj, sizeof(struct eventfd));
        break;
    case K_TIMERFD:
        ktimer_cancel(&((struct timerfd *)f->obj)->kt);
        kfree(f->obj, sizeof(struct timerfd));
        break;
    case K_SIGNALFD:
        kfree(f->obj, sizeof(struct signalfd));
        break;
    case K_EPOLL: {
        struct epoll *ep = f->obj, **p = &epolls;
        while (*p != ep)
            p = &(*p)->next;
        *p = ep->next;
        if (ep->items)
            kfree(ep->items, (uint64_t)ep->cap * sizeof(struct epitem));
        kfree(ep, sizeof(*ep));
        break;
    }
    default:
        break;
    }
    f->obj = NULL;
}

static int16_t epoll_ready(struct epoll *ep, int depth);

int16_t event_revents(struct file *f, int16_t events)
{
    int16_t r = 0;
    switch (f->kind) {
    case K_EVENTFD: {
        struct eventfd *e = f->obj;
        if (e->count)
            r |= POLLIN;
        if (e->count < 0xfffffffffffffffeull)
            r |= POLLOUT;
        break;
    }
    case K_TIMERFD:
        if (((struct timerfd *)f->obj)->ticks)
            r |= POLLIN;
        break;
    case K_SIGNALFD:
        if (signal_pending_set() & ((struct signalfd *)f->obj)->mask)
            r |= POLLIN;
        break;
    case K_EPOLL:
        r = epoll_ready(f->obj, 0);
        break;
    default:
        break;
    }
    return r & (events | POLLERR | POLLHUP);
}

uint32_t event_gen(struct file *f)
{
    switch (f->kind) {
    case K_EVENTFD:
        return ((struct eventfd *)f->obj)->gen;
    case K_TIMERFD:
        return ((struct timerfd *)f->obj)->gen;
    case K_SIGNALFD:
        return signal_gen;
    default:
        return 0;
    }
}

/* ---- eventfd ------------------------------------------------------------ */

SYSCALL(eventfd2)
{
    if (a1 & ~(uint64_t)(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    struct eventfd *e = kmalloc(sizeof(*e));
    if (e) {
        e->count = (uint32_t)a0;
        e->semaphore = (a1 & EFD_SEMAPHORE) != 0;
    }
    return new_file(K_EVENTFD, e, (uint32_t)a1, sizeof(*e));
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

/* ---- timerfd ------------------------------------------------------------ */

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
    return new_file(K_TIMERFD, t, (uint32_t)a1, sizeof(*t));
}

struct kitimerspec {
    int64_t isec, insec, vsec, vnsec;
};

static struct timerfd *timerfd_get(uint64_t fd, long *err)
{
    struct file *f = fd_get(fd);
    *err = !f ? -EBADF : f->kind != K_TIMERFD ? -EINVAL : 0;
    return *err ? NULL : f->obj;
}

static void timerfd_read_spec(struct timerfd *t, struct kitimerspec *v)
{
    int64_t left = t->kt.armed ? MAX(t->kt.when - clock_monotonic_ns(), 1) : 0;
    v->isec = t->interval / NSEC;
    v->insec = t->interval % NSEC;
    v->vsec = left / NSEC;
    v->vnsec = left % NSEC;
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
    if (nw.insec < 0 || nw.insec >= NSEC || nw.vnsec < 0 || nw.vnsec >= NSEC || nw.isec < 0 ||
        nw.vsec < 0)
        return -EINVAL;
    if (a3) {
        if (!user_ok((void *)a3, sizeof(struct kitimerspec), 1))
            return -EFAULT;
        timerfd_read_spec(t, (struct kitimerspec *)a3);
    }
    ktimer_cancel(&t->kt);
    t->ticks = 0;
    int64_t value = MIN(nw.vsec, 1ll << 33) * NSEC + nw.vnsec;
    t->interval = value ? MIN(nw.isec, 1ll << 33) * NSEC + nw.insec : 0;
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

/* ---- signalfd ----------------------------------------------------------- */

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
        if (f->kind != K_SIGNALFD)
            return -EINVAL;
        ((struct signalfd *)f->obj)->mask = mask;
        io_notify();
        return (long)a0;
    }
    struct signalfd *s = kmalloc(sizeof(*s));
    if (s)
        s->mask = mask;
    return new_file(K_SIGNALFD, s, (uint32_t)a3, sizeof(*s));
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
        if (sig == 11 || sig == 7 || sig == 4 || sig == 8)
            o.addr = info.u.addr;
        memcpy(buf + done, &o, sizeof(o));
        done += sizeof(o);
    }
    return (long)done;
}

long event_rw(struct file *f, uint8_t *buf, uint64_t len, int write)
{
    switch (f->kind) {
    case K_EVENTFD:
        return eventfd_rw(f, buf, len, write);
    case K_TIMERFD:
        return write ? -EINVAL : timerfd_read(f, buf, len);
    case K_SIGNALFD:
        return write ? -EINVAL : signalfd_read(f, buf, len);
    default:
        return -EINVAL; /* epoll */
    }
}

/* ---- epoll -------------------------------------------------------------- */

SYSCALL(epoll_create1)
{
    if (a0 & ~(uint64_t)O_CLOEXEC)
        return -EINVAL;
    struct epoll *ep = kmalloc(sizeof(*ep));
    long fd = new_file(K_EPOLL, ep, (uint32_t)a0, sizeof(*ep));
    if (fd >= 0) {
        ep->next = epolls;
        epolls = ep;
    }
    return fd;
}

SYSCALL(epoll_create)
{
    if ((int)a0 <= 0)
        return -EINVAL;
    return sys_epoll_create1(0, 0, 0, 0, 0, 0);
}

static struct epitem *find(struct epoll *ep, int fd, struct file *f)
{
    for (int i = 0; i < ep->n; i++)
        if (ep->items[i].fd == fd && ep->items[i].file == f)
            return &ep->items[i];
    return NULL;
}

/* Whether adding target to ep would make a loop or nest too deep. */
static int reaches(struct epoll *from, struct epoll *target, int depth)
{
    if (from == target)
        return 1;
    if (depth > 4)
        return 1;
    for (int i = 0; i < from->n; i++)
        if (from->items[i].file->kind == K_EPOLL &&
            reaches(from->items[i].file->obj, target, depth + 1))
            return 1;
    return 0;
}

struct epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

SYSCALL(epoll_ctl)
{
    struct file *ef = fd_get(a0), *f = fd_get(a2);
    if (!ef || !f)
        return -EBADF;
    if (ef->kind != K_EPOLL || ef == f)
        return -EINVAL;
    /* Regular files and directories are always ready: Linux refuses them. */
    if (f->kind == K_TMP || f->kind == K_GEN || f->kind == K_GDIR || f->kind == K_NULL ||
        f->kind == K_ZERO || f->kind == K_FULL || (f->flags & O_PATH))
        return -EPERM;
    struct epoll *ep = ef->obj;
    struct epoll_event ev = {0, 0};
    int op = (int)a1;
    if (op != 2 /* DEL */) {
        if (!user_ok((void *)a3, sizeof(ev), 0))
            return -EFAULT;
        memcpy(&ev, (void *)a3, sizeof(ev));
    }
    struct epitem *it = find(ep, (int)a2, f);
    switch (op) {
    case 1: /* ADD */
        if (it)
            return -EEXIST;
        if (f->kind == K_EPOLL && reaches(f->obj, ep, 0))
            return -ELOOP;
        if (ep->n == EPOLL_MAX)
            return -ENOSPC;
        if (ep->n == ep->cap) {
            int cap = ep->cap ? ep->cap * 2 : 16;
            struct epitem *n = kmalloc((uint64_t)cap * sizeof(*n));
            if (!n)
                return -ENOMEM;
            if (ep->items) {
                memcpy(n, ep->items, (uint64_t)ep->n * sizeof(*n));
                kfree(ep->items, (uint64_t)ep->cap * sizeof(*n));
            }
            ep->items = n;
            ep->cap = cap;
        }
        it = &ep->items[ep->n++];
        *it = (struct epitem){(int)a2, f, ev.events, ev.data, 0, 0, 0};
        /* A new item reports its current state, even with EPOLLET. */
        it->gen = file_gen(f) - 1;
        io_notify();
        return 0;
    case 2: /* DEL */
        if (!it)
            return -ENOENT;
        *it = ep->items[--ep->n];
        return 0;
    case 3: /* MOD */
        if (!it)
            return -ENOENT;
        if (ev.events & EPOLLEXCLUSIVE)
            return -EINVAL;
        it->events = ev.events;
        it->data = ev.data;
        it->disabled = 0;
        it->gen = file_gen(f) - 1;
        it->last = 0;
        io_notify();
        return 0;
    }
    return -EINVAL;
}

/* The last reference to f is gone: it leaves every interest list, as on
 * Linux (its struct file may be reused at once). */
void event_file_closed(struct file *f)
{
    for (struct epoll *ep = epolls; ep; ep = ep->next)
        for (int i = 0; i < ep->n;)
            if (ep->items[i].file == f)
                ep->items[i] = ep->items[--ep->n];
            else
                i++;
}

/* Items whose fd was closed while a dup keeps the file open are dropped
 * too: Linux keeps them (keyed by the file), which programs rarely rely on. */
static void prune(struct epoll *ep)
{
    for (int i = 0; i < ep->n;)
        if (fd_get((uint64_t)ep->items[i].fd) != ep->items[i].file)
            ep->items[i] = ep->items[--ep->n];
        else
            i++;
}

static int16_t item_mask(const struct epitem *it)
{
    return (int16_t)((it->events & 0xffff) | POLLERR | POLLHUP);
}

/* Readiness of an epoll fd itself (nested epoll, poll on an epoll fd):
 * guest items only; host items answer when waited on. */
static int16_t epoll_ready(struct epoll *ep, int depth)
{
    prune(ep);
    for (int i = 0; i < ep->n; i++) {
        struct epitem *it = &ep->items[i];
        if (it->disabled || it->file->kind == K_HOST)
            continue;
        int16_t r = it->file->kind == K_EPOLL
                        ? (depth < 4 ? epoll_ready(it->file->obj, depth + 1) : 0)
                        : file_revents(it->file, item_mask(it));
        r &= item_mask(it);
        if (r && (!(it->events & EPOLLET) || file_gen(it->file) != it->gen))
            return POLLIN;
    }
    return 0;
}

#define MAX_HOST_ITEMS 256

static long epoll_wait_common(uint64_t epfd, uint64_t uev, uint64_t max, int64_t deadline)
{
    struct file *ef = fd_get(epfd);
    if (!ef)
        return -EBADF;
    if (ef->kind != K_EPOLL)
        return -EINVAL;
    if ((int)max <= 0 || max > 0x7fffffff / sizeof(struct epoll_event))
        return -EINVAL;
    struct epoll_event *out = (struct epoll_event *)uev;
    if (!user_ok(out, max * sizeof(*out), 1))
        return -EFAULT;
    struct epoll *ep = ef->obj;
    /* On this thread's kernel stack: another may wait on the same epoll. */
    struct hostwait host[MAX_HOST_ITEMS];
    int hmap[MAX_HOST_ITEMS];
    int host_known = 0;
    for (;;) {
        prune(ep);
        uint64_t n = 0;
        int nhost = 0, buffered = 0;
        for (int i = 0; i < ep->n && n < max; i++) {
            struct epitem *it = &ep->items[i];
            if (it->disabled)
                continue;
            if (it->file->kind == K_HOST) {
                if (nhost < MAX_HOST_ITEMS) {
                    if (!host_known)
                        host[nhost] = (struct hostwait){it->file->hostfd, item_mask(it), 0};
                    hmap[nhost++] = i;
                    /* Data a wait already brought: answer without waiting. */
                    buffered += (it->events & POLLIN) && sockbuf_rx_ready(it->file->hostfd);
                }
                continue;
            }
            int16_t r = file_revents(it->file, item_mask(it)) & item_mask(it);
            if (!r)
                continue;
            if (it->events & EPOLLET) {
                uint32_t g = file_gen(it->file);
                if (g == it->gen)
                    continue;
                it->gen = g;
            }
            out[n].events = (uint32_t)(uint16_t)r;
            out[n].data = it->data;
            n++;
            if (it->events & EPOLLONESHOT)
                it->disabled = 1;
        }
        if (nhost && !host_known && (n || buffered || deadline == -1 || sched_others_runnable())) {
            long r = host_io(host, nhost, 0);
            if (r < 0)
                return r;
            host_known = 1;
        }
        if (host_known) {
            for (int k = 0; k < nhost && n < max; k++) {
                struct epitem *it = &ep->items[hmap[k]];
                int fd = it->file->hostfd;
                int16_t r = host[k].revents;
                if ((it->events & POLLIN) && sockbuf_rx_ready(fd))
                    r |= POLLIN;
                r &= item_mask(it);
                /* Edge: bits the host did not report last time, or data a
                 * wait brought since. */
                int16_t fresh = (int16_t)(r & ~it->last);
                uint32_t g = sockbuf_rx_gen(fd);
                if (g != it->gen && (r & POLLIN))
                    fresh |= POLLIN;
                it->last = r;
                it->gen = g;
                if (!r || ((it->events & EPOLLET) && !fresh))
                    continue;
                out[n].events = (uint32_t)(uint16_t)r;
                out[n].data = it->data;
                n++;
                if (it->events & EPOLLONESHOT)
                    it->disabled = 1;
            }
            host_known = 0;
        }
        if (n || deadline == -1)
            return (long)n;
        current->hostwait = nhost ? host : NULL;
        current->nhostwait = nhost;
        for (int k = 0; k < nhost; k++)
            host[k].revents = 0;
        enum wake_reason w = io_block(deadline);
        for (int k = 0; k < nhost; k++)
            host_known |= host[k].revents != 0;
        if (w == WAKE_SIGNAL)
            return -EINTR;
        if (w == WAKE_TIMEOUT)
            deadline = -1;
    }
}

SYSCALL(epoll_wait)
{
    return epoll_wait_common(a0, a1, a2, ms_deadline((int)a3));
}

SYSCALL(epoll_pwait)
{
    long r = temp_sigmask(a4, a5);
    return r ? r : epoll_wait_common(a0, a1, a2, ms_deadline((int)a3));
}

SYSCALL(epoll_pwait2)
{
    int64_t deadline;
    long r = ts_deadline(a3, &deadline);
    if (!r)
        r = temp_sigmask(a4, a5);
    return r ? r : epoll_wait_common(a0, a1, a2, deadline);
}
