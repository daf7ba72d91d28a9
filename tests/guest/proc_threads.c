/*
 * proc_threads: fork and threads.  Only the forking thread exists in the
 * child (a mutex another thread holds stays held, a futex it waits on has
 * no waiter, a new thread can be created), fork from a thread other than
 * the main one, pthread_atfork's order (prepare in reverse, parent and
 * child in registration order; a raw SYS_fork runs none), and how a
 * multithreaded child ends: the main thread's exit leaves the process to
 * the other thread, whose exit_group gives the status; a thread's
 * exit_group ends the whole child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

/* <linux/futex.h> is not in musl-gcc's include path. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

static long futex(volatile int *addr, int op, int val, const struct timespec *t)
{
    return syscall(SYS_futex, addr, op, val, t, NULL, 0);
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static volatile int release_word;
static int ready_pipe[2];

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    write(ready_pipe[1], "r", 1);
    while (__atomic_load_n(&release_word, __ATOMIC_SEQ_CST) == 0)
        futex(&release_word, FUTEX_WAIT_PRIVATE, 0, NULL);
    pthread_mutex_unlock(&held);
    return NULL;
}

static void *child_thread(void *arg)
{
    return (char *)arg + 1;
}

static int fork_with_holder(int fd)
{
    dprintf(fd, "child: mutex held by the other thread still locked: %s\n",
            yn(pthread_mutex_trylock(&held) == EBUSY));
    long woken = futex(&release_word, FUTEX_WAKE_PRIVATE, 1, NULL);
    dprintf(fd, "child: futex wake finds no waiter: %s\n", yn(woken == 0));
    dprintf(fd, "child: gettid() == getpid(): %s\n", yn(syscall(SYS_gettid) == getpid()));
    pthread_t t;
    void *res = NULL;
    static char x[2];
    int r = pthread_create(&t, NULL, child_thread, x);
    if (r == 0)
        r = pthread_join(t, &res);
    dprintf(fd, "child: new thread created and joined: %s\n", yn(r == 0 && res == x + 1));
    return 0;
}

static void multithreaded_fork(void)
{
    pipe(ready_pipe);
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    char c;
    read(ready_pipe[0], &c, 1);
    in_child("child of a two-thread process", fork_with_holder);
    __atomic_store_n(&release_word, 1, __ATOMIC_SEQ_CST);
    futex(&release_word, FUTEX_WAKE_PRIVATE, 1, NULL);
    pthread_join(t, NULL);
    yes("parent: mutex free again after the holder let go", pthread_mutex_trylock(&held) == 0);
    pthread_mutex_unlock(&held);
    close(ready_pipe[0]);
    close(ready_pipe[1]);
}

/* fork from a second thread: the child's only thread is a copy of it. */
static int thread_fork_status;

static void *forking_thread(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0)
        _exit(syscall(SYS_gettid) == getpid() ? 5 : 6);
    int st = -1;
    if (waitpid(pid, &st, 0) != pid)
        st = -1;
    thread_fork_status = st;
    return NULL;
}

static void fork_from_thread(void)
{
    pthread_t t;
    fflush(stdout);
    pthread_create(&t, NULL, forking_thread, NULL);
    pthread_join(t, NULL);
    show_status("child forked by a second thread (5: its tid is its pid)", thread_fork_status);
}

/* pthread_atfork: handlers log into a string while enabled. */
static char atfork_log[256];
static int atfork_on;

static void note(const char *s)
{
    if (atfork_on) {
        strcat(atfork_log, s);
        strcat(atfork_log, " ");
    }
}
static void prepare1(void)
{
    note("prepare1");
}
static void prepare2(void)
{
    note("prepare2");
}
static void prepare3(void)
{
    note("prepare3");
}
static void parent1(void)
{
    note("parent1");
}
static void parent2(void)
{
    note("parent2");
}
static void parent3(void)
{
    note("parent3");
}
static void child1(void)
{
    note("child1");
}
static void child2(void)
{
    note("child2");
}
static void child3(void)
{
    note("child3");
}

static void atfork(void)
{
    printf("pthread_atfork 1: %d\n", pthread_atfork(prepare1, parent1, child1));
    printf("pthread_atfork 2: %d\n", pthread_atfork(prepare2, parent2, child2));
    printf("pthread_atfork 3: %d\n", pthread_atfork(prepare3, parent3, child3));
    int p[2];
    pipe(p);
    fflush(stdout);
    atfork_on = 1;
    atfork_log[0] = 0;
    pid_t pid = fork();
    if (pid == 0) {
        write(p[1], atfork_log, strlen(atfork_log));
        _exit(0);
    }
    atfork_on = 0;
    close(p[1]);
    printf("parent's log: %s\n", atfork_log);
    char buf[256];
    read_all(p[0], buf, sizeof(buf));
    close(p[0]);
    printf("child's log: %s\n", buf);
    reap("atfork child", pid);

    /* The raw system call is not libc's fork: no handlers. */
    atfork_on = 1;
    atfork_log[0] = 0;
    fflush(stdout);
    pid = (pid_t)syscall(SYS_fork);
    if (pid == 0)
        _exit(atfork_log[0] == 0 ? 0 : 1);
    atfork_on = 0;
    printf("parent's log after SYS_fork: '%s'\n", atfork_log);
    reap("SYS_fork child (0: no handlers ran)", pid);
}

/* The main thread leaves with SYS_exit; the other thread sees it go (the
 * kernel clears the word set_tid_address named) and ends the process with
 * exit_group(7). */
static volatile int main_tid_word = 1;
static int report_fd;

static void *survivor(void *arg)
{
    (void)arg;
    struct timespec t = {0, 1000000};
    int i;
    for (i = 0; i < 5000 && __atomic_load_n(&main_tid_word, __ATOMIC_SEQ_CST) != 0; i++)
        futex(&main_tid_word, FUTEX_WAIT, 1, &t);
    dprintf(report_fd, "child: main thread gone, process still running: %s\n",
            yn(main_tid_word == 0));
    syscall(SYS_exit_group, 7);
    return NULL;
}

static int main_exits_first(int fd)
{
    report_fd = fd;
    syscall(SYS_set_tid_address, &main_tid_word);
    pthread_t t;
    if (pthread_create(&t, NULL, survivor, NULL) != 0)
        return 1;
    syscall(SYS_exit, 0);
    return 2;
}

static void *group_exiter(void *arg)
{
    (void)arg;
    syscall(SYS_exit_group, 9);
    return NULL;
}

static int thread_ends_child(int fd)
{
    (void)fd;
    int p[2];
    pipe(p);
    pthread_t t;
    if (pthread_create(&t, NULL, group_exiter, NULL) != 0)
        return 1;
    /* Blocks until exit_group ends every thread: nobody ever writes. */
    char c;
    read(p[0], &c, 1);
    return 2;
}

static void *killer(void *arg)
{
    (void)arg;
    raise(SIGTERM);
    return NULL;
}

static int thread_killed(int fd)
{
    (void)fd;
    pthread_t t;
    if (pthread_create(&t, NULL, killer, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    /* raise() in a thread directs SIGTERM at it; the whole process dies. */
    for (;;)
        pause();
}

int main(void)
{
    alarm(10);
    multithreaded_fork();
    fork_from_thread();
    in_child("main thread SYS_exit, other thread exit_group(7)", main_exits_first);
    in_child("second thread exit_group(9), main blocked", thread_ends_child);
    in_child("second thread raises SIGTERM", thread_killed);
    atfork();
    return 0;
}
