/* Name resolution as the C library does it, reading /etc/hosts,
 * /etc/nsswitch.conf and /etc/resolv.conf: getaddrinfo("localhost"), a
 * name taken from /etc/hosts itself (so the test holds on any machine),
 * gethostbyname, numeric lookups and getnameinfo. Only stable facts are
 * printed: families and loopback addresses, sorted. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints the distinct (family, address) pairs getaddrinfo gives, sorted. */
static void gai(const char *name, int family, int flags)
{
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = flags};
    struct addrinfo *res;
    int r = getaddrinfo(name, "80", &hints, &res);
    printf("getaddrinfo(%s, %s%s):", name,
           family == AF_INET    ? "AF_INET"
           : family == AF_INET6 ? "AF_INET6"
                                : "AF_UNSPEC",
           flags & AI_NUMERICHOST ? ", numeric" : "");
    if (r) {
        printf(" error %s\n", r == EAI_NONAME ? "EAI_NONAME" : "other");
        return;
    }
    char *lines[32];
    int n = 0;
    for (struct addrinfo *p = res; p && n < 32; p = p->ai_next) {
        char addr[64];
        const void *a = p->ai_family == AF_INET
                            ? (const void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr
                            : (const void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
        inet_ntop(p->ai_family, a, addr, sizeof(addr));
        int port = ntohs(((struct sockaddr_in *)p->ai_addr)->sin_port);
        char line[96];
        snprintf(line, sizeof(line), "%s %s port %d", p->ai_family == AF_INET ? "inet" : "inet6",
                 addr, port);
        int dup = 0;
        for (int i = 0; i < n; i++)
            dup |= !strcmp(lines[i], line);
        if (!dup)
            lines[n++] = strdup(line);
    }
    freeaddrinfo(res);
    qsort(lines, (size_t)n, sizeof(lines[0]), cmp);
    for (int i = 0; i < n; i++) {
        printf(" [%s]", lines[i]);
        free(lines[i]);
    }
    printf("\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    gai("localhost", AF_INET, 0);
    gai("localhost", AF_UNSPEC, 0);
    gai("127.0.0.1", AF_UNSPEC, AI_NUMERICHOST);
    gai("::1", AF_INET6, AI_NUMERICHOST);
    gai("not a name", AF_UNSPEC, AI_NUMERICHOST);

    /* The first IPv4 name in /etc/hosts, looked up by name. */
    FILE *f = fopen("/etc/hosts", "r");
    char line[512], want[64] = "", name[256] = "";
    while (f && fgets(line, sizeof(line), f) && !name[0]) {
        char addr[64], host[256];
        struct in_addr in;
        if (line[0] == '#' || sscanf(line, "%63s %255s", addr, host) != 2)
            continue;
        if (inet_pton(AF_INET, addr, &in) == 1) {
            snprintf(want, sizeof(want), "%s", addr);
            snprintf(name, sizeof(name), "%s", host);
        }
    }
    if (f)
        fclose(f);
    if (name[0]) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
        struct addrinfo *res;
        int found = 0;
        if (getaddrinfo(name, NULL, &hints, &res) == 0) {
            for (struct addrinfo *p = res; p; p = p->ai_next) {
                char addr[64];
                inet_ntop(AF_INET, &((struct sockaddr_in *)p->ai_addr)->sin_addr, addr,
                          sizeof(addr));
                found |= !strcmp(addr, want);
            }
            freeaddrinfo(res);
        }
        printf("/etc/hosts name found by getaddrinfo: %d\n", found);
        struct hostent *h = gethostbyname(name);
        found = 0;
        for (int i = 0; h && h->h_addr_list[i]; i++) {
            char addr[64];
            inet_ntop(AF_INET, h->h_addr_list[i], addr, sizeof(addr));
            found |= !strcmp(addr, want);
        }
        printf("/etc/hosts name found by gethostbyname: %d, type inet %d\n", found,
               h && h->h_addrtype == AF_INET);
    } else {
        printf("no IPv4 name in /etc/hosts\n");
    }

    struct hostent *h = gethostbyname("localhost");
    printf("gethostbyname(localhost): %s", h ? "found" : "not found");
    if (h && h->h_addrtype == AF_INET) {
        char addr[64];
        inet_ntop(AF_INET, h->h_addr_list[0], addr, sizeof(addr));
        printf(", first %s", addr);
    }
    printf("\n");
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char host[256], serv[32];
    int r = getnameinfo((struct sockaddr *)&sin, sizeof(sin), host, sizeof(host), serv,
                        sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
    printf("getnameinfo numeric: %d %s %s\n", r, host, serv);
    return 0;
}
