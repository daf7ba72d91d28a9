/* Abstract AF_UNIX names (tests/sandbox/run.sh):
 *   abstract connect NAME   connects to the abstract name NAME, says how it went
 *   abstract self           a listener, a client and an autobound socket of
 *                           its own: the names each side sees
 * Under --net=none the run's abstract names are its own, as in a network
 * namespace: the host's are out of reach, its own work as on Linux. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t abstract(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    size_t n = strlen(name);
    memcpy(a->sun_path + 1, name, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static void show(const char *what, const struct sockaddr_un *a, socklen_t len)
{
    size_t n = len - offsetof(struct sockaddr_un, sun_path);
    printf("%s: length %zu, ", what, n);
    if (n == 6 && !a->sun_path[0] && isxdigit((unsigned char)a->sun_path[1]))
        printf("an autobound name\n");
    else if (n > 1 && !a->sun_path[0])
        printf("abstract \"%.*s\"\n", (int)n - 1, a->sun_path + 1);
    else
        printf("unnamed\n");
}

int main(int argc, char **argv)
{
    struct sockaddr_un a, b;
    socklen_t len;
    if (argc == 3 && !strcmp(argv[1], "connect")) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        len = abstract(&a, argv[2]);
        printf("connect: %s\n", connect(s, (struct sockaddr *)&a, len) ? strerror(errno) : "ok");
        return 0;
    }
    if (argc != 2 || strcmp(argv[1], "self"))
        return 2;
    int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
    len = abstract(&a, "hx-abstract-self-test");
    if (bind(l, (struct sockaddr *)&a, len) || listen(l, 1) ||
        connect(c, (struct sockaddr *)&a, len)) {
        printf("self: %s\n", strerror(errno));
        return 1;
    }
    int s = accept(l, (struct sockaddr *)&b, &(socklen_t){sizeof(b)});
    len = sizeof(b);
    getsockname(l, (struct sockaddr *)&b, &len);
    show("listener name", &b, len);
    len = sizeof(b);
    getpeername(c, (struct sockaddr *)&b, &len);
    show("client's peer", &b, len);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0), e = socket(AF_UNIX, SOCK_DGRAM, 0);
    len = sizeof(sa_family_t);
    printf("autobind: %s\n", bind(d, (struct sockaddr *)&a, len) ? strerror(errno) : "ok");
    len = sizeof(b);
    getsockname(d, (struct sockaddr *)&b, &len);
    show("autobound name", &b, len);
    /* A datagram to the autobound name, and its sender's name. */
    sendto(e, "x", 1, 0, (struct sockaddr *)&b, len);
    char ch;
    len = sizeof(a);
    ssize_t n = recvfrom(d, &ch, 1, 0, (struct sockaddr *)&a, &len);
    printf("datagram to it: %zd\n", n);
    close(s);
    return 0;
}
