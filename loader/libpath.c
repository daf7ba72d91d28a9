/* Library search, after glibc's elf/dl-load.c (_dl_map_object) and musl's
 * ldso/dynlink.c (load_library):
 *
 * glibc, for a name without '/', needed by object L:
 *   1. if L has no DT_RUNPATH: the DT_RPATH of L, of the object that loaded
 *      L, and so on up to the program (an object's DT_RPATH counts only when
 *      it has no DT_RUNPATH); then the program's DT_RPATH
 *   2. LD_LIBRARY_PATH
 *   3. L's DT_RUNPATH
 *   4. /etc/ld.so.cache
 *   5. the default directories
 *   (DF_1_NODEFLIB on L skips 4's default-directory entries and 5.)
 * musl: libc.so and the other names it implements itself are the interpreter;
 *   else LD_LIBRARY_PATH, then the DT_RUNPATH (or DT_RPATH) of L and of
 *   every object up the chain, then /etc/ld-musl-x86_64.path (or, when
 *   that file does not exist, /lib:/usr/local/lib:/usr/lib).
 * A library already loaded under the same name, or the same file, is reused.
 */
#include "libpath.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldcache.h"

static const char *const glibc_default_dirs[] = {
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/lib", "/usr/lib", NULL};

void hx_libs_default(struct hx_libs_config *cfg)
{
    cfg->ld_so_cache = "/etc/ld.so.cache";
    cfg->musl_path_file = "/etc/ld-musl-x86_64.path";
    cfg->glibc_dirs = glibc_default_dirs;
    cfg->musl_dirs = "/lib:/usr/local/lib:/usr/lib";
    cfg->ld_library_path = getenv("LD_LIBRARY_PATH");
}

/* A search in progress: the first reason a candidate was refused is kept
 * for the report when nothing is found. */
struct search {
    struct hx_objset *s;
    const struct hx_libs_config *cfg;
    const char *name;
    long requester;
    char reason[256];
};

static int add_missing(struct hx_objset *s, const char *name, const char *reason)
{
    for (size_t i = 0; i < s->nmissing; i++)
        if (strcmp(s->missing[i].name, name) == 0)
            return 0;
    if (s->nmissing == s->capmissing) {
        size_t cap = s->capmissing ? s->capmissing * 2 : 8;
        struct hx_missing *v = realloc(s->missing, cap * sizeof(*v));
        if (!v)
            return -1;
        s->missing = v;
        s->capmissing = cap;
    }
    struct hx_missing *m = &s->missing[s->nmissing];
    m->name = strdup(name);
    m->reason = strdup(reason);
    if (!m->name || !m->reason) {
        free(m->name);
        free(m->reason);
        return -1;
    }
    s->nmissing++;
    return 0;
}

/* Opens path as an object loaded for `needed` by `loader`. Returns its
 * index (an existing one for a file already open), -1 when the file is not
 * there or not usable (reason in why), -2 when out of memory. */
static long open_object(struct hx_objset *s, const char *path, const char *needed, long loader,
                        char *why, size_t whylen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].dev == st.st_dev && s->v[i].ino == st.st_ino)
            return (long)i;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct hx_object *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -2;
        s->v = v;
        s->cap = cap;
    }
    struct hx_object *o = &s->v[s->n];
    memset(o, 0, sizeof(*o));
    char err[256];
    if (hx_elf_open(path, &o->elf, err, sizeof(err)) != 0) {
        /* A long path is cut short: the reason is for people. */
        if (snprintf(why, whylen, "%s: %s", path, err) >= (int)whylen)
            why[whylen - 1] = 0;
        return -1;
    }
    if (hx_dyn_read(&o->elf, &o->dyn) != 0) {
        hx_elf_close(&o->elf);
        if (snprintf(why, whylen, "%s: corrupt dynamic section", path) >= (int)whylen)
            why[whylen - 1] = 0;
        return -1;
    }
    o->path = strdup(path);
    o->needed = needed ? strdup(needed) : NULL;
    if (!o->path || (needed && !o->needed)) {
        free(o->path);
        free(o->needed);
        hx_dyn_free(&o->dyn);
        hx_elf_close(&o->elf);
        return -2;
    }
    o->loader = loader;
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    return (long)s->n++;
}

/* Tries dir/name. Returns as open_object. */
static long try_dir(struct search *q, const char *dir, size_t dirlen)
{
    char path[PATH_MAX];
    if (dirlen == 0) {
        dir = ".";
        dirlen = 1;
    }
    if ((size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)dirlen, dir, q->name) >= sizeof(path))
        return -1;
    char why[256];
    long r = open_object(q->s, path, q->name, q->requester, why, sizeof(why));
    /* A file that exists but cannot be used (another class of ELF) is
     * passed over, as ld.so does; remember why. */
    if (r == -1 && !q->reason[0] && access(path, F_OK) == 0)
        snprintf(q->reason, sizeof(q->reason), "%s", why);
    return r;
}

/* Tries every directory of a list separated by any of seps. */
static long try_list(struct search *q, const char *list, const char *seps)
{
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, seps);
        long r = try_dir(q, p, len);
        if (r != -1)
            return r;
        p += len;
        p += *p != 0;
    }
    return -1;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* The directory $ORIGIN means for object i: the program's is resolved
 * through symbolic links, as the kernel reports it (/proc/self/exe). */
static char *origin_of(const struct hx_objset *s, long i)
{
    if (i == 0) {
        char *real = realpath(s->v[0].path, NULL);
        if (real) {
            char *d = dir_of(real);
            free(real);
            return d;
        }
    }
    return dir_of(s->v[i].path);
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = (*len + n + 1) * 2;
        char *b = realloc(*buf, ncap);
        if (!b)
            return -1;
        *buf = b;
        *cap = ncap;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
    return 0;
}

char *hx_expand_origin(const char *path, const char *origin)
{
    static const struct {
        const char *token;
        const char *value; /* NULL: the origin */
    } tokens[] = {
        {"${ORIGIN}", NULL},
        {"$ORIGIN", NULL},
        {"${LIB}", "lib/x86_64-linux-gnu"},
        {"$LIB", "lib/x86_64-linux-gnu"},
        {"${PLATFORM}", "x86_64"},
        {"$PLATFORM", "x86_64"},
    };
    char *out = NULL;
    size_t len = 0, cap = 0;
    if (append(&out, &len, &cap, "", 0))
        return NULL;
    for (const char *p = path; *p;) {
        size_t k = 0, ntok = sizeof(tokens) / sizeof(tokens[0]);
        for (; k < ntok; k++)
            if (strncmp(p, tokens[k].token, strlen(tokens[k].token)) == 0)
                break;
        if (k < ntok) {
            const char *v = tokens[k].value ? tokens[k].value : origin;
            if (append(&out, &len, &cap, v, strlen(v))) {
                free(out);
                return NULL;
            }
            p += strlen(tokens[k].token);
        } else {
            if (append(&out, &len, &cap, p, 1)) {
                free(out);
                return NULL;
            }
            p++;
        }
    }
    return out;
}

/* Tries a DT_RPATH/DT_RUNPATH of object i, with its $ORIGIN. */
static long try_object_path(struct search *q, long i, const char *path)
{
    char *origin = origin_of(q->s, i);
    char *expanded = origin ? hx_expand_origin(path, origin) : NULL;
    free(origin);
    if (!expanded)
        return -2;
    long r = try_list(q, expanded, ":");
    free(expanded);
    return r;
}

static long search_glibc(struct search *q)
{
    const struct hx_object *req = &q->s->v[q->requester];
    long r = -1;
    if (!req->dyn.runpath) {
        int did_main = 0;
        for (long l = q->requester; l >= 0 && r == -1; l = q->s->v[l].loader) {
            const struct hx_object *o = &q->s->v[l];
            if (o->dyn.rpath && !o->dyn.runpath)
                r = try_object_path(q, l, o->dyn.rpath);
            did_main |= l == 0;
        }
        const struct hx_object *m = &q->s->v[0];
        if (r == -1 && !did_main && m->dyn.rpath && !m->dyn.runpath)
            r = try_object_path(q, 0, m->dyn.rpath);
    }
    if (r == -1 && q->cfg->ld_library_path)
        r = try_list(q, q->cfg->ld_library_path, ":;");
    if (r == -1 && req->dyn.runpath)
        r = try_object_path(q, q->requester, req->dyn.runpath);
    if (r == -1) {
        char path[PATH_MAX], why[256];
        if (hx_ldcache_lookup(q->cfg->ld_so_cache, q->name, req->dyn.nodeflib, path,
                              sizeof(path)) == 0) {
            r = open_object(q->s, path, q->name, q->requester, why, sizeof(why));
            if (r == -1 && !q->reason[0])
                snprintf(q->reason, sizeof(q->reason), "%s", why);
        }
    }
    for (size_t i = 0; r == -1 && !req->dyn.nodeflib && q->cfg->glibc_dirs[i]; i++)
        r = try_dir(q, q->cfg->glibc_dirs[i], strlen(q->cfg->glibc_dirs[i]));
    return r;
}

/* musl implements these itself: "libc.", "libpthread.", ... */
static int musl_reserved(const char *name)
{
    static const char *const names[] = {"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."};
    if (strncmp(name, "lib", 3) != 0)
        return 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strncmp(name + 3, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

static long search_musl(struct search *q, long interp)
{
    if (musl_reserved(q->name) && interp >= 0)
        return interp;
    long r = -1;
    if (q->cfg->ld_library_path)
        r = try_list(q, q->cfg->ld_library_path, ":\n");
    for (long l = q->requester; l >= 0 && r == -1; l = q->s->v[l].loader) {
        const struct hx_object *o = &q->s->v[l];
        const char *path = o->dyn.runpath ? o->dyn.runpath : o->dyn.rpath;
        if (path)
            r = try_object_path(q, l, path);
    }
    if (r != -1)
        return r;
    FILE *f = fopen(q->cfg->musl_path_file, "re");
    if (!f)
        return errno == ENOENT ? try_list(q, q->cfg->musl_dirs, ":") : -1;
    char *text = NULL;
    size_t len = 0;
    ssize_t got = getdelim(&text, &len, 0, f); /* the whole file */
    fclose(f);
    if (got < 0) {
        free(text);
        return -1;
    }
    r = try_list(q, text, ":\n");
    free(text);
    return r;
}

/* An object already loaded under this name (its DT_NEEDED name or soname). */
static long loaded_as(const struct hx_objset *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if ((s->v[i].needed && strcmp(s->v[i].needed, name) == 0) ||
            (s->v[i].dyn.soname && strcmp(s->v[i].dyn.soname, name) == 0))
            return (long)i;
    return -1;
}

int hx_objset_load(struct hx_objset *s, const char *program, const struct hx_libs_config *cfg,
                   char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->v = calloc(16, sizeof(*s->v));
    if (!s->v) {
        snprintf(err, errlen, "out of memory");
        return HX_ELF_NOEXEC;
    }
    s->cap = 16;
    struct hx_object *p = &s->v[0];
    int rc = hx_elf_open(program, &p->elf, err, errlen);
    if (rc) {
        hx_objset_free(s);
        return rc;
    }
    struct stat st;
    if (hx_dyn_read(&p->elf, &p->dyn) != 0 || stat(program, &st) != 0 ||
        !(p->path = strdup(program))) {
        hx_elf_close(&p->elf);
        hx_dyn_free(&p->dyn);
        hx_objset_free(s);
        snprintf(err, errlen, "corrupt ELF: bad dynamic section");
        return HX_ELF_NOEXEC;
    }
    p->loader = -1;
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    s->n = 1;

    long interp = -1;
    if (p->elf.interp[0]) {
        char why[256];
        const char *base = strrchr(p->elf.interp, '/');
        s->musl = strncmp(base ? base + 1 : p->elf.interp, "ld-musl", 7) == 0;
        interp = open_object(s, p->elf.interp, NULL, -1, why, sizeof(why));
        if (interp == -2 || (interp == -1 && add_missing(s, p->elf.interp, why)))
            goto oom;
    }
    /* Breadth first, as ld.so loads them. */
    for (size_t i = 0; i < s->n; i++) {
        for (size_t k = 0; k < s->v[i].dyn.nneeded; k++) {
            const char *name = s->v[i].dyn.needed[k];
            if (loaded_as(s, name) >= 0)
                continue;
            struct search q = {s, cfg, name, (long)i, ""};
            long r;
            if (strchr(name, '/')) {
                r = open_object(s, name, name, (long)i, q.reason, sizeof(q.reason));
            } else {
                r = s->musl ? search_musl(&q, interp) : search_glibc(&q);
            }
            if (r == -2)
                goto oom;
            if (r == -1 && add_missing(s, name, q.reason[0] ? q.reason : "not found"))
                goto oom;
        }
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    hx_objset_free(s);
    return HX_ELF_NOEXEC;
}

void hx_objset_free(struct hx_objset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].path);
        free(s->v[i].needed);
        hx_dyn_free(&s->v[i].dyn);
        hx_elf_close(&s->v[i].elf);
    }
    free(s->v);
    for (size_t i = 0; i < s->nmissing; i++) {
        free(s->missing[i].name);
        free(s->missing[i].reason);
    }
    free(s->missing);
    memset(s, 0, sizeof(*s));
}
