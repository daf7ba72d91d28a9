/* Shared by the system-call implementations (one file per subsystem). */
#ifndef HX_SYSCALLS_H
#define HX_SYSCALLS_H

#include "uapi/errno.h"
#include "kernel.h"
#include "mm.h"
#include "sched.h"
#include "signal.h"
#include "uapi/fcntl.h"
#include "uapi/limits.h"
#include "uapi/resource.h"
#include "uapi/time.h"

/* Every handler takes the six raw argument registers. */
#define SYSCALL(name)                                                                              \
    long sys_##name(__attribute__((unused)) uint64_t a0, __attribute__((unused)) uint64_t a1,      \
                    __attribute__((unused)) uint64_t a2, __attribute__((unused)) uint64_t a3,      \
                    __attribute__((unused)) uint64_t a4, __attribute__((unused)) uint64_t a5)

/* A leaf system call never blocks, never switches threads, never asks for
 * a restart, and neither reads the caller's frame nor changes the signal
 * state. A fastcall reaches it without a frame (kernel/entry.S): the
 * attribute makes the compiler keep every register but rax, and the
 * section is how the entry tells leaves apart (kernel/kernel.ld). */
#define LEAF_SYSCALL(name)                                                                         \
    __attribute__((no_caller_saved_registers, section(".text.hx_leaf." #name))) SYSCALL(name)

/* Linux's default fs.nr_open: RLIMIT_NOFILE's hard limit cannot go
 * higher, and the fd table stops below it. */
#define NR_OPEN (1u << 20)

typedef long (*syscall_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

/* table.h's where column: SC_WHERE_##where(a, b, c) picks a for a file
 * that implements system calls (a new file is a line here), b for none and
 * c for quiet. */
#define SC_WHERE_cred(implemented, none, quiet) implemented
#define SC_WHERE_epoll(implemented, none, quiet) implemented
#define SC_WHERE_eventfd(implemented, none, quiet) implemented
#define SC_WHERE_fd(implemented, none, quiet) implemented
#define SC_WHERE_file_tmp(implemented, none, quiet) implemented
#define SC_WHERE_fs(implemented, none, quiet) implemented
#define SC_WHERE_fsnames(implemented, none, quiet) implemented
#define SC_WHERE_futex(implemented, none, quiet) implemented
#define SC_WHERE_mm(implemented, none, quiet) implemented
#define SC_WHERE_net(implemented, none, quiet) implemented
#define SC_WHERE_path(implemented, none, quiet) implemented
#define SC_WHERE_pipe(implemented, none, quiet) implemented
#define SC_WHERE_poll(implemented, none, quiet) implemented
#define SC_WHERE_process(implemented, none, quiet) implemented
#define SC_WHERE_proc(implemented, none, quiet) implemented
#define SC_WHERE_signal(implemented, none, quiet) implemented
#define SC_WHERE_signalfd(implemented, none, quiet) implemented
#define SC_WHERE_thread(implemented, none, quiet) implemented
#define SC_WHERE_time(implemented, none, quiet) implemented
#define SC_WHERE_timerfd(implemented, none, quiet) implemented
#define SC_WHERE_none(implemented, none, quiet) none
#define SC_WHERE_quiet(implemented, none, quiet) quiet

#define SC_DECLARE(name) SYSCALL(name);
#define SC_NOTHING(name)
#define SC(nr, name, where, fmt) SC_WHERE_##where(SC_DECLARE, SC_NOTHING, SC_NOTHING)(name)
#include "table.h"
#undef SC

/* syscalls/dispatch.c */
/* The system-call layer's part of boot: its tables, files, the brk, and
 * what the kernel core asks it (kernel/boot.c). */
void syscalls_init(void);
long hx_syscall(struct hx_regs *r);
/* The end of every system call: interrupts that came meanwhile, signals,
 * restarts. Returns what the program gets in rax. */
long hx_syscall_exit(struct hx_regs *r, long ret);

/* fd.c */
void fs_init(void);

/* proc.c: the thread name (PR_GET_NAME, /proc/self/status). */
const char *proc_comm(void);

/* mm.c: a fault at addr in the part of a shared file mapping past the
 * file's end when it was mapped: 1 when the file has grown to cover it (the
 * pages are mapped now: retry), 0 when not (SIGBUS), -1 for other addresses. */
int mm_shared_fault(uint64_t addr);
/* Whether addr lies in a host file mapped MAP_SHARED, which other
 * processes (other VMs) may map too. */
int mm_host_shared(uint64_t addr);
/* In a fork's child: what MADV_DONTFORK marked is gone, what
 * MADV_WIPEONFORK marked reads zero. */
void mm_fork_child(void);
/* mm.c: the program break starts at start (the monitor placed it). */
void brk_init(uint64_t start);

/* time.c: a struct timespec the program passed (a timeout or a time) in
 * ns: 0, -EFAULT, or -EINVAL for a negative or unnormalised one, as Linux
 * checks it. Beyond TIMESPEC_NS_MAX it is TIMESPEC_NS_MAX, 146 years: as
 * good as forever, and a clock reading can be added without overflow. */
#define TIMESPEC_NS_MAX (INT64_MAX / 2)
long user_timespec_ns(uint64_t uts, int64_t *ns);
/* time.c: a POSIX timer's signal is being taken (fills si_overrun). */
void posix_timer_delivered(struct ksiginfo *info);

/* futex.c: wakes up to n waiters on uaddr whose bitset meets bitset. */
long futex_wake(uint32_t *uaddr, int n, uint32_t bitset);
/* In a fork's child, whose other threads are gone (each *_fork_child). */
void futex_fork_child(void);
/* time.c: timers and itimers are not inherited. */
void time_fork_child(void);

/* process.c: a new process (clone without CLONE_VM|CLONE_THREAD; thread.c
 * hands it over). */
long process_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                   uint64_t tls);
/* The host sent SIGCHLD: threads waiting for children look again. */
void process_child_event(void);
/* SIGCHLD's action may have changed: the monitor learns whether children
 * are reaped as they end. */
void process_child_action(void);

/* pipe.c: before a fork, every guest pipe becomes a host pipe with the
 * bytes it held, so that both processes reach it: 0 or -errno. */
long pipe_share_all(void);

#endif
