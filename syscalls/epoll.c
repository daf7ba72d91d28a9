/* epoll: interest lists over guest objects and host fds (sockets, the
 * console) in one wait. Guest objects answer through their ops (readiness
 * and a generation counter that moves when they may have become ready,
 * which is what the edge trigger reports); host fds go to the scheduler's
 * host wait, which says only what is ready now: their edge is a bit the
 * last answer lacked, data a wait brought, or readiness again after a
 * call found the fd not ready that way (file_again), as Linux wakes
 * epoll when a full buffer drains or an empty one fills. */
#include "heap.h"
#include "vfs.h"
#include "uapi/eventpoll.h"
#include "uapi/poll.h"

#define EPOLL_MAX 4096

struct epitem {
    int fd;
    struct file *file; /* not a reference: an fd closed is dropped lazily */
    uint32_t events;
    uint64_t data;
    uint32_t gen;                 /* the object's generation when last reported (ET) */
    int16_t last;                 /* host fds: what was reported last (ET) */
    int16_t disabled;             /* EPOLLONESHOT fired */
    uint32_t again_in, again_out; /* host fds: the file's counts then (ET) */
};

struct epoll {
    struct epitem *items;
    int n, cap;
    struct epoll *next; /* every epoll object */
};

static struct epoll *epolls;

static const struct file_ops epoll_ops;

static int is_epoll(const struct file *f)
{
    return f->ops == &epoll_ops;
}

static void epoll_release(struct file *f)
{
    struct epoll *ep = f->obj, **p = &epolls;
    while (*p && *p != ep)
        p = &(*p)->next;
    if (*p) /* not yet listed when its fd could not be installed */
        *p = ep->next;
    if (ep->items)
        kfree(ep->items, (uint64_t)ep->cap * sizeof(struct epitem));
    kfree(ep, sizeof(*ep));
    f->obj = NULL;
}

static int16_t epoll_ready(struct epoll *ep, int depth);

static int16_t epoll_revents(struct file *f, int16_t events)
{
    return epoll_ready(f->obj, 0) & (events | POLLERR | POLLHUP);
}

/* read and write on an epoll fd. */
static long epoll_rw(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    (void)f, (void)buf, (void)len;
    return pos ? -ESPIPE : -EINVAL;
}

static void epoll_file_released(struct file *f);

static const struct file_ops epoll_ops = {
    .read = epoll_rw,
    .write = epoll_rw,
    .revents = epoll_revents,
    .release = epoll_release,
};

SYSCALL(epoll_create1)
{
    if (a0 & ~(uint64_t)O_CLOEXEC)
        return -EINVAL;
    struct epoll *ep = kmalloc(sizeof(*ep));
    long fd = fd_install_object(&epoll_ops, ep, (uint32_t)a0, sizeof(*ep));
    if (fd >= 0) {
        ep->next = epolls;
        epolls = ep;
        file_release_watch = epoll_file_released;
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
        if (is_epoll(from->items[i].file) && reaches(from->items[i].file->obj, target, depth + 1))
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
    if (!is_epoll(ef) || ef == f)
        return -EINVAL;
    /* Regular files and directories are always ready (they have no
     * revents): Linux refuses them. Host fds are the host's to judge. */
    if ((f->hostfd < 0 && !f->ops->revents) || (f->flags & O_PATH))
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
    case EPOLL_CTL_ADD:
        if (it)
            return -EEXIST;
        if (is_epoll(f) && reaches(f->obj, ep, 0))
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
        *it = (struct epitem){(int)a2, f, ev.events, ev.data, 0, 0, 0, 0, 0};
        /* A new item reports its current state, even with EPOLLET. */
        it->gen = file_gen(f) - 1;
        io_notify();
        return 0;
    case EPOLL_CTL_DEL:
        if (!it)
            return -ENOENT;
        *it = ep->items[--ep->n];
        return 0;
    case EPOLL_CTL_MOD:
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
static void epoll_file_released(struct file *f)
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
        if (it->disabled || it->file->hostfd >= 0)
            continue;
        int16_t r = is_epoll(it->file) ? (depth < 4 ? epoll_ready(it->file->obj, depth + 1) : 0)
                                       : file_revents(it->file, item_mask(it));
        r &= item_mask(it);
        if (r && (!(it->events & EPOLLET) || file_gen(it->file) != it->gen))
            return POLLIN;
    }
    return 0;
}

#define MAX_HOST_ITEMS 256

/* What an edge-triggered host item need not wait for: EPOLLOUT reported
 * and not used up since (no write found the fd full), so still there
 * (only writes fill a send buffer). A host wait for it would return at
 * once, again and again. */
static int16_t out_reported(const struct epitem *it)
{
    return (it->events & EPOLLET) && (it->last & POLLOUT) && it->again_out == it->file->again_out
               ? POLLOUT
               : 0;
}

static long epoll_wait_common(uint64_t epfd, uint64_t uev, uint64_t max, int64_t deadline)
{
    struct file *ef = fd_get(epfd);
    if (!ef)
        return -EBADF;
    if (!is_epoll(ef))
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
            if (it->file->hostfd >= 0) {
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
                /* What the wait was not asked is as it was. */
                int16_t r = host[k].revents | (it->last & item_mask(it) & ~host[k].events);
                if ((it->events & POLLIN) && sockbuf_rx_ready(fd))
                    r |= POLLIN;
                r &= item_mask(it);
                /* Edge: bits the host did not report last time, data a
                 * wait brought since, or readiness after a call found the
                 * fd not ready. */
                int16_t fresh = (int16_t)(r & ~it->last);
                uint32_t g = sockbuf_rx_gen(fd);
                if (g != it->gen && (r & POLLIN))
                    fresh |= POLLIN;
                if (it->again_in != it->file->again_in)
                    fresh |= r & POLLIN;
                if (it->again_out != it->file->again_out)
                    fresh |= r & POLLOUT;
                it->last = r;
                it->gen = g;
                it->again_in = it->file->again_in;
                it->again_out = it->file->again_out;
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
        for (int k = 0; k < nhost; k++) {
            struct epitem *it = &ep->items[hmap[k]];
            host[k].events = (int16_t)(item_mask(it) & ~out_reported(it));
            host[k].revents = 0;
        }
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
