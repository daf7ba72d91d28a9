/* Linux file types and timestamps (include/uapi/linux/stat.h, the d_type
 * values of include/linux/fs_types.h, include/linux/stat.h's UTIME_*). */
#ifndef HX_UAPI_STAT_H
#define HX_UAPI_STAT_H
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000

/* getdents64's d_type */
#define DT_CHR 2
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

/* statx's mask bit reserved for a larger struct statx. */
#define STATX__RESERVED 0x80000000u

/* utimensat */
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
#endif
