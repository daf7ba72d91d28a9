/* /tmp as minifs: the walk from the mount root, one component at a time,
 * so that symlinks inside /tmp are followed as Linux follows them; a
 * symlink whose target leaves /tmp hands the rest of the path back to the
 * VFS as a new absolute path. */
#include "tmpfs.h"

#include "heap.h"
#include "vfs.h"

struct mfs tmpfs;

/* minifs is freestanding and host-tested, so it names the Linux values it
 * stores and takes with its own prefix; they must be Linux's, because its
 * modes go to stat and renameat2's flags come from the program as they are. */
_Static_assert(MFS_S_IFMT == S_IFMT && MFS_S_IFDIR == S_IFDIR && MFS_S_IFREG == S_IFREG &&
                   MFS_S_IFLNK == S_IFLNK,
               "minifs file types are Linux's");
_Static_assert(MFS_RENAME_NOREPLACE == RENAME_NOREPLACE && MFS_RENAME_EXCHANGE == RENAME_EXCHANGE,
               "minifs rename flags are Linux's");

static void tmp_now(int64_t *sec, int64_t *nsec)
{
    int64_t ns = clock_realtime_ns();
    *sec = ns / NSEC_PER_SEC;
    *nsec = ns % NSEC_PER_SEC;
}

void tmpfs_init(void)
{
    static const struct mfs_env env = {kmalloc, kfree, tmp_now};
    if (mfs_init(&tmpfs, &env, 01777, boot->ram_size / 2))
        kpanic("cannot create /tmp");
}

/* Joins "/tmp/<dir so far>/<target>/<rest>" or "<target>/<rest>". */
static long redirect_to(const char *done, size_t done_len, const char *target, const char *rest,
                        char *out)
{
    size_t n = 0, tl = strlen(target), rl = strlen(rest);
    if (target[0] != '/') {
        if (done_len + 6 >= PATH_MAX)
            return -ENAMETOOLONG;
        memcpy(out, "/tmp/", 5);
        memcpy(out + 5, done, done_len);
        n = 5 + done_len;
        out[n++] = '/';
    }
    if (n + tl + 1 + rl + 1 > PATH_MAX)
        return -ENAMETOOLONG;
    memcpy(out + n, target, tl);
    n += tl;
    out[n++] = '/';
    memcpy(out + n, rest, rl + 1);
    return 1;
}

long tmp_walk(const char *rest, int follow, struct tmp_loc *loc, char *redirect)
{
    struct mfs_node *dir = tmpfs.root;
    const char *p = rest;
    memset(loc, 0, sizeof(*loc));
    for (;;) {
        while (*p == '/')
            p++;
        const char *c = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - c);
        const char *next = p;
        while (*next == '/')
            next++;
        int last = !*next;
        if (!len) {
            loc->node = dir;
            loc->parent = dir->parent;
            return 0;
        }
        if ((dir->mode & MFS_S_IFMT) != MFS_S_IFDIR)
            return -ENOTDIR;
        struct mfs_node *n;
        long r = mfs_lookup(&tmpfs, dir, c, len, &n);
        if (r == -ENOENT && last) {
            loc->parent = dir;
            loc->name = c;
            loc->len = len;
            return 0;
        }
        if (r)
            return r;
        if ((n->mode & MFS_S_IFMT) == MFS_S_IFLNK && (!last || follow || *p == '/'))
            return redirect_to(rest, (size_t)(c - rest), n->target, next, redirect);
        if (last) {
            loc->node = n;
            loc->parent = dir;
            loc->name = c;
            loc->len = len;
            return 0;
        }
        dir = n;
    }
}

void tmp_stat(const struct mfs_node *n, struct kstat *st)
{
    memset(st, 0, sizeof(*st));
    st->dev = 0x2e; /* an anonymous-device number, like a tmpfs */
    st->ino = n->ino;
    st->nlink = n->nlink;
    st->mode = n->mode;
    st->uid = n->uid;
    st->gid = n->gid;
    st->size = (int64_t)((n->mode & MFS_S_IFMT) == MFS_S_IFDIR ? 40 + 20 * n->nlink : n->size);
    st->blksize = 4096;
    uint64_t pages = 0;
    for (uint64_t i = 0; i < n->npages; i++)
        pages += n->pages[i] != NULL;
    st->blocks = (int64_t)(pages * 8);
    st->atime = n->atime.sec;
    st->atime_ns = n->atime.nsec;
    st->mtime = n->mtime.sec;
    st->mtime_ns = n->mtime.nsec;
    st->ctime = n->ctime.sec;
    st->ctime_ns = n->ctime.nsec;
}

/* ---- Attributes -------------------------------------------------------- */
/* Only the owner (or root) may change a guest file's mode and times. */
static long may_change(const struct mfs_node *n)
{
    return boot->euid == 0 || boot->euid == n->uid ? 0 : -EPERM;
}

long tmp_chmod(struct mfs_node *n, uint64_t mode)
{
    long r = may_change(n);
    if (r)
        return r;
    n->mode = (n->mode & S_IFMT) | ((uint32_t)mode & 07777);
    mfs_touch(&tmpfs, n, 0, 0, 1);
    return 0;
}

long tmp_chown(struct mfs_node *n, uint64_t uid, uint64_t gid)
{
    if (boot->euid != 0 && (uid != (uint32_t)-1 && uid != n->uid))
        return -EPERM;
    if ((uint32_t)uid != (uint32_t)-1)
        n->uid = (uint32_t)uid;
    if ((uint32_t)gid != (uint32_t)-1)
        n->gid = (uint32_t)gid;
    mfs_touch(&tmpfs, n, 0, 0, 1);
    return 0;
}

long tmp_utimens(struct mfs_node *n, uint64_t utimes)
{
    long r = may_change(n);
    if (r)
        return r;
    struct timespec64 t[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    if (utimes) {
        if (!user_ok((void *)utimes, sizeof(t), 0))
            return -EFAULT;
        memcpy(t, (void *)utimes, sizeof(t));
    }
    int64_t now = clock_realtime_ns();
    struct mfs_time *dst[2] = {&n->atime, &n->mtime};
    for (int i = 0; i < 2; i++) {
        if (t[i].nsec == UTIME_OMIT)
            continue;
        if (t[i].nsec == UTIME_NOW) {
            dst[i]->sec = now / NSEC_PER_SEC;
            dst[i]->nsec = now % NSEC_PER_SEC;
        } else if (t[i].nsec < 0 || t[i].nsec >= NSEC_PER_SEC) {
            return -EINVAL;
        } else {
            dst[i]->sec = t[i].sec;
            dst[i]->nsec = t[i].nsec;
        }
    }
    mfs_touch(&tmpfs, n, 0, 0, 1);
    return 0;
}
