/* Credentials: the user and group ids and supplementary groups. The
 * monitor makes each call for itself (hx_hc_cred), so the host's Linux
 * applies its own rules, and the process's host file accesses follow the
 * user it takes; getuid and the like read the ids the monitor publishes
 * in the boot information. */
#include "syscalls.h"

#define NGROUPS_MAX 65536

static long cred(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
    return HC(cred, .nr = nr, .a = a, .b = b, .c = c);
}

SYSCALL(setuid)
{
    return cred(105, a0, 0, 0);
}

SYSCALL(setgid)
{
    return cred(106, a0, 0, 0);
}

SYSCALL(setreuid)
{
    return cred(113, a0, a1, 0);
}

SYSCALL(setregid)
{
    return cred(114, a0, a1, 0);
}

SYSCALL(getgroups)
{
    if ((int)a0 < 0)
        return -EINVAL;
    if (a0 && !user_ok((void *)a1, MIN(a0, NGROUPS_MAX) * 4, 1))
        return -EFAULT;
    return cred(115, (uint64_t)MIN((int)a0, NGROUPS_MAX), a1, 0);
}

SYSCALL(setgroups)
{
    if ((int)a0 < 0 || (int)a0 > NGROUPS_MAX)
        return -EINVAL;
    if (a0 && !user_ok((void *)a1, a0 * 4, 0))
        return -EFAULT;
    return cred(116, a0, a1, 0);
}

SYSCALL(setresuid)
{
    return cred(117, a0, a1, a2);
}

SYSCALL(getresuid)
{
    return cred(118, a0, a1, a2);
}

SYSCALL(setresgid)
{
    return cred(119, a0, a1, a2);
}

SYSCALL(getresgid)
{
    return cred(120, a0, a1, a2);
}

SYSCALL(setfsuid)
{
    return cred(122, a0, 0, 0);
}

SYSCALL(setfsgid)
{
    return cred(123, a0, 0, 0);
}
