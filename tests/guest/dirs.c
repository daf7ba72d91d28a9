/*
 * dirs: directories in the current directory (the runner gives every run a
 * fresh empty one) -- mkdir/mkdirat/rmdir/unlinkat and their errors,
 * getdents64 listings (sorted, since the order is the file system's),
 * chdir/fchdir/getcwd and O_DIRECTORY.  Paths are never printed raw (the
 * cwd's name is random); only their relation to the starting cwd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static void mode_of(const char *what, const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        return;
    }
    printf("%s: %s %04o\n", what, S_ISDIR(st.st_mode) ? "dir" : "not-dir",
           (unsigned)(st.st_mode & 07777));
}

static void touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        printf("create %s: -1 %s\n", path, errname(errno));
    else
        close(fd);
}

/* ---- getdents64 ---- */

struct entry {
    char name[256];
    unsigned char type;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static char type_char(unsigned char t)
{
    switch (t) {
    case 4:
        return 'd'; /* DT_DIR */
    case 8:
        return 'f'; /* DT_REG */
    case 10:
        return 'l'; /* DT_LNK */
    case 0:
        return '?'; /* DT_UNKNOWN */
    }
    return 'o';
}

/* Reads every entry of DIRFD from its current offset; returns the count
 * or -1 with errno. */
static int read_entries(int dirfd, struct entry *out, int max)
{
    char buf[1024];
    int n = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, dirfd, buf, sizeof(buf));
        if (got < 0)
            return -1;
        if (got == 0)
            return n;
        for (long off = 0; off < got;) {
            uint16_t reclen;
            memcpy(&reclen, buf + off + 16, sizeof(reclen));
            if (n < max) {
                out[n].type = (unsigned char)buf[off + 18];
                snprintf(out[n].name, sizeof(out[n].name), "%s", buf + off + 19);
            }
            n++;
            off += reclen;
        }
    }
}

static void list(const char *what, const char *path)
{
    struct entry e[64];
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        printf("%s: open -1 %s\n", what, errname(errno));
        return;
    }
    int n = read_entries(fd, e, 64);
    close(fd);
    if (n < 0) {
        printf("%s: getdents64 -1 %s\n", what, errname(errno));
        return;
    }
    if (n > 64)
        n = 64;
    qsort(e, (size_t)n, sizeof(e[0]), by_name);
    printf("%s:", what);
    for (int i = 0; i < n; i++)
        printf(" %s(%c)", e[i].name, type_char(e[i].type));
    printf("\n");
}

static void make_and_remove(void)
{
    umask(022);
    ok("mkdir d 0777", mkdir("d", 0777));
    mode_of("mode of d (umask 022)", "d");
    ok("mkdir d again", mkdir("d", 0755));
    ok("mkdir in missing parent", mkdir("nope/x", 0755));
    touch("f");
    ok("mkdir over a file", mkdir("f", 0755));
    ok("mkdir under a file", mkdir("f/x", 0755));
    ok("mkdir with trailing slash", mkdir("e/", 0755));
    ok("mkdir sticky 01777", mkdir("sticky", 01777));
    mode_of("mode of sticky", "sticky");
    ok("rmdir sticky", rmdir("sticky"));

    char longname[300];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    ok("mkdir 299-char name", mkdir(longname, 0755));

    int d = ok("open d O_DIRECTORY", open("d", O_RDONLY | O_DIRECTORY));
    ok("mkdirat(d, sub, 0700)", mkdirat(d, "sub", 0700));
    struct stat st;
    if (ok("fstatat(d, sub)", fstatat(d, "sub", &st, 0)) == 0)
        printf("mode of d/sub: %04o\n", (unsigned)(st.st_mode & 07777));
    ok("mkdirat(d, sub) again", mkdirat(d, "sub", 0700));
    ok("mkdirat(bad fd)", mkdirat(-7, "x", 0700));
    const char *names[] = {"c", "a", "b"};
    for (int i = 0; i < 3; i++) {
        int fd = openat(d, names[i], O_WRONLY | O_CREAT, 0644);
        if (fd >= 0)
            close(fd);
    }
    ok("symlinkat(a, d, lnk)", symlinkat("a", d, "lnk"));
    list("listing of d", "d");
    list("listing of d/sub", "d/sub");
    list("listing of cwd", ".");
    if (ok("stat d", stat("d", &st)) == 0)
        printf("nlink of d with one subdirectory: %ld\n", (long)st.st_nlink);
    if (ok("stat d/sub", stat("d/sub", &st)) == 0)
        printf("nlink of empty d/sub: %ld\n", (long)st.st_nlink);

    ok("rmdir non-empty d", rmdir("d"));
    ok("rmdir a file", rmdir("f"));
    ok("rmdir missing", rmdir("missing"));
    ok("rmdir .", rmdir("."));
    ok("rmdir d/sub/..", rmdir("d/sub/.."));
    ok("rmdir e/ (trailing slash)", rmdir("e/"));
    ok("unlink a directory", unlink("d"));
    ok("unlinkat(d, sub, 0)", unlinkat(d, "sub", 0));
    ok("unlinkat(cwd, f, AT_REMOVEDIR)", unlinkat(AT_FDCWD, "f", AT_REMOVEDIR));
    ok("unlinkat bad flags", unlinkat(d, "a", 0x1));
    ok("unlinkat(d, sub, AT_REMOVEDIR)", unlinkat(d, "sub", AT_REMOVEDIR));
    ok("unlinkat(d, sub, AT_REMOVEDIR) again", unlinkat(d, "sub", AT_REMOVEDIR));
    if (ok("stat d after removing sub", stat("d", &st)) == 0)
        printf("nlink of d without subdirectories: %ld\n", (long)st.st_nlink);
    close(d);
}

static void dents(void)
{
    char buf[1024];
    int d = open("d", O_RDONLY | O_DIRECTORY);
    struct entry e[64];
    int n1 = read_entries(d, e, 64);
    printf("entries in d: %d\n", n1);
    ok("getdents64 at end returns 0", syscall(SYS_getdents64, d, buf, sizeof(buf)) == 0 ? 0 : -1);
    ok("lseek dir to 0", lseek(d, 0, SEEK_SET));
    yes("same count after rewind", read_entries(d, e, 64) == n1);
    lseek(d, 0, SEEK_SET);
    ok("getdents64 with an 8-byte buffer", syscall(SYS_getdents64, d, buf, 8));
    close(d);
    int f = open("d/a", O_RDONLY);
    ok("getdents64 on a file", syscall(SYS_getdents64, f, buf, sizeof(buf)));
    close(f);
    ok("getdents64 on a closed fd", syscall(SYS_getdents64, f, buf, sizeof(buf)));
}

static void o_directory(void)
{
    int fd;
    fd = ok("open d/ (trailing slash)", open("d/", O_RDONLY));
    close(fd);
    ok("open file O_DIRECTORY", open("d/a", O_RDONLY | O_DIRECTORY));
    ok("open missing O_DIRECTORY", open("d/zz", O_RDONLY | O_DIRECTORY));
    ok("open file with trailing slash", open("d/a/", O_RDONLY));
    struct stat st;
    ok("stat file with trailing slash", stat("d/a/", &st));
    ok("open dir O_WRONLY", open("d", O_WRONLY));
    ok("open dir O_RDWR", open("d", O_RDWR));
    ok("open dir O_CREAT (existing)", open("d", O_RDONLY | O_CREAT, 0644));
    fd = ok("open . O_DIRECTORY", open(".", O_RDONLY | O_DIRECTORY));
    if (fd >= 0 && fstat(fd, &st) == 0)
        yes("fstat . is a directory", S_ISDIR(st.st_mode));
    close(fd);
    ok("stat ..", stat("..", &st));
    yes(".. is a directory", S_ISDIR(st.st_mode));
}

static void cwd(void)
{
    char orig[4096], now[4096], want[4200];
    if (!getcwd(orig, sizeof(orig))) {
        printf("getcwd: -1 %s\n", errname(errno));
        return;
    }
    yes("getcwd is absolute", orig[0] == '/');
    long r = syscall(SYS_getcwd, now, sizeof(now));
    yes("getcwd syscall returns strlen+1", r == (long)strlen(orig) + 1);
    ok("getcwd syscall with 1-byte buffer", syscall(SYS_getcwd, now, 1));
    int home = open(".", O_RDONLY | O_DIRECTORY);

    ok("chdir d", chdir("d"));
    snprintf(want, sizeof(want), "%s/d", orig);
    yes("getcwd is cwd/d", getcwd(now, sizeof(now)) && strcmp(now, want) == 0);
    int fd = ok("open a relative to new cwd", open("a", O_RDONLY));
    close(fd);
    ok("chdir ..", chdir(".."));
    yes("getcwd back at cwd", getcwd(now, sizeof(now)) && strcmp(now, orig) == 0);

    int d = open("d", O_RDONLY | O_DIRECTORY);
    ok("fchdir d", fchdir(d));
    yes("getcwd after fchdir is cwd/d", getcwd(now, sizeof(now)) && strcmp(now, want) == 0);
    ok("fchdir home", fchdir(home));
    yes("getcwd after fchdir home", getcwd(now, sizeof(now)) && strcmp(now, orig) == 0);
    fd = open("d/a", O_RDONLY);
    ok("fchdir to a file", fchdir(fd));
    close(fd);
    ok("fchdir to a closed fd", fchdir(fd));
    ok("chdir to a file", chdir("d/a"));
    ok("chdir missing", chdir("missing"));
    close(d);

    /* A deep path, and back up through "..". */
    ok("mkdir p", mkdir("p", 0755));
    ok("mkdir p/q", mkdir("p/q", 0755));
    ok("mkdir p/q/r", mkdir("p/q/r", 0755));
    ok("chdir p/q/r", chdir("p/q/r"));
    snprintf(want, sizeof(want), "%s/p/q/r", orig);
    yes("getcwd is cwd/p/q/r", getcwd(now, sizeof(now)) && strcmp(now, want) == 0);
    ok("chdir ../../..", chdir("../../.."));
    yes("getcwd back at cwd", getcwd(now, sizeof(now)) && strcmp(now, orig) == 0);
    ok("chdir p/./q/../q/r/", chdir("p/./q/../q/r/"));
    yes("getcwd is cwd/p/q/r", getcwd(now, sizeof(now)) && strcmp(now, want) == 0);

    /* Removing the cwd is allowed; afterwards getcwd fails and nothing
     * can be created in it. */
    ok("rmdir ../r (the cwd)", rmdir("../r"));
    ok("getcwd in a removed directory", getcwd(now, sizeof(now)) ? 0 : -1);
    ok("create in a removed cwd", open("x", O_WRONLY | O_CREAT, 0644));
    ok("fchdir home", fchdir(home));
    ok("rmdir p/q", rmdir("p/q"));
    ok("rmdir p", rmdir("p"));
    close(home);
}

static void cleanup(void)
{
    const char *files[] = {"d/a", "d/b", "d/c", "d/lnk", "f"};
    int bad = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        bad |= unlink(files[i]) < 0;
    bad |= rmdir("d") < 0;
    yes("cleanup", !bad);
    list("listing of cwd at the end", ".");
}

int main(void)
{
    make_and_remove();
    dents();
    o_directory();
    cwd();
    cleanup();
    return 0;
}
