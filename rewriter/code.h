/* The code of one object (program or shared library) as the analysis sees
 * it: executable ranges and their decoded instructions, the functions known
 * to start in them, the names behind GOT slots and exported functions, the
 * readable file data (for jump tables), and the control-flow graph. Built
 * from an ELF file (elf_code.c) or, in the unit tests, from bytes. */
#ifndef HX_REWRITER_CODE_H
#define HX_REWRITER_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "disasm.h"

/* hx_code_add_func flags */
#define HX_FUNC_ENTRY 1u    /* may be entered from outside: a symbol, a call target, e_entry */
#define HX_FUNC_EXPORTED 2u /* defined global in .dynsym: callable from other objects */
#define HX_FUNC_UNWIND 4u   /* starts an unwind (FDE) range: an entry unless it is COLD */
#define HX_FUNC_COLD 8u     /* a "foo.cold" part, entered only by jumps from foo */

struct hx_range {
    uint64_t addr, size;
    const uint8_t *bytes;
    int plt; /* a PLT section: stubs that jump through the GOT */
};

struct hx_func {
    uint64_t addr;
    uint64_t size;    /* from the symbol; 0 when unknown */
    const char *name; /* NULL when known only from unwind data or a call */
    unsigned flags;   /* HX_FUNC_* */
};

struct hx_name_addr {
    const char *name;
    uint64_t addr;
};

struct hx_block {
    uint32_t first, end;  /* instructions [first, end) */
    uint32_t pred, npred; /* predecessors: code->preds[pred .. pred + npred) */
    uint32_t func;        /* index in funcs of the function containing it */
    uint8_t entry;        /* starts a function that may be entered from outside */
    uint8_t unknown;      /* may also be reached from places not in its predecessors */
};

struct hx_code {
    char *path;
    struct hx_range *ranges;
    size_t nranges;
    struct hx_range *data; /* file-backed readable memory, for jump tables */
    size_t ndata;
    struct hx_func *funcs; /* sorted by address, one per address */
    size_t nfuncs;
    struct hx_name_addr *exports; /* exported function names, sorted by name */
    size_t nexports;
    struct hx_name_addr *got; /* GOT slot address -> symbol name, sorted by address */
    size_t ngot;
    struct hx_name_addr *ptrs; /* data words holding a symbol's address (R_X86_64_64) */
    size_t nptrs;
    uint64_t *refs; /* code addresses stored in data (relative relocations), sorted */
    size_t nrefs;
    /* Exception landing pads (from .gcc_except_table): entered by the
     * unwinder. Not part of the graph; hxrewrite never patches across one. */
    uint64_t *pads;
    size_t npads;
    int absolute; /* position-dependent: immediates may be code addresses */
    struct hx_insn_vec insns;
    struct hx_block *blocks;
    size_t nblocks;
    uint32_t *insn_block; /* block of each instruction */
    uint32_t *preds;
    size_t npreds;
    uint8_t *func_opaque;   /* per function: may be entered at any instruction (unknown jumps) */
    uint8_t *func_noreturn; /* per function: never returns to its caller */
    size_t misaligned;      /* direct branch targets that are not instruction starts */
    /* private: names are copied into chunks owned by the code; capacities */
    char **chunks;
    size_t nchunks;
    size_t cap_ranges, cap_data, cap_funcs, cap_got, cap_chunks, cap_ptrs, cap_refs, cap_pads;
};

/* Whether a function may be entered from code the analysis does not see. */
int hx_func_is_entry(const struct hx_func *f);

void hx_code_init(struct hx_code *c, const char *path);
void hx_code_free(struct hx_code *c);

/* Building, before hx_code_decode. Each returns 0, or -1 when out of memory.
 * Bytes are not copied and must outlive the code. */
int hx_code_add_range(struct hx_code *c, uint64_t addr, const uint8_t *bytes, uint64_t size,
                      int plt);
int hx_code_add_data(struct hx_code *c, uint64_t addr, const uint8_t *bytes, uint64_t size);
int hx_code_add_func(struct hx_code *c, uint64_t addr, uint64_t size, const char *name,
                     unsigned flags);
int hx_code_add_got(struct hx_code *c, uint64_t slot, const char *name);
/* A data word at slot holds the address of symbol name. */
int hx_code_add_ptr(struct hx_code *c, uint64_t slot, const char *name);
/* The object's data holds the code address addr (a function pointer). */
int hx_code_add_ref(struct hx_code *c, uint64_t addr);
/* An exception landing pad at addr. */
int hx_code_add_pad(struct hx_code *c, uint64_t addr);

/* Decodes every range (function starts as anchors), adds as function starts
 * every instruction whose address the code takes (direct calls, lea X(%rip),
 * pointers in data, immediates in position-dependent code), and builds the
 * control-flow graph. Returns 0, or -1 when out of memory. */
int hx_code_decode(struct hx_code *c, struct hx_disasm *d);

/* Lookups after decoding. */
/* Index of the instruction starting at addr, or -1. */
long hx_code_insn_at(const struct hx_code *c, uint64_t addr);
/* Index of the function containing addr (the last start at or before it), or -1. */
long hx_code_func_of(const struct hx_code *c, uint64_t addr);
/* Address of the exported function called name, or 0. */
uint64_t hx_code_export(const struct hx_code *c, const char *name);
/* The symbol behind a GOT slot, or NULL. */
const char *hx_code_got_name(const struct hx_code *c, uint64_t slot);
/* For a call or jump instruction that goes through the GOT, directly or by a
 * PLT stub: the name of the symbol it reaches, else NULL. */
const char *hx_code_call_name(const struct hx_code *c, size_t insn);
/* Reads n bytes of file data at addr; 0, or -1 when not all are there. */
int hx_code_read(const struct hx_code *c, uint64_t addr, void *out, size_t n);
/* Whether the code or data of c takes the address addr other than to call
 * or jump there: lea X(%rip), a pointer in data, an immediate. */
int hx_code_takes_address(const struct hx_code *c, uint64_t addr);
/* A printable name for the function containing addr: its symbol, or
 * "fn_ADDR" for functions without one. */
void hx_code_func_label(const struct hx_code *c, uint64_t addr, char *buf, size_t len);

/* Internal to the analysis: copies a string into memory owned by c. */
const char *hx_code_strdup(struct hx_code *c, const char *s);

#endif
