/* Linux eventfd2 flags (include/linux/eventfd.h; glibc and musl copy them
 * into <sys/eventfd.h>): EFD_CLOEXEC and EFD_NONBLOCK are O_CLOEXEC and
 * O_NONBLOCK. */
#ifndef HX_UAPI_EVENTFD_H
#define HX_UAPI_EVENTFD_H
#define EFD_SEMAPHORE 1
#endif
