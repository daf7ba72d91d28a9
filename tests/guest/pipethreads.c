/*
 * pipethreads: pipes between threads of one process.  A writer thread
 * streams 1 MiB in varied chunk sizes while the reader checks every byte;
 * two writers of PIPE_BUF-sized records never interleave inside a record;
 * a blocked read is woken by another thread's write, and by the last
 * writer closing; a blocked write (full pipe) is woken by a read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define TOTAL (1 << 20)

static unsigned char pattern(long off)
{
    return (unsigned char)(off * 7 + (off >> 8) + (off >> 16));
}

/* ---- 1 MiB stream ---- */

struct stream {
    int fd;
    long written;
    int write_errors;
};

static void *stream_writer(void *arg)
{
    static const int sizes[] = {1, 7, 100, 4096, 4097, 65536, 70000, 13, 512, 8191};
    struct stream *s = arg;
    unsigned char *buf = malloc(70000);
    long off = 0;
    for (int k = 0; off < TOTAL; k++) {
        long n = sizes[k % 10];
        if (n > TOTAL - off)
            n = TOTAL - off;
        for (long i = 0; i < n; i++)
            buf[i] = pattern(off + i);
        long done = 0;
        while (done < n) {
            ssize_t w = write(s->fd, buf + done, n - done);
            if (w <= 0) {
                s->write_errors++;
                goto out;
            }
            done += w;
        }
        off += n;
    }
out:
    s->written = off;
    free(buf);
    close(s->fd);
    return NULL;
}

static void stream(void)
{
    static const int rsizes[] = {3, 4096, 1, 65536, 1000, 100000, 17};
    int p[2];
    if (pipe(p) != 0) {
        printf("pipe failed\n");
        return;
    }
    struct stream s = {p[1], 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, stream_writer, &s);
    unsigned char *buf = malloc(100000);
    long got = 0, bad = 0, reads = 0;
    for (int k = 0;; k++) {
        ssize_t r = read(p[0], buf, rsizes[k % 7]);
        if (r < 0) {
            printf("read failed: %s\n", errname(errno));
            break;
        }
        if (r == 0)
            break;
        reads++;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != pattern(got + i))
                bad++;
        got += r;
    }
    pthread_join(t, NULL);
    close(p[0]);
    free(buf);
    printf("1 MiB stream: writer wrote %ld, write errors %d, reader got %ld, bad bytes %ld, "
           "more than one read %s\n",
           s.written, s.write_errors, got, bad, reads > 1 ? "yes" : "no");
}

/* ---- PIPE_BUF atomicity with two writers ---- */

enum { RECORDS = 200, RECLEN = PIPE_BUF };

struct recw {
    int fd;
    unsigned char tag;
};

static void *record_writer(void *arg)
{
    struct recw *w = arg;
    unsigned char rec[RECLEN];
    for (int i = 0; i < RECORDS; i++) {
        rec[0] = w->tag;
        rec[1] = (unsigned char)i;
        for (int j = 2; j < RECLEN; j++)
            rec[j] = (unsigned char)(w->tag ^ i ^ j);
        if (write(w->fd, rec, RECLEN) != RECLEN)
            break;
    }
    return NULL;
}

static void atomic_records(void)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    struct recw a = {p[1], 0xA5}, b = {p[1], 0x5A};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, record_writer, &a);
    pthread_create(&tb, NULL, record_writer, &b);
    unsigned char rec[RECLEN];
    int next[2] = {0, 0}, torn = 0, order = 0, total = 0;
    while (total < 2 * RECORDS) {
        /* Read exactly one record's worth, in pieces if need be. */
        int have = 0;
        while (have < RECLEN) {
            ssize_t r = read(p[0], rec + have, RECLEN - have);
            if (r <= 0)
                goto done;
            have += r;
        }
        int who = rec[0] == 0xA5 ? 0 : rec[0] == 0x5A ? 1 : -1;
        if (who < 0) {
            torn++;
        } else {
            if (rec[1] != (unsigned char)next[who])
                order++;
            next[who]++;
            for (int j = 2; j < RECLEN; j++)
                if (rec[j] != (unsigned char)(rec[0] ^ rec[1] ^ j)) {
                    torn++;
                    break;
                }
        }
        total++;
    }
done:
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    close(p[0]);
    close(p[1]);
    printf("two writers, %d records of PIPE_BUF (%d) each: read %d, torn %d, out of order %d\n",
           RECORDS, PIPE_BUF, total, torn, order);
}

/* ---- blocking wakeups ---- */

struct blocked {
    int fd;
    ssize_t result;
    int err;
    char byte;
    long long at;
};

static void *blocking_read(void *arg)
{
    struct blocked *b = arg;
    b->result = read(b->fd, &b->byte, 1);
    b->err = errno;
    b->at = now_ms();
    return NULL;
}

static void *blocking_write(void *arg)
{
    struct blocked *b = arg;
    static char big[200000];
    memset(big, 'w', sizeof(big));
    b->result = write(b->fd, big, sizeof(big)); /* more than the pipe holds */
    b->err = errno;
    b->at = now_ms();
    return NULL;
}

static void wakeups(void)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    struct blocked b = {p[0], -2, 0, 0, 0};
    pthread_t t;
    long long t0 = now_ms();
    pthread_create(&t, NULL, blocking_read, &b);
    msleep(30);
    long long wrote_at = now_ms();
    ssize_t w = write(p[1], "x", 1);
    pthread_join(t, NULL);
    printf("blocked read woken by a write 30 ms later: write %zd, read %zd '%c', "
           "woke after the write %s, waited >= 25 ms %s\n",
           w, b.result, b.byte, b.at >= wrote_at ? "yes" : "no", b.at - t0 >= 25 ? "yes" : "no");

    /* EOF: the only writer closes while the reader is blocked. */
    b = (struct blocked){p[0], -2, 0, 0, 0};
    pthread_create(&t, NULL, blocking_read, &b);
    msleep(20);
    close(p[1]);
    pthread_join(t, NULL);
    printf("blocked read woken by the writer closing: read %zd\n", b.result);
    close(p[0]);

    /* A write bigger than the pipe blocks until the reader drains it. */
    if (pipe(p) != 0)
        return;
    b = (struct blocked){p[1], -2, 0, 0, 0};
    pthread_create(&t, NULL, blocking_write, &b);
    /* Wait (bounded) for the first data, then a little for the writer
     * to fill the pipe and block. */
    struct pollfd pf = {p[0], POLLIN, 0};
    poll(&pf, 1, 5000);
    msleep(20);
    int queued = -1;
    ioctl(p[0], FIONREAD, &queued);
    int size = fcntl(p[0], F_GETPIPE_SZ);
    int still_blocked = __atomic_load_n(&b.result, __ATOMIC_SEQ_CST) == -2;
    char buf[4096];
    ssize_t r;
    long got = 0;
    while (got < 200000 && (r = read(p[0], buf, sizeof(buf))) > 0)
        got += r;
    pthread_join(t, NULL);
    printf("write of 200000 into a pipe: pipe full %s, writer still blocked %s, "
           "reader got %ld, write returned %zd\n",
           queued == size ? "yes" : "no", still_blocked ? "yes" : "no", got, b.result);
    close(p[0]);

    /* A writer blocked on a full pipe whose reader closes gets EPIPE
     * (SIGPIPE ignored here). */
    signal(SIGPIPE, SIG_IGN);
    if (pipe(p) != 0)
        return;
    b = (struct blocked){p[1], -2, 0, 0, 0};
    pthread_create(&t, NULL, blocking_write, &b);
    pf.fd = p[0];
    poll(&pf, 1, 5000);
    msleep(20);
    close(p[0]);
    pthread_join(t, NULL);
    /* Linux returns the partial count if anything was written, else EPIPE. */
    printf("writer blocked on a full pipe, reader closes: returned %s\n",
           b.result > 0   ? "partial count"
           : b.result < 0 ? errname(b.err)
                          : "0");
    close(p[1]);
}

int main(void)
{
    stream();
    atomic_records();
    wakeups();
    return 0;
}
