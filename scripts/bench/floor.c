/* Measures the cost of a bare syscall instruction round trip from CPL3 on
 * this machine's KVM: the floor for any syscall path. The guest image
 * (floor_guest.bin, entry offset in argv[2]) is loaded at 0x10000 in a
 * 4 MiB machine with identity-mapped 2 MiB pages. Prints ns per call. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM (4u << 20)
#define CODE 0x10000

static void die(const char *what)
{
    perror(what);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: floor GUEST.bin ENTRY_OFFSET ITERATIONS\n");
        return 2;
    }
    int kvm = open("/dev/kvm", O_RDWR);
    int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("kvm");
    uint8_t *m = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct kvm_userspace_memory_region r = {0, 0, 0, MEM, (uint64_t)m};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        die("memory");
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(m + CODE, 1, MEM / 2, f) == 0)
        die(argv[1]);
    fclose(f);
    /* Page tables at 0x1000.., GDT at 0x4000; 0x3fe00000 is MMIO. */
    uint64_t *pml4 = (void *)(m + 0x1000), *pdpt = (void *)(m + 0x2000), *pd = (void *)(m + 0x3000);
    pml4[0] = 0x2000 | 7;
    pdpt[0] = 0x3000 | 7;
    pd[0] = 0x87;
    pd[1] = 0x200000 | 0x87;
    pd[511] = 0x3fe00000 | 0x87;
    uint64_t *gdt = (void *)(m + 0x4000);
    gdt[1] = 0x00af9a000000ffffull;
    gdt[2] = 0x00cf92000000ffffull;
    gdt[3] = 0x00cff2000000ffffull;
    gdt[4] = 0x00affa000000ffffull;
    int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    struct kvm_run *run = mmap(NULL, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0),
                               PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
    struct kvm_sregs s;
    ioctl(cpu, KVM_GET_SREGS, &s);
    struct kvm_segment cs = {.limit = 0xffffffff,
                             .selector = 0x23,
                             .type = 11,
                             .present = 1,
                             .dpl = 3,
                             .s = 1,
                             .l = 1,
                             .g = 1};
    struct kvm_segment ds = cs;
    ds.selector = 0x1b;
    ds.type = 3;
    ds.l = 0;
    ds.db = 1;
    s.cs = cs;
    s.ds = s.es = s.fs = s.gs = s.ss = ds;
    s.gdt.base = 0x4000;
    s.gdt.limit = 5 * 8 - 1;
    s.cr3 = 0x1000;
    s.cr4 = 0x20 | 0x200 | 0x400;
    s.cr0 = 0x80000033;
    s.efer = 0x501;
    if (ioctl(cpu, KVM_SET_SREGS, &s) < 0)
        die("sregs");
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e[3];
    } msrs = {{.nmsrs = 3},
              {{.index = 0xc0000082, .data = CODE + strtoull(argv[2], NULL, 0)},
               {.index = 0xc0000081, .data = (8ull << 32) | (0x13ull << 48)},
               {.index = 0xc0000084, .data = 0x700}}};
    if (ioctl(cpu, KVM_SET_MSRS, &msrs) != 3)
        die("msrs");
    long n = atol(argv[3]);
    struct kvm_regs g = {.rip = CODE, .rflags = 2, .rsp = 0x300000, .rdi = (uint64_t)n};
    ioctl(cpu, KVM_SET_REGS, &g);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (ioctl(cpu, KVM_RUN, 0) < 0 || run->exit_reason != KVM_EXIT_MMIO) {
        fprintf(stderr, "floor: guest did not finish (exit %u)\n", run->exit_reason);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
    return 0;
}
