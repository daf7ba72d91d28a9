/* The system-call dispatcher, reached from the syscall instruction and
 * from fastcalls at CPL3. The dispatch array is generated from table.h;
 * the leaf table kernel/entry.S calls directly is drawn from it. */
#include "entry.h"
#include "syscalls.h"
#include "vfs.h"

#define SC_ENTRY(nr, name) [nr] = sys_##name,
#define SC_ENTRY_NONE(nr, name)
#define SC_ENTRY_QUIET(nr, name) [nr] = sys_quiet_enosys,
#define SC(nr, name, where, fmt) SC_WHERE_##where(SC_ENTRY, SC_ENTRY_NONE, SC_ENTRY_QUIET)(nr, name)

/* -ENOSYS on purpose; see the table's comment. */
static SYSCALL(quiet_enosys)
{
    return -ENOSYS;
}

/* A trimmed kernel (make kernel SYSCALLS=FILE) is built from a copy of the
 * table where every syscall not in FILE is `none`. */
#ifndef HX_SYSCALL_TABLE
#define HX_SYSCALL_TABLE "table.h"
#endif

static const syscall_fn hx_syscall_table[] = {
#include HX_SYSCALL_TABLE
};
#undef SC
/* The leaf system calls by number, for the fastcall entry: those whose
 * handler is in the leaf section (kernel/kernel.ld). */
syscall_fn hx_leaf_table[HX_LEAF_MAX];

static void dispatch_init(void)
{
    extern const char hx_leaf_text_start[], hx_leaf_text_end[];
    /* --strace prints every call, and only the full path does. */
    if (boot->flags & HX_BOOT_STRACE)
        return;
    for (size_t nr = 0; nr < ARRAY_SIZE(hx_syscall_table) && nr < HX_LEAF_MAX; nr++) {
        const char *fn = (const char *)hx_syscall_table[nr];
        if (fn >= hx_leaf_text_start && fn < hx_leaf_text_end)
            hx_leaf_table[nr] = hx_syscall_table[nr];
    }
}

void syscalls_init(void)
{
    /* What the kernel core learns from the layer above without naming it. */
    signal_set_hooks(&(struct signal_hooks){.sent = event_signal_sent,
                                            .timer_taken = posix_timer_delivered,
                                            .child_event = process_child_event});
    mm_set_file_fault(mm_shared_fault);
    dispatch_init();
    fs_init();
    brk_init(boot->brk_start);
    process_child_action();
}

/* System-call numbers by name, from the table (SYS_exit, SYS_read...). */
enum {
#define SC(nr, name, where, fmt) SYS_##name = nr,
#include "table.h"
#undef SC
};

static uint8_t warned[1024 / 8];

static long unsupported(uint64_t nr)
{
    uint64_t bit = nr < 1024 ? nr : 1023;
    if (!(warned[bit / 8] & (1u << (bit % 8)))) {
        warned[bit / 8] |= (uint8_t)(1u << (bit % 8));
        HC(unsupported, .sysno = nr);
    }
    return -ENOSYS;
}

static void trace(uint64_t nr, const uint64_t *args, long ret)
{
    HC(strace, .sysno = nr, .args = (uint64_t)args, .result = ret);
}

long hx_syscall(struct hx_regs *r)
{
    uint64_t nr = r->nr;
    uint64_t args[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};
    current->frame = r;
    if (r->fast)
        kstats.fastcalls++;
    else
        kstats.syscalls++;
    int tracing = boot->flags & HX_BOOT_STRACE;
    /* exit never returns: trace it first, as strace prints "= ?". */
    if (tracing && (nr == SYS_exit || nr == SYS_exit_group))
        trace(nr, args, 0);
    long ret;
    current->host_eintr = 0;
    if (nr < ARRAY_SIZE(hx_syscall_table) && hx_syscall_table[nr])
        ret = hx_syscall_table[nr](args[0], args[1], args[2], args[3], args[4], args[5]);
    else
        ret = unsupported(nr);
    /* The monitor ended a blocking host call for a host signal: like a
     * Linux call a signal interrupts, restarted unless a handler without
     * SA_RESTART runs (and invisibly when the signal is blocked). */
    if (ret == -EINTR && current->host_eintr)
        ret = -ERESTARTSYS;
    /* A host symlink into /tmp, /dev or /proc for a call that does not
     * retry: Linux would have crossed a mount, which renames refuse. */
    if (ret == -HX_EREDIRECT)
        ret = -EXDEV;
    if (tracing)
        trace(nr, args, ret);
    return hx_syscall_exit(r, ret);
}

long hx_syscall_exit(struct hx_regs *r, long ret)
{
    if (irq_due())
        irq_process();
    if (signal_deliverable() || current->restore_mask ||
        (ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK))
        signal_syscall_exit(r, &ret);
    return ret;
}
