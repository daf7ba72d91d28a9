/* ELF to struct hx_code, with libelf. */
#include "elf_code.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#include "eh_frame.h"
#include "hx/abi.h"

static int is_plt_name(const char *name)
{
    return name && (strcmp(name, ".plt") == 0 || strcmp(name, ".plt.sec") == 0 ||
                    strcmp(name, ".plt.got") == 0 || strcmp(name, ".iplt") == 0);
}

/* Section bytes inside the file image, or NULL when they are not all there. */
static const uint8_t *section_bytes(const struct hx_elf *e, const GElf_Shdr *sh)
{
    if (sh->sh_type == SHT_NOBITS || sh->sh_offset > e->size ||
        sh->sh_size > e->size - sh->sh_offset)
        return NULL;
    return e->data + sh->sh_offset;
}

static int add_symbols(struct hx_code *c, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d || !sh->sh_entsize)
        return 0;
    size_t n = sh->sh_size / sh->sh_entsize;
    int dynamic = sh->sh_type == SHT_DYNSYM;
    for (size_t i = 1; i < n; i++) {
        GElf_Sym s;
        if (!gelf_getsym(d, (int)i, &s))
            break;
        int type = GELF_ST_TYPE(s.st_info), bind = GELF_ST_BIND(s.st_info);
        int vis = GELF_ST_VISIBILITY(s.st_other);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF || !s.st_value)
            continue;
        const char *name = elf_strptr(elf, sh->sh_link, s.st_name);
        unsigned flags = HX_FUNC_ENTRY;
        /* GCC's split-off cold parts are reached by jumps from the function
         * itself, not called: no unknown callers to assume. */
        if (name && strstr(name, ".cold"))
            flags = HX_FUNC_COLD;
        if (dynamic && (bind == STB_GLOBAL || bind == STB_WEAK) &&
            (vis == STV_DEFAULT || vis == STV_PROTECTED))
            flags |= HX_FUNC_EXPORTED;
        if (hx_code_add_func(c, s.st_value, s.st_size, name, flags))
            return -1;
    }
    return 0;
}

/* From the relocations: GOT slots named by JUMP_SLOT and GLOB_DAT (what a
 * PLT stub or a call through the GOT reaches), data words holding a symbol's
 * address (R_X86_64_64), and code addresses stored in this object's data
 * (RELATIVE, IRELATIVE: function pointers, whose targets are entries). */
static int add_relocs(struct hx_code *c, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d || !sh->sh_entsize)
        return 0;
    Elf_Scn *symscn = sh->sh_link ? elf_getscn(elf, sh->sh_link) : NULL;
    GElf_Shdr symsh;
    Elf_Data *syms = symscn && gelf_getshdr(symscn, &symsh) ? elf_getdata(symscn, NULL) : NULL;
    size_t n = sh->sh_size / sh->sh_entsize;
    for (size_t i = 0; i < n; i++) {
        GElf_Rela r;
        if (!gelf_getrela(d, (int)i, &r))
            break;
        unsigned type = (unsigned)GELF_R_TYPE(r.r_info), symi = (unsigned)GELF_R_SYM(r.r_info);
        if ((type == R_X86_64_RELATIVE || type == R_X86_64_IRELATIVE) &&
            hx_code_add_ref(c, (uint64_t)r.r_addend))
            return -1;
        if (!symi || !syms ||
            (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT && type != R_X86_64_64))
            continue;
        GElf_Sym s;
        if (!gelf_getsym(syms, (int)symi, &s))
            continue;
        const char *name = elf_strptr(elf, symsh.sh_link, s.st_name);
        if (!name || !*name)
            continue;
        if (hx_code_add_got(c, r.r_offset, name) ||
            (type == R_X86_64_64 && hx_code_add_ptr(c, r.r_offset, name)))
            return -1;
    }
    return 0;
}

static int add_unwind_start(void *ctx, uint64_t start)
{
    return hx_code_add_func(ctx, start, 0, NULL, HX_FUNC_UNWIND);
}

static int add_pad(void *ctx, uint64_t pad)
{
    return hx_code_add_pad(ctx, pad);
}

/* The file-backed bytes of the object at addr, for the LSDA reader. */
static const uint8_t *view_data(void *ctx, uint64_t addr, size_t *avail)
{
    const struct hx_code *c = ctx;
    for (size_t i = 0; i < c->ndata; i++)
        if (addr - c->data[i].addr < c->data[i].size) {
            *avail = (size_t)(c->data[i].size - (addr - c->data[i].addr));
            return c->data[i].bytes + (addr - c->data[i].addr);
        }
    return NULL;
}

int hx_code_from_elf(struct hx_code *c, const struct hx_elf *e, char *err, size_t errlen)
{
    elf_version(EV_CURRENT);
    Elf *elf = elf_memory((char *)e->data, e->size);
    if (!elf) {
        snprintf(err, errlen, "corrupt ELF: %s", elf_errmsg(-1));
        return -1;
    }
    size_t shstrndx = 0;
    int rc = 0, have_code = 0;
    const uint8_t *eh = NULL;
    uint64_t eh_addr = 0, eh_size = 0;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        shstrndx = 0;
    for (Elf_Scn *scn = NULL; !rc && (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *name = shstrndx ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
        const uint8_t *bytes = section_bytes(e, &sh);
        if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_ALLOC) &&
            (sh.sh_flags & SHF_EXECINSTR) && bytes && sh.sh_size) {
            rc = hx_code_add_range(c, sh.sh_addr, bytes, sh.sh_size, is_plt_name(name));
            have_code = 1;
        } else if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) {
            rc = add_symbols(c, elf, scn, &sh);
        } else if (sh.sh_type == SHT_RELA) {
            rc = add_relocs(c, elf, scn, &sh);
        } else if (name && strcmp(name, ".eh_frame") == 0 && bytes) {
            rc = hx_eh_frame_starts(bytes, sh.sh_size, sh.sh_addr, add_unwind_start, c);
            eh = bytes, eh_addr = sh.sh_addr, eh_size = sh.sh_size;
        }
    }
    /* Without section headers, the executable segments are the code. */
    for (size_t i = 0; !rc && !have_code && i < e->nload; i++)
        if (e->load[i].prot & HX_PROT_X)
            rc = hx_code_add_range(c, e->load[i].vaddr, e->data + e->load[i].offset,
                                   e->load[i].filesz, 0);
    for (size_t i = 0; !rc && i < e->nload; i++)
        rc = hx_code_add_data(c, e->load[i].vaddr, e->data + e->load[i].offset, e->load[i].filesz);
    if (!rc && eh)
        rc = hx_eh_frame_landing_pads(eh, eh_size, eh_addr, view_data, add_pad, c);
    if (!rc && e->entry)
        rc = hx_code_add_func(c, e->entry, 0, NULL, HX_FUNC_ENTRY);
    c->absolute = !e->is_pie;
    elf_end(elf);
    if (rc)
        snprintf(err, errlen, "out of memory");
    return rc;
}
