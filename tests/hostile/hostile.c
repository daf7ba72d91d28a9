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

void hostile_main(const struct hx_boot_info *boot)
{
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
    expect("a good write still works", hc(HX_HC_WRITE, 1, (uint64_t)buf, 6, 0), 6);
    hc(HX_HC_EXIT, failures ? 1 : 0, 0, 0, 0);
    for (;;)
        ;
}
