/*
 * creds: user and group ids. Reads them, then (as root, the way servers
 * drop privileges) gives up root for nobody in a child, checks the ids
 * seen from inside and the host's answer to its file accesses, and that
 * root cannot be taken back. Not root: the same calls fail with EPERM.
 * Never prints the ids themselves (they depend on who runs the test), only
 * relations.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void show(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? errname(errno) : "");
}

static int drop(void)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    show("setgroups(0)", setgroups(0, NULL));
    show("getgroups(0)", getgroups(0, NULL));
    show("setresgid(nobody x3)", setresgid(65534, 65534, 65534));
    show("setreuid(nobody, nobody)", setreuid(65534, 65534));
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    printf("resuid all nobody: %s, resgid all nobody: %s\n",
           r == 65534 && e == 65534 && s == 65534 ? "yes" : "no",
           gr == 65534 && ge == 65534 && gs == 65534 ? "yes" : "no");
    printf("getuid, geteuid, getgid, getegid nobody: %s\n",
           getuid() == 65534 && geteuid() == 65534 && getgid() == 65534 && getegid() == 65534
               ? "yes"
               : "no");
    show("setuid(0)", setuid(0));
    show("seteuid(0)", seteuid(0));
    show("setresuid(-1, 0, -1)", setresuid((uid_t)-1, 0, (uid_t)-1));
    /* The host's files answer the new user. */
    int fd = open("/etc/shadow", O_RDONLY);
    printf("open /etc/shadow: %s\n", fd >= 0 ? "ok" : errname(errno));
    show("setfsuid(-1) answers the fsuid (nobody)", setfsuid((uid_t)-1) == 65534 ? 0 : -1);
    fflush(stdout);
    return 0;
}

int main(void)
{
    uid_t r, e, s;
    show("getresuid", getresuid(&r, &e, &s));
    printf("real == getuid: %s, effective == geteuid: %s\n", r == getuid() ? "yes" : "no",
           e == geteuid() ? "yes" : "no");
    int n = getgroups(0, NULL);
    gid_t g[256];
    printf("getgroups counts the same twice: %s\n",
           n >= 0 && n <= 256 && getgroups(n, g) == n ? "yes" : "no");
    volatile int minus_one = -1; /* past gcc's check of the call */
    errno = 0;
    show("getgroups(-1)", getgroups(minus_one, g));
    /* Unprivileged: the same id is always allowed, another is not. */
    show("setreuid(-1, -1)", setreuid((uid_t)-1, (uid_t)-1));
    show("setgid(getgid())", setgid(getgid()));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(geteuid() == 0 ? drop() : 0);
    int st;
    waitpid(pid, &st, 0);
    printf("child: %s %d\n", WIFEXITED(st) ? "exited" : "killed",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    printf("parent's euid unchanged: %s\n", geteuid() == e ? "yes" : "no");
    return 0;
}
