/*
 * stdio: buffered and unbuffered output to stdout/stderr, a large block that
 * needs many write calls through a pipe, and a small file round trip in the
 * current directory.  The runner never gives us a tty, so stdout is fully
 * buffered and stderr unbuffered in both libcs; the output order below
 * follows from that alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define BIG (200 * 1000)
#define RAW (512 * 1024)
#define TMP "stdio.tmp"

static void formatting(void)
{
    printf("int %d %i %u %ld %lld\n", -42, 7, 4000000000u, -1L, 1LL << 40);
    printf("hex %x %X %#lx %o\n", 255, 0xbeef, 0xdeadbeefUL, 8);
    printf("width [%5d] [%-5d] [%05d] [%+d]\n", 42, 42, 42, 42);
    printf("str [%s] [%10s] [%-10s] [%.3s] %c%c\n", "abc", "right", "left", "truncate", 'o', 'k');
    /* Floating point goes through SSE registers, whose state the
     * hypervisor must preserve across syscalls and interrupts. */
    printf("float %.3f %e %g %g %.10f\n", 3.14159265, 12345.678, 0.0001, 1e20, 1.0 / 3.0);
    printf("size %zu ptrdiff %td percent %%\n", sizeof(long), (ptrdiff_t)-3);
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%s-%d", "snprintf", 12345);
    printf("snprintf -> \"%s\" (%d)\n", buf, n);
    /* volatile keeps gcc from flagging the truncation we want to see. */
    volatile size_t cap = 8;
    n = snprintf(buf, cap, "%s", "this does not fit");
    printf("snprintf truncated -> \"%s\" (%d)\n", buf, n);
}

static void ordering(void)
{
    /* Start from an empty buffer so only the bytes below are pending. */
    fflush(stdout);
    printf("buffered line A\n");
    /* write(2) bypasses the stdio buffer, so B lands first. */
    if (write(1, "raw line B\n", 11) != 11)
        fprintf(stderr, "raw write failed: errno %d\n", errno);
    fflush(stdout);
    puts("puts line C");
    fputs("fputs line D\n", stdout);
    fwrite("fwrite line E\n", 1, 14, stdout);
    fflush(stdout);

    /* stderr is unbuffered: stdio and raw writes keep program order. */
    fprintf(stderr, "stderr line 1\n");
    if (write(2, "stderr raw line 2\n", 18) != 18)
        exit(3);
    fputs("stderr line 3\n", stderr);
}

static void big_block(void)
{
    static char buf[BIG];
    for (size_t i = 0; i < BIG; i++)
        buf[i] = i % 64 == 63 ? '\n' : (char)('a' + (i / 64 + i) % 26);
    size_t n = fwrite(buf, 1, BIG, stdout);
    printf("\nfwrite of %d bytes returned %zu\n", BIG, n);
    fflush(stdout);

    /* One raw write far larger than a pipe's buffer: a blocking write
     * must not return early. */
    static char raw[RAW];
    for (size_t i = 0; i < RAW; i++)
        raw[i] = i % 80 == 79 ? '\n' : (char)('0' + i % 10);
    ssize_t w = write(1, raw, RAW);
    printf("\nraw write of %d bytes returned %zd\n", RAW, w);
}

static void file_round_trip(void)
{
    FILE *f = fopen(TMP, "w+");
    if (!f) {
        printf("fopen(w+) failed: errno %d\n", errno);
        return;
    }
    for (int i = 0; i < 100; i++)
        fprintf(f, "record %03d %s\n", i, i % 2 ? "odd" : "even");
    long end = ftell(f);
    printf("ftell after writing: %ld\n", end);

    rewind(f);
    static char back[8192];
    size_t got = fread(back, 1, sizeof(back), f);
    printf("fread got %zu bytes, eof: %s\n", got, feof(f) ? "yes" : "no");
    yes("first record read back", strncmp(back, "record 000 even\n", 16) == 0);

    yes("fseek SEEK_SET 16", fseek(f, 16, SEEK_SET) == 0);
    char line[64];
    if (fgets(line, sizeof(line), f))
        printf("line at 16: %s", line);
    yes("fseek SEEK_CUR -16", fseek(f, -16, SEEK_CUR) == 0);
    printf("ftell after SEEK_CUR: %ld\n", ftell(f));
    yes("fseek SEEK_END -15", fseek(f, -15, SEEK_END) == 0);
    if (fgets(line, sizeof(line), f))
        printf("last line: %s", line);
    yes("fclose", fclose(f) == 0);

    f = fopen(TMP, "a");
    if (f) {
        fprintf(f, "appended\n");
        fclose(f);
    }
    f = fopen(TMP, "r");
    if (f) {
        int lines = 0, c;
        while ((c = getc(f)) != EOF)
            lines += c == '\n';
        printf("lines after append: %d\n", lines);
        fclose(f);
    }

    yes("remove", remove(TMP) == 0);
    errno = 0;
    f = fopen(TMP, "r");
    yes("fopen after remove fails with ENOENT", !f && errno == ENOENT);
    if (f)
        fclose(f);
}

int main(void)
{
    formatting();
    ordering();
    big_block();
    file_round_trip();
    /* No newline and no fflush: exit() must flush this. */
    printf("last line without newline, flushed by exit");
    return 0;
}
