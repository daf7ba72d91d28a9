/* The hypercall switchboard: validates the request block, counts it, and
 * hands it to the host service that owns it. */
#include "hcall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each handler's thunk: hands it the typed request of its hypercall. */
#define HCALL(nr, NAME, name)                                                                      \
    static int64_t call_##name(struct hx_vm *vm, const struct hx_hcall *h)                         \
    {                                                                                              \
        return hx_hc_##name(vm, &h->name);                                                         \
    }
#include "hx/hcalls.h"
#undef HCALL

/* The handler table and the names --stats prints, from hx/hcalls.h. */
static const struct {
    int64_t (*call)(struct hx_vm *vm, const struct hx_hcall *h);
    const char *name;
} hcalls[HX_HC_NR] = {
#define HCALL(nr, NAME, name) [HX_HC_##NAME] = {call_##name, #name},
#include "hx/hcalls.h"
#undef HCALL
};

int hx_hostfd_ok(const struct hx_vm *vm, uint64_t fd)
{
    return fd < (uint64_t)HX_MAX_HOSTFDS && vm->hostfd_owned[fd];
}

long hx_hostfd_give(struct hx_vm *vm, long fd, uint8_t owned, uint8_t mount)
{
    if (fd < 0)
        return fd;
    if (fd >= HX_MAX_HOSTFDS) {
        close((int)fd);
        return -EMFILE;
    }
    vm->hostfd_owned[fd] = owned;
    vm->hostfd_mount[fd] = mount;
    return fd;
}

void hx_describe_fd(int host, struct hx_inherited_fd *e)
{
    struct stat st = {0};
    e->hostfd = host;
    e->flags = fcntl(host, F_GETFL);
    e->tty = isatty(host) == 1;
    if (fstat(host, &st) == 0 && S_ISSOCK(st.st_mode)) {
        socklen_t len = sizeof(e->sock);
        if (getsockopt(host, SOL_SOCKET, SO_DOMAIN, &e->sock, &len) < 0 || !e->sock)
            e->sock = AF_UNIX;
    }
    /* Regular files and directories never make a read wait. */
    e->stream = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISBLK(st.st_mode);
    char link[32];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", host);
    ssize_t n = readlink(link, e->path, sizeof(e->path) - 1);
    e->path[n > 0 ? n : 0] = 0;
}

int hx_hcall_dispatch(struct hx_vm *vm, uint64_t gpa, int *status)
{
    vm->booting = 0;
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
    /* A copy: a handler that writes guest memory (over the block itself,
     * say) still sees the request it is serving. */
    struct hx_hcall h;
    memcpy(&h, req, sizeof(h));
    uint32_t nr = h.nr;
    if (nr >= HX_HC_NR || !hcalls[nr].call) {
        req->ret = -ENOSYS;
        return 0;
    }
    vm->hcalls[nr]++;
    vm->in_service = 1;
    int64_t ret = hcalls[nr].call(vm, &h);
    vm->in_service = 0;
    if (ret == HX_HC_DONE) {
        *status = vm->exit_status;
        return 1;
    }
    if (ret == HX_HC_NORETURN)
        return 0;
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
    fprintf(stderr, "hxrun: stats: %s%llu VM exits\n", hx_proc_tag(),
            (unsigned long long)vm->exits_total);
    if (vm->irqs_injected)
        fprintf(stderr, "hxrun: stats: %s%llu interrupts injected\n", hx_proc_tag(),
                (unsigned long long)vm->irqs_injected);
    for (int i = 0; i < 64; i++)
        if (vm->exits_by_reason[i])
            fprintf(stderr, "hxrun: stats: %s  exit %-16s %llu\n", hx_proc_tag(),
                    reasons[i] ? reasons[i] : "other", (unsigned long long)vm->exits_by_reason[i]);
    for (int i = 0; i < HX_HC_NR; i++)
        if (vm->hcalls[i])
            fprintf(stderr, "hxrun: stats: %s  hypercall %-11s %llu\n", hx_proc_tag(),
                    hcalls[i].name, (unsigned long long)vm->hcalls[i]);
    if (!vm->have_guest_stats)
        return;
    static const char *const causes[HX_CPL0_NCAUSES] = {
        [HX_CPL0_TLB] = "tlb-flush", [HX_CPL0_FAULT] = "fault", [HX_CPL0_IRQ] = "interrupt"};
    uint64_t cpl0 = 0;
    for (int i = 0; i < HX_CPL0_NCAUSES; i++)
        cpl0 += vm->guest_stats.cpl0[i];
    fprintf(stderr, "hxrun: stats: %s%llu CPL0 entries\n", hx_proc_tag(), (unsigned long long)cpl0);
    for (int i = 0; i < HX_CPL0_NCAUSES; i++)
        if (vm->guest_stats.cpl0[i])
            fprintf(stderr, "hxrun: stats: %s  cpl0 %-15s %llu\n", hx_proc_tag(), causes[i],
                    (unsigned long long)vm->guest_stats.cpl0[i]);
    fprintf(stderr, "hxrun: stats: %s%llu system calls (%llu syscall instruction, %llu fastcall)\n",
            hx_proc_tag(), (unsigned long long)vm->guest_stats.syscalls + vm->guest_stats.fastcalls,
            (unsigned long long)vm->guest_stats.syscalls,
            (unsigned long long)vm->guest_stats.fastcalls);
    if (vm->guest_stats.switches)
        fprintf(stderr, "hxrun: stats: %s%llu thread switches\n", hx_proc_tag(),
                (unsigned long long)vm->guest_stats.switches);
}
