/* Nonblocking connect: EINPROGRESS (or at once on loopback), poll for
 * POLLOUT, SO_ERROR; a second connect (EISCONN, or EALREADY while in
 * progress); a connect to a closed port, blocking (ECONNREFUSED) and
 * nonblocking (POLLERR and SO_ERROR ECONNREFUSED). The closed port is an
 * ephemeral one that was bound and released. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *en(int e)
{
    switch (e) {
    case 0:
        return "0";
    case EINPROGRESS:
        return "EINPROGRESS";
    case EALREADY:
        return "EALREADY";
    case EISCONN:
        return "EISCONN";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    default:
        return strerror(e);
    }
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int so_error(int fd)
{
    int e = -1;
    socklen_t l = sizeof(e);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
    return e;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(0);
    bind(l, (struct sockaddr *)&a, sizeof(a));
    listen(l, 4);
    socklen_t len = sizeof(a);
    getsockname(l, (struct sockaddr *)&a, &len);

    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&a, sizeof(a));
    printf("connect: %s\n", r == 0 || errno == EINPROGRESS ? "0 or EINPROGRESS" : en(errno));
    struct pollfd p = {c, POLLOUT, 0};
    r = poll(&p, 1, 5000);
    printf("poll: %d revents %#x\n", r, p.revents);
    printf("SO_ERROR: %s\n", en(so_error(c)));
    r = connect(c, (struct sockaddr *)&a, sizeof(a));
    printf("connect again: %d %s\n", r, en(errno));
    int s = accept(l, NULL, NULL);
    printf("accept without an address: %d\n", s >= 0);
    close(s);
    close(c);

    /* A port nobody listens on: bound, then released. */
    int t = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in dead = loopback(0);
    bind(t, (struct sockaddr *)&dead, sizeof(dead));
    len = sizeof(dead);
    getsockname(t, (struct sockaddr *)&dead, &len);
    close(t);
    c = socket(AF_INET, SOCK_STREAM, 0);
    r = connect(c, (struct sockaddr *)&dead, sizeof(dead));
    printf("blocking connect to a closed port: %d %s\n", r, en(errno));
    close(c);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    r = connect(c, (struct sockaddr *)&dead, sizeof(dead));
    printf("nonblocking connect to a closed port: %d %s\n", r,
           r == 0                                          ? ""
           : errno == EINPROGRESS || errno == ECONNREFUSED ? "started"
                                                           : en(errno));
    p = (struct pollfd){c, POLLOUT, 0};
    r = poll(&p, 1, 5000);
    printf("poll: %d, POLLERR %d, POLLHUP %d\n", r, !!(p.revents & POLLERR),
           !!(p.revents & POLLHUP));
    int e1 = so_error(c), e2 = so_error(c);
    printf("SO_ERROR: %s, then %s\n", en(e1), en(e2));
    close(c);

    /* UDP "connect" never waits, and a refused datagram shows up later. */
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    printf("UDP connect: %d\n", connect(u, (struct sockaddr *)&dead, sizeof(dead)));
    send(u, "x", 1, 0);
    p = (struct pollfd){u, POLLIN, 0};
    r = poll(&p, 1, 5000);
    char b;
    ssize_t n = recv(u, &b, 1, 0);
    printf("UDP poll %d POLLERR %d, recv %zd %s\n", r, !!(p.revents & POLLERR), n, en(errno));
    close(u);
    close(l);
    return 0;
}
