/*
 * tmpfs: the basic file operations under /tmp, which hx serves from a RAM
 * file system inside the guest (natively it is whatever /tmp is).  Work
 * happens in a fresh mkdtemp directory that is removed at the end; only
 * facts every Linux file system agrees on are printed (no directory sizes,
 * block counts or f_type values).  Nothing crosses between /tmp and the
 * cwd except by reading and writing, since natively both may be one file
 * system and under hx they are two.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

#define NOREPLACE (1u << 0)
#define EXCHANGE (1u << 1)

static void show(const char *path)
{
    char buf[128];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("  %s: -1 %s\n", path, errname(errno));
        errno = 0;
        return;
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    printf("  %s: \"%s\"\n", path, buf);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

struct entry {
    char name[256];
    unsigned char type;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void list(const char *what, const char *path)
{
    struct entry e[32];
    char buf[1024];
    int n = 0;
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        return;
    }
    long got;
    while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
        for (long off = 0; off < got;) {
            uint16_t reclen;
            memcpy(&reclen, buf + off + 16, sizeof(reclen));
            if (n < 32) {
                e[n].type = (unsigned char)buf[off + 18];
                snprintf(e[n].name, sizeof(e[n].name), "%s", buf + off + 19);
                n++;
            }
            off += reclen;
        }
    if (got < 0)
        printf("%s: getdents64 -1 %s\n", what, errname(errno));
    close(fd);
    qsort(e, (size_t)n, sizeof(e[0]), by_name);
    printf("%s:", what);
    for (int i = 0; i < n; i++)
        printf(" %s(%c)", e[i].name,
               e[i].type == 4    ? 'd'
               : e[i].type == 8  ? 'f'
               : e[i].type == 10 ? 'l'
                                 : '?');
    printf("\n");
}

static void basics(void)
{
    int fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0640);
    ok("create f O_EXCL", fd);
    ok("create f O_EXCL again", open("f", O_RDWR | O_CREAT | O_EXCL, 0640));
    val("write 26", write(fd, "abcdefghijklmnopqrstuvwxyz", 26));
    val("lseek SEEK_SET 10", lseek(fd, 10, SEEK_SET));
    char b[8] = {0};
    val("read 5", read(fd, b, 5));
    printf("got: %s\n", b);
    val("pwrite 3 at 24 (extends)", pwrite(fd, "XYZ", 3, 24));
    val("pread 4 at 23", pread(fd, b, 4, 23));
    printf("got: %.4s\n", b);
    val("lseek SEEK_END 0", lseek(fd, 0, SEEK_END));
    val("lseek SEEK_END +10 and write", lseek(fd, 10, SEEK_END));
    val("write 1", write(fd, "!", 1));
    char hole[10];
    val("pread the hole", pread(fd, hole, 10, 27));
    int z = 1;
    for (int i = 0; i < 10; i++)
        z &= hole[i] == 0;
    yes("hole reads as zeros", z);
    struct stat st;
    fstat(fd, &st);
    printf("fstat: regular %s size %lld mode %04o nlink %ld\n", S_ISREG(st.st_mode) ? "yes" : "no",
           (long long)st.st_size, (unsigned)(st.st_mode & 07777), (long)st.st_nlink);
    struct iovec v[2] = {{"12", 2}, {"345", 3}};
    val("pwritev 5 at 0", pwritev(fd, v, 2, 0));
    ok("ftruncate 8", ftruncate(fd, 8));
    close(fd);
    show("f");
    ok("truncate 3", truncate("f", 3));
    show("f");
    fd = open("f", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    val("append 2 with O_APPEND", write(fd, "++", 2));
    close(fd);
    show("f");
    fd = open("f", O_RDWR | O_TRUNC);
    fstat(fd, &st);
    printf("size after O_TRUNC: %lld\n", (long long)st.st_size);
    val("write 4", write(fd, "data", 4));
    ok("fsync", fsync(fd));
    ok("fallocate 0..4096", fallocate(fd, 0, 0, 4096));
    fstat(fd, &st);
    printf("size after fallocate: %lld\n", (long long)st.st_size);
    ok("ftruncate 4", ftruncate(fd, 4));
    close(fd);
    ok("open missing", open("missing", O_RDONLY));
    ok("open f/ (trailing slash)", open("f/", O_RDONLY));
    ok("open f O_DIRECTORY", open("f", O_RDONLY | O_DIRECTORY));

    ok("chmod 0600", chmod("f", 0600));
    stat("f", &st);
    printf("mode: %04o\n", (unsigned)(st.st_mode & 07777));
    struct timespec ts[2] = {{1000000000, 5}, {1200000000, 999999999}};
    ok("utimensat", utimensat(AT_FDCWD, "f", ts, 0));
    stat("f", &st);
    printf("times: %lld.%09ld %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    ok("access R_OK|W_OK", access("f", R_OK | W_OK));
}

static void names(void)
{
    ok("mkdir d", mkdir("d", 0755));
    ok("mkdir d again", mkdir("d", 0755));
    put("d/x", "x");
    put("d/y", "y");
    ok("mkdir d/sub", mkdir("d/sub", 0700));
    ok("symlink ../f <- d/lnk", symlink("../f", "d/lnk"));
    list("listing of d", "d");
    struct stat st;
    stat("d", &st);
    printf("nlink of d: %ld\n", (long)st.st_nlink);
    ok("rmdir non-empty d", rmdir("d"));
    ok("rmdir a file", rmdir("f"));
    ok("unlink a directory", unlink("d"));

    char buf[16];
    ssize_t n = readlink("d/lnk", buf, sizeof(buf));
    printf("readlink d/lnk: %zd \"%.*s\"\n", n, (int)(n < 0 ? 0 : n), buf);
    ok("lstat d/lnk", lstat("d/lnk", &st));
    yes("is a symlink", S_ISLNK(st.st_mode));
    show("d/lnk");
    ok("open d/lnk O_NOFOLLOW", open("d/lnk", O_RDONLY | O_NOFOLLOW));
    ok("symlink nowhere <- dangle", symlink("nowhere", "dangle"));
    ok("stat dangle", stat("dangle", &st));

    ok("link f -> d/f2", link("f", "d/f2"));
    stat("f", &st);
    printf("nlink of f: %ld\n", (long)st.st_nlink);
    ok("rename d/x over d/y", rename("d/x", "d/y"));
    show("d/y");
    ok("renameat2 NOREPLACE onto existing",
       syscall(SYS_renameat2, AT_FDCWD, "d/y", AT_FDCWD, "d/f2", NOREPLACE));
    ok("renameat2 EXCHANGE d/y d/f2",
       syscall(SYS_renameat2, AT_FDCWD, "d/y", AT_FDCWD, "d/f2", EXCHANGE));
    show("d/y");
    show("d/f2");
    ok("rename d to e", rename("d", "e"));
    yes("d gone, e/sub there", !exists("d") && exists("e/sub"));
    ok("rename e into e/sub/e", rename("e", "e/sub/e"));

    /* Open, then unlink: still there through the fd. */
    int fd = open("e/y", O_RDWR);
    ok("unlink e/y while open", unlink("e/y"));
    char c[8] = {0};
    val("pread through the fd", pread(fd, c, 7, 0));
    printf("got: %s\n", c);
    fstat(fd, &st);
    printf("nlink: %ld\n", (long)st.st_nlink);
    close(fd);
    list("listing of e", "e");
}

static void mapping(void)
{
    int fd = open("m", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ok("ftruncate m 8192", ftruncate(fd, 8192));
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        printf("mmap MAP_SHARED: %s\n", errname(errno));
        close(fd);
        return;
    }
    memcpy(p + 5000, "mapped", 6);
    ok("msync", msync(p, 8192, MS_SYNC));
    char b[8] = {0};
    if (pread(fd, b, 6, 5000) != 6)
        printf("pread: %s\n", errname(errno));
    printf("read() after msync: %s\n", b);
    munmap(p, 8192);
    p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
        p[5000] = 'M';
        if (pread(fd, b, 1, 5000) != 1)
            printf("pread: %s\n", errname(errno));
        yes("MAP_PRIVATE write not in the file", b[0] == 'm' && p[5000] == 'M');
        munmap(p, 8192);
    }
    close(fd);
}

static void locks(void)
{
    int a = open("f", O_RDWR), b = open("f", O_RDWR);
    ok("flock a LOCK_EX", flock(a, LOCK_EX));
    ok("flock b LOCK_EX|LOCK_NB", flock(b, LOCK_EX | LOCK_NB));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    ok("F_OFD_SETLK on a", fcntl(a, F_OFD_SETLK, &fl));
    ok("F_OFD_SETLK on b", fcntl(b, F_OFD_SETLK, &fl));
    close(a);
    close(b);
}

int main(void)
{
    umask(022); /* the modes printed must not depend on the caller's umask */
    struct stat st;
    if (ok("stat /tmp", stat("/tmp", &st)) == 0)
        printf("/tmp: dir %s mode %04o\n", S_ISDIR(st.st_mode) ? "yes" : "no",
               (unsigned)(st.st_mode & 07777));
    struct statfs sf;
    if (ok("statfs /tmp", statfs("/tmp", &sf)) == 0)
        yes("f_type != 0", sf.f_type != 0);

    char home[4096];
    if (!getcwd(home, sizeof(home)))
        return 1;
    char dir[] = "/tmp/hx-tmpfs-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("mkdtemp: %s\n", errname(errno));
        return 1;
    }
    stat(dir, &st);
    printf("mkdtemp dir mode: %04o\n", (unsigned)(st.st_mode & 07777));
    ok("chdir to it", chdir(dir));
    list("empty listing", ".");
    basics();
    names();
    mapping();
    locks();

    /* Copy /tmp -> cwd -> /tmp with sendfile and plain writes. */
    put("data", "between file systems\n");
    int in = open("data", O_RDONLY);
    int dirfd = open(home, O_RDONLY | O_DIRECTORY);
    int out = openat(dirfd, "from-tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    val("sendfile /tmp -> cwd", sendfile(out, in, NULL, 100));
    close(in);
    close(out);
    in = openat(dirfd, "from-tmp", O_RDONLY);
    out = open("back", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    val("sendfile cwd -> /tmp", sendfile(out, in, NULL, 100));
    close(in);
    close(out);
    show("back");
    ok("unlink the cwd copy", unlinkat(dirfd, "from-tmp", 0));
    close(dirfd);

    /* Clean up and check that nothing is left. */
    const char *files[] = {"f", "dangle", "data", "back", "m", "e/f2", "e/lnk"};
    int bad = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (unlink(files[i]) < 0) {
            printf("unlink %s: %s\n", files[i], errname(errno));
            bad = 1;
        }
    bad |= rmdir("e/sub") < 0;
    bad |= rmdir("e") < 0;
    list("listing before removing the dir", ".");
    ok("chdir back", chdir(home));
    bad |= rmdir(dir) < 0;
    yes("cleanup", !bad);
    ok("stat the removed dir", stat(dir, &st));
    return 0;
}
