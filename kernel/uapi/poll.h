/* Linux poll and epoll event bits (include/uapi/asm-generic/poll.h,
 * include/uapi/linux/eventpoll.h). */
#ifndef HX_UAPI_POLL_H
#define HX_UAPI_POLL_H
#define POLLIN 1
#define POLLPRI 2
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
#define POLLNVAL 32
#define POLLRDHUP 0x2000
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
#endif
