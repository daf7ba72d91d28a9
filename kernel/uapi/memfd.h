/* Linux memfd_create flags (include/uapi/linux/memfd.h). */
#ifndef HX_UAPI_MEMFD_H
#define HX_UAPI_MEMFD_H
#define MFD_CLOEXEC 1u
#define MFD_ALLOW_SEALING 2u
#endif
