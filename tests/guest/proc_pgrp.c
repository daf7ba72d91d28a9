/*
 * proc_pgrp: process groups and sessions.  setpgid from a child and from
 * its parent, getpgid/getpgrp/getsid (only relations between ids are
 * printed), setpgid's EPERM, ESRCH and EINVAL cases, setsid in a child and
 * in a group leader, and kill(-pgid) reaching every member of a group.
 * The test never changes its own group: run.sh's timeout owns it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

static void release(int p[2], pid_t pid)
{
    close(p[1]);
    waitpid(pid, NULL, 0);
}

static void ret(const char *what, long r)
{
    if (r < 0)
        printf("%s: %ld %s\n", what, r, errname(errno));
    else
        printf("%s: %ld\n", what, r);
    errno = 0;
}

static void own_ids(void)
{
    yes("getpgrp() == getpgid(0)", getpgrp() == getpgid(0));
    yes("getpgid(getpid()) == getpgrp()", getpgid(getpid()) == getpgrp());
    yes("getsid(0) == getsid(getpid())", getsid(0) == getsid(getpid()));
    yes("getsid(0) > 0", getsid(0) > 0);
    errno = 0;
    ret("setpgid(0, -1)", setpgid(0, -1));
    ret("setpgid(getpid(), -5)", setpgid(getpid(), -5));
    /* Joining our own group again is allowed and changes nothing. */
    ret("setpgid(0, getpgrp())", setpgid(0, getpgrp()));
    ret("setpgid(getppid(), 0)", setpgid(getppid(), 0));
}

static int child_setpgid(int fd)
{
    pid_t me = getpid(), before = getpgrp(), sid = getsid(0);
    dprintf(fd, "child: starts in its parent's group: %s\n", yn(before == getpgid(getppid())));
    dprintf(fd, "child: starts in its parent's session: %s\n", yn(sid == getsid(getppid())));
    dprintf(fd, "child: setpgid(0, 0): %d\n", setpgid(0, 0));
    dprintf(fd, "child: getpgrp() == getpid(): %s\n", yn(getpgrp() == me));
    dprintf(fd, "child: getpgid(0) == getpid(): %s\n", yn(getpgid(0) == me));
    dprintf(fd, "child: session unchanged: %s\n", yn(getsid(0) == sid));
    dprintf(fd, "child: back to the old group: %d\n", setpgid(0, before));
    dprintf(fd, "child: getpgrp() == old group: %s\n", yn(getpgrp() == before));
    errno = 0;
    int r = setpgid(0, me);
    dprintf(fd, "child: setpgid(0, getpid()) again: %d %s\n", r, errname(errno));
    dprintf(fd, "child: getpgrp() == getpid(): %s\n", yn(getpgrp() == me));
    /* setsid as a group leader fails. */
    errno = 0;
    pid_t s = setsid();
    dprintf(fd, "child: setsid as a group leader: %d %s\n", (int)s, errname(errno));
    return 0;
}

static int child_setsid(int fd)
{
    pid_t me = getpid(), oldsid = getsid(0);
    errno = 0;
    pid_t s = setsid();
    dprintf(fd, "child: setsid() == getpid(): %s %s\n", yn(s == me), errname(errno));
    dprintf(fd, "child: getsid(0) == getpid(): %s\n", yn(getsid(0) == me));
    dprintf(fd, "child: getpgrp() == getpid(): %s\n", yn(getpgrp() == me));
    dprintf(fd, "child: getsid(parent) is the old session: %s\n", yn(getsid(getppid()) == oldsid));
    errno = 0;
    s = setsid();
    dprintf(fd, "child: setsid again: %d %s\n", (int)s, errname(errno));
    errno = 0;
    int r = setpgid(0, 0);
    dprintf(fd, "child: setpgid(0, 0) as session leader: %d %s\n", r, errname(errno));
    /* The parent's group is in another session now. */
    errno = 0;
    r = setpgid(0, getpgid(getppid()));
    dprintf(fd, "child: join a group of another session: %d %s\n", r, errname(errno));

    /* A grandchild in the new session: setpgid into the top's group is
     * EPERM, into a group of its own is fine. */
    pid_t top_group = getpgid(getppid());
    fflush(stdout);
    pid_t g = fork();
    if (g == 0) {
        int e1, e2;
        errno = 0;
        e1 = setpgid(0, top_group) < 0 ? errno : 0;
        errno = 0;
        e2 = setpgid(0, 0) < 0 ? errno : 0;
        _exit((e1 == EPERM ? 1 : 0) | (e2 == 0 ? 2 : 0) | (getsid(0) == getppid() ? 4 : 0));
    }
    int st = -1;
    waitpid(g, &st, 0);
    dprintf(fd, "child: grandchild (7: EPERM, ok, same session): %d\n",
            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}

static void from_parent(void)
{
    int p[2];
    pid_t a = fork_blocked(p, 0, 0);
    ret("setpgid(child, child)", setpgid(a, a));
    yes("getpgid(child) == child", getpgid(a) == a);
    yes("getsid(child) == getsid(0)", getsid(a) == getsid(0));
    ret("setpgid(child, 0) (already leader)", setpgid(a, 0));

    /* A second child moved into the first one's group, and back. */
    int q[2];
    pid_t b = fork_blocked(q, 0, 0);
    ret("setpgid(second, first)", setpgid(b, a));
    yes("getpgid(second) == first", getpgid(b) == a);
    ret("setpgid(second, getpgrp())", setpgid(b, getpgrp()));
    yes("getpgid(second) == getpgrp()", getpgid(b) == getpgrp());
    /* A pid that no longer exists names no group. */
    fflush(stdout);
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    errno = 0;
    ret("setpgid(second, pgid of no group)", setpgid(b, dead));
    release(q, b);
    errno = 0;
    ret("setpgid(reaped, 0)", setpgid(b, 0));
    errno = 0;
    ret("getpgid(reaped)", getpgid(b));
    errno = 0;
    ret("getsid(reaped)", getsid(b));

    /* A grandchild is not ours to move. */
    int r[2];
    pipe(r);
    int ready[2];
    pipe(ready);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(r[1]);
        close(ready[0]);
        pid_t g = fork();
        if (g == 0) {
            read(r[0], &x, 1);
            _exit(0);
        }
        write(ready[1], &g, sizeof(g));
        read(r[0], &x, 1);
        waitpid(g, NULL, 0);
        _exit(0);
    }
    close(r[0]);
    close(ready[1]);
    pid_t g = 0;
    read(ready[0], &g, sizeof(g));
    close(ready[0]);
    ret("setpgid(grandchild, 0)", setpgid(g, 0));
    yes("getpgid(grandchild) == getpgrp()", getpgid(g) == getpgrp());
    release(r, c);

    release(p, a);
}

static void kill_group(void)
{
    /* A child leading a group with two grandchildren; all block SIGUSR1
     * and wait for it, then the parent signals the group. */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    int ready[2];
    pipe(ready);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        close(ready[0]);
        setpgid(0, 0);
        pid_t g[2];
        for (int i = 0; i < 2; i++) {
            g[i] = fork();
            if (g[i] == 0) {
                struct timespec t = {5, 0};
                _exit(sigtimedwait(&s, NULL, &t) == SIGUSR1 ? 10 : 11);
            }
        }
        write(ready[1], "r", 1);
        close(ready[1]);
        struct timespec t = {5, 0};
        int total = sigtimedwait(&s, NULL, &t) == SIGUSR1 ? 1 : 0;
        for (int i = 0; i < 2; i++) {
            int st;
            if (waitpid(g[i], &st, 0) == g[i] && WIFEXITED(st) && WEXITSTATUS(st) == 10)
                total += 10;
        }
        _exit(total);
    }
    close(ready[1]);
    setpgid(c, c);
    char x;
    read(ready[0], &x, 1);
    close(ready[0]);
    ret("kill(-child, SIGUSR1)", kill(-c, SIGUSR1));
    reap("group of 3 (21: all got it)", c);
    sigset_t pend;
    sigpending(&pend);
    yes("parent not signalled", sigismember(&pend, SIGUSR1) == 0);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    errno = 0;
    ret("kill(-reaped, SIGUSR1)", kill(-c, SIGUSR1));
    errno = 0;
    ret("killpg(reaped, 0)", killpg(c, 0));

    /* A group whose leader has exited and been reaped still exists while
     * a member lives: two children, the second moved into the first's
     * group, the first ends.  No orphan is left to init. */
    int p[2], q[2];
    pid_t a = fork_blocked(p, 0, 0);
    pid_t b = fork_blocked(q, 0, 0);
    setpgid(a, a);
    setpgid(b, a);
    /* b holds a copy of a's pipe: end a with a signal instead. */
    kill(a, SIGKILL);
    waitpid(a, NULL, 0);
    close(p[1]);
    yes("member keeps the dead leader's pgid", getpgid(b) == a);
    ret("kill(-dead leader, 0) with a member alive", kill(-a, 0));
    errno = 0;
    ret("setpgid(member, dead leader's pgid)", setpgid(b, a));
    release(q, b);
    errno = 0;
    ret("kill(-dead leader, 0) once the group is empty", kill(-a, 0));
}

int main(void)
{
    alarm(10);
    own_ids();
    in_child("setpgid child", child_setpgid);
    in_child("setsid child", child_setsid);
    from_parent();
    kill_group();
    return 0;
}
