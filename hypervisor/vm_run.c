/* The vCPU's run loop: runs the guest until it ends, serving each exit (a
 * hypercall, or the end of the machine). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "hcall.h"
#include "sandbox.h"
#include "vm_internal.h"
#include "x86.h"

void hx_vm_start_clock(struct hx_vm *vm)
{
    struct hx_boot_info *b = vm->boot;
    long khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
    /* struct kvm_msrs and its entry, in ISO C (same layout). */
    struct {
        uint32_t nmsrs, pad;
        struct kvm_msr_entry e;
    } tsc = {1, 0, {.index = X86_MSR_TSC}};
    struct timespec rt, mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &rt);
    ioctl(vm->vcpu_fd, KVM_GET_MSRS, &tsc);
    b->tsc_hz = khz > 0 ? (uint64_t)khz * 1000 : 1000000000ull;
    b->tsc_base = tsc.e.data;
    b->realtime_base_ns = rt.tv_sec * 1000000000ll + rt.tv_nsec;
    b->monotonic_base_ns = mono.tv_sec * 1000000000ll + mono.tv_nsec;
    struct timespec res;
    clock_getres(CLOCK_REALTIME_COARSE, &res);
    b->coarse_res_ns = res.tv_sec * 1000000000ll + res.tv_nsec;
}

static void dump_regs(struct hx_vm *vm)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) == 0 && ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) == 0)
        fprintf(stderr, "hxrun: guest rip 0x%llx rsp 0x%llx cs 0x%x cr2 0x%llx\n", r.rip, r.rsp,
                s.cs.selector, s.cr2);
}

int hx_vm_run(struct hx_vm *vm)
{
    hx_vm_start_clock(vm);
    /* The machine is built: from here on the monitor makes only the host
     * calls its hypercall handlers need (sandbox.c). */
    if (hx_sched_start(vm) || hx_proc_init(vm) || hx_guest_mem_init() || hx_seccomp_apply())
        return 125;
    for (;;) {
        hx_sched_before_run(vm);
        if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == EFAULT) {
                /* The guest touched a page of a shared file mapping past the
                 * end of the file: Linux sends that program SIGBUS. */
                fprintf(stderr, "hxrun: %s: Bus error (access past the end of a mapped file)\n",
                        vm->prog);
                return 128 + 7;
            }
            return hx_vm_kvm_error("KVM_RUN");
        }
        struct kvm_run *run = vm->run;
        vm->exits_total++;
        vm->exits_by_reason[run->exit_reason < 64 ? run->exit_reason : 63]++;
        switch (run->exit_reason) {
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            continue; /* hx_sched_before_run injects now */
        case KVM_EXIT_MMIO:
            if (run->mmio.phys_addr == HX_GPA_HYPERCALL && run->mmio.is_write &&
                run->mmio.len == 8) {
                uint64_t gpa;
                int status;
                memcpy(&gpa, run->mmio.data, 8);
                if (hx_hcall_dispatch(vm, gpa, &status))
                    return status;
                continue;
            }
            fprintf(stderr, "hxrun: guest kernel error: stray %s of %u bytes at physical 0x%llx\n",
                    run->mmio.is_write ? "store" : "load", run->mmio.len,
                    (unsigned long long)run->mmio.phys_addr);
            dump_regs(vm);
            return 125;
        case KVM_EXIT_SHUTDOWN:
            fprintf(stderr, "hxrun: guest kernel crashed (triple fault; see dmesg)\n");
            dump_regs(vm);
            return 125;
        case KVM_EXIT_FAIL_ENTRY:
            fprintf(stderr, "hxrun: KVM could not enter the guest (reason 0x%llx)\n",
                    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            return 125;
        case KVM_EXIT_INTERNAL_ERROR:
            fprintf(stderr, "hxrun: KVM internal error (suberror %u)\n", run->internal.suberror);
            dump_regs(vm);
            return 125;
        default:
            fprintf(stderr, "hxrun: unexpected VM exit (reason %u)\n", run->exit_reason);
            dump_regs(vm);
            return 125;
        }
    }
}
