/*
 * links: symbolic and hard links in the current directory (fresh and empty
 * for every run) -- symlink/symlinkat/readlink/readlinkat, lstat against
 * stat, O_NOFOLLOW, dangling and looping links, link/linkat and the link
 * counts they leave.  Inode numbers are only compared, never printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static const char *kind(mode_t m)
{
    if (S_ISREG(m))
        return "file";
    if (S_ISDIR(m))
        return "dir";
    if (S_ISLNK(m))
        return "symlink";
    return "other";
}

/* Prints the content of PATH (opened with FLAGS), or the errno. */
static void show(const char *what, const char *path, int flags)
{
    char buf[128];
    int fd = open(path, O_RDONLY | flags);
    if (fd < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        errno = 0;
        return;
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0) {
        printf("%s: read -1 %s\n", what, errname(errno));
        return;
    }
    buf[n] = 0;
    printf("%s: \"%s\"\n", what, buf);
}

static void stats(const char *path)
{
    struct stat l, s;
    char what[160];
    snprintf(what, sizeof(what), "lstat %s", path);
    if (ok(what, lstat(path, &l)) == 0)
        printf("  lstat type %s size %lld\n", kind(l.st_mode), (long long)l.st_size);
    snprintf(what, sizeof(what), "stat %s", path);
    if (ok(what, stat(path, &s)) == 0)
        printf("  stat type %s size %lld\n", kind(s.st_mode),
               S_ISDIR(s.st_mode)
                   ? 0LL
                   : (long long)s.st_size); /* a directory's size is the file system's */
}

static void show_link(const char *what, const char *path)
{
    char buf[128];
    memset(buf, '#', sizeof(buf));
    ssize_t n = readlink(path, buf, sizeof(buf));
    if (n < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        errno = 0;
        return;
    }
    printf("%s: %zd \"%.*s\"\n", what, n, (int)n, buf);
}

static void symlinks(void)
{
    put("target", "target content\n");
    ok("symlink target <- sl", symlink("target", "sl"));
    show_link("readlink sl", "sl");
    stats("sl");
    show("read through sl", "sl", 0);
    show("open sl O_NOFOLLOW", "sl", O_NOFOLLOW);
    show("open target O_NOFOLLOW", "target", O_NOFOLLOW);
    struct stat st;
    if (ok("fstatat sl AT_SYMLINK_NOFOLLOW", fstatat(AT_FDCWD, "sl", &st, AT_SYMLINK_NOFOLLOW)) ==
        0)
        printf("  type %s\n", kind(st.st_mode));
    ok("symlink over an existing name", symlink("x", "sl"));
    ok("symlink with an empty target", symlink("", "empty"));
    ok("symlink in a missing directory", symlink("target", "nodir/sl"));

    /* readlink: no NUL added, silently truncated, EINVAL on non-links. */
    char small[4];
    memset(small, '#', sizeof(small));
    ssize_t n = readlink("sl", small, sizeof(small));
    printf("readlink into 4 bytes: %zd \"%.4s\"\n", n, small);
    show_link("readlink a regular file", "target");
    show_link("readlink missing", "missing");
    ok("readlink with size 0", readlink("sl", small, 0));

    /* symlinkat / readlinkat relative to a directory descriptor. */
    ok("mkdir sub", mkdir("sub", 0755));
    int d = open("sub", O_RDONLY | O_DIRECTORY);
    ok("symlinkat(../target, sub, up)", symlinkat("../target", d, "up"));
    char buf[64];
    n = readlinkat(d, "up", buf, sizeof(buf));
    if (n < 0)
        printf("readlinkat sub/up: -1 %s\n", errname(errno));
    else
        printf("readlinkat sub/up: %zd \"%.*s\"\n", n, (int)n, buf);
    show("read through sub/up", "sub/up", 0);
    n = readlinkat(AT_FDCWD, "sl", buf, sizeof(buf));
    printf("readlinkat(AT_FDCWD, sl): %zd\n", n);
    n = readlinkat(d, "", buf, sizeof(buf));
    printf("readlinkat(dirfd, \"\"): %s\n", n < 0 ? errname(errno) : "ok");

    /* A link to a directory, and paths through it. */
    ok("symlink sub <- sldir", symlink("sub", "sldir"));
    stats("sldir");
    show("read sldir/up", "sldir/up", 0);
    show("open sldir/up O_NOFOLLOW (last component is a link)", "sldir/up", O_NOFOLLOW);
    put("sub/plain", "plain\n");
    show("open sldir/plain O_NOFOLLOW (link in the middle)", "sldir/plain", O_NOFOLLOW);
    int fd = open("sldir", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    ok("open sldir O_DIRECTORY|O_NOFOLLOW", fd);
    if (fd >= 0)
        close(fd);
    fd = open("sldir/", O_RDONLY | O_DIRECTORY);
    ok("open sldir/ O_DIRECTORY", fd);
    close(fd);
    ok("rmdir sldir (a link)", rmdir("sldir"));
    ok("unlink sldir/ (trailing slash)", unlink("sldir/"));

    /* An absolute link to a file in the cwd. */
    char cwd[4096], abs[4200];
    if (getcwd(cwd, sizeof(cwd))) {
        snprintf(abs, sizeof(abs), "%s/target", cwd);
        ok("symlink absolute path <- abslink", symlink(abs, "abslink"));
        char got[4200];
        n = readlink("abslink", got, sizeof(got) - 1);
        if (n >= 0)
            got[n] = 0;
        yes("readlink abslink is the absolute path", n >= 0 && strcmp(got, abs) == 0);
        show("read through abslink", "abslink", 0);
    }

    /* Dangling links: lstat works, stat and open fail, O_CREAT makes the
     * target unless O_EXCL is given. */
    ok("symlink nowhere <- dangle", symlink("nowhere", "dangle"));
    stats("dangle");
    show("open dangle", "dangle", 0);
    show_link("readlink dangle", "dangle");
    ok("access dangle", access("dangle", F_OK));
    ok("faccessat dangle AT_SYMLINK_NOFOLLOW",
       faccessat(AT_FDCWD, "dangle", F_OK, AT_SYMLINK_NOFOLLOW));
    ok("open dangle O_CREAT|O_EXCL", open("dangle", O_WRONLY | O_CREAT | O_EXCL, 0644));
    ok("access nowhere after O_EXCL", access("nowhere", F_OK));
    fd = open("dangle", O_WRONLY | O_CREAT, 0644);
    ok("open dangle O_CREAT", fd);
    if (fd >= 0) {
        if (write(fd, "made\n", 5) != 5)
            printf("write: %s\n", errname(errno));
        close(fd);
    }
    show("read nowhere (created through dangle)", "nowhere", 0);
    stats("dangle");

    /* Loops. */
    ok("symlink loop2 <- loop1", symlink("loop2", "loop1"));
    ok("symlink loop1 <- loop2", symlink("loop1", "loop2"));
    stats("loop1");
    show("open loop1", "loop1", 0);
    show("open loop1 O_NOFOLLOW", "loop1", O_NOFOLLOW);
    ok("open loop1 O_CREAT", open("loop1", O_WRONLY | O_CREAT, 0644));
    ok("mkdir loop1/x", mkdir("loop1/x", 0755));
    ok("symlink self <- self", symlink("self", "self"));
    show("open self", "self", 0);

    /* unlink removes the link, not its target. */
    ok("unlink sl", unlink("sl"));
    ok("lstat sl after unlink", lstat("sl", &st));
    show("target still readable", "target", 0);
    close(d);
}

static nlink_t links_of(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return 0;
    return st.st_nlink;
}

static void hardlinks(void)
{
    struct stat a, b;
    put("h1", "hard\n");
    printf("nlink h1: %ld\n", (long)links_of("h1"));
    ok("link h1 -> h2", link("h1", "h2"));
    printf("nlink h1 after link: %ld\n", (long)links_of("h1"));
    stat("h1", &a);
    stat("h2", &b);
    yes("h1 and h2 are the same inode", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    int d = open("sub", O_RDONLY | O_DIRECTORY);
    ok("linkat(cwd h1, sub h3)", linkat(AT_FDCWD, "h1", d, "h3", 0));
    printf("nlink h1 after linkat: %ld\n", (long)links_of("h1"));
    int fd = open("h2", O_WRONLY | O_APPEND);
    if (write(fd, "more\n", 5) != 5)
        printf("append: %s\n", errname(errno));
    close(fd);
    show("h1 after appending through h2", "h1", 0);
    show("sub/h3 after appending through h2", "sub/h3", 0);
    ok("unlink h2", unlink("h2"));
    printf("nlink h1 after unlink h2: %ld\n", (long)links_of("h1"));
    fd = open("h1", O_RDONLY);
    ok("unlink h1", unlink("h1"));
    struct stat f;
    fstat(fd, &f);
    printf("nlink via the open fd after unlink h1: %ld\n", (long)f.st_nlink);
    close(fd);
    printf("nlink sub/h3: %ld\n", (long)links_of("sub/h3"));

    ok("link over an existing name", link("sub/h3", "target"));
    ok("link missing", link("missing", "x"));
    ok("link a directory", link("sub", "subhard"));
    ok("link into a missing directory", link("sub/h3", "nodir/x"));
    ok("linkat bad flags", linkat(AT_FDCWD, "sub/h3", AT_FDCWD, "x", 0x1));

    /* link() does not follow a final symlink; AT_SYMLINK_FOLLOW does. */
    ok("symlink target <- tl", symlink("target", "tl"));
    ok("link tl -> tl-hard", link("tl", "tl-hard"));
    if (lstat("tl-hard", &a) == 0)
        printf("tl-hard is a %s\n", kind(a.st_mode));
    ok("linkat tl -> tl-follow AT_SYMLINK_FOLLOW",
       linkat(AT_FDCWD, "tl", AT_FDCWD, "tl-follow", AT_SYMLINK_FOLLOW));
    if (lstat("tl-follow", &a) == 0)
        printf("tl-follow is a %s, nlink %ld\n", kind(a.st_mode), (long)a.st_nlink);
    printf("nlink of symlink tl: %ld\n", (long)links_of("tl"));
    ok("linkat dangling link AT_SYMLINK_FOLLOW",
       linkat(AT_FDCWD, "loop1", AT_FDCWD, "x", AT_SYMLINK_FOLLOW));
    close(d);
}

/* O_NOFOLLOW only refuses a final component that is a symlink: ".",
 * ".." and "/" are directories (find opens "." so). */
static void nofollow_dirs(void)
{
    const char *paths[] = {".", "..", "/", "sub/.", "sub/..", "./sub"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char what[64];
        snprintf(what, sizeof(what), "open %s O_DIRECTORY|O_NOFOLLOW", paths[i]);
        int fd = (int)ok(what, open(paths[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        if (fd >= 0)
            close(fd);
    }
}

static void cleanup(void)
{
    const char *names[] = {"target", "sub/up",  "sub/plain", "sub/h3", "abslink",
                           "dangle", "nowhere", "loop1",     "loop2",  "self",
                           "tl",     "tl-hard", "tl-follow", "sldir"};
    int bad = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (unlink(names[i]) < 0) {
            printf("unlink %s: %s\n", names[i], errname(errno));
            bad = 1;
        }
    bad |= rmdir("sub") < 0;
    yes("cleanup", !bad);
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    char buf[512];
    int entries = 0;
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
        for (long off = 0; off < n; entries++) {
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, sizeof(reclen));
            off += reclen;
        }
    close(fd);
    /* Only "." and "..". */
    printf("cwd empty at the end: %s\n", entries == 2 ? "yes" : "no");
}

int main(void)
{
    umask(022);
    symlinks();
    hardlinks();
    nofollow_dirs();
    cleanup();
    return 0;
}
