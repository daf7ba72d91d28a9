/* Unit tests for hypervisor/guest_mem.c: guest physical bounds and the
 * x86-64 4-level page-table walk, on a fake 8 MiB guest RAM whose page
 * tables are built by hand. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guest_mem.h"
#include "suites.h"

#define RAM_SIZE (8ull << 20)
#define TABLES_END 0x100000ull /* page tables live below 1 MiB */

#define P 0x1ull
#define W 0x2ull
#define U 0x4ull
#define PS 0x80ull
#define NX (1ull << 63)
#define ADDR 0x000ffffffffff000ull
#define TBL (P | W | U) /* upper-level entries, fully permissive */

static struct hx_guest G;
static uint64_t next_table;

static uint8_t pattern(uint64_t gpa)
{
    return (uint8_t)(gpa ^ (gpa >> 8) ^ (gpa >> 16) ^ 0x5a);
}

static uint64_t alloc_table(void)
{
    ck_assert_uint_lt(next_table, TABLES_END);
    uint64_t t = next_table;
    next_table += 0x1000;
    memset(G.ram + t, 0, 0x1000);
    return t;
}

static void ram_setup(void)
{
    G.ram = aligned_alloc(2ull << 20, RAM_SIZE);
    ck_assert_ptr_nonnull(G.ram);
    G.ram_size = RAM_SIZE;
    memset(G.ram, 0, TABLES_END);
    for (uint64_t a = TABLES_END; a < RAM_SIZE; a++)
        G.ram[a] = pattern(a);
    next_table = 0x1000;
    G.cr3 = alloc_table();
}

static void ram_teardown(void)
{
    free(G.ram);
    G.ram = NULL;
}

/* The entry for gva at level (3 = PML4 ... 0 = PT), creating the tables
 * above it as needed. */
static uint64_t *entry(uint64_t gva, int level)
{
    uint64_t table = G.cr3 & ADDR;
    for (int l = 3; l > level; l--) {
        uint64_t *e = (uint64_t *)(G.ram + table) + ((gva >> (12 + 9 * l)) & 511);
        if (!(*e & P))
            *e = alloc_table() | TBL;
        table = *e & ADDR;
    }
    return (uint64_t *)(G.ram + table) + ((gva >> (12 + 9 * level)) & 511);
}

static void map4k(uint64_t gva, uint64_t gpa, uint64_t flags)
{
    *entry(gva, 0) = gpa | flags;
}

static void map2m(uint64_t gva, uint64_t gpa, uint64_t flags)
{
    *entry(gva, 1) = gpa | flags | PS;
}

static uint64_t gpa_of(const struct iovec *v)
{
    return (uint64_t)((uint8_t *)v->iov_base - G.ram);
}

/* hx_gva_iov translates [gva, gva+len) to the single gpa range at gpa. */
static void assert_one(uint64_t gva, uint64_t len, int write, uint64_t gpa)
{
    struct iovec v[4];
    ck_assert_int_eq(hx_gva_iov(&G, gva, len, write, v, 4), 1);
    ck_assert_uint_eq(gpa_of(&v[0]), gpa);
    ck_assert_uint_eq(v[0].iov_len, len);
}

static void assert_fault(uint64_t gva, uint64_t len, int write)
{
    struct iovec v[4];
    ck_assert_int_eq(hx_gva_iov(&G, gva, len, write, v, 4), -EFAULT);
}

/* ---- hx_gpa_ptr ------------------------------------------------------- */

START_TEST(gpa_bounds)
{
    ck_assert_ptr_eq(hx_gpa_ptr(&G, 0, 1, 0), G.ram);
    ck_assert_ptr_eq(hx_gpa_ptr(&G, 0, RAM_SIZE, 0), G.ram);
    ck_assert_ptr_eq(hx_gpa_ptr(&G, 0x1234, 0x100, 0), G.ram + 0x1234);
    ck_assert_ptr_eq(hx_gpa_ptr(&G, RAM_SIZE - 1, 1, 0), G.ram + RAM_SIZE - 1);
    ck_assert_ptr_eq(hx_gpa_ptr(&G, RAM_SIZE - 0x1000, 0x1000, 0), G.ram + RAM_SIZE - 0x1000);
    ck_assert_ptr_null(hx_gpa_ptr(&G, 0, RAM_SIZE + 1, 0));
    ck_assert_ptr_null(hx_gpa_ptr(&G, RAM_SIZE - 1, 2, 0));
    ck_assert_ptr_null(hx_gpa_ptr(&G, RAM_SIZE, 1, 0));
    ck_assert_ptr_null(hx_gpa_ptr(&G, RAM_SIZE + 0x1000, 0x1000, 0));
}
END_TEST

START_TEST(gpa_overflow)
{
    /* gpa + len wrapping around 2^64 must not look like a small range. */
    ck_assert_ptr_null(hx_gpa_ptr(&G, UINT64_MAX, 1, 0));
    ck_assert_ptr_null(hx_gpa_ptr(&G, UINT64_MAX, 2, 0));
    ck_assert_ptr_null(hx_gpa_ptr(&G, UINT64_MAX - 0xfff, 0x2000, 0));
    ck_assert_ptr_null(hx_gpa_ptr(&G, 0x1000, UINT64_MAX, 0));
    ck_assert_ptr_null(hx_gpa_ptr(&G, 0x1000, UINT64_MAX - 0xfff, 0));
    ck_assert_ptr_null(hx_gpa_ptr(&G, 1ull << 63, 1ull << 63, 0));
}
END_TEST

START_TEST(gpa_zero_length)
{
    ck_assert_ptr_eq(hx_gpa_ptr(&G, 0, 0, 0), G.ram);
    ck_assert_ptr_eq(hx_gpa_ptr(&G, RAM_SIZE, 0, 0), G.ram + RAM_SIZE);
    ck_assert_ptr_null(hx_gpa_ptr(&G, RAM_SIZE + 1, 0, 0));
    ck_assert_ptr_null(hx_gpa_ptr(&G, UINT64_MAX, 0, 0));
}
END_TEST

/* ---- Translation ------------------------------------------------------ */

START_TEST(map_4k)
{
    map4k(0x400000, 0x123000, P | U);
    assert_one(0x400000, 0x1000, 0, 0x123000);
    assert_one(0x400ff0, 0x10, 0, 0x123ff0);
    assert_one(0x400abc, 1, 0, 0x123abc);

    uint8_t buf[100];
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x400010, sizeof(buf)), 0);
    ck_assert_mem_eq(buf, G.ram + 0x123010, sizeof(buf));

    /* The neighbours are not mapped. */
    assert_fault(0x3ff000, 1, 0);
    assert_fault(0x401000, 1, 0);
    assert_fault(0x400ff0, 0x11, 0);
}
END_TEST

START_TEST(map_2m)
{
    map2m(0x40000000, 0x600000, P | U);
    assert_one(0x40000000, 0x200000, 0, 0x600000);
    assert_one(0x40012345, 0x3000, 0, 0x612345); /* crosses 4 KiB lines */
    assert_one(0x401ffff0, 0x10, 0, 0x7ffff0);
    assert_fault(0x401ffff0, 0x11, 0);

    uint8_t buf[0x2000];
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x40100800, sizeof(buf)), 0);
    ck_assert_mem_eq(buf, G.ram + 0x700800, sizeof(buf));
}
END_TEST

START_TEST(map_2m_pair)
{
    /* Two 2 MiB pages: merged when physically adjacent, split when not. */
    map2m(0x40000000, 0x400000, P | U);
    map2m(0x40200000, 0x600000, P | U);
    assert_one(0x401ff000, 0x2000, 0, 0x5ff000);

    map2m(0x40200000, 0x200000, P | U);
    struct iovec v[4];
    ck_assert_int_eq(hx_gva_iov(&G, 0x401ff000, 0x2000, 0, v, 4), 2);
    ck_assert_uint_eq(gpa_of(&v[0]), 0x5ff000);
    ck_assert_uint_eq(v[0].iov_len, 0x1000);
    ck_assert_uint_eq(gpa_of(&v[1]), 0x200000);
    ck_assert_uint_eq(v[1].iov_len, 0x1000);
}
END_TEST

START_TEST(mixed_4k_2m)
{
    /* A 4 KiB page right below a 2 MiB page, physically adjacent. */
    map4k(0x401ff000, 0x3ff000, P | U);
    map2m(0x40200000, 0x400000, P | U);
    assert_one(0x401ff800, 0x1000, 0, 0x3ff800);
}
END_TEST

START_TEST(span_merge_contiguous)
{
    map4k(0x500000, 0x200000, P | U);
    map4k(0x501000, 0x201000, P | U);
    map4k(0x502000, 0x202000, P | U);
    assert_one(0x500800, 0x2000, 0, 0x200800);
    assert_one(0x500000, 0x3000, 0, 0x200000);
}
END_TEST

START_TEST(span_split_discontiguous)
{
    map4k(0x500000, 0x203000, P | U);
    map4k(0x501000, 0x201000, P | U);
    map4k(0x502000, 0x202000, P | U);
    struct iovec v[4];
    ck_assert_int_eq(hx_gva_iov(&G, 0x500800, 0x2000, 0, v, 4), 2);
    ck_assert_uint_eq(gpa_of(&v[0]), 0x203800);
    ck_assert_uint_eq(v[0].iov_len, 0x800);
    /* 0x501000 and 0x502000 are adjacent again: one piece. */
    ck_assert_uint_eq(gpa_of(&v[1]), 0x201000);
    ck_assert_uint_eq(v[1].iov_len, 0x1800);

    uint8_t buf[0x2000];
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x500800, sizeof(buf)), 0);
    ck_assert_mem_eq(buf, G.ram + 0x203800, 0x800);
    ck_assert_mem_eq(buf + 0x800, G.ram + 0x201000, 0x1800);
}
END_TEST

START_TEST(iov_e2big)
{
    map4k(0x500000, 0x205000, P | U);
    map4k(0x501000, 0x203000, P | U);
    map4k(0x502000, 0x201000, P | U);
    struct iovec v[4];
    memset(v, 0xee, sizeof(v));
    ck_assert_int_eq(hx_gva_iov(&G, 0x500000, 0x3000, 0, v, 2), -E2BIG);
    /* Nothing written past maxiov. */
    ck_assert_uint_eq(v[2].iov_len, (size_t)0xeeeeeeeeeeeeeeeeull);
    ck_assert_int_eq(hx_gva_iov(&G, 0x500000, 0x3000, 0, v, 3), 3);
    ck_assert_int_eq(hx_gva_iov(&G, 0x500000, 1, 0, v, 0), -E2BIG);

    /* Merged pieces count once. */
    map4k(0x501000, 0x206000, P | U);
    map4k(0x502000, 0x207000, P | U);
    ck_assert_int_eq(hx_gva_iov(&G, 0x500000, 0x3000, 0, v, 1), 1);
    ck_assert_uint_eq(v[0].iov_len, 0x3000);
}
END_TEST

START_TEST(zero_length)
{
    struct iovec v[1];
    ck_assert_int_eq(hx_gva_iov(&G, 0x12345000, 0, 0, v, 1), 0);
    ck_assert_int_eq(hx_gva_iov(&G, 0x12345000, 0, 1, v, 0), 0);
    ck_assert_int_eq(hx_copy_from_guest(&G, v, 0x12345000, 0), 0);
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x12345000, v, 0), 0);
}
END_TEST

START_TEST(not_present)
{
    map4k(0x400000, 0x120000, U | W); /* no P */
    map4k(0x401000, 0x121000, P | U);
    assert_fault(0x400000, 1, 0);
    assert_one(0x401000, 1, 0, 0x121000);
    assert_fault(0x400fff, 2, 0); /* the mapped page after does not help */

    /* P missing at each upper level in turn. */
    for (int level = 1; level <= 3; level++) {
        uint64_t *e = entry(0x401000, level);
        *e &= ~P;
        assert_fault(0x401000, 1, 0);
        *e |= P;
        assert_one(0x401000, 1, 0, 0x121000);
    }
}
END_TEST

START_TEST(not_user)
{
    map4k(0x400000, 0x120000, P | W); /* supervisor page */
    map4k(0x401000, 0x121000, P | W | U);
    assert_fault(0x400000, 1, 0);
    assert_fault(0x400000, 1, 1);
    assert_one(0x401000, 8, 1, 0x121000);

    /* U missing at an upper level, the leaf still U. */
    for (int level = 1; level <= 3; level++) {
        uint64_t *e = entry(0x401000, level);
        *e &= ~U;
        assert_fault(0x401000, 1, 0);
        assert_fault(0x401000, 1, 1);
        ck_assert_int_eq(hx_copy_str_from_guest(&G, (char[8]){0}, 0x401000, 8), -EFAULT);
        *e |= U;
        assert_one(0x401000, 1, 0, 0x121000);
    }

    /* A supervisor 2 MiB page. */
    map2m(0x40000000, 0x400000, P | W);
    assert_fault(0x40000000, 1, 0);
}
END_TEST

START_TEST(read_only_page)
{
    map4k(0x400000, 0x130000, P | U);
    uint8_t before[16], buf[16];
    memcpy(before, G.ram + 0x130100, 16);

    assert_one(0x400100, 16, 0, 0x130100);
    assert_fault(0x400100, 16, 1);
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x400100, 16), 0);
    ck_assert_mem_eq(buf, before, 16);
    memset(buf, 0x77, sizeof(buf));
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x400100, buf, 16), -EFAULT);
    ck_assert_mem_eq(G.ram + 0x130100, before, 16);

    *entry(0x400000, 0) |= W;
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x400100, buf, 16), 0);
    ck_assert_mem_eq(G.ram + 0x130100, buf, 16);
}
END_TEST

START_TEST(read_only_upper_level)
{
    /* A writable leaf under a read-only directory is read-only. */
    map4k(0x400000, 0x130000, P | W | U);
    for (int level = 1; level <= 3; level++) {
        uint64_t *e = entry(0x400000, level);
        *e &= ~W;
        assert_one(0x400000, 0x10, 0, 0x130000);
        assert_fault(0x400000, 0x10, 1);
        *e |= W;
        assert_one(0x400000, 0x10, 1, 0x130000);
    }
    map2m(0x40000000, 0x400000, P | U);
    assert_one(0x40000000, 0x10, 0, 0x400000);
    assert_fault(0x40000000, 0x10, 1);
}
END_TEST

START_TEST(write_spanning_ro_page)
{
    /* A write that starts on a writable page and ends on a read-only one. */
    map4k(0x400000, 0x130000, P | W | U);
    map4k(0x401000, 0x131000, P | U);
    assert_one(0x400ff0, 0x20, 0, 0x130ff0);
    assert_fault(0x400ff0, 0x20, 1);
}
END_TEST

START_TEST(huge_1g_rejected)
{
    /* A 1 GiB page at gpa 0: the bytes would be inside RAM, but hx never
     * uses such pages and refuses them. */
    *entry(0x80000000, 2) = 0 | P | W | U | PS;
    assert_fault(0x80000000, 1, 0);
    assert_fault(0x80000010, 0x10, 0);
    assert_fault(0x80000010, 0x10, 1);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, (char[8]){0}, 0x80000010, 8), -EFAULT);
}
END_TEST

START_TEST(leaf_beyond_ram)
{
    map4k(0x400000, RAM_SIZE, P | U);
    map4k(0x401000, RAM_SIZE - 0x1000, P | U);
    map4k(0x402000, 1ull << 40, P | U);
    map2m(0x40000000, RAM_SIZE, P | U);
    map2m(0x40200000, 1ull << 46, P | U);
    assert_fault(0x400000, 1, 0);
    assert_one(0x401000, 0x1000, 0, RAM_SIZE - 0x1000); /* the last page */
    assert_fault(0x401fff, 2, 0);
    assert_fault(0x402000, 1, 0);
    assert_fault(0x40000000, 1, 0);
    assert_fault(0x40200000, 1, 0);

    uint8_t buf[8];
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x400000, 8), -EFAULT);
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x400000, buf, 8), -EFAULT);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, (char *)buf, 0x400000, 8), -EFAULT);
}
END_TEST

START_TEST(table_beyond_ram)
{
    map4k(0x400000, 0x130000, P | U);
    /* Each upper level in turn pointing at a table outside RAM. */
    uint64_t bad[] = {RAM_SIZE, RAM_SIZE + 0x1000, 1ull << 40, ADDR};
    for (int level = 1; level <= 3; level++) {
        uint64_t *e = entry(0x400000, level);
        uint64_t saved = *e;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            *e = bad[i] | TBL;
            assert_fault(0x400000, 1, 0);
        }
        *e = saved;
        assert_one(0x400000, 1, 0, 0x130000);
    }
}
END_TEST

START_TEST(cr3_beyond_ram)
{
    map4k(0x400000, 0x130000, P | U);
    uint64_t cr3 = G.cr3;
    G.cr3 = RAM_SIZE;
    assert_fault(0x400000, 1, 0);
    G.cr3 = 1ull << 40;
    assert_fault(0x400000, 1, 0);
    G.cr3 = ADDR;
    assert_fault(0x400000, 1, 0);
    G.cr3 = UINT64_MAX;
    assert_fault(0x400000, 1, 0);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, (char[8]){0}, 0x400000, 8), -EFAULT);

    /* The PCID and no-flush bits of CR3 are not part of the address. */
    G.cr3 = cr3 | 0x5 | (1ull << 63);
    assert_one(0x400000, 1, 0, 0x130000);
}
END_TEST

START_TEST(non_canonical)
{
    /* 0xffff800000000000 and 0x0000800000000000 share PML4 slot 256;
     * 0x00007ffffffff000 and 0xffff7ffffffff000 share slot 255. */
    map4k(0xffff800000000000ull, 0x140000, P | W | U);
    map4k(0x00007ffffffff000ull, 0x141000, P | W | U);
    assert_one(0xffff800000000000ull, 0x10, 0, 0x140000);
    assert_one(0x00007ffffffff000ull, 0x10, 0, 0x141000);
    assert_fault(0x0000800000000000ull, 0x10, 0);
    assert_fault(0xffff7ffffffff000ull, 0x10, 0);
    assert_fault(0x0010000000000000ull, 1, 0);
    assert_fault(0x8000000000000000ull, 1, 0);
    /* Running off the top of the lower half into the hole. */
    assert_fault(0x00007ffffffff800ull, 0x1000, 0);
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x0000800000000000ull, "x", 1), -EFAULT);
}
END_TEST

START_TEST(range_overflow)
{
    map4k(0xfffffffffffff000ull, 0x140000, P | U);
    map4k(0, 0x141000, P | U);
    assert_one(0xfffffffffffff000ull, 0x10, 0, 0x140000);
    /* [gva, gva+len) wrapping past 2^64 to the mapped page at 0. */
    assert_fault(0xfffffffffffff000ull, 0x2000, 0);
    assert_fault(0xfffffffffffff800ull, 0x1000, 0);
    assert_fault(1, UINT64_MAX, 0);
    assert_fault(0x1000, UINT64_MAX - 0x800, 0);
    uint8_t buf[16];
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0xfffffffffffffff8ull, 16), -EFAULT);
}
END_TEST

START_TEST(pat_nx_bits)
{
    /* Bit 7 of a PTE is PAT, not PS; bit 12 of a 2 MiB PDE is PAT; NX is
     * bit 63. None of them is part of the frame address. */
    map4k(0x400000, 0x150000, P | U | PS | NX);
    assert_one(0x400010, 0x10, 0, 0x150010);
    map2m(0x40000000, 0x600000 | 0x1000, P | U | NX);
    assert_one(0x40000010, 0x10, 0, 0x600010);
}
END_TEST

/* ---- Copies ----------------------------------------------------------- */

START_TEST(copy_to_guest_spanning)
{
    map4k(0x500000, 0x203000, P | W | U);
    map4k(0x501000, 0x201000, P | W | U);
    uint8_t src[0x1000];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 13 + 1);
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x500c00, src, sizeof(src)), 0);
    ck_assert_mem_eq(G.ram + 0x203c00, src, 0x400);
    ck_assert_mem_eq(G.ram + 0x201000, src + 0x400, 0xc00);
    ck_assert_uint_eq(G.ram[0x203bff], pattern(0x203bff));
    ck_assert_uint_eq(G.ram[0x201c00], pattern(0x201c00));
}
END_TEST

START_TEST(copy_large_2m)
{
    /* More than one 64 KiB internal chunk, across a 2 MiB boundary. */
    map2m(0x40000000, 0x400000, P | W | U);
    map2m(0x40200000, 0x600000, P | W | U);
    size_t len = 3u << 20;
    uint8_t *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x40080123, len), 0);
    ck_assert_mem_eq(buf, G.ram + 0x480123, len);
    memset(buf, 0x3c, len);
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x40080123, buf, len), 0);
    ck_assert_mem_eq(G.ram + 0x480123, buf, len);
    ck_assert_uint_eq(G.ram[0x480122], pattern(0x480122));
    free(buf);
}
END_TEST

/* Maps n pages at gva, in reverse physical order so that no two are
 * adjacent. */
static void map_scattered(uint64_t gva, uint64_t gpa, int n)
{
    for (int i = 0; i < n; i++)
        map4k(gva + 0x1000 * (uint64_t)i, gpa + 0x2000 * (uint64_t)(n - 1 - i), P | W | U);
}

START_TEST(copy_from_scattered_pages)
{
    /* A 36 KiB read() buffer whose pages the guest kernel allocated one by
     * one: nine physically scattered pages. */
    enum { NPAGES = 9 };
    map_scattered(0x600000, 0x300000, NPAGES);
    uint8_t buf[NPAGES * 0x1000];
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x600000, sizeof(buf)), 0);
    for (int i = 0; i < NPAGES; i++)
        ck_assert_mem_eq(buf + 0x1000 * i, G.ram + 0x300000 + 0x2000 * (NPAGES - 1 - i), 0x1000);
}
END_TEST

START_TEST(copy_to_scattered_pages)
{
    enum { NPAGES = 17 };
    map_scattered(0x600000, 0x300000, NPAGES);
    uint8_t buf[NPAGES * 0x1000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i / 0x1000 + 1);
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x600000, buf, sizeof(buf)), 0);
    for (int i = 0; i < NPAGES; i++)
        ck_assert_mem_eq(G.ram + 0x300000 + 0x2000 * (NPAGES - 1 - i), buf + 0x1000 * i, 0x1000);
}
END_TEST

START_TEST(copy_partially_unmapped)
{
    map4k(0x500000, 0x200000, P | W | U);
    uint8_t buf[0x20];
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x500ff0, sizeof(buf)), -EFAULT);
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x500ff0, buf, sizeof(buf)), -EFAULT);
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x4ffff0, sizeof(buf)), -EFAULT);
}
END_TEST

/* ---- Strings ---------------------------------------------------------- */

static void put(uint64_t gpa, const char *s, size_t n)
{
    memcpy(G.ram + gpa, s, n);
}

START_TEST(str_normal)
{
    map4k(0x700000, 0x120000, P | U);
    put(0x120100, "hello", 6);
    char dst[64];
    memset(dst, 'Q', sizeof(dst));
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700100, sizeof(dst)), 5);
    ck_assert_str_eq(dst, "hello");

    put(0x120200, "", 1);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700200, sizeof(dst)), 0);
    ck_assert_str_eq(dst, "");
}
END_TEST

START_TEST(str_cross_page)
{
    /* Starts 3 bytes before a page end; the next page is elsewhere. */
    map4k(0x701000, 0x130000, P | U);
    map4k(0x702000, 0x110000, P | U);
    put(0x130ffd, "abc", 3);
    put(0x110000, "def", 4);
    char dst[64];
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x701ffd, sizeof(dst)), 6);
    ck_assert_str_eq(dst, "abcdef");

    /* The NUL being the first byte of the next page. */
    put(0x110000, "", 1);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x701ffd, sizeof(dst)), 3);
    ck_assert_str_eq(dst, "abc");
}
END_TEST

START_TEST(str_cross_2m)
{
    map2m(0x40000000, 0x600000, P | U);
    map4k(0x40200000, 0x150000, P | U);
    put(0x7ffffe, "ab", 2);
    put(0x150000, "c", 2);
    char dst[16];
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x401ffffe, sizeof(dst)), 3);
    ck_assert_str_eq(dst, "abc");
}
END_TEST

START_TEST(str_length_limit)
{
    map4k(0x700000, 0x120000, P | U);
    put(0x120000, "0123456789", 11);
    char dst[16];
    /* At most max-1 characters plus the NUL. */
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700000, 11), 10);
    ck_assert_str_eq(dst, "0123456789");
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700000, 10), -ENAMETOOLONG);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700000, 1), -ENAMETOOLONG);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700000, 0), -ENAMETOOLONG);
}
END_TEST

START_TEST(str_unterminated)
{
    map4k(0x700000, 0x120000, P | U);
    map4k(0x701000, 0x121000, P | U);
    memset(G.ram + 0x120000, 'x', 0x2000);
    char dst[0x1800];
    memset(dst, 0, sizeof(dst));
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700000, 100), -ENAMETOOLONG);
    /* Across the page line, still within mapped memory. */
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700800, sizeof(dst)), -ENAMETOOLONG);
}
END_TEST

START_TEST(str_unmapped)
{
    char dst[64];
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700000, sizeof(dst)), -EFAULT);

    /* Mapped start, no NUL before the unmapped page. */
    map4k(0x700000, 0x120000, P | U);
    memset(G.ram + 0x120000, 'x', 0x1000);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700fe0, sizeof(dst)), -EFAULT);
    /* The NUL before the page end: the unmapped page is never touched. */
    G.ram[0x120ffa] = 0;
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700fe0, sizeof(dst)), 0x1a);
    /* Not user-accessible. */
    *entry(0x700000, 0) &= ~U;
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x700fe0, sizeof(dst)), -EFAULT);
}
END_TEST

START_TEST(str_into_noncanonical)
{
    map4k(0x00007ffffffff000ull, 0x141000, P | U);
    map4k(0xffff800000000000ull, 0x140000, P | U);
    memset(G.ram + 0x141000, 'y', 0x1000);
    put(0x140000, "", 1);
    char dst[64];
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x00007fffffffffe0ull, sizeof(dst)), -EFAULT);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, dst, 0x0000800000000000ull, sizeof(dst)), -EFAULT);
}
END_TEST

/* ---- mapped files ------------------------------------------------------ */
/* A host file of 2 pages mapped as a slot above RAM at SLOT_GPA, writable
 * or not, then cut to 100 bytes: its second page lies past the end (a
 * touch is SIGBUS), as when the program or anyone else shrinks a file it
 * mapped MAP_SHARED. */
#define SLOT_GPA (1ull << 40)

static uint8_t *map_slot(int writable)
{
    char name[] = "/tmp/hx-unit-slot.XXXXXX";
    int fd = mkstemp(name);
    ck_assert_int_ge(fd, 0);
    unlink(name);
    ck_assert_int_eq(ftruncate(fd, 0x2000), 0);
    uint8_t *p = mmap(NULL, 0x2000, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    ck_assert_int_eq(ftruncate(fd, 100), 0);
    close(fd);
    G.slots[0] = (struct hx_slot){SLOT_GPA, 0x2000, p, writable};
    map4k(0x900000, SLOT_GPA, P | W | U);
    map4k(0x901000, SLOT_GPA + 0x1000, P | W | U);
    ck_assert_int_eq(hx_guest_mem_init(), 0);
    return p;
}

static void unmap_slot(void)
{
    munmap(G.slots[0].hva, 0x2000);
    memset(&G.slots[0], 0, sizeof(G.slots[0]));
}

START_TEST(slot_read_only)
{
    uint8_t *p = map_slot(0);
    ck_assert_ptr_eq(hx_gpa_ptr(&G, SLOT_GPA, 16, 0), p);
    ck_assert_ptr_null(hx_gpa_ptr(&G, SLOT_GPA, 16, 1));
    /* The guest's page tables say writable; the file is not. */
    struct iovec v[2];
    ck_assert_int_eq(hx_gva_iov(&G, 0x900000, 16, 1, v, 2), -EFAULT);
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x900000, "x", 1), -EFAULT);
    char c = 1;
    ck_assert_int_eq(hx_copy_from_guest(&G, &c, 0x900000, 1), 0);
    ck_assert_int_eq(c, 0);
    unmap_slot();
}
END_TEST

START_TEST(slot_past_end)
{
    uint8_t *p = map_slot(1);
    char buf[64];
    /* Within the file's last page: fine, even past its 100 bytes. */
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x900ff0, "0123456789abcde", 16), 0);
    ck_assert_int_eq(memcmp(p + 0xff0, "0123456789abcde", 16), 0);
    memcpy(p, "name", 5);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, buf, 0x900000, sizeof(buf)), 4);
    /* Past the file's end: EFAULT, not SIGBUS. */
    ck_assert_int_eq(hx_copy_to_guest(&G, 0x901000, "x", 1), -EFAULT);
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x901000, 8), -EFAULT);
    ck_assert_int_eq(hx_copy_from_guest(&G, buf, 0x900ff8, 16), -EFAULT);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, buf, 0x901000, sizeof(buf)), -EFAULT);
    /* A string that runs from the good page into the bad one. */
    memset(p + 0xff0, 'y', 16);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, buf, 0x900ff0, sizeof(buf)), -EFAULT);
    /* And the guard is gone afterwards: copies in RAM still work. */
    put(0x120000, "ok", 3);
    map4k(0x700000, 0x120000, P | U);
    ck_assert_int_eq(hx_copy_str_from_guest(&G, buf, 0x700000, sizeof(buf)), 2);
    unmap_slot();
}
END_TEST

Suite *guest_mem_suite(void)
{
    Suite *s = suite_create("guest_mem");

    TCase *tc = tcase_create("gpa");
    tcase_add_checked_fixture(tc, ram_setup, ram_teardown);
    tcase_add_test(tc, gpa_bounds);
    tcase_add_test(tc, gpa_overflow);
    tcase_add_test(tc, gpa_zero_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("translate");
    tcase_add_checked_fixture(tc, ram_setup, ram_teardown);
    tcase_add_test(tc, map_4k);
    tcase_add_test(tc, map_2m);
    tcase_add_test(tc, map_2m_pair);
    tcase_add_test(tc, mixed_4k_2m);
    tcase_add_test(tc, span_merge_contiguous);
    tcase_add_test(tc, span_split_discontiguous);
    tcase_add_test(tc, iov_e2big);
    tcase_add_test(tc, zero_length);
    tcase_add_test(tc, not_present);
    tcase_add_test(tc, not_user);
    tcase_add_test(tc, read_only_page);
    tcase_add_test(tc, read_only_upper_level);
    tcase_add_test(tc, write_spanning_ro_page);
    tcase_add_test(tc, huge_1g_rejected);
    tcase_add_test(tc, leaf_beyond_ram);
    tcase_add_test(tc, table_beyond_ram);
    tcase_add_test(tc, cr3_beyond_ram);
    tcase_add_test(tc, non_canonical);
    tcase_add_test(tc, range_overflow);
    tcase_add_test(tc, pat_nx_bits);
    suite_add_tcase(s, tc);

    tc = tcase_create("copy");
    tcase_add_checked_fixture(tc, ram_setup, ram_teardown);
    tcase_add_test(tc, copy_to_guest_spanning);
    tcase_add_test(tc, copy_large_2m);
    tcase_add_test(tc, copy_from_scattered_pages);
    tcase_add_test(tc, copy_to_scattered_pages);
    tcase_add_test(tc, copy_partially_unmapped);
    suite_add_tcase(s, tc);

    tc = tcase_create("string");
    tcase_add_checked_fixture(tc, ram_setup, ram_teardown);
    tcase_add_test(tc, str_normal);
    tcase_add_test(tc, str_cross_page);
    tcase_add_test(tc, str_cross_2m);
    tcase_add_test(tc, str_length_limit);
    tcase_add_test(tc, str_unterminated);
    tcase_add_test(tc, str_unmapped);
    tcase_add_test(tc, str_into_noncanonical);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_add_checked_fixture(tc, ram_setup, ram_teardown);
    tcase_add_test(tc, slot_read_only);
    tcase_add_test(tc, slot_past_end);
    suite_add_tcase(s, tc);

    return s;
}
