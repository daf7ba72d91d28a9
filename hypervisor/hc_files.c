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
    if (fd < 0)
        return (int)fd;
    if (fd >= HX_MAX_HOSTFDS) {
        close((int)fd);
        return -EMFILE;
    }
    vm->hostfd_owned[fd] = m->ro ? HX_FD_OWNED_RO : HX_FD_OWNED;
    vm->hostfd_mount[fd] = m->id;
    return (int)fd;
}

#define RESOLVE_MASK 0x1f /* RESOLVE_NO_XDEV ... RESOLVE_IN_ROOT */

int64_t hx_hc_open(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct hx_walk w;
    int flags = (int)a[1] & ~(O_CLOEXEC | O_NOCTTY | O_ASYNC);
    if (a[3] & ~(uint64_t)RESOLVE_MASK)
        return -EINVAL;
    /* O_EXCL with O_CREAT never follows a final symlink: it exists. */
    int follow = !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL);
    long r;
    if (a[4] && (a[3] & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))) {
        /* openat2 below the directory at a[0], by the same confined walk
         * (never the host's own resolution, which knows no mounts). */
        char rel[4096];
        long n = hx_copy_str_from_guest(&vm->g, rel, a[4], sizeof(rel));
        if (n < 0)
            return n;
        if ((a[3] & RESOLVE_BENEATH) && (a[3] & RESOLVE_IN_ROOT))
            return -EINVAL;
        if (!rel[0])
            return -ENOENT;
        r = hx_walk_beneath(vm, a[0], rel, follow, a[3], &w);
    } else {
        r = hx_walk_flags(vm, a[0], follow, (a[3] & RESOLVE_NO_SYMLINKS) != 0, &w);
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
        r = own(vm, hx_fastcall_reopen(hx_walk_open(&w, flags, (unsigned)a[2] & 07777), flags),
                w.m);
    hx_walk_done(&w);
    return r;
}

int64_t hx_hc_close(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    if (a[0] <= 2)
        return 0; /* the console stays open for hxrun's own messages */
    vm->hostfd_owned[a[0]] = 0;
    vm->hostfd_mount[a[0]] = 0;
    /* The fd is gone whatever close says; a socket's linger cut short by
     * a host signal is no error (Linux's close returns 0 then too). */
    return close((int)a[0]) < 0 && errno != EINTR ? -errno : 0;
}

int64_t hx_hc_lseek(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    off_t r = lseek((int)a[0], (off_t)a[1], (int)a[2]);
    return r < 0 ? -errno : r;
}

int64_t hx_hc_fstat(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct stat st;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    if (fstat((int)a[0], &st) < 0)
        return -errno;
    return hx_copy_to_guest(&vm->g, a[1], &st, sizeof(st));
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

int64_t hx_hc_stat(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct stat st;
    long r = walk_stat(vm, a[0], a[2], &st);
    return r ? r : hx_copy_to_guest(&vm->g, a[1], &st, sizeof(st));
}

int64_t hx_hc_statx(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct statx sx;
    int sync = (int)(a[2] & AT_STATX_SYNC_TYPE);
    if (a[1]) {
        struct hx_walk w;
        long r = hx_walk(vm, a[1], !(a[2] & AT_SYMLINK_NOFOLLOW), &w);
        if (!r && statx(w.fd, w.name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | sync, (unsigned)a[3],
                        &sx) < 0)
            r = -errno;
        hx_walk_done(&w);
        if (r)
            return r;
    } else {
        if (!hx_hostfd_ok(vm, a[0]))
            return -EBADF;
        if (statx((int)a[0], "", AT_EMPTY_PATH | sync, (unsigned)a[3], &sx) < 0)
            return -errno;
    }
    return hx_copy_to_guest(&vm->g, a[4], &sx, sizeof(sx));
}

int64_t hx_hc_ftruncate(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    if ((int64_t)a[1] < 0)
        return -EINVAL;
    return ftruncate((int)a[0], (off_t)a[1]) < 0 ? -errno : 0;
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

int64_t hx_hc_unlink(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct hx_walk w;
    int slash;
    long r = walk_name(vm, a[0], &w, &slash);
    if (r)
        return r;
    struct stat st;
    if (slash && !(a[1] & AT_REMOVEDIR))
        /* unlink("x/"): Linux looks at x itself. */
        r = fstatat(w.fd, w.name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno
            : S_ISDIR(st.st_mode)                               ? -EISDIR
                                                                : -ENOTDIR;
    else
        r = unlinkat(w.fd, w.name, (int)(a[1] & AT_REMOVEDIR)) < 0 ? -errno : 0;
    hx_walk_done(&w);
    return r;
}

int64_t hx_hc_access(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct hx_walk w;
    long r = hx_walk(vm, a[0], !(a[2] & AT_SYMLINK_NOFOLLOW), &w);
    if (r)
        return r;
    int flags = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | (int)(a[2] & AT_EACCESS);
    r = syscall(SYS_faccessat2, w.fd, w.name, (int)a[1], flags) < 0 ? -errno : 0;
    if (r == 0 && (a[1] & W_OK) && w.m->ro)
        r = -EROFS;
    hx_walk_done(&w);
    return r;
}

int64_t hx_hc_readlink(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct hx_walk w;
    long r = hx_walk(vm, a[0], 0, &w);
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
    uint64_t len = (uint64_t)n < a[2] ? (uint64_t)n : a[2];
    return hx_copy_to_guest(&vm->g, a[1], buf, len) ? -EFAULT : (int64_t)len;
}

int64_t hx_hc_fsync(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    return (a[1] ? fdatasync((int)a[0]) : fsync((int)a[0])) < 0 ? -errno : 0;
}

/* Both names must live in the same mount, as on Linux, where a rename
 * never crosses one (EXDEV). */
int64_t hx_hc_rename(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct hx_walk from, to;
    int fslash, tslash;
    long r = walk_name_ro(vm, a[0], &from, &fslash, 0);
    if (r)
        return r;
    r = walk_name_ro(vm, a[1], &to, &tslash, 0);
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
        r = renameat2(from.fd, from.name, to.fd, to.name, (unsigned)a[2]) < 0 ? -errno : 0;
    hx_walk_done(&from);
    hx_walk_done(&to);
    return r;
}

int64_t hx_hc_getdents(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    char buf[32768];
    size_t len = a[2] < sizeof(buf) ? (size_t)a[2] : sizeof(buf);
    long n = syscall(SYS_getdents64, (int)a[0], buf, len);
    if (n < 0)
        return -errno;
    if (hx_copy_to_guest(&vm->g, a[1], buf, (uint64_t)n))
        return -EFAULT;
    return n;
}

int64_t hx_hc_statfs(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct statfs st;
    int ro = 0;
    if (a[1]) {
        struct hx_walk w;
        long r = hx_walk(vm, a[1], 1, &w);
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
        if (!hx_hostfd_ok(vm, a[0]))
            return -EBADF;
        if (fstatfs((int)a[0], &st) < 0)
            return -errno;
    }
    /* A read-only mount says so, as a read-only bind mount does on Linux. */
    if (ro)
        st.f_flags |= ST_RDONLY;
    return hx_copy_to_guest(&vm->g, a[2], &st, sizeof(st));
}

int64_t hx_hc_copy_range(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]) || !hx_hostfd_ok(vm, a[2]))
        return -EBADF;
    off_t in, out;
    if ((a[1] && hx_copy_from_guest(&vm->g, &in, a[1], sizeof(in))) ||
        (a[3] && hx_copy_from_guest(&vm->g, &out, a[3], sizeof(out))))
        return -EFAULT;
    uint64_t len = a[4];
    if (len > HX_MAX_COPY) {
        /* Linux refuses a length that wraps a position before it copies
         * anything; the shorter length must not hide that. */
        off_t pin = a[1] ? in : lseek((int)a[0], 0, SEEK_CUR);
        off_t pout = a[3] ? out : lseek((int)a[2], 0, SEEK_CUR);
        if ((pin >= 0 && (uint64_t)pin + len < (uint64_t)pin) ||
            (pout >= 0 && (uint64_t)pout + len < (uint64_t)pout))
            return -EOVERFLOW;
        len = HX_MAX_COPY;
    }
    ssize_t n =
        copy_file_range((int)a[0], a[1] ? &in : NULL, (int)a[2], a[3] ? &out : NULL, len, 0);
    if (n < 0)
        return -errno;
    if ((a[1] && hx_copy_to_guest(&vm->g, a[1], &in, sizeof(in))) ||
        (a[3] && hx_copy_to_guest(&vm->g, a[3], &out, sizeof(out))))
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

int64_t hx_hc_pathop(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    struct hx_walk w;
    int slash;
    long r;
    char buf[4096];
    switch (a[0]) {
    case HX_PATH_MKDIR:
    case HX_PATH_SYMLINK:
    case HX_PATH_LINK:
        /* Creations: the last component is made in its walked parent. */
        if ((r = walk_name(vm, a[1], &w, &slash)))
            return r == -EBUSY ? -EEXIST : r;
        if (a[0] == HX_PATH_MKDIR) {
            r = mkdirat(w.fd, w.name, (mode_t)a[3]) < 0 ? -errno : 0;
        } else if (a[0] == HX_PATH_SYMLINK) {
            long n = hx_copy_str_from_guest(&vm->g, buf, a[2], sizeof(buf));
            r = n < 0 ? n : symlinkat(buf, w.fd, w.name) < 0 ? -errno : 0;
        } else {
            struct hx_walk old;
            r = hx_walk(vm, a[2], (a[3] & AT_SYMLINK_FOLLOW) != 0, &old);
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
    int nofollow = (a[4] & AT_SYMLINK_NOFOLLOW) != 0;
    if ((r = hx_walk(vm, a[1], !nofollow, &w)))
        return r;
    if (w.m->ro) {
        hx_walk_done(&w);
        return -EROFS;
    }
    struct timespec ts[2], *tp;
    int at = AT_SYMLINK_NOFOLLOW | (w.name[0] ? 0 : AT_EMPTY_PATH);
    switch (a[0]) {
    case HX_PATH_CHMOD:
        /* Never follow a final symlink here (the walk did when asked):
         * Linux cannot change a symlink's mode either (EOPNOTSUPP). */
        if (w.name[0]) {
            r = fchmodat(w.fd, w.name, (mode_t)a[3], AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        } else {
            snprintf(buf, sizeof(buf), "/proc/self/fd/%d", w.fd);
            r = chmod(buf, (mode_t)a[3]) < 0 ? -errno : 0;
        }
        break;
    case HX_PATH_CHOWN:
        r = fchownat(w.fd, w.name, (uid_t)a[3], (gid_t)(a[3] >> 32), at) < 0 ? -errno : 0;
        break;
    case HX_PATH_UTIMENS:
        r = guest_times(vm, a[3], ts, &tp);
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
        r = fd < 0 ? fd : ftruncate((int)fd, (off_t)a[3]) < 0 ? -errno : 0;
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

int64_t hx_hc_fdop(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[1]))
        return -EBADF;
    int fd = (int)a[1];
    struct timespec ts[2], *tp;
    struct flock fl;
    long r;
    /* Files of read-only mounts and the console keep their attributes. */
    int ro = vm->hostfd_owned[a[1]] == HX_FD_OWNED_RO;
    if (a[0] == HX_FD_LINK) {
        /* linkat of /proc/self/fd/N: the same through the monitor's fd,
         * within the mount the file was opened through (EXDEV otherwise,
         * as Linux answers a link across mounts; a read-only mount's file
         * linked into a writable one could be written there). */
        struct hx_walk w;
        int slash;
        char self[64];
        r = walk_name_ro(vm, a[2], &w, &slash, 0);
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
    if (ro && (a[0] == HX_FD_CHMOD || a[0] == HX_FD_CHOWN || a[0] == HX_FD_UTIMENS ||
               a[0] == HX_FD_FALLOCATE))
        return -EROFS;
    switch (a[0]) {
    case HX_FD_CHMOD:
        return fchmod(fd, (mode_t)a[2]) < 0 ? -errno : 0;
    case HX_FD_CHOWN:
        return fchown(fd, (uid_t)a[2], (gid_t)a[3]) < 0 ? -errno : 0;
    case HX_FD_UTIMENS:
        r = guest_times(vm, a[2], ts, &tp);
        return r ? r : futimens(fd, tp) < 0 ? -errno : 0;
    case HX_FD_FALLOCATE:
        /* As Linux: a negative offset or an empty range is invalid, and a
         * range past the largest offset too big. */
        if ((int64_t)a[3] < 0 || (int64_t)a[4] <= 0)
            return -EINVAL;
        if (a[3] + a[4] > (uint64_t)INT64_MAX)
            return -EFBIG;
        return fallocate(fd, (int)a[2], (off_t)a[3], (off_t)a[4]) < 0 ? -errno : 0;
    case HX_FD_FLOCK:
        /* Never block the monitor: a lock held elsewhere is reported
         * busy (the guest has one thread; LOCK_NB semantics). */
        if (flock(fd, (int)a[2] | LOCK_NB) < 0)
            return -errno;
        return 0;
    case HX_FD_LOCK: {
        int cmd = (int)a[2];
        if (cmd != F_GETLK && cmd != F_SETLK && cmd != F_SETLKW && cmd != F_OFD_GETLK &&
            cmd != F_OFD_SETLK && cmd != F_OFD_SETLKW)
            return -EINVAL;
        if (cmd == F_SETLKW)
            cmd = F_SETLK;
        if (cmd == F_OFD_SETLKW)
            cmd = F_OFD_SETLK;
        if (hx_copy_from_guest(&vm->g, &fl, a[3], sizeof(fl)))
            return -EFAULT;
        if (fcntl(fd, cmd, &fl) < 0)
            return -errno;
        return hx_copy_to_guest(&vm->g, a[3], &fl, sizeof(fl));
    }
    }
    return -EINVAL;
}

/* Where an open directory is now, as the guest names it: it follows renames
 * and says ENOENT once the directory is gone (the guest's cwd). */
int64_t hx_hc_fdpath(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    char link[64], host[4096], guest[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", (int)a[0]);
    ssize_t n = readlink(link, host, sizeof(host) - 1);
    if (n < 0)
        return -errno;
    host[n] = 0;
    struct stat st;
    if (fstat((int)a[0], &st) < 0 || st.st_nlink == 0)
        return -ENOENT; /* removed */
    if (hx_guest_path_of(host, guest, sizeof(guest)))
        return -ENOENT; /* moved out of every mount */
    size_t len = strlen(guest) + 1;
    if (len > a[2])
        return -ERANGE;
    return hx_copy_to_guest(&vm->g, a[1], guest, len) ? -EFAULT : (int64_t)len;
}
