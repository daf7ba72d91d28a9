/* /tmp files and directories as open files (minifs, RAM), and
 * memfd_create (a host memfd). Locks on them are locks.c's. */
#include "locks.h"
#include "tmpfs.h"
#include "vfs.h"
#include "uapi/ioctls.h"
#include "uapi/memfd.h"

static const struct file_ops tmp_ops;

static int is_dir(const struct file *f)
{
    return (f->node->mode & S_IFMT) == S_IFDIR;
}

static struct file *tmp_file_new(struct mfs_node *n)
{
    struct file *f = file_new(&tmp_ops);
    if (f)
        f->node = n;
    return f;
}

long tmp_file_open(struct loc *l, uint64_t flags, uint64_t mode, struct file **out)
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
    struct file *f = tmp_file_new(n);
    if (!f) {
        mfs_close(&tmpfs, n);
        return -ENFILE;
    }
    *out = f;
    return 0;
}

/* A host memfd (hypervisor/hc_io.c): the process's children share it,
 * and exec keeps it, as on Linux, since each process is a VM of its own. */
SYSCALL(memfd_create)
{
    long len = user_strlen((const char *)a0, 250);
    if (len < 0)
        return len == -ENAMETOOLONG ? -EINVAL : len;
    if (a1 & ~(uint64_t)(MFD_CLOEXEC | MFD_ALLOW_SEALING))
        return -EINVAL;
    long hostfd = HC(memfd, .name = a0, .flags = a1 & MFD_ALLOW_SEALING);
    if (hostfd < 0)
        return hostfd;
    struct file *f = host_file_new((int)hostfd);
    if (!f) {
        HC(close, .hostfd = (uint64_t)hostfd);
        return -ENFILE;
    }
    f->flags = O_RDWR;
    ksnprintf(f->path, sizeof(f->path), "/memfd:%s (deleted)", (const char *)a0);
    return fd_install(f, 0, (a1 & MFD_CLOEXEC) != 0);
}

/* A file reopened (/proc/self/fd/N): a new open file with its own offset. */
static long tmp_reopen(struct file *o, struct file **out)
{
    struct file *f = tmp_file_new(o->node);
    if (!f)
        return -ENFILE;
    mfs_open(f->node);
    *out = f;
    return 0;
}

static void tmp_flush(struct file *f)
{
    lock_release_posix(f->node); /* POSIX: any close drops them */
}

static void tmp_release(struct file *f)
{
    lock_release_file(f);
    mfs_close(&tmpfs, f->node);
}

static long tmp_rw(struct file *f, uint64_t buf, uint64_t len, int write, int64_t *pos)
{
    int64_t off = pos ? *pos : (int64_t)f->pos;
    if (is_dir(f))
        return -EISDIR;
    if (write && (f->flags & O_APPEND) && !pos)
        off = (int64_t)f->node->size;
    long r = write ? mfs_write(&tmpfs, f->node, (uint64_t)off, (const void *)buf, len)
                   : mfs_read(&tmpfs, f->node, (uint64_t)off, (void *)buf, len);
    if (r > 0) {
        if (pos)
            *pos += r;
        else
            f->pos = (uint64_t)(off + r);
    }
    return r;
}

static long tmp_read(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return tmp_rw(f, buf, len, 0, pos);
}

static long tmp_write(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    return tmp_rw(f, buf, len, 1, pos);
}

static long tmp_splice_read(struct file *f, void *buf, uint64_t len, const int64_t *pos)
{
    return mfs_read(&tmpfs, f->node, pos ? (uint64_t)*pos : f->pos, buf, len);
}

static long tmp_splice_write(struct file *f, const void *buf, uint64_t len)
{
    long w = mfs_write(&tmpfs, f->node, (f->flags & O_APPEND) ? f->node->size : f->pos, buf, len);
    if (w >= 0)
        f->pos = ((f->flags & O_APPEND) ? f->node->size : f->pos + (uint64_t)w);
    return w;
}

/* Between minifs files, the kernel copies. */
static long tmp_copy_range(struct file *in, uint64_t a1, struct file *out, uint64_t a3, uint64_t a4)
{
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
    long r = file_copy(in, out, offp, a4);
    if (a3) {
        if (r > 0)
            *(uint64_t *)a3 = out->pos;
        out->pos = saved;
    }
    if (a1 && r > 0)
        *(int64_t *)a1 = off;
    return r;
}

static long tmp_ioctl(struct file *f, uint64_t a1, uint64_t a2)
{
    if (a1 != FIONREAD)
        return -ENOTTY;
    if (!user_ok((void *)a2, 4, 1))
        return -EFAULT;
    *(int *)a2 = f->node->size > f->pos ? (int)MIN(f->node->size - f->pos, 0x7fffffff) : 0;
    return 0;
}

static long tmp_seek(struct file *f, uint64_t off, uint64_t whence)
{
    return file_seek_in(f, off, whence, f->node->size, 1);
}

static void tmp_file_stat(const struct file *f, struct kstat *st)
{
    tmp_stat(f->node, st);
}

static long tmp_statfs(struct file *f, uint64_t ubuf)
{
    (void)f;
    return guest_statfs(M_TMP, ubuf);
}

static int tmp_entry(struct file *f, uint64_t i, const char **name, size_t *len, uint8_t *type,
                     uint64_t *ino)
{
    struct mfs_node *node;
    if (mfs_readdir(f->node, i, name, len, &node))
        return 0;
    *type = dtype(node->mode);
    *ino = node->ino;
    return 1;
}

static long tmp_getdents(struct file *f, uint64_t buf, uint64_t len)
{
    if (!is_dir(f))
        return -ENOTDIR;
    return dirents_emit(f, buf, len, tmp_entry);
}

static long tmp_map_read(struct file *f, void *buf, uint64_t len, uint64_t off)
{
    if (is_dir(f))
        return -ENODEV;
    return file_map_read(f, buf, len, off);
}

/* A shared mapping of a regular file maps its pages (mm.c). */
static long tmp_map_shared(struct file *f, uint64_t *size, struct mfs_node **node)
{
    if ((f->node->mode & S_IFMT) != S_IFREG)
        return -ENODEV;
    *node = f->node;
    *size = f->node->size;
    return 0;
}

/* With one process, a lock never conflicts with its own process's locks. */
static long tmp_lock(struct file *f, uint64_t cmd, uint64_t arg)
{
    struct kflock *l = (struct kflock *)arg;
    if ((cmd == F_SETLK || cmd == F_SETLKW || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW) &&
        ((l->type == 0 && (f->flags & O_ACCMODE) == O_WRONLY) ||
         (l->type == 1 && (f->flags & O_ACCMODE) == O_RDONLY)))
        return -EBADF; /* a lock needs the matching access */
    int ofd = cmd >= F_OFD_GETLK, get = cmd == F_GETLK || cmd == F_OFD_GETLK;
    if (ofd && l->pid)
        return -EINVAL;
    return lock_record(f, ofd, get, l);
}

static long tmp_sync(struct file *f, int datasync)
{
    (void)f, (void)datasync;
    return 0; /* RAM has nothing to flush */
}

static long tmp_setattr(struct file *f, enum attr what, uint64_t x, uint64_t y)
{
    switch (what) {
    case A_CHMOD:
        return tmp_chmod(f->node, x);
    case A_CHOWN:
        return tmp_chown(f->node, x, y);
    case A_UTIMENS:
        return tmp_utimens(f->node, x);
    case A_TRUNCATE:
        if ((f->flags & O_ACCMODE) == O_RDONLY)
            return -EINVAL;
        return (int64_t)x < 0 ? -EINVAL : mfs_truncate(&tmpfs, f->node, x);
    }
    return -EINVAL;
}

static long tmp_fallocate(struct file *f, uint64_t a1, uint64_t a2, uint64_t a3)
{
    if (a1 & ~1ull) /* only FALLOC_FL_KEEP_SIZE */
        return -EOPNOTSUPP;
    /* Pages are allocated when written; the size grows as Linux's would. */
    if (!(a1 & 1) && a2 + a3 > f->node->size)
        return mfs_truncate(&tmpfs, f->node, a2 + a3);
    return 0;
}

/* linkat of an open /tmp file: to a /tmp name only. */
static long tmp_link(struct file *f, struct loc *lb)
{
    if (lb->mnt != M_TMP)
        return -EXDEV;
    return lb->node ? -EEXIST : mfs_link(&tmpfs, lb->parent, lb->name, lb->len, f->node);
}

static const struct file_ops tmp_ops = {
    .read = tmp_read,
    .write = tmp_write,
    .splice_read = tmp_splice_read,
    .splice_write = tmp_splice_write,
    .copy_range = tmp_copy_range,
    .ioctl = tmp_ioctl,
    .seek = tmp_seek,
    .stat = tmp_file_stat,
    .statfs = tmp_statfs,
    .getdents = tmp_getdents,
    .map_read = tmp_map_read,
    .map_shared = tmp_map_shared,
    .lock = tmp_lock,
    .flock = lock_flock,
    .sync = tmp_sync,
    .setattr = tmp_setattr,
    .fallocate = tmp_fallocate,
    .link = tmp_link,
    .reopen = tmp_reopen,
    .flush = tmp_flush,
    .release = tmp_release,
    .mnt = M_TMP,
    .dirfd = 1,
};
