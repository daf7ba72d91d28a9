/* Site selection and trampoline generation for hxrewrite.
 *
 * A patched site: the syscall instruction and a few whole neighbouring
 * instructions of its basic block (at least 5 bytes in all) become
 *     jmp TRAMP; int3...
 * and the trampoline is
 *     [the displaced instructions before the syscall, relocated]
 *     lea -STEP(%rsp),%rsp         step over the program's red zone
 *     call *HX_FASTCALL_SLOT       the kernel's fastcall entry
 *     nopl SITE-.(%rax)            where the syscall was (HX_FASTCALL_MARK)
 *     lea STEP(%rsp),%rsp          (STEP: HX_FASTCALL_RSP_STEP, 128)
 *     [the displaced instructions after the syscall, relocated]
 *     jmp END                      the first byte after the patched range
 * lea leaves the flags alone, and the kernel returns with every register
 * but rax, rcx and r11 as it found them, which is what the syscall
 * instruction leaves too. The whole contract is in include/hx/abi.h
 * ("Fastcalls"). */
#include "patch.h"

#include <stdlib.h>
#include <string.h>

#include "hx/abi.h"

#define MAX_SIDE 4 /* displaced instructions considered on each side */

/* Linux x86-64 system-call numbers the policy looks at. */
enum {
    NR_MUNMAP = 11,
    NR_RT_SIGRETURN = 15,
    NR_CLONE = 56,
    NR_FORK = 57,
    NR_VFORK = 58,
    NR_EXIT = 60,
    NR_EXIT_GROUP = 231,
    NR_CLONE3 = 435
};

/* lea -HX_FASTCALL_RSP_STEP(%rsp),%rsp (disp8) and lea HX_FASTCALL_RSP_STEP(%rsp),%rsp (disp32) */
static const uint8_t lea_down[] = {0x48, 0x8d, 0x64, 0x24, (uint8_t)-HX_FASTCALL_RSP_STEP};
static const uint8_t lea_up[] = {0x48, 0x8d, 0xa4, 0x24, HX_FASTCALL_RSP_STEP, 0, 0, 0};

const char *hx_leave_text(unsigned leave)
{
    static const char *const text[HX_LEAVE_COUNT] = {
        [HX_LEAVE_NONE] = "patched",
        [HX_LEAVE_ROOM] = "fewer than 5 bytes of movable instructions around it",
        [HX_LEAVE_OPAQUE] = "its function has jumps the analysis cannot follow",
        [HX_LEAVE_FORK] = "fork or vfork (the child would share the trampoline's stack use)",
        [HX_LEAVE_SIGRETURN] = "rt_sigreturn restorer (unwinders recognise its bytes)",
        [HX_LEAVE_EXIT] = "exit or exit_group (runs once; may run on an unmapped stack)",
        [HX_LEAVE_UNMAP] = "munmap followed by exit (may unmap the stack it runs on)",
        [HX_LEAVE_CLONE3] = "clone3 (the fastcall contract covers clone's new stack only)",
        [HX_LEAVE_RELOC] = "a displaced RIP-relative operand is out of the trampoline's reach",
        [HX_LEAVE_INSIDE] = "a branch or code address lands inside the bytes it would overwrite",
    };
    return leave < HX_LEAVE_COUNT ? text[leave] : "?";
}

const char *hx_stop_text(unsigned stop)
{
    static const char *const text[HX_STOP_COUNT] = {
        [HX_STOP_NONE] = "nothing",
        [HX_STOP_TARGET] = "a branch target",
        [HX_STOP_BRANCH] = "a branch",
        [HX_STOP_SYSCALL] = "another syscall",
        [HX_STOP_PATCH] = "another site's patch",
        [HX_STOP_GAP] = "the end of the decoded code",
    };
    return stop < HX_STOP_COUNT ? text[stop] : "?";
}

static int tramp_put(struct hx_patch_plan *p, const void *bytes, size_t n)
{
    if (p->tramp_len + n > p->tramp_cap) {
        size_t cap = p->tramp_cap ? p->tramp_cap * 2 : 4096;
        while (cap < p->tramp_len + n)
            cap *= 2;
        uint8_t *t = realloc(p->tramp, cap);
        if (!t)
            return -1;
        p->tramp = t;
        p->tramp_cap = cap;
    }
    memcpy(p->tramp + p->tramp_len, bytes, n);
    p->tramp_len += n;
    return 0;
}

/* The bytes of the instruction at addr (len bytes), or NULL. */
static const uint8_t *code_bytes(const struct hx_code *c, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < c->nranges; i++) {
        const struct hx_range *r = &c->ranges[i];
        if (addr - r->addr < r->size && len <= r->size - (addr - r->addr))
            return r->bytes + (addr - r->addr);
    }
    return NULL;
}

/* Appends instruction i of c to the trampoline, its RIP-relative operand
 * (if any) rewritten to reach the same address from the new place.
 * Returns 0, 1 when it cannot be moved, -1 when out of memory. */
static int relocate(struct hx_patch_plan *p, const struct hx_code *c, struct hx_disasm *d, size_t i)
{
    const struct hx_insn *in = &c->insns.v[i];
    const uint8_t *b = code_bytes(c, in->addr, in->len);
    if (!b)
        return 1;
    const uint8_t *q = b;
    size_t left = in->len;
    uint64_t at = in->addr;
    if (!cs_disasm_iter(d->cs, &q, &left, &at, d->buf) || d->buf->size != in->len)
        return 1;
    const cs_x86 *x = &d->buf->detail->x86;
    int rip = 0;
    for (unsigned k = 0; k < x->op_count; k++)
        if (x->operands[k].type == X86_OP_MEM && x->operands[k].mem.base == X86_REG_RIP)
            rip = 1;
    uint8_t copy[16];
    memcpy(copy, b, in->len);
    if (rip) {
        unsigned off = x->encoding.disp_offset;
        if (x->encoding.disp_size != 4 || !off || off + 4 > in->len)
            return 1;
        int32_t disp;
        memcpy(&disp, b + off, 4);
        uint64_t target = in->addr + in->len + (uint64_t)(int64_t)disp;
        uint64_t next = p->tramp_base + p->tramp_len + in->len;
        int64_t nd = (int64_t)(target - next);
        if (nd != (int32_t)nd)
            return 1;
        int32_t nd32 = (int32_t)nd;
        memcpy(copy + off, &nd32, 4);
    }
    return tramp_put(p, copy, in->len);
}

/* Whether instruction k can move into a trampoline, else why not. */
static unsigned movable(const struct hx_code *c, size_t k, uint64_t last_end)
{
    const struct hx_insn *in = &c->insns.v[k];
    if (in->addr < last_end)
        return HX_STOP_PATCH;
    if (in->sys != HX_SYS_NONE)
        return HX_STOP_SYSCALL;
    if (in->flow != HX_FLOW_NEXT)
        return HX_STOP_BRANCH;
    return HX_STOP_NONE;
}

/* Whether instructions a and a + 1 are adjacent bytes with nothing
 * undecoded between them. */
static int adjacent(const struct hx_code *c, size_t a)
{
    const struct hx_insn *x = &c->insns.v[a], *y = &c->insns.v[a + 1];
    return x->addr + x->len == y->addr && !y->gap;
}

/* The scan's record of the syscall instruction insn, or NULL. */
static const struct hx_site *site_for(const struct hx_scan *sc, uint32_t obj, size_t insn)
{
    for (size_t i = 0; i < sc->nsites; i++)
        if (sc->sites[i].obj == obj && sc->sites[i].insn == insn &&
            sc->sites[i].kind == HX_SITE_SYSCALL)
            return &sc->sites[i];
    return NULL;
}

static int has_nr(const struct hx_site *s, uint64_t nr)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->nr[i] == nr)
            return 1;
    return 0;
}

/* The numbers decide for some sites. Only numbers the scan proved possible
 * count: a site whose number is unknown (libc's syscall()) may reach any
 * system call, and the kernel's fastcall entry handles them all, clone and
 * rt_sigreturn included; fork and vfork do not exist in hx. */
static unsigned policy(const struct hx_scan *sc, uint32_t obj, const struct hx_site *s, size_t i)
{
    if (has_nr(s, NR_FORK) || has_nr(s, NR_VFORK))
        return HX_LEAVE_FORK;
    /* A restorer is entered by the handler's ret and never returns; libgcc's
     * unwinder recognises "mov $15,%rax; syscall" at a return address as a
     * signal frame, so patching would break unwinding through signals for
     * one syscall per signal. */
    if (has_nr(s, NR_RT_SIGRETURN))
        return HX_LEAVE_SIGRETURN;
    /* exit runs once per thread, so a fastcall gains nothing there; musl's
     * __unmapself calls it after unmapping the stack the call would push
     * its return address on. */
    if (has_nr(s, NR_EXIT) || has_nr(s, NR_EXIT_GROUP))
        return HX_LEAVE_EXIT;
    if (has_nr(s, NR_CLONE3))
        return HX_LEAVE_CLONE3;
    if (has_nr(s, NR_MUNMAP)) {
        /* The next syscall of the same block, when it is an exit. */
        const struct hx_code *c = &sc->objs[obj].code;
        const struct hx_block *b = &c->blocks[c->insn_block[i]];
        for (size_t k = i + 1; k < b->end; k++)
            if (c->insns.v[k].sys != HX_SYS_NONE) {
                const struct hx_site *n = site_for(sc, obj, k);
                if (has_nr(n, NR_EXIT) || has_nr(n, NR_EXIT_GROUP))
                    return HX_LEAVE_UNMAP;
                break;
            }
    }
    return HX_LEAVE_NONE;
}

/* Every address the object's code may transfer control to, as far as it
 * shows: direct branch and call targets, addresses taken with lea or held
 * in data, immediates of position-dependent code, exception landing pads.
 * Sorted. */
struct targets {
    uint64_t *v;
    size_t n;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int collect_targets(const struct hx_code *c, struct targets *t)
{
    t->n = 0;
    t->v = malloc((c->insns.n + c->nrefs + c->npads + 1) * sizeof(*t->v));
    if (!t->v)
        return -1;
    for (size_t i = 0; i < c->insns.n; i++) {
        const struct hx_insn *in = &c->insns.v[i];
        if (in->lea_rip) /* a lea falls through: it is never a branch */
            t->v[t->n++] = (uint64_t)in->imm;
        else if (in->flow == HX_FLOW_JMP || in->flow == HX_FLOW_JCC || in->flow == HX_FLOW_CALL ||
                 (in->imm_ref && c->absolute))
            t->v[t->n++] = in->target;
    }
    if (c->nrefs) /* refs is NULL when there are none */
        memcpy(t->v + t->n, c->refs, c->nrefs * sizeof(*c->refs));
    t->n += c->nrefs;
    if (c->npads)
        memcpy(t->v + t->n, c->pads, c->npads * sizeof(*c->pads));
    t->n += c->npads;
    qsort(t->v, t->n, sizeof(*t->v), cmp_u64);
    return 0;
}

/* The first target strictly inside (start, end), or 0. The basic blocks
 * already keep branches to instruction starts out; this also catches a
 * branch into the middle of an instruction (glibc jumps over lock
 * prefixes: "je 1f; lock; 1: cmpxchg"). */
static uint64_t target_inside(const struct targets *t, uint64_t start, uint64_t end)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid] <= start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->v[lo] < end ? t->v[lo] : 0;
}

/* Chooses the displaced instructions of the syscall at instruction i and
 * builds its trampoline. */
static int plan_site(struct hx_patch_plan *p, const struct hx_scan *sc, uint32_t obj,
                     struct hx_disasm *d, const struct targets *targets, size_t i,
                     uint64_t *last_end, struct hx_patch_site *ps)
{
    const struct hx_code *c = &sc->objs[obj].code;
    const struct hx_insn *sys = &c->insns.v[i];
    const struct hx_block *b = &c->blocks[c->insn_block[i]];
    memset(ps, 0, sizeof(*ps));
    ps->addr = sys->addr;
    if (b->func != UINT32_MAX && c->func_opaque[b->func]) {
        ps->leave = HX_LEAVE_OPAQUE;
        return 0;
    }
    if ((ps->leave = (uint8_t)policy(sc, obj, site_for(sc, obj, i), i)))
        return 0;
    /* The movable instructions on each side, nearest first. Within one
     * block only its first instruction is a branch target (function
     * starts, direct branches and recovered jump tables all start blocks,
     * and a function with unrecovered jumps was refused above), so no
     * branch lands inside what the patch overwrites. */
    size_t before[MAX_SIDE], after[MAX_SIDE], nb = 0, na = 0;
    unsigned stop = HX_STOP_NONE;
    uint64_t stop_at = 0;
    for (size_t k = i; nb < MAX_SIDE; k--) {
        if (k == b->first) {
            stop = HX_STOP_TARGET, stop_at = c->insns.v[k].addr;
            if (k > 0 && adjacent(c, k - 1) && c->insns.v[k - 1].flow != HX_FLOW_NEXT &&
                c->insns.v[k - 1].flow != HX_FLOW_CALL && c->insns.v[k - 1].flow != HX_FLOW_ICALL)
                stop = HX_STOP_BRANCH, stop_at = c->insns.v[k - 1].addr;
            break;
        }
        if (!adjacent(c, k - 1)) {
            stop = HX_STOP_GAP, stop_at = c->insns.v[k].addr;
            break;
        }
        if ((stop = movable(c, k - 1, *last_end))) {
            stop_at = c->insns.v[k - 1].addr;
            break;
        }
        before[nb++] = k - 1;
    }
    ps->stop_before = (uint8_t)stop;
    ps->stop_before_at = stop_at;
    stop = HX_STOP_NONE, stop_at = 0;
    for (size_t k = i + 1; na < MAX_SIDE; k++) {
        if (k >= c->insns.n || !adjacent(c, k - 1)) {
            stop = HX_STOP_GAP, stop_at = c->insns.v[k - 1].addr + c->insns.v[k - 1].len;
            break;
        }
        if (k >= b->end) {
            stop = HX_STOP_TARGET, stop_at = c->insns.v[k].addr;
            break;
        }
        if ((stop = movable(c, k, 0))) {
            stop_at = c->insns.v[k].addr;
            break;
        }
        after[na++] = k;
    }
    ps->stop_after = (uint8_t)stop;
    ps->stop_after_at = stop_at;

    /* The fewest bytes reaching 5, then the fewest instructions, then
     * rather before than after. */
    size_t best_b = 0, best_a = 0, best_len = SIZE_MAX, best_n = SIZE_MAX;
    size_t lb = 0;
    for (size_t xb = 0; xb <= nb; xb++) {
        if (xb)
            lb += c->insns.v[before[xb - 1]].len;
        size_t la = 0;
        for (size_t xa = 0; xa <= na; xa++) {
            if (xa)
                la += c->insns.v[after[xa - 1]].len;
            size_t len = lb + sys->len + la;
            if (len < HX_PATCH_JMP_LEN)
                continue;
            if (len < best_len || (len == best_len && xb + xa <= best_n)) {
                best_len = len, best_n = xb + xa;
                best_b = xb, best_a = xa;
            }
            break; /* more after only adds bytes */
        }
    }
    if (best_len == SIZE_MAX) {
        ps->leave = HX_LEAVE_ROOM;
        return 0;
    }

    uint64_t start = best_b ? c->insns.v[before[best_b - 1]].addr : sys->addr;
    uint64_t inside = target_inside(targets, start, start + best_len);
    if (inside) {
        ps->leave = HX_LEAVE_INSIDE;
        ps->leave_at = inside;
        return 0;
    }
    size_t mark = p->tramp_len;
    ps->tramp = p->tramp_base + mark;
    ps->start = start;
    ps->end = ps->start + best_len;
    int rc = 0;
    for (size_t k = best_b; k-- > 0 && !rc;)
        if ((rc = relocate(p, c, d, before[k])) > 0)
            ps->leave_at = c->insns.v[before[k]].addr;
    uint8_t call[HX_FASTCALL_CALL_LEN] = HX_FASTCALL_CALL;
    int32_t slot = (int32_t)(uint32_t)HX_FASTCALL_SLOT;
    memcpy(call + HX_FASTCALL_OPCODE_LEN, &slot, 4);
    uint8_t mark_nop[HX_FASTCALL_MARK_LEN] = HX_FASTCALL_MARK;
    if (!rc) {
        uint64_t at = p->tramp_base + p->tramp_len + sizeof(lea_down) + sizeof(call);
        int64_t site = (int64_t)(sys->addr - at);
        int32_t site32 = (int32_t)site;
        memcpy(mark_nop + HX_FASTCALL_OPCODE_LEN, &site32, 4);
        if (site != site32) {
            rc = 1;
            ps->leave_at = sys->addr;
        }
    }
    if (!rc)
        rc = tramp_put(p, lea_down, sizeof(lea_down)) || tramp_put(p, call, sizeof(call)) ||
                     tramp_put(p, mark_nop, sizeof(mark_nop)) ||
                     tramp_put(p, lea_up, sizeof(lea_up))
                 ? -1
                 : 0;
    for (size_t k = 0; k < best_a && !rc; k++)
        if ((rc = relocate(p, c, d, after[k])) > 0)
            ps->leave_at = c->insns.v[after[k]].addr;
    if (!rc) {
        uint8_t jmp[HX_PATCH_JMP_LEN] = {0xe9};
        int64_t rel = (int64_t)(ps->end - (p->tramp_base + p->tramp_len + sizeof(jmp)));
        int32_t rel32 = (int32_t)rel;
        memcpy(jmp + 1, &rel32, 4);
        int64_t there = (int64_t)(ps->tramp - (ps->start + HX_PATCH_JMP_LEN));
        if (rel != rel32 || there != (int32_t)there) {
            rc = 1;
            ps->leave_at = sys->addr;
        } else {
            rc = tramp_put(p, jmp, sizeof(jmp));
        }
    }
    if (rc < 0)
        return -1;
    if (rc > 0) {
        p->tramp_len = mark;
        ps->leave = HX_LEAVE_RELOC;
        ps->start = ps->end = ps->tramp = 0;
        return 0;
    }
    *last_end = ps->end;
    /* Keep trampolines 16-byte aligned: a trampoline never shares a cache
     * line's start with the end of another. int3 between them. */
    while (p->tramp_len % 16)
        if (tramp_put(p, "\xcc", 1))
            return -1;
    return 0;
}

int hx_patch_plan(const struct hx_scan *sc, uint32_t obj, struct hx_disasm *d, uint64_t tramp_base,
                  struct hx_patch_plan *p)
{
    const struct hx_code *c = &sc->objs[obj].code;
    memset(p, 0, sizeof(*p));
    p->tramp_base = tramp_base;
    size_t n = 0;
    for (size_t i = 0; i < c->insns.n; i++)
        n += c->insns.v[i].sys == HX_SYS_SYSCALL;
    p->sites = calloc(n ? n : 1, sizeof(*p->sites));
    struct targets targets = {0};
    if (!p->sites || collect_targets(c, &targets)) {
        free(p->sites);
        p->sites = NULL;
        return -1;
    }
    uint64_t last_end = 0;
    for (size_t i = 0; i < c->insns.n; i++) {
        if (c->insns.v[i].sys != HX_SYS_SYSCALL)
            continue;
        struct hx_patch_site *ps = &p->sites[p->nsites++];
        if (plan_site(p, sc, obj, d, &targets, i, &last_end, ps)) {
            free(targets.v);
            hx_patch_plan_free(p);
            return -1;
        }
        p->npatched += ps->leave == HX_LEAVE_NONE;
    }
    free(targets.v);
    return 0;
}

void hx_patch_site_bytes(const struct hx_patch_site *s, uint8_t *out)
{
    int32_t rel = (int32_t)(s->tramp - (s->start + HX_PATCH_JMP_LEN));
    out[0] = 0xe9;
    memcpy(out + 1, &rel, 4);
    memset(out + HX_PATCH_JMP_LEN, 0xcc, s->end - s->start - HX_PATCH_JMP_LEN);
}

void hx_patch_plan_free(struct hx_patch_plan *p)
{
    free(p->sites);
    free(p->tramp);
    memset(p, 0, sizeof(*p));
}
