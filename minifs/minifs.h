/* minifs: the in-memory file system (hx mounts it at /tmp).
 *
 * Freestanding: no libc. The environment supplies memory, the clock and
 * identity through struct mfs_env, so the same code runs in the guest
 * kernel and in the host's unit tests. Names are single path components;
 * walking paths, mounts and symlinks that leave the file system is the
 * VFS's business. Errors are negative Linux errno values. */
#ifndef HX_MINIFS_H
#define HX_MINIFS_H

#include <stddef.h>
#include <stdint.h>

#define MFS_NAME_MAX 255
#define MFS_PAGE 4096u

#define MFS_S_IFMT 0170000u
#define MFS_S_IFDIR 0040000u
#define MFS_S_IFREG 0100000u
#define MFS_S_IFLNK 0120000u

struct mfs_env {
    void *(*alloc)(size_t size); /* zeroed memory, or NULL */
    void (*free)(void *p, size_t size);
    void (*now)(int64_t *sec, int64_t *nsec);
};

struct mfs_time {
    int64_t sec, nsec;
};

struct mfs_dirent;

struct mfs_node {
    uint64_t ino;
    uint32_t mode; /* type and permission bits */
    uint32_t nlink;
    uint32_t uid, gid;
    uint32_t opens; /* open files: an unlinked file lives until the last close */
    uint32_t maps;  /* shared mappings: their pages stay until the last unmap */
    uint64_t size;
    struct mfs_time atime, mtime, ctime;
    struct mfs_node *parent;    /* directories only */
    struct mfs_dirent *entries; /* directories: sorted by insertion */
    uint8_t **pages;            /* regular files: page table, NULL holes */
    uint64_t npages;            /* slots in pages */
    char *target;               /* symlinks */
};

struct mfs_dirent {
    struct mfs_dirent *next;
    struct mfs_node *node;
    uint16_t len;
    char name[];
};

struct mfs {
    struct mfs_env env;
    struct mfs_node *root;
    uint64_t next_ino;
    uint64_t bytes;     /* file data in use */
    uint64_t max_bytes; /* 0: no limit */
};

int mfs_init(struct mfs *fs, const struct mfs_env *env, uint32_t root_mode, uint64_t max_bytes);

/* Looks name up in dir ("." and ".." included). */
int mfs_lookup(struct mfs *fs, struct mfs_node *dir, const char *name, size_t len,
               struct mfs_node **out);

/* Creates a regular file, directory or symlink (target != NULL) in dir. */
int mfs_create(struct mfs *fs, struct mfs_node *dir, const char *name, size_t len, uint32_t mode,
               uint32_t uid, uint32_t gid, const char *target, struct mfs_node **out);
/* Adds a hard link to a non-directory. */
int mfs_link(struct mfs *fs, struct mfs_node *dir, const char *name, size_t len,
             struct mfs_node *node);
/* Removes a name: rmdir when dir_only, else unlink (EISDIR for a dir). */
int mfs_remove(struct mfs *fs, struct mfs_node *dir, const char *name, size_t len, int dir_only);

#define MFS_RENAME_NOREPLACE 1u
#define MFS_RENAME_EXCHANGE 2u
int mfs_rename(struct mfs *fs, struct mfs_node *from_dir, const char *from, size_t from_len,
               struct mfs_node *to_dir, const char *to, size_t to_len, unsigned flags);

/* File data. Reads stop at the end of the file; holes read as zeros. */
int64_t mfs_read(struct mfs *fs, struct mfs_node *node, uint64_t off, void *buf, uint64_t len);
int64_t mfs_write(struct mfs *fs, struct mfs_node *node, uint64_t off, const void *buf,
                  uint64_t len);
int mfs_truncate(struct mfs *fs, struct mfs_node *node, uint64_t size);

/* Directory entry number index of dir (0 ".", 1 "..", then the entries),
 * or -ENOENT past the end. */
int mfs_readdir(struct mfs_node *dir, uint64_t index, const char **name, size_t *len,
                struct mfs_node **node);

/* Open-file accounting: an unlinked node is freed at its last close. */
void mfs_open(struct mfs_node *node);
void mfs_close(struct mfs *fs, struct mfs_node *node);

/* Shared mappings. mfs_map_page returns the data page holding offset off,
 * allocating a hole (NULL when out of memory); while a node is mapped its
 * pages are never freed: a truncation zeroes them instead. */
uint8_t *mfs_map_page(struct mfs *fs, struct mfs_node *node, uint64_t off);
void mfs_map(struct mfs_node *node);
void mfs_unmap(struct mfs *fs, struct mfs_node *node);

void mfs_touch(struct mfs *fs, struct mfs_node *node, int atime, int mtime, int ctime);

#endif
