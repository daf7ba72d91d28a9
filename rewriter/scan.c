/* Sites and wrappers. First every syscall instruction is inferred on its
 * own. A number that comes from an argument register at a function's entry
 * makes that function a wrapper; each wrapper is then resolved at its
 * callers: direct calls in its own object, and calls through PLT stubs or GOT
 * slots, in any object, whose symbol the dynamic linker would bind to it. A
 * caller that passes its own argument through (musl's __syscall_cp ->
 * __syscall_cp_c -> __syscall_cp_asm) makes its function a wrapper in turn. */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

/* One wrapper resolution to do: the number is argument reg of func in object
 * obj, transformed by ops on its way to the syscall instruction. */
struct query {
    uint32_t obj;
    uint64_t func;
    uint8_t reg, nops;
    struct hx_op ops[HX_MAX_OPS];
};

struct queries {
    struct query *v;
    size_t n, cap;
};

static int grow(void *vp, size_t n, size_t *cap, size_t sz)
{
    void **v = vp;
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*v, ncap * sz);
    if (!p)
        return -1;
    *v = p;
    *cap = ncap;
    return 0;
}

void hx_scan_init(struct hx_scan *sc)
{
    memset(sc, 0, sizeof(*sc));
}

int hx_scan_add(struct hx_scan *sc, struct hx_code *code)
{
    if (grow(&sc->objs, sc->nobjs, &sc->capobjs, sizeof(*sc->objs))) {
        hx_code_free(code);
        return -1;
    }
    struct hx_scan_object *o = &sc->objs[sc->nobjs++];
    memset(o, 0, sizeof(*o));
    o->code = *code;
    memset(code, 0, sizeof(*code));
    return 0;
}

void hx_scan_free(struct hx_scan *sc)
{
    for (size_t i = 0; i < sc->nobjs; i++)
        hx_code_free(&sc->objs[i].code);
    free(sc->objs);
    free(sc->sites);
    free(sc->wrappers);
    free(sc->unresolved);
    memset(sc, 0, sizeof(*sc));
}

static int add_unresolved(struct hx_scan *sc, uint32_t obj, uint64_t addr, unsigned why,
                          uint64_t why_at)
{
    for (size_t i = 0; i < sc->nunresolved; i++)
        if (sc->unresolved[i].obj == obj && sc->unresolved[i].addr == addr)
            return 0;
    if (grow(&sc->unresolved, sc->nunresolved, &sc->capunresolved, sizeof(*sc->unresolved)))
        return -1;
    sc->unresolved[sc->nunresolved++] = (struct hx_unresolved){obj, addr, (uint8_t)why, why_at};
    sc->objs[obj].unresolved++;
    return 0;
}

static struct hx_site *new_site(struct hx_scan *sc, uint32_t obj, uint32_t insn, unsigned kind)
{
    if (grow(&sc->sites, sc->nsites, &sc->capsites, sizeof(*sc->sites)))
        return NULL;
    struct hx_site *s = &sc->sites[sc->nsites++];
    memset(s, 0, sizeof(*s));
    s->obj = obj;
    s->insn = insn;
    s->addr = sc->objs[obj].code.insns.v[insn].addr;
    s->kind = (uint8_t)kind;
    return s;
}

/* The site record of instruction insn in object obj, created when new. */
static struct hx_site *site_of(struct hx_scan *sc, uint32_t obj, uint32_t insn, unsigned kind)
{
    for (size_t i = sc->nsites; i-- > 0;)
        if (sc->sites[i].obj == obj && sc->sites[i].insn == insn)
            return &sc->sites[i];
    return new_site(sc, obj, insn, kind);
}

static void site_add_nr(struct hx_site *s, uint64_t nr)
{
    size_t i = 0;
    while (i < s->n && s->nr[i] < nr)
        i++;
    if ((i < s->n && s->nr[i] == nr) || s->n == HX_MAX_VALUES)
        return;
    memmove(&s->nr[i + 1], &s->nr[i], (s->n - i) * sizeof(s->nr[0]));
    s->nr[i] = nr;
    s->n++;
}

static int ops_equal(const struct hx_op *a, const struct hx_op *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (a[k].alu != b[k].alu || a[k].width != b[k].width || a[k].imm != b[k].imm)
            return 0;
    return 1;
}

/* Queues a wrapper resolution unless the same one was queued before. The
 * ops are the caller's (applied first) then the callee's. */
static int queue(struct queries *q, uint32_t obj, const struct hx_entry *e,
                 const struct hx_op *outer, size_t nouter, int *too_many)
{
    if (e->nops + nouter > HX_MAX_OPS) {
        *too_many = 1;
        return 0;
    }
    struct query n;
    memset(&n, 0, sizeof(n));
    n.obj = obj;
    n.func = e->func;
    n.reg = e->reg;
    n.nops = (uint8_t)(nouter + e->nops);
    if (nouter)
        memcpy(n.ops, outer, nouter * sizeof(*outer));
    memcpy(n.ops + nouter, e->ops, e->nops * sizeof(*e->ops));
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i].obj == n.obj && q->v[i].func == n.func && q->v[i].reg == n.reg &&
            q->v[i].nops == n.nops && ops_equal(q->v[i].ops, n.ops, n.nops))
            return 0;
    if (grow(&q->v, q->n, &q->cap, sizeof(*q->v)))
        return -1;
    q->v[q->n++] = n;
    return 0;
}

/* The object the dynamic linker binds name to: the first, in load order,
 * that exports it. */
static long bound_object(const struct hx_scan *sc, const char *name, uint64_t *addr)
{
    for (size_t i = 0; i < sc->nobjs; i++)
        if ((*addr = hx_code_export(&sc->objs[i].code, name)) != 0)
            return (long)i;
    return -1;
}

/* A call from instruction insn of object from to the function at addr of
 * object to: a direct call within an object, or a call or jump through a PLT
 * stub or GOT slot whose symbol the dynamic linker binds to that function. */
struct callref {
    uint32_t to, from, insn;
    uint64_t addr;
};

struct callrefs {
    struct callref *v;
    size_t n, cap;
};

static int cmp_callref(const void *a, const void *b)
{
    const struct callref *x = a, *y = b;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static int in_plt(const struct hx_code *c, uint64_t addr)
{
    for (size_t i = 0; i < c->nranges; i++)
        if (c->ranges[i].plt && addr - c->ranges[i].addr < c->ranges[i].size)
            return 1;
    return 0;
}

static int index_calls(const struct hx_scan *sc, struct callrefs *r)
{
    for (uint32_t p = 0; p < sc->nobjs; p++) {
        const struct hx_code *c = &sc->objs[p].code;
        for (size_t i = 0; i < c->insns.n; i++) {
            const struct hx_insn *in = &c->insns.v[i];
            /* A PLT stub's jump is not a caller: the calls to the stub are,
             * and they are resolved through it to the function. */
            if (in_plt(c, in->addr))
                continue;
            struct callref ref = {p, p, (uint32_t)i, in->target};
            if (in->flow != HX_FLOW_CALL && in->flow != HX_FLOW_JMP && in->flow != HX_FLOW_ICALL &&
                in->flow != HX_FLOW_IJMP)
                continue;
            const char *name = hx_code_call_name(c, i);
            if (name) {
                long o = bound_object(sc, name, &ref.addr);
                if (o < 0)
                    continue;
                ref.to = (uint32_t)o;
            } else if (in->flow != HX_FLOW_CALL) {
                continue; /* direct jumps are edges of the graph instead */
            }
            if (grow(&r->v, r->n, &r->cap, sizeof(*r->v)))
                return -1;
            r->v[r->n++] = ref;
        }
    }
    if (r->n)
        qsort(r->v, r->n, sizeof(*r->v), cmp_callref);
    return 0;
}

/* The first call to (obj, func) in r, or r->n. */
static size_t first_call(const struct callrefs *r, uint32_t obj, uint64_t func)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->v[mid].to < obj || (r->v[mid].to == obj && r->v[mid].addr < func))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int is_exported(const struct hx_code *c, uint64_t func)
{
    for (size_t i = 0; i < c->nexports; i++)
        if (c->exports[i].addr == func)
            return 1;
    return 0;
}

/* Whether some object may call the function at func of object o through a
 * pointer: o takes its address, or another object loads it from a GOT slot
 * or holds it in data (both by a symbol bound to it). */
static int address_taken(const struct hx_scan *sc, uint32_t o, uint64_t func)
{
    if (hx_code_takes_address(&sc->objs[o].code, func))
        return 1;
    for (uint32_t p = 0; p < sc->nobjs; p++) {
        const struct hx_code *c = &sc->objs[p].code;
        uint64_t addr;
        for (size_t i = 0; i < c->nptrs; i++)
            if (bound_object(sc, c->ptrs[i].name, &addr) == (long)o && addr == func)
                return 1;
        for (size_t i = 0; i < c->insns.n; i++) {
            const struct hx_insn *in = &c->insns.v[i];
            const char *name = in->mem_rip ? hx_code_got_name(c, in->mem_addr) : NULL;
            if (name && bound_object(sc, name, &addr) == (long)o && addr == func)
                return 1;
        }
    }
    return 0;
}

/* Resolves one wrapper at all its callers. */
static int resolve(struct hx_scan *sc, const struct callrefs *r, struct queries *q, size_t qi)
{
    struct query w = q->v[qi];
    size_t ncallers = 0;
    for (size_t k0 = first_call(r, w.obj, w.func);
         k0 < r->n && r->v[k0].to == w.obj && r->v[k0].addr == w.func; k0++) {
        uint32_t p = r->v[k0].from, i = r->v[k0].insn;
        const struct hx_code *c = &sc->objs[p].code;
        ncallers++;
        struct hx_values v;
        hx_infer(c, i, w.reg, &v);
        int too_many = 0;
        for (size_t k = 0; k < v.nentry; k++)
            if (queue(q, p, &v.entry[k], w.ops, w.nops, &too_many))
                return -1;
        if (!v.n && v.why == HX_WHY_NONE && !too_many)
            continue; /* passes its own argument on: resolved further up */
        struct hx_site *s = site_of(sc, p, i, HX_SITE_CALL);
        if (!s)
            return -1;
        for (size_t k = 0; k < v.n; k++)
            site_add_nr(s, hx_ops_apply(w.ops, w.nops, v.v[k]));
        unsigned why = too_many ? HX_WHY_LIMIT : v.why;
        if (why != HX_WHY_NONE && !s->why) {
            s->why = (uint8_t)why;
            s->why_at = v.why_at;
        }
    }
    if (grow(&sc->wrappers, sc->nwrappers, &sc->capwrappers, sizeof(*sc->wrappers)))
        return -1;
    sc->wrappers[sc->nwrappers++] = (struct hx_wrapper){w.obj, w.func, w.reg, ncallers};
    /* Calls not seen: through a pointer, or from an object not loaded
     * (dlopen) to an exported function. A function neither exported nor
     * address-taken is entered only by the calls and jumps followed. */
    if (address_taken(sc, w.obj, w.func))
        return add_unresolved(sc, w.obj, w.func, HX_WHY_ADDRTAKEN, w.func);
    if (!ncallers && is_exported(&sc->objs[w.obj].code, w.func))
        return add_unresolved(sc, w.obj, w.func, HX_WHY_NOCALLERS, w.func);
    return 0;
}

/* Every syscall instruction of object o, on its own. */
static int scan_object(struct hx_scan *sc, uint32_t o, struct queries *q)
{
    struct hx_scan_object *so = &sc->objs[o];
    const struct hx_code *c = &so->code;
    for (size_t i = 0; i < c->insns.n; i++) {
        const struct hx_insn *in = &c->insns.v[i];
        if (in->sys == HX_SYS_NONE)
            continue;
        so->syscalls++;
        if (in->sys != HX_SYS_SYSCALL) {
            struct hx_site *s = new_site(sc, o, (uint32_t)i, HX_SITE_I386);
            if (!s)
                return -1;
            s->why = HX_WHY_I386;
            continue;
        }
        struct hx_values v;
        hx_infer(c, i, HX_RAX, &v);
        struct hx_site *s = new_site(sc, o, (uint32_t)i, HX_SITE_SYSCALL);
        if (!s)
            return -1;
        for (size_t k = 0; k < v.n; k++)
            site_add_nr(s, v.v[k]);
        s->why = v.why;
        s->why_at = v.why_at;
        s->wrapper = v.nentry > 0;
        so->wrappers += s->wrapper;
        so->resolved += !s->wrapper && v.why == HX_WHY_NONE;
        int too_many = 0;
        for (size_t k = 0; k < v.nentry; k++)
            if (queue(q, o, &v.entry[k], NULL, 0, &too_many))
                return -1;
        if (too_many && !s->why)
            s->why = HX_WHY_LIMIT;
    }
    return 0;
}

int hx_scan_run(struct hx_scan *sc)
{
    struct queries q = {0};
    struct callrefs r = {0};
    int rc = 0;
    for (uint32_t o = 0; o < sc->nobjs && !rc; o++)
        rc = scan_object(sc, o, &q);
    if (!rc && q.n)
        rc = index_calls(sc, &r);
    /* Resolving a wrapper may queue more (its callers' own wrappers). */
    for (size_t i = 0; i < q.n && !rc; i++)
        rc = resolve(sc, &r, &q, i);
    for (size_t i = 0; i < sc->nsites && !rc; i++) {
        struct hx_site *s = &sc->sites[i];
        if (s->kind == HX_SITE_CALL && s->n)
            sc->objs[s->obj].calls++;
        if (s->why != HX_WHY_NONE)
            rc = add_unresolved(sc, s->obj, s->addr, s->why, s->why_at);
    }
    free(q.v);
    free(r.v);
    return rc;
}
