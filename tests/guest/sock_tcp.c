/* TCP on 127.0.0.1 and ::1, one thread talking to itself through
 * nonblocking sockets and poll: an echo exchange, MSG_PEEK, FIONREAD,
 * MSG_DONTWAIT, shutdown and EOF, socket options, and SIGPIPE on a send to
 * a closed connection (with a handler, ignored, MSG_NOSIGNAL, and at last
 * the default action, which ends the program). Ports are ephemeral and
 * never printed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *en(int e)
{
    switch (e) {
    case 0:
        return "0";
    case EAGAIN:
        return "EAGAIN";
    case EINPROGRESS:
        return "EINPROGRESS";
    case EPIPE:
        return "EPIPE";
    case ECONNRESET:
        return "ECONNRESET";
    case EADDRNOTAVAIL:
        return "EADDRNOTAVAIL";
    case EAFNOSUPPORT:
        return "EAFNOSUPPORT";
    default:
        return strerror(e);
    }
}

static int wait_for(int fd, short ev)
{
    struct pollfd p = {fd, ev, 0};
    int r = poll(&p, 1, 5000);
    return r == 1 ? p.revents : -1;
}

static volatile sig_atomic_t pipes;
static void on_pipe(int sig)
{
    (void)sig;
    pipes++;
}

static socklen_t fill(int fam, struct sockaddr_storage *ss, int port)
{
    memset(ss, 0, sizeof(*ss));
    if (fam == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)ss;
        s->sin_family = AF_INET;
        s->sin_port = htons((uint16_t)port);
        s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return sizeof(*s);
    }
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = htons((uint16_t)port);
    s->sin6_addr = in6addr_loopback;
    return sizeof(*s);
}

static int port_of(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)ss)->sin_port)
                                    : ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* An established pair: *cl the client (nonblocking), *sv the accepted
 * server side. Returns 0, or -1 after printing why not. */
static int pair(int fam, int *cl, int *sv, int verbose)
{
    int l = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1, v = 0;
    socklen_t vl = sizeof(v);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    getsockopt(l, SOL_SOCKET, SO_REUSEADDR, &v, &vl);
    struct sockaddr_storage a, b;
    socklen_t len = fill(fam, &a, 0);
    if (bind(l, (struct sockaddr *)&a, len) < 0) {
        printf("bind: %s\n", en(errno));
        close(l);
        return -1;
    }
    listen(l, 4);
    len = sizeof(a);
    getsockname(l, (struct sockaddr *)&a, &len);
    if (verbose)
        printf("listener: reuseaddr %d, family ok %d, port assigned %d, len %u\n", v,
               a.ss_family == fam, port_of(&a) != 0, (unsigned)len);
    *cl = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(*cl, (struct sockaddr *)&a, len);
    if (verbose)
        printf("connect: %s\n", r == 0 || errno == EINPROGRESS ? "started" : en(errno));
    if (wait_for(l, POLLIN) != POLLIN) {
        printf("listener never readable\n");
        return -1;
    }
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);
    *sv = accept4(l, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
    int w = wait_for(*cl, POLLOUT);
    int err = -1;
    vl = sizeof(err);
    getsockopt(*cl, SOL_SOCKET, SO_ERROR, &err, &vl);
    len = sizeof(b);
    getsockname(*cl, (struct sockaddr *)&b, &len);
    if (verbose) {
        printf("accept: %s, client writable %d, SO_ERROR %s\n", *sv >= 0 ? "ok" : en(errno),
               w == POLLOUT, en(err));
        printf("accepted peer is the client: %d\n", plen == len && memcmp(&peer, &b, len) == 0);
        int fl = fcntl(*sv, F_GETFL);
        printf("accepted nonblocking %d, cloexec %d\n", !!(fl & O_NONBLOCK),
               fcntl(*sv, F_GETFD) & FD_CLOEXEC);
    }
    close(l);
    return *sv >= 0 ? 0 : -1;
}

static void run(int fam)
{
    printf("== %s\n", fam == AF_INET ? "127.0.0.1" : "::1");
    int cl, sv;
    if (pair(fam, &cl, &sv, 1))
        return;
    int one = 1, v = 0;
    socklen_t vl = sizeof(v);
    printf("TCP_NODELAY set %d", setsockopt(cl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
    getsockopt(cl, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
    printf(", get %d\n", v != 0);
    int rcv = 65536;
    setsockopt(cl, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    vl = sizeof(v);
    getsockopt(cl, SOL_SOCKET, SO_RCVBUF, &v, &vl);
    printf("SO_RCVBUF 65536 reads back doubled: %d (len %u)\n", v == 2 * rcv, (unsigned)vl);
    vl = sizeof(v);
    getsockopt(cl, SOL_SOCKET, SO_TYPE, &v, &vl);
    printf("SO_TYPE stream %d\n", v == SOCK_STREAM);

    char buf[64];
    ssize_t n = recv(sv, buf, sizeof(buf), MSG_DONTWAIT);
    printf("recv on empty: %zd %s\n", n, en(errno));
    n = send(cl, "hello", 5, 0);
    printf("send: %zd\n", n);
    printf("server readable: %d\n", wait_for(sv, POLLIN) == POLLIN);
    int avail = -1;
    ioctl(sv, FIONREAD, &avail);
    printf("FIONREAD: %d\n", avail);
    n = recv(sv, buf, 3, MSG_PEEK);
    printf("peek: %zd '%.*s'\n", n, (int)n, buf);
    n = recv(sv, buf, sizeof(buf), 0);
    printf("recv: %zd '%.*s'\n", n, (int)n, buf);
    n = write(sv, buf, (size_t)n);
    wait_for(cl, POLLIN);
    n = read(cl, buf, sizeof(buf));
    printf("echo: %zd '%.*s'\n", n, (int)n, buf);

    /* Half close: the server sees EOF, and can still answer. */
    printf("shutdown SHUT_WR: %d\n", shutdown(cl, SHUT_WR));
    printf("server sees EOF: %d", wait_for(sv, POLLIN) & POLLIN ? 1 : 0);
    printf(" %zd\n", recv(sv, buf, sizeof(buf), 0));
    n = send(cl, "x", 1, MSG_NOSIGNAL);
    printf("send after SHUT_WR: %zd %s\n", n, en(errno));
    send(sv, "late", 4, 0);
    wait_for(cl, POLLIN);
    n = recv(cl, buf, sizeof(buf), 0);
    printf("client still reads: %zd '%.*s'\n", n, (int)n, buf);
    close(cl);
    close(sv);

    /* A send to a closed connection: the first ones may still go out
     * (until the peer's reset arrives), then EPIPE. */
    if (pair(fam, &cl, &sv, 0))
        return;
    close(sv);
    wait_for(cl, POLLIN);
    printf("EOF after peer close: %zd\n", recv(cl, buf, sizeof(buf), 0));
    int e = 0;
    for (int i = 0; i < 200 && e != EPIPE; i++) {
        if (send(cl, "x", 1, MSG_NOSIGNAL) < 0)
            e = errno;
        else
            wait_for(cl, POLLERR | POLLHUP);
    }
    printf("send with MSG_NOSIGNAL: eventually %s\n", en(e));
    struct sigaction sa = {0};
    sa.sa_handler = on_pipe;
    sigaction(SIGPIPE, &sa, NULL);
    pipes = 0;
    n = send(cl, "x", 1, 0);
    printf("send with a handler: %zd %s, SIGPIPE %d\n", n, en(errno), (int)pipes);
    n = write(cl, "x", 1);
    printf("write with a handler: %zd %s, SIGPIPE %d\n", n, en(errno), (int)pipes);
    n = send(cl, "x", 1, MSG_NOSIGNAL);
    printf("MSG_NOSIGNAL with a handler: %zd %s, SIGPIPE %d\n", n, en(errno), (int)pipes);
    signal(SIGPIPE, SIG_IGN);
    n = send(cl, "x", 1, 0);
    printf("send with SIGPIPE ignored: %zd %s\n", n, en(errno));
    signal(SIGPIPE, SIG_DFL);
    if (fam == AF_INET6) {
        printf("now the default action\n");
        fflush(stdout);
        send(cl, "x", 1, 0);
        printf("still here\n");
    }
    close(cl);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run(AF_INET);
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    if (s < 0) {
        printf("no IPv6: %s\n", en(errno));
        return 0;
    }
    close(s);
    run(AF_INET6);
    return 0;
}
