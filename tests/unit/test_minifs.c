/* Unit tests for minifs/minifs.c, the in-memory file system, on a host
 * environment whose allocator tracks every block: alloc is calloc-based and
 * counts live bytes, free checks that the size it is given is the size that
 * was allocated. Each test removes everything at the end and checks that
 * only the root (allocated by mfs_init) is still live. The clock is fake and
 * only moves when a test calls tick(). Expected results are Linux's (tmpfs). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "minifs.h"
#include "suites.h"

/* A name argument: pointer and length of a string literal or C string. */
#define NM(s) (s), strlen(s)

#define MAX_ALLOCS 1024

static struct {
    void *p;
    size_t size;
} allocs[MAX_ALLOCS];
static size_t live_bytes, live_count;
static int fail_nth; /* when set, the fail_nth-th alloc from now returns NULL */
static int64_t clock_sec;

static void *env_alloc(size_t size)
{
    if (fail_nth && --fail_nth == 0)
        return NULL;
    void *p = calloc(1, size ? size : 1);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < MAX_ALLOCS; i++)
        if (!allocs[i].p) {
            allocs[i].p = p;
            allocs[i].size = size;
            live_bytes += size;
            live_count++;
            return p;
        }
    ck_abort_msg("allocation table full");
    return NULL;
}

static void env_free(void *p, size_t size)
{
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < MAX_ALLOCS; i++)
        if (allocs[i].p == p) {
            ck_assert_msg(allocs[i].size == size, "free of %zu bytes given size %zu",
                          allocs[i].size, size);
            allocs[i].p = NULL;
            live_bytes -= size;
            live_count--;
            free(p);
            return;
        }
    ck_abort_msg("free of a pointer that is not allocated");
}

/* Nanoseconds follow the seconds so that both fields are checked. */
static void env_now(int64_t *sec, int64_t *nsec)
{
    *sec = clock_sec;
    *nsec = 1000 + clock_sec;
}

static void tick(void)
{
    clock_sec++;
}

static const struct mfs_env env = {env_alloc, env_free, env_now};

static struct mfs fs;
static struct mfs_node *root;
static size_t root_bytes; /* live after mfs_init: the root */

static void reset_env(void)
{
    memset(allocs, 0, sizeof(allocs));
    live_bytes = live_count = 0;
    fail_nth = 0;
    clock_sec = 100;
}

static void setup(void)
{
    reset_env();
    ck_assert_int_eq(mfs_init(&fs, &env, 0755, 0), 0);
    root = fs.root;
    root_bytes = live_bytes;
}

static void teardown(void) {}

#define ck_assert_time(t, s)                                                                       \
    do {                                                                                           \
        ck_assert_int_eq((t).sec, (s));                                                            \
        ck_assert_int_eq((t).nsec, 1000 + (s));                                                    \
    } while (0)

/* NOLINTNEXTLINE(misc-no-recursion): the tests' trees are a few levels deep */
static void remove_all(struct mfs_node *dir)
{
    const char *name;
    size_t len;
    struct mfs_node *n;
    while (mfs_readdir(dir, 2, &name, &len, &n) == 0) {
        char buf[MFS_NAME_MAX + 1];
        memcpy(buf, name, len);
        if ((n->mode & MFS_S_IFMT) == MFS_S_IFDIR) {
            remove_all(n);
            ck_assert_int_eq(mfs_remove(&fs, dir, buf, len, 1), 0);
        } else {
            ck_assert_int_eq(mfs_remove(&fs, dir, buf, len, 0), 0);
        }
    }
}

/* Removes everything; only the root may stay allocated, then frees it. */
static void finish(void)
{
    remove_all(root);
    ck_assert_uint_eq(root->nlink, 2);
    ck_assert_uint_eq(fs.bytes, 0);
    ck_assert_uint_eq(live_bytes, root_bytes);
    ck_assert_uint_eq(live_count, 1);
    env_free(root, sizeof(*root));
    ck_assert_uint_eq(live_bytes, 0);
}

static struct mfs_node *mk(struct mfs_node *dir, const char *name, uint32_t mode)
{
    struct mfs_node *n = NULL;
    ck_assert_int_eq(mfs_create(&fs, dir, NM(name), mode, 1000, 100, NULL, &n), 0);
    ck_assert_ptr_nonnull(n);
    return n;
}

static struct mfs_node *mkfile(struct mfs_node *dir, const char *name)
{
    return mk(dir, name, MFS_S_IFREG | 0644);
}

static struct mfs_node *mkdir_(struct mfs_node *dir, const char *name)
{
    return mk(dir, name, MFS_S_IFDIR | 0755);
}

/* The node dir/name, or NULL when lookup fails with ENOENT. */
static struct mfs_node *look(struct mfs_node *dir, const char *name)
{
    struct mfs_node *n = NULL;
    int r = mfs_lookup(&fs, dir, NM(name), &n);
    if (r == -ENOENT)
        return NULL;
    ck_assert_int_eq(r, 0);
    return n;
}

static void put(struct mfs_node *n, uint64_t off, const char *s)
{
    ck_assert_int_eq(mfs_write(&fs, n, off, s, strlen(s)), (int64_t)strlen(s));
}

static void fill(uint8_t *buf, size_t len, uint64_t off)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)((off + i) * 7 + 1);
}

static int is_zero(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i])
            return 0;
    return 1;
}

/* ---- init ---- */

START_TEST(init_root)
{
    ck_assert_ptr_nonnull(root);
    ck_assert_uint_eq(root->mode, MFS_S_IFDIR | 0755);
    ck_assert_uint_eq(root->nlink, 2);
    ck_assert_uint_eq(root->ino, 1);
    ck_assert_ptr_eq(root->parent, root);
    ck_assert_ptr_null(root->entries);
    ck_assert_uint_eq(fs.bytes, 0);
    ck_assert_uint_eq(fs.max_bytes, 0);
    ck_assert_uint_eq(live_bytes, sizeof(struct mfs_node));
    ck_assert_uint_eq(live_count, 1);
    ck_assert_time(root->atime, 100);
    ck_assert_time(root->mtime, 100);
    ck_assert_time(root->ctime, 100);
    ck_assert_ptr_eq(look(root, "."), root);
    ck_assert_ptr_eq(look(root, ".."), root);
    finish();
}
END_TEST

START_TEST(init_mode_and_enomem)
{
    struct mfs other;
    size_t before = live_bytes;
    ck_assert_int_eq(mfs_init(&other, &env, 0170777, 1 << 20), 0);
    ck_assert_uint_eq(other.root->mode, MFS_S_IFDIR | 0777); /* type bits ignored */
    ck_assert_uint_eq(other.max_bytes, 1 << 20);
    env_free(other.root, sizeof(*other.root));
    fail_nth = 1;
    ck_assert_int_eq(mfs_init(&other, &env, 0755, 0), -ENOMEM);
    ck_assert_uint_eq(live_bytes, before);
    finish();
}
END_TEST

/* ---- create and lookup ---- */

START_TEST(create_lookup_file)
{
    tick();
    struct mfs_node *f = mkfile(root, "file");
    ck_assert_uint_eq(f->mode, MFS_S_IFREG | 0644);
    ck_assert_uint_eq(f->nlink, 1);
    ck_assert_uint_eq(f->uid, 1000);
    ck_assert_uint_eq(f->gid, 100);
    ck_assert_uint_eq(f->size, 0);
    ck_assert_uint_eq(f->opens, 0);
    ck_assert_uint_ne(f->ino, root->ino);
    ck_assert_ptr_eq(look(root, "file"), f);
    struct mfs_node *g = mkfile(root, "other");
    ck_assert_uint_ne(g->ino, f->ino);
    ck_assert_uint_eq(root->nlink, 2); /* files do not count */

    struct mfs_node *n = (struct mfs_node *)1;
    ck_assert_int_eq(mfs_lookup(&fs, root, NM("missing"), &n), -ENOENT);
    ck_assert_int_eq(mfs_lookup(&fs, root, NM("fil"), &n), -ENOENT);
    ck_assert_int_eq(mfs_lookup(&fs, root, NM("file2"), &n), -ENOENT);
    ck_assert_int_eq(mfs_lookup(&fs, f, NM("x"), &n), -ENOTDIR);
    ck_assert_int_eq(mfs_lookup(&fs, f, NM("."), &n), -ENOTDIR);
    ck_assert_int_eq(mfs_create(&fs, f, NM("x"), MFS_S_IFREG | 0644, 0, 0, NULL, &n), -ENOTDIR);
    ck_assert_int_eq(mfs_create(&fs, root, NM("file"), MFS_S_IFREG | 0644, 0, 0, NULL, &n),
                     -EEXIST);
    ck_assert_int_eq(mfs_create(&fs, root, NM("file"), MFS_S_IFDIR | 0755, 0, 0, NULL, &n),
                     -EEXIST);
    ck_assert_int_eq(mfs_create(&fs, root, NM("file"), 0, 0, 0, "t", &n), -EEXIST);
    ck_assert_int_eq(mfs_create(&fs, root, "", 0, MFS_S_IFREG | 0644, 0, 0, NULL, &n), -ENOENT);
    ck_assert_ptr_eq(n, (struct mfs_node *)1); /* untouched on failure */
    /* Lookups compare the whole name, not a NUL-terminated prefix. */
    ck_assert_int_eq(mfs_lookup(&fs, root, "filex", 4, &n), 0);
    ck_assert_ptr_eq(n, f);
    /* out may be NULL. */
    ck_assert_int_eq(mfs_create(&fs, root, NM("noout"), MFS_S_IFREG | 0600, 0, 0, NULL, NULL), 0);
    ck_assert_ptr_nonnull(look(root, "noout"));
    finish();
}
END_TEST

START_TEST(create_lookup_dirs)
{
    struct mfs_node *a = mkdir_(root, "a");
    ck_assert_uint_eq(a->mode, MFS_S_IFDIR | 0755);
    ck_assert_uint_eq(a->nlink, 2);
    ck_assert_ptr_eq(a->parent, root);
    struct mfs_node *b = mkdir_(a, "b");
    ck_assert_ptr_eq(b->parent, a);
    ck_assert_ptr_eq(look(root, "a"), a);
    ck_assert_ptr_eq(look(a, "b"), b);
    ck_assert_ptr_null(look(root, "b"));
    ck_assert_ptr_eq(look(a, "."), a);
    ck_assert_ptr_eq(look(a, ".."), root);
    ck_assert_ptr_eq(look(b, "."), b);
    ck_assert_ptr_eq(look(b, ".."), a);
    /* Same name in different directories is fine. */
    struct mfs_node *f1 = mkfile(root, "f"), *f2 = mkfile(a, "f"), *f3 = mkfile(b, "f");
    ck_assert_ptr_ne(f1, f2);
    ck_assert_ptr_ne(f2, f3);
    ck_assert_ptr_eq(look(b, "f"), f3);
    struct mfs_node *n;
    ck_assert_int_eq(mfs_create(&fs, a, NM("b"), MFS_S_IFDIR | 0755, 0, 0, NULL, &n), -EEXIST);
    ck_assert_int_eq(mfs_lookup(&fs, f3, NM(".."), &n), -ENOTDIR);
    finish();
}
END_TEST

START_TEST(create_symlink)
{
    char target[] = "../some/where";
    struct mfs_node *s = NULL;
    ck_assert_int_eq(mfs_create(&fs, root, NM("link"), MFS_S_IFREG | 0600, 5, 6, target, &s), 0);
    ck_assert_uint_eq(s->mode, MFS_S_IFLNK | 0777);
    ck_assert_uint_eq(s->nlink, 1);
    ck_assert_uint_eq(s->size, strlen(target));
    ck_assert_uint_eq(s->uid, 5);
    ck_assert_uint_eq(s->gid, 6);
    ck_assert_ptr_ne(s->target, target); /* copied */
    target[0] = 'X';
    ck_assert_str_eq(s->target, "../some/where");
    ck_assert_ptr_eq(look(root, "link"), s);
    struct mfs_node *n;
    ck_assert_int_eq(mfs_lookup(&fs, s, NM("x"), &n), -ENOTDIR);
    ck_assert_int_eq(mfs_create(&fs, root, NM("link"), 0, 0, 0, "other", &n), -EEXIST);
    struct mfs_node *e = NULL;
    ck_assert_int_eq(mfs_create(&fs, root, NM("empty"), 0, 0, 0, "", &e), 0);
    ck_assert_uint_eq(e->size, 0);
    ck_assert_str_eq(e->target, "");
    /* ENOMEM for the node, the target copy or the entry leaves nothing
     * behind. */
    size_t before = live_bytes;
    for (int i = 1; i <= 3; i++) {
        fail_nth = i;
        ck_assert_int_eq(mfs_create(&fs, root, NM("nomem"), 0, 0, 0, "t", &n), -ENOMEM);
        ck_assert_uint_eq(live_bytes, before);
        ck_assert_ptr_null(look(root, "nomem"));
    }
    fail_nth = 0;
    finish();
}
END_TEST

START_TEST(name_length_limits)
{
    char name[MFS_NAME_MAX + 2];
    memset(name, 'n', sizeof(name));
    struct mfs_node *n;
    ck_assert_int_eq(mfs_create(&fs, root, name, 256, MFS_S_IFREG | 0644, 0, 0, NULL, &n),
                     -ENAMETOOLONG);
    ck_assert_int_eq(mfs_create(&fs, root, name, 256, MFS_S_IFDIR | 0755, 0, 0, NULL, &n),
                     -ENAMETOOLONG);
    ck_assert_int_eq(mfs_create(&fs, root, name, 256, 0, 0, 0, "t", &n), -ENAMETOOLONG);
    ck_assert_int_eq(mfs_create(&fs, root, name, 255, MFS_S_IFREG | 0644, 0, 0, NULL, &n), 0);
    struct mfs_node *m;
    ck_assert_int_eq(mfs_lookup(&fs, root, name, 255, &m), 0);
    ck_assert_ptr_eq(m, n);
    ck_assert_int_eq(mfs_link(&fs, root, name, 256, n), -ENAMETOOLONG);
    ck_assert_int_eq(mfs_rename(&fs, root, name, 255, root, name, 256, 0), -ENAMETOOLONG);
    ck_assert_ptr_eq(look(root, "."), root); /* nothing else was created */
    const char *rn;
    size_t rl;
    ck_assert_int_eq(mfs_readdir(root, 3, &rn, &rl, &m), -ENOENT);
    finish();
}
END_TEST

/* Linux (simple_lookup) fails a lookup of a name over NAME_MAX with
 * ENAMETOOLONG rather than ENOENT. */
START_TEST(lookup_name_too_long)
{
    char name[MFS_NAME_MAX + 1];
    memset(name, 'n', sizeof(name));
    struct mfs_node *n;
    ck_assert_int_eq(mfs_lookup(&fs, root, name, 256, &n), -ENAMETOOLONG);
    finish();
}
END_TEST

START_TEST(create_dot_dotdot_eexist)
{
    struct mfs_node *d = mkdir_(root, "d"), *f = mkfile(root, "f"), *n;
    ck_assert_int_eq(mfs_create(&fs, root, NM("."), MFS_S_IFREG | 0644, 0, 0, NULL, &n), -EEXIST);
    ck_assert_int_eq(mfs_create(&fs, root, NM(".."), MFS_S_IFREG | 0644, 0, 0, NULL, &n), -EEXIST);
    ck_assert_int_eq(mfs_create(&fs, d, NM("."), MFS_S_IFDIR | 0755, 0, 0, NULL, &n), -EEXIST);
    ck_assert_int_eq(mfs_create(&fs, d, NM(".."), MFS_S_IFDIR | 0755, 0, 0, NULL, &n), -EEXIST);
    ck_assert_int_eq(mfs_create(&fs, d, NM(".."), 0, 0, 0, "t", &n), -EEXIST);
    ck_assert_int_eq(mfs_link(&fs, d, NM("."), f), -EEXIST);
    ck_assert_int_eq(mfs_link(&fs, d, NM(".."), f), -EEXIST);
    ck_assert_uint_eq(d->nlink, 2);
    ck_assert_uint_eq(root->nlink, 3);
    ck_assert_uint_eq(f->nlink, 1);
    /* Names that merely start with dots are ordinary. */
    mkfile(d, "...");
    mkfile(d, ".x");
    mkfile(d, "..x");
    finish();
}
END_TEST

/* ---- link counts ---- */

START_TEST(dir_nlink)
{
    ck_assert_uint_eq(root->nlink, 2);
    struct mfs_node *a = mkdir_(root, "a");
    ck_assert_uint_eq(root->nlink, 3);
    struct mfs_node *b = mkdir_(root, "b");
    ck_assert_uint_eq(root->nlink, 4);
    mkfile(root, "f");
    ck_assert_uint_eq(root->nlink, 4);
    ck_assert_int_eq(mfs_create(&fs, root, NM("s"), 0, 0, 0, "a", NULL), 0);
    ck_assert_uint_eq(root->nlink, 4);
    mkdir_(a, "c");
    mkdir_(a, "d");
    mkfile(a, "g");
    ck_assert_uint_eq(a->nlink, 4);
    ck_assert_uint_eq(b->nlink, 2);
    ck_assert_uint_eq(root->nlink, 4);
    ck_assert_int_eq(mfs_remove(&fs, a, NM("c"), 1), 0);
    ck_assert_uint_eq(a->nlink, 3);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("b"), 1), 0);
    ck_assert_uint_eq(root->nlink, 3);
    ck_assert_int_eq(mfs_remove(&fs, a, NM("g"), 0), 0);
    ck_assert_uint_eq(a->nlink, 3);
    finish();
}
END_TEST

START_TEST(hard_links)
{
    struct mfs_node *d = mkdir_(root, "d"), *f = mkfile(root, "f");
    put(f, 0, "shared");
    tick();
    ck_assert_int_eq(mfs_link(&fs, root, NM("g"), f), 0);
    ck_assert_uint_eq(f->nlink, 2);
    ck_assert_time(f->ctime, 101);
    ck_assert_int_eq(mfs_link(&fs, d, NM("h"), f), 0);
    ck_assert_uint_eq(f->nlink, 3);
    ck_assert_uint_eq(d->nlink, 2); /* a file link is not a subdirectory */
    ck_assert_ptr_eq(look(root, "g"), f);
    ck_assert_ptr_eq(look(d, "h"), f);
    char buf[16] = {0};
    ck_assert_int_eq(mfs_read(&fs, look(d, "h"), 0, buf, sizeof(buf)), 6);
    ck_assert_str_eq(buf, "shared");

    ck_assert_int_eq(mfs_link(&fs, root, NM("d2"), d), -EPERM);
    ck_assert_int_eq(mfs_link(&fs, d, NM("r"), root), -EPERM);
    ck_assert_uint_eq(d->nlink, 2);
    ck_assert_int_eq(mfs_link(&fs, root, NM("g"), f), -EEXIST);
    ck_assert_int_eq(mfs_link(&fs, root, NM("d"), f), -EEXIST);
    ck_assert_int_eq(mfs_link(&fs, f, NM("x"), f), -ENOTDIR);
    ck_assert_int_eq(mfs_link(&fs, root, "", 0, f), -ENOENT);
    ck_assert_uint_eq(f->nlink, 3);

    /* Symlinks can be hard-linked too. */
    struct mfs_node *s;
    ck_assert_int_eq(mfs_create(&fs, root, NM("s"), 0, 0, 0, "f", &s), 0);
    ck_assert_int_eq(mfs_link(&fs, d, NM("s2"), s), 0);
    ck_assert_uint_eq(s->nlink, 2);

    size_t before = live_bytes;
    ck_assert_int_eq(mfs_remove(&fs, root, NM("f"), 0), 0);
    ck_assert_uint_eq(f->nlink, 2);
    ck_assert_int_eq(mfs_remove(&fs, d, NM("h"), 0), 0);
    ck_assert_uint_eq(f->nlink, 1);
    ck_assert_ptr_eq(look(root, "g"), f);
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, sizeof(buf)), 6);
    /* Only the two directory entries went away. */
    ck_assert_uint_lt(live_bytes, before);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    finish();
}
END_TEST

/* ---- remove ---- */

START_TEST(remove_file_and_empty_dir)
{
    size_t before = live_bytes;
    struct mfs_node *f = mkfile(root, "f");
    put(f, 10000, "data");
    mkdir_(root, "d");
    ck_assert_int_eq(mfs_create(&fs, root, NM("s"), 0, 0, 0, "target", NULL), 0);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("f"), 0), 0);
    ck_assert_ptr_null(look(root, "f"));
    ck_assert_uint_eq(fs.bytes, 0);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 1), 0);
    ck_assert_ptr_null(look(root, "d"));
    ck_assert_uint_eq(root->nlink, 2);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("s"), 0), 0);
    ck_assert_ptr_null(look(root, "s"));
    ck_assert_uint_eq(live_bytes, before);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("f"), 0), -ENOENT);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 1), -ENOENT);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("never"), 0), -ENOENT);
    finish();
}
END_TEST

START_TEST(remove_not_empty)
{
    struct mfs_node *d = mkdir_(root, "d");
    mkfile(d, "f");
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 1), -ENOTEMPTY);
    ck_assert_ptr_eq(look(root, "d"), d);
    ck_assert_int_eq(mfs_remove(&fs, d, NM("f"), 0), 0);
    struct mfs_node *e = mkdir_(d, "e");
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 1), -ENOTEMPTY);
    ck_assert_int_eq(mfs_remove(&fs, d, NM(".."), 1), -ENOTEMPTY);
    ck_assert_int_eq(mfs_remove(&fs, e, NM(".."), 1), -ENOTEMPTY);
    ck_assert_uint_eq(d->nlink, 3);
    ck_assert_int_eq(mfs_remove(&fs, d, NM("e"), 1), 0);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 1), 0);
    finish();
}
END_TEST

START_TEST(remove_type_mismatch)
{
    struct mfs_node *d = mkdir_(root, "d"), *f = mkfile(root, "f");
    ck_assert_int_eq(mfs_create(&fs, root, NM("s"), 0, 0, 0, "d", NULL), 0);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 0), -EISDIR);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("f"), 1), -ENOTDIR);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("s"), 1), -ENOTDIR);
    ck_assert_int_eq(mfs_remove(&fs, f, NM("x"), 0), -ENOTDIR);
    ck_assert_int_eq(mfs_remove(&fs, f, NM("x"), 1), -ENOTDIR);
    ck_assert_ptr_eq(look(root, "d"), d);
    ck_assert_ptr_eq(look(root, "f"), f);
    ck_assert_uint_eq(root->nlink, 3);
    ck_assert_uint_eq(d->nlink, 2);
    ck_assert_uint_eq(f->nlink, 1);
    finish();
}
END_TEST

START_TEST(rmdir_dot_einval)
{
    struct mfs_node *d = mkdir_(root, "d");
    ck_assert_int_eq(mfs_remove(&fs, d, NM("."), 1), -EINVAL);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("."), 1), -EINVAL);
    ck_assert_uint_eq(d->nlink, 2);
    ck_assert_ptr_eq(look(root, "d"), d);
    finish();
}
END_TEST

/* Linux: unlink(".") and unlink("..") fail with EISDIR. */
START_TEST(unlink_dot_eisdir)
{
    struct mfs_node *d = mkdir_(root, "d");
    ck_assert_int_eq(mfs_remove(&fs, d, NM("."), 0), -EISDIR);
    ck_assert_int_eq(mfs_remove(&fs, d, NM(".."), 0), -EISDIR);
    finish();
}
END_TEST

START_TEST(unlinked_open_file_survives)
{
    size_t before = live_bytes;
    struct mfs_node *f = mkfile(root, "f");
    put(f, 0, "hello");
    put(f, MFS_PAGE + 1, "world");
    mfs_open(f);
    mfs_open(f);
    ck_assert_uint_eq(f->opens, 2);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("f"), 0), 0);
    ck_assert_ptr_null(look(root, "f"));
    ck_assert_uint_eq(f->nlink, 0);
    char buf[8] = {0};
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, 5), 5);
    ck_assert_str_eq(buf, "hello");
    put(f, 2 * MFS_PAGE, "more");
    ck_assert_int_eq(mfs_read(&fs, f, 2 * MFS_PAGE, buf, sizeof(buf)), 4);
    ck_assert_mem_eq(buf, "more", 4);
    ck_assert_int_eq(mfs_truncate(&fs, f, 3), 0);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    /* A name cannot be given back to it. */
    ck_assert_int_eq(mfs_link(&fs, root, NM("back"), f), -ENOENT);
    mfs_close(&fs, f);
    ck_assert_uint_eq(f->opens, 1);
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "hel", 3);
    mfs_close(&fs, f);
    ck_assert_uint_eq(fs.bytes, 0);
    ck_assert_uint_eq(live_bytes, before);

    /* Closing a file that still has a name frees nothing. */
    struct mfs_node *g = mkfile(root, "g");
    mfs_open(g);
    mfs_close(&fs, g);
    ck_assert_ptr_eq(look(root, "g"), g);
    ck_assert_uint_eq(g->nlink, 1);
    finish();
}
END_TEST

START_TEST(removed_open_dir)
{
    size_t before = live_bytes;
    struct mfs_node *d = mkdir_(root, "d");
    mfs_open(d);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 1), 0);
    ck_assert_uint_eq(d->nlink, 0);
    ck_assert_uint_eq(root->nlink, 2);
    ck_assert_ptr_null(look(root, "d"));
    struct mfs_node *n;
    ck_assert_int_eq(mfs_create(&fs, d, NM("x"), MFS_S_IFREG | 0644, 0, 0, NULL, &n), -ENOENT);
    ck_assert_int_eq(mfs_create(&fs, d, NM("y"), MFS_S_IFDIR | 0755, 0, 0, NULL, &n), -ENOENT);
    const char *name;
    size_t len;
    ck_assert_int_eq(mfs_readdir(d, 0, &name, &len, &n), 0);
    ck_assert_int_eq(mfs_readdir(d, 2, &name, &len, &n), -ENOENT);
    mfs_close(&fs, d);
    ck_assert_uint_eq(live_bytes, before);
    finish();
}
END_TEST

/* Linux (may_create: IS_DEADDIR) refuses new names in a removed directory
 * with ENOENT; here a link into it would be lost with the directory. */
START_TEST(link_into_removed_dir)
{
    struct mfs_node *d = mkdir_(root, "d"), *f = mkfile(root, "f");
    mfs_open(d);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 1), 0);
    ck_assert_int_eq(mfs_link(&fs, d, NM("x"), f), -ENOENT);
    ck_assert_uint_eq(f->nlink, 1);
    mfs_close(&fs, d);
    finish();
}
END_TEST

START_TEST(rename_into_removed_dir)
{
    struct mfs_node *d = mkdir_(root, "d"), *f = mkfile(root, "f");
    mfs_open(d);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 1), 0);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("f"), d, NM("x"), 0), -ENOENT);
    ck_assert_ptr_eq(look(root, "f"), f);
    mfs_close(&fs, d);
    finish();
}
END_TEST

/* ---- read and write ---- */

START_TEST(write_read_offsets)
{
    struct mfs_node *f = mkfile(root, "f");
    ck_assert_int_eq(mfs_write(&fs, f, 0, "hello world", 11), 11);
    ck_assert_uint_eq(f->size, 11);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    char buf[32];
    memset(buf, '#', sizeof(buf));
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, 11), 11);
    ck_assert_mem_eq(buf, "hello world", 11);
    ck_assert_int_eq(buf[11], '#');
    ck_assert_int_eq(mfs_write(&fs, f, 6, "there", 5), 5);
    ck_assert_uint_eq(f->size, 11);
    ck_assert_int_eq(mfs_write(&fs, f, 9, "e!", 2), 2);
    ck_assert_uint_eq(f->size, 11);
    ck_assert_int_eq(mfs_write(&fs, f, 11, "??", 2), 2);
    ck_assert_uint_eq(f->size, 13);
    memset(buf, 0, sizeof(buf));
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, sizeof(buf)), 13);
    ck_assert_str_eq(buf, "hello thee!??");
    memset(buf, 0, sizeof(buf));
    ck_assert_int_eq(mfs_read(&fs, f, 6, buf, 4), 4);
    ck_assert_str_eq(buf, "thee");
    ck_assert_int_eq(mfs_write(&fs, f, 0, "", 0), 0);
    ck_assert_uint_eq(f->size, 13);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    finish();
}
END_TEST

START_TEST(write_read_cross_pages)
{
    enum { OFF = 4000, LEN = 3 * MFS_PAGE + 500 };
    static uint8_t data[LEN], back[LEN + 100];
    fill(data, LEN, OFF);
    struct mfs_node *f = mkfile(root, "f");
    ck_assert_int_eq(mfs_write(&fs, f, OFF, data, LEN), LEN);
    ck_assert_uint_eq(f->size, OFF + LEN);
    /* Bytes 4000 .. 16787 touch pages 0 to 4. */
    ck_assert_uint_eq(fs.bytes, 5 * MFS_PAGE);
    memset(back, 0xee, sizeof(back));
    ck_assert_int_eq(mfs_read(&fs, f, OFF, back, sizeof(back)), LEN);
    ck_assert_mem_eq(back, data, LEN);
    /* Reads in odd-sized pieces agree. */
    for (uint64_t at = OFF; at < OFF + LEN; at += 1000) {
        uint64_t n = OFF + LEN - at < 1000 ? OFF + LEN - at : 1000;
        ck_assert_int_eq(mfs_read(&fs, f, at, back, 1000), (int64_t)n);
        ck_assert_mem_eq(back, data + (at - OFF), n);
    }
    /* A read straddling a page boundary. */
    ck_assert_int_eq(mfs_read(&fs, f, 2 * MFS_PAGE - 3, back, 6), 6);
    ck_assert_mem_eq(back, data + 2 * MFS_PAGE - 3 - OFF, 6);
    /* The bytes before the first write are zeros. */
    ck_assert_int_eq(mfs_read(&fs, f, 0, back, OFF), OFF);
    ck_assert(is_zero(back, OFF));
    /* Overwrite across a boundary. */
    ck_assert_int_eq(mfs_write(&fs, f, MFS_PAGE - 2, "ABCD", 4), 4);
    ck_assert_int_eq(mfs_read(&fs, f, MFS_PAGE - 3, back, 6), 6);
    ck_assert_int_eq(back[0], data[MFS_PAGE - 3 - OFF]);
    ck_assert_mem_eq(back + 1, "ABCD", 4);
    ck_assert_int_eq(back[5], data[MFS_PAGE + 2 - OFF]);
    ck_assert_uint_eq(fs.bytes, 5 * MFS_PAGE);
    finish();
}
END_TEST

START_TEST(holes_read_zero)
{
    struct mfs_node *f = mkfile(root, "f");
    uint64_t off = 5 * MFS_PAGE + 10;
    put(f, off, "x");
    ck_assert_uint_eq(f->size, off + 1);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE); /* holes cost nothing */
    static uint8_t buf[6 * MFS_PAGE];
    memset(buf, 0xee, sizeof(buf));
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, sizeof(buf)), (int64_t)off + 1);
    ck_assert(is_zero(buf, off));
    ck_assert_int_eq(buf[off], 'x');
    ck_assert_int_eq(buf[off + 1], 0xee);
    /* A hole between two written pages, and the start of a written page. */
    put(f, 1, "y");
    memset(buf, 0xee, sizeof(buf));
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, 3 * MFS_PAGE), 3 * MFS_PAGE);
    ck_assert_int_eq(buf[1], 'y');
    ck_assert(is_zero(buf, 1));
    ck_assert(is_zero(buf + 2, 3 * MFS_PAGE - 2));
    ck_assert_uint_eq(fs.bytes, 2 * MFS_PAGE);
    /* Writing into a far page grows the page table. */
    put(f, 100 * MFS_PAGE, "z");
    ck_assert_int_eq(mfs_read(&fs, f, 100 * MFS_PAGE - 2, buf, 10), 3);
    ck_assert_mem_eq(buf, "\0\0z", 3);
    ck_assert_uint_eq(fs.bytes, 3 * MFS_PAGE);
    finish();
}
END_TEST

START_TEST(read_past_eof)
{
    struct mfs_node *f = mkfile(root, "f");
    char buf[16];
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, sizeof(buf)), 0);
    put(f, 0, "0123456789");
    ck_assert_int_eq(mfs_read(&fs, f, 10, buf, sizeof(buf)), 0);
    ck_assert_int_eq(mfs_read(&fs, f, 11, buf, sizeof(buf)), 0);
    ck_assert_int_eq(mfs_read(&fs, f, 1ull << 50, buf, sizeof(buf)), 0);
    ck_assert_int_eq(mfs_read(&fs, f, UINT64_MAX, buf, sizeof(buf)), 0);
    memset(buf, '#', sizeof(buf));
    ck_assert_int_eq(mfs_read(&fs, f, 7, buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "789#", 4);
    ck_assert_int_eq(mfs_read(&fs, f, 2, buf, 0), 0);
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, 10), 10);
    ck_assert_mem_eq(buf, "0123456789", 10);
    /* A huge length is clamped to the file. */
    ck_assert_int_eq(mfs_read(&fs, f, 5, buf, UINT64_MAX), 5);
    finish();
}
END_TEST

START_TEST(read_write_dir_eisdir)
{
    struct mfs_node *d = mkdir_(root, "d");
    char buf[4] = "abc";
    ck_assert_int_eq(mfs_read(&fs, d, 0, buf, sizeof(buf)), -EISDIR);
    ck_assert_int_eq(mfs_write(&fs, d, 0, buf, sizeof(buf)), -EISDIR);
    ck_assert_int_eq(mfs_truncate(&fs, d, 0), -EISDIR);
    ck_assert_int_eq(mfs_read(&fs, root, 0, buf, sizeof(buf)), -EISDIR);
    ck_assert_int_eq(mfs_write(&fs, root, 0, buf, sizeof(buf)), -EISDIR);
    ck_assert_uint_eq(fs.bytes, 0);
    finish();
}
END_TEST

START_TEST(write_efbig)
{
    struct mfs_node *f = mkfile(root, "f");
    ck_assert_int_eq(mfs_write(&fs, f, 1ull << 40, "x", 1), -EFBIG);
    ck_assert_int_eq(mfs_write(&fs, f, (1ull << 40) - 1, "xy", 2), -EFBIG);
    ck_assert_int_eq(mfs_write(&fs, f, UINT64_MAX, "x", 1), -EFBIG);
    ck_assert_int_eq(mfs_truncate(&fs, f, (1ull << 40) + 1), -EFBIG);
    ck_assert_uint_eq(f->size, 0);
    ck_assert_uint_eq(fs.bytes, 0);
    finish();
}
END_TEST

/* Linux: a write of zero bytes changes nothing, not even past the end of
 * the file (pwrite(fd, buf, 0, 10000) leaves the size alone). */
START_TEST(zero_length_write_past_eof)
{
    struct mfs_node *f = mkfile(root, "f");
    put(f, 0, "abc");
    ck_assert_int_eq(mfs_write(&fs, f, 10000, "x", 0), 0);
    ck_assert_uint_eq(f->size, 3);
    finish();
}
END_TEST

START_TEST(truncate_shrink_extend)
{
    enum { LEN = MFS_PAGE + 904 };
    static uint8_t data[LEN], back[3 * MFS_PAGE];
    memset(data, 0xaa, sizeof(data));
    struct mfs_node *f = mkfile(root, "f");
    ck_assert_int_eq(mfs_write(&fs, f, 0, data, LEN), LEN);
    ck_assert_uint_eq(fs.bytes, 2 * MFS_PAGE);
    ck_assert_int_eq(mfs_truncate(&fs, f, 100), 0);
    ck_assert_uint_eq(f->size, 100);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    ck_assert_int_eq(mfs_read(&fs, f, 0, back, sizeof(back)), 100);
    ck_assert_mem_eq(back, data, 100);
    ck_assert_int_eq(mfs_truncate(&fs, f, 6000), 0);
    ck_assert_uint_eq(f->size, 6000);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE); /* extension allocates nothing */
    memset(back, 0xee, sizeof(back));
    ck_assert_int_eq(mfs_read(&fs, f, 0, back, sizeof(back)), 6000);
    ck_assert_mem_eq(back, data, 100);
    ck_assert(is_zero(back + 100, 5900));
    /* Writing past the new end leaves the old tail zero too. */
    ck_assert_int_eq(mfs_truncate(&fs, f, 50), 0);
    put(f, 200, "z");
    ck_assert_int_eq(mfs_read(&fs, f, 0, back, sizeof(back)), 201);
    ck_assert_mem_eq(back, data, 50);
    ck_assert(is_zero(back + 50, 150));
    ck_assert_int_eq(back[200], 'z');
    /* Truncating to a page boundary and to zero. */
    ck_assert_int_eq(mfs_write(&fs, f, 0, data, LEN), LEN);
    ck_assert_int_eq(mfs_truncate(&fs, f, MFS_PAGE), 0);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    ck_assert_int_eq(mfs_truncate(&fs, f, MFS_PAGE + 10), 0);
    ck_assert_int_eq(mfs_read(&fs, f, MFS_PAGE - 1, back, 20), 11);
    ck_assert_int_eq(back[0], 0xaa);
    ck_assert(is_zero(back + 1, 10));
    ck_assert_int_eq(mfs_truncate(&fs, f, 0), 0);
    ck_assert_uint_eq(f->size, 0);
    ck_assert_uint_eq(fs.bytes, 0);
    ck_assert_int_eq(mfs_truncate(&fs, f, 10), 0);
    ck_assert_int_eq(mfs_read(&fs, f, 0, back, sizeof(back)), 10);
    ck_assert(is_zero(back, 10));
    finish();
}
END_TEST

START_TEST(max_bytes_enospc)
{
    fs.max_bytes = 2 * MFS_PAGE;
    static uint8_t data[3 * MFS_PAGE], back[3 * MFS_PAGE];
    fill(data, sizeof(data), 0);
    struct mfs_node *f = mkfile(root, "f");
    /* Starts mid-page: two pages fit, the write stops at the end of the
     * second. */
    ck_assert_int_eq(mfs_write(&fs, f, 100, data, sizeof(data) - 200), 2 * MFS_PAGE - 100);
    ck_assert_uint_eq(f->size, 2 * MFS_PAGE);
    ck_assert_uint_eq(fs.bytes, 2 * MFS_PAGE);
    ck_assert_int_eq(mfs_read(&fs, f, 100, back, sizeof(back)), 2 * MFS_PAGE - 100);
    ck_assert_mem_eq(back, data, 2 * MFS_PAGE - 100);
    /* Nothing done at all: ENOSPC. */
    ck_assert_int_eq(mfs_write(&fs, f, 2 * MFS_PAGE, "x", 1), -ENOSPC);
    ck_assert_uint_eq(f->size, 2 * MFS_PAGE);
    struct mfs_node *g = mkfile(root, "g");
    ck_assert_int_eq(mfs_write(&fs, g, 0, "x", 1), -ENOSPC);
    ck_assert_uint_eq(g->size, 0);
    /* Overwriting allocated pages still works. */
    ck_assert_int_eq(mfs_write(&fs, f, 0, data, 2 * MFS_PAGE), 2 * MFS_PAGE);
    /* Freed space can be used again. */
    ck_assert_int_eq(mfs_truncate(&fs, f, 10), 0);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    ck_assert_int_eq(mfs_write(&fs, g, 0, data, sizeof(data)), MFS_PAGE);
    ck_assert_uint_eq(g->size, MFS_PAGE);
    ck_assert_uint_eq(fs.bytes, 2 * MFS_PAGE);
    ck_assert_int_eq(mfs_remove(&fs, root, NM("f"), 0), 0);
    ck_assert_int_eq(mfs_write(&fs, g, MFS_PAGE, data, sizeof(data)), MFS_PAGE);
    ck_assert_uint_eq(g->size, 2 * MFS_PAGE);
    finish();
}
END_TEST

START_TEST(write_enomem)
{
    struct mfs_node *f = mkfile(root, "f");
    put(f, 0, "abc");
    static uint8_t data[2 * MFS_PAGE];
    fill(data, sizeof(data), 0);
    /* Nothing written: ENOMEM, size unchanged. */
    fail_nth = 1;
    ck_assert_int_eq(mfs_write(&fs, f, 2 * MFS_PAGE, data, 10), -ENOMEM);
    ck_assert_uint_eq(f->size, 3);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    /* The first page exists, the second cannot be allocated: short write. */
    fail_nth = 1;
    ck_assert_int_eq(mfs_write(&fs, f, MFS_PAGE - 5, data, 10), 5);
    ck_assert_uint_eq(f->size, MFS_PAGE);
    char buf[8];
    ck_assert_int_eq(mfs_read(&fs, f, MFS_PAGE - 5, buf, sizeof(buf)), 5);
    ck_assert_mem_eq(buf, data, 5);
    /* The page table cannot grow. */
    fail_nth = 1;
    ck_assert_int_eq(mfs_write(&fs, f, 50 * MFS_PAGE, data, 10), -ENOMEM);
    ck_assert_uint_eq(f->size, MFS_PAGE);
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    finish();
}
END_TEST

/* ---- rename ---- */

START_TEST(rename_same_dir)
{
    struct mfs_node *f = mkfile(root, "a"), *d = mkdir_(root, "d");
    put(f, 0, "content");
    tick();
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("b"), 0), 0);
    ck_assert_ptr_null(look(root, "a"));
    ck_assert_ptr_eq(look(root, "b"), f);
    ck_assert_uint_eq(f->nlink, 1);
    ck_assert_time(f->ctime, 101);
    ck_assert_time(root->mtime, 101);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("d"), root, NM("e"), 0), 0);
    ck_assert_ptr_eq(look(root, "e"), d);
    ck_assert_ptr_eq(d->parent, root);
    ck_assert_uint_eq(root->nlink, 3);
    ck_assert_uint_eq(d->nlink, 2);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("c"), 0), -ENOENT);
    ck_assert_int_eq(mfs_rename(&fs, f, NM("a"), root, NM("c"), 0), -ENOTDIR);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("b"), f, NM("c"), 0), -ENOTDIR);
    char buf[8] = {0};
    ck_assert_int_eq(mfs_read(&fs, look(root, "b"), 0, buf, 7), 7);
    ck_assert_str_eq(buf, "content");
    finish();
}
END_TEST

START_TEST(rename_across_dirs)
{
    struct mfs_node *a = mkdir_(root, "a"), *b = mkdir_(root, "b");
    struct mfs_node *f = mkfile(a, "f"), *d = mkdir_(a, "d");
    mkfile(d, "inner");
    ck_assert_uint_eq(a->nlink, 3);
    ck_assert_int_eq(mfs_rename(&fs, a, NM("f"), b, NM("g"), 0), 0);
    ck_assert_ptr_null(look(a, "f"));
    ck_assert_ptr_eq(look(b, "g"), f);
    ck_assert_uint_eq(a->nlink, 3);
    ck_assert_uint_eq(b->nlink, 2);
    ck_assert_int_eq(mfs_rename(&fs, a, NM("d"), b, NM("d"), 0), 0);
    ck_assert_ptr_null(look(a, "d"));
    ck_assert_ptr_eq(look(b, "d"), d);
    ck_assert_ptr_eq(d->parent, b);
    ck_assert_ptr_eq(look(d, ".."), b);
    ck_assert_ptr_nonnull(look(d, "inner"));
    ck_assert_uint_eq(a->nlink, 2);
    ck_assert_uint_eq(b->nlink, 3);
    ck_assert_uint_eq(d->nlink, 2);
    ck_assert_uint_eq(root->nlink, 4);
    /* Up to the root. */
    ck_assert_int_eq(mfs_rename(&fs, b, NM("d"), root, NM("top"), 0), 0);
    ck_assert_ptr_eq(d->parent, root);
    ck_assert_uint_eq(b->nlink, 2);
    ck_assert_uint_eq(root->nlink, 5);
    finish();
}
END_TEST

START_TEST(rename_over_file)
{
    struct mfs_node *d = mkdir_(root, "d");
    struct mfs_node *a = mkfile(root, "a"), *b = mkfile(d, "b");
    put(a, 0, "new");
    put(b, 0, "old");
    put(b, 3 * MFS_PAGE, "old");
    size_t before = live_bytes;
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), d, NM("b"), 0), 0);
    ck_assert_ptr_eq(look(d, "b"), a);
    ck_assert_ptr_null(look(root, "a"));
    ck_assert_uint_eq(fs.bytes, MFS_PAGE);
    /* b's node, page table, two pages and a's old entry are gone; the new
     * entry replaced b's (same name length). */
    ck_assert_uint_eq(before - live_bytes, sizeof(struct mfs_node) + 4 * sizeof(uint8_t *) +
                                               2 * MFS_PAGE + sizeof(struct mfs_dirent) + 2);

    /* A replaced file that is open lives until its close. */
    struct mfs_node *c = mkfile(root, "c");
    put(c, 0, "open");
    mfs_open(c);
    ck_assert_int_eq(mfs_rename(&fs, d, NM("b"), root, NM("c"), 0), 0);
    ck_assert_ptr_eq(look(root, "c"), a);
    ck_assert_uint_eq(c->nlink, 0);
    char buf[4];
    ck_assert_int_eq(mfs_read(&fs, c, 0, buf, 4), 4);
    ck_assert_mem_eq(buf, "open", 4);
    mfs_close(&fs, c);

    /* A replaced file with another link keeps it. */
    struct mfs_node *e = mkfile(root, "e");
    ck_assert_int_eq(mfs_link(&fs, d, NM("e2"), e), 0);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("c"), root, NM("e"), 0), 0);
    ck_assert_uint_eq(e->nlink, 1);
    ck_assert_ptr_eq(look(d, "e2"), e);
    ck_assert_ptr_eq(look(root, "e"), a);

    /* A symlink can replace a file and the other way round. */
    ck_assert_int_eq(mfs_create(&fs, root, NM("s"), 0, 0, 0, "t", NULL), 0);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("s"), root, NM("e"), 0), 0);
    ck_assert_uint_eq(look(root, "e")->mode, MFS_S_IFLNK | 0777);
    ck_assert_int_eq(mfs_rename(&fs, d, NM("e2"), root, NM("e"), 0), 0);
    ck_assert_ptr_eq(look(root, "e"), e);
    finish();
}
END_TEST

START_TEST(rename_dirs_and_types)
{
    struct mfs_node *a = mkdir_(root, "a"), *b = mkdir_(root, "b");
    struct mfs_node *x = mkdir_(a, "x"), *y = mkdir_(b, "y");
    struct mfs_node *full = mkdir_(b, "full");
    mkfile(full, "f");
    struct mfs_node *f = mkfile(root, "f");
    ck_assert_uint_eq(b->nlink, 4);
    /* Directory over a non-empty directory. */
    ck_assert_int_eq(mfs_rename(&fs, a, NM("x"), b, NM("full"), 0), -ENOTEMPTY);
    ck_assert_int_eq(mfs_rename(&fs, b, NM("y"), b, NM("full"), 0), -ENOTEMPTY);
    /* File over directory, directory over file. */
    ck_assert_int_eq(mfs_rename(&fs, root, NM("f"), b, NM("y"), 0), -EISDIR);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("f"), b, NM("full"), 0), -EISDIR);
    ck_assert_int_eq(mfs_rename(&fs, a, NM("x"), root, NM("f"), 0), -ENOTDIR);
    ck_assert_ptr_eq(look(a, "x"), x);
    ck_assert_ptr_eq(look(b, "y"), y);
    ck_assert_ptr_eq(look(root, "f"), f);
    ck_assert_uint_eq(a->nlink, 3);
    ck_assert_uint_eq(b->nlink, 4);
    /* Directory over an empty directory, across directories. */
    ck_assert_int_eq(mfs_rename(&fs, a, NM("x"), b, NM("y"), 0), 0);
    ck_assert_ptr_eq(look(b, "y"), x);
    ck_assert_ptr_eq(x->parent, b);
    ck_assert_uint_eq(a->nlink, 2);
    ck_assert_uint_eq(b->nlink, 4);
    /* And within one directory. */
    ck_assert_int_eq(mfs_rename(&fs, b, NM("y"), b, NM("full2"), 0), 0);
    struct mfs_node *e = mkdir_(b, "empty");
    (void)e;
    ck_assert_uint_eq(b->nlink, 5);
    ck_assert_int_eq(mfs_rename(&fs, b, NM("full2"), b, NM("empty"), 0), 0);
    ck_assert_ptr_eq(look(b, "empty"), x);
    ck_assert_uint_eq(b->nlink, 4);
    ck_assert_uint_eq(root->nlink, 4);
    finish();
}
END_TEST

START_TEST(rename_into_own_subdir)
{
    struct mfs_node *a = mkdir_(root, "a");
    struct mfs_node *b = mkdir_(a, "b");
    struct mfs_node *c = mkdir_(b, "c");
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), a, NM("x"), 0), -EINVAL);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), b, NM("x"), 0), -EINVAL);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), c, NM("x"), 0), -EINVAL);
    ck_assert_int_eq(mfs_rename(&fs, a, NM("b"), c, NM("x"), 0), -EINVAL);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), c, NM("x"), MFS_RENAME_NOREPLACE), -EINVAL);
    /* Exchanging a directory with something inside it. */
    mkfile(c, "f");
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), c, NM("f"), MFS_RENAME_EXCHANGE), -EINVAL);
    ck_assert_int_eq(mfs_rename(&fs, c, NM("f"), root, NM("a"), MFS_RENAME_EXCHANGE), -EINVAL);
    ck_assert_ptr_eq(look(root, "a"), a);
    ck_assert_ptr_eq(a->parent, root);
    ck_assert_ptr_eq(b->parent, a);
    ck_assert_uint_eq(root->nlink, 3);
    ck_assert_uint_eq(a->nlink, 3);
    /* Moving a subdirectory up is fine. */
    ck_assert_int_eq(mfs_rename(&fs, b, NM("c"), root, NM("c"), 0), 0);
    ck_assert_ptr_eq(c->parent, root);
    ck_assert_uint_eq(b->nlink, 2);
    ck_assert_uint_eq(root->nlink, 4);
    finish();
}
END_TEST

START_TEST(rename_noreplace)
{
    struct mfs_node *a = mkfile(root, "a"), *b = mkfile(root, "b");
    struct mfs_node *d = mkdir_(root, "d");
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("b"), MFS_RENAME_NOREPLACE), -EEXIST);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("d"), MFS_RENAME_NOREPLACE), -EEXIST);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("d"), root, NM("a"), MFS_RENAME_NOREPLACE), -EEXIST);
    ck_assert_ptr_eq(look(root, "a"), a);
    ck_assert_ptr_eq(look(root, "b"), b);
    ck_assert_int_eq(
        mfs_rename(&fs, root, NM("a"), root, NM("b"), MFS_RENAME_NOREPLACE | MFS_RENAME_EXCHANGE),
        -EINVAL);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), d, NM("a"), MFS_RENAME_NOREPLACE), 0);
    ck_assert_ptr_eq(look(d, "a"), a);
    ck_assert_ptr_null(look(root, "a"));
    finish();
}
END_TEST

/* Linux checks RENAME_NOREPLACE against any existing target, before the
 * same-inode no-op: renameat2(a, b, RENAME_NOREPLACE) with a and b hard
 * links of one file is EEXIST. */
START_TEST(rename_noreplace_same_node)
{
    struct mfs_node *a = mkfile(root, "a");
    ck_assert_int_eq(mfs_link(&fs, root, NM("b"), a), 0);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("b"), MFS_RENAME_NOREPLACE), -EEXIST);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("a"), MFS_RENAME_NOREPLACE), -EEXIST);
    finish();
}
END_TEST

START_TEST(rename_exchange)
{
    struct mfs_node *p = mkdir_(root, "p"), *q = mkdir_(root, "q");
    struct mfs_node *f = mkfile(p, "f"), *d = mkdir_(q, "d");
    mkfile(d, "inner");
    ck_assert_uint_eq(p->nlink, 2);
    ck_assert_uint_eq(q->nlink, 3);
    ck_assert_int_eq(mfs_rename(&fs, p, NM("f"), q, NM("d"), MFS_RENAME_EXCHANGE), 0);
    ck_assert_ptr_eq(look(p, "f"), d);
    ck_assert_ptr_eq(look(q, "d"), f);
    ck_assert_ptr_eq(d->parent, p);
    ck_assert_ptr_eq(look(d, ".."), p);
    ck_assert_uint_eq(p->nlink, 3);
    ck_assert_uint_eq(q->nlink, 2);
    ck_assert_uint_eq(f->nlink, 1);
    ck_assert_uint_eq(d->nlink, 2);
    ck_assert_ptr_nonnull(look(d, "inner")); /* a non-empty dir can be exchanged */
    /* And back, the directory first this time. */
    ck_assert_int_eq(mfs_rename(&fs, p, NM("f"), q, NM("d"), MFS_RENAME_EXCHANGE), 0);
    ck_assert_ptr_eq(look(p, "f"), f);
    ck_assert_ptr_eq(look(q, "d"), d);
    ck_assert_ptr_eq(d->parent, q);
    ck_assert_uint_eq(p->nlink, 2);
    ck_assert_uint_eq(q->nlink, 3);
    /* Two directories across directories: counts unchanged. */
    struct mfs_node *e = mkdir_(p, "e");
    ck_assert_int_eq(mfs_rename(&fs, p, NM("e"), q, NM("d"), MFS_RENAME_EXCHANGE), 0);
    ck_assert_ptr_eq(e->parent, q);
    ck_assert_ptr_eq(d->parent, p);
    ck_assert_uint_eq(p->nlink, 3);
    ck_assert_uint_eq(q->nlink, 3);
    /* File and directory in the same directory: counts unchanged. */
    ck_assert_int_eq(mfs_rename(&fs, p, NM("f"), p, NM("e"), MFS_RENAME_EXCHANGE), 0);
    ck_assert_ptr_eq(look(p, "e"), f);
    ck_assert_ptr_eq(look(p, "f"), d);
    ck_assert_ptr_eq(d->parent, p);
    ck_assert_uint_eq(p->nlink, 3);
    /* The target must exist. */
    ck_assert_int_eq(mfs_rename(&fs, p, NM("f"), q, NM("none"), MFS_RENAME_EXCHANGE), -ENOENT);
    ck_assert_int_eq(mfs_rename(&fs, p, NM("none"), q, NM("d"), MFS_RENAME_EXCHANGE), -ENOENT);
    ck_assert_uint_eq(root->nlink, 4);
    finish();
}
END_TEST

/* Linux (simple_rename_timestamp) updates the change time of both inodes
 * of an exchange, as it does for the inode of a plain rename. */
START_TEST(rename_exchange_ctime)
{
    struct mfs_node *a = mkfile(root, "a"), *b = mkdir_(root, "b");
    tick();
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("b"), MFS_RENAME_EXCHANGE), 0);
    ck_assert_time(root->mtime, 101);
    ck_assert_time(a->ctime, 101);
    ck_assert_time(b->ctime, 101);
    finish();
}
END_TEST

START_TEST(rename_same_node_noop)
{
    struct mfs_node *a = mkfile(root, "a"), *d = mkdir_(root, "d");
    mkfile(root, "z");
    ck_assert_int_eq(mfs_link(&fs, root, NM("b"), a), 0);
    size_t before = live_bytes;
    tick();
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("a"), 0), 0);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("b"), 0), 0);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("d"), root, NM("d"), 0), 0);
    ck_assert_int_eq(mfs_rename(&fs, root, NM("a"), root, NM("b"), MFS_RENAME_EXCHANGE), 0);
    ck_assert_ptr_eq(look(root, "a"), a);
    ck_assert_ptr_eq(look(root, "b"), a);
    ck_assert_ptr_eq(look(root, "d"), d);
    ck_assert_uint_eq(a->nlink, 2);
    ck_assert_uint_eq(root->nlink, 3);
    ck_assert_uint_eq(live_bytes, before);
    ck_assert_time(root->mtime, 100); /* nothing touched */
    /* Order unchanged: a, d, z, b. */
    const char *name;
    size_t len;
    struct mfs_node *n;
    ck_assert_int_eq(mfs_readdir(root, 2, &name, &len, &n), 0);
    ck_assert_mem_eq(name, "a", len);
    ck_assert_int_eq(mfs_readdir(root, 5, &name, &len, &n), 0);
    ck_assert_mem_eq(name, "b", len);
    finish();
}
END_TEST

/* mfs_rename promises "failure changes nothing"; an allocation failure
 * while renaming over an existing name must leave the target in place. */
START_TEST(rename_enomem_keeps_target)
{
    struct mfs_node *a = mkfile(root, "a"), *b = mkfile(root, "b");
    put(b, 0, "keep me");
    fail_nth = 1;
    int r = mfs_rename(&fs, root, NM("a"), root, NM("b"), 0);
    if (r == 0) {
        ck_assert_ptr_null(look(root, "a"));
        ck_assert_ptr_eq(look(root, "b"), a);
    } else {
        ck_assert_int_eq(r, -ENOMEM);
        ck_assert_ptr_eq(look(root, "a"), a);
        ck_assert_ptr_eq(look(root, "b"), b);
    }
    finish();
}
END_TEST

/* ---- readdir ---- */

START_TEST(readdir_order)
{
    struct mfs_node *d = mkdir_(root, "d");
    struct mfs_node *c = mkfile(d, "c"), *a = mkdir_(d, "a"), *b = mkfile(d, "bb");
    const char *name;
    size_t len;
    struct mfs_node *n;
    ck_assert_int_eq(mfs_readdir(d, 0, &name, &len, &n), 0);
    ck_assert_uint_eq(len, 1);
    ck_assert_mem_eq(name, ".", 1);
    ck_assert_ptr_eq(n, d);
    ck_assert_int_eq(mfs_readdir(d, 1, &name, &len, &n), 0);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(name, "..", 2);
    ck_assert_ptr_eq(n, root);
    ck_assert_int_eq(mfs_readdir(d, 2, &name, &len, &n), 0);
    ck_assert_uint_eq(len, 1);
    ck_assert_mem_eq(name, "c", 1);
    ck_assert_ptr_eq(n, c);
    ck_assert_int_eq(mfs_readdir(d, 3, &name, &len, &n), 0);
    ck_assert_mem_eq(name, "a", 1);
    ck_assert_ptr_eq(n, a);
    ck_assert_int_eq(mfs_readdir(d, 4, &name, &len, &n), 0);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(name, "bb", 2);
    ck_assert_ptr_eq(n, b);
    ck_assert_int_eq(mfs_readdir(d, 5, &name, &len, &n), -ENOENT);
    ck_assert_int_eq(mfs_readdir(d, 6, &name, &len, &n), -ENOENT);
    ck_assert_int_eq(mfs_readdir(d, UINT64_MAX, &name, &len, &n), -ENOENT);
    /* Removing one closes the gap; a new name goes last. */
    ck_assert_int_eq(mfs_remove(&fs, d, NM("a"), 1), 0);
    mkfile(d, "e");
    ck_assert_int_eq(mfs_readdir(d, 3, &name, &len, &n), 0);
    ck_assert_mem_eq(name, "bb", 2);
    ck_assert_int_eq(mfs_readdir(d, 4, &name, &len, &n), 0);
    ck_assert_mem_eq(name, "e", 1);
    ck_assert_int_eq(mfs_readdir(d, 5, &name, &len, &n), -ENOENT);
    /* The root's ".." is itself; an empty directory has only the two. */
    ck_assert_int_eq(mfs_readdir(root, 1, &name, &len, &n), 0);
    ck_assert_ptr_eq(n, root);
    struct mfs_node *empty = mkdir_(root, "empty");
    ck_assert_int_eq(mfs_readdir(empty, 2, &name, &len, &n), -ENOENT);
    ck_assert_int_eq(mfs_readdir(c, 0, &name, &len, &n), -ENOTDIR);
    finish();
}
END_TEST

/* ---- timestamps ---- */

START_TEST(timestamps_advance)
{
    tick(); /* 101 */
    struct mfs_node *d = mkdir_(root, "d");
    ck_assert_time(d->atime, 101);
    ck_assert_time(d->mtime, 101);
    ck_assert_time(d->ctime, 101);
    ck_assert_time(root->mtime, 101);
    ck_assert_time(root->ctime, 101);
    ck_assert_time(root->atime, 100);
    tick(); /* 102 */
    struct mfs_node *f = mkfile(d, "f");
    ck_assert_time(f->mtime, 102);
    ck_assert_time(d->mtime, 102);
    ck_assert_time(root->mtime, 101);
    tick(); /* 103: write changes mtime and ctime */
    put(f, 0, "abc");
    ck_assert_time(f->mtime, 103);
    ck_assert_time(f->ctime, 103);
    ck_assert_time(f->atime, 102);
    ck_assert_time(d->mtime, 102);
    tick(); /* 104: read changes atime only */
    char buf[4];
    ck_assert_int_eq(mfs_read(&fs, f, 0, buf, 3), 3);
    ck_assert_time(f->atime, 104);
    ck_assert_time(f->mtime, 103);
    ck_assert_time(f->ctime, 103);
    tick(); /* 105: truncate */
    ck_assert_int_eq(mfs_truncate(&fs, f, 1), 0);
    ck_assert_time(f->mtime, 105);
    ck_assert_time(f->ctime, 105);
    ck_assert_time(f->atime, 104);
    tick(); /* 106: link changes the file's ctime and the dir's mtime */
    ck_assert_int_eq(mfs_link(&fs, root, NM("g"), f), 0);
    ck_assert_time(f->ctime, 106);
    ck_assert_time(f->mtime, 105);
    ck_assert_time(root->mtime, 106);
    ck_assert_time(d->mtime, 102);
    tick(); /* 107: unlink one name */
    ck_assert_int_eq(mfs_remove(&fs, root, NM("g"), 0), 0);
    ck_assert_time(f->ctime, 107);
    ck_assert_time(root->mtime, 107);
    ck_assert_time(root->ctime, 107);
    tick(); /* 108: rename across directories */
    ck_assert_int_eq(mfs_rename(&fs, d, NM("f"), root, NM("h"), 0), 0);
    ck_assert_time(f->ctime, 108);
    ck_assert_time(f->mtime, 105);
    ck_assert_time(d->mtime, 108);
    ck_assert_time(d->ctime, 108);
    ck_assert_time(root->mtime, 108);
    tick(); /* 109: rmdir */
    ck_assert_int_eq(mfs_remove(&fs, root, NM("d"), 1), 0);
    ck_assert_time(root->mtime, 109);
    ck_assert_time(root->ctime, 109);
    tick(); /* 110: mfs_touch picks fields */
    mfs_touch(&fs, f, 1, 0, 0);
    ck_assert_time(f->atime, 110);
    ck_assert_time(f->mtime, 105);
    ck_assert_time(f->ctime, 108);
    mfs_touch(&fs, f, 0, 1, 1);
    ck_assert_time(f->mtime, 110);
    ck_assert_time(f->ctime, 110);
    finish();
}
END_TEST

Suite *minifs_suite(void)
{
    Suite *s = suite_create("minifs");
    struct {
        const char *name;
        const TTest *tests[16];
    } cases[] = {
        {"init", {init_root, init_mode_and_enomem}},
        {"create",
         {create_lookup_file, create_lookup_dirs, create_symlink, name_length_limits,
          lookup_name_too_long, create_dot_dotdot_eexist}},
        {"links", {dir_nlink, hard_links}},
        {"remove",
         {remove_file_and_empty_dir, remove_not_empty, remove_type_mismatch, rmdir_dot_einval,
          unlink_dot_eisdir, unlinked_open_file_survives, removed_open_dir, link_into_removed_dir,
          rename_into_removed_dir}},
        {"data",
         {write_read_offsets, write_read_cross_pages, holes_read_zero, read_past_eof,
          read_write_dir_eisdir, write_efbig, zero_length_write_past_eof, truncate_shrink_extend,
          max_bytes_enospc, write_enomem}},
        {"rename",
         {rename_same_dir, rename_across_dirs, rename_over_file, rename_dirs_and_types,
          rename_into_own_subdir, rename_noreplace, rename_noreplace_same_node, rename_exchange,
          rename_exchange_ctime, rename_same_node_noop, rename_enomem_keeps_target}},
        {"readdir", {readdir_order}},
        {"times", {timestamps_advance}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        for (size_t j = 0; j < 16 && cases[i].tests[j]; j++)
            tcase_add_test(tc, cases[i].tests[j]);
        suite_add_tcase(s, tc);
    }
    return s;
}
