/* Linux open flags, *at() flags, fcntl commands and file locks on x86-64
 * (include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h,
 * include/uapi/linux/fs.h). */
#ifndef HX_UAPI_FCNTL_H
#define HX_UAPI_FCNTL_H

/* open */
#define O_ACCMODE 03
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_ASYNC 020000
#define O_DIRECT 040000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
/* O_TMPFILE's own bit (Linux: __O_TMPFILE); O_TMPFILE adds O_DIRECTORY. */
#define O_TMPFILE_FLAG 020000000

/* The *at() system calls. */
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200
#define X_OK 1
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define AT_STATX_SYNC_TYPE 0x6000

/* renameat2 */
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2

/* fcntl */
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_SETOWN 8
#define F_GETOWN 9
#define F_SETSIG 10
#define F_GETSIG 11
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define F_DUPFD_CLOEXEC 1030
#define F_GETPIPE_SZ 1032
#define FD_CLOEXEC 1

/* struct flock's l_type */
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2

/* flock */
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

#endif
