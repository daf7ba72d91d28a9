/* Unit tests for hxrewrite's patcher (rewriter/patch.c) on hand-assembled
 * functions: which bytes a site's patch covers, the exact trampoline, and
 * the sites it must leave alone. Byte arrays are listed with their
 * disassembly (objdump -D -b binary -mi386:x86-64 --adjust-vma=0x1000). */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "../../rewriter/patch.h"
#include "suites.h"

#define BASE 0x1000
#define TRAMP 0x10000

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

/* Decodes bytes at BASE as one function, scans it and plans its patches
 * with trampolines at tramp. */
static void plan_pad(struct hx_scan *sc, struct hx_patch_plan *p, const uint8_t *bytes, size_t n,
                     uint64_t tramp, uint64_t pad)
{
    struct hx_code c;
    hx_code_init(&c, "test");
    ck_assert_int_eq(hx_code_add_range(&c, BASE, bytes, n, 0), 0);
    ck_assert_int_eq(hx_code_add_func(&c, BASE, 0, "f", HX_FUNC_ENTRY), 0);
    if (pad)
        ck_assert_int_eq(hx_code_add_pad(&c, pad), 0);
    ck_assert_int_eq(hx_code_decode(&c, &dis), 0);
    hx_scan_init(sc);
    ck_assert_int_eq(hx_scan_add(sc, &c), 0);
    ck_assert_int_eq(hx_scan_run(sc), 0);
    ck_assert_int_eq(hx_patch_plan(sc, 0, &dis, tramp, p), 0);
}

static void plan(struct hx_scan *sc, struct hx_patch_plan *p, const uint8_t *bytes, size_t n,
                 uint64_t tramp)
{
    plan_pad(sc, p, bytes, n, tramp, 0);
}

static void done(struct hx_scan *sc, struct hx_patch_plan *p)
{
    hx_patch_plan_free(p);
    hx_scan_free(sc);
}

/* The middle of every trampoline, placed at `at`, for the syscall
 * instruction at `site`. */
#define FASTCALL_LEN 27
static const uint8_t *fastcall(uint64_t at, uint64_t site)
{
    static uint8_t b[FASTCALL_LEN] = {
        0x48, 0x8d, 0x64, 0x24, 0x80,                  /* lea -0x80(%rsp),%rsp */
        0xff, 0x14, 0x25, 0x10, 0x00, 0x20, 0x80,      /* call *0xffffffff80200010 */
        0x0f, 0x1f, 0x80, 0,    0,    0,    0,         /* nopl SITE-.(%rax) */
        0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00 /* lea 0x80(%rsp),%rsp */
    };
    int32_t rel = (int32_t)(site - (at + 12));
    memcpy(b + 15, &rel, 4);
    return b;
}

/* A leaf function keeps a value in its red zone across the syscall: the
 * trampoline must move rsp past the red zone before its call pushes the
 * return address, and put it back before anything else runs. */
START_TEST(red_zone_leaf)
{
    static const uint8_t b[] = {
        0x48, 0x89, 0x7c, 0x24, 0xf8, /* 1000: mov %rdi,-0x8(%rsp) */
        0xb8, 0x27, 0x00, 0x00, 0x00, /* 1005: mov $0x27,%eax */
        0x0f, 0x05,                   /* 100a: syscall */
        0x48, 0x8b, 0x7c, 0x24, 0xf8, /* 100c: mov -0x8(%rsp),%rdi */
        0xc3,                         /* 1011: ret */
    };
    struct hx_scan sc;
    struct hx_patch_plan p;
    plan(&sc, &p, b, sizeof(b), TRAMP);
    ck_assert_uint_eq(p.nsites, 1);
    ck_assert_uint_eq(p.npatched, 1);
    const struct hx_patch_site *s = &p.sites[0];
    ck_assert_uint_eq(s->leave, HX_LEAVE_NONE);
    /* The fewest bytes: mov $0x27,%eax and the syscall. */
    ck_assert_uint_eq(s->start, 0x1005);
    ck_assert_uint_eq(s->end, 0x100c);
    ck_assert_uint_eq(s->tramp, TRAMP);
    /* mov $0x27,%eax; the fastcall; jmp 0x100c. */
    uint8_t want[5 + FASTCALL_LEN + 5] = {0xb8, 0x27, 0x00, 0x00, 0x00};
    memcpy(want + 5, fastcall(TRAMP + 5, 0x100a), FASTCALL_LEN);
    want[5 + FASTCALL_LEN] = 0xe9;
    int32_t rel = (int32_t)(0x100c - (TRAMP + sizeof(want)));
    memcpy(want + 6 + FASTCALL_LEN, &rel, 4);
    ck_assert_uint_ge(p.tramp_len, sizeof(want));
    ck_assert_mem_eq(p.tramp, want, sizeof(want));
    /* The site: jmp TRAMP, then int3 over the rest. */
    uint8_t site[7];
    hx_patch_site_bytes(s, site);
    rel = (int32_t)(TRAMP - (0x1005 + 5));
    ck_assert_uint_eq(site[0], 0xe9);
    ck_assert_mem_eq(site + 1, &rel, 4);
    ck_assert_uint_eq(site[5], 0xcc);
    ck_assert_uint_eq(site[6], 0xcc);
    done(&sc, &p);
}
END_TEST

/* A branch lands right after the syscall: the patch may not cover it, and
 * with only 4 movable bytes (xor before it, a conditional branch before
 * that) the site stays a syscall. */
START_TEST(branch_into_patch)
{
    static const uint8_t b[] = {
        0x85, 0xff, /* 1000: test %edi,%edi */
        0x75, 0x04, /* 1002: jne 0x1008 */
        0x31, 0xc0, /* 1004: xor %eax,%eax */
        0x0f, 0x05, /* 1006: syscall */
        0x89, 0xc2, /* 1008: mov %eax,%edx */
        0x89, 0xd0, /* 100a: mov %edx,%eax */
        0xc3,       /* 100c: ret */
    };
    struct hx_scan sc;
    struct hx_patch_plan p;
    plan(&sc, &p, b, sizeof(b), TRAMP);
    ck_assert_uint_eq(p.nsites, 1);
    ck_assert_uint_eq(p.npatched, 0);
    const struct hx_patch_site *s = &p.sites[0];
    ck_assert_uint_eq(s->leave, HX_LEAVE_ROOM);
    ck_assert_uint_eq(s->stop_before, HX_STOP_BRANCH);
    ck_assert_uint_eq(s->stop_before_at, 0x1002);
    ck_assert_uint_eq(s->stop_after, HX_STOP_TARGET);
    ck_assert_uint_eq(s->stop_after_at, 0x1008);
    ck_assert_uint_eq(p.tramp_len, 0);
    done(&sc, &p);
}
END_TEST

/* The same without the branch to 0x1008: the instruction after the
 * syscall moves into the trampoline, after the fastcall. */
START_TEST(displaced_after)
{
    static const uint8_t b[] = {
        0x85, 0xff, /* 1000: test %edi,%edi */
        0x75, 0x06, /* 1002: jne 0x100a */
        0x31, 0xc0, /* 1004: xor %eax,%eax */
        0x0f, 0x05, /* 1006: syscall */
        0x89, 0xc2, /* 1008: mov %eax,%edx */
        0x89, 0xd0, /* 100a: mov %edx,%eax */
        0xc3,       /* 100c: ret */
    };
    struct hx_scan sc;
    struct hx_patch_plan p;
    plan(&sc, &p, b, sizeof(b), TRAMP);
    ck_assert_uint_eq(p.npatched, 1);
    const struct hx_patch_site *s = &p.sites[0];
    ck_assert_uint_eq(s->start, 0x1004);
    ck_assert_uint_eq(s->end, 0x100a);
    uint8_t want[2 + FASTCALL_LEN + 2 + 5] = {0x31, 0xc0};
    memcpy(want + 2, fastcall(TRAMP + 2, 0x1006), FASTCALL_LEN);
    want[2 + FASTCALL_LEN] = 0x89;
    want[3 + FASTCALL_LEN] = 0xc2;
    want[4 + FASTCALL_LEN] = 0xe9;
    int32_t rel = (int32_t)(0x100a - (TRAMP + sizeof(want)));
    memcpy(want + 5 + FASTCALL_LEN, &rel, 4);
    ck_assert_mem_eq(p.tramp, want, sizeof(want));
    done(&sc, &p);
}
END_TEST

/* glibc jumps over lock prefixes ("je 1f; lock; 1: cmpxchg"): a branch
 * into the middle of an instruction. Covering that instruction would put
 * the branch inside the jmp rel32, so the site stays. */
START_TEST(branch_into_instruction)
{
    static const uint8_t b[] = {
        0x85, 0xff,             /* 1000: test %edi,%edi */
        0x74, 0x01,             /* 1002: je 0x1005 (inside the next instruction) */
        0xf0, 0x0f, 0xb1, 0x17, /* 1004: lock cmpxchg %edx,(%rdi) */
        0x0f, 0x05,             /* 1008: syscall */
        0xc3,                   /* 100a: ret */
    };
    struct hx_scan sc;
    struct hx_patch_plan p;
    plan(&sc, &p, b, sizeof(b), TRAMP);
    ck_assert_uint_eq(p.nsites, 1);
    ck_assert_uint_eq(p.npatched, 0);
    ck_assert_uint_eq(p.sites[0].leave, HX_LEAVE_INSIDE);
    ck_assert_uint_eq(p.sites[0].leave_at, 0x1005);
    ck_assert_uint_eq(p.tramp_len, 0);
    done(&sc, &p);
}
END_TEST

/* An exception landing pad is entered by the unwinder, from no branch the
 * code shows: the patch of displaced_after's site would cover one at
 * 0x1008, so the site stays. */
START_TEST(landing_pad_inside)
{
    static const uint8_t b[] = {
        0x85, 0xff, /* 1000: test %edi,%edi */
        0x75, 0x06, /* 1002: jne 0x100a */
        0x31, 0xc0, /* 1004: xor %eax,%eax */
        0x0f, 0x05, /* 1006: syscall */
        0x89, 0xc2, /* 1008: mov %eax,%edx (a landing pad) */
        0x89, 0xd0, /* 100a: mov %edx,%eax */
        0xc3,       /* 100c: ret */
    };
    struct hx_scan sc;
    struct hx_patch_plan p;
    plan_pad(&sc, &p, b, sizeof(b), TRAMP, 0x1008);
    ck_assert_uint_eq(p.npatched, 0);
    ck_assert_uint_eq(p.sites[0].leave, HX_LEAVE_INSIDE);
    ck_assert_uint_eq(p.sites[0].leave_at, 0x1008);
    done(&sc, &p);
}
END_TEST

/* musl's cancellable syscall: the signal handler compares the interrupted
 * pc with __cp_begin and __cp_end, the address right after the syscall,
 * which the code takes with lea. The patch ends at __cp_end, and the
 * trampoline's mark tells the kernel where the syscall was, which is the
 * pc it shows a handler for a restarted call. */
START_TEST(pc_range_check)
{
    static const uint8_t b[] = {
        0x48, 0x8d, 0x05, 0x08, 0x00, 0x00, 0x00, /* 1000: lea 0x8(%rip),%rax  # 0x100f */
        0xc3,                                     /* 1007: ret */
        0x4c, 0x89, 0x5c, 0x24, 0x08,             /* 1008: mov %r11,0x8(%rsp) */
        0x0f, 0x05,                               /* 100d: syscall */
        0xc3,                                     /* 100f: ret (__cp_end) */
    };
    struct hx_scan sc;
    struct hx_patch_plan p;
    plan(&sc, &p, b, sizeof(b), TRAMP);
    ck_assert_uint_eq(p.nsites, 1);
    ck_assert_uint_eq(p.npatched, 1);
    ck_assert_uint_eq(p.sites[0].start, 0x1008);
    ck_assert_uint_eq(p.sites[0].end, 0x100f);
    ck_assert_mem_eq(p.tramp, b + 8, 5);
    ck_assert_mem_eq(p.tramp + 5, fastcall(TRAMP + 5, 0x100d), FASTCALL_LEN);
    done(&sc, &p);
}
END_TEST

/* A displaced RIP-relative load keeps reading the same address from the
 * trampoline; out of reach, the site is left. */
START_TEST(rip_relative)
{
    static const uint8_t b[] = {
        0x8b, 0x05, 0xfa, 0x0f, 0x00, 0x00, /* 1000: mov 0xffa(%rip),%eax  # 0x2000 */
        0x0f, 0x05,                         /* 1006: syscall */
        0xc3,                               /* 1008: ret */
    };
    struct hx_scan sc;
    struct hx_patch_plan p;
    plan(&sc, &p, b, sizeof(b), TRAMP);
    ck_assert_uint_eq(p.npatched, 1);
    ck_assert_uint_eq(p.sites[0].start, 0x1000);
    ck_assert_uint_eq(p.sites[0].end, 0x1008);
    ck_assert_uint_eq(p.tramp[0], 0x8b);
    ck_assert_uint_eq(p.tramp[1], 0x05);
    int32_t disp;
    memcpy(&disp, p.tramp + 2, 4);
    ck_assert_uint_eq(TRAMP + 6 + (int64_t)disp, 0x2000);
    ck_assert_mem_eq(p.tramp + 6, fastcall(TRAMP + 6, 0x1006), FASTCALL_LEN);
    done(&sc, &p);

    plan(&sc, &p, b, sizeof(b), BASE + (3ull << 30));
    ck_assert_uint_eq(p.npatched, 0);
    ck_assert_uint_eq(p.sites[0].leave, HX_LEAVE_RELOC);
    ck_assert_uint_eq(p.tramp_len, 0);
    done(&sc, &p);
}
END_TEST

/* Numbers decide: rt_sigreturn, vfork and exit stay, clone is patched. */
START_TEST(policy_by_number)
{
    static const uint8_t b[] = {
        0xb8, 0x0f, 0x00, 0x00, 0x00, /* 1000: mov $0xf,%eax */
        0x0f, 0x05,                   /* 1005: syscall */
        0xb8, 0x3a, 0x00, 0x00, 0x00, /* 1007: mov $0x3a,%eax */
        0x0f, 0x05,                   /* 100c: syscall */
        0xb8, 0x38, 0x00, 0x00, 0x00, /* 100e: mov $0x38,%eax */
        0x0f, 0x05,                   /* 1013: syscall */
        0xb8, 0x3c, 0x00, 0x00, 0x00, /* 1015: mov $0x3c,%eax */
        0x0f, 0x05,                   /* 101a: syscall */
        0xf4,                         /* 101c: hlt */
    };
    struct hx_scan sc;
    struct hx_patch_plan p;
    plan(&sc, &p, b, sizeof(b), TRAMP);
    ck_assert_uint_eq(p.nsites, 4);
    ck_assert_uint_eq(p.sites[0].leave, HX_LEAVE_SIGRETURN);
    ck_assert_uint_eq(p.sites[1].leave, HX_LEAVE_FORK);
    ck_assert_uint_eq(p.sites[2].leave, HX_LEAVE_NONE);
    ck_assert_uint_eq(p.sites[2].start, 0x100e);
    ck_assert_uint_eq(p.sites[2].end, 0x1015);
    ck_assert_uint_eq(p.sites[3].leave, HX_LEAVE_EXIT);
    ck_assert_uint_eq(p.npatched, 1);
    done(&sc, &p);
}
END_TEST

/* Two syscalls close together: each patch covers its own bytes only. */
START_TEST(adjacent_sites)
{
    static const uint8_t b[] = {
        0xb8, 0x27, 0x00, 0x00, 0x00, /* 1000: mov $0x27,%eax */
        0x0f, 0x05,                   /* 1005: syscall */
        0x89, 0xc7,                   /* 1007: mov %eax,%edi */
        0x0f, 0x05,                   /* 1009: syscall */
        0x89, 0xc2,                   /* 100b: mov %eax,%edx */
        0x89, 0xd0,                   /* 100d: mov %edx,%eax */
        0xc3,                         /* 100f: ret */
    };
    struct hx_scan sc;
    struct hx_patch_plan p;
    plan(&sc, &p, b, sizeof(b), TRAMP);
    ck_assert_uint_eq(p.nsites, 2);
    ck_assert_uint_eq(p.npatched, 2);
    ck_assert_uint_eq(p.sites[0].start, 0x1000);
    ck_assert_uint_eq(p.sites[0].end, 0x1007);
    /* mov %eax,%edi is free: syscall, mov, mov after it. */
    ck_assert_uint_ge(p.sites[1].start, p.sites[0].end);
    ck_assert_uint_ge(p.sites[1].end - p.sites[1].start, 5);
    ck_assert_uint_le(p.sites[1].end, 0x100f);
    done(&sc, &p);
}
END_TEST

Suite *patch_suite(void)
{
    Suite *s = suite_create("patch");
    TCase *t = tcase_create("sites");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, red_zone_leaf);
    tcase_add_test(t, branch_into_patch);
    tcase_add_test(t, displaced_after);
    tcase_add_test(t, branch_into_instruction);
    tcase_add_test(t, landing_pad_inside);
    tcase_add_test(t, pc_range_check);
    tcase_add_test(t, rip_relative);
    tcase_add_test(t, policy_by_number);
    tcase_add_test(t, adjacent_sites);
    suite_add_tcase(s, t);
    return s;
}
