/* Linux resource limits and priorities (include/uapi/asm-generic/
 * resource.h, include/uapi/linux/resource.h). */
#ifndef HX_UAPI_RESOURCE_H
#define HX_UAPI_RESOURCE_H
#define RLIMIT_NOFILE 7
#define RLIMIT_NLIMITS 16 /* Linux: RLIM_NLIMITS */
#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
#endif
