/* The ABI between the hx monitor (hxrun) and the hx guest kernel.
 *
 * One header, included by both sides. The monitor builds the whole machine
 * (page tables, descriptor tables, MSRs, the program image and its stack)
 * before the first guest instruction and describes it in struct hx_boot_info;
 * the kernel talks back through hypercalls: an 8-byte store of the guest
 * physical address of a struct hx_hcall to the hypercall MMIO page. MMIO is
 * used rather than `out` because on PVM an iretq to CPL3 clears IOPL.
 */
#ifndef HX_ABI_H
#define HX_ABI_H

#define HX_ABI_VERSION 5
#define HX_BOOT_MAGIC 0x48584254u /* "HXBT" */

/* ---- Guest physical layout ------------------------------------------- */
#define HX_PAGE_SIZE 4096ull
#define HX_HUGE_SIZE (2ull << 20)
#define HX_GPA_GDT 0x1000ull
#define HX_GPA_IDT 0x2000ull
#define HX_GPA_TSS 0x3000ull
#define HX_GPA_BOOTINFO 0x10000ull    /* up to 64 KiB */
#define HX_GPA_KERNEL 0x200000ull     /* kernel image, linked at VA HX_KERNEL_VA */
#define HX_GPA_HYPERCALL (1ull << 39) /* no memslot: stores here exit as MMIO */
#define HX_GPA_SHARED (1ull << 40)    /* host files mapped MAP_SHARED, one memslot each */

/* ---- Guest virtual layout -------------------------------------------- */
/* First GiB of guest RAM, where the kernel image lives (-mcmodel=kernel). */
#define HX_KTEXT_BASE 0xffffffff80000000ull
#define HX_KERNEL_VA (HX_KTEXT_BASE + HX_GPA_KERNEL)
/* All of guest RAM, as Linux's direct map. */
#define HX_DIRECT_MAP 0xffff888000000000ull
/* The hypercall MMIO page. */
#define HX_HYPERCALL_VA 0xffffffffc0000000ull
/* Linux x86-64 user layout without address randomisation. */
#define HX_USER_TOP 0x7ffffffff000ull  /* TASK_SIZE: top of the stack */
#define HX_MMAP_BASE 0x7ffff7fff000ull /* top-down mmap base */
#define HX_PIE_BASE 0x555555554000ull  /* ELF_ET_DYN_BASE */
#define HX_STACK_SIZE (8ull << 20)     /* RLIMIT_STACK default */
#define HX_MAX_RAM (32ull << 30)

/* Segment selectors (the layout STAR requires for syscall/sysret). */
#define HX_SEL_KCODE 0x08
#define HX_SEL_KDATA 0x10
#define HX_SEL_UDATA 0x1b
#define HX_SEL_UCODE 0x23
#define HX_SEL_TSS 0x28

/* The kernel image starts with this header (at HX_KERNEL_VA), so the monitor
 * needs no symbol table to find the entry points. */
#define HX_KERNEL_MAGIC 0x4e524b58 /* "XKRN" */
/* Where a rewritten syscall site finds the kernel's fastcall entry: the
 * header's fastcall_entry, read by `call *HX_FASTCALL_SLOT` (an absolute
 * 32-bit address, sign-extended). */
#define HX_FASTCALL_SLOT (HX_KERNEL_VA + 16)

/* The interrupt the monitor injects when the guest's timer deadline has
 * passed or a host signal arrived for the program. */
#define HX_IRQ_VECTOR 32

#ifndef __ASSEMBLER__
#include <stdint.h>

struct hx_kernel_header {
    uint32_t magic, version;
    uint64_t boot_entry;     /* CPL3, rdi = boot info */
    uint64_t fastcall_entry; /* at HX_FASTCALL_SLOT: what rewritten sites call */
    uint64_t syscall_entry;  /* LSTAR */
};

/* ---- Boot information ------------------------------------------------- */
#define HX_PROT_R 1u
#define HX_PROT_W 2u
#define HX_PROT_X 4u

enum hx_region_kind { HX_REGION_IMAGE = 1, HX_REGION_STACK = 2 };

/* A user mapping the monitor filled: virtual [va, va+len) backed by the
 * physically contiguous [pa, pa+len). The kernel maps it at boot. */
struct hx_region {
    uint64_t va, len, pa;
    uint32_t prot, kind;
};

#define HX_MAX_REGIONS 32
#define HX_MAX_MOUNTS 64
#define HX_NRLIMITS 16

#define HX_BOOT_STRACE 1u
#define HX_BOOT_STATS 2u

/* A descriptor hxrun inherited (struct hx_boot_info.inherited_pa). */
struct hx_inherited_fd {
    int32_t fd;     /* its number, in hxrun and in the guest */
    int32_t hostfd; /* the monitor's fd for it, which the guest owns; -1
                     * after an execve: a file of the guest's own, which
                     * its kernel opens again at path with flags */
    int32_t flags;  /* file status flags (F_GETFL) */
    int32_t sock;   /* a socket's domain (AF_*), or 0 */
    uint8_t stream; /* a read can wait: a terminal, pipe, socket or device */
    uint8_t tty;    /* a terminal */
    uint8_t _pad[6];
    char path[256]; /* what /proc/self/fd/N shows */
};

struct hx_boot_info {
    uint32_t magic, version;
    uint32_t flags, nregions;
    uint64_t ram_size;
    uint64_t phys_next; /* first free guest physical byte, page aligned */
    uint64_t cr3;
    /* Clock: guest ns = base_ns + (tsc - tsc_base) * 1e9 / tsc_hz. */
    uint64_t tsc_hz, tsc_base;
    int64_t realtime_base_ns, monotonic_base_ns;
    int64_t coarse_res_ns; /* resolution of the *_COARSE clocks */
    /* Process image. */
    uint64_t entry, stack_pointer;
    uint64_t brk_start;
    uint64_t hwcap, hwcap2;
    uint64_t xcr0, xsave_size; /* XSAVE state the guest has: for signal frames */
    struct hx_region regions[HX_MAX_REGIONS];
    /* Identity and limits, copied from the host process. */
    int32_t pid, ppid;
    uint32_t uid, euid, gid, egid;
    struct {
        uint64_t cur, max;
    } rlimits[HX_NRLIMITS];
    /* struct utsname: six fields of 65 bytes. */
    char uts[6][65];
    char _pad[2];
    /* File status flags of the host's fds 0-2, or -1 when closed, and
     * whether each is a terminal (a pipe or file never becomes one). */
    int32_t console_flags[3];
    uint8_t console_tty[3];
    uint8_t _pad2[5];
    char console_path[3][64]; /* what /proc/self/fd/N shows for the console */
    /* The host mounts' guest paths: they take precedence over the guest's
     * own file systems (/tmp, /dev, /proc) wherever they are deeper. */
    uint32_t nhost_mounts, _pad3;
    char host_mounts[HX_MAX_MOUNTS][256];
    /* Seed of the guest's random generator, from the host's getrandom. */
    uint8_t random_seed[32];
    int32_t umask;
    /* What exec passes on: the signal mask and the signals set to be
     * ignored (bit N-1 for signal N), as hxrun found them; and the signals
     * pending at an execve (none at the start of a run). */
    uint64_t sig_blocked, sig_ignored, sig_pending;
    char cwd[4096];
    char exe[4096];
    /* Descriptors above 2 that hxrun inherited: exec passes them on, so the
     * program finds each at its number. An array of ninherited entries at
     * guest physical inherited_pa. */
    uint64_t inherited_pa;
    uint32_t ninherited;
    int32_t nice; /* what exec passes on: the nice value (setpriority) */
    /* Read and written by both sides while the guest runs. */
    struct hx_live {
        /* The guest's next timer deadline (CLOCK_MONOTONIC ns, 0: none):
         * the monitor interrupts the guest once it has passed. */
        volatile int64_t timer_deadline_ns;
        /* When the monitor will next look at timer_deadline_ns: a deadline
         * set earlier than that needs HX_HC_TIMER_KICK. */
        volatile int64_t timer_checked_ns;
        /* Host signals for the program, bit N-1 for signal N: the monitor
         * sets bits, the guest takes them with an atomic exchange. */
        volatile uint64_t host_signals;
        /* Who sent each: the sender's pid and uid (si_pid, si_uid). */
        volatile int32_t host_signal_pid[64];
        volatile uint32_t host_signal_uid[64];
        /* And how (si_code: SI_USER, SI_QUEUE, SI_TKILL, a CLD_* for
         * SIGCHLD) with SIGCHLD's si_status. */
        volatile int32_t host_signal_code[64];
        volatile int32_t host_signal_status[64];
        volatile uint64_t host_signal_value[64]; /* SI_QUEUE: si_value */
        /* prctl(PR_SET_PDEATHSIG): the signal the monitor hands the program
         * when its parent process ends, 0: none. */
        volatile int32_t pdeathsig, _pad;
    } live;
};

/* ---- Hypercalls ------------------------------------------------------- */
/* Every hypercall is one line of hcalls.h, which generates the numbers
 * below, the members of struct hx_hcall's request union and, on each side,
 * the handler table, the --stats names and the kernel's HC() calls. Its
 * request is struct hx_hc_NAME_req further down: pointer fields are guest
 * virtual addresses, translated and checked by the monitor through the
 * guest page tables; every field is hostile to the monitor. */
enum hx_hcall_nr {
#define HCALL(nr, NAME, name) HX_HC_##NAME = (nr),
#include "hcalls.h"
#undef HCALL
    /* Ranges kept apart so independent work can add numbers without
     * colliding: 64.. scheduling and waiting, 96.. sockets, 128..
     * fastcalls. */
    HX_HC_SCHED_BASE = 64,
    HX_HC_NET_BASE = 96,
    HX_HC_FAST_BASE = 128,
    HX_HC_NR = 160
};
/* Every number lies below the fastcall range (a number listed twice fails
 * the monitor's handler table: -Woverride-init). */
#define HCALL(nr, NAME, name)                                                                      \
    _Static_assert((nr) > 0 && (nr) < HX_HC_FAST_BASE, "HX_HC_" #NAME ": number out of range");
#include "hcalls.h"
#undef HCALL

/* Sockets are forwarded to the host (hc_net.c). Addresses are the guest's
 * struct sockaddr bytes, except that an AF_UNIX path (sun_path[0] != 0) is
 * never used as a host path: the kernel resolves it in the guest's file
 * systems and passes where it leads as (kind, where), enum hx_unix_kind.
 * The monitor reports the guest's own path back wherever Linux reports one
 * (getsockname, getpeername, accept, recvfrom, recvmsg).
 * Where the AF_UNIX path of a bind, connect or sendto leads: */
enum hx_unix_kind {
    HX_UNIX_NONE = 0, /* no path: abstract, unnamed, or another family */
    HX_UNIX_HOST,     /* where: the absolute guest path (a kernel buffer of
                       * 4096 bytes) under a host mount; -HX_EREDIRECT as for
                       * HX_HC_OPEN */
    HX_UNIX_TMP,      /* where: the inode number of a minifs socket node; the
                       * host socket lives in a private directory of the run */
};

/* Socket I/O carried by HX_HC_WAIT, so that an event loop pays one VM exit
 * per wait rather than one per read and write (DESIGN.md section 5). */
#define HX_BATCH_MAX 64
struct hx_sockio {
    int32_t fd;     /* host fd; for a receive, also in the wait's pollfds */
    uint32_t len;   /* bytes to send, or room to receive into */
    uint64_t buf;   /* guest virtual address */
    int64_t result; /* bytes sent or received, 0 at end of file, or -errno */
};
struct hx_batch {
    uint32_t ntx, nrx;
    struct hx_sockio tx[HX_BATCH_MAX], rx[HX_BATCH_MAX];
};

/* A host path operation whose path led, through a symlink, into one of the
 * guest's own file systems: the monitor wrote the new guest path over the
 * request's path buffer, and the kernel resolves it itself. */
#define HX_EREDIRECT 4000

/* Path operations on host files (HX_HC_PATHOP). */
enum hx_pathop {
    HX_PATH_MKDIR = 1, /* path, mode */
    HX_PATH_SYMLINK,   /* target (path2), linkpath (path) */
    HX_PATH_LINK,      /* existing (path2), new (path) */
    HX_PATH_CHMOD,     /* path, mode, AT_SYMLINK_NOFOLLOW */
    HX_PATH_CHOWN,     /* path, uid | gid << 32, AT_SYMLINK_NOFOLLOW */
    HX_PATH_UTIMENS,   /* path, struct timespec[2] gva or 0, AT_SYMLINK_NOFOLLOW */
    HX_PATH_TRUNCATE,  /* path, length */
};

/* Operations on host fds the guest owns (HX_HC_FDOP). */
enum hx_fdop {
    HX_FD_CHMOD = 1, /* mode */
    HX_FD_CHOWN,     /* uid, gid */
    HX_FD_UTIMENS,   /* struct timespec[2] gva or 0 */
    HX_FD_FALLOCATE, /* mode, offset, length */
    HX_FD_FLOCK,     /* operation */
    HX_FD_LOCK,      /* F_GETLK/F_SETLK/F_SETLKW/F_OFD_*, struct flock gva */
    HX_FD_LINK,      /* new path: give the open file (an O_TMPFILE, say) a name */
};

/* ---- Hypercall requests ----------------------------------------------- */
/* One struct per hypercall, named after its hcalls.h line. Every field is a
 * 64-bit slot (int64_t or uint64_t) at the offset of the arg[] element it
 * names, so that raw requests (tests/hostile, the fuzzer) keep their
 * meaning; HX_HC_REQ after each struct checks that at compile time. A host
 * fd ("hostfd") is one the monitor gave the guest: it checks each. */
#define HX_HC_SLOT_(T, f, i)                                                                       \
    _Static_assert(__builtin_offsetof(struct T, f) == 8 * (i) && sizeof(((struct T *)0)->f) == 8,  \
                   #T "." #f " is not the 64-bit slot arg[" #i "]");
#define HX_HC_SLOTS_1(T, a) HX_HC_SLOT_(T, a, 0)
#define HX_HC_SLOTS_2(T, a, b) HX_HC_SLOTS_1(T, a) HX_HC_SLOT_(T, b, 1)
#define HX_HC_SLOTS_3(T, a, b, c) HX_HC_SLOTS_2(T, a, b) HX_HC_SLOT_(T, c, 2)
#define HX_HC_SLOTS_4(T, a, b, c, d) HX_HC_SLOTS_3(T, a, b, c) HX_HC_SLOT_(T, d, 3)
#define HX_HC_SLOTS_5(T, a, b, c, d, e) HX_HC_SLOTS_4(T, a, b, c, d) HX_HC_SLOT_(T, e, 4)
#define HX_HC_SLOTS_6(T, a, b, c, d, e, f) HX_HC_SLOTS_5(T, a, b, c, d, e) HX_HC_SLOT_(T, f, 5)
#define HX_HC_NARGS_(a, b, c, d, e, f, n, ...) n
#define HX_HC_NARGS(...) HX_HC_NARGS_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define HX_HC_CAT_(a, b) a##b
#define HX_HC_CAT(a, b) HX_HC_CAT_(a, b)
/* HX_HC_REQ(name, fields in order): each field at its slot, nothing else. */
#define HX_HC_REQ(name, ...)                                                                       \
    HX_HC_CAT(HX_HC_SLOTS_, HX_HC_NARGS(__VA_ARGS__))                                              \
    (hx_hc_##name##_req, __VA_ARGS__) _Static_assert(                                              \
        sizeof(struct hx_hc_##name##_req) == 8 * HX_HC_NARGS(__VA_ARGS__),                         \
        "struct hx_hc_" #name "_req has a field HX_HC_REQ does not list");

/* The run itself (hc_system.c). */
struct hx_hc_exit_req {
    uint64_t status; /* exit status (its low 8 bits) */
    uint64_t stats;  /* struct hx_stats gva for --stats, or 0 */
};
HX_HC_REQ(exit, status, stats)

/* A fatal fault or signal: hxrun prints what Linux and a shell would. */
struct hx_hc_fatal_req {
    uint64_t signo;  /* the signal; 0: a fault of the guest kernel itself */
    uint64_t vector; /* exception vector, or HX_FATAL_SIGNAL for a sent signal */
    uint64_t error;  /* exception error code */
    uint64_t addr;   /* faulting address (cr2) */
    uint64_t rip;    /* faulting instruction */
    uint64_t stats;  /* struct hx_stats gva for --stats, or 0 */
};
HX_HC_REQ(fatal, signo, vector, error, addr, rip, stats)

struct hx_hc_unsupported_req {
    uint64_t sysno; /* the system call the kernel does not implement */
};
HX_HC_REQ(unsupported, sysno)

struct hx_hc_strace_req {
    uint64_t sysno; /* the system call */
    uint64_t args;  /* gva of its 6 arguments (u64 each) */
    int64_t result; /* its result */
};
HX_HC_REQ(strace, sysno, args, result)

struct hx_hc_getrandom_req {
    uint64_t buf;   /* gva to fill */
    uint64_t len;   /* bytes wanted (the monitor gives at most 32 MiB) */
    uint64_t flags; /* GRND_NONBLOCK or 0 */
};
HX_HC_REQ(getrandom, buf, len, flags)

/* The host's /proc/cpuinfo (no guest path reaches it). */
struct hx_hc_cpuinfo_req {
    uint64_t buf;  /* gva */
    uint64_t size; /* room at buf */
};
HX_HC_REQ(cpuinfo, buf, size)

/* A host pipe, for a guest pipe that a fork is about to share: the guest
 * writes what it had buffered into it. */
struct hx_hc_pipe_req {
    uint64_t fds;  /* gva of int32_t[2]: the read end, the write end */
    uint64_t size; /* the capacity it must have (F_SETPIPE_SZ), 0: the host's */
};
HX_HC_REQ(pipe, fds, size)

/* memfd_create: a host memfd, which the process's children share (each
 * process is a VM of its own) and exec keeps; sealing is the host's. */
struct hx_hc_memfd_req {
    uint64_t name;  /* gva: at most 249 bytes and the NUL, as Linux takes */
    uint64_t flags; /* 0 or MFD_ALLOW_SEALING (2) */
};
HX_HC_REQ(memfd, name, flags)

/* A host fd the guest was given by a receive (SCM_RIGHTS), described as an
 * inherited one is, so that the guest kernel makes it a file. */
struct hx_hc_fd_describe_req {
    uint64_t hostfd;
    uint64_t out; /* gva of a struct hx_inherited_fd; its fd is left 0 */
};
HX_HC_REQ(fd_describe, hostfd, out)

/* ---- Processes (hc_proc.c; DESIGN.md section 10) ----------------------- */
/* A process is a VM and a host process of its own, and its pid is its
 * monitor's: fork forks the monitor, whose child builds a new VM over the
 * copy-on-write guest RAM. The answer is the child's pid in the parent, 0
 * in the child, whose kernel then drops what a child does not inherit. */
struct hx_hc_fork_req {
    /* vfork (CLONE_VFORK): the parent's answer waits until the child has
     * ended or exec'd, as Linux suspends the parent. */
    uint64_t vfork;
    /* With vfork, CLONE_VM: what the child writes into the program's
     * memory meanwhile reaches the parent's, as if shared. */
    uint64_t share;
};
HX_HC_REQ(fork, vfork, share)

/* wait4 and waitid on the host, never blocking (the monitor adds WNOHANG;
 * a guest thread that must wait blocks in the guest until SIGCHLD). */
enum hx_wait_kind { HX_WAIT4 = 0, HX_WAITID = 1 };
struct hx_hc_wait_child_req {
    uint64_t kind;    /* enum hx_wait_kind */
    int64_t id;       /* wait4's pid, waitid's id */
    uint64_t idtype;  /* waitid's P_PID, P_PGID, P_ALL, P_PIDFD */
    uint64_t options; /* WNOHANG, WUNTRACED/WSTOPPED, WCONTINUED, WEXITED, WNOWAIT, __W* */
    uint64_t out;     /* gva of wait4's int status or waitid's siginfo_t, or 0 */
    uint64_t rusage;  /* gva of struct rusage, or 0 */
};
HX_HC_REQ(wait_child, kind, id, idtype, options, out, rusage)

/* A signal for other processes of the run (the caller's own signals never
 * leave the guest). Only processes of this run can be reached. */
enum hx_kill_kind { HX_KILL = 0, HX_TGKILL = 1, HX_SIGQUEUE = 2, HX_STOP_SELF = 3 };
struct hx_hc_kill_req {
    int64_t
        pid; /* kill's pid (> 0, 0: the caller's group, -1: all, < -1: a group); tgkill's tgid */
    int64_t tid;    /* HX_TGKILL: the thread (only the process's first thread can be named) */
    uint64_t sig;   /* 0: only whether the target exists */
    uint64_t kind;  /* enum hx_kill_kind */
    uint64_t value; /* HX_SIGQUEUE: si_value */
};
/* A group or every process (pid <= 0, HX_KILL) answers these bits, or
 * -errno when none could be sent: the caller sends to itself (at once,
 * as Linux does before kill returns). HX_STOP_SELF: the program's default
 * action for a stop signal, which stops the monitor's whole process. */
#define HX_KILL_SENT 1
#define HX_KILL_SELF 2
HX_HC_REQ(kill, pid, tid, sig, kind, value)

/* Process groups and sessions: the host's own (pids are host pids). */
enum hx_pgrp_op { HX_SETPGID = 0, HX_GETPGID = 1, HX_SETSID = 2, HX_GETSID = 3 };
struct hx_hc_pgrp_req {
    uint64_t op;  /* enum hx_pgrp_op */
    int64_t pid;  /* 0: the caller */
    int64_t pgid; /* HX_SETPGID: 0 means pid */
};
HX_HC_REQ(pgrp, op, pid, pgid)

/* prctl(PR_SET_CHILD_SUBREAPER) and PR_GET_CHILD_SUBREAPER: the host's
 * own (orphaned descendants become this process's children). */
struct hx_hc_subreaper_req {
    uint64_t set;   /* 1: set it to value; 0: the answer is the setting */
    uint64_t value; /* 0 or 1 */
};
HX_HC_REQ(subreaper, set, value)

/* The credential calls (setuid, setresgid, setgroups, getresuid...): the
 * monitor makes the same call for itself, so the host applies Linux's own
 * rules, and the process's host accesses follow its user; it then writes
 * the ids the guest answers getuid and the like from (boot info). */
struct hx_hc_cred_req {
    uint64_t nr;      /* the Linux system call: one of those above */
    uint64_t a, b, c; /* its arguments; pointers are gvas */
};
HX_HC_REQ(cred, nr, a, b, c)

/* The program ignores SIGCHLD or set SA_NOCLDWAIT: its children are
 * reaped as they end, as Linux does then. */
struct hx_hc_child_signal_req {
    uint64_t noreap; /* 1: children leave no zombie */
};
HX_HC_REQ(child_signal, noreap)

/* execve: the monitor replaces the VM's machine and memory with a new
 * one running the program (DESIGN.md section 10); the pid, the host fds
 * listed and what the kernel describes here go on. The kernel resolved and
 * opened the program and its interpreter in its own view of the files.
 * On success nothing returns; an error returns before anything changed. */
struct hx_exec_info {
    int32_t prog_hostfd;   /* the ELF program, opened for reading */
    int32_t interp_hostfd; /* its PT_INTERP, opened for reading, or -1 */
    uint64_t argv, envp;   /* gva of NULL-terminated arrays of gva strings */
    uint64_t execfn;       /* gva: the path execve was given (AT_EXECFN) */
    uint64_t exe;          /* gva: the program's absolute guest path (/proc/self/exe) */
    uint64_t cwd;          /* gva: the working directory's guest path */
    uint64_t fds;          /* gva of struct hx_exec_fd[nfds]: the fds exec keeps */
    uint32_t nfds;
    int32_t umask;
    uint64_t sig_blocked, sig_ignored; /* bit N-1 for signal N */
    uint64_t sig_pending;              /* the thread's and the process's, bit N-1 for N */
    struct {
        uint64_t cur, max;
    } rlimits[HX_NRLIMITS];
    int32_t nice, _pad; /* the process's nice value (setpriority) */
};
struct hx_exec_fd {
    int32_t fd;     /* its number in the program */
    int32_t hostfd; /* the host fd behind it, or -1: a file of the guest's own
                     * (/dev, /proc, a RAM /tmp), opened again by path */
    int32_t flags;  /* hostfd -1: the open flags (access mode, O_APPEND,
                     * O_NONBLOCK) */
    int32_t _pad;
    char path[256]; /* hostfd -1: its guest path */
};
struct hx_hc_exec_req {
    uint64_t info; /* gva of struct hx_exec_info */
};
HX_HC_REQ(exec, info)

struct hx_hc_sleep_req {
    uint64_t deadline_ns; /* CLOCK_MONOTONIC deadline; past INT64_MAX: for ever */
};
HX_HC_REQ(sleep, deadline_ns)

/* I/O on host fds (hc_io.c). read and write: */
struct hx_hc_read_req {
    uint64_t hostfd;
    uint64_t buf; /* gva */
    uint64_t len; /* bytes */
};
HX_HC_REQ(read, hostfd, buf, len)
struct hx_hc_write_req {
    uint64_t hostfd;
    uint64_t buf; /* gva */
    uint64_t len; /* bytes */
};
HX_HC_REQ(write, hostfd, buf, len)

/* pread and pwrite: at a file offset, the fd's own untouched. */
struct hx_hc_pread_req {
    uint64_t hostfd;
    uint64_t buf; /* gva */
    uint64_t len; /* bytes */
    int64_t offset;
};
HX_HC_REQ(pread, hostfd, buf, len, offset)
struct hx_hc_pwrite_req {
    uint64_t hostfd;
    uint64_t buf; /* gva */
    uint64_t len; /* bytes */
    int64_t offset;
};
HX_HC_REQ(pwrite, hostfd, buf, len, offset)

/* readv and writev. */
struct hx_hc_readv_req {
    uint64_t hostfd;
    uint64_t iov;    /* gva of struct iovec[iovcnt] */
    uint64_t iovcnt; /* at most 1024 */
};
HX_HC_REQ(readv, hostfd, iov, iovcnt)
struct hx_hc_writev_req {
    uint64_t hostfd;
    uint64_t iov;    /* gva of struct iovec[iovcnt] */
    uint64_t iovcnt; /* at most 1024 */
};
HX_HC_REQ(writev, hostfd, iov, iovcnt)

struct hx_hc_poll_req {
    uint64_t fds;       /* gva of struct pollfd[nfds], host fds */
    uint64_t nfds;      /* at most 64 */
    int64_t timeout_ms; /* as poll's (negative: none) */
};
HX_HC_REQ(poll, fds, nfds, timeout_ms)

/* Terminal queries: TCGETS, TIOCGWINSZ. */
struct hx_hc_ioctl_req {
    uint64_t hostfd;
    uint64_t cmd;
    uint64_t arg; /* gva of the answer */
};
HX_HC_REQ(ioctl, hostfd, cmd, arg)

/* F_GETFL, F_SETFL (O_APPEND and O_NONBLOCK only). */
struct hx_hc_fcntl_req {
    uint64_t hostfd;
    uint64_t cmd;
    uint64_t arg; /* F_SETFL's flags */
};
HX_HC_REQ(fcntl, hostfd, cmd, arg)

/* Host files (hc_files.c). Paths are gvas of absolute guest paths (a
 * kernel buffer of 4096 bytes, which -HX_EREDIRECT may overwrite). */
struct hx_hc_open_req {
    uint64_t path;    /* what to open; with beneath: the directory it starts at */
    uint64_t flags;   /* O_* */
    uint64_t mode;    /* for a file created, umask applied */
    uint64_t resolve; /* openat2's RESOLVE_* */
    uint64_t beneath; /* openat2 with RESOLVE_BENEATH/IN_ROOT: gva of the relative path, or 0 */
};
HX_HC_REQ(open, path, flags, mode, resolve, beneath)

struct hx_hc_close_req {
    uint64_t hostfd;
};
HX_HC_REQ(close, hostfd)

struct hx_hc_lseek_req {
    uint64_t hostfd;
    int64_t offset;
    uint64_t whence; /* SEEK_* */
};
HX_HC_REQ(lseek, hostfd, offset, whence)

struct hx_hc_fstat_req {
    uint64_t hostfd;
    uint64_t statbuf; /* gva of a struct stat */
};
HX_HC_REQ(fstat, hostfd, statbuf)

struct hx_hc_stat_req {
    uint64_t path;
    uint64_t statbuf;  /* gva of a struct stat */
    uint64_t at_flags; /* AT_SYMLINK_NOFOLLOW */
};
HX_HC_REQ(stat, path, statbuf, at_flags)

struct hx_hc_statx_req {
    uint64_t hostfd;   /* when path is 0 (else -1) */
    uint64_t path;     /* or 0: the hostfd's file */
    uint64_t at_flags; /* AT_SYMLINK_NOFOLLOW, AT_STATX_SYNC_TYPE */
    uint64_t mask;     /* STATX_* */
    uint64_t statxbuf; /* gva of a struct statx */
};
HX_HC_REQ(statx, hostfd, path, at_flags, mask, statxbuf)

struct hx_hc_ftruncate_req {
    uint64_t hostfd;
    int64_t length;
};
HX_HC_REQ(ftruncate, hostfd, length)

struct hx_hc_unlink_req {
    uint64_t path;
    uint64_t at_flags; /* AT_REMOVEDIR or 0 */
};
HX_HC_REQ(unlink, path, at_flags)

struct hx_hc_access_req {
    uint64_t path;
    uint64_t mode;     /* F_OK or R_OK | W_OK | X_OK */
    uint64_t at_flags; /* AT_SYMLINK_NOFOLLOW, AT_EACCESS */
};
HX_HC_REQ(access, path, mode, at_flags)

struct hx_hc_readlink_req {
    uint64_t path;
    uint64_t buf;  /* gva */
    uint64_t size; /* room at buf */
};
HX_HC_REQ(readlink, path, buf, size)

struct hx_hc_fsync_req {
    uint64_t hostfd;
    uint64_t datasync; /* nonzero: fdatasync */
};
HX_HC_REQ(fsync, hostfd, datasync)

/* Both paths in the same mount (EXDEV otherwise, as Linux). */
struct hx_hc_rename_req {
    uint64_t from;
    uint64_t to;
    uint64_t flags; /* RENAME_* */
};
HX_HC_REQ(rename, from, to, flags)

struct hx_hc_getdents_req {
    uint64_t hostfd;
    uint64_t buf;  /* gva: struct linux_dirent64 records */
    uint64_t size; /* room at buf */
};
HX_HC_REQ(getdents, hostfd, buf, size)

struct hx_hc_statfs_req {
    uint64_t hostfd;    /* when path is 0 (else -1) */
    uint64_t path;      /* or 0: the hostfd's file system */
    uint64_t statfsbuf; /* gva of a struct statfs */
};
HX_HC_REQ(statfs, hostfd, path, statfsbuf)

/* copy_file_range between host fds. */
struct hx_hc_copy_range_req {
    uint64_t in_hostfd;
    uint64_t in_off; /* gva of an int64 offset, updated; or 0: the fd's own */
    uint64_t out_hostfd;
    uint64_t out_off; /* gva of an int64 offset, updated; or 0: the fd's own */
    uint64_t len;     /* the monitor moves at most HX_MAX_COPY */
};
HX_HC_REQ(copy_range, in_hostfd, in_off, out_hostfd, out_off, len)

/* A path operation, enum hx_pathop (the arguments each takes are there). */
struct hx_hc_pathop_req {
    uint64_t op;       /* enum hx_pathop */
    uint64_t path;     /* the path operated on (the new name of LINK and SYMLINK) */
    uint64_t path2;    /* SYMLINK's target, LINK's existing path; else 0 */
    uint64_t arg;      /* mode, uid | gid << 32, timespec gva, length, AT_SYMLINK_FOLLOW */
    uint64_t at_flags; /* AT_SYMLINK_NOFOLLOW: CHMOD, CHOWN, UTIMENS, TRUNCATE */
};
HX_HC_REQ(pathop, op, path, path2, arg, at_flags)

/* An operation on a host fd, enum hx_fdop (the arguments each takes are
 * there, in order arg, arg2, arg3). */
struct hx_hc_fdop_req {
    uint64_t op; /* enum hx_fdop */
    uint64_t hostfd;
    uint64_t arg;
    uint64_t arg2;
    uint64_t arg3;
};
HX_HC_REQ(fdop, op, hostfd, arg, arg2, arg3)

/* The guest path of an open directory (it follows renames). */
struct hx_hc_fdpath_req {
    uint64_t hostfd;
    uint64_t buf;  /* gva */
    uint64_t size; /* room at buf */
};
HX_HC_REQ(fdpath, hostfd, buf, size)

/* MAP_SHARED host files (hc_shared.c): a memslot above guest RAM. */
struct hx_hc_map_shared_req {
    uint64_t hostfd;
    uint64_t offset;   /* page aligned */
    uint64_t len;      /* page aligned, at most 64 GiB */
    uint64_t writable; /* nonzero: PROT_WRITE */
};
HX_HC_REQ(map_shared, hostfd, offset, len, writable)

struct hx_hc_unmap_shared_req {
    uint64_t gpa; /* the guest physical base HX_HC_MAP_SHARED returned */
};
HX_HC_REQ(unmap_shared, gpa)

struct hx_hc_msync_req {
    uint64_t gpa;   /* guest physical address in a shared mapping */
    uint64_t len;   /* bytes */
    uint64_t flags; /* MS_*: MS_SYNC waits */
};
HX_HC_REQ(msync, gpa, len, flags)

/* Scheduling and waiting (hc_sched.c). The idle wait: the batch's sends
 * go first; after the wait its receives are made on the fds found
 * readable. Returns the number of ready fds; 0 at the deadline or when a
 * host signal arrived (see hx_live). */
struct hx_hc_wait_req {
    uint64_t fds;        /* gva of struct pollfd[nfds], host fds */
    uint64_t nfds;       /* at most 256 */
    int64_t deadline_ns; /* CLOCK_MONOTONIC, or -1; 0: do not wait */
    uint64_t batch;      /* gva of a struct hx_batch, or 0 */
};
HX_HC_REQ(wait, fds, nfds, deadline_ns, batch)

/* timer_deadline_ns moved before timer_checked_ns (struct hx_live). */
struct hx_hc_timer_kick_req {
    uint64_t unused; /* no arguments (a C struct cannot be empty) */
};
HX_HC_REQ(timer_kick, unused)

/* Sockets (hc_net.c; see enum hx_unix_kind for unix_kind, unix_where). */
struct hx_hc_socket_req {
    uint64_t domain, type, protocol;
};
HX_HC_REQ(socket, domain, type, protocol)

struct hx_hc_socketpair_req {
    uint64_t domain, type, protocol;
    uint64_t sv; /* gva of int[2] */
};
HX_HC_REQ(socketpair, domain, type, protocol, sv)

struct hx_hc_bind_req {
    uint64_t hostfd;
    uint64_t addr; /* gva of the struct sockaddr */
    uint64_t addrlen;
    uint64_t unix_kind, unix_where;
    uint64_t umask; /* the guest's, for the socket file */
};
HX_HC_REQ(bind, hostfd, addr, addrlen, unix_kind, unix_where, umask)

struct hx_hc_connect_req {
    uint64_t hostfd;
    uint64_t addr; /* gva of the struct sockaddr */
    uint64_t addrlen;
    uint64_t unix_kind, unix_where;
};
HX_HC_REQ(connect, hostfd, addr, addrlen, unix_kind, unix_where)

struct hx_hc_listen_req {
    uint64_t hostfd;
    uint64_t backlog;
};
HX_HC_REQ(listen, hostfd, backlog)

struct hx_hc_accept_req {
    uint64_t hostfd;
    uint64_t addr;    /* gva of the peer's struct sockaddr, or 0 */
    uint64_t addrlen; /* gva of its socklen_t, or 0 */
    uint64_t flags;   /* SOCK_NONBLOCK */
};
HX_HC_REQ(accept, hostfd, addr, addrlen, flags)

/* getsockname, or getpeername. */
struct hx_hc_sockname_req {
    uint64_t hostfd;
    uint64_t addr;    /* gva of a struct sockaddr */
    uint64_t addrlen; /* gva of its socklen_t */
    uint64_t peer;    /* nonzero: getpeername */
};
HX_HC_REQ(sockname, hostfd, addr, addrlen, peer)

/* setsockopt, or getsockopt. */
struct hx_hc_sockopt_req {
    uint64_t hostfd;
    uint64_t level, name;
    uint64_t value; /* gva */
    uint64_t len;   /* set: the value's length; get: gva of its int length */
    uint64_t get;   /* nonzero: getsockopt */
};
HX_HC_REQ(sockopt, hostfd, level, name, value, len, get)

struct hx_hc_shutdown_req {
    uint64_t hostfd;
    uint64_t how; /* SHUT_* */
};
HX_HC_REQ(shutdown, hostfd, how)

struct hx_hc_sendmsg_req {
    uint64_t hostfd;
    uint64_t msg; /* gva of a struct msghdr */
    uint64_t flags;
    uint64_t unix_kind, unix_where;
};
HX_HC_REQ(sendmsg, hostfd, msg, flags, unix_kind, unix_where)

struct hx_hc_recvmsg_req {
    uint64_t hostfd;
    uint64_t msg; /* gva of a struct msghdr */
    uint64_t flags;
};
HX_HC_REQ(recvmsg, hostfd, msg, flags)

/* sendmmsg: no AF_UNIX paths. */
struct hx_hc_sendmmsg_req {
    uint64_t hostfd;
    uint64_t msgvec; /* gva of struct mmsghdr[vlen] */
    uint64_t vlen;
    uint64_t flags;
};
HX_HC_REQ(sendmmsg, hostfd, msgvec, vlen, flags)

struct hx_hc_recvmmsg_req {
    uint64_t hostfd;
    uint64_t msgvec; /* gva of struct mmsghdr[vlen] */
    uint64_t vlen;
    uint64_t flags;
    uint64_t timeout; /* gva of a struct timespec, or 0 */
};
HX_HC_REQ(recvmmsg, hostfd, msgvec, vlen, flags, timeout)

/* FIONREAD, SIOCOUTQ, SIOCOUTQNSD, SIOCATMARK. */
struct hx_hc_sockioctl_req {
    uint64_t hostfd;
    uint64_t cmd;
    uint64_t arg; /* gva of the int answer */
};
HX_HC_REQ(sockioctl, hostfd, cmd, arg)

struct hx_hc_sendfile_req {
    uint64_t out_hostfd; /* a non-blocking socket */
    uint64_t in_hostfd;
    uint64_t offset; /* gva of an int64 offset, updated; or 0: the fd's own */
    uint64_t count;
};
HX_HC_REQ(sendfile, out_hostfd, in_hostfd, offset, count)

/* Request block, in guest RAM: the kernel stores its guest physical
 * address to the hypercall MMIO page; the monitor writes `ret` (a value or
 * -errno). The arguments are six 64-bit slots, arg[], read through the
 * request struct of the hypercall nr names. */
struct hx_hcall {
    uint32_t nr;
    uint32_t _pad;
    int64_t ret;
    union {
        uint64_t arg[6];
#define HCALL(nr, NAME, name) struct hx_hc_##name##_req name;
#include "hcalls.h"
#undef HCALL
    };
};
_Static_assert(__builtin_offsetof(struct hx_hcall, ret) == 8, "struct hx_hcall layout");
_Static_assert(__builtin_offsetof(struct hx_hcall, arg) == 16, "struct hx_hcall layout");
_Static_assert(sizeof(struct hx_hcall) == 64, "struct hx_hcall layout");

/* HX_HC_FATAL for a signal that was sent, not raised by a fault. */
#define HX_FATAL_SIGNAL 256

/* ---- Fastcalls (DESIGN.md section 7; HX_FASTCALL_SLOT above) ---------- */
/* The fastcall contract. Five places keep it: hxrewrite writes the
 * trampolines (rewriter/patch.c), kernel/entry.S is the entry they call,
 * kernel/kernel.ld puts the kernel header (and so the slot) first in the
 * image, kernel/signal.c and sigframe.c restart fastcalls and show signal
 * handlers the original syscall, and syscalls/thread.c starts a clone's
 * child. Every number they share is named here.
 *
 * - The site. A syscall instruction (HX_SYSCALL_LEN bytes) and whole
 *   neighbouring instructions become `jmp TRAMP`; the trampoline runs the
 *   displaced instructions and, in place of the syscall:
 *       lea -HX_FASTCALL_RSP_STEP(%rsp),%rsp    (disp8)
 *       call *HX_FASTCALL_SLOT                  HX_FASTCALL_CALL, the slot
 *       nopl SITE-.(%rax)                       HX_FASTCALL_MARK
 *       lea HX_FASTCALL_RSP_STEP(%rsp),%rsp     (disp32)
 *   then jumps back. lea leaves the flags alone.
 * - The red zone. The HX_RED_ZONE bytes below the program's rsp are the
 *   program's (the System V ABI lets leaf code keep data there). The
 *   trampoline steps over them before its call pushes the return address,
 *   and nothing in the kernel writes below the program's rsp minus the red
 *   zone: the syscall entry switches stacks before its first push, and a
 *   signal frame starts below the red zone.
 * - The slot. HX_FASTCALL_SLOT is the kernel header's fastcall_entry (the
 *   header is the first thing kernel.ld puts in the image, at
 *   HX_KERNEL_VA); `call *` through it reaches hx_fastcall_entry at CPL3
 *   with the number in rax and the arguments in rdi, rsi, rdx, r10, r8, r9,
 *   as for syscall. [rsp] is the return address, just after the call.
 * - The registers. The entry returns the result in rax, rcx = the return
 *   address and r11 = rflags (as sysret leaves them), and every other
 *   register, the flags and rsp as it found them. It may use the program's
 *   stack only for the return address already there.
 * - The restart rule. A fastcall a signal interrupts and that must restart
 *   goes back HX_FASTCALL_CALL_LEN bytes from its return address, to the
 *   call (a syscall goes back HX_SYSCALL_LEN). Its handler sees the
 *   original syscall instruction instead, found through the mark, with the
 *   program's own rsp (HX_FASTCALL_RSP_STEP above the trampoline's); the
 *   handler's frame keeps the return address so that rt_sigreturn to the
 *   syscall instruction, or just past it, goes back into the trampoline.
 *   A clone's child starts on its new stack HX_FASTCALL_RSP_STEP lower,
 *   since the trampoline adds that after the call.
 * - The mark. The nopl after the call holds in its 4-byte displacement the
 *   original syscall instruction's address minus the nopl's own, so the
 *   kernel finds the site from the return address alone (pc-range checks
 *   such as musl's thread cancellation compare with the original labels).
 * - The note. A rewritten binary carries an ELF note (name "hx", type
 *   HX_NOTE_FASTCALL, 4-byte descriptor HX_FASTCALL_VERSION) so hxrun
 *   knows to supply the entry; any change to the above changes the
 *   version. */
#define HX_NOTE_FASTCALL 1
#define HX_FASTCALL_VERSION 2
/* The red zone below the program's rsp (System V x86-64 ABI). */
#define HX_RED_ZONE 128
/* How far a trampoline moves rsp before its call: past the red zone. The
 * lea that does it has a one-byte displacement, so at most 128. */
#define HX_FASTCALL_RSP_STEP HX_RED_ZONE
/* The syscall instruction: 0f 05. */
#define HX_SYSCALL_LEN 2
/* A trampoline's `call *HX_FASTCALL_SLOT`: these HX_FASTCALL_OPCODE_LEN
 * bytes and the slot's address as a 4-byte displacement. */
#define HX_FASTCALL_CALL "\xff\x14\x25"
#define HX_FASTCALL_CALL_LEN 7
/* The call's `nopl REL(%rax)` mark: these HX_FASTCALL_OPCODE_LEN bytes and
 * a 4-byte REL, the original syscall instruction's address minus the
 * nopl's own. */
#define HX_FASTCALL_MARK "\x0f\x1f\x80"
#define HX_FASTCALL_MARK_LEN 7
/* The bytes of the call and of the mark before their displacement. */
#define HX_FASTCALL_OPCODE_LEN 3
_Static_assert(HX_FASTCALL_RSP_STEP >= HX_RED_ZONE && HX_FASTCALL_RSP_STEP <= 128,
               "the trampoline steps over the red zone with a disp8 lea");
_Static_assert(sizeof(HX_FASTCALL_CALL) - 1 == HX_FASTCALL_OPCODE_LEN &&
                   HX_FASTCALL_CALL_LEN == HX_FASTCALL_OPCODE_LEN + 4,
               "call *disp32: opcode, ModRM, SIB, then the slot");
_Static_assert(sizeof(HX_FASTCALL_MARK) - 1 == HX_FASTCALL_OPCODE_LEN &&
                   HX_FASTCALL_MARK_LEN == HX_FASTCALL_OPCODE_LEN + 4,
               "nopl disp32(%rax): opcode, ModRM, then the site");
_Static_assert(__builtin_offsetof(struct hx_kernel_header, fastcall_entry) ==
                   HX_FASTCALL_SLOT - HX_KERNEL_VA,
               "HX_FASTCALL_SLOT is the kernel header's fastcall_entry");
/* A rewritten program's e_entry is its native-run guard; a second note
 * (type HX_NOTE_ENTRY, 8-byte descriptor) keeps the program's own entry,
 * where hxrun starts it and which it reports as AT_ENTRY. */
#define HX_NOTE_ENTRY 2
/* Auxiliary-vector tag ("HX", value 1) hxrun adds when the program or its
 * interpreter is rewritten: the native-run guard of a rewritten program
 * looks for it. */
#define HX_AT_HX 0x4858

/* Statistics the kernel reports at exit: CPL0 entries by cause. */
enum hx_cpl0_cause { HX_CPL0_TLB, HX_CPL0_FAULT, HX_CPL0_IRQ, HX_CPL0_NCAUSES };
struct hx_stats {
    uint64_t cpl0[HX_CPL0_NCAUSES];
    uint64_t syscalls;  /* through the syscall instruction */
    uint64_t fastcalls; /* through the fastcall entry (rewritten sites) */
    uint64_t switches;  /* thread switches */
};

#endif /* __ASSEMBLER__ */
#endif
