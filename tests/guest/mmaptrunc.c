/* A MAP_SHARED file mapping whose file shrank under it: its pages past the
 * new end stay mapped, and a system call given a buffer there fails with
 * EFAULT, as Linux's copies from and to user memory do (hx: the monitor
 * must not die of SIGBUS copying from or to such a page). The calls are
 * raw: libc wrappers may touch the buffer themselves. (Calls whose buffer
 * hx's guest kernel fills itself, getcwd or getrandom, still end the
 * program with SIGBUS there: issue 12's notes.) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

static void report(const char *what, long r)
{
    printf("%s: %s\n", what, r >= 0 ? "ok" : errno == EFAULT ? "EFAULT" : strerror(errno));
}

int main(void)
{
    int fd = open("mapped", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int data = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || data < 0 || ftruncate(fd, 8192) || write(data, "0123456789abcdef", 16) != 16)
        return 1;
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 1;
    char *past = p + 4096;
    if (symlink("data", "link"))
        return 1;
    strcpy(past, "data"); /* a path, and the page mapped */
    strcpy(p, "data");
    struct stat st;
    report("stat(path in the mapping) before the shrink", stat(past, &st));
    if (ftruncate(fd, 100))
        return 1;
    report("stat(path in the mapping) within the file", stat(p, &st));
    report("fstat into past the end", syscall(SYS_fstat, data, past));
    struct statfs sf;
    report("fstatfs into a good buffer", syscall(SYS_fstatfs, data, &sf));
    report("fstatfs into past the end", syscall(SYS_fstatfs, data, past));
    report("pread into past the end", syscall(SYS_pread64, data, past, 16, 0));
    report("pwrite from past the end", syscall(SYS_pwrite64, data, past, 16, 0));
    struct iovec iov = {past, 16};
    report("preadv into past the end", syscall(SYS_preadv, data, &iov, 1, 0, 0));
    report("readlink into past the end", syscall(SYS_readlink, "link", past, 16));
    report("write from past the end", syscall(SYS_write, data, past, 16));
    report("statfs into past the end", syscall(SYS_statfs, ".", past));
    report("fstatat into past the end", syscall(SYS_newfstatat, AT_FDCWD, "data", past, 0));
    report("statx into past the end", syscall(SYS_statx, AT_FDCWD, "data", 0, 0x7ff, past));
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    report("getdents64 into past the end", syscall(SYS_getdents64, dir, past, 4096));
    close(dir);
    munmap(p, 8192);
    close(fd);
    close(data);
    return 0;
}
