/* Linux poll event bits (include/uapi/asm-generic/poll.h) and select's
 * set size (include/uapi/linux/posix_types.h: __FD_SETSIZE). */
#ifndef HX_UAPI_POLL_H
#define HX_UAPI_POLL_H
#define POLLIN 1
#define POLLPRI 2
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
#define POLLNVAL 32
#define POLLRDHUP 0x2000
#define FD_SETSIZE 1024
#endif
