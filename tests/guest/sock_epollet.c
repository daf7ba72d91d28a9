/* Edge-triggered epoll on host sockets after EAGAIN, as event loops use it
 * (nginx sending a file to a slow client): once a write has met a full
 * buffer, the buffer's draining is a new EPOLLOUT edge even though the
 * socket was writable when epoll last reported it; once a read has met an
 * empty socket, new data is a new EPOLLIN edge. And nothing is reported
 * while nothing changed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static char buf[65536];

/* One epoll_wait: what it reported for the one fd in the set. */
static void report(const char *what, int ep, int ms)
{
    struct epoll_event ev[4];
    int n = epoll_wait(ep, ev, 4, ms);
    printf("%s: %d event%s", what, n, n == 1 ? "" : "s");
    if (n == 1)
        printf(",%s%s", ev[0].events & EPOLLIN ? " EPOLLIN" : "",
               ev[0].events & EPOLLOUT ? " EPOLLOUT" : "");
    printf("\n");
}

/* Writes to the nonblocking s until EAGAIN; returns how much went in. */
static long fill(int s)
{
    long total = 0;
    for (;;) {
        ssize_t r = write(s, buf, sizeof(buf));
        if (r < 0) {
            printf("fill: %s\n", errname(errno));
            return total;
        }
        total += r;
    }
}

/* Reads exactly n bytes from the blocking c. */
static void drain(int c, long n)
{
    while (n > 0) {
        ssize_t r = read(c, buf, (size_t)(n < (long)sizeof(buf) ? n : (long)sizeof(buf)));
        if (r <= 0) {
            printf("drain: %s\n", r ? errname(errno) : "end of file");
            return;
        }
        n -= r;
    }
    printf("drained\n");
}

static void tcp(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4) ||
        getsockname(l, (struct sockaddr *)&a, &len)) {
        printf("listen: %s\n", errname(errno));
        return;
    }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int small = 32768;
    setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    if (connect(c, (struct sockaddr *)&a, sizeof(a))) {
        printf("connect: %s\n", errname(errno));
        return;
    }
    int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.fd = s};
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    report("tcp, added", ep, 2000);
    report("tcp, nothing changed", ep, 100);
    /* Full, and no wait sees it full: the client then takes it all. */
    long sent = fill(s);
    printf("filled: %s\n", sent > 0 ? "yes" : "no");
    drain(c, sent);
    report("tcp, drained after EAGAIN", ep, 5000);
    report("tcp, nothing changed", ep, 100);
    /* The other way: read to EAGAIN, then the peer writes. */
    if (write(c, "ping", 4) != 4)
        printf("write: %s\n", errname(errno));
    report("tcp, data", ep, 5000);
    ssize_t r;
    while ((r = read(s, buf, sizeof(buf))) > 0)
        printf("read %zd\n", r);
    printf("read: %s\n", errname(errno));
    if (write(c, "pong", 4) != 4)
        printf("write: %s\n", errname(errno));
    report("tcp, data after EAGAIN", ep, 5000);
    while ((r = read(s, buf, sizeof(buf))) > 0)
        printf("read %zd\n", r);
    printf("read: %s\n", errname(errno));
    close(ep);
    close(s);
    close(c);
    close(l);
}

/* A datagram socket has no stream buffer in the guest: the same rule. */
static void udp(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) || getsockname(s, (struct sockaddr *)&a, &len)) {
        printf("bind: %s\n", errname(errno));
        return;
    }
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = s};
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    sendto(c, "one", 3, 0, (struct sockaddr *)&a, sizeof(a));
    report("udp, datagram", ep, 5000);
    ssize_t r;
    while ((r = recv(s, buf, sizeof(buf), 0)) > 0)
        printf("recv %zd\n", r);
    printf("recv: %s\n", errname(errno));
    sendto(c, "two!", 4, 0, (struct sockaddr *)&a, sizeof(a));
    report("udp, datagram after EAGAIN", ep, 5000);
    while ((r = recv(s, buf, sizeof(buf), 0)) > 0)
        printf("recv %zd\n", r);
    printf("recv: %s\n", errname(errno));
    report("udp, nothing changed", ep, 100);
    close(ep);
    close(s);
    close(c);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    tcp();
    udp();
    return 0;
}
