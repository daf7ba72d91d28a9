/*
 * mmapfile: file mappings of a file in the current directory.  MAP_PRIVATE
 * writes stay private; MAP_SHARED writes reach the file by msync and by
 * munmap; the rest of the last page past EOF reads as zeros while a page
 * wholly past EOF raises SIGBUS; mprotect really changes what the program
 * may do; and the permission checks between the open mode and PROT_*.
 * Faults are caught with a handler and siglongjmp, so the program goes on.
 *
 * Not checked (hx does not promise it): that a MAP_SHARED write is seen by
 * read() before msync, or that a MAP_PRIVATE page not yet written sees a
 * later write() to the file -- both true on Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define F "mmapfile.tmp"
#define PAGE 4096L
#define SIZE (2 * PAGE + 100) /* two full pages and a bit of a third */

static char pattern(long i)
{
    return (char)('a' + i % 26);
}

/* mmap that prints its outcome; returns NULL on failure. */
static char *map(const char *what, size_t len, int prot, int flags, int fd, off_t off)
{
    void *p = mmap(NULL, len, prot, flags, fd, off);
    if (p == MAP_FAILED) {
        printf("%s: MAP_FAILED %s\n", what, errname(errno));
        errno = 0;
        return NULL;
    }
    printf("%s: ok\n", what);
    return p;
}

/* ---- fault catching ---- */

static sigjmp_buf jump;
static volatile sig_atomic_t caught;

static void on_fault(int sig)
{
    caught = sig;
    siglongjmp(jump, 1);
}

static const char *sig_name(int sig)
{
    return sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : "no fault";
}

/* "no-fault-handlers": skip the checks that catch a fault in a handler
 * (for a system that does not deliver SIGSEGV/SIGBUS to handlers yet); the
 * default actions are covered by segv.c. */
static int skip_faults;

static void try_read(const char *what, volatile char *p)
{
    if (skip_faults) {
        printf("%s: skipped\n", what);
        return;
    }
    fflush(stdout); /* what was printed survives if the fault kills us */
    caught = 0;
    if (sigsetjmp(jump, 1) == 0) {
        char c = *p;
        (void)c;
    }
    printf("%s: %s\n", what, sig_name(caught));
}

static void try_write(const char *what, volatile char *p, char c)
{
    if (skip_faults) {
        printf("%s: skipped\n", what);
        return;
    }
    fflush(stdout); /* what was printed survives if the fault kills us */
    caught = 0;
    if (sigsetjmp(jump, 1) == 0)
        *p = c;
    printf("%s: %s\n", what, sig_name(caught));
}

/* ---- checks ---- */

static char at(int fd, off_t off)
{
    char c = 0;
    if (pread(fd, &c, 1, off) != 1)
        return '?';
    return c;
}

static void make_file(void)
{
    static char buf[SIZE];
    for (long i = 0; i < SIZE; i++)
        buf[i] = pattern(i);
    int fd = open(F, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(fd, buf, SIZE) != SIZE)
        printf("write: %s\n", errname(errno));
    close(fd);
}

static void private_map(void)
{
    int fd = open(F, O_RDWR);
    char *p = map("MAP_PRIVATE read-write", SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (!p)
        return;
    yes("mapping shows the file",
        p[0] == 'a' && p[5000] == pattern(5000) && p[SIZE - 1] == pattern(SIZE - 1));
    p[0] = 'X';
    p[5000] = 'Y';
    yes("mapping shows its own writes", p[0] == 'X' && p[5000] == 'Y');
    yes("read() does not see them", at(fd, 0) == 'a' && at(fd, 5000) == pattern(5000));
    char *q = map("second MAP_PRIVATE", SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (q) {
        yes("second mapping does not see them", q[0] == 'a' && q[5000] == pattern(5000));
        munmap(q, SIZE);
    }
    ok("msync the private mapping", msync(p, SIZE, MS_SYNC));
    ok("munmap", munmap(p, SIZE));
    yes("file unchanged after msync and munmap", at(fd, 0) == 'a' && at(fd, 5000) == pattern(5000));
    close(fd);

    /* A private writable map of a read-only descriptor is allowed. */
    fd = open(F, O_RDONLY);
    p = map("MAP_PRIVATE PROT_WRITE of an O_RDONLY fd", PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
            fd, 0);
    if (p) {
        p[1] = '!';
        yes("written privately", p[1] == '!' && at(fd, 1) == 'b');
        munmap(p, PAGE);
    }
    close(fd);
}

static void shared_map(void)
{
    int fd = open(F, O_RDWR);
    char *p = map("MAP_SHARED read-write", SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (!p)
        return;
    memcpy(p + 100, "SHARED", 6);
    ok("msync MS_SYNC", msync(p, SIZE, MS_SYNC));
    char buf[8] = {0};
    if (pread(fd, buf, 6, 100) != 6)
        printf("pread: %s\n", errname(errno));
    printf("read() at 100 after msync: %s\n", buf);
    memcpy(p + PAGE + 104, "UNMAP", 5);
    memcpy(p + 2 * PAGE + 99, "Z", 1); /* the last byte of the file */
    ok("munmap", munmap(p, SIZE));
    memset(buf, 0, sizeof(buf));
    if (pread(fd, buf, 5, PAGE + 104) != 5)
        printf("pread: %s\n", errname(errno));
    printf("read() at 4200 after munmap: %s\n", buf);
    printf("last byte after munmap: %c\n", at(fd, SIZE - 1));
    struct stat st;
    fstat(fd, &st);
    printf("size after munmap: %lld\n", (long long)st.st_size);

    /* A mapping at an offset. */
    p = map("MAP_SHARED at offset 4096", PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
    if (p) {
        yes("first byte is the file's byte 4096", p[0] == pattern(PAGE));
        yes("byte 104 is the UNMAP write", memcmp(p + 104, "UNMAP", 5) == 0);
        munmap(p, PAGE);
    }
    p = map("mmap at an unaligned offset", PAGE, PROT_READ, MAP_SHARED, fd, 100);
    p = map("mmap of length 0", 0, PROT_READ, MAP_SHARED, fd, 0);
    ok("msync an unaligned address", msync((char *)&buf + 1, PAGE, MS_SYNC));
    close(fd);
}

static void past_eof(void)
{
    int fd = open(F, O_RDWR);
    /* Four pages over a file of two pages and 100 bytes. */
    char *p = map("MAP_SHARED 4 pages of a 2-page+100 file", 4 * PAGE, PROT_READ | PROT_WRITE,
                  MAP_SHARED, fd, 0);
    if (!p)
        return;
    int zero = 1;
    for (long i = SIZE; i < 3 * PAGE; i++)
        zero &= p[i] == 0;
    yes("rest of the last page reads as zeros", zero);
    try_write("write into the rest of the last page", p + SIZE + 8, 'T');
    ok("msync", msync(p, 3 * PAGE, MS_SYNC));
    struct stat st;
    fstat(fd, &st);
    printf("size after writing past EOF in the map: %lld\n", (long long)st.st_size);
    char c;
    printf("read() at EOF: %zd\n", pread(fd, &c, 1, SIZE + 8));
    munmap(p, 4 * PAGE);

    p = map("MAP_PRIVATE 3 pages", 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p) {
        zero = 1;
        for (long i = SIZE; i < 3 * PAGE; i++)
            zero &= p[i] == 0;
        yes("private: rest of the last page reads as zeros", zero);
        munmap(p, 3 * PAGE);
    }
    close(fd);
}

/* A page wholly past EOF raises SIGBUS (see faults()). */
static void beyond_eof(void)
{
    int fd = open(F, O_RDWR);
    char *p = map("MAP_SHARED 4 pages again", 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p) {
        try_read("read a page wholly past EOF", p + 3 * PAGE);
        try_write("write a page wholly past EOF", p + 3 * PAGE + 5, 'U');
        munmap(p, 4 * PAGE);
    }
    p = map("MAP_PRIVATE 4 pages", 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p) {
        try_read("private: read a page wholly past EOF", p + 3 * PAGE);
        munmap(p, 4 * PAGE);
    }
    close(fd);
}

/* mprotect and the open mode against PROT_*, without faulting. */
static void protections(void)
{
    int fd = open(F, O_RDWR);
    char *p = map("MAP_SHARED read-write for mprotect", 2 * PAGE, PROT_READ | PROT_WRITE,
                  MAP_SHARED, fd, 0);
    if (!p)
        return;
    p[10] = 'w';
    ok("mprotect PROT_READ", mprotect(p, 2 * PAGE, PROT_READ));
    yes("reading still works, value kept", p[10] == 'w' && p[PAGE] == pattern(PAGE));
    ok("mprotect PROT_READ|PROT_WRITE", mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE));
    p[10] = 'x';
    ok("munmap", munmap(p, 2 * PAGE));
    printf("byte 10 in the file: %c\n", at(fd, 10));
    ok("mprotect an unmapped range", mprotect(p, PAGE, PROT_READ));
    close(fd);

    fd = open(F, O_RDONLY);
    p = map("MAP_SHARED PROT_WRITE of an O_RDONLY fd", PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
            0);
    p = map("MAP_SHARED PROT_READ of an O_RDONLY fd", PAGE, PROT_READ, MAP_SHARED, fd, 0);
    if (p) {
        ok("mprotect it PROT_WRITE", mprotect(p, PAGE, PROT_READ | PROT_WRITE));
        munmap(p, PAGE);
    }
    close(fd);
    fd = open(F, O_WRONLY);
    p = map("MAP_SHARED PROT_READ of an O_WRONLY fd", PAGE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    fd = open(".", O_RDONLY | O_DIRECTORY);
    p = map("mmap of a directory", PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    p = map("mmap of a closed fd", PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    (void)p;
}

/* The faults, last: a fault the system does not deliver to the handler
 * ends the program, and everything before must have been checked. */
static void faults(void)
{
    int fd = open(F, O_RDWR);
    char *p = map("MAP_SHARED read-write for faults", 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
                  fd, 0);
    if (!p)
        return;
    try_write("write before mprotect", p + 10, 'w');
    ok("mprotect PROT_READ", mprotect(p, 2 * PAGE, PROT_READ));
    try_read("read after PROT_READ", p + 10);
    try_write("write after PROT_READ", p + 10, 'v');
    try_write("write to the second page", p + PAGE, 'v');
    ok("mprotect first page PROT_NONE", mprotect(p, PAGE, PROT_NONE));
    try_read("read a PROT_NONE page", p);
    try_read("read the PROT_READ page after it", p + PAGE);
    ok("mprotect PROT_READ|PROT_WRITE", mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE));
    try_write("write after PROT_READ|PROT_WRITE", p + 10, 'y');
    ok("munmap", munmap(p, 2 * PAGE));
    printf("byte 10 in the file: %c\n", at(fd, 10));
    close(fd);

    fd = open(F, O_RDONLY);
    p = map("MAP_SHARED PROT_READ of an O_RDONLY fd", PAGE, PROT_READ, MAP_SHARED, fd, 0);
    if (p) {
        try_write("write to it", p, 'n');
        munmap(p, PAGE);
    }
    close(fd);
    beyond_eof();
}

int main(int argc, char **argv)
{
    skip_faults = argc > 1 && strcmp(argv[1], "no-fault-handlers") == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fault;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    make_file();
    private_map();
    shared_map();
    past_eof();
    protections();
    if (!skip_faults)
        faults();
    ok("unlink", unlink(F));
    return 0;
}
