/* The hypercall client: fill one request block, store its physical address
 * to the hypercall MMIO page (one VM exit), read the answer. */
#include "hostio.h"
#include "kernel.h"
#include "sched.h"
#include "uapi/errno.h"

static struct hx_hcall req __attribute__((aligned(64)));

int64_t hcall_send(const struct hx_hcall *h)
{
    uint32_t nr = h->nr;
    /* Socket sends queued in the guest go before anything else reaches
     * the host, so nothing overtakes them or waits behind them. */
    hostio_before_hcall(nr);
    req = *h;
    req.ret = 0;
    __asm__ volatile("" ::: "memory");
    *(volatile uint64_t *)HX_HYPERCALL_VA = kva_to_phys(&req);
    __asm__ volatile("" ::: "memory");
    /* A host call a host signal cut short: the system call restarts or
     * fails with EINTR as Linux's rules say (hx_syscall). */
    if (req.ret == -EINTR && current)
        current->host_eintr = 1;
    return req.ret;
}

void kexit(int status)
{
    HC(exit, .status = status, .stats = (boot->flags & HX_BOOT_STATS) ? (uint64_t)&kstats : 0);
    for (;;)
        ;
}

void kpanic(const char *msg)
{
    kwarn("kernel panic: %s", msg);
    kexit(125);
}
