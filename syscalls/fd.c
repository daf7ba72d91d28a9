/* Open files and the fd table: close, dup, fcntl. */
#include "heap.h"
#include "locks.h"
#include "tmpfs.h"
#include "vfs.h"

/* Open files are allocated in chunks and never given back to the heap: a
 * thread that slept holding a file another one closed still finds a
 * struct file there (as with a static table), now with no kind. */
#define FILE_CHUNK 32

static struct file *free_files;
struct fdent {
    struct file *f;
    int cloexec;
};
/* The fd table grows (by doubling) as fds are used; first_free: no fd
 * below it is free. */
static struct fdent *fds;
static uint64_t nfds, first_free;
uint32_t umask_bits;

/* What a freed file does: every call answers as for no kind at all. */
static const struct file_ops free_ops;

void (*file_release_watch)(struct file *f);

struct file *file_new(const struct file_ops *ops)
{
    if (!free_files) {
        struct file *chunk = kmalloc(FILE_CHUNK * sizeof(*chunk));
        if (!chunk)
            return NULL;
        for (int i = 0; i < FILE_CHUNK; i++) {
            chunk[i].next_free = free_files;
            free_files = &chunk[i];
        }
    }
    struct file *f = free_files;
    free_files = f->next_free;
    memset(f, 0, sizeof(*f));
    f->ops = ops;
    f->hostfd = -1;
    f->refs = 1;
    return f;
}

void file_put(struct file *f)
{
    if (--f->refs)
        return;
    if (file_release_watch)
        file_release_watch(f);
    if (f->ops->release)
        f->ops->release(f);
    f->ops = &free_ops;
    f->hostfd = -1;
    f->next_free = free_files;
    free_files = f;
}

long fd_install_object(const struct file_ops *ops, void *obj, uint32_t flags, uint64_t size)
{
    if (!obj)
        return -ENOMEM;
    struct file *f = file_new(ops);
    if (!f) {
        kfree(obj, size);
        return -ENFILE;
    }
    f->obj = obj;
    f->flags = O_RDWR | (flags & O_NONBLOCK);
    return fd_install(f, 0, (flags & O_CLOEXEC) != 0);
}

/* RLIMIT_NOFILE: no new fd at or above it (fds already there stay). */
static uint64_t fd_max(void)
{
    return MIN(NR_OPEN, boot->rlimits[RLIMIT_NOFILE].cur);
}

/* Makes room in the table for fd; -EMFILE when there is no memory. */
static long fd_room(uint64_t fd)
{
    if (fd < nfds)
        return 0;
    uint64_t n = nfds ? nfds : 64;
    while (n <= fd)
        n *= 2;
    struct fdent *t = kmalloc(n * sizeof(*t));
    if (!t)
        return -EMFILE;
    if (fds) {
        memcpy(t, fds, nfds * sizeof(*t));
        kfree(fds, nfds * sizeof(*t));
    }
    fds = t;
    nfds = n;
    return 0;
}

static void fd_place(uint64_t fd, struct file *f, int cloexec)
{
    fds[fd].f = f;
    fds[fd].cloexec = cloexec;
    if (fd == first_free)
        first_free++;
}

long fd_install(struct file *f, int lowest, int cloexec)
{
    uint64_t fd = MAX((uint64_t)lowest, first_free);
    while (fd < nfds && fds[fd].f)
        fd++;
    if (fd >= fd_max() || fd_room(fd)) {
        file_put(f);
        return -EMFILE;
    }
    fd_place(fd, f, cloexec);
    return (long)fd;
}

struct file *fd_get(uint64_t fd)
{
    return fd < nfds ? fds[fd].f : NULL;
}

int fd_cloexec(uint64_t fd)
{
    return fd < nfds && fds[fd].f && fds[fd].cloexec;
}

int fd_limit(void)
{
    uint64_t n = nfds;
    while (n > 0 && !fds[n - 1].f)
        n--;
    return (int)n;
}

/* Takes fd out of the table; returns its file. */
static struct file *fd_clear(uint64_t fd)
{
    struct file *f = fds[fd].f;
    fds[fd].f = NULL;
    if (fd < first_free)
        first_free = fd;
    return f;
}

long fd_describe(int fd, char *out, size_t size)
{
    struct file *f = fd_get((uint64_t)fd);
    if (!f)
        return -EBADF;
    if (!out)
        return 0;
    if (f->ops->describe)
        f->ops->describe(f, out, size);
    else
        ksnprintf(out, size, "%s", f->path);
    return 0;
}

void fs_init(void)
{
    for (int i = 0; i < 3; i++) {
        if (boot->console_flags[i] < 0)
            continue;
        struct file *f = host_console_new(i);
        if (!f || fd_room((uint64_t)i))
            kpanic("no memory for the consoles");
        fd_place((uint64_t)i, f, 0);
    }
    /* The other fds hxrun inherited, at their numbers: also above the
     * limit, as exec leaves them. */
    const struct hx_inherited_fd *in = phys_to_virt(boot->inherited_pa);
    for (uint32_t i = 0; i < boot->ninherited; i++) {
        if (in[i].hostfd < 0)
            continue;
        struct file *f = host_inherited_new(&in[i]);
        uint64_t fd = (uint64_t)in[i].fd;
        if (!f || fd_room(fd))
            kpanic("no memory for the inherited fds");
        fd_place(fd, f, 0);
    }
    umask_bits = (uint32_t)boot->umask;
    tmpfs_init();
    /* Files of the guest's own an execve kept (/dev/null, /proc...):
     * opened again, then moved to their numbers. */
    for (uint32_t i = 0; i < boot->ninherited; i++) {
        if (in[i].hostfd >= 0)
            continue;
        char path[sizeof(in[i].path)];
        memcpy(path, in[i].path, sizeof(path));
        path[sizeof(path) - 1] = 0;
        long fd = file_open(AT_FDCWD, path, (uint64_t)(uint32_t)in[i].flags);
        if (fd < 0 || fd == in[i].fd)
            continue; /* a RAM /tmp file went with the old machine: closed */
        if (fd_room((uint64_t)in[i].fd))
            kpanic("no memory for the inherited fds");
        struct file *f = fd_clear((uint64_t)fd);
        fd_place((uint64_t)in[i].fd, f, 0);
    }
}

SYSCALL(close)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    fd_clear(a0);
    if (f->ops->flush)
        f->ops->flush(f);
    file_put(f);
    return 0;
}

#define CLOSE_RANGE_UNSHARE 2 /* one fd table per process here: nothing to unshare */
#define CLOSE_RANGE_CLOEXEC 4

SYSCALL(close_range)
{
    if ((a2 & ~(uint64_t)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) ||
        (uint32_t)a0 > (uint32_t)a1)
        return -EINVAL;
    uint64_t last = MIN((uint64_t)(uint32_t)a1, nfds ? nfds - 1 : 0);
    for (uint64_t fd = (uint32_t)a0; fd <= last && fd < nfds; fd++) {
        if (!fds[fd].f)
            continue;
        if (a2 & CLOSE_RANGE_CLOEXEC)
            fds[fd].cloexec = 1;
        else
            sys_close(fd, 0, 0, 0, 0, 0);
    }
    return 0;
}

static long dup_to(uint64_t old, uint64_t nw, int cloexec)
{
    struct file *f = fd_get(old);
    if (!f || nw >= fd_max())
        return -EBADF;
    if (old == nw)
        return (long)nw;
    if (fd_room(nw))
        return -EMFILE;
    f->refs++;
    if (fds[nw].f)
        file_put(fd_clear(nw));
    fd_place(nw, f, cloexec);
    return (long)nw;
}

SYSCALL(dup)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    f->refs++;
    return fd_install(f, 0, 0);
}

SYSCALL(dup2)
{
    if (a0 == a1)
        return fd_get(a0) ? (long)a1 : -EBADF;
    return dup_to(a0, a1, 0);
}

SYSCALL(dup3)
{
    if (a2 & ~(uint64_t)O_CLOEXEC)
        return -EINVAL;
    if (a0 == a1)
        return -EINVAL;
    return dup_to(a0, a1, (a2 & O_CLOEXEC) != 0);
}

/* Record locks: the kind's (ops->lock), after the checks every kind shares. */
static long record_lock(struct file *f, uint64_t cmd, uint64_t arg)
{
    struct kflock *l = (struct kflock *)arg;
    if (!user_ok(l, sizeof(*l), cmd == F_GETLK || cmd == F_OFD_GETLK))
        return -EFAULT;
    if (l->type < 0 || l->type > 2 || l->whence < 0 || l->whence > 2)
        return -EINVAL;
    return f->ops->lock ? f->ops->lock(f, cmd, arg) : -EBADF;
}

SYSCALL(fcntl)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    switch (a1) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (a2 >= fd_max())
            return -EINVAL;
        f->refs++;
        return fd_install(f, (int)a2, a1 == F_DUPFD_CLOEXEC);
    case F_GETFD:
        return fds[a0].cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
        fds[a0].cloexec = (a2 & FD_CLOEXEC) != 0;
        return 0;
    case F_GETFL:
        return f->ops->get_flags ? f->ops->get_flags(f) : f->flags;
    case F_SETFL:
        if (f->ops->set_flags) {
            long r = f->ops->set_flags(f, a2);
            if (r < 0)
                return r;
        } else if ((a2 & O_ASYNC) && !(f->flags & O_ASYNC)) {
            static int warned;
            if (!warned++)
                kwarn("O_ASYNC on a file the guest keeps (a pipe, eventfd...) sends no SIGIO");
        }
        f->flags = (f->flags & ~(uint32_t)(O_APPEND | O_NONBLOCK | O_ASYNC)) |
                   ((uint32_t)a2 & (O_APPEND | O_NONBLOCK | O_ASYNC));
        return 0;
    case F_SETOWN:
    case F_GETOWN:
    case F_SETSIG:
    case F_GETSIG:
        /* Signal-driven I/O: the host sends SIGIO to the owner, which is
         * a process of the run, and the monitor forwards it. */
        if (f->hostfd >= 0)
            return HC(fcntl, .hostfd = (uint64_t)f->hostfd, .cmd = a1, .arg = a2);
        if (a1 == F_GETOWN || a1 == F_GETSIG)
            return 0;
        break;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        return record_lock(f, a1, a2);
    case F_GETPIPE_SZ:
        return f->ops->fcntl ? f->ops->fcntl(f, a1, a2) : -EBADF;
    }
    static uint8_t warned[64];
    if (a1 < 64 && !warned[a1]++)
        kwarn("fcntl command %lu is not supported yet", a1);
    return -EINVAL;
}

SYSCALL(flock)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    uint64_t op = a1 & ~(uint64_t)LOCK_NB;
    if (op != LOCK_SH && op != LOCK_EX && op != LOCK_UN)
        return -EINVAL;
    return f->ops->flock ? f->ops->flock(f, a1) : 0;
}
