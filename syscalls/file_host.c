/* Host fds as open files: hostfs files, the consoles, the fds hxrun
 * inherited, and sockets (net.c makes them; sockbuf.c keeps their queued
 * sends and received data). Calls go to the host (hypercalls, zero-copy on
 * the program's buffers), which checks access and memory itself. */
#include "vfs.h"
#include "uapi/fs.h"
#include "uapi/ioctls.h"

static const struct file_ops host_ops;

struct file *host_file_new(int hostfd)
{
    struct file *f = file_new(&host_ops);
    if (f)
        f->hostfd = hostfd;
    return f;
}

int file_host_fd(const struct file *f)
{
    return f->ops == &host_ops ? f->hostfd : -1;
}

void host_file_adopt(struct file *f, int hostfd)
{
    f->ops = &host_ops;
    f->hostfd = hostfd;
    f->sock = 0;
    f->stream = 1;
    f->inherited = NULL;
    f->again_in = f->again_out = 0;
}

struct file *host_console_new(int fd)
{
    struct file *f = host_file_new(fd);
    if (!f)
        return NULL;
    f->flags = (uint32_t)boot->console_flags[fd];
    /* A terminal, pipe or socket (its /proc name is not a path), or a
     * device, can make a read wait; a regular file cannot. */
    const char *path = boot->console_path[fd];
    f->stream = boot->console_tty[fd] || path[0] != '/' || !strncmp(path, "/dev/", 5);
    return f;
}

struct file *host_inherited_new(const struct hx_inherited_fd *in)
{
    struct file *f = host_file_new(in->hostfd);
    if (!f)
        return NULL;
    f->flags = (uint32_t)in->flags;
    f->sock = in->sock;
    f->stream = in->stream;
    f->inherited = in;
    return f;
}

static void host_release(struct file *f)
{
    if (f->sock)
        sockbuf_close(f->hostfd);
    HC(close, .hostfd = f->hostfd);
}

/* A write to a host pipe with no reader, or to a socket whose connection
 * is closed: SIGPIPE, as Linux raises it (to a handler too). */
static long host_result(long r)
{
    if (r == -EPIPE)
        signal_send(current, SIGPIPE, 0 /* SI_USER */);
    return r;
}

/* read and write at the stream position. */
static long host_stream_rw(struct file *f, uint64_t buf, uint64_t len, int write)
{
    if (f->sock) {
        struct sb_iov one = {buf, len};
        if (sockbuf_user_iov(&one, 1, !write) == 1) {
            long r = write ? sockbuf_send(f, &one, 1, 0) : sockbuf_recv(f, &one, 1, 0);
            if (r != SOCKBUF_EMPTY)
                return r;
        }
    }
    if (f->sock && !(f->flags & O_NONBLOCK)) {
        long r = host_result(sock_rw(f, buf, len, write));
        if (write && r > 0)
            sockbuf_connected(f->hostfd);
        return r;
    }
    if (!write && f->stream && nthreads > 1 && !(f->flags & O_NONBLOCK)) {
        /* A console read while other threads exist waits in the scheduler,
         * so they run meanwhile (a read in the host would stop them). */
        long r = host_fd_ready(f->hostfd, 1 /* POLLIN */);
        if (r)
            return r;
    }
    if (f->sock && write) {
        long r = host_result(HC(write, .hostfd = f->hostfd, .buf = buf, .len = len));
        if (r > 0)
            sockbuf_connected(f->hostfd);
        return r;
    }
    long r = host_result(write ? HC(write, .hostfd = f->hostfd, .buf = buf, .len = len)
                               : HC(read, .hostfd = f->hostfd, .buf = buf, .len = len));
    /* The monitor stopped a console read for a signal or a timer:
     * restarted unless a handler says otherwise, as Linux does. */
    return r == -EINTR ? -ERESTARTSYS : r;
}

static long host_rw(struct file *f, uint64_t buf, uint64_t len, int write, int64_t *pos)
{
    if (!pos)
        return host_stream_rw(f, buf, len, write);
    long r =
        host_result(write ? HC(pwrite, .hostfd = f->hostfd, .buf = buf, .len = len, .offset = *pos)
                          : HC(pread, .hostfd = f->hostfd, .buf = buf, .len = len, .offset = *pos));
    if (r > 0)
        *pos += r;
    return r;
}

static long host_read(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return host_rw(f, buf, len, 0, pos);
}

static long host_write(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return host_rw(f, buf, len, 1, pos);
}

/* readv/writev: the host takes the whole vector in one exit. */
static long host_rwv(struct file *f, uint64_t uiov, uint64_t cnt, int write)
{
    if (f->sock) {
        const struct sb_iov *v = (const struct sb_iov *)uiov;
        int n = sockbuf_user_iov(v, cnt, !write);
        if (n >= 0) {
            long r = write ? sockbuf_send(f, v, n, 0) : sockbuf_recv(f, v, n, 0);
            if (r != SOCKBUF_EMPTY)
                return r;
        }
    }
    if (!write && f->stream && nthreads > 1 && !(f->flags & O_NONBLOCK)) {
        long r = host_fd_ready(f->hostfd, 1 /* POLLIN */);
        if (r)
            return r;
    }
    long r = host_result(write ? HC(writev, .hostfd = f->hostfd, .iov = uiov, .iovcnt = cnt)
                               : HC(readv, .hostfd = f->hostfd, .iov = uiov, .iovcnt = cnt));
    return r == -EINTR ? -ERESTARTSYS : r;
}

static long host_readv(struct file *f, uint64_t uiov, uint64_t cnt)
{
    return host_rwv(f, uiov, cnt, 0);
}

static long host_writev(struct file *f, uint64_t uiov, uint64_t cnt)
{
    return host_rwv(f, uiov, cnt, 1);
}

static long host_splice_read(struct file *f, void *buf, uint64_t len, const int64_t *pos)
{
    return pos ? HC(pread, .hostfd = f->hostfd, .buf = (uint64_t)buf, .len = len, .offset = *pos)
               : HC(read, .hostfd = f->hostfd, .buf = (uint64_t)buf, .len = len);
}

static long host_splice_write(struct file *f, const void *buf, uint64_t len)
{
    return host_result(HC(write, .hostfd = f->hostfd, .buf = (uint64_t)buf, .len = len));
}

static long host_sendfile(struct file *out, struct file *in, int64_t *offp, uint64_t count)
{
    if (in->ops == &host_ops && !in->stream && out->sock && (out->flags & O_NONBLOCK))
        /* Host file to a non-blocking socket: the host does it (queued
         * sends go first: any hypercall flushes them). */
        return host_result(HC(sendfile, .out_hostfd = out->hostfd, .in_hostfd = in->hostfd,
                              .offset = (uint64_t)offp, .count = count));
    return file_copy(in, out, offp, count);
}

/* Between two host files the host copies. */
static long host_copy_range(struct file *in, uint64_t a1, struct file *out, uint64_t a3,
                            uint64_t a4)
{
    return HC(copy_range, .in_hostfd = in->hostfd, .in_off = a1, .out_hostfd = out->hostfd,
              .out_off = a3, .len = a4);
}

static long host_ioctl(struct file *f, uint64_t a1, uint64_t a2)
{
    if (f->sock)
        return net_ioctl(f, a1, a2);
    if (a1 != TCGETS && a1 != TIOCGWINSZ)
        return -ENOTTY;
    /* A console that was not a terminal at boot never becomes one. */
    if (f->hostfd <= 2 && !boot->console_tty[f->hostfd])
        return -ENOTTY;
    return HC(ioctl, .hostfd = f->hostfd, .cmd = a1, .arg = a2);
}

static long host_seek(struct file *f, uint64_t a1, uint64_t a2)
{
    return HC(lseek, .hostfd = f->hostfd, .offset = (int64_t)a1, .whence = a2);
}

static long host_fstat(struct file *f, uint64_t ubuf)
{
    return HC(fstat, .hostfd = f->hostfd, .statbuf = ubuf);
}

static long host_statx(struct file *f, uint64_t flags, uint64_t mask, uint64_t ubuf)
{
    return HC(statx, .hostfd = f->hostfd, .path = 0, .at_flags = flags, .mask = mask,
              .statxbuf = ubuf);
}

static long host_statfs(struct file *f, uint64_t a1)
{
    return HC(statfs, .hostfd = f->hostfd, .path = 0, .statfsbuf = a1);
}

static long host_getdents(struct file *f, uint64_t a1, uint64_t a2)
{
    return HC(getdents, .hostfd = f->hostfd, .buf = a1, .size = a2);
}

static long host_map_read(struct file *f, void *buf, uint64_t len, uint64_t off)
{
    long r = file_map_read(f, buf, len, off);
    return r == -EISDIR ? -ENODEV : r; /* a directory cannot be mapped */
}

/* A shared mapping of a host regular file: the host fd maps it. */
static long host_map_shared(struct file *f, uint64_t *size, struct mfs_node **node)
{
    (void)node;
    struct kstat st;
    long r = HC(fstat, .hostfd = f->hostfd, .statbuf = (uint64_t)&st);
    if (r)
        return r;
    if ((st.mode & S_IFMT) != S_IFREG)
        return -ENODEV;
    *size = (uint64_t)st.size;
    return f->hostfd;
}

static long host_get_flags(struct file *f)
{
    return HC(fcntl, .hostfd = f->hostfd, .cmd = F_GETFL);
}

static long host_set_flags(struct file *f, uint64_t a2)
{
    return HC(fcntl, .hostfd = f->hostfd, .cmd = F_SETFL, .arg = a2);
}

/* Record locks and flock: the host's. */
static long host_lock(struct file *f, uint64_t cmd, uint64_t arg)
{
    return HC(fdop, .op = HX_FD_LOCK, .hostfd = f->hostfd, .arg = cmd, .arg2 = arg);
}

static long host_flock(struct file *f, uint64_t a1)
{
    return HC(fdop, .op = HX_FD_FLOCK, .hostfd = f->hostfd, .arg = a1);
}

static long host_sync(struct file *f, int datasync)
{
    return HC(fsync, .hostfd = f->hostfd, .datasync = datasync);
}

static long host_setattr(struct file *f, enum attr what, uint64_t x, uint64_t y)
{
    switch (what) {
    case A_CHMOD:
        return HC(fdop, .op = HX_FD_CHMOD, .hostfd = f->hostfd, .arg = x);
    case A_CHOWN:
        return HC(fdop, .op = HX_FD_CHOWN, .hostfd = f->hostfd, .arg = x, .arg2 = y);
    case A_UTIMENS:
        return HC(fdop, .op = HX_FD_UTIMENS, .hostfd = f->hostfd, .arg = x);
    case A_TRUNCATE:
        if ((f->flags & O_ACCMODE) == O_RDONLY)
            return -EINVAL;
        return HC(ftruncate, .hostfd = f->hostfd, .length = (int64_t)x);
    }
    return -EINVAL;
}

static long host_fallocate(struct file *f, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return HC(fdop, .op = HX_FD_FALLOCATE, .hostfd = f->hostfd, .arg = a1, .arg2 = a2, .arg3 = a3);
}

/* linkat of an open host file: to a host name only. */
static long host_link(struct file *f, struct loc *lb)
{
    return lb->mnt == M_HOST
               ? HC(fdop, .op = HX_FD_LINK, .hostfd = f->hostfd, .arg = (uint64_t)lb->path)
               : -EXDEV;
}

static void host_describe(const struct file *f, char *out, size_t size)
{
    if (f->sock)
        net_describe(f, out, size);
    else if (f->inherited)
        ksnprintf(out, size, "%s", f->inherited->path);
    else if (f->hostfd <= 2 && !f->path[0])
        ksnprintf(out, size, "%s", boot->console_path[f->hostfd]);
    else
        ksnprintf(out, size, "%s", f->path);
}

static const struct file_ops host_ops = {
    .read = host_read,
    .write = host_write,
    .readv = host_readv,
    .writev = host_writev,
    .splice_read = host_splice_read,
    .splice_write = host_splice_write,
    .sendfile = host_sendfile,
    .copy_range = host_copy_range,
    .ioctl = host_ioctl,
    .seek = host_seek,
    .fstat = host_fstat,
    .statx = host_statx,
    .statfs = host_statfs,
    .getdents = host_getdents,
    .map_read = host_map_read,
    .map_shared = host_map_shared,
    .get_flags = host_get_flags,
    .set_flags = host_set_flags,
    .lock = host_lock,
    .flock = host_flock,
    .sync = host_sync,
    .setattr = host_setattr,
    .fallocate = host_fallocate,
    .link = host_link,
    .release = host_release,
    .describe = host_describe,
    .mnt = M_HOST,
    .dirfd = 1,
};
