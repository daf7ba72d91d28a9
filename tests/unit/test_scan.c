/* Unit tests for the rewriter's analysis (rewriter/): the inference of a
 * syscall's number on small hand-assembled functions, wrappers resolved at
 * their callers (in the same object and through a GOT slot in another),
 * and the pieces of library resolution that can be checked without the
 * host's files: ld.so.cache lookups, $ORIGIN, .eh_frame starts.
 *
 * Every byte array is listed with its disassembly, as printed by
 * objdump -D -b binary -mi386:x86-64 --adjust-vma=BASE. Headers are included
 * by path: the unit build has no -Irewriter. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../rewriter/eh_frame.h"
#include "../../rewriter/infer.h"
#include "ldcache.h"
#include "libpath.h"
#include "../../rewriter/scan.h"
#include "../../rewriter/syscall_table.h"
#include "suites.h"

#define BASE 0x1000

static struct hx_disasm dis;

static void setup(void)
{
    char err[128];
    ck_assert_int_eq(hx_disasm_open(&dis, err, sizeof(err)), 0);
}

static void teardown(void)
{
    hx_disasm_close(&dis);
}

/* Decodes bytes at BASE as one function "f" (plus any more starts given). */
static void make_code(struct hx_code *c, const uint8_t *bytes, size_t n, const uint64_t *starts,
                      size_t nstarts)
{
    hx_code_init(c, "test");
    ck_assert_int_eq(hx_code_add_range(c, BASE, bytes, n, 0), 0);
    ck_assert_int_eq(hx_code_add_func(c, BASE, 0, "f", HX_FUNC_ENTRY), 0);
    for (size_t i = 0; i < nstarts; i++)
        ck_assert_int_eq(hx_code_add_func(c, starts[i], 0, NULL, HX_FUNC_ENTRY), 0);
    ck_assert_int_eq(hx_code_decode(c, &dis), 0);
}

/* Infers rax at the syscall instruction at address at. */
static void infer_at(const struct hx_code *c, uint64_t at, struct hx_values *v)
{
    long i = hx_code_insn_at(c, at);
    ck_assert_int_ge(i, 0);
    ck_assert_int_eq(c->insns.v[i].sys, HX_SYS_SYSCALL);
    hx_infer(c, (size_t)i, HX_RAX, v);
}

START_TEST(immediate)
{
    static const uint8_t b[] = {
        0xb8, 0x3c, 0x00, 0x00, 0x00, /* 1000: mov $0x3c,%eax */
        0x0f, 0x05,                   /* 1005: syscall */
    };
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, sizeof(b), NULL, 0);
    infer_at(&c, 0x1005, &v);
    ck_assert_int_eq(v.why, HX_WHY_NONE);
    ck_assert_uint_eq(v.n, 1);
    ck_assert_uint_eq(v.v[0], 60);
    ck_assert_uint_eq(v.nentry, 0);
    hx_code_free(&c);
}
END_TEST

START_TEST(register_copy)
{
    static const uint8_t b[] = {
        0xbf, 0x27, 0x00, 0x00, 0x00, /* 1000: mov $0x27,%edi */
        0x89, 0xf8,                   /* 1005: mov %edi,%eax */
        0x0f, 0x05,                   /* 1007: syscall */
    };
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, sizeof(b), NULL, 0);
    infer_at(&c, 0x1007, &v);
    ck_assert_int_eq(v.why, HX_WHY_NONE);
    ck_assert_uint_eq(v.n, 1);
    ck_assert_uint_eq(v.v[0], 39);
    hx_code_free(&c);
}
END_TEST

START_TEST(predecessors_agree)
{
    static const uint8_t b[] = {
        0x85, 0xff,                   /* 1000: test %edi,%edi */
        0x74, 0x07,                   /* 1002: je 0x100b */
        0xb8, 0x01, 0x00, 0x00, 0x00, /* 1004: mov $0x1,%eax */
        0xeb, 0x05,                   /* 1009: jmp 0x1010 */
        0xb8, 0x01, 0x00, 0x00, 0x00, /* 100b: mov $0x1,%eax */
        0x0f, 0x05,                   /* 1010: syscall */
        0xc3,                         /* 1012: ret */
    };
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, sizeof(b), NULL, 0);
    /* The syscall's block starts the join: two predecessors. */
    const struct hx_block *blk = &c.blocks[c.insn_block[hx_code_insn_at(&c, 0x1010)]];
    ck_assert_uint_eq(blk->npred, 2);
    infer_at(&c, 0x1010, &v);
    ck_assert_int_eq(v.why, HX_WHY_NONE);
    ck_assert_uint_eq(v.n, 1);
    ck_assert_uint_eq(v.v[0], 1);
    hx_code_free(&c);
}
END_TEST

START_TEST(predecessors_differ)
{
    static const uint8_t b[] = {
        0x85, 0xff,                   /* 1000: test %edi,%edi */
        0x74, 0x07,                   /* 1002: je 0x100b */
        0xb8, 0x01, 0x00, 0x00, 0x00, /* 1004: mov $0x1,%eax */
        0xeb, 0x05,                   /* 1009: jmp 0x1010 */
        0xb8, 0x3c, 0x00, 0x00, 0x00, /* 100b: mov $0x3c,%eax */
        0x0f, 0x05,                   /* 1010: syscall */
        0xc3,                         /* 1012: ret */
    };
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, sizeof(b), NULL, 0);
    infer_at(&c, 0x1010, &v);
    ck_assert_int_eq(v.why, HX_WHY_NONE);
    ck_assert_uint_eq(v.n, 2); /* both, sorted */
    ck_assert_uint_eq(v.v[0], 1);
    ck_assert_uint_eq(v.v[1], 60);
    hx_code_free(&c);
}
END_TEST

START_TEST(memory_is_unresolved)
{
    static const uint8_t b[] = {
        0x8b, 0x07, /* 1000: mov (%rdi),%eax */
        0x0f, 0x05, /* 1002: syscall */
        0xc3,       /* 1004: ret */
    };
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, sizeof(b), NULL, 0);
    infer_at(&c, 0x1002, &v);
    ck_assert_int_eq(v.why, HX_WHY_MEMORY);
    ck_assert_uint_eq(v.why_at, 0x1000);
    ck_assert_uint_eq(v.n, 0);
    hx_code_free(&c);
}
END_TEST

START_TEST(memory_on_one_path)
{
    static const uint8_t b[] = {
        0x85, 0xf6,                   /* 1000: test %esi,%esi */
        0x74, 0x04,                   /* 1002: je 0x1008 */
        0x8b, 0x07,                   /* 1004: mov (%rdi),%eax */
        0xeb, 0x05,                   /* 1006: jmp 0x100d */
        0xb8, 0x27, 0x00, 0x00, 0x00, /* 1008: mov $0x27,%eax */
        0x0f, 0x05,                   /* 100d: syscall */
        0xc3,                         /* 100f: ret */
    };
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, sizeof(b), NULL, 0);
    infer_at(&c, 0x100d, &v);
    /* The constant path counts, but the site stays unresolved. */
    ck_assert_int_eq(v.why, HX_WHY_MEMORY);
    ck_assert_uint_eq(v.n, 1);
    ck_assert_uint_eq(v.v[0], 39);
    hx_code_free(&c);
}
END_TEST

START_TEST(changed_in_loop_is_unresolved)
{
    static const uint8_t b[] = {
        0x31, 0xc0,       /* 1000: xor %eax,%eax */
        0x83, 0xc0, 0x01, /* 1002: add $0x1,%eax */
        0x39, 0xf8,       /* 1005: cmp %edi,%eax */
        0x75, 0xf9,       /* 1007: jne 0x1002 */
        0x0f, 0x05,       /* 1009: syscall */
        0xc3,             /* 100b: ret */
    };
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, sizeof(b), NULL, 0);
    infer_at(&c, 0x1009, &v);
    ck_assert_int_eq(v.why, HX_WHY_LIMIT);
    hx_code_free(&c);
}
END_TEST

START_TEST(partial_and_arithmetic)
{
    static const uint8_t b[] = {
        0x31, 0xc0,                   /* 1000: xor %eax,%eax */
        0xb0, 0x3c,                   /* 1002: mov $0x3c,%al */
        0x0f, 0x05,                   /* 1004: syscall */
        0xbf, 0x22, 0x00, 0x00, 0x00, /* 1006: mov $0x22,%edi */
        0x8d, 0x47, 0x05,             /* 100b: lea 0x5(%rdi),%eax */
        0x0f, 0x05,                   /* 100e: syscall */
        0xc3,                         /* 1010: ret */
    };
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, sizeof(b), NULL, 0);
    infer_at(&c, 0x1004, &v);
    ck_assert_int_eq(v.why, HX_WHY_NONE);
    ck_assert_uint_eq(v.n, 1);
    ck_assert_uint_eq(v.v[0], 60);
    infer_at(&c, 0x100e, &v);
    ck_assert_int_eq(v.why, HX_WHY_NONE);
    ck_assert_uint_eq(v.n, 1);
    ck_assert_uint_eq(v.v[0], 39);
    hx_code_free(&c);
}
END_TEST

START_TEST(zero_test_edge)
{
    /* musl's __stdio_read: rax is known to be 0 where "je" lands. */
    static const uint8_t b[] = {
        0x48, 0x85, 0xc0,             /* 1000: test %rax,%rax */
        0x74, 0x05,                   /* 1003: je 0x100a */
        0xb8, 0x13, 0x00, 0x00, 0x00, /* 1005: mov $0x13,%eax */
        0x0f, 0x05,                   /* 100a: syscall */
        0xc3,                         /* 100c: ret */
    };
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, sizeof(b), NULL, 0);
    infer_at(&c, 0x100a, &v);
    ck_assert_int_eq(v.why, HX_WHY_NONE);
    ck_assert_uint_eq(v.n, 2);
    ck_assert_uint_eq(v.v[0], 0);
    ck_assert_uint_eq(v.v[1], 19);
    hx_code_free(&c);
}
END_TEST

/* glibc's syscall(): the number is the first argument. */
static const uint8_t wrapper_and_callers[] = {
    0x48, 0x89, 0xf8,             /* 1000: mov %rdi,%rax */
    0x48, 0x89, 0xf7,             /* 1003: mov %rsi,%rdi */
    0x0f, 0x05,                   /* 1006: syscall */
    0xc3,                         /* 1008: ret */
    0xbf, 0x27, 0x00, 0x00, 0x00, /* 1009: mov $0x27,%edi */
    0xe8, 0xed, 0xff, 0xff, 0xff, /* 100e: call 0x1000 */
    0xbf, 0xba, 0x00, 0x00, 0x00, /* 1013: mov $0xba,%edi */
    0xe8, 0xe3, 0xff, 0xff, 0xff, /* 1018: call 0x1000 */
    0xc3,                         /* 101d: ret */
};

START_TEST(wrapper_entry)
{
    static const uint64_t caller[] = {0x1009};
    struct hx_code c;
    struct hx_values v;
    make_code(&c, wrapper_and_callers, sizeof(wrapper_and_callers), caller, 1);
    infer_at(&c, 0x1006, &v);
    ck_assert_int_eq(v.why, HX_WHY_NONE);
    ck_assert_uint_eq(v.n, 0);
    ck_assert_uint_eq(v.nentry, 1);
    ck_assert_uint_eq(v.entry[0].func, 0x1000);
    ck_assert_uint_eq(v.entry[0].reg, HX_RDI);
    hx_code_free(&c);
}
END_TEST

static const struct hx_site *site_at(const struct hx_scan *sc, uint32_t obj, uint64_t addr)
{
    for (size_t i = 0; i < sc->nsites; i++)
        if (sc->sites[i].obj == obj && sc->sites[i].addr == addr)
            return &sc->sites[i];
    ck_abort_msg("no site at %#llx", (unsigned long long)addr);
    return NULL;
}

START_TEST(wrapper_resolved_at_callers)
{
    static const uint64_t caller[] = {0x1009};
    struct hx_code c;
    struct hx_scan sc;
    make_code(&c, wrapper_and_callers, sizeof(wrapper_and_callers), caller, 1);
    hx_scan_init(&sc);
    ck_assert_int_eq(hx_scan_add(&sc, &c), 0);
    ck_assert_int_eq(hx_scan_run(&sc), 0);

    const struct hx_site *s = site_at(&sc, 0, 0x1006);
    ck_assert_int_eq(s->kind, HX_SITE_SYSCALL);
    ck_assert(s->wrapper);
    s = site_at(&sc, 0, 0x100e);
    ck_assert_int_eq(s->kind, HX_SITE_CALL);
    ck_assert_uint_eq(s->n, 1);
    ck_assert_uint_eq(s->nr[0], 39);
    s = site_at(&sc, 0, 0x1018);
    ck_assert_uint_eq(s->n, 1);
    ck_assert_uint_eq(s->nr[0], 186);
    ck_assert_uint_eq(sc.nwrappers, 1);
    ck_assert_uint_eq(sc.wrappers[0].ncallers, 2);
    ck_assert_uint_eq(sc.nunresolved, 0);
    hx_scan_free(&sc);
}
END_TEST

START_TEST(wrapper_in_other_object)
{
    /* Object 1 calls object 0's exported "syscall" through a GOT slot. */
    static const uint8_t caller[] = {
        0xbf, 0x27, 0x00, 0x00, 0x00,       /* 5000: mov $0x27,%edi */
        0xff, 0x15, 0xf5, 0x0f, 0x00, 0x00, /* 5005: call *0xff5(%rip)  # 0x6000 */
        0xc3,                               /* 500b: ret */
    };
    struct hx_code lib, prog;
    struct hx_scan sc;
    hx_code_init(&lib, "lib");
    ck_assert_int_eq(hx_code_add_range(&lib, BASE, wrapper_and_callers, 9, 0), 0);
    ck_assert_int_eq(hx_code_add_func(&lib, BASE, 9, "syscall", HX_FUNC_ENTRY | HX_FUNC_EXPORTED),
                     0);
    ck_assert_int_eq(hx_code_decode(&lib, &dis), 0);
    hx_code_init(&prog, "prog");
    ck_assert_int_eq(hx_code_add_range(&prog, 0x5000, caller, sizeof(caller), 0), 0);
    ck_assert_int_eq(hx_code_add_func(&prog, 0x5000, 0, "main", HX_FUNC_ENTRY), 0);
    ck_assert_int_eq(hx_code_add_got(&prog, 0x6000, "syscall"), 0);
    ck_assert_int_eq(hx_code_decode(&prog, &dis), 0);

    hx_scan_init(&sc);
    ck_assert_int_eq(hx_scan_add(&sc, &prog), 0); /* load order: program first */
    ck_assert_int_eq(hx_scan_add(&sc, &lib), 0);
    ck_assert_int_eq(hx_scan_run(&sc), 0);
    const struct hx_site *s = site_at(&sc, 0, 0x5005);
    ck_assert_int_eq(s->kind, HX_SITE_CALL);
    ck_assert_uint_eq(s->n, 1);
    ck_assert_uint_eq(s->nr[0], 39);
    ck_assert_uint_eq(sc.nunresolved, 0);
    hx_scan_free(&sc);
}
END_TEST

/* The wrapper alone, exported (callable from objects not loaded) or with
 * its address taken (callable through pointers): its numbers are unknown. */
START_TEST(wrapper_without_callers_is_unresolved)
{
    struct hx_code c;
    struct hx_scan sc;
    hx_code_init(&c, "lib");
    ck_assert_int_eq(hx_code_add_range(&c, BASE, wrapper_and_callers, 9, 0), 0);
    ck_assert_int_eq(hx_code_add_func(&c, BASE, 9, "syscall", HX_FUNC_ENTRY | HX_FUNC_EXPORTED), 0);
    ck_assert_int_eq(hx_code_decode(&c, &dis), 0);
    hx_scan_init(&sc);
    ck_assert_int_eq(hx_scan_add(&sc, &c), 0);
    ck_assert_int_eq(hx_scan_run(&sc), 0);
    ck_assert_uint_eq(sc.nunresolved, 1);
    ck_assert_uint_eq(sc.unresolved[0].addr, 0x1000);
    ck_assert_int_eq(sc.unresolved[0].why, HX_WHY_NOCALLERS);
    hx_scan_free(&sc);

    /* Not exported, but stored as a pointer by a relative relocation. */
    hx_code_init(&c, "lib");
    ck_assert_int_eq(
        hx_code_add_range(&c, BASE, wrapper_and_callers, sizeof(wrapper_and_callers), 0), 0);
    ck_assert_int_eq(hx_code_add_func(&c, BASE, 9, "f", HX_FUNC_ENTRY), 0);
    ck_assert_int_eq(hx_code_add_ref(&c, BASE), 0);
    ck_assert_int_eq(hx_code_decode(&c, &dis), 0);
    hx_scan_init(&sc);
    ck_assert_int_eq(hx_scan_add(&sc, &c), 0);
    ck_assert_int_eq(hx_scan_run(&sc), 0);
    ck_assert_uint_eq(sc.nunresolved, 1);
    ck_assert_int_eq(sc.unresolved[0].why, HX_WHY_ADDRTAKEN);
    hx_scan_free(&sc);
}
END_TEST

/* Each cmov between the same two registers nests a walk of the other's
 * value: a long chain of them (hostile input) must end in HX_WHY_LIMIT,
 * not in a stack overflow. */
START_TEST(cmov_chain_is_bounded)
{
    enum { PAIRS = 100000 };
    static const uint8_t mov[] = {0xb8, 0x3c, 0x00, 0x00, 0x00}; /* mov $0x3c,%eax */
    static const uint8_t pair[] = {
        0x48, 0x0f, 0x44, 0xc3, /* cmove %rbx,%rax */
        0x48, 0x0f, 0x44, 0xd8, /* cmove %rax,%rbx */
    };
    size_t n = sizeof(mov) + PAIRS * sizeof(pair) + 2;
    uint8_t *b = malloc(n), *p = b;
    ck_assert_ptr_nonnull(b);
    memcpy(p, mov, sizeof(mov));
    p += sizeof(mov);
    for (int i = 0; i < PAIRS; i++, p += sizeof(pair))
        memcpy(p, pair, sizeof(pair));
    p[0] = 0x0f; /* syscall */
    p[1] = 0x05;
    struct hx_code c;
    struct hx_values v;
    make_code(&c, b, n, NULL, 0);
    infer_at(&c, BASE + n - 2, &v);
    ck_assert_int_eq(v.why, HX_WHY_LIMIT);
    hx_code_free(&c);
    free(b);
}
END_TEST

START_TEST(syscall_table_names)
{
    ck_assert_str_eq(hx_sys_name(0), "read");
    ck_assert_str_eq(hx_sys_name(60), "exit");
    ck_assert(hx_sys_supported(60));
    ck_assert_ptr_null(hx_sys_name(100000));
    ck_assert(!hx_sys_supported(100000));
}
END_TEST

/* An ld.so.cache in the new format with an i386 entry (skipped), a
 * hwcaps variant and the plain x86-64 entry for the same name. */
static size_t make_cache(unsigned char *buf)
{
    static const char strings[] = "libfoo.so.1\0/lib32/libfoo.so.1\0/hw/libfoo.so.1\0"
                                  "/lib/x86_64-linux-gnu/libfoo.so.1";
    const uint32_t nlibs = 3, strbase = 48 + 3 * 24;
    const struct {
        int32_t flags;
        uint32_t value;
        uint64_t hwcap;
    } e[] = {{0x0003, 12, 0}, {0x0303, 31, 1ull << 62}, {0x0303, 47, 0}};
    memset(buf, 0, 512);
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): the magic has none */
    memcpy(buf, "glibc-ld.so.cache1.1", 20);
    memcpy(buf + 20, &nlibs, 4);
    for (uint32_t i = 0; i < nlibs; i++) {
        unsigned char *p = buf + 48 + 24 * i;
        uint32_t key = strbase, value = strbase + e[i].value;
        memcpy(p, &e[i].flags, 4);
        memcpy(p + 4, &key, 4);
        memcpy(p + 8, &value, 4);
        memcpy(p + 16, &e[i].hwcap, 8);
    }
    memcpy(buf + strbase, strings, sizeof(strings));
    return strbase + sizeof(strings);
}

START_TEST(ld_so_cache_lookup)
{
    unsigned char buf[512];
    char out[128];
    size_t n = make_cache(buf);
    ck_assert_int_eq(hx_ldcache_lookup_mem(buf, n, "libfoo.so.1", 0, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "/lib/x86_64-linux-gnu/libfoo.so.1");
    ck_assert_int_eq(hx_ldcache_lookup_mem(buf, n, "libbar.so.1", 0, out, sizeof(out)), -1);
    /* Cut inside the strings: no entry left with a whole path. */
    ck_assert_int_eq(hx_ldcache_lookup_mem(buf, n - 60, "libfoo.so.1", 0, out, sizeof(out)), -1);
}
END_TEST

START_TEST(origin_expansion)
{
    char *s = hx_expand_origin("$ORIGIN/../lib:${ORIGIN}/x:/opt/$LIB", "/usr/bin");
    ck_assert_str_eq(s, "/usr/bin/../lib:/usr/bin/x:/opt/lib/x86_64-linux-gnu");
    free(s);
}
END_TEST

static int collect(void *ctx, uint64_t start)
{
    uint64_t *out = ctx;
    out[out[0]++ + 1] = start;
    return 0;
}

START_TEST(eh_frame_starts)
{
    /* A CIE with augmentation "zR", pointer encoding pcrel|sdata4 (0x1b),
     * then an FDE for 0x1000 in a section at 0x2000. */
    static const uint8_t eh[] = {
        0x14, 0, 0, 0, 0, 0,    0, 0, 1, 'z',  'R', 0, 1, 0x78, 0x10, 1,    0x1b, 0, 0,
        0,    0, 0, 0, 0, 0x10, 0, 0, 0, 0x1c, 0,   0, 0, 0xe0, 0xef, 0xff, 0xff, /* 0x1000 - 0x2020
                                                                                   */
        0x10, 0, 0, 0, 0, 0,    0, 0, /* pc_range, no augmentation data, padding */
        0,    0, 0, 0,                /* terminator */
    };
    uint64_t out[4] = {0};
    ck_assert_int_eq(hx_eh_frame_starts(eh, sizeof(eh), 0x2000, collect, out), 0);
    ck_assert_uint_eq(out[0], 1);
    ck_assert_uint_eq(out[1], 0x1000);
}
END_TEST

Suite *scan_suite(void)
{
    Suite *s = suite_create("scan");
    TCase *t = tcase_create("infer");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, immediate);
    tcase_add_test(t, register_copy);
    tcase_add_test(t, predecessors_agree);
    tcase_add_test(t, predecessors_differ);
    tcase_add_test(t, memory_is_unresolved);
    tcase_add_test(t, memory_on_one_path);
    tcase_add_test(t, changed_in_loop_is_unresolved);
    tcase_add_test(t, partial_and_arithmetic);
    tcase_add_test(t, zero_test_edge);
    tcase_add_test(t, cmov_chain_is_bounded);
    suite_add_tcase(s, t);

    t = tcase_create("wrappers");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, wrapper_entry);
    tcase_add_test(t, wrapper_resolved_at_callers);
    tcase_add_test(t, wrapper_in_other_object);
    tcase_add_test(t, wrapper_without_callers_is_unresolved);
    suite_add_tcase(s, t);

    t = tcase_create("objects");
    tcase_add_test(t, syscall_table_names);
    tcase_add_test(t, ld_so_cache_lookup);
    tcase_add_test(t, origin_expansion);
    tcase_add_test(t, eh_frame_starts);
    suite_add_tcase(s, t);
    return s;
}
