/* Hypercall dispatch: one handler per HX_HC_* number. */
#ifndef HX_HCALL_H
#define HX_HCALL_H

#include <poll.h>
#include <signal.h>

#include "vm.h"

/* Returned by a handler when the guest has ended; the handler stored the
 * exit status in vm->exit_status. */
#define HX_HC_DONE INT64_MIN
/* Returned by a handler after which the request block is gone (execve
 * replaced guest memory): no answer is written. */
#define HX_HC_NORETURN (INT64_MIN + 1)

/* Handles the request at guest physical address gpa. Returns 1 when the
 * guest has ended (exit status in *status), else 0. */
int hx_hcall_dispatch(struct hx_vm *vm, uint64_t gpa, int *status);

/* The handlers, one per line of hx/hcalls.h, in the file of the host service
 * that owns them (hc_system.c, hc_io.c, hc_files.c, hc_shared.c, hc_sched.c,
 * hc_net.c): each takes its request, copied out of guest memory (every field
 * still the guest's to choose), and returns the answer (a value or -errno)
 * or HX_HC_DONE. */
#define HCALL(nr, NAME, name)                                                                      \
    int64_t hx_hc_##name(struct hx_vm *vm, const struct hx_hc_##name##_req *req);
#include "hx/hcalls.h"
#undef HCALL

/* The guest's interrupt and host signals (hc_sched.c). */
int hx_sched_start(struct hx_vm *vm);
/* In a fork's child: its own eventfds and kick timer, no timer thread yet,
 * no pending host signal. 0, or 1 with one line printed. */
int hx_sched_after_fork(struct hx_vm *vm);

/* Signals between processes of the run (hc_proc.c sends them, hc_sched.c
 * takes them): a signal the monitor cannot forward as itself (its own
 * SIGALRM, SIGURG, SIGSEGV..., or one whose si_code must be SI_TKILL or
 * SI_QUEUE) travels as HX_SIG_WRAP, queued with rt_sigqueueinfo, with the
 * program's signal and si_code in siginfo bytes the kernel passes along
 * untouched (after si_value). */
#define HX_SIG_WRAP (SIGRTMAX)
#define HX_SIG_PARENT (SIGRTMAX - 1) /* PR_SET_PDEATHSIG of child monitors */
static inline void hx_wrap_set(siginfo_t *si, int signo, int code)
{
    ((int *)si)[8] = signo;
    ((int *)si)[9] = code;
}
static inline int hx_wrapped_signo(const siginfo_t *si)
{
    return ((const int *)si)[8];
}
static inline int hx_wrapped_code(const siginfo_t *si)
{
    return ((const int *)si)[9];
}

/* The signals a monitor thread blocks when it blocks "all": never the
 * synchronous ones (a fault in a guarded copy, seccomp's SIGSYS), which
 * the kernel would otherwise turn into a silent death. */
static inline void hx_block_set(sigset_t *s)
{
    sigfillset(s);
    sigdelset(s, SIGSYS);
    sigdelset(s, SIGSEGV);
    sigdelset(s, SIGBUS);
}

/* Processes (hc_proc.c). Before the sandbox: the run's pipe. */
int hx_proc_init(struct hx_vm *vm);
/* Whether this is the run's first process (the one the user started). */
int hx_proc_is_top(void);
/* What --strace and --stats lines start with: "[pid N] " once the run
 * has more than one process, as strace -f marks its lines. */
const char *hx_proc_tag(void);
/* At the end of a monitor: a child process killed by a signal dies of
 * it, so that its parent's wait sees that; else returns. */
void hx_proc_exit(struct hx_vm *vm);
/* A vfork child execs or ends: its parent gets the pages it wrote into
 * the program's memory and goes on. Needs the child's VM still whole. */
void hx_proc_vfork_done(struct hx_vm *vm);
/* And the scheduler's side of the new machine (hc_sched.c). */
void hx_sched_after_exec(struct hx_vm *vm);
void hx_sched_before_run(struct hx_vm *vm);
int hx_sched_wait_readable(struct hx_vm *vm, int fd);
/* Waits for the host fds (p has room for one more) until the deadline
 * (CLOCK_MONOTONIC ns, -1: none): the count of ready fds, 0 at the
 * deadline, -EINTR when a forwarded signal arrived first. */
int hx_sched_wait(struct hx_vm *vm, struct pollfd *p, uint64_t n, int64_t deadline);
/* Sockets (hc_net.c): removes the private directory of AF_UNIX sockets in guest RAM paths. */
void hx_net_cleanup(void);

/* Shared file mappings (hc_shared.c): gives KVM the memslot of
 * vm->g.slots[i] (at a mapping, and again in a fork's new VM). The
 * ioctl's answer: 0, or -1 with errno. */
int hx_shared_slot_add(struct hx_vm *vm, int i);

/* Host file-system mounts (hc_files.c). */
int hx_hostfs_init(struct hx_vm *vm);

/* Prints the --stats report to stderr. */
void hx_print_stats(const struct hx_vm *vm);

/* Host fd ownership: the guest may only name fds it was given. */
int hx_hostfd_ok(const struct hx_vm *vm, uint64_t fd);
/* Gives the guest host fd fd (HX_FD_OWNED or HX_FD_OWNED_RO, opened through
 * mount, 0: none): fd, a negative fd passed through, or -EMFILE (closed)
 * when it lies beyond the guest's host fds. */
long hx_hostfd_give(struct hx_vm *vm, long fd, uint8_t owned, uint8_t mount);

/* The most one copy_file_range or sendfile hypercall moves: the vCPU waits
 * for the host call, so a huge one would stall every guest thread; a short
 * count is legal and callers loop. */
#define HX_MAX_COPY (16ull << 20)

#endif
