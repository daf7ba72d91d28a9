/* Bulk TCP between two threads: blocking writes of up to 3 MiB must send
 * everything (partial sends are for non-blocking sockets), reads see every
 * byte in order, and the reply after shutdown(SHUT_WR) arrives whole. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* A position-weighted sum: catches lost, repeated and reordered bytes. */
static long mix(const unsigned char *b, long n, long at)
{
    long s = 0;
    for (long i = 0; i < n; i++)
        s += b[i] * ((at + i) % 7 + 1);
    return s;
}

static void *server(void *arg)
{
    int c = accept(*(int *)arg, NULL, NULL);
    long total = 0, sum = 0;
    unsigned char buf[7000];
    ssize_t n;
    while ((n = read(c, buf, sizeof(buf))) > 0) {
        sum += mix(buf, n, total);
        total += n;
    }
    char out[64];
    int k = snprintf(out, sizeof(out), "%ld %ld\n", total, sum);
    if (write(c, out, (size_t)k) != k)
        perror("write");
    close(c);
    return NULL;
}

int main(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &al))
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, server, &l);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof(a)))
        return 1;
    unsigned char *buf = malloc(3 << 20);
    for (long i = 0; i < (3 << 20); i++)
        buf[i] = (unsigned char)(i * 31 + 7);
    long total = 0, sum = 0, short_writes = 0;
    for (int k = 0; k < 20; k++) {
        size_t len = 1000 + (size_t)k * 150000;
        ssize_t w = write(c, buf, len);
        if (w != (ssize_t)len)
            short_writes++;
        if (w > 0) {
            sum += mix(buf, w, total);
            total += w;
        }
    }
    shutdown(c, SHUT_WR);
    char reply[64] = {0};
    ssize_t got = 0, n;
    while ((n = read(c, reply + got, sizeof(reply) - 1 - (size_t)got)) > 0)
        got += n;
    pthread_join(t, NULL);
    printf("sent %ld bytes, sum %ld, short writes %ld\nserver got %s", total, sum, short_writes,
           reply);
    return 0;
}
