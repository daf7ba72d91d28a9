/* Guest address translation and bounds checking (see guest_mem.h). */
#include "guest_mem.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000ffffffffff000ull

void *hx_gpa_ptr(const struct hx_guest *g, uint64_t gpa, uint64_t len, int write)
{
    if (gpa <= g->ram_size && len <= g->ram_size - gpa)
        return g->ram + gpa;
    /* Not RAM: a mapped host file, where the range lies within one slot.
     * (Page-table walks never use these: tables live in RAM.) */
    for (int i = 0; i < HX_MAX_SLOTS; i++) {
        const struct hx_slot *s = &g->slots[i];
        if (s->hva && gpa >= s->gpa && gpa - s->gpa <= s->size && len <= s->size - (gpa - s->gpa))
            return write && !s->writable ? NULL : s->hva + (gpa - s->gpa);
    }
    return NULL;
}

/* The copy in progress on this thread that may touch a mapped file;
 * volatile, so that its stores are not dropped around the memcpy that the
 * compiler believes cannot reach the signal handler. */
static _Thread_local sigjmp_buf *volatile fault_jmp;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (fault_jmp && si->si_code > 0)
        siglongjmp(*fault_jmp, 1);
    /* The monitor's own bug, or a signal sent by someone: the default
     * action, as if no handler were installed. */
    signal(sig, SIG_DFL);
    if (si->si_code <= 0)
        raise(sig);
}

int hx_guest_mem_init(void)
{
    /* SA_NODEFER: the mask is left as it was, so leaving the handler by
     * siglongjmp needs no saved mask. */
    struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER};
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL) ? -1 : 0;
}

/* Whether [p, p+len) lies wholly in guest RAM: a piece that starts in RAM
 * may go on into a mapped file that the host placed right after it (the
 * translation merges pieces that are contiguous on the host). */
static int in_ram(const struct hx_guest *g, const void *p, size_t len)
{
    const uint8_t *b = p;
    return b >= g->ram && b <= g->ram + g->ram_size && len <= (size_t)(g->ram + g->ram_size - b);
}

/* memcpy between the monitor and guest memory. A mapped file's page past
 * the file's end (which the file may have shrunk to after any check) gives
 * SIGBUS, turned into -EFAULT here as Linux's copy_from_user would. */
static int guest_memcpy(const struct hx_guest *g, void *dst, const void *src, size_t len,
                        int to_guest)
{
    if (in_ram(g, to_guest ? dst : src, len)) {
        memcpy(dst, src, len);
        return 0;
    }
    sigjmp_buf jb;
    if (sigsetjmp(jb, 0)) {
        fault_jmp = NULL;
        return -EFAULT;
    }
    fault_jmp = &jb;
    memcpy(dst, src, len);
    fault_jmp = NULL;
    return 0;
}

/* Walks the page tables for one address. On success stores the guest
 * physical address and how many bytes from there stay in the same page. */
static int walk(const struct hx_guest *g, uint64_t gva, int write, uint64_t *gpa, uint64_t *room)
{
    /* Canonical 48-bit addresses only. */
    if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
        return -EFAULT;
    uint64_t table = g->cr3 & PTE_ADDR;
    for (int level = 3; level >= 0; level--) {
        unsigned shift = 12 + 9 * (unsigned)level;
        const uint64_t *t = table < g->ram_size && 4096 <= g->ram_size - table
                                ? (const uint64_t *)(g->ram + table)
                                : NULL;
        if (!t)
            return -EFAULT;
        uint64_t e = t[(gva >> shift) & 511];
        if (!(e & PTE_P) || !(e & PTE_U) || (write && !(e & PTE_W)))
            return -EFAULT;
        if (level == 0 || ((e & PTE_PS) && level <= 2)) {
            if ((e & PTE_PS) && level == 2)
                return -EFAULT; /* 1 GiB pages are never used by hx */
            uint64_t size = 1ull << shift;
            uint64_t base = e & PTE_ADDR & ~(size - 1);
            *gpa = base + (gva & (size - 1));
            *room = size - (gva & (size - 1));
            return 0;
        }
        table = e & PTE_ADDR;
    }
    return -EFAULT;
}

/* The common walk: stops at the first unusable page (-EFAULT) or when the
 * pieces are full (-E2BIG), leaving the prefix in iov and *covered. */
static int gva_iov(const struct hx_guest *g, uint64_t gva, uint64_t len, int write,
                   struct iovec *iov, int maxiov, int *count, uint64_t *covered)
{
    int n = 0;
    *covered = 0;
    *count = 0;
    if (gva + len < gva)
        return -EFAULT;
    while (len) {
        uint64_t gpa, room;
        if (walk(g, gva, write, &gpa, &room))
            return -EFAULT;
        uint64_t chunk = room < len ? room : len;
        uint8_t *p = hx_gpa_ptr(g, gpa, chunk, write);
        if (!p)
            return -EFAULT;
        if (n && (uint8_t *)iov[n - 1].iov_base + iov[n - 1].iov_len == p) {
            iov[n - 1].iov_len += chunk;
        } else {
            if (n == maxiov)
                return -E2BIG;
            iov[n++] = (struct iovec){p, chunk};
            *count = n;
        }
        *covered += chunk;
        gva += chunk;
        len -= chunk;
    }
    return 0;
}

int hx_gva_iov(const struct hx_guest *g, uint64_t gva, uint64_t len, int write, struct iovec *iov,
               int maxiov)
{
    int n;
    uint64_t covered;
    int r = gva_iov(g, gva, len, write, iov, maxiov, &n, &covered);
    return r ? r : n;
}

int hx_gva_iov_prefix(const struct hx_guest *g, uint64_t gva, uint64_t len, int write,
                      struct iovec *iov, int maxiov, uint64_t *covered)
{
    int n;
    gva_iov(g, gva, len, write, iov, maxiov, &n, covered);
    return n;
}

static int copy(const struct hx_guest *g, uint64_t gva, void *buf, uint64_t len, int to_guest)
{
    uint8_t *b = buf;
    while (len) {
        /* A 64 KiB chunk spans at most 17 pages. */
        struct iovec v[17];
        uint64_t chunk = len < (64u << 10) ? len : (64u << 10);
        int n = hx_gva_iov(g, gva, chunk, to_guest, v, 17);
        if (n < 0)
            return -EFAULT;
        for (int i = 0; i < n; i++) {
            if (guest_memcpy(g, to_guest ? v[i].iov_base : b, to_guest ? b : v[i].iov_base,
                             v[i].iov_len, to_guest))
                return -EFAULT;
            b += v[i].iov_len;
        }
        gva += chunk;
        len -= chunk;
    }
    return 0;
}

int hx_copy_from_guest(const struct hx_guest *g, void *dst, uint64_t gva, uint64_t len)
{
    return copy(g, gva, dst, len, 0);
}

int hx_copy_to_guest(const struct hx_guest *g, uint64_t gva, const void *src, uint64_t len)
{
    return copy(g, gva, (void *)src, len, 1);
}

long hx_copy_str_from_guest(const struct hx_guest *g, char *dst, uint64_t gva, size_t max)
{
    size_t n = 0;
    if (gva + max < gva)
        max = (size_t)(0 - gva);
    while (n < max) {
        uint64_t gpa, room;
        if (walk(g, gva + n, 0, &gpa, &room))
            return -EFAULT;
        /* One 4 KiB page at a time: a file's pages past its end fault
         * even inside a 2 MiB guest page. */
        if (room > 4096 - (gpa & 4095))
            room = 4096 - (gpa & 4095);
        if (room > max - n)
            room = max - n;
        const char *p = hx_gpa_ptr(g, gpa, room, 0);
        if (!p || guest_memcpy(g, dst + n, p, room, 0))
            return -EFAULT;
        /* The whole piece (at most the rest of a page) is copied: bytes
         * past the NUL in the same page are readable too. */
        const char *z = memchr(dst + n, 0, room);
        if (z)
            return z - dst;
        n += room;
    }
    return -ENAMETOOLONG;
}

/* Marks in bitmap (one bit per 4 KiB page of RAM) every RAM page the
 * guest's page tables map into the user half. */
/* NOLINTNEXTLINE(misc-no-recursion): one call per level, four levels */
static void mark_user(const struct hx_guest *g, uint64_t table, int level, uint8_t *bitmap)
{
    if (table >= g->ram_size || g->ram_size - table < 4096)
        return;
    const uint64_t *t = (const uint64_t *)(g->ram + table);
    unsigned n = level == 3 ? 256 : 512; /* the user half of the top level */
    for (unsigned i = 0; i < n; i++) {
        uint64_t e = t[i];
        if (!(e & PTE_P) || !(e & PTE_U))
            continue;
        if (level == 0 || ((e & PTE_PS) && level == 1)) {
            uint64_t size = level ? (2ull << 20) : 4096, base = e & PTE_ADDR & ~(size - 1);
            for (uint64_t pa = base; pa < base + size && pa < g->ram_size; pa += 4096)
                bitmap[pa >> 15] |= (uint8_t)(1u << ((pa >> 12) & 7));
        } else if (!(e & PTE_PS)) {
            mark_user(g, e & PTE_ADDR, level - 1, bitmap);
        }
    }
}

void hx_user_pages(const struct hx_guest *g, uint8_t *bitmap)
{
    mark_user(g, g->cr3 & PTE_ADDR, 3, bitmap);
}
