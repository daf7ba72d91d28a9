/* struct hx_code: building it from ranges and symbols, decoding, lookups. */
#include "code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

/* Growable arrays: *v holds *n elements of size sz, room for *cap. */
static int grow(void *vp, size_t *n, size_t *cap, size_t sz)
{
    void **v = vp;
    if (*n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*v, ncap * sz);
    if (!p)
        return -1;
    *v = p;
    *cap = ncap;
    return 0;
}

void hx_code_init(struct hx_code *c, const char *path)
{
    memset(c, 0, sizeof(*c));
    c->path = strdup(path ? path : "");
}

void hx_code_free(struct hx_code *c)
{
    free(c->path);
    free(c->ranges);
    free(c->data);
    free(c->funcs);
    free(c->exports);
    free(c->got);
    free(c->ptrs);
    free(c->refs);
    free(c->pads);
    hx_insn_vec_free(&c->insns);
    free(c->blocks);
    free(c->insn_block);
    free(c->preds);
    free(c->func_opaque);
    free(c->func_noreturn);
    for (size_t i = 0; i < c->nchunks; i++)
        free(c->chunks[i]);
    free(c->chunks);
    memset(c, 0, sizeof(*c));
}

const char *hx_code_strdup(struct hx_code *c, const char *s)
{
    if (grow(&c->chunks, &c->nchunks, &c->cap_chunks, sizeof(char *)))
        return NULL;
    char *d = strdup(s);
    if (d)
        c->chunks[c->nchunks++] = d;
    return d;
}

int hx_code_add_range(struct hx_code *c, uint64_t addr, const uint8_t *bytes, uint64_t size,
                      int plt)
{
    if (grow(&c->ranges, &c->nranges, &c->cap_ranges, sizeof(*c->ranges)))
        return -1;
    c->ranges[c->nranges++] = (struct hx_range){addr, size, bytes, plt};
    return 0;
}

int hx_code_add_data(struct hx_code *c, uint64_t addr, const uint8_t *bytes, uint64_t size)
{
    if (grow(&c->data, &c->ndata, &c->cap_data, sizeof(*c->data)))
        return -1;
    c->data[c->ndata++] = (struct hx_range){addr, size, bytes, 0};
    return 0;
}

int hx_code_add_func(struct hx_code *c, uint64_t addr, uint64_t size, const char *name,
                     unsigned flags)
{
    if (grow(&c->funcs, &c->nfuncs, &c->cap_funcs, sizeof(*c->funcs)))
        return -1;
    const char *copy = NULL;
    if (name && *name && !(copy = hx_code_strdup(c, name)))
        return -1;
    c->funcs[c->nfuncs++] = (struct hx_func){addr, size, copy, flags};
    return 0;
}

int hx_code_add_got(struct hx_code *c, uint64_t slot, const char *name)
{
    if (grow(&c->got, &c->ngot, &c->cap_got, sizeof(*c->got)))
        return -1;
    const char *copy = hx_code_strdup(c, name);
    if (!copy)
        return -1;
    c->got[c->ngot++] = (struct hx_name_addr){copy, slot};
    return 0;
}

int hx_code_add_ptr(struct hx_code *c, uint64_t slot, const char *name)
{
    if (grow(&c->ptrs, &c->nptrs, &c->cap_ptrs, sizeof(*c->ptrs)))
        return -1;
    const char *copy = hx_code_strdup(c, name);
    if (!copy)
        return -1;
    c->ptrs[c->nptrs++] = (struct hx_name_addr){copy, slot};
    return 0;
}

int hx_code_add_ref(struct hx_code *c, uint64_t addr)
{
    if (grow(&c->refs, &c->nrefs, &c->cap_refs, sizeof(*c->refs)))
        return -1;
    c->refs[c->nrefs++] = addr;
    return 0;
}

int hx_code_add_pad(struct hx_code *c, uint64_t addr)
{
    if (grow(&c->pads, &c->npads, &c->cap_pads, sizeof(*c->pads)))
        return -1;
    c->pads[c->npads++] = addr;
    return 0;
}

static int cmp_range(const void *a, const void *b)
{
    const struct hx_range *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_func(const void *a, const void *b)
{
    const struct hx_func *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    /* Named before nameless, exported names first, so the merge below
     * keeps the most telling name. */
    if (!x->name != !y->name)
        return x->name ? -1 : 1;
    return (int)(y->flags & HX_FUNC_EXPORTED) - (int)(x->flags & HX_FUNC_EXPORTED);
}

static int cmp_name(const void *a, const void *b)
{
    const struct hx_name_addr *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    return r ? r : (x->addr < y->addr ? -1 : x->addr > y->addr);
}

static int cmp_slot(const void *a, const void *b)
{
    const struct hx_name_addr *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int in_ranges(const struct hx_code *c, uint64_t addr)
{
    for (size_t i = 0; i < c->nranges; i++)
        if (addr - c->ranges[i].addr < c->ranges[i].size)
            return 1;
    return 0;
}

/* Sorts the functions and merges those at one address: flags are combined,
 * the first name in cmp_func order is kept. Exported names (all aliases) go
 * to the export table first. Functions outside the code ranges are dropped. */
static int finish_funcs(struct hx_code *c)
{
    size_t nexp = 0;
    for (size_t i = 0; i < c->nfuncs; i++)
        nexp += c->funcs[i].name && (c->funcs[i].flags & HX_FUNC_EXPORTED);
    free(c->exports);
    c->exports = calloc(nexp ? nexp : 1, sizeof(*c->exports));
    if (!c->exports)
        return -1;
    c->nexports = 0;
    for (size_t i = 0; i < c->nfuncs; i++)
        if (c->funcs[i].name && (c->funcs[i].flags & HX_FUNC_EXPORTED))
            c->exports[c->nexports++] = (struct hx_name_addr){c->funcs[i].name, c->funcs[i].addr};
    if (c->nexports)
        qsort(c->exports, c->nexports, sizeof(*c->exports), cmp_name);
    if (c->nfuncs)
        qsort(c->funcs, c->nfuncs, sizeof(*c->funcs), cmp_func);
    size_t out = 0;
    for (size_t i = 0; i < c->nfuncs; i++) {
        struct hx_func f = c->funcs[i];
        if (!in_ranges(c, f.addr))
            continue;
        if (out && c->funcs[out - 1].addr == f.addr) {
            struct hx_func *k = &c->funcs[out - 1];
            k->flags |= f.flags;
            if (!k->size)
                k->size = f.size;
            continue;
        }
        c->funcs[out++] = f;
    }
    c->nfuncs = out;
    return 0;
}

/* Function starts the sweep must honour: symbols and the entry point. */
static int is_hard_anchor(const struct hx_func *f)
{
    return f->name || (f->flags & HX_FUNC_ENTRY);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Decodes every range from scratch with the given sorted anchors. */
static int sweep(struct hx_code *c, struct hx_disasm *d, const uint64_t *anchors, size_t n)
{
    c->insns.n = 0;
    for (size_t i = 0; i < c->nranges; i++) {
        const struct hx_range *r = &c->ranges[i];
        /* Ranges may overlap (a PLT section inside a segment): never
         * decode an address twice. */
        uint64_t start = r->addr;
        if (c->insns.n) {
            const struct hx_insn *last = &c->insns.v[c->insns.n - 1];
            if (last->addr + last->len > start)
                start = last->addr + last->len;
        }
        if (start >= r->addr + r->size)
            continue;
        if (hx_disasm_range(d, r->bytes + (start - r->addr), r->addr + r->size - start, start,
                            anchors, n, &c->insns))
            return -1;
    }
    return 0;
}

/* The instruction containing addr, or -1. */
static long insn_covering(const struct hx_code *c, uint64_t addr)
{
    size_t lo = 0, hi = c->insns.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->insns.v[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo && addr - c->insns.v[lo - 1].addr < c->insns.v[lo - 1].len ? (long)lo - 1 : -1;
}

/* Unwind starts are trusted less than symbols: glibc's __restore_rt has its
 * FDE start one byte early, inside the alignment nop before it. So a sweep
 * with the hard anchors comes first; an unwind start inside padding moves to
 * the end of that padding, and one inside real instructions (the sweep went
 * astray) becomes an anchor for a second sweep. */
static int decode_all(struct hx_code *c, struct hx_disasm *d)
{
    uint64_t *anchors = malloc((c->nfuncs ? c->nfuncs : 1) * sizeof(*anchors));
    size_t n = 0, hard;
    if (!anchors)
        return -1;
    for (size_t i = 0; i < c->nfuncs; i++)
        if (is_hard_anchor(&c->funcs[i]))
            anchors[n++] = c->funcs[i].addr;
    hard = n;
    int rc = sweep(c, d, anchors, n);
    for (size_t i = 0; !rc && i < c->nfuncs; i++) {
        struct hx_func *f = &c->funcs[i];
        if (is_hard_anchor(f) || hx_code_insn_at(c, f->addr) >= 0)
            continue;
        long k = insn_covering(c, f->addr);
        if (k >= 0 && c->insns.v[k].pad)
            f->addr = c->insns.v[k].addr + c->insns.v[k].len;
        else
            anchors[n++] = f->addr;
    }
    if (!rc && n > hard) {
        qsort(anchors, n, sizeof(*anchors), cmp_u64);
        rc = sweep(c, d, anchors, n);
    }
    free(anchors);
    return rc ? rc : finish_funcs(c);
}

/* Direct call targets and addresses taken with lea X(%rip) that land on an
 * instruction are function starts too: this is how functions without symbols
 * or unwind data (stripped assembly) are found. */
static int add_discovered_funcs(struct hx_code *c)
{
    size_t n = c->insns.n, nrefs = c->nrefs;
    for (size_t i = 0; i < n; i++) {
        const struct hx_insn *in = &c->insns.v[i];
        uint64_t t;
        if (in->lea_rip) /* a lea, which falls through: never a call */
            t = (uint64_t)in->imm;
        else if (in->flow == HX_FLOW_CALL || (in->imm_ref && c->absolute))
            t = in->target;
        else
            continue;
        if (hx_code_insn_at(c, t) >= 0 && hx_code_add_func(c, t, 0, NULL, HX_FUNC_ENTRY))
            return -1;
    }
    for (size_t i = 0; i < nrefs; i++)
        if (hx_code_insn_at(c, c->refs[i]) >= 0 &&
            hx_code_add_func(c, c->refs[i], 0, NULL, HX_FUNC_ENTRY))
            return -1;
    return finish_funcs(c);
}

/* Pointers stored in position-dependent data: aligned words of the data
 * segments whose value is an instruction start. Only the first sweep's
 * instructions count; a word that happens to look like one adds a function
 * start, which costs precision, never soundness. */
static int add_absolute_data_refs(struct hx_code *c)
{
    for (size_t i = 0; i < c->ndata; i++) {
        const struct hx_range *r = &c->data[i];
        int code = 0;
        for (size_t k = 0; k < c->nranges && !code; k++)
            code = r->addr < c->ranges[k].addr + c->ranges[k].size &&
                   c->ranges[k].addr < r->addr + r->size;
        if (code)
            continue; /* instruction bytes are not pointers */
        uint64_t skip = (8 - (r->addr & 7)) & 7;
        for (uint64_t off = skip; off + 8 <= r->size; off += 8) {
            uint64_t v;
            memcpy(&v, r->bytes + off, 8);
            if (v >= c->ranges[0].addr && hx_code_insn_at(c, v) >= 0 && hx_code_add_ref(c, v))
                return -1;
        }
    }
    return 0;
}

/* Whether the address computed by the lea at instruction i is compared
 * with something before anything else happens to it: musl checks whether a
 * signal arrived between __cp_begin and __cp_end this way, which is not
 * taking the function's address to call it. */
static int only_compared(const struct hx_code *c, size_t i)
{
    unsigned reg = c->insns.v[i].dst;
    for (size_t k = i + 1; k < c->insns.n && k <= i + 8; k++) {
        const struct hx_insn *in = &c->insns.v[k];
        if (in->compared & HX_REGBIT(reg))
            return 1;
        if ((in->writes & HX_REGBIT(reg)) || in->flow != HX_FLOW_NEXT)
            return 0;
    }
    return 0;
}

int hx_code_takes_address(const struct hx_code *c, uint64_t addr)
{
    size_t lo = 0, hi = c->nrefs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->refs[mid] < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->nrefs && c->refs[lo] == addr)
        return 1;
    for (size_t i = 0; i < c->insns.n; i++) {
        const struct hx_insn *in = &c->insns.v[i];
        if ((in->lea_rip && (uint64_t)in->imm == addr && !only_compared(c, i)) ||
            (in->imm_ref && c->absolute && in->target == addr))
            return 1;
    }
    return 0;
}

int hx_code_decode(struct hx_code *c, struct hx_disasm *d)
{
    if (c->nranges)
        qsort(c->ranges, c->nranges, sizeof(*c->ranges), cmp_range);
    if (c->ngot)
        qsort(c->got, c->ngot, sizeof(*c->got), cmp_slot);
    if (finish_funcs(c) || decode_all(c, d))
        return -1;
    if (c->absolute && c->nranges && add_absolute_data_refs(c))
        return -1;
    if (c->nrefs)
        qsort(c->refs, c->nrefs, sizeof(*c->refs), cmp_u64);
    if (add_discovered_funcs(c))
        return -1;
    return hx_cfg_build(c);
}

int hx_func_is_entry(const struct hx_func *f)
{
    return (f->flags & HX_FUNC_ENTRY) ||
           ((f->flags & HX_FUNC_UNWIND) && !(f->flags & HX_FUNC_COLD));
}

long hx_code_insn_at(const struct hx_code *c, uint64_t addr)
{
    size_t lo = 0, hi = c->insns.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->insns.v[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->insns.n && c->insns.v[lo].addr == addr ? (long)lo : -1;
}

long hx_code_func_of(const struct hx_code *c, uint64_t addr)
{
    size_t lo = 0, hi = c->nfuncs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->funcs[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? (long)lo - 1 : -1;
}

uint64_t hx_code_export(const struct hx_code *c, const char *name)
{
    size_t lo = 0, hi = c->nexports;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->exports[mid].name, name);
        if (r == 0)
            return c->exports[mid].addr;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

const char *hx_code_got_name(const struct hx_code *c, uint64_t slot)
{
    size_t lo = 0, hi = c->ngot;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->got[mid].addr == slot)
            return c->got[mid].name;
        if (c->got[mid].addr < slot)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int in_plt(const struct hx_code *c, uint64_t addr)
{
    for (size_t i = 0; i < c->nranges; i++)
        if (c->ranges[i].plt && addr - c->ranges[i].addr < c->ranges[i].size)
            return 1;
    return 0;
}

const char *hx_code_call_name(const struct hx_code *c, size_t insn)
{
    const struct hx_insn *in = &c->insns.v[insn];
    if ((in->flow == HX_FLOW_ICALL || in->flow == HX_FLOW_IJMP) && in->ijmp == HX_IJMP_RIP)
        return hx_code_got_name(c, in->mem_addr);
    if ((in->flow != HX_FLOW_CALL && in->flow != HX_FLOW_JMP) || !in_plt(c, in->target))
        return NULL;
    /* A PLT stub: [endbr64;] [bnd] jmp *slot(%rip); ... */
    long k = hx_code_insn_at(c, in->target);
    for (int n = 0; k >= 0 && (size_t)k < c->insns.n && n < 3; n++, k++) {
        const struct hx_insn *s = &c->insns.v[k];
        if (s->flow == HX_FLOW_IJMP && s->ijmp == HX_IJMP_RIP)
            return hx_code_got_name(c, s->mem_addr);
        if (s->flow != HX_FLOW_NEXT)
            break;
    }
    return NULL;
}

int hx_code_read(const struct hx_code *c, uint64_t addr, void *out, size_t n)
{
    for (size_t i = 0; i < c->ndata; i++) {
        const struct hx_range *r = &c->data[i];
        if (addr - r->addr < r->size && n <= r->size - (addr - r->addr)) {
            memcpy(out, r->bytes + (addr - r->addr), n);
            return 0;
        }
    }
    return -1;
}

void hx_code_func_label(const struct hx_code *c, uint64_t addr, char *buf, size_t len)
{
    long f = hx_code_func_of(c, addr);
    if (f < 0) {
        snprintf(buf, len, "?");
        return;
    }
    /* A nameless start (unwind data, call target) inside a named symbol's
     * extent belongs to that symbol, e.g. a function's cold part. */
    for (long k = f; k >= 0; k--) {
        const struct hx_func *s = &c->funcs[k];
        if (s->name && (k == f || addr - s->addr < s->size)) {
            snprintf(buf, len, "%s", s->name);
            return;
        }
        if (f - k > 64)
            break;
    }
    snprintf(buf, len, "fn_%llx", (unsigned long long)c->funcs[f].addr);
}
