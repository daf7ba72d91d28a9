/* Names and attributes: mkdir, rmdir, unlink, rename, link, symlink,
 * readlink, chmod, chown, utimensat, truncate, fallocate, access, statfs.
 * Host paths go to the monitor (which confines them to their mount), /tmp
 * to minifs; /dev and /proc cannot be changed. */
#include "tmpfs.h"
#include "vfs.h"

static struct loc la, lb; /* scratch (vfs.h): no call here waits */

/* A change to /dev or /proc: Linux refuses most with EACCES or EPERM. */
static long generated_refusal(const struct loc *l)
{
    return l->mnt == M_PROC ? -EACCES : -EPERM;
}

static long mkdir_at(int dirfd, uint64_t upath, uint64_t mode)
{
    long r = lookup(dirfd, (const char *)upath, 1, 0, &la);
    while (!r) {
        if (la.mnt == M_HOST)
            r = HC(pathop, .op = HX_PATH_MKDIR, .path = (uint64_t)la.path,
                   .arg = mode & 07777 & ~umask_bits);
        else if (la.mnt != M_TMP)
            r = -EEXIST;
        else if (la.node)
            r = -EEXIST;
        else
            r = mfs_create(&tmpfs, la.parent, la.name, la.len,
                           MFS_S_IFDIR | ((uint32_t)mode & 07777 & ~umask_bits), boot->euid,
                           boot->egid, NULL, NULL);
        if (r != -HX_EREDIRECT)
            break;
        r = lookup_again(&la, 0);
    }
    loc_done(&la);
    return r;
}

SYSCALL(mkdir)
{
    return mkdir_at(AT_FDCWD, a0, a1);
}

SYSCALL(mkdirat)
{
    return mkdir_at((int)a0, a1, a2);
}

/* Linux's answers for names a lexical path loses: "x/" must be a
 * directory, and "." and ".." cannot be removed or renamed. */
static long name_check(const struct loc *l, int rmdir)
{
    if (l->last_dot)
        return rmdir ? (l->last_dot == 1 ? -EINVAL : -ENOTEMPTY) : -EISDIR;
    if (l->must_dir && l->mnt == M_TMP && l->node) {
        int dir = (l->node->mode & S_IFMT) == S_IFDIR;
        return dir ? (rmdir ? 0 : -EISDIR) : -ENOTDIR;
    }
    return 0;
}

static long remove_at(int dirfd, uint64_t upath, uint64_t flags)
{
    if (flags & ~(uint64_t)AT_REMOVEDIR)
        return -EINVAL;
    if (flags & AT_REMOVEDIR)
        cwd_pin();
    long r = lookup(dirfd, (const char *)upath, 1, LOOKUP_NAME, &la);
    while (!r && !(r = name_check(&la, (flags & AT_REMOVEDIR) != 0))) {
        if (la.mnt == M_HOST)
            r = HC(unlink, .path = (uint64_t)la.path, .at_flags = flags);
        else if (la.mnt != M_TMP)
            r = generated_refusal(&la);
        else if (!la.node)
            r = -ENOENT;
        else if (la.node == tmpfs.root)
            r = -EBUSY;
        else
            r = mfs_remove(&tmpfs, la.parent, la.name, la.len, (flags & AT_REMOVEDIR) != 0);
        if (r != -HX_EREDIRECT)
            break;
        r = lookup_again(&la, LOOKUP_NAME);
    }
    loc_done(&la);
    if (!r && (flags & AT_REMOVEDIR))
        cwd_moved();
    return r;
}

SYSCALL(unlink)
{
    return remove_at(AT_FDCWD, a0, 0);
}

SYSCALL(unlinkat)
{
    return remove_at((int)a0, a1, a2);
}

SYSCALL(rmdir)
{
    return remove_at(AT_FDCWD, a0, AT_REMOVEDIR);
}

static long rename_at(int olddir, uint64_t oldp, int newdir, uint64_t newp, uint64_t flags)
{
    if (flags & ~7ull) /* RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT */
        return -EINVAL;
    cwd_pin();
    long r = lookup(olddir, (const char *)oldp, 1, LOOKUP_NAME, &la);
    if (!r)
        r = lookup(newdir, (const char *)newp, 1, LOOKUP_NAME, &lb);
    int redirected = 0;
again:
    if (!r && (la.last_dot || lb.last_dot))
        r = -EBUSY;
    if (!r && la.must_dir && la.mnt == M_TMP && la.node && (la.node->mode & S_IFMT) != S_IFDIR)
        r = -ENOTDIR;
    if (!r) {
        if (la.mnt != lb.mnt)
            r = -EXDEV;
        else if (la.mnt == M_HOST)
            r = HC(rename, .from = (uint64_t)la.path, .to = (uint64_t)lb.path, .flags = flags);
        else if (la.mnt != M_TMP)
            r = generated_refusal(&la);
        else if (!la.node || !lb.parent)
            r = -ENOENT;
        else
            r = mfs_rename(&tmpfs, la.parent, la.name, la.len, lb.parent, lb.name, lb.len,
                           (unsigned)flags);
    }
    if (r == -HX_EREDIRECT) {
        /* One of the names led into a guest file system: both again. */
        r = lookup_again(&la, LOOKUP_NAME);
        if (!r)
            r = lookup_again(&lb, LOOKUP_NAME);
        if (!r && !redirected++)
            goto again;
        if (!r)
            r = -EXDEV;
    }
    loc_done(&la);
    loc_done(&lb);
    if (!r)
        cwd_moved();
    return r;
}

SYSCALL(rename)
{
    return rename_at(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

SYSCALL(renameat)
{
    return rename_at((int)a0, a1, (int)a2, a3, 0);
}

SYSCALL(renameat2)
{
    return rename_at((int)a0, a1, (int)a2, a3, a4);
}

/* linkat of an open file: /proc/self/fd/N followed, or AT_EMPTY_PATH. */
static long link_open_file(struct file *f, int newdir, uint64_t newp)
{
    long r = lookup(newdir, (const char *)newp, 1, LOOKUP_NAME, &lb);
    if (!r)
        r = f->ops->link ? f->ops->link(f, &lb) : -EXDEV;
    loc_done(&lb);
    return r;
}

static long link_at(int olddir, uint64_t oldp, int newdir, uint64_t newp, uint64_t flags)
{
    if (flags & ~(uint64_t)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if ((flags & AT_EMPTY_PATH) && user_strlen((const char *)oldp, 1) == 0) {
        struct file *f = fd_get((uint64_t)olddir);
        return f ? link_open_file(f, newdir, newp) : -EBADF;
    }
    if (flags & AT_SYMLINK_FOLLOW) {
        long r = path_resolve(olddir, (const char *)oldp, 1, la.path);
        int fd = r ? -1 : fd_path(la.path);
        if (fd >= 0) {
            struct file *f = fd_get((uint64_t)fd);
            return f ? link_open_file(f, newdir, newp) : -ENOENT;
        }
    }
    long r = lookup(olddir, (const char *)oldp, 1, (flags & AT_SYMLINK_FOLLOW) != 0, &la);
    if (!r)
        r = lookup(newdir, (const char *)newp, 1, 0, &lb);
    int redirected = 0;
again:
    if (!r) {
        if (la.mnt != lb.mnt)
            r = -EXDEV;
        else if (la.mnt == M_HOST)
            r = HC(pathop, .op = HX_PATH_LINK, .path = (uint64_t)lb.path,
                   .path2 = (uint64_t)la.path, .arg = flags & AT_SYMLINK_FOLLOW);
        else if (la.mnt != M_TMP)
            r = generated_refusal(&la);
        else if (!la.node)
            r = -ENOENT;
        else if (lb.node)
            r = -EEXIST;
        else
            r = mfs_link(&tmpfs, lb.parent, lb.name, lb.len, la.node);
    }
    if (r == -HX_EREDIRECT) {
        /* One of the names led into a guest file system: both again. */
        r = lookup_again(&la, (flags & AT_SYMLINK_FOLLOW) != 0);
        if (!r)
            r = lookup_again(&lb, 0);
        if (!r && !redirected++)
            goto again;
        if (!r)
            r = -EXDEV;
    }
    loc_done(&la);
    loc_done(&lb);
    return r;
}

SYSCALL(link)
{
    return link_at(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

SYSCALL(linkat)
{
    return link_at((int)a0, a1, (int)a2, a3, a4);
}

static long symlink_at(uint64_t target, int dirfd, uint64_t linkp)
{
    long tlen = user_strlen((const char *)target, PATH_MAX);
    if (tlen < 0)
        return tlen;
    if (tlen == 0)
        return -ENOENT;
    long r = lookup(dirfd, (const char *)linkp, 1, 0, &la);
    while (!r) {
        if (la.mnt == M_HOST)
            r = HC(pathop, .op = HX_PATH_SYMLINK, .path = (uint64_t)la.path, .path2 = target);
        else if (la.mnt != M_TMP)
            r = -EEXIST;
        else if (la.node)
            r = -EEXIST;
        else
            r = mfs_create(&tmpfs, la.parent, la.name, la.len, 0, boot->euid, boot->egid,
                           (const char *)target, NULL);
        if (r != -HX_EREDIRECT)
            break;
        r = lookup_again(&la, 0);
    }
    loc_done(&la);
    return r;
}

SYSCALL(symlink)
{
    return symlink_at(a0, AT_FDCWD, a1);
}

SYSCALL(symlinkat)
{
    return symlink_at(a0, (int)a1, a2);
}

static long copy_link(const char *target, uint64_t ubuf, uint64_t size)
{
    uint64_t n = MIN(strlen(target), size);
    if (!user_ok((void *)ubuf, n, 1))
        return -EFAULT;
    memcpy((void *)ubuf, target, n);
    return (long)n;
}

static long readlink_at(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t size)
{
    if ((int64_t)size <= 0)
        return -EINVAL;
    long r = lookup(dirfd, (const char *)upath, 1, 0, &la);
    while (!r) {
        if (la.mnt == M_HOST)
            r = HC(readlink, .path = (uint64_t)la.path, .buf = ubuf, .size = size);
        else if (la.mnt == M_TMP)
            r = !la.node                              ? -ENOENT
                : (la.node->mode & S_IFMT) == S_IFLNK ? copy_link(la.node->target, ubuf, size)
                                                      : -EINVAL;
        else
            r = la.gen_type == GEN_LINK ? copy_link(la.gen.buf, ubuf, size) : -EINVAL;
        if (r != -HX_EREDIRECT)
            break;
        r = lookup_again(&la, 0);
    }
    loc_done(&la);
    return r;
}

SYSCALL(readlink)
{
    return readlink_at(AT_FDCWD, a0, a1, a2);
}

SYSCALL(readlinkat)
{
    return readlink_at((int)a0, a1, a2, a3);
}

/* ---- Attributes -------------------------------------------------------- */
/* Applies an attribute change to a path. */
static long path_attr(int dirfd, uint64_t upath, int follow, enum attr what, uint64_t x, uint64_t y)
{
    long r = lookup(dirfd, (const char *)upath, 1, follow, &la);
again:
    if (!r && la.mnt == M_HOST) {
        static const uint64_t ops[] = {HX_PATH_CHMOD, HX_PATH_CHOWN, HX_PATH_UTIMENS,
                                       HX_PATH_TRUNCATE};
        uint64_t arg = what == A_CHOWN ? (x & 0xffffffffull) | (y << 32) : x;
        r = HC(pathop, .op = ops[what], .path = (uint64_t)la.path, .arg = arg,
               .at_flags = follow ? 0 : AT_SYMLINK_NOFOLLOW);
    } else if (!r && la.mnt == M_TMP) {
        struct mfs_node *n = la.node;
        if (!n)
            r = -ENOENT;
        else if (what == A_CHMOD)
            r = tmp_chmod(n, x);
        else if (what == A_CHOWN)
            r = tmp_chown(n, x, y);
        else if (what == A_UTIMENS)
            r = tmp_utimens(n, x);
        else
            r = (int64_t)x < 0 ? -EINVAL : mfs_truncate(&tmpfs, n, x);
    } else if (!r) {
        r = generated_refusal(&la);
    }
    if (r == -HX_EREDIRECT && !(r = lookup_again(&la, follow)))
        goto again;
    loc_done(&la);
    return r;
}

/* Applies an attribute change to an open file. */
static long fd_attr(uint64_t fd, enum attr what, uint64_t x, uint64_t y)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (f->ops->setattr)
        return f->ops->setattr(f, what, x, y);
    return what == A_TRUNCATE ? -EINVAL : -EPERM;
}

SYSCALL(chmod)
{
    return path_attr(AT_FDCWD, a0, 1, A_CHMOD, a1, 0);
}

SYSCALL(fchmod)
{
    return fd_attr(a0, A_CHMOD, a1, 0);
}

SYSCALL(fchmodat)
{
    return path_attr((int)a0, a1, 1, A_CHMOD, a2, 0);
}

SYSCALL(chown)
{
    return path_attr(AT_FDCWD, a0, 1, A_CHOWN, a1, a2);
}

SYSCALL(lchown)
{
    return path_attr(AT_FDCWD, a0, 0, A_CHOWN, a1, a2);
}

SYSCALL(fchown)
{
    return fd_attr(a0, A_CHOWN, a1, a2);
}

SYSCALL(fchownat)
{
    if (a4 & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if ((a4 & AT_EMPTY_PATH) && user_strlen((const char *)a1, 1) == 0)
        return fd_attr(a0, A_CHOWN, a2, a3);
    return path_attr((int)a0, a1, !(a4 & AT_SYMLINK_NOFOLLOW), A_CHOWN, a2, a3);
}

SYSCALL(utimensat)
{
    if (a3 & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (!a1) /* futimens */
        return fd_attr(a0, A_UTIMENS, a2, 0);
    return path_attr((int)a0, a1, !(a3 & AT_SYMLINK_NOFOLLOW), A_UTIMENS, a2, 0);
}

SYSCALL(truncate)
{
    return path_attr(AT_FDCWD, a0, 1, A_TRUNCATE, a1, 0);
}

SYSCALL(ftruncate)
{
    return fd_attr(a0, A_TRUNCATE, a1, 0);
}

SYSCALL(fallocate)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    if ((int64_t)a2 < 0 || (int64_t)a3 <= 0)
        return -EINVAL;
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    if (f->ops->fallocate)
        return f->ops->fallocate(f, a1, a2, a3);
    return f->ops->fifo ? -ESPIPE : -ENODEV;
}

/* ---- access ------------------------------------------------------------ */
static long tmp_access(const struct mfs_node *n, uint64_t mode)
{
    uint32_t uid = boot->uid;
    if (uid == 0)
        return (mode & 1) && !(n->mode & 0111) && (n->mode & S_IFMT) != S_IFDIR ? -EACCES : 0;
    uint32_t bits = uid == n->uid ? n->mode >> 6 : boot->gid == n->gid ? n->mode >> 3 : n->mode;
    return (mode & ~bits & 7) ? -EACCES : 0;
}

static long access_at(int dirfd, uint64_t upath, uint64_t mode, uint64_t flags)
{
    if (mode & ~7ull || flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH))
        return -EINVAL;
    long r = lookup(dirfd, (const char *)upath, 1, !(flags & AT_SYMLINK_NOFOLLOW), &la);
    while (!r) {
        if (la.mnt == M_HOST)
            r = HC(access, .path = (uint64_t)la.path, .mode = mode,
                   .at_flags = flags & (AT_SYMLINK_NOFOLLOW | AT_EACCESS));
        else if (la.mnt == M_TMP)
            r = la.node ? tmp_access(la.node, mode) : -ENOENT;
        else
            r = (mode & 2) && la.mnt == M_PROC ? -EACCES : 0;
        if (r != -HX_EREDIRECT)
            break;
        r = lookup_again(&la, !(flags & AT_SYMLINK_NOFOLLOW));
    }
    loc_done(&la);
    return r;
}

SYSCALL(access)
{
    return access_at(AT_FDCWD, a0, a1, 0);
}

SYSCALL(faccessat)
{
    return access_at((int)a0, a1, a2, 0);
}

SYSCALL(faccessat2)
{
    return access_at((int)a0, a1, a2, a3);
}

/* ---- statfs ------------------------------------------------------------ */
struct kstatfs {
    int64_t type, bsize;
    uint64_t blocks, bfree, bavail, files, ffree;
    int32_t fsid[2];
    int64_t namelen, frsize, flags, spare[4];
};

long guest_statfs(enum mnt mnt, uint64_t ubuf)
{
    struct kstatfs *s = (struct kstatfs *)ubuf;
    if (!user_ok(s, sizeof(*s), 1))
        return -EFAULT;
    memset(s, 0, sizeof(*s));
    s->type = mnt == M_PROC ? 0x9fa0 /* PROC_SUPER_MAGIC */ : 0x01021994 /* TMPFS_MAGIC */;
    s->bsize = s->frsize = 4096;
    s->namelen = 255;
    if (mnt == M_TMP) {
        s->blocks = tmpfs.max_bytes / 4096;
        s->bfree = s->bavail = (tmpfs.max_bytes - tmpfs.bytes) / 4096;
    }
    return 0;
}

SYSCALL(statfs)
{
    long r = lookup(AT_FDCWD, (const char *)a0, 1, 1, &la);
    while (!r) {
        r = la.mnt == M_HOST
                ? HC(statfs, .hostfd = (uint64_t)-1, .path = (uint64_t)la.path, .statfsbuf = a1)
                : guest_statfs(la.mnt, a1);
        if (r != -HX_EREDIRECT)
            break;
        r = lookup_again(&la, 1);
    }
    loc_done(&la);
    return r;
}

SYSCALL(fstatfs)
{
    struct file *f = fd_get(a0);
    if (!f)
        return -EBADF;
    return f->ops->statfs ? f->ops->statfs(f, a1) : guest_statfs(M_DEV, a1);
}
