/* /proc and /sys: files generated when opened (syscalls/procfs.c). */
#ifndef HX_PROCFS_H
#define HX_PROCFS_H

#include "syscalls.h"

/* A generated file's contents (kmalloc'd), or a directory's entries. */
struct gen {
    char *buf;
    size_t len, cap;
};

#define GEN_FILE 1
#define GEN_DIR 2
#define GEN_LINK 3

/* Looks up an absolute /proc or /sys path. Returns GEN_FILE (content in
 * out), GEN_DIR (out holds "name\0type\0" pairs, type 'd', 'r' or 'l'),
 * GEN_LINK (out holds the target), or a negative errno. */
long proc_lookup(const char *path, struct gen *out);

void gen_free(struct gen *g);
/* Appends formatted text (the ksnprintf subset). */
void gen_printf(struct gen *g, const char *fmt, ...);
void gen_put(struct gen *g, const char *s, size_t n);

/* fs.c: the path of the file open at fd, for /proc/self/fd; 0 or -EBADF. */
long fd_describe(int fd, char *out, size_t size);
/* fs.c: the highest open fd + 1. */
int fd_limit(void);

#endif
