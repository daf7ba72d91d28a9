/* Linux socket constants (include/linux/socket.h, which glibc and musl
 * copy into <sys/socket.h>). */
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
#endif
