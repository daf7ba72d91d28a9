/* Host I/O on host fds the guest owns: the console (fds 0-2) and files it
 * opened. Buffers are guest virtual ranges, translated into host iovecs so
 * that a whole request costs one host system call and one VM exit. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
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

static int64_t rw(struct hx_vm *vm, const uint64_t *a, int to_guest, int positioned)
{
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    if (to_guest && !positioned && a[2] && wait_readable(vm, (int)a[0]) < 0)
        return -EINTR;
    struct iovec *iov = malloc(MAX_IOV * sizeof(*iov));
    if (!iov)
        return -ENOMEM;
    int n = buf_iov(vm, a[1], a[2], to_guest, iov);
    ssize_t r;
    if (n < 0)
        r = n;
    else if (positioned)
        r = to_guest ? preadv((int)a[0], iov, n, (off_t)a[3])
                     : pwritev((int)a[0], iov, n, (off_t)a[3]);
    else
        r = to_guest ? readv((int)a[0], iov, n) : writev((int)a[0], iov, n);
    if (r < 0 && n >= 0)
        r = -errno;
    free(iov);
    return r;
}

int64_t hx_hc_read(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    return rw(vm, a, 1, 0);
}

int64_t hx_hc_write(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    return rw(vm, a, 0, 0);
}

int64_t hx_hc_pread(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    return rw(vm, a, 1, 1);
}

int64_t hx_hc_pwrite(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    return rw(vm, a, 0, 1);
}

/* readv/writev: the guest's iovec array, each element translated. */
static int64_t rwv(struct hx_vm *vm, const uint64_t *a, int to_guest)
{
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    uint64_t cnt = a[2];
    if (cnt > 1024)
        return -EINVAL;
    if (to_guest && cnt && wait_readable(vm, (int)a[0]) < 0)
        return -EINTR;
    struct {
        uint64_t base, len;
    } giov[1024];
    if (hx_copy_from_guest(&vm->g, giov, a[1], cnt * sizeof(giov[0])))
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
        ssize_t done = to_guest ? readv((int)a[0], iov, n) : writev((int)a[0], iov, n);
        r = done < 0 ? -errno : done;
    }
    free(iov);
    return r;
}

int64_t hx_hc_readv(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    return rwv(vm, a, 1);
}

int64_t hx_hc_writev(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    return rwv(vm, a, 0);
}

int64_t hx_hc_poll(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    uint64_t n = a[1];
    struct pollfd p[65];
    if (n > 64)
        return -EINVAL;
    if (hx_copy_from_guest(&vm->g, p, a[0], n * sizeof(p[0])))
        return -EFAULT;
    for (uint64_t i = 0; i < n; i++)
        if (p[i].fd >= 0 && !hx_hostfd_ok(vm, (uint64_t)p[i].fd))
            return -EBADF;
    /* A timeout in ms as poll's (negative: none); a host signal ends the
     * wait as it ends the guest's own poll. */
    int ms = (int)a[2];
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t deadline = ms < 0 ? -1 : now.tv_sec * 1000000000ll + now.tv_nsec + ms * 1000000ll;
    int r = hx_sched_wait(vm, p, n, deadline);
    if (r < 0)
        return r;
    if (hx_copy_to_guest(&vm->g, a[0], p, n * sizeof(p[0])))
        return -EFAULT;
    return r;
}

/* Only the terminal queries programs make to learn about their console. */
int64_t hx_hc_ioctl(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    if (a[1] == TCGETS) {
        /* The kernel's struct termios (asm/termbits.h): 4 flag words, the
         * line discipline and 19 control characters, 36 bytes; not libc's
         * larger struct. */
        uint8_t t[64];
        if (ioctl((int)a[0], TCGETS, t) < 0)
            return -errno;
        return hx_copy_to_guest(&vm->g, a[2], t, 36);
    }
    if (a[1] == TIOCGWINSZ) {
        struct winsize w;
        if (ioctl((int)a[0], TIOCGWINSZ, &w) < 0)
            return -errno;
        return hx_copy_to_guest(&vm->g, a[2], &w, sizeof(w));
    }
    return -ENOTTY;
}

int64_t hx_hc_fcntl(struct hx_vm *vm, const uint64_t *a, int *status)
{
    (void)status;
    if (!hx_hostfd_ok(vm, a[0]))
        return -EBADF;
    if (a[1] == F_GETFL) {
        int r = fcntl((int)a[0], F_GETFL);
        return r < 0 ? -errno : r;
    }
    if (a[1] == F_SETFL) {
        int r = fcntl((int)a[0], F_SETFL, (int)(a[2] & (O_APPEND | O_NONBLOCK)));
        return r < 0 ? -errno : 0;
    }
    return -EINVAL;
}
