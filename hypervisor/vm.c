/* KVM setup: the monitor builds the whole machine before the first
 * instruction: page tables for the kernel and the direct map, GDT/IDT/TSS,
 * MSRs, XCR0 and CPUID; the vCPU starts at CPL3 in the guest kernel's entry
 * point, which maps the program and jumps to it. The program's image is
 * placed by vm_image.c, the guest run by vm_run.c. */
#include "vm.h"

#include <cpuid.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "elf_load.h"
#include "vm_internal.h"
#include "x86.h"

#define TABLE (X86_PTE_P | X86_PTE_W | X86_PTE_U)
/* The most of the first GiB the kernel image may take. */
#define HX_KERNEL_MAX_SIZE (64ull << 20)

int hx_hostfd_max = 1024 - HX_MONITOR_FDS; /* until hx_fds_init */

int hx_high_fd(int fd)
{
    if (fd < 0)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, hx_hostfd_max);
    close(fd);
    return high;
}

/* Lists the open fds above 2 into fds (at most max), by /proc when it is
 * there, else by asking each number below limit. Returns how many. */
static int open_fds(int *fds, int max, int limit)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && n < max) {
            int fd = (int)strtol(e->d_name, NULL, 10);
            if (fd > 2 && fd != dirfd(d))
                fds[n++] = fd;
        }
        closedir(d);
        return n;
    }
    for (int fd = 3; fd < limit && n < max; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            fds[n++] = fd;
    return n;
}

void hx_fds_init(struct hx_options *opt)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        rl.rlim_cur = rl.rlim_max = 1024;
    opt->nofile_cur = rl.rlim_cur;
    opt->nofile_max = rl.rlim_max;
    /* The guest may own as many host fds as the hard limit lets it raise
     * its own limit to; the monitor keeps the top HX_MONITOR_FDS. */
    rlim_t limit = rl.rlim_max;
    if (limit > (rlim_t)HX_HOSTFD_CAP + HX_MONITOR_FDS)
        limit = (rlim_t)HX_HOSTFD_CAP + HX_MONITOR_FDS;
    rl.rlim_cur = limit;
    if (limit > rl.rlim_max || setrlimit(RLIMIT_NOFILE, &rl) < 0)
        getrlimit(RLIMIT_NOFILE, &rl);
    limit = rl.rlim_cur;
    hx_hostfd_max = limit > 2 * HX_MONITOR_FDS ? (int)(limit - HX_MONITOR_FDS) : (int)limit / 2;

    /* Every fd exec left open is the program's, at its number; the host
     * fd behind it may be another (one the guest can own). */
    int cap = limit < 65536 ? (int)limit : 65536;
    int *fds = malloc((size_t)cap * sizeof(*fds));
    int n = fds ? open_fds(fds, cap, (int)opt->nofile_cur) : 0;
    opt->inherited = calloc((size_t)(n ? n : 1), sizeof(*opt->inherited));
    for (int i = 0; i < n && opt->inherited; i++) {
        int fd = fds[i], flags = fcntl(fd, F_GETFD), host = fd;
        if (flags < 0 || (flags & FD_CLOEXEC))
            continue;
        if (fd >= hx_hostfd_max) {
            host = fcntl(fd, F_DUPFD_CLOEXEC, 3);
            close(fd);
            if (host >= hx_hostfd_max) {
                close(host);
                host = -1;
            }
            if (host < 0) {
                fprintf(stderr, "hxrun: no room to pass fd %d on; it is closed\n", fd);
                continue;
            }
        } else {
            fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        opt->inherited[opt->ninherited++] = (struct hx_inherit){fd, host, 0, NULL};
    }
    free(fds);
}

int hx_vm_kvm_error(const char *what)
{
    fprintf(stderr, "hxrun: %s: %s\n", what, strerror(errno));
    return 125;
}

uint64_t hx_vm_phys_alloc(struct hx_vm *vm, uint64_t len, uint64_t align, uint64_t congruent)
{
    uint64_t pa = vm->phys_next;
    uint64_t want = congruent & (align - 1);
    pa += (want - (pa & (align - 1))) & (align - 1);
    len = (len + HX_PAGE_SIZE - 1) & ~(HX_PAGE_SIZE - 1);
    if (pa + len > vm->g.ram_size)
        return 0;
    vm->phys_next = pa + len;
    return pa;
}

static uint64_t *table_at(struct hx_vm *vm, uint64_t pa)
{
    return (uint64_t *)(vm->g.ram + pa);
}

/* Returns the next-level table behind entry e of table t, creating it. */
static uint64_t next_table(struct hx_vm *vm, uint64_t *t, unsigned idx)
{
    if (!(t[idx] & X86_PTE_P)) {
        uint64_t pa = hx_vm_phys_alloc(vm, HX_PAGE_SIZE, HX_PAGE_SIZE, 0);
        if (!pa)
            return 0;
        t[idx] = pa | TABLE;
    }
    return t[idx] & X86_PTE_ADDR;
}

/* Maps [va, va+len) to [pa, pa+len) with 2 MiB pages (all three aligned). */
static int map_huge(struct hx_vm *vm, uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
    for (uint64_t off = 0; off < len; off += HX_HUGE_SIZE) {
        uint64_t v = va + off;
        uint64_t pdpt = next_table(vm, table_at(vm, vm->g.cr3), (v >> 39) & 511);
        uint64_t pd = pdpt ? next_table(vm, table_at(vm, pdpt), (v >> 30) & 511) : 0;
        if (!pd)
            return -1;
        table_at(vm, pd)[(v >> 21) & 511] = (pa + off) | flags | X86_PTE_PS;
    }
    return 0;
}

static void build_descriptors(struct hx_vm *vm)
{
    uint64_t *gdt = (uint64_t *)(vm->g.ram + HX_GPA_GDT);
    uint64_t tss = HX_KTEXT_BASE + HX_GPA_TSS;
    gdt[1] = 0x00af9a000000ffffull; /* 0x08 kernel code64 */
    gdt[2] = 0x00cf92000000ffffull; /* 0x10 kernel data */
    gdt[3] = 0x00cff2000000ffffull; /* 0x18 user data */
    gdt[4] = 0x00affa000000ffffull; /* 0x20 user code64 */
    gdt[5] = 0x67 | ((tss & 0xffffff) << 16) | (0x89ull << 40) | ((tss >> 24 & 0xff) << 56);
    gdt[6] = tss >> 32;
    /* The kernel fills the IDT and the TSS stacks itself (they are kernel
     * symbols); the monitor only places them. */
}

int hx_vm_set_cpuid(struct hx_vm *vm, uint64_t *xcr0_supported_out)
{
    /* Asked of KVM once per monitor and kept: forks and execs reuse it
     * (KVM runs a cpuid instruction per leaf, each an exit to the outer
     * hypervisor under nested virtualisation: milliseconds). */
    static struct kvm_cpuid2 *cpuid;
    static uint64_t xcr0_supported;
    if (!cpuid) {
        int n = 256;
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));
        if (!c)
            return hx_vm_kvm_error("calloc");
        c->nent = (uint32_t)n;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
            free(c);
            return hx_vm_kvm_error("KVM_GET_SUPPORTED_CPUID");
        }
        for (uint32_t i = 0; i < c->nent; i++) {
            struct kvm_cpuid_entry2 *e = &c->entries[i];
            if (e->function == 0xd && e->index == 0)
                xcr0_supported = e->eax | ((uint64_t)e->edx << 32);
            if (e->function == 7 && e->index == 0)
                e->ecx &= ~(X86_CPUID7_ECX_PKU | X86_CPUID7_ECX_OSPKE); /* CR4.PKE stays off */
        }
        cpuid = c;
    }
    if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
        return hx_vm_kvm_error("KVM_SET_CPUID2");
    *xcr0_supported_out = xcr0_supported;
    return 0;
}

static int setup_cpu(struct hx_vm *vm, uint64_t entry, uint64_t syscall_entry)
{
    uint64_t xcr0_supported;
    int rc = hx_vm_set_cpuid(vm, &xcr0_supported);
    if (rc)
        return rc;
    struct kvm_sregs s;
    if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
        return hx_vm_kvm_error("KVM_GET_SREGS");
    struct kvm_segment cs = {.base = 0,
                             .limit = 0xffffffff,
                             .selector = HX_SEL_UCODE,
                             .type = 11,
                             .present = 1,
                             .dpl = 3,
                             .s = 1,
                             .l = 1,
                             .g = 1};
    struct kvm_segment ds = cs;
    ds.selector = HX_SEL_UDATA;
    ds.type = 3;
    ds.l = 0;
    ds.db = 1;
    s.cs = cs;
    s.ds = s.es = s.fs = s.gs = s.ss = ds;
    s.tr = (struct kvm_segment){.base = HX_KTEXT_BASE + HX_GPA_TSS,
                                .limit = 0x67,
                                .selector = HX_SEL_TSS,
                                .type = 11,
                                .present = 1};
    s.gdt.base = HX_KTEXT_BASE + HX_GPA_GDT;
    s.gdt.limit = 7 * 8 - 1;
    s.idt.base = HX_KTEXT_BASE + HX_GPA_IDT;
    s.idt.limit = 256 * 16 - 1;
    s.cr3 = vm->g.cr3;
    s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_FSGSBASE | X86_CR4_OSXSAVE;
    s.cr0 = X86_CR0_PG | X86_CR0_WP | X86_CR0_NE | X86_CR0_ET | X86_CR0_MP | X86_CR0_PE;
    s.efer = X86_EFER_NXE | X86_EFER_LMA | X86_EFER_LME | X86_EFER_SCE;
    if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0)
        return hx_vm_kvm_error("KVM_SET_SREGS");

    /* x87, SSE, AVX and the three AVX-512 components: what glibc needs for
     * its AVX2/AVX-512 string functions. No MPX, PKRU or AMX. */
    uint64_t xcr0 = X86_XCR0_X87 | X86_XCR0_SSE | X86_XCR0_AVX | X86_XCR0_OPMASK |
                    X86_XCR0_ZMM_HI256 | X86_XCR0_HI16_ZMM;
    struct kvm_xcrs x = {.nr_xcrs = 1, .xcrs = {{.xcr = 0, .value = xcr0_supported & xcr0}}};
    /* The XSAVE area for that state: the end of its last component. */
    vm->boot->xcr0 = x.xcrs[0].value;
    vm->boot->xsave_size = X86_XSAVE_LEGACY_SIZE;
    for (unsigned i = 2; i < 64; i++) {
        unsigned a, b, c, d;
        if (!(vm->boot->xcr0 >> i & 1))
            continue;
        __cpuid_count(0xd, i, a, b, c, d);
        if (a + b > vm->boot->xsave_size)
            vm->boot->xsave_size = a + b;
    }
    if (ioctl(vm->vcpu_fd, KVM_SET_XCRS, &x) < 0)
        return hx_vm_kvm_error("KVM_SET_XCRS");

    /* struct kvm_msrs and its entries, in ISO C (same layout). */
    struct {
        uint32_t nmsrs, pad;
        struct kvm_msr_entry e[5];
    } msrs = {5,
              0,
              {{.index = X86_MSR_STAR,
                .data = ((uint64_t)HX_SEL_KCODE << 32) | ((uint64_t)(HX_SEL_KDATA | 3) << 48)},
               {.index = X86_MSR_LSTAR, .data = syscall_entry},
               /* syscall clears AC, DF and TF; IF stays */
               {.index = X86_MSR_FMASK, .data = X86_RFLAGS_AC | X86_RFLAGS_DF | X86_RFLAGS_TF},
               {.index = X86_MSR_MTRR_DEF_TYPE, .data = X86_MTRR_DEF_ENABLE | X86_MTRR_TYPE_WB},
               {.index = X86_MSR_PAT, .data = X86_PAT_DEFAULT}}};
    if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &msrs) != 5)
        return hx_vm_kvm_error("KVM_SET_MSRS");

    struct kvm_regs r = {.rip = entry,
                         .rflags = X86_RFLAGS_IF | X86_RFLAGS_FIXED,
                         .rdi = HX_KTEXT_BASE + HX_GPA_BOOTINFO};
    if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0)
        return hx_vm_kvm_error("KVM_SET_REGS");
    return 0;
}

/* The kernel ELF embedded at build time (kernel_blob.S). */
extern const unsigned char hx_kernel_blob[], hx_kernel_blob_end[];

/* Loads the kernel image: the loader's ELF validation, for segments in the
 * first HX_KERNEL_MAX_SIZE bytes of the kernel's half, each copied to the
 * guest physical address the kernel text map puts it at. */
static int load_kernel(struct hx_vm *vm, const unsigned char *img, size_t size,
                       struct hx_kernel_header *hdr)
{
    struct hx_elf e;
    char err[256];
    if (hx_elf_parse_in(img, size, HX_KERNEL_VA, HX_KTEXT_BASE + HX_KERNEL_MAX_SIZE, "kernel", &e,
                        err, sizeof(err))) {
        fprintf(stderr, "hxrun: kernel image is not a valid kernel ELF file: %s\n", err);
        return 125;
    }
    uint64_t end = HX_GPA_KERNEL;
    for (size_t i = 0; i < e.nload; i++) {
        const struct hx_elf_seg *s = &e.load[i];
        uint64_t pa = s->vaddr - HX_KTEXT_BASE;
        if (pa + s->memsz > vm->g.ram_size) {
            fprintf(stderr, "hxrun: kernel image has a bad segment\n");
            return 125;
        }
        memcpy(vm->g.ram + pa, img + s->offset, s->filesz);
        if (pa + s->memsz > end)
            end = pa + s->memsz;
    }
    memcpy(hdr, vm->g.ram + HX_GPA_KERNEL, sizeof(*hdr));
    if (hdr->magic != HX_KERNEL_MAGIC || hdr->version != HX_ABI_VERSION) {
        fprintf(stderr, "hxrun: kernel image is not an hx kernel of ABI version %d\n",
                HX_ABI_VERSION);
        return 125;
    }
    vm->phys_next = (end + HX_PAGE_SIZE - 1) & ~(HX_PAGE_SIZE - 1);
    return 0;
}

static int read_file(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    *data = n > 0 ? malloc((size_t)n) : NULL;
    int ok = *data && fread(*data, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    *size = (size_t)n;
    return ok ? 0 : -1;
}

static void fill_host_facts(struct hx_boot_info *b, const struct hx_options *opt)
{
    struct utsname u;
    uname(&u);
    memcpy(b->uts[0], u.sysname, 65);
    memcpy(b->uts[1], u.nodename, 65);
    memcpy(b->uts[2], u.release, 65);
    memcpy(b->uts[3], u.version, 65);
    memcpy(b->uts[4], u.machine, 65);
    memcpy(b->uts[5], u.domainname, 65);
    b->pid = getpid();
    b->ppid = getppid();
    b->uid = getuid();
    b->euid = geteuid();
    b->gid = getgid();
    b->egid = getegid();
    for (int i = 0; i < HX_NRLIMITS; i++) {
        struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
        getrlimit(i, &rl);
        b->rlimits[i].cur = rl.rlim_cur;
        b->rlimits[i].max = rl.rlim_max;
    }
    b->rlimits[RLIMIT_NOFILE].cur = opt->nofile_cur;
    b->rlimits[RLIMIT_NOFILE].max = opt->nofile_max;
    for (int i = 0; i < 3; i++) {
        b->console_flags[i] = opt->console_flags[i];
        b->console_tty[i] = b->console_flags[i] >= 0 && isatty(i);
        char link[32];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", i);
        ssize_t n = readlink(link, b->console_path[i], sizeof(b->console_path[i]) - 1);
        b->console_path[i][n > 0 ? n : 0] = 0;
    }
    /* The guest applies its own umask; host files get the modes it asks. */
    b->umask = (int32_t)umask(0);
    /* A program started by exec inherits the mask and ignored signals (a
     * shell's background job starts with SIGINT ignored). */
    sigset_t mask;
    sigprocmask(SIG_SETMASK, NULL, &mask);
    for (int sig = 1; sig <= 64; sig++) {
        struct sigaction sa;
        if (sigismember(&mask, sig) == 1)
            b->sig_blocked |= 1ull << (sig - 1);
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            b->sig_ignored |= 1ull << (sig - 1);
    }
    if (!getcwd(b->cwd, sizeof(b->cwd)))
        strcpy(b->cwd, "/");
    b->hwcap = getauxval(AT_HWCAP);
    b->hwcap2 = getauxval(AT_HWCAP2);
}

/* Describes the inherited fds to the guest, which owns them from now on. */
static int pass_inherited(struct hx_vm *vm, const struct hx_options *opt)
{
    if (!opt->ninherited)
        return 0;
    size_t size = (size_t)opt->ninherited * sizeof(struct hx_inherited_fd);
    uint64_t pa = hx_vm_phys_alloc(vm, size, HX_PAGE_SIZE, 0);
    if (!pa)
        return -1;
    struct hx_inherited_fd *out = (struct hx_inherited_fd *)(vm->g.ram + pa);
    for (int i = 0; i < opt->ninherited; i++) {
        int host = opt->inherited[i].hostfd;
        struct hx_inherited_fd *e = &out[i];
        e->fd = opt->inherited[i].fd;
        e->hostfd = host;
        if (host < 0) {
            e->flags = opt->inherited[i].flags;
            snprintf(e->path, sizeof(e->path), "%s", opt->inherited[i].path);
            continue;
        }
        hx_describe_fd(host, e);
        vm->hostfd_owned[host] = HX_FD_OWNED;
    }
    vm->boot->inherited_pa = pa;
    vm->boot->ninherited = (uint32_t)opt->ninherited;
    return 0;
}

int hx_vm_machine_new(struct hx_vm *vm)
{
    vm->vm_fd = hx_high_fd(ioctl(vm->kvm_fd, KVM_CREATE_VM, 0));
    if (vm->vm_fd < 0)
        return hx_vm_kvm_error("KVM_CREATE_VM");
    struct kvm_userspace_memory_region r = {.slot = 0,
                                            .guest_phys_addr = 0,
                                            .memory_size = vm->g.ram_size,
                                            .userspace_addr = (uint64_t)vm->g.ram};
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return hx_vm_kvm_error("KVM_SET_USER_MEMORY_REGION");
    vm->vcpu_fd = hx_high_fd(ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0));
    if (vm->vcpu_fd < 0)
        return hx_vm_kvm_error("KVM_CREATE_VCPU");
    int mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size <= 0)
        return hx_vm_kvm_error("KVM_GET_VCPU_MMAP_SIZE");
    vm->run_size = (size_t)mmap_size;
    vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
    if (vm->run == MAP_FAILED)
        return hx_vm_kvm_error("mmap kvm_run");
    return 0;
}

int hx_vm_create(struct hx_vm *vm, const struct hx_options *opt)
{
    memset(vm, 0, sizeof(*vm));
    vm->opt = opt;
    vm->kvm_fd = hx_high_fd(open("/dev/kvm", O_RDWR | O_CLOEXEC));
    if (vm->kvm_fd < 0) {
        if (errno == ENOENT)
            fprintf(stderr, "hxrun: KVM is not available: /dev/kvm does not exist\n");
        else if (errno == EACCES || errno == EPERM)
            fprintf(stderr, "hxrun: KVM is not available: no permission to open /dev/kvm "
                            "(add yourself to the kvm group)\n");
        else
            fprintf(stderr, "hxrun: KVM is not available: /dev/kvm: %s\n", strerror(errno));
        return 125;
    }
    if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        fprintf(stderr, "hxrun: KVM is not available: unexpected KVM API version\n");
        return 125;
    }
    vm->g.ram_size = opt->mem_size;
    /* Untouched guest memory costs the host nothing. Private: a fork of
     * the monitor gives its child a copy-on-write copy (DESIGN.md 10). */
    vm->g.ram = mmap(NULL, vm->g.ram_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vm->g.ram == MAP_FAILED) {
        fprintf(stderr, "hxrun: cannot reserve %llu MiB of guest memory: %s\n",
                (unsigned long long)(vm->g.ram_size >> 20), strerror(errno));
        return 125;
    }
    return hx_vm_build(vm);
}

int hx_vm_build(struct hx_vm *vm)
{
    const struct hx_options *opt = vm->opt;
    int rc = hx_vm_machine_new(vm);
    if (rc)
        return rc;

    /* The kernel. */
    unsigned char *kimg = (unsigned char *)hx_kernel_blob;
    size_t ksize = (size_t)(hx_kernel_blob_end - hx_kernel_blob);
    if (opt->kernel_path && read_file(opt->kernel_path, &kimg, &ksize)) {
        fprintf(stderr, "hxrun: cannot read kernel %s: %s\n", opt->kernel_path, strerror(errno));
        return 125;
    }
    struct hx_kernel_header hdr;
    rc = load_kernel(vm, kimg, ksize, &hdr);
    if (kimg != (unsigned char *)hx_kernel_blob)
        free(kimg);
    if (rc)
        return rc;

    /* Page tables: the first GiB at HX_KTEXT_BASE (kernel image), all RAM
     * in the direct map, the hypercall page. All user-accessible: the
     * kernel's system-call code runs at CPL3 (DESIGN.md section 3). */
    vm->g.cr3 = hx_vm_phys_alloc(vm, HX_PAGE_SIZE, HX_PAGE_SIZE, 0);
    uint64_t leaf = X86_PTE_P | X86_PTE_W | X86_PTE_U;
    uint64_t ram2m = vm->g.ram_size & ~(HX_HUGE_SIZE - 1);
    uint64_t ktext = ram2m < (1ull << 30) ? ram2m : (1ull << 30);
    if (map_huge(vm, HX_KTEXT_BASE, 0, ktext, leaf) ||
        map_huge(vm, HX_DIRECT_MAP, 0, ram2m, leaf) ||
        map_huge(vm, HX_HYPERCALL_VA, HX_GPA_HYPERCALL, HX_HUGE_SIZE,
                 leaf | X86_PTE_PCD | X86_PTE_PWT)) {
        fprintf(stderr, "hxrun: guest memory too small\n");
        return 125;
    }
    build_descriptors(vm);

    vm->boot = (struct hx_boot_info *)(vm->g.ram + HX_GPA_BOOTINFO);
    vm->boot->magic = HX_BOOT_MAGIC;
    vm->boot->version = HX_ABI_VERSION;
    vm->boot->ram_size = vm->g.ram_size;
    vm->boot->cr3 = vm->g.cr3;
    vm->boot->flags = (opt->strace ? HX_BOOT_STRACE : 0) | (opt->stats ? HX_BOOT_STATS : 0);
    fill_host_facts(vm->boot, opt);
    vm->hostfd_owned = calloc((size_t)hx_hostfd_max, 1);
    vm->hostfd_mount = calloc((size_t)hx_hostfd_max, 1);
    if (!vm->hostfd_owned || !vm->hostfd_mount || pass_inherited(vm, opt)) {
        fprintf(stderr, "hxrun: out of memory\n");
        return 125;
    }
    for (int i = 0; i < 3; i++)
        vm->hostfd_owned[i] = vm->boot->console_flags[i] >= 0 ? HX_FD_OWNED_RO : 0;
    return setup_cpu(vm, hdr.boot_entry, hdr.syscall_entry);
}

int hx_vm_add_region(struct hx_vm *vm, uint64_t va, uint64_t len, uint64_t pa, uint32_t prot,
                     uint32_t kind)
{
    struct hx_boot_info *b = vm->boot;
    if (b->nregions == HX_MAX_REGIONS)
        return -1;
    b->regions[b->nregions++] = (struct hx_region){va, len, pa, prot, kind};
    return 0;
}
