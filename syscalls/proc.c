/* Identity, limits, the CPU and the end of the process: answered from the
 * boot information and kernel state, never from the host. */
#include "syscalls.h"
#include "uapi/prctl.h"
#include "uapi/resource.h"

LEAF_SYSCALL(getpid)
{
    return boot->pid;
}
LEAF_SYSCALL(getppid)
{
    return boot->ppid;
}
LEAF_SYSCALL(getuid)
{
    return boot->uid;
}
LEAF_SYSCALL(geteuid)
{
    return boot->euid;
}
LEAF_SYSCALL(getgid)
{
    return boot->gid;
}
LEAF_SYSCALL(getegid)
{
    return boot->egid;
}

SYSCALL(exit_group)
{
    kexit((int)a0);
}

LEAF_SYSCALL(uname)
{
    if (!user_ok((void *)a0, sizeof(boot->uts), 1))
        return -EFAULT;
    memcpy((void *)a0, boot->uts, 6 * 65);
    return 0;
}

/* One vCPU: the mask has CPU 0 only. */
LEAF_SYSCALL(sched_getaffinity)
{
    if (a0 && (int)a0 != boot->pid)
        return -ESRCH;
    if (a1 < 8 || (a1 & 7))
        return -EINVAL;
    if (!user_ok((void *)a2, 8, 1))
        return -EFAULT;
    *(uint64_t *)a2 = 1;
    return 8;
}

SYSCALL(arch_prctl)
{
    switch (a0) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
        if (a1 >= HX_USER_TOP)
            return -EPERM;
        if (a0 == ARCH_SET_FS)
            __asm__ volatile("wrfsbase %0" ::"r"(a1));
        else
            __asm__ volatile("wrgsbase %0" ::"r"(a1));
        return 0;
    case ARCH_GET_FS:
    case ARCH_GET_GS: {
        uint64_t v;
        if (a0 == ARCH_GET_FS)
            __asm__ volatile("rdfsbase %0" : "=r"(v));
        else
            __asm__ volatile("rdgsbase %0" : "=r"(v));
        if (!user_ok((void *)a1, 8, 1))
            return -EFAULT;
        *(uint64_t *)a1 = v;
        return 0;
    }
    }
    return -EINVAL;
}

struct rlimit64 {
    uint64_t cur, max;
};

LEAF_SYSCALL(prlimit64)
{
    int pid = (int)a0;
    if (pid && pid != boot->pid)
        return -ESRCH;
    if (a1 >= RLIMIT_NLIMITS)
        return -EINVAL;
    struct rlimit64 old = {boot->rlimits[a1].cur, boot->rlimits[a1].max}, nw;
    if (a2) {
        if (!user_ok((void *)a2, sizeof(nw), 0))
            return -EFAULT;
        memcpy(&nw, (void *)a2, sizeof(nw));
        if (nw.cur > nw.max)
            return -EINVAL;
        if (a1 == RLIMIT_NOFILE && nw.max > NR_OPEN)
            return -EPERM;
        if (nw.max > old.max && boot->euid != 0)
            return -EPERM;
    }
    if (a3) {
        if (!user_ok((void *)a3, sizeof(old), 1))
            return -EFAULT;
        memcpy((void *)a3, &old, sizeof(old));
    }
    if (a2) {
        boot->rlimits[a1].cur = nw.cur;
        boot->rlimits[a1].max = nw.max;
    }
    return 0;
}

LEAF_SYSCALL(getrlimit)
{
    return sys_prlimit64(0, a0, 0, a1, 0, 0);
}

struct sysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char _f[4];
};

LEAF_SYSCALL(sysinfo)
{
    struct sysinfo *si = (struct sysinfo *)a0;
    if (!user_ok(si, sizeof(*si), 1))
        return -EFAULT;
    memset(si, 0, sizeof(*si));
    si->uptime = (clock_monotonic_ns() - boot->monotonic_base_ns) / NSEC_PER_SEC;
    si->totalram = boot->ram_size;
    si->freeram = mm_free_bytes();
    si->procs = 1;
    si->mem_unit = 1;
    return 0;
}

LEAF_SYSCALL(getrandom)
{
    if (a2 & ~7ull) /* GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE */
        return -EINVAL;
    if ((a2 & 6) == 6)
        return -EINVAL;
    uint64_t len = MIN(a1, 0x1ffffff); /* Linux's per-call limit */
    if (!user_ok((void *)a0, len, 1))
        return -EFAULT;
    random_fill((void *)a0, len);
    return (long)len;
}

/* The thread name Linux derives from the executed file's base name. */
static char comm[16];
static int dumpable = 1, no_new_privs;

static void comm_init(void)
{
    const char *name = boot->exe, *p = boot->exe;
    for (; *p; p++)
        if (*p == '/')
            name = p + 1;
    size_t n = MIN(strlen(name), sizeof(comm) - 1);
    memcpy(comm, name, n);
    comm[n] = 0;
}

const char *proc_comm(void)
{
    if (!comm[0])
        comm_init();
    return comm;
}

SYSCALL(prctl)
{
    if (!comm[0])
        comm_init();
    switch (a0) {
    case PR_SET_NAME: {
        long n = user_strlen((const char *)a1, 4096);
        if (n < 0)
            return n == -ENAMETOOLONG ? -EINVAL : n;
        n = MIN((size_t)n, sizeof(comm) - 1);
        memcpy(comm, (const void *)a1, (size_t)n);
        comm[n] = 0;
        return 0;
    }
    case PR_GET_NAME:
        if (!user_ok((void *)a1, sizeof(comm), 1))
            return -EFAULT;
        memcpy((void *)a1, comm, sizeof(comm));
        return 0;
    case PR_SET_PDEATHSIG:
        if (a1 > 64)
            return -EINVAL;
        boot->live.pdeathsig = (int32_t)a1; /* the monitor sends it (hc_proc.c) */
        return 0;
    case PR_GET_PDEATHSIG:
        if (!user_ok((void *)a1, 4, 1))
            return -EFAULT;
        *(int *)a1 = boot->live.pdeathsig;
        return 0;
    case PR_SET_CHILD_SUBREAPER:
        return HC(subreaper, .set = 1, .value = a1 != 0);
    case PR_GET_CHILD_SUBREAPER: {
        if (!user_ok((void *)a1, 4, 1))
            return -EFAULT;
        long r = HC(subreaper, .set = 0);
        if (r >= 0)
            *(int *)a1 = (int)r, r = 0;
        return r;
    }
    case PR_GET_DUMPABLE:
        return dumpable;
    case PR_SET_DUMPABLE:
        if (a1 > 1)
            return -EINVAL;
        dumpable = (int)a1;
        return 0;
    case PR_SET_NO_NEW_PRIVS:
        if (a1 != 1 || a2 || a3 || a4)
            return -EINVAL;
        no_new_privs = 1;
        return 0;
    case PR_GET_NO_NEW_PRIVS:
        return no_new_privs;
    }
    static uint8_t warned[64];
    if (a0 < 64 && !warned[a0]++)
        kwarn("prctl option %lu is not supported yet", a0);
    return -EINVAL;
}
