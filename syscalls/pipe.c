/* Pipes inside the guest: a 64 KiB ring buffer per pipe. */
#include "vfs.h"
#include "uapi/ioctls.h"

#define PIPE_SIZE 65536
#define NPIPES 64

struct pipe {
    uint8_t buf[PIPE_SIZE];
    uint32_t head, len;
    int readers, writers;
    /* Edge-trigger generations: data or EOF for readers, room or no
     * reader for writers. */
    uint32_t gen_in, gen_out;
};

static struct pipe pipes[NPIPES];

/* Something changed for the pipe's readers (in) or writers (out). */
static void changed(struct pipe *p, int in)
{
    if (in)
        p->gen_in++;
    else
        p->gen_out++;
    io_notify();
}

static const struct file_ops pipe_reader_ops, pipe_writer_ops;

static int is_reader(const struct file *f)
{
    return f->ops == &pipe_reader_ops;
}

static void pipe_release(struct file *f)
{
    if (is_reader(f))
        f->pipe->readers--;
    else
        f->pipe->writers--;
    changed(f->pipe, !is_reader(f));
}

static uint32_t pipe_gen(struct file *f)
{
    return is_reader(f) ? f->pipe->gen_in : f->pipe->gen_out;
}

static uint64_t pipe_ino(const struct file *f)
{
    return (uint64_t)(f->pipe - pipes) + 1;
}

static int16_t pipe_revents(struct file *f, int16_t events)
{
    int16_t r = 0;
    if (is_reader(f)) {
        if (f->pipe->len)
            r |= 1; /* POLLIN */
        if (!f->pipe->writers)
            r |= 16; /* POLLHUP */
    } else {
        if (f->pipe->len < PIPE_SIZE)
            r |= 4; /* POLLOUT */
        if (!f->pipe->readers)
            r |= 8; /* POLLERR */
    }
    return r & (events | 8 | 16);
}

SYSCALL(pipe2)
{
    if (a1 & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return -EINVAL;
    int *ufds = (int *)a0;
    if (!user_ok(ufds, 8, 1))
        return -EFAULT;
    struct pipe *p = NULL;
    for (int i = 0; i < NPIPES && !p; i++)
        if (!pipes[i].readers && !pipes[i].writers)
            p = &pipes[i];
    struct file *r = p ? file_new(&pipe_reader_ops) : NULL,
                *w = r ? file_new(&pipe_writer_ops) : NULL;
    if (!w) {
        if (r) {
            p->readers = 1; /* for the release */
            r->pipe = p;
            file_put(r);
        }
        return -ENFILE;
    }
    p->head = p->len = 0;
    p->readers = p->writers = 1;
    r->pipe = w->pipe = p;
    r->flags = O_RDONLY | ((uint32_t)a1 & O_NONBLOCK);
    w->flags = O_WRONLY | ((uint32_t)a1 & O_NONBLOCK);
    int cloexec = (a1 & O_CLOEXEC) != 0;
    long rfd = fd_install(r, 0, cloexec);
    if (rfd < 0) {
        file_put(w);
        return rfd;
    }
    long wfd = fd_install(w, 0, cloexec);
    if (wfd < 0) {
        sys_close((uint64_t)rfd, 0, 0, 0, 0, 0);
        return wfd;
    }
    ufds[0] = (int)rfd;
    ufds[1] = (int)wfd;
    return 0;
}

SYSCALL(pipe)
{
    return sys_pipe2(a0, 0, 0, 0, 0, 0);
}

static long pipe_read(struct file *f, uint8_t *buf, uint64_t len)
{
    struct pipe *p = f->pipe;
    while (!p->len) {
        if (!p->writers || !len)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (io_block(0) == WAKE_SIGNAL)
            return -ERESTARTSYS;
        if (f->ops != &pipe_reader_ops)
            return -ERESTARTNOINTR; /* now a host pipe (pipe_share_all): again, there */
    }
    uint64_t n = MIN(len, p->len);
    for (uint64_t i = 0; i < n; i++)
        buf[i] = p->buf[(p->head + i) % PIPE_SIZE];
    p->head = (uint32_t)((p->head + n) % PIPE_SIZE);
    p->len -= (uint32_t)n;
    changed(p, 0);
    return (long)n;
}

/* Writes of at most PIPE_BUF bytes are atomic: all or nothing. Longer ones
 * go in pieces as room appears, and a blocking writer waits until all of
 * it is in (or a signal stops it: then it reports what it wrote). */
static long pipe_write(struct file *f, const uint8_t *buf, uint64_t len)
{
    struct pipe *p = f->pipe;
    if (!len)
        return 0; /* Linux answers an empty write before anything else */
    uint64_t done = 0;
    while (done < len) {
        if (!p->readers) {
            signal_send(current, SIGPIPE, 0 /* SI_USER */);
            return done ? (long)done : -EPIPE;
        }
        uint64_t room = PIPE_SIZE - p->len;
        if (!room || (len <= PIPE_BUF && room < len)) {
            if (f->flags & O_NONBLOCK)
                return done ? (long)done : -EAGAIN;
            if (io_block(0) == WAKE_SIGNAL)
                return done ? (long)done : -ERESTARTSYS;
            if (f->ops != &pipe_writer_ops)
                return done ? (long)done : -ERESTARTNOINTR;
            continue;
        }
        uint64_t n = MIN(len - done, room);
        for (uint64_t i = 0; i < n; i++)
            p->buf[(p->head + p->len + i) % PIPE_SIZE] = buf[done + i];
        p->len += (uint32_t)n;
        done += n;
        changed(p, 1);
    }
    return (long)done;
}

static long pipe_read_op(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return pos ? -ESPIPE : pipe_read(f, (uint8_t *)buf, len);
}

static long pipe_write_op(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return pos ? -ESPIPE : pipe_write(f, (const uint8_t *)buf, len);
}

static long pipe_splice_write(struct file *f, const void *buf, uint64_t len)
{
    return pipe_write(f, buf, len);
}

static long pipe_ioctl(struct file *f, uint64_t cmd, uint64_t arg)
{
    if (cmd != FIONREAD)
        return -ENOTTY;
    if (!user_ok((void *)arg, 4, 1))
        return -EFAULT;
    *(int *)arg = (int)f->pipe->len;
    return 0;
}

static long pipe_fcntl(struct file *f, uint64_t cmd, uint64_t arg)
{
    (void)f, (void)arg;
    return cmd == F_GETPIPE_SZ ? PIPE_SIZE : -EBADF;
}

static long pipe_seek(struct file *f, uint64_t off, uint64_t whence)
{
    (void)f, (void)off, (void)whence;
    return -ESPIPE;
}

static void pipe_stat(const struct file *f, struct kstat *st)
{
    memset(st, 0, sizeof(*st));
    st->nlink = 1;
    st->uid = boot->uid;
    st->gid = boot->gid;
    st->blksize = 4096;
    st->mode = S_IFIFO | 0600;
    st->dev = 14; /* pipefs */
    st->ino = pipe_ino(f);
}

static void pipe_describe(const struct file *f, char *out, size_t size)
{
    ksnprintf(out, size, "pipe:[%lu]", pipe_ino(f));
}

static const struct file_ops pipe_reader_ops = {
    .read = pipe_read_op,
    .revents = pipe_revents,
    .gen = pipe_gen,
    .ioctl = pipe_ioctl,
    .seek = pipe_seek,
    .stat = pipe_stat,
    .fcntl = pipe_fcntl,
    .release = pipe_release,
    .describe = pipe_describe,
    .fifo = 1,
    .partial_vectors = 1,
};

static const struct file_ops pipe_writer_ops = {
    .write = pipe_write_op,
    .splice_write = pipe_splice_write,
    .revents = pipe_revents,
    .gen = pipe_gen,
    .seek = pipe_seek,
    .stat = pipe_stat,
    .fcntl = pipe_fcntl,
    .release = pipe_release,
    .describe = pipe_describe,
    .fifo = 1,
    .partial_vectors = 1,
};

/* ---- Sharing across fork ------------------------------------------------- */

/* Moves pipe p to a host pipe: its bytes first, in order, then every fd
 * of it becomes a host stream on the matching end. A thread blocked on it
 * wakes and starts its call again on the host pipe. */
static long pipe_to_host(struct pipe *p)
{
    int32_t hfd[2];
    long r = HC(pipe, .fds = (uint64_t)hfd, .size = 0);
    if (r < 0)
        return r == -EMFILE || r == -ENFILE ? -EAGAIN : r;
    /* The host pipe is empty and holds PIPE_SIZE: each write goes in whole. */
    uint32_t first = MIN(p->len, PIPE_SIZE - p->head);
    if (first)
        HC(write, .hostfd = (uint64_t)hfd[1], .buf = (uint64_t)&p->buf[p->head], .len = first);
    if (p->len > first)
        HC(write, .hostfd = (uint64_t)hfd[1], .buf = (uint64_t)p->buf, .len = p->len - first);
    p->head = p->len = 0;
    int have[2] = {0, 0};
    int n = fd_limit();
    for (int fd = 0; fd < n; fd++) {
        struct file *f = fd_get((uint64_t)fd);
        if (!f || (f->ops != &pipe_reader_ops && f->ops != &pipe_writer_ops) || f->pipe != p)
            continue;
        int end = is_reader(f) ? 0 : 1;
        if (end == 0)
            p->readers--;
        else
            p->writers--;
        host_file_adopt(f, hfd[end]);
        have[end] = 1;
        if (f->flags & O_NONBLOCK)
            HC(fcntl, .hostfd = (uint64_t)hfd[end], .cmd = F_SETFL, .arg = O_NONBLOCK);
    }
    for (int end = 0; end < 2; end++)
        if (!have[end])
            HC(close, .hostfd = (uint64_t)hfd[end]);
    changed(p, 1);
    changed(p, 0);
    return 0;
}

long pipe_share(struct file *f)
{
    if (f->ops != &pipe_reader_ops && f->ops != &pipe_writer_ops)
        return 0;
    return pipe_to_host(f->pipe);
}

long pipe_share_all(void)
{
    int n = fd_limit();
    for (int fd = 0; fd < n; fd++) {
        struct file *f = fd_get((uint64_t)fd);
        if (f && (f->ops == &pipe_reader_ops || f->ops == &pipe_writer_ops)) {
            long r = pipe_to_host(f->pipe);
            if (r < 0)
                return r;
        }
    }
    return 0;
}
