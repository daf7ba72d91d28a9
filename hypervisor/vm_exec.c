/* The VM's half of execve (DESIGN.md section 10): the process keeps its
 * pid, its monitor and the host fds the program keeps; the machine, its
 * memory and its kernel are made anew for the new program, as at the
 * start of a run. What the old kernel knew and Linux passes on (cwd,
 * umask, signal mask, ignored signals, limits) comes in struct hx_exec.
 *
 * Everything that can fail for the program's sake was checked before
 * (hc_proc.c): past the first change here there is no old program to
 * return to, and a failure ends the process, as Linux kills a process
 * whose exec fails that late. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fastcall_cache.h"
#include "hcall.h"
#include "hostfs.h"
#include "vm_internal.h"

/* The fastcall copies for the new program, when its host path is known:
 * the path its fd was opened by, if that path still leads to that file. */
static void fastcall_prepare(const struct hx_options *opt, int hostfd)
{
    char link[64], path[4096];
    struct stat a, b;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", hostfd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n <= 0 || path[0] != '/')
        return;
    path[n] = 0;
    if (fstat(hostfd, &a) || stat(path, &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return;
    hx_fastcall_prepare(opt, path);
}

/* The old machine goes: its vCPU and VM, the host files it had mapped,
 * and every host fd the new program does not keep. */
static void teardown(struct hx_vm *vm, const uint8_t *keep)
{
    munmap(vm->run, vm->run_size);
    close(vm->vcpu_fd);
    close(vm->vm_fd);
    for (int i = 0; i < HX_MAX_SLOTS; i++)
        if (vm->g.slots[i].hva)
            munmap(vm->g.slots[i].hva, vm->g.slots[i].size);
    memset(vm->g.slots, 0, sizeof(vm->g.slots));
    for (int h = 0; h < hx_hostfd_max; h++)
        if (vm->hostfd_owned[h] && !keep[h] && h > 2)
            close(h);
    /* Zero pages, as a fresh mapping has: the same mapping, so that the
     * timer thread's view of the shared page stays valid. */
    madvise(vm->g.ram, vm->g.ram_size, MADV_DONTNEED);
    vm->phys_next = vm->shared_next = 0;
}

int64_t hx_vm_exec(struct hx_vm *vm, const struct hx_exec *x)
{
    static struct hx_options o;
    static struct hx_inherit *inherited;
    o = *vm->opt;
    o.envp = x->envp;
    if (o.fastcall)
        fastcall_prepare(&o, x->prog_hostfd);
    uint8_t *keep = calloc((size_t)hx_hostfd_max, 1);
    struct hx_inherit *in = calloc(x->nfds + 1, sizeof(*in));
    if (!keep || !in) {
        free(keep);
        free(in);
        return -ENOMEM;
    }
    /* The new program's fds 0-2 are the console where they still are
     * hxrun's own 0-2; every other kept fd is passed as inherited. */
    int n = 0;
    for (int i = 0; i < 3; i++)
        o.console_flags[i] = -1;
    for (uint32_t i = 0; i < x->nfds; i++) {
        const struct hx_exec_fd *f = &x->fds[i];
        if (f->hostfd < 0) /* the new kernel opens it again */
            in[n++] = (struct hx_inherit){f->fd, -1, f->flags, f->path};
        else if (keep[f->hostfd] = 1,
                 f->fd < 3 && f->fd == f->hostfd && vm->opt->console_flags[f->fd] >= 0)
            o.console_flags[f->fd] = fcntl(f->fd, F_GETFL);
        else
            in[n++] = (struct hx_inherit){f->fd, f->hostfd, 0, NULL};
    }
    keep[x->prog_hostfd] = 1;
    if (x->interp_hostfd >= 0)
        keep[x->interp_hostfd] = 1;
    o.inherited = in;
    o.ninherited = n;

    /* The point of no return. */
    hx_proc_vfork_done(vm);
    teardown(vm, keep);
    free(inherited);
    inherited = in;
    uint8_t *old_owned = vm->hostfd_owned, *old_mount = vm->hostfd_mount;
    vm->opt = &o;
    int rc = hx_vm_build(vm);
    if (!rc) {
        /* Each kept fd as the guest had it: read-only, its mount. */
        for (uint32_t i = 0; i < x->nfds; i++) {
            int h = x->fds[i].hostfd;
            if (h < 0)
                continue;
            vm->hostfd_owned[h] = old_owned[h];
            vm->hostfd_mount[h] = old_mount[h];
        }
        free(old_owned);
        free(old_mount);
        struct hx_boot_info *b = vm->boot;
        snprintf(b->cwd, sizeof(b->cwd), "%s", x->cwd);
        b->umask = x->umask;
        b->nice = x->nice;
        b->sig_blocked = x->sig_blocked;
        b->sig_ignored = x->sig_ignored;
        b->sig_pending = x->sig_pending;
        memcpy(b->rlimits, x->rlimits, sizeof(b->rlimits));
        hx_hostfs_publish(vm);
        char file[64], interp[64];
        snprintf(file, sizeof(file), "/proc/self/fd/%d", x->prog_hostfd);
        snprintf(interp, sizeof(interp), "/proc/self/fd/%d", x->interp_hostfd);
        static char execfn[4096];
        snprintf(execfn, sizeof(execfn), "%s", x->execfn);
        struct hx_load l = {.file = file,
                            .interp_file = x->interp_hostfd >= 0 ? interp : NULL,
                            .execfn = execfn,
                            .exe = x->exe,
                            .argv = x->argv,
                            .envp = x->envp};
        rc = hx_vm_load(vm, &l);
    }
    free(keep);
    close(x->prog_hostfd);
    vm->hostfd_owned[x->prog_hostfd] = 0;
    if (x->interp_hostfd >= 0) {
        close(x->interp_hostfd);
        vm->hostfd_owned[x->interp_hostfd] = 0;
    }
    if (rc) {
        /* One line was printed. */
        _exit(rc);
    }
    hx_vm_start_clock(vm);
    hx_sched_after_exec(vm);
    return 0;
}
