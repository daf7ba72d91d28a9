/* Linear, symbol-guided disassembly with Capstone: decodes a run of code
 * bytes into struct hx_insn, restarting at known function starts so that data
 * or padding between functions cannot desynchronise the decoding. */
#ifndef HX_REWRITER_DISASM_H
#define HX_REWRITER_DISASM_H

#include <capstone/capstone.h>
#include <stddef.h>
#include <stdint.h>

#include "insn.h"

/* A growable array of decoded instructions, sorted by address. */
struct hx_insn_vec {
    struct hx_insn *v;
    size_t n, cap;
};

struct hx_disasm {
    csh cs;
    cs_insn *buf;
};

/* Returns 0, or -1 with a reason in err when Capstone cannot be opened. */
int hx_disasm_open(struct hx_disasm *d, char *err, size_t errlen);
void hx_disasm_close(struct hx_disasm *d);

/* Decodes bytes[0..size), which live at address addr, appending to out.
 * anchors (sorted, any addresses) are places where an instruction must
 * start: no instruction is decoded across one, and decoding restarts exactly
 * there. Undecodable bytes are skipped one at a time; the next instruction
 * decoded has gap set. Returns 0, or -1 when out of memory. */
int hx_disasm_range(struct hx_disasm *d, const uint8_t *bytes, size_t size, uint64_t addr,
                    const uint64_t *anchors, size_t nanchors, struct hx_insn_vec *out);

/* Translates one Capstone instruction (decoded with details on) into out. */
void hx_insn_from_capstone(csh cs, const cs_insn *ci, struct hx_insn *out);

void hx_insn_vec_free(struct hx_insn_vec *v);

#endif
