/* Where a program and its interpreter go in the address space, where its
 * brk and stack start, and what the auxiliary vector tells it: Linux's
 * placement rules (fs/binfmt_elf.c, without randomisation) as a pure
 * function of what elf_load.c parsed and a few host facts. No guest memory
 * is touched here, so each rule is unit-tested (tests/unit/test_image_plan.c);
 * hxrun copies the bytes where the plan says (hypervisor/vm_image.c). */
#ifndef HX_LOADER_IMAGE_PLAN_H
#define HX_LOADER_IMAGE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "elf_load.h"
#include "hx/abi.h"
#include "stack.h"

/* What the host says that the auxiliary vector passes on. */
struct hx_image_facts {
    uint64_t hwcap, hwcap2; /* AT_HWCAP; AT_HWCAP2, left out when 0 */
    uint64_t minsigstksz;   /* AT_MINSIGSTKSZ */
    uint64_t clktck;        /* AT_CLKTCK */
    uint64_t uid, euid, gid, egid;
};

/* One loaded file: its segments go at their p_vaddr + bias, and the span
 * [elf->lo + bias, elf->hi + bias) is backed by one physically contiguous
 * block. */
struct hx_image_place {
    const struct hx_elf *elf;
    uint64_t bias;
};

/* A run of pages of image[image] with one protection (HX_PROT_*). */
struct hx_image_region {
    unsigned image;
    uint64_t va, len;
    uint32_t prot;
};

#define HX_IMAGE_PROGRAM 0
#define HX_IMAGE_INTERP 1
#define HX_IMAGE_MAX_AUX 16

struct hx_image_plan {
    struct hx_image_place image[2]; /* HX_IMAGE_PROGRAM, HX_IMAGE_INTERP */
    size_t nimages;                 /* 2 with an interpreter */
    /* The boot info's regions the images take (the stack is the last). */
    struct hx_image_region region[HX_MAX_REGIONS];
    size_t nregions;
    uint64_t entry;     /* where the kernel jumps: the interpreter's entry, else the program's */
    uint64_t brk_start; /* the program break, before the first brk */
    uint64_t stack_va, stack_size;
    uint32_t stack_prot;
    struct hx_auxv aux[HX_IMAGE_MAX_AUX]; /* stack.c adds AT_RANDOM, AT_EXECFN, ... */
    size_t naux;
    int rewritten; /* the program or its interpreter was rewritten by hxrewrite */
};

/* hx_image_plan's results besides 0. */
#define HX_IMAGE_BAD_ENTRY HX_ELF_NOEXEC /* the entry jumped to is outside the user half */
#define HX_IMAGE_TOO_MANY_REGIONS (-1)   /* more protection runs than the boot info holds */

/* Plans prog's image with the interpreter interp (NULL for a static
 * program; the caller checked it is position-independent). Returns 0 or one
 * of HX_IMAGE_*; plan is filled either way as far as it got. */
int hx_image_plan(const struct hx_elf *prog, const struct hx_elf *interp,
                  const struct hx_image_facts *facts, struct hx_image_plan *plan);

#endif
