/* The hypercall switchboard: validates the request block, counts it, and
 * hands it to the host service that owns it. */
#include "hcall.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const hx_hcall_fn handlers[HX_HC_NR] = {
    [HX_HC_EXIT] = hx_hc_exit,
    [HX_HC_FATAL] = hx_hc_fatal,
    [HX_HC_WRITE] = hx_hc_write,
    [HX_HC_READ] = hx_hc_read,
    [HX_HC_PREAD] = hx_hc_pread,
    [HX_HC_PWRITE] = hx_hc_pwrite,
    [HX_HC_WRITEV] = hx_hc_writev,
    [HX_HC_READV] = hx_hc_readv,
    [HX_HC_OPEN] = hx_hc_open,
    [HX_HC_CLOSE] = hx_hc_close,
    [HX_HC_LSEEK] = hx_hc_lseek,
    [HX_HC_FSTAT] = hx_hc_fstat,
    [HX_HC_STAT] = hx_hc_stat,
    [HX_HC_STATX] = hx_hc_statx,
    [HX_HC_IOCTL] = hx_hc_ioctl,
    [HX_HC_FCNTL] = hx_hc_fcntl,
    [HX_HC_GETRANDOM] = hx_hc_getrandom,
    [HX_HC_SLEEP] = hx_hc_sleep,
    [HX_HC_POLL] = hx_hc_poll,
    [HX_HC_UNSUPPORTED] = hx_hc_unsupported,
    [HX_HC_STRACE] = hx_hc_strace,
    [HX_HC_FTRUNCATE] = hx_hc_ftruncate,
    [HX_HC_UNLINK] = hx_hc_unlink,
    [HX_HC_ACCESS] = hx_hc_access,
    [HX_HC_READLINK] = hx_hc_readlink,
    [HX_HC_FSYNC] = hx_hc_fsync,
    [HX_HC_RENAME] = hx_hc_rename,
    [HX_HC_GETDENTS] = hx_hc_getdents,
    [HX_HC_STATFS] = hx_hc_statfs,
    [HX_HC_COPY_RANGE] = hx_hc_copy_range,
    [HX_HC_PATHOP] = hx_hc_pathop,
    [HX_HC_FDOP] = hx_hc_fdop,
    [HX_HC_MAP_SHARED] = hx_hc_map_shared,
    [HX_HC_UNMAP_SHARED] = hx_hc_unmap_shared,
    [HX_HC_MSYNC] = hx_hc_msync,
    [HX_HC_FDPATH] = hx_hc_fdpath,
    [HX_HC_CPUINFO] = hx_hc_cpuinfo,
    [HX_HC_WAIT] = hx_hc_wait,
    [HX_HC_TIMER_KICK] = hx_hc_timer_kick,
    [HX_HC_SOCKET] = hx_hc_socket,
    [HX_HC_SOCKETPAIR] = hx_hc_socketpair,
    [HX_HC_BIND] = hx_hc_bind,
    [HX_HC_CONNECT] = hx_hc_connect,
    [HX_HC_LISTEN] = hx_hc_listen,
    [HX_HC_ACCEPT] = hx_hc_accept,
    [HX_HC_SOCKNAME] = hx_hc_sockname,
    [HX_HC_SOCKOPT] = hx_hc_sockopt,
    [HX_HC_SHUTDOWN] = hx_hc_shutdown,
    [HX_HC_SENDMSG] = hx_hc_sendmsg,
    [HX_HC_RECVMSG] = hx_hc_recvmsg,
    [HX_HC_SENDMMSG] = hx_hc_sendmmsg,
    [HX_HC_RECVMMSG] = hx_hc_recvmmsg,
    [HX_HC_SOCKIOCTL] = hx_hc_sockioctl,
    [HX_HC_SENDFILE] = hx_hc_sendfile,
};

static const char *const hcall_names[HX_HC_NR] = {
    [HX_HC_EXIT] = "exit",
    [HX_HC_FATAL] = "fatal",
    [HX_HC_WRITE] = "write",
    [HX_HC_READ] = "read",
    [HX_HC_PREAD] = "pread",
    [HX_HC_PWRITE] = "pwrite",
    [HX_HC_WRITEV] = "writev",
    [HX_HC_READV] = "readv",
    [HX_HC_OPEN] = "open",
    [HX_HC_CLOSE] = "close",
    [HX_HC_LSEEK] = "lseek",
    [HX_HC_FSTAT] = "fstat",
    [HX_HC_STAT] = "stat",
    [HX_HC_STATX] = "statx",
    [HX_HC_IOCTL] = "ioctl",
    [HX_HC_FCNTL] = "fcntl",
    [HX_HC_GETRANDOM] = "getrandom",
    [HX_HC_SLEEP] = "sleep",
    [HX_HC_POLL] = "poll",
    [HX_HC_UNSUPPORTED] = "unsupported",
    [HX_HC_STRACE] = "strace",
    [HX_HC_FTRUNCATE] = "ftruncate",
    [HX_HC_UNLINK] = "unlink",
    [HX_HC_ACCESS] = "access",
    [HX_HC_READLINK] = "readlink",
    [HX_HC_FSYNC] = "fsync",
    [HX_HC_RENAME] = "rename",
    [HX_HC_GETDENTS] = "getdents",
    [HX_HC_STATFS] = "statfs",
    [HX_HC_COPY_RANGE] = "copy_range",
    [HX_HC_PATHOP] = "pathop",
    [HX_HC_FDOP] = "fdop",
    [HX_HC_MAP_SHARED] = "map_shared",
    [HX_HC_UNMAP_SHARED] = "unmap_shared",
    [HX_HC_MSYNC] = "msync",
    [HX_HC_FDPATH] = "fdpath",
    [HX_HC_CPUINFO] = "cpuinfo",
    [HX_HC_WAIT] = "wait",
    [HX_HC_TIMER_KICK] = "timer_kick",
    [HX_HC_SOCKET] = "socket",
    [HX_HC_SOCKETPAIR] = "socketpair",
    [HX_HC_BIND] = "bind",
    [HX_HC_CONNECT] = "connect",
    [HX_HC_LISTEN] = "listen",
    [HX_HC_ACCEPT] = "accept",
    [HX_HC_SOCKNAME] = "sockname",
    [HX_HC_SOCKOPT] = "sockopt",
    [HX_HC_SHUTDOWN] = "shutdown",
    [HX_HC_SENDMSG] = "sendmsg",
    [HX_HC_RECVMSG] = "recvmsg",
    [HX_HC_SENDMMSG] = "sendmmsg",
    [HX_HC_RECVMMSG] = "recvmmsg",
    [HX_HC_SOCKIOCTL] = "sockioctl",
    [HX_HC_SENDFILE] = "sendfile",
};

int hx_hostfd_ok(const struct hx_vm *vm, uint64_t fd)
{
    return fd < (uint64_t)HX_MAX_HOSTFDS && vm->hostfd_owned[fd];
}

int hx_hcall_dispatch(struct hx_vm *vm, uint64_t gpa, int *status)
{
    /* The block lives in guest RAM (the kernel's own data), never in a
     * mapped file, which could be read-only or shorter than its mapping. */
    struct hx_hcall *req =
        (gpa & 7) || gpa >= vm->g.ram_size ? NULL : hx_gpa_ptr(&vm->g, gpa, sizeof(*req), 1);
    if (!req) {
        /* Nowhere to put an answer: a guest kernel this broken cannot go on. */
        fprintf(stderr, "hxrun: guest kernel error: hypercall block at bad address 0x%llx\n",
                (unsigned long long)gpa);
        *status = 125;
        return 1;
    }
    uint32_t nr = req->nr;
    uint64_t arg[6];
    memcpy(arg, req->arg, sizeof(arg));
    if (nr >= HX_HC_NR || !handlers[nr]) {
        req->ret = -ENOSYS;
        return 0;
    }
    vm->hcalls[nr]++;
    vm->in_service = 1;
    int64_t ret = handlers[nr](vm, arg, status);
    vm->in_service = 0;
    if (ret == HX_HC_DONE)
        return 1;
    req->ret = ret;
    return 0;
}

void hx_print_stats(const struct hx_vm *vm)
{
    static const char *const reasons[64] = {
        [2] = "io",
        [5] = "hlt",
        [6] = "mmio",
        [7] = "irq_window",
        [8] = "shutdown",
        [9] = "fail_entry",
        [17] = "internal_error",
    };
    fprintf(stderr, "hxrun: stats: %llu VM exits\n", (unsigned long long)vm->exits_total);
    if (vm->irqs_injected)
        fprintf(stderr, "hxrun: stats: %llu interrupts injected\n",
                (unsigned long long)vm->irqs_injected);
    for (int i = 0; i < 64; i++)
        if (vm->exits_by_reason[i])
            fprintf(stderr, "hxrun: stats:   exit %-16s %llu\n", reasons[i] ? reasons[i] : "other",
                    (unsigned long long)vm->exits_by_reason[i]);
    for (int i = 0; i < HX_HC_NR; i++)
        if (vm->hcalls[i])
            fprintf(stderr, "hxrun: stats:   hypercall %-11s %llu\n", hcall_names[i],
                    (unsigned long long)vm->hcalls[i]);
    if (!vm->have_guest_stats)
        return;
    static const char *const causes[HX_CPL0_NCAUSES] = {
        [HX_CPL0_TLB] = "tlb-flush", [HX_CPL0_FAULT] = "fault", [HX_CPL0_IRQ] = "interrupt"};
    uint64_t cpl0 = 0;
    for (int i = 0; i < HX_CPL0_NCAUSES; i++)
        cpl0 += vm->guest_stats.cpl0[i];
    fprintf(stderr, "hxrun: stats: %llu CPL0 entries\n", (unsigned long long)cpl0);
    for (int i = 0; i < HX_CPL0_NCAUSES; i++)
        if (vm->guest_stats.cpl0[i])
            fprintf(stderr, "hxrun: stats:   cpl0 %-15s %llu\n", causes[i],
                    (unsigned long long)vm->guest_stats.cpl0[i]);
    fprintf(stderr, "hxrun: stats: %llu system calls (%llu syscall instruction, %llu fastcall)\n",
            (unsigned long long)(vm->guest_stats.syscalls + vm->guest_stats.fastcalls),
            (unsigned long long)vm->guest_stats.syscalls,
            (unsigned long long)vm->guest_stats.fastcalls);
    if (vm->guest_stats.switches)
        fprintf(stderr, "hxrun: stats: %llu thread switches\n",
                (unsigned long long)vm->guest_stats.switches);
}
