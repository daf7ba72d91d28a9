/*
 * ids: who and where the process is -- credentials, process ids, uname,
 * cwd, /proc/self/exe, resource limits and system information.  Values the
 * runner fixes (uid, cwd, limits) are printed; values that vary between
 * runs (pids, free memory) only as facts about them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"

static void limit(const char *name, struct rlimit r)
{
    printf("%s:", name);
    if (r.rlim_cur == RLIM_INFINITY)
        printf(" soft unlimited");
    else
        printf(" soft %llu", (unsigned long long)r.rlim_cur);
    if (r.rlim_max == RLIM_INFINITY)
        printf(", hard unlimited\n");
    else
        printf(", hard %llu\n", (unsigned long long)r.rlim_max);
}

int main(void)
{
    printf("uid %d euid %d gid %d egid %d\n", (int)getuid(), (int)geteuid(), (int)getgid(),
           (int)getegid());
    pid_t pid = getpid();
    yes("getpid() > 0", pid > 0);
    yes("getppid() > 0", getppid() > 0);
    yes("getppid() != getpid()", getppid() != pid);
    yes("gettid() == getpid() (single thread)", syscall(SYS_gettid) == pid);
    yes("getpid() stable", getpid() == pid);

    struct utsname u;
    if (uname(&u) == 0) {
        printf("sysname: %s\n", u.sysname);
        printf("release: %s\n", u.release);
        printf("machine: %s\n", u.machine);
        yes("nodename non-empty", u.nodename[0] != '\0');
    } else {
        printf("uname failed: %s\n", errname(errno));
    }

    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)))
        printf("cwd: %s\n", cwd);
    else
        printf("getcwd failed: %s\n", errname(errno));
    errno = 0;
    char *small = getcwd(cwd, 2);
    printf("getcwd into 2 bytes: %s\n", small ? "fit" : errname(errno));

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n >= 0) {
        exe[n] = '\0';
        printf("/proc/self/exe: %s\n", exe);
    } else {
        printf("readlink /proc/self/exe failed: %s\n", errname(errno));
    }

    struct rlimit r;
    if (prlimit(0, RLIMIT_NOFILE, NULL, &r) == 0)
        limit("prlimit RLIMIT_NOFILE", r);
    else
        printf("prlimit failed: %s\n", errname(errno));
    if (getrlimit(RLIMIT_NOFILE, &r) == 0)
        limit("getrlimit RLIMIT_NOFILE", r);
    if (getrlimit(RLIMIT_STACK, &r) == 0)
        limit("getrlimit RLIMIT_STACK", r);
    /* Lowering the soft limit and reading it back must round-trip. */
    struct rlimit lower = r;
    lower.rlim_cur = 1024 * 1024;
    if (lower.rlim_max != RLIM_INFINITY && lower.rlim_max < lower.rlim_cur)
        lower.rlim_cur = lower.rlim_max;
    int sr = setrlimit(RLIMIT_STACK, &lower);
    getrlimit(RLIMIT_STACK, &r);
    yes("setrlimit RLIMIT_STACK reads back", sr == 0 && r.rlim_cur == lower.rlim_cur);
    errno = 0;
    int bad = getrlimit(9999, &r);
    printf("getrlimit(9999): %d %s\n", bad, errname(errno));

    struct sysinfo si;
    int s = sysinfo(&si);
    yes("sysinfo succeeds", s == 0);
    yes("sysinfo mem_unit > 0", s == 0 && si.mem_unit > 0);
    yes("sysinfo totalram > 0", s == 0 && si.totalram > 0);
    yes("sysinfo freeram <= totalram", s == 0 && si.freeram <= si.totalram);
    yes("sysinfo procs > 0", s == 0 && si.procs > 0);

    cpu_set_t set;
    CPU_ZERO(&set);
    int a = sched_getaffinity(0, sizeof(set), &set);
    yes("sched_getaffinity succeeds", a == 0);
    yes("at least one CPU", a == 0 && CPU_COUNT(&set) >= 1);
    yes("sysconf(_SC_NPROCESSORS_ONLN) >= 1", sysconf(_SC_NPROCESSORS_ONLN) >= 1);
    printf("sched_yield: %d\n", sched_yield());
    return 0;
}
