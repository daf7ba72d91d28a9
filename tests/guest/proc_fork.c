/*
 * proc_fork: fork and wait.  fork's two return values, copied memory (a
 * variable and an 8 MiB heap buffer, private on both sides), every way a
 * child can end as wait4/waitpid report it, waitpid's pid arguments and
 * WNOHANG, several children, a chain of three generations, and trees of 64
 * processes.  Children report only through their exit status or a pipe;
 * the parent prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

static int counter = 100;

static void basics(void)
{
    int p[2];
    if (pipe(p) < 0)
        return;
    pid_t me = getpid();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* Two answers, one byte each. */
        char r[2] = {getppid() == me ? 'y' : 'n', 0};
        write(p[1], r, 1);
        _exit(0);
    }
    close(p[1]);
    yes("child pid > 0", pid > 0);
    char c = 0;
    read(p[0], &c, 1);
    close(p[0]);
    yes("getppid in child == parent's getpid", c == 'y');
    reap("basic child", pid);
}

static void memory(void)
{
    int go[2], back[2];
    if (pipe(go) < 0 || pipe(back) < 0)
        return;
    enum { BIG = 8 << 20 };
    unsigned char *big = malloc(BIG);
    if (!big)
        return;
    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 7 + (i >> 12));
    counter = 100;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(back[0]);
        int bad = 0;
        for (size_t i = 0; i < BIG; i++)
            if (big[i] != (unsigned char)(i * 7 + (i >> 12)))
                bad++;
        char r[4] = {bad ? 'n' : 'y', 0, 0, 0};
        memset(big, 0xAA, BIG);
        counter = 200;
        /* Wait for the parent's changes, then look at ours again. */
        char c;
        read(go[0], &c, 1);
        r[1] = counter == 200 ? 'y' : 'n';
        bad = 0;
        for (size_t i = 0; i < BIG; i += 4096)
            if (big[i] != 0xAA || big[i + 4095] != 0xAA)
                bad++;
        r[2] = bad ? 'n' : 'y';
        write(back[1], r, 3);
        _exit(0);
    }
    close(go[0]);
    close(back[1]);
    counter = 300;
    big[0] = 1;
    big[BIG - 1] = 2;
    write(go[1], "g", 1);
    char r[4] = {0};
    read_all(back[0], r, sizeof(r));
    close(go[1]);
    close(back[0]);
    reap("memory child", pid);
    yes("8 MiB buffer intact in child", r[0] == 'y');
    yes("child's variable unchanged by parent's write", r[1] == 'y');
    yes("child's buffer unchanged by parent's writes", r[2] == 'y');
    yes("parent's variable unchanged by child's write", counter == 300);
    int bad = 0;
    for (size_t i = 1; i < BIG - 1; i++)
        if (big[i] != (unsigned char)(i * 7 + (i >> 12)))
            bad++;
    yes("parent's buffer unchanged by child's writes",
        bad == 0 && big[0] == 1 && big[BIG - 1] == 2);
    free(big);
}

static pid_t spawn_exit(int code)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(code);
    return pid;
}

static void show_macros(const char *what, int st)
{
    printf("%s: WIFEXITED %d WEXITSTATUS %d WIFSIGNALED %d WTERMSIG %s\n", what, !!WIFEXITED(st),
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, !!WIFSIGNALED(st),
           WIFSIGNALED(st) ? signame(WTERMSIG(st)) : "-");
}

static void statuses(pid_t from_main)
{
    static const int codes[] = {0, 3, 255};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        pid_t pid = spawn_exit(codes[i]);
        int st = -1;
        char what[32];
        snprintf(what, sizeof(what), "_exit(%d)", codes[i]);
        yes("waitpid returns the child", waitpid(pid, &st, 0) == pid);
        show_macros(what, st);
    }
    /* _exit(256) is 0 to the parent: only the low 8 bits are kept. */
    pid_t pid = spawn_exit(256 + 4);
    int st = -1;
    waitpid(pid, &st, 0);
    show_macros("_exit(260)", st);

    /* exit() in the child runs what exit runs, then ends it. */
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        exit(42);
    st = -1;
    waitpid(pid, &st, 0);
    show_macros("exit(42)", st);

    st = -1;
    yes("wait4 returns the child that returned from main",
        wait4(from_main, &st, 0, NULL) == from_main);
    show_macros("return 6 from main", st);

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        raise(SIGTERM);
        _exit(99);
    }
    st = -1;
    waitpid(pid, &st, 0);
    show_macros("raise(SIGTERM)", st);

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        abort();
    }
    st = -1;
    waitpid(pid, &st, 0);
    show_macros("abort()", st);

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        volatile int *volatile p = NULL;
        *p = 1;
        _exit(99);
    }
    st = -1;
    waitpid(pid, &st, 0);
    show_macros("NULL dereference", st);

    /* Killed by the parent while blocked. */
    int p[2];
    pid = fork_blocked(p, 99, 0);
    kill(pid, SIGKILL);
    st = -1;
    waitpid(pid, &st, 0);
    close(p[1]);
    show_macros("SIGKILL from parent", st);

    /* The rusage pointer is accepted and filled; times are not shown. */
    pid = spawn_exit(5);
    struct rusage ru;
    memset(&ru, 0xff, sizeof(ru));
    st = -1;
    yes("wait4 with rusage returns the child", wait4(pid, &st, 0, &ru) == pid);
    show_macros("wait4 with rusage", st);
    yes("rusage times written", ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
                                    ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
}

static void wait_args(void)
{
    pid_t pid = spawn_exit(17);
    int st = -1;
    pid_t r = waitpid(-1, &st, 0);
    yes("waitpid(-1) reaps the child", r == pid);
    show_status("waitpid(-1)", st);

    errno = 0;
    r = waitpid(-1, &st, 0);
    printf("waitpid(-1) with no children: %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(pid, &st, 0);
    printf("waitpid on a reaped child: %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(getppid(), &st, 0);
    printf("waitpid on the parent: %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(1, &st, WNOHANG);
    printf("waitpid on pid 1 WNOHANG: %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(-1, &st, WNOHANG);
    printf("waitpid(-1) WNOHANG with no children: %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(-1, &st, 0x100);
    printf("waitpid with unknown option bit: %d %s\n", (int)r, errname(errno));

    /* WNOHANG on a child that is still running. */
    int p[2];
    pipe(p);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char c;
        close(p[1]);
        _exit(read(p[0], &c, 1) == 0 ? 21 : 22);
    }
    close(p[0]);
    st = 12345;
    r = waitpid(pid, &st, WNOHANG);
    printf("WNOHANG on a running child: %d, status untouched: %s\n", (int)r, yn(st == 12345));
    r = waitpid(-1, &st, WNOHANG);
    printf("WNOHANG(-1) on a running child: %d\n", (int)r);
    close(p[1]);
    reap("child after EOF", pid);
}

static void several(void)
{
    enum { N = 8 };
    pid_t pids[N];
    for (int i = 0; i < N; i++)
        pids[i] = spawn_exit(30 + i);
    int seen = 0, right = 1;
    for (int i = 0; i < N; i++) {
        int st = -1;
        pid_t r = wait(&st);
        int k = -1;
        for (int j = 0; j < N; j++)
            if (pids[j] == r)
                k = j;
        if (k < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 30 + k || (seen & (1 << k)))
            right = 0;
        else
            seen |= 1 << k;
    }
    yes("8 children reaped, each with its own status", right && seen == (1 << N) - 1);
    errno = 0;
    pid_t r = wait(NULL);
    printf("then wait: %d %s\n", (int)r, errname(errno));
}

/* Child forks grandchild, which forks great-grandchild; each adds to the
 * status it got from below. */
static void generation(int depth)
{
    pid_t pid;
    /* A loop, not recursion: the child carries on one level down. */
    while ((pid = fork()) == 0)
        if (--depth == 0)
            _exit(1);
    if (pid < 0)
        _exit(100);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        _exit(101);
    _exit(WEXITSTATUS(st) * 2 + 1);
}

static void chain(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        generation(3);
        _exit(102);
    }
    reap("chain of 4 generations (1, 3, 7, 15)", pid);
}

/* A binary tree: each process forks two children and exits with the size
 * of its subtree.  depth 5 below the top: 63 processes. */
static void tree_node(int depth)
{
    pid_t a, b;
    /* A loop, not recursion: a child starts over one level down. */
    for (;;) {
        if (depth == 0)
            _exit(1);
        a = fork();
        if (a == 0) {
            depth--;
            continue;
        }
        b = fork();
        if (b == 0) {
            depth--;
            continue;
        }
        break;
    }
    int total = 1;
    for (int i = 0; i < 2; i++) {
        int st;
        pid_t r = wait(&st);
        if ((r != a && r != b) || !WIFEXITED(st))
            _exit(200);
        total += WEXITSTATUS(st);
    }
    if (a < 0 || b < 0 || wait(NULL) != -1 || errno != ECHILD)
        _exit(201);
    _exit(total);
}

static void trees(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        tree_node(5);
    reap("binary tree of 63 processes", pid);

    /* 64 children of one process, all alive at once, released together. */
    enum { N = 64 };
    int p[2];
    pipe(p);
    pid_t pids[N];
    int made = 0;
    fflush(stdout);
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char c;
            close(p[1]);
            _exit(read(p[0], &c, 1) == 0 ? i : 250);
        }
        if (pids[i] > 0)
            made++;
    }
    close(p[0]);
    printf("64 children forked: %d\n", made);
    close(p[1]);
    int right = 0;
    for (int i = 0; i < N; i++) {
        int st;
        pid_t r = wait(&st);
        for (int j = 0; j < N; j++)
            if (r == pids[j] && WIFEXITED(st) && WEXITSTATUS(st) == j)
                right++;
    }
    printf("64 children reaped with their own status: %d\n", right);
    errno = 0;
    pid_t r = wait(NULL);
    printf("then wait: %d %s\n", (int)r, errname(errno));
}

int main(void)
{
    alarm(10);
    /* The first child returns from main: exit's full path. */
    fflush(stdout);
    pid_t from_main = fork();
    if (from_main == 0)
        return 6;

    basics();
    memory();
    statuses(from_main);
    wait_args();
    several();
    chain();
    trees();
    return 0;
}
