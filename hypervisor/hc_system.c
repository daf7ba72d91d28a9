/* Host services about the run itself: ending it, reporting a fatal fault,
 * warning about unsupported system calls, tracing, random bytes, sleeping. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "hcall.h"
#include "strace.h"
#include "syscall_names.h"

static void take_stats(struct hx_vm *vm, uint64_t gva)
{
    if (gva && hx_copy_from_guest(&vm->g, &vm->guest_stats, gva, sizeof(vm->guest_stats)) == 0)
        vm->have_guest_stats = 1;
}

int64_t hx_hc_exit(struct hx_vm *vm, const struct hx_hc_exit_req *req)
{
    vm->exit_status = (int)(req->status & 0xff);
    take_stats(vm, req->stats);
    return HX_HC_DONE;
}

/* A fault the program has no handler for: print what Linux's kernel log and
 * a shell would, end like a process killed by that signal. */
int64_t hx_hc_fatal(struct hx_vm *vm, const struct hx_hc_fatal_req *req)
{
    int sig = (int)req->signo & 127;
    if (sig == 0) {
        fprintf(stderr,
                "hxrun: guest kernel fault: vector %llu, error %llu, address 0x%llx, rip 0x%llx\n",
                (unsigned long long)req->vector, (unsigned long long)req->error,
                (unsigned long long)req->addr, (unsigned long long)req->rip);
        vm->exit_status = 125;
        return HX_HC_DONE;
    }
    vm->exit_status = 128 + sig;
    vm->exit_signal = sig;
    take_stats(vm, req->stats);
    /* A child process's end is its parent's to report (its wait sees the
     * signal): only the run's first process says what a shell would. */
    if (!hx_proc_is_top())
        return HX_HC_DONE;
    const char *what = sig == SIGSEGV ? "Segmentation fault" : strsignal(sig);
    if (req->vector == HX_FATAL_SIGNAL)
        fprintf(stderr, "hxrun: %s: %s\n", vm->prog, what);
    else if (sig == SIGSEGV || sig == SIGBUS)
        fprintf(stderr, "hxrun: %s: %s at 0x%llx, rip 0x%llx (vector %llu, error %llu)\n", vm->prog,
                what, (unsigned long long)req->addr, (unsigned long long)req->rip,
                (unsigned long long)req->vector, (unsigned long long)req->error);
    else
        fprintf(stderr, "hxrun: %s: %s at rip 0x%llx (vector %llu)\n", vm->prog, what,
                (unsigned long long)req->rip, (unsigned long long)req->vector);
    return HX_HC_DONE;
}

int64_t hx_hc_unsupported(struct hx_vm *vm, const struct hx_hc_unsupported_req *req)
{
    (void)vm;
    const struct hx_syscall_info *info = hx_syscall_info(req->sysno);
    if (info)
        fprintf(stderr, "hxrun: unsupported syscall %s (%llu)\n", info->name,
                (unsigned long long)req->sysno);
    else
        fprintf(stderr, "hxrun: unsupported syscall unknown (%llu)\n",
                (unsigned long long)req->sysno);
    return 0;
}

int64_t hx_hc_strace(struct hx_vm *vm, const struct hx_hc_strace_req *req)
{
    uint64_t args[6];
    if (hx_copy_from_guest(&vm->g, args, req->args, sizeof(args)))
        return -EFAULT;
    hx_strace_print(vm, req->sysno, args, req->result);
    return 0;
}

/* The processor the guest runs on, as the host describes it: the monitor
 * reads its own /proc, which no guest path reaches (hostfs.c). */
int64_t hx_hc_cpuinfo(struct hx_vm *vm, const struct hx_hc_cpuinfo_req *req)
{
    char buf[16384];
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, sizeof(buf));
    int err = errno;
    close(fd);
    if (n < 0)
        return -err;
    if ((uint64_t)n > req->size)
        n = (ssize_t)req->size;
    return hx_copy_to_guest(&vm->g, req->buf, buf, (uint64_t)n) ? -EFAULT : n;
}

int64_t hx_hc_getrandom(struct hx_vm *vm, const struct hx_hc_getrandom_req *req)
{
    struct iovec v[64];
    uint64_t len = req->len > (32u << 20) ? (32u << 20) : req->len;
    int n = hx_gva_iov(&vm->g, req->buf, len, 1, v, 64);
    if (n < 0)
        return n;
    int64_t done = 0;
    for (int i = 0; i < n; i++) {
        ssize_t r = getrandom(v[i].iov_base, v[i].iov_len, (unsigned)req->flags & GRND_NONBLOCK);
        if (r < 0)
            return done ? done : -errno;
        done += r;
        if ((size_t)r < v[i].iov_len)
            break;
    }
    return done;
}

/* Sleeps until a CLOCK_MONOTONIC deadline (past INT64_MAX: for ever): 0,
 * or -EINTR when a host signal for the program came first. */
int64_t hx_hc_sleep(struct hx_vm *vm, const struct hx_hc_sleep_req *req)
{
    struct pollfd none[1];
    int r =
        hx_sched_wait(vm, none, 0, req->deadline_ns > INT64_MAX ? -1 : (int64_t)req->deadline_ns);
    return r < 0 ? r : 0;
}
