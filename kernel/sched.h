/* Threads and the scheduler: one vCPU, round robin, run at CPL3. A thread
 * blocks by giving up the CPU until an event, a deadline or a signal wakes
 * it; when every thread is blocked the kernel waits on the host with one
 * hypercall. Preemption comes from the monitor's interrupt, requested
 * through the shared timer deadline only when a thread must be preempted
 * or a timer is due (tick-less). */
#ifndef HX_SCHED_H
#define HX_SCHED_H

#include "hostio.h"
#include "kernel.h"
#include "uapi/signal.h"

enum thread_state { T_RUNNABLE, T_BLOCKED, T_DEAD };
enum wake_reason { WAKE_NONE, WAKE_EVENT, WAKE_TIMEOUT, WAKE_SIGNAL };

struct thread {
    int tid;
    enum thread_state state;
    uint64_t ksp;        /* saved kernel rsp while switched out */
    uint64_t kstack_top; /* empty kernel stack */
    void *kstack;        /* its allocation (NULL: the boot stack) */
    uint8_t *xsave;      /* FPU/SSE/AVX state while switched out, 64-aligned */
    void *xsave_alloc;
    uint64_t fsbase, gsbase;
    struct thread *run_next; /* run queue */
    struct thread *all_next; /* every thread */

    /* Blocking: a thread waits for an event with an optional deadline. */
    int64_t deadline;          /* CLOCK_MONOTONIC ns, 0: none */
    enum wake_reason wake;     /* why it last woke */
    int interruptible;         /* a signal wakes it */
    int io_wait;               /* woken by io_notify (guest objects changed) */
    struct hostwait *hostwait; /* host fds it also waits for */
    int nhostwait;
    uint64_t futex_key; /* FUTEX_WAIT: the word's address, 0 when not queued */
    uint32_t futex_bitset;
    struct thread *futex_next;

    /* Signals. */
    uint64_t sigmask, sigpending;
    uint64_t sigwait; /* rt_sigtimedwait: these wake it though blocked */
    uint64_t saved_mask;
    int restore_mask; /* rt_sigsuspend, ppoll...: saved_mask returns after the handler */
    struct kaltstack altstack;
    struct ksiginfo *siginfo; /* [NSIG + 1]: the info of each pending signal */

    uint64_t clear_child_tid, robust_list;
    struct hx_regs *frame; /* its system call's frame, while in one */
    int host_eintr;        /* a host call in that system call said EINTR */
    struct hx_uregs start; /* a new thread's first user state */

    int64_t cpu_ns;    /* CPU time used, up to run_start */
    int64_t run_start; /* when it last got the CPU */
};

/* The frame the syscall and fastcall entries build (kernel/entry.S). */
struct hx_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r9, r8, r10, rdx, rsi, rdi;
    uint64_t nr;
    uint64_t fast; /* 1: entered through the fastcall entry */
    uint64_t rip, rflags, rsp;
};
_Static_assert(__builtin_offsetof(struct hx_regs, nr) == F_NR &&
                   __builtin_offsetof(struct hx_regs, fast) == F_FAST &&
                   __builtin_offsetof(struct hx_regs, rip) == F_RIP &&
                   __builtin_offsetof(struct hx_regs, rflags) == F_RFLAGS &&
                   __builtin_offsetof(struct hx_regs, rsp) == F_RSP,
               "kernel/entry.S reads the frame at these offsets");

extern struct thread *current;
extern struct thread *all_threads;
extern int nthreads; /* threads not yet dead */

void sched_init(void);
/* In a fork's child: the calling thread is the only one, with the new
 * pid as its tid, and no CPU time used yet. */
void sched_fork_child(void);
/* A new thread sharing everything, not yet runnable; NULL without memory. */
struct thread *thread_new(void);
/* Makes t runnable (a new thread, or one woken). */
void sched_enqueue(struct thread *t);
/* Blocks the current thread until sched_wake, the deadline (0: none) or,
 * when interruptible, a signal it does not block. Returns why it woke. */
enum wake_reason sched_block(int64_t deadline, int interruptible);
/* Wakes a blocked thread. */
void sched_wake(struct thread *t, enum wake_reason why);
/* Gives the CPU to the next runnable thread, if any. */
void sched_yield(void);
/* The current thread is gone (its stack is freed later). */
__attribute__((noreturn)) void sched_exit_thread(void);
/* Guest objects changed: every thread waiting in io_wait rechecks. */
void io_notify(void);
/* Blocks in io_wait (and on hostwait, if set) until io_notify, the
 * deadline or a signal. */
enum wake_reason io_block(int64_t deadline);
struct thread *thread_by_tid(int tid);
/* Whether another thread waits for the CPU. */
int sched_others_runnable(void);
/* CPU time of the process and of the current thread. */
int64_t cpu_time_process(void);
int64_t cpu_time_thread(void);

/* Blocks the current thread until host fd has one of events (other threads
 * run meanwhile): the events seen, or -ERESTARTSYS for a signal. */
long host_fd_wait(int fd, int16_t events);
/* Returns at once if the host fd is ready, else as host_fd_wait: 0 once
 * ready, or -errno. */
long host_fd_ready(int fd, int16_t events);

/* Kernel timers, fired from sched_tick/idle on the CPU of whoever runs. */
struct ktimer {
    int64_t when; /* CLOCK_MONOTONIC ns, or process CPU ns when cpu is set */
    void (*fire)(struct ktimer *t);
    struct ktimer *next;
    int armed;
    int cpu; /* counts the process's CPU time (ITIMER_VIRTUAL, ITIMER_PROF) */
};
void ktimer_arm(struct ktimer *t, int64_t when);
void ktimer_cancel(struct ktimer *t);
/* Re-arms a periodic timer that just fired, one interval after its last
 * expiry, skipping the periods already past; returns how many it skipped. */
int64_t ktimer_rearm(struct ktimer *t, int64_t interval);

/* The monitor's interrupt or a pending host signal: called at CPL3 when a
 * system call returns or the interrupt hit the program. */
extern volatile uint8_t hx_irq_pending;
int irq_due(void);
void irq_process(void);

#endif
