/* A hostile guest kernel for `hxrun --kernel`: it sends the monitor
 * malformed hypercalls and checks that each one fails with an error, that
 * the monitor survives, and that no host fd outside the guest's own can be
 * reached. It reports through the console and ends with exit status 0 when
 * every request was refused as expected, 1 otherwise. */
#include <stdint.h>

#include "hx/abi.h"

#define EFAULT 14
#define EBADF 9
#define ENOSYS 38
#define EINVAL 22

void hostile_entry(void);
void hostile_main(const struct hx_boot_info *boot);

__attribute__((section(".hxhdr"), used)) static const struct hx_kernel_header header = {
    HX_KERNEL_MAGIC, HX_ABI_VERSION, (uint64_t)hostile_entry, (uint64_t)hostile_entry,
    (uint64_t)hostile_entry};

static uint8_t stack[16384] __attribute__((aligned(16), used));
__asm__(".globl hostile_entry\n"
        "hostile_entry:\n"
        "  lea stack+16384(%rip), %rsp\n"
        "  call hostile_main\n"
        "  ud2\n");

static struct hx_hcall req __attribute__((aligned(64)));
static int failures;

static uint64_t phys(const void *p)
{
    return (uint64_t)p - HX_KTEXT_BASE;
}

static void store(uint64_t gpa)
{
    __asm__ volatile("" ::: "memory");
    *(volatile uint64_t *)HX_HYPERCALL_VA = gpa;
    __asm__ volatile("" ::: "memory");
}

static int64_t hc(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    req.nr = nr;
    req.arg[0] = a0;
    req.arg[1] = a1;
    req.arg[2] = a2;
    req.arg[3] = a3;
    req.ret = 12345;
    store(phys(&req));
    return req.ret;
}

static uint64_t len(const char *s)
{
    uint64_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    hc(HX_HC_WRITE, 1, (uint64_t)s, len(s), 0);
}

static void expect(const char *what, int64_t got, int64_t want)
{
    if (got != want) {
        failures++;
        say("FAIL ");
    } else {
        say("ok   ");
    }
    say(what);
    say("\n");
}

static char buf[64] = "hello\n";

static void say_num(int64_t v)
{
    char b[24];
    int i = 23;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    b[i] = 0;
    do
        b[--i] = (char)('0' + u % 10);
    while ((u /= 10));
    if (v < 0)
        b[--i] = '-';
    say(b + i);
}

static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The program's argv[1], read through the direct map (the stack is not
 * mapped at its own address until a kernel maps it), or 0. */
static const void *stack_at(const struct hx_region *r, uint64_t va)
{
    return (const void *)(HX_DIRECT_MAP + r->pa + (va - r->va));
}

static const char *arg1(const struct hx_boot_info *boot)
{
    for (uint32_t i = 0; i < boot->nregions; i++) {
        const struct hx_region *r = &boot->regions[i];
        if (r->kind != HX_REGION_STACK)
            continue;
        const uint64_t *sp = stack_at(r, boot->stack_pointer);
        return sp[0] >= 2 ? stack_at(r, sp[2]) : 0;
    }
    return 0;
}

/* With an argument: one hypercall that blocks in the host, made again and
 * again without ever taking a host signal (a wedged or hostile guest). A
 * host signal must end each call at once (its result is printed), and the
 * monitor's guard must end the run soon after. */
static uint8_t big[1 << 20];
static void block_forever(const char *mode)
{
    static int32_t sv[2];
    static struct {
        int32_t fd;
        int16_t events, revents;
    } pfd = {0, 1 /* POLLIN */, 0};
    static struct {
        uint64_t base, len;
    } iov = {(uint64_t)buf, sizeof(buf)};
    static struct {
        uint64_t name;
        uint32_t namelen, _pad;
        uint64_t iov, iovlen, control, controllen;
        int32_t flags, _pad2;
    } msg = {0, 0, 0, (uint64_t)&iov, 1, 0, 0, 0, 0};
    static struct {
        uint16_t family;
        char name[16];
    } un = {1, "\0hx-hostile-acc"};
    int64_t s = -1;
    if (same(mode, "recv") || same(mode, "write"))
        s = hc(HX_HC_SOCKETPAIR, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, (uint64_t)sv) ? -1
                                                                                        : sv[0];
    if (same(mode, "accept")) {
        s = hc(HX_HC_SOCKET, 1, 1, 0, 0);
        if (hc(HX_HC_BIND, (uint64_t)s, (uint64_t)&un, sizeof(un), HX_UNIX_NONE) ||
            hc(HX_HC_LISTEN, (uint64_t)s, 1, 0, 0))
            s = -1;
    }
    say("ready\n");
    for (;;) {
        int64_t r;
        if (same(mode, "sleep"))
            r = hc(HX_HC_SLEEP, 1ull << 62, 0, 0, 0);
        else if (same(mode, "poll"))
            r = hc(HX_HC_POLL, (uint64_t)&pfd, 1, (uint64_t)-1, 0);
        else if (same(mode, "wait"))
            r = hc(HX_HC_WAIT, 0, 0, (uint64_t)-1, 0);
        else if (same(mode, "read"))
            r = hc(HX_HC_READ, 0, (uint64_t)buf, sizeof(buf), 0);
        else if (same(mode, "recv"))
            r = hc(HX_HC_RECVMSG, (uint64_t)s, (uint64_t)&msg, 0, 0);
        else if (same(mode, "accept"))
            r = hc(HX_HC_ACCEPT, (uint64_t)s, 0, 0, 0);
        else if (same(mode, "write"))
            r = hc(HX_HC_WRITE, (uint64_t)s, (uint64_t)big, sizeof(big), 0);
        else
            break;
        say("returned ");
        say_num(r);
        say("\n");
    }
    say("unknown mode\n");
    hc(HX_HC_EXIT, 2, 0, 0, 0);
}

/* The monitor's interrupt, taken and ignored: the guest stays wedged. */
void hostile_irq(void);
__asm__(".globl hostile_irq\n"
        "hostile_irq:\n"
        "  iretq\n");
static uint8_t irq_stack[4096] __attribute__((aligned(16)));

static void ignore_interrupts(void)
{
    uint64_t *tss = (uint64_t *)(HX_KTEXT_BASE + HX_GPA_TSS + 4); /* RSP0, IST1 at +36 */
    uint64_t top = (uint64_t)(irq_stack + sizeof(irq_stack));
    __builtin_memcpy(tss, &top, 8);
    __builtin_memcpy((uint8_t *)tss + 32, &top, 8);
    uint64_t *idt = (uint64_t *)(HX_KTEXT_BASE + HX_GPA_IDT);
    uint64_t h = (uint64_t)hostile_irq;
    idt[HX_IRQ_VECTOR * 2] = (h & 0xffff) | ((uint64_t)HX_SEL_KCODE << 16) | (1ull << 32) |
                             (0x8eull << 40) | ((h >> 16 & 0xffff) << 48);
    idt[HX_IRQ_VECTOR * 2 + 1] = h >> 32;
}

void hostile_main(const struct hx_boot_info *boot)
{
    const char *mode = arg1(boot);
    if (mode) {
        ignore_interrupts();
        block_forever(mode);
    }
    /* With --stats: a request block outside RAM, which must end the VM as
     * a kernel error (125) with one clear line. */
    if (boot->flags & HX_BOOT_STATS)
        store(1ull << 38);

    /* Pointers the guest cannot give: unmapped, non-canonical, beyond RAM
     * through the direct map, the host's own address space. */
    expect("write from an unmapped address", hc(HX_HC_WRITE, 1, 0x1000, 16, 0), -EFAULT);
    expect("write from a non-canonical address", hc(HX_HC_WRITE, 1, 0x8000000000000000ull, 16, 0),
           -EFAULT);
    expect("write past the end of guest RAM",
           hc(HX_HC_WRITE, 1, HX_DIRECT_MAP + (64ull << 30), 16, 0), -EFAULT);
    expect("write with a length past SSIZE_MAX", hc(HX_HC_WRITE, 1, (uint64_t)buf, ~0ull, 0),
           -EINVAL);
    expect("write of a buffer that wraps the address space", hc(HX_HC_WRITE, 1, ~0ull - 15, 64, 0),
           -EFAULT);
    expect("read into the hypercall MMIO page", hc(HX_HC_READ, 0, HX_HYPERCALL_VA, 8, 0), -EFAULT);
    /* Host fds the guest was never given: the KVM fds, anything else. */
    for (int fd = 3; fd < 8; fd++)
        expect("write to a host fd it does not own",
               hc(HX_HC_WRITE, (uint64_t)fd, (uint64_t)buf, 6, 0), -EBADF);
    expect("write to a huge fd", hc(HX_HC_WRITE, 1ull << 40, (uint64_t)buf, 6, 0), -EBADF);
    expect("close a host fd it does not own", hc(HX_HC_CLOSE, 3, 0, 0, 0), -EBADF);
    expect("unknown hypercall number", hc(HX_HC_NR + 7, 0, 0, 0, 0), -ENOSYS);
    expect("huge hypercall number", hc(0xffffffffu, 0, 0, 0, 0), -ENOSYS);
    expect("open with an unmapped path", hc(HX_HC_OPEN, 0x1000, 0, 0, 0), -EFAULT);
    expect("strace with an unmapped argument block", hc(HX_HC_STRACE, 0, 0x1000, 0, 0), -EFAULT);
    expect("readv with an unmapped iovec", hc(HX_HC_READV, 0, 0x1000, 1, 0), -EFAULT);
    expect("poll with too many fds", hc(HX_HC_POLL, (uint64_t)buf, 1000000, 0, 0), -22);
    /* Sockets: no AF_UNIX path the guest writes reaches the host as it is,
     * and no option hands the host a pointer or an fd. */
    static struct {
        uint16_t family;
        char path[108];
    } un = {1, "/tmp/hx-hostile-escape.sock"};
    static char upath[] = "/tmp/hx-hostile-escape.sock";
    static uint8_t st[256];
    expect("socket of another family", hc(HX_HC_SOCKET, 16 /* AF_NETLINK */, 3, 0, 0), -97);
    int64_t s = hc(HX_HC_SOCKET, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, 0);
    expect("an AF_UNIX socket", s >= 3, 1);
    expect("bind an unresolved path: an abstract name instead",
           hc(HX_HC_BIND, (uint64_t)s, (uint64_t)&un, sizeof(un), HX_UNIX_NONE), 0);
    /* /tmp is the run's own directory (run.sh gives --tmpfs /tmp and
     * checks the host's /tmp): no socket file is made there. */
    expect("  and no socket file is made for it",
           hc(HX_HC_STAT, (uint64_t)upath, (uint64_t)st, 0, 0), -2 /* ENOENT */);
    int64_t s2 = hc(HX_HC_SOCKET, 1, 1, 0, 0);
    /* Treated as unresolved: the same abstract name, already taken. */
    expect("bind with a bogus target kind",
           hc(HX_HC_BIND, (uint64_t)s2, (uint64_t)&un, sizeof(un), 7), -98 /* EADDRINUSE */);
    req.arg[4] = 0x1000;
    expect("connect to a host path at an unmapped address",
           hc(HX_HC_CONNECT, (uint64_t)s2, (uint64_t)&un, sizeof(un), HX_UNIX_HOST), -EFAULT);
    req.arg[4] = 0;
    expect("bind an address past sockaddr_storage",
           hc(HX_HC_BIND, (uint64_t)s2, (uint64_t)&un, 4096, 0), -EINVAL);
    expect("sendmsg from an unmapped msghdr", hc(HX_HC_SENDMSG, (uint64_t)s, 0x1000, 0, 0),
           -EFAULT);
    expect("recvmmsg into an unmapped vector", hc(HX_HC_RECVMMSG, (uint64_t)s, 0x1000, 4, 0x40),
           -EFAULT);
    expect("recvmsg on a host fd it does not own", hc(HX_HC_RECVMSG, 4000, (uint64_t)buf, 0, 0),
           -EBADF);
    expect("SO_ATTACH_BPF (an fd number)", hc(HX_HC_SOCKOPT, (uint64_t)s, 1, 50, (uint64_t)buf),
           -95);
    expect("getsockname into an unmapped length",
           hc(HX_HC_SOCKNAME, (uint64_t)s, (uint64_t)buf, 0x1000, 0), -EFAULT);
    expect("accept on the console", hc(HX_HC_ACCEPT, 1, 0, 0, 0), -88 /* ENOTSOCK */);
    hc(HX_HC_CLOSE, (uint64_t)s, 0, 0, 0);
    hc(HX_HC_CLOSE, (uint64_t)s2, 0, 0, 0);

    /* The guest kernel's own paths never resolve on the host, whoever
     * names them: the monitor's /proc (its memory, its environment),
     * /dev/kvm, /sys. Each is sent back to the guest. /tmp (--tmpfs) is
     * the run's directory, never the host's /tmp (run.sh looks there). */
    static char environ_path[] = "/proc/self/environ", mem_path[] = "/proc/1/mem",
                kvm_path[] = "/dev/kvm", sys_path[] = "/sys", root_path[] = "/",
                rel_mem[] = "proc/self/mem", probe[] = "/tmp/hx-hostile-probe";
    expect("open /proc/self/environ", hc(HX_HC_OPEN, (uint64_t)environ_path, 0, 0, 0),
           -HX_EREDIRECT);
    expect("open /proc/1/mem", hc(HX_HC_OPEN, (uint64_t)mem_path, 2, 0, 0), -HX_EREDIRECT);
    expect("open /dev/kvm", hc(HX_HC_OPEN, (uint64_t)kvm_path, 2, 0, 0), -HX_EREDIRECT);
    expect("stat /sys", hc(HX_HC_STAT, (uint64_t)sys_path, (uint64_t)st, 0, 0), -HX_EREDIRECT);
    expect("create /tmp/hx-hostile-probe (in the run's /tmp)",
           hc(HX_HC_OPEN, (uint64_t)probe, 0101 /* O_CREAT|O_WRONLY */, 0600, 0) >= 0, 1);
    req.arg[4] = (uint64_t)rel_mem;
    expect("openat2 of proc/self/mem beneath /",
           hc(HX_HC_OPEN, (uint64_t)root_path, 0, 0, 0x08 /* RESOLVE_BENEATH */), -HX_EREDIRECT);
    req.arg[4] = (uint64_t)rel_mem;
    expect("openat2 of proc/self/mem in the root /",
           hc(HX_HC_OPEN, (uint64_t)root_path, 0, 0, 0x10 /* RESOLVE_IN_ROOT */), -HX_EREDIRECT);
    req.arg[4] = 0;

    /* Lengths and offsets that only a raw hypercall can give: checked as
     * Linux checks them, and one copy moves at most 16 MiB (two unnamed
     * files in the cwd, which is writable; the first 64 MiB of holes). */
    int64_t t1 = hc(HX_HC_OPEN, (uint64_t)boot->cwd, 020200002 /* O_TMPFILE|O_RDWR */, 0600, 0);
    int64_t t2 = hc(HX_HC_OPEN, (uint64_t)boot->cwd, 020200002, 0600, 0);
    expect("two O_TMPFILE files in the cwd", t1 >= 3 && t2 >= 3, 1);
    expect("ftruncate to a negative length", hc(HX_HC_FTRUNCATE, (uint64_t)t1, ~0ull, 0, 0),
           -EINVAL);
    expect("ftruncate to 64 MiB", hc(HX_HC_FTRUNCATE, (uint64_t)t1, 64ull << 20, 0, 0), 0);
    static int64_t off[2];
    req.arg[4] = 1ull << 62;
    expect("copy_range of 2^62 bytes: 16 MiB",
           hc(HX_HC_COPY_RANGE, (uint64_t)t1, (uint64_t)&off[0], (uint64_t)t2, (uint64_t)&off[1]),
           16 << 20);
    off[0] = 10;
    req.arg[4] = ~0ull;
    expect("copy_range of a length that wraps the offset",
           hc(HX_HC_COPY_RANGE, (uint64_t)t1, (uint64_t)&off[0], (uint64_t)t2, 0), -75);
    off[0] = 0;
    expect("sendfile of 2^40 bytes: 16 MiB",
           hc(HX_HC_SENDFILE, (uint64_t)t2, (uint64_t)t1, (uint64_t)&off[0], 1ull << 40), 16 << 20);
    expect("sendfile of a count past SSIZE_MAX",
           hc(HX_HC_SENDFILE, (uint64_t)t2, (uint64_t)t1, (uint64_t)&off[0], ~0ull), -EINVAL);
    req.arg[4] = 1;
    expect("fallocate at a negative offset",
           hc(HX_HC_FDOP, HX_FD_FALLOCATE, (uint64_t)t2, 0, ~0ull), -EINVAL);
    req.arg[4] = 0;
    expect("fallocate of an empty range", hc(HX_HC_FDOP, HX_FD_FALLOCATE, (uint64_t)t2, 0, 0),
           -EINVAL);
    req.arg[4] = 16;
    expect("fallocate past the largest offset",
           hc(HX_HC_FDOP, HX_FD_FALLOCATE, (uint64_t)t2, 0, 0x7ffffffffffffff8ull), -27);
    req.arg[4] = 0;
    hc(HX_HC_CLOSE, (uint64_t)t1, 0, 0, 0);
    hc(HX_HC_CLOSE, (uint64_t)t2, 0, 0, 0);

    expect("a good write still works", hc(HX_HC_WRITE, 1, (uint64_t)buf, 6, 0), 6);
    hc(HX_HC_EXIT, failures ? 1 : 0, 0, 0, 0);
    for (;;)
        ;
}
