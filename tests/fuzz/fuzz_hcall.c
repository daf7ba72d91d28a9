/* libFuzzer harness for the monitor's hypercall dispatcher
 * (hypervisor/hcall.c and every host service behind it) with hostile
 * requests against a fake guest: a malloc'ed RAM with page tables built in
 * it, no KVM. The input is a sequence of records (tests/fuzz/README.md):
 * bytes poked anywhere into guest RAM (page tables included), and requests
 * (number, six arguments) dispatched as the guest kernel would make them.
 *
 * The handlers make real host system calls, so the harness confines them:
 *  - it runs in private mount and network namespaces (made at start; it
 *    refuses to run without them) with a size-limited tmpfs over /tmp, so
 *    that files, AF_UNIX names and abstract sockets stay inside (the host
 *    /tmp entries that libFuzzer's own corpus and artifact paths lie in
 *    are bound into it, for a build tree under /tmp);
 *  - the mounts are those of --no-host-root --net=none: an empty root, the
 *    program (a tiny ELF the harness writes), a read-write directory at
 *    /data and a read-only one at /ro, all in a fresh temporary tree that
 *    is restored after every input;
 *  - SLEEP and TIMER_KICK are never dispatched (the first sleeps until a
 *    guest deadline, the second starts the timer thread); POLL and WAIT get
 *    a zero timeout; every host fd the guest owns is made non-blocking
 *    after each request, so no read, accept, connect or send can block;
 *    EXIT and FATAL are dispatched (they only record a status) and end the
 *    input, as they end a run;
 *  - the guest starts with no host fds (no console): it can only name fds
 *    its own requests opened, which the hostfd_owned table enforces.
 * Oracles besides ASan/UBSan: the read-only mount and the program file
 * never change, nothing appears in /tmp outside the tree and the
 * monitor's private socket directory, and no host fd is left open once
 * the guest's own are closed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcall.h"
#include "run_dir.h"

#define RAM_SIZE (4ull << 20)
#define PML4 0x1000ull
#define PDPT 0x2000ull
#define PD 0x3000ull
#define PT 0x4000ull
#define REQ 0x8000ull /* the request block: the kernel's own data */
/* User memory: 2 MiB of 4 KiB pages at USER_VA, backed by RAM at USER_GPA;
 * the next-to-last page is read-only, the last one not mapped. */
#define USER_VA 0x400000ull
#define USER_GPA 0x200000ull
#define USER_LEN (2ull << 20)
/* Two 2 MiB pages over the first shared-file slots (HX_HC_MAP_SHARED). */
#define SHARED_VA 0x800000ull
#define SHARED_LEN (4ull << 20)
/* RAM mapped without the user bit: the monitor must refuse it. */
#define KERNEL_VA 0xc00000ull

#define P 0x1ull
#define W 0x2ull
#define U 0x4ull
#define PS 0x80ull

#define NRESULTS 64

static struct hx_vm vm;
static struct hx_options opt;
static struct hx_boot_info boot;
static char tree[64], rw_dir[96], ro_dir[96], exe_path[96];
static int fake_vm_fd = -1;
/* Host fds open before the input (the sanitizers' own, say). */
static uint8_t fds_at_start[256];
static int trace; /* HX_FUZZ_TRACE set: print each request's result */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_hcall: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* hx_high_fd and the host fd table's size live in vm.c with the KVM
 * setup, which the harness does not link: the same, for the mounts' fds
 * (the guest's host fds stay below 1024 - HX_MONITOR_FDS, as hxrun's own
 * under the usual ulimit -n 1024). */
int hx_hostfd_max = 1024 - HX_MONITOR_FDS;

int hx_high_fd(int fd)
{
    if (fd < 0)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, HX_MAX_HOSTFDS + 16);
    close(fd);
    return high;
}

/* The machine's fork and exec (vm_fork.c, vm_exec.c) are not linked
 * either: the harness has no vCPU. Fork is never asked for (it would fork
 * the fuzzer); an exec that passed every check of hc_proc.c fails here as
 * a host that refuses it would, so the checks themselves are fuzzed. */
int64_t hx_vm_fork(struct hx_vm *vm, int log_dirty)
{
    (void)vm, (void)log_dirty;
    return -EAGAIN;
}

int64_t hx_vm_exec(struct hx_vm *vm, const struct hx_exec *x)
{
    (void)vm, (void)x;
    return -ENOMEM;
}

/* Linked with -Wl,--wrap=ioctl: the KVM memory slots of MAP_SHARED
 * succeed on the fake VM fd (after the checks KVM makes), every other
 * ioctl is the real one. */
/* NOLINTNEXTLINE(bugprone-reserved-identifier): the names --wrap gives */
int __real_ioctl(int fd, unsigned long req, ...);
/* NOLINTNEXTLINE(bugprone-reserved-identifier) */
int __wrap_ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (fd != fake_vm_fd || fd < 0)
        return __real_ioctl(fd, req, arg);
    const struct kvm_userspace_memory_region *r = arg;
    if (req != KVM_SET_USER_MEMORY_REGION || r->slot == 0 || r->slot > HX_MAX_SLOTS ||
        (r->guest_phys_addr | r->memory_size | r->userspace_addr) & 4095) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

static void write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd))
        die("cannot write %s: %s", path, strerror(errno));
}

/* A minimal static x86-64 executable: the program --no-host-root mounts. */
static void write_exe(void)
{
    static uint8_t img[4096];
    static const uint8_t ehdr[] = {
        0x7f, 'E', 'L',  'F', 2,    1, 1,    0, 0, 0, 0,    0, 0, 0, 0, 0, /* e_ident */
        2,    0,   0x3e, 0,   1,    0, 0,    0,                            /* ET_EXEC, x86-64 */
        0x78, 0,   0x40, 0,   0,    0, 0,    0,                            /* e_entry 0x400078 */
        0x40, 0,   0,    0,   0,    0, 0,    0,                            /* e_phoff */
        0,    0,   0,    0,   0,    0, 0,    0,                            /* e_shoff */
        0,    0,   0,    0,   0x40, 0, 0x38, 0, 1, 0, 0x40, 0, 0, 0, 0, 0, /* sizes, 1 phdr */
    };
    static const uint8_t phdr[] = {
        1, 0,    0,    0, 5, 0, 0, 0, /* PT_LOAD, R+X */
        0, 0,    0,    0, 0, 0, 0, 0, /* p_offset */
        0, 0,    0x40, 0, 0, 0, 0, 0, /* p_vaddr */
        0, 0,    0x40, 0, 0, 0, 0, 0, /* p_paddr */
        0, 0x10, 0,    0, 0, 0, 0, 0, /* p_filesz */
        0, 0x10, 0,    0, 0, 0, 0, 0, /* p_memsz */
        0, 0x10, 0,    0, 0, 0, 0, 0, /* p_align */
    };
    memcpy(img, ehdr, sizeof(ehdr));
    memcpy(img + sizeof(ehdr), phdr, sizeof(phdr));
    img[0x78] = 0xf4; /* hlt */
    write_file(exe_path, img, sizeof(img), 0755);
}

/* The entries of the host's /tmp that libFuzzer's own arguments (corpus
 * directories, -artifact_prefix) lie in: bound into the private /tmp, so
 * that a build tree under /tmp still works. */
#define MAX_KEPT 8
static char kept[MAX_KEPT][NAME_MAX + 1];
static int nkept;

static int is_kept(const char *name)
{
    for (int i = 0; i < nkept; i++)
        if (!strcmp(kept[i], name))
            return 1;
    return 0;
}

static void keep_host_tmp(int old_tmp, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *p = argv[i];
        if (!strncmp(p, "-artifact_prefix=", 17))
            p += 17;
        if (strncmp(p, "/tmp/", 5) || !p[5])
            continue;
        char name[NAME_MAX + 1], from[64 + NAME_MAX], to[8 + NAME_MAX];
        size_t n = strcspn(p + 5, "/");
        if (n > NAME_MAX || nkept == MAX_KEPT)
            die("cannot keep %s in the private /tmp", argv[i]);
        memcpy(name, p + 5, n);
        name[n] = 0;
        if (is_kept(name))
            continue;
        snprintf(from, sizeof(from), "/proc/self/fd/%d/%s", old_tmp, name);
        snprintf(to, sizeof(to), "/tmp/%s", name);
        if (mkdir(to, 0755) || mount(from, to, NULL, MS_BIND | MS_REC, NULL))
            die("cannot keep %s in the private /tmp: %s", to, strerror(errno));
        strcpy(kept[nkept++], name);
    }
}

/* Private namespaces: a tmpfs over /tmp that the host never sees, and no
 * network but an unconfigured loopback (abstract AF_UNIX names are per
 * network namespace). */
static void isolate(int argc, char **argv)
{
    if (unshare(CLONE_NEWNS | CLONE_NEWNET)) {
        uid_t uid = getuid();
        gid_t gid = getgid();
        char map[64];
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET))
            die("cannot make private mount and network namespaces (%s): not running the "
                "monitor's handlers unconfined",
                strerror(errno));
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
        write_file("/proc/self/uid_map", map, strlen(map), 0);
        write_file("/proc/self/setgroups", "deny", 4, 0);
        snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
        write_file("/proc/self/gid_map", map, strlen(map), 0);
    }
    int old_tmp = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (old_tmp < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
        mount("hx-fuzz", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777"))
        die("cannot mount a private /tmp: %s", strerror(errno));
    keep_host_tmp(old_tmp, argc, argv);
    close(old_tmp);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    if (f->level > 0)
        remove(path);
    return 0;
}

/* Empties dir (not following symlinks), keeping dir itself: the mount
 * holds it open. */
static void empty_dir(const char *dir)
{
    chmod(dir, 0755);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* What the read-write mount holds at the start of every input: a file, a
 * directory, and symlinks that try to leave the mount. */
static void fill_rw(void)
{
    char p[160], target[160];
    empty_dir(rw_dir);
    snprintf(p, sizeof(p), "%s/f", rw_dir);
    write_file(p, "hello\n", 6, 0644);
    snprintf(p, sizeof(p), "%s/d", rw_dir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/up", rw_dir);
    if (symlink("../../..", p))
        die("symlink: %s", strerror(errno));
    snprintf(p, sizeof(p), "%s/abs", rw_dir);
    if (symlink("/etc/passwd", p))
        die("symlink: %s", strerror(errno));
    snprintf(p, sizeof(p), "%s/host-ro", rw_dir);
    snprintf(target, sizeof(target), "%s/secret", ro_dir);
    if (symlink(target, p))
        die("symlink: %s", strerror(errno));
    snprintf(p, sizeof(p), "%s/ro", rw_dir);
    if (symlink("../ro", p))
        die("symlink: %s", strerror(errno));
}

/* The fault handlers: guest_mem.c's turns a fault inside a guarded copy
 * (a shared file's page past its end) into -EFAULT; any other fault is the
 * monitor's bug, and goes on to ASan's handler, which reports it (and
 * libFuzzer saves the input). guest_mem.c's alone would die without a
 * report. */
static struct sigaction san_segv, san_bus, hx_segv, hx_bus;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    const struct sigaction *hx = sig == SIGBUS ? &hx_bus : &hx_segv;
    const struct sigaction *san = sig == SIGBUS ? &san_bus : &san_segv;
    hx->sa_sigaction(sig, si, uc); /* returns only when not guarded */
    sigaction(sig, san, NULL);
    if (san->sa_flags & SA_SIGINFO)
        san->sa_sigaction(sig, si, uc);
}

static void install_fault_handlers(void)
{
    struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, NULL, &san_segv) || sigaction(SIGBUS, NULL, &san_bus) ||
        hx_guest_mem_init() || sigaction(SIGSEGV, NULL, &hx_segv) ||
        sigaction(SIGBUS, NULL, &hx_bus) || !(hx_segv.sa_flags & SA_SIGINFO) ||
        sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
        die("cannot install the fault handlers");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    trace = getenv("HX_FUZZ_TRACE") != NULL;
    isolate(*argc, *argv);
    /* A write to a socket whose peer has gone fails with EPIPE, as in
     * hxrun (main.c). */
    signal(SIGPIPE, SIG_IGN);
    strcpy(tree, "/tmp/hx-fuzz.XXXXXX");
    if (!mkdtemp(tree))
        die("mkdtemp: %s", strerror(errno));
    snprintf(rw_dir, sizeof(rw_dir), "%s/rw", tree);
    snprintf(ro_dir, sizeof(ro_dir), "%s/ro", tree);
    snprintf(exe_path, sizeof(exe_path), "%s/exe", tree);
    char p[160];
    snprintf(p, sizeof(p), "%s/sub", ro_dir);
    if (mkdir(rw_dir, 0755) || mkdir(ro_dir, 0755) || mkdir(p, 0755))
        die("mkdir: %s", strerror(errno));
    snprintf(p, sizeof(p), "%s/secret", ro_dir);
    write_file(p, "ro\n", 3, 0644);
    write_exe();
    fill_rw();

    static char *envp[] = {NULL};
    opt.no_host_root = 1;
    opt.net_none = 1;
    opt.envp = envp;
    opt.volumes[0] = (struct hx_volume){rw_dir, "/data", 0};
    opt.volumes[1] = (struct hx_volume){ro_dir, "/ro", 1};
    opt.nvolumes = 2;
    for (int i = 0; i < 3; i++)
        opt.console_flags[i] = -1;
    boot.magic = HX_BOOT_MAGIC;
    snprintf(boot.exe, sizeof(boot.exe), "%s", exe_path);
    strcpy(boot.cwd, "/data");
    vm.opt = &opt;
    vm.boot = &boot;
    vm.prog = "fuzz";
    vm.kvm_fd = vm.vcpu_fd = -1;
    fake_vm_fd = hx_high_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    vm.vm_fd = fake_vm_fd;
    vm.g.ram = aligned_alloc(HX_HUGE_SIZE, RAM_SIZE);
    vm.g.ram_size = RAM_SIZE;
    vm.hostfd_owned = calloc((size_t)HX_MAX_HOSTFDS, 1);
    vm.hostfd_mount = calloc((size_t)HX_MAX_HOSTFDS, 1);
    /* The run's directory (a RAM /tmp, /dev/shm), as hxrun makes it. */
    if (!hx_run_dir_make(NULL, 0, 0))
        die("the run's directory: %s", strerror(errno));
    if (fake_vm_fd < 0 || !vm.g.ram || !vm.hostfd_owned || !vm.hostfd_mount || hx_hostfs_init(&vm))
        die("setup failed");
    install_fault_handlers();
    return 0;
}

static uint64_t *pte(uint64_t table, uint64_t index)
{
    return (uint64_t *)(vm.g.ram + table) + index;
}

static void build_ram(void)
{
    memset(vm.g.ram, 0, RAM_SIZE);
    vm.g.cr3 = PML4;
    *pte(PML4, 0) = PDPT | P | W | U;
    *pte(PDPT, 0) = PD | P | W | U;
    *pte(PD, USER_VA >> 21) = PT | P | W | U;
    for (uint64_t i = 0; i < 510; i++)
        *pte(PT, i) = (USER_GPA + i * 4096) | P | W | U;
    *pte(PT, 510) = (USER_GPA + 510 * 4096) | P | U;
    *pte(PD, SHARED_VA >> 21) = HX_GPA_SHARED | P | W | U | PS;
    *pte(PD, (SHARED_VA >> 21) + 1) = (HX_GPA_SHARED + HX_HUGE_SIZE) | P | W | U | PS;
    *pte(PD, KERNEL_VA >> 21) = 0 | P | W | PS;
}

static int fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

static void check_tree(void)
{
    char p[160], buf[8];
    struct stat st;
    snprintf(p, sizeof(p), "%s/secret", ro_dir);
    int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
    if (fd < 0 || fstat(fd, &st) || n != 3 || memcmp(buf, "ro\n", 3) ||
        (st.st_mode & 07777) != 0644)
        die("the read-only mount's file changed");
    close(fd);
    if (stat(ro_dir, &st) || (st.st_mode & 07777) != 0755 || st.st_nlink != 3)
        die("the read-only mount changed");
    snprintf(p, sizeof(p), "%s/sub", ro_dir);
    if (stat(p, &st) || (st.st_mode & 07777) != 0755 || st.st_nlink != 2)
        die("the read-only mount's directory changed");
    DIR *d = opendir(ro_dir);
    struct dirent *e;
    int entries = 0;
    while (d && readdir(d))
        entries++;
    if (d)
        closedir(d);
    if (entries != 4)
        die("the read-only mount has %d entries", entries);
    if (stat(exe_path, &st) || st.st_size != 4096 || (st.st_mode & 07777) != 0755)
        die("the program file changed");
    /* /tmp: the tree, the monitor's private socket directory (emptied
     * here), nothing else. */
    d = opendir("/tmp");
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, tree + 5) ||
            is_kept(e->d_name))
            continue;
        if (strncmp(e->d_name, "hx.", 3))
            die("/tmp/%s appeared", e->d_name);
        snprintf(p, sizeof(p), "/tmp/%s", e->d_name);
        empty_dir(p);
    }
    if (d)
        closedir(d);
}

static void end_input(void)
{
    for (int fd = 0; fd < HX_MAX_HOSTFDS; fd++)
        if (vm.hostfd_owned[fd]) {
            close(fd);
            vm.hostfd_owned[fd] = 0;
            vm.hostfd_mount[fd] = 0;
        }
    for (int i = 0; i < HX_MAX_SLOTS; i++)
        if (vm.g.slots[i].hva)
            munmap(vm.g.slots[i].hva, vm.g.slots[i].size);
    memset(vm.g.slots, 0, sizeof(vm.g.slots));
    vm.shared_next = 0;
    for (int fd = 0; fd < 256; fd++)
        if (fd_open(fd) && !fds_at_start[fd]) {
            char link[64], target[256];
            snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
            ssize_t n = readlink(link, target, sizeof(target) - 1);
            target[n > 0 ? n : 0] = 0;
            die("host fd %d (%s) was left open", fd, target);
        }
    check_tree();
    fill_rw();
}

/* Every fd the guest owns is non-blocking: a request can never wait. */
static void nonblocking(void)
{
    for (int fd = 0; fd < HX_MAX_HOSTFDS; fd++)
        if (vm.hostfd_owned[fd]) {
            int fl = fcntl(fd, F_GETFL);
            if (fl >= 0 && !(fl & O_NONBLOCK))
                fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        }
}

struct reader {
    const uint8_t *p;
    size_t left;
};

static uint64_t take(struct reader *r, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && r->left; i++, r->p++, r->left--)
        v |= (uint64_t)*r->p << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int fd = 0; fd < 256; fd++)
        fds_at_start[fd] = (uint8_t)fd_open(fd);
    build_ram();
    struct reader r = {data, size};
    int64_t results[NRESULTS] = {0};
    unsigned nresults = 0;
    while (r.left) {
        unsigned op = (unsigned)take(&r, 1);
        if (op % 4 == 0) {
            /* Poke: bytes at a guest physical address. */
            uint64_t gpa = take(&r, 4) % RAM_SIZE, len = take(&r, 2);
            if (len > r.left)
                len = r.left;
            if (len > RAM_SIZE - gpa)
                len = RAM_SIZE - gpa;
            memcpy(vm.g.ram + gpa, r.p, len);
            r.p += len;
            r.left -= len;
            continue;
        }
        /* A request: number, how each argument is formed (2 bits each),
         * six arguments, and with op bit 7 the block's own address. */
        uint32_t nr = (uint32_t)(take(&r, 1) % HX_HC_NR);
        unsigned modes = (unsigned)take(&r, 2);
        uint64_t arg[6];
        for (int i = 0; i < 6; i++) {
            uint64_t raw = take(&r, 8);
            switch ((modes >> (2 * i)) & 3) {
            case 0:
                arg[i] = raw;
                break;
            case 1:
                arg[i] = USER_VA + raw % USER_LEN;
                break;
            case 2:
                arg[i] = (uint64_t)results[raw % NRESULTS];
                break;
            default:
                arg[i] = SHARED_VA + raw % SHARED_LEN;
                break;
            }
        }
        uint64_t gpa = op & 0x80 ? take(&r, 8) : REQ;
        /* Not in a fuzzer's own process: forking it, or signalling (and
         * stopping) itself, which is what they would ask. */
        if (nr == HX_HC_SLEEP || nr == HX_HC_TIMER_KICK || nr == HX_HC_FORK || nr == HX_HC_KILL)
            continue;
        if (nr == HX_HC_POLL || nr == HX_HC_WAIT)
            arg[2] = 0;
        if (gpa <= RAM_SIZE - sizeof(struct hx_hcall)) {
            struct hx_hcall *req = (struct hx_hcall *)(vm.g.ram + gpa);
            if (!(gpa & 7)) {
                req->nr = nr;
                req->ret = 0;
                memcpy(req->arg, arg, sizeof(arg));
            }
        }
        int status = 0;
        int done = hx_hcall_dispatch(&vm, gpa, &status);
        nonblocking();
        if (done)
            break;
        int64_t ret = ((struct hx_hcall *)(vm.g.ram + gpa))->ret;
        if (trace)
            fprintf(stderr, "fuzz_hcall: request %u -> %lld\n", nr, (long long)ret);
        results[nresults++ % NRESULTS] = ret;
    }
    end_input();
    return 0;
}
