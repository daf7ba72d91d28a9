/* ELF validation with libelf: everything hxrun needs to know about a program
 * file, checked before a byte of it reaches a guest. */
#include "elf_load.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hx/abi.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return HX_ELF_NOEXEC;
}

static uint32_t prot_of(uint32_t flags)
{
    return ((flags & PF_R) ? HX_PROT_R : 0) | ((flags & PF_W) ? HX_PROT_W : 0) |
           ((flags & PF_X) ? HX_PROT_X : 0);
}

/* Checks one PT_LOAD the way Linux's binfmt_elf would refuse it, and more:
 * the guest must never see a segment that runs past the file or the
 * address window [va_lo, va_hi) (the user half for a program). */
static int check_load(const GElf_Phdr *ph, size_t size, uint64_t va_lo, uint64_t va_hi,
                      const char *window, char *err, size_t errlen)
{
    if (ph->p_filesz > ph->p_memsz)
        return fail(err, errlen, "corrupt ELF: segment file size exceeds memory size");
    if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
        return fail(err, errlen, "truncated ELF: segment runs past end of file");
    if (ph->p_vaddr < va_lo || ph->p_vaddr >= va_hi || ph->p_memsz > va_hi - ph->p_vaddr)
        return fail(err, errlen, "corrupt ELF: segment outside the %s address space", window);
    if ((ph->p_vaddr - ph->p_offset) % HX_PAGE_SIZE)
        return fail(err, errlen, "corrupt ELF: segment offset and address not congruent");
    return 0;
}

/* hxrewrite's notes in the PT_NOTE segment ph: the fastcall ABI version
 * (0 when there is none) and a rewritten program's own entry. */
static void fastcall_notes(Elf *elf, const GElf_Phdr *ph, size_t size, struct hx_elf *e)
{
    if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset || !ph->p_filesz)
        return;
    Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_NHDR);
    GElf_Nhdr nh;
    size_t off = 0, name, desc;
    while (d && off < d->d_size && (off = gelf_getnote(d, off, &nh, &name, &desc)) != 0) {
        if (nh.n_namesz != 3 || memcmp((char *)d->d_buf + name, "hx", 3))
            continue;
        const char *p = (char *)d->d_buf + desc;
        if (nh.n_type == HX_NOTE_FASTCALL && nh.n_descsz == 4 && !e->fastcall) {
            uint32_t v;
            memcpy(&v, p, 4);
            e->fastcall = v ? v : UINT32_MAX;
        } else if (nh.n_type == HX_NOTE_ENTRY && nh.n_descsz == 8) {
            memcpy(&e->fastcall_entry, p, 8);
        }
    }
}

int hx_elf_parse(const void *data, size_t size, struct hx_elf *e, char *err, size_t errlen)
{
    return hx_elf_parse_in(data, size, 0, HX_USER_TOP, "user", e, err, errlen);
}

int hx_elf_parse_in(const void *data, size_t size, uint64_t va_lo, uint64_t va_hi,
                    const char *window, struct hx_elf *e, char *err, size_t errlen)
{
    const unsigned char *b = data;
    memset(e, 0, sizeof(*e));
    e->data = data;
    e->size = size;

    if (size < EI_NIDENT || memcmp(b, ELFMAG, SELFMAG) != 0)
        return fail(err, errlen, "not an ELF executable");
    if (b[EI_CLASS] == ELFCLASS32)
        return fail(err, errlen, "32-bit ELF is not supported (x86-64 only)");
    if (b[EI_CLASS] != ELFCLASS64 || b[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, "corrupt ELF: bad class or byte order");
    if (size < sizeof(Elf64_Ehdr))
        return fail(err, errlen, "truncated ELF: header incomplete");

    elf_version(EV_CURRENT);
    Elf *elf = elf_memory((char *)data, size);
    if (!elf)
        return fail(err, errlen, "corrupt ELF: %s", elf_errmsg(-1));
    int rc = 0;
    GElf_Ehdr eh;
    size_t phnum;
    if (!gelf_getehdr(elf, &eh)) {
        rc = fail(err, errlen, "corrupt ELF: %s", elf_errmsg(-1));
        goto out;
    }
    if (eh.e_machine != EM_X86_64) {
        rc = fail(err, errlen, "ELF for another machine (e_machine %u), not x86-64", eh.e_machine);
        goto out;
    }
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
        rc = fail(err, errlen, "ELF is not an executable (e_type %u)", eh.e_type);
        goto out;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || elf_getphdrnum(elf, &phnum) != 0 || phnum == 0 ||
        phnum > 256 || (eh.e_phnum != PN_XNUM && phnum != eh.e_phnum) || eh.e_phoff > size ||
        phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff) {
        rc = fail(err, errlen, "corrupt or truncated ELF: bad program headers");
        goto out;
    }
    e->is_pie = eh.e_type == ET_DYN;
    e->entry = eh.e_entry;
    e->phnum = (uint16_t)phnum;
    e->phentsize = eh.e_phentsize;
    e->lo = UINT64_MAX;

    uint64_t phdr_vaddr = 0;
    int have_phdr = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) {
            rc = fail(err, errlen, "corrupt ELF: %s", elf_errmsg(-1));
            goto out;
        }
        switch (ph.p_type) {
        case PT_LOAD:
            if ((rc = check_load(&ph, size, va_lo, va_hi, window, err, errlen)))
                goto out;
            if (ph.p_memsz == 0)
                break;
            if (e->nload == HX_ELF_MAX_LOAD) {
                rc = fail(err, errlen, "unsupported ELF: more than %d loadable segments",
                          HX_ELF_MAX_LOAD);
                goto out;
            }
            if (e->nload && ph.p_vaddr < e->load[e->nload - 1].vaddr) {
                rc = fail(err, errlen, "corrupt ELF: loadable segments out of order");
                goto out;
            }
            e->load[e->nload++] = (struct hx_elf_seg){ph.p_vaddr, ph.p_memsz, ph.p_filesz,
                                                      ph.p_offset, prot_of(ph.p_flags)};
            if (ph.p_vaddr / HX_PAGE_SIZE * HX_PAGE_SIZE < e->lo)
                e->lo = ph.p_vaddr / HX_PAGE_SIZE * HX_PAGE_SIZE;
            uint64_t end = (ph.p_vaddr + ph.p_memsz + HX_PAGE_SIZE - 1) & ~(HX_PAGE_SIZE - 1);
            if (end > e->hi)
                e->hi = end;
            break;
        case PT_INTERP:
            if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset || ph.p_filesz < 2 ||
                ph.p_filesz > sizeof(e->interp) || b[ph.p_offset + ph.p_filesz - 1] != 0) {
                rc = fail(err, errlen, "corrupt ELF: bad interpreter path");
                goto out;
            }
            memcpy(e->interp, b + ph.p_offset, ph.p_filesz);
            break;
        case PT_PHDR:
            phdr_vaddr = ph.p_vaddr;
            have_phdr = 1;
            break;
        case PT_NOTE:
            fastcall_notes(elf, &ph, size, e);
            break;
        case PT_GNU_STACK:
            e->exec_stack = (ph.p_flags & PF_X) != 0;
            break;
        }
    }
    if (e->nload == 0) {
        rc = fail(err, errlen, "corrupt ELF: no loadable segment");
        goto out;
    }
    if (e->is_pie && e->hi - e->lo > HX_PIE_BASE) {
        rc = fail(err, errlen, "corrupt ELF: position-independent image too large");
        goto out;
    }
    /* Without PT_PHDR, Linux computes AT_PHDR from the segment that maps
     * e_phoff; do the same. */
    if (!have_phdr) {
        for (size_t i = 0; i < e->nload; i++) {
            const struct hx_elf_seg *s = &e->load[i];
            if (eh.e_phoff >= s->offset && eh.e_phoff < s->offset + s->filesz) {
                phdr_vaddr = s->vaddr + (eh.e_phoff - s->offset);
                have_phdr = 1;
                break;
            }
        }
    }
    e->phdr_vaddr = have_phdr ? phdr_vaddr : 0;
out:
    elf_end(elf);
    return rc;
}

int hx_elf_open(const char *path, struct hx_elf *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof(*e));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        snprintf(err, errlen, "%s", strerror(saved));
        return saved == ENOENT || saved == ENOTDIR ? HX_ELF_NOTFOUND : HX_ELF_NOEXEC;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        return fail(err, errlen, "%s", strerror(saved));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "%s",
                    S_ISDIR(st.st_mode) ? "Is a directory" : "not a regular file");
    }
    if (st.st_size == 0) {
        close(fd);
        return fail(err, errlen, "not an ELF executable (empty file)");
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return fail(err, errlen, "cannot map file: %s", strerror(errno));
    int rc = hx_elf_parse(p, (size_t)st.st_size, e, err, errlen);
    e->mapped = 1;
    if (rc)
        hx_elf_close(e);
    return rc;
}

void hx_elf_close(struct hx_elf *e)
{
    if (e->mapped && e->data)
        munmap((void *)e->data, e->size);
    e->data = NULL;
    e->mapped = 0;
}
