/* Passing descriptors (SCM_RIGHTS) over an AF_UNIX socketpair between a
 * parent and its child: a pipe made after the fork, a file with its shared
 * offset, a socket; MSG_CMSG_CLOEXEC; a descriptor that is not open. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int send_fds(int sock, const int *fds, int n)
{
    char byte = 'x';
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = u.buf,
                       .msg_controllen = CMSG_SPACE(n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    return (int)sendmsg(sock, &m, 0);
}

/* Receives up to 4 descriptors into fds; returns how many. */
static int recv_fds(int sock, int *fds, int flags)
{
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    if (recvmsg(sock, &m, flags) != 1)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_type != SCM_RIGHTS)
        return 0;
    int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    memcpy(fds, CMSG_DATA(c), n * sizeof(int));
    return n;
}

int main(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return 1;
    int file = open("passed.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (file < 0 || write(file, "0123456789", 10) != 10 || lseek(file, 2, SEEK_SET) != 2)
        return 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        int fds[4];
        int n = recv_fds(sv[1], fds, MSG_CMSG_CLOEXEC);
        if (n != 3)
            _exit(10 + (n < 0 ? 9 : n));
        /* The pipe's write end, the file (offset 2, shared), a socket. */
        int ok = write(fds[0], "through the pipe", 16) == 16;
        char c;
        ok &= read(fds[1], &c, 1) == 1 && c == '2';
        ok &= (fcntl(fds[1], F_GETFD) & FD_CLOEXEC) != 0;
        ok &= write(fds[2], "on the socket", 13) == 13;
        _exit(ok ? 0 : 20);
    }
    close(sv[1]);
    int p[2], s2[2];
    if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, s2))
        return 1;
    int fds[3] = {p[1], file, s2[1]};
    printf("sendmsg of a pipe, a file and a socket: %d\n", send_fds(sv[0], fds, 3));
    close(p[1]);
    close(s2[1]);
    int status;
    waitpid(pid, &status, 0);
    printf("child: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    char buf[32] = "";
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    printf("pipe: '%.*s'\n", (int)(n > 0 ? n : 0), buf);
    n = read(s2[0], buf, sizeof(buf) - 1);
    printf("socket: '%.*s'\n", (int)(n > 0 ? n : 0), buf);
    printf("file offset after the child's read: %lld\n", (long long)lseek(file, 0, SEEK_CUR));
    int bad = 999;
    errno = 0;
    int r = send_fds(sv[0], &bad, 1);
    printf("sendmsg of a closed descriptor: %d %s\n", r, errname(errno));
    unlink("passed.txt");
    return 0;
}
