/* The guest's file layer: open files, the fd table, mounts and path lookup.
 *
 * Mounts are fixed by path: /tmp is minifs (RAM), /dev the guest's devices,
 * /proc and /sys generated from kernel state; everything else is the
 * host's (hostfs), resolved and confined by the monitor. */
#ifndef HX_VFS_H
#define HX_VFS_H

#include "minifs.h"
#include "procfs.h"
#include "syscalls.h"
#include "uapi/stat.h"

struct pipe;
struct file;
struct kstat;
struct loc;

/* What a change to an open file's attributes is (fchmod, fchown,
 * futimens, ftruncate). */
enum attr { A_CHMOD, A_CHOWN, A_UTIMENS, A_TRUNCATE };

/* What a kind of open file does: one table per kind, in the kind's own
 * file (file_host.c, file_tmp.c, file_dev.c, file_gen.c, pipe.c,
 * eventfd.c, timerfd.c, signalfd.c, epoll.c), referenced only by the code
 * that creates such files, so that a trimmed kernel without it links none
 * of it. The generic calls (fd.c, fs.c, fsnames.c, poll.c) know no kind: a
 * NULL entry means what the comment says, which is Linux's answer for the
 * kinds that leave it out. Adding a kind is one new file with its table. */
struct file_ops {
    /* Data at *pos (advanced), or at the stream position when pos is NULL.
     * buf is the program's memory: for guest objects (hostfd < 0) fs.c
     * checked it and the access mode first (file_io); the host checks its
     * own. NULL: -EBADF. */
    long (*read)(struct file *f, uint64_t buf, uint64_t len, int64_t *pos);
    long (*write)(struct file *f, uint64_t buf, uint64_t len, int64_t *pos);
    /* readv/writev at the stream position in one go (the host: one exit).
     * NULL: element by element through read/write. */
    long (*readv)(struct file *f, uint64_t uiov, uint64_t cnt);
    long (*writev)(struct file *f, uint64_t uiov, uint64_t cnt);
    /* sendfile and copy_file_range through a kernel buffer. splice_read
     * reads at *pos, or at the stream position (NULL), which for a guest
     * object is f->pos, left for the caller to move. splice_write writes
     * at the stream position and moves it. NULL: -EINVAL. */
    long (*splice_read)(struct file *f, void *buf, uint64_t len, const int64_t *pos);
    long (*splice_write)(struct file *f, const void *buf, uint64_t len);
    /* sendfile with this file as the output. NULL: file_copy. */
    long (*sendfile)(struct file *out, struct file *in, int64_t *off, uint64_t count);
    /* copy_file_range between two files of this kind (a0..a4 of the call).
     * NULL: -EINVAL; files of different kinds: -EXDEV. */
    long (*copy_range)(struct file *in, uint64_t uoff_in, struct file *out, uint64_t uoff_out,
                       uint64_t len);
    /* Readiness (POLL* bits of events, plus POLLERR and POLLHUP), and a
     * counter that moves whenever it may have changed (epoll's edge
     * trigger). Host fds are asked of the host instead. revents NULL:
     * always ready for reading and writing, as files are (epoll refuses
     * such files, as Linux does those without a poll method); gen NULL: 0. */
    int16_t (*revents)(struct file *f, int16_t events);
    uint32_t (*gen)(struct file *f);
    /* ioctl, after the generic FIONBIO, FIOCLEX, FIONCLEX. NULL: -ENOTTY. */
    long (*ioctl)(struct file *f, uint64_t cmd, uint64_t arg);
    /* lseek. NULL: a device's, which stays at 0 (-EINVAL past SEEK_END). */
    long (*seek)(struct file *f, uint64_t off, uint64_t whence);
    /* Status as Linux reports it. NULL: an anonymous character device. */
    void (*stat)(const struct file *f, struct kstat *st);
    /* fstat and statx straight into the program's buffer (the host's).
     * NULL: from stat. */
    long (*fstat)(struct file *f, uint64_t ubuf);
    long (*statx)(struct file *f, uint64_t flags, uint64_t mask, uint64_t ubuf);
    /* fstatfs. NULL: a /dev file system's answer. */
    long (*statfs)(struct file *f, uint64_t ubuf);
    /* getdents64. NULL: -ENOTDIR. */
    long (*getdents)(struct file *f, uint64_t buf, uint64_t len);
    /* mmap: fills a private mapping (the bytes the file had for it), or
     * gives what a shared one needs (fs_shared_fd). NULL: -ENODEV. */
    long (*map_read)(struct file *f, void *buf, uint64_t len, uint64_t off);
    long (*map_shared)(struct file *f, uint64_t *size, struct mfs_node **node);
    /* F_GETFL (NULL: f->flags) and F_SETFL (NULL: nothing to tell; the
     * flags change in f->flags either way). */
    long (*get_flags)(struct file *f);
    long (*set_flags)(struct file *f, uint64_t flags);
    /* The kind's own fcntl commands (F_GETPIPE_SZ). NULL: -EBADF. */
    long (*fcntl)(struct file *f, uint64_t cmd, uint64_t arg);
    /* Record locks (after the generic checks of the struct flock at arg)
     * and flock. lock NULL: -EBADF; flock NULL: granted (0). */
    long (*lock)(struct file *f, uint64_t cmd, uint64_t arg);
    long (*flock)(struct file *f, uint64_t op);
    /* fsync and fdatasync. NULL: -EINVAL. */
    long (*sync)(struct file *f, int datasync);
    /* fchmod, fchown, futimens, ftruncate. NULL: -EINVAL for ftruncate,
     * -EPERM for the others. */
    long (*setattr)(struct file *f, enum attr what, uint64_t x, uint64_t y);
    /* fallocate, after the generic checks. NULL: -ESPIPE for a FIFO,
     * -ENODEV otherwise. */
    long (*fallocate)(struct file *f, uint64_t mode, uint64_t off, uint64_t len);
    /* linkat of the open file to the looked-up name to. NULL: -EXDEV. */
    long (*link)(struct file *f, struct loc *to);
    /* Opening /proc/self/fd/N of this file: a new open file of the same
     * object. NULL: the same open file again, or for a host file with a
     * path, that path opened anew. */
    long (*reopen)(struct file *f, struct file **out);
    /* A /dev or /proc object found by lookup: whether it may be opened
     * with these flags (Linux's checks, in Linux's order). NULL: it may. */
    long (*open)(uint64_t flags);
    /* Every close of an fd for the file (POSIX record locks go). */
    void (*flush)(struct file *f);
    /* The last reference is gone. */
    void (*release)(struct file *f);
    /* What /proc/self/fd/N shows. NULL: f->path. */
    void (*describe)(const struct file *f, char *out, size_t size);
    /* The mount it lives on, for openat2's RESOLVE_NO_XDEV (host fds are
     * M_HOST); 0: none of its own, counted as /proc. */
    uint8_t mnt;
    /* A FIFO: calls that take an offset (fadvise, fallocate) answer ESPIPE. */
    uint8_t fifo;
    /* readv/writev return once something moved and the next element would
     * wait, as Linux's pipes do. */
    uint8_t partial_vectors;
    /* A relative path may start at it (a dirfd): it is, or may be, a
     * directory with a path. */
    uint8_t dirfd;
};

/* An open file: what every kind has, and the kind's own state. */
struct file {
    const struct file_ops *ops;
    int refs;
    uint32_t flags; /* open flags: access mode, O_APPEND, O_NONBLOCK, O_PATH */
    /* The host fd behind the file, or -1 for guest objects: poll and epoll
     * ask the host about it, and the host checks calls on it itself. */
    int hostfd;
    uint64_t pos;       /* guest objects: offset or directory entry index */
    char path[256];     /* absolute guest path, "" if unknown or too long */
    union {             /* the kind's own, used only in the kind's file */
        struct {        /* host fds (file_host.c; net.c for sockets) */
            int sock;   /* 0, or a socket's domain (AF_*) */
            int stream; /* a console that can block (tty, pipe) */
            const struct hx_inherited_fd *inherited; /* an fd hxrun inherited */
            /* Move when a read (in) or a write (out) found the fd not
             * ready: epoll's edge trigger (file_again). */
            uint32_t again_in, again_out;
        };
        struct mfs_node *node; /* /tmp (file_tmp.c; locks.c) */
        struct pipe *pipe;     /* pipe.c */
        struct gen gen;        /* generated /proc and /sys files (file_gen.c) */
        void *obj;             /* eventfd, timerfd, signalfd, epoll */
    };
    struct file *next_free; /* fd.c's free list */
};

/* Linux's struct stat on x86-64. */
struct kstat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, _pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    int64_t _unused[3];
};

/* File-static scratch buffers (a struct loc, a PATH_MAX path) are safe by
 * this rule: the kernel switches threads only where one blocks (sched_block:
 * io_block, host_fd_wait, futex and signal waits), yields, or leaves a
 * system call (hx_syscall_exit); the monitor's interrupt in kernel code
 * only sets hx_irq_pending (entry.S). So a static buffer may be used by one
 * call at a time when nothing between filling it and its last use can
 * block, and the function holding it does not call itself. Each such
 * buffer says "scratch (vfs.h)"; one that is used across a wait must not
 * be static (kernel stacks are 32 KiB: sched.c's KSTACK_SIZE). */

/* fd.c: open files and the fd table. */
/* A new open file of a kind (refs 1, hostfd -1), not yet in the table. */
struct file *file_new(const struct file_ops *ops);
void file_put(struct file *f);
struct file *fd_get(uint64_t fd);
/* Whether fd is open with FD_CLOEXEC. */
int fd_cloexec(uint64_t fd);
/* Installs f at the lowest free fd >= lowest; the reference moves to the
 * table. Returns the fd or -EMFILE (f is then released). */
long fd_install(struct file *f, int lowest, int cloexec);
/* A new open file for an object of size bytes (eventfd, timerfd, signalfd,
 * epoll) installed at the lowest fd, flags O_NONBLOCK and O_CLOEXEC taken
 * from flags; obj NULL: -ENOMEM, and obj is freed when no file is left. */
long fd_install_object(const struct file_ops *ops, void *obj, uint32_t flags, uint64_t size);
/* Called with every file whose last reference goes, once epoll set it:
 * a pointer, so that a kernel without epoll links none of epoll. */
extern void (*file_release_watch)(struct file *f);
extern uint32_t umask_bits;

/* file_host.c: host fds. A new open file for hostfd (the caller closes
 * hostfd when NULL comes back). */
struct file *host_file_new(int hostfd);
/* f's host fd when it is a host file (a host file, socket or pipe), or -1. */
int file_host_fd(const struct file *f);
/* A guest pipe that f is an end of becomes a host pipe, as at a fork, so
 * that another process can have it: 0, or a negative errno. */
long pipe_share(struct file *f);
/* Makes an open file of another kind a host stream on hostfd (a guest
 * pipe a fork shares); its flags and references stay. */
void host_file_adopt(struct file *f, int hostfd);
/* The consoles and the fds hxrun inherited, at their numbers. */
struct file *host_console_new(int fd);
struct file *host_inherited_new(const struct hx_inherited_fd *in);

/* file_tmp.c: opens or creates a /tmp file (l from lookup). */
long tmp_file_open(struct loc *l, uint64_t flags, uint64_t mode, struct file **out);
/* file_gen.c: opens what a /dev, /proc or /sys lookup found. */
long gen_file_open(struct loc *l, uint64_t flags, struct file **out);
/* The status of what such a lookup found. */
void gen_loc_stat(const struct loc *l, struct kstat *st);
/* file_dev.c: the devices in /dev (path.c names them). */
extern const struct file_ops dev_null_ops, dev_zero_ops, dev_full_ops, dev_random_ops,
    dev_urandom_ops, dev_tty_ops;

/* poll.c: readiness of a guest object (not a host fd) for events, and a
 * counter that moves whenever its readiness may have changed. */
int16_t file_revents(struct file *f, int16_t events);
uint32_t file_gen(struct file *f);
/* A read (out 0) or write (out 1) on f returned r: when f is a host fd and
 * r is -EAGAIN, or a write to a socket took less than want, f's next
 * readiness that way is an edge for EPOLLET (epoll.c), as Linux wakes
 * epoll when a full socket buffer drains or an empty one fills. Returns r. */
long file_again(struct file *f, long r, uint64_t want, int out);
struct pollfd {
    int fd;
    int16_t events, revents;
};
/* Waits for readiness of an array the caller has checked: deadline 0 for
 * none, -1 not to wait. */
long poll_wait(struct pollfd *p, uint64_t n, int64_t deadline);
long temp_sigmask(uint64_t umask, uint64_t size);
/* Timeouts as poll_wait deadlines: poll's milliseconds, and a user
 * timespec (NULL: none). */
int64_t ms_deadline(int timeout);
long ts_deadline(uint64_t uts, int64_t *deadline);

/* signalfd.c: a signal was sent (signalfd readiness moves). */
void event_signal_sent(void);

/* sockbuf.c: queued sends and received data kept in the guest for stream
 * sockets. SOCKBUF_EMPTY: nothing buffered (or unsuitable), ask the host. */
#define SOCKBUF_EMPTY (-100000)
#define SOCKBUF_RETRY (-100001) /* a wait brought data in: look again */
struct sb_iov {
    uint64_t base, len;
};
void sockbuf_open(int hostfd);
void sockbuf_close(int hostfd);
void sockbuf_shutdown(int hostfd);
void sockbuf_connected(int hostfd);
int sockbuf_has(int hostfd);
uint32_t sockbuf_rx_avail(int hostfd);
int sockbuf_rx_ready(int hostfd);
uint32_t sockbuf_rx_gen(int hostfd);
long sockbuf_recv(struct file *f, const struct sb_iov *iov, int niov, int peek);
long sockbuf_send(struct file *f, const struct sb_iov *iov, int niov, uint64_t flags);
/* Checks user iovecs for a buffered transfer: their count, or -1. */
int sockbuf_user_iov(const struct sb_iov *iov, uint64_t n, int write);

/* net.c: read or write on a blocking socket, waiting in the scheduler. */
long sock_rw(struct file *f, uint64_t buf, uint64_t len, int write);
/* path.c: where a path leads. */
enum mnt { M_HOST, M_TMP, M_DEV, M_PROC };
struct loc {
    enum mnt mnt;
    char path[PATH_MAX]; /* absolute, normalised; for M_HOST what the host gets */
    int must_dir;        /* the path ended in '/': it must name a directory */
    int last_dot;        /* its last component was "." (1) or ".." (2) */
    /* M_TMP */
    struct mfs_node *node, *parent;
    const char *name;
    size_t len;
    /* M_DEV: the device */
    const struct file_ops *dev;
    /* M_DEV, M_PROC: GEN_FILE, GEN_DIR or GEN_LINK, contents in gen */
    long gen_type;
    struct gen gen;
};
/* Resolves upath relative to dirfd, following symlinks inside guest file
 * systems (the host follows its own), the last one only when follow is
 * set. For M_TMP, node is NULL when only the last component is missing.
 * For M_DEV and M_PROC a missing name is -ENOENT. l->gen must be freed
 * with loc_done. */
#define LOOKUP_NAME 2 /* follow: never the last component, slash or not */
long lookup(int dirfd, const char *path, int from_user, int follow, struct loc *l);
void loc_done(struct loc *l);
/* After a host call answered -HX_EREDIRECT (the monitor wrote the new
 * guest path over l->path): looks that path up from the top. */
long lookup_again(struct loc *l, int follow);
/* Absolute, lexically normalised path of path (in user memory when
 * from_user) relative to dirfd. */
long path_resolve(int dirfd, const char *path, int from_user, char *out);
const char *cwd_path(void);
/* Before a rename or rmdir: pin the cwd so that its path can follow. */
void cwd_pin(void);
/* After one: the cwd's path must be asked of the pin again. */
void cwd_moved(void);

/* net.c: socket ioctls, and what /proc/self/fd/N shows for a socket. */
long net_ioctl(struct file *f, uint64_t cmd, uint64_t arg);
void net_describe(const struct file *f, char *out, size_t size);

/* fs.c: the generic parts the kinds share. */
/* open of a path in kernel memory: an fd, or -errno. */
long file_open(int dirfd, const char *path, uint64_t flags);
/* pread into kernel memory of fd (as mmap fills a mapping). */
long fs_read_at(int fd, void *buf, uint64_t len, uint64_t off);
/* read/write/pread/pwrite of f through its ops, the access mode, count
 * and buffer of a guest object checked first. */
long file_io(struct file *f, uint64_t buf, uint64_t len, int write, int64_t *pos);
/* Status of a guest object (ops->stat, or its default). */
void file_stat(const struct file *f, struct kstat *st);
/* lseek within size bytes (directories: entries); data_holes: SEEK_DATA
 * and SEEK_HOLE are answered (the whole file is data), else -ENXIO. */
long file_seek_in(struct file *f, uint64_t off, uint64_t whence, uint64_t size, int data_holes);
/* The next directory entry after index i of f: 0 at the end. */
typedef int (*dirent_fn)(struct file *f, uint64_t i, const char **name, size_t *len, uint8_t *type,
                         uint64_t *ino);
/* getdents64 from f->pos on, through next. */
long dirents_emit(struct file *f, uint64_t ubuf, uint64_t size, dirent_fn next);
uint8_t dtype(uint32_t mode);
/* Copies through a kernel buffer: sendfile's general case. */
long file_copy(struct file *in, struct file *out, int64_t *in_off, uint64_t count);
/* A private mapping filled through read at off (ops->map_read for files
 * the program can read like any other). */
long file_map_read(struct file *f, void *buf, uint64_t len, uint64_t off);
/* The descriptor a path like /proc/self/fd/N or /dev/stdin names, or -1. */
int fd_path(const char *path);

/* fsnames.c: fstatfs/statfs of a guest mount. */
long guest_statfs(enum mnt mnt, uint64_t ubuf);

#endif
