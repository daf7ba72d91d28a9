/* Backward inference of a register's possible values at one instruction:
 * through constants, register copies, arithmetic with constants, and into
 * predecessor blocks. A value that depends on memory, a call, or a path the
 * graph does not know makes the result incomplete, never guessed. */
#ifndef HX_REWRITER_INFER_H
#define HX_REWRITER_INFER_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"

#define HX_MAX_VALUES 64
#define HX_MAX_OPS 8
#define HX_MAX_ENTRIES 8

/* One arithmetic step between a source and the register followed. */
struct hx_op {
    uint8_t alu;   /* enum hx_alu */
    uint8_t width; /* 4: the result is truncated to 32 bits */
    int64_t imm;
};

/* The value comes from argument register reg at the entry of the function
 * starting at func, transformed by ops (applied last to first). */
struct hx_entry {
    uint64_t func;
    uint8_t reg;
    uint8_t nops;
    struct hx_op ops[HX_MAX_OPS];
};

struct hx_values {
    size_t n;
    uint64_t v[HX_MAX_VALUES]; /* constants, sorted, unique */
    size_t nentry;
    struct hx_entry entry[HX_MAX_ENTRIES];
    uint8_t why;     /* enum hx_why: HX_WHY_NONE when v and entry are all the values */
    uint64_t why_at; /* the instruction where the inference gave up */
};

/* The values register reg may hold when instruction insn of c starts. */
void hx_infer(const struct hx_code *c, size_t insn, unsigned reg, struct hx_values *out);

/* Adds constant v to out (keeping it sorted); records HX_WHY_LIMIT when full. */
void hx_values_add(struct hx_values *out, uint64_t v);
/* Applies ops, last to first, to v. */
uint64_t hx_ops_apply(const struct hx_op *ops, size_t nops, uint64_t v);
/* Whether reg carries an integer argument in the System V ABI. */
int hx_is_arg_reg(unsigned reg);

#endif
