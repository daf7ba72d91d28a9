/* Processes: fork, vfork and clone without CLONE_VM, wait4 and waitid,
 * process groups and sessions (DESIGN.md section 10). Every process is a
 * VM of its own: fork is the monitor forking itself, whose child builds a
 * new VM over a copy-on-write copy of this one's memory and returns here
 * with 0. So pids are host pids, and waiting, groups, sessions and SIGCHLD
 * are the host's; this file drops, in the child, what a child does not
 * inherit, and makes a thread that must wait for a child wait in the
 * scheduler (other threads run) until the host's SIGCHLD. */
#include "heap.h"
#include "uapi/sched.h"
#include "uapi/wait.h"
#include "vfs.h"

/* ---- fork ---------------------------------------------------------------- */

#define PROCESS_FLAGS                                                                              \
    (CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |            \
     CLONE_CHILD_CLEARTID | 0xff /* exit signal */)

/* In the new process: only the calling thread goes on, and nothing
 * pending or armed is inherited (POSIX, fork(2)). */
static void fork_child(void)
{
    sched_fork_child();
    signal_fork_child();
    futex_fork_child();
    time_fork_child();
    boot->live.pdeathsig = 0;
    memset(&kstats, 0, sizeof(kstats));
}

long process_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                   uint64_t tls)
{
    if (flags & ~(uint64_t)PROCESS_FLAGS) {
        kwarn("clone flags 0x%lx are not supported for a new process",
              flags & ~(uint64_t)PROCESS_FLAGS);
        return -EINVAL;
    }
    /* CLONE_VM only with CLONE_VFORK: the parent waits meanwhile, and what
     * the child writes into the program's memory reaches the parent's when
     * it execs or ends (hc_proc.c); a thread is CLONE_THREAD (thread.c). */
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
        kwarn("clone with CLONE_VM but neither CLONE_THREAD nor CLONE_VFORK is not supported");
        return -EINVAL;
    }
    if ((flags & CLONE_PARENT_SETTID) && !user_ok((void *)parent_tid, 4, 1))
        return -EFAULT;
    if ((flags & CLONE_CHILD_SETTID) && !user_ok((void *)child_tid, 4, 1))
        return -EFAULT;
    if ((flags & CLONE_SETTLS) && tls >= HX_USER_TOP)
        return -EPERM;
    /* Guest pipes become host pipes, which both processes reach. */
    long r = pipe_share_all();
    if (r < 0)
        return r;
    long pid = HC(fork, .vfork = (flags & CLONE_VFORK) != 0, .share = (flags & CLONE_VM) != 0);
    if (pid < 0)
        return pid;
    if (pid > 0) {
        if (flags & CLONE_PARENT_SETTID)
            *(uint32_t *)parent_tid = (uint32_t)pid;
        return pid;
    }
    fork_child();
    if (!(flags & CLONE_VM)) /* a vfork child shares the memory */
        mm_fork_child();
    if (flags & CLONE_CHILD_SETTID)
        *(uint32_t *)child_tid = (uint32_t)boot->pid;
    current->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? child_tid : 0;
    if (flags & CLONE_SETTLS)
        __asm__ volatile("wrfsbase %0" ::"r"(tls));
    /* A new stack (posix_spawn's clone): the child returns onto it. A
     * fastcall's trampoline adds HX_FASTCALL_RSP_STEP to rsp after the
     * call, so its child starts that much lower. */
    if (stack)
        current->frame->rsp = stack - (current->frame->fast ? HX_FASTCALL_RSP_STEP : 0);
    return 0;
}

SYSCALL(fork)
{
    return process_clone(SIGCHLD, 0, 0, 0, 0);
}

SYSCALL(vfork)
{
    return process_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

/* ---- execve -------------------------------------------------------------- */

#define EXEC_DEPTH 5    /* a program and four #! interpreters, as Linux allows */
#define SHEBANG_MAX 256 /* Linux's BINPRM_BUF_SIZE: a #! line is read from this much */
#define ARGV_EXTRA 2    /* what a #! line adds to the arguments: interpreter, argument */

/* What execve works on, in kernel memory (kmalloc'd: too big for a stack). */
struct exec_state {
    char path[PATH_MAX];  /* the file being looked at */
    char first[PATH_MAX]; /* the path execve was given (AT_EXECFN) */
    char exe[PATH_MAX];   /* the ELF's absolute path */
    char interp[PATH_MAX];
    char head[SHEBANG_MAX + 1];
    char words[EXEC_DEPTH][2][SHEBANG_MAX]; /* each #! line's interpreter and argument */
    struct hx_exec_info info;
};

/* Opens a file to run (guest view of the files): its fd, or -errno; the
 * file must be a host file, which the monitor can load, and one the host
 * lets us execute (checked first, as Linux's open for exec does). The
 * check looks the path up as the open did, following the guest's own
 * links too (/proc/self/exe, which busybox sh runs its applets by). */
static long exec_open(int dirfd, const char *path, int nofollow, char *resolved)
{
    /* O_NONBLOCK: a FIFO must not hold the open up (it is refused below). */
    long fd =
        file_open(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
    if (fd < 0)
        return fd;
    long r = 0;
    struct kstat st;
    int hostfd = fd_get((uint64_t)fd)->hostfd;
    if (hostfd < 0) {
        /* A directory, a device or a RAM /tmp file: only a regular file on
         * the host can be loaded by the monitor (Linux: EACCES for the
         * first two). */
        static int warned;
        if (!warned++ && !strncmp(path, "/tmp/", 5))
            kwarn("execve of %s: only files on the host can be run yet", path);
        r = -EACCES;
    } else if ((r = HC(fstat, .hostfd = (uint64_t)hostfd, .statbuf = (uint64_t)&st)) == 0 &&
               (st.mode & S_IFMT) != S_IFREG) {
        r = -EACCES; /* Linux's answer for a directory, FIFO or device */
    } else if (!r) {
        static struct loc l; /* scratch (vfs.h): nothing here waits */
        r = lookup(dirfd, path, 0, !nofollow, &l);
        while (!r && l.mnt == M_HOST &&
               (r = HC(access, .path = (uint64_t)l.path, .mode = X_OK,
                       .at_flags = AT_EACCESS | (nofollow ? AT_SYMLINK_NOFOLLOW : 0))) ==
                   -HX_EREDIRECT)
            r = lookup_again(&l, !nofollow);
        if (!r && l.mnt != M_HOST)
            r = -EACCES;
        /* The path the guest's own links (/proc/self/exe) led to. */
        if (!r && resolved)
            memcpy(resolved, l.path, PATH_MAX);
        loc_done(&l);
    }
    if (r) {
        sys_close((uint64_t)fd, 0, 0, 0, 0, 0);
        return r;
    }
    return fd;
}

/* The #! line in head (n bytes): the interpreter and its one optional
 * argument, as Linux's binfmt_script splits it. 0, or -ENOEXEC. */
static long shebang(char *head, long n, char *interp, char *arg)
{
    head[n] = 0;
    char *end = strchr(head, '\n');
    if (!end) {
        /* A line longer than the buffer: the interpreter must have ended
         * within it (Linux refuses a truncated one). */
        end = head + n;
    }
    *end = 0;
    char *p = head + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    char *q = p;
    while (*q && *q != ' ' && *q != '\t')
        q++;
    if (q == p || (!*q && end == head + n && n == SHEBANG_MAX))
        return -ENOEXEC;
    size_t len = (size_t)(q - p);
    memcpy(interp, p, len);
    interp[len] = 0;
    while (*q == ' ' || *q == '\t')
        q++;
    /* The rest of the line, trailing blanks cut, is one argument. */
    char *e = q + strlen(q);
    while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    memcpy(arg, q, (size_t)(e - q));
    arg[e - q] = 0;
    return 0;
}

/* The PT_INTERP of the ELF at fd, into out ("" for none): 0, or -errno. */
static long elf_interp(int fd, const uint8_t *h, long n, char *out)
{
    out[0] = 0;
    if (n < 64 || memcmp(h, "\177ELF", 4))
        return -ENOEXEC;
    uint64_t phoff;
    uint16_t phentsize, phnum;
    memcpy(&phoff, h + 32, 8);
    memcpy(&phentsize, h + 54, 2);
    memcpy(&phnum, h + 56, 2);
    if (h[4] != 2 || h[5] != 1 || phentsize != 56 || phnum > 256)
        return -ENOEXEC; /* the monitor's loader says more; these it needs here */
    for (uint16_t i = 0; i < phnum; i++) {
        uint32_t ph[14];
        if (fs_read_at(fd, ph, sizeof(ph), phoff + (uint64_t)i * 56) != sizeof(ph))
            return -ENOEXEC;
        if (ph[0] != 3) /* PT_INTERP */
            continue;
        uint64_t off, size;
        memcpy(&off, &ph[2], 8);
        memcpy(&size, &ph[8], 8);
        if (size < 2 || size > PATH_MAX)
            return -ENOEXEC;
        if (fs_read_at(fd, out, size, off) != (long)size || out[size - 1])
            return -ENOEXEC;
        return 0;
    }
    return 0;
}

/* Whether exec passes f on: a host fd (guest pipes became host pipes), or
 * a file of the guest's own that has a path to open it by again (/dev,
 * /proc, a RAM /tmp: its offset starts again at 0). */
static int exec_keeps(const struct file *f)
{
    return f->hostfd >= 0 || f->path[0] == '/';
}

/* The fds the new program keeps (those without FD_CLOEXEC), as the
 * monitor needs them; *count: how many the array has room for. */
static long exec_fds(struct hx_exec_info *info, int *count)
{
    long r = pipe_share_all();
    if (r < 0)
        return r;
    int n = fd_limit(), kept = 0;
    for (int fd = 0; fd < n; fd++) {
        struct file *f = fd_get((uint64_t)fd);
        kept += f && !fd_cloexec((uint64_t)fd) && exec_keeps(f);
    }
    *count = kept ? kept : 1;
    struct hx_exec_fd *v = kmalloc((size_t)*count * sizeof(*v));
    if (!v)
        return -ENOMEM;
    kept = 0;
    for (int fd = 0; fd < n; fd++) {
        struct file *f = fd_get((uint64_t)fd);
        if (!f || fd_cloexec((uint64_t)fd))
            continue;
        if (!exec_keeps(f)) {
            static int warned;
            if (!warned++)
                kwarn("execve: fd %d is not passed on (an eventfd, epoll, timerfd or signalfd "
                      "is not yet)",
                      fd);
            continue;
        }
        struct hx_exec_fd *e = &v[kept++];
        memset(e, 0, sizeof(*e));
        e->fd = fd;
        e->hostfd = f->hostfd;
        if (f->hostfd < 0) {
            e->flags = (int32_t)(f->flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));
            memcpy(e->path, f->path, sizeof(e->path));
        }
    }
    info->fds = (uint64_t)v;
    info->nfds = (uint32_t)kept;
    return 0;
}

static long do_execve(int dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp, uint64_t flags)
{
    if (flags & ~(uint64_t)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    long len = user_strlen((const char *)upath, PATH_MAX);
    if (len < 0)
        return len;
    struct exec_state *x = kmalloc(sizeof(*x));
    uint64_t *argv = NULL;
    size_t argv_size = 0;
    int nfds_alloc = 0;
    if (!x)
        return -ENOMEM;
    memset(&x->info, 0, sizeof(x->info));
    memcpy(x->path, (const void *)upath, (size_t)len + 1);
    long r = 0, fd = -1, ifd = -1;
    int nofollow = (flags & AT_SYMLINK_NOFOLLOW) != 0;
    if (!len) {
        /* fexecve: the file dirfd is open on, named as Linux names it. */
        if (!(flags & AT_EMPTY_PATH)) {
            r = -ENOENT;
            goto out;
        }
        if (!fd_get((uint64_t)dirfd)) {
            r = -EBADF;
            goto out;
        }
        ksnprintf(x->path, sizeof(x->path), "/proc/self/fd/%d", dirfd);
        dirfd = AT_FDCWD;
        nofollow = 0;
    }
    memcpy(x->first, x->path, sizeof(x->first));
    /* #! lines, outermost first: each puts its interpreter, argument and
     * script before the arguments the script had (its argv[0] goes). */
    int depth = 0;
    long n;
    for (;; depth++) {
        if (depth == EXEC_DEPTH) {
            r = -ELOOP;
            goto out;
        }
        if ((fd = exec_open(dirfd, x->path, nofollow, x->exe)) < 0) {
            r = fd;
            goto out;
        }
        /* exec_open took only a regular file: a read error is the host's. */
        if ((n = fs_read_at((int)fd, x->head, SHEBANG_MAX, 0)) < 0) {
            r = n;
            goto out;
        }
        if (n < 2 || x->head[0] != '#' || x->head[1] != '!')
            break;
        if ((r = shebang(x->head, n, x->words[depth][0], x->words[depth][1])))
            goto out;
        sys_close((uint64_t)fd, 0, 0, 0, 0, 0);
        fd = -1;
        memcpy(x->path, x->words[depth][0], strlen(x->words[depth][0]) + 1);
        dirfd = AT_FDCWD;
        nofollow = 0;
    }
    /* The ELF's header is what the last read brought. */
    if ((r = elf_interp((int)fd, (const uint8_t *)x->head, n, x->interp)))
        goto out;
    if (x->interp[0] && (ifd = exec_open(AT_FDCWD, x->interp, 0, NULL)) < 0) {
        r = ifd;
        goto out;
    }
    /* argv: as given, or with each #! line's words and script path first. */
    if (!depth) {
        x->info.argv = uargv;
    } else {
        size_t old = 0;
        for (; uargv; old++) {
            if (!user_ok((void *)(uargv + 8 * old), 8, 0)) {
                r = -EFAULT;
                goto out;
            }
            if (!((uint64_t *)uargv)[old] || old > (1u << 20))
                break;
        }
        argv_size = (old + 1 + (size_t)depth * ARGV_EXTRA) * 8;
        if (!(argv = kmalloc(argv_size))) {
            r = -ENOMEM;
            goto out;
        }
        /* Round d replaced argv[0] by its interpreter, argument and file
         * (the path execve was given, then each interpreter in turn):
         * the last interpreter, then each round's argument and file. */
        size_t k = 0;
        argv[k++] = (uint64_t)x->words[depth - 1][0];
        for (int d = depth - 1; d >= 0; d--) {
            if (x->words[d][1][0])
                argv[k++] = (uint64_t)x->words[d][1];
            argv[k++] = d ? (uint64_t)x->words[d - 1][0] : (uint64_t)x->first;
        }
        for (size_t i = 1; i < old; i++)
            argv[k++] = ((uint64_t *)uargv)[i];
        argv[k] = 0;
        x->info.argv = (uint64_t)argv;
    }
    x->info.envp = uenvp;
    x->info.execfn = (uint64_t)x->first;
    x->info.exe = (uint64_t)x->exe;
    x->info.cwd = (uint64_t)cwd_path();
    x->info.prog_hostfd = fd_get((uint64_t)fd)->hostfd;
    x->info.interp_hostfd = ifd >= 0 ? fd_get((uint64_t)ifd)->hostfd : -1;
    x->info.umask = (int32_t)umask_bits;
    x->info.sig_blocked = current->sigmask;
    x->info.sig_pending = signal_pending_set(); /* kept by execve (POSIX) */
    for (int sig = 1; sig <= NSIG; sig++)
        if (signal_disposition(sig) == 1)
            x->info.sig_ignored |= 1ull << (sig - 1);
    memcpy(x->info.rlimits, boot->rlimits, sizeof(x->info.rlimits));
    x->info.nice = boot->nice;
    if ((r = exec_fds(&x->info, &nfds_alloc)) < 0)
        goto out;
    r = HC(exec, .info = (uint64_t)&x->info);
    /* Here only when it failed: the program goes on as it was. */
out:
    if (fd >= 0)
        sys_close((uint64_t)fd, 0, 0, 0, 0, 0);
    if (ifd >= 0)
        sys_close((uint64_t)ifd, 0, 0, 0, 0, 0);
    if (argv)
        kfree(argv, argv_size);
    if (x->info.fds)
        kfree((void *)x->info.fds, (size_t)nfds_alloc * sizeof(struct hx_exec_fd));
    kfree(x, sizeof(*x));
    return r;
}

SYSCALL(execve)
{
    return do_execve(AT_FDCWD, a0, a1, a2, 0);
}

SYSCALL(execveat)
{
    return do_execve((int)a0, a1, a2, a3, a4);
}

/* ---- wait ---------------------------------------------------------------- */

/* Threads waiting for a child to change state, woken by each SIGCHLD the
 * host sends (process_child_event); each then asks the host again. */
struct child_waiter {
    struct thread *t;
    struct child_waiter *next;
};
static struct child_waiter *child_waiters;
static uint32_t child_events;

void process_child_event(void)
{
    child_events++;
    for (struct child_waiter *w = child_waiters; w; w = w->next)
        sched_wake(w->t, WAKE_EVENT);
}

/* The host's answer (> 0: a child, 0: none yet but some may come), or
 * with a blocking wait, the first answer that is not 0. */
static long wait_child(uint64_t kind, int64_t id, uint64_t idtype, uint64_t options, uint64_t out,
                       uint64_t rusage)
{
    for (;;) {
        uint32_t seen = child_events;
        long r = HC(wait_child, .kind = kind, .id = id, .idtype = idtype,
                    .options = options & ~(uint64_t)WNOHANG, .out = out, .rusage = rusage);
        if (r != 0 || (options & WNOHANG))
            return r;
        if (seen != child_events)
            continue; /* a SIGCHLD came meanwhile */
        struct child_waiter w = {current, child_waiters};
        child_waiters = &w;
        enum wake_reason why = sched_block(0, 1);
        for (struct child_waiter **p = &child_waiters; *p; p = &(*p)->next)
            if (*p == &w) {
                *p = w.next;
                break;
            }
        if (why == WAKE_SIGNAL)
            return -ERESTARTSYS;
    }
}

SYSCALL(wait4)
{
    uint64_t known = WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE;
    if (a2 & ~known)
        return -EINVAL;
    if ((int)a0 == -0x7fffffff - 1) /* -INT_MIN names no group */
        return -ESRCH;
    return wait_child(HX_WAIT4, (int)a0, 0, a2, a1, a3);
}

SYSCALL(waitid)
{
    uint64_t known =
        WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE;
    if ((a3 & ~known) || !(a3 & (WEXITED | WSTOPPED | WCONTINUED)))
        return -EINVAL;
    if (a0 == P_PIDFD)
        return -EBADF; /* the guest has no pidfds */
    if (a0 > P_PIDFD)
        return -EINVAL;
    long r = wait_child(HX_WAITID, (int)a1, a0, a3, a2, a4);
    return r < 0 ? r : 0;
}

/* ---- process groups and sessions -------------------------------------------- */

SYSCALL(setpgid)
{
    if ((int)a0 < 0 || (int)a1 < 0)
        return -EINVAL;
    return HC(pgrp, .op = HX_SETPGID, .pid = (int)a0, .pgid = (int)a1);
}

SYSCALL(getpgid)
{
    if ((int)a0 < 0)
        return -ESRCH;
    return HC(pgrp, .op = HX_GETPGID, .pid = (int)a0);
}

SYSCALL(getpgrp)
{
    return HC(pgrp, .op = HX_GETPGID, .pid = 0);
}

SYSCALL(setsid)
{
    return HC(pgrp, .op = HX_SETSID);
}

SYSCALL(getsid)
{
    if ((int)a0 < 0)
        return -ESRCH;
    return HC(pgrp, .op = HX_GETSID, .pid = (int)a0);
}

/* ---- SIGCHLD's disposition ----------------------------------------------------- */

static int noreap_told;

/* A SIGCHLD ignored, or handled with SA_NOCLDWAIT, means children leave no
 * zombie: the host's monitor must reap them likewise. */
void process_child_action(void)
{
    struct ksigaction a;
    signal_action(SIGCHLD, NULL, &a);
    int noreap = a.handler == SIG_IGN || (a.flags & SA_NOCLDWAIT);
    if (noreap != noreap_told) {
        HC(child_signal, .noreap = (uint64_t)noreap);
        noreap_told = noreap;
    }
}
