/* Fills a struct hx_code from an ELF file validated by the loader: executable
 * sections, function symbols (.symtab and .dynsym), unwind starts, the entry
 * point, GOT slot names from relocations, and the file-backed segments. */
#ifndef HX_REWRITER_ELF_CODE_H
#define HX_REWRITER_ELF_CODE_H

#include <stddef.h>

#include "code.h"
#include "elf_load.h"

/* c must be freshly initialised; e must stay open while c is used (its bytes
 * are not copied). Returns 0, or -1 with a reason in err. Decoding is left
 * to hx_code_decode. */
int hx_code_from_elf(struct hx_code *c, const struct hx_elf *e, char *err, size_t errlen);

#endif
