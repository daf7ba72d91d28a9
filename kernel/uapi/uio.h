/* Linux's iovec limit (include/uapi/linux/uio.h). */
#ifndef HX_UAPI_UIO_H
#define HX_UAPI_UIO_H
#define UIO_MAXIOV 1024
#endif
