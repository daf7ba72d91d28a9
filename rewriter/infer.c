/* The backward walk. From the instruction of interest it goes back through
 * the block, following the register through copies and collecting the
 * arithmetic applied to it, until an instruction sets it to a constant (a
 * value), sets it in a way not followed (the result is incomplete), or the
 * block starts; then it continues at the end of every predecessor. A state is
 * (block, register, pending arithmetic); each is explored once, so loops that
 * only copy the value add nothing and loops that change it run into the
 * HX_MAX_OPS limit and give up. */
#include "infer.h"

#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 200000 /* instructions examined per query */
#define MAX_DEPTH 2000   /* nested walks: predecessors, cmov sources */
#define VISITED_SLOTS 8192

struct state {
    uint32_t block;
    uint8_t reg, nops;
    struct hx_op ops[HX_MAX_OPS];
};

struct walk {
    const struct hx_code *c;
    struct hx_values *out;
    size_t steps, depth;
    uint64_t *visited; /* hashes of states already explored, open addressing */
    size_t nvisited;
};

int hx_is_arg_reg(unsigned reg)
{
    return reg == HX_RDI || reg == HX_RSI || reg == HX_RDX || reg == HX_RCX || reg == HX_R8 ||
           reg == HX_R9;
}

static void give_up(struct walk *w, unsigned why, uint64_t at)
{
    if (w->out->why == HX_WHY_NONE) {
        w->out->why = (uint8_t)why;
        w->out->why_at = at;
    }
}

void hx_values_add(struct hx_values *out, uint64_t v)
{
    size_t i = 0;
    while (i < out->n && out->v[i] < v)
        i++;
    if (i < out->n && out->v[i] == v)
        return;
    if (out->n == HX_MAX_VALUES) {
        if (out->why == HX_WHY_NONE)
            out->why = HX_WHY_LIMIT;
        return;
    }
    memmove(&out->v[i + 1], &out->v[i], (out->n - i) * sizeof(out->v[0]));
    out->v[i] = v;
    out->n++;
}

uint64_t hx_ops_apply(const struct hx_op *ops, size_t nops, uint64_t v)
{
    for (size_t k = nops; k-- > 0;) {
        const struct hx_op *o = &ops[k];
        unsigned sh = (unsigned)o->imm & (o->width == 4 ? 31u : 63u);
        switch (o->alu) {
        case HX_ALU_ADD:
            v += (uint64_t)o->imm;
            break;
        case HX_ALU_AND:
            v &= (uint64_t)o->imm;
            break;
        case HX_ALU_OR:
            v |= (uint64_t)o->imm;
            break;
        case HX_ALU_XOR:
            v ^= (uint64_t)o->imm;
            break;
        case HX_ALU_SHL:
            v <<= sh;
            break;
        case HX_ALU_SHR:
            v = (o->width == 4 ? (v & 0xffffffffu) : v) >> sh;
            break;
        case HX_ALU_SAR:
            v = o->width == 4 ? (uint64_t)(int64_t)((int32_t)(uint32_t)v >> sh)
                              : (uint64_t)((int64_t)v >> sh);
            break;
        case HX_ALU_NOT:
            v = ~v;
            break;
        case HX_ALU_NEG:
            v = -v;
            break;
        case HX_ALU_SEXT32:
            v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
            break;
        case HX_ALU_SETLO: {
            uint64_t mask = o->width == 1 ? 0xff : 0xffff;
            v = (v & ~mask) | ((uint64_t)o->imm & mask);
            break;
        }
        default:
            break;
        }
        if (o->width == 4)
            v &= 0xffffffffu;
    }
    return v;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (v & 0xff)) * 1099511628211ull;
    return h;
}

/* FNV-1a over the fields (not the bytes: structures have padding). */
static uint64_t state_hash(const struct state *s)
{
    uint64_t h =
        mix(1469598103934665603ull, ((uint64_t)s->block << 16) | (uint64_t)s->reg << 8 | s->nops);
    for (unsigned k = 0; k < s->nops; k++)
        h = mix(mix(h, (uint64_t)s->ops[k].alu << 8 | s->ops[k].width), (uint64_t)s->ops[k].imm);
    return h | 1; /* 0 marks a free slot */
}

/* Returns 1 when s was explored before, else records it and returns 0.
 * Hash collisions could only skip a state; with 64-bit hashes of at most a
 * few thousand states per query they are not a practical concern, and the
 * table refusing more states gives up the query instead. */
static int seen(struct walk *w, const struct state *s)
{
    uint64_t h = state_hash(s);
    size_t i = (size_t)h % VISITED_SLOTS;
    for (size_t probes = 0; probes < VISITED_SLOTS; probes++, i = (i + 1) % VISITED_SLOTS) {
        if (w->visited[i] == h)
            return 1;
        if (w->visited[i] == 0) {
            if (w->nvisited >= VISITED_SLOTS / 2) {
                give_up(w, HX_WHY_LIMIT, 0);
                return 1;
            }
            w->visited[i] = h;
            w->nvisited++;
            return 0;
        }
    }
    return 1;
}

static int push_op(struct walk *w, struct state *s, unsigned alu, int64_t imm, unsigned width,
                   uint64_t at)
{
    if (alu == HX_ALU_NONE && width != 4)
        return 0; /* a plain 64-bit copy */
    if (s->nops == HX_MAX_OPS) {
        give_up(w, HX_WHY_LIMIT, at);
        return -1;
    }
    s->ops[s->nops++] = (struct hx_op){(uint8_t)alu, (uint8_t)width, imm};
    return 0;
}

static int ops_equal(const struct hx_op *a, const struct hx_op *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (a[k].alu != b[k].alu || a[k].width != b[k].width || a[k].imm != b[k].imm)
            return 0;
    return 1;
}

static void add_entry(struct walk *w, const struct state *s, uint64_t func)
{
    struct hx_values *o = w->out;
    for (size_t i = 0; i < o->nentry; i++)
        if (o->entry[i].func == func && o->entry[i].reg == s->reg && o->entry[i].nops == s->nops &&
            ops_equal(o->entry[i].ops, s->ops, s->nops))
            return;
    if (o->nentry == HX_MAX_ENTRIES) {
        give_up(w, HX_WHY_LIMIT, func);
        return;
    }
    struct hx_entry *e = &o->entry[o->nentry++];
    memset(e, 0, sizeof(*e));
    e->func = func;
    e->reg = s->reg;
    e->nops = s->nops;
    memcpy(e->ops, s->ops, s->nops * sizeof(s->ops[0]));
}

static void walk_block(struct walk *w, struct state s, uint32_t end);

/* Whether the edge from block `from` to block `to` is only taken when reg is
 * 0: "test %reg,%reg; je to" or "test %reg,%reg; jne elsewhere" falling
 * through to `to`. musl's __stdio_read picks read or readv this way. */
static int zero_on_edge(const struct hx_code *c, uint32_t from, uint32_t to, unsigned reg)
{
    const struct hx_block *f = &c->blocks[from];
    if (f->end - f->first < 2)
        return 0;
    const struct hx_insn *jcc = &c->insns.v[f->end - 1], *test = jcc - 1;
    if (jcc->flow != HX_FLOW_JCC || test->zero_test != reg)
        return 0;
    uint64_t dest = c->insns.v[c->blocks[to].first].addr, next = jcc->addr + jcc->len;
    int taken = jcc->target == dest, fell = next == dest;
    if (taken == fell)
        return 0;
    return (jcc->cc == HX_CC_E && taken) || (jcc->cc == HX_CC_NE && fell);
}

/* Continues above the start of block s.block: the function's callers when it
 * is an entry, and every predecessor. Recursive with walk_block, at most
 * MAX_DEPTH deep. */
/* NOLINTNEXTLINE(misc-no-recursion) */
static void walk_preds(struct walk *w, const struct state *s)
{
    const struct hx_code *c = w->c;
    const struct hx_block *b = &c->blocks[s->block];
    uint64_t at = c->insns.v[b->first].addr;
    if (b->entry) {
        if (hx_is_arg_reg(s->reg))
            add_entry(w, s, at);
        else
            give_up(w, HX_WHY_ENTRY, at);
    }
    if (b->unknown)
        give_up(w, HX_WHY_INDIRECT, at);
    if (w->depth >= MAX_DEPTH) {
        give_up(w, HX_WHY_LIMIT, at);
        return;
    }
    w->depth++;
    for (uint32_t k = 0; k < b->npred; k++) {
        struct state p = *s;
        p.block = c->preds[b->pred + k];
        if (zero_on_edge(c, p.block, s->block, s->reg)) {
            hx_values_add(w->out, hx_ops_apply(s->ops, s->nops, 0));
            continue;
        }
        if (!seen(w, &p))
            walk_block(w, p, c->blocks[p.block].end);
    }
    w->depth--;
}

/* Examines the instructions of s.block before index end, last first.
 * Recursive with walk_preds and for a cmov's source, MAX_DEPTH deep at
 * most. */
/* NOLINTNEXTLINE(misc-no-recursion) */
static void walk_block(struct walk *w, struct state s, uint32_t end)
{
    const struct hx_code *c = w->c;
    const struct hx_block *b = &c->blocks[s.block];
    if (b->func != UINT32_MAX && c->func_opaque[b->func]) {
        /* Any instruction here may be the target of an unknown jump. */
        give_up(w, HX_WHY_INDIRECT, c->insns.v[end > b->first ? end - 1 : b->first].addr);
        return;
    }
    for (uint32_t i = end; i-- > b->first;) {
        const struct hx_insn *in = &c->insns.v[i];
        if (++w->steps > MAX_STEPS) {
            give_up(w, HX_WHY_LIMIT, in->addr);
            return;
        }
        if (!(in->writes & HX_REGBIT(s.reg)))
            continue;
        if (in->def == HX_DEF_XCHG && (in->dst == s.reg || in->src == s.reg)) {
            s.reg = in->dst == s.reg ? in->src : in->dst;
            continue;
        }
        if (in->dst != s.reg || in->def == HX_DEF_NONE || in->def == HX_DEF_OPAQUE) {
            give_up(w, in->why != HX_WHY_NONE ? in->why : HX_WHY_COMPUTED, in->addr);
            return;
        }
        switch (in->def) {
        case HX_DEF_SET:
            hx_values_add(w->out, hx_ops_apply(s.ops, s.nops,
                                               in->width == 4 ? (uint64_t)in->imm & 0xffffffffu
                                                              : (uint64_t)in->imm));
            return;
        case HX_DEF_MOVE:
            if (push_op(w, &s, HX_ALU_NONE, 0, in->width, in->addr) ||
                push_op(w, &s, in->alu, in->imm, 8, in->addr))
                return;
            s.reg = in->src;
            break;
        case HX_DEF_UPDATE:
            if (push_op(w, &s, in->alu, in->imm, in->width, in->addr))
                return;
            break;
        case HX_DEF_CMOV: {
            if (push_op(w, &s, HX_ALU_NONE, 0, in->width, in->addr))
                return;
            if (in->src == HX_NOREG) {
                give_up(w, HX_WHY_MEMORY, in->addr);
            } else if (w->depth >= MAX_DEPTH) {
                /* A chain of cmovs between two registers nests a call
                 * per cmov: unbounded, it overflowed the stack. */
                give_up(w, HX_WHY_LIMIT, in->addr);
            } else {
                struct state moved = s;
                moved.reg = in->src;
                w->depth++;
                walk_block(w, moved, i);
                w->depth--;
            }
            break; /* and the value it had before, when the move is not taken */
        }
        default:
            give_up(w, HX_WHY_COMPUTED, in->addr);
            return;
        }
    }
    walk_preds(w, &s);
}

void hx_infer(const struct hx_code *c, size_t insn, unsigned reg, struct hx_values *out)
{
    memset(out, 0, sizeof(*out));
    struct walk w = {.c = c, .out = out};
    w.visited = calloc(VISITED_SLOTS, sizeof(*w.visited));
    if (!w.visited) {
        give_up(&w, HX_WHY_LIMIT, c->insns.v[insn].addr);
        return;
    }
    struct state s;
    memset(&s, 0, sizeof(s));
    s.block = c->insn_block[insn];
    s.reg = (uint8_t)reg;
    walk_block(&w, s, (uint32_t)insn);
    free(w.visited);
}
