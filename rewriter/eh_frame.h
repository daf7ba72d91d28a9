/* Function starts from .eh_frame: every FDE's initial location. Stripped
 * programs and libraries keep their unwind data, so this finds the functions
 * a symbol table would have named. */
#ifndef HX_REWRITER_EH_FRAME_H
#define HX_REWRITER_EH_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Calls add(ctx, start) for the initial location of every FDE in the
 * .eh_frame section bytes[0..size) loaded at address addr. Stops at the first
 * malformed entry (what came before it stands). Returns -1 when add does,
 * else 0. */
int hx_eh_frame_starts(const uint8_t *bytes, size_t size, uint64_t addr,
                       int (*add)(void *ctx, uint64_t start), void *ctx);

/* Calls add(ctx, pad) for every exception landing pad: the call-site
 * tables of the LSDAs (.gcc_except_table) the FDEs of the .eh_frame
 * section bytes[0..size) at addr point to. view(ctx, a, &avail) gives the
 * object's bytes at address a (avail of them), or NULL. Landing pads are
 * entered by the unwinder, from no branch the code shows. Returns -1 when
 * add does, else 0. */
int hx_eh_frame_landing_pads(const uint8_t *bytes, size_t size, uint64_t addr,
                             const uint8_t *(*view)(void *ctx, uint64_t addr, size_t *avail),
                             int (*add)(void *ctx, uint64_t pad), void *ctx);

#endif
