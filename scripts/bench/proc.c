/* Process benchmarks (scripts/bench/proc.sh): prints the mean time of one
 * operation in microseconds.
 *   proc fork N MIB     fork, the child _exits, the parent waits; with MIB
 *                       MiB of written memory in the parent
 *   proc spawn N PATH   posix_spawn of PATH, then wait */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: proc fork N MIB | proc spawn N PATH\n");
        return 2;
    }
    int n = atoi(argv[2]);
    if (n <= 0)
        return 2;
    double t0 = 0;
    if (!strcmp(argv[1], "fork")) {
        size_t mib = (size_t)atoi(argv[3]);
        char *mem = mib ? malloc(mib << 20) : NULL;
        if (mib && !mem)
            return 1;
        if (mem)
            memset(mem, 1, mib << 20);
        t0 = now_us();
        for (int i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid < 0)
                return 1;
            if (pid == 0)
                _exit(0);
            int st;
            if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
                return 1;
        }
    } else if (!strcmp(argv[1], "spawn")) {
        char *args[] = {argv[3], NULL};
        t0 = now_us();
        for (int i = 0; i < n; i++) {
            pid_t pid;
            int st;
            if (posix_spawn(&pid, argv[3], NULL, NULL, args, environ) ||
                waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
                return 1;
        }
    } else {
        return 2;
    }
    printf("%.1f\n", (now_us() - t0) / n);
    return 0;
}
