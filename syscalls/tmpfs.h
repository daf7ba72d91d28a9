/* /tmp: minifs mounted in the guest (syscalls/tmpfs.c). */
#ifndef HX_TMPFS_H
#define HX_TMPFS_H

#include "minifs.h"
#include "syscalls.h"

extern struct mfs tmpfs;

/* Where a path inside /tmp leads. node is NULL when only the last
 * component is missing (parent, name and len are then set). */
struct tmp_loc {
    struct mfs_node *node, *parent;
    const char *name;
    size_t len;
};

void tmpfs_init(void);

/* Walks rest (the path below /tmp, no leading '/'). Returns 0, a negative
 * errno, or 1 when a symlink leads elsewhere: redirect then holds the new
 * absolute guest path to resolve from the top. follow: whether a symlink
 * in the last component is followed. */
long tmp_walk(const char *rest, int follow, struct tmp_loc *loc, char *redirect);

struct kstat;
/* The status of a node, as Linux's tmpfs reports it. */
void tmp_stat(const struct mfs_node *n, struct kstat *st);

/* Attribute changes of a node (chmod, chown, utimensat; utimes is the
 * program's timespec[2] or 0), with Linux's permission checks. */
long tmp_chmod(struct mfs_node *n, uint64_t mode);
long tmp_chown(struct mfs_node *n, uint64_t uid, uint64_t gid);
long tmp_utimens(struct mfs_node *n, uint64_t utimes);

#endif
