/* The fastcall cache: $XDG_CACHE_HOME/hx (default $HOME/.cache/hx), one
 * file per rewritten object, named by the SHA-256 of the original's bytes
 * and of the running hxrun (whose rewriter made the copy, so a new hxrun
 * never runs an old rewriter's output) followed by the original's name.
 * Files appear atomically (written aside, then renamed), so concurrent
 * runs share the cache safely. Hashing every library on every run would
 * cost tens of ms, so a symlink named by the file's identity and times
 * (device, inode, size, mtime, ctime: any change to the file changes its
 * ctime) and hxrun's leads to the content-named copy once it exists.
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
#include <sys/stat.h>
#include <unistd.h>

#include "elf_rewrite.h"
#include "libpath.h"
#include "sha256.h"

#define MAX_OBJECTS 256

static struct rewritten {
    dev_t dev;
    ino_t ino;
    char *cached;
} objs[MAX_OBJECTS];
static size_t nobjs;

/* mkdir -p of an absolute path. */
static int make_dirs(char *path)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = 0;
        int rc = mkdir(path, 0755);
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
    if (given && given[0] == '/')
        n = snprintf(out, size, "%s", given);
    else if (given && getcwd(cwd, sizeof(cwd)))
        n = snprintf(out, size, "%s/%s", cwd, given);
    else if (given)
        return -1;
    else if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/hx", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, size, "%s/.cache/hx", home);
    else
        return -1;
    return n < 0 || (size_t)n >= size ? -1 : make_dirs(out);
}

/* The digest of the running hxrun, mixed into every key. */
static int self_digest(uint8_t out[32])
{
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -1;
    struct hx_sha256 s;
    hx_sha256_init(&s);
    hx_sha256_update(&s, p, (size_t)st.st_size);
    hx_sha256_final(&s, out);
    munmap(p, (size_t)st.st_size);
    return 0;
}

/* dir/KEY-NAME for the object o. */
static void cache_name(const char *dir, const uint8_t self[32], const struct hx_object *o,
                       char *out, size_t size)
{
    struct hx_sha256 s;
    uint8_t d[32];
    hx_sha256_init(&s);
    hx_sha256_update(&s, self, 32);
    hx_sha256_update(&s, o->elf.data, o->elf.size);
    hx_sha256_final(&s, d);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    const char *base = strrchr(o->path, '/');
    snprintf(out, size, "%s/%s-%s", dir, hex, base ? base + 1 : o->path);
}

/* Whether cached is a usable rewritten copy. */
static int usable(const char *cached)
{
    struct hx_elf e;
    char why[256];
    if (hx_elf_open(cached, &e, why, sizeof(why)))
        return 0;
    int ok = e.fastcall == HX_FASTCALL_VERSION;
    hx_elf_close(&e);
    return ok;
}

/* dir/stat-KEY, the fast-path link of the file st for the hxrun self. */
static void stat_name(const char *dir, const struct stat *self, const struct stat *st, char *out,
                      size_t size)
{
    const struct stat *both[2] = {self, st};
    struct hx_sha256 s;
    uint8_t d[32];
    hx_sha256_init(&s);
    for (int i = 0; i < 2; i++) {
        const struct stat *x = both[i];
        uint64_t v[] = {x->st_dev,         x->st_ino,          (uint64_t)x->st_size,
                        x->st_mtim.tv_sec, x->st_mtim.tv_nsec, x->st_ctim.tv_sec,
                        x->st_ctim.tv_nsec};
        hx_sha256_update(&s, v, sizeof(v));
    }
    hx_sha256_final(&s, d);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    snprintf(out, size, "%s/stat-%s", dir, hex);
}

/* Points the fast-path link at the copy cached (atomically: a link made
 * aside, then renamed over). Failing costs only speed. */
static void link_stat(const char *link, const char *cached)
{
    char tmp[8300];
    const char *base = strrchr(cached, '/');
    snprintf(tmp, sizeof(tmp), "%s.%ld", link, (long)getpid());
    if (symlink(base ? base + 1 : cached, tmp) == 0 && rename(tmp, link))
        unlink(tmp);
}

int hx_fastcall_prepare(const struct hx_options *opt, const char *prog)
{
    char dir[4096], cached[8192], link[8192], target[4096], err[512];
    uint8_t self[32];
    int have_self = 0;
    struct stat self_st;
    if (cache_dir(opt->fastcall_cache, dir, sizeof(dir)) || stat("/proc/self/exe", &self_st)) {
        if (opt->fastcall == HX_FASTCALL_ASKED)
            fprintf(stderr, "hxrun: warning: no usable fastcall cache directory (--fastcall-cache, "
                            "XDG_CACHE_HOME or HOME): running without fastcalls\n");
        return -1;
    }
    struct hx_libs_config cfg;
    struct hx_objset set = {0};
    hx_libs_default(&cfg);
    for (char **e = opt->envp; *e; e++)
        if (!strncmp(*e, "LD_LIBRARY_PATH=", 16))
            cfg.ld_library_path = *e + 16;
    if (hx_objset_load(&set, prog, &cfg, err, sizeof(err)))
        return -1; /* the loader reports the program's own problem */
    for (size_t i = 0; i < set.n && nobjs < MAX_OBJECTS; i++) {
        const struct hx_object *o = &set.v[i];
        if (o->elf.fastcall)
            continue; /* rewritten already: runs as it is */
        struct stat st;
        ssize_t n = -1;
        link[0] = 0;
        if (stat(o->path, &st) == 0) {
            stat_name(dir, &self_st, &st, link, sizeof(link));
            n = readlink(link, target, sizeof(target) - 1);
        }
        if (n > 0 && !memchr(target, '/', (size_t)n)) {
            target[n] = 0;
            snprintf(cached, sizeof(cached), "%s/%s", dir, target);
        }
        if (n <= 0 || !usable(cached)) {
            struct hx_rewrite_stats rs;
            if (!have_self && self_digest(self)) {
                if (opt->fastcall == HX_FASTCALL_ASKED)
                    fprintf(stderr, "hxrun: warning: cannot read hxrun itself: running without "
                                    "fastcalls\n");
                break;
            }
            have_self = 1;
            cache_name(dir, self, o, cached, sizeof(cached));
            if (!usable(cached) && hx_rewrite_file(o->path, cached, NULL, &rs, err, sizeof(err))) {
                if (opt->fastcall == HX_FASTCALL_ASKED)
                    fprintf(stderr, "hxrun: warning: %s: cannot rewrite for fastcalls: %s\n",
                            o->path, err);
                continue;
            }
            if (link[0])
                link_stat(link, cached);
        }
        objs[nobjs++] = (struct rewritten){o->dev, o->ino, strdup(cached)};
    }
    hx_objset_free(&set);
    return 0;
}

static const struct rewritten *lookup(const struct stat *st)
{
    for (size_t i = 0; i < nobjs; i++)
        if (objs[i].dev == st->st_dev && objs[i].ino == st->st_ino && objs[i].cached)
            return &objs[i];
    return NULL;
}

const char *hx_fastcall_path(const char *path)
{
    struct stat st;
    const struct rewritten *r = nobjs && stat(path, &st) == 0 ? lookup(&st) : NULL;
    return r ? r->cached : path;
}

long hx_fastcall_reopen(long fd, int flags)
{
    struct stat st;
    const struct rewritten *r;
    if (fd < 0 || !nobjs || (flags & O_ACCMODE) != O_RDONLY || (flags & O_PATH) ||
        fstat((int)fd, &st) || !S_ISREG(st.st_mode) || !(r = lookup(&st)))
        return fd;
    int copy = open(r->cached, O_RDONLY | O_CLOEXEC);
    if (copy < 0)
        return fd; /* the original still works, without fastcalls */
    int rc = dup3(copy, (int)fd, O_CLOEXEC);
    close(copy);
    return rc < 0 ? -errno : fd;
}
