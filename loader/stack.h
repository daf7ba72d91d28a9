/* The initial process stack, laid out byte for byte as Linux's
 * create_elf_tables() lays it out (without stack randomisation). */
#ifndef HX_LOADER_STACK_H
#define HX_LOADER_STACK_H

#include <stddef.h>
#include <stdint.h>

struct hx_auxv {
    uint64_t type, val;
};

struct hx_stack_spec {
    char *const *argv;
    char *const *envp;
    const char *execfn;        /* the program path as given: AT_EXECFN */
    const char *platform;      /* AT_PLATFORM string, e.g. "x86_64" */
    const uint8_t *random16;   /* 16 bytes for AT_RANDOM */
    const struct hx_auxv *aux; /* auxv without AT_RANDOM/EXECFN/PLATFORM/NULL */
    size_t naux;
    int hx; /* add AT_HX: the program or its interpreter was rewritten by hxrewrite */
};

/* Builds the stack image ending at user virtual address top_va into the
 * host buffer that maps [top_va - size, top_va). On success returns 0 and
 * sets *sp to the initial user stack pointer (pointing at argc). Returns -1
 * when the arguments do not fit. */
int hx_build_stack(const struct hx_stack_spec *spec, uint8_t *buf, size_t size, uint64_t top_va,
                   uint64_t *sp);

#endif
