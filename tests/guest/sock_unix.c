/* AF_UNIX sockets bound to paths in the cwd (a host directory under hxrun)
 * and in /tmp (RAM under hxrun), and to abstract names: stream and
 * datagram, the names getsockname, getpeername, accept and recvfrom
 * report, the socket file (stat, unlink, open), EADDRINUSE, ENOENT and
 * ECONNREFUSED. Names in /tmp and abstract names carry the pid (the host's
 * /tmp and abstract namespace are shared by parallel runs); it is never
 * printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char pidstr[16];

static const char *en(int e)
{
    switch (e) {
    case 0:
        return "ok";
    case ENOENT:
        return "ENOENT";
    case EADDRINUSE:
        return "EADDRINUSE";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    case ENXIO:
        return "ENXIO";
    case EINVAL:
        return "EINVAL";
    case ENOTDIR:
        return "ENOTDIR";
    case EAGAIN:
        return "EAGAIN";
    case EISCONN:
        return "EISCONN";
    default:
        return strerror(e);
    }
}

static const char *res(int r)
{
    return en(r < 0 ? errno : 0);
}

static socklen_t mk(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    size_t n = strlen(path);
    memcpy(a->sun_path, path, n);
    if (path[0] == '@')
        a->sun_path[0] = 0; /* abstract */
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] != '@'));
}

/* Prints an address with the pid masked. */
static void show(const char *what, const struct sockaddr_un *a, socklen_t len)
{
    char p[128] = "";
    size_t n = len > offsetof(struct sockaddr_un, sun_path)
                   ? len - offsetof(struct sockaddr_un, sun_path)
                   : 0;
    memcpy(p, a->sun_path, n < sizeof(p) - 1 ? n : sizeof(p) - 1);
    if (n && !p[0])
        p[0] = '@';
    char *pid = strstr(p, pidstr);
    if (pid) {
        size_t k = strlen(pidstr);
        memmove(pid + 3, pid + k, strlen(pid + k) + 1);
        memcpy(pid, "PID", 3);
    }
    printf("%s: len %u family %d '%s'\n", what, (unsigned)len, a->sun_family, p);
}

static void names(const char *what, int fd, int peer)
{
    struct sockaddr_un a;
    memset(&a, 0x55, sizeof(a));
    socklen_t len = sizeof(a);
    int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len)
                 : getsockname(fd, (struct sockaddr *)&a, &len);
    if (r < 0)
        printf("%s: %s\n", what, en(errno));
    else
        show(what, &a, len);
}

static void is_socket(const char *path)
{
    struct stat st;
    int r = lstat(path, &st);
    printf("  stat: %s, socket %d, mode %o\n", res(r), r == 0 && S_ISSOCK(st.st_mode),
           r == 0 ? (unsigned)(st.st_mode & 0777) : 0);
    int fd = open(path, O_RDONLY);
    printf("  open: %s\n", res(fd));
}

static void stream(const char *path)
{
    printf("== stream %s\n", path[0] == '/' ? "in /tmp" : path[0] == '@' ? "abstract" : path);
    struct sockaddr_un a;
    socklen_t len = mk(&a, path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind: %s\n", res(bind(l, (struct sockaddr *)&a, len)));
    if (path[0] != '@')
        is_socket(path);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("connect before listen: %s\n", res(connect(c, (struct sockaddr *)&a, len)));
    close(c);
    printf("listen: %s\n", res(listen(l, 4)));
    names("  listener name", l, 0);
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind again: %s\n", res(bind(l2, (struct sockaddr *)&a, len)));
    close(l2);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("connect: %s\n", res(connect(c, (struct sockaddr *)&a, len)));
    names("  client name", c, 0);
    names("  client peer", c, 1);
    struct sockaddr_un from;
    socklen_t flen = sizeof(from);
    int s = accept(l, (struct sockaddr *)&from, &flen);
    printf("accept: %s\n", res(s));
    show("  accepted from", &from, flen);
    names("  accepted name", s, 0);
    names("  accepted peer", s, 1);
    char buf[16];
    write(c, "hi", 2);
    ssize_t n = read(s, buf, sizeof(buf));
    printf("data: %zd '%.*s'\n", n, (int)n, buf);
    close(c);
    n = read(s, buf, sizeof(buf));
    printf("after the client closed: %zd\n", n);
    close(s);
    close(l);
    if (path[0] != '@') {
        printf("connect after close: %s\n",
               res(connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, len)));
        printf("unlink: %s\n", res(unlink(path)));
        printf("connect after unlink: %s\n",
               res(connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, len)));
        l = socket(AF_UNIX, SOCK_STREAM, 0);
        printf("bind after unlink: %s\n", res(bind(l, (struct sockaddr *)&a, len)));
        close(l);
        unlink(path);
    }
}

static void dgram(const char *p1, const char *p2)
{
    printf("== dgram %s\n", p1[0] == '/' ? "in /tmp" : p1[0] == '@' ? "abstract" : p1);
    struct sockaddr_un a, b;
    socklen_t alen = mk(&a, p1), blen = mk(&b, p2);
    int s1 = socket(AF_UNIX, SOCK_DGRAM, 0), s2 = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    printf("bind: %s %s\n", res(bind(s1, (struct sockaddr *)&a, alen)),
           res(bind(s2, (struct sockaddr *)&b, blen)));
    printf("sendto: %zd\n", sendto(s1, "d1", 2, 0, (struct sockaddr *)&b, blen));
    struct sockaddr_un from;
    socklen_t flen = sizeof(from);
    char buf[16];
    ssize_t n = recvfrom(s2, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    printf("recvfrom: %zd '%.*s'\n", n, (int)n, buf);
    show("  from", &from, flen);
    /* sendmsg with the name in the msghdr, recvmsg reporting it. */
    struct iovec iov = {"d2", 2};
    struct msghdr m = {.msg_name = &b, .msg_namelen = blen, .msg_iov = &iov, .msg_iovlen = 1};
    printf("sendmsg: %zd\n", sendmsg(s1, &m, 0));
    iov = (struct iovec){buf, sizeof(buf)};
    memset(&from, 0, sizeof(from));
    m = (struct msghdr){
        .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
    n = recvmsg(s2, &m, 0);
    printf("recvmsg: %zd '%.*s'\n", n, (int)n, buf);
    show("  from", &from, m.msg_namelen);
    /* sendmmsg to a path: one message each. */
    struct mmsghdr mv[2];
    struct iovec iv[2] = {{"m1", 2}, {"m2", 2}};
    memset(mv, 0, sizeof(mv));
    for (int i = 0; i < 2; i++)
        mv[i].msg_hdr = (struct msghdr){
            .msg_name = &b, .msg_namelen = blen, .msg_iov = &iv[i], .msg_iovlen = 1};
    printf("sendmmsg: %d\n", sendmmsg(s1, mv, 2, 0));
    for (int i = 0; i < 2; i++) {
        n = recv(s2, buf, sizeof(buf), 0);
        printf("  got %zd '%.*s'\n", n, (int)n, buf);
    }
    n = recv(s2, buf, sizeof(buf), 0);
    printf("recv on empty: %zd %s\n", n, en(errno));
    printf("connect: %s\n", res(connect(s1, (struct sockaddr *)&b, blen)));
    names("  peer", s1, 1);
    printf("send: %zd\n", send(s1, "c", 1, 0));
    n = recv(s2, buf, sizeof(buf), 0);
    printf("recv: %zd\n", n);
    close(s2);
    printf("send to a closed peer: %s\n", res((int)send(s1, "c", 1, 0)));
    close(s1);
    if (p1[0] != '@') {
        unlink(p1);
        unlink(p2);
    }
    int s3 = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("sendto an unlinked name: %s\n",
           res((int)sendto(s3, "x", 1, 0, (struct sockaddr *)&b, blen)));
    close(s3);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Fixed width: a name's length must not depend on how many digits the pid has. */
    snprintf(pidstr, sizeof(pidstr), "%08d", (int)getpid());
    umask(022);
    char tpath[64], tpath2[64], abs1[64], abs2[64];
    snprintf(tpath, sizeof(tpath), "/tmp/hxsock-%s-s", pidstr);
    stream("srv.sock");
    stream("./dot.sock");
    stream(tpath);
    snprintf(abs1, sizeof(abs1), "@hx-abstract-%s", pidstr);
    stream(abs1);
    snprintf(tpath, sizeof(tpath), "/tmp/hxsock-%s-d1", pidstr);
    snprintf(tpath2, sizeof(tpath2), "/tmp/hxsock-%s-d2", pidstr);
    dgram("d1.sock", "d2.sock");
    dgram(tpath, tpath2);
    snprintf(abs1, sizeof(abs1), "@hx-d1-%s", pidstr);
    snprintf(abs2, sizeof(abs2), "@hx-d2-%s", pidstr);
    dgram(abs1, abs2);

    /* Names that lead nowhere, or to something that is not a socket. */
    struct sockaddr_un a;
    socklen_t len;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    close(open("plain", O_CREAT | O_WRONLY, 0644));
    len = mk(&a, "plain");
    printf("connect to a file: %s\n", res(connect(s, (struct sockaddr *)&a, len)));
    printf("bind over a file: %s\n", res(bind(s, (struct sockaddr *)&a, len)));
    len = mk(&a, "nodir/x.sock");
    printf("bind in a missing directory: %s\n", res(bind(s, (struct sockaddr *)&a, len)));
    len = mk(&a, "plain/x.sock");
    printf("bind under a file: %s\n", res(bind(s, (struct sockaddr *)&a, len)));
    len = mk(&a, "/tmp/hx-no-such-dir-at-all/x");
    printf("connect in a missing /tmp directory: %s\n",
           res(connect(s, (struct sockaddr *)&a, len)));
    /* A symlink to a socket is followed by connect. */
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    len = mk(&a, "target.sock");
    bind(l, (struct sockaddr *)&a, len);
    listen(l, 1);
    symlink("target.sock", "link.sock");
    len = mk(&a, "link.sock");
    printf("connect through a symlink: %s\n", res(connect(s, (struct sockaddr *)&a, len)));
    names("  peer", s, 1);
    close(s);
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind on a symlink: %s\n", res(bind(s, (struct sockaddr *)&a, len)));
    close(s);
    close(l);
    unlink("target.sock");
    unlink("link.sock");
    unlink("plain");

    /* The socket's own bound name, unnamed sockets, autobind. */
    s = socket(AF_UNIX, SOCK_DGRAM, 0);
    names("unbound name", s, 0);
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    printf("autobind: %s\n", res(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t))));
    len = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &len);
    printf("  autobound: len %u abstract %d\n", (unsigned)len, a.sun_path[0] == 0);
    close(s);
    /* A path too long. */
    char longp[120];
    memset(longp, 'x', sizeof(longp));
    longp[sizeof(longp) - 1] = 0;
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct {
        struct sockaddr_un a;
        char more[16];
    } big;
    memset(&big, 'y', sizeof(big));
    big.a.sun_family = AF_UNIX;
    printf("bind with a length past sun_path: %s\n",
           res(bind(s, (struct sockaddr *)&big, sizeof(big))));
    close(s);
    return 0;
}
