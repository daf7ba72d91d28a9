/* The run's own directory on the host: what every process of a run must
 * see alike and no other run may (a RAM /tmp, /dev/shm) lives there, since
 * each process is a VM of its own (DESIGN.md section 10). The top monitor
 * makes it on a host RAM file system (/dev/shm when that is a tmpfs) as it
 * starts, before the program runs: with the monitor's own credentials, and
 * before the run's first fork, so that every process of the run has the
 * same one.
 *
 * Nothing of it outlives the run, however the run ends: a janitor holds
 * the read end of a pipe whose only write end the top holds, and removes
 * the directory when that end closes, after a kill -9 of the top too. The
 * top starts it before it maps guest RAM or starts a thread, through a
 * child that ends at once (see start_janitor), so the janitor belongs to
 * init: no wait of the program's sees it, no subreaper the program sets
 * takes it over, and the program cannot signal it (it is outside the run,
 * hc_proc.c). It lives in
 * a session of its own, away from the terminal's signals, ignores every
 * signal it can, and its name and command line are not the run's
 * ("hx-janitor"), so "pkill -f PROGRAM" leaves it be. */
#include "run_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static char run_dir[4096];    /* "" until made (the janitor's copy names it) */
static int ready;             /* made whole: hx_run_dir gives it */
static int make_err = ENOENT; /* why it was not */
static int janitor_wfd = -1;

/* ---- removal ------------------------------------------------------------- */

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

/* Gives the directory name in dir back to its owner (rwx): one the
 * program made unreadable or unwritable can then be emptied, or moved
 * (which writes its ".."). Through a descriptor opened without following
 * a symlink, so a symlink put in its place is never followed. */
static void own(int dir, const char *name)
{
    int p = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (p < 0)
        return;
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", p);
    chmod(self, 0700);
    close(p);
}

/* Empties the directory name in root: files are removed, directories are
 * moved up into root, to be emptied in turn. A tree of any depth is
 * removed so with two descriptors open and no recursion. Whether anything
 * was removed or moved. */
static int empty_into(int root, const char *name, unsigned long *moved)
{
    own(root, name);
    int fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int progress = 0;
    char buf[4096];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < n;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
            off += e->d_reclen;
            if (dots(e->d_name))
                continue;
            if (unlinkat(fd, e->d_name, 0) == 0) {
                progress = 1;
                continue;
            }
            if (errno != EISDIR)
                continue;
            own(fd, e->d_name);
            char to[32];
            int r;
            do {
                snprintf(to, sizeof(to), "d%lu", (*moved)++);
                r = renameat2(fd, e->d_name, root, to, RENAME_NOREPLACE);
            } while (r < 0 && errno == EEXIST);
            progress |= r == 0;
        }
    }
    close(fd);
    return progress;
}

/* Removes the directory path and everything in it, in passes over its
 * entries (a directory moved up during a pass is seen by the next) while
 * they make progress, at most max_passes. */
static void remove_tree(const char *path, long max_passes)
{
    int root = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0)
        return;
    unsigned long moved = 0;
    for (long pass = 0; pass < max_passes; pass++) {
        char buf[4096];
        long n;
        int any = 0, progress = 0;
        lseek(root, 0, SEEK_SET);
        while ((n = syscall(SYS_getdents64, root, buf, sizeof(buf))) > 0) {
            for (long off = 0; off < n;) {
                struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
                off += e->d_reclen;
                if (dots(e->d_name))
                    continue;
                any = 1;
                if (unlinkat(root, e->d_name, 0) == 0) {
                    progress = 1;
                    continue;
                }
                if (errno != EISDIR)
                    continue;
                progress |= empty_into(root, e->d_name, &moved);
                progress |= unlinkat(root, e->d_name, AT_REMOVEDIR) == 0;
            }
        }
        if (!any || !progress)
            break;
    }
    close(root);
    rmdir(path);
}

/* ---- the janitor --------------------------------------------------------- */

static void janitor(int rfd, char *title, size_t title_size)
{
    setsid();
    prctl(PR_SET_NAME, "hx-janitor");
    static const char name[] = "hx-janitor";
    if (title_size >= sizeof(name)) {
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
    sigprocmask(SIG_SETMASK, &none, NULL); /* the top blocked all */
    /* It keeps nothing of the top's open: the terminal, the program's
     * files, what hxrun inherited, the pipe's write end. */
    syscall(SYS_close_range, 0u, (unsigned)rfd - 1, 0u);
    syscall(SYS_close_range, (unsigned)rfd + 1, ~0u, 0u);
    struct pollfd p = {rfd, POLLIN, 0};
    char c;
    while (poll(&p, 1, -1) < 0 || (!(p.revents & (POLLHUP | POLLERR)) && read(rfd, &c, 1) != 0))
        ;
    /* The run's last processes end themselves as they see the top's end
     * (hc_proc.c): what they still make is removed in a later pass. */
    remove_tree(run_dir, 1000000);
}

/* The janitor comes from a middle child that shares the top's memory and
 * descriptors (a clone that copies nothing: the top pays a few tens of
 * microseconds), forks the janitor (the page-table copy is the middle's
 * work, beside the top's) and ends. The middle runs on the top's memory
 * beside it, so it makes raw system calls only: no libc, which could take
 * a lock the top holds. The janitor is a private copy from then on, with
 * one thread; what it uses of libc takes no lock. */
static pid_t middle;
static int janitor_rfd = -1;
static char *janitor_title;
static size_t janitor_title_size;
static _Alignas(16) char middle_stack[16 << 10];

static long raw_syscall2(long n, long a, long b)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

static int middle_main(void *arg)
{
    (void)arg;
    /* fork() as a raw clone: no atfork handler, no lock. Both end with a
     * raw exit (nothing of libc's runs at the end of a process that shares
     * the top's memory, or runs on this stack). */
    if (raw_syscall2(SYS_clone, SIGCHLD, 0) == 0)
        janitor(janitor_rfd, janitor_title, janitor_title_size);
    raw_syscall2(SYS_exit, 0, 0);
    return 0;
}

static int start_janitor(char *title, size_t title_size)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    /* Above the program's fd numbers, as all the monitor's. */
    janitor_rfd = hx_high_fd(p[0]);
    janitor_wfd = hx_high_fd(p[1]);
    janitor_title = title;
    janitor_title_size = title_size;
    pid_t pid = -1;
    int err = EMFILE;
    if (janitor_rfd >= 0 && janitor_wfd >= 0) {
        /* No handler of the top's may run in the middle or the janitor:
         * every signal waits until the janitor ignores them all. */
        sigset_t all, prev;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &prev);
        /* Exit signal 0: the top reaps it with __WCLONE, unseen by the
         * program (hx_run_dir, before the program runs). */
        pid = clone(middle_main, middle_stack + sizeof(middle_stack), CLONE_VM | CLONE_FILES, NULL);
        err = errno;
        sigprocmask(SIG_SETMASK, &prev, NULL);
    }
    if (pid < 0) {
        if (janitor_rfd >= 0)
            close(janitor_rfd);
        if (janitor_wfd >= 0)
            close(janitor_wfd);
        janitor_rfd = janitor_wfd = -1;
        errno = err;
        return -1;
    }
    middle = pid;
    return 0;
}

/* ---- the directory ------------------------------------------------------- */

/* Where to make the run's directory: a host RAM file system we may write,
 * else the temporary directory. */
static const char *base_dir(void)
{
    struct statfs fs;
    if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC && access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    const char *t = getenv("TMPDIR");
    return t && *t == '/' ? t : "/tmp";
}

/* A file system of the run's own at dir, of bound bytes, where this
 * process may mount one (it has CAP_SYS_ADMIN: hxrun as root): in a mount
 * namespace of the run's own (every process of the run is a fork of this
 * one), so the host never sees the mount, and it goes when the run's last
 * process ends, however it ends; the janitor, in the host's namespace,
 * removes the empty directory under it. A guest cannot then fill the
 * host's /dev/shm, whose bound is half the host's memory. Elsewhere the
 * directory is plain, bounded by the host's /dev/shm alone. */
static void bound_dir(const char *dir, uint64_t bound)
{
    if (!bound || unshare(CLONE_NEWNS) < 0)
        return;
    char opts[64];
    snprintf(opts, sizeof(opts), "size=%llu,mode=0700", (unsigned long long)bound);
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
        mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        fprintf(stderr, "hxrun: the run's /tmp is not bounded: %s\n", strerror(errno));
}

const char *hx_run_dir_make(char *title, size_t title_size, uint64_t bound)
{
    if (run_dir[0])
        return ready ? run_dir : NULL;
    char dir[4000];
    if (snprintf(dir, sizeof(dir), "%s/hxrun.XXXXXX", base_dir()) >= (int)sizeof(dir)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    if (!mkdtemp(dir)) {
        make_err = errno;
        return NULL;
    }
    strcpy(run_dir, dir);
    /* The janitor first: it stays in the host's mount namespace. */
    if (start_janitor(title, title_size)) {
        run_dir[0] = 0;
        goto fail;
    }
    bound_dir(dir, bound);
    /* Shared by every user a process of the run may become, as /tmp is. */
    static const char *const subdirs[] = {"tmp", "shm"};
    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        char sub[sizeof(dir) + 8];
        snprintf(sub, sizeof(sub), "%s/%s", dir, subdirs[i]);
        if (mkdir(sub, 0700) < 0 || chmod(sub, 01777) < 0) {
            /* The janitor removes the directory when this process ends. */
            make_err = errno;
            return NULL;
        }
    }
    ready = 1;
    return run_dir;
fail:
    make_err = errno;
    remove_tree(dir, 10);
    errno = make_err;
    return NULL;
}

const char *hx_run_dir(void)
{
    if (middle > 0) {
        /* The janitor has its copy of the read end once the middle ends
         * (they share this process's descriptors until then). */
        while (waitpid(middle, NULL, __WCLONE) < 0 && errno == EINTR)
            ;
        middle = 0;
        close(janitor_rfd);
        janitor_rfd = -1;
    }
    if (!ready)
        errno = make_err;
    return ready ? run_dir : NULL;
}

void hx_run_dir_forked(void)
{
    if (janitor_wfd >= 0)
        close(janitor_wfd);
    janitor_wfd = -1;
}

void hx_run_dir_remove(void)
{
    /* A bounded effort: the janitor finishes a tree this leaves (and
     * removes the directory a file system of the run's own is mounted on,
     * which is busy here). */
    if (run_dir[0] && janitor_wfd >= 0)
        remove_tree(run_dir, 100);
}
