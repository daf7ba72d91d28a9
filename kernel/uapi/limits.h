/* Linux limits (include/uapi/linux/limits.h). */
#ifndef HX_UAPI_LIMITS_H
#define HX_UAPI_LIMITS_H
#define PATH_MAX 4096
#define PIPE_BUF 4096
#endif
