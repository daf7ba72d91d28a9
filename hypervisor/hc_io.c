/* Host I/O on host fds the guest owns: the console (fds 0-2) and files it
 * opened. Buffers are guest virtual ranges, translated into host iovecs so
 * that a whole request costs one host system call and one VM exit. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <termios.h> /* TCGETS, TIOCGWINSZ, struct winsize */
#include <unistd.h>

#include "hcall.h"

#define MAX_IOV 1024
#define MAX_IO (1u << 30)

/* Translates the guest buffer of a request, or the part of it before the
 * first unusable page (Linux transfers that much, then stops): an iovec
 * count, or -EFAULT when not even the first byte can be used. */
static int buf_iov(struct hx_vm *vm, uint64_t gva, uint64_t len, int write, struct iovec *iov)
{
    uint64_t covered;
    if ((int64_t)len < 0)
        return -EINVAL; /* Linux: a count past SSIZE_MAX */
    if (len > MAX_IO)
        len = MAX_IO;
    int n = hx_gva_iov_prefix(&vm->g, gva, len, write, iov, MAX_IOV, &covered);
    return len && !covered ? -EFAULT : n;
}

/* A read that can block (a terminal, a pipe) waits where a host signal or
 * the guest's next timer can stop it, so Ctrl-C and alarm reach a program
 * blocked in read. -EINTR when one did. */
static int wait_readable(struct hx_vm *vm, int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !(fcntl(fd, F_GETFL) & O_NONBLOCK))
        return hx_sched_wait_readable(vm, fd);
    return 0;
}

/* read, write, and at *offset (when not NULL) pread and pwrite. */
static int64_t rw(struct hx_vm *vm, uint64_t hostfd, uint64_t buf, uint64_t len,
                  const int64_t *offset, int to_guest)
{
    if (!hx_hostfd_ok(vm, hostfd))
        return -EBADF;
    if (to_guest && !offset && len && wait_readable(vm, (int)hostfd) < 0)
        return -EINTR;
    struct iovec *iov = malloc(MAX_IOV * sizeof(*iov));
    if (!iov)
        return -ENOMEM;
    int n = buf_iov(vm, buf, len, to_guest, iov);
    ssize_t r;
    if (n < 0)
        r = n;
    else if (offset)
        r = to_guest ? preadv((int)hostfd, iov, n, (off_t)*offset)
                     : pwritev((int)hostfd, iov, n, (off_t)*offset);
    else
        r = to_guest ? readv((int)hostfd, iov, n) : writev((int)hostfd, iov, n);
    if (r < 0 && n >= 0)
        r = -errno;
    free(iov);
    return r;
}

int64_t hx_hc_read(struct hx_vm *vm, const struct hx_hc_read_req *req)
{
    return rw(vm, req->hostfd, req->buf, req->len, NULL, 1);
}

int64_t hx_hc_write(struct hx_vm *vm, const struct hx_hc_write_req *req)
{
    return rw(vm, req->hostfd, req->buf, req->len, NULL, 0);
}

int64_t hx_hc_pread(struct hx_vm *vm, const struct hx_hc_pread_req *req)
{
    return rw(vm, req->hostfd, req->buf, req->len, &req->offset, 1);
}

int64_t hx_hc_pwrite(struct hx_vm *vm, const struct hx_hc_pwrite_req *req)
{
    return rw(vm, req->hostfd, req->buf, req->len, &req->offset, 0);
}

/* readv/writev: the guest's iovec array, each element translated. */
static int64_t rwv(struct hx_vm *vm, uint64_t hostfd, uint64_t gva, uint64_t cnt, int to_guest)
{
    if (!hx_hostfd_ok(vm, hostfd))
        return -EBADF;
    if (cnt > 1024)
        return -EINVAL;
    if (to_guest && cnt && wait_readable(vm, (int)hostfd) < 0)
        return -EINTR;
    struct {
        uint64_t base, len;
    } giov[1024];
    if (hx_copy_from_guest(&vm->g, giov, gva, cnt * sizeof(giov[0])))
        return -EFAULT;
    struct iovec *iov = malloc(MAX_IOV * sizeof(*iov));
    if (!iov)
        return -ENOMEM;
    int n = 0;
    int64_t r = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        /* As far as the vector's memory can be used: a short transfer. */
        uint64_t covered;
        n += hx_gva_iov_prefix(&vm->g, giov[i].base, giov[i].len, to_guest, iov + n, MAX_IOV - n,
                               &covered);
        if (covered < giov[i].len) {
            if (n == 0 && giov[i].len)
                r = -EFAULT;
            break;
        }
    }
    if (r == 0) {
        ssize_t done = to_guest ? readv((int)hostfd, iov, n) : writev((int)hostfd, iov, n);
        r = done < 0 ? -errno : done;
    }
    free(iov);
    return r;
}

int64_t hx_hc_readv(struct hx_vm *vm, const struct hx_hc_readv_req *req)
{
    return rwv(vm, req->hostfd, req->iov, req->iovcnt, 1);
}

int64_t hx_hc_writev(struct hx_vm *vm, const struct hx_hc_writev_req *req)
{
    return rwv(vm, req->hostfd, req->iov, req->iovcnt, 0);
}

int64_t hx_hc_poll(struct hx_vm *vm, const struct hx_hc_poll_req *req)
{
    uint64_t n = req->nfds;
    struct pollfd p[65];
    if (n > 64)
        return -EINVAL;
    if (hx_copy_from_guest(&vm->g, p, req->fds, n * sizeof(p[0])))
        return -EFAULT;
    for (uint64_t i = 0; i < n; i++)
        if (p[i].fd >= 0 && !hx_hostfd_ok(vm, (uint64_t)p[i].fd))
            return -EBADF;
    /* A timeout in ms as poll's (negative: none); a host signal ends the
     * wait as it ends the guest's own poll. */
    int ms = (int)req->timeout_ms;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t deadline = ms < 0 ? -1 : now.tv_sec * 1000000000ll + now.tv_nsec + ms * 1000000ll;
    int r = hx_sched_wait(vm, p, n, deadline);
    if (r < 0)
        return r;
    if (hx_copy_to_guest(&vm->g, req->fds, p, n * sizeof(p[0])))
        return -EFAULT;
    return r;
}

/* Only the terminal queries programs make to learn about their console. */
int64_t hx_hc_ioctl(struct hx_vm *vm, const struct hx_hc_ioctl_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    if (req->cmd == TCGETS) {
        /* The kernel's struct termios (asm/termbits.h): 4 flag words, the
         * line discipline and 19 control characters, 36 bytes; not libc's
         * larger struct. */
        uint8_t t[64];
        if (ioctl((int)req->hostfd, TCGETS, t) < 0)
            return -errno;
        return hx_copy_to_guest(&vm->g, req->arg, t, 36);
    }
    if (req->cmd == TIOCGWINSZ) {
        struct winsize w;
        if (ioctl((int)req->hostfd, TIOCGWINSZ, &w) < 0)
            return -errno;
        return hx_copy_to_guest(&vm->g, req->arg, &w, sizeof(w));
    }
    return -ENOTTY;
}

int64_t hx_hc_fcntl(struct hx_vm *vm, const struct hx_hc_fcntl_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    if (req->cmd == F_GETFL) {
        int r = fcntl((int)req->hostfd, F_GETFL);
        return r < 0 ? -errno : r;
    }
    if (req->cmd == F_SETFL) {
        int r =
            fcntl((int)req->hostfd, F_SETFL, (int)(req->arg & (O_APPEND | O_NONBLOCK | O_ASYNC)));
        return r < 0 ? -errno : 0;
    }
    /* Signal-driven I/O. The host signals the owner: only this process
     * (or none), which forwards SIGIO to the program; any other owner
     * would let the guest have the host signal a process outside the run.
     * Only SIGIO itself, the one signal forwarded for it. */
    int r;
    switch (req->cmd) {
    case F_SETOWN:
        if ((int)req->arg != 0 && (int)req->arg != getpid())
            return -EPERM;
        r = fcntl((int)req->hostfd, F_SETOWN, (int)req->arg);
        return r < 0 ? -errno : 0;
    case F_GETOWN:
        r = fcntl((int)req->hostfd, F_GETOWN);
        return r < 0 ? -errno : r;
    case F_SETSIG:
        if (req->arg != 0 && req->arg != SIGIO)
            return -EINVAL;
        r = fcntl((int)req->hostfd, F_SETSIG, (int)req->arg);
        return r < 0 ? -errno : 0;
    case F_GETSIG:
        r = fcntl((int)req->hostfd, F_GETSIG);
        return r < 0 ? -errno : r;
    }
    return -EINVAL;
}

/* A host pipe for a guest pipe a fork will share (the guest moves its
 * buffered bytes into it). Capacity: Linux's unprivileged maximum at most. */
int64_t hx_hc_pipe(struct hx_vm *vm, const struct hx_hc_pipe_req *req)
{
    if (req->size > (1u << 20))
        return -EINVAL;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    int32_t fds[2] = {p[0], p[1]};
    int r = 0;
    if (p[0] >= HX_MAX_HOSTFDS || p[1] >= HX_MAX_HOSTFDS)
        r = -EMFILE;
    else if (req->size && fcntl(p[1], F_SETPIPE_SZ, (int)req->size) < 0)
        r = -errno;
    else if (hx_copy_to_guest(&vm->g, req->fds, fds, sizeof(fds)))
        r = -EFAULT;
    if (r) {
        close(p[0]);
        close(p[1]);
        return r;
    }
    for (int i = 0; i < 2; i++)
        hx_hostfd_give(vm, p[i], HX_FD_OWNED, 0); /* both below the bound: checked */
    return 0;
}

int64_t hx_hc_memfd(struct hx_vm *vm, const struct hx_hc_memfd_req *req)
{
    if (req->flags & ~(uint64_t)MFD_ALLOW_SEALING)
        return -EINVAL;
    char name[250];
    long n = hx_copy_str_from_guest(&vm->g, name, req->name, sizeof(name));
    if (n < 0)
        return n == -ENAMETOOLONG ? -EINVAL : n;
    int fd = memfd_create(name, MFD_CLOEXEC | (unsigned)req->flags);
    return fd < 0 ? -errno : hx_hostfd_give(vm, fd, HX_FD_OWNED, 0);
}

int64_t hx_hc_fd_describe(struct hx_vm *vm, const struct hx_hc_fd_describe_req *req)
{
    if (!hx_hostfd_ok(vm, req->hostfd))
        return -EBADF;
    struct hx_inherited_fd e;
    memset(&e, 0, sizeof(e));
    hx_describe_fd((int)req->hostfd, &e);
    return hx_copy_to_guest(&vm->g, req->out, &e, sizeof(e)) ? -EFAULT : 0;
}
