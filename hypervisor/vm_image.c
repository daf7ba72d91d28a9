/* The program's process image in the VM: opens the program and its
 * interpreter, has the loader plan their placement as Linux would
 * (loader/image_plan.c), copies their segments into guest memory where the
 * plan says, and builds the initial stack. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <unistd.h>

#include "elf_load.h"
#include "fastcall_cache.h"
#include "image_plan.h"
#include "stack.h"
#include "vm_internal.h"

/* A file rewritten by an hxrewrite whose fastcall ABI this hxrun does not
 * know: its trampolines might call the kernel in a way it does not expect. */
static int unknown_fastcall(const char *path, const struct hx_elf *e)
{
    if (!e->fastcall || e->fastcall == HX_FASTCALL_VERSION)
        return 0;
    fprintf(stderr,
            "hxrun: %s: rewritten by hxrewrite for fastcall ABI version %u; this hxrun runs "
            "version %u\n",
            path, e->fastcall, HX_FASTCALL_VERSION);
    return 1;
}

/* Copies one planned image's PT_LOAD segments into one physically
 * contiguous block and adds its regions to the boot info. */
static int load_image(struct hx_vm *vm, const struct hx_image_plan *plan, unsigned image)
{
    const struct hx_elf *e = plan->image[image].elf;
    uint64_t va = e->lo + plan->image[image].bias;
    uint64_t pa = hx_vm_phys_alloc(vm, e->hi - e->lo, HX_HUGE_SIZE, va);
    if (!pa)
        return -1;
    for (size_t i = 0; i < e->nload; i++) {
        const struct hx_elf_seg *s = &e->load[i];
        memcpy(vm->g.ram + pa + (s->vaddr - e->lo), e->data + s->offset, s->filesz);
    }
    for (size_t i = 0; i < plan->nregions; i++) {
        const struct hx_image_region *r = &plan->region[i];
        if (r->image == image &&
            hx_vm_add_region(vm, r->va, r->len, pa + (r->va - va), r->prot, HX_REGION_IMAGE))
            return -1;
    }
    return 0;
}

int hx_vm_load_program(struct hx_vm *vm, const char *prog, char **argv)
{
    struct hx_load l = {.file = prog, .execfn = prog, .argv = argv, .envp = vm->opt->envp};
    return hx_vm_load(vm, &l);
}

int hx_vm_load(struct hx_vm *vm, const struct hx_load *l)
{
    const char *prog = l->execfn;
    struct hx_elf e;
    char err[256];
    int rc = hx_elf_open(hx_fastcall_path(l->file), &e, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "hxrun: %s: %s\n", prog, err);
        return rc;
    }
    if (unknown_fastcall(prog, &e)) {
        hx_elf_close(&e);
        return 126;
    }
    vm->prog = prog;
    struct hx_boot_info *b = vm->boot;
    if (l->exe)
        snprintf(b->exe, sizeof(b->exe), "%s", l->exe);
    else if (!realpath(prog, b->exe))
        snprintf(b->exe, sizeof(b->exe), "%s", prog);

    struct hx_elf ie = {0};
    if (e.interp[0]) {
        snprintf(vm->interp, sizeof(vm->interp), "%s", e.interp);
        rc = hx_elf_open(hx_fastcall_path(l->interp_file ? l->interp_file : e.interp), &ie, err,
                         sizeof(err));
        if (!rc && (ie.interp[0] || !ie.is_pie))
            rc = 126, snprintf(err, sizeof(err), "not a position-independent ELF interpreter");
        if (!rc && unknown_fastcall(e.interp, &ie)) {
            hx_elf_close(&ie);
            hx_elf_close(&e);
            return 126;
        }
        if (rc) {
            fprintf(stderr, "hxrun: %s: interpreter %s: %s\n", prog, e.interp, err);
            hx_elf_close(&e);
            return 126;
        }
    }
    struct hx_image_facts facts = {.hwcap = b->hwcap,
                                   .hwcap2 = b->hwcap2,
                                   .minsigstksz = getauxval(AT_MINSIGSTKSZ),
                                   .clktck = (uint64_t)sysconf(_SC_CLK_TCK),
                                   .uid = b->uid,
                                   .euid = b->euid,
                                   .gid = b->gid,
                                   .egid = b->egid};
    struct hx_image_plan plan;
    rc = hx_image_plan(&e, ie.data ? &ie : NULL, &facts, &plan);
    if (rc == HX_IMAGE_BAD_ENTRY) {
        if (ie.data)
            fprintf(stderr,
                    "hxrun: %s: interpreter %s: corrupt ELF: entry point outside the user "
                    "address space\n",
                    prog, e.interp);
        else
            fprintf(stderr, "hxrun: %s: corrupt ELF: entry point outside the user address space\n",
                    prog);
        hx_elf_close(&e);
        hx_elf_close(&ie);
        return 126;
    }
    int fits = !rc;
    for (unsigned i = 0; i < plan.nimages && fits; i++)
        fits = !load_image(vm, &plan, i);
    hx_elf_close(&ie);
    if (!fits) {
        fprintf(stderr, "hxrun: %s: program does not fit in guest memory (-m)\n", prog);
        hx_elf_close(&e);
        return 125;
    }
    b->entry = plan.entry;
    b->brk_start = plan.brk_start;

    uint64_t stack_pa = hx_vm_phys_alloc(vm, plan.stack_size, HX_HUGE_SIZE, plan.stack_va);
    uint8_t random16[16];
    if (!stack_pa || getrandom(random16, sizeof(random16), 0) != sizeof(random16) ||
        getrandom(b->random_seed, sizeof(b->random_seed), 0) != sizeof(b->random_seed)) {
        fprintf(stderr, "hxrun: cannot set up the program stack\n");
        hx_elf_close(&e);
        return 125;
    }
    struct hx_stack_spec spec = {l->argv,  l->envp,  prog,      "x86_64",
                                 random16, plan.aux, plan.naux, plan.rewritten};
    if (hx_build_stack(&spec, vm->g.ram + stack_pa, plan.stack_size,
                       plan.stack_va + plan.stack_size, &b->stack_pointer)) {
        fprintf(stderr, "hxrun: %s: argument list too long\n", prog);
        hx_elf_close(&e);
        return 126;
    }
    hx_vm_add_region(vm, plan.stack_va, plan.stack_size, stack_pa, plan.stack_prot,
                     HX_REGION_STACK);
    hx_elf_close(&e);
    b->phys_next = vm->phys_next;
    return 0;
}
