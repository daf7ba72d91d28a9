/* Pipes inside the guest: a 64 KiB ring buffer per pipe. */
#include "vfs.h"

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

void pipe_release(struct file *f)
{
    if (f->kind == K_PIPE_R)
        f->pipe->readers--;
    else
        f->pipe->writers--;
    changed(f->pipe, f->kind == K_PIPE_W);
}

uint32_t pipe_gen(const struct file *f)
{
    return f->kind == K_PIPE_R ? f->pipe->gen_in : f->pipe->gen_out;
}

uint64_t pipe_available(const struct file *f)
{
    return f->pipe->len;
}

uint64_t pipe_ino(const struct file *f)
{
    return (uint64_t)(f->pipe - pipes) + 1;
}

int16_t pipe_revents(const struct file *f, int16_t events)
{
    int16_t r = 0;
    if (f->kind == K_PIPE_R) {
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
    if (a1 & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | 040000 /* O_DIRECT */))
        return -EINVAL;
    int *ufds = (int *)a0;
    if (!user_ok(ufds, 8, 1))
        return -EFAULT;
    struct pipe *p = NULL;
    for (int i = 0; i < NPIPES && !p; i++)
        if (!pipes[i].readers && !pipes[i].writers)
            p = &pipes[i];
    struct file *r = p ? file_new(K_PIPE_R) : NULL, *w = r ? file_new(K_PIPE_W) : NULL;
    if (!w) {
        if (r)
            r->kind = K_FREE;
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

long pipe_read(struct file *f, uint8_t *buf, uint64_t len)
{
    struct pipe *p = f->pipe;
    while (!p->len) {
        if (!p->writers || !len)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (io_block(0) == WAKE_SIGNAL)
            return -ERESTARTSYS;
    }
    uint64_t n = MIN(len, p->len);
    for (uint64_t i = 0; i < n; i++)
        buf[i] = p->buf[(p->head + i) % PIPE_SIZE];
    p->head = (uint32_t)((p->head + n) % PIPE_SIZE);
    p->len -= (uint32_t)n;
    changed(p, 0);
    return (long)n;
}

#define PIPE_BUF 4096

/* Writes of at most PIPE_BUF bytes are atomic: all or nothing. Longer ones
 * go in pieces as room appears, and a blocking writer waits until all of
 * it is in (or a signal stops it: then it reports what it wrote). */
long pipe_write(struct file *f, const uint8_t *buf, uint64_t len)
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
