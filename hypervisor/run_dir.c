/* The run's own directory on the host: what every process of a run must
 * see alike and no other run may (a RAM /tmp, /dev/shm), lives there,
 * since each process is a VM of its own (DESIGN.md section 10). It is made
 * on a host RAM file system (/dev/shm when that is a tmpfs), by the top
 * monitor, when first needed and before the run's first fork, so that
 * every process of the run inherits the same one.
 *
 * Nothing of it outlives the run, however the run ends: a janitor process,
 * outside the run's process tree and session (a Ctrl-C to the terminal's
 * group or a kill of the run's group does not reach it), holds the read
 * end of a pipe whose only write end the top holds, and removes the
 * directory when that end closes, after a kill -9 of the top too. The
 * janitor is a fork of a multithreaded monitor, so it uses async-signal-
 * safe calls only, and it runs under the monitor's seccomp filter. */
#include "run_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static char run_dir[4096]; /* "" until made */
static int janitor_wfd = -1;
static char *title; /* the process's arguments, as /proc/PID/cmdline shows them */
static size_t title_size;

void hx_run_dir_title(char *area, size_t size)
{
    title = area;
    title_size = size;
}

/* A directory to make the run's in: a host RAM file system if there is
 * one we may write, else the temporary directory. */
static const char *base_dir(void)
{
    struct statfs fs;
    if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC && access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    const char *t = getenv("TMPDIR");
    return t && *t == '/' ? t : "/tmp";
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int dots(const char *n)
{
    return n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]));
}

/* prefix and the decimal digits of v in out (32 bytes): snprintf is not
 * async-signal-safe. */
static void numbered(char *out, const char *prefix, unsigned long v)
{
    char digits[24];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < 20);
    size_t len = strlen(prefix);
    memcpy(out, prefix, len);
    while (n)
        out[len++] = digits[--n];
    out[len] = 0;
}

/* Opens the directory name in dir for removing its entries: a directory
 * the program made unreadable or unwritable is given back to its owner
 * first (through the descriptor: a symlink put in its place is never
 * followed). */
static int open_dir(int dir, const char *name)
{
    int p = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (p < 0)
        return -1;
    char self[48];
    numbered(self, "/proc/self/fd/", (unsigned long)p);
    chmod(self, 0700);
    int fd = openat(p, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(p);
    return fd;
}

/* Empties the directory name in root: files are removed, directories are
 * moved up into root to be emptied in turn. A tree of any depth is removed
 * so with two descriptors open and no recursion. */
static void empty_into(int root, const char *name, unsigned long *moved)
{
    int fd = open_dir(root, name);
    if (fd < 0)
        return;
    char buf[4096];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < n;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
            off += e->d_reclen;
            if (dots(e->d_name) || unlinkat(fd, e->d_name, 0) == 0 || errno != EISDIR)
                continue;
            char to[32];
            do
                numbered(to, "d", (*moved)++);
            while (syscall(SYS_renameat2, fd, e->d_name, root, to, RENAME_NOREPLACE) < 0 &&
                   errno == EEXIST);
        }
    }
    close(fd);
}

static void remove_tree(const char *path)
{
    int root = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0)
        return;
    unsigned long moved = 0;
    /* Passes until it is empty: a process of the run that has not yet
     * seen the end may still make a file; a bounded number of them. */
    for (int pass = 0; pass < 1000; pass++) {
        char buf[4096];
        long n;
        int any = 0;
        lseek(root, 0, SEEK_SET);
        while ((n = syscall(SYS_getdents64, root, buf, sizeof(buf))) > 0) {
            for (long off = 0; off < n;) {
                struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
                off += e->d_reclen;
                if (dots(e->d_name))
                    continue;
                any = 1;
                if (unlinkat(root, e->d_name, 0) == 0 || errno != EISDIR)
                    continue;
                empty_into(root, e->d_name, &moved);
                unlinkat(root, e->d_name, AT_REMOVEDIR);
            }
        }
        if (!any)
            break;
    }
    close(root);
    rmdir(path);
}

static void janitor(int rfd)
{
    setsid();
    /* Not the run's command line, which "pkill -f" and the like would
     * match: killing the janitor with the run would leave the directory. */
    static const char name[] = "hxrun-janitor";
    if (title && title_size >= sizeof(name)) {
        memset(title, 0, title_size);
        memcpy(title, name, sizeof(name));
    }
    struct sigaction ign;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &ign, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Nothing of the monitor's: the terminal, the guest's files, the run's
     * pipes (whose ends it would keep open). */
    int self = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char buf[4096];
    long n;
    while (self >= 0 && (n = syscall(SYS_getdents64, self, buf, sizeof(buf))) > 0)
        for (long off = 0; off < n;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
            off += e->d_reclen;
            int fd = 0;
            for (const char *c = e->d_name; *c >= '0' && *c <= '9'; c++)
                fd = fd * 10 + (*c - '0');
            if (!dots(e->d_name) && fd != rfd && fd != self)
                close(fd);
        }
    if (self >= 0)
        close(self);
    struct pollfd p = {rfd, POLLIN, 0};
    char c;
    while (poll(&p, 1, -1) < 0 || (!(p.revents & (POLLHUP | POLLERR)) && read(rfd, &c, 1) != 0))
        ;
    remove_tree(run_dir);
    _exit(0);
}

/* Starts the janitor: a child without a SIGCHLD for the program to see
 * (exit signal 0), whose own child is the janitor, left to init. Guest RAM
 * is not copied into either (MADV_DONTFORK): a fork would make the
 * running VM's memory copy-on-write, and the janitor would hold it. */
static int start_janitor(void *ram, size_t ram_size)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    if (ram)
        madvise(ram, ram_size, MADV_DONTFORK);
    long pid = syscall(SYS_clone, 0ul, NULL, NULL, NULL, 0ul);
    if (pid == 0) {
        close(p[1]);
        if (syscall(SYS_clone, 0ul, NULL, NULL, NULL, 0ul) == 0)
            janitor(p[0]);
        _exit(0);
    }
    int err = errno;
    if (ram)
        madvise(ram, ram_size, MADV_DOFORK);
    close(p[0]);
    if (pid < 0) {
        close(p[1]);
        errno = err;
        return -1;
    }
    while (waitpid((pid_t)pid, NULL, __WCLONE) < 0 && errno == EINTR)
        ;
    janitor_wfd = hx_high_fd(p[1]);
    return janitor_wfd < 0 ? -1 : 0;
}

const char *hx_run_dir(void *ram, size_t ram_size)
{
    if (run_dir[0])
        return run_dir;
    char dir[4096];
    if (snprintf(dir, sizeof(dir), "%s/hxrun.XXXXXX", base_dir()) >= (int)sizeof(dir) - 8) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    if (!mkdtemp(dir))
        return NULL;
    strcpy(run_dir, dir);
    /* Shared by every user a process of the run may become, as /tmp is. */
    static const char *const subdirs[] = {"tmp", "shm"};
    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        char sub[sizeof(dir) + 8];
        snprintf(sub, sizeof(sub), "%s/%s", dir, subdirs[i]);
        if (mkdir(sub, 0700) < 0 || chmod(sub, 01777) < 0)
            goto fail;
    }
    if (start_janitor(ram, ram_size) == 0)
        return run_dir;
fail:;
    int err = errno;
    remove_tree(dir);
    run_dir[0] = 0;
    errno = err;
    return NULL;
}

void hx_run_dir_forked(void)
{
    if (janitor_wfd >= 0)
        close(janitor_wfd);
    janitor_wfd = -1;
}

void hx_run_dir_remove(void)
{
    if (run_dir[0] && janitor_wfd >= 0)
        remove_tree(run_dir);
}
