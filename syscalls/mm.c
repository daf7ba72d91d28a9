/* Memory system calls: brk, mmap, munmap, mprotect, mremap, madvise. All at
 * CPL3 on the kernel's own page tables (kernel/mm.c). */
#include "heap.h"
#include "syscalls.h"
#include "tmpfs.h"
#include "vfs.h"
#include "uapi/mman.h"
#include "x86.h"

/* The program break: where it started and where it is now. */
static uint64_t brk_start, brk_cur;

void brk_init(uint64_t start)
{
    brk_start = brk_cur = start;
}

/* Host files mapped MAP_SHARED: where each lives in guest physical memory. */
#define MAX_SHARED 64
static struct shared {
    uint64_t va, len, gpa;
    int may_write;         /* the file was opened read-write */
    struct mfs_node *node; /* a /tmp file or memfd: its own pages are mapped */
    uint64_t backed;       /* host files: bytes mapped, the file's pages */
    uint64_t off;          /* host files: offset in the file */
    int hostfd;
    uint32_t prot;
} shared[MAX_SHARED];

/* Unmaps a range, and hands the host back every shared file mapping that
 * lay wholly inside it. */
static void unmap_range(uint64_t va, uint64_t len)
{
    mm_unmap(va, len);
    for (int i = 0; i < MAX_SHARED; i++)
        if (shared[i].len && shared[i].va >= va && shared[i].va + shared[i].len <= va + len) {
            if (shared[i].node)
                mfs_unmap(&tmpfs, shared[i].node);
            else
                HC(unmap_shared, .gpa = shared[i].gpa);
            shared[i].len = 0;
        }
}

struct file;
/* fs.c: the host fd behind a file opened with a readable and, if asked,
 * writable mode, for a shared mapping; or a negative errno. */
long fs_shared_fd(int fd, int writable, uint64_t *size, int *may_write, struct mfs_node **node);

/* A /tmp file or memfd: its minifs pages themselves go into the mapping,
 * so writes through either side are seen by the other. */
static long map_shared_tmp(uint64_t addr, uint64_t len, uint32_t prot, struct mfs_node *node,
                           uint64_t off, int may_write, int slot)
{
    uint64_t n = len / PAGE_SIZE;
    uint64_t *pas = kmalloc(n * sizeof(*pas));
    if (!pas)
        return -ENOMEM;
    long r = 0;
    for (uint64_t i = 0; i < n && !r; i++) {
        uint8_t *page = mfs_map_page(&tmpfs, node, off + i * PAGE_SIZE);
        if (!page || !(pas[i] = mm_kernel_phys(page)))
            r = -ENOMEM;
    }
    if (!r)
        r = mm_map_foreign(addr, len, pas, prot, VMA_SHARED);
    kfree(pas, n * sizeof(*pas));
    if (r)
        return r;
    mfs_map(node);
    shared[slot] = (struct shared){.va = addr, .len = len, .may_write = may_write, .node = node};
    return (long)addr;
}

static long map_shared_file(uint64_t addr, uint64_t len, uint32_t prot, int fd, uint64_t off)
{
    uint64_t size;
    int may_write;
    struct mfs_node *node = NULL;
    long hostfd = fs_shared_fd(fd, (prot & HX_PROT_W) != 0, &size, &may_write, &node);
    if (hostfd < 0)
        return hostfd;
    int slot = 0;
    while (slot < MAX_SHARED && shared[slot].len)
        slot++;
    if (slot == MAX_SHARED)
        return -ENOMEM;
    if (node)
        return map_shared_tmp(addr, len, prot, node, off, may_write, slot);
    /* Only the pages the file has: past its end a touch is SIGBUS, unless
     * the file grew since (mm_shared_fault maps them then). */
    uint64_t backed = MIN(len, size > off ? PAGE_ALIGN(size - off) : 0);
    long gpa = HC(map_shared, .hostfd = hostfd, .offset = off, .len = len, .writable = may_write);
    if (gpa < 0)
        return gpa;
    if (mm_reserve(addr, len, prot, VMA_SHARED) ||
        (backed && mm_populate(addr, backed, (uint64_t)gpa, prot))) {
        mm_unmap(addr, len);
        HC(unmap_shared, .gpa = gpa);
        return -ENOMEM;
    }
    shared[slot] = (struct shared){.va = addr,
                                   .len = len,
                                   .gpa = gpa,
                                   .may_write = may_write,
                                   .backed = backed,
                                   .off = off,
                                   .hostfd = (int)hostfd,
                                   .prot = prot};
    return (long)addr;
}

/* MAP_SHARED|MAP_ANONYMOUS: memory a fork's child shares with its parent.
 * Each process is a VM of its own (DESIGN.md section 10), so it is a host
 * file, unlinked, in the run's /dev/shm (hypervisor/run_dir.c), mapped as
 * any shared file. -ENODEV without one: then it is this process's own
 * memory, which its threads share. */
static long map_shared_anon(uint64_t addr, uint64_t len, uint32_t prot)
{
    long fd = file_open(AT_FDCWD, "/dev/shm", O_TMPFILE_FLAG | O_DIRECTORY | O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -ENODEV;
    struct file *f = fd_get((uint64_t)fd);
    long r = f->ops->setattr ? f->ops->setattr(f, A_TRUNCATE, len, 0) : -ENODEV;
    if (!r)
        r = map_shared_file(addr, len, prot, (int)fd, 0);
    sys_close((uint64_t)fd, 0, 0, 0, 0, 0);
    for (int i = 0; r >= 0 && i < MAX_SHARED; i++)
        if (shared[i].len && shared[i].va == addr)
            shared[i].hostfd = -1; /* closed: the mapping stays */
    return r < 0 && r != -ENOMEM ? -ENODEV : r;
}

static uint32_t prot_of(uint64_t prot)
{
    return ((prot & PROT_READ) ? HX_PROT_R : 0) | ((prot & PROT_WRITE) ? HX_PROT_W : 0) |
           ((prot & PROT_EXEC) ? HX_PROT_X : 0);
}

LEAF_SYSCALL(brk)
{
    uint64_t want = a0;
    if (want < brk_start)
        return (long)brk_cur;
    uint64_t old_end = PAGE_ALIGN(brk_cur), new_end = PAGE_ALIGN(want);
    if (new_end > old_end) {
        if (new_end > HX_USER_TOP || mm_overlaps(old_end, new_end - old_end) ||
            mm_map(old_end, new_end - old_end, 0, HX_PROT_R | HX_PROT_W, VMA_HEAP))
            return (long)brk_cur;
    } else if (new_end < old_end) {
        mm_unmap(new_end, old_end - new_end);
    }
    brk_cur = want;
    return (long)brk_cur;
}

int mm_host_shared(uint64_t addr)
{
    for (int i = 0; i < MAX_SHARED; i++)
        if (shared[i].len && !shared[i].node && addr >= shared[i].va &&
            addr < shared[i].va + shared[i].len)
            return 1;
    return 0;
}

int mm_shared_fault(uint64_t addr)
{
    for (int i = 0; i < MAX_SHARED; i++) {
        struct shared *m = &shared[i];
        if (!m->len || m->node || addr < m->va + m->backed || addr >= m->va + m->len)
            continue;
        /* A page past the file's end when mapped: has the file grown? */
        struct kstat st;
        if (HC(fstat, .hostfd = m->hostfd, .statbuf = (uint64_t)&st) || (uint64_t)st.size <= m->off)
            return 0;
        uint64_t now = MIN(m->len, PAGE_ALIGN((uint64_t)st.size - m->off));
        if (addr >= m->va + now)
            return 0;
        if (mm_populate(m->va + m->backed, now - m->backed, m->gpa + m->backed, m->prot))
            return 0;
        m->backed = now;
        return 1;
    }
    return -1;
}

LEAF_SYSCALL(mmap)
{
    uint64_t addr = a0, len = a1, flags = a3, off = a5;
    int fd = (int)a4;
    uint32_t prot = prot_of(a2);
    if (!len || (off & (PAGE_SIZE - 1)) || (a2 & ~7ull))
        return -EINVAL;
    uint64_t type = flags & MAP_TYPE;
    if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    len = PAGE_ALIGN(len);
    if (!len || len > HX_USER_TOP)
        return -ENOMEM;
    int anon = (flags & MAP_ANONYMOUS) != 0;
    if (anon && type == MAP_SHARED_VALIDATE)
        return -EINVAL;
    int shared_file = !anon && type != MAP_PRIVATE;
    int fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
    if (fixed) {
        if ((addr & (PAGE_SIZE - 1)) || addr + len > HX_USER_TOP || addr + len < addr)
            return -EINVAL;
        if (flags & MAP_FIXED_NOREPLACE) {
            if (mm_overlaps(addr, len))
                return -EEXIST;
        } else {
            unmap_range(addr, len);
        }
    } else {
        addr &= ~(PAGE_SIZE - 1);
        if (!addr || addr + len > HX_MMAP_BASE || mm_overlaps(addr, len))
            addr = mm_find_free(len, len >= X86_HUGE_PAGE_SIZE ? X86_HUGE_PAGE_SIZE : PAGE_SIZE);
        if (!addr)
            return -ENOMEM;
    }
    if (anon && type == MAP_SHARED) {
        long r = map_shared_anon(addr, len, prot);
        if (r != -ENODEV)
            return r;
    }
    if (shared_file) {
        long r = map_shared_file(addr, len, prot, fd, off);
        /* A read-only shared map of a guest file reads the same as a copy
         * as long as nobody writes the file: kept until guest files can be
         * shared. */
        if (r != -ENODEV || (a2 & PROT_WRITE))
            return r;
    }
    /* File contents are written by the host into the new pages, so map them
     * writable first; the final protection follows. */
    uint32_t first = anon ? prot : HX_PROT_R | HX_PROT_W;
    if (mm_map(addr, len, 0, first, anon ? VMA_ANON : 0))
        return -ENOMEM;
    if (!anon) {
        long r = fs_read_at(fd, (void *)addr, len, off);
        if (r < 0) {
            mm_unmap(addr, len);
            return r;
        }
        /* Pages wholly past the end of the file have no page: a touch is
         * SIGBUS, as on Linux (see hx_deliver_fault). */
        uint64_t have = PAGE_ALIGN((uint64_t)r);
        if (have < len)
            mm_drop_pages(addr + have, len - have);
        if (first != prot)
            mm_protect(addr, have, prot);
        if (first != prot && have < len)
            mm_set_prot(addr + have, len - have, prot);
    }
    return (long)addr;
}

LEAF_SYSCALL(munmap)
{
    if ((a0 & (PAGE_SIZE - 1)) || !a1 || a0 + a1 < a0 || a0 + a1 > HX_USER_TOP)
        return -EINVAL;
    unmap_range(a0, PAGE_ALIGN(a1));
    return 0;
}

SYSCALL(msync)
{
    if ((a0 & (PAGE_SIZE - 1)) || (a2 & ~7ull) ||
        (a2 & (MS_ASYNC | MS_SYNC)) == (MS_ASYNC | MS_SYNC))
        return -EINVAL;
    uint64_t len = PAGE_ALIGN(a1), end = a0 + len;
    if (end < a0)
        return -ENOMEM;
    for (uint64_t at = a0; at < end;) {
        const struct vma *v = mm_find(at);
        if (!v)
            return -ENOMEM;
        at = v->end;
    }
    /* Only shared file pages have somewhere to go. */
    for (int i = 0; i < MAX_SHARED; i++) {
        const struct shared *m = &shared[i];
        if (!m->len || m->node || m->va >= end || m->va + m->len <= a0)
            continue; /* minifs pages are the file itself */
        uint64_t from = MAX(a0, m->va), to = MIN(end, m->va + m->len);
        long r = HC(msync, .gpa = m->gpa + (from - m->va), .len = to - from, .flags = a2);
        if (r)
            return r;
    }
    return 0;
}

LEAF_SYSCALL(mprotect)
{
    if ((a0 & (PAGE_SIZE - 1)) || (a2 & ~7ull))
        return -EINVAL;
    if (a1 > HX_USER_TOP)
        return -ENOMEM; /* PAGE_ALIGN would wrap: Linux answers ENOMEM */
    uint64_t len = PAGE_ALIGN(a1);
    if (len > HX_USER_TOP - a0)
        return -ENOMEM;
    if (!len)
        return 0;
    /* A shared mapping of a file opened read-only never becomes writable. */
    for (int i = 0; (a2 & PROT_WRITE) && i < MAX_SHARED; i++)
        if (shared[i].len && !shared[i].may_write && shared[i].va < a0 + len &&
            a0 < shared[i].va + shared[i].len)
            return -EACCES;
    long r = mm_protect(a0, len, prot_of(a2));
    /* Pages a shared mapping maps later get the protection it has now. */
    for (int i = 0; !r && i < MAX_SHARED; i++)
        if (shared[i].len && shared[i].va < a0 + len && a0 < shared[i].va + shared[i].len)
            shared[i].prot = prot_of(a2);
    return r;
}

LEAF_SYSCALL(mremap)
{
    uint64_t old = a0, flags = a3;
    /* Lengths past the user half would wrap the arithmetic below. */
    if ((old & (PAGE_SIZE - 1)) || (flags & ~3ull) || !a2 || a1 > HX_USER_TOP || a2 > HX_USER_TOP ||
        old >= HX_USER_TOP)
        return -EINVAL;
    uint64_t old_len = PAGE_ALIGN(a1), new_len = PAGE_ALIGN(a2);
    if (!old_len)
        return -EINVAL; /* duplicating a private mapping: Linux refuses it */
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
        return -EINVAL;
    const struct vma *v = mm_find(old);
    if (!v || old_len > v->end - old)
        return -EFAULT;
    uint32_t prot = v->prot, vflags = v->flags;
    if (!(flags & MREMAP_FIXED)) {
        if (vflags & VMA_SHARED) {
            static int warned;
            if (!warned++)
                kwarn("mremap of a shared file mapping is not supported yet");
            return -EINVAL;
        }
        if (new_len <= old_len) {
            if (new_len < old_len)
                unmap_range(old + new_len, old_len - new_len);
            return (long)old;
        }
        /* Grow in place when the space after is free. */
        if (new_len <= HX_USER_TOP - old && !mm_overlaps(old + old_len, new_len - old_len))
            return mm_map(old + old_len, new_len - old_len, 0, prot, vflags) ? -ENOMEM : (long)old;
        if (!(flags & MREMAP_MAYMOVE))
            return -ENOMEM;
    }
    uint64_t dst = a4;
    if (flags & MREMAP_FIXED) {
        if ((dst & (PAGE_SIZE - 1)) || dst >= HX_USER_TOP || new_len > HX_USER_TOP - dst ||
            (dst < old + old_len && old < dst + new_len))
            return -EINVAL;
        unmap_range(dst, new_len);
    } else {
        dst = mm_find_free(new_len, new_len >= X86_HUGE_PAGE_SIZE ? X86_HUGE_PAGE_SIZE : PAGE_SIZE);
        if (!dst)
            return -ENOMEM;
    }
    if (mm_map(dst, new_len, 0, prot | HX_PROT_R | HX_PROT_W, vflags))
        return -ENOMEM;
    /* Copy rather than move page-table entries: simple. A source the
     * program cannot read is made readable for the copy: its data moves. */
    if (!(prot & HX_PROT_R))
        mm_protect(old, old_len, HX_PROT_R);
    memcpy((void *)dst, (void *)old, MIN(old_len, new_len));
    if ((prot & (HX_PROT_R | HX_PROT_W)) != (HX_PROT_R | HX_PROT_W))
        mm_protect(dst, new_len, prot);
    mm_unmap(old, old_len);
    return (long)dst;
}

void mm_fork_child(void)
{
    /* Unmapping changes the list: from the start again after each. */
    for (int i = 0; mm_vma(i);) {
        const struct vma *v = mm_vma(i);
        if (v->flags & VMA_DONTFORK) {
            unmap_range(v->start, v->end - v->start);
            i = 0;
            continue;
        }
        if (v->flags & VMA_WIPEONFORK)
            mm_zero(v->start, v->end - v->start);
        i++;
    }
}

LEAF_SYSCALL(madvise)
{
    if (a0 & (PAGE_SIZE - 1))
        return -EINVAL;
    uint64_t len = PAGE_ALIGN(a1);
    if (a0 + len < a0)
        return -EINVAL;
    /* Advice on a range with nothing mapped in part is ENOMEM, as Linux. */
    if (len && mm_set_flags(a0, len, 0, 0))
        return -ENOMEM;
    switch (a2) {
    case MADV_DONTNEED:
    case MADV_FREE:
        /* Private anonymous pages read back as zero, as on Linux. */
        return len ? mm_zero(a0, len) : 0;
    case MADV_DONTFORK:
        return mm_set_flags(a0, len, VMA_DONTFORK, 0);
    case MADV_DOFORK:
        return mm_set_flags(a0, len, 0, VMA_DONTFORK);
    case MADV_WIPEONFORK:
        /* Private anonymous memory only, as Linux. */
        for (uint64_t a = a0; a < a0 + len;) {
            const struct vma *v = mm_find(a);
            if (v && (v->flags & VMA_SHARED || !(v->flags & (VMA_ANON | VMA_HEAP | VMA_STACK))))
                return -EINVAL;
            a = v ? v->end : a + PAGE_SIZE;
        }
        return mm_set_flags(a0, len, VMA_WIPEONFORK, 0);
    case MADV_KEEPONFORK:
        return mm_set_flags(a0, len, 0, VMA_WIPEONFORK);
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
        return 0; /* hints: nothing to do when memory is mapped eagerly */
    }
    return -EINVAL;
}
