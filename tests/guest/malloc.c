/*
 * malloc: the heap.  Small blocks come from brk (glibc) or brk/mmap (musl),
 * large ones from mmap in both libcs, and musl grows a large block with
 * mremap -- so this exercises the memory syscalls the way real programs
 * reach them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define NSMALL 2000
#define MIB (1024u * 1024u)

/* A fixed LCG, so sizes and contents are the same in every run. */
static uint32_t seed = 12345;
static uint32_t next(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

/* The byte block `tag` holds at offset i. */
static unsigned char pat(size_t tag, size_t i)
{
    return (unsigned char)(tag * 131 + i * 7 + (i >> 9));
}

static void fill(unsigned char *p, size_t n, size_t tag)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pat(tag, i);
}

static int intact(const unsigned char *p, size_t n, size_t tag)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pat(tag, i))
            return 0;
    return 1;
}

static int zeroed(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void small_blocks(void)
{
    static unsigned char *blk[NSMALL];
    static size_t len[NSMALL];
    int ok = 1, aligned = 1;

    for (size_t i = 0; i < NSMALL; i++) {
        len[i] = 1 + next() % 600;
        blk[i] = malloc(len[i]);
        if (!blk[i]) {
            printf("malloc(%zu) failed: errno %d\n", len[i], errno);
            exit(1);
        }
        aligned &= (uintptr_t)blk[i] % 16 == 0;
        fill(blk[i], len[i], i);
    }
    /* Free every third block to leave holes, then grow and shrink the
     * rest so realloc must both move and keep data. */
    for (size_t i = 0; i < NSMALL; i += 3) {
        free(blk[i]);
        blk[i] = NULL;
    }
    for (size_t i = 1; i < NSMALL; i++) {
        if (!blk[i])
            continue;
        ok &= intact(blk[i], len[i], i);
        size_t nl = i % 2 ? len[i] * 3 + 100 : len[i] / 2 + 1;
        unsigned char *p = realloc(blk[i], nl);
        if (!p) {
            printf("realloc(%zu) failed: errno %d\n", nl, errno);
            exit(1);
        }
        ok &= intact(p, nl < len[i] ? nl : len[i], i);
        blk[i] = p;
        len[i] = nl;
        fill(p, nl, i + 1);
    }
    for (size_t i = 0; i < NSMALL; i++) {
        if (blk[i])
            ok &= intact(blk[i], len[i], i + 1);
        free(blk[i]);
    }
    printf("small blocks: %d allocated\n", NSMALL);
    yes("small blocks 16-byte aligned", aligned);
    yes("small blocks keep contents through realloc", ok);
}

static void large_block(size_t mib)
{
    size_t n = mib * MIB;
    unsigned char *p = malloc(n);
    if (!p) {
        printf("malloc(%zu MiB) failed: errno %d\n", mib, errno);
        return;
    }
    fill(p, n, mib);
    printf("large %zu MiB written and intact: %s\n", mib, intact(p, n, mib) ? "yes" : "no");
    free(p);
}

int main(void)
{
    small_blocks();

    large_block(1);
    large_block(8);
    large_block(64);

    /* Growing a big block is the mremap path in musl. */
    unsigned char *p = malloc(8 * MIB);
    if (p) {
        fill(p, 8 * MIB, 3);
        unsigned char *q = realloc(p, 64 * MIB);
        if (q) {
            yes("realloc 8 -> 64 MiB keeps contents", intact(q, 8 * MIB, 3));
            memset(q + 8 * MIB, 0x5a, 56 * MIB);
            yes("realloc tail writable", q[64 * MIB - 1] == 0x5a);
            p = q;
        } else {
            printf("realloc to 64 MiB failed: errno %d\n", errno);
        }
        free(p);
    }

    unsigned char *c = calloc(1000, 16);
    yes("calloc(1000, 16) zeroed", c && zeroed(c, 16000));
    free(c);
    /* A big calloc is fresh mmap memory; it must read as zero too. */
    c = calloc(4, 2 * MIB);
    yes("calloc(4, 2 MiB) zeroed", c && zeroed(c, 8 * MIB));
    free(c);
    /* Reuse: dirty a block, free it, and calloc the same size again. */
    c = malloc(4096);
    if (c)
        memset(c, 0xff, 4096);
    free(c);
    c = calloc(1, 4096);
    yes("calloc after free of a dirty block zeroed", c && zeroed(c, 4096));
    free(c);

    /* volatile: gcc rejects a constant overflowing product at compile
     * time, and the point is to see libc reject it at run time. */
    volatile size_t huge = SIZE_MAX / 2;
    errno = 0;
    c = calloc(huge, 4);
    yes("calloc overflow returns NULL with ENOMEM", !c && errno == ENOMEM);

    void *a = aligned_alloc(4096, 3 * 4096);
    yes("aligned_alloc(4096) aligned", a && (uintptr_t)a % 4096 == 0);
    free(a);
    return 0;
}
