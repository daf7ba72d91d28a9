/* The linear sweep: Capstone decodes a range instruction after instruction;
 * anchors (function starts) cut the range so a misdecode inside data or
 * padding ends at the next function at the latest. */
#include "disasm.h"

#include <stdio.h>
#include <stdlib.h>

int hx_disasm_open(struct hx_disasm *d, char *err, size_t errlen)
{
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs) != CS_ERR_OK) {
        snprintf(err, errlen, "cannot open Capstone for x86-64");
        return -1;
    }
    cs_option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
    d->buf = cs_malloc(d->cs);
    if (!d->buf) {
        cs_close(&d->cs);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void hx_disasm_close(struct hx_disasm *d)
{
    if (d->buf)
        cs_free(d->buf, 1);
    d->buf = NULL;
    cs_close(&d->cs);
}

static int push(struct hx_insn_vec *out, const struct hx_insn *in)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 4096;
        struct hx_insn *v = realloc(out->v, cap * sizeof(*v));
        if (!v)
            return -1;
        out->v = v;
        out->cap = cap;
    }
    out->v[out->n++] = *in;
    return 0;
}

/* The first anchor strictly after addr, or end when there is none before it. */
static uint64_t next_anchor(const uint64_t *anchors, size_t n, size_t *i, uint64_t addr,
                            uint64_t end)
{
    while (*i < n && anchors[*i] <= addr)
        (*i)++;
    return *i < n && anchors[*i] < end ? anchors[*i] : end;
}

int hx_disasm_range(struct hx_disasm *d, const uint8_t *bytes, size_t size, uint64_t addr,
                    const uint64_t *anchors, size_t nanchors, struct hx_insn_vec *out)
{
    uint64_t end = addr + size, pc = addr;
    size_t ai = 0;
    int gap = 0;
    while (pc < end) {
        uint64_t limit = next_anchor(anchors, nanchors, &ai, pc, end);
        const uint8_t *p = bytes + (pc - addr);
        size_t left = (size_t)(limit - pc);
        uint64_t at = pc;
        if (!cs_disasm_iter(d->cs, &p, &left, &at, d->buf)) {
            /* Not an instruction, or one running into the next anchor:
             * skip a byte, as close to the truth as a sweep can stay. */
            pc++;
            gap = 1;
            continue;
        }
        struct hx_insn in;
        hx_insn_from_capstone(d->cs, d->buf, &in);
        in.gap = (uint8_t)gap;
        gap = 0;
        if (push(out, &in))
            return -1;
        pc = at;
    }
    return 0;
}

void hx_insn_vec_free(struct hx_insn_vec *v)
{
    free(v->v);
    v->v = NULL;
    v->n = v->cap = 0;
}
