/* The fastcall cache: $XDG_CACHE_HOME/hx (default $HOME/.cache/hx), one
 * file per rewritten object, named by the SHA-256 of the original's bytes
 * and of the running hxrun (whose rewriter made the copy, so a new hxrun
 * never runs an old rewriter's output) followed by the original's name.
 * Files appear atomically (written aside, then renamed), so concurrent
 * runs share the cache safely. Hashing every library on every run would
 * cost tens of ms, so a file named by the original's identity and times
 * (device, inode, size, mtime, ctime: any change to the file changes its
 * ctime) and hxrun's gives the key of the copy once it exists.
 *
 * The cache often lies inside a directory the guest can write (the current
 * directory is read-write, and is often $HOME), and a copy runs in every
 * later run of its original: nothing in the cache is trusted as found.
 * Each file carries, in the extended attribute user.hx.fastcall, what
 * hxrun wrote it for: a copy its key and the SHA-256 of its bytes, a
 * stat-KEY file its own key and the copy's. Only hxrun sets that
 * attribute (hostfs offers the guest no extended attributes: were it to,
 * it would have to refuse this one), so a file
 * the guest made, or a cache directory it made or moved in, has none or
 * the wrong one; a copy changed after hxrun wrote it fails its hash.
 * Hashing a libc at every start would cost 10 ms, so the stat-KEY file
 * also records the copy's identity and ctime as they were when hxrun last
 * hashed it (or wrote it): a copy whose inode, size and ctime still match
 * is unchanged since (any write, truncation, chmod or xattr change moves
 * ctime, which only the kernel sets), and is used without hashing it
 * again; any other is hashed before use. On top of that, hostfs hides the
 * cache directory from the guest (hx_fastcall_cache_is), so no guest can
 * change a copy between the check and its use, and the directory must be
 * the user's own and writable by nobody else, as ssh asks of ~/.ssh.
 *
 * The guest sees the original paths: hxrun loads the program and
 * interpreter from their copies, and an open of a rewritten object (ld.so
 * opening libc.so.6, a read of /proc/self/exe) is switched to its copy by
 * file identity (device and inode), whatever path led there. */
#include "fastcall_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "elf_rewrite.h"
#include "libpath.h"
#include "sha256.h"

#define MAX_OBJECTS 256
#define XATTR "user.hx.fastcall"

static struct rewritten {
    dev_t dev;
    ino_t ino;
    char copy[32]; /* /proc/self/fd/N: the checked copy (or a sealed memfd) */
    dev_t copy_dev;
    ino_t copy_ino;
} objs[MAX_OBJECTS];
static size_t nobjs;

/* The cache directory, once this run uses it. */
static int have_cache;
static dev_t cache_dev;
static ino_t cache_ino;

int hx_fastcall_cache_is(dev_t dev, ino_t ino)
{
    return have_cache && dev == cache_dev && ino == cache_ino;
}

/* mkdir -p of an absolute path; what it makes only the user can enter
 * (as the XDG base directory specification asks). */
static int make_dirs(char *path)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = 0;
        int rc = mkdir(path, 0700);
        *p = c;
        if (rc && errno != EEXIST)
            return -1;
        if (!c)
            return 0;
    }
}

static int cache_dir(const char *given, char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char cwd[4096];
    int n;
    /* A directory given is used or fails: never replaced by the default. */
    if (given && given[0] == '/')
        n = snprintf(out, size, "%s", given);
    else if (given && getcwd(cwd, sizeof(cwd)))
        n = snprintf(out, size, "%s/%s", cwd, given);
    else if (!given && xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/hx", xdg);
    else if (!given && home && home[0] == '/')
        n = snprintf(out, size, "%s/.cache/hx", home);
    else
        return -1;
    return n < 0 || (size_t)n >= size ? -1 : make_dirs(out);
}

/* Whether st may hold or be cache content: the user's own, and writable
 * by nobody else. */
static int safe(const struct stat *st)
{
    return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* The SHA-256 of the first size bytes of the file fd. */
static int hash_fd(int fd, off_t size, uint8_t digest[32])
{
    void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return -1;
    struct hx_sha256 s;
    hx_sha256_init(&s);
    hx_sha256_update(&s, p, (size_t)size);
    hx_sha256_final(&s, digest);
    munmap(p, (size_t)size);
    return 0;
}

/* The digest of the running hxrun, mixed into every key. */
static int self_digest(uint8_t out[32])
{
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    int rc = fd < 0 || fstat(fd, &st) ? -1 : hash_fd(fd, st.st_size, out);
    if (fd >= 0)
        close(fd);
    return rc;
}

static void hex(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The key of the object o's copy. */
static void content_key(const uint8_t self[32], const struct hx_object *o, uint8_t key[32])
{
    struct hx_sha256 s;
    hx_sha256_init(&s);
    hx_sha256_update(&s, self, 32);
    hx_sha256_update(&s, o->elf.data, o->elf.size);
    hx_sha256_final(&s, key);
}

/* KEY-NAME, the copy of the object at path. */
static void copy_name(const uint8_t key[32], const char *path, char *out, size_t size)
{
    char h[65];
    const char *base = strrchr(path, '/');
    hex(key, h);
    snprintf(out, size, "%s-%s", h, base ? base + 1 : path);
}

/* The key of the fast-path file of the file st for the hxrun self. */
static void stat_key(const struct stat *self, const struct stat *st, uint8_t key[32])
{
    const struct stat *both[2] = {self, st};
    struct hx_sha256 s;
    hx_sha256_init(&s);
    for (int i = 0; i < 2; i++) {
        const struct stat *x = both[i];
        uint64_t v[] = {x->st_dev,         x->st_ino,          (uint64_t)x->st_size,
                        x->st_mtim.tv_sec, x->st_mtim.tv_nsec, x->st_ctim.tv_sec,
                        x->st_ctim.tv_nsec};
        hx_sha256_update(&s, v, sizeof(v));
    }
    hx_sha256_final(&s, key);
}

/* What the stat-KEY file of an original records (its xattr): its own key,
 * the copy's key, and the copy as hxrun last checked it. */
struct stat_tag {
    uint8_t skey[32], key[32];
    uint64_t dev, ino, size, ctime_sec, ctime_nsec;
};

static void stamp(struct stat_tag *t, const struct stat *st)
{
    t->dev = st->st_dev;
    t->ino = st->st_ino;
    t->size = (uint64_t)st->st_size;
    t->ctime_sec = (uint64_t)st->st_ctim.tv_sec;
    t->ctime_nsec = (uint64_t)st->st_ctim.tv_nsec;
}

static int stamped(const struct stat_tag *t, const struct stat *st)
{
    struct stat_tag now = *t;
    stamp(&now, st);
    return !memcmp(&now, t, sizeof(now));
}

/* Seals the memfd m against every change and hashes what it holds. */
static int seal_and_hash(int m, uint8_t digest[32])
{
    struct stat st;
    return fcntl(m, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) ||
                   fstat(m, &st) || st.st_size <= 0
               ? -1
               : hash_fd(m, st.st_size, digest);
}

static int new_memfd(void)
{
    return hx_high_fd(memfd_create("hx-fastcall", MFD_CLOEXEC | MFD_ALLOW_SEALING));
}

/* Copies size bytes of in (from its start) to the file out. */
static int copy_fd(int out, int in, off_t size)
{
    off_t at = 0;
    while (at < size) {
        ssize_t n = sendfile(out, in, &at, (size_t)(size - at));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
    }
    return 0;
}

/* The cached copy named name for key, checked, as a read-only fd; -1
 * when it is missing or not what hxrun wrote there. A copy that matches
 * the stamp t (when given) is not hashed again; *st is what it is now. */
static int load(int dir, const char *name, const uint8_t key[32], const struct stat_tag *t,
                struct stat *st)
{
    uint8_t tag[64], digest[32];
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) || !S_ISREG(st->st_mode) || !safe(st) || st->st_size <= 0 ||
        fgetxattr(fd, XATTR, tag, sizeof(tag)) != sizeof(tag) || memcmp(tag, key, 32)) {
        close(fd);
        return -1;
    }
    if (t && stamped(t, st))
        return hx_high_fd(fd);
    if (hash_fd(fd, st->st_size, digest)) {
        close(fd);
        return -1;
    }
    if (memcmp(digest, tag + 32, 32)) {
        fprintf(stderr,
                "hxrun: warning: fastcall cache: %s was changed after hxrun wrote it: "
                "rewriting it\n",
                name);
        close(fd);
        return -1;
    }
    return hx_high_fd(fd);
}

/* Publishes a file named name in dir: the bytes of the file src (none when
 * src < 0) and the attribute tag, read-only. Failing costs only speed. */
static int publish(int dir, const char *name, int src, const void *tag, size_t taglen)
{
    static unsigned seq;
    char tmp[64];
    struct stat st;
    snprintf(tmp, sizeof(tmp), ".tmp.%ld.%u", (long)getpid(), seq++);
    /* O_EXCL: a file of hxrun's own making, never one found there. */
    int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = (src >= 0 && (fstat(src, &st) || copy_fd(fd, src, st.st_size))) ||
             fsetxattr(fd, XATTR, tag, taglen, 0) || fchmod(fd, 0444);
    int saved = errno;
    if (close(fd) && !rc)
        rc = 1, saved = errno;
    if (!rc && renameat(dir, tmp, dir, name))
        rc = 1, saved = errno;
    if (rc)
        unlinkat(dir, tmp, 0);
    errno = saved;
    return rc ? -1 : 0;
}

/* Opens the cache directory, which must be safe(); -1 after a warning
 * when it is not. */
static int open_cache(const struct hx_options *opt)
{
    char path[4096];
    struct stat st;
    int fd = -1;
    if (cache_dir(opt->fastcall_cache, path, sizeof(path)) ||
        (fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(fd, &st)) {
        if (fd >= 0)
            close(fd);
        if (opt->fastcall == HX_FASTCALL_ASKED)
            fprintf(stderr, "hxrun: warning: no usable fastcall cache directory (--fastcall-cache, "
                            "XDG_CACHE_HOME or HOME): running without fastcalls\n");
        return -1;
    }
    if (!safe(&st)) {
        /* Someone else could put code there that every later run runs. */
        fprintf(stderr,
                "hxrun: warning: %s: a fastcall cache must be your own and writable by "
                "you alone: running without fastcalls\n",
                path);
        close(fd);
        return -1;
    }
    have_cache = 1;
    cache_dev = st.st_dev;
    cache_ino = st.st_ino;
    return hx_high_fd(fd);
}

/* The copy of o, from the cache (a read-only fd of the checked copy) or
 * rewritten now (and cached: a sealed memfd), or -1 after a warning when
 * asked for. */
static int copy_of(const struct hx_options *opt, int dir, const struct stat *self_st,
                   uint8_t self[32], int *have_self, const struct hx_object *o)
{
    uint8_t key[32], digest[32], tag[64];
    char name[4096], sname[80], h[65], err[512];
    struct stat st, cst;
    struct stat_tag t = {0};
    int have_stat = stat(o->path, &st) == 0, fast = 0, tried = 0, m = -1;
    if (have_stat) {
        uint8_t skey[32];
        stat_key(self_st, &st, skey);
        hex(skey, h);
        snprintf(sname, sizeof(sname), "stat-%s", h);
        int fd = openat(dir, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat fs;
        if (fd >= 0 && !fstat(fd, &fs) && S_ISREG(fs.st_mode) && safe(&fs) &&
            fgetxattr(fd, XATTR, &t, sizeof(t)) == sizeof(t) && !memcmp(t.skey, skey, 32)) {
            copy_name(t.key, o->path, name, sizeof(name));
            m = load(dir, name, t.key, &t, &cst);
            fast = m >= 0 && stamped(&t, &cst);
            tried = 1;
        }
        if (fd >= 0)
            close(fd);
        memcpy(t.skey, skey, 32);
        if (m >= 0)
            memcpy(key, t.key, 32);
    }
    if (m < 0) {
        if (!*have_self && self_digest(self)) {
            if (opt->fastcall == HX_FASTCALL_ASKED)
                fprintf(stderr,
                        "hxrun: warning: cannot read hxrun itself: %s runs without "
                        "fastcalls\n",
                        o->path);
            return -1;
        }
        *have_self = 1;
        content_key(self, o, key);
        copy_name(key, o->path, name, sizeof(name));
        if (!tried || memcmp(key, t.key, 32))
            m = load(dir, name, key, NULL, &cst); /* not the copy stat-KEY named, which failed */
    }
    if (m < 0) {
        struct hx_rewrite_stats rs;
        if ((m = new_memfd()) < 0 || hx_rewrite_file_fd(o->path, m, NULL, &rs, err, sizeof(err)) ||
            seal_and_hash(m, digest)) {
            if (m >= 0)
                close(m);
            if (opt->fastcall == HX_FASTCALL_ASKED)
                fprintf(stderr, "hxrun: warning: %s: cannot rewrite for fastcalls: %s\n", o->path,
                        m < 0 ? strerror(errno) : err);
            return -1;
        }
        memcpy(tag, key, 32);
        memcpy(tag + 32, digest, 32);
        /* Without extended attributes every run rewrites everything: say
         * so even unasked, once. */
        static int told;
        if (publish(dir, name, m, tag, sizeof(tag)) ||
            fstatat(dir, name, &cst, AT_SYMLINK_NOFOLLOW)) {
            if (opt->fastcall == HX_FASTCALL_ASKED || (errno == EOPNOTSUPP && !told++))
                fprintf(stderr, "hxrun: warning: %s: cannot cache its rewritten copy: %s\n",
                        o->path, strerror(errno));
            return m;
        }
    }
    if (have_stat && !fast) {
        /* The copy as checked (hashed now, or just written): later runs
         * trust it while it stays so. */
        memcpy(t.key, key, 32);
        stamp(&t, &cst);
        publish(dir, sname, -1, &t, sizeof(t));
    }
    return m;
}

int hx_fastcall_prepare(const struct hx_options *opt, const char *prog)
{
    char err[512];
    uint8_t self[32]; /* hashed only when a copy is not found by stat-KEY */
    int have_self = 0;
    struct stat self_st;
    int dir = open_cache(opt);
    if (dir < 0)
        return -1;
    if (stat("/proc/self/exe", &self_st)) {
        if (opt->fastcall == HX_FASTCALL_ASKED)
            fprintf(stderr, "hxrun: warning: cannot read hxrun itself: running without "
                            "fastcalls\n");
        close(dir);
        return -1;
    }
    struct hx_libs_config cfg;
    struct hx_objset set = {0};
    hx_libs_default(&cfg);
    for (char **e = opt->envp; *e; e++)
        if (!strncmp(*e, "LD_LIBRARY_PATH=", 16))
            cfg.ld_library_path = *e + 16;
    if (hx_objset_load(&set, prog, &cfg, err, sizeof(err))) {
        close(dir);
        return -1; /* the loader reports the program's own problem */
    }
    for (size_t i = 0; i < set.n && nobjs < MAX_OBJECTS; i++) {
        const struct hx_object *o = &set.v[i];
        if (o->elf.fastcall)
            continue; /* rewritten already: runs as it is */
        int m = copy_of(opt, dir, &self_st, self, &have_self, o);
        struct stat cst;
        if (m < 0)
            continue;
        if (fstat(m, &cst)) {
            close(m);
            continue;
        }
        objs[nobjs].dev = o->dev;
        objs[nobjs].ino = o->ino;
        objs[nobjs].copy_dev = cst.st_dev;
        objs[nobjs].copy_ino = cst.st_ino;
        snprintf(objs[nobjs].copy, sizeof(objs[nobjs].copy), "/proc/self/fd/%d", m);
        nobjs++;
    }
    hx_objset_free(&set);
    close(dir);
    return 0;
}

static const struct rewritten *lookup(const struct stat *st)
{
    for (size_t i = 0; i < nobjs; i++)
        if (objs[i].dev == st->st_dev && objs[i].ino == st->st_ino)
            return &objs[i];
    return NULL;
}

const char *hx_fastcall_path(const char *path)
{
    struct stat st;
    const struct rewritten *r = nobjs && stat(path, &st) == 0 ? lookup(&st) : NULL;
    return r ? r->copy : path;
}

int hx_fastcall_is_copy(int fd)
{
    struct stat st;
    if (!nobjs || fstat(fd, &st))
        return 0;
    for (size_t i = 0; i < nobjs; i++)
        if (objs[i].copy_dev == st.st_dev && objs[i].copy_ino == st.st_ino)
            return 1;
    return 0;
}

long hx_fastcall_reopen(long fd, int flags)
{
    struct stat st;
    const struct rewritten *r;
    if (fd < 0 || !nobjs || (flags & O_ACCMODE) != O_RDONLY || (flags & O_PATH) ||
        fstat((int)fd, &st) || !S_ISREG(st.st_mode) || !(r = lookup(&st)))
        return fd;
    /* A description of its own (offset, flags) of the checked copy. */
    int copy = open(r->copy, O_RDONLY | O_CLOEXEC);
    if (copy < 0)
        return fd; /* the original still works, without fastcalls */
    int rc = dup3(copy, (int)fd, O_CLOEXEC);
    close(copy);
    return rc < 0 ? -errno : fd;
}
