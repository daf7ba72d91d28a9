/*
 * catch: a program that waits to be signalled from outside, for
 * tests/signals/run.sh.  Usage: catch handler|default pause|spin|read SIG
 *
 *   handler  install a handler (no SA_RESTART) for SIG; when it has run,
 *            print "caught SIGxxx" and exit(42)
 *   default  leave SIG at SIG_DFL (set explicitly: a non-interactive
 *            shell starts background jobs with SIGINT ignored), so the
 *            signal kills the process
 *
 *   pause    wait in pause()
 *   spin     spin on a volatile flag, no system calls in the loop
 *   read     block in read() on stdin (a pipe that never has data)
 *   sleep    sleep in nanosleep() with a far deadline (20 s)
 *   poll     block in poll() on stdin with no timeout
 *   write    fill stdin (a pipe nobody reads) without blocking, then block
 *            in write() on it
 *   held     block every signal, then sleep 20 s: the signal stays pending
 *            (prints "still held" and exits 3 when the sleep ends)
 *
 * "ready" goes to stdout, unbuffered, once the wait is about to start.
 * Every wait gives up after about 20 s and exits 3, so a lost signal
 * fails instead of hanging.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_signal(int s)
{
    caught = s;
}

static int signo(const char *name)
{
    static const struct {
        const char *name;
        int sig;
    } all[] = {{"INT", SIGINT}, {"TERM", SIGTERM}, {"HUP", SIGHUP}, {"USR1", SIGUSR1}};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(name, all[i].name) == 0)
            return all[i].sig;
    return 0;
}

static void say(const char *s)
{
    size_t n = strlen(s);
    if (write(1, s, n) != (ssize_t)n)
        exit(4);
}

int main(int argc, char **argv)
{
    int sig = argc == 4 ? signo(argv[3]) : 0;
    if (!sig || (strcmp(argv[1], "handler") && strcmp(argv[1], "default"))) {
        fprintf(stderr, "usage: catch handler|default pause|spin|read|sleep|poll|write|held "
                        "INT|TERM|HUP|USR1\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = strcmp(argv[1], "handler") == 0 ? on_signal : SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (strcmp(argv[2], "write") == 0) {
        /* Full, so that the write below blocks at once. */
        static char fill[65536];
        int fl = fcntl(0, F_GETFL);
        fcntl(0, F_SETFL, fl | O_NONBLOCK);
        while (write(0, fill, sizeof(fill)) > 0 || errno == EINTR)
            ;
        fcntl(0, F_SETFL, fl);
    }
    if (strcmp(argv[2], "held") == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
    }

    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    say("ready\n");
    if (strcmp(argv[2], "pause") == 0) {
        /* A 20 s alarm bounds the wait (SIGALRM kills: status 142). */
        alarm(20);
        while (!caught)
            pause();
    } else if (strcmp(argv[2], "spin") == 0) {
        for (unsigned long i = 0; !caught; i++) {
            if ((i & 0xffffff) == 0) {
                clock_gettime(CLOCK_MONOTONIC, &t);
                if (t.tv_sec - t0.tv_sec > 20)
                    return 3;
            }
        }
    } else if (strcmp(argv[2], "read") == 0) {
        alarm(20);
        char c;
        ssize_t r = read(0, &c, 1);
        if (!caught) {
            printf("read returned %zd without a signal\n", r);
            return 3;
        }
        say(r < 0 ? "read interrupted\n" : "read returned\n");
    } else if (strcmp(argv[2], "sleep") == 0) {
        struct timespec far = {20, 0};
        int r = nanosleep(&far, &far);
        if (!caught)
            return 3;
        say(r < 0 && errno == EINTR ? "sleep interrupted\n" : "sleep returned\n");
    } else if (strcmp(argv[2], "poll") == 0) {
        alarm(20);
        struct pollfd p = {0, POLLIN, 0};
        int r = poll(&p, 1, -1);
        if (!caught)
            return 3;
        say(r < 0 && errno == EINTR ? "poll interrupted\n" : "poll returned\n");
    } else if (strcmp(argv[2], "write") == 0) {
        alarm(20);
        char c = 'x';
        ssize_t r = write(0, &c, 1);
        if (!caught)
            return 3;
        say(r < 0 && errno == EINTR ? "write interrupted\n" : "write returned\n");
    } else if (strcmp(argv[2], "held") == 0) {
        struct timespec far = {20, 0};
        nanosleep(&far, NULL);
        say("still held\n");
        return 3;
    } else {
        fprintf(stderr, "catch: unknown wait %s\n", argv[2]);
        return 2;
    }
    char buf[64];
    snprintf(buf, sizeof(buf), "caught SIG%s\n", argv[3]);
    say(buf);
    exit(42);
}
