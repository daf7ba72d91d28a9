/*
 * pipe: a pipe inside one process -- data, non-blocking behaviour, EOF and
 * readiness as poll() and select() report it.  Writing to a pipe with no
 * reader raises SIGPIPE, which is left for a later signal test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "check.h"

/* Names the poll bits we care about, in a fixed order. */
static void show_revents(const char *what, int n, short re)
{
    printf("%s: poll returned %d, revents:%s%s%s%s%s\n", what, n, re & POLLIN ? " IN" : "",
           re & POLLOUT ? " OUT" : "", re & POLLHUP ? " HUP" : "", re & POLLERR ? " ERR" : "",
           re & POLLNVAL ? " NVAL" : "");
}

static void poll_one(const char *what, int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, 0);
    if (n < 0)
        printf("%s: poll failed %s\n", what, errname(errno));
    else
        show_revents(what, n, p.revents);
}

int main(void)
{
    int p[2];
    if (val_errno("pipe2(O_CLOEXEC)", pipe2(p, O_CLOEXEC)) < 0)
        return 1;
    yes("both ends have FD_CLOEXEC",
        fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC);
    yes("read end O_RDONLY", (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
    yes("write end O_WRONLY", (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);

    poll_one("empty read end", p[0], POLLIN);
    poll_one("empty write end", p[1], POLLOUT);
    /* stdout is a file or a pipe to cat; either way writable now. */
    poll_one("fd 1 for POLLOUT", 1, POLLOUT);

    val_errno("write 13", write(p[1], "through pipe\n", 13));
    poll_one("read end with data", p[0], POLLIN);
    struct pollfd both[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    printf("poll on both ends: %d\n", poll(both, 2, 0));

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 0};
    int s = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select with data: %d, read end set: %s\n", s, FD_ISSET(p[0], &rd) ? "yes" : "no");

    char buf[64] = {0};
    val_errno("read 64 gets what is there", read(p[0], buf, sizeof(buf)));
    printf("data: %s", buf);

    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    tv = (struct timeval){0, 10000};
    s = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select on empty pipe, 10 ms: %d\n", s);

    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    yes("O_NONBLOCK set on read end", fcntl(p[0], F_GETFL) & O_NONBLOCK);
    errno = 0;
    val_errno("non-blocking read of empty pipe", read(p[0], buf, sizeof(buf)));

    /* Fill the pipe without blocking; the exact capacity is the host's
     * business, so only print that it is sane. */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    static char chunk[4096];
    memset(chunk, 'f', sizeof(chunk));
    long total = 0, r;
    while ((r = write(p[1], chunk, sizeof(chunk))) > 0 && total < (1L << 24))
        total += r;
    printf("filling stopped with: %s\n", r < 0 ? errname(errno) : "no error");
    yes("capacity at least 4096 bytes", total >= 4096);
    poll_one("full write end", p[1], POLLOUT);
    long drained = 0;
    while ((r = read(p[0], chunk, sizeof(chunk))) > 0)
        drained += r;
    yes("drained what was written", drained == total);

    val_errno("write after drain", write(p[1], "x", 1));
    close(p[1]);
    poll_one("read end, data left, writer closed", p[0], POLLIN);
    val_errno("read the last byte", read(p[0], buf, sizeof(buf)));
    poll_one("read end, empty, writer closed", p[0], POLLIN);
    val_errno("read after writer closed (EOF)", read(p[0], buf, sizeof(buf)));
    val_errno("read at EOF again", read(p[0], buf, sizeof(buf)));
    close(p[0]);

    /* A closed descriptor is reported per entry, not as an error. */
    poll_one("closed descriptor", p[0], POLLIN);
    if (pipe2(p, 0) == 0) {
        errno = 0;
        val_errno("lseek on a pipe", lseek(p[0], 0, SEEK_CUR));
        close(p[0]);
        close(p[1]);
    }
    errno = 0;
    val_errno("pipe2 with bad flags", pipe2(p, 0x7fff0000));
    return 0;
}
