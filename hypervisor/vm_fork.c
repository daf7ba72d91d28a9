/* The VM's half of fork (DESIGN.md section 10): the monitor forks itself,
 * and its child builds a new VM over the same guest RAM, which the host
 * kernel has just made copy-on-write, with a vCPU that continues exactly
 * where the parent's stopped. No guest page is copied here.
 *
 * The vCPU's state is read before the fork: the child cannot use the
 * parent's KVM descriptors (a VM belongs to the address space that made
 * it; KVM answers EIO to any other). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hcall.h"
#include "vm_internal.h"
#include "x86.h"

#define X86_MSR_CSTAR 0xc0000083
#define X86_MSR_KERNEL_GS_BASE 0xc0000102
#define X86_MSR_TSC_AUX 0xc0000103

/* The MSRs the machine has beyond the segment and control registers:
 * those vm.c sets, and those a guest may change (swapgs, rdtscp). */
static const uint32_t msr_list[] = {X86_MSR_STAR,           X86_MSR_LSTAR,  X86_MSR_CSTAR,
                                    X86_MSR_FMASK,          X86_MSR_PAT,    X86_MSR_MTRR_DEF_TYPE,
                                    X86_MSR_KERNEL_GS_BASE, X86_MSR_TSC_AUX};
#define NMSRS (sizeof(msr_list) / sizeof(msr_list[0]))

struct vcpu_state {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_xcrs xcrs;
    struct kvm_vcpu_events events;
    struct {
        uint32_t nmsrs, pad;
        struct kvm_msr_entry e[NMSRS];
    } msrs; /* struct kvm_msrs and its entries, in ISO C (same layout) */
    struct kvm_xsave xsave;
};

static int save(struct hx_vm *vm, struct vcpu_state *s)
{
    memset(s, 0, sizeof(*s));
    s->msrs.nmsrs = NMSRS;
    for (unsigned i = 0; i < NMSRS; i++)
        s->msrs.e[i].index = msr_list[i];
    if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &s->regs) < 0 ||
        ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s->sregs) < 0 ||
        ioctl(vm->vcpu_fd, KVM_GET_XCRS, &s->xcrs) < 0 ||
        ioctl(vm->vcpu_fd, KVM_GET_VCPU_EVENTS, &s->events) < 0 ||
        ioctl(vm->vcpu_fd, KVM_GET_XSAVE, &s->xsave) < 0)
        return -errno;
    /* KVM reads the MSRs in order and stops at the first it lacks: the
     * state is those it gave. */
    int n = ioctl(vm->vcpu_fd, KVM_GET_MSRS, &s->msrs);
    if (n < 0)
        return -errno;
    s->msrs.nmsrs = (uint32_t)n;
    return 0;
}

/* In the child: its own VM and vCPU in the parent's state. Order matters:
 * CPUID decides which control-register bits and XSAVE components the
 * vCPU accepts. */
static int restore(struct hx_vm *vm, struct vcpu_state *s, int log_dirty)
{
    munmap(vm->run, vm->run_size);
    close(vm->vcpu_fd);
    close(vm->vm_fd);
    int rc = hx_vm_machine_new(vm);
    if (rc)
        return rc;
    if (log_dirty) {
        struct kvm_userspace_memory_region r = {.slot = 0,
                                                .flags = KVM_MEM_LOG_DIRTY_PAGES,
                                                .memory_size = vm->g.ram_size,
                                                .userspace_addr = (uint64_t)vm->g.ram};
        if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
            return hx_vm_kvm_error("KVM_SET_USER_MEMORY_REGION");
    }
    /* The host files the parent had mapped: the same host mappings (a
     * MAP_SHARED mapping stays shared across fork), at the same guest
     * physical addresses. */
    for (int i = 0; i < HX_MAX_SLOTS; i++)
        if (vm->g.slots[i].hva && hx_shared_slot_add(vm, i) < 0)
            return hx_vm_kvm_error("KVM_SET_USER_MEMORY_REGION");
    uint64_t xcr0_supported;
    rc = hx_vm_set_cpuid(vm, &xcr0_supported);
    if (rc)
        return rc;
    if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s->sregs) < 0)
        return hx_vm_kvm_error("KVM_SET_SREGS");
    if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &s->msrs) != (int)s->msrs.nmsrs)
        return hx_vm_kvm_error("KVM_SET_MSRS");
    if (ioctl(vm->vcpu_fd, KVM_SET_XCRS, &s->xcrs) < 0)
        return hx_vm_kvm_error("KVM_SET_XCRS");
    if (ioctl(vm->vcpu_fd, KVM_SET_XSAVE, &s->xsave) < 0)
        return hx_vm_kvm_error("KVM_SET_XSAVE");
    if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &s->regs) < 0)
        return hx_vm_kvm_error("KVM_SET_REGS");
    /* Only what can be pending at a hypercall's exit: an interrupt KVM
     * had accepted and not yet delivered. */
    s->events.flags = 0;
    if (ioctl(vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &s->events) < 0)
        return hx_vm_kvm_error("KVM_SET_VCPU_EVENTS");
    /* The new vCPU's TSC starts afresh: the guest's clock is based on it
     * again, so that its time goes on as the host's. */
    hx_vm_start_clock(vm);
    return 0;
}

int64_t hx_vm_fork(struct hx_vm *vm, int log_dirty)
{
    static struct vcpu_state state; /* 4 KiB of XSAVE: not on the stack */
    int rc = save(vm, &state);
    if (rc) {
        fprintf(stderr, "hxrun: fork: cannot read the vCPU's state: %s\n", strerror(-rc));
        return -EAGAIN;
    }
    pid_t pid = fork();
    if (pid < 0)
        return errno == ENOMEM ? -ENOMEM : -EAGAIN;
    if (pid > 0)
        return pid;
    if (restore(vm, &state, log_dirty)) {
        /* One line was printed; the parent sees a child that died at once,
         * as it would one the kernel could not start. */
        _exit(125);
    }
    return 0;
}
