/* PT_DYNAMIC through libelf. Strings are found through DT_STRTAB, an address,
 * translated to a file offset with the PT_LOAD segments, so this works on
 * files without section headers too. */
#include "elf_dyn.h"

#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

/* File offset of address addr, or -1 when no segment maps it from the file. */
static int64_t offset_of(const struct hx_elf *e, uint64_t addr)
{
    for (size_t i = 0; i < e->nload; i++) {
        const struct hx_elf_seg *s = &e->load[i];
        if (addr - s->vaddr < s->filesz)
            return (int64_t)(s->offset + (addr - s->vaddr));
    }
    return -1;
}

/* A copy of the NUL-terminated string at strtab + off, or NULL. */
static char *string_at(const struct hx_elf *e, long long strtab, uint64_t strsz, uint64_t off)
{
    if (strtab < 0 || off >= strsz || (uint64_t)strtab > e->size ||
        strsz > e->size - (uint64_t)strtab)
        return NULL;
    const char *s = (const char *)e->data + strtab + off;
    size_t max = (size_t)(strsz - off), len = strnlen(s, max);
    return len < max ? strndup(s, len) : NULL;
}

int hx_dyn_read(const struct hx_elf *e, struct hx_dyn *d)
{
    memset(d, 0, sizeof(*d));
    elf_version(EV_CURRENT);
    Elf *elf = elf_memory((char *)e->data, e->size);
    if (!elf)
        return -1;
    int rc = 0;
    size_t phnum = 0;
    GElf_Phdr ph;
    int found = 0;
    if (elf_getphdrnum(elf, &phnum) == 0)
        for (size_t i = 0; i < phnum && !found; i++)
            found = gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_DYNAMIC;
    if (!found || ph.p_offset > e->size || ph.p_filesz > e->size - ph.p_offset) {
        elf_end(elf);
        return found ? -1 : 0;
    }
    Elf_Data *data = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_DYN);
    if (!data) {
        elf_end(elf);
        return -1;
    }
    size_t n = ph.p_filesz / sizeof(Elf64_Dyn);
    uint64_t strtab_addr = 0, strsz = 0, rpath = 0, runpath = 0, soname = 0;
    int have_rpath = 0, have_runpath = 0, have_soname = 0;
    size_t nneeded = 0;
    for (size_t i = 0; i < n; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
            break;
        switch (dyn.d_tag) {
        case DT_STRTAB:
            strtab_addr = dyn.d_un.d_ptr;
            break;
        case DT_STRSZ:
            strsz = dyn.d_un.d_val;
            break;
        case DT_NEEDED:
            nneeded++;
            break;
        case DT_RPATH:
            rpath = dyn.d_un.d_val, have_rpath = 1;
            break;
        case DT_RUNPATH:
            runpath = dyn.d_un.d_val, have_runpath = 1;
            break;
        case DT_SONAME:
            soname = dyn.d_un.d_val, have_soname = 1;
            break;
        case DT_FLAGS_1:
            d->nodeflib = (dyn.d_un.d_val & DF_1_NODEFLIB) != 0;
            break;
        }
    }
    long long strtab = offset_of(e, strtab_addr);
    d->needed = calloc(nneeded ? nneeded : 1, sizeof(char *));
    if (!d->needed) {
        elf_end(elf);
        return -1;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
            break;
        if (dyn.d_tag != DT_NEEDED)
            continue;
        char *s = string_at(e, strtab, strsz, dyn.d_un.d_val);
        if (!s)
            rc = -1;
        else
            d->needed[d->nneeded++] = s;
    }
    if (!rc && have_rpath && !(d->rpath = string_at(e, strtab, strsz, rpath)))
        rc = -1;
    if (!rc && have_runpath && !(d->runpath = string_at(e, strtab, strsz, runpath)))
        rc = -1;
    if (!rc && have_soname && !(d->soname = string_at(e, strtab, strsz, soname)))
        rc = -1;
    elf_end(elf);
    if (rc)
        hx_dyn_free(d);
    return rc;
}

void hx_dyn_free(struct hx_dyn *d)
{
    for (size_t i = 0; i < d->nneeded; i++)
        free(d->needed[i]);
    free(d->needed);
    free(d->rpath);
    free(d->runpath);
    free(d->soname);
    memset(d, 0, sizeof(*d));
}
