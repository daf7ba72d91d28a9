/* Generated /proc and /sys files and the /dev, /proc and /sys directories
 * as open files: their contents are made when they are looked up
 * (procfs.c, path.c) and move to the open file. Devices found in /dev are
 * file_dev.c's. */
#include "vfs.h"

static const struct file_ops gen_ops, gdir_ops;

/* The kind of what a /dev, /proc or /sys lookup found (not a link). */
static const struct file_ops *ops_of(const struct loc *l)
{
    return l->gen_type == GEN_DIR ? &gdir_ops : l->mnt == M_DEV ? l->dev : &gen_ops;
}

long gen_file_open(struct loc *l, uint64_t flags, struct file **out)
{
    if (l->gen_type == GEN_LINK)
        return -ELOOP;
    const struct file_ops *ops = ops_of(l);
    long r = ops->open ? ops->open(flags) : 0;
    if (r)
        return r;
    struct file *f = file_new(ops);
    if (!f)
        return -ENFILE;
    if (ops == &gen_ops || ops == &gdir_ops) {
        f->gen = l->gen; /* the contents move to the file */
        memset(&l->gen, 0, sizeof(l->gen));
    }
    *out = f;
    return 0;
}

void gen_loc_stat(const struct loc *l, struct kstat *st)
{
    if (l->gen_type == GEN_LINK) {
        memset(st, 0, sizeof(*st));
        st->mode = S_IFLNK | 0777;
        st->nlink = 1;
        st->size = (int64_t)l->gen.len;
        st->dev = 0x16;
        return;
    }
    struct file tmp = {0};
    tmp.ops = ops_of(l);
    file_stat(&tmp, st);
}

static void gen_release(struct file *f)
{
    gen_free(&f->gen);
}

/* The generated files are read-only. */
static long gen_open(uint64_t flags)
{
    if (flags & O_DIRECTORY)
        return -ENOTDIR;
    return (flags & O_ACCMODE) != O_RDONLY ? -EACCES : 0;
}

static long gdir_open(uint64_t flags)
{
    return (flags & O_ACCMODE) != O_RDONLY ? -EISDIR : 0;
}

static long gen_read(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    int64_t off = pos ? *pos : (int64_t)f->pos;
    long r = (uint64_t)off >= f->gen.len ? 0 : (long)MIN(len, f->gen.len - (uint64_t)off);
    if (r > 0) {
        memcpy((void *)buf, f->gen.buf + off, (size_t)r);
        if (pos)
            *pos += r;
        else
            f->pos = (uint64_t)(off + r);
    }
    return r;
}

static long gdir_rw(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    (void)f, (void)buf, (void)len, (void)pos;
    return -EISDIR;
}

static long gen_seek(struct file *f, uint64_t off, uint64_t whence)
{
    return file_seek_in(f, off, whence, f->gen.len, 0);
}

static long gdir_seek(struct file *f, uint64_t off, uint64_t whence)
{
    return file_seek_in(f, off, whence, 0, 0);
}

static void gen_stat(const struct file *f, struct kstat *st)
{
    (void)f;
    memset(st, 0, sizeof(*st));
    st->nlink = 1;
    st->uid = boot->uid;
    st->gid = boot->gid;
    st->mode = S_IFREG | 0444;
    st->dev = 0x16; /* procfs */
    st->blksize = 1024;
}

static void gdir_stat(const struct file *f, struct kstat *st)
{
    (void)f;
    memset(st, 0, sizeof(*st));
    st->uid = boot->uid;
    st->gid = boot->gid;
    st->blksize = 4096;
    st->mode = S_IFDIR | 0555;
    st->nlink = 2;
    st->dev = 0x16;
}

static long gen_statfs(struct file *f, uint64_t ubuf)
{
    (void)f;
    return guest_statfs(M_PROC, ubuf);
}

/* The i-th entry of a generated directory: ".", "..", then its list. */
static int gdir_entry(struct file *f, uint64_t i, const char **name, size_t *len, uint8_t *type,
                      uint64_t *ino)
{
    (void)ino;
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

static long gdir_getdents(struct file *f, uint64_t buf, uint64_t len)
{
    if (!user_ok((void *)buf, len, 1))
        return -EFAULT;
    if (f->pos == 0 && !strncmp(f->path, "/proc/", 6)) {
        /* Listed when read, as Linux does: /proc/self/fd shows this fd. */
        gen_free(&f->gen);
        proc_lookup(f->path, &f->gen);
    }
    return dirents_emit(f, buf, len, gdir_entry);
}

static const struct file_ops gen_ops = {
    .read = gen_read,
    .seek = gen_seek,
    .stat = gen_stat,
    .statfs = gen_statfs,
    .map_read = file_map_read,
    .open = gen_open,
    .release = gen_release,
};

static const struct file_ops gdir_ops = {
    .read = gdir_rw,
    .write = gdir_rw,
    .seek = gdir_seek,
    .stat = gdir_stat,
    .getdents = gdir_getdents,
    .open = gdir_open,
    .release = gen_release,
    .dirfd = 1,
};
