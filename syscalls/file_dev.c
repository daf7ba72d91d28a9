/* The devices in /dev as open files: null, zero, full, random, urandom,
 * and tty (only its status: opening /dev/tty reaches the console, fs.c).
 * path.c's lookup names them; they stay at offset 0. */
#include "vfs.h"
#include "uapi/poll.h"

static long null_write(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    (void)f, (void)buf, (void)pos;
    return (long)len;
}

static long null_read(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    (void)f, (void)buf, (void)len, (void)pos;
    return 0;
}

static long null_splice_write(struct file *f, const void *buf, uint64_t len)
{
    (void)f, (void)buf;
    return (long)len;
}

static long zero_read(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    (void)f, (void)pos;
    memset((void *)buf, 0, len);
    return (long)len;
}

static long full_write(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    (void)f, (void)buf, (void)len, (void)pos;
    return -ENOSPC;
}

static long random_read(struct file *f, uint64_t buf, uint64_t len, int64_t *pos)
{
    (void)f, (void)pos;
    random_fill((void *)buf, len);
    return (long)len;
}

/* /dev/zero has no end: a private mapping of it is all zeroes. */
static long zero_map_read(struct file *f, void *buf, uint64_t len, uint64_t off)
{
    (void)f, (void)buf, (void)off;
    return (long)len;
}

/* random and urandom have a poll method (epoll takes them); always ready. */
static int16_t random_revents(struct file *f, int16_t events)
{
    (void)f;
    return events & (POLLIN | POLLOUT);
}

static long dev_open(uint64_t flags)
{
    return (flags & O_DIRECTORY) ? -ENOTDIR : 0;
}

static long tty_open(uint64_t flags)
{
    (void)flags;
    return -ENXIO; /* fs.c's open gives the console's terminal, if any */
}

/* Name and device number (major << 8 | minor) of each. */
static const struct {
    const struct file_ops *ops;
    const char *path;
    uint32_t rdev;
} devs[] = {
    {&dev_null_ops, "/dev/null", (1u << 8) | 3},
    {&dev_zero_ops, "/dev/zero", (1u << 8) | 5},
    {&dev_full_ops, "/dev/full", (1u << 8) | 7},
    {&dev_random_ops, "/dev/random", (1u << 8) | 8},
    {&dev_urandom_ops, "/dev/urandom", (1u << 8) | 9},
    {&dev_tty_ops, "/dev/tty", 5u << 8},
};

static int dev_index(const struct file *f)
{
    int i = 0;
    while (i < (int)ARRAY_SIZE(devs) - 1 && devs[i].ops != f->ops)
        i++;
    return i;
}

static void dev_stat(const struct file *f, struct kstat *st)
{
    memset(st, 0, sizeof(*st));
    st->nlink = 1;
    st->blksize = 4096;
    st->mode = S_IFCHR | 0666;
    st->dev = 5;
    st->rdev = devs[dev_index(f)].rdev;
}

static void dev_describe(const struct file *f, char *out, size_t size)
{
    ksnprintf(out, size, "%s", devs[dev_index(f)].path);
}

const struct file_ops dev_null_ops = {
    .read = null_read,
    .write = null_write,
    .splice_write = null_splice_write,
    .stat = dev_stat,
    .open = dev_open,
    .describe = dev_describe,
};

const struct file_ops dev_zero_ops = {
    .read = zero_read,
    .write = null_write,
    .stat = dev_stat,
    .map_read = zero_map_read,
    .open = dev_open,
    .describe = dev_describe,
};

const struct file_ops dev_full_ops = {
    .read = zero_read,
    .write = full_write,
    .stat = dev_stat,
    .open = dev_open,
    .describe = dev_describe,
};

const struct file_ops dev_random_ops = {
    .read = random_read,
    .write = null_write,
    .revents = random_revents,
    .stat = dev_stat,
    .open = dev_open,
    .describe = dev_describe,
};

const struct file_ops dev_urandom_ops = {
    .read = random_read,
    .write = null_write,
    .revents = random_revents,
    .stat = dev_stat,
    .open = dev_open,
    .describe = dev_describe,
};

const struct file_ops dev_tty_ops = {
    .stat = dev_stat,
    .open = tty_open,
    .describe = dev_describe,
};
