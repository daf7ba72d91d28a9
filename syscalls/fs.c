/* Files: the fd table, the console (host fds 0-2), host files (hostfs, via
 * hypercalls), in-guest pipes and a few devices. */
#include "syscalls.h"

#define NFILES 1024
#define NFDS 1024
#define PIPE_SIZE 65536
#define NPIPES 16

enum kind { K_FREE, K_HOST, K_PIPE_R, K_PIPE_W, K_NULL, K_ZERO, K_RANDOM };

struct pipe {
    uint8_t buf[PIPE_SIZE];
    uint32_t head, len; /* ring buffer */
    int readers, writers;
};

struct file {
    enum kind kind;
    int refs;
    int hostfd;     /* K_HOST */
    uint32_t flags; /* open flags: access mode, O_APPEND, O_NONBLOCK */
    struct pipe *pipe;
    char path[256]; /* absolute guest path, "" if unknown or too long */
};

static struct file files[NFILES];
static struct pipe pipes[NPIPES];
static struct {
    struct file *f;
    int cloexec;
} fds[NFDS];
static char cwd[PATH_MAX];
static uint32_t umask_bits;

static struct file *file_new(enum kind kind)
{
    for (int i = 0; i < NFILES; i++)
        if (files[i].kind == K_FREE) {
            memset(&files[i], 0, sizeof(files[i]));
            files[i].kind = kind;
            files[i].refs = 1;
            return &files[i];
        }
    return NULL;
}

static void file_put(struct file *f)
{
    if (--f->refs)
        return;
    if (f->kind == K_HOST)
        hcall1(HX_HC_CLOSE, f->hostfd);
    else if (f->kind == K_PIPE_R)
        f->pipe->readers--;
    else if (f->kind == K_PIPE_W)
        f->pipe->writers--;
    f->kind = K_FREE;
}

static int fd_install(struct file *f, int lowest, int cloexec)
{
    for (int fd = lowest; fd < NFDS && fd < (int)boot->rlimits[7].cur; fd++)
        if (!fds[fd].f) {
            fds[fd].f = f;
            fds[fd].cloexec = cloexec;
            return fd;
        }
    return -EMFILE;
}

static struct file *fd_get(uint64_t fd)
{
    return fd < NFDS ? fds[fd].f : NULL;
}

void fs_init(void)
{
    for (int i = 0; i < 3; i++) {
        if (boot->console_flags[i] < 0)
            continue;
        struct file *f = file_new(K_HOST);
        f->hostfd = i;
        f->flags = (uint32_t)boot->console_flags[i];
        fds[i].f = f;
    }
    memcpy(cwd, boot->cwd, sizeof(cwd));
    umask_bits = (uint32_t)boot->umask;
}

/* ---- Paths ----------------------------------------------------------- */
/* Appends the components of p to out (absolute, normalised), resolving
 * "." and ".." lexically. */
static long path_join(char *out, const char *p)
{
    size_t n = strlen(out);
    while (*p) {
        while (*p == '/')
            p++;
        const char *c = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - c);
        if (!len || (len == 1 && c[0] == '.'))
            continue;
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            while (n > 1 && out[n - 1] != '/')
                n--;
            if (n > 1)
                n--;
            out[n] = 0;
            continue;
        }
        if (n + 1 + len + 1 > PATH_MAX)
            return -ENAMETOOLONG;
        if (n > 1)
            out[n++] = '/';
        memcpy(out + n, c, len);
        n += len;
        out[n] = 0;
    }
    return 0;
}

long path_resolve(int dirfd, const char *upath, char *out)
{
    long len = user_strlen(upath, PATH_MAX);
    if (len < 0)
        return len;
    if (len == 0)
        return -ENOENT;
    if (upath[0] == '/') {
        strcpy(out, "/");
    } else if (dirfd == AT_FDCWD) {
        strcpy(out, cwd);
    } else {
        struct file *d = fd_get((uint64_t)dirfd);
        if (!d)
            return -EBADF;
        if (d->kind != K_HOST || !d->path[0])
            return -ENOTDIR;
        strcpy(out, d->path);
    }
    return path_join(out, upath);
}

static int path_is(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(path, prefix, n) && (path[n] == 0 || path[n] == '/');
}

/* /proc, /sys and /dev belong to the guest, not the host: only what this
 * kernel implements is visible. */
static long special_path(const char *path, enum kind *kind)
{
    static const struct {
        const char *path;
        enum kind kind;
    } devs[] = {{"/dev/null", K_NULL},
                {"/dev/zero", K_ZERO},
                {"/dev/random", K_RANDOM},
                {"/dev/urandom", K_RANDOM}};
    for (size_t i = 0; i < ARRAY_SIZE(devs); i++)
        if (!strcmp(path, devs[i].path)) {
            *kind = devs[i].kind;
            return 1;
        }
    if (path_is(path, "/proc") || path_is(path, "/sys") || path_is(path, "/dev")) {
        static int warned;
        if (!warned++)
            kwarn("%s: /proc, /sys and most of /dev are not available yet", path);
        return -ENOENT;
    }
    return 0;
}

/* Resolves a path that must name a host file: a guest device answers
 * device_err instead, a hidden guest tree its own error. */
static long host_path(int dirfd, uint64_t upath, char *out, long device_err)
{
    long r = path_resolve(dirfd, (const char *)upath, out);
    if (r)
        return r;
    enum kind kind;
    long special = special_path(out, &kind);
    if (special)
        return special < 0 ? special : device_err;
    return 0;
}

/* ---- open / close / dup ---------------------------------------------- */
static long do_open(int dirfd, uint64_t upath, uint64_t flags, uint64_t mode)
{
    static char path[PATH_MAX];
    long r = path_resolve(dirfd, (const char *)upath, path);
    if (r)
        return r;
    if (!strcmp(path, "/proc/self/exe"))
        strcpy(path, boot->exe);
    if (!strncmp(path, "/dev/std", 8) || !strncmp(path, "/dev/fd/", 8)) {
        long fd = !strcmp(path, "/dev/stdin")                                      ? 0
                  : !strcmp(path, "/dev/stdout")                                   ? 1
                  : !strcmp(path, "/dev/stderr")                                   ? 2
                  : path[5] == 'f' && path[8] >= '0' && path[8] <= '9' && !path[9] ? path[8] - '0'
                                                                                   : -1;
        struct file *o = fd >= 0 ? fd_get((uint64_t)fd) : NULL;
        if (!o)
            return -ENOENT;
        o->refs++;
        r = fd_install(o, 0, (flags & O_CLOEXEC) != 0);
        if (r < 0)
            file_put(o);
        return r;
    }
    enum kind kind = K_HOST;
    long special = special_path(path, &kind);
    if (special < 0)
        return special;
    struct file *f = file_new(kind);
    if (!f)
        return -ENFILE;
    f->flags = (uint32_t)flags & (O_ACCMODE | O_APPEND | O_NONBLOCK);
    if (kind == K_HOST) {
        long hfd = hcall3(HX_HC_OPEN, path, flags, mode & ~umask_bits);
        if (hfd < 0) {
            f->kind = K_FREE;
            return hfd;
        }
        f->hostfd = (int)hfd;
        if (strlen(path) < sizeof(f->path))
            strcpy(f->path, path);
    }
    r = fd_install(f, 0, (flags & O_CLOEXEC) != 0);
    if (r < 0)
        file_put(f);
    return r;
}

SYSCALL(open)
{
    return do_open(AT_FDCWD, a0, a1, a2);
}
SYSCALL(openat)
{
    return do_open((int)a0, a1, a2, a3);
}

SYSCALL(close)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    fds[a0].f = NULL;
    file_put(f);
    return 0;
}

static long dup_to(uint64_t old, uint64_t nw, int cloexec)
{
    struct file *f = fd_get(old);
    if (!f)
        return -EBADF;
    if (nw >= NFDS || nw >= boot->rlimits[7].cur)
        return -EBADF;
    if (old == nw)
        return (long)nw;
    f->refs++;
    if (fds[nw].f)
        file_put(fds[nw].f);
    fds[nw].f = f;
    fds[nw].cloexec = cloexec;
    return (long)nw;
}

SYSCALL(dup)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    f->refs++;
    long r = fd_install(f, 0, 0);
    if (r < 0)
        file_put(f);
    return r;
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

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

SYSCALL(fcntl)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    switch (a1) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        if (a2 >= NFDS || a2 >= boot->rlimits[7].cur)
            return -EINVAL;
        f->refs++;
        long r = fd_install(f, (int)a2, a1 == F_DUPFD_CLOEXEC);
        if (r < 0)
            file_put(f);
        return r;
    }
    case F_GETFD:
        return fds[a0].cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
        fds[a0].cloexec = (a2 & FD_CLOEXEC) != 0;
        return 0;
    case F_GETFL:
        if (f->kind == K_HOST)
            return hcall2(HX_HC_FCNTL, f->hostfd, F_GETFL);
        return f->flags;
    case F_SETFL:
        if (f->kind == K_HOST) {
            long r = hcall3(HX_HC_FCNTL, f->hostfd, F_SETFL, a2);
            if (r < 0)
                return r;
        }
        f->flags = (f->flags & ~(uint32_t)(O_APPEND | O_NONBLOCK)) |
                   ((uint32_t)a2 & (O_APPEND | O_NONBLOCK));
        return 0;
    }
    static uint8_t warned[64];
    if (a1 < 64 && !warned[a1]++)
        kwarn("fcntl command %lu is not supported yet", a1);
    return -EINVAL;
}

/* ---- Pipes ----------------------------------------------------------- */
SYSCALL(pipe2)
{
    if (a1 & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | 040000 /* O_DIRECT */))
        return -EINVAL;
    int *ufds = (int *)a0;
    if (!user_ok(ufds, 8, 1))
        return -EFAULT;
    struct pipe *p = NULL;
    for (int i = 0; i < NPIPES; i++)
        if (!pipes[i].readers && !pipes[i].writers) {
            p = &pipes[i];
            break;
        }
    if (!p)
        return -ENFILE;
    struct file *r = file_new(K_PIPE_R), *w = r ? file_new(K_PIPE_W) : NULL;
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
    long wfd = rfd < 0 ? rfd : fd_install(w, 0, cloexec);
    if (wfd < 0) {
        if (rfd >= 0)
            fds[rfd].f = NULL;
        file_put(r);
        file_put(w);
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

/* With one thread, a pipe that must wait can only wait forever, as the
 * same program would on Linux; block in the host until killed. */
__attribute__((noreturn)) static void block_forever(void)
{
    for (;;)
        hcall3(HX_HC_POLL, 0, 0, -1);
}

static long pipe_read(struct file *f, uint8_t *buf, uint64_t len)
{
    struct pipe *p = f->pipe;
    if (!p->len) {
        if (!p->writers || !len)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        block_forever();
    }
    uint64_t n = MIN(len, p->len);
    for (uint64_t i = 0; i < n; i++)
        buf[i] = p->buf[(p->head + i) % PIPE_SIZE];
    p->head = (uint32_t)((p->head + n) % PIPE_SIZE);
    p->len -= (uint32_t)n;
    return (long)n;
}

static long pipe_write(struct file *f, const uint8_t *buf, uint64_t len)
{
    struct pipe *p = f->pipe;
    if (!p->readers) {
        if (signal_disposition(SIGPIPE) == 0)
            kill_self(SIGPIPE);
        return -EPIPE;
    }
    uint64_t room = PIPE_SIZE - p->len;
    if (!room && len) {
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        block_forever();
    }
    uint64_t n = MIN(len, room);
    for (uint64_t i = 0; i < n; i++)
        p->buf[(p->head + p->len + i) % PIPE_SIZE] = buf[i];
    p->len += (uint32_t)n;
    return (long)n;
}

/* ---- read / write ----------------------------------------------------- */
/* A write to a host pipe with no reader: SIGPIPE, as Linux raises it. */
static long host_result(long r)
{
    if (r == -EPIPE && signal_disposition(SIGPIPE) == 0)
        kill_self(SIGPIPE);
    return r;
}

static long file_rw(struct file *f, uint64_t buf, uint64_t len, int write)
{
    uint32_t acc = f->flags & O_ACCMODE;
    if (f->kind == K_HOST)
        return host_result(hcall3(write ? HX_HC_WRITE : HX_HC_READ, f->hostfd, buf, len));
    if ((write && acc == O_RDONLY) || (!write && acc == O_WRONLY))
        return -EBADF;
    if (!user_ok((void *)buf, len, !write))
        return -EFAULT;
    switch (f->kind) {
    case K_PIPE_R:
    case K_PIPE_W:
        return write ? pipe_write(f, (const uint8_t *)buf, len) : pipe_read(f, (uint8_t *)buf, len);
    case K_NULL:
        return write ? (long)len : 0;
    case K_ZERO:
        if (!write)
            memset((void *)buf, 0, len);
        return (long)len;
    case K_RANDOM:
        if (!write)
            random_fill((void *)buf, len);
        return (long)len;
    default:
        return -EBADF;
    }
}

SYSCALL(read)
{
    struct file *f = fd_get(a0);
    return f ? file_rw(f, a1, a2, 0) : -EBADF;
}

SYSCALL(write)
{
    struct file *f = fd_get(a0);
    return f ? file_rw(f, a1, a2, 1) : -EBADF;
}

struct iovec64 {
    uint64_t base, len;
};

static long file_rwv(uint64_t fd, uint64_t uiov, uint64_t cnt, int write)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (cnt > 1024)
        return -EINVAL;
    if (f->kind == K_HOST)
        return host_result(hcall3(write ? HX_HC_WRITEV : HX_HC_READV, f->hostfd, uiov, cnt));
    const struct iovec64 *iov = (const struct iovec64 *)uiov;
    if (!user_ok(iov, cnt * sizeof(*iov), 0))
        return -EFAULT;
    long done = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if (!iov[i].len)
            continue;
        long r = file_rw(f, iov[i].base, iov[i].len, write);
        if (r < 0)
            return done ? done : r;
        done += r;
        if ((uint64_t)r < iov[i].len)
            break;
    }
    return done;
}

SYSCALL(readv)
{
    return file_rwv(a0, a1, a2, 0);
}
SYSCALL(writev)
{
    return file_rwv(a0, a1, a2, 1);
}

static long host_positioned(uint64_t fd, uint64_t buf, uint64_t len, int64_t off, int write)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (off < 0)
        return -EINVAL;
    if (f->kind != K_HOST)
        return f->kind == K_PIPE_R || f->kind == K_PIPE_W ? -ESPIPE : file_rw(f, buf, len, write);
    return host_result(hcall4(write ? HX_HC_PWRITE : HX_HC_PREAD, f->hostfd, buf, len, off));
}

SYSCALL(pread64)
{
    return host_positioned(a0, a1, a2, (int64_t)a3, 0);
}
SYSCALL(pwrite64)
{
    return host_positioned(a0, a1, a2, (int64_t)a3, 1);
}

long fs_read_at(int fd, void *buf, uint64_t len, uint64_t off)
{
    struct file *f = fd_get((uint64_t)fd);
    if (!f)
        return -EBADF;
    if (f->kind != K_HOST)
        return f->kind == K_ZERO ? 0 : -ENODEV;
    if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EACCES;
    /* Past the end of the file, a mapping reads as zeroes. */
    for (uint64_t done = 0; done < len;) {
        long r = hcall4(HX_HC_PREAD, f->hostfd, (uint64_t)buf + done, len - done, off + done);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        done += (uint64_t)r;
    }
    return 0;
}

SYSCALL(lseek)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->kind == K_HOST)
        return hcall3(HX_HC_LSEEK, f->hostfd, a1, a2);
    if (f->kind == K_PIPE_R || f->kind == K_PIPE_W)
        return -ESPIPE;
    return a2 <= 2 ? 0 : -EINVAL; /* devices: always at 0 */
}

SYSCALL(ftruncate)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if ((int64_t)a1 < 0)
        return -EINVAL;
    if (f->kind != K_HOST || (f->flags & O_ACCMODE) == O_RDONLY)
        return -EINVAL;
    return hcall2(HX_HC_FTRUNCATE, f->hostfd, a1);
}

/* ---- stat ------------------------------------------------------------- */
struct kstat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, _pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    int64_t _unused[3];
};

#define S_IFIFO 0010000
#define S_IFCHR 0020000

/* Status of a guest object (pipe or device), as Linux reports it. */
static void guest_stat(const struct file *f, struct kstat *st)
{
    memset(st, 0, sizeof(*st));
    st->nlink = 1;
    st->uid = boot->uid;
    st->gid = boot->gid;
    st->blksize = 4096;
    if (f->kind == K_PIPE_R || f->kind == K_PIPE_W) {
        st->mode = S_IFIFO | 0600;
        st->dev = 14; /* pipefs */
        st->ino = (uint64_t)(f->pipe - pipes) + 1;
    } else {
        static const uint8_t minor[] = {[K_NULL] = 3, [K_ZERO] = 5, [K_RANDOM] = 9};
        st->mode = S_IFCHR | 0666;
        st->dev = 5;
        st->rdev = (1u << 8) | minor[f->kind];
    }
}

static long fstat_file(struct file *f, uint64_t ubuf)
{
    if (f->kind == K_HOST)
        return hcall2(HX_HC_FSTAT, f->hostfd, ubuf);
    if (!user_ok((void *)ubuf, sizeof(struct kstat), 1))
        return -EFAULT;
    guest_stat(f, (struct kstat *)ubuf);
    return 0;
}

SYSCALL(fstat)
{
    struct file *f = fd_get(a0);
    return f ? fstat_file(f, a1) : -EBADF;
}

static long stat_path(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t flags)
{
    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* NO_AUTOMOUNT */))
        return -EINVAL;
    if ((flags & AT_EMPTY_PATH) && user_strlen((const char *)upath, 1) == 0) {
        if (dirfd == AT_FDCWD)
            return stat_path(AT_FDCWD, (uint64_t) ".", ubuf, 0);
        struct file *f = fd_get((uint64_t)dirfd);
        return f ? fstat_file(f, ubuf) : -EBADF;
    }
    static char path[PATH_MAX];
    long r = path_resolve(dirfd, (const char *)upath, path);
    if (r)
        return r;
    if (!strcmp(path, "/proc/self/exe"))
        strcpy(path, boot->exe);
    enum kind kind;
    long special = special_path(path, &kind);
    if (special < 0)
        return special;
    if (special) {
        struct file tmp = {.kind = kind};
        return fstat_file(&tmp, ubuf);
    }
    return hcall3(HX_HC_STAT, path, ubuf, flags & AT_SYMLINK_NOFOLLOW);
}

SYSCALL(stat)
{
    return stat_path(AT_FDCWD, a0, a1, 0);
}
SYSCALL(lstat)
{
    return stat_path(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW);
}
SYSCALL(newfstatat)
{
    return stat_path((int)a0, a1, a2, a3);
}

struct kstatx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, _pad0;
    uint64_t ino, size, blocks, attributes_mask;
    struct {
        int64_t sec;
        uint32_t nsec, _pad;
    } atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t _spare[14];
};

SYSCALL(statx)
{
    int dirfd = (int)a0;
    uint64_t upath = a1, flags = a2, mask = a3, ubuf = a4;
    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 | 0x6000))
        return -EINVAL;
    if (mask & 0x80000000u) /* STATX__RESERVED */
        return -EINVAL;
    if (!user_ok((void *)ubuf, sizeof(struct kstatx), 1))
        return -EFAULT;
    struct file *f = NULL;
    static char path[PATH_MAX];
    if ((flags & AT_EMPTY_PATH) && upath && user_strlen((const char *)upath, 1) == 0) {
        if (dirfd != AT_FDCWD && !(f = fd_get((uint64_t)dirfd)))
            return -EBADF;
        if (f && f->kind == K_HOST)
            return hcall5(HX_HC_STATX, f->hostfd, 0, flags, mask, ubuf);
        if (!f)
            strcpy(path, cwd);
    } else {
        long r = path_resolve(dirfd, (const char *)upath, path);
        if (r)
            return r;
        if (!strcmp(path, "/proc/self/exe"))
            strcpy(path, boot->exe);
        enum kind kind;
        long special = special_path(path, &kind);
        if (special < 0)
            return special;
        if (!special)
            return hcall5(HX_HC_STATX, -1, path, flags, mask, ubuf);
        static struct file tmp;
        tmp.kind = kind;
        f = &tmp;
    }
    if (!f)
        return hcall5(HX_HC_STATX, -1, path, flags, mask, ubuf);
    struct kstat st;
    guest_stat(f, &st);
    struct kstatx *sx = (struct kstatx *)ubuf;
    memset(sx, 0, sizeof(*sx));
    sx->mask = 0x7ff; /* STATX_BASIC_STATS */
    sx->blksize = (uint32_t)st.blksize;
    sx->nlink = (uint32_t)st.nlink;
    sx->uid = st.uid;
    sx->gid = st.gid;
    sx->mode = (uint16_t)st.mode;
    sx->ino = st.ino;
    sx->rdev_major = (uint32_t)(st.rdev >> 8);
    sx->rdev_minor = (uint32_t)(st.rdev & 0xff);
    sx->dev_minor = (uint32_t)st.dev;
    return 0;
}

/* ---- Names ------------------------------------------------------------ */
static long access_path(int dirfd, uint64_t upath, uint64_t mode, uint64_t flags)
{
    if (mode & ~7ull)
        return -EINVAL;
    static char path[PATH_MAX];
    long r = host_path(dirfd, upath, path, 1);
    if (r)
        return r == 1 ? 0 : r; /* devices exist and are open to all */
    return hcall3(HX_HC_ACCESS, path, mode, flags & (AT_SYMLINK_NOFOLLOW | AT_EACCESS));
}

SYSCALL(access)
{
    return access_path(AT_FDCWD, a0, a1, 0);
}
SYSCALL(faccessat)
{
    return access_path((int)a0, a1, a2, 0);
}
SYSCALL(faccessat2)
{
    return access_path((int)a0, a1, a2, a3);
}

static long readlink_path(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t size)
{
    if ((int64_t)size <= 0)
        return -EINVAL;
    static char path[PATH_MAX];
    long r = path_resolve(dirfd, (const char *)upath, path);
    if (r)
        return r;
    if (!strcmp(path, "/proc/self/exe")) {
        uint64_t n = MIN(strlen(boot->exe), size);
        if (!user_ok((void *)ubuf, n, 1))
            return -EFAULT;
        memcpy((void *)ubuf, boot->exe, n);
        return (long)n;
    }
    enum kind kind;
    long special = special_path(path, &kind);
    if (special)
        return special < 0 ? special : -EINVAL; /* devices are not links */
    return hcall3(HX_HC_READLINK, path, ubuf, size);
}

SYSCALL(readlink)
{
    return readlink_path(AT_FDCWD, a0, a1, a2);
}
SYSCALL(readlinkat)
{
    return readlink_path((int)a0, a1, a2, a3);
}

static long unlink_path(int dirfd, uint64_t upath, uint64_t flags)
{
    if (flags & ~(uint64_t)AT_REMOVEDIR)
        return -EINVAL;
    static char path[PATH_MAX];
    long r = host_path(dirfd, upath, path, -EACCES);
    return r ? r : hcall2(HX_HC_UNLINK, path, flags);
}

SYSCALL(unlink)
{
    return unlink_path(AT_FDCWD, a0, 0);
}
SYSCALL(unlinkat)
{
    return unlink_path((int)a0, a1, a2);
}

SYSCALL(getcwd)
{
    uint64_t n = strlen(cwd) + 1;
    if (a1 < n)
        return -ERANGE;
    if (!user_ok((void *)a0, n, 1))
        return -EFAULT;
    memcpy((void *)a0, cwd, n);
    return (long)n;
}

SYSCALL(umask)
{
    uint32_t old = umask_bits;
    umask_bits = (uint32_t)a0 & 0777;
    return old;
}

/* ---- ioctl and poll --------------------------------------------------- */
#define TCGETS 0x5401
#define TIOCGWINSZ 0x5413
#define FIONREAD 0x541b
#define FIONBIO 0x5421

SYSCALL(ioctl)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (a1 == FIONBIO) {
        if (!user_ok((void *)a2, 4, 0))
            return -EFAULT;
        uint32_t fl = f->flags & ~(uint32_t)O_NONBLOCK;
        if (*(int *)a2)
            fl |= O_NONBLOCK;
        return sys_fcntl(a0, F_SETFL, fl & (O_APPEND | O_NONBLOCK), 0, 0, 0);
    }
    if (f->kind == K_HOST && (a1 == TCGETS || a1 == TIOCGWINSZ)) {
        /* A console that was not a terminal at boot never becomes one. */
        if (f->hostfd <= 2 && !boot->console_tty[f->hostfd])
            return -ENOTTY;
        return hcall3(HX_HC_IOCTL, f->hostfd, a1, a2);
    }
    if (a1 == FIONREAD && f->kind == K_PIPE_R) {
        if (!user_ok((void *)a2, 4, 1))
            return -EFAULT;
        *(int *)a2 = (int)f->pipe->len;
        return 0;
    }
    return -ENOTTY;
}

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

static int16_t guest_revents(const struct file *f, int16_t events)
{
    int16_t r = 0;
    if (f->kind == K_PIPE_R) {
        if (f->pipe->len)
            r |= POLLIN;
        if (!f->pipe->writers)
            r |= POLLHUP;
    } else if (f->kind == K_PIPE_W) {
        if (!f->pipe->readers)
            r |= POLLERR;
        else if (f->pipe->len < PIPE_SIZE)
            r |= POLLOUT;
    } else {
        r |= POLLIN | POLLOUT;
    }
    return r & (events | POLLERR | POLLHUP);
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
    if (nfds > FD_SETSIZE)
        return -EINVAL;
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

/* ---- More names ------------------------------------------------------- */
static long sync_file(uint64_t fd, int datasync)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    return f->kind == K_HOST ? hcall2(HX_HC_FSYNC, f->hostfd, datasync) : -EINVAL;
}

SYSCALL(fsync)
{
    return sync_file(a0, 0);
}
SYSCALL(fdatasync)
{
    return sync_file(a0, 1);
}

static long rename_paths(int olddir, uint64_t oldp, int newdir, uint64_t newp, uint64_t flags)
{
    static char from[PATH_MAX], to[PATH_MAX];
    if (flags & ~7ull) /* RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT */
        return -EINVAL;
    long r = host_path(olddir, oldp, from, -EXDEV);
    if (!r)
        r = host_path(newdir, newp, to, -EXDEV);
    if (r)
        return r;
    return hcall3(HX_HC_RENAME, from, to, flags);
}

SYSCALL(rename)
{
    return rename_paths(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}
SYSCALL(renameat)
{
    return rename_paths((int)a0, a1, (int)a2, a3, 0);
}
SYSCALL(renameat2)
{
    return rename_paths((int)a0, a1, (int)a2, a3, a4);
}

#define S_IFMT 0170000
#define S_IFDIR 0040000

static long change_dir(const char *path)
{
    struct kstat st;
    long r = hcall3(HX_HC_STAT, path, &st, 0);
    if (r)
        return r;
    if ((st.mode & S_IFMT) != S_IFDIR)
        return -ENOTDIR;
    strcpy(cwd, path);
    return 0;
}

SYSCALL(chdir)
{
    static char path[PATH_MAX];
    long r = host_path(AT_FDCWD, a0, path, -ENOTDIR);
    return r ? r : change_dir(path);
}

SYSCALL(fchdir)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->kind != K_HOST || !f->path[0])
        return -ENOTDIR;
    return change_dir(f->path);
}

SYSCALL(getdents64)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->kind != K_HOST)
        return -ENOTDIR;
    return hcall3(HX_HC_GETDENTS, f->hostfd, a1, a2);
}

/* ---- File systems and copies ------------------------------------------ */
SYSCALL(statfs)
{
    static char path[PATH_MAX];
    long r = host_path(AT_FDCWD, a0, path, -ENOSYS);
    if (r == -ENOSYS)
        kwarn("statfs of a guest device is not supported yet");
    return r ? r : hcall3(HX_HC_STATFS, -1, path, a1);
}

SYSCALL(fstatfs)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->kind != K_HOST) {
        kwarn("fstatfs of a guest pipe or device is not supported yet");
        return -ENOSYS;
    }
    return hcall3(HX_HC_STATFS, f->hostfd, 0, a1);
}

/* Advice only: Linux accepts it on every regular file and pipes refuse it. */
SYSCALL(fadvise64)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->kind == K_PIPE_R || f->kind == K_PIPE_W)
        return -ESPIPE;
    if (a3 > 5 || (int64_t)a2 < 0)
        return -EINVAL;
    return 0;
}

/* Between two host files the host copies; anything else is refused as
 * Linux refuses pipes and devices (EINVAL), and callers fall back to
 * read and write. */
SYSCALL(copy_file_range)
{
    struct file *in = fd_get(a0), *out = fd_get(a2);
    if (!in || !out)
        return -EBADF;
    if (a5)
        return -EINVAL;
    if (in->kind != K_HOST || out->kind != K_HOST)
        return -EINVAL;
    return hcall5(HX_HC_COPY_RANGE, in->hostfd, a1, out->hostfd, a3, a4);
}
