/* UDP on 127.0.0.1: sendto/recvfrom with the sender's address, connect on
 * UDP, sendmsg/recvmsg with MSG_TRUNC and msg_namelen, sendmmsg and
 * recvmmsg, FIONREAD, MSG_PEEK, MSG_DONTWAIT. Ports are ephemeral and never
 * printed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *en(int e)
{
    switch (e) {
    case EAGAIN:
        return "EAGAIN";
    case EDESTADDRREQ:
        return "EDESTADDRREQ";
    case EISCONN:
        return "EISCONN";
    case EMSGSIZE:
        return "EMSGSIZE";
    default:
        return strerror(e);
    }
}

static int bound(struct sockaddr_in *a)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)a, sizeof(*a));
    socklen_t len = sizeof(*a);
    getsockname(s, (struct sockaddr *)a, &len);
    return s;
}

static void ready(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1)
        printf("not readable\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sockaddr_in a, b, from;
    int sa = bound(&a), sb = bound(&b);
    char buf[64];
    socklen_t flen = sizeof(from);
    ssize_t n = recvfrom(sa, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    printf("recvfrom on empty: %zd %s\n", n, en(errno));
    n = send(sa, "x", 1, 0);
    printf("send unconnected: %zd %s\n", n, en(errno));

    n = sendto(sa, "ping", 4, 0, (struct sockaddr *)&b, sizeof(b));
    printf("sendto: %zd\n", n);
    ready(sb);
    int avail = -1;
    ioctl(sb, FIONREAD, &avail);
    printf("FIONREAD: %d\n", avail);
    flen = sizeof(from);
    memset(&from, 0, sizeof(from));
    n = recvfrom(sb, buf, sizeof(buf), MSG_PEEK, (struct sockaddr *)&from, &flen);
    printf("peek: %zd '%.*s'\n", n, (int)n, buf);
    flen = sizeof(from);
    n = recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    printf("recvfrom: %zd '%.*s', from the sender %d, len %u\n", n, (int)n, buf,
           from.sin_port == a.sin_port && from.sin_addr.s_addr == a.sin_addr.s_addr,
           (unsigned)flen);

    /* A name buffer too small: truncated, the full length reported. */
    sendto(sa, "abc", 3, 0, (struct sockaddr *)&b, sizeof(b));
    ready(sb);
    unsigned char small[4] = {0};
    flen = sizeof(small);
    n = recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)small, &flen);
    printf("small name buffer: %zd, len %u, family ok %d\n", n, (unsigned)flen,
           small[0] == AF_INET && small[1] == 0);

    /* MSG_TRUNC: recv returns the datagram's real size with the flag. */
    sendto(sa, "0123456789", 10, 0, (struct sockaddr *)&b, sizeof(b));
    ready(sb);
    n = recv(sb, buf, 4, MSG_TRUNC);
    printf("recv 4 of 10 with MSG_TRUNC: %zd '%.4s'\n", n, buf);
    sendto(sa, "0123456789", 10, 0, (struct sockaddr *)&b, sizeof(b));
    ready(sb);
    struct iovec iov = {buf, 4};
    struct msghdr m = {
        .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
    n = recvmsg(sb, &m, 0);
    printf("recvmsg 4 of 10: %zd, MSG_TRUNC %d, namelen %u, controllen %zu\n", n,
           !!(m.msg_flags & MSG_TRUNC), (unsigned)m.msg_namelen, (size_t)m.msg_controllen);

    /* Ancillary data: IP_PKTINFO reports the destination address. */
    int one = 1;
    setsockopt(sb, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    sendto(sa, "pk", 2, 0, (struct sockaddr *)&b, sizeof(b));
    ready(sb);
    union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } ctl;
    iov = (struct iovec){buf, sizeof(buf)};
    m = (struct msghdr){.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    n = recvmsg(sb, &m, 0);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    printf("recvmsg with IP_PKTINFO: %zd, cmsg %d, to loopback %d\n", n,
           c && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO,
           c && ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr.s_addr == htonl(INADDR_LOOPBACK));
    sendto(sa, "pk", 2, 0, (struct sockaddr *)&b, sizeof(b));
    ready(sb);
    m = (struct msghdr){
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = 4};
    n = recvmsg(sb, &m, 0);
    printf("control buffer too small: %zd, MSG_CTRUNC %d\n", n, !!(m.msg_flags & MSG_CTRUNC));
    one = 0;
    setsockopt(sb, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));

    /* connect on UDP: send without an address, only that peer is heard. */
    printf("connect: %d\n", connect(sa, (struct sockaddr *)&b, sizeof(b)));
    n = send(sa, "conn", 4, 0);
    ready(sb);
    n = recv(sb, buf, sizeof(buf), 0);
    printf("connected send: %zd '%.*s'\n", n, (int)n, buf);
    struct sockaddr_in peer;
    socklen_t plen = sizeof(peer);
    getpeername(sa, (struct sockaddr *)&peer, &plen);
    printf("getpeername is b: %d\n", peer.sin_port == b.sin_port);
    connect(sb, (struct sockaddr *)&a, sizeof(a));

    /* sendmmsg and recvmmsg. */
    struct mmsghdr mv[3];
    struct iovec iv[3];
    const char *words[3] = {"one", "three", "five5"};
    memset(mv, 0, sizeof(mv));
    for (int i = 0; i < 3; i++) {
        iv[i] = (struct iovec){(void *)words[i], strlen(words[i])};
        mv[i].msg_hdr.msg_iov = &iv[i];
        mv[i].msg_hdr.msg_iovlen = 1;
    }
    int k = sendmmsg(sa, mv, 3, 0);
    printf("sendmmsg: %d, lengths %u %u %u\n", k, mv[0].msg_len, mv[1].msg_len, mv[2].msg_len);
    char rb[3][8];
    struct sockaddr_in names[3];
    memset(mv, 0, sizeof(mv));
    for (int i = 0; i < 3; i++) {
        iv[i] = (struct iovec){rb[i], 4};
        mv[i].msg_hdr.msg_iov = &iv[i];
        mv[i].msg_hdr.msg_iovlen = 1;
        mv[i].msg_hdr.msg_name = &names[i];
        mv[i].msg_hdr.msg_namelen = sizeof(names[i]);
    }
    ready(sb);
    /* All three are queued on loopback by now; MSG_WAITFORONE never waits
     * after the first. */
    k = recvmmsg(sb, mv, 3, MSG_WAITFORONE, NULL);
    printf("recvmmsg: %d\n", k);
    for (int i = 0; i < k; i++)
        printf("  %u '%.*s' trunc %d namelen %u from a %d\n", mv[i].msg_len,
               (int)(mv[i].msg_len < 4 ? mv[i].msg_len : 4), rb[i],
               !!(mv[i].msg_hdr.msg_flags & MSG_TRUNC), (unsigned)mv[i].msg_hdr.msg_namelen,
               names[i].sin_port == a.sin_port);
    struct timespec ts = {0, 1000000};
    k = recvmmsg(sb, mv, 3, MSG_DONTWAIT, &ts);
    printf("recvmmsg on empty: %d %s\n", k, en(errno));

    /* A datagram larger than UDP allows. */
    static char big[70000];
    n = send(sa, big, sizeof(big), 0);
    printf("send 70000 bytes: %zd %s\n", n, en(errno));
    close(sa);
    close(sb);
    return 0;
}
