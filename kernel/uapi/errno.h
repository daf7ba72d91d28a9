/* Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h). */
#ifndef HX_UAPI_ERRNO_H
#define HX_UAPI_ERRNO_H
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define ECHILD 10
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define ESPIPE 29
#define EROFS 30
#define EPIPE 32
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40
#define EFBIG 27
#define ENOSPC 28
#define EMLINK 31
#define ENOLCK 37
#define EDEADLK 35
#define ENODEV 19
#define EXDEV 18
#define EOPNOTSUPP 95
#define ENOTSUP EOPNOTSUPP
#define ETIMEDOUT 110
#define EOVERFLOW 75
/* Inside the kernel only: an interrupted call the signal code restarts or
 * turns into EINTR, as Linux's restart rules say. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
#define ENOTSOCK 88
#define EMSGSIZE 90
#define ENOPROTOOPT 92
#define EPROTONOSUPPORT 93
#define EAFNOSUPPORT 97
#define EADDRINUSE 98
#define ENOBUFS 105
#define ECONNREFUSED 111
#define EINPROGRESS 115
#endif
