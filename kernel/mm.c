/* Guest memory management (see mm.h). */
#include "mm.h"

#include "uapi/errno.h"
#include "x86.h"

/* Software bits (the AVL bits 9-11 the CPU ignores). */
#define PTE_BACKED 0x200ull  /* software: page allocated, maybe not present */
#define PTE_FOREIGN 0x400ull /* software: the page belongs to a file, not the mapping */

/* ---- Physical pages ---------------------------------------------------- */
/* Pages above phys_next were never touched and read as zero; freed pages
 * are dirty and are zeroed when reused. */
static uint64_t phys_next, phys_end;
static uint64_t free_small; /* list of 4 KiB pages, linked through the page */
static uint64_t free_huge;  /* list of 2 MiB blocks */
static uint64_t free_bytes;

static uint64_t bump(uint64_t size)
{
    uint64_t pa = (phys_next + size - 1) & ~(size - 1);
    if (pa + size > phys_end)
        return 0;
    /* The alignment gap goes to the small-page list. */
    for (uint64_t g = phys_next; g < pa; g += PAGE_SIZE) {
        *(uint64_t *)phys_to_virt(g) = free_small;
        free_small = g;
    }
    phys_next = pa + size;
    return pa;
}

static uint64_t alloc_page(uint64_t size)
{
    uint64_t *list = size == X86_HUGE_PAGE_SIZE ? &free_huge : &free_small;
    uint64_t pa = *list;
    if (pa) {
        *list = *(uint64_t *)phys_to_virt(pa);
        memset(phys_to_virt(pa), 0, size);
    } else if (!(pa = bump(size)) && size == PAGE_SIZE && free_huge) {
        /* Break a free 2 MiB block into small pages. */
        uint64_t h = free_huge;
        free_huge = *(uint64_t *)phys_to_virt(h);
        for (uint64_t g = h + PAGE_SIZE; g < h + X86_HUGE_PAGE_SIZE; g += PAGE_SIZE) {
            *(uint64_t *)phys_to_virt(g) = free_small;
            free_small = g;
        }
        pa = h;
        memset(phys_to_virt(pa), 0, PAGE_SIZE);
    }
    if (pa)
        free_bytes -= size;
    return pa;
}

static void free_page(uint64_t pa, uint64_t size)
{
    uint64_t *list = size == X86_HUGE_PAGE_SIZE ? &free_huge : &free_small;
    *(uint64_t *)phys_to_virt(pa) = *list;
    *list = pa;
    free_bytes += size;
}

uint64_t mm_free_bytes(void)
{
    return free_bytes;
}

uint64_t mm_alloc_phys(uint64_t size)
{
    return alloc_page(size);
}

void mm_free_phys(uint64_t pa, uint64_t size)
{
    free_page(pa, size);
}

/* ---- Page tables ------------------------------------------------------- */
static uint64_t *pml4;

static uint64_t pte_flags(uint32_t prot)
{
    uint64_t f = X86_PTE_U | PTE_BACKED;
    if (prot)
        f |= X86_PTE_P;
    if (prot & HX_PROT_W)
        f |= X86_PTE_W;
    if (!(prot & HX_PROT_X))
        f |= X86_PTE_NX;
    return f;
}

/* The entry for va at the given level (3: PML4 ... 0: PT), creating tables
 * on the way; splits a 2 MiB page when a 4 KiB entry is wanted. */
static uint64_t *entry(uint64_t va, int level, int create)
{
    uint64_t *t = pml4;
    for (int l = 3; l > level; l--) {
        uint64_t *e = &t[(va >> (12 + 9 * l)) & 511];
        if (l == 1 && (*e & X86_PTE_PS)) {
            if (!create)
                return e;
            /* Split: the same translation, now in 512 small entries. */
            uint64_t pt = alloc_page(PAGE_SIZE);
            if (!pt)
                return NULL;
            uint64_t *s = phys_to_virt(pt);
            uint64_t base = *e & X86_PTE_ADDR & ~(X86_HUGE_PAGE_SIZE - 1),
                     fl = *e & ~X86_PTE_ADDR & ~X86_PTE_PS;
            for (int i = 0; i < 512; i++)
                s[i] = (base + i * PAGE_SIZE) | fl;
            *e = pt | X86_PTE_P | X86_PTE_W | X86_PTE_U;
        }
        if (!(*e & X86_PTE_P)) {
            if (!create)
                return NULL;
            uint64_t pt = alloc_page(PAGE_SIZE);
            if (!pt)
                return NULL;
            *e = pt | X86_PTE_P | X86_PTE_W | X86_PTE_U;
        }
        t = phys_to_virt(*e & X86_PTE_ADDR);
    }
    return &t[(va >> (12 + 9 * level)) & 511];
}

/* Maps one kernel page (heap, not a program VMA), writable, at CPL3 too. */
int mm_map_kernel_page(uint64_t va, uint64_t pa)
{
    uint64_t *e = entry(va, 0, 1);
    if (!e)
        return -ENOMEM;
    *e = pa | X86_PTE_P | X86_PTE_W | X86_PTE_U | X86_PTE_NX;
    return 0;
}

uint64_t mm_kernel_phys(const void *p)
{
    uint64_t va = (uint64_t)p;
    if (va >= HX_DIRECT_MAP && va < HX_DIRECT_MAP + phys_end)
        return va - HX_DIRECT_MAP;
    uint64_t *e = entry(va, 0, 0);
    return e && (*e & X86_PTE_P) && !(*e & X86_PTE_PS)
               ? (*e & X86_PTE_ADDR) | (va & (PAGE_SIZE - 1))
               : 0;
}

/* ---- VMAs -------------------------------------------------------------- */
#define MAX_VMAS 65530            /* Linux's default vm.max_map_count */
static struct vma vmas[MAX_VMAS]; /* sorted by start, non-overlapping */
static int nvmas;

const struct vma *mm_vma(int i)
{
    return i >= 0 && i < nvmas ? &vmas[i] : NULL;
}

const struct vma *mm_find(uint64_t va)
{
    for (int i = 0; i < nvmas; i++)
        if (va >= vmas[i].start && va < vmas[i].end)
            return &vmas[i];
    return NULL;
}

int mm_overlaps(uint64_t va, uint64_t len)
{
    for (int i = 0; i < nvmas; i++)
        if (vmas[i].start < va + len && va < vmas[i].end)
            return 1;
    return 0;
}

/* Cuts [va, va+len) out of the VMA list, splitting at the edges. */
static int vma_cut(uint64_t va, uint64_t end)
{
    for (int i = 0; i < nvmas; i++) {
        struct vma *v = &vmas[i];
        if (v->end <= va || v->start >= end)
            continue;
        if (v->start < va && v->end > end) {
            if (nvmas == MAX_VMAS)
                return -ENOMEM;
            memmove(&vmas[i + 1], &vmas[i], (size_t)(nvmas - i) * sizeof(*v));
            nvmas++;
            vmas[i].end = va;
            vmas[i + 1].start = end;
            return 0;
        }
        if (v->start < va) {
            v->end = va;
        } else if (v->end > end) {
            v->start = end;
        } else {
            memmove(&vmas[i], &vmas[i + 1], (size_t)(nvmas - i - 1) * sizeof(*v));
            nvmas--;
            i--;
        }
    }
    return 0;
}

static int vma_insert(uint64_t va, uint64_t end, uint32_t prot, uint32_t flags)
{
    if (nvmas == MAX_VMAS)
        return -ENOMEM;
    int i = 0;
    while (i < nvmas && vmas[i].start < va)
        i++;
    /* Merge with an identical neighbour, as Linux does. */
    if (i > 0 && vmas[i - 1].end == va && vmas[i - 1].prot == prot && vmas[i - 1].flags == flags) {
        vmas[i - 1].end = end;
        return 0;
    }
    memmove(&vmas[i + 1], &vmas[i], (size_t)(nvmas - i) * sizeof(vmas[0]));
    nvmas++;
    vmas[i] = (struct vma){va, end, prot, flags};
    return 0;
}

/* ---- Mapping ----------------------------------------------------------- */
static int for_each_leaf(uint64_t va, uint64_t end,
                         void (*fn)(uint64_t *e, uint64_t size, void *arg), void *arg);
static void leaf_free(uint64_t *e, uint64_t size, void *arg);

/* Writes the page-table entries of a mapping (no VMA): fresh zeroed
 * memory when pa is 0, else the contiguous range at pa. 0 or -ENOMEM. */
static int populate(uint64_t va, uint64_t len, uint64_t pa, uint32_t prot)
{
    uint64_t end = va + len, fl = pte_flags(prot);
    for (uint64_t v = va; v < end;) {
        uint64_t p;
        if ((v & (X86_HUGE_PAGE_SIZE - 1)) == 0 && end - v >= X86_HUGE_PAGE_SIZE &&
            (!pa || ((pa + (v - va)) & (X86_HUGE_PAGE_SIZE - 1)) == 0)) {
            p = pa ? pa + (v - va) : alloc_page(X86_HUGE_PAGE_SIZE);
            uint64_t *e = p ? entry(v, 1, 1) : NULL;
            if (e && !(*e & X86_PTE_P) && !(*e & PTE_BACKED)) {
                *e = p | fl | X86_PTE_PS;
                v += X86_HUGE_PAGE_SIZE;
                continue;
            }
            if (p && !pa)
                free_page(p, X86_HUGE_PAGE_SIZE);
        }
        p = pa ? pa + (v - va) : alloc_page(PAGE_SIZE);
        uint64_t *e = p ? entry(v, 0, 1) : NULL;
        if (!e) {
            if (for_each_leaf(va, v, leaf_free, NULL))
                tlb_flush(va, (v - va) / PAGE_SIZE);
            return -ENOMEM;
        }
        *e = p | fl;
        v += PAGE_SIZE;
    }
    return 0;
}

int mm_populate(uint64_t va, uint64_t len, uint64_t pa, uint32_t prot)
{
    return populate(va, len, pa, prot);
}

void mm_drop_pages(uint64_t va, uint64_t len)
{
    if (for_each_leaf(va, va + len, leaf_free, NULL))
        tlb_flush(va, len / PAGE_SIZE);
}

int mm_set_prot(uint64_t va, uint64_t len, uint32_t prot)
{
    const struct vma *v = mm_find(va);
    uint32_t flags = v ? v->flags : 0;
    vma_cut(va, va + len);
    return vma_insert(va, va + len, prot, flags);
}

int mm_set_flags(uint64_t va, uint64_t len, uint32_t set, uint32_t clear)
{
    uint64_t end = va + len;
    int gap = 0;
    for (uint64_t a = va; a < end;) {
        const struct vma *v = mm_find(a);
        if (!v) {
            uint64_t next = end;
            for (int i = 0; i < nvmas; i++)
                if (vmas[i].start > a && vmas[i].start < next)
                    next = vmas[i].start;
            gap = 1;
            a = next;
            continue;
        }
        uint64_t e = MIN(v->end, end);
        uint32_t prot = v->prot, flags = (v->flags | set) & ~clear;
        if (flags != v->flags && (vma_cut(a, e) || vma_insert(a, e, prot, flags)))
            return -ENOMEM;
        a = e;
    }
    return gap ? -ENOMEM : 0;
}

int mm_reserve(uint64_t va, uint64_t len, uint32_t prot, uint32_t flags)
{
    return vma_insert(va, va + len, prot, flags);
}

int mm_map(uint64_t va, uint64_t len, uint64_t pa, uint32_t prot, uint32_t flags)
{
    uint64_t end = va + len;
    /* PROT_NONE reservations get memory only when mprotect opens them. */
    if (!prot && !pa)
        return vma_insert(va, end, prot, flags);
    if (populate(va, len, pa, prot))
        return -ENOMEM;
    int r = vma_insert(va, end, prot, flags);
    if (r) {
        /* No record of the mapping: take its pages back. */
        if (for_each_leaf(va, end, leaf_free, NULL))
            tlb_flush(va, (end - va) / PAGE_SIZE);
    }
    return r;
}

int mm_map_foreign(uint64_t va, uint64_t len, const uint64_t *pas, uint32_t prot, uint32_t flags)
{
    uint64_t fl = pte_flags(prot) | PTE_FOREIGN;
    for (uint64_t i = 0; i < len / PAGE_SIZE; i++) {
        uint64_t *e = entry(va + i * PAGE_SIZE, 0, 1);
        if (!e) {
            mm_unmap(va, i * PAGE_SIZE);
            return -ENOMEM;
        }
        *e = pas[i] | fl;
    }
    int r = vma_insert(va, va + len, prot, flags);
    if (r && for_each_leaf(va, va + len, leaf_free, NULL))
        tlb_flush(va, len / PAGE_SIZE);
    return r;
}

/* Applies fn to every present-or-backed leaf entry in [va, end), splitting
 * huge pages that straddle the edges. Returns whether any was accessed. */
static int for_each_leaf(uint64_t va, uint64_t end,
                         void (*fn)(uint64_t *e, uint64_t size, void *arg), void *arg)
{
    int accessed = 0;
    for (uint64_t v = va; v < end;) {
        uint64_t *pde = entry(v, 1, 0);
        if (!pde || !(*pde & (X86_PTE_P | PTE_BACKED))) {
            v = (v + X86_HUGE_PAGE_SIZE) & ~(X86_HUGE_PAGE_SIZE - 1); /* no table here */
            continue;
        }
        if (*pde & X86_PTE_PS) {
            if ((v & (X86_HUGE_PAGE_SIZE - 1)) == 0 && end - v >= X86_HUGE_PAGE_SIZE) {
                accessed |= (*pde & X86_PTE_A) != 0;
                fn(pde, X86_HUGE_PAGE_SIZE, arg);
                v += X86_HUGE_PAGE_SIZE;
                continue;
            }
            entry(v, 0, 1); /* split */
        }
        uint64_t *e = entry(v, 0, 0);
        if (e && (*e & (X86_PTE_P | PTE_BACKED))) {
            accessed |= (*e & X86_PTE_A) != 0;
            fn(e, PAGE_SIZE, arg);
        }
        v += PAGE_SIZE;
    }
    return accessed;
}

static void leaf_free(uint64_t *e, uint64_t size, void *arg)
{
    (void)arg;
    uint64_t pa = *e & X86_PTE_ADDR & ~(size - 1);
    if (pa < phys_end && !(*e & PTE_FOREIGN)) /* not a file's page */
        free_page(pa, size);
    *e = 0;
}

void mm_unmap(uint64_t va, uint64_t len)
{
    uint64_t end = va + len;
    if (for_each_leaf(va, end, leaf_free, NULL))
        tlb_flush(va, len / PAGE_SIZE);
    vma_cut(va, end);
}

static void leaf_protect(uint64_t *e, uint64_t size, void *arg)
{
    uint64_t fl = *(uint64_t *)arg;
    *e = (*e & X86_PTE_ADDR & ~(size - 1)) | (*e & PTE_FOREIGN) | fl |
         (size == X86_HUGE_PAGE_SIZE ? X86_PTE_PS : 0);
}

static int range_mapped(uint64_t va, uint64_t end)
{
    uint64_t at = va;
    for (int i = 0; i < nvmas && at < end; i++)
        if (vmas[i].start <= at && vmas[i].end > at)
            at = vmas[i].end;
    return at >= end;
}

int mm_protect(uint64_t va, uint64_t len, uint32_t prot)
{
    uint64_t end = va + len;
    if (!range_mapped(va, end))
        return -ENOMEM;
    /* Pages of PROT_NONE mappings made with no backing get it now (not a
     * shared file's: its pages are the file's, mapped when they exist). */
    const struct vma *first_vma = mm_find(va);
    int file_backed = first_vma && (first_vma->flags & VMA_SHARED);
    for (uint64_t v = va; v < end && prot && !file_backed; v += PAGE_SIZE) {
        uint64_t *pde = entry(v, 1, 0);
        if (pde && (*pde & X86_PTE_PS))
            continue;
        uint64_t *e = entry(v, 0, 1);
        if (!e)
            return -ENOMEM;
        if (!(*e & PTE_BACKED)) {
            uint64_t p = alloc_page(PAGE_SIZE);
            if (!p)
                return -ENOMEM;
            *e = p | PTE_BACKED | X86_PTE_U;
        }
    }
    uint64_t fl = pte_flags(prot);
    if (for_each_leaf(va, end, leaf_protect, &fl))
        tlb_flush(va, len / PAGE_SIZE);
    /* Re-describe the range with the new protection, keeping kind flags. */
    const struct vma *first = mm_find(va);
    uint32_t flags = first ? first->flags : VMA_ANON;
    vma_cut(va, end);
    return vma_insert(va, end, prot, flags);
}

static void leaf_zero(uint64_t *e, uint64_t size, void *arg)
{
    (void)arg;
    uint64_t pa = *e & X86_PTE_ADDR & ~(size - 1);
    /* A shared file page keeps its data: Linux reads it back from the file. */
    if (pa < phys_end && !(*e & PTE_FOREIGN))
        memset(phys_to_virt(pa), 0, size);
}

int mm_zero(uint64_t va, uint64_t len)
{
    if (!range_mapped(va, va + len))
        return -ENOMEM;
    /* Partial huge pages are split by the walk; whole ones are zeroed. */
    for_each_leaf(va, va + len, leaf_zero, NULL);
    return 0;
}

uint64_t mm_find_free(uint64_t len, uint64_t align)
{
    uint64_t top = HX_MMAP_BASE;
    for (int i = nvmas - 1; i >= -1; i--) {
        uint64_t lo = i >= 0 ? vmas[i].end : 0x10000; /* mmap_min_addr */
        if (i >= 0 && vmas[i].start >= top)
            continue;
        if (top >= len) {
            uint64_t cand = (top - len) & ~(align - 1);
            if (cand >= lo && cand + len <= top)
                return cand;
        }
        if (i >= 0)
            top = vmas[i].start < top ? vmas[i].start : top;
    }
    return 0;
}

/* ---- User pointers ----------------------------------------------------- */
int user_ok(const void *p, uint64_t len, int write)
{
    uint64_t va = (uint64_t)p, end = va + len;
    if (end < va || end > HX_USER_TOP)
        return 0;
    for (uint64_t v = va & ~(PAGE_SIZE - 1); v < end; v += PAGE_SIZE) {
        uint64_t *e = entry(v, 1, 0);
        if (e && (*e & X86_PTE_PS)) {
            /* 2 MiB page: one check covers it. */
        } else {
            e = entry(v, 0, 0);
        }
        if (!e || !(*e & X86_PTE_P) || (write && !(*e & X86_PTE_W)))
            return 0;
    }
    return 1;
}

long user_strlen(const char *p, size_t max)
{
    for (size_t n = 0; n < max; n++) {
        if (((uint64_t)(p + n) & (PAGE_SIZE - 1)) == 0 || n == 0)
            if (!user_ok(p + n, 1, 0))
                return -EFAULT;
        if (!p[n])
            return (long)n;
    }
    return -ENAMETOOLONG;
}

void mm_init(void)
{
    pml4 = phys_to_virt(boot->cr3);
    phys_next = boot->phys_next;
    phys_end = boot->ram_size;
    free_bytes = phys_end - phys_next;
    for (uint32_t i = 0; i < boot->nregions; i++) {
        const struct hx_region *r = &boot->regions[i];
        uint32_t kind = r->kind == HX_REGION_STACK ? VMA_STACK : VMA_IMAGE;
        if (mm_map(r->va, r->len, r->pa, r->prot, kind))
            kpanic("cannot map the program image");
    }
}
