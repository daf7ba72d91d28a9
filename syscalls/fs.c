/* File system calls: open, I/O, status, directories. Each is dispatched on
 * where its file lives: the host (hypercalls, zero-copy on the program's
 * buffers), /tmp (minifs), /dev and /proc (generated). Name and attribute
 * changes are in fsnames.c. */
#include "heap.h"
#include "tmpfs.h"
#include "vfs.h"

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4

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

static long tmp_open(struct loc *l, uint64_t flags, uint64_t mode, struct file **out)
{
    uint32_t acc = (uint32_t)flags & O_ACCMODE;
    struct mfs_node *n = l->node;
    if ((flags & O_TMPFILE_FLAG) == O_TMPFILE_FLAG) {
        /* An unnamed file: created under a private name, unlinked once
         * open, as Linux's O_TMPFILE leaves no name behind. */
        static unsigned seq;
        char name[32];
        if (!n || (n->mode & S_IFMT) != S_IFDIR)
            return n ? -ENOTDIR : -ENOENT;
        if (acc == O_RDONLY)
            return -EINVAL;
        int len = ksnprintf(name, sizeof(name), ".hx-tmpfile-%u", seq++);
        struct mfs_node *t;
        long r = mfs_create(&tmpfs, n, name, (size_t)len,
                            MFS_S_IFREG | ((uint32_t)mode & 07777 & ~umask_bits), boot->euid,
                            boot->egid, NULL, &t);
        if (r)
            return r;
        mfs_open(t);
        mfs_remove(&tmpfs, n, name, (size_t)len, 0);
        n = t;
    } else if (!n) {
        if (!(flags & O_CREAT))
            return -ENOENT;
        if (!l->parent)
            return -ENOENT;
        long r = mfs_create(&tmpfs, l->parent, l->name, l->len,
                            MFS_S_IFREG | ((uint32_t)mode & 07777 & ~umask_bits), boot->euid,
                            boot->egid, NULL, &n);
        if (r)
            return r;
        mfs_open(n);
    } else {
        if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
            return -EEXIST;
        if ((n->mode & S_IFMT) == S_IFLNK && !(flags & O_PATH))
            return (flags & O_EXCL) ? -EEXIST : -ELOOP; /* O_NOFOLLOW on a symlink */
        if ((n->mode & S_IFMT) == 0140000 && !(flags & O_PATH))
            return -ENXIO; /* a socket's name (net.c) cannot be opened */
        int dir = (n->mode & S_IFMT) == S_IFDIR;
        if (dir && (acc != O_RDONLY || (flags & (O_TRUNC | O_CREAT)) == O_CREAT))
            return -EISDIR;
        if (!dir && (flags & O_DIRECTORY))
            return -ENOTDIR;
        if (!dir && (flags & O_TRUNC) && acc != O_RDONLY)
            mfs_truncate(&tmpfs, n, 0);
        mfs_open(n);
    }
    struct file *f = file_new(K_TMP);
    if (!f) {
        mfs_close(&tmpfs, n);
        return -ENFILE;
    }
    f->node = n;
    *out = f;
    return 0;
}

static long gen_open(struct loc *l, uint64_t flags, struct file **out)
{
    uint32_t acc = (uint32_t)flags & O_ACCMODE;
    if (l->gen_type == GEN_LINK)
        return -ELOOP;
    enum kind kind = l->gen_type == GEN_DIR ? K_GDIR : l->mnt == M_DEV ? l->dev : K_GEN;
    if (kind == K_TTY)
        return -ENXIO; /* do_open gives the console's terminal, if any */
    if (kind == K_GDIR && acc != O_RDONLY)
        return -EISDIR;
    if (kind != K_GDIR && (flags & O_DIRECTORY))
        return -ENOTDIR;
    if (kind == K_GEN && acc != O_RDONLY)
        return -EACCES; /* the generated files are read-only */
    struct file *f = file_new(kind);
    if (!f)
        return -ENFILE;
    f->gen = l->gen; /* the contents move to the file */
    memset(&l->gen, 0, sizeof(l->gen));
    *out = f;
    return 0;
}

#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20

/* resolve: openat2's RESOLVE_* flags (0 for open, openat, creat). */
static long do_open(int dirfd, const char *upath, int from_user, uint64_t flags, uint64_t mode,
                    uint64_t resolve)
{
    static struct loc l;
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
            if (o && o->kind == K_HOST && o->hostfd == c && boot->console_tty[c])
                fd = c;
        }
        if (fd < 0)
            return -ENXIO;
    }
    if (fd >= 0) {
        struct file *o = fd_get((uint64_t)fd);
        if (!o)
            return -ENOENT;
        if (o->kind == K_TMP) {
            /* A file reopened: a new open file with its own offset. */
            struct file *f = file_new(K_TMP);
            if (!f)
                return -ENFILE;
            f->node = o->node;
            mfs_open(f->node);
            f->flags = (uint32_t)flags & (O_ACCMODE | O_APPEND | O_NONBLOCK);
            memcpy(f->path, o->path, sizeof(f->path));
            return fd_install(f, 0, (flags & O_CLOEXEC) != 0);
        }
        if (o->kind == K_HOST && o->path[0] && o->hostfd > 2) {
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
            long hfd = hcall5(HX_HC_OPEN, l.path, flags, mode & ~umask_bits, resolve, 0);
            if (hfd == -HX_EREDIRECT) {
                r = lookup_again(&l, follow);
                continue;
            }
            if (hfd < 0) {
                r = hfd;
                break;
            }
            if (!(f = file_new(K_HOST))) {
                hcall1(HX_HC_CLOSE, hfd);
                r = -ENFILE;
                break;
            }
            f->hostfd = (int)hfd;
            break;
        }
        case M_TMP:
            r = tmp_open(&l, flags, mode, &f);
            break;
        default:
            r = gen_open(&l, flags, &f);
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
    static struct loc dir;
    static char rel[PATH_MAX];
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
            r = hcall5(HX_HC_OPEN, dir.path, flags, mode & ~umask_bits, resolve, rel);
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
            struct file *f = file_new(K_HOST);
            if (!f) {
                hcall1(HX_HC_CLOSE, r);
                return -ENFILE;
            }
            f->hostfd = (int)r;
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
            static char joined[PATH_MAX];
            ksnprintf(joined, sizeof(joined), "%s/%s", dir.path, rel);
            return do_open(AT_FDCWD, joined, 0, flags, mode, resolve);
        }
    }
    enum mnt start = dir.mnt;
    r = do_open(dirfd, upath, 1, flags, mode, resolve);
    if (r >= 0 && (resolve & RESOLVE_NO_XDEV)) {
        struct file *f = fd_get((uint64_t)r);
        enum mnt end = f->kind == K_HOST ? M_HOST : f->kind == K_TMP ? M_TMP : M_PROC;
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
/* A write to a host pipe with no reader, or to a socket whose connection
 * is closed: SIGPIPE, as Linux raises it (to a handler too). */
static long host_result(long r)
{
    if (r == -EPIPE)
        signal_send(current, SIGPIPE, 0 /* SI_USER */);
    return r;
}

/* Reads or writes a guest object at *pos (advanced), or at the stream
 * position when pos is NULL. */
static long guest_rw(struct file *f, uint64_t buf, uint64_t len, int write, int64_t *pos)
{
    uint32_t acc = f->flags & O_ACCMODE;
    if ((f->flags & O_PATH) || (write && acc == O_RDONLY) || (!write && acc == O_WRONLY))
        return -EBADF;
    if ((int64_t)len < 0)
        return -EINVAL; /* a count past SSIZE_MAX */
    if (!user_ok((void *)buf, len, !write))
        return -EFAULT;
    int64_t off = pos ? *pos : (int64_t)f->pos;
    long r;
    switch (f->kind) {
    case K_PIPE_R:
    case K_PIPE_W:
        if (pos)
            return -ESPIPE;
        return write ? pipe_write(f, (const uint8_t *)buf, len) : pipe_read(f, (uint8_t *)buf, len);
    case K_EVENTFD:
    case K_TIMERFD:
    case K_SIGNALFD:
    case K_EPOLL:
        if (pos)
            return -ESPIPE;
        return event_rw(f, (uint8_t *)buf, len, write);
    case K_NULL:
        return write ? (long)len : 0;
    case K_ZERO:
    case K_FULL:
        if (write)
            return f->kind == K_FULL ? -ENOSPC : (long)len;
        memset((void *)buf, 0, len);
        return (long)len;
    case K_RANDOM:
    case K_URANDOM:
        if (!write)
            random_fill((void *)buf, len);
        return (long)len;
    case K_TMP:
        if ((f->node->mode & S_IFMT) == S_IFDIR)
            return -EISDIR;
        if (write && (f->flags & O_APPEND) && !pos)
            off = (int64_t)f->node->size;
        r = write ? mfs_write(&tmpfs, f->node, (uint64_t)off, (const void *)buf, len)
                  : mfs_read(&tmpfs, f->node, (uint64_t)off, (void *)buf, len);
        break;
    case K_GEN:
        if (write)
            return -EBADF;
        r = (uint64_t)off >= f->gen.len ? 0 : (long)MIN(len, f->gen.len - (uint64_t)off);
        if (r > 0)
            memcpy((void *)buf, f->gen.buf + off, (size_t)r);
        break;
    case K_GDIR:
        return -EISDIR;
    default:
        return -EBADF;
    }
    if (r > 0) {
        if (pos)
            *pos += r;
        else
            f->pos = (uint64_t)(off + r);
    }
    return r;
}

static long file_rw(uint64_t fd, uint64_t buf, uint64_t len, int write)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (f->kind == K_HOST && f->sock) {
        struct sb_iov one = {buf, len};
        if (sockbuf_user_iov(&one, 1, !write) == 1) {
            long r = write ? sockbuf_send(f, &one, 1, 0) : sockbuf_recv(f, &one, 1, 0);
            if (r != SOCKBUF_EMPTY)
                return r;
        }
    }
    if (f->kind == K_HOST && f->sock && !(f->flags & O_NONBLOCK)) {
        long r = host_result(sock_rw(f, buf, len, write));
        if (write && r > 0)
            sockbuf_connected(f->hostfd);
        return r;
    }
    if (f->kind == K_HOST && !write && f->stream && nthreads > 1 && !(f->flags & O_NONBLOCK)) {
        /* A console read while other threads exist waits in the scheduler,
         * so they run meanwhile (a read in the host would stop them). */
        long r = host_fd_ready(f->hostfd, 1 /* POLLIN */);
        if (r)
            return r;
    }
    if (f->kind == K_HOST && f->sock && write) {
        long r = host_result(hcall3(HX_HC_WRITE, f->hostfd, buf, len));
        if (r > 0)
            sockbuf_connected(f->hostfd);
        return r;
    }
    if (f->kind == K_HOST) {
        long r = host_result(hcall3(write ? HX_HC_WRITE : HX_HC_READ, f->hostfd, buf, len));
        /* The monitor stopped a console read for a signal or a timer:
         * restarted unless a handler says otherwise, as Linux does. */
        return r == -EINTR ? -ERESTARTSYS : r;
    }
    return guest_rw(f, buf, len, write, NULL);
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

/* readv/writev/preadv/pwritev: the host takes the whole vector in one
 * exit; guest objects go element by element. off < 0: stream position. */
static long file_rwv(uint64_t fd, uint64_t uiov, uint64_t cnt, int write, int64_t off)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (cnt > 1024)
        return -EINVAL;
    if (f->kind == K_HOST && f->sock && off < 0) {
        const struct sb_iov *v = (const struct sb_iov *)uiov;
        int n = sockbuf_user_iov(v, cnt, !write);
        if (n >= 0) {
            long r = write ? sockbuf_send(f, v, n, 0) : sockbuf_recv(f, v, n, 0);
            if (r != SOCKBUF_EMPTY)
                return r;
        }
    }
    if (f->kind == K_HOST && off < 0 && !write && f->stream && nthreads > 1 &&
        !(f->flags & O_NONBLOCK)) {
        long r = host_fd_ready(f->hostfd, 1 /* POLLIN */);
        if (r)
            return r;
    }
    if (f->kind == K_HOST && off < 0) {
        long r = host_result(hcall3(write ? HX_HC_WRITEV : HX_HC_READV, f->hostfd, uiov, cnt));
        return r == -EINTR ? -ERESTARTSYS : r;
    }
    const struct iovec64 *iov = (const struct iovec64 *)uiov;
    if (!user_ok(iov, cnt * sizeof(*iov), 0))
        return -EFAULT;
    long done = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if (!iov[i].len)
            continue;
        long r;
        if (f->kind == K_HOST)
            r = host_result(hcall4(write ? HX_HC_PWRITE : HX_HC_PREAD, f->hostfd, iov[i].base,
                                   iov[i].len, (uint64_t)(off + done)));
        else {
            int64_t pos = off + done;
            r = guest_rw(f, iov[i].base, iov[i].len, write, off < 0 ? NULL : &pos);
        }
        if (r < 0)
            return done ? done : r;
        done += r;
        if ((uint64_t)r < iov[i].len)
            break;
        /* Never wait once something moved: readv of a pipe returns what
         * there is, as Linux does. */
        if (f->kind == K_PIPE_R && !pipe_available(f))
            break;
        if (f->kind == K_PIPE_W && !(pipe_revents(f, 4) & 4))
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
    if (f->kind == K_HOST)
        return host_result(hcall4(write ? HX_HC_PWRITE : HX_HC_PREAD, f->hostfd, buf, len, off));
    return guest_rw(f, buf, len, write, &off);
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
    if (f->kind == K_ZERO)
        return (long)len; /* /dev/zero has no end */
    if (f->kind != K_HOST && f->kind != K_TMP && f->kind != K_GEN)
        return -ENODEV;
    if (f->kind == K_TMP && (f->node->mode & S_IFMT) == S_IFDIR)
        return -ENODEV;
    for (uint64_t done = 0; done < len;) {
        long r;
        if (f->kind == K_HOST) {
            r = hcall4(HX_HC_PREAD, f->hostfd, (uint64_t)buf + done, len - done, off + done);
            if (r == -EISDIR)
                return -ENODEV; /* a directory cannot be mapped */
        } else {
            int64_t pos = (int64_t)(off + done);
            r = guest_rw(f, (uint64_t)buf + done, len - done, 0, &pos);
        }
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
    if (f->kind == K_TMP && (f->node->mode & S_IFMT) == S_IFREG) {
        *node = f->node;
        *size = f->node->size;
        return 0;
    }
    if (f->kind != K_HOST)
        return -ENODEV;
    struct kstat st;
    long r = hcall2(HX_HC_FSTAT, f->hostfd, &st);
    if (r)
        return r;
    if ((st.mode & S_IFMT) != S_IFREG)
        return -ENODEV;
    *size = (uint64_t)st.size;
    return f->hostfd;
}

LEAF_SYSCALL(lseek)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->kind == K_HOST)
        return hcall3(HX_HC_LSEEK, f->hostfd, a1, a2);
    if (f->kind == K_PIPE_R || f->kind == K_PIPE_W)
        return -ESPIPE;
    if (f->kind != K_TMP && f->kind != K_GEN && f->kind != K_GDIR)
        return a2 <= SEEK_END ? 0 : -EINVAL; /* devices stay at 0 */
    int64_t off = (int64_t)a1, base;
    uint64_t size = f->kind == K_TMP ? f->node->size : f->kind == K_GEN ? f->gen.len : 0;
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
        if (f->kind != K_TMP || off < 0 || (uint64_t)off >= size)
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
/* Status of a guest object, as Linux reports it. */
void guest_stat(const struct file *f, struct kstat *st)
{
    if (f->kind == K_TMP) {
        tmp_stat(f->node, st);
        return;
    }
    memset(st, 0, sizeof(*st));
    st->nlink = 1;
    st->uid = boot->uid;
    st->gid = boot->gid;
    st->blksize = 4096;
    switch (f->kind) {
    case K_PIPE_R:
    case K_PIPE_W:
        st->mode = S_IFIFO | 0600;
        st->dev = 14; /* pipefs */
        st->ino = pipe_ino(f);
        break;
    case K_GEN:
        st->mode = S_IFREG | 0444;
        st->dev = 0x16; /* procfs */
        st->blksize = 1024;
        break;
    case K_GDIR:
        st->mode = S_IFDIR | 0555;
        st->nlink = 2;
        st->dev = 0x16;
        break;
    default: {
        static const uint8_t minor[] = {
            [K_NULL] = 3, [K_ZERO] = 5, [K_FULL] = 7, [K_RANDOM] = 8, [K_URANDOM] = 9};
        st->mode = S_IFCHR | 0666;
        st->uid = st->gid = 0;
        st->dev = 5;
        st->rdev = f->kind == K_TTY ? (5u << 8) : (1u << 8) | minor[f->kind];
    }
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

LEAF_SYSCALL(fstat)
{
    struct file *f = fd_get(a0);
    return f ? fstat_file(f, a1) : -EBADF;
}

/* The status of a looked-up guest (non-host) path, as a temporary file. */
static long loc_stat(struct loc *l, struct kstat *st)
{
    struct file tmp = {0};
    if (l->mnt == M_TMP) {
        if (!l->node)
            return -ENOENT;
        tmp_stat(l->node, st);
        return 0;
    }
    if (l->gen_type == GEN_LINK) {
        memset(st, 0, sizeof(*st));
        st->mode = S_IFLNK | 0777;
        st->nlink = 1;
        st->size = (int64_t)l->gen.len;
        st->dev = 0x16;
        return 0;
    }
    tmp.kind = l->gen_type == GEN_DIR ? K_GDIR : l->mnt == M_DEV ? l->dev : K_GEN;
    guest_stat(&tmp, st);
    return 0;
}

#define AT_NO_AUTOMOUNT 0x800

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
    static struct loc l;
    long r = path_resolve(dirfd, (const char *)upath, 1, l.path);
    if (r)
        return r;
    int fd = fd_path(l.path);
    if (fd >= 0 && !(flags & AT_SYMLINK_NOFOLLOW)) {
        struct file *f = fd_get((uint64_t)fd);
        return f ? fstat_file(f, ubuf) : -ENOENT;
    }
    int follow = !(flags & AT_SYMLINK_NOFOLLOW);
    r = lookup(dirfd, (const char *)upath, 1, follow, &l);
    while (!r && l.mnt == M_HOST &&
           (r = hcall3(HX_HC_STAT, l.path, ubuf, flags & AT_SYMLINK_NOFOLLOW)) == -HX_EREDIRECT)
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

/* statx of an open file: the host's for host files. */
static long statx_file(struct file *f, uint64_t flags, uint64_t mask, uint64_t ubuf)
{
    if (f->kind == K_HOST)
        return hcall5(HX_HC_STATX, f->hostfd, 0, flags, mask, ubuf);
    struct kstat st;
    guest_stat(f, &st);
    statx_from_stat(&st, (struct kstatx *)ubuf);
    return 0;
}

SYSCALL(statx)
{
    int dirfd = (int)a0;
    uint64_t upath = a1, flags = a2, mask = a3, ubuf = a4;
    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | 0x6000))
        return -EINVAL;
    if (mask & 0x80000000u) /* STATX__RESERVED */
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
    static struct loc l;
    long r = path_resolve(dirfd, (const char *)upath, 1, l.path);
    if (r)
        return r;
    int fd = fd_path(l.path);
    if (fd >= 0 && !(flags & AT_SYMLINK_NOFOLLOW)) {
        struct file *f = fd_get((uint64_t)fd);
        return f ? statx_file(f, flags, mask, ubuf) : -ENOENT;
    }
    int follow = !(flags & AT_SYMLINK_NOFOLLOW);
    r = lookup(dirfd, (const char *)upath, 1, follow, &l);
    while (!r && l.mnt == M_HOST &&
           (r = hcall5(HX_HC_STATX, -1, l.path, flags, mask, ubuf)) == -HX_EREDIRECT)
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

#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#define DT_CHR 2
#define DT_SOCK 12
#define S_IFSOCK 0140000

static uint8_t dtype(uint32_t mode)
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

/* The i-th entry of a generated directory: ".", "..", then its list. */
static int gdir_entry(const struct file *f, uint64_t i, const char **name, size_t *len,
                      uint8_t *type)
{
    if (i < 2) {
        *name = i ? ".." : ".";
        *len = i + 1;
        *type = DT_DIR;
        return 1;
    }
    const char *p = f->gen.buf, *end = p + f->gen.len;
    for (uint64_t k = 2; p && p < end; k++) {
        size_t n = strlen(p);
        char t = p[n + 1];
        if (k == i) {
            *name = p;
            *len = n;
            *type = t == 'd' ? DT_DIR : t == 'l' ? DT_LNK : t == 'c' ? DT_CHR : DT_REG;
            return 1;
        }
        p += n + 3;
    }
    return 0;
}

SYSCALL(getdents64)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->kind == K_HOST)
        return hcall3(HX_HC_GETDENTS, f->hostfd, a1, a2);
    if (f->kind != K_TMP && f->kind != K_GDIR)
        return -ENOTDIR;
    if (f->kind == K_TMP && (f->node->mode & S_IFMT) != S_IFDIR)
        return -ENOTDIR;
    if (!user_ok((void *)a1, a2, 1))
        return -EFAULT;
    if (f->kind == K_GDIR && f->pos == 0 && !strncmp(f->path, "/proc/", 6)) {
        /* Listed when read, as Linux does: /proc/self/fd shows this fd. */
        gen_free(&f->gen);
        proc_lookup(f->path, &f->gen);
    }
    uint8_t *buf = (uint8_t *)a1;
    size_t done = 0;
    for (;;) {
        const char *name;
        size_t len, n;
        uint8_t type;
        uint64_t ino = 1;
        if (f->kind == K_TMP) {
            struct mfs_node *node;
            if (mfs_readdir(f->node, f->pos, &name, &len, &node))
                break;
            type = dtype(node->mode);
            ino = node->ino;
        } else if (!gdir_entry(f, f->pos, &name, &len, &type)) {
            break;
        }
        n = put_dirent(buf + done, a2 - done, ino, (int64_t)f->pos + 1, type, name, len);
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
    if (f->kind == K_HOST)
        return hcall2(HX_HC_FSYNC, f->hostfd, datasync);
    return f->kind == K_TMP ? 0 : -EINVAL; /* RAM has nothing to flush */
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
    if (f->kind == K_PIPE_R || f->kind == K_PIPE_W)
        return -ESPIPE;
    if (a3 > 5 || (int64_t)a2 < 0)
        return -EINVAL;
    return 0;
}

/* Copies through a kernel buffer: sendfile's general case. */
static long copy_loop(struct file *in, struct file *out, int64_t *in_off, uint64_t count)
{
    static uint8_t bounce[65536];
    long done = 0;
    while ((uint64_t)done < count) {
        uint64_t n = MIN(count - (uint64_t)done, sizeof(bounce));
        long r;
        if (in->kind == K_HOST)
            r = in_off ? hcall4(HX_HC_PREAD, in->hostfd, bounce, n, *in_off)
                       : hcall3(HX_HC_READ, in->hostfd, bounce, n);
        else
            r = in->kind == K_TMP
                    ? mfs_read(&tmpfs, in->node, in_off ? (uint64_t)*in_off : in->pos, bounce, n)
                    : -EINVAL;
        if (r <= 0) {
            if (r < 0 && !done)
                return r;
            break;
        }
        long w;
        if (out->kind == K_HOST)
            w = host_result(hcall3(HX_HC_WRITE, out->hostfd, bounce, (uint64_t)r));
        else if (out->kind == K_TMP)
            w = mfs_write(&tmpfs, out->node, (out->flags & O_APPEND) ? out->node->size : out->pos,
                          bounce, (uint64_t)r);
        else if (out->kind == K_PIPE_W)
            w = pipe_write(out, bounce, (uint64_t)r);
        else
            w = out->kind == K_NULL ? r : -EINVAL;
        if (w < 0)
            return done ? done : w;
        if (out->kind == K_TMP)
            out->pos = ((out->flags & O_APPEND) ? out->node->size : out->pos + (uint64_t)w);
        if (in_off)
            *in_off += w;
        else if (in->kind == K_TMP)
            in->pos += (uint64_t)w;
        else if (w < r) /* give back what the host read but we could not write */
            hcall3(HX_HC_LSEEK, in->hostfd, (uint64_t)(w - r), SEEK_CUR);
        done += w;
        if (w < r)
            break;
    }
    return done;
}

SYSCALL(sendfile)
{
    struct file *out = fd_get(a0), *in = fd_get(a1);
    if (!out || !in)
        return -EBADF;
    if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    if (in->kind != K_HOST && in->kind != K_TMP)
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
    long r;
    if (in->kind == K_HOST && !in->stream && out->kind == K_HOST && out->sock &&
        (out->flags & O_NONBLOCK))
        /* Host file to a non-blocking socket: the host does it (queued
         * sends go first: any hypercall flushes them). */
        r = host_result(hcall4(HX_HC_SENDFILE, out->hostfd, in->hostfd, offp ? offp : NULL,
                               MIN(a3, 0x7ffff000)));
    else
        r = copy_loop(in, out, offp, MIN(a3, 0x7ffff000));
    if (a2 && r >= 0)
        *(int64_t *)a2 = off;
    return r;
}

/* Between two host files the host copies; between minifs files, the
 * kernel; across file systems Linux answers EXDEV. */
SYSCALL(copy_file_range)
{
    struct file *in = fd_get(a0), *out = fd_get(a2);
    if (!in || !out)
        return -EBADF;
    if (a5)
        return -EINVAL;
    if (in->kind == K_HOST && out->kind == K_HOST)
        return hcall5(HX_HC_COPY_RANGE, in->hostfd, a1, out->hostfd, a3, a4);
    if (in->kind != K_TMP || out->kind != K_TMP)
        return in->kind == K_HOST || in->kind == K_TMP ? -EXDEV : -EINVAL;
    int64_t off, *offp = NULL;
    if (a1) {
        if (!user_ok((void *)a1, 8, 1))
            return -EFAULT;
        off = *(int64_t *)a1;
        offp = &off;
    }
    uint64_t saved = out->pos;
    if (a3) {
        if (!user_ok((void *)a3, 8, 1))
            return -EFAULT;
        out->pos = *(uint64_t *)a3;
    }
    long r = copy_loop(in, out, offp, a4);
    if (a3) {
        if (r > 0)
            *(uint64_t *)a3 = out->pos;
        out->pos = saved;
    }
    if (a1 && r > 0)
        *(int64_t *)a1 = off;
    return r;
}

#define MFD_CLOEXEC 1u
#define MFD_ALLOW_SEALING 2u

/* memfd: an unnamed minifs file. */
SYSCALL(memfd_create)
{
    long len = user_strlen((const char *)a0, 250);
    if (len < 0)
        return len == -ENAMETOOLONG ? -EINVAL : len;
    if (a1 & ~(uint64_t)(MFD_CLOEXEC | MFD_ALLOW_SEALING))
        return -EINVAL;
    static unsigned seq;
    char name[32];
    int n = ksnprintf(name, sizeof(name), ".hx-memfd-%u", seq++);
    struct mfs_node *node;
    long r = mfs_create(&tmpfs, tmpfs.root, name, (size_t)n, MFS_S_IFREG | 0777, boot->euid,
                        boot->egid, NULL, &node);
    if (r)
        return r;
    mfs_open(node);
    mfs_remove(&tmpfs, tmpfs.root, name, (size_t)n, 0);
    struct file *f = file_new(K_TMP);
    if (!f) {
        mfs_close(&tmpfs, node);
        return -ENFILE;
    }
    f->node = node;
    f->flags = O_RDWR;
    ksnprintf(f->path, sizeof(f->path), "/memfd:%s (deleted)", (const char *)a0);
    return fd_install(f, 0, (a1 & MFD_CLOEXEC) != 0);
}

/* ---- ioctl ------------------------------------------------------------- */
#define TCGETS 0x5401
#define TIOCGWINSZ 0x5413
#define FIONREAD 0x541b
#define FIONBIO 0x5421
#define FIOCLEX 0x5451
#define FIONCLEX 0x5450

SYSCALL(ioctl)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (f->kind == K_HOST && f->sock && a1 != FIONBIO && a1 != FIOCLEX && a1 != FIONCLEX)
        return net_ioctl(f, a1, a2);
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
    case TCGETS:
    case TIOCGWINSZ:
        if (f->kind != K_HOST)
            return -ENOTTY;
        /* A console that was not a terminal at boot never becomes one. */
        if (f->hostfd <= 2 && !boot->console_tty[f->hostfd])
            return -ENOTTY;
        return hcall3(HX_HC_IOCTL, f->hostfd, a1, a2);
    case FIONREAD:
        if (f->kind != K_PIPE_R && f->kind != K_TMP)
            break;
        if (!user_ok((void *)a2, 4, 1))
            return -EFAULT;
        *(int *)a2 = f->kind == K_PIPE_R      ? (int)pipe_available(f)
                     : f->node->size > f->pos ? (int)MIN(f->node->size - f->pos, 0x7fffffff)
                                              : 0;
        return 0;
    }
    return -ENOTTY;
}
