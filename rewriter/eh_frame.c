/* A reader for just enough of .eh_frame (the LSB format of DWARF call frame
 * information) to get each FDE's initial location: entry lengths, the CIE's
 * augmentation that gives the FDE pointer encoding, and the encoded pointer. */
#include "eh_frame.h"

#include <string.h>

/* DW_EH_PE_* pointer encodings */
#define PE_OMIT 0xff
#define PE_FORMAT 0x0f
#define PE_ABSPTR 0x00
#define PE_ULEB128 0x01
#define PE_UDATA2 0x02
#define PE_UDATA4 0x03
#define PE_UDATA8 0x04
#define PE_SLEB128 0x09
#define PE_SDATA2 0x0a
#define PE_SDATA4 0x0b
#define PE_SDATA8 0x0c
#define PE_APPL 0x70
#define PE_PCREL 0x10

struct cursor {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t take(struct cursor *c, size_t n)
{
    uint64_t v = 0;
    if ((size_t)(c->end - c->p) < n) {
        c->bad = 1;
        c->p = c->end;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static uint64_t uleb(struct cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0; c->p < c->end; shift += 7) {
        uint8_t b = *c->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->bad = 1;
    return 0;
}

static int64_t sleb(struct cursor *c)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b = 0;
    do {
        if (c->p >= c->end) {
            c->bad = 1;
            return 0;
        }
        b = *c->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40))
        v |= ~0ull << shift;
    return (int64_t)v;
}

/* Reads a pointer in encoding enc; field_addr is where it lives in memory
 * (for PC-relative values). *ok is cleared for encodings this reader does
 * not resolve (data- or text-relative): the value is then skipped. */
static uint64_t encoded(struct cursor *c, uint8_t enc, uint64_t field_addr, int *ok)
{
    uint64_t v;
    switch (enc & PE_FORMAT) {
    case PE_ABSPTR:
    case PE_UDATA8:
    case PE_SDATA8:
        v = take(c, 8);
        break;
    case PE_UDATA4:
        v = take(c, 4);
        break;
    case PE_SDATA4:
        v = (uint64_t)(int64_t)(int32_t)take(c, 4);
        break;
    case PE_UDATA2:
        v = take(c, 2);
        break;
    case PE_SDATA2:
        v = (uint64_t)(int64_t)(int16_t)take(c, 2);
        break;
    case PE_ULEB128:
        v = uleb(c);
        break;
    case PE_SLEB128:
        v = (uint64_t)sleb(c);
        break;
    default:
        c->bad = 1;
        return 0;
    }
    switch (enc & PE_APPL) {
    case 0:
        break;
    case PE_PCREL:
        v += field_addr;
        break;
    default:
        *ok = 0;
        break;
    }
    return v;
}

/* What a CIE says about its FDEs: the pointer encoding of their initial
 * location ('R', else absptr), whether they carry augmentation data ('z')
 * and the encoding of their LSDA pointer there ('L', else none). */
struct cie_info {
    int enc, lsda_enc, z;
};

static int cie_parse(const uint8_t *cie, size_t len, uint64_t cie_addr, struct cie_info *ci);

/* The FDE pointer encoding from the CIE at cie[0..len): absptr unless its
 * augmentation has an 'R'. Returns -1 when the CIE is malformed. */
static int cie_encoding(const uint8_t *cie, size_t len, uint64_t cie_addr)
{
    struct cie_info ci;
    return cie_parse(cie, len, cie_addr, &ci) ? -1 : ci.enc;
}

static int cie_parse(const uint8_t *cie, size_t len, uint64_t cie_addr, struct cie_info *ci)
{
    ci->enc = PE_ABSPTR;
    ci->lsda_enc = PE_OMIT;
    ci->z = 0;
    struct cursor c = {cie, cie + len, 0};
    if (take(&c, 4) != 0) /* CIE id */
        return -1;
    uint8_t version = (uint8_t)take(&c, 1);
    const char *aug = (const char *)c.p;
    size_t auglen = strnlen(aug, (size_t)(c.end - c.p));
    if (auglen == (size_t)(c.end - c.p))
        return -1;
    c.p += auglen + 1;
    if (strstr(aug, "eh"))
        take(&c, 8); /* an old GCC's exception table pointer */
    uleb(&c);        /* code alignment */
    sleb(&c);        /* data alignment */
    if (version == 1)
        take(&c, 1);
    else
        uleb(&c); /* return address register */
    if (aug[0] != 'z')
        return c.bad ? -1 : 0;
    ci->z = 1;
    uleb(&c); /* augmentation data length */
    for (const char *a = aug + 1; *a && !c.bad; a++) {
        int ok = 1;
        switch (*a) {
        case 'R':
            ci->enc = (int)take(&c, 1);
            break;
        case 'L':
            ci->lsda_enc = (int)take(&c, 1);
            break;
        case 'P': {
            uint8_t penc = (uint8_t)take(&c, 1);
            encoded(&c, penc, cie_addr + (uint64_t)(c.p - cie), &ok);
            break;
        }
        case 'S':
        case 'B':
        case 'G':
            break;
        default:
            return -1; /* unknown: the rest cannot be parsed */
        }
    }
    return c.bad ? -1 : 0;
}

int hx_eh_frame_starts(const uint8_t *bytes, size_t size, uint64_t addr,
                       int (*add)(void *ctx, uint64_t start), void *ctx)
{
    size_t off = 0;
    while (size - off >= 4) {
        struct cursor c = {bytes + off, bytes + size, 0};
        uint64_t len = take(&c, 4);
        if (len == 0)
            break; /* terminator */
        if (len == 0xffffffffu)
            len = take(&c, 8);
        size_t body = (size_t)(c.p - bytes);
        if (c.bad || len < 4 || len > size - body)
            break;
        uint32_t id = (uint32_t)take(&c, 4);
        if (id != 0) {
            /* An FDE: id is the distance back to its CIE from the id field. */
            if (id > body)
                break;
            size_t cie_off = body - id;
            struct cursor cc = {bytes + cie_off, bytes + size, 0};
            uint64_t cie_len = take(&cc, 4);
            if (cie_len == 0xffffffffu)
                cie_len = take(&cc, 8);
            size_t cie_body = (size_t)(cc.p - bytes);
            if (cc.bad || cie_len > size - cie_body)
                break;
            int enc = cie_encoding(bytes + cie_body, (size_t)cie_len, addr + cie_body);
            if (enc < 0)
                break;
            if (enc != PE_OMIT) {
                int ok = 1;
                c.end = bytes + body + len;
                uint64_t start = encoded(&c, (uint8_t)enc, addr + (uint64_t)(c.p - bytes), &ok);
                if (c.bad)
                    break;
                if (ok && start && add(ctx, start))
                    return -1;
            }
        }
        off = body + (size_t)len;
    }
    return 0;
}

/* The landing pads of one LSDA (a .gcc_except_table entry) at lsda, for
 * the function starting at func: its call-site table's non-zero pads. */
static int lsda_pads(const uint8_t *p, size_t avail, uint64_t lsda, uint64_t func,
                     int (*add)(void *ctx, uint64_t pad), void *ctx)
{
    struct cursor c = {p, p + avail, 0};
    int ok = 1;
    uint64_t lpstart = func;
    uint8_t lpenc = (uint8_t)take(&c, 1);
    if (lpenc != PE_OMIT)
        lpstart = encoded(&c, lpenc, lsda + (uint64_t)(c.p - p), &ok);
    uint8_t ttenc = (uint8_t)take(&c, 1);
    if (ttenc != PE_OMIT)
        uleb(&c);
    uint8_t csenc = (uint8_t)take(&c, 1);
    uint64_t cslen = uleb(&c);
    if (c.bad || !ok || cslen > (uint64_t)(c.end - c.p))
        return 0;
    c.end = c.p + cslen;
    while (c.p < c.end && !c.bad) {
        encoded(&c, csenc, 0, &ok); /* start */
        encoded(&c, csenc, 0, &ok); /* length */
        uint64_t lp = encoded(&c, csenc, 0, &ok);
        uleb(&c); /* action */
        if (c.bad || !ok)
            break;
        if (lp && add(ctx, lpstart + lp))
            return -1;
    }
    return 0;
}

int hx_eh_frame_landing_pads(const uint8_t *bytes, size_t size, uint64_t addr,
                             const uint8_t *(*view)(void *ctx, uint64_t addr, size_t *avail),
                             int (*add)(void *ctx, uint64_t pad), void *ctx)
{
    size_t off = 0;
    while (size - off >= 4) {
        struct cursor c = {bytes + off, bytes + size, 0};
        uint64_t len = take(&c, 4);
        if (len == 0)
            break;
        if (len == 0xffffffffu)
            len = take(&c, 8);
        size_t body = (size_t)(c.p - bytes);
        if (c.bad || len < 4 || len > size - body)
            break;
        uint32_t id = (uint32_t)take(&c, 4);
        if (id != 0) {
            if (id > body)
                break;
            size_t cie_off = body - id;
            struct cursor cc = {bytes + cie_off, bytes + size, 0};
            uint64_t cie_len = take(&cc, 4);
            if (cie_len == 0xffffffffu)
                cie_len = take(&cc, 8);
            size_t cie_body = (size_t)(cc.p - bytes);
            struct cie_info ci;
            if (cc.bad || cie_len > size - cie_body ||
                cie_parse(bytes + cie_body, (size_t)cie_len, addr + cie_body, &ci))
                break;
            int ok = 1;
            c.end = bytes + body + len;
            uint64_t start = encoded(&c, (uint8_t)ci.enc, addr + (uint64_t)(c.p - bytes), &ok);
            encoded(&c, (uint8_t)(ci.enc & PE_FORMAT), 0, &ok); /* address range */
            if (ci.z && ci.lsda_enc != PE_OMIT && !c.bad) {
                uint64_t auglen = uleb(&c);
                if (auglen && !c.bad) {
                    uint64_t lsda =
                        encoded(&c, (uint8_t)ci.lsda_enc, addr + (uint64_t)(c.p - bytes), &ok);
                    size_t avail = 0;
                    const uint8_t *p = ok && lsda && !c.bad ? view(ctx, lsda, &avail) : NULL;
                    if (p && lsda_pads(p, avail, lsda, start, add, ctx))
                        return -1;
                }
            }
        }
        off = body + (size_t)len;
    }
    return 0;
}
