/* The rewritten file, with libelf for reading and for the file form of the
 * headers written (gelf_xlatetof).
 *
 * The new segment sits after everything the image maps and after the end
 * of the file, at an address that keeps the first segment's distance
 * between file offset and address: ld.so (glibc and musl) finds its own
 * program headers at __ehdr_start + e_phoff, and older kernels computed
 * AT_PHDR the same way, so e_phoff must be the offset of the headers in
 * that first mapping's terms. The gap in the file is a hole. */
#include "elf_rewrite.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_code.h"
#include "hx/abi.h"
#include "scan.h"

#define PAGE 4096ull
/* The notes: Nhdr (12 bytes), "hx\0" padded to 4, then the version (4
 * bytes), and for programs the original entry (8 bytes). */
#define NOTE_VERSION_SIZE 20
#define NOTE_ENTRY_SIZE 24

static uint64_t round_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

/* The native-run guard, entered at e_entry with rsp at argc:
 *      push %rax; push %rcx; pushf
 *      mov 24(%rsp),%rcx            argc
 *      lea 40(%rsp,%rcx,8),%rcx     envp
 *  1:  mov (%rcx),%rax; add $8,%rcx; test %rax,%rax; jnz 1b
 *  2:  mov (%rcx),%rax; test %rax,%rax; jz native    the auxv, up to AT_NULL
 *      add $16,%rcx; cmp $0x4858,%rax; jne 2b          AT_HX
 *      popf; pop %rcx; pop %rax
 *      jmp ENTRY                     registers and stack as the kernel left them
 *  native:
 *      write(2, argv[0], strlen(argv[0])) when there is an argv[0]
 *      write(2, msg, sizeof msg); exit_group(126); hlt
 *  msg: ": this program was rewritten by hxrewrite and runs only under hxrun\n"
 * (assembled with GNU as; STUB_JMP is the rel32 of jmp ENTRY). */
static const uint8_t stub_code[] = {
    0x50, 0x51, 0x9c, 0x48, 0x8b, 0x4c, 0x24, 0x18, 0x48, 0x8d, 0x4c, 0xcc, 0x28, 0x48, 0x8b, 0x01,
    0x48, 0x83, 0xc1, 0x08, 0x48, 0x85, 0xc0, 0x75, 0xf4, 0x48, 0x8b, 0x01, 0x48, 0x85, 0xc0, 0x74,
    0x14, 0x48, 0x83, 0xc1, 0x10, 0x48, 0x3d, 0x58, 0x48, 0x00, 0x00, 0x75, 0xec, 0x9d, 0x59, 0x58,
    0xe9, 0x00, 0x00, 0x00, 0x00, 0x48, 0x8b, 0x74, 0x24, 0x20, 0x48, 0x85, 0xf6, 0x74, 0x1c, 0x48,
    0x89, 0xf2, 0x80, 0x3a, 0x00, 0x74, 0x05, 0x48, 0xff, 0xc2, 0xeb, 0xf6, 0x48, 0x29, 0xf2, 0xbf,
    0x02, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x8d, 0x35, 0x1e, 0x00,
    0x00, 0x00, 0xba, 0x44, 0x00, 0x00, 0x00, 0xbf, 0x02, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00,
    0x00, 0x0f, 0x05, 0xbf, 0x7e, 0x00, 0x00, 0x00, 0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xf4};
#define STUB_JMP 0x31
static const char stub_msg[] =
    ": this program was rewritten by hxrewrite and runs only under hxrun\n";
#define STUB_SIZE (sizeof(stub_code) + sizeof(stub_msg) - 1)

_Static_assert(sizeof(stub_code) == 0x80, "the lea of msg assumes msg at 0x80");
_Static_assert(sizeof(stub_msg) - 1 == 0x44, "the write's length");

/* Whether e is a program (gets the guard) rather than a shared library: an
 * ET_EXEC, a PIE (DF_1_PIE, static or not), or, from linkers older than
 * DF_1_PIE, an object with an interpreter and no DT_SONAME. glibc's
 * libc.so.6 has an interpreter (it runs, to print its version) and a
 * soname: a library. */
static int is_executable(Elf *elf, const struct hx_elf *e)
{
    if (!e->is_pie)
        return 1;
    size_t phnum;
    int soname = 0;
    if (elf_getphdrnum(elf, &phnum))
        return 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_DYNAMIC)
            continue;
        if (ph.p_offset > e->size || ph.p_filesz > e->size - ph.p_offset)
            return 0;
        Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_DYN);
        GElf_Dyn dyn;
        for (int k = 0; d && gelf_getdyn(d, k, &dyn) && dyn.d_tag != DT_NULL; k++) {
            if (dyn.d_tag == DT_FLAGS_1 && (dyn.d_un.d_val & DF_1_PIE))
                return 1;
            soname |= dyn.d_tag == DT_SONAME;
        }
    }
    return e->interp[0] && !soname;
}

int hx_rewrite_layout(const struct hx_elf *e, struct hx_rewrite_layout *l, char *err, size_t errlen)
{
    memset(l, 0, sizeof(*l));
    elf_version(EV_CURRENT);
    Elf *elf = elf_memory((char *)e->data, e->size);
    size_t phnum;
    if (!elf || elf_getphdrnum(elf, &phnum)) {
        snprintf(err, errlen, "corrupt ELF: %s", elf_errmsg(-1));
        if (elf)
            elf_end(elf);
        return -1;
    }
    l->executable = e->entry && is_executable(elf, e);
    elf_end(elf);
    if (phnum + 2 >= PN_XNUM) {
        snprintf(err, errlen, "too many program headers");
        return -1;
    }
    l->nphdr = phnum + 2;
    uint64_t delta = e->load[0].vaddr - e->load[0].offset, end = 0;
    for (size_t i = 0; i < e->nload; i++)
        if (e->load[i].vaddr + e->load[i].memsz > end)
            end = e->load[i].vaddr + e->load[i].memsz;
    l->offset = round_up(e->size, PAGE);
    if (round_up(end, PAGE) - delta > l->offset)
        l->offset = round_up(end, PAGE) - delta;
    l->vaddr = l->offset + delta;
    l->note = round_up(l->nphdr * sizeof(Elf64_Phdr), 4);
    l->note_size = NOTE_VERSION_SIZE + (l->executable ? NOTE_ENTRY_SIZE : 0);
    uint64_t next = round_up(l->note + l->note_size, 16);
    if (l->executable) {
        l->stub = next;
        next = round_up(next + STUB_SIZE, 16);
    }
    l->tramp = next;
    if (l->vaddr + l->tramp >= HX_USER_TOP) {
        snprintf(err, errlen, "no room for a new segment below the user address limit");
        return -1;
    }
    return 0;
}

/* The file offset of vaddr in e's segments, for n bytes, or -1. */
static int64_t file_offset(const struct hx_elf *e, uint64_t vaddr, uint64_t n)
{
    for (size_t i = 0; i < e->nload; i++) {
        const struct hx_elf_seg *s = &e->load[i];
        if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz &&
            n <= s->filesz - (vaddr - s->vaddr))
            return (int64_t)(s->offset + (vaddr - s->vaddr));
    }
    return -1;
}

/* Writes count structures of type t from src into dst in the file's form. */
static int to_file(Elf *elf, void *dst, const void *src, size_t size, Elf_Type t)
{
    Elf_Data s = {.d_buf = (void *)src, .d_type = t, .d_size = size, .d_version = EV_CURRENT};
    Elf_Data d = {.d_buf = dst, .d_type = t, .d_size = size, .d_version = EV_CURRENT};
    return gelf_xlatetof(elf, &d, &s, ELFDATA2LSB) ? 0 : -1;
}

static int write_all(int fd, const uint8_t *p, size_t n, off_t at)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w, at += w;
    }
    return 0;
}

/* Builds the new segment's bytes: headers, note, guard, trampolines. */
static int build_segment(Elf *elf, const struct hx_elf *e, const struct hx_rewrite_layout *l,
                         const struct hx_patch_plan *p, uint8_t *seg, uint64_t segsize)
{
    size_t phnum;
    if (elf_getphdrnum(elf, &phnum))
        return -1;
    GElf_Phdr *ph = calloc(l->nphdr, sizeof(*ph));
    Elf64_Phdr *raw = calloc(l->nphdr, sizeof(*raw));
    if (!ph || !raw) {
        free(ph);
        free(raw);
        return -1;
    }
    size_t n = 0, last_load = 0;
    for (size_t i = 0; i < phnum; i++)
        if (gelf_getphdr(elf, (int)i, &ph[n]) && ph[n].p_type == PT_LOAD)
            last_load = ++n;
        else
            n++;
    /* Loadable segments stay sorted by address: the new one after the
     * last, the note at the end. */
    memmove(&ph[last_load + 1], &ph[last_load], (n - last_load) * sizeof(*ph));
    ph[last_load] = (GElf_Phdr){.p_type = PT_LOAD,
                                .p_flags = PF_R | PF_X,
                                .p_offset = l->offset,
                                .p_vaddr = l->vaddr,
                                .p_paddr = l->vaddr,
                                .p_filesz = segsize,
                                .p_memsz = segsize,
                                .p_align = PAGE};
    n++;
    ph[n++] = (GElf_Phdr){.p_type = PT_NOTE,
                          .p_flags = PF_R,
                          .p_offset = l->offset + l->note,
                          .p_vaddr = l->vaddr + l->note,
                          .p_paddr = l->vaddr + l->note,
                          .p_filesz = l->note_size,
                          .p_memsz = l->note_size,
                          .p_align = 4};
    for (size_t i = 0; i < n; i++)
        if (ph[i].p_type == PT_PHDR) {
            ph[i].p_offset = l->offset;
            ph[i].p_vaddr = ph[i].p_paddr = l->vaddr;
            ph[i].p_filesz = ph[i].p_memsz = n * sizeof(Elf64_Phdr);
        }
    for (size_t i = 0; i < n; i++)
        raw[i] = (Elf64_Phdr){(Elf64_Word)ph[i].p_type,
                              (Elf64_Word)ph[i].p_flags,
                              ph[i].p_offset,
                              ph[i].p_vaddr,
                              ph[i].p_paddr,
                              ph[i].p_filesz,
                              ph[i].p_memsz,
                              ph[i].p_align};
    int rc = to_file(elf, seg, raw, n * sizeof(*raw), ELF_T_PHDR);
    free(ph);
    free(raw);

    Elf64_Nhdr nh = {3, 4, HX_NOTE_FASTCALL};
    uint32_t version = HX_FASTCALL_VERSION;
    uint8_t *note = seg + l->note;
    if (!rc)
        rc = to_file(elf, note, &nh, sizeof(nh), ELF_T_NHDR);
    memcpy(note + sizeof(nh), "hx\0", 4);
    if (!rc)
        rc = to_file(elf, note + sizeof(nh) + 4, &version, 4, ELF_T_WORD);
    /* The entry the guard stands in front of: hxrun starts the program
     * there (and reports it as AT_ENTRY), as Linux would the original. */
    if (l->executable) {
        Elf64_Nhdr ne = {3, 8, HX_NOTE_ENTRY};
        uint64_t entry = e->entry;
        note += NOTE_VERSION_SIZE;
        if (!rc)
            rc = to_file(elf, note, &ne, sizeof(ne), ELF_T_NHDR);
        memcpy(note + sizeof(ne), "hx\0", 4);
        if (!rc)
            rc = to_file(elf, note + sizeof(ne) + 4, &entry, 8, ELF_T_XWORD);
    }

    if (l->executable) {
        uint8_t *s = seg + l->stub;
        memcpy(s, stub_code, sizeof(stub_code));
        memcpy(s + sizeof(stub_code), stub_msg, sizeof(stub_msg) - 1);
        int32_t rel = (int32_t)(e->entry - (l->vaddr + l->stub + STUB_JMP + 4));
        memcpy(s + STUB_JMP, &rel, 4);
    }
    if (p->tramp_len) /* tramp is NULL when no site was patched */
        memcpy(seg + l->tramp, p->tramp, p->tramp_len);
    return rc;
}

/* A new section header table (after the segment, with a copy of the
 * section names grown by two) naming the new segment's code and note, so
 * objdump shows the trampolines, readelf -n the note, and strip keeps
 * them. Nothing loads it. Fills *out (malloc'd, *outlen bytes, to write at
 * file offset at) and the ELF header's e_shoff and e_shnum; files without
 * usable section headers get none (returns 0 with *out NULL). */
static int build_sections(Elf *elf, const struct hx_rewrite_layout *l, uint64_t segsize,
                          uint64_t at, GElf_Ehdr *eh, uint8_t **out, size_t *outlen)
{
    static const char names[] = ".hx.text\0.note.hx";
    size_t shnum, shstrndx;
    *out = NULL;
    *outlen = 0;
    if (elf_getshdrnum(elf, &shnum) || elf_getshdrstrndx(elf, &shstrndx) || shnum < 2 ||
        shnum + 2 >= SHN_LORESERVE || shstrndx == 0 || shstrndx >= shnum)
        return 0;
    Elf_Scn *strscn = elf_getscn(elf, shstrndx);
    GElf_Shdr strsh;
    Elf_Data *strd = strscn && gelf_getshdr(strscn, &strsh) ? elf_rawdata(strscn, NULL) : NULL;
    if (!strd || strsh.sh_type != SHT_STRTAB || strd->d_size != strsh.sh_size)
        return 0;
    size_t strsize = strd->d_size + sizeof(names), shoff = round_up(strsize, 8);
    size_t len = shoff + (shnum + 2) * sizeof(Elf64_Shdr);
    uint8_t *buf = calloc(1, len);
    Elf64_Shdr *raw = calloc(shnum + 2, sizeof(*raw));
    if (!buf || !raw) {
        free(buf);
        free(raw);
        return -1;
    }
    if (strd->d_size) /* d_buf is NULL for an empty section */
        memcpy(buf, strd->d_buf, strd->d_size);
    memcpy(buf + strd->d_size, names, sizeof(names));
    for (size_t i = 0; i < shnum; i++) {
        GElf_Shdr sh;
        Elf_Scn *scn = elf_getscn(elf, i);
        if (!scn || !gelf_getshdr(scn, &sh)) {
            free(buf);
            free(raw);
            return 0;
        }
        if (i == shstrndx) {
            sh.sh_offset = at;
            sh.sh_size = strsize;
        }
        raw[i] = (Elf64_Shdr){(Elf64_Word)sh.sh_name,
                              (Elf64_Word)sh.sh_type,
                              sh.sh_flags,
                              sh.sh_addr,
                              sh.sh_offset,
                              sh.sh_size,
                              (Elf64_Word)sh.sh_link,
                              (Elf64_Word)sh.sh_info,
                              sh.sh_addralign,
                              sh.sh_entsize};
    }
    uint64_t code = l->stub ? l->stub : l->tramp;
    raw[shnum] = (Elf64_Shdr){.sh_name = (Elf64_Word)strd->d_size,
                              .sh_type = SHT_PROGBITS,
                              .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
                              .sh_addr = l->vaddr + code,
                              .sh_offset = l->offset + code,
                              .sh_size = segsize - code,
                              .sh_addralign = 16};
    raw[shnum + 1] = (Elf64_Shdr){.sh_name = (Elf64_Word)(strd->d_size + 9),
                                  .sh_type = SHT_NOTE,
                                  .sh_flags = SHF_ALLOC,
                                  .sh_addr = l->vaddr + l->note,
                                  .sh_offset = l->offset + l->note,
                                  .sh_size = l->note_size,
                                  .sh_addralign = 4};
    int rc = to_file(elf, buf + shoff, raw, (shnum + 2) * sizeof(*raw), ELF_T_SHDR);
    free(raw);
    if (rc) {
        free(buf);
        return -1;
    }
    eh->e_shoff = at + shoff;
    eh->e_shnum = (Elf64_Half)(shnum + 2);
    *out = buf;
    *outlen = len;
    return 0;
}

int hx_rewrite_write_fd(const struct hx_elf *e, const struct hx_rewrite_layout *l,
                        const struct hx_patch_plan *p, int fd, char *err, size_t errlen)
{
    uint64_t segsize = l->tramp + p->tramp_len;
    uint8_t *body = malloc(e->size), *seg = calloc(1, segsize), *secs = NULL;
    size_t secslen = 0;
    uint64_t secsat = round_up(l->offset + segsize, 8);
    Elf *elf = elf_memory((char *)e->data, e->size);
    int rc = -1;
    GElf_Ehdr eh;
    if (!body || !seg || !elf || !gelf_getehdr(elf, &eh)) {
        snprintf(err, errlen, "%s", elf ? "out of memory" : elf_errmsg(-1));
        goto out;
    }
    memcpy(body, e->data, e->size);
    for (size_t i = 0; i < p->nsites; i++) {
        const struct hx_patch_site *s = &p->sites[i];
        if (s->leave != HX_LEAVE_NONE)
            continue;
        int64_t off = file_offset(e, s->start, s->end - s->start);
        if (off < 0) {
            snprintf(err, errlen, "site 0x%llx is not in the file", (unsigned long long)s->addr);
            goto out;
        }
        hx_patch_site_bytes(s, body + off);
    }
    if (build_segment(elf, e, l, p, seg, segsize)) {
        snprintf(err, errlen, "cannot build the new segment");
        goto out;
    }
    eh.e_phoff = l->offset;
    eh.e_phnum = (Elf64_Half)l->nphdr;
    if (l->executable)
        eh.e_entry = l->vaddr + l->stub;
    if (build_sections(elf, l, segsize, secsat, &eh, &secs, &secslen)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    Elf64_Ehdr raw = {.e_type = eh.e_type,
                      .e_machine = eh.e_machine,
                      .e_version = eh.e_version,
                      .e_entry = eh.e_entry,
                      .e_phoff = eh.e_phoff,
                      .e_shoff = eh.e_shoff,
                      .e_flags = eh.e_flags,
                      .e_ehsize = eh.e_ehsize,
                      .e_phentsize = eh.e_phentsize,
                      .e_phnum = eh.e_phnum,
                      .e_shentsize = eh.e_shentsize,
                      .e_shnum = eh.e_shnum,
                      .e_shstrndx = eh.e_shstrndx};
    memcpy(raw.e_ident, eh.e_ident, EI_NIDENT);
    if (to_file(elf, body, &raw, sizeof(raw), ELF_T_EHDR)) {
        snprintf(err, errlen, "cannot write the ELF header: %s", elf_errmsg(-1));
        goto out;
    }
    if (write_all(fd, body, e->size, 0) || write_all(fd, seg, segsize, (off_t)l->offset) ||
        (secs && write_all(fd, secs, secslen, (off_t)secsat))) {
        snprintf(err, errlen, "cannot write the copy: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (elf)
        elf_end(elf);
    free(body);
    free(seg);
    free(secs);
    return rc;
}

int hx_rewrite_write(const struct hx_elf *e, const struct hx_rewrite_layout *l,
                     const struct hx_patch_plan *p, const char *path, unsigned mode, char *err,
                     size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = hx_rewrite_write_fd(e, l, p, fd, err, errlen), io = 0;
    if (!rc && fchmod(fd, mode & 07777))
        io = errno;
    if (close(fd) && !rc && !io)
        io = errno;
    if (!rc && !io && rename(tmp, path))
        io = errno;
    if (io) {
        snprintf(err, errlen, "%s: %s", path, strerror(io));
        rc = -1;
    }
    if (rc)
        unlink(tmp);
    return rc;
}

/* Decodes and scans e alone: the numbers each site may use, as far as this
 * file shows them. */
static int analyse(const struct hx_elf *e, const char *path, struct hx_disasm *d,
                   struct hx_scan *sc, char *err, size_t errlen)
{
    struct hx_code c;
    hx_code_init(&c, path);
    err[0] = 0;
    if (hx_code_from_elf(&c, e, err, errlen) || hx_code_decode(&c, d)) {
        if (!err[0])
            snprintf(err, errlen, "out of memory");
        hx_code_free(&c);
        return -1;
    }
    if (hx_scan_add(sc, &c) || hx_scan_run(sc)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void list_left(FILE *f, const struct hx_code *c, const struct hx_patch_site *s)
{
    char fn[128];
    hx_code_func_label(c, s->addr, fn, sizeof(fn));
    fprintf(f, "  0x%llx %s: %s", (unsigned long long)s->addr, fn, hx_leave_text(s->leave));
    if (s->leave == HX_LEAVE_ROOM)
        fprintf(f, " (before: %s at 0x%llx; after: %s at 0x%llx)", hx_stop_text(s->stop_before),
                (unsigned long long)s->stop_before_at, hx_stop_text(s->stop_after),
                (unsigned long long)s->stop_after_at);
    else if (s->leave == HX_LEAVE_RELOC || s->leave == HX_LEAVE_INSIDE)
        fprintf(f, " (0x%llx)", (unsigned long long)s->leave_at);
    fputc('\n', f);
}

/* hx_rewrite_file into the path out, or into the file outfd when out is
 * NULL. */
static int rewrite(const char *in, const char *out, int outfd, FILE *verbose,
                   struct hx_rewrite_stats *st, char *err, size_t errlen)
{
    struct hx_elf e;
    struct hx_disasm d;
    struct hx_scan sc;
    struct hx_rewrite_layout l;
    struct hx_patch_plan p = {0};
    struct stat sb;
    memset(st, 0, sizeof(*st));
    if (hx_elf_open(in, &e, err, errlen))
        return -1;
    if (e.fastcall) {
        snprintf(err, errlen, "already rewritten by hxrewrite");
        hx_elf_close(&e);
        return -1;
    }
    if (stat(in, &sb)) {
        snprintf(err, errlen, "%s", strerror(errno));
        hx_elf_close(&e);
        return -1;
    }
    if (hx_disasm_open(&d, err, errlen)) {
        hx_elf_close(&e);
        return -1;
    }
    hx_scan_init(&sc);
    int rc = -1;
    if (analyse(&e, in, &d, &sc, err, errlen) || hx_rewrite_layout(&e, &l, err, errlen))
        goto done;
    if (hx_patch_plan(&sc, 0, &d, l.vaddr + l.tramp, &p)) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    st->found = p.nsites;
    st->patched = p.npatched;
    for (size_t i = 0; i < p.nsites; i++) {
        st->left[p.sites[i].leave]++;
        if (verbose && p.sites[i].leave != HX_LEAVE_NONE)
            list_left(verbose, &sc.objs[0].code, &p.sites[i]);
    }
    rc = out ? hx_rewrite_write(&e, &l, &p, out, sb.st_mode, err, errlen)
             : hx_rewrite_write_fd(&e, &l, &p, outfd, err, errlen);
done:
    hx_patch_plan_free(&p);
    hx_scan_free(&sc);
    hx_disasm_close(&d);
    hx_elf_close(&e);
    return rc;
}

int hx_rewrite_file(const char *in, const char *out, FILE *verbose, struct hx_rewrite_stats *st,
                    char *err, size_t errlen)
{
    return rewrite(in, out, -1, verbose, st, err, errlen);
}

int hx_rewrite_file_fd(const char *in, int fd, FILE *verbose, struct hx_rewrite_stats *st,
                       char *err, size_t errlen)
{
    return rewrite(in, NULL, fd, verbose, st, err, errlen);
}
