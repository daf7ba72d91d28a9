/*
 * proc_share: what parent and child share after fork.  Pipes (both ways,
 * bytes buffered before the fork, a full 64 KiB pipe, EOF only when every
 * write end is closed, EPIPE and SIGPIPE once every read end is), socket
 * pairs (stream and datagram), open files (one offset, O_APPEND, status
 * flags) and what stays per process (descriptor flags, closing, files
 * created).  Children report through their exit status or a pipe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

static void pipes_both_ways(void)
{
    int down[2], up[2];
    pipe(down);
    pipe(up);
    /* Bytes written before the fork belong to the pipe, not the process. */
    char pre[1000];
    for (int i = 0; i < 1000; i++)
        pre[i] = (char)(i % 251);
    printf("write 1000 before fork: %zd\n", write(down[1], pre, sizeof(pre)));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        char buf[1000];
        size_t n = 0;
        while (n < sizeof(buf)) {
            ssize_t r = read(down[0], buf + n, sizeof(buf) - n);
            if (r <= 0)
                _exit(1);
            n += (size_t)r;
        }
        if (memcmp(buf, pre, sizeof(buf)) != 0)
            _exit(2);
        /* Now a ping from the parent, and a pong back. */
        char ping[5] = {0};
        if (read(down[0], ping, 4) != 4 || strcmp(ping, "ping") != 0)
            _exit(3);
        write(up[1], "pong", 4);
        /* EOF once the parent closes its write end (ours is closed). */
        char c;
        if (read(down[0], &c, 1) != 0)
            _exit(4);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    write(down[1], "ping", 4);
    char pong[5] = {0};
    printf("parent read: %zd '%s'\n", read(up[0], pong, 4), pong);
    close(down[1]);
    reap("child (0: read 1000 bytes, ping, EOF)", pid);
    char c;
    printf("parent read after child exit: %zd (EOF)\n", read(up[0], &c, 1));
    close(up[0]);

    /* EOF comes only when both processes have closed the write end. */
    int p[2], go[2];
    pipe(p);
    pipe(go);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        /* Keep the write end open until told. */
        close(p[0]);
        close(go[1]);
        read(go[0], &c, 1);
        write(p[1], "late", 4);
        _exit(0);
    }
    close(p[1]);
    close(go[0]);
    int fl = fcntl(p[0], F_GETFL);
    fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
    errno = 0;
    ssize_t r = read(p[0], &c, 1);
    printf("read with the child's write end open: %zd %s\n", r, errname(errno));
    fcntl(p[0], F_SETFL, fl);
    close(go[1]);
    char late[8] = {0};
    size_t n = read_all(p[0], late, sizeof(late));
    printf("then read to EOF: %zu '%s'\n", n, late);
    close(p[0]);
    reap("writer child", pid);
}

static void broken_pipes(void)
{
    /* The parent closes the read end; the child writes: SIGPIPE. */
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        /* Wait for the parent's close: POLLERR on the write end means no
         * reader is left. */
        struct pollfd pf = {.fd = p[1], .events = 0};
        poll(&pf, 1, 5000);
        write(p[1], "x", 1);
        _exit(99);
    }
    close(p[0]);
    close(p[1]);
    reap("child writing to a pipe without reader", pid);

    /* Ignoring SIGPIPE: EPIPE instead, here in the parent once the child,
     * the last reader, is gone. */
    signal(SIGPIPE, SIG_IGN);
    pipe(p);
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(0);
    close(p[0]);
    reap("reader child", pid);
    errno = 0;
    ssize_t r = write(p[1], "x", 1);
    printf("write with the last reader gone: %zd %s\n", r, errname(errno));
    close(p[1]);
    signal(SIGPIPE, SIG_DFL);
}

static void socketpairs(void)
{
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM};
    for (int t = 0; t < 2; t++) {
        const char *name = types[t] == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM";
        int sv[2];
        if (socketpair(AF_UNIX, types[t], 0, sv) < 0) {
            printf("socketpair %s: %s\n", name, errname(errno));
            continue;
        }
        /* Sent before the fork, received by the child. */
        send(sv[0], "early", 5, 0);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(sv[0]);
            char buf[128];
            int bad = 0;
            if (recv(sv[1], buf, 5, MSG_WAITALL) != 5 || memcmp(buf, "early", 5) != 0)
                bad |= 1;
            /* Three messages from the parent; datagrams keep their
             * boundaries. */
            if (types[t] == SOCK_DGRAM) {
                static const size_t sizes[] = {1, 100, 7};
                for (int i = 0; i < 3; i++)
                    if (recv(sv[1], buf, sizeof(buf), 0) != (ssize_t)sizes[i])
                        bad |= 2;
            } else {
                size_t n = 0;
                while (n < 108) {
                    ssize_t r = recv(sv[1], buf, sizeof(buf), 0);
                    if (r <= 0)
                        break;
                    n += (size_t)r;
                }
                if (n != 108)
                    bad |= 2;
            }
            send(sv[1], "from child", 10, 0);
            send(sv[1], "bye", 3, 0);
            _exit(bad);
        }
        close(sv[1]);
        char msg[100];
        memset(msg, 'm', sizeof(msg));
        send(sv[0], msg, 1, 0);
        send(sv[0], msg, 100, 0);
        send(sv[0], msg, 7, 0);
        char buf[64] = {0};
        ssize_t r = recv(sv[0], buf, sizeof(buf) - 1, 0);
        if (types[t] == SOCK_STREAM && r > 0 && r < 13)
            r += recv(sv[0], buf + r, 13 - (size_t)r, MSG_WAITALL);
        buf[r > 0 ? r : 0] = 0;
        printf("%s: parent received '%s'\n", name, buf);
        if (types[t] == SOCK_DGRAM) {
            memset(buf, 0, sizeof(buf));
            r = recv(sv[0], buf, sizeof(buf) - 1, 0);
            printf("%s: parent received '%s'\n", name, buf);
        }
        char what[64];
        snprintf(what, sizeof(what), "%s child (0: all received)", name);
        reap(what, pid);
        if (types[t] == SOCK_STREAM) {
            r = recv(sv[0], buf, sizeof(buf), 0);
            printf("%s: recv after the child exited: %zd\n", name, r);
        } else {
            errno = 0;
            r = send(sv[0], "x", 1, 0);
            printf("%s: send after the child exited: %zd %s\n", name, r, errname(errno));
        }
        close(sv[0]);
    }
}

static char contents[256];

static const char *file_contents(const char *path)
{
    int fd = open(path, O_RDONLY);
    memset(contents, 0, sizeof(contents));
    if (fd >= 0) {
        read(fd, contents, sizeof(contents) - 1);
        close(fd);
    }
    return contents;
}

static void files(void)
{
    int fd = open("shared.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        write(fd, "0123456789", 10);
        _exit(0);
    }
    reap("child writing 10 bytes", pid);
    printf("parent's offset: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    write(fd, "abc", 3);
    printf("file: '%s'\n", file_contents("shared.txt"));

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        lseek(fd, 5, SEEK_SET);
        _exit(0);
    }
    reap("child seeking to 5", pid);
    printf("parent's offset: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    char buf[4] = {0};
    read(fd, buf, 3);
    printf("parent reads: '%s'\n", buf);

    /* Status flags belong to the open file: O_APPEND set by the child
     * applies to the parent's writes too. */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_APPEND);
        _exit(0);
    }
    reap("child setting O_APPEND", pid);
    yes("parent sees O_APPEND", fcntl(fd, F_GETFL) & O_APPEND);
    lseek(fd, 0, SEEK_SET);
    write(fd, "Z", 1);
    printf("file: '%s'\n", file_contents("shared.txt"));
    close(fd);

    /* O_APPEND from the start: writes from both interleave in order. */
    fd = open("append.txt", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    write(fd, "P1\n", 3);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        _exit((fcntl(fd, F_GETFL) & O_APPEND) && write(fd, "C1\n", 3) == 3 ? 0 : 1);
    }
    reap("child appending", pid);
    write(fd, "P2\n", 3);
    close(fd);
    printf("append.txt: '%s'\n", file_contents("append.txt"));

    /* A dup'd descriptor: both, in both processes, share one offset. */
    fd = open("dup.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int fd2 = dup(fd);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        write(fd2, "child-dup ", 10);
        write(fd, "child-orig ", 11);
        _exit(0);
    }
    reap("child writing through both", pid);
    write(fd2, "parent", 6);
    printf("offsets: %ld %ld\n", (long)lseek(fd, 0, SEEK_CUR), (long)lseek(fd2, 0, SEEK_CUR));
    printf("dup.txt: '%s'\n", file_contents("dup.txt"));
    close(fd2);

    /* Closed in the child, still open in the parent. */
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(close(fd) == 0 && fcntl(fd, F_GETFD) < 0 ? 0 : 1);
    reap("child closing the file (0: closed there)", pid);
    yes("still open in the parent", fcntl(fd, F_GETFD) >= 0);
    printf("write after the child closed it: %zd\n", write(fd, "!", 1));
    close(fd);

    /* A file the child creates is there for the parent. */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        put("fromchild.txt", "made by the child\n");
        _exit(0);
    }
    reap("child creating a file", pid);
    printf("fromchild.txt: '%s'\n", file_contents("fromchild.txt"));
    unlink("fromchild.txt");
    unlink("shared.txt");
    unlink("append.txt");
    unlink("dup.txt");
}

static void fd_flags(void)
{
    int p[2];
    pipe2(p, O_CLOEXEC);
    int plain = dup(p[0]);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int r = 0;
        if (fcntl(p[0], F_GETFD) == FD_CLOEXEC)
            r |= 1;
        if (fcntl(plain, F_GETFD) == 0)
            r |= 2;
        /* Descriptor flags are per process: clear one, set one. */
        fcntl(p[1], F_SETFD, 0);
        fcntl(plain, F_SETFD, FD_CLOEXEC);
        /* Status flags are per open file: O_NONBLOCK shows in the parent. */
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        _exit(r);
    }
    reap("child (3: FD_CLOEXEC kept and not added)", pid);
    yes("parent's FD_CLOEXEC unchanged by the child",
        fcntl(p[1], F_GETFD) == FD_CLOEXEC && fcntl(plain, F_GETFD) == 0);
    yes("O_NONBLOCK set by the child seen by the parent", fcntl(p[0], F_GETFL) & O_NONBLOCK);
    yes("and through the dup", fcntl(plain, F_GETFL) & O_NONBLOCK);
    char c;
    errno = 0;
    ssize_t r = read(p[0], &c, 1);
    printf("read on the empty pipe: %zd %s\n", r, errname(errno));
    close(p[0]);
    close(p[1]);
    close(plain);
}

static void full_pipe(void)
{
    int p[2];
    pipe(p);
    int fl = fcntl(p[1], F_GETFL);
    fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
    /* Fill it to capacity with a counting pattern. */
    unsigned char chunk[4096];
    long total = 0;
    for (;;) {
        for (size_t i = 0; i < sizeof(chunk); i++)
            chunk[i] = (unsigned char)((total + (long)i) % 253);
        ssize_t r = write(p[1], chunk, sizeof(chunk));
        if (r <= 0)
            break;
        total += r;
    }
    printf("buffered before fork: %ld, then %s\n", total, errname(errno));
    fcntl(p[1], F_SETFL, fl);
    int res[2];
    pipe(res);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        close(res[0]);
        long n = 0, bad = 0;
        unsigned char buf[1000];
        for (;;) {
            ssize_t r = read(p[0], buf, sizeof(buf));
            if (r <= 0)
                break;
            for (ssize_t i = 0; i < r; i++)
                if (buf[i] != (unsigned char)((n + i) % 253))
                    bad++;
            n += r;
        }
        dprintf(res[1], "child drained %ld bytes, %ld wrong\n", n, bad);
        _exit(0);
    }
    close(p[0]);
    /* A little more after the fork, then EOF. */
    for (size_t i = 0; i < 100; i++)
        chunk[i] = (unsigned char)((total + (long)i) % 253);
    write(p[1], chunk, 100);
    close(p[1]);
    close(res[1]);
    char buf[128];
    read_all(res[0], buf, sizeof(buf));
    close(res[0]);
    fputs(buf, stdout);
    reap("draining child", pid);
}

static void poll_child_writer(void)
{
    int p[2], go[2];
    pipe(p);
    pipe(go);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(p[0]);
        close(go[1]);
        read(go[0], &c, 1);
        write(p[1], "data", 4);
        read(go[0], &c, 1);
        _exit(0);
    }
    close(p[1]);
    close(go[0]);
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    int n = poll(&pf, 1, 0);
    printf("poll before the child writes: %d revents %#x\n", n, pf.revents);
    write(go[1], "g", 1);
    pf.revents = 0;
    n = poll(&pf, 1, 5000);
    printf("poll after: %d%s%s\n", n, pf.revents & POLLIN ? " IN" : "",
           pf.revents & POLLHUP ? " HUP" : "");
    char buf[8] = {0};
    read(p[0], buf, sizeof(buf) - 1);
    printf("read: '%s'\n", buf);
    close(go[1]);
    reap("writer child", pid);
    pf.revents = 0;
    n = poll(&pf, 1, 5000);
    printf("poll once the writer exited: %d%s%s\n", n, pf.revents & POLLIN ? " IN" : "",
           pf.revents & POLLHUP ? " HUP" : "");
    close(p[0]);
}

int main(void)
{
    alarm(10);
    pipes_both_ways();
    broken_pipes();
    socketpairs();
    files();
    fd_flags();
    full_pipe();
    poll_child_writer();
    return 0;
}
