/* The control-flow graph of one object's decoded code: basic blocks split at
 * function starts, branch targets and after control transfers, with their
 * predecessors from fall-through, direct branches and recovered jump tables. */
#ifndef HX_REWRITER_CFG_H
#define HX_REWRITER_CFG_H

#include "code.h"

/* Fills c->blocks, c->insn_block, c->preds and c->func_opaque from c->insns
 * and c->funcs. Returns 0, or -1 when out of memory. */
int hx_cfg_build(struct hx_code *c);

/* Whether a direct call to the function at target (or to the PLT stub
 * reaching `name`) never returns, so nothing falls through after it. */
int hx_cfg_noreturn_name(const char *name);

#endif
