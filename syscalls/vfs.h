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

enum kind {
    K_FREE,
    K_HOST,   /* a host fd (console or hostfs file) */
    K_PIPE_R, /* in-guest pipe ends */
    K_PIPE_W,
    K_NULL, /* /dev devices */
    K_ZERO,
    K_FULL,
    K_RANDOM,
    K_URANDOM,
    K_TTY,  /* /dev/tty: only its status; opening reaches the console */
    K_TMP,  /* a minifs file or directory */
    K_GEN,  /* a generated /proc or /sys file */
    K_GDIR, /* a generated /dev, /proc or /sys directory */
    /* event.c's objects; keep them last (file_revents relies on it) */
    K_EVENTFD,
    K_TIMERFD,
    K_SIGNALFD,
    K_EPOLL
};

struct pipe;

struct file {
    enum kind kind;
    int refs;
    int hostfd;     /* K_HOST */
    uint32_t flags; /* open flags: access mode, O_APPEND, O_NONBLOCK, O_PATH */
    struct pipe *pipe;
    struct mfs_node *node;                   /* K_TMP */
    uint64_t pos;                            /* K_TMP, K_GEN, K_GDIR: offset or entry index */
    struct gen gen;                          /* K_GEN, K_GDIR */
    void *obj;                               /* K_EVENTFD...K_EPOLL: the object */
    char path[256];                          /* absolute guest path, "" if unknown or too long */
    int sock;                                /* K_HOST: 0, or a socket's domain (AF_*; net.c) */
    int stream;                              /* K_HOST: a console that can block (tty, pipe) */
    const struct hx_inherited_fd *inherited; /* K_HOST: an fd hxrun inherited */
    struct file *next_free;                  /* K_FREE: fd.c's free list */
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

#define S_IFMT 0170000
#define S_IFIFO 0010000
#define S_IFCHR 0020000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define S_IFLNK 0120000
#define O_PATH 010000000
#define O_NOFOLLOW 0400000
#define O_TMPFILE_FLAG 020000000

/* fd.c */
struct file *file_new(enum kind kind);
void file_put(struct file *f);
struct file *fd_get(uint64_t fd);
/* Installs f at the lowest free fd >= lowest; the reference moves to the
 * table. Returns the fd or -EMFILE (f is then released). */
long fd_install(struct file *f, int lowest, int cloexec);
extern uint32_t umask_bits;

/* pipe.c */
long pipe_read(struct file *f, uint8_t *buf, uint64_t len);
long pipe_write(struct file *f, const uint8_t *buf, uint64_t len);
void pipe_release(struct file *f);
uint64_t pipe_available(const struct file *f);
int16_t pipe_revents(const struct file *f, int16_t events);
uint64_t pipe_ino(const struct file *f);
uint32_t pipe_gen(const struct file *f);

/* poll.c: readiness of a guest object (not a host fd) for events, and a
 * counter that moves whenever its readiness may have changed. */
int16_t file_revents(struct file *f, int16_t events);
uint32_t file_gen(struct file *f);
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

/* event.c: eventfd, timerfd, signalfd and epoll objects. */
int16_t event_revents(struct file *f, int16_t events);
uint32_t event_gen(struct file *f);
void event_release(struct file *f);
long event_rw(struct file *f, uint8_t *buf, uint64_t len, int write);
void event_signal_sent(void);
void event_file_closed(struct file *f);

/* sockbuf.c: queued sends and received data kept in the guest for stream
 * sockets. SOCKBUF_EMPTY: nothing buffered (or unsuitable), ask the host. */
#define SOCKBUF_EMPTY (-100000)
#define SOCKBUF_RETRY (-100001) /* a wait brought data in: look again */
struct sb_iov {
    uint64_t base, len;
};
extern int sockbuf_tx_pending;
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
    /* M_DEV */
    enum kind dev;
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

/* fs.c */
void guest_stat(const struct file *f, struct kstat *st);
/* The descriptor a path like /proc/self/fd/N or /dev/stdin names, or -1. */
int fd_path(const char *path);

#endif
