/* An edge-triggered epoll server talking to its own clients, one thread:
 * a listener and several nonblocking clients in one epoll set, accepts and
 * echoes driven by EPOLLET events, drained to EAGAIN each time as
 * edge-triggered code must. Pending (not run by run.sh): epoll over host
 * fds arrives with the scheduler work; move it to tests/guest/ then. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define NCLIENTS 4

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(l, (struct sockaddr *)&a, sizeof(a));
    listen(l, 16);
    socklen_t len = sizeof(a);
    getsockname(l, (struct sockaddr *)&a, &len);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = l};
    printf("add listener: %d\n", epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
    int cl[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        cl[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(cl[i], (struct sockaddr *)&a, sizeof(a));
        ev = (struct epoll_event){.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.fd = cl[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cl[i], &ev);
    }
    int accepted = 0, echoed = 0, replies = 0, sent[NCLIENTS] = {0};
    for (int round = 0; round < 200 && replies < NCLIENTS; round++) {
        struct epoll_event evs[16];
        int n = epoll_wait(ep, evs, 16, 2000);
        if (n <= 0) {
            printf("epoll_wait: %d\n", n);
            break;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == l) {
                int s;
                while ((s = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    accepted++;
                    ev = (struct epoll_event){.events = EPOLLIN | EPOLLET | EPOLLRDHUP,
                                              .data.fd = s};
                    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
                }
                if (errno != EAGAIN)
                    printf("accept: %s\n", strerror(errno));
                continue;
            }
            int client = -1;
            for (int k = 0; k < NCLIENTS; k++)
                if (cl[k] == fd)
                    client = k;
            char buf[64];
            if (client >= 0) {
                if ((evs[i].events & EPOLLOUT) && !sent[client]) {
                    sent[client] = 1;
                    write(fd, "ping", 4);
                }
                if (evs[i].events & EPOLLIN) {
                    ssize_t r;
                    while ((r = read(fd, buf, sizeof(buf))) > 0)
                        replies++;
                }
                continue;
            }
            /* A server connection: echo everything, then EOF closes it. */
            ssize_t r;
            while ((r = read(fd, buf, sizeof(buf))) > 0) {
                write(fd, buf, (size_t)r);
                echoed++;
            }
            if (r == 0 || (evs[i].events & EPOLLRDHUP))
                close(fd);
        }
    }
    printf("accepted %d, echoed %d, replies %d\n", accepted, echoed, replies);
    for (int i = 0; i < NCLIENTS; i++)
        close(cl[i]);
    close(ep);
    close(l);
    return 0;
}
