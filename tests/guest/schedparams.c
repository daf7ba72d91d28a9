/* Scheduling parameters as one vCPU answers them: policy ranges, the
 * caller's policy and parameters, affinity to CPU 0, nice values. Only
 * what is the same on any Linux machine is printed (not CPU counts). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *err(int e)
{
    return e == EINVAL ? "EINVAL" : e == ESRCH ? "ESRCH" : e == EPERM ? "EPERM" : e ? "other" : "0";
}

static void show(const char *what, long r)
{
    printf("%-40s %ld %s\n", what, r, r < 0 ? err(errno) : "");
    errno = 0;
}

int main(void)
{
    show("priority max SCHED_OTHER", sched_get_priority_max(SCHED_OTHER));
    show("priority min SCHED_OTHER", sched_get_priority_min(SCHED_OTHER));
    show("priority max SCHED_FIFO", sched_get_priority_max(SCHED_FIFO));
    show("priority min SCHED_RR", sched_get_priority_min(SCHED_RR));
    show("priority max 77", sched_get_priority_max(77));
    show("getscheduler(0)", syscall(SYS_sched_getscheduler, 0));
    show("getscheduler(-1)", syscall(SYS_sched_getscheduler, -1));
    show("getscheduler(no such pid)", syscall(SYS_sched_getscheduler, 0x3fffffff));
    struct sched_param sp = {0};
    show("getparam(0)", syscall(SYS_sched_getparam, 0, &sp));
    printf("param priority %d\n", sp.sched_priority);
    sp.sched_priority = 0;
    show("setscheduler(0, OTHER, 0)", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp));
    sp.sched_priority = 5;
    show("setscheduler(0, OTHER, 5)", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp));
    show("setscheduler(0, 42, 0)", syscall(SYS_sched_setscheduler, 0, 42, &sp));
    struct timespec ts;
    show("rr_get_interval(0)", syscall(SYS_sched_rr_get_interval, 0, &ts) < 0 ? -1 : 0);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    show("setaffinity({0})", sched_setaffinity(0, sizeof(set), &set));
    CPU_ZERO(&set);
    show("setaffinity({})", sched_setaffinity(0, sizeof(set), &set));
    CPU_ZERO(&set);
    show("getaffinity has CPU 0",
         sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_ISSET(0, &set));
    show("getpriority(PROCESS, 0)", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    show("setpriority(PROCESS, 0, 5)", setpriority(PRIO_PROCESS, 0, 5));
    show("getpriority(PROCESS, 0) after", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    show("nice via getpriority()", getpriority(PRIO_PROCESS, 0));
    show("setpriority(99, 0, 0)", setpriority(99, 0, 0));
    show("sched_yield", sched_yield());
    return 0;
}
