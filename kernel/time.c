/* The guest's clocks: the TSC scaled by a factor computed at boot, added to
 * the host's clocks read at boot. No VM exit. */
#include "kernel.h"
#include "uapi/time.h"

static uint64_t mult; /* ns per TSC tick, as a 32.32 fixed-point number */

void time_init(void)
{
    mult = ((uint64_t)NSEC_PER_SEC << 32) / boot->tsc_hz;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static int64_t since_boot_ns(void)
{
    uint64_t d = rdtsc() - boot->tsc_base;
    return (int64_t)(((unsigned __int128)d * mult) >> 32);
}

int64_t clock_monotonic_ns(void)
{
    return boot->monotonic_base_ns + since_boot_ns();
}

int64_t clock_realtime_ns(void)
{
    return boot->realtime_base_ns + since_boot_ns();
}
