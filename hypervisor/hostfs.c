/* hostfs: mounts and confined path resolution (see hostfs.h). Paths are
 * walked component by component with O_PATH|O_NOFOLLOW, never passing
 * ".." or an absolute path to the host: a symlink's target is turned into
 * a new guest path and looked up again from the mount table, so no target
 * reaches a host file outside the guest's mounts. Default mounts
 * (DESIGN.md section 5): the host root read-only, the current directory
 * read-write; -v adds more; --no-host-root leaves only the program, its
 * loader and its library directories. */
#include "hostfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "fastcall_cache.h"
#include "hcall.h"
#include "libpath.h"
#include "run_dir.h"

#define MAX_HOPS 40

static struct hx_mount mounts[HX_MAX_MOUNTS];
static int nmounts;

/* Normalises an absolute guest path lexically into out ("/a/b"). ".."
 * at the root stays there; *escaped, when given, says whether one did. */
static int normalise_esc(const char *in, char *out, size_t size, int *escaped)
{
    size_t n = 0;
    if (in[0] != '/')
        return -1;
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        const char *c = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - c);
        if (!len || (len == 1 && c[0] == '.'))
            continue;
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            if (!n && escaped)
                *escaped = 1;
            while (n && out[n - 1] != '/')
                n--;
            if (n)
                n--;
            continue;
        }
        if (n + 1 + len + 1 > size)
            return -1;
        out[n++] = '/';
        memcpy(out + n, c, len);
        n += len;
    }
    if (!n)
        out[n++] = '/';
    out[n] = 0;
    return 0;
}

static int normalise(const char *in, char *out, size_t size)
{
    return normalise_esc(in, out, size, NULL);
}

static int add_mount(struct hx_vm *vm, const char *guest, const char *host, int ro)
{
    if (nmounts == HX_MAX_MOUNTS) {
        fprintf(stderr, "hxrun: too many mounts (at most %d)\n", HX_MAX_MOUNTS);
        return -1;
    }
    struct hx_mount *m = &mounts[nmounts];
    if (normalise(guest, m->guest, sizeof(m->guest))) {
        fprintf(stderr, "hxrun: mount point '%s' must be an absolute path\n", guest);
        return -1;
    }
    int fd = hx_high_fd(open(host, O_PATH | O_CLOEXEC));
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "hxrun: cannot mount %s: %s\n", host, strerror(errno));
        return -1;
    }
    m->len = strcmp(m->guest, "/") ? strlen(m->guest) : 0;
    m->fd = fd;
    if (!realpath(host, m->host))
        snprintf(m->host, sizeof(m->host), "%s", host);
    m->ro = ro || hx_fastcall_cache_is(st.st_dev, st.st_ino); /* the cache: never the guest's */
    m->file = !S_ISDIR(st.st_mode);
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    m->id = (uint8_t)(nmounts + 1);
    nmounts++;
    hx_hostfs_publish(vm);
    return 0;
}

static const struct hx_mount *mount_of(const char *path, const char **rest);

/* --no-host-root: "/" is an empty, read-only directory, as a bare root
 * would be. A fresh directory is opened and removed at once: nothing is
 * left on the host, and nothing can be created in it. */
static int mount_empty_root(struct hx_vm *vm)
{
    char dir[] = "/tmp/hxrun-root.XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "hxrun: cannot make an empty root: %s\n", strerror(errno));
        return -1;
    }
    int rc = add_mount(vm, "/", dir, 1);
    rmdir(dir);
    return rc;
}

/* --no-host-root: only the program, its interpreter and the libraries ld.so
 * will load, each found as ld.so finds it (loader/libpath.c), read-only at
 * its own path; and glibc's cache, which names them. */
static int mount_program(struct hx_vm *vm)
{
    struct hx_libs_config cfg;
    struct hx_objset set = {0};
    char err[256];
    hx_libs_default(&cfg);
    for (char **e = vm->opt->envp; *e; e++)
        if (!strncmp(*e, "LD_LIBRARY_PATH=", 16))
            cfg.ld_library_path = *e + 16;
    if (hx_objset_load(&set, vm->boot->exe, &cfg, err, sizeof(err))) {
        fprintf(stderr, "hxrun: %s: %s\n", vm->boot->exe, err);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < set.n && !rc; i++) {
        const char *rest;
        char path[4096];
        if (normalise(set.v[i].path, path, sizeof(path)))
            continue;
        const struct hx_mount *m = mount_of(path, &rest);
        if (m && !*rest)
            continue; /* the same file twice */
        rc = add_mount(vm, path, set.v[i].path, 1);
    }
    if (!rc && set.n > 1 && !set.musl && access(cfg.ld_so_cache, F_OK) == 0)
        rc = add_mount(vm, cfg.ld_so_cache, cfg.ld_so_cache, 1);
    hx_objset_free(&set);
    return rc;
}

void hx_hostfs_publish(struct hx_vm *vm)
{
    struct hx_boot_info *b = vm->boot;
    b->nhost_mounts = 0;
    for (int i = 0; i < nmounts; i++)
        if (strlen(mounts[i].guest) < sizeof(b->host_mounts[0]) && mounts[i].len)
            strcpy(b->host_mounts[b->nhost_mounts++], mounts[i].guest);
}

/* The directory sub of the run's (run_dir.c) at guest path at, unless a
 * -v mount is there already: 0, or -1 after an error line. */
static int mount_run_sub(struct hx_vm *vm, const char *dir, const char *at, const char *sub)
{
    for (int j = 0; j < nmounts; j++)
        if (!strcmp(mounts[j].guest, at))
            return 0;
    char host[4096];
    snprintf(host, sizeof(host), "%s/%s", dir, sub);
    return add_mount(vm, at, host, 0);
}

/* The run's directory: /dev/shm, and /tmp when tmp is set, the same files
 * for every process of the run. Without it (no host directory we may
 * write), /dev/shm is missing, and a RAM /tmp cannot be had. 0, or -1
 * after an error line. */
static int mount_run_dir(struct hx_vm *vm, int tmp)
{
    const char *dir = hx_run_dir();
    if (!dir) {
        if (!tmp)
            return 0;
        fprintf(stderr, "hxrun: cannot make the run's /tmp: %s\n", strerror(errno));
        return -1;
    }
    if (mount_run_sub(vm, dir, "/dev/shm", "shm"))
        return -1;
    return tmp ? mount_run_sub(vm, dir, "/tmp", "tmp") : 0;
}

int hx_hostfs_init(struct hx_vm *vm)
{
    const struct hx_options *o = vm->opt;
    if (!o->no_host_root) {
        /* A host path means the same file in the guest: /tmp too, as for
         * a host process (DESIGN.md section 5), unless --tmpfs /tmp. */
        struct stat st;
        int tmp = !o->tmpfs_tmp && stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode);
        if (add_mount(vm, "/", "/", 1) || (tmp && add_mount(vm, "/tmp", "/tmp", 0)) ||
            add_mount(vm, vm->boot->cwd, vm->boot->cwd, 0))
            return 125;
    } else if (mount_empty_root(vm) || mount_program(vm) ||
               (o->script && add_mount(vm, o->script, o->script, 1))) {
        return 125; /* a script: its interpreter is the program, and it reads the script */
    }
    for (int i = 0; i < o->nvolumes; i++)
        if (add_mount(vm, o->volumes[i].guest, o->volumes[i].host, o->volumes[i].ro))
            return 125;
    /* A RAM /tmp is the run's, which all its processes share. */
    if (mount_run_dir(vm, o->no_host_root || o->tmpfs_tmp))
        return 125;
    return 0;
}

static int under(const char *path, const char *prefix, size_t len)
{
    return strncmp(path, prefix, len) == 0 && (path[len] == '/' || !path[len]);
}

/* The deepest mount holding path; *rest is the path inside it. */
static const struct hx_mount *mount_of(const char *path, const char **rest)
{
    const struct hx_mount *best = NULL;
    for (int i = 0; i < nmounts; i++)
        if (under(path, mounts[i].guest, mounts[i].len) && (!best || mounts[i].len > best->len))
            best = &mounts[i];
    if (best) {
        *rest = path + best->len;
        while (**rest == '/')
            (*rest)++;
    }
    return best;
}

const struct hx_mount *hx_mount_by_id(unsigned id)
{
    return id && id <= (unsigned)nmounts ? &mounts[id - 1] : NULL;
}

/* The mount whose root is the object st describes, or NULL: a walk that
 * reaches a mounted directory by another path (through an outer mount, or
 * after the guest renamed a parent) enters that mount, so that a
 * read-only mount protects its host directory however it is reached. When
 * several mounts share the object, the read-only one. */
static const struct hx_mount *mount_rooted_at(const struct stat *st)
{
    const struct hx_mount *found = NULL;
    for (int i = 0; i < nmounts; i++)
        if (mounts[i].dev == st->st_dev && mounts[i].ino == st->st_ino && (!found || mounts[i].ro))
            found = &mounts[i];
    return found;
}

/* Whether path belongs to one of the guest's own file systems. */
static int guest_fs(const char *path)
{
    static const char *const dirs[] = {"/tmp", "/dev", "/proc", "/sys"};
    const char *rest;
    const struct hx_mount *m = mount_of(path, &rest);
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (under(path, dirs[i], strlen(dirs[i])) && (!m || m->len < strlen(dirs[i])))
            return 1;
    return 0;
}

/* Builds the path a symlink leads to: dir/target/rest (or target/rest for
 * an absolute target), normalised. */
static int follow(const char *dir, const char *target, const char *rest, char *out, size_t size)
{
    char tmp[2 * 4096 + 8];
    int n = target[0] == '/' ? snprintf(tmp, sizeof(tmp), "%s/%s", target, rest)
                             : snprintf(tmp, sizeof(tmp), "%s/%s/%s", dir, target, rest);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    return normalise(tmp, out, size) ? -ENAMETOOLONG : 0;
}

/* openat2's start directory as the root of a walk (hx_walk_beneath). */
struct beneath {
    const char *root; /* its guest path, normalised */
    size_t len;       /* strlen(root), 0 for "/" */
    int in_root;      /* RESOLVE_IN_ROOT: a step out stays at the root */
};

/* The path a step beneath b leads to: base/target/rest, or target/rest
 * from the root for an absolute target. A step out of the root is EXDEV
 * (RESOLVE_BENEATH) or stops at the root (RESOLVE_IN_ROOT), as openat2's. */
static int join_beneath(const struct beneath *b, const char *base, const char *target,
                        const char *rest, char *out, size_t size)
{
    char tmp[2 * 4096 + 8], inner[4096];
    int n, escaped = 0;
    if (target[0] == '/') {
        if (!b->in_root)
            return -EXDEV;
        n = snprintf(tmp, sizeof(tmp), "%s/%s", target, rest);
    } else {
        if (!under(base, b->root, b->len))
            return -EXDEV; /* a symlink in the start directory's own path */
        n = snprintf(tmp, sizeof(tmp), "/%s/%s/%s", base + b->len, target, rest);
    }
    if (n < 0 || (size_t)n >= sizeof(tmp) || normalise_esc(tmp, inner, sizeof(inner), &escaped))
        return -ENAMETOOLONG;
    if (escaped && !b->in_root)
        return -EXDEV;
    n = snprintf(out, size, "%s%s", b->len ? b->root : "",
                 strcmp(inner, "/") || !b->len ? inner : "");
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Closes the walk's fd and returns err. */
static long walk_fail(struct hx_walk *w, long err)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    return err;
}

/* The walk of w->path (absolute, normalised), as hx_walk describes it; a
 * redirect leaves the new path in w->path. */
static long walk_path(int follow_last, int must_dir, int no_symlinks, const struct beneath *b,
                      struct hx_walk *w)
{
    w->fd = -1;
    for (int hop = 0; hop <= MAX_HOPS; hop++) {
        const char *rest;
        const struct hx_mount *m = mount_of(w->path, &rest);
        /* The guest kernel's own paths never resolve on the host, whether
         * a symlink led there or a raw request named them. */
        if (guest_fs(w->path))
            return -HX_EREDIRECT;
        if (!m)
            return -ENOENT;
        /* The same directory mounted again read-only (-v $PWD:/x:ro
         * beside the read-write cwd) protects it on this path too. */
        struct stat root = {.st_dev = m->dev, .st_ino = m->ino};
        w->m = mount_rooted_at(&root);
        w->name[0] = 0;
        w->fd = dup(m->fd);
        if (w->fd < 0)
            return -errno;
        if (!*rest)
            return 0; /* the mount itself */
        if (m->file)
            return walk_fail(w, -ENOTDIR);
        /* Walk the components; dir tracks the guest path of w->fd. */
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", m->guest);
        const char *p = rest;
        int restart = 0;
        while (*p) {
            const char *c = p;
            while (*p && *p != '/')
                p++;
            size_t len = (size_t)(p - c);
            while (*p == '/')
                p++;
            int last = !*p;
            if (len >= sizeof(w->name))
                return walk_fail(w, -ENAMETOOLONG);
            memcpy(w->name, c, len);
            w->name[len] = 0;
            struct stat st;
            if (fstatat(w->fd, w->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (last && errno == ENOENT)
                    return 0; /* to be created, or ENOENT by the caller */
                return walk_fail(w, -errno);
            }
            if (hx_fastcall_cache_is(st.st_dev, st.st_ino))
                return walk_fail(w, -EACCES); /* later runs run what it holds */
            if (S_ISLNK(st.st_mode) && no_symlinks)
                return walk_fail(w, -ELOOP);
            if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
                char target[4096];
                ssize_t t = readlinkat(w->fd, w->name, target, sizeof(target) - 1);
                if (t < 0)
                    return walk_fail(w, -errno);
                target[t] = 0;
                char next[4096];
                int r = b ? join_beneath(b, dir, target, p, next, sizeof(next))
                          : follow(dir, target, p, next, sizeof(next));
                walk_fail(w, 0);
                if (r)
                    return r;
                strcpy(w->path, next);
                restart = 1;
                break;
            }
            const struct hx_mount *inner = mount_rooted_at(&st);
            if (inner && (last || !inner->file)) {
                /* Another mount's root: from here on, that mount. */
                int fd = dup(inner->fd);
                if (fd < 0)
                    return walk_fail(w, -errno);
                close(w->fd);
                w->fd = fd;
                w->m = inner;
                if (last) {
                    w->name[0] = 0;
                    return must_dir && inner->file ? walk_fail(w, -ENOTDIR) : 0;
                }
            } else {
                if (last && must_dir && !S_ISDIR(st.st_mode))
                    return walk_fail(w, -ENOTDIR);
                if (last)
                    return 0;
                if (!S_ISDIR(st.st_mode))
                    return walk_fail(w, -ENOTDIR);
                int next = openat(w->fd, w->name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
                int err = errno;
                close(w->fd);
                w->fd = next;
                if (next < 0)
                    return -err;
            }
            size_t dl = strlen(dir);
            snprintf(dir + dl, sizeof(dir) - dl, "%s%s", dl > 1 ? "/" : "", w->name);
        }
        if (!restart)
            return 0;
    }
    return -ELOOP;
}

/* A redirect hands the guest kernel the path reached, over its request. */
static long walk_end(struct hx_vm *vm, uint64_t gva, long r, struct hx_walk *w)
{
    if (r == -HX_EREDIRECT && hx_copy_to_guest(&vm->g, gva, w->path, strlen(w->path) + 1))
        return -EFAULT;
    return r;
}

long hx_walk(struct hx_vm *vm, uint64_t gva, int follow_last, struct hx_walk *w)
{
    return hx_walk_flags(vm, gva, follow_last, 0, w);
}

long hx_walk_flags(struct hx_vm *vm, uint64_t gva, int follow_last, int no_symlinks,
                   struct hx_walk *w)
{
    w->fd = -1; /* before anything can fail: callers release w on error */
    char raw[4096];
    long n = hx_copy_str_from_guest(&vm->g, raw, gva, sizeof(raw));
    if (n < 0)
        return n;
    if (raw[0] != '/' || normalise(raw, w->path, sizeof(w->path)))
        return -EINVAL; /* the kernel always sends absolute paths */
    /* "x/" must be a directory, and a final symlink is then followed. */
    int must_dir = n > 1 && raw[n - 1] == '/' && follow_last;
    return walk_end(vm, gva, walk_path(follow_last, must_dir, no_symlinks, NULL, w), w);
}

long hx_walk_beneath(struct hx_vm *vm, uint64_t gva, const char *rel, int follow_last,
                     uint64_t resolve, struct hx_walk *w)
{
    w->fd = -1;
    char raw[4096], root[4096];
    long n = hx_copy_str_from_guest(&vm->g, raw, gva, sizeof(raw));
    if (n < 0)
        return n;
    if (raw[0] != '/' || normalise(raw, root, sizeof(root)))
        return -EINVAL;
    struct beneath b = {root, strcmp(root, "/") ? strlen(root) : 0,
                        !(resolve & RESOLVE_BENEATH) && (resolve & RESOLVE_IN_ROOT)};
    long r = join_beneath(&b, root, rel, "", w->path, sizeof(w->path));
    if (r)
        return r;
    size_t rl = strlen(rel);
    int must_dir = rl && rel[rl - 1] == '/' && follow_last;
    r = walk_path(follow_last, must_dir, (resolve & RESOLVE_NO_SYMLINKS) != 0, &b, w);
    if (!r && (resolve & RESOLVE_NO_XDEV)) {
        /* The start's mount as a walk finds it (it may be another mount's
         * root, reached through this one). */
        struct hx_walk start;
        strcpy(start.path, root);
        if (walk_path(1, 1, 0, NULL, &start) || start.m != w->m)
            r = walk_fail(w, -EXDEV);
        walk_fail(&start, 0);
    }
    return walk_end(vm, gva, r, w);
}

long hx_walk_open(const struct hx_walk *w, int flags, unsigned mode)
{
    int fd;
    if (!w->name[0]) {
        /* The object is w->fd itself: reopen it through its own fd. It is
         * what the walk reached (a directory by ".", "..", "/", or a mount's
         * root), never a symlink, so O_NOFOLLOW has nothing to refuse; kept,
         * it would refuse the /proc/self/fd link itself (ELOOP, or ENOTDIR
         * with O_DIRECTORY). */
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", w->fd);
        if (flags & O_PATH)
            fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 0);
        else
            fd = open(self, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY,
                      mode); /* O_TMPFILE in a mount's root takes it */
    } else {
        fd = openat(w->fd, w->name,
                    flags | O_NOFOLLOW | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY), mode);
    }
    return fd < 0 ? -errno : fd;
}

void hx_walk_done(struct hx_walk *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

int hx_guest_path_of(const char *host, char *out, size_t size)
{
    const struct hx_mount *best = NULL;
    size_t best_len = 0;
    for (int i = 0; i < nmounts; i++) {
        size_t n = strcmp(mounts[i].host, "/") ? strlen(mounts[i].host) : 0;
        if (under(host, mounts[i].host, n) && (!best || n > best_len)) {
            best = &mounts[i];
            best_len = n;
        }
    }
    if (!best)
        return -1;
    const char *rest = host + best_len;
    int n = snprintf(out, size, "%s%s", best->len ? best->guest : "", rest);
    if (n <= 0 || (size_t)n >= size)
        return -1;
    if (!out[0])
        strcpy(out, "/");
    return 0;
}
