/* hostfs: the guest's view of host files, confined to mounts. */
#ifndef HX_HOSTFS_H
#define HX_HOSTFS_H

#include <stdint.h>
#include <sys/types.h>

#include "vm.h"

struct hx_mount {
    char guest[4096];
    size_t len;
    int fd;          /* O_PATH: the mounted directory, or the mounted file */
    char host[4096]; /* its host path, resolved */
    int ro;
    int file;   /* a single file (the program and its loader, --no-host-root) */
    dev_t dev;  /* the mounted object, however the guest reaches it: */
    ino_t ino;  /* its protection follows the host directory, not a path */
    uint8_t id; /* 1 + its index, for the fds opened through it */
};

/* Where a guest path leads on the host: the directory holding its last
 * component (an O_PATH fd the caller closes) and that component's name.
 * name is "" when the path names a mount's root or a mounted file: then
 * fd is that object itself. */
struct hx_walk {
    const struct hx_mount *m;
    int fd;
    char name[256];
    char path[4096]; /* the guest path reached, after symlinks */
};

/* Resolves the guest path at gva (absolute, from the kernel) one
 * component at a time beneath the mounts, following symlinks as the guest
 * sees them (absolute targets from the guest root), the last only when
 * follow_last. Returns 0, a negative errno, or -HX_EREDIRECT after writing
 * the new path back over gva when a symlink leads into the guest's own
 * file systems. */
long hx_walk(struct hx_vm *vm, uint64_t gva, int follow_last, struct hx_walk *w);

/* hx_walk, refusing every symlink on the way with ELOOP when no_symlinks
 * is set (openat2's RESOLVE_NO_SYMLINKS). */
long hx_walk_flags(struct hx_vm *vm, uint64_t gva, int follow_last, int no_symlinks,
                   struct hx_walk *w);

/* openat2's RESOLVE_BENEATH or RESOLVE_IN_ROOT (resolve holds the
 * RESOLVE_* flags): walks rel from the directory whose guest path is at
 * gva, that directory being the root of every step, symlinks included;
 * through the mounts like any walk. BENEATH answers EXDEV for a step out
 * (an absolute path, ".." above the start); IN_ROOT keeps it inside. A
 * redirect into the guest's own file systems writes the path reached over
 * gva (PATH_MAX bytes). */
long hx_walk_beneath(struct hx_vm *vm, uint64_t gva, const char *rel, int follow_last,
                     uint64_t resolve, struct hx_walk *w);

/* The mount with that id (hx_mount.id), or NULL. */
const struct hx_mount *hx_mount_by_id(unsigned id);

/* Opens the walked object with flags (never following a final symlink:
 * the walk already did when asked). Returns a host fd or -errno. */
long hx_walk_open(const struct hx_walk *w, int flags, unsigned mode);

void hx_walk_done(struct hx_walk *w);

/* Writes the mounts' guest paths into the boot info (again, for the new
 * machine of an execve). */
void hx_hostfs_publish(struct hx_vm *vm);
/* The guest path of a host path (the deepest mount holding it), or -1. */
int hx_guest_path_of(const char *host, char *out, size_t size);

#endif
