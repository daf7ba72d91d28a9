/* The kernel heap, for file-system state (minifs, procfs buffers). Small
 * blocks come from power-of-two size classes carved out of direct-mapped
 * pages; large ones are whole pages mapped contiguously in a kernel
 * virtual range, kept on per-size free lists rather than unmapped so that
 * freeing never needs a TLB flush. Memory comes back zeroed. */
#include "heap.h"

#include "mm.h"

#define MIN_SHIFT 4  /* 16 bytes */
#define MAX_SHIFT 11 /* 2048 bytes */
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define HEAP_VA 0xffffc90000000000ull /* Linux's vmalloc area */
#define HEAP_SIZE (64ull << 30)

struct free_block {
    struct free_block *next;
};

static struct free_block *small_free[NCLASSES];

/* Large blocks: a free list per page count up to 64 pages, one list above. */
#define LARGE_LISTS 65
struct large_block {
    struct large_block *next;
    uint64_t pages;
};
static struct large_block *large_free[LARGE_LISTS];
static uint64_t heap_next = HEAP_VA;

static int class_of(size_t size)
{
    int c = 0;
    while ((1ul << (MIN_SHIFT + c)) < size)
        c++;
    return c;
}

static void *small_alloc(int c)
{
    size_t size = 1ul << (MIN_SHIFT + c);
    if (!small_free[c]) {
        uint64_t pa = mm_alloc_phys(PAGE_SIZE);
        if (!pa)
            return NULL;
        uint8_t *page = phys_to_virt(pa);
        for (size_t off = 0; off < PAGE_SIZE; off += size) {
            struct free_block *b = (struct free_block *)(page + off);
            b->next = small_free[c];
            small_free[c] = b;
        }
    }
    struct free_block *b = small_free[c];
    small_free[c] = b->next;
    memset(b, 0, size);
    return b;
}

static void *large_alloc(uint64_t pages)
{
    struct large_block **list = &large_free[pages < LARGE_LISTS - 1 ? pages : LARGE_LISTS - 1];
    for (struct large_block **b = list; *b; b = &(*b)->next)
        if ((*b)->pages == pages) {
            struct large_block *got = *b;
            *b = got->next;
            memset(got, 0, pages * PAGE_SIZE);
            return got;
        }
    if (heap_next + pages * PAGE_SIZE > HEAP_VA + HEAP_SIZE)
        return NULL;
    uint64_t va = heap_next;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t pa = mm_alloc_phys(PAGE_SIZE);
        if (!pa || mm_map_kernel_page(va + i * PAGE_SIZE, pa))
            return NULL; /* the pages mapped so far stay reserved */
    }
    heap_next += pages * PAGE_SIZE;
    return (void *)va;
}

void *kmalloc(size_t size)
{
    if (size == 0)
        size = 1;
    if (size <= (1ul << MAX_SHIFT))
        return small_alloc(class_of(size));
    return large_alloc((size + PAGE_SIZE - 1) / PAGE_SIZE);
}

void kfree(void *p, size_t size)
{
    if (!p)
        return;
    if (size == 0)
        size = 1;
    if (size <= (1ul << MAX_SHIFT)) {
        int c = class_of(size);
        struct free_block *b = p;
        b->next = small_free[c];
        small_free[c] = b;
        return;
    }
    uint64_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    struct large_block *b = p;
    b->pages = pages;
    struct large_block **list = &large_free[pages < LARGE_LISTS - 1 ? pages : LARGE_LISTS - 1];
    b->next = *list;
    *list = b;
}
