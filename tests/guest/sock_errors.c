/* Socket calls given bad arguments: the errno Linux answers, in the order
 * Linux checks. EAFNOSUPPORT, EPROTONOSUPPORT, EINVAL, ENOTSOCK, EBADF,
 * EFAULT, EOPNOTSUPP. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *en(int e)
{
    switch (e) {
    case EAFNOSUPPORT:
        return "EAFNOSUPPORT";
    case EPROTONOSUPPORT:
        return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT:
        return "ESOCKTNOSUPPORT";
    case EPROTOTYPE:
        return "EPROTOTYPE";
    case EINVAL:
        return "EINVAL";
    case ENOTSOCK:
        return "ENOTSOCK";
    case EBADF:
        return "EBADF";
    case EFAULT:
        return "EFAULT";
    case EOPNOTSUPP:
        return "EOPNOTSUPP";
    case ENOTCONN:
        return "ENOTCONN";
    case EDESTADDRREQ:
        return "EDESTADDRREQ";
    case ENOPROTOOPT:
        return "ENOPROTOOPT";
    case EADDRNOTAVAIL:
        return "EADDRNOTAVAIL";
    case EMSGSIZE:
        return "EMSGSIZE";
    case EISCONN:
        return "EISCONN";
    default:
        return strerror(e);
    }
}

#define T(what, call)                                                                              \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long r_ = (long)(call);                                                                    \
        printf("%-44s %ld %s\n", what, r_, r_ < 0 ? en(errno) : "");                               \
        if (r_ > 2 && !strncmp(what, "socket", 6))                                                 \
            close((int)r_);                                                                        \
    } while (0)

/* An unmapped address the compiler cannot see through. */
static void *volatile bad = (void *)8;

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* What a socket() can be. */
    T("socket family 1000", socket(1000, SOCK_STREAM, 0) < 0 ? -1 : 3);
    T("socket family -1", socket(-1, SOCK_STREAM, 0) < 0 ? -1 : 3);
    T("socket AF_INET type 99", socket(AF_INET, 99, 0) < 0 ? -1 : 3);
    T("socket AF_INET bad type flags", socket(AF_INET, SOCK_STREAM | 0x1000, 0) < 0 ? -1 : 3);
    T("socket AF_INET stream UDP", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP) < 0 ? -1 : 3);
    T("socket AF_INET dgram TCP", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP) < 0 ? -1 : 3);
    T("socket AF_UNIX protocol 5", socket(AF_UNIX, SOCK_STREAM, 5) < 0 ? -1 : 3);
    T("socket AF_UNIX type 99", socket(AF_UNIX, 99, 0) < 0 ? -1 : 3);
    T("socket AF_INET6 seqpacket", socket(AF_INET6, SOCK_SEQPACKET, 0) < 0 ? -1 : 3);

    /* Not a socket, not a descriptor. */
    int p[2];
    pipe(p);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int v = 1;
    socklen_t vl = sizeof(v);
    char buf[8];
    T("bind on a pipe", bind(p[0], (struct sockaddr *)&a, sizeof(a)));
    T("listen on a pipe", listen(p[0], 1));
    T("accept on a pipe", accept(p[0], NULL, NULL));
    T("connect on a pipe", connect(p[0], (struct sockaddr *)&a, sizeof(a)));
    T("getsockopt on a pipe", getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &vl));
    T("setsockopt on a pipe", setsockopt(p[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
    T("send on a pipe", send(p[1], "x", 1, 0));
    T("recv on a pipe", recv(p[0], buf, 1, MSG_DONTWAIT));
    T("shutdown on a pipe", shutdown(p[0], SHUT_RD));
    T("getsockname on a pipe", getsockname(p[0], (struct sockaddr *)&a, &vl));
    int f = open(".", O_RDONLY | O_DIRECTORY);
    T("sendto on a directory", sendto(f, "x", 1, 0, NULL, 0));
    close(f);
    T("bind on fd -1", bind(-1, (struct sockaddr *)&a, sizeof(a)));
    T("bind on fd 999", bind(999, (struct sockaddr *)&a, sizeof(a)));
    T("recvmsg on fd 999", recvmsg(999, NULL, 0));
    T("socketpair into a bad pointer", socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)bad));

    /* Bad addresses and lengths. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    T("bind addrlen 1", bind(s, (struct sockaddr *)&a, 1));
    T("bind addrlen 200", bind(s, (struct sockaddr *)&a, 200));
    T("bind addrlen -1", bind(s, (struct sockaddr *)&a, (socklen_t)-1));
    T("bind address at 8", bind(s, (struct sockaddr *)bad, sizeof(a)));
    struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "x.sock"};
    T("bind an AF_UNIX address to AF_INET", bind(s, (struct sockaddr *)&un, sizeof(un)));
    T("connect an AF_UNIX address to AF_INET", connect(s, (struct sockaddr *)&un, sizeof(un)));
    T("bind an AF_INET address to AF_UNIX",
      bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof(a)));
    struct sockaddr_in far = {.sin_family = AF_INET};
    far.sin_addr.s_addr = htonl(0x0a0b0c0d);
    T("bind a foreign address", bind(s, (struct sockaddr *)&far, sizeof(far)));
    vl = sizeof(a);
    T("getsockname addrlen at 8", getsockname(s, (struct sockaddr *)&a, (socklen_t *)bad));
    T("getsockname address at 8", getsockname(s, (struct sockaddr *)bad, &vl));
    vl = (socklen_t)-1;
    T("getsockname addrlen -1", getsockname(s, (struct sockaddr *)&a, &vl));
    vl = sizeof(a);
    T("getpeername unconnected", getpeername(s, (struct sockaddr *)&a, &vl));
    T("accept not listening", accept(s, NULL, NULL));
    T("accept4 bad flags", accept4(s, NULL, NULL, 0x10));
    T("shutdown how 5", shutdown(s, 5));
    T("shutdown unconnected", shutdown(s, SHUT_RDWR));
    T("send unconnected", send(s, "x", 1, MSG_NOSIGNAL));
    T("recv unconnected", recv(s, buf, 1, MSG_DONTWAIT));
    T("setsockopt optlen -1", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, (socklen_t)-1));
    T("setsockopt optlen 1", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 1));
    T("setsockopt value at 8", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, bad, 4));
    T("setsockopt unknown SOL_SOCKET name", setsockopt(s, SOL_SOCKET, 9999, &v, sizeof(v)));
    T("getsockopt unknown TCP name", getsockopt(s, IPPROTO_TCP, 9999, &v, &vl));
    vl = (socklen_t)-1;
    T("getsockopt optlen -1", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl));
    T("getsockopt optlen at 8", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)bad));
    vl = 4;
    T("getsockopt value at 8", getsockopt(s, SOL_SOCKET, SO_TYPE, bad, &vl));
    vl = 2;
    T("getsockopt SO_TYPE into 2 bytes", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl));
    printf("  len now %u\n", (unsigned)vl);
    T("sendmsg msghdr at 8", sendmsg(s, (struct msghdr *)bad, 0));
    T("recvmsg msghdr at 8", recvmsg(s, (struct msghdr *)bad, 0));
    T("listen on UDP", listen(socket(AF_INET, SOCK_DGRAM, 0), 1));
    close(s);

    /* A datagram socket: EFAULT for buffers, bad iovecs. */
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    a.sin_port = 0;
    bind(u, (struct sockaddr *)&a, sizeof(a));
    vl = sizeof(a);
    getsockname(u, (struct sockaddr *)&a, &vl);
    T("sendto from a buffer at 8", sendto(u, bad, 4, 0, (struct sockaddr *)&a, sizeof(a)));
    T("sendto an address at 8", sendto(u, "x", 1, 0, (struct sockaddr *)bad, sizeof(a)));
    T("sendto addrlen 3", sendto(u, "x", 1, 0, (struct sockaddr *)&a, 3));
    struct iovec iov[2] = {{"ab", 2}, {NULL, 4}};
    iov[1].iov_base = bad;
    struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = iov, .msg_iovlen = 2};
    T("sendmsg with a bad iovec", sendmsg(u, &m, 0));
    m.msg_iovlen = 5000;
    T("sendmsg with 5000 iovecs", sendmsg(u, &m, 0));
    m.msg_iovlen = 1;
    m.msg_iov = (struct iovec *)bad;
    T("sendmsg with the iovecs at 8", sendmsg(u, &m, 0));
    T("sendto a datagram", sendto(u, "ab", 2, 0, (struct sockaddr *)&a, sizeof(a)));
    T("recv into a buffer at 8", recv(u, bad, 4, 0));
    T("sendmmsg vector at 8", sendmmsg(u, (struct mmsghdr *)bad, 1, 0));
    T("recvmmsg vector at 8", recvmmsg(u, (struct mmsghdr *)bad, 1, MSG_DONTWAIT, NULL));
    close(u);

    /* SCM_RIGHTS is refused or works; either way nothing breaks. */
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec one = {"f", 1};
    m = (struct msghdr){
        .msg_iov = &one, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = 12345;
    c->cmsg_type = 1;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    T("sendmsg with an unknown cmsg level", sendmsg(sv[0], &m, 0));
    m.msg_controllen = 1u << 30;
    T("sendmsg with a huge controllen", sendmsg(sv[0], &m, 0));
    close(sv[0]);
    close(sv[1]);
    return 0;
}
