/*
 * files: the file-descriptor API on regular files in the current directory
 * (the runner gives every run a fresh empty one).  Descriptor numbers are
 * never printed -- an inherited descriptor would shift them -- only their
 * relations.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

#define A "files-a.tmp"
#define B "files-b.tmp"

/* The statx result layout from linux/stat.h; musl 1.2.3 has no statx()
 * wrapper, so both builds make the raw syscall with this buffer. */
struct hx_statx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, spare;
    uint64_t ino, size, blocks, attributes_mask;
    uint8_t rest[256 - 64]; /* timestamps and devices, unused here */
};
#define HX_STATX_TYPE 0x1u
#define HX_STATX_SIZE 0x200u
#define HX_STATX_BASIC_STATS 0x7ffu

static void open_flags(void)
{
    int fd = ok_errno("open O_CREAT|O_EXCL new file", open(A, O_RDWR | O_CREAT | O_EXCL, 0644));
    val_errno("write 11 bytes", write(fd, "hello world", 11));
    close(fd);

    errno = 0;
    ok_errno("open O_CREAT|O_EXCL existing file", open(A, O_RDWR | O_CREAT | O_EXCL, 0644));

    fd = ok_errno("openat(AT_FDCWD) O_APPEND", openat(AT_FDCWD, A, O_WRONLY | O_APPEND));
    val_errno("lseek to 0 before append", lseek(fd, 0, SEEK_SET));
    val_errno("append 4 bytes", write(fd, "!!!\n", 4));
    val_errno("offset after append", lseek(fd, 0, SEEK_CUR));
    close(fd);

    char buf[64] = {0};
    fd = open(A, O_RDONLY);
    val_errno("read back", read(fd, buf, sizeof(buf) - 1));
    printf("content: %s", buf);
    val_errno("read at EOF", read(fd, buf, sizeof(buf)));
    errno = 0;
    val_errno("write to O_RDONLY fd", write(fd, "x", 1));
    close(fd);

    fd = ok_errno("open O_TRUNC", open(A, O_RDWR | O_TRUNC));
    struct stat st;
    fstat(fd, &st);
    val_errno("size after O_TRUNC", st.st_size);
    close(fd);

    /* A directory descriptor makes openat resolve relative to it. */
    int dir = ok_errno("open . O_DIRECTORY", open(".", O_RDONLY | O_DIRECTORY));
    fd = ok_errno("openat(dirfd) existing file", openat(dir, A, O_RDONLY));
    close(fd);
    close(dir);
    fd = open(A, O_RDONLY);
    errno = 0;
    ok_errno("openat relative to a regular file", openat(fd, "x", O_RDONLY));
    close(fd);

    errno = 0;
    ok_errno("open missing file", open("no-such-file", O_RDONLY));
    errno = 0;
    ok_errno("open O_CREAT in missing directory", open("no-such-dir/f", O_WRONLY | O_CREAT, 0644));
    errno = 0;
    ok_errno("open . O_WRONLY", open(".", O_WRONLY));
    errno = 0;
    ok_errno("openat(bad dirfd)", openat(-5, A, O_RDONLY));
}

static void seeking(void)
{
    int fd = open(A, O_RDWR | O_TRUNC);
    val_errno("write 26 bytes", write(fd, "abcdefghijklmnopqrstuvwxyz", 26));
    val_errno("lseek SEEK_SET 10", lseek(fd, 10, SEEK_SET));
    char c[4] = {0};
    val_errno("read 3", read(fd, c, 3));
    printf("got: %s\n", c);
    val_errno("lseek SEEK_CUR -5", lseek(fd, -5, SEEK_CUR));
    val_errno("lseek SEEK_END -1", lseek(fd, -1, SEEK_END));
    val_errno("read 3 at last byte", read(fd, c, 3));
    errno = 0;
    val_errno("lseek to -1", lseek(fd, -1, SEEK_SET));
    errno = 0;
    val_errno("lseek whence 99", lseek(fd, 0, 99));

    /* Writing past the end leaves a hole that reads back as zeros. */
    val_errno("lseek SEEK_END +100", lseek(fd, 100, SEEK_END));
    val_errno("write after hole", write(fd, "Z", 1));
    unsigned char hole[100];
    memset(hole, 0xff, sizeof(hole));
    val_errno("lseek to start of hole", lseek(fd, 26, SEEK_SET));
    val_errno("read hole", read(fd, hole, sizeof(hole)));
    int zero = 1;
    for (size_t i = 0; i < sizeof(hole); i++)
        zero &= hole[i] == 0;
    yes("hole reads as zeros", zero);

    ok_errno("ftruncate to 5", ftruncate(fd, 5));
    val_errno("lseek SEEK_END after ftruncate", lseek(fd, 0, SEEK_END));
    ok_errno("fsync", fsync(fd));
    /* Raw syscall: the kernel must report the bad buffer, not crash. */
    errno = 0;
    val_errno("write with bad buffer", syscall(SYS_write, fd, (void *)8, 4));
    lseek(fd, 0, SEEK_SET);
    errno = 0;
    val_errno("read into bad buffer", syscall(SYS_read, fd, (void *)8, 4));
    close(fd);
}

static void stats(void)
{
    struct stat st;
    char kb[1000];
    memset(kb, 'x', sizeof(kb));
    int fd = open(A, O_RDWR | O_TRUNC);
    val_errno("write 1000 bytes", write(fd, kb, sizeof(kb)));

    if (ok_errno("fstat", fstat(fd, &st)) == 0) {
        printf("fstat size: %lld\n", (long long)st.st_size);
        yes("fstat S_ISREG", S_ISREG(st.st_mode));
        printf("fstat permissions: %o\n", st.st_mode & 07777);
        yes("fstat nlink 1", st.st_nlink == 1);
        yes("fstat blksize > 0", st.st_blksize > 0);
    }
    close(fd);
    if (ok_errno("stat", stat(A, &st)) == 0) {
        printf("stat size: %lld\n", (long long)st.st_size);
        yes("stat S_ISREG", S_ISREG(st.st_mode));
    }
    if (ok_errno("fstatat(AT_FDCWD)", fstatat(AT_FDCWD, A, &st, 0)) == 0)
        printf("fstatat size: %lld\n", (long long)st.st_size);
    if (ok_errno("stat .", stat(".", &st)) == 0)
        yes("stat . S_ISDIR", S_ISDIR(st.st_mode));
    errno = 0;
    ok_errno("stat missing", stat("no-such-file", &st));

    struct hx_statx sx;
    memset(&sx, 0, sizeof(sx));
    long r = syscall(SYS_statx, AT_FDCWD, A, 0, HX_STATX_BASIC_STATS, &sx);
    if (ok_errno("statx", r) == 0) {
        yes("statx mask has TYPE and SIZE",
            (sx.mask & (HX_STATX_TYPE | HX_STATX_SIZE)) == (HX_STATX_TYPE | HX_STATX_SIZE));
        printf("statx size: %llu\n", (unsigned long long)sx.size);
        yes("statx S_ISREG", S_ISREG(sx.mode));
    }
    errno = 0;
    ok_errno("statx missing",
             syscall(SYS_statx, AT_FDCWD, "no-such-file", 0, HX_STATX_BASIC_STATS, &sx));
}

static void vectors(void)
{
    int fd = open(A, O_RDWR | O_TRUNC);
    struct iovec out[3] = {
        {"first-", 6},
        {"", 0},
        {"second-third", 12},
    };
    val_errno("writev 3 iovecs", writev(fd, out, 3));
    lseek(fd, 0, SEEK_SET);
    char x[4] = {0}, y[8] = {0}, z[16] = {0};
    struct iovec in[3] = {{x, 3}, {y, 7}, {z, 15}};
    val_errno("readv 3 iovecs", readv(fd, in, 3));
    printf("readv pieces: [%s] [%s] [%s]\n", x, y, z);
    close(fd);
}

static void descriptors(void)
{
    int fd = open(A, O_RDWR | O_TRUNC | O_CLOEXEC);
    yes("O_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD) == FD_CLOEXEC);

    int d = ok_errno("dup", dup(fd));
    yes("dup returns a new descriptor", d >= 0 && d != fd);
    yes("dup clears FD_CLOEXEC", fcntl(d, F_GETFD) == 0);
    /* A dup shares the open file description, hence the offset. */
    val_errno("write 5 through the dup", write(d, "12345", 5));
    val_errno("offset seen through the original", lseek(fd, 0, SEEK_CUR));
    close(d);
    int again = dup(fd);
    yes("dup reuses the lowest free descriptor", again == d);
    close(again);

    yes("dup2 to itself returns it", dup2(fd, fd) == fd);
    int hi = dup2(fd, 100);
    yes("dup2 to 100 returns 100", hi == 100);
    yes("dup2 clears FD_CLOEXEC", fcntl(100, F_GETFD) == 0);
    errno = 0;
    ok_errno("dup3 to itself", dup3(fd, fd, 0));
    yes("dup3 O_CLOEXEC over open 100 returns 100", dup3(fd, 100, O_CLOEXEC) == 100);
    yes("dup3 O_CLOEXEC sets FD_CLOEXEC", fcntl(100, F_GETFD) == FD_CLOEXEC);
    ok_errno("F_SETFD 0", fcntl(100, F_SETFD, 0));
    yes("F_GETFD after F_SETFD 0", fcntl(100, F_GETFD) == 0);
    close(100);
    int f = fcntl(fd, F_DUPFD, 50);
    yes("F_DUPFD 50 returns >= 50", f >= 50);
    close(f);
    f = fcntl(fd, F_DUPFD_CLOEXEC, 60);
    yes("F_DUPFD_CLOEXEC returns >= 60 with FD_CLOEXEC",
        f >= 60 && fcntl(f, F_GETFD) == FD_CLOEXEC);
    close(f);
    errno = 0;
    ok_errno("dup2 from bad fd", dup2(-1, 20));

    int fl = fcntl(fd, F_GETFL);
    yes("F_GETFL access mode O_RDWR", (fl & O_ACCMODE) == O_RDWR);
    yes("F_GETFL no O_APPEND yet", !(fl & O_APPEND));
    ok_errno("F_SETFL O_APPEND", fcntl(fd, F_SETFL, fl | O_APPEND));
    yes("F_GETFL has O_APPEND", fcntl(fd, F_GETFL) & O_APPEND);
    lseek(fd, 0, SEEK_SET);
    val_errno("write 3 with O_APPEND", write(fd, "678", 3));
    val_errno("size after appending write at offset 0", lseek(fd, 0, SEEK_END));
    close(fd);

    errno = 0;
    ok_errno("close(-1)", close(-1));
    errno = 0;
    ok_errno("close of a closed fd", close(fd));
    errno = 0;
    ok_errno("fcntl F_GETFD on closed fd", fcntl(fd, F_GETFD));
    errno = 0;
    char c;
    ok_errno("read on closed fd", read(fd, &c, 1));
}

static void names(void)
{
    ok_errno("rename", rename(A, B));
    errno = 0;
    ok_errno("access old name", access(A, F_OK));
    ok_errno("access new name", access(B, F_OK));
    ok_errno("unlink", unlink(B));
    errno = 0;
    ok_errno("unlink again", unlink(B));
    errno = 0;
    ok_errno("access after unlink", access(B, F_OK));
}

int main(void)
{
    open_flags();
    seeking();
    stats();
    vectors();
    descriptors();
    names();
    fflush(stdout);
    return 0;
}
