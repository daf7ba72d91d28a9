/* Linux socket ioctl numbers (include/uapi/asm-generic/sockios.h,
 * include/uapi/linux/sockios.h). */
#ifndef HX_UAPI_SOCKIOS_H
#define HX_UAPI_SOCKIOS_H

#include "uapi/ioctls.h"

#define SIOCINQ FIONREAD
#define SIOCOUTQ TIOCOUTQ
#define SIOCATMARK 0x8905
#define SIOCOUTQNSD 0x894b
/* The type byte of the socket-level ioctls (0x89xx: interfaces, routes). */
#define SOCK_IOC_TYPE 0x89
#endif
