/*
 * console: what the standard descriptors are.  The runner decides -- stdin
 * is console.stdin (a regular file), stdout a file or a pipe, stderr a file,
 * never a tty -- and this prints what the program sees, then echoes stdin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static const char *kind(mode_t m)
{
    return S_ISREG(m)    ? "regular file"
           : S_ISFIFO(m) ? "fifo"
           : S_ISCHR(m)  ? "character device"
           : S_ISSOCK(m) ? "socket"
           : S_ISDIR(m)  ? "directory"
                         : "other";
}

static const char *access_mode(int fl)
{
    switch (fl & O_ACCMODE) {
    case O_RDONLY:
        return "O_RDONLY";
    case O_WRONLY:
        return "O_WRONLY";
    case O_RDWR:
        return "O_RDWR";
    }
    return "?";
}

static void describe(int fd)
{
    errno = 0;
    int tty = isatty(fd), tty_errno = errno;
    struct winsize ws;
    errno = 0;
    int wr = ioctl(fd, TIOCGWINSZ, &ws), ws_errno = errno;
    struct stat st;
    int sr = fstat(fd, &st);
    int fl = fcntl(fd, F_GETFL);
    errno = 0;
    off_t off = lseek(fd, 0, SEEK_CUR);
    int off_errno = errno;

    printf("fd %d: isatty %s", fd, tty ? "yes" : "no");
    if (!tty)
        printf(" (%s)", errname(tty_errno));
    printf(", TIOCGWINSZ %s", wr == 0 ? "ok" : errname(ws_errno));
    printf(", type %s", sr == 0 ? kind(st.st_mode) : errname(errno));
    printf(", %s%s%s", fl < 0 ? "F_GETFL failed" : access_mode(fl),
           fl >= 0 && fl & O_APPEND ? "|O_APPEND" : "",
           fl >= 0 && fl & O_NONBLOCK ? "|O_NONBLOCK" : "");
    if (off < 0)
        printf(", lseek %s\n", errname(off_errno));
    else
        printf(", lseek ok\n");
}

int main(void)
{
    fflush(stdout);
    for (int fd = 0; fd < 3; fd++)
        describe(fd);

    /* Echo stdin in odd-sized reads so several calls are needed. */
    char buf[100];
    long total = 0, calls = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof(buf))) > 0) {
        fwrite(buf, 1, n, stdout);
        total += n;
        calls++;
    }
    if (n < 0)
        printf("read failed: %s\n", errname(errno));
    /* Leading newline: the stdin file need not end with one. */
    printf("\n--- %ld bytes of stdin in %ld reads\n", total, calls);
    printf("read at EOF again: %zd\n", read(0, buf, sizeof(buf)));
    struct stat st;
    errno = 0;
    int r = fstat(99, &st);
    printf("fstat(99): %d %s\n", r, errname(errno));
    return 0;
}
