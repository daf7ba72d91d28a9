/* A program that issues raw hypercalls, as any program under hxrun can: it
 * shares CPL3 with the guest kernel, reads the page tables through the
 * direct map to find the guest physical address of its own memory, and
 * stores a request's address to the hypercall page. tests/hostile/run.sh
 * runs it under hxrun (never natively) in its cwd.
 *
 *   rawhc checks      prints "ok LABEL" or "FAIL LABEL" per check
 *   rawhc block-ro    a request block in a read-only file mapping
 *   rawhc block-past  a request block in a file page past the file's end
 *
 * The two block cases must end hxrun with status 125 and one line; never
 * may the monitor die of a signal. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hx/abi.h"

#define EFAULT 14
/* errno values and signals (the guest's, which are Linux's): no libc
 * header is needed for them beyond these. */
#define ESRCH_ 3
#define EBADF_ 9
#define EACCES_ 13
#define EINVAL_ 22
#define SIGCONT_ 18

static int failures;

/* The page-table entry that maps va, through the direct map, and the size
 * of its page (NULL: not mapped). */
static volatile uint64_t *pte_of(const void *va, uint64_t *size)
{
    const struct hx_boot_info *boot = (const void *)(HX_DIRECT_MAP + HX_GPA_BOOTINFO);
    uint64_t v = (uint64_t)va, table = boot->cr3 & ~0xfffull;
    for (int level = 3; level >= 0; level--) {
        unsigned shift = 12 + 9 * (unsigned)level;
        volatile uint64_t *e = (volatile uint64_t *)(HX_DIRECT_MAP + table) + ((v >> shift) & 511);
        if (!(*e & 1))
            return NULL;
        if (level == 0 || (*e & 0x80)) {
            *size = 1ull << shift;
            return e;
        }
        table = *e & 0x000ffffffffff000ull;
    }
    return NULL;
}

/* The guest physical address behind va (0: none). */
static uint64_t gpa_of(const void *va)
{
    uint64_t size;
    volatile uint64_t *e = pte_of(va, &size);
    return e ? (*e & 0x000ffffffffff000ull & ~(size - 1)) + ((uint64_t)va & (size - 1)) : 0;
}

static void store(uint64_t gpa)
{
    __asm__ volatile("" ::: "memory");
    *(volatile uint64_t *)HX_HYPERCALL_VA = gpa;
    __asm__ volatile("" ::: "memory");
}

static struct hx_hcall req __attribute__((aligned(64)));

static int64_t hc(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    req.nr = nr;
    req.arg[0] = a0;
    req.arg[1] = a1;
    req.arg[2] = a2;
    req.ret = 12345;
    store(gpa_of(&req));
    return req.ret;
}

static int64_t hc4(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    req.arg[3] = a3;
    int64_t r = hc(nr, a0, a1, a2);
    req.arg[3] = 0;
    return r;
}

static void expect(const char *what, int64_t got, int64_t want)
{
    if (got != want)
        failures++;
    printf("%s %s (got %lld)\n", got == want ? "ok  " : "FAIL", what, (long long)got);
}

/* A file of 8 KiB mapped MAP_SHARED (read-only through an O_RDONLY fd, or
 * read-write), both pages touched, then cut to 100 bytes: its second page
 * lies past the end. */
static char *map_file(const char *name, int writable)
{
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
    int mfd = writable ? fd : open(name, O_RDONLY);
    if (fd < 0 || mfd < 0 || ftruncate(fd, 8192))
        return NULL;
    char *p = mmap(NULL, 8192, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, mfd, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)*(volatile char *)p;
    (void)*(volatile char *)(p + 4096);
    if (ftruncate(fd, 100))
        return NULL;
    close(fd);
    if (mfd != fd)
        close(mfd);
    return p;
}

/* A copy that starts in the last page of RAM and goes on into a mapped
 * file's page past its end. The host places mappings top-down in the
 * highest gap that fits, so slots of every power-of-two size fill the
 * gaps, including the one the alignment of RAM left above it: one slot
 * ends up right after RAM on the host, and a copy whose first piece is in
 * RAM must still be guarded there. Returns how many copies did not fail
 * with EFAULT (the monitor dying of SIGBUS fails the run). */
static int ram_end_copies(void)
{
    char path[4200];
    int fd = open("rawhc-empty", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || !getcwd(path, 4096))
        return -1;
    close(fd);
    strcat(path, "/rawhc-empty");
    int64_t hfd = hc(HX_HC_OPEN, (uint64_t)path, O_RDONLY, 0);
    static uint64_t slots[256];
    int n = 0;
    for (int k = 8; k >= 0 && hfd >= 0; k--)
        for (int c = 0; c < 24; c++) {
            int64_t gpa = hc4(HX_HC_MAP_SHARED, (uint64_t)hfd, 0, 4096ull << k, 0);
            if (gpa < 0)
                break;
            slots[n++] = (uint64_t)gpa;
        }
    /* Two adjacent pages of the program, remapped in its page tables: the
     * first to RAM's last page, the second to each slot in turn. */
    char *b = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED || !n)
        return -1;
    char *v = (char *)(((uint64_t)b + (2 << 20) - 1) & ~((2ull << 20) - 1));
    v[0] = v[2 << 20] = 1;
    uint64_t s0, s1;
    volatile uint64_t *p0 = pte_of(v, &s0), *p1 = pte_of(v + s0, &s1);
    if (!p0 || !p1 || s0 != s1)
        return -1;
    uint64_t save0 = *p0, save1 = *p1, flags = 7 | (s0 > 4096 ? 0x80 : 0);
    const struct hx_boot_info *boot = (const void *)(HX_DIRECT_MAP + HX_GPA_BOOTINFO);
    *p0 = (boot->ram_size - s0) | flags;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        *p1 = slots[i] | flags;
        bad += hc(HX_HC_POLL, (uint64_t)(v + s0 - 64), 16, 0) != -EFAULT;
    }
    *p0 = save0;
    *p1 = save1;
    for (int i = 0; i < n; i++)
        hc(HX_HC_UNMAP_SHARED, slots[i], 0, 0);
    hc(HX_HC_CLOSE, (uint64_t)hfd, 0, 0);
    return bad;
}

/* The process hypercalls: nothing reaches a host process outside the run,
 * and a bad execve request fails before the machine changes (the checks
 * after it still run). */
static void process_checks(void)
{
    const uint64_t nowhere = 0x7ff000000000ull;
    pid_t outside = getppid(); /* the shell that runs hxrun: not of the run */
    expect("kill(0) of the host process that started hxrun",
           hc4(HX_HC_KILL, (uint64_t)outside, 0, 0, HX_KILL), -ESRCH_);
    expect("SIGCONT to it", hc4(HX_HC_KILL, (uint64_t)outside, 0, SIGCONT_, HX_KILL), -ESRCH_);
    expect("kill(0) of pid 1", hc4(HX_HC_KILL, 1, 0, 0, HX_KILL), -ESRCH_);
    expect("a kill of an unknown kind", hc4(HX_HC_KILL, 1, 0, 0, 99), -EINVAL_);
    expect("setpgid of a host process", hc(HX_HC_PGRP, HX_SETPGID, (uint64_t)outside, 0), -ESRCH_);
    expect("getsid of pid 1", hc(HX_HC_PGRP, HX_GETSID, 1, 0), -ESRCH_);
    expect("an unknown process-group operation", hc(HX_HC_PGRP, 77, 0, 0), -EINVAL_);
    expect("wait of an unknown kind", hc(HX_HC_WAIT_CHILD, 9, (uint64_t)-1, 0), -EINVAL_);
    expect("waitid on a pidfd", hc4(HX_HC_WAIT_CHILD, HX_WAITID, 3, 3, 4 /* WEXITED */), -EINVAL_);
    expect("wait with unknown options", hc4(HX_HC_WAIT_CHILD, HX_WAIT4, (uint64_t)-1, 0, 0x100),
           -EINVAL_);
    static char long_name[300];
    memset(long_name, 'x', sizeof(long_name) - 1);
    /* SCM_RIGHTS carries host fds (the guest kernel translates its own):
     * only those the guest owns. */
    static int32_t sv[2];
    expect("a socketpair", hc4(HX_HC_SOCKETPAIR, 1 /* AF_UNIX */, 1, 0, (uint64_t)sv), 0);
    static char byte = 'x';
    static struct iovec one = {&byte, 1};
    static union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cm;
    static struct msghdr mh = {
        .msg_iov = &one, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int kvm = 1000; /* a host fd of the monitor's, never the guest's */
    memcpy(CMSG_DATA(c), &kvm, sizeof(int));
    expect("pass a host fd never given (SCM_RIGHTS)",
           hc(HX_HC_SENDMSG, (uint64_t)sv[0], (uint64_t)&mh, 0), -EBADF_);
    static struct hx_inherited_fd described;
    expect("describe a host fd never given", hc(HX_HC_FD_DESCRIBE, 1000, (uint64_t)&described, 0),
           -EBADF_);
    expect("describe the console into nowhere", hc(HX_HC_FD_DESCRIBE, 1, nowhere, 0), -EFAULT);
    expect("a memfd with unknown flags", hc(HX_HC_MEMFD, (uint64_t) "m", 0x10, 0), -EINVAL_);
    expect("a memfd named nowhere", hc(HX_HC_MEMFD, nowhere, 0, 0), -EFAULT);
    expect("a memfd with a 299-byte name", hc(HX_HC_MEMFD, (uint64_t)long_name, 0, 0), -EINVAL_);
    expect("a pipe of 1 GiB", hc(HX_HC_PIPE, (uint64_t)&req, 1u << 30, 0), -EINVAL_);
    expect("a pipe's fds written nowhere", hc(HX_HC_PIPE, nowhere, 0, 0), -EFAULT);
    expect("exec of an info block nowhere", hc(HX_HC_EXEC, nowhere, 0, 0), -EFAULT);
    static struct hx_exec_info x;
    static char sh_path[] = "/bin/sh", passwd[] = "/etc/passwd";
    x.prog_hostfd = 1000;
    x.interp_hostfd = -1;
    expect("exec of a host fd never given", hc(HX_HC_EXEC, (uint64_t)&x, 0, 0), -EBADF_);
    x.prog_hostfd = (int32_t)hc(HX_HC_OPEN, (uint64_t)passwd, 0 /* O_RDONLY */, 0);
    expect("exec of a file without x permission", hc(HX_HC_EXEC, (uint64_t)&x, 0, 0), -EACCES_);
    x.prog_hostfd = (int32_t)hc(HX_HC_OPEN, (uint64_t)sh_path, 0, 0);
    x.nfds = 1u << 30;
    expect("exec keeping 2^30 fds", hc(HX_HC_EXEC, (uint64_t)&x, 0, 0), -EINVAL_);
    x.nfds = 0;
    x.argv = nowhere;
    expect("exec with argv nowhere", hc(HX_HC_EXEC, (uint64_t)&x, 0, 0), -EFAULT);
    static uint64_t argv[2];
    static struct hx_exec_fd keep[2] = {{.fd = 5, .hostfd = 1000}, {.fd = 6, .hostfd = 1}};
    static char cwd[] = "/";
    argv[0] = (uint64_t)sh_path;
    x.argv = (uint64_t)argv;
    x.execfn = x.exe = (uint64_t)sh_path;
    x.cwd = (uint64_t)cwd;
    x.fds = (uint64_t)keep;
    x.nfds = 2;
    expect("exec keeping a host fd never given", hc(HX_HC_EXEC, (uint64_t)&x, 0, 0), -EINVAL_);
    keep[0].hostfd = 1;
    keep[1].fd = 5;
    expect("exec keeping one fd number twice", hc(HX_HC_EXEC, (uint64_t)&x, 0, 0), -EINVAL_);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    char *ro = map_file("rawhc-ro", 0);
    char *rw = map_file("rawhc-rw", 1);
    if (!ro || !rw || !gpa_of(&req) || !gpa_of(ro) || !gpa_of(rw + 4096)) {
        printf("FAIL setup\n");
        return 1;
    }
    if (!strcmp(argv[1], "block-ro"))
        store(gpa_of(ro));
    else if (!strcmp(argv[1], "block-past"))
        store(gpa_of(rw + 4096));
    if (strcmp(argv[1], "checks"))
        return 3; /* the store came back: the monitor went on */

    /* The monitor writes replies only where the guest may write, and
     * reads and writes a file's pages past its end without dying. */
    expect("fstat into a read-only file mapping", hc(HX_HC_FSTAT, 1, (uint64_t)ro, 0), -EFAULT);
    /* The page tables are the guest's to forge: a writable entry for the
     * read-only mapping changes nothing, the file is read-only. */
    uint64_t size;
    *pte_of(ro, &size) |= 2;
    expect("fstat into a read-only file mapping made writable in the page tables",
           hc(HX_HC_FSTAT, 1, (uint64_t)ro, 0), -EFAULT);
    expect("fstat into a file page past the end", hc(HX_HC_FSTAT, 1, (uint64_t)rw + 4096, 0),
           -EFAULT);
    expect("stat of a path in a file page past the end",
           hc(HX_HC_STAT, (uint64_t)rw + 4096, (uint64_t)rw, 0), -EFAULT);
    expect("readlink into a read-only file mapping",
           hc(HX_HC_READLINK, (uint64_t) "/proc/self/exe", (uint64_t)ro, 16), -EFAULT);
    static char self[] = "/";
    static char st[256];
    expect("a good stat still works", hc(HX_HC_STAT, (uint64_t)self, (uint64_t)st, 0), 0);
    expect("copies from RAM's last page on into a file page past the end", ram_end_copies(), 0);
    process_checks();
    printf("checks done\n");
    return failures != 0;
}
