/* hostfs: guest paths resolved on the host beneath a mount. The kernel sends
 * absolute, lexically normalised guest paths; the longest mount prefix
 * picks a host directory, and openat2(RESOLVE_IN_ROOT) keeps `..` and
 * symlinks inside it. Default mounts (DESIGN.md section 5): the host root
 * read-only and the current directory read-write. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hcall.h"

struct mount {
    char guest[4096];
    size_t len;
    int dirfd; /* O_PATH: the mounted directory, or the mounted file */
    int ro;
    int file; /* a single file (the program and its loader, --no-host-root) */
};

static struct mount mounts[HX_MAX_MOUNTS];
static int nmounts;

/* Normalises an absolute guest path lexically into out ("/a/b"). */
static int normalise(const char *in, char *out, size_t size)
{
    size_t n = 0;
    if (in[0] != '/')
        return -1;
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        const char *c = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - c);
        if (!len || (len == 1 && c[0] == '.'))
            continue;
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            while (n && out[n - 1] != '/')
                n--;
            if (n)
                n--;
            continue;
        }
        if (n + 1 + len + 1 > size)
            return -1;
        out[n++] = '/';
        memcpy(out + n, c, len);
        n += len;
    }
    if (!n)
        out[n++] = '/';
    out[n] = 0;
    return 0;
}

static int add_mount(struct hx_vm *vm, const char *guest, const char *host, int ro)
{
    if (nmounts == HX_MAX_MOUNTS) {
        fprintf(stderr, "hxrun: too many mounts (at most %d)\n", HX_MAX_MOUNTS);
        return -1;
    }
    struct mount *m = &mounts[nmounts];
    if (normalise(guest, m->guest, sizeof(m->guest))) {
        fprintf(stderr, "hxrun: mount point '%s' must be an absolute path\n", guest);
        return -1;
    }
    int fd = open(host, O_PATH | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "hxrun: cannot mount %s: %s\n", host, strerror(errno));
        return -1;
    }
    m->len = strcmp(m->guest, "/") ? strlen(m->guest) : 0;
    m->dirfd = fd;
    m->ro = ro;
    m->file = !S_ISDIR(st.st_mode);
    struct hx_boot_info *b = vm->boot;
    if (strlen(m->guest) < sizeof(b->host_mounts[0]) && m->len)
        strcpy(b->host_mounts[b->nhost_mounts++], m->guest);
    nmounts++;
    return 0;
}

int hx_hostfs_init(struct hx_vm *vm)
{
    const struct hx_options *o = vm->opt;
    if (!o->no_host_root) {
        /* The host root read-only (libraries, /etc), the current directory
         * read-write. */
        if (add_mount(vm, "/", "/", 1) || add_mount(vm, vm->boot->cwd, vm->boot->cwd, 0))
            return 125;
    } else {
        /* Only what the program needs to start: itself and its loader,
         * read-only; its libraries come from the library directories. */
        static const char *const libdirs[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                              "/etc/ld.so.cache"};
        if (add_mount(vm, vm->boot->exe, vm->boot->exe, 1))
            return 125;
        if (vm->interp[0]) {
            if (add_mount(vm, vm->interp, vm->interp, 1))
                return 125;
            for (size_t i = 0; i < sizeof(libdirs) / sizeof(libdirs[0]); i++)
                if (access(libdirs[i], F_OK) == 0 && add_mount(vm, libdirs[i], libdirs[i], 1))
                    return 125;
        }
    }
    for (int i = 0; i < o->nvolumes; i++)
        if (add_mount(vm, o->volumes[i].guest, o->volumes[i].host, o->volumes[i].ro))
            return 125;
    return 0;
}

/* Finds the mount for an absolute guest path; *rest is the path inside it. */
static const struct mount *lookup(const char *path, const char **rest)
{
    const struct mount *best = NULL;
    for (int i = 0; i < nmounts; i++) {
        const struct mount *m = &mounts[i];
        if (strncmp(path, m->guest, m->len) == 0 && (path[m->len] == '/' || !path[m->len]) &&
            (!best || m->len > best->len))
            best = m;
    }
    if (!best)
        return NULL;
    const char *r = path + best->len;
    while (*r == '/')
        r++;
    *rest = *r ? r : ".";
    return best;
}

static long host_open(const struct mount *m, const char *rest, uint64_t flags, uint64_t mode)
{
    if (m->file) {
        /* A file mount has no inside: reopen the mounted file itself. */
        if (strcmp(rest, "."))
            return -ENOTDIR;
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", m->dirfd);
        int fd = open(self, (int)(flags & ~(uint64_t)(O_CREAT | O_EXCL | O_DIRECTORY)) | O_CLOEXEC |
                                O_NOCTTY);
        return fd < 0 ? -errno : fd;
    }
    /* openat2 is strict: O_PATH admits only O_DIRECTORY and O_NOFOLLOW. */
    uint64_t extra = (flags & O_PATH) ? O_CLOEXEC : O_CLOEXEC | O_NOCTTY;
    struct open_how how = {.flags = flags | extra,
                           .mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode & 07777 : 0,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    long fd = syscall(SYS_openat2, m->dirfd, rest, &how, sizeof(how));
    return fd < 0 ? -errno : fd;
}

static long guest_path(struct hx_vm *vm, uint64_t gva, char *buf, const struct mount **m,
                       const char **rest)
{
    long n = hx_copy_str_from_guest(&vm->g, buf, gva, 4096);
    if (n < 0)
        return n;
    if (buf[0] != '/')
        return -EINVAL; /* the kernel always sends absolute paths */
    *m = lookup(buf, rest);
    return *m ? 0 : -ENOENT;
}

static int own(struct hx_vm *vm, long fd)
{
    if (fd < 0)
        return (int)fd;
    if (fd >= HX_MAX_HOSTFDS) {
        close((int)fd);
        return -EMFILE;
    }
    vm->hostfd_owned[fd] = 1;
    return (int)fd;
}

int64_t hx_hc_open(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    char path[4096];
    const struct mount *m;
    const char *rest;
    long r = guest_path(vm, a[0], path, &m, &rest);
    if (r)
        return r;
    uint64_t flags = a[1] & ~(uint64_t)(O_CLOEXEC | O_NOCTTY | O_ASYNC);
    if (m->ro) {
        if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | __O_TMPFILE)) == O_TRUNC ||
            (flags & __O_TMPFILE) == __O_TMPFILE)
            return -EROFS;
        if (flags & O_CREAT) {
            /* Linux refuses only the creation itself on a read-only mount. */
            r = host_open(m, rest, flags & ~(uint64_t)(O_CREAT | O_EXCL), 0);
            if (r == -ENOENT)
                return -EROFS;
            if (r >= 0 && (flags & O_EXCL)) {
                close((int)r);
                return -EEXIST;
            }
            return own(vm, r);
        }
    }
    return own(vm, host_open(m, rest, flags, a[2]));
}

int64_t hx_hc_close(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    if (a[0] <= 2)
        return 0; /* the console stays open for hxrun's own messages */
    vm->hostfd_owned[a[0]] = 0;
    return close((int)a[0]) < 0 ? -errno : 0;
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

/* Opens a path for inspection only (O_PATH), following the last symlink
 * unless AT_SYMLINK_NOFOLLOW. */
static long path_fd(struct hx_vm *vm, uint64_t gva, uint64_t at_flags)
{
    char path[4096];
    const struct mount *m;
    const char *rest;
    long r = guest_path(vm, gva, path, &m, &rest);
    if (r)
        return r;
    return host_open(m, rest, O_PATH | ((at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
}

int64_t hx_hc_stat(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    long fd = path_fd(vm, a[0], a[2]);
    if (fd < 0)
        return fd;
    struct stat st;
    int r = fstatat((int)fd, "", &st, AT_EMPTY_PATH);
    int err = errno;
    close((int)fd);
    if (r < 0)
        return -err;
    return hx_copy_to_guest(&vm->g, a[1], &st, sizeof(st));
}

int64_t hx_hc_statx(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    long fd;
    int mine = 0;
    if (a[1]) {
        fd = path_fd(vm, a[1], a[2]);
        if (fd < 0)
            return fd;
        mine = 1;
    } else {
        if (!hx_hostfd_ok(vm, a[0]))
            return -EBADF;
        fd = (long)a[0];
    }
    struct statx sx;
    int flags = AT_EMPTY_PATH | (int)(a[2] & AT_STATX_SYNC_TYPE);
    int r = statx((int)fd, "", flags, (unsigned)a[3], &sx);
    int err = errno;
    if (mine)
        close((int)fd);
    if (r < 0)
        return -err;
    return hx_copy_to_guest(&vm->g, a[4], &sx, sizeof(sx));
}

int64_t hx_hc_ftruncate(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    return ftruncate((int)a[0], (off_t)a[1]) < 0 ? -errno : 0;
}

/* Splits "dir/name" into an O_PATH fd of dir (inside the mount) and name. */
static long parent_fd(const struct mount *m, char *rest, const char **name)
{
    char *slash = strrchr(rest, '/');
    if (!slash) {
        *name = rest;
        return host_open(m, ".", O_PATH | O_DIRECTORY, 0);
    }
    *slash = 0;
    *name = slash + 1;
    return host_open(m, rest, O_PATH | O_DIRECTORY, 0);
}

int64_t hx_hc_unlink(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    char path[4096];
    const struct mount *m;
    const char *rest;
    long r = guest_path(vm, a[0], path, &m, &rest);
    if (r)
        return r;
    if (!strcmp(rest, "."))
        return -EBUSY;
    if (m->ro)
        return -EROFS;
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", rest);
    const char *name;
    long dfd = parent_fd(m, buf, &name);
    if (dfd < 0)
        return dfd;
    r = unlinkat((int)dfd, name, (int)(a[1] & AT_REMOVEDIR)) < 0 ? -errno : 0;
    close((int)dfd);
    return r;
}

int64_t hx_hc_access(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    char path[4096];
    const struct mount *m;
    const char *rest;
    long r = guest_path(vm, a[0], path, &m, &rest);
    if (r)
        return r;
    long fd = host_open(m, rest, O_PATH | ((a[2] & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
    if (fd < 0)
        return fd;
    r = faccessat((int)fd, "", (int)a[1], AT_EMPTY_PATH | (int)(a[2] & AT_EACCESS)) < 0 ? -errno
                                                                                        : 0;
    close((int)fd);
    if (r == 0 && (a[1] & W_OK) && m->ro)
        return -EROFS;
    return r;
}

int64_t hx_hc_readlink(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    long fd = path_fd(vm, a[0], AT_SYMLINK_NOFOLLOW);
    if (fd < 0)
        return fd;
    char buf[4096];
    ssize_t n = readlinkat((int)fd, "", buf, sizeof(buf));
    int err = errno;
    close((int)fd);
    if (n < 0)
        return -err;
    uint64_t len = (uint64_t)n < a[2] ? (uint64_t)n : a[2];
    if (hx_copy_to_guest(&vm->g, a[1], buf, len))
        return -EFAULT;
    return (int64_t)len;
}

int64_t hx_hc_fsync(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    return (a[1] ? fdatasync((int)a[0]) : fsync((int)a[0])) < 0 ? -errno : 0;
}

/* Both names must live in the same read-write mount, as on Linux, where a
 * rename never crosses a mount (EXDEV). */
int64_t hx_hc_rename(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    char from[4096], to[4096], fbuf[4096], tbuf[4096];
    const struct mount *fm, *tm;
    const char *frest, *trest, *fname, *tname;
    long r = guest_path(vm, a[0], from, &fm, &frest);
    if (!r)
        r = guest_path(vm, a[1], to, &tm, &trest);
    if (r)
        return r;
    if (fm != tm)
        return -EXDEV;
    if (fm->ro)
        return -EROFS;
    if (!strcmp(frest, ".") || !strcmp(trest, "."))
        return -EBUSY;
    snprintf(fbuf, sizeof(fbuf), "%s", frest);
    snprintf(tbuf, sizeof(tbuf), "%s", trest);
    long fd = parent_fd(fm, fbuf, &fname);
    if (fd < 0)
        return fd;
    long td = parent_fd(tm, tbuf, &tname);
    if (td < 0) {
        close((int)fd);
        return td;
    }
    r = renameat2((int)fd, fname, (int)td, tname, (unsigned)a[2]) < 0 ? -errno : 0;
    close((int)fd);
    close((int)td);
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
    int ro = 0, r;
    if (a[1]) {
        char path[4096];
        const struct mount *m;
        const char *rest;
        long e = guest_path(vm, a[1], path, &m, &rest);
        if (e)
            return e;
        long fd = host_open(m, rest, O_PATH, 0);
        if (fd < 0)
            return fd;
        r = fstatfs((int)fd, &st);
        int err = errno;
        close((int)fd);
        if (r < 0)
            return -err;
        ro = m->ro;
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
    ssize_t n =
        copy_file_range((int)a[0], a[1] ? &in : NULL, (int)a[2], a[3] ? &out : NULL, a[4], 0);
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
    char path[4096], buf[4096];
    const struct mount *m;
    const char *rest, *name;
    long r = guest_path(vm, a[1], path, &m, &rest);
    if (r)
        return r;
    if (m->ro)
        return -EROFS;
    int nofollow = (a[4] & AT_SYMLINK_NOFOLLOW) != 0;
    switch (a[0]) {
    case HX_PATH_MKDIR:
    case HX_PATH_SYMLINK:
    case HX_PATH_LINK: {
        /* Creations: resolve the parent beneath the mount, create the last
         * component there. */
        if (!strcmp(rest, "."))
            return -EEXIST;
        snprintf(buf, sizeof(buf), "%s", rest);
        long dfd = parent_fd(m, buf, &name);
        if (dfd < 0)
            return dfd;
        if (a[0] == HX_PATH_MKDIR) {
            r = mkdirat((int)dfd, name, (mode_t)a[3]) < 0 ? -errno : 0;
        } else if (a[0] == HX_PATH_SYMLINK) {
            char target[4096];
            long n = hx_copy_str_from_guest(&vm->g, target, a[2], sizeof(target));
            r = n < 0 ? n : symlinkat(target, (int)dfd, name) < 0 ? -errno : 0;
        } else {
            char old[4096];
            const struct mount *om;
            const char *orest;
            r = guest_path(vm, a[2], old, &om, &orest);
            if (!r && om != m)
                r = -EXDEV;
            if (!r) {
                long ofd = host_open(om, orest, O_PATH | O_NOFOLLOW, 0);
                r = ofd < 0                                                   ? ofd
                    : linkat((int)ofd, "", (int)dfd, name, AT_EMPTY_PATH) < 0 ? -errno
                                                                              : 0;
                if (ofd >= 0)
                    close((int)ofd);
            }
        }
        close((int)dfd);
        return r;
    }
    }
    /* Changes to an existing file: act on a handle opened beneath the
     * mount (O_PATH where the call accepts one). */
    long fd = host_open(m, rest, O_PATH | (nofollow ? O_NOFOLLOW : 0), 0);
    if (fd < 0)
        return fd;
    struct timespec ts[2], *tp;
    switch (a[0]) {
    case HX_PATH_CHMOD:
        /* fchmodat cannot change a symlink; Linux says EOPNOTSUPP too. */
        r = fchmodat((int)fd, "", (mode_t)a[3], AT_EMPTY_PATH) < 0 ? -errno : 0;
        if (r == -ENOENT || r == -EINVAL) {
            snprintf(buf, sizeof(buf), "/proc/self/fd/%ld", fd);
            r = chmod(buf, (mode_t)a[3]) < 0 ? -errno : 0;
        }
        break;
    case HX_PATH_CHOWN:
        r = fchownat((int)fd, "", (uid_t)a[3], (gid_t)(a[3] >> 32), AT_EMPTY_PATH) < 0 ? -errno : 0;
        break;
    case HX_PATH_UTIMENS:
        r = guest_times(vm, a[3], ts, &tp);
        if (!r)
            r = utimensat((int)fd, "", tp, AT_EMPTY_PATH) < 0 ? -errno : 0;
        if (r == -EINVAL || r == -ENOENT) {
            /* Older kernels refuse AT_EMPTY_PATH here: go through the fd. */
            snprintf(buf, sizeof(buf), "/proc/self/fd/%ld", fd);
            r = utimensat(AT_FDCWD, buf, tp, 0) < 0 ? -errno : 0;
        }
        break;
    case HX_PATH_TRUNCATE: {
        long wfd = host_open(m, rest, O_WRONLY, 0);
        r = wfd < 0 ? wfd : ftruncate((int)wfd, (off_t)a[3]) < 0 ? -errno : 0;
        if (wfd >= 0)
            close((int)wfd);
        break;
    }
    default:
        r = -EINVAL;
    }
    close((int)fd);
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
    switch (a[0]) {
    case HX_FD_CHMOD:
        return fchmod(fd, (mode_t)a[2]) < 0 ? -errno : 0;
    case HX_FD_CHOWN:
        return fchown(fd, (uid_t)a[2], (gid_t)a[3]) < 0 ? -errno : 0;
    case HX_FD_UTIMENS:
        r = guest_times(vm, a[2], ts, &tp);
        return r ? r : futimens(fd, tp) < 0 ? -errno : 0;
    case HX_FD_FALLOCATE:
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
