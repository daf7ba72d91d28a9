/* Signal delivery, the kernel's half of signals: pending sets, generation,
 * the frames handlers run on, delivery when a system call returns or a
 * fault or interrupt comes, and the frame's restore (rt_sigreturn). The
 * system calls that change actions, masks and stacks are
 * syscalls/signal.c. */
#ifndef HX_SIGNAL_H
#define HX_SIGNAL_H

#include "sched.h"
#include "uapi/signal.h"

/* The signals no mask or handler mask can block. */
#define UNBLOCKABLE ((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)))

/* What the layers above learn of signals, set once at boot (kernel/
 * never names them): a signal became pending (signalfd readiness), and a
 * POSIX timer's signal is being taken (fills si_overrun). */
struct signal_hooks {
    void (*sent)(void);
    void (*timer_taken)(struct ksiginfo *info);
    void (*child_event)(void); /* the host sent SIGCHLD: a child changed state */
};
void signal_set_hooks(const struct signal_hooks *h);

/* What exec passed on from hxrun's own process (see hx_boot_info). */
void signal_init(void);
/* In a fork's child: no signal pending (the process's, the thread's,
 * queued real-time ones). */
void signal_fork_child(void);

/* The disposition of a signal: 0 default, 1 ignore, 2 handler. */
int signal_disposition(int sig);
/* The action of sig (1..NSIG); a new one (may be NULL) replaces it, and
 * pending instances a new ignore discards are dropped. */
void signal_action(int sig, const struct ksigaction *nw, struct ksigaction *old);
/* Ends the program as if killed by sig (no handler was run). */
__attribute__((noreturn)) void kill_self(int sig);

/* Sends sig to thread t, or to the process when t is NULL. */
long signal_send(struct thread *t, int sig, int32_t code);
long signal_send_info(struct thread *t, const struct ksiginfo *info);
/* A signal the host sent hxrun (Ctrl-C, kill): from another process. */
void signal_from_host(int sig);
/* Takes the lowest pending signal in set (thread's, then process's). */
int signal_dequeue(uint64_t set, struct ksiginfo *info);
uint64_t signal_pending_set(void);
void signal_set_mask(uint64_t mask);
void signal_set_temp_mask(uint64_t mask);
/* Whether a pending signal would wake t from an interruptible wait. */
int signal_wakes(const struct thread *t);
/* Whether the current thread has a signal it takes pending. */
int signal_deliverable(void);

/* Delivery of pending signals to handlers, from the state u the program
 * is in (does not return when it enters a handler). */
void signal_deliver(const struct hx_uregs *u);
/* Enters the handlers of every signal the thread takes, then resumes u. */
__attribute__((noreturn)) void signal_resume(struct hx_uregs *u);
/* The registers the program has when system call r returns rax (sysret
 * leaves rip in rcx and rflags in r11). */
struct hx_uregs syscall_return_state(const struct hx_regs *r, uint64_t rax);
/* The end of a system call: restarts, handlers, the temporary mask. */
void signal_syscall_exit(struct hx_regs *r, long *ret);
/* Whether the program runs a handler for a fault's signal now. */
int signal_handles_fault(int sig);
/* Enters the handler of a fault's signal from the faulting state u. */
__attribute__((noreturn)) void signal_enter_fault(struct hx_uregs *u,
                                                  const struct hx_fault_info *fault);
/* rt_sigreturn: the state the frame on the stack of system call r holds,
 * then the signals left pending. */
__attribute__((noreturn)) void signal_return(struct hx_regs *r);

/* kernel/fault.c: a fault or the monitor's interrupt in the program, saved
 * at CPL0 in hx_fault_regs and hx_fault_info, handled at CPL3 on the
 * kernel stack of the thread that was running (entry.S: hx_fault_cpl3). */
__attribute__((noreturn)) void hx_deliver_fault(void);

/* kernel/sigframe.c: Linux's rt_sigframe. Builds the frame for sig on the
 * program's stack (or its alternate stack) from the state *u for action
 * act, and makes *u the handler's entry state; fault: the fault's
 * registers, or NULL. */
void sigframe_push(int sig, struct hx_uregs *u, const struct ksigaction *act,
                   const struct ksiginfo *info, const struct hx_fault_info *fault);
/* Marks the frame *u points at (just pushed) as a fastcall's, returning
 * to ret: rt_sigreturn takes the trampoline's state back. */
void sigframe_mark_fastcall(const struct hx_uregs *u, uint64_t ret);
/* The original syscall instruction of the fastcall that returns to ret,
 * or 0. */
uint64_t fastcall_site(uint64_t ret);
/* Reads the frame of the handler that returned with system call r into
 * *u and restores the mask, alternate stack and FPU state it holds. */
void sigframe_restore(const struct hx_regs *r, struct hx_uregs *u);

#endif
