/* Processes (DESIGN.md section 10). Every process of a run is a VM and a
 * host process of its own, and its pid is its monitor's, so the host
 * kernel keeps the tree: fork forks the monitor (vm_fork.c), wait is the
 * host's wait, process groups and sessions are the host's, and SIGCHLD
 * comes from the host kernel.
 *
 * What this file adds is the run's boundary. The run is every monitor
 * forked from the one the user started (the top):
 * - a process may signal, or ask the group of, processes of its own run
 *   only. Each monitor of a run that forked has a thread named with the
 *   run's random mark, which /proc shows whatever the process's user (a
 *   process that changed its user still belongs to the run), and only a
 *   host process that chose to copy the mark could pass for one;
 * - each holds the read end of the run pipe, whose only write end the top
 *   holds: when the top ends, however it ends, the write end closes and
 *   every other monitor of the run kills itself: no VM outlives the run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_load.h"
#include "fastcall_cache.h"
#include "hcall.h"
#include "hostfs.h"
#include "run_dir.h"

static int run_rfd = -1, run_wfd = -1;
static char run_mark[16]; /* the name of the run's marked thread in each monitor */
static int marked;        /* this monitor has its marked thread */
static int is_top = 1;
static struct hx_vm *proc_vm;

int hx_proc_is_top(void)
{
    return is_top;
}

/* "[pid N] " once the run has more than one process (as strace -f marks
 * its lines), else "". */
static char tag[32];

const char *hx_proc_tag(void)
{
    return tag;
}

static void tag_set(void)
{
    snprintf(tag, sizeof(tag), "[pid %d] ", (int)getpid());
}

int hx_proc_init(struct hx_vm *vm)
{
    proc_vm = vm;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        perror("hxrun: pipe");
        return 1;
    }
    run_rfd = hx_high_fd(p[0]);
    run_wfd = hx_high_fd(p[1]);
    uint8_t r[12];
    if (run_rfd < 0 || run_wfd < 0 || getrandom(r, sizeof(r), 0) != sizeof(r)) {
        fprintf(stderr, "hxrun: cannot set up the run's pipe\n");
        return 1;
    }
    /* "hx" and 13 letters: 65 bits, the most a thread name holds. */
    memcpy(run_mark, "hx", 2);
    for (int i = 0; i < 13; i++)
        run_mark[2 + i] = (char)('a' + ((r[i % 12] ^ (r[(i + 5) % 12] >> 3) ^ i * 7) % 26));
    run_mark[15] = 0;
    return 0;
}

/* The parent of pid as /proc says, or -1. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    /* "pid (comm) state ppid ...": comm may hold anything but ends at
     * the last ')'. */
    char *p = strrchr(buf, ')'), *end;
    if (!p || strlen(p) < 5)
        return -1;
    long ppid = strtol(p + 4, &end, 10); /* past ") S " */
    return end != p + 4 && ppid > 0 && ppid <= INT_MAX ? (pid_t)ppid : -1;
}

/* Whether pid has a thread named with the run's mark. */
static int has_mark(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char comm[64], name[32] = "";
        snprintf(comm, sizeof(comm), "/proc/%d/task/%.16s/comm", (int)pid, e->d_name);
        int fd = open(comm, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, name, sizeof(name) - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n > 0) {
            name[n] = 0;
            name[strcspn(name, "\n")] = 0;
            found = !strcmp(name, run_mark);
        }
    }
    closedir(d);
    return found;
}

/* Whether pid is a process of this run: one with the run's marked thread,
 * or a descendant of one (a process just forked has not named its thread
 * yet, but its parent did before forking it), or of this monitor (a
 * zombie child has no threads left). */
static int run_member(pid_t pid)
{
    if (pid <= 0)
        return 0;
    for (int depth = 0; pid > 1 && depth < 64; depth++) {
        if (pid == getpid() || has_mark(pid))
            return 1;
        pid = parent_of(pid);
    }
    return 0;
}

/* ---- fork ---------------------------------------------------------------- */

/* The marked thread of a monitor (see the top of the file). It watches
 * the run: the top's end of the run pipe closes when the top ends (in the
 * top, which holds that end, it waits for ever). */
static void *run_thread(void *arg)
{
    (void)arg;
    struct pollfd p = {run_rfd, 0, 0}; /* POLLHUP is always reported */
    while (poll(&p, 1, -1) < 0 || !(p.revents & (POLLHUP | POLLERR)))
        ;
    kill(getpid(), SIGKILL);
    return NULL;
}

/* Starts this monitor's marked thread, once; 0 or an errno. */
static int mark_start(void)
{
    if (marked)
        return 0;
    pthread_attr_t a;
    pthread_t t;
    sigset_t all, prev;
    hx_block_set(&all);
    pthread_sigmask(SIG_SETMASK, &all, &prev); /* the thread takes no signal */
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 << 10);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&t, &a, run_thread, NULL);
    pthread_attr_destroy(&a);
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
    if (!r) /* named now, not when the thread first runs */
        pthread_setname_np(t, run_mark);
    marked = !r;
    return r;
}

/* Queues the program's signal sig with its si_code to process to, as
 * HX_SIG_WRAP (hcall.h): from names the sender (si_pid), value is si_value.
 * Async-signal-safe. The host's answer: 0 or -1 with errno. */
static int send_wrapped(pid_t to, int sig, int code, pid_t from, uint64_t value)
{
    siginfo_t w;
    memset(&w, 0, sizeof(w));
    w.si_signo = HX_SIG_WRAP;
    w.si_code = SI_QUEUE; /* the only code Linux lets one process give another */
    w.si_pid = from;
    w.si_uid = getuid();
    memcpy(&w.si_value, &value, sizeof(value)); /* all 64 bits of the program's sigval */
    hx_wrap_set(&w, sig, code);
    return (int)syscall(SYS_rt_sigqueueinfo, to, HX_SIG_WRAP, &w);
}

/* The parent process ended (PR_SET_PDEATHSIG): getppid names the new one,
 * and the program's own PR_SET_PDEATHSIG signal is sent, as the parent's. */
static void on_parent_death(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    int saved = errno;
    struct hx_boot_info *b = proc_vm->boot;
    int old = b->ppid, ds = b->live.pdeathsig, now = (int)getppid();
    /* The kernel says so at each death of a thread of the parent (its
     * children pass to another thread of it): only the process's end is
     * the program's PDEATHSIG. */
    if (now == old)
        goto out;
    __atomic_store_n(&b->ppid, (int32_t)now, __ATOMIC_SEQ_CST);
    if (ds > 0 && ds <= 64)
        send_wrapped(getpid(), ds, SI_USER, old, 0);
out:
    errno = saved;
}

/* The rest of a new monitor: what it must not share with its parent. */
static void child_setup(struct hx_vm *vm)
{
    is_top = 0;
    hx_run_dir_forked();
    if (run_wfd >= 0) {
        close(run_wfd);
        run_wfd = -1;
    }
    if (hx_sched_after_fork(vm))
        _exit(125);
    memset(vm->exits_by_reason, 0, sizeof(vm->exits_by_reason));
    memset(vm->hcalls, 0, sizeof(vm->hcalls));
    vm->exits_total = vm->irqs_injected = 0;
    vm->have_guest_stats = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_parent_death;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(HX_SIG_PARENT, &sa, NULL);
    prctl(PR_SET_PDEATHSIG, HX_SIG_PARENT);
    vm->boot->pid = getpid();
    /* The parent as it is now: one that ended before the prctl is seen
     * here (and a new child has no PR_SET_PDEATHSIG of its own yet). */
    vm->boot->ppid = getppid();
    marked = 0; /* threads are not inherited */
    int r = mark_start();
    if (r) {
        fprintf(stderr, "hxrun: cannot start the run's watch: %s\n", strerror(r));
        _exit(125);
    }
}

/* vfork (CLONE_VM|CLONE_VFORK): the child runs on the parent's memory
 * until it execs or ends, while the parent waits, and what it writes there
 * the parent sees (glibc's posix_spawn reports an exec failure so). Here
 * the child runs on a copy whose VM logs the pages it writes; when it
 * execs or ends, it sends the parent the written pages the program maps
 * (its memory, not its kernel's) through the pipe the parent waits on,
 * and closing that pipe ends the parent's wait. The parent takes only
 * pages its own program maps. */
static int vfork_wfd = -1, vfork_share;

/* The pipe's records: a guest physical address, then its page. */
struct vfork_page {
    uint64_t pa;
    uint8_t data[HX_PAGE_SIZE];
};

/* The whole of len bytes, through signals: 0, or -1 at an error or EOF. */
static int move_all(int fd, void *buf, size_t len, int out)
{
    for (size_t done = 0; done < len;) {
        ssize_t r = out ? write(fd, (char *)buf + done, len - done)
                        : read(fd, (char *)buf + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

void hx_proc_vfork_done(struct hx_vm *vm)
{
    if (vfork_wfd < 0)
        return;
    size_t npages = vm->g.ram_size / HX_PAGE_SIZE;
    uint8_t *dirty = calloc(npages / 8 + 8, 1), *user = calloc(npages / 8 + 8, 1);
    struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = dirty};
    if (vfork_share && dirty && user && ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) == 0) {
        hx_user_pages(&vm->g, user);
        static struct vfork_page page;
        for (size_t i = 0; i < npages; i++) {
            if (!(dirty[i / 8] & user[i / 8] & (1u << (i % 8))))
                continue;
            page.pa = i * HX_PAGE_SIZE;
            memcpy(page.data, vm->g.ram + page.pa, HX_PAGE_SIZE);
            if (move_all(vfork_wfd, &page, sizeof(page), 1))
                break;
        }
    }
    free(dirty);
    free(user);
    close(vfork_wfd);
    vfork_wfd = -1;
}

/* The parent's side: takes the child's pages until the pipe closes. */
static void vfork_wait(struct hx_vm *vm, int fd)
{
    size_t npages = vm->g.ram_size / HX_PAGE_SIZE;
    uint8_t *user = calloc(npages / 8 + 8, 1);
    if (user)
        hx_user_pages(&vm->g, user);
    static struct vfork_page page;
    vm->in_hcall = 1;
    while (!move_all(fd, &page, sizeof(page), 0)) {
        uint64_t i = page.pa / HX_PAGE_SIZE;
        if (user && !(page.pa % HX_PAGE_SIZE) && i < npages && (user[i / 8] & (1u << (i % 8))))
            memcpy(vm->g.ram + page.pa, page.data, HX_PAGE_SIZE);
    }
    vm->in_hcall = 0;
    free(user);
}

int64_t hx_hc_fork(struct hx_vm *vm, const struct hx_hc_fork_req *req)
{
    int vp[2] = {-1, -1};
    if (req->vfork) {
        if (pipe2(vp, O_CLOEXEC) < 0)
            return -EAGAIN;
        vp[0] = hx_high_fd(vp[0]);
        vp[1] = hx_high_fd(vp[1]);
    }
    /* From now on the run has more than one process: this one is found
     * by its mark too. */
    int merr = mark_start();
    if (merr) {
        if (vp[0] >= 0)
            close(vp[0]), close(vp[1]);
        return -merr;
    }
    fflush(NULL); /* nothing the monitor buffered is written twice */
    /* The program's RLIMIT_NPROC, which the host enforces as Linux would
     * (processes of the user; none for root): fork answers EAGAIN. */
    struct rlimit nproc = {vm->boot->rlimits[RLIMIT_NPROC].cur,
                           vm->boot->rlimits[RLIMIT_NPROC].max};
    if (nproc.rlim_cur > nproc.rlim_max)
        nproc.rlim_cur = nproc.rlim_max;
    setrlimit(RLIMIT_NPROC, &nproc);
    /* No signal handler runs while the child's machine is half built (it
     * would touch the old kvm_run): they wait, pending, until it is. */
    sigset_t all, prev;
    hx_block_set(&all);
    pthread_sigmask(SIG_SETMASK, &all, &prev);
    int share = req->vfork && req->share;
    int64_t pid = hx_vm_fork(vm, share);
    if (pid == 0) {
        /* A vfork child's own children must not hold its parent back. */
        if (vfork_wfd >= 0)
            close(vfork_wfd);
        vfork_wfd = vp[1];
        vfork_share = share;
        if (vp[0] >= 0)
            close(vp[0]);
        child_setup(vm);
        tag_set();
        pthread_sigmask(SIG_SETMASK, &prev, NULL);
        return 0;
    }
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
    if (pid > 0)
        tag_set();
    if (vp[1] >= 0)
        close(vp[1]);
    /* A signal for the program does not end this wait; it is handed to
     * the guest afterwards. */
    if (pid > 0 && vp[0] >= 0)
        vfork_wait(vm, vp[0]);
    if (vp[0] >= 0)
        close(vp[0]);
    return pid;
}

/* ---- execve -------------------------------------------------------------- */

#define ARG_MAX_BYTES (2u << 20)    /* argv and envp together, as Linux's default */
#define ARG_STRLEN_MAX (32u * 4096) /* MAX_ARG_STRLEN */

/* A NULL-terminated array of guest strings into monitor memory: a
 * malloc'd array whose strings follow it; *used grows by their bytes. */
static int64_t copy_strings(struct hx_vm *vm, uint64_t gva, char ***out, size_t *used)
{
    size_t n = 0, cap = 16, bytes = 0;
    char **v = malloc(cap * sizeof(*v));
    char *buf = malloc(ARG_STRLEN_MAX);
    int64_t r = v && buf ? 0 : -ENOMEM;
    for (; !r; n++) {
        uint64_t p;
        if (!gva)
            break; /* Linux takes a NULL array as empty */
        if (hx_copy_from_guest(&vm->g, &p, gva + 8 * n, 8)) {
            r = -EFAULT;
            break;
        }
        if (n + 1 >= cap) {
            char **w = realloc(v, (cap *= 2) * sizeof(*v));
            if (!w) {
                r = -ENOMEM;
                break;
            }
            v = w;
        }
        if (!p)
            break;
        long len = hx_copy_str_from_guest(&vm->g, buf, p, ARG_STRLEN_MAX);
        if (len < 0) {
            r = len == -ENAMETOOLONG ? -E2BIG : len;
            break;
        }
        bytes += (size_t)len + 1 + sizeof(char *);
        if (*used + bytes > ARG_MAX_BYTES || !(v[n] = strdup(buf))) {
            r = *used + bytes > ARG_MAX_BYTES ? -E2BIG : -ENOMEM;
            break;
        }
    }
    free(buf);
    if (r) {
        for (size_t i = 0; v && i < n; i++)
            free(v[i]);
        free(v);
        return r;
    }
    v[n] = NULL;
    *out = v;
    *used += bytes;
    return 0;
}

static void free_strings(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* Whether host fd fd holds an ELF file the loader takes (0) or why not. */
static int64_t check_elf(int fd, int interp)
{
    char path[64], err[256];
    struct hx_elf e;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (hx_elf_open(path, &e, err, sizeof(err)))
        return interp ? -ELIBBAD : -ENOEXEC;
    int64_t r = 0;
    if (interp && (e.interp[0] || !e.is_pie))
        r = -ELIBBAD;
    hx_elf_close(&e);
    return r;
}

int64_t hx_hc_exec(struct hx_vm *vm, const struct hx_hc_exec_req *req)
{
    struct hx_exec_info info;
    if (hx_copy_from_guest(&vm->g, &info, req->info, sizeof(info)))
        return -EFAULT;
    if (!hx_hostfd_ok(vm, (uint64_t)(uint32_t)info.prog_hostfd) ||
        (info.interp_hostfd != -1 && !hx_hostfd_ok(vm, (uint64_t)(uint32_t)info.interp_hostfd)))
        return -EBADF;
    if (info.nfds > (uint32_t)hx_hostfd_max)
        return -EINVAL;
    /* What Linux checks of the file: executable for us (the host says,
     * with its noexec mounts), a regular file, an ELF (or the kernel
     * handled #! itself). A program this run rewrote was opened as its
     * copy (hx_fastcall_reopen), which the cache keeps read-only (0444):
     * its original passed X_OK when the guest kernel checked its path, and
     * its code is this run's already. */
    struct stat st;
    if (!hx_fastcall_is_copy(info.prog_hostfd) &&
        faccessat(info.prog_hostfd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) < 0)
        return errno == ENOSYS || errno == EINVAL ? -EACCES : -errno;
    if (fstat(info.prog_hostfd, &st) < 0 || !S_ISREG(st.st_mode))
        return -EACCES;
    int64_t r = check_elf(info.prog_hostfd, 0);
    if (!r && info.interp_hostfd != -1)
        r = check_elf(info.interp_hostfd, 1);
    if (r)
        return r;

    struct hx_exec x = {.prog_hostfd = info.prog_hostfd,
                        .interp_hostfd = info.interp_hostfd,
                        .nfds = info.nfds,
                        .umask = info.umask & 0777,
                        .nice = info.nice < -20  ? -20
                                : info.nice > 19 ? 19
                                                 : info.nice,
                        .sig_blocked = info.sig_blocked,
                        .sig_ignored = info.sig_ignored,
                        .sig_pending = info.sig_pending};
    memcpy(x.rlimits, info.rlimits, sizeof(x.rlimits));
    size_t used = 0;
    static char execfn[4096], exe[4096], cwd[4096];
    x.execfn = execfn, x.exe = exe, x.cwd = cwd;
    x.fds = calloc(info.nfds + 1, sizeof(*x.fds));
    if (!x.fds)
        return -ENOMEM;
    if ((r = copy_strings(vm, info.argv, &x.argv, &used)) ||
        (r = copy_strings(vm, info.envp, &x.envp, &used)))
        goto out;
    if (hx_copy_str_from_guest(&vm->g, execfn, info.execfn, sizeof(execfn)) < 0 ||
        hx_copy_str_from_guest(&vm->g, exe, info.exe, sizeof(exe)) < 0 ||
        hx_copy_str_from_guest(&vm->g, cwd, info.cwd, sizeof(cwd)) < 0 ||
        (info.nfds &&
         hx_copy_from_guest(&vm->g, x.fds, info.fds, info.nfds * sizeof(struct hx_exec_fd)))) {
        r = -EFAULT;
        goto out;
    }
    /* /proc/self/exe names the file itself, symlinks resolved, as Linux
     * does: the host's path of the fd, seen from the guest. */
    char link[64], host[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", info.prog_hostfd);
    ssize_t len = readlink(link, host, sizeof(host) - 1);
    /* A fastcall copy's host path is the cache's: the guest's path stands. */
    if (len > 0 && !hx_fastcall_is_copy(info.prog_hostfd)) {
        host[len] = 0;
        char guest[4096];
        if (!hx_guest_path_of(host, guest, sizeof(guest)))
            snprintf(exe, sizeof(exe), "%s", guest);
    }
    for (uint32_t i = 0; i < info.nfds; i++) {
        const struct hx_exec_fd *f = &x.fds[i];
        int dup = 0;
        for (uint32_t k = 0; k < i && !dup; k++)
            dup = x.fds[k].fd == f->fd;
        int guest_file =
            f->hostfd == -1 && memchr(f->path, 0, sizeof(f->path)) && f->path[0] == '/';
        if (f->fd < 0 || dup || (!guest_file && !hx_hostfd_ok(vm, (uint64_t)(uint32_t)f->hostfd)) ||
            f->hostfd == info.prog_hostfd || f->hostfd == info.interp_hostfd) {
            r = -EINVAL;
            goto out;
        }
    }
    sigset_t all, prev;
    hx_block_set(&all);
    pthread_sigmask(SIG_SETMASK, &all, &prev); /* as for fork: kvm_run is rebuilt */
    r = hx_vm_exec(vm, &x);
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
    if (!r) {
        /* The environment stays the options' (the next exec's libraries
         * are looked up with its LD_LIBRARY_PATH). */
        static char **envp;
        free_strings(envp);
        envp = x.envp;
        x.envp = NULL;
        r = HX_HC_NORETURN;
    }
out:
    /* The strings were copied onto the new stack (or are not needed). */
    free_strings(x.argv);
    free_strings(x.envp);
    free(x.fds);
    return r;
}

/* ---- wait ---------------------------------------------------------------- */

#define WAIT_OPTIONS                                                                               \
    (WNOHANG | WUNTRACED | WCONTINUED | WEXITED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE)

int64_t hx_hc_wait_child(struct hx_vm *vm, const struct hx_hc_wait_child_req *req)
{
    if (req->options & ~(uint64_t)(unsigned)WAIT_OPTIONS)
        return -EINVAL;
    int options = (int)req->options | WNOHANG;
    struct rusage ru;
    struct rusage *rup = req->rusage ? &ru : NULL;
    if (req->kind == HX_WAIT4) {
        int status = 0;
        pid_t r = wait4((pid_t)req->id, &status, options, rup);
        if (r < 0)
            return -errno;
        if (r > 0 && req->out && hx_copy_to_guest(&vm->g, req->out, &status, sizeof(status)))
            return -EFAULT;
        if (r > 0 && rup && hx_copy_to_guest(&vm->g, req->rusage, rup, sizeof(ru)))
            return -EFAULT;
        return r;
    }
    if (req->kind != HX_WAITID || req->idtype > P_PGID) /* no pidfds in the guest */
        return -EINVAL;
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (syscall(SYS_waitid, (int)req->idtype, (pid_t)req->id, &si, options, rup) < 0)
        return -errno;
    /* Linux writes these fields, found or not: signo, errno, code, then
     * pid, uid, status. */
    if (req->out && (hx_copy_to_guest(&vm->g, req->out, &si, 12) ||
                     hx_copy_to_guest(&vm->g, req->out + 16, (char *)&si + 16, 12)))
        return -EFAULT;
    if (si.si_pid && rup && hx_copy_to_guest(&vm->g, req->rusage, rup, sizeof(ru)))
        return -EFAULT;
    return si.si_pid;
}

/* ---- signals ------------------------------------------------------------- */

/* Sends the program's signal sig to the process pid of the run. */
static int send_one(pid_t pid, int sig, int code, uint64_t value)
{
    int r;
    if (sig == 0 || sig == SIGKILL || sig == SIGSTOP || sig == SIGCONT) {
        /* These the host acts on itself (a stopped monitor stops its VM);
         * SIGCONT also reaches the program, forwarded. */
        r = kill(pid, sig);
    } else {
        r = send_wrapped(pid, sig, code, getpid(), value);
    }
    return r < 0 ? -errno : 0;
}

int64_t hx_hc_kill(struct hx_vm *vm, const struct hx_hc_kill_req *req)
{
    (void)vm;
    static const int codes[] = {
        [HX_KILL] = SI_USER, [HX_TGKILL] = SI_TKILL, [HX_SIGQUEUE] = SI_QUEUE};
    if (req->kind > HX_STOP_SELF)
        return -EINVAL;
    /* The signal number is checked once the target is found (Linux's
     * order: ESRCH before EINVAL). */
    int sig = req->sig > 64 ? -1 : (int)req->sig;
    if (req->kind == HX_STOP_SELF) {
        /* The host's default action for these is to stop: the whole
         * monitor stops, its parent's wait sees which signal did it, and
         * SIGCONT continues it (and is forwarded to the program). */
        if (sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
            return -EINVAL;
        return raise(sig) ? -errno : 0;
    }
    int code = codes[req->kind];
    int64_t pid = req->pid;
    if (pid > 0 && pid <= INT_MAX) {
        /* A thread of another process: only its first, whose tid is its pid. */
        if (!run_member((pid_t)pid) || (req->kind == HX_TGKILL && req->tid != pid))
            return -ESRCH;
        return sig < 0 ? -EINVAL : send_one((pid_t)pid, sig, code, req->value);
    }
    if (req->kind != HX_KILL || pid < -INT_MAX)
        return -ESRCH;
    /* A group (0: the caller's), or every process of the run but the
     * caller (-1): found in /proc, each checked to be of the run. */
    pid_t pgrp = pid == 0 ? getpgrp() : pid == -1 ? 0 : (pid_t)-pid;
    DIR *d = opendir("/proc");
    if (!d)
        return -EAGAIN;
    int found = 0, err = -ESRCH;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long p = strtol(e->d_name, &end, 10);
        if (*end || p <= 0 || p > INT_MAX)
            continue;
        if (pgrp && getpgid((pid_t)p) != pgrp)
            continue;
        if (p == getpid()) {
            if (pid != -1 && sig >= 0)
                found |= HX_KILL_SELF;
            else if (pid != -1)
                err = -EINVAL;
            continue;
        }
        if (!run_member((pid_t)p))
            continue;
        int r = sig < 0 ? -EINVAL : send_one((pid_t)p, sig, code, req->value);
        if (r == 0)
            found |= HX_KILL_SENT;
        else
            err = r;
    }
    closedir(d);
    return found ? found : err;
}

int64_t hx_hc_subreaper(struct hx_vm *vm, const struct hx_hc_subreaper_req *req)
{
    (void)vm;
    if (req->set)
        return prctl(PR_SET_CHILD_SUBREAPER, req->value != 0) < 0 ? -errno : 0;
    int on = 0;
    return prctl(PR_GET_CHILD_SUBREAPER, &on) < 0 ? -errno : on;
}

/* ---- credentials ----------------------------------------------------------- */

/* The ids the guest answers getuid, geteuid, getgid and getegid from. */
static void publish_ids(struct hx_vm *vm)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    if (!syscall(SYS_getresuid, &r, &e, &s) && !syscall(SYS_getresgid, &gr, &ge, &gs)) {
        vm->boot->uid = r;
        vm->boot->euid = e;
        vm->boot->gid = gr;
        vm->boot->egid = ge;
    }
}

int64_t hx_hc_cred(struct hx_vm *vm, const struct hx_hc_cred_req *req)
{
    /* Raw system calls: the vCPU thread is the one whose credentials open
     * the guest's host files (glibc's wrappers would change every thread,
     * which the monitor's other threads do not need). */
    long r;
    switch (req->nr) {
    case SYS_setuid:
    case SYS_setgid:
    case SYS_setfsuid:
    case SYS_setfsgid:
        r = syscall((long)req->nr, (unsigned)req->a);
        break;
    case SYS_setreuid:
    case SYS_setregid:
        r = syscall((long)req->nr, (unsigned)req->a, (unsigned)req->b);
        break;
    case SYS_setresuid:
    case SYS_setresgid:
        r = syscall((long)req->nr, (unsigned)req->a, (unsigned)req->b, (unsigned)req->c);
        break;
    case SYS_getresuid:
    case SYS_getresgid: {
        unsigned id[3];
        if (syscall((long)req->nr, &id[0], &id[1], &id[2]) < 0)
            return -errno;
        if (hx_copy_to_guest(&vm->g, req->a, &id[0], 4) ||
            hx_copy_to_guest(&vm->g, req->b, &id[1], 4) ||
            hx_copy_to_guest(&vm->g, req->c, &id[2], 4))
            return -EFAULT;
        return 0;
    }
    case SYS_getgroups:
    case SYS_setgroups: {
        int n = (int)req->a;
        if (n < 0 || n > 65536)
            return -EINVAL;
        static gid_t list[65536];
        if (req->nr == SYS_getgroups) {
            r = syscall(SYS_getgroups, n, list);
            if (r > 0 && n && hx_copy_to_guest(&vm->g, req->b, list, (uint64_t)r * sizeof(gid_t)))
                return -EFAULT;
            return r < 0 ? -errno : r;
        }
        if (n && hx_copy_from_guest(&vm->g, list, req->b, (uint64_t)n * sizeof(gid_t)))
            return -EFAULT;
        r = syscall(SYS_setgroups, n, list);
        break;
    }
    default:
        return -ENOSYS;
    }
    int err = errno;
    publish_ids(vm);
    /* setfsuid and setfsgid answer the previous id, and no error. */
    return r < 0 ? -err : r;
}

/* ---- process groups and sessions ------------------------------------------ */

int64_t hx_hc_pgrp(struct hx_vm *vm, const struct hx_hc_pgrp_req *req)
{
    (void)vm;
    pid_t pid = (pid_t)req->pid;
    if (req->pid < 0 || req->pid > INT_MAX)
        return req->op == HX_SETPGID ? -EINVAL : -ESRCH;
    if (pid && !run_member(pid))
        return -ESRCH;
    long r;
    switch (req->op) {
    case HX_SETPGID:
        if (req->pgid < 0 || req->pgid > INT_MAX)
            return -EINVAL;
        r = setpgid(pid, (pid_t)req->pgid);
        break;
    case HX_GETPGID:
        r = getpgid(pid);
        break;
    case HX_SETSID:
        r = setsid();
        break;
    case HX_GETSID:
        r = getsid(pid);
        break;
    default:
        return -EINVAL;
    }
    return r < 0 ? -errno : r;
}

/* ---- the end ---------------------------------------------------------------- */

void hx_proc_exit(struct hx_vm *vm)
{
    hx_proc_vfork_done(vm);
    if (is_top)
        hx_run_dir_remove();
    int sig = vm->exit_signal;
    if (is_top || sig <= 0 || sig >= 32)
        return;
    /* No core file of the monitor (its guest RAM); the status still
     * names the signal. */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    kill(getpid(), sig);
    /* A signal whose default is to be ignored or to stop: what a shell
     * would report for it. */
    _exit(128 + sig);
}
