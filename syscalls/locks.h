/* Locks on guest files (syscalls/locks.c). */
#ifndef HX_LOCKS_H
#define HX_LOCKS_H

#include "vfs.h"

/* Linux's struct flock. */
struct kflock {
    int16_t type, whence;
    int64_t start, len;
    int32_t pid;
};

/* F_GETLK/F_SETLK (ofd 0) and F_OFD_GETLK/F_OFD_SETLK (ofd 1). */
long lock_record(struct file *f, int ofd, int cmd_get, struct kflock *fl);
long lock_flock(struct file *f, uint64_t op);
int lock_add(struct mfs_node *node, const struct file *owner, int64_t start, int64_t end, int type);
/* When an open file goes away: its flock and OFD locks. */
void lock_release_file(const struct file *f);
/* When any descriptor of the file is closed: the process's POSIX locks. */
void lock_release_posix(struct mfs_node *node);

#endif
