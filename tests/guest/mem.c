/*
 * mem: the address-space syscalls used directly -- brk, mmap, mprotect,
 * mremap, madvise, munmap -- including the errors programs rely on.
 * Touching an unmapped or protected page kills the process, so that is
 * left to segv.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define MIB (1024L * 1024L)

static long page;

static int filled(const unsigned char *p, size_t n, unsigned char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

static void *map(size_t n)
{
    return mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* Raw brk, because musl's sbrk refuses to move the break (its malloc owns
 * it).  Nothing may allocate between growing and restoring, so results
 * are collected first and printed afterwards. */
static void brk_test(void)
{
    uintptr_t cur = syscall(SYS_brk, 0);
    uintptr_t grown = syscall(SYS_brk, cur + 4 * MIB);
    int grew = grown == cur + 4 * MIB;
    int zero = 0, shrunk = 0, rezero = 0;
    if (grew) {
        unsigned char *p = (unsigned char *)cur;
        zero = filled(p, 4 * MIB, 0);
        memset(p, 0xab, 4 * MIB);
        /* Shrinking releases the pages; growing again must hand
         * back fresh zeroed ones, not the old contents. */
        shrunk = (uintptr_t)syscall(SYS_brk, cur + MIB) == cur + MIB;
        syscall(SYS_brk, cur + 4 * MIB);
        rezero = filled(p + MIB, 3 * MIB, 0) && filled(p, MIB, 0xab);
        syscall(SYS_brk, cur);
    }
    uintptr_t back = syscall(SYS_brk, 0);
    /* Asking for a break below the start fails by returning the old one. */
    uintptr_t low = syscall(SYS_brk, 4096);

    yes("brk(0) returns a nonzero break", cur != 0);
    yes("brk grows by 4 MiB", grew);
    yes("new brk memory is zero", zero);
    yes("brk shrinks to +1 MiB", shrunk);
    yes("regrown brk memory is zero, kept part intact", rezero);
    yes("brk restored", back == cur);
    yes("brk below start refused (returns current)", low == cur);
}

static void anon(void)
{
    unsigned char *p = map(16 * page);
    yes("mmap anonymous 16 pages", p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    yes("mmap result page aligned", (uintptr_t)p % page == 0);
    yes("fresh anonymous memory is zero", filled(p, 16 * page, 0));
    memset(p, 0x11, 16 * page);
    yes("written and read back", filled(p, 16 * page, 0x11));

    ok_errno("mprotect PROT_READ", mprotect(p, 16 * page, PROT_READ));
    yes("readable while PROT_READ", filled(p, 16 * page, 0x11));
    ok_errno("mprotect back to PROT_READ|PROT_WRITE",
             mprotect(p, 16 * page, PROT_READ | PROT_WRITE));
    p[0] = 0x22;
    yes("writable again", p[0] == 0x22);
    p[0] = 0x11;

    /* MADV_DONTNEED drops private anonymous pages: they read as zero. */
    ok_errno("madvise MADV_DONTNEED 2 pages", madvise(p + 4 * page, 2 * page, MADV_DONTNEED));
    yes("advised pages read as zero", filled(p + 4 * page, 2 * page, 0));
    yes("neighbouring pages intact",
        filled(p + 3 * page, page, 0x11) && filled(p + 6 * page, page, 0x11));

    /* Unmapping a hole in the middle must keep both remaining parts. */
    ok_errno("munmap pages 8-9", munmap(p + 8 * page, 2 * page));
    yes("pages before the hole intact", filled(p + 6 * page, 2 * page, 0x11));
    yes("pages after the hole intact", filled(p + 10 * page, 6 * page, 0x11));
    /* Mapping into the hole with MAP_FIXED gives fresh zero pages. */
    void *f = mmap(p + 8 * page, 2 * page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    yes("MAP_FIXED into the hole lands there", f == p + 8 * page);
    yes("MAP_FIXED pages are zero", f != MAP_FAILED && filled(p + 8 * page, 2 * page, 0));
    /* MAP_FIXED over live pages replaces them. */
    f = mmap(p, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    yes("MAP_FIXED over a live page zeroes it",
        f == p && filled(p, page, 0) && filled(p + page, page, 0x11));
    errno = 0;
    f = mmap(p, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("MAP_FIXED_NOREPLACE over a live page: %s\n",
           f == MAP_FAILED ? errname(errno) : "mapped");
    ok_errno("munmap all 16 pages", munmap(p, 16 * page));
}

static void remap(void)
{
    unsigned char *p = map(4 * page);
    if (p == MAP_FAILED)
        return;
    memset(p, 0x33, 4 * page);
    /* Whether this grows in place or moves is the kernel's choice; the
     * contents must survive either way. */
    unsigned char *q = mremap(p, 4 * page, 64 * page, MREMAP_MAYMOVE);
    yes("mremap grow with MREMAP_MAYMOVE", q != MAP_FAILED);
    if (q == MAP_FAILED)
        return;
    yes("mremap keeps contents", filled(q, 4 * page, 0x33));
    yes("mremap new tail is zero", filled(q + 4 * page, 60 * page, 0));
    memset(q + 60 * page, 0x44, 4 * page);
    unsigned char *s = mremap(q, 64 * page, 2 * page, 0);
    yes("mremap shrink in place", s == q);
    yes("shrunk mapping keeps contents", filled(s, 2 * page, 0x33));
    errno = 0;
    void *r = mremap(s + 1, page, 2 * page, MREMAP_MAYMOVE);
    printf("mremap unaligned address: %s\n", r == MAP_FAILED ? errname(errno) : "remapped");
    ok_errno("munmap remapped", munmap(s, 2 * page));
}

static void file_map(void)
{
    int fd = open("mem.tmp", O_RDWR | O_CREAT | O_TRUNC, 0644);
    static char buf[8192];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (char)('A' + i % 26);
    if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
        printf("cannot create mem.tmp: %s\n", errname(errno));
        return;
    }
    char *p = mmap(NULL, sizeof(buf), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    yes("mmap file MAP_PRIVATE", p != MAP_FAILED);
    if (p != MAP_FAILED) {
        yes("file mapping shows file contents", memcmp(p, buf, sizeof(buf)) == 0);
        /* A private write stays private: the file is unchanged. */
        p[0] = '#';
        char c = 0;
        lseek(fd, 0, SEEK_SET);
        yes("private write not in file", read(fd, &c, 1) == 1 && c == 'A');
        munmap(p, sizeof(buf));
    }
    /* An offset mapping starts at the given page of the file. */
    p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, page);
    yes("mmap file at page offset", p != MAP_FAILED && p[0] == buf[page]);
    if (p != MAP_FAILED)
        munmap(p, page);
    close(fd);
    unlink("mem.tmp");
}

static void errors(void)
{
    errno = 0;
    void *p = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap length 0: %s\n", p == MAP_FAILED ? errname(errno) : "mapped");
    errno = 0;
    p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, -1, 0);
    printf("mmap non-anonymous with fd -1: %s\n", p == MAP_FAILED ? errname(errno) : "mapped");
    errno = 0;
    p = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    printf("mmap MAP_PRIVATE|MAP_SHARED: %s\n", p == MAP_FAILED ? errname(errno) : "mapped");

    unsigned char *m = map(2 * page);
    errno = 0;
    ok_errno("munmap unaligned address", munmap(m + 1, page));
    /* Raw syscall: musl's mprotect rounds the address down itself. */
    errno = 0;
    ok_errno("mprotect unaligned address", syscall(SYS_mprotect, m + 1, page, PROT_READ));
    errno = 0;
    ok_errno("madvise unaligned address", madvise(m + 1, page, MADV_DONTNEED));
    errno = 0;
    ok_errno("munmap length 0", munmap(m, 0));
    ok_errno("munmap", munmap(m, 2 * page));
    /* Unmapping something not mapped is not an error. */
    ok_errno("munmap of an already unmapped range", munmap(m, 2 * page));
}

int main(void)
{
    page = sysconf(_SC_PAGESIZE);
    printf("page size: %ld\n", page);
    brk_test();
    anon();
    remap();
    file_map();
    errors();
    return 0;
}
