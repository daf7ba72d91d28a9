/*
 * fsmisc: the rest of the file API on files in the current directory (fresh
 * and empty for every run): truncate/ftruncate, fallocate, the chmod family
 * and the resulting modes, utimensat/futimens with fixed times, umask and
 * creat, access/faccessat, chown to oneself, preadv/pwritev, sendfile and
 * copy_file_range between files, memfd_create, O_TMPFILE in /tmp, openat2
 * and statfs.  The raw syscall is used where musl 1.2.3 has no wrapper
 * (copy_file_range, memfd_create, openat2, faccessat2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define FALLOC_KEEP_SIZE 0x01
#define FALLOC_PUNCH_HOLE 0x02
#define MFD_CLOEXEC_ 0x0001u
#define RESOLVE_BENEATH_ 0x08
#define RESOLVE_NO_SYMLINKS_ 0x04

struct open_how_ {
    uint64_t flags, mode, resolve;
};

static long long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) < 0 ? -1 : (long long)st.st_size;
}

static void show_mode(const char *what, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: %04o\n", what, (unsigned)(st.st_mode & 07777));
    errno = 0;
}

/* 1 if LEN bytes of FD from OFF all equal C. */
static int bytes_are(int fd, off_t off, size_t len, char c)
{
    char buf[256];
    while (len > 0) {
        size_t n = len < sizeof(buf) ? len : sizeof(buf);
        if (pread(fd, buf, n, off) != (ssize_t)n)
            return 0;
        for (size_t i = 0; i < n; i++)
            if (buf[i] != c)
                return 0;
        len -= n;
        off += (off_t)n;
    }
    return 1;
}

static void show_fd(const char *what, int fd, off_t off, size_t len)
{
    char buf[128];
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    ssize_t n = pread(fd, buf, len, off);
    if (n < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        errno = 0;
        return;
    }
    buf[n] = 0;
    printf("%s: \"%s\"\n", what, buf);
}

static void truncation(void)
{
    put("t", "hello world");
    ok("truncate to 5", truncate("t", 5));
    printf("size: %lld\n", size_of("t"));
    ok("truncate to 20", truncate("t", 20));
    printf("size: %lld\n", size_of("t"));
    int fd = open("t", O_RDWR);
    show_fd("first 5 bytes", fd, 0, 5);
    yes("bytes 5..19 are zeros", bytes_are(fd, 5, 15, 0));
    lseek(fd, 7, SEEK_SET);
    ok("ftruncate to 0", ftruncate(fd, 0));
    val("offset unchanged by ftruncate", lseek(fd, 0, SEEK_CUR));
    ok("ftruncate to 3", ftruncate(fd, 3));
    yes("3 zero bytes", size_of("t") == 3 && bytes_are(fd, 0, 3, 0));
    ok("ftruncate to -1", ftruncate(fd, -1));
    close(fd);
    ok("truncate missing", truncate("missing", 0));
    ok("truncate negative", truncate("t", -1));
    ok("truncate a directory", truncate(".", 0));
    fd = open("t", O_RDONLY);
    ok("ftruncate an O_RDONLY fd", ftruncate(fd, 0));
    close(fd);
    fd = open(".", O_RDONLY | O_DIRECTORY);
    ok("ftruncate a directory fd", ftruncate(fd, 0));
    close(fd);
    ok("ftruncate a closed fd", ftruncate(fd, 0));
}

static void allocation(void)
{
    int fd = open("fa", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ok("fallocate 0..8192", fallocate(fd, 0, 0, 8192));
    printf("size: %lld\n", size_of("fa"));
    yes("reads as zeros", bytes_are(fd, 0, 8192, 0));
    ok("fallocate KEEP_SIZE 8192..16384", fallocate(fd, FALLOC_KEEP_SIZE, 8192, 8192));
    printf("size after KEEP_SIZE: %lld\n", size_of("fa"));
    ok("fallocate 100..200 inside (no change)", fallocate(fd, 0, 100, 100));
    printf("size: %lld\n", size_of("fa"));
    char buf[4096];
    memset(buf, 'D', sizeof(buf));
    if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
        printf("pwrite: %s\n", errname(errno));
    ok("fallocate PUNCH_HOLE|KEEP_SIZE 1024..2048",
       fallocate(fd, FALLOC_PUNCH_HOLE | FALLOC_KEEP_SIZE, 1024, 1024));
    yes("hole reads as zeros", bytes_are(fd, 1024, 1024, 0));
    yes("data around it kept", bytes_are(fd, 0, 1024, 'D') && bytes_are(fd, 2048, 2048, 'D'));
    printf("size: %lld\n", size_of("fa"));
    ok("fallocate PUNCH_HOLE without KEEP_SIZE", fallocate(fd, FALLOC_PUNCH_HOLE, 0, 10));
    ok("fallocate length 0", fallocate(fd, 0, 0, 0));
    ok("fallocate negative offset", fallocate(fd, 0, -1, 10));
    close(fd);
    fd = open("fa", O_RDONLY);
    ok("fallocate on an O_RDONLY fd", fallocate(fd, 0, 0, 10));
    close(fd);
    ok("unlink fa", unlink("fa"));
}

static void modes(void)
{
    umask(022);
    put("m", "m");
    show_mode("created 0644 with umask 022", "m");
    ok("chmod 0600", chmod("m", 0600));
    show_mode("mode", "m");
    int fd = open("m", O_RDONLY);
    ok("fchmod 0640 (through an O_RDONLY fd)", fchmod(fd, 0640));
    show_mode("mode", "m");
    ok("fchmodat 0755", fchmodat(AT_FDCWD, "m", 0755, 0));
    show_mode("mode", "m");
    ok("chmod 0", chmod("m", 0));
    show_mode("mode", "m");
    ok("chmod 0644", chmod("m", 0644));
    ok("chmod missing", chmod("missing", 0644));
    ok("fchmod closed fd", fchmod(-1, 0644));
    ok("symlink m <- ml", symlink("m", "ml"));
    ok("chmod 0604 through the symlink", chmod("ml", 0604));
    show_mode("target mode", "m");
    struct stat st;
    lstat("ml", &st);
    printf("symlink's own mode: %04o\n", (unsigned)(st.st_mode & 07777));
    close(fd);

    /* umask applies to creat/open/mkdir, not to chmod. */
    printf("umask(077) returns: %03o\n", (unsigned)umask(077));
    fd = creat("u1", 0666);
    show_mode("creat 0666 with umask 077", "u1");
    if (write(fd, "data", 4) != 4)
        printf("write: %s\n", errname(errno));
    close(fd);
    printf("umask(0) returns: %03o\n", (unsigned)umask(0));
    fd = creat("u2", 0666);
    close(fd);
    show_mode("creat 0666 with umask 0", "u2");
    ok("mkdir 0777 with umask 0", mkdir("ud", 0777));
    show_mode("mode", "ud");
    printf("umask(022) returns: %03o\n", (unsigned)umask(022));
    fd = creat("u1", 0644);
    yes("creat of an existing file truncates it", size_of("u1") == 0);
    show_mode("and keeps its mode", "u1");
    yes("creat gives a write-only fd", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY);
    close(fd);
    unlink("u1");
    unlink("u2");
    rmdir("ud");

    /* access: F/R/W always for the owner here; X_OK needs an x bit even
     * for root. */
    ok("access R_OK|W_OK", access("m", R_OK | W_OK));
    ok("access X_OK on 0644", access("m", X_OK));
    chmod("m", 0755);
    ok("access X_OK on 0755", access("m", X_OK));
    ok("access missing", access("missing", F_OK));
    ok("access bad mode", access("m", 0x40));
    ok("faccessat AT_EACCESS", faccessat(AT_FDCWD, "m", R_OK, AT_EACCESS));
    ok("faccessat2 AT_SYMLINK_NOFOLLOW on a symlink",
       syscall(SYS_faccessat2, AT_FDCWD, "ml", F_OK, AT_SYMLINK_NOFOLLOW));
    ok("faccessat2 bad flags", syscall(SYS_faccessat2, AT_FDCWD, "m", F_OK, 0x1));

    /* Changing the owner to what it already is. */
    fd = open("m", O_RDONLY);
    ok("fchown -1 -1", fchown(fd, (uid_t)-1, (gid_t)-1));
    close(fd);
    ok("chown to own uid and gid", chown("m", getuid(), getgid()));
    ok("fchownat symlink AT_SYMLINK_NOFOLLOW -1 -1",
       fchownat(AT_FDCWD, "ml", (uid_t)-1, (gid_t)-1, AT_SYMLINK_NOFOLLOW));
    ok("chown missing", chown("missing", getuid(), getgid()));
    show_mode("mode after chown", "m");
}

static void print_times(const char *what, const char *path, int flags)
{
    struct stat st;
    if (fstatat(AT_FDCWD, path, &st, flags) < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        errno = 0;
        return;
    }
    printf("%s: atime %lld.%09ld mtime %lld.%09ld\n", what, (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void file_times(void)
{
    struct timespec ts[2] = {{1000000000, 123456789}, {1234567890, 500000000}};
    ok("utimensat fixed times", utimensat(AT_FDCWD, "m", ts, 0));
    print_times("stat", "m", 0);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {2000000000, 0}};
    ok("utimensat atime UTIME_OMIT", utimensat(AT_FDCWD, "m", omit, 0));
    print_times("stat", "m", 0);
    int fd = open("m", O_RDONLY);
    struct timespec f[2] = {{1500000000, 1}, {1500000001, 2}};
    ok("futimens", futimens(fd, f));
    print_times("stat", "m", 0);
    struct timespec before;
    clock_gettime(CLOCK_REALTIME, &before);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    ok("futimens UTIME_NOW", futimens(fd, now));
    struct stat st;
    fstat(fd, &st);
    yes("mtime is now (within 10 s)",
        st.st_mtim.tv_sec >= before.tv_sec - 1 && st.st_mtim.tv_sec <= before.tv_sec + 10);
    close(fd);

    struct timespec l[2] = {{1100000000, 0}, {1100000000, 7}};
    ok("utimensat the symlink itself (AT_SYMLINK_NOFOLLOW)",
       utimensat(AT_FDCWD, "ml", l, AT_SYMLINK_NOFOLLOW));
    print_times("lstat ml", "ml", AT_SYMLINK_NOFOLLOW);
    yes("target untouched",
        (fstatat(AT_FDCWD, "m", &st, 0) == 0 && st.st_mtim.tv_sec != 1100000000));
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    ok("utimensat tv_nsec 1e9", utimensat(AT_FDCWD, "m", bad, 0));
    ok("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0));
    ok("utimensat bad flags", utimensat(AT_FDCWD, "m", ts, 0x1));

    /* A write updates mtime. */
    ok("utimensat back to 1234567890", utimensat(AT_FDCWD, "m", ts, 0));
    fd = open("m", O_WRONLY);
    if (write(fd, "x", 1) != 1)
        printf("write: %s\n", errname(errno));
    fstat(fd, &st);
    yes("write moved mtime forward", st.st_mtim.tv_sec > 1234567890);
    close(fd);
}

static void vectors(void)
{
    int fd = open("v", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(fd, "0123456789", 10) != 10)
        printf("write: %s\n", errname(errno));
    struct iovec w[2] = {{"AB", 2}, {"CDE", 3}};
    val("pwritev 5 bytes at 3", pwritev(fd, w, 2, 3));
    val("offset unchanged", lseek(fd, 0, SEEK_CUR));
    char a[3] = {0}, b[5] = {0};
    struct iovec r[2] = {{a, 2}, {b, 4}};
    val("preadv 6 bytes at 2", preadv(fd, r, 2, 2));
    printf("pieces: [%s] [%s]\n", a, b);
    val("preadv at EOF", preadv(fd, r, 2, 10));
    val("preadv negative offset", preadv(fd, r, 2, -1));
    val("pwritev 5 bytes at 20 (leaves a hole)", pwritev(fd, w, 2, 20));
    printf("size: %lld\n", size_of("v"));
    yes("hole is zeros", bytes_are(fd, 10, 10, 0));
    close(fd);

    /* With O_APPEND, Linux appends whatever offset pwrite is given. */
    fd = open("v", O_WRONLY | O_APPEND);
    val("pwrite at 0 with O_APPEND", pwrite(fd, "!", 1, 0));
    close(fd);
    printf("size after: %lld\n", size_of("v"));
    fd = open("v", O_RDONLY);
    show_fd("last byte", fd, 25, 1);
    show_fd("first byte", fd, 0, 1);
    close(fd);
    fd = open(".", O_RDONLY | O_DIRECTORY);
    char c;
    val("pread on a directory", pread(fd, &c, 1, 0));
    close(fd);
    unlink("v");
}

static void copies(void)
{
    char buf[10000];
    for (int i = 0; i < (int)sizeof(buf); i++)
        buf[i] = (char)('A' + i % 23);
    int in = open("src", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(in, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
        printf("write: %s\n", errname(errno));
    lseek(in, 0, SEEK_SET);
    int out = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);

    off_t off = 100;
    val("sendfile 5000 bytes from offset 100", sendfile(out, in, &off, 5000));
    val("offset variable now", off);
    val("in's file offset unchanged", lseek(in, 0, SEEK_CUR));
    val("out's file offset advanced", lseek(out, 0, SEEK_CUR));
    lseek(in, 9000, SEEK_SET);
    val("sendfile NULL offset, 5000 asked, 1000 left", sendfile(out, in, NULL, 5000));
    val("in's file offset now", lseek(in, 0, SEEK_CUR));
    val("sendfile at EOF", sendfile(out, in, NULL, 10));
    char got[6000];
    ssize_t n = pread(out, got, sizeof(got), 0);
    yes("dst is src[100..5100) + src[9000..10000)", n == 6000 &&
                                                        memcmp(got, buf + 100, 5000) == 0 &&
                                                        memcmp(got + 5000, buf + 9000, 1000) == 0);
    int wo = open("src", O_WRONLY);
    val("sendfile from an O_WRONLY fd", sendfile(out, wo, NULL, 10));
    close(wo);
    int ap = open("dst", O_WRONLY | O_APPEND);
    off = 0;
    val("sendfile to an O_APPEND fd", sendfile(ap, in, &off, 10));
    off = 0;
    val("sendfile of a count past SSIZE_MAX", sendfile(out, in, &off, SIZE_MAX));
    off = INT64_MAX - 2;
    val("sendfile past the largest offset", sendfile(out, in, &off, 5));

    /* copy_file_range */
    int out2 = open("dst2", O_RDWR | O_CREAT | O_TRUNC, 0644);
    loff_t oi = 10, oo = 0;
    val("copy_file_range 3000 bytes", syscall(SYS_copy_file_range, in, &oi, out2, &oo, 3000, 0));
    printf("offsets now: %lld %lld\n", (long long)oi, (long long)oo);
    val("out's file offset unchanged", lseek(out2, 0, SEEK_CUR));
    lseek(in, 8000, SEEK_SET);
    lseek(out2, 3000, SEEK_SET);
    val("copy_file_range NULL offsets, 5000 asked",
        syscall(SYS_copy_file_range, in, NULL, out2, NULL, 5000, 0));
    val("in's file offset now", lseek(in, 0, SEEK_CUR));
    val("out's file offset now", lseek(out2, 0, SEEK_CUR));
    n = pread(out2, got, sizeof(got), 0);
    yes("dst2 is src[10..3010) + src[8000..10000)",
        n == 5000 && memcmp(got, buf + 10, 3000) == 0 && memcmp(got + 3000, buf + 8000, 2000) == 0);
    oi = 20000;
    val("copy_file_range past EOF", syscall(SYS_copy_file_range, in, &oi, out2, NULL, 10, 0));
    oi = 10;
    val("copy_file_range of a length that wraps the offset",
        syscall(SYS_copy_file_range, in, &oi, out2, NULL, SIZE_MAX, 0));
    oi = 0;
    val("copy_file_range flags 1", syscall(SYS_copy_file_range, in, &oi, out2, NULL, 10, 1));
    oi = 0;
    oo = 10;
    val("copy_file_range overlapping in one file",
        syscall(SYS_copy_file_range, in, &oi, in, &oo, 100, 0));
    oi = 0;
    val("copy_file_range to an O_APPEND fd",
        syscall(SYS_copy_file_range, in, &oi, ap, NULL, 10, 0));
    close(ap);
    close(in);
    close(out);
    close(out2);
    unlink("src");
    unlink("dst");
    unlink("dst2");
}

static void memfd(void)
{
    int fd = (int)syscall(SYS_memfd_create, "hx-test", MFD_CLOEXEC_);
    if (ok("memfd_create MFD_CLOEXEC", fd) < 0)
        return;
    yes("FD_CLOEXEC set", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    struct stat st;
    fstat(fd, &st);
    yes("a regular file of size 0", S_ISREG(st.st_mode) && st.st_size == 0);
    val("write 11", write(fd, "memfd data\n", 11));
    show_fd("pread", fd, 0, 11);
    ok("ftruncate 8192", ftruncate(fd, 8192));
    fstat(fd, &st);
    printf("size: %lld\n", (long long)st.st_size);
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        printf("mmap MAP_SHARED: %s\n", errname(errno));
    } else {
        yes("map shows the data", memcmp(p, "memfd data\n", 11) == 0 && p[8191] == 0);
        memcpy(p + 4096, "via map", 7);
        ok("msync", msync(p, 8192, MS_SYNC));
        show_fd("pread after msync", fd, 4096, 7);
        munmap(p, 8192);
    }
    val("lseek SEEK_END", lseek(fd, 0, SEEK_END));
    close(fd);
    fd = (int)syscall(SYS_memfd_create, "plain", 0);
    yes("without MFD_CLOEXEC no FD_CLOEXEC", fd >= 0 && fcntl(fd, F_GETFD) == 0);
    close(fd);
    ok("memfd_create bad flags", syscall(SYS_memfd_create, "x", 0x1000u));
    char longname[300];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    ok("memfd_create 299-char name", syscall(SYS_memfd_create, longname, 0));
}

static void o_tmpfile(void)
{
    int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (ok("open /tmp O_TMPFILE|O_RDWR", fd) >= 0) {
        struct stat st;
        fstat(fd, &st);
        yes("regular, nlink 0, mode 0600",
            S_ISREG(st.st_mode) && st.st_nlink == 0 && (st.st_mode & 07777) == 0600);
        val("write 7", write(fd, "tmpfile", 7));
        show_fd("pread", fd, 0, 7);
        close(fd);
    }
    ok("open /tmp O_TMPFILE|O_RDONLY", open("/tmp", O_TMPFILE | O_RDONLY, 0600));
    ok("open file O_TMPFILE", open("m", O_TMPFILE | O_RDWR, 0600));
    fd = open(".", O_TMPFILE | O_WRONLY, 0640);
    if (ok("open . O_TMPFILE|O_WRONLY", fd) >= 0) {
        val("write 3", write(fd, "abc", 3));
        close(fd);
    }
}

static void resolve(void)
{
    struct open_how_ how = {O_RDONLY, 0, 0};
    long fd = syscall(SYS_openat2, AT_FDCWD, "m", &how, sizeof(how));
    ok("openat2 plain", fd);
    close((int)fd);
    how.resolve = RESOLVE_BENEATH_;
    ok("openat2 RESOLVE_BENEATH ../x", syscall(SYS_openat2, AT_FDCWD, "../x", &how, sizeof(how)));
    ok("openat2 RESOLVE_BENEATH /etc", syscall(SYS_openat2, AT_FDCWD, "/etc", &how, sizeof(how)));
    how.resolve = RESOLVE_NO_SYMLINKS_;
    ok("openat2 RESOLVE_NO_SYMLINKS on a symlink",
       syscall(SYS_openat2, AT_FDCWD, "ml", &how, sizeof(how)));
    how.resolve = 0;
    how.mode = 0644;
    ok("openat2 mode without O_CREAT", syscall(SYS_openat2, AT_FDCWD, "m", &how, sizeof(how)));
    how.mode = 0;
    ok("openat2 size 8", syscall(SYS_openat2, AT_FDCWD, "m", &how, (size_t)8));
    how.resolve = 1u << 30;
    ok("openat2 unknown resolve flag", syscall(SYS_openat2, AT_FDCWD, "m", &how, sizeof(how)));
}

static void filesystems(void)
{
    struct statfs a, b;
    if (ok("statfs .", statfs(".", &a)) == 0) {
        yes("f_type != 0", a.f_type != 0);
        yes("f_bsize > 0", a.f_bsize > 0);
    }
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    if (ok("fstatfs .", fstatfs(fd, &b)) == 0)
        yes("same f_type as statfs", a.f_type == b.f_type);
    close(fd);
    ok("statfs missing", statfs("missing", &a));
    ok("fstatfs closed fd", fstatfs(fd, &a));
    fd = open("m", O_WRONLY);
    ok("fsync", fsync(fd));
    ok("fdatasync", fdatasync(fd));
    close(fd);
    ok("fsync closed fd", fsync(fd));
    struct stat st;
    fd = open("m", O_RDONLY);
    if (ok("fstatat(fd, \"\", AT_EMPTY_PATH)", fstatat(fd, "", &st, AT_EMPTY_PATH)) == 0)
        yes("is the file", S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0755);
    ok("fstatat(fd, \"\", 0)", fstatat(fd, "", &st, 0));
    close(fd);
}

int main(void)
{
    umask(022); /* the modes printed must not depend on the caller's umask */
    truncation();
    allocation();
    modes();
    file_times();
    vectors();
    copies();
    memfd();
    o_tmpfile();
    resolve();
    filesystems();
    unlink("m");
    unlink("ml");
    unlink("t");
    return 0;
}
