/* Unit tests for loader/elf_load.c (ELF validation) and loader/stack.c (the
 * initial process stack). ELF fixtures are built in memory from <elf.h>
 * structures; hx_elf_open is exercised on temporary files. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_load.h"
#include "hx/abi.h"
#include "stack.h"
#include "suites.h"

/* ---- In-memory ELF fixture -------------------------------------------- */

#define IMG_SIZE 0x3000
#define MAX_PH 24
#define INTERP_OFF 0x800
#define INTERP_PATH "/lib64/ld-linux-x86-64.so.2"

/* The fixture under construction: a header and program headers that
 * emit() serialises into img, at offset 0 and e_phoff. */
static struct {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[MAX_PH];
    int nph; /* program headers written by emit(), independent of e_phnum */
} S;

static _Alignas(16) unsigned char img[IMG_SIZE];
static struct hx_elf E;
static char err[256];

static void add_ph(uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr, uint64_t filesz,
                   uint64_t memsz)
{
    ck_assert_int_lt(S.nph, MAX_PH);
    S.ph[S.nph++] = (Elf64_Phdr){.p_type = type,
                                 .p_flags = flags,
                                 .p_offset = off,
                                 .p_vaddr = vaddr,
                                 .p_paddr = vaddr,
                                 .p_filesz = filesz,
                                 .p_memsz = memsz,
                                 .p_align = type == PT_LOAD ? 0x1000 : 8};
    S.eh.e_phnum = (Elf64_Half)S.nph;
}

static void set_header(uint16_t type, uint64_t entry)
{
    memset(&S, 0, sizeof(S));
    memcpy(S.eh.e_ident, ELFMAG, SELFMAG);
    S.eh.e_ident[EI_CLASS] = ELFCLASS64;
    S.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    S.eh.e_ident[EI_VERSION] = EV_CURRENT;
    S.eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
    S.eh.e_type = type;
    S.eh.e_machine = EM_X86_64;
    S.eh.e_version = EV_CURRENT;
    S.eh.e_entry = entry;
    S.eh.e_phoff = sizeof(Elf64_Ehdr);
    S.eh.e_ehsize = sizeof(Elf64_Ehdr);
    S.eh.e_phentsize = sizeof(Elf64_Phdr);
    S.eh.e_shentsize = sizeof(Elf64_Shdr);
}

/* A static x86-64 executable the way ld lays one out: headers and rodata,
 * text, then data with bss. */
static void build_static(void)
{
    set_header(ET_EXEC, 0x401000);
    add_ph(PT_LOAD, PF_R, 0, 0x400000, 0x1000, 0x1000);
    add_ph(PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x1000, 0x1000);
    add_ph(PT_LOAD, PF_R | PF_W, 0x2010, 0x403010, 0x7f0, 0x27f0);
    add_ph(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
}

/* The same program linked as a static PIE (ET_DYN based at 0). */
static void build_pie(void)
{
    set_header(ET_DYN, 0x1000);
    add_ph(PT_PHDR, PF_R, sizeof(Elf64_Ehdr), sizeof(Elf64_Ehdr), 4 * sizeof(Elf64_Phdr),
           4 * sizeof(Elf64_Phdr));
    add_ph(PT_LOAD, PF_R, 0, 0, 0x1000, 0x1000);
    add_ph(PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x1000, 0x1000);
    add_ph(PT_LOAD, PF_R | PF_W, 0x2010, 0x3010, 0x7f0, 0x27f0);
}

static void emit(void)
{
    memset(img, 0xcc, sizeof(img));
    memcpy(img, &S.eh, sizeof(S.eh));
    size_t phbytes = (size_t)S.nph * sizeof(Elf64_Phdr);
    if (S.eh.e_phoff <= IMG_SIZE && phbytes <= IMG_SIZE - S.eh.e_phoff)
        memcpy(img + S.eh.e_phoff, S.ph, phbytes);
    memcpy(img + INTERP_OFF, INTERP_PATH, sizeof(INTERP_PATH));
}

static int parse_n(size_t size)
{
    emit();
    memset(err, 0, sizeof(err));
    return hx_elf_parse(img, size, &E, err, sizeof(err));
}

static int parse(void)
{
    return parse_n(IMG_SIZE);
}

/* Refused with HX_ELF_NOEXEC and a one-line message containing `what`. */
#define ck_refused(rc, what)                                                                       \
    do {                                                                                           \
        ck_assert_int_eq((rc), HX_ELF_NOEXEC);                                                     \
        ck_assert_msg(strstr(err, (what)) != NULL, "message \"%s\" lacks \"%s\"", err, (what));    \
        ck_assert_ptr_null(strchr(err, '\n'));                                                     \
    } while (0)

/* ---- Valid images ----------------------------------------------------- */

/* hxrewrite's note ("hx", type HX_NOTE_FASTCALL, a 4-byte version) found
 * in a PT_NOTE after another note; no note, no version. */
START_TEST(elf_fastcall_note)
{
    static const uint8_t notes[] = {
        4,    0,    0,    0, 4, 0, 0, 0, 1, 0, 0, 0, 'G', 'N', 'U', 0,
        0,    0,    0,    0, /* NT_GNU_ABI_TAG */
        3,    0,    0,    0, 4, 0, 0, 0, 1, 0, 0, 0, 'h', 'x', 0,   0,
        7,    0,    0,    0,                                           /* hx, version 7 */
        3,    0,    0,    0, 8, 0, 0, 0, 2, 0, 0, 0, 'h', 'x', 0,   0, /* hx, the program's entry */
        0x10, 0x20, 0x40, 0, 0, 0, 0, 0,
    };
    build_static();
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.fastcall, 0);
    add_ph(PT_NOTE, PF_R, 0x900, 0x400900, sizeof(notes), sizeof(notes));
    emit();
    memcpy(img + 0x900, notes, sizeof(notes));
    ck_assert_int_eq(hx_elf_parse(img, IMG_SIZE, &E, err, sizeof(err)), 0);
    ck_assert_uint_eq(E.fastcall, 7);
    ck_assert_uint_eq(E.fastcall_entry, 0x402010);
    /* Another owner's note of the same type is not hxrewrite's. */
    img[0x900 + 20 + 12] = 'g';
    ck_assert_int_eq(hx_elf_parse(img, IMG_SIZE, &E, err, sizeof(err)), 0);
    ck_assert_uint_eq(E.fastcall, 0);
}
END_TEST

START_TEST(elf_static_valid)
{
    build_static();
    ck_assert_int_eq(parse(), 0);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(E.is_pie, 0);
    ck_assert_int_eq(E.mapped, 0);
    ck_assert_ptr_eq(E.data, img);
    ck_assert_uint_eq(E.size, IMG_SIZE);
    ck_assert_uint_eq(E.entry, 0x401000);
    ck_assert_uint_eq(E.phnum, 4);
    ck_assert_uint_eq(E.phentsize, sizeof(Elf64_Phdr));
    ck_assert_uint_eq(E.nload, 3);
    ck_assert_uint_eq(E.lo, 0x400000);
    ck_assert_uint_eq(E.hi, 0x406000);
    ck_assert_str_eq(E.interp, "");
    ck_assert_int_eq(E.exec_stack, 0);

    ck_assert_uint_eq(E.load[0].vaddr, 0x400000);
    ck_assert_uint_eq(E.load[0].offset, 0);
    ck_assert_uint_eq(E.load[0].prot, HX_PROT_R);
    ck_assert_uint_eq(E.load[1].vaddr, 0x401000);
    ck_assert_uint_eq(E.load[1].prot, HX_PROT_R | HX_PROT_X);
    ck_assert_uint_eq(E.load[2].vaddr, 0x403010);
    ck_assert_uint_eq(E.load[2].offset, 0x2010);
    ck_assert_uint_eq(E.load[2].filesz, 0x7f0);
    ck_assert_uint_eq(E.load[2].memsz, 0x27f0);
    ck_assert_uint_eq(E.load[2].prot, HX_PROT_R | HX_PROT_W);
    /* No PT_PHDR: AT_PHDR comes from the segment that maps e_phoff. */
    ck_assert_uint_eq(E.phdr_vaddr, 0x400040);
}
END_TEST

START_TEST(elf_pt_phdr_used)
{
    build_static();
    /* PT_PHDR comes first and is taken as given. */
    memmove(&S.ph[1], &S.ph[0], 4 * sizeof(Elf64_Phdr));
    S.nph = 0;
    add_ph(PT_PHDR, PF_R, 0x40, 0x400040, 5 * sizeof(Elf64_Phdr), 5 * sizeof(Elf64_Phdr));
    S.nph = 5;
    S.eh.e_phnum = 5;
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.phdr_vaddr, 0x400040);
    ck_assert_uint_eq(E.phnum, 5);

    /* PT_PHDR wins over the computation from the PT_LOAD that maps e_phoff. */
    S.ph[0].p_vaddr = 0x400840;
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.phdr_vaddr, 0x400840);
}
END_TEST

START_TEST(elf_phdr_in_second_segment)
{
    build_static();
    S.eh.e_phoff = 0x1100; /* inside the text segment: file 0x1000 -> 0x401000 */
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.phdr_vaddr, 0x401100);
}
END_TEST

START_TEST(elf_phdr_not_mapped)
{
    build_static();
    /* Drop the first PT_LOAD: nothing maps the program headers at 0x40. */
    memmove(&S.ph[0], &S.ph[1], 3 * sizeof(Elf64_Phdr));
    S.nph = 3;
    S.eh.e_phnum = 3;
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.nload, 2);
    ck_assert_uint_eq(E.lo, 0x401000);
    ck_assert_uint_eq(E.phdr_vaddr, 0);
}
END_TEST

START_TEST(elf_phdr_in_bss_not_mapped)
{
    build_static();
    /* e_phoff lies in the data segment's memsz but past its filesz: those
     * bytes are not the file's, so no AT_PHDR can be derived. */
    S.eh.e_phoff = 0x2900;
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.phdr_vaddr, 0);
}
END_TEST

START_TEST(elf_pie_valid)
{
    build_pie();
    ck_assert_int_eq(parse(), 0);
    ck_assert_int_eq(E.is_pie, 1);
    ck_assert_uint_eq(E.entry, 0x1000);
    ck_assert_uint_eq(E.nload, 3);
    ck_assert_uint_eq(E.lo, 0);
    ck_assert_uint_eq(E.hi, 0x6000);
    ck_assert_uint_eq(E.phdr_vaddr, 0x40);
}
END_TEST

START_TEST(elf_pie_too_large)
{
    build_pie();
    S.ph[3].p_vaddr = HX_PIE_BASE + 0x10; /* offset 0x2010: still congruent */
    ck_refused(parse(), "too large");

    /* The same span is fine for a fixed-address executable. */
    S.eh.e_type = ET_EXEC;
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.hi, HX_PIE_BASE + 0x3000);
}
END_TEST

START_TEST(elf_interp)
{
    build_pie();
    add_ph(PT_INTERP, PF_R, INTERP_OFF, INTERP_OFF, sizeof(INTERP_PATH), sizeof(INTERP_PATH));
    ck_assert_int_eq(parse(), 0);
    ck_assert_str_eq(E.interp, INTERP_PATH);
}
END_TEST

START_TEST(elf_interp_max_length)
{
    build_static();
    add_ph(PT_INTERP, PF_R, INTERP_OFF, 0, sizeof(E.interp), sizeof(E.interp));
    emit();
    memset(img + INTERP_OFF, 'a', sizeof(E.interp) - 1);
    img[INTERP_OFF + sizeof(E.interp) - 1] = 0;
    ck_assert_int_eq(hx_elf_parse(img, IMG_SIZE, &E, err, sizeof(err)), 0);
    ck_assert_uint_eq(strlen(E.interp), sizeof(E.interp) - 1);

    S.ph[S.nph - 1].p_filesz = sizeof(E.interp) + 1;
    emit();
    memset(img + INTERP_OFF, 'a', sizeof(E.interp));
    img[INTERP_OFF + sizeof(E.interp)] = 0;
    ck_assert_int_eq(hx_elf_parse(img, IMG_SIZE, &E, err, sizeof(err)), HX_ELF_NOEXEC);
    ck_assert_ptr_nonnull(strstr(err, "interpreter"));
}
END_TEST

START_TEST(elf_exec_stack)
{
    build_static();
    S.ph[3].p_flags = PF_R | PF_W | PF_X;
    ck_assert_int_eq(parse(), 0);
    ck_assert_int_eq(E.exec_stack, 1);
}
END_TEST

START_TEST(elf_empty_load_ignored)
{
    build_static();
    /* A PT_LOAD with nothing in it is skipped, even out of order. */
    add_ph(PT_LOAD, PF_R, 0, 0x1000, 0, 0);
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.nload, 3);
    ck_assert_uint_eq(E.lo, 0x400000);
}
END_TEST

START_TEST(elf_max_loads)
{
    set_header(ET_EXEC, 0x400000);
    for (int i = 0; i < HX_ELF_MAX_LOAD; i++)
        add_ph(PT_LOAD, PF_R, 0, 0x400000 + 0x1000 * (uint64_t)i, 0x100, 0x100);
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.nload, HX_ELF_MAX_LOAD);
    ck_assert_uint_eq(E.hi, 0x400000 + 0x1000 * HX_ELF_MAX_LOAD);

    add_ph(PT_LOAD, PF_R, 0, 0x400000 + 0x1000 * HX_ELF_MAX_LOAD, 0x100, 0x100);
    ck_refused(parse(), "more than 16 loadable segments");
}
END_TEST

/* ---- Identification --------------------------------------------------- */

START_TEST(elf_empty_buffer)
{
    ck_refused(hx_elf_parse(img, 0, &E, err, sizeof(err)), "not an ELF");
    ck_refused(hx_elf_parse(NULL, 0, &E, err, sizeof(err)), "not an ELF");
}
END_TEST

START_TEST(elf_bad_magic)
{
    build_static();
    S.eh.e_ident[EI_MAG1] = 'e';
    ck_refused(parse(), "not an ELF executable");

    const char script[] = "#!/bin/sh\necho hello\n";
    ck_refused(hx_elf_parse(script, sizeof(script) - 1, &E, err, sizeof(err)), "not an ELF");
}
END_TEST

START_TEST(elf_ident_cut)
{
    build_static();
    ck_refused(parse_n(SELFMAG), "not an ELF");
    ck_refused(parse_n(EI_NIDENT - 1), "not an ELF");
}
END_TEST

START_TEST(elf_header_cut)
{
    build_static();
    ck_refused(parse_n(EI_NIDENT), "truncated");
    ck_refused(parse_n(sizeof(Elf64_Ehdr) - 1), "truncated");
}
END_TEST

START_TEST(elf_bad_class)
{
    build_static();
    S.eh.e_ident[EI_CLASS] = ELFCLASSNONE;
    ck_refused(parse(), "bad class");
    S.eh.e_ident[EI_CLASS] = 3;
    ck_refused(parse(), "bad class");
}
END_TEST

START_TEST(elf_big_endian)
{
    build_static();
    S.eh.e_ident[EI_DATA] = ELFDATA2MSB;
    ck_refused(parse(), "byte order");
}
END_TEST

START_TEST(elf_32bit)
{
    Elf32_Ehdr h = {0};
    memcpy(h.e_ident, ELFMAG, SELFMAG);
    h.e_ident[EI_CLASS] = ELFCLASS32;
    h.e_ident[EI_DATA] = ELFDATA2LSB;
    h.e_ident[EI_VERSION] = EV_CURRENT;
    h.e_type = ET_EXEC;
    h.e_machine = EM_386;
    h.e_version = EV_CURRENT;
    h.e_entry = 0x8049000;
    h.e_phoff = sizeof(h);
    h.e_ehsize = sizeof(h);
    h.e_phentsize = sizeof(Elf32_Phdr);
    h.e_phnum = 1;
    unsigned char buf[sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr)] = {0};
    Elf32_Phdr p = {.p_type = PT_LOAD,
                    .p_vaddr = 0x8048000,
                    .p_filesz = sizeof(buf),
                    .p_memsz = sizeof(buf),
                    .p_flags = PF_R | PF_X,
                    .p_align = 0x1000};
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), &p, sizeof(p));
    ck_refused(hx_elf_parse(buf, sizeof(buf), &E, err, sizeof(err)), "32-bit");
}
END_TEST

START_TEST(elf_wrong_machine)
{
    build_static();
    S.eh.e_machine = EM_AARCH64;
    ck_refused(parse(), "another machine");
    ck_assert_ptr_nonnull(strstr(err, "183"));
    S.eh.e_machine = EM_386;
    ck_refused(parse(), "another machine");
}
END_TEST

START_TEST(elf_rel_refused)
{
    build_static();
    S.eh.e_type = ET_REL;
    ck_refused(parse(), "not an executable");
}
END_TEST

START_TEST(elf_core_refused)
{
    build_static();
    S.eh.e_type = ET_CORE;
    ck_refused(parse(), "not an executable");
    S.eh.e_type = ET_NONE;
    ck_refused(parse(), "not an executable");
}
END_TEST

/* ---- Program headers -------------------------------------------------- */

START_TEST(elf_phdrs_cut)
{
    build_static();
    ck_refused(parse_n(sizeof(Elf64_Ehdr)), "bad program headers");
    ck_refused(parse_n(sizeof(Elf64_Ehdr) + 8), "bad program headers");
    ck_assert_int_eq(parse_n(0x27ff), HX_ELF_NOEXEC); /* headers fit, data does not */
    ck_assert_ptr_null(strstr(err, "program headers"));
}
END_TEST

START_TEST(elf_phdrs_partly_cut)
{
    /* The file ends inside the program header table, after one or more
     * complete entries. It must be refused, and the reason must say the
     * file is truncated (elfutils' elf_getphdrnum silently clamps phnum to
     * the entries present, so a check against that count never fires). */
    build_static();
    size_t first = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    size_t end = sizeof(Elf64_Ehdr) + 4 * sizeof(Elf64_Phdr);
    for (size_t size = first; size < end; size++)
        ck_assert_msg(parse_n(size) == HX_ELF_NOEXEC, "size %zu accepted", size);
    for (size_t size = first; size < end; size++) {
        ck_assert_int_eq(parse_n(size), HX_ELF_NOEXEC);
        ck_assert_msg(strstr(err, "truncated") != NULL, "size %zu: message \"%s\"", size, err);
    }
}
END_TEST

START_TEST(elf_phoff_past_eof)
{
    build_static();
    S.eh.e_phoff = IMG_SIZE + 0x1000;
    ck_refused(parse(), "bad program headers");
    S.eh.e_phoff = UINT64_MAX - 0x10;
    ck_refused(parse(), "bad program headers");
}
END_TEST

START_TEST(elf_phentsize_wrong)
{
    build_static();
    S.eh.e_phentsize = sizeof(Elf32_Phdr);
    ck_refused(parse(), "bad program headers");
    S.eh.e_phentsize = sizeof(Elf64_Phdr) + 8;
    ck_refused(parse(), "bad program headers");
    S.eh.e_phentsize = 0;
    ck_refused(parse(), "bad program headers");
}
END_TEST

START_TEST(elf_phnum_zero)
{
    build_static();
    S.eh.e_phnum = 0;
    ck_refused(parse(), "bad program headers");
}
END_TEST

START_TEST(elf_no_load)
{
    set_header(ET_EXEC, 0x401000);
    add_ph(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
    ck_refused(parse(), "no loadable segment");
}
END_TEST

/* ---- PT_LOAD checks --------------------------------------------------- */

START_TEST(elf_segment_past_eof)
{
    build_static();
    ck_refused(parse_n(0x27ff), "past end of file"); /* data segment ends at 0x2800 */

    build_static();
    S.ph[2].p_filesz = 0xff1; /* one byte past IMG_SIZE */
    ck_refused(parse(), "past end of file");
    S.ph[2].p_filesz = 0xff0; /* exactly to the end */
    ck_assert_int_eq(parse(), 0);

    S.ph[2].p_offset = IMG_SIZE + 0x10;
    S.ph[2].p_vaddr = 0x403000 + IMG_SIZE + 0x10;
    S.ph[2].p_filesz = 0;
    ck_refused(parse(), "past end of file");
}
END_TEST

START_TEST(elf_segment_size_overflow)
{
    build_static();
    /* offset + filesz wraps around: must not pass as "inside the file". */
    S.ph[2].p_filesz = S.ph[2].p_memsz = UINT64_MAX - 0x1000;
    ck_refused(parse(), "past end of file");
}
END_TEST

START_TEST(elf_filesz_gt_memsz)
{
    build_static();
    S.ph[2].p_memsz = 0x10;
    ck_refused(parse(), "file size exceeds memory size");
}
END_TEST

START_TEST(elf_segment_outside_user)
{
    build_static();
    /* Ends exactly at the top of user space: fine. */
    S.ph[2].p_offset = 0x2000;
    S.ph[2].p_vaddr = HX_USER_TOP - 0x2000;
    S.ph[2].p_filesz = 0x800;
    S.ph[2].p_memsz = 0x2000;
    ck_assert_int_eq(parse(), 0);
    ck_assert_uint_eq(E.hi, HX_USER_TOP);

    S.ph[2].p_memsz = 0x2001;
    ck_refused(parse(), "outside the user address space");

    S.ph[2].p_vaddr = HX_USER_TOP;
    S.ph[2].p_memsz = 0x800;
    ck_refused(parse(), "outside the user address space");

    S.ph[2].p_vaddr = HX_KERNEL_VA;
    ck_refused(parse(), "outside the user address space");

    /* vaddr + memsz wraps to a small number. */
    S.ph[2].p_vaddr = 0x403000;
    S.ph[2].p_memsz = UINT64_MAX - 0x402000;
    ck_refused(parse(), "outside the user address space");
}
END_TEST

START_TEST(elf_not_congruent)
{
    build_static();
    S.ph[1].p_vaddr = 0x401010; /* offset 0x1000 */
    ck_refused(parse(), "not congruent");

    build_static();
    S.ph[2].p_offset = 0x2020; /* vaddr 0x403010 */
    S.ph[2].p_filesz = 0x10;
    ck_refused(parse(), "not congruent");
}
END_TEST

START_TEST(elf_loads_out_of_order)
{
    build_static();
    Elf64_Phdr t = S.ph[0];
    S.ph[0] = S.ph[1];
    S.ph[1] = t;
    ck_refused(parse(), "out of order");
}
END_TEST

/* ---- PT_INTERP checks ------------------------------------------------- */

START_TEST(elf_interp_unterminated)
{
    build_pie();
    add_ph(PT_INTERP, PF_R, INTERP_OFF, INTERP_OFF, sizeof(INTERP_PATH) - 1,
           sizeof(INTERP_PATH) - 1);
    ck_refused(parse(), "bad interpreter path");
}
END_TEST

START_TEST(elf_interp_bad)
{
    build_pie();
    add_ph(PT_INTERP, PF_R, INTERP_OFF, INTERP_OFF, 1, 1); /* just "\0" */
    ck_refused(parse(), "bad interpreter path");

    S.ph[S.nph - 1].p_filesz = 0;
    ck_refused(parse(), "bad interpreter path");

    S.ph[S.nph - 1].p_offset = IMG_SIZE - 4;
    S.ph[S.nph - 1].p_filesz = 8;
    ck_refused(parse(), "bad interpreter path");

    S.ph[S.nph - 1].p_offset = UINT64_MAX - 2;
    S.ph[S.nph - 1].p_filesz = 8;
    ck_refused(parse(), "bad interpreter path");
}
END_TEST

/* ---- hx_elf_open ------------------------------------------------------ */

static char tmpdir[64];

static void tmpdir_setup(void)
{
    strcpy(tmpdir, "/tmp/hx-unit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmpdir_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    /* NOLINTNEXTLINE(cert-env33-c): a fixed command on mkdtemp's name */
    ck_assert_int_eq(system(cmd), 0);
}

/* Writes size bytes of data to a new file in tmpdir; returns its path. */
static const char *write_tmp(const void *data, size_t size)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/fileXXXXXX", tmpdir);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
    ck_assert_int_eq(close(fd), 0);
    return path;
}

START_TEST(open_valid)
{
    build_static();
    emit();
    const char *path = write_tmp(img, IMG_SIZE);
    ck_assert_int_eq(hx_elf_open(path, &E, err, sizeof(err)), 0);
    ck_assert_int_eq(E.mapped, 1);
    ck_assert_ptr_nonnull(E.data);
    ck_assert_uint_eq(E.size, IMG_SIZE);
    ck_assert_mem_eq(E.data, img, IMG_SIZE);
    ck_assert_uint_eq(E.nload, 3);
    ck_assert_uint_eq(E.phdr_vaddr, 0x400040);
    hx_elf_close(&E);
    ck_assert_ptr_null(E.data);
    ck_assert_int_eq(E.mapped, 0);
    hx_elf_close(&E); /* idempotent */
}
END_TEST

START_TEST(open_corrupt)
{
    build_static();
    S.eh.e_machine = EM_AARCH64;
    emit();
    const char *path = write_tmp(img, IMG_SIZE);
    ck_refused(hx_elf_open(path, &E, err, sizeof(err)), "another machine");
    ck_assert_ptr_null(E.data); /* closed on failure */
    ck_assert_int_eq(E.mapped, 0);
}
END_TEST

START_TEST(open_truncated)
{
    build_static();
    emit();
    const char *path = write_tmp(img, 0x27ff);
    ck_refused(hx_elf_open(path, &E, err, sizeof(err)), "past end of file");
    path = write_tmp(img, 32);
    ck_refused(hx_elf_open(path, &E, err, sizeof(err)), "truncated");
}
END_TEST

START_TEST(open_empty)
{
    const char *path = write_tmp("", 0);
    ck_refused(hx_elf_open(path, &E, err, sizeof(err)), "empty");
    ck_assert_ptr_null(E.data);
}
END_TEST

START_TEST(open_directory)
{
    ck_refused(hx_elf_open(tmpdir, &E, err, sizeof(err)), "directory");
    ck_assert_ptr_null(E.data);
}
END_TEST

START_TEST(open_not_regular)
{
    ck_refused(hx_elf_open("/dev/null", &E, err, sizeof(err)), "not a regular file");
}
END_TEST

START_TEST(open_missing)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/no-such-program", tmpdir);
    ck_assert_int_eq(hx_elf_open(path, &E, err, sizeof(err)), HX_ELF_NOTFOUND);
    ck_assert_str_eq(err, strerror(ENOENT));
    ck_assert_ptr_null(E.data);
}
END_TEST

START_TEST(open_path_through_file)
{
    /* A file used as a directory: ENOTDIR, which a shell reports as 127. */
    char path[160];
    snprintf(path, sizeof(path), "%s/prog", write_tmp("x", 1));
    ck_assert_int_eq(hx_elf_open(path, &E, err, sizeof(err)), HX_ELF_NOTFOUND);
    ck_assert_str_eq(err, strerror(ENOTDIR));
}
END_TEST

START_TEST(open_unreadable)
{
    if (geteuid() == 0)
        return; /* root reads anything */
    build_static();
    emit();
    const char *path = write_tmp(img, IMG_SIZE);
    ck_assert_int_eq(chmod(path, 0), 0);
    ck_assert_int_eq(hx_elf_open(path, &E, err, sizeof(err)), HX_ELF_NOEXEC);
    ck_assert_str_eq(err, strerror(EACCES));
}
END_TEST

START_TEST(open_host_binary)
{
    /* A real toolchain-made executable of the host. */
    const char *path = access("/bin/true", R_OK) == 0 ? "/bin/true" : "/usr/bin/true";
    if (access(path, R_OK) != 0)
        return;
    ck_assert_msg(hx_elf_open(path, &E, err, sizeof(err)) == 0, "%s: %s", path, err);
    ck_assert_uint_ge(E.nload, 1);
    ck_assert_uint_ne(E.entry, 0);
    ck_assert_uint_ne(E.phdr_vaddr, 0);
    ck_assert_uint_lt(E.lo, E.hi);
    if (E.interp[0])
        ck_assert_int_eq(E.interp[0], '/');
    hx_elf_close(&E);
}
END_TEST

/* ---- hx_build_stack --------------------------------------------------- */

#define STK_SIZE 4096
#define STK_TOP HX_USER_TOP

static _Alignas(16) uint8_t stk[STK_SIZE];
static const uint8_t rnd[16] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                                0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};
static char *const ARGV[] = {"prog", "-x", "hello world", "", NULL};
static char *const ENVP[] = {"A=1", "PATH=/bin:/usr/bin", NULL};
static const struct hx_auxv AUX[] = {
    {AT_HWCAP, 0x178bfbff}, {AT_PAGESZ, 4096}, {AT_CLKTCK, 100}, {AT_PHDR, 0x400040},
    {AT_PHENT, 56},         {AT_PHNUM, 4},     {AT_BASE, 0},     {AT_FLAGS, 0},
    {AT_ENTRY, 0x401000},   {AT_UID, 1000},    {AT_EUID, 1000},  {AT_GID, 1000},
    {AT_EGID, 1000},        {AT_SECURE, 0},    {AT_HWCAP2, 2},
};
#define NAUX (sizeof(AUX) / sizeof(AUX[0]))

static struct hx_stack_spec default_spec(void)
{
    return (struct hx_stack_spec){ARGV, ENVP, "/usr/local/bin/prog", "x86_64", rnd, AUX, NAUX, 0};
}

/* Host pointer to n bytes at user address va of the stack buffer. */
static void *at(uint64_t va, size_t n)
{
    ck_assert_uint_ge(va, STK_TOP - STK_SIZE);
    ck_assert_uint_le(va + n, STK_TOP);
    return stk + (va - (STK_TOP - STK_SIZE));
}

static uint64_t word(uint64_t va)
{
    uint64_t w;
    memcpy(&w, at(va, 8), 8);
    return w;
}

static const char *str(uint64_t va)
{
    const char *s = at(va, 1);
    ck_assert_ptr_nonnull(memchr(s, 0, STK_TOP - va));
    return s;
}

/* The auxv of the stack at sp for argc arguments and envc variables. */
static uint64_t auxv_va(uint64_t sp, size_t argc, size_t envc)
{
    return sp + 8 * (1 + argc + 1 + envc + 1);
}

static uint64_t build(const struct hx_stack_spec *spec)
{
    uint64_t sp = 0;
    memset(stk, 0xa5, sizeof(stk));
    ck_assert_int_eq(hx_build_stack(spec, stk, STK_SIZE, STK_TOP, &sp), 0);
    return sp;
}

START_TEST(stack_layout)
{
    struct hx_stack_spec spec = default_spec();
    uint64_t sp = build(&spec);
    ck_assert_uint_eq(sp % 16, 0);
    ck_assert_uint_ge(sp, STK_TOP - STK_SIZE);
    ck_assert_uint_lt(sp, STK_TOP);

    ck_assert_uint_eq(word(sp), 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(str(word(sp + 8 + 8 * i)), ARGV[i]);
    ck_assert_uint_eq(word(sp + 8 + 8 * 4), 0);
    uint64_t envp = sp + 8 * 6;
    ck_assert_str_eq(str(word(envp)), ENVP[0]);
    ck_assert_str_eq(str(word(envp + 8)), ENVP[1]);
    ck_assert_uint_eq(word(envp + 16), 0);
}
END_TEST

START_TEST(stack_strings_order)
{
    /* As in Linux: the argument strings then the environment strings, each
     * set contiguous, then AT_EXECFN, then 8 zero bytes at the very top. */
    struct hx_stack_spec spec = default_spec();
    uint64_t sp = build(&spec);
    uint64_t a0 = word(sp + 8);
    uint64_t p = a0;
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(word(sp + 8 + 8 * i), p);
        p += strlen(ARGV[i]) + 1;
    }
    for (size_t i = 0; i < 2; i++) {
        ck_assert_uint_eq(word(sp + 8 * 6 + 8 * i), p);
        p += strlen(ENVP[i]) + 1;
    }
    ck_assert_str_eq(str(p), "/usr/local/bin/prog");
    p += strlen("/usr/local/bin/prog") + 1;
    ck_assert_uint_eq(p, STK_TOP - 8);
    ck_assert_uint_eq(word(STK_TOP - 8), 0);
}
END_TEST

START_TEST(stack_auxv)
{
    struct hx_stack_spec spec = default_spec();
    uint64_t sp = build(&spec);
    uint64_t av = auxv_va(sp, 4, 2);
    /* The caller's entries in order, AT_RANDOM right after AT_SECURE, then
     * AT_EXECFN, AT_PLATFORM and AT_NULL. */
    size_t secure = 0;
    for (size_t i = 0; i < NAUX; i++)
        if (AUX[i].type == AT_SECURE)
            secure = i;
    size_t k = 0;
    for (size_t i = 0; i < NAUX; i++, k++) {
        if (i == secure + 1) {
            ck_assert_uint_eq(word(av + 16 * k), AT_RANDOM);
            k++;
        }
        ck_assert_uint_eq(word(av + 16 * k), AUX[i].type);
        ck_assert_uint_eq(word(av + 16 * k + 8), AUX[i].val);
    }
    ck_assert_uint_eq(word(av + 16 * (secure + 1)), AT_RANDOM);
    ck_assert_uint_eq(word(av + 16 * k), AT_EXECFN);
    ck_assert_uint_eq(word(av + 16 * (k + 1)), AT_PLATFORM);
    ck_assert_uint_eq(word(av + 16 * (k + 2)), AT_NULL);
    ck_assert_uint_eq(word(av + 16 * (k + 2) + 8), 0);
    ck_assert_uint_eq(k + 3, NAUX + 4);

    uint64_t random = word(av + 16 * (secure + 1) + 8);
    ck_assert_mem_eq(at(random, 16), rnd, 16);
    ck_assert_str_eq(str(word(av + 16 * k + 8)), "/usr/local/bin/prog");
    ck_assert_str_eq(str(word(av + 16 * (k + 1) + 8)), "x86_64");

    /* As Linux lays them out: below the argument strings, rounded down to
     * 16 bytes, the platform string, then the 16 random bytes, then (at
     * lower addresses) the pointer block. */
    uint64_t platform = word(av + 16 * (k + 1) + 8);
    ck_assert_uint_eq(platform + sizeof("x86_64"), word(sp + 8) & ~15ull);
    ck_assert_uint_eq(random, platform - 16);
    ck_assert_uint_ge(random, av + 16 * (k + 3));
}
END_TEST

/* A rewritten program gets AT_HX = 1 (its native-run guard looks for it)
 * just before AT_NULL; every other program's auxv has no such entry. */
START_TEST(stack_auxv_hx)
{
    struct hx_stack_spec spec = default_spec();
    uint64_t av = auxv_va(build(&spec), 4, 2);
    for (uint64_t a = av; word(a) != AT_NULL; a += 16)
        ck_assert_uint_ne(word(a), HX_AT_HX);
    spec.hx = 1;
    av = auxv_va(build(&spec), 4, 2);
    size_t n = NAUX + 3; /* the caller's, AT_RANDOM, AT_EXECFN, AT_PLATFORM */
    ck_assert_uint_eq(word(av + 16 * (n - 1)), AT_PLATFORM);
    ck_assert_uint_eq(word(av + 16 * n), HX_AT_HX);
    ck_assert_uint_eq(word(av + 16 * n + 8), 1);
    ck_assert_uint_eq(word(av + 16 * (n + 1)), AT_NULL);
}
END_TEST

START_TEST(stack_random_after_secure_only)
{
    /* Without AT_SECURE, AT_RANDOM follows the caller's entries. */
    const struct hx_auxv aux[] = {{AT_PAGESZ, 4096}, {AT_ENTRY, 0x401000}};
    struct hx_stack_spec spec = default_spec();
    spec.aux = aux;
    spec.naux = 2;
    uint64_t av = auxv_va(build(&spec), 4, 2);
    ck_assert_uint_eq(word(av), AT_PAGESZ);
    ck_assert_uint_eq(word(av + 16), AT_ENTRY);
    ck_assert_uint_eq(word(av + 32), AT_RANDOM);
    ck_assert_mem_eq(at(word(av + 40), 16), rnd, 16);
    ck_assert_uint_eq(word(av + 48), AT_EXECFN);
    ck_assert_uint_eq(word(av + 64), AT_PLATFORM);
    ck_assert_uint_eq(word(av + 80), AT_NULL);

    /* AT_SECURE last: AT_RANDOM still right after it. */
    const struct hx_auxv aux2[] = {{AT_PAGESZ, 4096}, {AT_SECURE, 1}};
    spec.aux = aux2;
    av = auxv_va(build(&spec), 4, 2);
    ck_assert_uint_eq(word(av + 16), AT_SECURE);
    ck_assert_uint_eq(word(av + 24), 1);
    ck_assert_uint_eq(word(av + 32), AT_RANDOM);
    ck_assert_uint_eq(word(av + 48), AT_EXECFN);
}
END_TEST

START_TEST(stack_no_args_no_env)
{
    struct hx_stack_spec spec = default_spec();
    char *const none[] = {NULL};
    spec.argv = none;
    spec.envp = NULL; /* a NULL vector counts as empty */
    spec.naux = 0;
    uint64_t sp = build(&spec);
    ck_assert_uint_eq(sp % 16, 0);
    ck_assert_uint_eq(word(sp), 0);      /* argc */
    ck_assert_uint_eq(word(sp + 8), 0);  /* argv[0] */
    ck_assert_uint_eq(word(sp + 16), 0); /* envp[0] */
    uint64_t av = auxv_va(sp, 0, 0);
    ck_assert_uint_eq(word(av), AT_RANDOM);
    ck_assert_uint_eq(word(av + 16), AT_EXECFN);
    ck_assert_uint_eq(word(av + 32), AT_PLATFORM);
    ck_assert_uint_eq(word(av + 48), AT_NULL);
}
END_TEST

START_TEST(stack_alignment_all_lengths)
{
    /* sp is 16-byte aligned whatever the string lengths add up to. */
    char arg[40];
    char *argv[] = {"p", arg, NULL};
    struct hx_stack_spec spec = default_spec();
    spec.argv = argv;
    for (size_t len = 0; len < 32; len++) {
        memset(arg, 'x', len);
        arg[len] = 0;
        for (size_t naux = NAUX - 1; naux <= NAUX; naux++) {
            spec.naux = naux;
            uint64_t sp = build(&spec);
            ck_assert_uint_eq(sp % 16, 0);
            ck_assert_uint_eq(word(sp), 2);
            ck_assert_str_eq(str(word(sp + 16)), arg);
        }
    }
}
END_TEST

START_TEST(stack_too_small)
{
    struct hx_stack_spec spec = default_spec();
    uint64_t sp = 0;
    /* Find the smallest (16-byte multiple) size that works; all smaller
     * ones must be refused without writing outside the buffer. */
    size_t need = 0;
    for (size_t size = 0; size <= STK_SIZE; size += 16) {
        uint8_t *buf = stk + STK_SIZE - size;
        memset(stk, 0x5a, sizeof(stk));
        int rc = hx_build_stack(&spec, buf, size, STK_TOP, &sp);
        for (size_t i = 0; i < STK_SIZE - size; i++)
            ck_assert_msg(stk[i] == 0x5a, "size %zu: byte %zu below the buffer written", size,
                          STK_SIZE - size - i);
        if (rc == 0) {
            need = size;
            break;
        }
        ck_assert_int_eq(rc, -1);
    }
    ck_assert_uint_gt(need, 0);
    ck_assert_uint_eq(sp, STK_TOP - need);
    ck_assert_int_eq(hx_build_stack(&spec, stk, 8, STK_TOP, &sp), -1);
    ck_assert_int_eq(hx_build_stack(&spec, stk, 0, STK_TOP, &sp), -1);
}
END_TEST

START_TEST(stack_never_writes_below_buffer)
{
    /* Any size, not just multiples of 16: the builder must stay inside
     * [buf, buf + size) and report what does not fit with -1. */
    static _Alignas(16) uint8_t area[1024 + 64];
    struct hx_stack_spec spec = default_spec();
    for (size_t size = 0; size <= 1024; size++) {
        uint8_t *buf = area + sizeof(area) - size;
        memset(area, 0x5a, sizeof(area));
        uint64_t sp = 0;
        int rc = hx_build_stack(&spec, buf, size, STK_TOP, &sp);
        for (size_t i = 0; i < sizeof(area) - size; i++)
            ck_assert_msg(area[i] == 0x5a,
                          "size %zu (rc %d): wrote %zu bytes below the buffer's start", size, rc,
                          sizeof(area) - size - i);
        if (rc == 0) {
            ck_assert_uint_ge(sp, STK_TOP - size);
            ck_assert_uint_eq(sp % 16, 0);
        }
    }
}
END_TEST

START_TEST(stack_near_address_zero)
{
    /* A buffer that maps the lowest user addresses: the pointer block must
     * not wrap below address 0 and pass the bounds check. */
    struct hx_stack_spec spec = default_spec();
    size_t size = 160;
    uint64_t sp = 0;
    memset(stk, 0x5a, sizeof(stk));
    ck_assert_int_eq(hx_build_stack(&spec, stk + STK_SIZE - size, size, size, &sp), -1);
    for (size_t i = 0; i < STK_SIZE - size; i++)
        ck_assert_uint_eq(stk[i], 0x5a);
}
END_TEST

Suite *loader_suite(void)
{
    Suite *s = suite_create("loader");

    TCase *tc = tcase_create("elf_valid");
    tcase_add_test(tc, elf_static_valid);
    tcase_add_test(tc, elf_fastcall_note);
    tcase_add_test(tc, elf_pt_phdr_used);
    tcase_add_test(tc, elf_phdr_in_second_segment);
    tcase_add_test(tc, elf_phdr_not_mapped);
    tcase_add_test(tc, elf_phdr_in_bss_not_mapped);
    tcase_add_test(tc, elf_pie_valid);
    tcase_add_test(tc, elf_pie_too_large);
    tcase_add_test(tc, elf_interp);
    tcase_add_test(tc, elf_interp_max_length);
    tcase_add_test(tc, elf_exec_stack);
    tcase_add_test(tc, elf_empty_load_ignored);
    tcase_add_test(tc, elf_max_loads);
    suite_add_tcase(s, tc);

    tc = tcase_create("elf_ident");
    tcase_add_test(tc, elf_empty_buffer);
    tcase_add_test(tc, elf_bad_magic);
    tcase_add_test(tc, elf_ident_cut);
    tcase_add_test(tc, elf_header_cut);
    tcase_add_test(tc, elf_bad_class);
    tcase_add_test(tc, elf_big_endian);
    tcase_add_test(tc, elf_32bit);
    tcase_add_test(tc, elf_wrong_machine);
    tcase_add_test(tc, elf_rel_refused);
    tcase_add_test(tc, elf_core_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("elf_phdrs");
    tcase_add_test(tc, elf_phdrs_cut);
    tcase_add_test(tc, elf_phdrs_partly_cut);
    tcase_add_test(tc, elf_phoff_past_eof);
    tcase_add_test(tc, elf_phentsize_wrong);
    tcase_add_test(tc, elf_phnum_zero);
    tcase_add_test(tc, elf_no_load);
    tcase_add_test(tc, elf_segment_past_eof);
    tcase_add_test(tc, elf_segment_size_overflow);
    tcase_add_test(tc, elf_filesz_gt_memsz);
    tcase_add_test(tc, elf_segment_outside_user);
    tcase_add_test(tc, elf_not_congruent);
    tcase_add_test(tc, elf_loads_out_of_order);
    tcase_add_test(tc, elf_interp_unterminated);
    tcase_add_test(tc, elf_interp_bad);
    suite_add_tcase(s, tc);

    tc = tcase_create("elf_open");
    tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tc, open_valid);
    tcase_add_test(tc, open_corrupt);
    tcase_add_test(tc, open_truncated);
    tcase_add_test(tc, open_empty);
    tcase_add_test(tc, open_directory);
    tcase_add_test(tc, open_not_regular);
    tcase_add_test(tc, open_missing);
    tcase_add_test(tc, open_path_through_file);
    tcase_add_test(tc, open_unreadable);
    tcase_add_test(tc, open_host_binary);
    suite_add_tcase(s, tc);

    tc = tcase_create("stack");
    tcase_add_test(tc, stack_layout);
    tcase_add_test(tc, stack_strings_order);
    tcase_add_test(tc, stack_auxv);
    tcase_add_test(tc, stack_auxv_hx);
    tcase_add_test(tc, stack_random_after_secure_only);
    tcase_add_test(tc, stack_no_args_no_env);
    tcase_add_test(tc, stack_alignment_all_lengths);
    tcase_add_test(tc, stack_too_small);
    tcase_add_test(tc, stack_never_writes_below_buffer);
    tcase_add_test(tc, stack_near_address_zero);
    suite_add_tcase(s, tc);

    return s;
}
