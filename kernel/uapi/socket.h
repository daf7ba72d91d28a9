/* Linux socket constants (include/linux/socket.h and include/linux/net.h,
 * which glibc and musl copy into <sys/socket.h>; include/uapi/linux/
 * socket.h). */
#ifndef HX_UAPI_SOCKET_H
#define HX_UAPI_SOCKET_H
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define MSG_PEEK 2
#define MSG_DONTWAIT 0x40
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000
/* socket's type flags: O_NONBLOCK and O_CLOEXEC on x86-64. */
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000
/* Ancillary data: descriptors passed (include/linux/socket.h). */
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
/* sizeof(struct sockaddr_storage) (Linux: _K_SS_MAXSIZE). */
#define SOCKADDR_STORAGE_SIZE 128
#endif
