/*
 * exit: how a process ends.  argv[1] is the status, argv[2] the way out:
 *   exit      exit(status): atexit handlers run, stdio is flushed (default)
 *   return    return status from main: same as exit
 *   _exit     _exit(status): no handlers, buffered stdio is lost
 *   sys_exit  raw SYS_exit of the only thread, which ends the process
 * Only the low 8 bits of the status survive, so 256 becomes 0.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void first_registered(void)
{
    printf("atexit handler registered first (runs last)\n");
}

static void second_registered(void)
{
    printf("atexit handler registered second (runs first)\n");
}

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 0;
    const char *how = argc > 2 ? argv[2] : "exit";

    if (atexit(first_registered) || atexit(second_registered)) {
        printf("atexit failed\n");
        return 99;
    }
    /* stderr is unbuffered, so this line survives every way out. */
    fprintf(stderr, "exiting with %d via %s\n", status, how);
    /* musl flushes the first line unconditionally while it finds out
     * whether stdout is a tty, so get that first write out of the way. */
    printf("started\n");
    fflush(stdout);
    /* stdout is fully buffered (never a tty under the runner): this line
     * stays in the buffer and only appears if exit() flushes it. */
    printf("buffered line, visible only if stdio is flushed\n");

    if (strcmp(how, "return") == 0)
        return status;
    if (strcmp(how, "_exit") == 0)
        _exit(status);
    if (strcmp(how, "sys_exit") == 0) {
        syscall(SYS_exit, status);
        fprintf(stderr, "SYS_exit returned\n");
        return 98;
    }
    exit(status);
}
