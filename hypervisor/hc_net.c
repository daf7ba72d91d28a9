/* Host sockets for the guest (DESIGN.md section 5): a guest socket is a host
 * socket the guest owns, so read, write, poll and close reach it through
 * the ordinary host-fd services; this file creates them and does what only
 * sockets do. Like every host service it treats the guest as hostile: all
 * guest memory goes through guest_mem.c, and no AF_UNIX path the guest
 * writes is ever given to the host. The kernel resolves such a path in the
 * guest's own file systems and says where it leads:
 *  - under a host mount: the path is walked confined (hostfs.c); bind
 *    creates the socket through a symlink in a private directory that
 *    points at the walked parent directory (so the path the host records
 *    is short, unique in this run, and cannot leave the mount), connect
 *    opens the socket file O_PATH and connects through /proc/self/fd/N;
 *  - in the guest's RAM /tmp: the kernel made a minifs node of type
 *    socket, and the host socket is bound at PRIVATE/t<inode>.
 * The private directory is made under /tmp on first use and removed at
 * exit. Every address the host reports is translated back to the path the
 * guest bound. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hcall.h"
#include "hostfs.h"

#define MAX_IOV 1024      /* UIO_MAXIOV: the most one host msghdr may carry */
#define MAX_MMSG_IOV 4096 /* host iovecs for one sendmmsg/recvmmsg */
#define MAX_CONTROL 65536 /* ancillary data per message */
#define MAX_OPTLEN 65536  /* socket option values */
#define MAX_VLEN 1024     /* sendmmsg/recvmmsg: Linux clamps vlen to UIO_MAXIOV */
#define SUN_PATH_MAX 108

/* The guest's struct msghdr and struct mmsghdr (x86-64 layout). */
struct gmsg {
    uint64_t name;
    uint32_t namelen, _pad;
    uint64_t iov, iovlen, control, controllen;
    int32_t flags, _pad2;
};
struct gmmsg {
    struct gmsg hdr;
    uint32_t len, _pad;
};
_Static_assert(sizeof(struct gmsg) == 56 && sizeof(struct gmmsg) == 64, "msghdr layout");
#define GMSG_NAMELEN 8
#define GMSG_CONTROLLEN 40
#define GMSG_FLAGS 48
#define GMMSG_LEN 56
struct giov {
    uint64_t base, len;
};

static int own_socket(struct hx_vm *vm, int fd)
{
    return fd < 0 ? -errno : (int)hx_hostfd_give(vm, fd, HX_FD_OWNED, 0);
}

/* The host answers ENOTSOCK for other files itself. */
static int sock_fd(struct hx_vm *vm, uint64_t fd)
{
    return hx_hostfd_ok(vm, fd) ? 0 : -EBADF;
}

/* ---- AF_UNIX names ------------------------------------------------------ */
static char privdir[32]; /* "" until the first use */
static unsigned link_seq;

/* Host sun_path this run bound -> the path the guest gave: a ring, so that
 * after very many binds the oldest is reported as the host sees it. */
#define NNAMES 4096
static struct {
    char host[SUN_PATH_MAX + 1], guest[SUN_PATH_MAX + 1];
} names[NNAMES];
static unsigned names_next;

static pid_t privdir_owner; /* the process that made it: a fork's child leaves it be */

void hx_net_cleanup(void)
{
    if (!privdir[0] || privdir_owner != getpid())
        return;
    /* Everything in it is ours: sockets, and links left by a failed bind. */
    DIR *d = opendir(privdir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlinkat(dirfd(d), e->d_name, 0);
    if (d)
        closedir(d);
    rmdir(privdir);
    privdir[0] = 0;
}

static int privdir_ready(void)
{
    if (privdir[0])
        return 0;
    /* Short, because the host's sun_path holds 108 bytes and the name we
     * bind has this prefix. */
    char dir[] = "/tmp/hx.XXXXXX";
    if (!mkdtemp(dir))
        return -errno;
    strcpy(privdir, dir);
    privdir_owner = getpid();
    atexit(hx_net_cleanup);
    return 0;
}

static void name_remember(const char *host, const char *guest)
{
    for (unsigned i = 0; i < NNAMES; i++)
        if (!strcmp(names[i].host, host)) {
            snprintf(names[i].guest, sizeof(names[i].guest), "%s", guest);
            return;
        }
    unsigned i = names_next++ % NNAMES;
    snprintf(names[i].host, sizeof(names[i].host), "%s", host);
    snprintf(names[i].guest, sizeof(names[i].guest), "%s", guest);
}

/* --net=none: abstract AF_UNIX names are the run's own, as in a network
 * namespace of its own (docker's --network none): on the host each carries
 * a prefix naming this run, which the guest never sees. */
static char scope[24];
static size_t scope_len;

/* Puts an abstract name the guest gave into the run's scope. */
static long abstract_in(struct hx_vm *vm, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_un *un = (struct sockaddr_un *)ss;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (!vm->opt->net_none || un->sun_family != AF_UNIX || *len <= off || un->sun_path[0])
        return 0;
    if (!scope_len)
        scope_len = (size_t)snprintf(scope, sizeof(scope), "hx%d/", (int)getpid());
    size_t n = *len - off - 1; /* the name after its leading NUL */
    if (1 + scope_len + n > sizeof(un->sun_path))
        return -EINVAL;
    memmove(un->sun_path + 1 + scope_len, un->sun_path + 1, n);
    memcpy(un->sun_path + 1, scope, scope_len);
    *len += (socklen_t)scope_len;
    return 0;
}

/* bind with no name (autobind) under --net=none: a name as Linux makes
 * one (five hex digits), in the run's scope. */
static long autobind_scoped(struct hx_vm *vm, int fd)
{
    for (int tries = 0; tries < 64; tries++) {
        uint32_t r;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
            return -EAGAIN;
        struct sockaddr_storage ss = {.ss_family = AF_UNIX};
        struct sockaddr_un *un = (struct sockaddr_un *)&ss;
        snprintf(un->sun_path + 1, sizeof(un->sun_path) - 1, "%05x", r & 0xfffff);
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 6);
        long e = abstract_in(vm, &ss, &len);
        if (e)
            return e;
        if (bind(fd, (struct sockaddr *)&ss, len) == 0)
            return 0;
        if (errno != EADDRINUSE)
            return -errno;
    }
    return -EADDRINUSE;
}

/* Rewrites an address the host reported into the one the guest knows. */
static void name_to_guest(struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_un *un = (struct sockaddr_un *)ss;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (*len <= off || un->sun_family != AF_UNIX)
        return;
    if (!un->sun_path[0]) {
        size_t n = *len - off - 1;
        if (scope_len && n >= scope_len && !memcmp(un->sun_path + 1, scope, scope_len)) {
            memmove(un->sun_path + 1, un->sun_path + 1 + scope_len, n - scope_len);
            memset(un->sun_path + 1 + n - scope_len, 0, scope_len);
            *len -= (socklen_t)scope_len;
        }
        return;
    }
    char host[SUN_PATH_MAX + 1];
    size_t n = *len - offsetof(struct sockaddr_un, sun_path);
    memcpy(host, un->sun_path, n < SUN_PATH_MAX ? n : SUN_PATH_MAX);
    host[n < SUN_PATH_MAX ? n : SUN_PATH_MAX] = 0;
    for (unsigned i = 0; i < NNAMES; i++)
        if (names[i].host[0] && !strcmp(names[i].host, host)) {
            size_t g = strlen(names[i].guest);
            memset(un->sun_path, 0, sizeof(un->sun_path));
            memcpy(un->sun_path, names[i].guest, g);
            /* Linux reports a path's length with its terminating NUL,
             * unless it fills sun_path. */
            *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + g +
                               (g < SUN_PATH_MAX ? 1 : 0));
            return;
        }
}

/* Copies an address out as Linux's move_addr_to_user does: at most the
 * guest's buffer, and the full length into *len_gva. */
static long name_out(struct hx_vm *vm, struct sockaddr_storage *ss, socklen_t len,
                     uint64_t addr_gva, uint64_t len_gva)
{
    int32_t ulen;
    if (hx_copy_from_guest(&vm->g, &ulen, len_gva, 4))
        return -EFAULT;
    if (ulen < 0)
        return -EINVAL;
    name_to_guest(ss, &len);
    uint32_t n = (uint32_t)ulen < len ? (uint32_t)ulen : len;
    if (n && hx_copy_to_guest(&vm->g, addr_gva, ss, n))
        return -EFAULT;
    uint32_t full = len;
    return hx_copy_to_guest(&vm->g, len_gva, &full, 4) ? -EFAULT : 0;
}

/* The host address of an AF_UNIX path the kernel resolved. bind and
 * connect need different things; release with target_done. */
struct target {
    struct sockaddr_un sa;
    socklen_t len;
    int fd;        /* the walked directory (bind) or socket (connect) */
    char link[48]; /* bind: the private symlink to that directory */
    char guest[SUN_PATH_MAX + 1];
    int ro; /* bind: the mount is read-only */
};

static void target_done(struct target *t)
{
    if (t->link[0])
        unlink(t->link);
    if (t->fd >= 0)
        close(t->fd);
    t->link[0] = 0;
    t->fd = -1;
}

/* Reads the guest's address into *ss. Returns the length, or -errno. */
static long addr_in(struct hx_vm *vm, uint64_t gva, uint64_t len, struct sockaddr_storage *ss)
{
    if ((int64_t)(int32_t)len != (int64_t)len || (int32_t)len < 0 || len > sizeof(*ss))
        return -EINVAL;
    memset(ss, 0, sizeof(*ss));
    if (len && hx_copy_from_guest(&vm->g, ss, gva, len))
        return -EFAULT;
    return (long)len;
}

/* Whether an address names an AF_UNIX path (not abstract, not unnamed). */
static int unix_path(const struct sockaddr_storage *ss, socklen_t len)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
    return len > offsetof(struct sockaddr_un, sun_path) && un->sun_family == AF_UNIX &&
           un->sun_path[0];
}

/* Whether an address needs its AF_UNIX path resolved into a target. A path
 * the kernel did not resolve (a hostile kernel; or a socket of another
 * family given an AF_UNIX address) is never given to the host: its first
 * byte is cleared, which leaves an abstract name, touching no file, and the
 * host's own answer for other families. */
static int needs_target(struct sockaddr_storage *ss, socklen_t len, uint64_t kind)
{
    if (!unix_path(ss, len))
        return 0;
    if (kind == HX_UNIX_HOST || kind == HX_UNIX_TMP)
        return 1;
    ((struct sockaddr_un *)ss)->sun_path[0] = 0;
    return 0;
}

/* Prepares the host address for the guest's AF_UNIX path address *ss. */
static long target_open(struct hx_vm *vm, const struct sockaddr_storage *ss, socklen_t len,
                        uint64_t kind, uint64_t where, int bind, struct target *t)
{
    t->fd = -1;
    t->link[0] = 0;
    t->ro = 0;
    if (len > sizeof(struct sockaddr_un))
        return -EINVAL;
    const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
    size_t n = strnlen(un->sun_path, len - offsetof(struct sockaddr_un, sun_path));
    memcpy(t->guest, un->sun_path, n);
    t->guest[n] = 0;
    memset(&t->sa, 0, sizeof(t->sa));
    t->sa.sun_family = AF_UNIX;
    long r = privdir_ready();
    if (r)
        return r;
    int w_n;
    if (kind == HX_UNIX_TMP) {
        w_n = snprintf(t->sa.sun_path, sizeof(t->sa.sun_path), "%s/t%llu", privdir,
                       (unsigned long long)where);
    } else if (kind == HX_UNIX_HOST) {
        struct hx_walk w;
        r = hx_walk(vm, where, !bind, &w);
        if (r) {
            hx_walk_done(&w);
            return r;
        }
        if (bind) {
            struct stat st;
            /* Linux: a name that exists, even as a dangling symlink, is
             * in use; that is answered before a read-only mount is. */
            if (!w.name[0] || fstatat(w.fd, w.name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                r = -EADDRINUSE;
            else if (errno != ENOENT)
                r = -errno;
            t->ro = w.m->ro;
            t->fd = w.fd; /* the walked parent directory */
            w.fd = -1;
            if (!r) {
                snprintf(t->link, sizeof(t->link), "%s/d%u", privdir, link_seq++);
                char target[32];
                snprintf(target, sizeof(target), "/proc/self/fd/%d", t->fd);
                if (symlink(target, t->link) < 0) {
                    r = -errno;
                    t->link[0] = 0;
                }
            }
            w_n = snprintf(t->sa.sun_path, sizeof(t->sa.sun_path), "%s/%s", t->link, w.name);
        } else {
            r = hx_walk_open(&w, O_PATH, 0); /* the socket file itself */
            t->fd = r < 0 ? -1 : (int)r;
            r = r < 0 ? r : 0;
            w_n = snprintf(t->sa.sun_path, sizeof(t->sa.sun_path), "/proc/self/fd/%d", t->fd);
        }
        hx_walk_done(&w);
        if (r) {
            target_done(t);
            return r;
        }
    } else {
        return -EINVAL; /* needs_target said no */
    }
    if (w_n < 0 || (size_t)w_n >= sizeof(t->sa.sun_path)) {
        target_done(t);
        return -ENAMETOOLONG;
    }
    t->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)w_n + 1);
    return 0;
}

/* ---- Creating sockets ----------------------------------------------------- */
static long check_domain(struct hx_vm *vm, uint64_t domain)
{
    if (domain == AF_INET || domain == AF_INET6)
        return vm->opt->net_none ? -EACCES : 0;
    return domain == AF_UNIX ? 0 : -EAFNOSUPPORT;
}

int64_t hx_hc_socket(struct hx_vm *vm, const struct hx_hc_socket_req *req)
{
    long r = check_domain(vm, req->domain);
    if (r)
        return r;
    /* Close-on-exec is the guest's business; the monitor never execs. */
    return own_socket(vm,
                      socket((int)req->domain, (int)req->type | SOCK_CLOEXEC, (int)req->protocol));
}

int64_t hx_hc_socketpair(struct hx_vm *vm, const struct hx_hc_socketpair_req *req)
{
    long r = check_domain(vm, req->domain);
    if (r)
        return r;
    int sv[2];
    if (socketpair((int)req->domain, (int)req->type | SOCK_CLOEXEC, (int)req->protocol, sv) < 0)
        return -errno;
    int r0 = own_socket(vm, sv[0]);
    int r1 = own_socket(vm, sv[1]);
    if (r0 < 0 || r1 < 0 || hx_copy_to_guest(&vm->g, req->sv, sv, sizeof(sv))) {
        if (r0 >= 0) {
            vm->hostfd_owned[r0] = 0;
            close(r0);
        }
        if (r1 >= 0) {
            vm->hostfd_owned[r1] = 0;
            close(r1);
        }
        return r0 < 0 ? r0 : r1 < 0 ? r1 : -EFAULT;
    }
    return 0;
}

/* ---- Addresses ------------------------------------------------------------ */
int64_t hx_hc_bind(struct hx_vm *vm, const struct hx_hc_bind_req *req)
{
    struct sockaddr_storage ss;
    long r = sock_fd(vm, req->hostfd);
    long len = r ? r : addr_in(vm, req->addr, req->addrlen, &ss);
    if (len < 0)
        return len;
    if (vm->opt->net_none && len == sizeof(sa_family_t) && ss.ss_family == AF_UNIX)
        return autobind_scoped(vm, (int)req->hostfd);
    if (!needs_target(&ss, (socklen_t)len, req->unix_kind)) {
        socklen_t n = (socklen_t)len;
        r = abstract_in(vm, &ss, &n);
        return r ? r : bind((int)req->hostfd, (struct sockaddr *)&ss, n) < 0 ? -errno : 0;
    }
    struct target t;
    r = target_open(vm, &ss, (socklen_t)len, req->unix_kind, req->unix_where, 1, &t);
    if (r)
        return r;
    if (t.ro) {
        target_done(&t);
        return -EROFS;
    }
    /* The socket file's mode is 0777 less the guest's umask, as on Linux;
     * the monitor is single-threaded, so its own umask can be borrowed. */
    mode_t old = umask((mode_t)req->umask & 0777);
    r = bind((int)req->hostfd, (struct sockaddr *)&t.sa, t.len) < 0 ? -errno : 0;
    umask(old);
    if (!r)
        name_remember(t.sa.sun_path, t.guest);
    target_done(&t);
    return r;
}

int64_t hx_hc_connect(struct hx_vm *vm, const struct hx_hc_connect_req *req)
{
    struct sockaddr_storage ss;
    long r = sock_fd(vm, req->hostfd);
    long len = r ? r : addr_in(vm, req->addr, req->addrlen, &ss);
    if (len < 0)
        return len;
    if (!needs_target(&ss, (socklen_t)len, req->unix_kind)) {
        socklen_t n = (socklen_t)len;
        r = abstract_in(vm, &ss, &n);
        return r ? r : connect((int)req->hostfd, (struct sockaddr *)&ss, n) < 0 ? -errno : 0;
    }
    struct target t;
    r = target_open(vm, &ss, (socklen_t)len, req->unix_kind, req->unix_where, 0, &t);
    if (r)
        return r;
    r = connect((int)req->hostfd, (struct sockaddr *)&t.sa, t.len) < 0 ? -errno : 0;
    target_done(&t);
    return r;
}

int64_t hx_hc_listen(struct hx_vm *vm, const struct hx_hc_listen_req *req)
{
    long r = sock_fd(vm, req->hostfd);
    if (r)
        return r;
    return listen((int)req->hostfd, (int)req->backlog) < 0 ? -errno : 0;
}

int64_t hx_hc_accept(struct hx_vm *vm, const struct hx_hc_accept_req *req)
{
    long r = sock_fd(vm, req->hostfd);
    if (r)
        return r;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4((int)req->hostfd, (struct sockaddr *)&ss, &len,
                     SOCK_CLOEXEC | ((int)req->flags & SOCK_NONBLOCK));
    r = own_socket(vm, fd);
    if (r < 0 || !req->addr)
        return r;
    long e = name_out(vm, &ss, len, req->addr, req->addrlen);
    if (e) {
        /* Linux loses the connection too when the address cannot be
         * written. */
        vm->hostfd_owned[fd] = 0;
        close(fd);
        return e;
    }
    return r;
}

int64_t hx_hc_sockname(struct hx_vm *vm, const struct hx_hc_sockname_req *req)
{
    long r = sock_fd(vm, req->hostfd);
    if (r)
        return r;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if ((req->peer ? getpeername((int)req->hostfd, (struct sockaddr *)&ss, &len)
                   : getsockname((int)req->hostfd, (struct sockaddr *)&ss, &len)) < 0)
        return -errno;
    return name_out(vm, &ss, len, req->addr, req->addrlen);
}

int64_t hx_hc_shutdown(struct hx_vm *vm, const struct hx_hc_shutdown_req *req)
{
    long r = sock_fd(vm, req->hostfd);
    if (r)
        return r;
    return shutdown((int)req->hostfd, (int)req->how) < 0 ? -errno : 0;
}

/* ---- Options and ioctls ---------------------------------------------------- */
/* Options the host would read a host pointer or a host fd from, or that
 * hand the monitor a new fd: never passed on as they are. */
static int option_refused(int level, int name)
{
    if (level == SOL_SOCKET)
        return name == SO_ATTACH_BPF || name == SO_ATTACH_REUSEPORT_EBPF ||
               name == 77 /* SO_PEERPIDFD */;
    if (level == IPPROTO_TCP)
        return name == 35; /* TCP_ZEROCOPY_RECEIVE: addresses of mappings */
    return 0;
}

static int level_ok(uint64_t level)
{
    return level == SOL_SOCKET || level == IPPROTO_IP || level == IPPROTO_IPV6 ||
           level == IPPROTO_TCP || level == IPPROTO_UDP || level == IPPROTO_ICMPV6 ||
           level == IPPROTO_RAW;
}

/* setsockopt of a classic BPF program: struct sock_fprog holds a pointer
 * to the instructions, which are copied from the guest. */
static long set_filter(struct hx_vm *vm, int fd, int name, const uint8_t *val, uint64_t len)
{
    struct {
        uint16_t len;
        uint16_t _pad[3];
        uint64_t filter;
    } g;
    if (len < sizeof(g))
        return -EINVAL;
    memcpy(&g, val, sizeof(g));
    if (!g.len || g.len > BPF_MAXINSNS)
        return -EINVAL;
    struct sock_filter *ins = malloc(g.len * sizeof(*ins));
    if (!ins)
        return -ENOMEM;
    long r = hx_copy_from_guest(&vm->g, ins, g.filter, g.len * sizeof(*ins));
    struct sock_fprog prog = {.len = g.len, .filter = ins};
    if (!r)
        r = setsockopt(fd, SOL_SOCKET, name, &prog, sizeof(prog)) < 0 ? -errno : 0;
    free(ins);
    return r;
}

int64_t hx_hc_sockopt(struct hx_vm *vm, const struct hx_hc_sockopt_req *req)
{
    long r = sock_fd(vm, req->hostfd);
    if (r)
        return r;
    int fd = (int)req->hostfd, level = (int)req->level, name = (int)req->name, get = req->get != 0;
    if (!level_ok(req->level))
        return -ENOPROTOOPT;
    if (option_refused(level, name))
        return -EOPNOTSUPP;
    int32_t ulen = (int32_t)(uint32_t)req->len; /* Linux's optlen is an int */
    if (get && hx_copy_from_guest(&vm->g, &ulen, req->len, 4))
        return -EFAULT;
    if (ulen < 0)
        return -EINVAL;
    /* Options read at most their own size; more is never needed. */
    socklen_t n = (socklen_t)ulen < MAX_OPTLEN ? (socklen_t)ulen : MAX_OPTLEN;
    uint8_t *buf = calloc(1, n ? n : 1);
    if (!buf)
        return -ENOMEM;
    if (get) {
        r = getsockopt(fd, level, name, buf, &n) < 0 ? -errno : 0;
        uint32_t out = n;
        if (!r && (hx_copy_to_guest(&vm->g, req->value, buf, n) ||
                   hx_copy_to_guest(&vm->g, req->len, &out, 4)))
            r = -EFAULT;
    } else if (n && hx_copy_from_guest(&vm->g, buf, req->value, n)) {
        r = -EFAULT;
    } else if (level == SOL_SOCKET &&
               (name == SO_ATTACH_FILTER || name == SO_ATTACH_REUSEPORT_CBPF)) {
        r = set_filter(vm, fd, name, buf, n);
    } else {
        r = setsockopt(fd, level, name, n ? buf : NULL, n) < 0 ? -errno : 0;
    }
    free(buf);
    return r;
}

int64_t hx_hc_sockioctl(struct hx_vm *vm, const struct hx_hc_sockioctl_req *req)
{
    long r = sock_fd(vm, req->hostfd);
    if (r)
        return r;
    if (req->cmd != FIONREAD && req->cmd != SIOCOUTQ && req->cmd != SIOCOUTQNSD &&
        req->cmd != SIOCATMARK)
        return -ENOTTY;
    int v;
    if (ioctl((int)req->hostfd, (unsigned long)req->cmd, &v) < 0)
        return -errno;
    return hx_copy_to_guest(&vm->g, req->arg, &v, sizeof(v));
}

/* ---- Messages ------------------------------------------------------------- */
/* One guest message translated for the host. */
struct xmsg {
    struct sockaddr_storage name;
    uint8_t *control; /* malloc'd, or NULL */
    uint64_t gva;     /* the guest's struct msghdr */
    uint64_t control_gva;
    int has_name;
};

/* Translates the guest msghdr at gva into h, with iovecs from *pool (at
 * most pool_left of them; fewer bytes when the buffers need more, as a
 * short transfer). send: the guest's buffers are read, else written. */
static long msg_in(struct hx_vm *vm, uint64_t gva, int send, struct msghdr *h, struct xmsg *x,
                   struct iovec *pool, int pool_left, int *used)
{
    struct gmsg g;
    memset(h, 0, sizeof(*h));
    x->control = NULL;
    x->gva = gva;
    x->has_name = 0;
    *used = 0;
    if (hx_copy_from_guest(&vm->g, &g, gva, sizeof(g)))
        return -EFAULT;
    if (g.name) {
        x->has_name = 1;
        h->msg_name = &x->name;
        if (send) {
            long len = addr_in(vm, g.name, g.namelen, &x->name);
            if (len < 0)
                return len;
            h->msg_namelen = (socklen_t)len;
        } else {
            if ((int32_t)g.namelen < 0)
                return -EINVAL;
            memset(&x->name, 0, sizeof(x->name));
            h->msg_namelen = sizeof(x->name);
        }
    }
    if (g.iovlen > MAX_IOV)
        return -EMSGSIZE;
    struct giov *giov = malloc((g.iovlen ? g.iovlen : 1) * sizeof(*giov));
    if (!giov)
        return -ENOMEM;
    long r = hx_copy_from_guest(&vm->g, giov, g.iov, g.iovlen * sizeof(*giov)) ? -EFAULT : 0;
    int n = 0;
    uint64_t total = 0;
    for (uint64_t i = 0; !r && i < g.iovlen; i++) {
        if ((int64_t)giov[i].len < 0 || (total += giov[i].len) > (uint64_t)INT64_MAX)
            r = -EINVAL;
        else if (!giov[i].len)
            continue;
        else if (n == pool_left)
            break; /* a short transfer */
        else {
            uint64_t covered;
            int k = hx_gva_iov_prefix(&vm->g, giov[i].base, giov[i].len, !send, pool + n,
                                      pool_left - n, &covered);
            n += k;
            if (covered < giov[i].len && n < pool_left)
                r = -EFAULT; /* Linux copies nothing from a bad vector */
        }
    }
    free(giov);
    if (r)
        return r;
    h->msg_iov = pool;
    h->msg_iovlen = (size_t)n;
    *used = n;
    if (g.controllen) {
        if (g.controllen > MAX_CONTROL)
            return send ? -ENOBUFS : -EINVAL;
        if (!(x->control = malloc(g.controllen)))
            return -ENOMEM;
        x->control_gva = g.control;
        h->msg_control = x->control;
        h->msg_controllen = g.controllen;
        if (send) {
            if (hx_copy_from_guest(&vm->g, x->control, g.control, g.controllen))
                return -EFAULT;
            /* Descriptors to pass: the guest kernel put its files' host
             * fds there, which must be the guest's own. */
            for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                    const int *fds = (const int *)CMSG_DATA(c);
                    for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                        if (!hx_hostfd_ok(vm, (uint64_t)(int64_t)fds[i]))
                            return -EBADF;
                }
        }
    }
    return 0;
}

static void msg_free(struct xmsg *x)
{
    free(x->control);
    x->control = NULL;
}

/* After a receive: the descriptors another process sent stay in the
 * message for the guest (keep: the guest kernel makes them files, see
 * net.c; msg_fds_done gives them to it), or are closed with their message,
 * as Linux drops what does not fit (MSG_CTRUNC): when keep is not set, or
 * when they lie beyond the guest's host fds. Returns the length of the
 * ancillary data left in x->control. Every received message goes through
 * here, whether or not its results reach the guest. */
static uint64_t msg_drop_fds(struct msghdr *h, struct xmsg *x, int keep)
{
    if (!x->control)
        return 0;
    uint8_t *out = x->control;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        size_t sz = CMSG_SPACE(c->cmsg_len - CMSG_LEN(0));
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int *fds = (int *)CMSG_DATA(c);
            size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int kept = keep;
            for (size_t i = 0; i < n && kept; i++)
                kept = fds[i] < HX_MAX_HOSTFDS;
            if (!kept) {
                for (size_t i = 0; i < n; i++)
                    close(fds[i]);
                h->msg_flags |= MSG_CTRUNC;
                continue;
            }
        }
        if ((uint8_t *)c + sz > x->control + h->msg_controllen)
            sz = (size_t)(x->control + h->msg_controllen - (uint8_t *)c);
        memmove(out, c, sz);
        out += sz;
    }
    uint64_t clen = (uint64_t)(out - x->control);
    h->msg_controllen = 0; /* nothing left to drop */
    return clen;
}

/* The descriptors msg_drop_fds kept: the guest's once its msghdr is
 * written (ok), else closed. */
static void msg_fds_done(struct hx_vm *vm, struct xmsg *x, uint64_t clen, int ok)
{
    struct msghdr h = {.msg_control = x->control, .msg_controllen = clen};
    for (struct cmsghdr *c = clen ? CMSG_FIRSTHDR(&h) : NULL; c; c = CMSG_NXTHDR(&h, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                int fd = ((int *)CMSG_DATA(c))[i];
                if (ok)
                    hx_hostfd_give(vm, fd, HX_FD_OWNED, 0);
                else
                    close(fd);
            }
}

/* The sender's address, ancillary data (clen bytes of x->control) and
 * flags into the guest's msghdr. */
static long msg_write(struct hx_vm *vm, struct msghdr *h, struct xmsg *x, uint64_t clen)
{
    struct gmsg g;
    if (hx_copy_from_guest(&vm->g, &g, x->gva, sizeof(g)))
        return -EFAULT;
    if (x->has_name) {
        socklen_t len = h->msg_namelen;
        name_to_guest(&x->name, &len);
        uint32_t n = g.namelen < len ? g.namelen : len;
        if (n && hx_copy_to_guest(&vm->g, g.name, &x->name, n))
            return -EFAULT;
        uint32_t full = len;
        if (hx_copy_to_guest(&vm->g, x->gva + GMSG_NAMELEN, &full, 4))
            return -EFAULT;
    }
    int32_t flags = h->msg_flags;
    if (clen && hx_copy_to_guest(&vm->g, x->control_gva, x->control, clen))
        return -EFAULT;
    if (hx_copy_to_guest(&vm->g, x->gva + GMSG_CONTROLLEN, &clen, 8) ||
        hx_copy_to_guest(&vm->g, x->gva + GMSG_FLAGS, &flags, 4))
        return -EFAULT;
    return 0;
}

/* After a receive: the sender's address, ancillary data and flags back
 * into the guest's msghdr, as Linux's recvmsg writes them. */
static long msg_out(struct hx_vm *vm, struct msghdr *h, struct xmsg *x, int give)
{
    uint64_t clen = msg_drop_fds(h, x, give);
    long r = msg_write(vm, h, x, clen);
    if (give)
        msg_fds_done(vm, x, clen, r == 0);
    return r;
}

/* The host never raises SIGPIPE at the monitor (the kernel raises it in the
 * guest), and never gives it descriptors that outlive an exec. */
#define SEND_FLAGS(f) (((int)(f) & ~MSG_CMSG_CLOEXEC) | MSG_NOSIGNAL)
#define RECV_FLAGS(f) ((int)(f) | MSG_CMSG_CLOEXEC)

int64_t hx_hc_sendmsg(struct hx_vm *vm, const struct hx_hc_sendmsg_req *req)
{
    long r = sock_fd(vm, req->hostfd);
    if (r)
        return r;
    struct iovec *pool = malloc(MAX_IOV * sizeof(*pool));
    if (!pool)
        return -ENOMEM;
    struct msghdr h;
    struct xmsg x;
    struct target t = {.fd = -1};
    int used;
    r = msg_in(vm, req->msg, 1, &h, &x, pool, MAX_IOV, &used);
    if (!r && h.msg_name && needs_target(&x.name, h.msg_namelen, req->unix_kind)) {
        r = target_open(vm, &x.name, h.msg_namelen, req->unix_kind, req->unix_where, 0, &t);
        h.msg_name = &t.sa;
        h.msg_namelen = t.len;
    } else if (!r && h.msg_name) {
        r = abstract_in(vm, &x.name, &h.msg_namelen);
    }
    if (!r) {
        ssize_t n = sendmsg((int)req->hostfd, &h, SEND_FLAGS(req->flags));
        r = n < 0 ? -errno : n;
    }
    target_done(&t);
    msg_free(&x);
    free(pool);
    return r;
}

int64_t hx_hc_recvmsg(struct hx_vm *vm, const struct hx_hc_recvmsg_req *req)
{
    long r = sock_fd(vm, req->hostfd);
    if (r)
        return r;
    struct iovec *pool = malloc(MAX_IOV * sizeof(*pool));
    if (!pool)
        return -ENOMEM;
    struct msghdr h;
    struct xmsg x;
    int used;
    r = msg_in(vm, req->msg, 0, &h, &x, pool, MAX_IOV, &used);
    if (!r) {
        ssize_t n = recvmsg((int)req->hostfd, &h, RECV_FLAGS(req->flags));
        r = n < 0 ? -errno : n;
        long e = r >= 0 ? msg_out(vm, &h, &x, 1) : 0;
        if (e)
            r = e;
    }
    msg_free(&x);
    free(pool);
    return r;
}

/* sendmmsg and recvmmsg: every message translated, then one host call. */
/* timeout: recvmmsg's struct timespec gva, or 0. */
static int64_t mmsg(struct hx_vm *vm, uint64_t hostfd, uint64_t msgvec, uint64_t vlen_asked,
                    uint64_t flags, uint64_t timeout, int send)
{
    long r = sock_fd(vm, hostfd);
    if (r)
        return r;
    uint64_t vlen = vlen_asked > MAX_VLEN ? MAX_VLEN : vlen_asked;
    struct iovec *pool = malloc(MAX_MMSG_IOV * sizeof(*pool));
    struct mmsghdr *hv = calloc(vlen ? vlen : 1, sizeof(*hv));
    struct xmsg *xv = calloc(vlen ? vlen : 1, sizeof(*xv));
    struct timespec ts;
    uint64_t n = 0;
    int pool_used = 0;
    if (!pool || !hv || !xv)
        r = -ENOMEM;
    else if (!send && timeout && hx_copy_from_guest(&vm->g, &ts, timeout, sizeof(ts)))
        r = -EFAULT;
    for (; !r && n < vlen; n++) {
        if (pool_used == MAX_MMSG_IOV)
            break; /* fewer messages this time */
        int used;
        r = msg_in(vm, msgvec + n * sizeof(struct gmmsg), send, &hv[n].msg_hdr, &xv[n],
                   pool + pool_used, MAX_MMSG_IOV - pool_used, &used);
        if (!r && send && hv[n].msg_hdr.msg_name) {
            needs_target(&xv[n].name, hv[n].msg_hdr.msg_namelen, HX_UNIX_NONE); /* never a path */
            r = abstract_in(vm, &xv[n].name, &hv[n].msg_hdr.msg_namelen);
        }
        pool_used += used;
        if (r) {
            msg_free(&xv[n]);
            if (n)
                r = 0; /* send what came before, as Linux does */
            break;
        }
    }
    if (!r) {
        int got =
            send ? sendmmsg((int)hostfd, hv, (unsigned)n, SEND_FLAGS(flags))
                 : recvmmsg((int)hostfd, hv, (unsigned)n, RECV_FLAGS(flags), timeout ? &ts : NULL);
        r = got < 0 ? -errno : got;
        for (int i = 0; i < got; i++) {
            uint64_t gva = msgvec + (uint64_t)i * sizeof(struct gmmsg);
            uint32_t len = hv[i].msg_len;
            if (r < 0) {
                /* Past a fault: the messages are lost, their fds closed. */
                if (!send)
                    msg_drop_fds(&hv[i].msg_hdr, &xv[i], 0);
            } else if ((!send && msg_out(vm, &hv[i].msg_hdr, &xv[i], 0)) ||
                       hx_copy_to_guest(&vm->g, gva + GMMSG_LEN, &len, 4)) {
                r = -EFAULT;
            }
        }
        if (!send && timeout && got >= 0 && hx_copy_to_guest(&vm->g, timeout, &ts, sizeof(ts)))
            r = -EFAULT;
    }
    for (uint64_t i = 0; xv && i < n; i++)
        msg_free(&xv[i]);
    free(pool);
    free(hv);
    free(xv);
    return r;
}

int64_t hx_hc_sendmmsg(struct hx_vm *vm, const struct hx_hc_sendmmsg_req *req)
{
    return mmsg(vm, req->hostfd, req->msgvec, req->vlen, req->flags, 0, 1);
}

int64_t hx_hc_recvmmsg(struct hx_vm *vm, const struct hx_hc_recvmmsg_req *req)
{
    return mmsg(vm, req->hostfd, req->msgvec, req->vlen, req->flags, req->timeout, 0);
}

/* sendfile from a host file to a non-blocking host socket: one host call
 * instead of a read and a write per 64 KiB through the guest (a large
 * file over nginx took 36 VM exits a request that way). */
int64_t hx_hc_sendfile(struct hx_vm *vm, const struct hx_hc_sendfile_req *req)
{
    if (!hx_hostfd_ok(vm, req->out_hostfd) || !hx_hostfd_ok(vm, req->in_hostfd))
        return -EBADF;
    off_t off;
    if (req->offset && hx_copy_from_guest(&vm->g, &off, req->offset, sizeof(off)))
        return -EFAULT;
    /* Linux refuses a count that is negative as ssize_t, or that takes the
     * offset past the largest one; it then sends what it can. */
    uint64_t len = req->count;
    if ((int64_t)len < 0 || (req->offset && off >= 0 && (uint64_t)off + len > (uint64_t)INT64_MAX))
        return -EINVAL;
    ssize_t n = sendfile((int)req->out_hostfd, (int)req->in_hostfd, req->offset ? &off : NULL,
                         len < HX_MAX_COPY ? (size_t)len : HX_MAX_COPY);
    if (n < 0)
        return -errno;
    if (req->offset && hx_copy_to_guest(&vm->g, req->offset, &off, sizeof(off)))
        return -EFAULT;
    return n;
}
