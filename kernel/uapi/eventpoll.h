/* Linux epoll (include/uapi/linux/eventpoll.h); its readiness bits are
 * poll's (uapi/poll.h). */
#ifndef HX_UAPI_EVENTPOLL_H
#define HX_UAPI_EVENTPOLL_H
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
#endif
