/* The hx virtual machine: one KVM VM with one vCPU, guest RAM, and the
 * state every host service needs. */
#ifndef HX_VM_H
#define HX_VM_H

#include <linux/kvm.h>
#include <stdint.h>

#include "guest_mem.h"
#include "hx/abi.h"

/* Host fd numbers: the guest's are below HX_MAX_HOSTFDS, set at run time
 * (hx_fds_init) from the hard RLIMIT_NOFILE, to which the monitor raises
 * its own; the monitor's own fds (KVM, mounts) take the HX_MONITOR_FDS
 * numbers above. */
#define HX_MAX_HOSTFDS hx_hostfd_max
#define HX_HOSTFD_CAP (1 << 20) /* Linux's default fs.nr_open */
#define HX_MONITOR_FDS (HX_MAX_MOUNTS + 64)
extern int hx_hostfd_max;
#define HX_FD_OWNED 1
#define HX_FD_OWNED_RO 2

/* hx_options.fastcall: off, on by default (quietly off when it cannot
 * be), or asked for with --fastcall (warns when it cannot be). */
#define HX_FASTCALL_OFF 0
#define HX_FASTCALL_DEFAULT 1
#define HX_FASTCALL_ASKED 2

/* An fd hxrun inherited: the guest's number, and the host fd behind it. */
struct hx_inherit {
    int fd, hostfd;
    /* hostfd -1 (after an execve): a file of the guest's own, opened
     * again by its kernel at path with flags. */
    int flags;
    const char *path;
};

struct hx_options {
    uint64_t mem_size;
    int strace, stats;
    const char *kernel_path; /* NULL: the embedded kernel */
    struct hx_volume {
        const char *host, *guest;
        int ro;
    } volumes[HX_MAX_MOUNTS];
    int nvolumes;
    int no_host_root;
    int tmpfs_tmp;              /* --tmpfs /tmp: the guest's RAM /tmp, not the host's */
    const char *script;         /* the #! script hxrun was asked to run, or NULL */
    int net_none;               /* --net=none: no AF_INET/AF_INET6 sockets */
    int fastcall;               /* run rewritten copies (fastcall_cache.c): HX_FASTCALL_* */
    const char *fastcall_cache; /* --fastcall-cache DIR, else the XDG default */
    char **envp;
    /* The host's fds 0-2 as hxrun found them (F_GETFL, -1 when closed). */
    int console_flags[3];
    /* RLIMIT_NOFILE as hxrun was given it (the guest's), before
     * hx_fds_init raised the monitor's own. */
    uint64_t nofile_cur, nofile_max;
    /* The fds above 2 hxrun inherited (hx_fds_init). */
    struct hx_inherit *inherited;
    int ninherited;
};

struct hx_vm {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    struct hx_guest g;
    struct hx_boot_info *boot;
    const struct hx_options *opt;
    const char *prog;     /* as the user named it */
    char interp[256];     /* the program's PT_INTERP, "" for static programs */
    uint64_t phys_next;   /* monitor's bump allocator, before boot */
    uint64_t shared_next; /* next guest physical base for a shared mapping */
    /* Host fds the guest may name: 0-2, those hxrun inherited and the files
     * it opened (HX_FD_OWNED, or HX_FD_OWNED_RO for a read-only mount or
     * the console, whose attributes the guest may not change), and the
     * mount each host file was opened through (hx_mount.id; 0 for sockets,
     * the console and anything else). HX_MAX_HOSTFDS entries each. */
    uint8_t *hostfd_owned, *hostfd_mount;
    /* The guest's interrupt (hc_sched.c): wanted, and whether the vCPU is
     * inside a host wait (then no interrupt is needed); in_service: inside
     * any hypercall (the wedged-guest guard's view). */
    volatile int irq_pending, in_hcall, in_service;
    /* The guest kernel has not yet made its first hypercall (at boot, and
     * after an execve): it starts with interrupts on but no stack and no
     * IDT, so an interrupt now would be a triple fault; signals wait. */
    volatile int booting;
    volatile uint64_t kvm_runs; /* KVM_RUN calls: the guest got the CPU */
    int exit_status;            /* set by the hypercall that ended the guest (HX_HC_DONE) */
    int exit_signal;            /* and the signal that killed it, or 0 */
    /* Statistics. */
    uint64_t exits_by_reason[64], hcalls[HX_HC_NR], exits_total, irqs_injected;
    struct hx_stats guest_stats;
    int have_guest_stats;
};

/* Before anything is opened: raises the monitor's RLIMIT_NOFILE, sets
 * hx_hostfd_max, and finds the fds hxrun inherited (fds 0-2 are open). */
void hx_fds_init(struct hx_options *opt);

/* Moves a monitor-private fd (KVM, mounts) far above the guest's host fds,
 * so that no guest request can name or reuse it. Returns the new fd. */
int hx_high_fd(int fd);
/* What the guest kernel needs to know of host fd host to make it a file:
 * flags, socket domain, whether a read can wait, its path (hcall.c). */
void hx_describe_fd(int host, struct hx_inherited_fd *e);

/* Creates the VM and builds the machine; returns 0, or prints one error
 * line and returns the exit status hxrun should end with. */
int hx_vm_create(struct hx_vm *vm, const struct hx_options *opt);

/* Builds the process image of prog in the VM: returns 0 or prints one error
 * line and returns an exit status (126/127 for bad programs). */
int hx_vm_load_program(struct hx_vm *vm, const char *prog, char **argv);

/* What hx_vm_load needs: the files to read (the program, its interpreter,
 * NULL: its PT_INTERP as a host path), the name it was run by (AT_EXECFN,
 * messages), its absolute path (/proc/self/exe; NULL: file's realpath),
 * and its arguments and environment. */
struct hx_load {
    const char *file, *interp_file, *execfn, *exe;
    char **argv, **envp;
};
int hx_vm_load(struct hx_vm *vm, const struct hx_load *l);

/* execve (vm_exec.c): replaces the machine and memory with a new one for
 * the program in x; 0 (the new program runs), -errno before anything
 * changed, or it ends the process when the new machine cannot be made. */
struct hx_exec {
    int prog_hostfd, interp_hostfd; /* opened by the guest; interp -1: none */
    char **argv, **envp;
    char *execfn, *exe, *cwd;
    struct hx_exec_fd *fds; /* the fds that stay, checked */
    uint32_t nfds;
    int umask, nice;
    uint64_t sig_blocked, sig_ignored, sig_pending;
    struct {
        uint64_t cur, max;
    } rlimits[HX_NRLIMITS];
};
int64_t hx_vm_exec(struct hx_vm *vm, const struct hx_exec *x);

/* Forks the monitor and its VM (vm_fork.c): the parent gets the child's
 * pid, the child 0 and a VM of its own whose vCPU goes on from the same
 * state over a copy-on-write copy of guest RAM (log_dirty: KVM logs the
 * pages it writes); -EAGAIN or -ENOMEM when the host refuses. */
int64_t hx_vm_fork(struct hx_vm *vm, int log_dirty);

/* Runs the guest to its end; returns hxrun's exit status. */
int hx_vm_run(struct hx_vm *vm);

#endif
