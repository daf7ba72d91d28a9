/* Unit tests for loader/image_plan.c: Linux's placement of a process image
 * (fs/binfmt_elf.c without randomisation), one rule per test, on images the
 * loader parsed (hx_elf_parse) from ELF files built in memory. */
#include <elf.h>
#include <stdint.h>
#include <string.h>

#include "elf_load.h"
#include "hx/abi.h"
#include "image_plan.h"
#include "suites.h"

#define FILE_SIZE 0x6000

/* An ELF file under construction: the header, then the program headers
 * at e_phoff (64, inside the first PT_LOAD when that maps offset 0). */
struct file {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[8];
    _Alignas(16) unsigned char bytes[FILE_SIZE];
};

static void file_init(struct file *f, uint16_t type, uint64_t entry)
{
    memset(f, 0, sizeof(*f));
    memcpy(f->eh.e_ident, ELFMAG, SELFMAG);
    f->eh.e_ident[EI_CLASS] = ELFCLASS64;
    f->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    f->eh.e_ident[EI_VERSION] = EV_CURRENT;
    f->eh.e_type = type;
    f->eh.e_machine = EM_X86_64;
    f->eh.e_version = EV_CURRENT;
    f->eh.e_entry = entry;
    f->eh.e_phoff = sizeof(Elf64_Ehdr);
    f->eh.e_ehsize = sizeof(Elf64_Ehdr);
    f->eh.e_phentsize = sizeof(Elf64_Phdr);
}

static void add_ph(struct file *f, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
                   uint64_t filesz, uint64_t memsz, uint64_t align)
{
    ck_assert_int_lt(f->eh.e_phnum, 8);
    f->ph[f->eh.e_phnum++] = (Elf64_Phdr){type, flags, off, vaddr, vaddr, filesz, memsz, align};
}

static void parse(struct file *f, struct hx_elf *e)
{
    char err[256] = "";
    memcpy(f->bytes, &f->eh, sizeof(f->eh));
    memcpy(f->bytes + f->eh.e_phoff, f->ph, f->eh.e_phnum * sizeof(Elf64_Phdr));
    int rc = hx_elf_parse(f->bytes, sizeof(f->bytes), e, err, sizeof(err));
    ck_assert_msg(rc == 0, "parse: %s", err);
}

/* ld's layouts, 4 KiB p_align: headers and rodata, text, data with bss. */
static void build_exec(struct file *f, struct hx_elf *e)
{
    file_init(f, ET_EXEC, 0x401000);
    add_ph(f, PT_LOAD, PF_R, 0, 0x400000, 0x1000, 0x1000, 0x1000);
    add_ph(f, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x1000, 0x1000, 0x1000);
    add_ph(f, PT_LOAD, PF_R | PF_W, 0x2010, 0x403010, 0x7f0, 0x27f0, 0x1000);
    parse(f, e);
}

static void build_pie(struct file *f, struct hx_elf *e, const char *interp, uint64_t align)
{
    file_init(f, ET_DYN, 0x1040);
    add_ph(f, PT_PHDR, PF_R, 64, 64, 4 * sizeof(Elf64_Phdr), 4 * sizeof(Elf64_Phdr), 8);
    add_ph(f, PT_LOAD, PF_R, 0, 0, 0x1000, 0x1000, align);
    add_ph(f, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x1000, 0x1000, align);
    add_ph(f, PT_LOAD, PF_R | PF_W, 0x2010, 0x3010, 0x7f0, 0x27f0, align);
    if (interp) {
        add_ph(f, PT_INTERP, PF_R, 0x800, 0, strlen(interp) + 1, strlen(interp) + 1, 1);
        memcpy(f->bytes + 0x800, interp, strlen(interp) + 1);
    }
    parse(f, e);
}

/* An ld.so: ET_DYN at 0, 0x5000 bytes of image. */
static void build_interp(struct file *f, struct hx_elf *e)
{
    file_init(f, ET_DYN, 0x1100);
    add_ph(f, PT_LOAD, PF_R, 0, 0, 0x1000, 0x1000, 0x1000);
    add_ph(f, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x2000, 0x2000, 0x1000);
    add_ph(f, PT_LOAD, PF_R | PF_W, 0x3000, 0x4000, 0x800, 0x1000, 0x1000);
    parse(f, e);
}

static const struct hx_image_facts facts = {.hwcap = 0x178bfbff,
                                            .hwcap2 = 2,
                                            .minsigstksz = 3632,
                                            .clktck = 100,
                                            .uid = 1000,
                                            .euid = 1001,
                                            .gid = 100,
                                            .egid = 101};

static uint64_t aux(const struct hx_image_plan *p, uint64_t type)
{
    for (size_t i = 0; i < p->naux; i++)
        if (p->aux[i].type == type)
            return p->aux[i].val;
    ck_abort_msg("auxv lacks type %llu", (unsigned long long)type);
    return 0;
}

static int has_aux(const struct hx_image_plan *p, uint64_t type)
{
    for (size_t i = 0; i < p->naux; i++)
        if (p->aux[i].type == type)
            return 1;
    return 0;
}

static struct file F, I;
static struct hx_elf E, IE;
static struct hx_image_plan P;

/* ET_EXEC: at its link address, no bias; the entry is its own. */
START_TEST(plan_exec_at_link_address)
{
    build_exec(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(P.nimages, 1);
    ck_assert_uint_eq(P.image[HX_IMAGE_PROGRAM].bias, 0);
    ck_assert_uint_eq(P.entry, 0x401000);
    ck_assert_uint_eq(aux(&P, AT_ENTRY), 0x401000);
    ck_assert_uint_eq(P.region[0].va, 0x400000);
}
END_TEST

/* ET_DYN with an interpreter: at ELF_ET_DYN_BASE (HX_PIE_BASE, a page
 * below 2/3 of the user half); the kernel jumps to the interpreter. */
START_TEST(plan_pie_at_et_dyn_base)
{
    build_pie(&F, &E, "/lib/ld.so", 0x1000);
    build_interp(&I, &IE);
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), 0);
    ck_assert_uint_eq(P.nimages, 2);
    ck_assert_uint_eq(P.image[HX_IMAGE_PROGRAM].bias, HX_PIE_BASE);
    ck_assert_uint_eq(HX_PIE_BASE, 0x555555554aaaull & ~0xfffull);
    ck_assert_uint_eq(aux(&P, AT_ENTRY), HX_PIE_BASE + 0x1040);
    ck_assert_uint_eq(P.entry, P.image[HX_IMAGE_INTERP].bias + 0x1100);
}
END_TEST

/* A static PIE (ET_DYN, no interpreter) goes where mmap would put it, just
 * below the mmap base, and its brk moves to ELF_ET_DYN_BASE, page aligned. */
START_TEST(plan_static_pie)
{
    build_pie(&F, &E, NULL, 0x1000);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    uint64_t bias = P.image[HX_IMAGE_PROGRAM].bias;
    ck_assert_uint_eq(bias, HX_MMAP_BASE - 0x6000);
    ck_assert_uint_eq(P.entry, bias + 0x1040);
    ck_assert_uint_eq(P.brk_start, HX_PIE_BASE + HX_PAGE_SIZE);
    ck_assert_uint_eq(aux(&P, AT_BASE), 0);
}
END_TEST

/* The interpreter is mapped as mmap maps a file without a hint: its whole
 * image ends at the mmap base, page aligned; AT_BASE is its load address. */
START_TEST(plan_interp_below_mmap_base)
{
    build_pie(&F, &E, "/lib/ld.so", 0x1000);
    build_interp(&I, &IE);
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), 0);
    uint64_t ib = P.image[HX_IMAGE_INTERP].bias;
    ck_assert_uint_eq(ib, HX_MMAP_BASE - 0x5000);
    ck_assert_uint_eq(ib % HX_PAGE_SIZE, 0);
    ck_assert_uint_eq(aux(&P, AT_BASE), ib);
    /* An ET_EXEC with an interpreter stays at its link address. */
    build_exec(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), 0);
    ck_assert_uint_eq(P.image[HX_IMAGE_PROGRAM].bias, 0);
    ck_assert_uint_eq(P.image[HX_IMAGE_INTERP].bias, ib);
}
END_TEST

/* brk starts right after the highest segment's end (bss included), rounded
 * up to a page (Linux's ELF_PAGEALIGN(elf_brk)). */
START_TEST(plan_brk_after_highest_segment)
{
    build_exec(&F, &E); /* data+bss ends at 0x405800 */
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(P.brk_start, 0x406000);
    build_pie(&F, &E, "/lib/ld.so", 0x1000); /* ends at 0x5800 */
    build_interp(&I, &IE);
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), 0);
    ck_assert_uint_eq(P.brk_start, HX_PIE_BASE + 0x6000);
}
END_TEST

/* p_align above the page size: Linux (maximum_alignment()) aligns
 * ELF_ET_DYN_BASE down to it, to 0x555555400000 for 2 MiB. hx keeps
 * HX_PIE_BASE (the programs it runs have 4 KiB p_align); this pins that, so
 * that a change to Linux's rule is a deliberate one. */
START_TEST(plan_large_p_align)
{
    build_pie(&F, &E, "/lib/ld.so", 0x200000);
    build_interp(&I, &IE);
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), 0);
    ck_assert_uint_eq(P.image[HX_IMAGE_PROGRAM].bias, HX_PIE_BASE);
}
END_TEST

/* AT_PHDR: PT_PHDR's address when the file has one, plus the bias. */
START_TEST(plan_at_phdr_from_pt_phdr)
{
    build_pie(&F, &E, "/lib/ld.so", 0x1000);
    build_interp(&I, &IE);
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), 0);
    ck_assert_uint_eq(aux(&P, AT_PHDR), HX_PIE_BASE + 64);
    ck_assert_uint_eq(aux(&P, AT_PHNUM), 5);
    ck_assert_uint_eq(aux(&P, AT_PHENT), sizeof(Elf64_Phdr));
}
END_TEST

/* Without PT_PHDR: where the PT_LOAD that maps e_phoff puts it (Linux's
 * rule since 5.18, the only one before PT_PHDR existed). */
START_TEST(plan_at_phdr_without_pt_phdr)
{
    build_exec(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(aux(&P, AT_PHDR), 0x400000 + 64);
    build_interp(&I, &IE); /* an ET_DYN without PT_PHDR, run as a static PIE */
    ck_assert_int_eq(hx_image_plan(&IE, NULL, &facts, &P), 0);
    ck_assert_uint_eq(aux(&P, AT_PHDR), P.image[HX_IMAGE_PROGRAM].bias + 64);
}
END_TEST

/* AT_BASE is 0 for a program without interpreter. */
START_TEST(plan_at_base_static)
{
    build_exec(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(aux(&P, AT_BASE), 0);
}
END_TEST

/* A program rewritten by hxrewrite starts at its own entry (HX_NOTE_ENTRY):
 * its e_entry is the guard for a run without hxrun. AT_ENTRY says so too. */
START_TEST(plan_at_entry_rewritten)
{
    build_exec(&F, &E);
    E.fastcall = HX_FASTCALL_VERSION;
    E.entry = 0x402ff0; /* the guard */
    E.fastcall_entry = 0x401000;
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(P.entry, 0x401000);
    ck_assert_uint_eq(aux(&P, AT_ENTRY), 0x401000);
    ck_assert_int_eq(P.rewritten, 1);
    /* With an interpreter, the kernel jumps to it; AT_ENTRY is the
     * program's own entry. */
    build_interp(&I, &IE);
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), 0);
    ck_assert_uint_eq(P.entry, P.image[HX_IMAGE_INTERP].bias + 0x1100);
    ck_assert_uint_eq(aux(&P, AT_ENTRY), 0x401000);
    /* Not rewritten: neither flag nor note. */
    build_exec(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_int_eq(P.rewritten, 0);
}
END_TEST

/* Linux refuses only the entry it jumps to when it is past the user half. */
START_TEST(plan_entry_outside_user)
{
    build_exec(&F, &E);
    E.entry = HX_USER_TOP;
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), HX_IMAGE_BAD_ENTRY);
    build_interp(&I, &IE);
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), 0);
    IE.entry = HX_USER_TOP; /* plus its bias: far past */
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), HX_IMAGE_BAD_ENTRY);
}
END_TEST

/* Regions: runs of pages of one protection; a page two segments share has
 * both; pages no segment covers are in none. */
START_TEST(plan_regions)
{
    build_exec(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(P.nregions, 3);
    const struct hx_image_region want[] = {
        {0, 0x400000, 0x1000, HX_PROT_R},
        {0, 0x401000, 0x1000, HX_PROT_R | HX_PROT_X},
        {0, 0x403000, 0x3000, HX_PROT_R | HX_PROT_W}, /* 0x402000: a gap */
    };
    for (size_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(P.region[i].va, want[i].va);
        ck_assert_uint_eq(P.region[i].len, want[i].len);
        ck_assert_uint_eq(P.region[i].prot, want[i].prot);
    }
    /* Text ending in data's first page: that page is R|W|X. */
    file_init(&F, ET_EXEC, 0x401000);
    add_ph(&F, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x1800, 0x1800, 0x1000);
    add_ph(&F, PT_LOAD, PF_R | PF_W, 0x2800, 0x402800, 0x800, 0x2000, 0x1000);
    parse(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(P.nregions, 3);
    ck_assert_uint_eq(P.region[1].va, 0x402000);
    ck_assert_uint_eq(P.region[1].len, 0x1000);
    ck_assert_uint_eq(P.region[1].prot, HX_PROT_R | HX_PROT_W | HX_PROT_X);
    ck_assert_uint_eq(P.region[2].va, 0x403000);
    ck_assert_uint_eq(P.region[2].len, 0x2000);
    /* Interpreter regions follow the program's, tagged with its image. */
    build_interp(&I, &IE);
    ck_assert_int_eq(hx_image_plan(&E, &IE, &facts, &P), 0);
    ck_assert_uint_eq(P.nregions, 6);
    ck_assert_uint_eq(P.region[3].image, HX_IMAGE_INTERP);
    ck_assert_uint_eq(P.region[3].va, P.image[HX_IMAGE_INTERP].bias);
}
END_TEST

/* Two segments at the ends of the user half: two regions, computed without
 * walking the pages between them. */
START_TEST(plan_regions_sparse)
{
    file_init(&F, ET_EXEC, 0x401000);
    add_ph(&F, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x1000, 0x1000, 0x1000);
    add_ph(&F, PT_LOAD, PF_R | PF_W, 0x2000, 0x7ff000000000, 0x1000, 0x1000, 0x1000);
    parse(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(P.nregions, 2);
    ck_assert_uint_eq(P.region[1].va, 0x7ff000000000);
}
END_TEST

/* The auxiliary vector in create_elf_tables()'s order; AT_HWCAP2 only when
 * the CPU reports some; the host's facts passed on. */
START_TEST(plan_auxv)
{
    build_exec(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    const uint64_t order[] = {AT_MINSIGSTKSZ, AT_HWCAP, AT_PAGESZ, AT_CLKTCK, AT_PHDR, AT_PHENT,
                              AT_PHNUM,       AT_BASE,  AT_FLAGS,  AT_ENTRY,  AT_UID,  AT_EUID,
                              AT_GID,         AT_EGID,  AT_SECURE, AT_HWCAP2};
    ck_assert_uint_eq(P.naux, 16);
    for (size_t i = 0; i < P.naux; i++)
        ck_assert_uint_eq(P.aux[i].type, order[i]);
    ck_assert_uint_eq(aux(&P, AT_PAGESZ), HX_PAGE_SIZE);
    ck_assert_uint_eq(aux(&P, AT_HWCAP), facts.hwcap);
    ck_assert_uint_eq(aux(&P, AT_HWCAP2), facts.hwcap2);
    ck_assert_uint_eq(aux(&P, AT_MINSIGSTKSZ), facts.minsigstksz);
    ck_assert_uint_eq(aux(&P, AT_CLKTCK), facts.clktck);
    ck_assert_uint_eq(aux(&P, AT_EUID), facts.euid);
    ck_assert_uint_eq(aux(&P, AT_EGID), facts.egid);
    ck_assert_uint_eq(aux(&P, AT_SECURE), 0);
    struct hx_image_facts no2 = facts;
    no2.hwcap2 = 0;
    ck_assert_int_eq(hx_image_plan(&E, NULL, &no2, &P), 0);
    ck_assert_uint_eq(P.naux, 15);
    ck_assert(!has_aux(&P, AT_HWCAP2));
}
END_TEST

/* The stack: RLIMIT_STACK's default below the top of the user half,
 * executable only when PT_GNU_STACK asks. */
START_TEST(plan_stack)
{
    build_exec(&F, &E);
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(P.stack_va + P.stack_size, HX_USER_TOP);
    ck_assert_uint_eq(P.stack_size, HX_STACK_SIZE);
    ck_assert_uint_eq(P.stack_prot, HX_PROT_R | HX_PROT_W);
    E.exec_stack = 1;
    ck_assert_int_eq(hx_image_plan(&E, NULL, &facts, &P), 0);
    ck_assert_uint_eq(P.stack_prot, HX_PROT_R | HX_PROT_W | HX_PROT_X);
}
END_TEST

Suite *image_plan_suite(void)
{
    Suite *s = suite_create("image_plan");
    TCase *tc = tcase_create("placement");
    tcase_add_test(tc, plan_exec_at_link_address);
    tcase_add_test(tc, plan_pie_at_et_dyn_base);
    tcase_add_test(tc, plan_static_pie);
    tcase_add_test(tc, plan_interp_below_mmap_base);
    tcase_add_test(tc, plan_brk_after_highest_segment);
    tcase_add_test(tc, plan_large_p_align);
    tcase_add_test(tc, plan_regions);
    tcase_add_test(tc, plan_regions_sparse);
    tcase_add_test(tc, plan_stack);
    suite_add_tcase(s, tc);
    TCase *auxv = tcase_create("auxv");
    tcase_add_test(auxv, plan_at_phdr_from_pt_phdr);
    tcase_add_test(auxv, plan_at_phdr_without_pt_phdr);
    tcase_add_test(auxv, plan_at_base_static);
    tcase_add_test(auxv, plan_at_entry_rewritten);
    tcase_add_test(auxv, plan_entry_outside_user);
    tcase_add_test(auxv, plan_auxv);
    suite_add_tcase(s, auxv);
    return s;
}
