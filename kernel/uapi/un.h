/* Linux's Unix-domain socket address (include/uapi/linux/un.h): sun_path
 * follows the 2-byte sun_family. */
#ifndef HX_UAPI_UN_H
#define HX_UAPI_UN_H
#define SUN_PATH_OFFSET 2
#define UNIX_PATH_MAX 108
#endif
