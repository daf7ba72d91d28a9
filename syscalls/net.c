/* Sockets: host sockets in the guest's fd table. A socket is a host file
 * (file_host.c) whose sock field holds its domain, so read, write, poll,
 * select, close, dup and fcntl take the host-fd paths unchanged; the monitor does the
 * socket work (hypervisor/hc_net.c). What happens here: the fd table,
 * AF_UNIX paths resolved in the guest's own file systems (a path under a
 * host mount goes to the monitor to be walked confined; a path in /tmp
 * becomes a minifs node of type socket, whose inode number names the host
 * socket in the monitor's private directory), and SIGPIPE, which the
 * monitor never receives and the program must. */
#include "heap.h"
#include "tmpfs.h"
#include "vfs.h"
#include "uapi/socket.h"
#include "uapi/sockios.h"
#include "uapi/uio.h"
#include "uapi/un.h"

/* Linux's struct msghdr and struct mmsghdr on x86-64. */
struct kmsghdr {
    uint64_t name;
    uint32_t namelen, _pad;
    uint64_t iov, iovlen, control, controllen;
    int32_t flags, _pad2;
};
struct kmmsghdr {
    struct kmsghdr hdr;
    uint32_t len, _pad;
};

/* sendmsg on a blocking socket: Linux returns once all of it is sent (or a
 * signal stops it after some), so piece by piece with MSG_DONTWAIT, waiting
 * for room in between. */
static long send_all(struct file *f, uint64_t um, uint64_t flags, uint64_t kind, uint64_t where)
{
    struct kmsghdr m;
    struct kiov {
        uint64_t base, len;
    } iov[64];
    if (((uint64_t)um < HX_USER_TOP && !user_ok((void *)um, sizeof(m), 0)))
        return -EFAULT;
    memcpy(&m, (void *)um, sizeof(m));
    if (m.iovlen > 64 ||
        ((uint64_t)m.iov < HX_USER_TOP && !user_ok((void *)m.iov, m.iovlen * 16, 0)))
        return HC(sendmsg, .hostfd = f->hostfd, .msg = um, .flags = flags, .unix_kind = kind,
                  .unix_where = where);
    memcpy(iov, (void *)m.iov, m.iovlen * 16);
    m.iov = (uint64_t)iov;
    uint64_t total = 0, done = 0;
    for (uint64_t i = 0; i < m.iovlen; i++)
        total += iov[i].len;
    for (;;) {
        long r = HC(sendmsg, .hostfd = f->hostfd, .msg = (uint64_t)&m,
                    .flags = flags | MSG_DONTWAIT, .unix_kind = kind, .unix_where = where);
        if (r == -EAGAIN) {
            r = host_fd_wait(f->hostfd, 4 /* POLLOUT */);
            if (r < 0)
                return done ? (long)done : r;
            continue;
        }
        if (r < 0)
            return done ? (long)done : r;
        done += (uint64_t)r;
        if (done >= total || (f->sock != 2 && f->sock != 10 && f->sock != 1))
            return (long)done; /* all of it, or a datagram */
        /* Past what went: the address and control data went with it. */
        m.controllen = 0;
        while (m.iovlen && (uint64_t)r >= iov[0].len) {
            r -= (long)iov[0].len;
            memmove(iov, iov + 1, (m.iovlen - 1) * 16);
            m.iovlen--;
        }
        if (m.iovlen) {
            iov[0].base += (uint64_t)r;
            iov[0].len -= (uint64_t)r;
        }
    }
}

/* Every host socket call that can wait (connect, accept, send and receive)
 * goes through here: SOCK_CALL(f, name, .field = value, ...) is HC(name,
 * .hostfd = f->hostfd, ...) made by sock_call, which may set MSG_DONTWAIT
 * in the request's flags and make it again. */
#define SOCK_CALL(f, name, ...)                                                                    \
    sock_call(f, &(struct hx_hcall){.nr = hcall_nr_##name,                                         \
                                    .name = {.hostfd = (uint64_t)(f)->hostfd, __VA_ARGS__}})

static long sock_call(struct file *f, struct hx_hcall *h)
{
    /* A blocking socket's call is made so that it cannot block the VM
     * (MSG_DONTWAIT, or after the socket is ready for accept); when it
     * would have blocked, the thread waits in the scheduler for the host
     * fd, so other threads run and timers and signals interrupt it. A
     * call that must wait for everything (MSG_WAITALL) and connect still
     * block in the host. */
    uint32_t nr = h->nr;
    uint64_t *flags = nr == HX_HC_RECVMSG    ? &h->recvmsg.flags
                      : nr == HX_HC_SENDMSG  ? &h->sendmsg.flags
                      : nr == HX_HC_RECVMMSG ? &h->recvmmsg.flags
                      : nr == HX_HC_SENDMMSG ? &h->sendmmsg.flags
                                             : NULL;
    int16_t events = nr == HX_HC_SENDMSG || nr == HX_HC_SENDMMSG ? 4 /* POLLOUT */ : 1 /* POLLIN */;
    if ((f->flags & O_NONBLOCK) || (flags && (*flags & (MSG_DONTWAIT | MSG_WAITALL))) ||
        (!flags && nr != HX_HC_ACCEPT))
        return hcall_send(h);
    if (nr == HX_HC_SENDMSG)
        return send_all(f, h->sendmsg.msg, h->sendmsg.flags, h->sendmsg.unix_kind,
                        h->sendmsg.unix_where);
    if (!flags) { /* accept: once the socket is ready */
        long r = host_fd_ready(f->hostfd, events);
        return r ? r : hcall_send(h);
    }
    *flags |= MSG_DONTWAIT;
    for (;;) {
        long r = hcall_send(h);
        if (r != -EAGAIN)
            return r;
        r = host_fd_wait(f->hostfd, events);
        if (r < 0)
            return r;
        /* The wait may have brought the data into the guest already. */
        if (events == 1 && sockbuf_rx_ready(f->hostfd))
            return SOCKBUF_RETRY;
    }
}

/* read and write on a blocking socket: recv and send with no flags. */
long sock_rw(struct file *f, uint64_t buf, uint64_t len, int write)
{
    struct {
        uint64_t base, len;
    } iov = {buf, MIN(len, 0x7fffffffull)};
    struct kmsghdr m = {.iov = (uint64_t)&iov, .iovlen = 1};
    for (;;) {
        long r = write ? SOCK_CALL(f, sendmsg, .msg = (uint64_t)&m, .flags = MSG_NOSIGNAL)
                       : SOCK_CALL(f, recvmsg, .msg = (uint64_t)&m, .flags = 0);
        if (r != SOCKBUF_RETRY)
            return r;
        struct sb_iov one = {buf, len};
        r = sockbuf_recv(f, &one, 1, 0);
        if (r != SOCKBUF_EMPTY)
            return r;
    }
}

static struct file *sock_get(uint64_t fd, long *err)
{
    struct file *f = fd_get(fd);
    *err = !f ? -EBADF : f->hostfd < 0 || !f->sock ? -ENOTSOCK : 0;
    return *err ? NULL : f;
}

/* Puts a new host socket in the fd table. */
static long sock_install(long hostfd, int domain, uint64_t flags, int stream)
{
    if (hostfd < 0)
        return hostfd;
    struct file *f = host_file_new((int)hostfd);
    if (!f) {
        HC(close, .hostfd = (uint64_t)hostfd);
        return -ENFILE;
    }
    f->sock = domain;
    f->flags = O_RDWR | ((uint32_t)flags & O_NONBLOCK);
    /* Not AF_UNIX: a read that a wait does ahead (sockbuf.c) takes no
     * ancillary data, and the descriptors a message carries would be lost. */
    if (stream && domain != AF_UNIX)
        sockbuf_open((int)hostfd);
    return fd_install(f, 0, (flags & SOCK_CLOEXEC) != 0);
}

/* A send that met a closed connection: SIGPIPE, unless MSG_NOSIGNAL. */
static long sent(long r, uint64_t flags)
{
    if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
        signal_send(current, SIGPIPE, SI_USER);
    return r;
}

void net_describe(const struct file *f, char *out, size_t size)
{
    static struct kstat st; /* scratch (vfs.h): a host call, no wait */
    if (HC(fstat, .hostfd = f->hostfd, .statbuf = (uint64_t)&st) < 0)
        st.ino = 0;
    ksnprintf(out, size, "socket:[%lu]", st.ino);
}

long net_ioctl(struct file *f, uint64_t cmd, uint64_t arg)
{
    if (cmd == FIONREAD || cmd == SIOCOUTQ || cmd == SIOCATMARK || cmd == SIOCOUTQNSD) {
        long r = HC(sockioctl, .hostfd = f->hostfd, .cmd = cmd, .arg = arg);
        /* What a wait already brought into the guest is unread too. */
        if (r == 0 && cmd == FIONREAD && sockbuf_rx_avail(f->hostfd) && user_ok((void *)arg, 4, 1))
            *(int32_t *)arg += (int32_t)sockbuf_rx_avail(f->hostfd);
        return r;
    }
    /* Interface and routing requests (0x89xx) are not forwarded yet. */
    static uint8_t warned[256];
    if ((cmd & 0xff00) == SOCK_IOC_TYPE << 8 && !warned[cmd & 0xff]++)
        kwarn("socket ioctl 0x%lx is not supported yet", cmd);
    return -ENOTTY;
}

/* ---- Addresses ---------------------------------------------------------- */
/* A socket address copied from the program, and where its AF_UNIX path
 * leads (HX_UNIX_NONE for every other address). */
struct addr {
    uint8_t buf[SOCKADDR_STORAGE_SIZE];
    uint64_t len;
    uint64_t kind, where;
    struct mfs_node *made; /* bind in /tmp: the node made for it */
    /* Where an AF_UNIX path leads: from the heap (PATH_MAX is too big for
     * a kernel stack, and a blocking sendmsg waits while it is in use, so
     * it cannot be static either). */
    struct loc *loc;
};

/* Linux's move_addr_to_kernel: an int length, at most 128 bytes. */
static long addr_get(uint64_t uaddr, uint64_t ulen, struct addr *a)
{
    int32_t len = (int32_t)ulen;
    a->kind = HX_UNIX_NONE;
    a->made = NULL;
    if (len < 0 || len > SOCKADDR_STORAGE_SIZE)
        return -EINVAL;
    if (len && !user_ok((void *)uaddr, (uint64_t)len, 0))
        return -EFAULT;
    memset(a->buf, 0, sizeof(a->buf));
    memcpy(a->buf, (void *)uaddr, (size_t)len);
    a->len = (uint64_t)len;
    return 0;
}

static int is_unix_path(const struct file *f, const struct addr *a)
{
    return f->sock == AF_UNIX && a->len > SUN_PATH_OFFSET && *(uint16_t *)a->buf == AF_UNIX &&
           a->buf[SUN_PATH_OFFSET];
}

/* Where the AF_UNIX path in a leads (again: after the host redirected the
 * walk into the guest's own file systems). bind makes the socket's name
 * in /tmp; connect and sendto need a socket there. */
static long unix_resolve(struct addr *a, int bind, int again)
{
    int follow = !bind; /* bind never follows: an existing name is in use */
    struct loc *l = a->loc;
    long r;
    if (again) {
        r = lookup_again(l, follow);
    } else {
        char upath[UNIX_PATH_MAX + 1];
        size_t n = strnlen((const char *)a->buf + SUN_PATH_OFFSET, a->len - SUN_PATH_OFFSET);
        if (a->len > SUN_PATH_OFFSET + UNIX_PATH_MAX)
            return -EINVAL;
        memcpy(upath, a->buf + SUN_PATH_OFFSET, n);
        upath[n] = 0;
        r = lookup(AT_FDCWD, upath, 0, follow, l);
    }
    if (r)
        return r;
    switch (l->mnt) {
    case M_HOST:
        a->kind = HX_UNIX_HOST;
        a->where = (uint64_t)l->path;
        return 0;
    case M_TMP:
        if (!bind) {
            if (!l->node)
                return -ENOENT;
            if ((l->node->mode & S_IFMT) != S_IFSOCK)
                return -ECONNREFUSED;
            a->kind = HX_UNIX_TMP;
            a->where = l->node->ino;
            return 0;
        }
        if (l->node)
            return -EADDRINUSE;
        if (!l->parent)
            return -ENOENT;
        r = mfs_create(&tmpfs, l->parent, l->name, l->len, S_IFSOCK | (0777 & ~umask_bits),
                       boot->euid, boot->egid, NULL, &a->made);
        if (r)
            return r;
        a->kind = HX_UNIX_TMP;
        a->where = a->made->ino;
        return 0;
    default:
        /* /dev and /proc hold no sockets, and take no new names. */
        return bind ? -EADDRINUSE : -ECONNREFUSED;
    }
}

/* After the host call: a failed bind in /tmp leaves no name behind. */
static long unix_done(struct addr *a, long r)
{
    if (r < 0 && a->made)
        mfs_remove(&tmpfs, a->loc->parent, a->loc->name, a->loc->len, 0);
    a->made = NULL;
    loc_done(a->loc);
    kfree(a->loc, sizeof(*a->loc));
    a->loc = NULL;
    return r;
}

/* The host calls that take an address: bind, connect and sendmsg. */
enum addr_op { OP_BIND, OP_CONNECT, OP_SENDMSG };

static long addr_call(struct file *f, enum addr_op op, struct addr *a, uint64_t arg, uint64_t flags)
{
    int path = is_unix_path(f, a);
    if (path && !(a->loc = kmalloc(sizeof(*a->loc))))
        return -ENOMEM;
    long r = path ? unix_resolve(a, op == OP_BIND, 0) : 0;
    while (!r) {
        switch (op) {
        case OP_BIND:
            r = HC(bind, .hostfd = f->hostfd, .addr = (uint64_t)a->buf, .addrlen = a->len,
                   .unix_kind = a->kind, .unix_where = a->where, .umask = umask_bits);
            break;
        case OP_CONNECT:
            r = SOCK_CALL(f, connect, .addr = (uint64_t)a->buf, .addrlen = a->len,
                          .unix_kind = a->kind, .unix_where = a->where);
            break;
        case OP_SENDMSG:
            r = SOCK_CALL(f, sendmsg, .msg = arg, .flags = flags, .unix_kind = a->kind,
                          .unix_where = a->where);
            break;
        }
        if (r != -HX_EREDIRECT)
            break;
        r = unix_resolve(a, op == OP_BIND, 1);
    }
    return path ? unix_done(a, r) : r;
}

/* ---- Creating, naming, connecting -------------------------------------- */
SYSCALL(socket)
{
    return sock_install(HC(socket, .domain = a0, .type = a1, .protocol = a2), (int)a0, a1,
                        (a1 & 0xf) == 1 /* SOCK_STREAM */);
}

SYSCALL(socketpair)
{
    static int sv[2]; /* scratch (vfs.h): filled and read with no wait between */
    int *usv = (int *)a3;
    if (!user_ok(usv, sizeof(sv), 1))
        return -EFAULT;
    long r = HC(socketpair, .domain = a0, .type = a1, .protocol = a2, .sv = (uint64_t)sv);
    if (r < 0)
        return r;
    long fd0 = sock_install(sv[0], (int)a0, a1, (a1 & 0xf) == 1);
    if (fd0 < 0) {
        HC(close, .hostfd = (uint64_t)sv[1]);
        return fd0;
    }
    long fd1 = sock_install(sv[1], (int)a0, a1, (a1 & 0xf) == 1);
    if (fd1 < 0) {
        sys_close((uint64_t)fd0, 0, 0, 0, 0, 0);
        return fd1;
    }
    usv[0] = (int)fd0;
    usv[1] = (int)fd1;
    return 0;
}

SYSCALL(bind)
{
    long r;
    struct addr uaddr; /* on the stack: another thread may call meanwhile */
    struct file *f = sock_get(a0, &r);
    if (!f || (r = addr_get(a1, a2, &uaddr)))
        return r;
    return addr_call(f, OP_BIND, &uaddr, 0, 0);
}

/* A blocking connect the monitor cut short for a host signal goes on in the
 * host: its end is awaited here, where the program's mask decides what a
 * signal does (Linux does not interrupt a connect for a blocked signal;
 * one that runs a handler makes it EINTR, or EALREADY when restarted). */
static long connect_finish(struct file *f)
{
    long r;
    do
        r = host_fd_wait(f->hostfd, 4 /* POLLOUT */);
    while (r == 0);
    if (r < 0)
        return r;
    int32_t err = 0;
    uint32_t len = sizeof(err);
    r = HC(sockopt, .hostfd = f->hostfd, .level = 1 /* SOL_SOCKET */, .name = 4 /* SO_ERROR */,
           .value = (uint64_t)&err, .len = (uint64_t)&len, .get = 1);
    return r < 0 ? r : -err;
}

SYSCALL(connect)
{
    long r;
    struct addr uaddr; /* on the stack: another thread may call meanwhile */
    struct file *f = sock_get(a0, &r);
    if (!f || (r = addr_get(a1, a2, &uaddr)))
        return r;
    r = addr_call(f, OP_CONNECT, &uaddr, 0, 0);
    if (r == -EINTR && current->host_eintr && !(f->flags & O_NONBLOCK))
        r = connect_finish(f);
    if (r == 0)
        sockbuf_connected(f->hostfd);
    return r;
}

SYSCALL(listen)
{
    long r;
    struct file *f = sock_get(a0, &r);
    return f ? HC(listen, .hostfd = f->hostfd, .backlog = a1) : r;
}

SYSCALL(accept4)
{
    long r;
    struct file *f = sock_get(a0, &r);
    if (!f)
        return r;
    if (a3 & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    /* Without an address buffer its length is not looked at. */
    r = SOCK_CALL(f, accept, .addr = a1, .addrlen = a1 ? a2 : 0, .flags = a3);
    long fd = sock_install(r, f->sock, a3, sockbuf_has(f->hostfd));
    if (fd >= 0)
        sockbuf_connected((int)r);
    return fd;
}

SYSCALL(accept)
{
    return sys_accept4(a0, a1, a2, 0, 0, 0);
}

static long sockname(uint64_t fd, uint64_t addr, uint64_t len, int peer)
{
    long r;
    struct file *f = sock_get(fd, &r);
    return f ? HC(sockname, .hostfd = f->hostfd, .addr = addr, .addrlen = len,
                  .peer = (uint64_t)peer)
             : r;
}

SYSCALL(getsockname)
{
    return sockname(a0, a1, a2, 0);
}

SYSCALL(getpeername)
{
    return sockname(a0, a1, a2, 1);
}

SYSCALL(setsockopt)
{
    long r;
    struct file *f = sock_get(a0, &r);
    return f ? HC(sockopt, .hostfd = f->hostfd, .level = a1, .name = a2, .value = a3,
                  .len = (uint32_t)a4, .get = 0)
             : r;
}

SYSCALL(getsockopt)
{
    long r;
    struct file *f = sock_get(a0, &r);
    return f ? HC(sockopt, .hostfd = f->hostfd, .level = a1, .name = a2, .value = a3, .len = a4,
                  .get = 1)
             : r;
}

SYSCALL(shutdown)
{
    long r;
    struct file *f = sock_get(a0, &r);
    if (!f)
        return r;
    r = HC(shutdown, .hostfd = f->hostfd, .how = a1); /* after the queued sends */
    if (r == 0 && a1 != 0 /* SHUT_RD */)
        sockbuf_shutdown(f->hostfd);
    return r;
}

/* ---- Sending and receiving ---------------------------------------------- */
/* sendmsg with the message's AF_UNIX path, if any, resolved; m is the
 * program's (checked) or sendto's own. */
/* A send a stream socket can queue in the guest (sockbuf.c). */
static long buffered_send(struct file *f, const struct kmsghdr *m, uint64_t flags)
{
    if (m->name || m->controllen || (flags & ~(uint64_t)(MSG_NOSIGNAL | MSG_DONTWAIT)) ||
        !sockbuf_has(f->hostfd))
        return SOCKBUF_EMPTY;
    const struct sb_iov *iov = (const struct sb_iov *)m->iov;
    int n = sockbuf_user_iov(iov, m->iovlen, 0);
    return n < 0 ? SOCKBUF_EMPTY : sockbuf_send(f, iov, n, flags);
}

/* A receive served from what a host wait brought (sockbuf.c). */
static long buffered_recv(struct file *f, struct kmsghdr *m, uint64_t flags)
{
    if ((flags & ~(uint64_t)(MSG_DONTWAIT | MSG_PEEK | MSG_NOSIGNAL | MSG_CMSG_CLOEXEC)) ||
        !sockbuf_rx_ready(f->hostfd))
        return SOCKBUF_EMPTY;
    const struct sb_iov *iov = (const struct sb_iov *)m->iov;
    int n = sockbuf_user_iov(iov, m->iovlen, 1);
    if (n < 0)
        return SOCKBUF_EMPTY;
    long r = sockbuf_recv(f, iov, n, (flags & MSG_PEEK) != 0);
    if (r != SOCKBUF_EMPTY) {
        /* A stream socket names no sender and carries no control data. */
        m->namelen = 0;
        m->controllen = 0;
        m->flags = 0;
    }
    return r;
}

/* Ancillary data: struct cmsghdr, and the descriptors SCM_RIGHTS carries. */
struct kcmsghdr {
    uint64_t len;
    int32_t level, type;
};
#define CMSG_HDR 16
#define CMSG_NEXT(len) (((len) + 7) & ~7ull)
#define MAX_PASSED_CONTROL 1024

/* For each SCM_RIGHTS message in m's ancillary data, fn(fd slot, arg) on
 * each descriptor; the first error stops it. */
static long each_passed_fd(uint8_t *control, uint64_t len, long (*fn)(int32_t *, uint64_t),
                           uint64_t arg)
{
    for (uint64_t off = 0; off + CMSG_HDR <= len;) {
        struct kcmsghdr *c = (struct kcmsghdr *)(control + off);
        if (c->len < CMSG_HDR || c->len > len - off)
            break;
        if (c->level == SOL_SOCKET && c->type == SCM_RIGHTS)
            for (uint64_t i = 0; i < (c->len - CMSG_HDR) / 4; i++) {
                long r = fn((int32_t *)(control + off + CMSG_HDR) + i, arg);
                if (r)
                    return r;
            }
        off += CMSG_NEXT(c->len);
    }
    return 0;
}

/* A descriptor to send: its file's host fd, which the other process gets.
 * A guest pipe becomes a host pipe first (as at a fork); a file of this
 * kernel's own (eventfd, epoll, a RAM /tmp file...) cannot leave it. */
static long fd_to_host(int32_t *slot, uint64_t arg)
{
    (void)arg;
    struct file *f = fd_get((uint64_t)(int64_t)*slot);
    if (!f)
        return -EBADF;
    long r = pipe_share(f);
    if (r)
        return r;
    int h = file_host_fd(f);
    if (h < 0) {
        static int warned;
        if (!warned++)
            kwarn("passing a file of the guest kernel's own (eventfd, epoll, signalfd, timerfd, a "
                  "RAM /tmp file) to another process is not supported");
        return -EOPNOTSUPP;
    }
    *slot = h;
    return 0;
}

/* A descriptor received: the host fd the monitor gave us becomes a file,
 * at the lowest free number (MSG_CMSG_CLOEXEC in arg). */
static long fd_from_host(int32_t *slot, uint64_t arg)
{
    struct hx_inherited_fd e;
    long hostfd = *slot;
    struct file *f = NULL;
    if (HC(fd_describe, .hostfd = (uint64_t)hostfd, .out = (uint64_t)&e) == 0)
        f = host_file_new((int)hostfd);
    if (!f) {
        HC(close, .hostfd = (uint64_t)hostfd);
        *slot = -1;
        return 0;
    }
    f->flags = (uint32_t)e.flags;
    f->sock = e.sock;
    f->stream = e.stream;
    ksnprintf(f->path, sizeof(f->path), "%s", e.path);
    long fd = fd_install(f, 0, arg != 0);
    *slot = (int32_t)fd;
    return 0;
}

static long send_msg(struct file *f, const struct kmsghdr *m, uint64_t flags)
{
    /* Descriptors go as their host fds, from a copy of the message. */
    struct kmsghdr km;
    uint8_t control[MAX_PASSED_CONTROL];
    if (m->controllen) {
        if (m->controllen > sizeof(control))
            return -ENOBUFS;
        if (!user_ok((void *)m->control, m->controllen, 0))
            return -EFAULT;
        memcpy(control, (void *)m->control, m->controllen);
        long r = each_passed_fd(control, m->controllen, fd_to_host, 0);
        if (r)
            return r;
        km = *m;
        km.control = (uint64_t)control;
        m = &km;
    }
    long b = buffered_send(f, m, flags);
    if (b != SOCKBUF_EMPTY)
        return b;
    struct addr uaddr; /* on the stack: the send may wait while another thread sends */
    uaddr.len = 0;
    uaddr.kind = HX_UNIX_NONE;
    uaddr.made = NULL;
    if (m->name && f->sock == AF_UNIX) {
        long r = addr_get(m->name, m->namelen, &uaddr);
        if (r)
            return r;
    }
    long r = sent(addr_call(f, OP_SENDMSG, &uaddr, (uint64_t)m, flags), flags);
    if (r > 0)
        sockbuf_connected(f->hostfd);
    return r;
}

/* sendto and recvfrom are sendmsg and recvmsg of one buffer (on the
 * kernel stack: another thread may call while this one waits). */
struct kiov {
    uint64_t base, len;
};

SYSCALL(sendto)
{
    long r;
    struct file *f = sock_get(a0, &r);
    if (!f)
        return r;
    struct kiov kiov = {a1, MIN(a2, 0x7fffffffull)}; /* Linux sends at most INT_MAX */
    struct kmsghdr kmsg = {
        .name = a4, .namelen = a4 ? (uint32_t)a5 : 0, .iov = (uint64_t)&kiov, .iovlen = 1};
    return file_again(f, send_msg(f, &kmsg, a3), kiov.len, 1);
}

SYSCALL(recvfrom)
{
    long r;
    struct file *f = sock_get(a0, &r);
    if (!f)
        return r;
    uint32_t *ulen = (uint32_t *)a5;
    if (a4 && !user_ok(ulen, 4, 1))
        return -EFAULT;
    struct kiov kiov = {a1, MIN(a2, 0x7fffffffull)};
    struct kmsghdr kmsg = {
        .name = a4, .namelen = a4 ? *ulen : 0, .iov = (uint64_t)&kiov, .iovlen = 1};
    do {
        r = buffered_recv(f, &kmsg, a3);
        if (r == SOCKBUF_EMPTY)
            r = SOCK_CALL(f, recvmsg, .msg = (uint64_t)&kmsg, .flags = a3);
    } while (r == SOCKBUF_RETRY);
    if (r >= 0 && a4)
        *ulen = kmsg.namelen; /* the sender's full length, as Linux reports */
    return file_again(f, r, 0, 0);
}

SYSCALL(sendmsg)
{
    long r;
    struct file *f = sock_get(a0, &r);
    if (!f)
        return r;
    if (!user_ok((const void *)a1, sizeof(struct kmsghdr), 0))
        return -EFAULT;
    const struct kmsghdr *m = (const struct kmsghdr *)a1;
    r = send_msg(f, m, a2);
    /* How much it asked to send, for a short send (file_again). */
    const struct kiov *iov = (const struct kiov *)m->iov;
    uint64_t want = 0;
    if (r >= 0 && m->iovlen <= UIO_MAXIOV && user_ok(iov, m->iovlen * sizeof(*iov), 0))
        for (uint64_t i = 0; i < m->iovlen; i++)
            want += iov[i].len;
    return file_again(f, r, want, 1);
}

SYSCALL(recvmsg)
{
    long r;
    struct file *f = sock_get(a0, &r);
    if (!f)
        return r;
    do {
        if (user_ok((void *)a1, sizeof(struct kmsghdr), 1)) {
            r = buffered_recv(f, (struct kmsghdr *)a1, a2);
            if (r != SOCKBUF_EMPTY)
                return r;
        }
        r = SOCK_CALL(f, recvmsg, .msg = a1, .flags = a2);
    } while (r == SOCKBUF_RETRY);
    /* Descriptors another process sent: the monitor left their host fds. */
    struct kmsghdr *m = (struct kmsghdr *)a1;
    if (r >= 0 && m->controllen && user_ok((void *)m->control, m->controllen, 1))
        each_passed_fd((uint8_t *)m->control, m->controllen, fd_from_host, a2 & MSG_CMSG_CLOEXEC);
    return file_again(f, r, 0, 0);
}

SYSCALL(sendmmsg)
{
    long r;
    struct file *f = sock_get(a0, &r);
    if (!f)
        return r;
    struct kmmsghdr *v = (struct kmmsghdr *)a1;
    uint64_t n = MIN(a2, UIO_MAXIOV);
    if (!user_ok(v, n * sizeof(*v), 1))
        return -EFAULT;
    /* One host call for all, unless a message names an AF_UNIX path: the
     * monitor takes only resolved paths, one per call. */
    int paths = 0;
    for (uint64_t i = 0; i < n; i++)
        paths |= v[i].hdr.controllen != 0; /* descriptors go as host fds (send_msg) */
    for (uint64_t i = 0; i < n && f->sock == AF_UNIX; i++)
        paths |= v[i].hdr.name && v[i].hdr.namelen > SUN_PATH_OFFSET &&
                 user_ok((void *)v[i].hdr.name, 3, 0) && *(uint16_t *)v[i].hdr.name == AF_UNIX &&
                 ((uint8_t *)v[i].hdr.name)[2];
    if (!paths)
        return file_again(f, sent(SOCK_CALL(f, sendmmsg, .msgvec = a1, .vlen = n, .flags = a3), a3),
                          0, 1);
    uint64_t i = 0;
    for (; i < n; i++) {
        r = send_msg(f, &v[i].hdr, a3);
        if (r < 0)
            break;
        v[i].len = (uint32_t)r;
    }
    return i ? (long)i : r;
}

SYSCALL(recvmmsg)
{
    long r;
    struct file *f = sock_get(a0, &r);
    if (!f)
        return r;
    do {
        /* Data a wait brought into the guest comes first, as one message
         * (a stream socket's messages have no boundaries). */
        struct kmmsghdr *mm = (struct kmmsghdr *)a1;
        if (a2 && sockbuf_rx_ready(f->hostfd) && user_ok(mm, sizeof(*mm), 1)) {
            r = buffered_recv(f, &mm->hdr, a3 & ~(uint64_t)0x10000 /* MSG_WAITFORONE */);
            if (r != SOCKBUF_EMPTY) {
                if (r < 0)
                    return r;
                mm->len = (uint32_t)r;
                return 1;
            }
        }
        r = SOCK_CALL(f, recvmmsg, .msgvec = a1, .vlen = MIN(a2, UIO_MAXIOV), .flags = a3,
                      .timeout = a4);
    } while (r == SOCKBUF_RETRY);
    return file_again(f, r, 0, 0);
}
