/* socketpair: stream, datagram and seqpacket pairs; message boundaries,
 * MSG_TRUNC, shutdown in each direction, a closed peer (EOF, EPIPE,
 * ECONNREFUSED), SOCK_NONBLOCK/SOCK_CLOEXEC, FIONBIO and O_NONBLOCK, and
 * what fstat, /proc/self/fd and getsockopt say about a socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *en(int e)
{
    switch (e) {
    case EAGAIN:
        return "EAGAIN";
    case EPIPE:
        return "EPIPE";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    case EOPNOTSUPP:
        return "EOPNOTSUPP";
    case ENOTCONN:
        return "ENOTCONN";
    case EINVAL:
        return "EINVAL";
    default:
        return strerror(e);
    }
}

static void rv(const char *what, ssize_t n, const char *buf)
{
    if (n < 0)
        printf("%s: -1 %s\n", what, en(errno));
    else
        printf("%s: %zd '%.*s'\n", what, n, (int)(n < 16 ? n : 16), buf);
}

static void kind(const char *name, int type)
{
    printf("== %s\n", name);
    int sv[2];
    if (socketpair(AF_UNIX, type, 0, sv) < 0) {
        printf("socketpair: %s\n", en(errno));
        return;
    }
    char buf[32];
    int v, r;
    socklen_t vl = sizeof(v);
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vl);
    printf("SO_TYPE right: %d\n", v == type);
    struct sockaddr_un a;
    socklen_t al = sizeof(a);
    getsockname(sv[0], (struct sockaddr *)&a, &al);
    printf("name len %u, peer ", (unsigned)al);
    al = sizeof(a);
    r = getpeername(sv[0], (struct sockaddr *)&a, &al);
    printf("%s len %u\n", r ? en(errno) : "ok", (unsigned)al);
    write(sv[0], "abc", 3);
    write(sv[0], "defg", 4);
    rv("read 16", read(sv[1], buf, sizeof(buf)), buf);
    rv("read 2", recv(sv[1], buf, 2, MSG_DONTWAIT), buf);
    rv("read more", recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), buf);
    write(sv[1], "0123456789", 10);
    rv("recv 4 MSG_TRUNC", recv(sv[0], buf, 4, MSG_TRUNC), buf);
    rv("recv empty", recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), buf);

    /* shutdown: SHUT_WR on one end is EOF (or nothing) at the other. */
    printf("shutdown(0, SHUT_WR): %d\n", shutdown(sv[0], SHUT_WR));
    rv("read at 1", recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), buf);
    rv("write at 0", send(sv[0], "x", 1, MSG_NOSIGNAL), buf);
    rv("write at 1", send(sv[1], "back", 4, MSG_NOSIGNAL), buf);
    rv("read at 0", recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), buf);
    struct pollfd p[2] = {{sv[0], POLLIN | POLLOUT, 0}, {sv[1], POLLIN | POLLOUT, 0}};
    poll(p, 2, 0);
    printf("poll: %#x %#x\n", p[0].revents, p[1].revents);
    printf("shutdown(1, SHUT_RDWR): %d\n", shutdown(sv[1], SHUT_RDWR));
    rv("read at 0", recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), buf);
    r = shutdown(sv[1], 7);
    printf("shutdown(1, 7): %d %s\n", r, en(errno));
    close(sv[1]);
    rv("read after close", recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), buf);
    rv("write after close", send(sv[0], "x", 1, MSG_NOSIGNAL), buf);
    close(sv[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    kind("stream", SOCK_STREAM);
    kind("dgram", SOCK_DGRAM);
    kind("seqpacket", SOCK_SEQPACKET);

    printf("== flags\n");
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
    printf("nonblock %d cloexec %d\n", !!(fcntl(sv[0], F_GETFL) & O_NONBLOCK),
           fcntl(sv[1], F_GETFD));
    printf("access mode rdwr %d\n", (fcntl(sv[0], F_GETFL) & O_ACCMODE) == O_RDWR);
    char buf[8];
    rv("read nonblocking", read(sv[0], buf, sizeof(buf)), buf);
    int off = 0, r = ioctl(sv[0], FIONBIO, &off);
    printf("FIONBIO 0: %d, ", r);
    printf("nonblock %d\n", !!(fcntl(sv[0], F_GETFL) & O_NONBLOCK));
    int on = 1;
    ioctl(sv[0], FIONBIO, &on);
    printf("FIONBIO 1: nonblock %d\n", !!(fcntl(sv[0], F_GETFL) & O_NONBLOCK));
    fcntl(sv[1], F_SETFL, 0);
    printf("F_SETFL 0: nonblock %d\n", !!(fcntl(sv[1], F_GETFL) & O_NONBLOCK));
    write(sv[1], "12345", 5);
    int n = -1;
    r = ioctl(sv[0], FIONREAD, &n);
    printf("FIONREAD: %d %d\n", r, n);
    n = -1;
    r = ioctl(sv[1], TIOCOUTQ, &n);
    printf("SIOCOUTQ: %d %d\n", r, n);
    printf("TCGETS: %s\n", ioctl(sv[0], TCGETS, buf) ? en(errno) : "ok");
    printf("isatty: %d\n", isatty(sv[0]));

    struct stat st;
    fstat(sv[0], &st);
    printf("fstat: socket %d\n", S_ISSOCK(st.st_mode));
    char path[64], link[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", sv[0]);
    ssize_t k = readlink(path, link, sizeof(link) - 1);
    link[k > 0 ? k : 0] = 0;
    char want[64];
    snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
    printf("readlink: %s\n", strcmp(link, want) ? link : "socket:[INODE]");
    int d = dup(sv[0]);
    close(sv[0]);
    rv("read through a dup", read(d, buf, sizeof(buf)), buf);
    close(d);
    rv("write, reader gone", send(sv[1], "x", 1, MSG_NOSIGNAL), buf);
    signal(SIGPIPE, SIG_IGN);
    rv("write(2), reader gone", write(sv[1], "x", 1), buf);
    close(sv[1]);
    printf("socketpair AF_INET: %s\n", socketpair(AF_INET, SOCK_STREAM, 0, sv) ? en(errno) : "ok");
    return 0;
}
