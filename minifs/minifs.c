/* minifs: see minifs.h. Directories are linked lists of entries, files are
 * arrays of 4 KiB pages allocated on first write (holes cost nothing). */
#include "minifs.h"

/* minifs answers with Linux errno values. Built into the guest kernel
 * (freestanding) it takes them from the kernel's Linux ABI header; built on
 * the host for the unit tests, from <errno.h>, whose values on x86-64 Linux
 * are the same. */
#if __STDC_HOSTED__
#include <errno.h>
#else
#include "uapi/errno.h"
#endif

#define MAX_FILE (1ull << 40)

static void copy(void *d, const void *s, size_t n)
{
    uint8_t *dd = d;
    const uint8_t *ss = s;
    while (n--)
        *dd++ = *ss++;
}

static void zero(void *d, size_t n)
{
    uint8_t *dd = d;
    while (n--)
        *dd++ = 0;
}

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static int is_dir(const struct mfs_node *n)
{
    return (n->mode & MFS_S_IFMT) == MFS_S_IFDIR;
}

void mfs_touch(struct mfs *fs, struct mfs_node *node, int atime, int mtime, int ctime)
{
    struct mfs_time t;
    fs->env.now(&t.sec, &t.nsec);
    if (atime)
        node->atime = t;
    if (mtime)
        node->mtime = t;
    if (ctime)
        node->ctime = t;
}

static struct mfs_node *node_new(struct mfs *fs, uint32_t mode, uint32_t uid, uint32_t gid)
{
    struct mfs_node *n = fs->env.alloc(sizeof(*n));
    if (!n)
        return NULL;
    n->ino = fs->next_ino++;
    n->mode = mode;
    n->nlink = is_dir(n) ? 2 : 1;
    n->uid = uid;
    n->gid = gid;
    mfs_touch(fs, n, 1, 1, 1);
    return n;
}

static void free_pages_from(struct mfs *fs, struct mfs_node *n, uint64_t first)
{
    for (uint64_t i = first; i < n->npages; i++)
        if (n->pages[i] && n->maps) {
            zero(n->pages[i], MFS_PAGE); /* still mapped: keep, but empty */
        } else if (n->pages[i]) {
            fs->env.free(n->pages[i], MFS_PAGE);
            n->pages[i] = NULL;
            fs->bytes -= MFS_PAGE;
        }
}

static void node_free(struct mfs *fs, struct mfs_node *n)
{
    free_pages_from(fs, n, 0);
    if (n->pages)
        fs->env.free(n->pages, n->npages * sizeof(*n->pages));
    if (n->target) {
        size_t len = 0;
        while (n->target[len])
            len++;
        fs->env.free(n->target, len + 1);
    }
    fs->env.free(n, sizeof(*n));
}

/* A node with no names and no open files is gone. */
static void maybe_free(struct mfs *fs, struct mfs_node *n)
{
    if (n->nlink == 0 && n->opens == 0 && n->maps == 0)
        node_free(fs, n);
}

int mfs_init(struct mfs *fs, const struct mfs_env *env, uint32_t root_mode, uint64_t max_bytes)
{
    fs->env = *env;
    fs->next_ino = 1;
    fs->bytes = 0;
    fs->max_bytes = max_bytes;
    fs->root = node_new(fs, MFS_S_IFDIR | (root_mode & 07777), 0, 0);
    if (!fs->root)
        return -ENOMEM;
    fs->root->parent = fs->root;
    return 0;
}

static struct mfs_dirent **find(struct mfs_node *dir, const char *name, size_t len)
{
    struct mfs_dirent **e = &dir->entries;
    while (*e && !same((*e)->name, (*e)->len, name, len))
        e = &(*e)->next;
    return e;
}

int mfs_lookup(struct mfs *fs, struct mfs_node *dir, const char *name, size_t len,
               struct mfs_node **out)
{
    (void)fs;
    if (!is_dir(dir))
        return -ENOTDIR;
    if (same(name, len, ".", 1)) {
        *out = dir;
        return 0;
    }
    if (same(name, len, "..", 2)) {
        *out = dir->parent;
        return 0;
    }
    if (len > MFS_NAME_MAX)
        return -ENAMETOOLONG;
    struct mfs_dirent *e = *find(dir, name, len);
    if (!e)
        return -ENOENT;
    *out = e->node;
    return 0;
}

static int check_name(const char *name, size_t len)
{
    if (len == 0)
        return -ENOENT;
    if (len > MFS_NAME_MAX)
        return -ENAMETOOLONG;
    if (same(name, len, ".", 1) || same(name, len, "..", 2))
        return -EEXIST;
    return 0;
}

static int add_entry(struct mfs *fs, struct mfs_node *dir, const char *name, size_t len,
                     struct mfs_node *node)
{
    struct mfs_dirent *e = fs->env.alloc(sizeof(*e) + len + 1);
    if (!e)
        return -ENOMEM;
    e->node = node;
    e->len = (uint16_t)len;
    copy(e->name, name, len);
    *find(dir, name, len) = e; /* append: keeps creation order */
    mfs_touch(fs, dir, 0, 1, 1);
    return 0;
}

int mfs_create(struct mfs *fs, struct mfs_node *dir, const char *name, size_t len, uint32_t mode,
               uint32_t uid, uint32_t gid, const char *target, struct mfs_node **out)
{
    if (!is_dir(dir))
        return -ENOTDIR;
    if (dir->nlink == 0)
        return -ENOENT; /* a removed directory takes no new entries */
    int r = check_name(name, len);
    if (r)
        return r;
    if (*find(dir, name, len))
        return -EEXIST;
    if (target)
        mode = MFS_S_IFLNK | 0777;
    struct mfs_node *n = node_new(fs, mode, uid, gid);
    if (!n)
        return -ENOMEM;
    if (target) {
        size_t tlen = 0;
        while (target[tlen])
            tlen++;
        n->target = fs->env.alloc(tlen + 1);
        if (!n->target) {
            node_free(fs, n);
            return -ENOMEM;
        }
        copy(n->target, target, tlen + 1);
        n->size = tlen;
    }
    if (is_dir(n))
        n->parent = dir;
    r = add_entry(fs, dir, name, len, n);
    if (r) {
        node_free(fs, n);
        return r;
    }
    if (is_dir(n))
        dir->nlink++;
    if (out)
        *out = n;
    return 0;
}

int mfs_link(struct mfs *fs, struct mfs_node *dir, const char *name, size_t len,
             struct mfs_node *node)
{
    if (is_dir(node))
        return -EPERM;
    if (!is_dir(dir))
        return -ENOTDIR;
    if (dir->nlink == 0)
        return -ENOENT; /* a removed directory takes no new entries */
    int r = check_name(name, len);
    if (r)
        return r;
    if (*find(dir, name, len))
        return -EEXIST;
    if (node->nlink == 0)
        return -ENOENT;
    if (node->nlink >= 65000)
        return -EMLINK;
    r = add_entry(fs, dir, name, len, node);
    if (!r) {
        node->nlink++;
        mfs_touch(fs, node, 0, 0, 1);
    }
    return r;
}

/* Unlinks entry *e of dir, dropping the node's link. */
static void drop_entry(struct mfs *fs, struct mfs_node *dir, struct mfs_dirent **e)
{
    struct mfs_dirent *gone = *e;
    struct mfs_node *n = gone->node;
    *e = gone->next;
    fs->env.free(gone, sizeof(*gone) + gone->len + 1);
    if (is_dir(n)) {
        n->nlink = 0;
        dir->nlink--;
    } else {
        n->nlink--;
        mfs_touch(fs, n, 0, 0, 1);
    }
    mfs_touch(fs, dir, 0, 1, 1);
    maybe_free(fs, n);
}

int mfs_remove(struct mfs *fs, struct mfs_node *dir, const char *name, size_t len, int dir_only)
{
    if (!is_dir(dir))
        return -ENOTDIR;
    if (dir_only && same(name, len, ".", 1))
        return -EINVAL;
    if (dir_only && same(name, len, "..", 2))
        return -ENOTEMPTY;
    if (!dir_only && (same(name, len, ".", 1) || same(name, len, "..", 2)))
        return -EISDIR;
    struct mfs_dirent **e = find(dir, name, len);
    if (!*e)
        return -ENOENT;
    struct mfs_node *n = (*e)->node;
    if (dir_only && !is_dir(n))
        return -ENOTDIR;
    if (!dir_only && is_dir(n))
        return -EISDIR;
    if (dir_only && n->entries)
        return -ENOTEMPTY;
    drop_entry(fs, dir, e);
    return 0;
}

/* Whether a is b or one of b's ancestors. */
static int is_ancestor(struct mfs_node *a, struct mfs_node *b)
{
    for (;;) {
        if (a == b)
            return 1;
        if (b->parent == b)
            return 0;
        b = b->parent;
    }
}

int mfs_rename(struct mfs *fs, struct mfs_node *from_dir, const char *from, size_t from_len,
               struct mfs_node *to_dir, const char *to, size_t to_len, unsigned flags)
{
    if (!is_dir(from_dir) || !is_dir(to_dir))
        return -ENOTDIR;
    if (flags & ~(MFS_RENAME_NOREPLACE | MFS_RENAME_EXCHANGE))
        return -EINVAL;
    if ((flags & MFS_RENAME_NOREPLACE) && (flags & MFS_RENAME_EXCHANGE))
        return -EINVAL;
    int rf = check_name(from, from_len), rt = check_name(to, to_len);
    if (rf == -EEXIST || rt == -EEXIST)
        return -EBUSY; /* "." and ".." */
    if (rf || rt)
        return rf ? rf : rt;
    if (to_dir->nlink == 0)
        return -ENOENT; /* a removed directory takes no new entries */
    struct mfs_dirent **src = find(from_dir, from, from_len);
    if (!*src)
        return -ENOENT;
    struct mfs_node *n = (*src)->node;
    struct mfs_dirent **dst = find(to_dir, to, to_len);
    if (*dst && (flags & MFS_RENAME_NOREPLACE))
        return -EEXIST;
    if (*dst && (*dst)->node == n)
        return 0; /* same file: nothing to do, as Linux */
    if (is_dir(n) && is_ancestor(n, to_dir))
        return -EINVAL;
    if (flags & MFS_RENAME_EXCHANGE) {
        if (!*dst)
            return -ENOENT;
        struct mfs_node *m = (*dst)->node;
        if (is_dir(m) && is_ancestor(m, from_dir))
            return -EINVAL;
        (*src)->node = m;
        (*dst)->node = n;
        if (is_dir(n) != is_dir(m) && from_dir != to_dir) {
            int dn = is_dir(n) - is_dir(m);
            from_dir->nlink -= (uint32_t)dn;
            to_dir->nlink += (uint32_t)dn;
        }
        if (is_dir(n))
            n->parent = to_dir;
        if (is_dir(m))
            m->parent = from_dir;
        mfs_touch(fs, n, 0, 0, 1);
        mfs_touch(fs, m, 0, 0, 1);
        mfs_touch(fs, from_dir, 0, 1, 1);
        mfs_touch(fs, to_dir, 0, 1, 1);
        return 0;
    }
    if (*dst) {
        struct mfs_node *old = (*dst)->node;
        if (is_dir(n) && !is_dir(old))
            return -ENOTDIR;
        if (!is_dir(n) && is_dir(old))
            return -EISDIR;
        if (is_dir(old) && old->entries)
            return -ENOTEMPTY;
    }
    /* Allocate the new name first, so that failure changes nothing. */
    struct mfs_dirent *e = fs->env.alloc(sizeof(*e) + to_len + 1);
    if (!e)
        return -ENOMEM;
    e->node = n;
    e->len = (uint16_t)to_len;
    copy(e->name, to, to_len);
    if (*dst) {
        drop_entry(fs, to_dir, dst);
        src = find(from_dir, from, from_len);
    }
    struct mfs_dirent *gone = *src;
    *src = gone->next;
    fs->env.free(gone, sizeof(*gone) + gone->len + 1);
    *find(to_dir, to, to_len) = e;
    if (is_dir(n) && from_dir != to_dir) {
        from_dir->nlink--;
        to_dir->nlink++;
        n->parent = to_dir;
    }
    mfs_touch(fs, n, 0, 0, 1);
    mfs_touch(fs, from_dir, 0, 1, 1);
    mfs_touch(fs, to_dir, 0, 1, 1);
    return 0;
}

int64_t mfs_read(struct mfs *fs, struct mfs_node *node, uint64_t off, void *buf, uint64_t len)
{
    if (is_dir(node))
        return -EISDIR;
    if (off >= node->size)
        return 0;
    if (len > node->size - off)
        len = node->size - off;
    uint8_t *out = buf;
    for (uint64_t done = 0; done < len;) {
        uint64_t page = (off + done) / MFS_PAGE, in = (off + done) % MFS_PAGE;
        uint64_t n = MFS_PAGE - in < len - done ? MFS_PAGE - in : len - done;
        if (page < node->npages && node->pages[page])
            copy(out + done, node->pages[page] + in, n);
        else
            zero(out + done, n);
        done += n;
    }
    mfs_touch(fs, node, 1, 0, 0);
    return (int64_t)len;
}

/* Makes room for page index `page` in the page table. */
static int grow_table(struct mfs *fs, struct mfs_node *node, uint64_t page)
{
    if (page < node->npages)
        return 0;
    uint64_t n = node->npages ? node->npages : 4;
    while (n <= page)
        n *= 2;
    uint8_t **t = fs->env.alloc(n * sizeof(*t));
    if (!t)
        return -ENOMEM;
    if (node->pages) {
        copy(t, node->pages, node->npages * sizeof(*t));
        fs->env.free(node->pages, node->npages * sizeof(*t));
    }
    node->pages = t;
    node->npages = n;
    return 0;
}

int64_t mfs_write(struct mfs *fs, struct mfs_node *node, uint64_t off, const void *buf,
                  uint64_t len)
{
    if (is_dir(node))
        return -EISDIR;
    if (len == 0)
        return 0;
    if (off >= MAX_FILE || len > MAX_FILE - off)
        return -EFBIG;
    const uint8_t *in = buf;
    uint64_t done = 0;
    while (done < len) {
        uint64_t page = (off + done) / MFS_PAGE, at = (off + done) % MFS_PAGE;
        uint64_t n = MFS_PAGE - at < len - done ? MFS_PAGE - at : len - done;
        int r = grow_table(fs, node, page);
        if (!r && !node->pages[page]) {
            if (fs->max_bytes && fs->bytes + MFS_PAGE > fs->max_bytes)
                r = -ENOSPC;
            else if (!(node->pages[page] = fs->env.alloc(MFS_PAGE)))
                r = -ENOMEM;
            else
                fs->bytes += MFS_PAGE;
        }
        if (r) {
            if (!done)
                return r;
            break;
        }
        copy(node->pages[page] + at, in + done, n);
        done += n;
    }
    if (off + done > node->size)
        node->size = off + done;
    mfs_touch(fs, node, 0, 1, 1);
    return (int64_t)done;
}

int mfs_truncate(struct mfs *fs, struct mfs_node *node, uint64_t size)
{
    if (is_dir(node))
        return -EISDIR;
    if (size > MAX_FILE)
        return -EFBIG;
    if (size < node->size) {
        /* Drop whole pages past the end, zero the tail of the last one so
         * a later extension reads zeros. */
        uint64_t keep = (size + MFS_PAGE - 1) / MFS_PAGE;
        free_pages_from(fs, node, keep);
        if (size % MFS_PAGE && keep - 1 < node->npages && node->pages[keep - 1])
            zero(node->pages[keep - 1] + size % MFS_PAGE, MFS_PAGE - size % MFS_PAGE);
    }
    node->size = size;
    mfs_touch(fs, node, 0, 1, 1);
    return 0;
}

int mfs_readdir(struct mfs_node *dir, uint64_t index, const char **name, size_t *len,
                struct mfs_node **node)
{
    if (!is_dir(dir))
        return -ENOTDIR;
    if (index < 2) {
        *name = index ? ".." : ".";
        *len = index + 1;
        *node = index ? dir->parent : dir;
        return 0;
    }
    struct mfs_dirent *e = dir->entries;
    for (uint64_t i = 2; e && i < index; i++)
        e = e->next;
    if (!e)
        return -ENOENT;
    *name = e->name;
    *len = e->len;
    *node = e->node;
    return 0;
}

void mfs_open(struct mfs_node *node)
{
    node->opens++;
}

void mfs_close(struct mfs *fs, struct mfs_node *node)
{
    node->opens--;
    maybe_free(fs, node);
}

uint8_t *mfs_map_page(struct mfs *fs, struct mfs_node *node, uint64_t off)
{
    uint64_t page = off / MFS_PAGE;
    if (off >= MAX_FILE || grow_table(fs, node, page))
        return NULL;
    if (!node->pages[page]) {
        if (fs->max_bytes && fs->bytes + MFS_PAGE > fs->max_bytes)
            return NULL;
        if (!(node->pages[page] = fs->env.alloc(MFS_PAGE)))
            return NULL;
        fs->bytes += MFS_PAGE;
    }
    return node->pages[page];
}

void mfs_map(struct mfs_node *node)
{
    node->maps++;
}

void mfs_unmap(struct mfs *fs, struct mfs_node *node)
{
    node->maps--;
    maybe_free(fs, node);
}
