/* ELF validation and program-image description for hx (host side, libelf).
 * Shared by hxrun, hxscan and hxrewrite. */
#ifndef HX_LOADER_ELF_LOAD_H
#define HX_LOADER_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#define HX_ELF_MAX_LOAD 16

/* Shell-like statuses for a program that cannot be run. */
#define HX_ELF_NOTFOUND 127
#define HX_ELF_NOEXEC 126

struct hx_elf_seg {
    uint64_t vaddr, memsz, filesz, offset;
    uint32_t prot; /* HX_PROT_* */
};

struct hx_elf {
    const unsigned char *data; /* the whole file (mmap or caller's buffer) */
    size_t size;
    int mapped;          /* data is our mmap, unmap in hx_elf_close */
    int is_pie;          /* ET_DYN: needs a load bias */
    uint64_t entry;      /* e_entry, before the load bias */
    uint64_t phdr_vaddr; /* vaddr of the program headers (AT_PHDR) */
    uint16_t phnum, phentsize;
    uint64_t lo, hi; /* page-aligned span of the PT_LOAD segments */
    size_t nload;
    struct hx_elf_seg load[HX_ELF_MAX_LOAD];
    char interp[256]; /* PT_INTERP path, "" for static programs */
    int exec_stack;   /* PT_GNU_STACK with PF_X */
    /* The version in hxrewrite's note (HX_NOTE_FASTCALL), 0 when the file
     * was not rewritten. */
    uint32_t fastcall;
    uint64_t fastcall_entry; /* a rewritten program's own entry (HX_NOTE_ENTRY), or 0 */
};

/* Validates an in-memory ELF image. Returns 0, or HX_ELF_NOEXEC with a
 * one-line reason in err. Does not take ownership of data. */
int hx_elf_parse(const void *data, size_t size, struct hx_elf *e, char *err, size_t errlen);

/* hx_elf_parse for an image whose segments must lie in [va_lo, va_hi)
 * instead of the user half (the guest kernel's, in the upper half); window
 * names that range in the message that refuses a segment outside it. */
int hx_elf_parse_in(const void *data, size_t size, uint64_t va_lo, uint64_t va_hi,
                    const char *window, struct hx_elf *e, char *err, size_t errlen);

/* Opens and validates the file at path. Returns 0, HX_ELF_NOTFOUND or
 * HX_ELF_NOEXEC with a one-line reason in err. */
int hx_elf_open(const char *path, struct hx_elf *e, char *err, size_t errlen);

void hx_elf_close(struct hx_elf *e);

#endif
