/* Guest memory: physical page allocator, the program's page tables and its
 * list of mappings (VMAs). Everything here runs at CPL3; only TLB
 * invalidation enters CPL0, and only when a dropped or weakened translation
 * may be cached (the page's Accessed bit is set). */
#ifndef HX_MM_H
#define HX_MM_H

#include "kernel.h"

#define VMA_ANON 1u        /* anonymous memory */
#define VMA_HEAP 2u        /* the brk area */
#define VMA_STACK 4u       /* the main stack */
#define VMA_IMAGE 8u       /* the program image */
#define VMA_SHARED 16u     /* a host file mapped MAP_SHARED (memory above RAM) */
#define VMA_DONTFORK 32u   /* MADV_DONTFORK: a fork's child does not have it */
#define VMA_WIPEONFORK 64u /* MADV_WIPEONFORK: a fork's child has it zeroed */

struct vma {
    uint64_t start, end;
    uint32_t prot; /* HX_PROT_* */
    uint32_t flags;
};

void mm_init(void);

/* Maps [va, va+len) with prot; pa == 0 allocates zeroed memory, else maps
 * the physically contiguous range at pa. Records a VMA. 0 or -ENOMEM. */
int mm_map(uint64_t va, uint64_t len, uint64_t pa, uint32_t prot, uint32_t flags);
/* Page-table entries only, for part of an existing VMA (pa as mm_map). */
int mm_populate(uint64_t va, uint64_t len, uint64_t pa, uint32_t prot);
/* Takes the pages of a range away, keeping its VMA (a file's end). */
void mm_drop_pages(uint64_t va, uint64_t len);
/* Records a new protection for a range without touching its pages. */
int mm_set_prot(uint64_t va, uint64_t len, uint32_t prot);
/* Sets and clears VMA flags over a range: 0, or -ENOMEM when part of it
 * is not mapped (the rest is done) or the VMAs cannot be split. */
int mm_set_flags(uint64_t va, uint64_t len, uint32_t set, uint32_t clear);
/* A VMA without pages yet (they are mapped when they exist). */
int mm_reserve(uint64_t va, uint64_t len, uint32_t prot, uint32_t flags);
/* Removes every mapping in [va, va+len). */
void mm_unmap(uint64_t va, uint64_t len);
/* 0, or -ENOMEM when part of the range is not mapped. */
int mm_protect(uint64_t va, uint64_t len, uint32_t prot);
/* Zeroes the pages of a mapped range (MADV_DONTNEED). 0 or -ENOMEM. */
int mm_zero(uint64_t va, uint64_t len);
/* Finds a free range of len bytes, top-down below the mmap base; 0 if none. */
uint64_t mm_find_free(uint64_t len, uint64_t align);
/* Whether [va, va+len) overlaps any mapping. */
int mm_overlaps(uint64_t va, uint64_t len);
/* The i-th VMA in address order, or NULL past the last. */
const struct vma *mm_vma(int i);
/* The VMA containing va, or NULL. */
const struct vma *mm_find(uint64_t va);

/* Whether the program may access [p, p+len) (write: for writing), checked
 * against the page tables exactly as the CPU would. */
int user_ok(const void *p, uint64_t len, int write);
/* Length of the user string at p (< max), or -EFAULT / -ENAMETOOLONG. */
long user_strlen(const char *p, size_t max);

uint64_t mm_free_bytes(void);
/* Zeroed physical memory of one 4 KiB or 2 MiB page, 0 when none is left. */
uint64_t mm_alloc_phys(uint64_t size);
void mm_free_phys(uint64_t pa, uint64_t size);
int mm_map_kernel_page(uint64_t va, uint64_t pa);
/* The physical address behind a kernel address (direct map or heap). */
uint64_t mm_kernel_phys(const void *p);
/* Maps pages that belong to a file (pas: one physical address per page):
 * unmapping never frees them. */
int mm_map_foreign(uint64_t va, uint64_t len, const uint64_t *pas, uint32_t prot, uint32_t flags);

/* A page fault in a part of a mapping that has no pages: the layer that
 * made the mapping may map them now (syscalls/mm.c: a shared file mapping
 * past the file's end when it was mapped). fn returns 1 when the page is
 * mapped now (retry), 0 when it is not (SIGBUS), -1 for addresses not its
 * own. Set once at boot (kernel/fault.c). */
void mm_set_file_fault(int (*fn)(uint64_t addr));

#endif
