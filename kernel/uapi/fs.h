/* Linux lseek whences (include/uapi/linux/fs.h). */
#ifndef HX_UAPI_FS_H
#define HX_UAPI_FS_H
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4
#endif
