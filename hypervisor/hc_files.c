/* Host file services: opening, inspecting and changing host files for the
 * guest, through hostfs.c's confined walk, and operations on the host fds
 * the guest owns. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fastcall_cache.h"
#include "hcall.h"
#include "hostfs.h"

/* Gives the guest a host fd opened through mount m. */
static int own(struct hx_vm *vm, long fd, const struct hx_mount *m)
{
    return (int)hx_hostfd_give(vm, fd, m->ro ? HX_FD_OWNED_RO : HX_FD_OWNED, m->id);
}

#define RESOLVE_MASK 0x1f /* RESOLVE_NO_XDEV ... RESOLVE_IN_ROOT */

int64_t hx_hc_open(struct hx_vm *vm, const struct hx_hc_open_req *req)
{
    struct hx_walk w;
    int flags = (int)req->flags & ~(O_CLOEXEC | O_NOCTTY | O_ASYNC);
    if (req->resolve & ~(uint64_t)RESOLVE_MASK)
        return -EINVAL;
    /* O_EXCL with O_CREAT never follows a final symlink: it exists. */
    int follow = !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL);
    long r;
    if (req->beneath && (req->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))) {
        /* openat2 below the directory at req->path, by the same confined walk
         * (never the host's own resolution, which knows no mounts). */
        char rel[4096];
        long n = hx_copy_str_from_guest(&vm->g, rel, req->beneath, sizeof(rel));
        if (n < 0)
            return n;
        if ((req->resolve & RESOLVE_BENEATH) && (req->resolve & RESOLVE_IN_ROOT))
            return -EINVAL;
        if (!rel[0])
            return -ENOENT;
        r = hx_walk_beneath(vm, req->path, rel, follow, req->resolve, &w);
    } else {
        r = hx_walk_flags(vm, req->path, follow, (req->resolve & RESOLVE_NO_SYMLINKS) != 0, &w);
    }
    if (r)
        return r;
    int exists = !w.name[0] || !faccessat(w.fd, w.name, F_OK, AT_SYMLINK_NOFOLLOW);
    int creating = (flags & O_CREAT) && !exists;
    if (exists && (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        r = -EEXIST; /* Linux answers that before the mount's read-only state */
    else if (w.m->ro && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) ||
                         (flags & __O_TMPFILE) == __O_TMPFILE || creating))
        r = -EROFS; /* Linux refuses only changes on a read-only mount */
    else
        r = own(vm, hx_fastcall_reopen(hx_walk_open(&w, flags, (unsigned)req->mode & 07777), flags),
                w.m);
    hx_walk_done(&w);
    return r;
}

int64_t hx_hc_close(struct hx_vm *vm, const struct hx_hc_close_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    if (req->hostfd <= 2)
        return 0; /* the console stays open for hxrun's own messages */
    vm->hostfd_owned[req->hostfd] = 0;
    vm->hostfd_mount[req->hostfd] = 0;
    /* The fd is gone whatever close says; a socket's linger cut short by
     * a host signal is no error (Linux's close returns 0 then too). */
    return close((int)req->hostfd) < 0 && errno != EINTR ? -errno : 0;
}

int64_t hx_hc_lseek(struct hx_vm *vm, const struct hx_hc_lseek_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    off_t r = lseek((int)req->hostfd, (off_t)req->offset, (int)req->whence);
    return r < 0 ? -errno : r;
}

int64_t hx_hc_fstat(struct hx_vm *vm, const struct hx_hc_fstat_req *req)
{
    struct stat st;
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    if (fstat((int)req->hostfd, &st) < 0)
        return -errno;
    return hx_copy_to_guest(&vm->g, req->statbuf, &st, sizeof(st));
}

/* The status of a walked path (following the last symlink unless
 * AT_SYMLINK_NOFOLLOW), into a host struct stat. */
static long walk_stat(struct hx_vm *vm, uint64_t gva, uint64_t at_flags, struct stat *st)
{
    struct hx_walk w;
    long r = hx_walk(vm, gva, !(at_flags & AT_SYMLINK_NOFOLLOW), &w);
    if (!r && fstatat(w.fd, w.name, st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
        r = -errno;
    hx_walk_done(&w);
    return r;
}

int64_t hx_hc_stat(struct hx_vm *vm, const struct hx_hc_stat_req *req)
{
    struct stat st;
    long r = walk_stat(vm, req->path, req->at_flags, &st);
    return r ? r : hx_copy_to_guest(&vm->g, req->statbuf, &st, sizeof(st));
}

int64_t hx_hc_statx(struct hx_vm *vm, const struct hx_hc_statx_req *req)
{
    struct statx sx;
    int sync = (int)(req->at_flags & AT_STATX_SYNC_TYPE);
    if (req->path) {
        struct hx_walk w;
        long r = hx_walk(vm, req->path, !(req->at_flags & AT_SYMLINK_NOFOLLOW), &w);
        if (!r && statx(w.fd, w.name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | sync,
                        (unsigned)req->mask, &sx) < 0)
            r = -errno;
        hx_walk_done(&w);
        if (r)
            return r;
    } else {
        if (!hx_hostfd_ok(vm, req->hostfd))
            return -EBADF;
        if (statx((int)req->hostfd, "", AT_EMPTY_PATH | sync, (unsigned)req->mask, &sx) < 0)
            return -errno;
    }
    return hx_copy_to_guest(&vm->g, req->statxbuf, &sx, sizeof(sx));
}

int64_t hx_hc_ftruncate(struct hx_vm *vm, const struct hx_hc_ftruncate_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    if (req->length < 0)
        return -EINVAL;
    return ftruncate((int)req->hostfd, req->length) < 0 ? -errno : 0;
}

/* Walks to a name that will be removed or created: never follows it. A
 * trailing slash (the kernel keeps it) is checked by the callers, and so is
 * the mount's read-only state when check_ro is 0. */
static long walk_name_ro(struct hx_vm *vm, uint64_t gva, struct hx_walk *w, int *slash,
                         int check_ro);

static long walk_name(struct hx_vm *vm, uint64_t gva, struct hx_walk *w, int *slash)
{
    return walk_name_ro(vm, gva, w, slash, 1);
}

static long walk_name_ro(struct hx_vm *vm, uint64_t gva, struct hx_walk *w, int *slash,
                         int check_ro)
{
    char raw[4096];
    long n = hx_copy_str_from_guest(&vm->g, raw, gva, sizeof(raw));
    if (n < 0)
        return n;
    *slash = n > 1 && raw[n - 1] == '/';
    long r = hx_walk(vm, gva, 0, w);
    if (!r && check_ro && w->m->ro)
        r = -EROFS;
    if (!r && !w->name[0])
        r = -EBUSY; /* a mount point */
    if (r)
        hx_walk_done(w);
    return r;
}

int64_t hx_hc_unlink(struct hx_vm *vm, const struct hx_hc_unlink_req *req)
{
    struct hx_walk w;
    int slash;
    long r = walk_name(vm, req->path, &w, &slash);
    if (r)
        return r;
    struct stat st;
    if (slash && !(req->at_flags & AT_REMOVEDIR))
        /* unlink("x/"): Linux looks at x itself. */
        r = fstatat(w.fd, w.name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno
            : S_ISDIR(st.st_mode)                               ? -EISDIR
                                                                : -ENOTDIR;
    else
        r = unlinkat(w.fd, w.name, (int)(req->at_flags & AT_REMOVEDIR)) < 0 ? -errno : 0;
    hx_walk_done(&w);
    return r;
}

int64_t hx_hc_access(struct hx_vm *vm, const struct hx_hc_access_req *req)
{
    struct hx_walk w;
    long r = hx_walk(vm, req->path, !(req->at_flags & AT_SYMLINK_NOFOLLOW), &w);
    if (r)
        return r;
    int flags = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | (int)(req->at_flags & AT_EACCESS);
    r = syscall(SYS_faccessat2, w.fd, w.name, (int)req->mode, flags) < 0 ? -errno : 0;
    if (r == 0 && (req->mode & W_OK) && w.m->ro)
        r = -EROFS;
    hx_walk_done(&w);
    return r;
}

int64_t hx_hc_readlink(struct hx_vm *vm, const struct hx_hc_readlink_req *req)
{
    struct hx_walk w;
    long r = hx_walk(vm, req->path, 0, &w);
    if (r)
        return r;
    char buf[4096];
    ssize_t n = readlinkat(w.fd, w.name, buf, sizeof(buf));
    r = n < 0 ? -errno : 0;
    if (r == -ENOENT && !w.name[0])
        r = -EINVAL; /* a mount root or file is no symlink */
    hx_walk_done(&w);
    if (r)
        return r;
    uint64_t len = (uint64_t)n < req->size ? (uint64_t)n : req->size;
    return hx_copy_to_guest(&vm->g, req->buf, buf, len) ? -EFAULT : (int64_t)len;
}

int64_t hx_hc_fsync(struct hx_vm *vm, const struct hx_hc_fsync_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    return (req->datasync ? fdatasync((int)req->hostfd) : fsync((int)req->hostfd)) < 0 ? -errno : 0;
}

/* Both names must live in the same mount, as on Linux, where a rename
 * never crosses one (EXDEV). */
int64_t hx_hc_rename(struct hx_vm *vm, const struct hx_hc_rename_req *req)
{
    struct hx_walk from, to;
    int fslash, tslash;
    long r = walk_name_ro(vm, req->from, &from, &fslash, 0);
    if (r)
        return r;
    r = walk_name_ro(vm, req->to, &to, &tslash, 0);
    if (r) {
        hx_walk_done(&from);
        return r;
    }
    struct stat st;
    if (from.m != to.m)
        r = -EXDEV; /* before the read-only check, as Linux */
    else if (from.m->ro)
        r = -EROFS;
    else if (fslash && fstatat(from.fd, from.name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
             !S_ISDIR(st.st_mode))
        r = -ENOTDIR; /* rename("file/", ...) */
    else
        r = renameat2(from.fd, from.name, to.fd, to.name, (unsigned)req->flags) < 0 ? -errno : 0;
    hx_walk_done(&from);
    hx_walk_done(&to);
    return r;
}

int64_t hx_hc_getdents(struct hx_vm *vm, const struct hx_hc_getdents_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    char buf[32768];
    size_t len = req->size < sizeof(buf) ? (size_t)req->size : sizeof(buf);
    long n = syscall(SYS_getdents64, (int)req->hostfd, buf, len);
    if (n < 0)
        return -errno;
    if (hx_copy_to_guest(&vm->g, req->buf, buf, (uint64_t)n))
        return -EFAULT;
    return n;
}

int64_t hx_hc_statfs(struct hx_vm *vm, const struct hx_hc_statfs_req *req)
{
    struct statfs st;
    int ro = 0;
    if (req->path) {
        struct hx_walk w;
        long r = hx_walk(vm, req->path, 1, &w);
        if (r)
            return r;
        long fd = hx_walk_open(&w, O_PATH, 0);
        ro = w.m->ro;
        hx_walk_done(&w);
        if (fd < 0)
            return fd;
        r = fstatfs((int)fd, &st) < 0 ? -errno : 0;
        close((int)fd);
        if (r)
            return r;
    } else {
        if (!hx_hostfd_ok(vm, req->hostfd))
            return -EBADF;
        if (fstatfs((int)req->hostfd, &st) < 0)
            return -errno;
    }
    /* A read-only mount says so, as a read-only bind mount does on Linux. */
    if (ro)
        st.f_flags |= ST_RDONLY;
    return hx_copy_to_guest(&vm->g, req->statfsbuf, &st, sizeof(st));
}

int64_t hx_hc_copy_range(struct hx_vm *vm, const struct hx_hc_copy_range_req *req)
{
    if (!hx_hostfd_ok(vm, req->in_hostfd) || !hx_hostfd_ok(vm, req->out_hostfd))
        return -EBADF;
    off_t in, out;
    if ((req->in_off && hx_copy_from_guest(&vm->g, &in, req->in_off, sizeof(in))) ||
        (req->out_off && hx_copy_from_guest(&vm->g, &out, req->out_off, sizeof(out))))
        return -EFAULT;
    uint64_t len = req->len;
    if (len > HX_MAX_COPY) {
        /* Linux refuses a length that wraps a position before it copies
         * anything; the shorter length must not hide that. */
        off_t pin = req->in_off ? in : lseek((int)req->in_hostfd, 0, SEEK_CUR);
        off_t pout = req->out_off ? out : lseek((int)req->out_hostfd, 0, SEEK_CUR);
        if ((pin >= 0 && (uint64_t)pin + len < (uint64_t)pin) ||
            (pout >= 0 && (uint64_t)pout + len < (uint64_t)pout))
            return -EOVERFLOW;
        len = HX_MAX_COPY;
    }
    ssize_t n = copy_file_range((int)req->in_hostfd, req->in_off ? &in : NULL, (int)req->out_hostfd,
                                req->out_off ? &out : NULL, len, 0);
    if (n < 0)
        return -errno;
    if ((req->in_off && hx_copy_to_guest(&vm->g, req->in_off, &in, sizeof(in))) ||
        (req->out_off && hx_copy_to_guest(&vm->g, req->out_off, &out, sizeof(out))))
        return -EFAULT;
    return n;
}

/* The guest's struct timespec[2] for utimensat, or NULL for "now". */
static int guest_times(struct hx_vm *vm, uint64_t gva, struct timespec ts[2], struct timespec **p)
{
    *p = NULL;
    if (!gva)
        return 0;
    if (hx_copy_from_guest(&vm->g, ts, gva, 2 * sizeof(*ts)))
        return -EFAULT;
    *p = ts;
    return 0;
}

int64_t hx_hc_pathop(struct hx_vm *vm, const struct hx_hc_pathop_req *req)
{
    struct hx_walk w;
    int slash;
    long r;
    char buf[4096];
    switch (req->op) {
    case HX_PATH_MKDIR:
    case HX_PATH_SYMLINK:
    case HX_PATH_LINK:
        /* Creations: the last component is made in its walked parent. */
        if ((r = walk_name(vm, req->path, &w, &slash)))
            return r == -EBUSY ? -EEXIST : r;
        if (req->op == HX_PATH_MKDIR) {
            r = mkdirat(w.fd, w.name, (mode_t)req->arg) < 0 ? -errno : 0;
        } else if (req->op == HX_PATH_SYMLINK) {
            long n = hx_copy_str_from_guest(&vm->g, buf, req->path2, sizeof(buf));
            r = n < 0 ? n : symlinkat(buf, w.fd, w.name) < 0 ? -errno : 0;
        } else {
            struct hx_walk old;
            r = hx_walk(vm, req->path2, (req->arg & AT_SYMLINK_FOLLOW) != 0, &old);
            if (!r && old.m != w.m)
                r = -EXDEV;
            if (!r)
                r = linkat(old.fd, old.name, w.fd, w.name, old.name[0] ? 0 : AT_EMPTY_PATH) < 0
                        ? -errno
                        : 0;
            if (old.fd >= 0)
                hx_walk_done(&old);
        }
        hx_walk_done(&w);
        return r;
    }
    /* Changes to an existing file. */
    int nofollow = (req->at_flags & AT_SYMLINK_NOFOLLOW) != 0;
    if ((r = hx_walk(vm, req->path, !nofollow, &w)))
        return r;
    if (w.m->ro) {
        hx_walk_done(&w);
        return -EROFS;
    }
    struct timespec ts[2], *tp;
    int at = AT_SYMLINK_NOFOLLOW | (w.name[0] ? 0 : AT_EMPTY_PATH);
    switch (req->op) {
    case HX_PATH_CHMOD:
        /* Never follow a final symlink here (the walk did when asked):
         * Linux cannot change a symlink's mode either (EOPNOTSUPP). */
        if (w.name[0]) {
            r = fchmodat(w.fd, w.name, (mode_t)req->arg, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        } else {
            snprintf(buf, sizeof(buf), "/proc/self/fd/%d", w.fd);
            r = chmod(buf, (mode_t)req->arg) < 0 ? -errno : 0;
        }
        break;
    case HX_PATH_CHOWN:
        r = fchownat(w.fd, w.name, (uid_t)req->arg, (gid_t)(req->arg >> 32), at) < 0 ? -errno : 0;
        break;
    case HX_PATH_UTIMENS:
        r = guest_times(vm, req->arg, ts, &tp);
        if (!r)
            r = utimensat(w.fd, w.name[0] ? w.name : "", tp, at) < 0 ? -errno : 0;
        break;
    case HX_PATH_TRUNCATE: {
        /* Only regular files, and never wait (a FIFO would block). */
        struct stat st;
        if (fstatat(w.fd, w.name, &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0) {
            r = -errno;
            break;
        }
        if (!S_ISREG(st.st_mode)) {
            r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
            break;
        }
        long fd = hx_walk_open(&w, O_WRONLY | O_NONBLOCK, 0);
        r = fd < 0 ? fd : ftruncate((int)fd, (off_t)req->arg) < 0 ? -errno : 0;
        if (fd >= 0)
            close((int)fd);
        break;
    }
    default:
        r = -EINVAL;
    }
    hx_walk_done(&w);
    return r;
}

int64_t hx_hc_fdop(struct hx_vm *vm, const struct hx_hc_fdop_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    int fd = (int)req->hostfd;
    struct timespec ts[2], *tp;
    struct flock fl;
    long r;
    /* Files of read-only mounts and the console keep their attributes. */
    int ro = vm->hostfd_owned[req->hostfd] == HX_FD_OWNED_RO;
    if (req->op == HX_FD_LINK) {
        /* linkat of /proc/self/fd/N: the same through the monitor's fd,
         * within the mount the file was opened through (EXDEV otherwise,
         * as Linux answers a link across mounts; a read-only mount's file
         * linked into a writable one could be written there). */
        struct hx_walk w;
        int slash;
        char self[64];
        r = walk_name_ro(vm, req->arg, &w, &slash, 0);
        if (r)
            return r == -EBUSY ? -EEXIST : r;
        if (hx_mount_by_id(vm->hostfd_mount[fd]) != w.m)
            r = -EXDEV;
        else if (w.m->ro)
            r = -EROFS;
        else {
            snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
            r = linkat(AT_FDCWD, self, w.fd, w.name, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
        }
        hx_walk_done(&w);
        return r;
    }
    if (ro && (req->op == HX_FD_CHMOD || req->op == HX_FD_CHOWN || req->op == HX_FD_UTIMENS ||
               req->op == HX_FD_FALLOCATE))
        return -EROFS;
    switch (req->op) {
    case HX_FD_CHMOD:
        return fchmod(fd, (mode_t)req->arg) < 0 ? -errno : 0;
    case HX_FD_CHOWN:
        return fchown(fd, (uid_t)req->arg, (gid_t)req->arg2) < 0 ? -errno : 0;
    case HX_FD_UTIMENS:
        r = guest_times(vm, req->arg, ts, &tp);
        return r ? r : futimens(fd, tp) < 0 ? -errno : 0;
    case HX_FD_FALLOCATE:
        /* As Linux: a negative offset or an empty range is invalid, and a
         * range past the largest offset too big. */
        if ((int64_t)req->arg2 < 0 || (int64_t)req->arg3 <= 0)
            return -EINVAL;
        if (req->arg2 + req->arg3 > (uint64_t)INT64_MAX)
            return -EFBIG;
        return fallocate(fd, (int)req->arg, (off_t)req->arg2, (off_t)req->arg3) < 0 ? -errno : 0;
    case HX_FD_FLOCK:
        /* Never block the monitor: a lock held elsewhere is reported
         * busy (the guest has one thread; LOCK_NB semantics). */
        if (flock(fd, (int)req->arg | LOCK_NB) < 0)
            return -errno;
        return 0;
    case HX_FD_LOCK: {
        int cmd = (int)req->arg;
        if (cmd != F_GETLK && cmd != F_SETLK && cmd != F_SETLKW && cmd != F_OFD_GETLK &&
            cmd != F_OFD_SETLK && cmd != F_OFD_SETLKW)
            return -EINVAL;
        if (cmd == F_SETLKW)
            cmd = F_SETLK;
        if (cmd == F_OFD_SETLKW)
            cmd = F_OFD_SETLK;
        if (hx_copy_from_guest(&vm->g, &fl, req->arg2, sizeof(fl)))
            return -EFAULT;
        if (fcntl(fd, cmd, &fl) < 0)
            return -errno;
        return hx_copy_to_guest(&vm->g, req->arg2, &fl, sizeof(fl));
    }
    }
    return -EINVAL;
}

/* Where an open directory is now, as the guest names it: it follows renames
 * and says ENOENT once the directory is gone (the guest's cwd). */
int64_t hx_hc_fdpath(struct hx_vm *vm, const struct hx_hc_fdpath_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    char link[64], host[4096], guest[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", (int)req->hostfd);
    ssize_t n = readlink(link, host, sizeof(host) - 1);
    if (n < 0)
        return -errno;
    host[n] = 0;
    struct stat st;
    if (fstat((int)req->hostfd, &st) < 0 || st.st_nlink == 0)
        return -ENOENT; /* removed */
    if (hx_guest_path_of(host, guest, sizeof(guest)))
        return -ENOENT; /* moved out of every mount */
    size_t len = strlen(guest) + 1;
    if (len > req->size)
        return -ERANGE;
    return hx_copy_to_guest(&vm->g, req->buf, guest, len) ? -EFAULT : (int64_t)len;
}
