/* Linux's placement of a process image (fs/binfmt_elf.c, load_elf_binary
 * and create_elf_tables, as on a system without address randomisation),
 * computed from the parsed files. */
#include "image_plan.h"

#include <elf.h>
#include <string.h>

/* Where mmap would put a mapping of span bytes that no hint places: just
 * below the top-down mmap base. */
static uint64_t mmap_below_base(uint64_t span)
{
    return (HX_MMAP_BASE - span) & ~(HX_PAGE_SIZE - 1);
}

/* The entry a rewritten program has as its own: its e_entry is the guard
 * that only matters when it is run without hxrun (HX_NOTE_ENTRY). */
static uint64_t own_entry(const struct hx_elf *e)
{
    return e->fastcall && e->fastcall_entry ? e->fastcall_entry : e->entry;
}

/* Describes image's pages as runs of equal protection. A page shared by two
 * segments gets both protections, as the bytes of both live in it; pages
 * between segments are in no region. The segments' page boundaries cut
 * the span into pieces covered uniformly, so the work does not grow with
 * the span (a hostile file may spread two segments across the user half). */
static int add_regions(struct hx_image_plan *plan, unsigned image)
{
    const struct hx_elf *e = plan->image[image].elf;
    uint64_t bias = plan->image[image].bias;
    uint64_t cut[2 * HX_ELF_MAX_LOAD];
    size_t ncut = 0;
    for (size_t i = 0; i < e->nload; i++) {
        const struct hx_elf_seg *s = &e->load[i];
        cut[ncut++] = s->vaddr & ~(HX_PAGE_SIZE - 1);
        cut[ncut++] = (s->vaddr + s->memsz + HX_PAGE_SIZE - 1) & ~(HX_PAGE_SIZE - 1);
    }
    for (size_t i = 1; i < ncut; i++)
        for (size_t j = i; j > 0 && cut[j - 1] > cut[j]; j--) {
            uint64_t t = cut[j];
            cut[j] = cut[j - 1];
            cut[j - 1] = t;
        }
    struct hx_image_region *run = NULL; /* the region the last piece went to */
    for (size_t k = 0; k + 1 < ncut; k++) {
        uint64_t lo = cut[k], hi = cut[k + 1];
        if (lo == hi)
            continue;
        uint32_t prot = 0;
        int covered = 0;
        for (size_t i = 0; i < e->nload; i++) {
            const struct hx_elf_seg *s = &e->load[i];
            if (s->vaddr < hi && s->vaddr + s->memsz > lo) {
                prot |= s->prot;
                covered = 1;
            }
        }
        if (!covered) {
            run = NULL;
            continue;
        }
        if (run && run->prot == prot && run->va + run->len == lo + bias) {
            run->len += hi - lo;
            continue;
        }
        if (plan->nregions == HX_MAX_REGIONS)
            return HX_IMAGE_TOO_MANY_REGIONS;
        run = &plan->region[plan->nregions++];
        *run = (struct hx_image_region){image, lo + bias, hi - lo, prot};
    }
    return 0;
}

int hx_image_plan(const struct hx_elf *prog, const struct hx_elf *interp,
                  const struct hx_image_facts *facts, struct hx_image_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    /* Linux's placement: a PIE with an interpreter at ELF_ET_DYN_BASE; the
     * interpreter, or a static PIE, where mmap would put it, just below the
     * mmap base; ET_EXEC at its own addresses. Unlike Linux, hx does not
     * lower ELF_ET_DYN_BASE to a p_align above the page size (Linux's
     * maximum_alignment()): the programs it runs are linked with 4 KiB
     * p_align, and the test pins what hx does. */
    uint64_t bias = 0, interp_bias = 0;
    if (interp) {
        if (prog->is_pie)
            bias = HX_PIE_BASE - prog->lo;
        interp_bias = mmap_below_base(interp->hi - interp->lo) - interp->lo;
    } else if (prog->is_pie) {
        bias = mmap_below_base(prog->hi - prog->lo) - prog->lo;
    }
    plan->image[HX_IMAGE_PROGRAM] = (struct hx_image_place){prog, bias};
    plan->nimages = 1;
    if (interp)
        plan->image[plan->nimages++] = (struct hx_image_place){interp, interp_bias};

    /* Linux refuses an entry point past the user half (BAD_ADDR), checking
     * only the one it jumps to: the interpreter's when there is one (the
     * program's own is then just AT_ENTRY). The kernel's jump to such an
     * address would fault in kernel code, not in the program. */
    plan->entry = interp ? interp->entry + interp_bias : own_entry(prog) + bias;
    if (plan->entry >= HX_USER_TOP)
        return HX_IMAGE_BAD_ENTRY;

    for (unsigned i = 0; i < plan->nimages; i++) {
        int rc = add_regions(plan, i);
        if (rc)
            return rc;
    }
    plan->rewritten = prog->fastcall || (interp && interp->fastcall);
    /* Linux moves the brk of a program without interpreter loaded as ET_DYN
     * out of the mmap area, to ELF_ET_DYN_BASE (2/3 of the address space,
     * 0x555555554aaa) rounded up to a page. Otherwise it starts at the end
     * of the highest segment, page aligned (hi is). */
    plan->brk_start = prog->is_pie && !interp ? HX_PIE_BASE + HX_PAGE_SIZE : prog->hi + bias;

    plan->stack_va = HX_USER_TOP - HX_STACK_SIZE;
    plan->stack_size = HX_STACK_SIZE;
    plan->stack_prot = HX_PROT_R | HX_PROT_W | (prog->exec_stack ? HX_PROT_X : 0);

    /* create_elf_tables()'s order; AT_HWCAP2 only when the CPU has any. */
    const struct hx_auxv aux[] = {
        {AT_MINSIGSTKSZ, facts->minsigstksz},
        {AT_HWCAP, facts->hwcap},
        {AT_PAGESZ, HX_PAGE_SIZE},
        {AT_CLKTCK, facts->clktck},
        {AT_PHDR, prog->phdr_vaddr + bias},
        {AT_PHENT, prog->phentsize},
        {AT_PHNUM, prog->phnum},
        {AT_BASE, interp ? interp_bias : 0},
        {AT_FLAGS, 0},
        {AT_ENTRY, own_entry(prog) + bias},
        {AT_UID, facts->uid},
        {AT_EUID, facts->euid},
        {AT_GID, facts->gid},
        {AT_EGID, facts->egid},
        {AT_SECURE, 0},
        {AT_HWCAP2, facts->hwcap2},
    };
    _Static_assert(sizeof(aux) / sizeof(aux[0]) <= HX_IMAGE_MAX_AUX, "plan.aux too small");
    plan->naux = sizeof(aux) / sizeof(aux[0]) - (facts->hwcap2 ? 0 : 1);
    memcpy(plan->aux, aux, plan->naux * sizeof(aux[0]));
    return 0;
}
