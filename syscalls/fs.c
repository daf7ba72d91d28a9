/* File system calls: open, I/O, status, directories. They know no kind of
 * file: each call goes through the file's ops (vfs.h), whose tables live
 * with the kinds (file_host.c, file_tmp.c, file_dev.c, file_gen.c, pipe.c
 * and the event objects). Name and attribute changes are in fsnames.c. */
#include "heap.h"
#include "tmpfs.h"
#include "vfs.h"
#include "uapi/fs.h"
#include "uapi/ioctls.h"
#include "uapi/openat2.h"

/* ---- Files named by descriptor ---------------------------------------- */
/* /dev/stdin, /dev/fd/N, /proc/self/fd/N (and /proc/PID/fd/N) name an
 * open descriptor: the number, or -1 for other paths. */
int fd_path(const char *p)
{
    static const char *const std[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(p, std[i]))
            return i;
    const char *d = NULL;
    if (!strncmp(p, "/dev/fd/", 8))
        d = p + 8;
    else if (!strncmp(p, "/proc/self/fd/", 14))
        d = p + 14;
    else if (!strncmp(p, "/proc/", 6)) {
        char pre[32];
        int n = ksnprintf(pre, sizeof(pre), "/proc/%d/fd/", boot->pid);
        if (!strncmp(p, pre, (size_t)n))
            d = p + n;
    }
    if (!d || !*d)
        return -1;
    int fd = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || fd > 1000000)
            return -1;
        fd = fd * 10 + (*d - '0');
    }
    return fd;
}

/* ---- open ------------------------------------------------------------- */
static void set_path(struct file *f, const char *path)
{
    if (strlen(path) < sizeof(f->path))
        strcpy(f->path, path);
}

/* resolve: openat2's RESOLVE_* flags (0 for open, openat, creat). */
static long do_open(int dirfd, const char *upath, int from_user, uint64_t flags, uint64_t mode,
                    uint64_t resolve)
{
    static struct loc l; /* scratch (vfs.h): nothing here waits */
    long r = path_resolve(dirfd, upath, from_user, l.path);
    if (r)
        return r;
    int fd = fd_path(l.path);
    if (fd >= 0 && (resolve & (RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)))
        return -ELOOP; /* /proc/self/fd/N is a magic link */
    if (fd < 0 && !strcmp(l.path, "/dev/tty")) {
        /* The controlling terminal: the console's, when it is one. */
        for (int c = 0; c < 3 && fd < 0; c++) {
            struct file *o = fd_get((uint64_t)c);
            if (o && o->hostfd == c && boot->console_tty[c])
                fd = c;
        }
        if (fd < 0)
            return -ENXIO;
    }
    if (fd >= 0) {
        struct file *o = fd_get((uint64_t)fd);
        if (!o)
            return -ENOENT;
        if (o->ops->reopen) {
            /* A file reopened: a new open file with its own offset. */
            struct file *f;
            if ((r = o->ops->reopen(o, &f)))
                return r;
            f->flags = (uint32_t)flags & (O_ACCMODE | O_APPEND | O_NONBLOCK);
            memcpy(f->path, o->path, sizeof(f->path));
            return fd_install(f, 0, (flags & O_CLOEXEC) != 0);
        }
        if (o->hostfd > 2 && o->path[0]) {
            /* The same, through its path on the host. */
            upath = o->path;
            dirfd = AT_FDCWD;
            from_user = 0;
            goto by_path;
        }
        /* Pipes, devices and the console: the same open file. */
        o->refs++;
        return fd_install(o, 0, (flags & O_CLOEXEC) != 0);
    }
by_path:;
    /* O_EXCL with O_CREAT never follows a final symlink: it exists. */
    int follow = !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL);
    r = lookup(dirfd, upath, from_user, follow, &l);
    struct file *f = NULL;
    while (!r) {
        switch (l.mnt) {
        case M_HOST: {
            long hfd = HC(open, .path = (uint64_t)l.path, .flags = flags,
                          .mode = mode & ~umask_bits, .resolve = resolve, .beneath = 0);
            if (hfd == -HX_EREDIRECT) {
                r = lookup_again(&l, follow);
                continue;
            }
            if (hfd < 0) {
                r = hfd;
                break;
            }
            if (!(f = host_file_new((int)hfd))) {
                HC(close, .hostfd = (uint64_t)hfd);
                r = -ENFILE;
                break;
            }
            break;
        }
        case M_TMP:
            r = tmp_file_open(&l, flags, mode, &f);
            break;
        default:
            r = gen_file_open(&l, flags, &f);
        }
        break;
    }
    if (!r) {
        f->flags = (uint32_t)flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH);
        set_path(f, l.path);
        r = fd_install(f, 0, (flags & O_CLOEXEC) != 0);
    }
    loc_done(&l);
    return r;
}

long file_open(int dirfd, const char *path, uint64_t flags)
{
    return do_open(dirfd, path, 0, flags, 0, 0);
}

SYSCALL(open)
{
    return do_open(AT_FDCWD, (const char *)a0, 1, a1, a2, 0);
}

SYSCALL(openat)
{
    return do_open((int)a0, (const char *)a1, 1, a2, a3, 0);
}

SYSCALL(creat)
{
    return do_open(AT_FDCWD, (const char *)a0, 1, O_CREAT | O_WRONLY | O_TRUNC, a1, 0);
}

struct open_how {
    uint64_t flags, mode, resolve;
};

/* openat2: RESOLVE_BENEATH and RESOLVE_IN_ROOT below a host directory are
 * the host's to enforce (hc_files.c); elsewhere they are checked here,
 * lexically. RESOLVE_NO_XDEV compares the mounts of start and result. */
static long open_resolved(int dirfd, const char *upath, uint64_t flags, uint64_t mode,
                          uint64_t resolve)
{
    static struct loc dir;     /* scratch (vfs.h): nothing here waits, and */
    static char rel[PATH_MAX]; /* do_open has its own */
    long len = user_strlen(upath, PATH_MAX);
    if (len < 0)
        return len;
    if (!(resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_NO_XDEV)))
        return do_open(dirfd, upath, 1, flags, mode, resolve);
    long r = lookup(dirfd, ".", 0, 1, &dir);
    loc_done(&dir);
    if (r)
        return r;
    memcpy(rel, upath, (size_t)len + 1);
    if (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) {
        if (rel[0] == '/' && (resolve & RESOLVE_BENEATH))
            return -EXDEV;
        if (dir.mnt == M_HOST) {
            /* The start directory as the host names it. */
            size_t n = strlen(dir.path);
            if (n > 1 && dir.path[n - 1] == '/')
                dir.path[n - 1] = 0;
            r = HC(open, .path = (uint64_t)dir.path, .flags = flags, .mode = mode & ~umask_bits,
                   .resolve = resolve, .beneath = (uint64_t)rel);
            if (r == -HX_EREDIRECT) {
                /* The walk, still beneath the start, reached one of our
                 * own file systems: dir.path is where, the rules checked. */
                if (resolve & RESOLVE_NO_XDEV)
                    return -EXDEV;
                return do_open(AT_FDCWD, dir.path, 0, flags, mode,
                               resolve & ~(uint64_t)(RESOLVE_BENEATH | RESOLVE_IN_ROOT));
            }
            if (r < 0)
                return r;
            struct file *f = host_file_new((int)r);
            if (!f) {
                HC(close, .hostfd = (uint64_t)r);
                return -ENFILE;
            }
            f->flags = (uint32_t)flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH);
            return fd_install(f, 0, (flags & O_CLOEXEC) != 0);
        }
        /* Guest file systems: ".." may not climb above the start. */
        int depth = 0;
        for (const char *p = rel; *p;) {
            while (*p == '/')
                p++;
            const char *c = p;
            while (*p && *p != '/')
                p++;
            if (p - c == 2 && c[0] == '.' && c[1] == '.') {
                if (--depth < 0) {
                    if (resolve & RESOLVE_BENEATH)
                        return -EXDEV;
                    depth = 0;
                }
            } else if (p - c && !(p - c == 1 && c[0] == '.')) {
                depth++;
            }
        }
        if (rel[0] == '/') {
            /* RESOLVE_IN_ROOT: absolute means from the start directory. */
            static char joined[PATH_MAX]; /* scratch (vfs.h) */
            ksnprintf(joined, sizeof(joined), "%s/%s", dir.path, rel);
            return do_open(AT_FDCWD, joined, 0, flags, mode, resolve);
        }
    }
    enum mnt start = dir.mnt;
    r = do_open(dirfd, upath, 1, flags, mode, resolve);
    if (r >= 0 && (resolve & RESOLVE_NO_XDEV)) {
        struct file *f = fd_get((uint64_t)r);
        enum mnt end = f->hostfd >= 0 ? M_HOST : f->ops->mnt ? (enum mnt)f->ops->mnt : M_PROC;
        if ((start == M_HOST) != (end == M_HOST) || (start != M_HOST && start != end)) {
            sys_close((uint64_t)r, 0, 0, 0, 0, 0);
            return -EXDEV;
        }
    }
    return r;
}

SYSCALL(openat2)
{
    const struct open_how *how = (const struct open_how *)a2;
    if (a3 < sizeof(*how))
        return -EINVAL;
    if (!user_ok(how, sizeof(*how), 0))
        return -EFAULT;
    if (how->flags >> 32 || how->mode & ~07777ull ||
        (!(how->flags & (O_CREAT | O_TMPFILE_FLAG)) && how->mode))
        return -EINVAL;
    if (how->resolve & ~0x3full ||
        (how->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) == (RESOLVE_BENEATH | RESOLVE_IN_ROOT))
        return -EINVAL;
    if ((how->resolve & RESOLVE_CACHED) && (how->flags & (O_TRUNC | O_CREAT | O_TMPFILE_FLAG)))
        return -EAGAIN;
    return open_resolved((int)a0, (const char *)a1, how->flags, how->mode, how->resolve);
}

/* ---- read and write --------------------------------------------------- */
long file_io(struct file *f, uint64_t buf, uint64_t len, int write, int64_t *pos)
{
    if (f->hostfd < 0) { /* the host checks calls on its own fds */
        uint32_t acc = f->flags & O_ACCMODE;
        if ((f->flags & O_PATH) || (write && acc == O_RDONLY) || (!write && acc == O_WRONLY))
            return -EBADF;
        if ((int64_t)len < 0)
            return -EINVAL; /* a count past SSIZE_MAX */
        if (!user_ok((void *)buf, len, !write))
            return -EFAULT;
    }
    long (*op)(struct file *, uint64_t, uint64_t, int64_t *) = write ? f->ops->write : f->ops->read;
    return op ? op(f, buf, len, pos) : -EBADF;
}

static long file_rw(uint64_t fd, uint64_t buf, uint64_t len, int write)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    return file_again(f, file_io(f, buf, len, write, NULL), len, write);
}

SYSCALL(read)
{
    return file_rw(a0, a1, a2, 0);
}

SYSCALL(write)
{
    return file_rw(a0, a1, a2, 1);
}

struct iovec64 {
    uint64_t base, len;
};

/* readv/writev/preadv/pwritev: a kind that can takes the whole vector at
 * once (the host: one exit); the others go element by element. off < 0:
 * stream position. */
static long file_rwv(uint64_t fd, uint64_t uiov, uint64_t cnt, int write, int64_t off)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (cnt > 1024)
        return -EINVAL;
    long (*vec)(struct file *, uint64_t, uint64_t) = write ? f->ops->writev : f->ops->readv;
    const struct iovec64 *iov = (const struct iovec64 *)uiov;
    if (off < 0 && vec) {
        long r = vec(f, uiov, cnt);
        uint64_t want = 0;
        if (write && r >= 0 && f->sock && user_ok(iov, cnt * sizeof(*iov), 0))
            for (uint64_t i = 0; i < cnt; i++)
                want += iov[i].len;
        return file_again(f, r, want, write);
    }
    if (!user_ok(iov, cnt * sizeof(*iov), 0))
        return -EFAULT;
    long done = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if (!iov[i].len)
            continue;
        int64_t pos = off + done;
        long r = file_io(f, iov[i].base, iov[i].len, write, off < 0 ? NULL : &pos);
        if (r < 0)
            return done ? done : r;
        done += r;
        if ((uint64_t)r < iov[i].len)
            break;
        /* Never wait once something moved: readv of a pipe returns what
         * there is, as Linux does. */
        int16_t want = write ? 4 /* POLLOUT */ : 1 /* POLLIN */;
        if (f->ops->partial_vectors && !(file_revents(f, want) & want))
            break;
    }
    return done;
}

SYSCALL(readv)
{
    return file_rwv(a0, a1, a2, 0, -1);
}

SYSCALL(writev)
{
    return file_rwv(a0, a1, a2, 1, -1);
}

SYSCALL(preadv)
{
    return (int64_t)a3 < 0 ? -EINVAL : file_rwv(a0, a1, a2, 0, (int64_t)a3);
}

SYSCALL(pwritev)
{
    return (int64_t)a3 < 0 ? -EINVAL : file_rwv(a0, a1, a2, 1, (int64_t)a3);
}

static long positioned(uint64_t fd, uint64_t buf, uint64_t len, int64_t off, int write)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (off < 0)
        return -EINVAL;
    return file_io(f, buf, len, write, &off);
}

SYSCALL(pread64)
{
    return positioned(a0, a1, a2, (int64_t)a3, 0);
}

SYSCALL(pwrite64)
{
    return positioned(a0, a1, a2, (int64_t)a3, 1);
}

/* For mmap: fills a fresh private mapping from a file. Returns how many
 * bytes the file had for it (the rest of the last page reads as zeroes;
 * pages wholly past the end are the caller's to take away), or -errno. */
long fs_read_at(int fd, void *buf, uint64_t len, uint64_t off)
{
    struct file *f = fd_get((uint64_t)fd);
    if (!f)
        return -EBADF;
    if ((f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_PATH))
        return -EACCES;
    return f->ops->map_read ? f->ops->map_read(f, buf, len, off) : -ENODEV;
}

long file_map_read(struct file *f, void *buf, uint64_t len, uint64_t off)
{
    for (uint64_t done = 0; done < len;) {
        int64_t pos = (int64_t)(off + done);
        long r = file_io(f, (uint64_t)buf + done, len - done, 0, &pos);
        if (r < 0)
            return r;
        if (r == 0)
            return (long)done;
        done += (uint64_t)r;
    }
    return (long)len;
}

long fs_shared_fd(int fd, int writable, uint64_t *size, int *may_write, struct mfs_node **node)
{
    struct file *f = fd_get((uint64_t)fd);
    if (!f)
        return -EBADF;
    uint32_t acc = f->flags & O_ACCMODE;
    if (acc == O_WRONLY || (f->flags & O_PATH) || (writable && acc != O_RDWR))
        return -EACCES;
    *may_write = acc == O_RDWR;
    return f->ops->map_shared ? f->ops->map_shared(f, size, node) : -ENODEV;
}

LEAF_SYSCALL(lseek)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->ops->seek)
        return f->ops->seek(f, a1, a2);
    return a2 <= SEEK_END ? 0 : -EINVAL; /* devices stay at 0 */
}

long file_seek_in(struct file *f, uint64_t a1, uint64_t a2, uint64_t size, int data_holes)
{
    int64_t off = (int64_t)a1, base;
    switch (a2) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = (int64_t)f->pos;
        break;
    case SEEK_END:
        base = (int64_t)size;
        break;
    case SEEK_DATA:
    case SEEK_HOLE:
        if (!data_holes || off < 0 || (uint64_t)off >= size)
            return -ENXIO;
        /* minifs reports the whole file as data, as tmpfs may. */
        return a2 == SEEK_DATA ? off : (long)size;
    default:
        return -EINVAL;
    }
    if (off > 0 && base > INT64_MAX - off)
        return -EOVERFLOW;
    if (base + off < 0)
        return -EINVAL;
    f->pos = (uint64_t)(base + off);
    return (long)f->pos;
}

/* ---- Status ------------------------------------------------------------ */
/* Status of a guest object, as Linux reports it: an object with no stat
 * of its own (eventfd, timerfd, signalfd, epoll) as a character device. */
void file_stat(const struct file *f, struct kstat *st)
{
    if (f->ops->stat) {
        f->ops->stat(f, st);
        return;
    }
    memset(st, 0, sizeof(*st));
    st->nlink = 1;
    st->blksize = 4096;
    st->mode = S_IFCHR | 0666;
    st->dev = 5;
    st->rdev = 1u << 8;
}

static long fstat_file(struct file *f, uint64_t ubuf)
{
    if (f->ops->fstat)
        return f->ops->fstat(f, ubuf);
    if (!user_ok((void *)ubuf, sizeof(struct kstat), 1))
        return -EFAULT;
    file_stat(f, (struct kstat *)ubuf);
    return 0;
}

LEAF_SYSCALL(fstat)
{
    struct file *f = fd_get(a0);
    return f ? fstat_file(f, a1) : -EBADF;
}

/* The status of a looked-up guest (non-host) path, as a temporary file. */
static long loc_stat(struct loc *l, struct kstat *st)
{
    if (l->mnt == M_TMP) {
        if (!l->node)
            return -ENOENT;
        tmp_stat(l->node, st);
        return 0;
    }
    gen_loc_stat(l, st);
    return 0;
}

/* A path like /proc/self/fd/N, followed, is stat'ed as that open file:
 * resolves upath into l->path and sets *f to the file it names, or to NULL
 * when it names no descriptor (or is not followed). */
static long stat_named_fd(int dirfd, uint64_t upath, uint64_t flags, struct loc *l, struct file **f)
{
    *f = NULL;
    long r = path_resolve(dirfd, (const char *)upath, 1, l->path);
    if (r)
        return r;
    int fd = fd_path(l->path);
    if (fd < 0 || (flags & AT_SYMLINK_NOFOLLOW))
        return 0;
    *f = fd_get((uint64_t)fd);
    return *f ? 0 : -ENOENT;
}

static long stat_path(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t flags)
{
    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    if ((flags & AT_EMPTY_PATH) && user_strlen((const char *)upath, 1) == 0) {
        if (dirfd == AT_FDCWD)
            return stat_path(AT_FDCWD, (uint64_t) ".", ubuf, 0);
        struct file *f = fd_get((uint64_t)dirfd);
        return f ? fstat_file(f, ubuf) : -EBADF;
    }
    static struct loc l; /* scratch (vfs.h): nothing here waits */
    struct file *f;
    long r = stat_named_fd(dirfd, upath, flags, &l, &f);
    if (r || f)
        return r ? r : fstat_file(f, ubuf);
    int follow = !(flags & AT_SYMLINK_NOFOLLOW);
    r = lookup(dirfd, (const char *)upath, 1, follow, &l);
    while (!r && l.mnt == M_HOST &&
           (r = HC(stat, .path = (uint64_t)l.path, .statbuf = ubuf,
                   .at_flags = flags & AT_SYMLINK_NOFOLLOW)) == -HX_EREDIRECT)
        r = lookup_again(&l, follow);
    if (!r && l.mnt != M_HOST)
        r = user_ok((void *)ubuf, sizeof(struct kstat), 1) ? loc_stat(&l, (struct kstat *)ubuf)
                                                           : -EFAULT;
    loc_done(&l);
    return r;
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

static void statx_from_stat(const struct kstat *st, struct kstatx *sx)
{
    memset(sx, 0, sizeof(*sx));
    sx->mask = 0x7ff; /* STATX_BASIC_STATS */
    sx->blksize = (uint32_t)st->blksize;
    sx->nlink = (uint32_t)st->nlink;
    sx->uid = st->uid;
    sx->gid = st->gid;
    sx->mode = (uint16_t)st->mode;
    sx->ino = st->ino;
    sx->size = (uint64_t)st->size;
    sx->blocks = (uint64_t)st->blocks;
    sx->atime.sec = st->atime;
    sx->atime.nsec = (uint32_t)st->atime_ns;
    sx->mtime.sec = st->mtime;
    sx->mtime.nsec = (uint32_t)st->mtime_ns;
    sx->ctime.sec = st->ctime;
    sx->ctime.nsec = (uint32_t)st->ctime_ns;
    sx->rdev_major = (uint32_t)(st->rdev >> 8);
    sx->rdev_minor = (uint32_t)(st->rdev & 0xff);
    sx->dev_major = (uint32_t)(st->dev >> 8);
    sx->dev_minor = (uint32_t)(st->dev & 0xff);
}

/* statx of an open file: the kind's (the host's), or from its status. */
static long statx_file(struct file *f, uint64_t flags, uint64_t mask, uint64_t ubuf)
{
    if (f->ops->statx)
        return f->ops->statx(f, flags, mask, ubuf);
    struct kstat st;
    file_stat(f, &st);
    statx_from_stat(&st, (struct kstatx *)ubuf);
    return 0;
}

SYSCALL(statx)
{
    int dirfd = (int)a0;
    uint64_t upath = a1, flags = a2, mask = a3, ubuf = a4;
    if (flags &
        ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if (mask & STATX__RESERVED)
        return -EINVAL;
    if (!user_ok((void *)ubuf, sizeof(struct kstatx), 1))
        return -EFAULT;
    struct kstat st;
    if ((flags & AT_EMPTY_PATH) && upath && user_strlen((const char *)upath, 1) == 0 &&
        dirfd != AT_FDCWD) {
        struct file *f = fd_get((uint64_t)dirfd);
        return f ? statx_file(f, flags, mask, ubuf) : -EBADF;
    }
    if ((flags & AT_EMPTY_PATH) && upath && user_strlen((const char *)upath, 1) == 0)
        upath = (uint64_t) ".";
    static struct loc l; /* scratch (vfs.h): nothing here waits */
    struct file *f;
    long r = stat_named_fd(dirfd, upath, flags, &l, &f);
    if (r || f)
        return r ? r : statx_file(f, flags, mask, ubuf);
    int follow = !(flags & AT_SYMLINK_NOFOLLOW);
    r = lookup(dirfd, (const char *)upath, 1, follow, &l);
    while (!r && l.mnt == M_HOST &&
           (r = HC(statx, .hostfd = (uint64_t)-1, .path = (uint64_t)l.path, .at_flags = flags,
                   .mask = mask, .statxbuf = ubuf)) == -HX_EREDIRECT)
        r = lookup_again(&l, follow);
    if (!r && l.mnt != M_HOST && !(r = loc_stat(&l, &st)))
        statx_from_stat(&st, (struct kstatx *)ubuf);
    loc_done(&l);
    return r;
}

/* ---- Directories ------------------------------------------------------- */
struct dirent64 {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
    char name[];
};

uint8_t dtype(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFDIR:
        return DT_DIR;
    case S_IFLNK:
        return DT_LNK;
    case S_IFCHR:
        return DT_CHR;
    case S_IFSOCK:
        return DT_SOCK; /* a socket bound in /tmp (net.c) */
    default:
        return DT_REG;
    }
}

/* Appends one record; 0 when it does not fit. */
static size_t put_dirent(uint8_t *buf, size_t room, uint64_t ino, int64_t next, uint8_t type,
                         const char *name, size_t len)
{
    size_t reclen = (__builtin_offsetof(struct dirent64, name) + len + 1 + 7) & ~7ul;
    if (reclen > room)
        return 0;
    struct dirent64 *d = (struct dirent64 *)buf;
    memset(d, 0, reclen);
    d->ino = ino;
    d->off = next;
    d->reclen = (uint16_t)reclen;
    d->type = type;
    memcpy(d->name, name, len);
    return reclen;
}

SYSCALL(getdents64)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    return f->ops->getdents ? f->ops->getdents(f, a1, a2) : -ENOTDIR;
}

long dirents_emit(struct file *f, uint64_t ubuf, uint64_t size, dirent_fn next)
{
    if (!user_ok((void *)ubuf, size, 1))
        return -EFAULT;
    uint8_t *buf = (uint8_t *)ubuf;
    size_t done = 0;
    for (;;) {
        const char *name;
        size_t len, n;
        uint8_t type;
        uint64_t ino = 1;
        if (!next(f, f->pos, &name, &len, &type, &ino))
            break;
        n = put_dirent(buf + done, size - done, ino, (int64_t)f->pos + 1, type, name, len);
        if (!n)
            return done ? (long)done : -EINVAL;
        done += n;
        f->pos++;
    }
    return (long)done;
}

/* ---- Syncing, advice, copies ------------------------------------------- */
static long sync_file(uint64_t fd, int datasync)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    return f->ops->sync ? f->ops->sync(f, datasync) : -EINVAL;
}

SYSCALL(fsync)
{
    return sync_file(a0, 0);
}

SYSCALL(fdatasync)
{
    return sync_file(a0, 1);
}

/* Advice only: Linux accepts it on every regular file and pipes refuse it. */
SYSCALL(fadvise64)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->ops->fifo)
        return -ESPIPE;
    if (a3 > 5 || (int64_t)a2 < 0)
        return -EINVAL;
    return 0;
}

/* Copies through a kernel buffer: sendfile's general case. The static
 * buffer is taken by one copy at a time: a pipe_write may wait meanwhile,
 * and another thread's copy then gets its own from the heap (64 KiB is too
 * big for a kernel stack). */
#define COPY_CHUNK 65536

long file_copy(struct file *in, struct file *out, int64_t *in_off, uint64_t count)
{
    static uint8_t chunk[COPY_CHUNK];
    static int chunk_busy;
    uint8_t *bounce = chunk_busy ? kmalloc(COPY_CHUNK) : chunk;
    if (!bounce)
        return -ENOMEM;
    if (bounce == chunk)
        chunk_busy = 1;
    long done = 0;
    while ((uint64_t)done < count) {
        uint64_t n = MIN(count - (uint64_t)done, COPY_CHUNK);
        /* A guest object's stream offset is f->pos; a host fd's is the
         * host's. */
        int64_t stream = (int64_t)in->pos;
        const int64_t *at = in_off ? in_off : in->hostfd < 0 ? &stream : NULL;
        long r = in->ops->splice_read ? in->ops->splice_read(in, bounce, n, at) : -EINVAL;
        if (r <= 0) {
            if (r < 0 && !done)
                done = r;
            break;
        }
        long w =
            out->ops->splice_write ? out->ops->splice_write(out, bounce, (uint64_t)r) : -EINVAL;
        if (w < 0) {
            if (!done)
                done = w;
            break;
        }
        if (in_off)
            *in_off += w;
        else if (in->hostfd < 0)
            in->pos += (uint64_t)w;
        else if (w < r) /* give back what the host read but we could not write */
            in->ops->seek(in, (uint64_t)(w - r), SEEK_CUR);
        done += w;
        if (w < r)
            break;
    }
    if (bounce == chunk)
        chunk_busy = 0;
    else
        kfree(bounce, COPY_CHUNK);
    return done;
}

SYSCALL(sendfile)
{
    struct file *out = fd_get(a0), *in = fd_get(a1);
    if (!out || !in)
        return -EBADF;
    if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    if (!in->ops->splice_read)
        return -EINVAL;
    if (out->flags & O_APPEND)
        return -EINVAL; /* Linux refuses appending outputs */
    if ((int64_t)a3 < 0)
        return -EINVAL; /* a count that is negative as ssize_t */
    int64_t off, *offp = NULL;
    if (a2) {
        if (!user_ok((void *)a2, 8, 1))
            return -EFAULT;
        off = *(int64_t *)a2;
        if (off < 0 || a3 > (uint64_t)(INT64_MAX - off))
            return -EINVAL; /* or one the count takes past the largest */
        offp = &off;
    }
    uint64_t count = MIN(a3, 0x7ffff000);
    long r = out->ops->sendfile ? out->ops->sendfile(out, in, offp, count)
                                : file_copy(in, out, offp, count);
    file_again(out, r, count, 1);
    if (a2 && r >= 0)
        *(int64_t *)a2 = off;
    return r;
}

/* Between two files of a kind that can (host files, minifs files), the
 * kind copies; across file systems Linux answers EXDEV. */
SYSCALL(copy_file_range)
{
    struct file *in = fd_get(a0), *out = fd_get(a2);
    if (!in || !out)
        return -EBADF;
    if (a5)
        return -EINVAL;
    if (!in->ops->copy_range)
        return -EINVAL;
    if (in->ops != out->ops)
        return -EXDEV;
    return in->ops->copy_range(in, a1, out, a3, a4);
}

/* ---- ioctl ------------------------------------------------------------- */

SYSCALL(ioctl)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    switch (a1) {
    case FIONBIO: {
        if (!user_ok((void *)a2, 4, 0))
            return -EFAULT;
        uint32_t fl = f->flags & ~(uint32_t)O_NONBLOCK;
        if (*(int *)a2)
            fl |= O_NONBLOCK;
        return sys_fcntl(a0, 4 /* F_SETFL */, fl & (O_APPEND | O_NONBLOCK), 0, 0, 0);
    }
    case FIOCLEX:
    case FIONCLEX:
        return sys_fcntl(a0, 2 /* F_SETFD */, a1 == FIOCLEX, 0, 0, 0);
    case FIOASYNC: {
        if (!user_ok((void *)a2, 4, 0))
            return -EFAULT;
        uint32_t fl = f->flags & ~(uint32_t)O_ASYNC;
        if (*(int *)a2)
            fl |= O_ASYNC;
        return sys_fcntl(a0, F_SETFL, fl & (O_APPEND | O_NONBLOCK | O_ASYNC), 0, 0, 0);
    }
    }
    return f->ops->ioctl ? f->ops->ioctl(f, a1, a2) : -ENOTTY;
}
