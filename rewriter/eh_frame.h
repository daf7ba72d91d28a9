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

#endif
