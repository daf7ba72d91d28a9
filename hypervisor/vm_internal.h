/* What the files that build and run the VM share (vm.c builds the machine,
 * vm_image.c puts the program's image in it, vm_run.c runs it); not part of
 * the monitor's interface to its host services (vm.h). */
#ifndef HX_HYPERVISOR_VM_INTERNAL_H
#define HX_HYPERVISOR_VM_INTERNAL_H

#include <stdint.h>

#include "vm.h"

/* Bump allocation of zeroed guest physical memory, aligned so that
 * pa % align == congruent % align (lets the kernel use 2 MiB pages).
 * Returns 0 when guest memory is exhausted. */
uint64_t hx_vm_phys_alloc(struct hx_vm *vm, uint64_t len, uint64_t align, uint64_t congruent);

/* Adds a region of the process image to the boot info; -1 when it is full. */
int hx_vm_add_region(struct hx_vm *vm, uint64_t va, uint64_t len, uint64_t pa, uint32_t prot,
                     uint32_t kind);

/* A new KVM VM over the guest RAM vm->g already has (slot 0), its vCPU and
 * kvm_run mapping: at creation, and in the child of a fork. 0, or prints
 * one line and returns 125. */
int hx_vm_machine_new(struct hx_vm *vm);

/* Everything hx_vm_create makes after guest RAM (which must be zeroed):
 * the VM and vCPU, the kernel image, page tables, descriptors, boot info,
 * the host fd tables, registers. Also execve's new machine (vm_exec.c).
 * 0, or one line printed and hxrun's status. */
int hx_vm_build(struct hx_vm *vm);

/* Gives the vCPU the host's CPUID as the guest may see it; says which
 * XSAVE components KVM supports. 0 or 125 (one line printed). */
int hx_vm_set_cpuid(struct hx_vm *vm, uint64_t *xcr0_supported);

/* Reads the clock bases the guest computes its time from (boot info): at
 * the start, and in a fork's child, whose new vCPU has a TSC of its own. */
void hx_vm_start_clock(struct hx_vm *vm);

/* Prints "hxrun: what: <errno>" and returns hxrun's status for it (125). */
int hx_vm_kvm_error(const char *what);

#endif
