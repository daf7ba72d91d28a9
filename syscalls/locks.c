/* Locks on guest files (/tmp, memfd); host files use the host's own locks.
 * With one process, POSIX record locks never conflict with each other, but
 * flock and OFD locks belong to an open file description and do: two opens
 * of one file conflict as on Linux. POSIX and OFD locks conflict both ways. */
#include "locks.h"

#define MAX_LOCKS 256

struct rlock {
    struct mfs_node *node;
    const struct file *owner; /* NULL: the process (a POSIX lock) */
    int64_t start, end;       /* [start, end), end -1: to the end of the file */
    int type;
};

static struct rlock locks[MAX_LOCKS];

static int overlaps(const struct rlock *l, int64_t start, int64_t end)
{
    return (l->end < 0 || start < l->end) && (end < 0 || l->start < end);
}

/* The first lock held by someone else that conflicts with type on the
 * range, or NULL. */
static struct rlock *conflict(struct mfs_node *node, const struct file *owner, int type,
                              int64_t start, int64_t end)
{
    for (int i = 0; i < MAX_LOCKS; i++) {
        struct rlock *l = &locks[i];
        if (!l->node || l->node != node || l->owner == owner || !overlaps(l, start, end))
            continue;
        if (type == F_WRLCK || l->type == F_WRLCK)
            return l;
    }
    return NULL;
}

/* Removes owner's locks on [start, end), splitting those that stick out. */
static int unlock_range(struct mfs_node *node, const struct file *owner, int64_t start, int64_t end)
{
    for (int i = 0; i < MAX_LOCKS; i++) {
        struct rlock *l = &locks[i];
        if (l->node != node || l->owner != owner || !overlaps(l, start, end))
            continue;
        struct rlock keep = *l;
        l->node = NULL;
        if (keep.start < start && lock_add(node, owner, keep.start, start, keep.type))
            return -ENOLCK;
        if (end >= 0 && (keep.end < 0 || keep.end > end))
            if (lock_add(node, owner, end, keep.end, keep.type))
                return -ENOLCK;
    }
    return 0;
}

int lock_add(struct mfs_node *node, const struct file *owner, int64_t start, int64_t end, int type)
{
    for (int i = 0; i < MAX_LOCKS; i++)
        if (!locks[i].node) {
            locks[i] = (struct rlock){node, owner, start, end, type};
            return 0;
        }
    return -ENOLCK;
}

long lock_record(struct file *f, int ofd, int cmd_get, struct kflock *fl)
{
    int64_t base = fl->whence == 0 ? 0 : fl->whence == 1 ? (int64_t)f->pos : (int64_t)f->node->size;
    int64_t start = base + fl->start, end;
    if (fl->len > 0) {
        end = start + fl->len;
    } else if (fl->len < 0) {
        end = start;
        start += fl->len;
    } else {
        end = -1;
    }
    if (start < 0)
        return -EINVAL;
    const struct file *owner = ofd ? f : NULL;
    if (cmd_get) {
        struct rlock *l = conflict(f->node, owner, fl->type, start, end);
        if (!l) {
            fl->type = F_UNLCK;
            return 0;
        }
        fl->type = (int16_t)l->type;
        fl->whence = 0;
        fl->start = l->start;
        fl->len = l->end < 0 ? 0 : l->end - l->start;
        fl->pid = l->owner ? -1 : boot->pid;
        return 0;
    }
    if (fl->type != F_UNLCK && conflict(f->node, owner, fl->type, start, end))
        return -EAGAIN;
    long r = unlock_range(f->node, owner, start, end);
    if (!r && fl->type != F_UNLCK)
        r = lock_add(f->node, owner, start, end, fl->type);
    return r;
}

long lock_flock(struct file *f, uint64_t op)
{
    int type = (op & LOCK_EX) ? F_WRLCK : F_RDLCK;
    /* flock locks are whole-file locks of the open file, kept apart from
     * record locks by a range no record lock uses. */
    const int64_t at = -2;
    for (int i = 0; i < MAX_LOCKS; i++)
        if (locks[i].node == f->node && locks[i].owner == f && locks[i].start == at)
            locks[i].node = NULL;
    if (op & LOCK_UN)
        return 0;
    for (int i = 0; i < MAX_LOCKS; i++) {
        const struct rlock *l = &locks[i];
        if (l->node == f->node && l->owner != f && l->start == at &&
            (type == F_WRLCK || l->type == F_WRLCK))
            return -EAGAIN; /* EWOULDBLOCK; blocking would wait forever here */
    }
    for (int i = 0; i < MAX_LOCKS; i++)
        if (!locks[i].node) {
            locks[i] = (struct rlock){f->node, f, at, at, type};
            return 0;
        }
    return -ENOLCK;
}

void lock_release_file(const struct file *f)
{
    for (int i = 0; i < MAX_LOCKS; i++)
        if (locks[i].owner == f)
            locks[i].node = NULL;
}

void lock_release_posix(struct mfs_node *node)
{
    for (int i = 0; i < MAX_LOCKS; i++)
        if (locks[i].node == node && !locks[i].owner)
            locks[i].node = NULL;
}
