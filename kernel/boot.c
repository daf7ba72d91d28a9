/* The kernel's first code, at CPL3: the monitor has built the machine, so
 * booting is bookkeeping: traps, clock, memory map, files; then the program. */
#include "kernel.h"
#include "mm.h"
#include "sched.h"
#include "signal.h"
#include "syscalls.h"

struct hx_boot_info *boot;
struct hx_stats kstats;

void time_init(void);

__attribute__((noreturn)) void hx_kmain(struct hx_boot_info *b)
{
    boot = b;
    if (b->magic != HX_BOOT_MAGIC || b->version != HX_ABI_VERSION)
        kpanic("boot information from an incompatible monitor");
    trap_init();
    time_init();
    random_init();
    mm_init();
    sched_init();
    signal_init();
    /* The one call up at boot: the system-call layer sets itself up. */
    syscalls_init();
    hx_enter_user(b->entry, b->stack_pointer);
}
