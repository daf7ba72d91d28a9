/* Paths: lexical normalisation against the cwd or a directory fd, the
 * mount a path belongs to, and lookup through the guest's own file systems
 * (symlinks in /tmp, /dev and /proc are followed here; the host follows its
 * own beneath each host mount). Also getcwd, chdir, fchdir, umask. */
#include "tmpfs.h"
#include "vfs.h"

#define MAX_HOPS 40 /* Linux's MAXSYMLINKS */

static char cwd[PATH_MAX];

/* The cwd is kept as a path, and pinned as an object (a host O_PATH fd or
 * a minifs node) before the first rename or rmdir that could move or remove
 * it; after one, the path is asked of the pin again. */
static struct {
    int pinned, stale, gone;
    enum mnt mnt;
    long hostfd;
    struct mfs_node *node;
} pin;

/* The path of a /tmp directory, from its parent links. */
static void tmp_path_of(struct mfs_node *n, char *out)
{
    char tail[PATH_MAX] = "";
    while (n != tmpfs.root) {
        struct mfs_dirent *e = n->parent->entries;
        while (e && e->node != n)
            e = e->next;
        if (!e)
            break;
        char part[PATH_MAX];
        ksnprintf(part, sizeof(part), "/%s%s", e->name, tail);
        memcpy(tail, part, sizeof(tail));
        n = n->parent;
    }
    ksnprintf(out, PATH_MAX, "/tmp%s", tail);
}

static void cwd_refresh(void)
{
    if (!pin.stale)
        return;
    pin.stale = 0;
    if (pin.mnt == M_HOST) {
        static char buf[PATH_MAX]; /* scratch (vfs.h): a host call, no wait */
        long r = HC(fdpath, .hostfd = pin.hostfd, .buf = (uint64_t)buf, .size = sizeof(buf));
        if (r == -ENOENT)
            pin.gone = 1;
        else if (r > 0)
            strcpy(cwd, buf);
    } else if (pin.mnt == M_TMP) {
        if (pin.node->nlink == 0)
            pin.gone = 1;
        else
            tmp_path_of(pin.node, cwd);
    }
}

const char *cwd_path(void)
{
    if (!cwd[0])
        memcpy(cwd, boot->cwd, sizeof(cwd));
    cwd_refresh();
    return cwd;
}

static void cwd_unpin(void)
{
    if (pin.pinned && pin.mnt == M_HOST)
        HC(close, .hostfd = pin.hostfd);
    if (pin.pinned && pin.mnt == M_TMP)
        mfs_close(&tmpfs, pin.node);
    memset(&pin, 0, sizeof(pin));
}

void cwd_pin(void)
{
    static struct loc l; /* scratch (vfs.h): lookup and host calls, no wait */
    if (pin.pinned || pin.gone)
        return;
    if (lookup(AT_FDCWD, cwd_path(), 0, 1, &l) == 0) {
        if (l.mnt == M_HOST) {
            long fd = HC(open, .path = (uint64_t)l.path, .flags = O_PATH | O_DIRECTORY, .mode = 0);
            if (fd >= 0) {
                pin.hostfd = fd;
                pin.mnt = M_HOST;
                pin.pinned = 1;
            }
        } else if (l.mnt == M_TMP && l.node) {
            mfs_open(l.node);
            pin.node = l.node;
            pin.mnt = M_TMP;
            pin.pinned = 1;
        }
    }
    loc_done(&l);
}

void cwd_moved(void)
{
    if (pin.pinned)
        pin.stale = 1;
}

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

long path_resolve(int dirfd, const char *upath, int from_user, char *out)
{
    long len = from_user ? user_strlen(upath, PATH_MAX) : (long)strnlen(upath, PATH_MAX);
    if (len == PATH_MAX)
        return -ENAMETOOLONG;
    if (len < 0)
        return len;
    if (len == 0)
        return -ENOENT;
    if (upath[0] == '/') {
        strcpy(out, "/");
    } else if (dirfd == AT_FDCWD) {
        strcpy(out, cwd_path());
        if (pin.gone)
            return -ENOENT; /* the cwd was removed */
    } else {
        struct file *d = fd_get((uint64_t)dirfd);
        if (!d)
            return -EBADF;
        if (!d->ops->dirfd || !d->path[0])
            return -ENOTDIR;
        strcpy(out, d->path);
    }
    return path_join(out, upath);
}

static int under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(path, prefix, n) && (path[n] == 0 || path[n] == '/');
}

/* Whether a host mount lies at or below the guest mount dir and holds
 * path: then the host's mount, being deeper, wins. */
static int host_mount_wins(const char *path, const char *dir)
{
    for (uint32_t i = 0; i < boot->nhost_mounts; i++) {
        const char *m = boot->host_mounts[i];
        if (strlen(m) >= strlen(dir) && under(m, dir) && under(path, m))
            return 1;
    }
    return 0;
}

static enum mnt mount_of(const char *path, const char **rest)
{
    static const struct {
        const char *dir;
        enum mnt mnt;
    } mounts[] = {{"/tmp", M_TMP}, {"/dev", M_DEV}, {"/proc", M_PROC}, {"/sys", M_PROC}};
    for (size_t i = 0; i < ARRAY_SIZE(mounts); i++)
        if (under(path, mounts[i].dir) && !host_mount_wins(path, mounts[i].dir)) {
            *rest = path + strlen(mounts[i].dir);
            while (**rest == '/')
                (*rest)++;
            return mounts[i].mnt;
        }
    *rest = path;
    return M_HOST;
}

/* /dev: devices, and links into /proc/self/fd. */
static long dev_lookup(const char *path, struct loc *l)
{
    static const struct {
        const char *name;
        const struct file_ops *ops;
        const char *link;
    } devs[] = {
        {"null", &dev_null_ops, NULL},       {"zero", &dev_zero_ops, NULL},
        {"full", &dev_full_ops, NULL},       {"random", &dev_random_ops, NULL},
        {"urandom", &dev_urandom_ops, NULL}, {"tty", &dev_tty_ops, NULL},
        {"stdin", NULL, "/proc/self/fd/0"},  {"stdout", NULL, "/proc/self/fd/1"},
        {"stderr", NULL, "/proc/self/fd/2"}, {"fd", NULL, "/proc/self/fd"},
    };
    const char *name = path + 4;
    if (!*name) {
        for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
            gen_put(&l->gen, devs[i].name, strlen(devs[i].name) + 1);
            gen_put(&l->gen, devs[i].link ? "l" : "c", 2);
        }
        /* The run's /dev/shm, a host directory (run_dir.c). */
        if (host_mount_wins("/dev/shm", "/dev"))
            gen_put(&l->gen, "shm\0d", 6);
        return GEN_DIR;
    }
    name++;
    for (size_t i = 0; i < ARRAY_SIZE(devs); i++)
        if (!strcmp(name, devs[i].name)) {
            l->dev = devs[i].ops;
            if (!devs[i].link)
                return GEN_FILE;
            gen_put(&l->gen, devs[i].link, strlen(devs[i].link));
            return GEN_LINK;
        }
    return -ENOENT;
}

long lookup_again(struct loc *l, int follow)
{
    static char again[PATH_MAX]; /* scratch (vfs.h): lookup copies it first */
    strcpy(again, l->path);
    loc_done(l);
    return lookup(AT_FDCWD, again, 0, follow, l);
}

void loc_done(struct loc *l)
{
    gen_free(&l->gen);
}

/* What normalisation loses: a trailing slash and a final "." or "..". */
static void path_tail(const char *p, struct loc *l)
{
    size_t n = strlen(p);
    l->must_dir = n && p[n - 1] == '/';
    while (n && p[n - 1] == '/')
        n--;
    size_t start = n;
    while (start && p[start - 1] != '/')
        start--;
    size_t len = n - start;
    l->last_dot = len == 1 && p[start] == '.'                          ? 1
                  : len == 2 && p[start] == '.' && p[start + 1] == '.' ? 2
                                                                       : 0;
    if (l->last_dot)
        l->must_dir = 1;
}

long lookup(int dirfd, const char *path, int from_user, int follow, struct loc *l)
{
    memset(&l->node, 0, sizeof(*l) - __builtin_offsetof(struct loc, node));
    long r = path_resolve(dirfd, path, from_user, l->path);
    if (r)
        return r;
    path_tail(path, l);
    /* A trailing slash follows a final symlink, except for the calls that
     * act on the name itself (LOOKUP_NAME: unlink, rmdir, rename). */
    follow = follow == LOOKUP_NAME ? 0 : follow || l->must_dir;
    for (int hop = 0; hop < MAX_HOPS; hop++) {
        const char *rest;
        static char next[PATH_MAX]; /* scratch (vfs.h): nothing in lookup waits */
        l->mnt = mount_of(l->path, &rest);
        switch (l->mnt) {
        case M_HOST:
            /* The host sees the trailing slash and answers as Linux does. */
            if (l->must_dir && strcmp(l->path, "/"))
                strcat(l->path, "/");
            return 0;
        case M_TMP: {
            struct tmp_loc t;
            r = tmp_walk(rest, follow, &t, next);
            if (r != 1) {
                l->node = t.node;
                l->parent = t.parent;
                l->name = t.name;
                l->len = t.len;
                if (!r && l->must_dir && t.node && (t.node->mode & S_IFMT) != S_IFDIR)
                    r = (t.node->mode & S_IFMT) == S_IFLNK ? 0 : -ENOTDIR;
                return r;
            }
            break;
        }
        case M_DEV:
        case M_PROC:
            gen_free(&l->gen);
            r = l->mnt == M_DEV ? dev_lookup(l->path, l) : proc_lookup(l->path, &l->gen);
            if (r < 0)
                return r;
            l->gen_type = r;
            /* A link to somewhere that is not a path (pipe:[3]) stays a
             * link; open handles /proc/self/fd/N itself. A relative target
             * (/proc/self -> 1234) is relative to the link's directory. */
            if (r != GEN_LINK || !follow || !l->gen.buf || strchr(l->gen.buf, ':'))
                return 0;
            if (l->gen.buf[0] == '/') {
                ksnprintf(next, sizeof(next), "%s", l->gen.buf);
            } else {
                size_t d = strlen(l->path);
                while (d > 1 && l->path[d - 1] != '/')
                    d--;
                ksnprintf(next, sizeof(next), "%s", l->path);
                next[d] = 0;
                strcat(next, l->gen.buf);
            }
            break;
        }
        strcpy(l->path, "/");
        if ((r = path_join(l->path, next)))
            return r;
    }
    return -ELOOP;
}

SYSCALL(getcwd)
{
    cwd_path();
    if (pin.gone)
        return -ENOENT;
    uint64_t n = strlen(cwd) + 1;
    if (a1 < n)
        return -ERANGE;
    if (!user_ok((void *)a0, n, 1))
        return -EFAULT;
    memcpy((void *)a0, cwd, n);
    return (long)n;
}

static long change_dir(struct loc *l)
{
    long r = 0;
    struct kstat st;
    while (l->mnt == M_HOST && (r = HC(stat, .path = (uint64_t)l->path, .statbuf = (uint64_t)&st,
                                       .at_flags = 0)) == -HX_EREDIRECT)
        if ((r = lookup_again(l, 1)))
            return r;
    if (l->mnt == M_HOST) {
        if (!r && (st.mode & S_IFMT) != S_IFDIR)
            r = -ENOTDIR;
    } else if (l->mnt == M_TMP) {
        r = !l->node ? -ENOENT : (l->node->mode & S_IFMT) != S_IFDIR ? -ENOTDIR : 0;
    } else if (l->gen_type != GEN_DIR) {
        r = -ENOTDIR;
    }
    if (!r) {
        cwd_unpin();
        strcpy(cwd, l->path);
        size_t n = strlen(cwd);
        if (n > 1 && cwd[n - 1] == '/')
            cwd[n - 1] = 0; /* the trailing slash kept for the host */
    }
    return r;
}

SYSCALL(chdir)
{
    static struct loc l; /* scratch (vfs.h): lookup and host calls, no wait */
    long r = lookup(AT_FDCWD, (const char *)a0, 1, 1, &l);
    if (!r)
        r = change_dir(&l);
    loc_done(&l);
    return r;
}

SYSCALL(fchdir)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if (!f->path[0])
        return -ENOTDIR;
    static struct loc l; /* scratch (vfs.h): lookup and host calls, no wait */
    long r = lookup(AT_FDCWD, f->path, 0, 1, &l);
    if (!r)
        r = change_dir(&l);
    loc_done(&l);
    return r;
}

LEAF_SYSCALL(umask)
{
    uint32_t old = umask_bits;
    umask_bits = (uint32_t)a0 & 0777;
    return old;
}
