/* Basic blocks and predecessors over one object's instructions. Jump tables
 * are recovered so that switch cases have their real predecessors. Where the
 * graph cannot be complete -- a table load whose table is not found, a branch
 * into the middle of an instruction, bytes Capstone cannot decode -- the
 * function is marked opaque: any of its instructions may be reached from
 * somewhere unknown, and the inference gives up inside it rather than miss a
 * path. Blocks nothing is seen to reach (only an indirect jump can) are
 * marked unknown the same way. */
#include "cfg.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TABLE_ENTRIES 2048

struct edge {
    uint32_t from, to; /* instruction indices while collecting, then blocks */
};

struct edges {
    struct edge *v;
    size_t n, cap;
};

static int add_edge(struct edges *e, uint32_t from, uint32_t to)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 4096;
        struct edge *v = realloc(e->v, cap * sizeof(*v));
        if (!v)
            return -1;
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] = (struct edge){from, to};
    return 0;
}

int hx_cfg_noreturn_name(const char *name)
{
    static const char *const names[] = {
        "abort",
        "exit",
        "_exit",
        "_Exit",
        "quick_exit",
        "__stack_chk_fail",
        "__assert_fail",
        "__assert_perror_fail",
        "__fortify_fail",
        "__chk_fail",
        "__libc_fatal",
        "err",
        "errx",
        "verr",
        "verrx",
        "__cxa_throw",
        "__cxa_rethrow",
        "_Unwind_Resume",
        "longjmp",
        "siglongjmp",
        "_longjmp",
        "__longjmp_chk",
        "pthread_exit",
        "__cxa_bad_cast",
        "__cxa_bad_typeid",
        "__cxa_throw_bad_array_new_length",
        "__stack_chk_fail_local",
    };
    if (!name)
        return 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* A direct call to a function known not to return. */
static int is_noreturn_call(const struct hx_code *c, size_t i)
{
    const struct hx_insn *in = &c->insns.v[i];
    if (in->flow != HX_FLOW_CALL)
        return 0;
    long f = hx_code_func_of(c, in->target);
    if (f >= 0 && c->funcs[f].addr == in->target &&
        (c->func_noreturn[f] || hx_cfg_noreturn_name(c->funcs[f].name)))
        return 1;
    return hx_cfg_noreturn_name(hx_code_call_name(c, i));
}

/* A function never returns when nothing in it can leave it: no ret, no
 * indirect jump, no jump outside it, and its last instruction does not run
 * on into the next function (a call there is a call to another function that
 * does not return: _dl_fatal_printf ending in _exit). */
static void find_noreturn(struct hx_code *c)
{
    for (size_t f = 0; f < c->nfuncs; f++) {
        uint64_t lo = c->funcs[f].addr, hi = f + 1 < c->nfuncs ? c->funcs[f + 1].addr : UINT64_MAX;
        long i = hx_code_insn_at(c, lo);
        if (i < 0)
            continue;
        int leaves = 0;
        const struct hx_insn *last = NULL;
        for (size_t k = (size_t)i; k < c->insns.n && c->insns.v[k].addr < hi && !leaves; k++) {
            const struct hx_insn *in = &c->insns.v[k];
            if (in->flow == HX_FLOW_RET || in->flow == HX_FLOW_IJMP ||
                ((in->flow == HX_FLOW_JMP || in->flow == HX_FLOW_JCC) &&
                 (in->target < lo || in->target >= hi)))
                leaves = 1;
            /* Undecodable bytes inside: what they hide may leave. */
            if (k > (size_t)i && in->gap)
                leaves = 1;
            if (!in->pad)
                last = in;
            if (k + 1 < c->insns.n && c->insns.v[k + 1].addr != in->addr + in->len)
                break; /* the range ends: whatever follows is not this function */
        }
        if (!leaves && last &&
            (last->flow == HX_FLOW_CALL || last->flow == HX_FLOW_STOP || last->flow == HX_FLOW_JMP))
            c->func_noreturn[f] = 1;
    }
}

/* Whether control may continue with the next instruction. */
static int falls_through(const struct hx_code *c, size_t i)
{
    switch (c->insns.v[i].flow) {
    case HX_FLOW_NEXT:
    case HX_FLOW_JCC:
    case HX_FLOW_ICALL:
        return 1;
    case HX_FLOW_CALL:
        return !is_noreturn_call(c, i);
    default:
        return 0;
    }
}

/* The address range of the function containing instruction i. */
static void func_region(const struct hx_code *c, size_t i, uint64_t *lo, uint64_t *hi)
{
    long f = hx_code_func_of(c, c->insns.v[i].addr);
    *lo = f >= 0 ? c->funcs[f].addr : 0;
    *hi = f >= 0 && (size_t)f + 1 < c->nfuncs ? c->funcs[f + 1].addr : UINT64_MAX;
}

static int in_code(const struct hx_code *c, uint64_t addr)
{
    for (size_t i = 0; i < c->nranges; i++)
        if (addr - c->ranges[i].addr < c->ranges[i].size)
            return 1;
    return 0;
}

/* Reads a jump table at base: 4-byte offsets from base (rel) or 8-byte
 * addresses. Reading stops at the first entry that is not an instruction
 * start; the first entry must land in the function [lo, hi), else this is
 * not a table of this jump. Adds an edge from jmp to every target; returns
 * the number of entries, or -1 when out of memory. Reading past the end of
 * the real table only adds spurious edges, which cost precision, never
 * soundness. */
static long read_table(const struct hx_code *c, size_t jmp, uint64_t base, int rel, uint64_t lo,
                       uint64_t hi, struct edges *e)
{
    long n = 0;
    for (; n < MAX_TABLE_ENTRIES; n++) {
        uint64_t target;
        if (rel) {
            int32_t off;
            if (hx_code_read(c, base + 4 * (uint64_t)n, &off, 4))
                break;
            target = base + (uint64_t)(int64_t)off;
        } else if (hx_code_read(c, base + 8 * (uint64_t)n, &target, 8)) {
            break;
        }
        long t = hx_code_insn_at(c, target);
        if (t < 0 || (n == 0 && (target < lo || target >= hi)))
            break;
        if (add_edge(e, (uint32_t)jmp, (uint32_t)t))
            return -1;
    }
    return n;
}

static void make_opaque(struct hx_code *c, uint64_t addr)
{
    long f = hx_code_func_of(c, addr);
    if (f >= 0)
        c->func_opaque[f] = 1;
}

/* The candidate jump tables of one function, computed once for all its
 * indirect jumps (an interpreter loop may have a hundred). */
struct tables {
    long func; /* -1: none yet */
    struct table {
        uint64_t base;
        int rel; /* 4-byte offsets from base, else 8-byte addresses */
    } * v;
    size_t n, cap;
};

static int add_table(struct tables *t, uint64_t base, int rel)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct table *v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return -1;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = (struct table){base, rel};
    return 0;
}

/* What the function [first, hi) computes as table bases: lea T(%rip) of
 * data into a register that then indexes memory (PIC code), and T(,%idx,8)
 * operands (position-dependent code). */
static int function_tables(const struct hx_code *c, long f, size_t first, uint64_t hi,
                           struct tables *t)
{
    if (t->func == f)
        return 0;
    t->func = f;
    t->n = 0;
    uint16_t bases = 0;
    for (size_t i = first; i < c->insns.n && c->insns.v[i].addr < hi; i++)
        if (c->insns.v[i].indexed && c->insns.v[i].idx_base < HX_NREGS)
            bases |= HX_REGBIT(c->insns.v[i].idx_base);
    for (size_t i = first; i < c->insns.n && c->insns.v[i].addr < hi; i++) {
        const struct hx_insn *in = &c->insns.v[i];
        if (in->lea_rip && !in_code(c, (uint64_t)in->imm) && (bases & HX_REGBIT(in->dst)) &&
            add_table(t, (uint64_t)in->imm, 1))
            return -1;
        if (in->table_abs && add_table(t, in->mem_addr, 0))
            return -1;
    }
    return 0;
}

/* Finds the targets of the indirect jump at instruction j in every
 * candidate table of its function. No table found means a tail call through
 * a pointer, unless the jump's own block loads from an indexed address: then
 * it is a table this reader does not understand, and the function becomes
 * opaque. */
static int jump_table(struct hx_code *c, size_t j, struct tables *t, struct edges *e)
{
    const struct hx_insn *jmp = &c->insns.v[j];
    if (jmp->ijmp == HX_IJMP_RIP || jmp->ijmp == HX_IJMP_BASE)
        return 0; /* through the GOT or a structure: a tail call */
    uint64_t lo, hi;
    func_region(c, j, &lo, &hi);
    long first = hx_code_insn_at(c, lo);
    if (first < 0)
        first = (long)j;
    if (function_tables(c, hx_code_func_of(c, jmp->addr), (size_t)first, hi, t))
        return -1;
    long found = 0;
    for (size_t k = 0; k < t->n; k++) {
        long n = read_table(c, j, t->v[k].base, t->v[k].rel, lo, hi, e);
        if (n < 0)
            return -1;
        found += n;
    }
    if (found)
        return 0;
    for (size_t i = j + 1, k = 0; i-- > (size_t)first && k < 8; k++) {
        const struct hx_insn *in = &c->insns.v[i];
        if (in->indexed) {
            make_opaque(c, jmp->addr);
            break;
        }
        if (i != j && in->flow != HX_FLOW_NEXT)
            break;
    }
    return 0;
}

/* The instruction containing addr (which is not an instruction start), or -1. */
static long covering_insn(const struct hx_code *c, uint64_t addr)
{
    size_t lo = 0, hi = c->insns.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->insns.v[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return -1;
    const struct hx_insn *in = &c->insns.v[lo - 1];
    return addr - in->addr < in->len ? (long)lo - 1 : -1;
}

static int is_prefix_byte(uint8_t b)
{
    return b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x3e || b == 0x26 ||
           b == 0x64 || b == 0x65 || b == 0x36 || b == 0x66 || b == 0x67;
}

static int code_byte(const struct hx_code *c, uint64_t addr, uint8_t *b)
{
    for (size_t i = 0; i < c->nranges; i++)
        if (addr - c->ranges[i].addr < c->ranges[i].size) {
            *b = c->ranges[i].bytes[addr - c->ranges[i].addr];
            return 0;
        }
    return -1;
}

/* A branch to target, which is not an instruction start. glibc jumps over a
 * lock prefix ("je 1f; lock; 1: cmpxchg"): the instruction is the same
 * without it, so the branch goes to the containing instruction. Anything
 * else means code this decoding does not see: its function becomes opaque.
 * Returns the instruction to branch to, or -1. */
static long misaligned_target(struct hx_code *c, uint64_t target)
{
    long k = covering_insn(c, target);
    if (k < 0) {
        if (in_code(c, target)) {
            c->misaligned++;
            make_opaque(c, target);
        }
        return -1;
    }
    for (uint64_t a = c->insns.v[k].addr; a < target; a++) {
        uint8_t b;
        if (code_byte(c, a, &b) || !is_prefix_byte(b)) {
            c->misaligned++;
            make_opaque(c, target);
            return -1;
        }
    }
    return k;
}

static int cmp_edge_to(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    return x->from < y->from ? -1 : x->from > y->from;
}

/* Marks leaders and collects branch edges (instruction to instruction). */
static int find_leaders(struct hx_code *c, uint8_t *leader, struct edges *e)
{
    size_t n = c->insns.n;
    struct tables tables = {-1, NULL, 0, 0};
    int rc = 0;
    for (size_t i = 0; i < c->nfuncs; i++) {
        long k = hx_code_insn_at(c, c->funcs[i].addr);
        if (k >= 0)
            leader[k] = 1;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const struct hx_insn *in = &c->insns.v[i];
        if (i == 0 || in->gap || c->insns.v[i - 1].addr + c->insns.v[i - 1].len != in->addr)
            leader[i] = 1;
        if (i + 1 < n && !falls_through(c, i))
            leader[i + 1] = 1;
        if (in->flow == HX_FLOW_JCC && i + 1 < n)
            leader[i + 1] = 1;
        if (in->flow == HX_FLOW_JMP || in->flow == HX_FLOW_JCC) {
            long t = hx_code_insn_at(c, in->target);
            if (t < 0)
                t = misaligned_target(c, in->target);
            if (t >= 0) {
                leader[t] = 1;
                rc = add_edge(e, (uint32_t)i, (uint32_t)t);
            }
        }
        if (in->flow == HX_FLOW_CALL && hx_code_insn_at(c, in->target) < 0)
            misaligned_target(c, in->target);
        /* Bytes Capstone could not decode inside a function: what is
         * really there is unknown. */
        if (in->gap) {
            long f = hx_code_func_of(c, in->addr);
            if (f >= 0 && c->funcs[f].addr != in->addr)
                c->func_opaque[f] = 1;
        }
        if (in->flow == HX_FLOW_IJMP && !rc) {
            size_t before = e->n;
            rc = jump_table(c, i, &tables, e);
            for (size_t k = before; k < e->n; k++)
                leader[e->v[k].to] = 1;
        }
    }
    free(tables.v);
    return rc;
}

int hx_cfg_build(struct hx_code *c)
{
    size_t n = c->insns.n;
    uint8_t *leader = calloc(n ? n : 1, 1);
    struct edges e = {0};
    c->func_opaque = calloc(c->nfuncs ? c->nfuncs : 1, 1);
    c->func_noreturn = calloc(c->nfuncs ? c->nfuncs : 1, 1);
    c->insn_block = malloc((n ? n : 1) * sizeof(*c->insn_block));
    if (!leader || !c->func_opaque || !c->func_noreturn || !c->insn_block)
        goto oom;
    find_noreturn(c);
    if (find_leaders(c, leader, &e))
        goto oom;

    size_t nb = 0;
    for (size_t i = 0; i < n; i++)
        nb += leader[i];
    c->blocks = calloc(nb ? nb : 1, sizeof(*c->blocks));
    if (!c->blocks)
        goto oom;
    c->nblocks = 0;
    for (size_t i = 0; i < n; i++) {
        if (leader[i]) {
            struct hx_block *b = &c->blocks[c->nblocks++];
            b->first = (uint32_t)i;
            long f = hx_code_func_of(c, c->insns.v[i].addr);
            b->func = f >= 0 ? (uint32_t)f : UINT32_MAX;
            b->entry =
                f >= 0 && c->funcs[f].addr == c->insns.v[i].addr && hx_func_is_entry(&c->funcs[f]);
            b->unknown = c->insns.v[i].gap;
        }
        c->blocks[c->nblocks - 1].end = (uint32_t)i + 1;
        c->insn_block[i] = (uint32_t)(c->nblocks - 1);
    }

    /* Fall-through edges, then everything as block to block. */
    for (size_t b = 1; b < c->nblocks; b++) {
        uint32_t last = c->blocks[b - 1].end - 1, first = c->blocks[b].first;
        const struct hx_insn *l = &c->insns.v[last];
        if (l->addr + l->len == c->insns.v[first].addr && !c->insns.v[first].gap &&
            falls_through(c, last) && add_edge(&e, last, first))
            goto oom;
    }
    for (size_t k = 0; k < e.n; k++) {
        e.v[k].from = c->insn_block[e.v[k].from];
        e.v[k].to = c->insn_block[e.v[k].to];
    }
    if (e.n)
        qsort(e.v, e.n, sizeof(*e.v), cmp_edge_to);
    c->preds = malloc((e.n ? e.n : 1) * sizeof(*c->preds));
    if (!c->preds)
        goto oom;
    c->npreds = 0;
    for (size_t k = 0; k < e.n; k++) {
        if (k && e.v[k].to == e.v[k - 1].to && e.v[k].from == e.v[k - 1].from)
            continue; /* a table may list a case twice */
        struct hx_block *b = &c->blocks[e.v[k].to];
        if (!b->npred)
            b->pred = (uint32_t)c->npreds;
        b->npred++;
        c->preds[c->npreds++] = e.v[k].from;
    }
    /* Reached by no known edge and not a function entry: only an indirect
     * jump can get here, from anywhere. Except padding: nops or int3 that
     * nothing jumps to are dead, and add nothing to the block after them. */
    for (size_t b = 0; b < c->nblocks; b++) {
        struct hx_block *k = &c->blocks[b];
        if (k->npred || k->entry)
            continue;
        int padding = 1;
        for (uint32_t i = k->first; i < k->end && padding; i++)
            padding = c->insns.v[i].pad;
        k->unknown = !padding;
    }
    free(leader);
    free(e.v);
    return 0;
oom:
    free(leader);
    free(e.v);
    return -1;
}
