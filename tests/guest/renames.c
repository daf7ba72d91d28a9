/*
 * renames: rename/renameat/renameat2 in the current directory (fresh and
 * empty for every run) -- replacing files and directories, the errors for
 * mismatched kinds, RENAME_NOREPLACE and RENAME_EXCHANGE (raw syscall:
 * musl has no wrapper), and files that stay readable through an open
 * descriptor after being unlinked, renamed or replaced.
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

#define NOREPLACE (1u << 0) /* RENAME_NOREPLACE */
#define EXCHANGE (1u << 1)  /* RENAME_EXCHANGE */

static long rename2(int ofd, const char *o, int nfd, const char *n, unsigned flags)
{
    return syscall(SYS_renameat2, ofd, o, nfd, n, flags);
}

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

/* Reads all of FD from offset 0 and prints it. */
static void show_fd(const char *what, int fd)
{
    char buf[128];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n < 0) {
        printf("%s: -1 %s\n", what, errname(errno));
        errno = 0;
        return;
    }
    buf[n] = 0;
    printf("%s: \"%s\"\n", what, buf);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void files(void)
{
    put("a", "A");
    put("b", "B");
    ok("rename a over existing b", rename("a", "b"));
    yes("a gone", !exists("a"));
    show("b");
    ok("rename b to itself", rename("b", "b"));
    show("b");
    ok("rename missing", rename("missing", "x"));
    ok("rename into a missing directory", rename("b", "nodir/b"));
    ok("rename with an empty new name", rename("b", ""));

    /* Two names of one inode: rename does nothing and both stay. */
    ok("link b -> b2", link("b", "b2"));
    ok("rename b over its hard link b2", rename("b", "b2"));
    yes("b and b2 both still exist", exists("b") && exists("b2"));
    unlink("b2");

    ok("mkdir d", mkdir("d", 0755));
    ok("mkdir d/inner", mkdir("d/inner", 0755));
    put("d/inner/f", "F");
    ok("rename d to e", rename("d", "e"));
    yes("d gone", !exists("d"));
    show("e/inner/f");
    ok("rename file over a directory", rename("b", "e"));
    ok("rename directory over a file", rename("e", "b"));
    ok("mkdir empty", mkdir("empty", 0755));
    ok("rename directory over an empty directory", rename("e", "empty"));
    yes("e gone", !exists("e"));
    show("empty/inner/f");
    ok("mkdir full", mkdir("full", 0755));
    put("full/x", "x");
    ok("rename directory over a non-empty directory", rename("empty", "full"));
    ok("rename directory into its own subdirectory", rename("empty", "empty/inner/sub"));
    ok("rename . ", rename(".", "dot"));
    ok("rename to ..", rename("b", ".."));
    ok("rename a file with a trailing slash", rename("b/", "c"));

    int d1 = open("full", O_RDONLY | O_DIRECTORY);
    int d2 = open("empty", O_RDONLY | O_DIRECTORY);
    ok("renameat(full, x, empty, moved)", renameat(d1, "x", d2, "moved"));
    show("empty/moved");
    ok("renameat(bad fd)", renameat(-3, "x", d2, "y"));
    close(d1);
    close(d2);
}

static void flags(void)
{
    put("p", "P");
    put("q", "Q");
    ok("renameat2 NOREPLACE onto existing q", rename2(AT_FDCWD, "p", AT_FDCWD, "q", NOREPLACE));
    show("p");
    show("q");
    ok("renameat2 NOREPLACE to new r", rename2(AT_FDCWD, "p", AT_FDCWD, "r", NOREPLACE));
    yes("p gone", !exists("p"));
    show("r");
    ok("renameat2 EXCHANGE q r", rename2(AT_FDCWD, "q", AT_FDCWD, "r", EXCHANGE));
    show("q");
    show("r");
    ok("renameat2 EXCHANGE with a missing name",
       rename2(AT_FDCWD, "q", AT_FDCWD, "nothere", EXCHANGE));
    show("q");
    ok("renameat2 EXCHANGE|NOREPLACE", rename2(AT_FDCWD, "q", AT_FDCWD, "r", EXCHANGE | NOREPLACE));
    ok("renameat2 unknown flag", rename2(AT_FDCWD, "q", AT_FDCWD, "r", 1u << 30));
    ok("renameat2 flags 0 (plain rename)", rename2(AT_FDCWD, "q", AT_FDCWD, "r", 0));
    show("r");

    /* EXCHANGE swaps a file and a directory too. */
    ok("mkdir dx", mkdir("dx", 0755));
    put("dx/in", "in");
    ok("renameat2 EXCHANGE file r and directory dx",
       rename2(AT_FDCWD, "r", AT_FDCWD, "dx", EXCHANGE));
    show("r/in");
    show("dx");
    unlink("r/in");
    rmdir("r");
    unlink("dx");
}

static void open_files(void)
{
    /* Unlinked while open: still readable and writable through the fd. */
    put("u", "still here");
    int fd = open("u", O_RDWR);
    ok("unlink u while open", unlink("u"));
    yes("u gone from the directory", !exists("u"));
    show_fd("read through the fd", fd);
    struct stat st;
    fstat(fd, &st);
    printf("fstat nlink after unlink: %ld\n", (long)st.st_nlink);
    printf("fstat size after unlink: %lld\n", (long long)st.st_size);
    ok("write through the fd", pwrite(fd, "!", 1, 10));
    show_fd("read after write", fd);
    ok("ftruncate the unlinked file", ftruncate(fd, 5));
    show_fd("read after ftruncate", fd);
    close(fd);

    /* Renamed while open: the fd follows the inode. */
    put("v", "vvv");
    fd = open("v", O_RDWR | O_APPEND);
    ok("rename v to w while open", rename("v", "w"));
    ok("append through the fd", write(fd, "+", 1));
    show("w");
    show_fd("read through the fd", fd);
    close(fd);

    /* Replaced while open: the fd keeps the old inode, the name the new one. */
    put("old", "old content");
    put("new", "new content");
    fd = open("old", O_RDONLY);
    ok("rename new over old while old is open", rename("new", "old"));
    show_fd("read through the fd of the replaced file", fd);
    show("old");
    fstat(fd, &st);
    printf("fstat nlink of the replaced file: %ld\n", (long)st.st_nlink);
    close(fd);

    /* Exchanged while open. */
    put("x1", "one");
    put("x2", "two");
    fd = open("x1", O_RDONLY);
    ok("renameat2 EXCHANGE x1 x2 while x1 is open",
       rename2(AT_FDCWD, "x1", AT_FDCWD, "x2", EXCHANGE));
    show_fd("read through the fd", fd);
    show("x1");
    close(fd);

    /* A directory renamed while it is the cwd. */
    char before[4096], after[4096];
    ok("mkdir cd1", mkdir("cd1", 0755));
    int home = open(".", O_RDONLY | O_DIRECTORY);
    if (!getcwd(before, sizeof(before)))
        before[0] = 0;
    ok("chdir cd1", chdir("cd1"));
    ok("rename ../cd1 to ../cd2 from inside", rename("../cd1", "../cd2"));
    size_t len = strlen(before);
    yes("getcwd follows the rename", getcwd(after, sizeof(after)) &&
                                         strncmp(after, before, len) == 0 &&
                                         strcmp(after + len, "/cd2") == 0);
    put("made-inside", "m");
    ok("fchdir back", fchdir(home));
    close(home);
    show("cd2/made-inside");
}

static void cleanup(void)
{
    const char *f[] = {"b",  "empty/inner/f",  "empty/moved", "w", "old", "x1",
                       "x2", "cd2/made-inside"};
    const char *d[] = {"full", "empty/inner", "empty", "cd2"};
    int bad = 0;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (unlink(f[i]) < 0) {
            printf("unlink %s: %s\n", f[i], errname(errno));
            bad = 1;
        }
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
        if (rmdir(d[i]) < 0) {
            printf("rmdir %s: %s\n", d[i], errname(errno));
            bad = 1;
        }
    yes("cleanup", !bad);
}

int main(void)
{
    files();
    flags();
    open_files();
    cleanup();
    return 0;
}
