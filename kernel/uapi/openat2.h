/* Linux openat2's resolve flags (include/uapi/linux/openat2.h). */
#ifndef HX_UAPI_OPENAT2_H
#define HX_UAPI_OPENAT2_H
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20
#endif
