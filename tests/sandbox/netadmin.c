/* What root's network powers a program has: a raw socket (CAP_NET_RAW,
 * in docker's default set), and a netfilter query (CAP_NET_ADMIN, not).
 * tests/sandbox/run.sh runs it under hxrun as root. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IPT_SO_GET_INFO 64

int main(void)
{
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    printf("raw socket: %s\n", raw >= 0 ? "ok" : strerror(errno));
    int s = raw >= 0 ? raw : socket(AF_INET, SOCK_DGRAM, 0);
    char info[84] = "filter";
    socklen_t n = sizeof(info);
    int r = getsockopt(s, IPPROTO_IP, IPT_SO_GET_INFO, info, &n);
    printf("netfilter query: %s\n", r == 0 || errno != EPERM ? "allowed" : strerror(errno));
    return 0;
}
