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

#define HX_ABI_VERSION 3
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
    int32_t hostfd; /* the monitor's fd for it, which the guest owns */
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
     * ignored (bit N-1 for signal N), as hxrun found them. */
    uint64_t sig_blocked, sig_ignored;
    char cwd[4096];
    char exe[4096];
    /* Descriptors above 2 that hxrun inherited: exec passes them on, so the
     * program finds each at its number. An array of ninherited entries at
     * guest physical inherited_pa. */
    uint64_t inherited_pa;
    uint32_t ninherited, _pad4;
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
    } live;
};

/* ---- Hypercalls ------------------------------------------------------- */
/* Request block, in guest RAM. Pointer arguments are guest virtual
 * addresses, translated and checked by the monitor through the guest page
 * tables. The monitor writes `ret` (a value or -errno). */
struct hx_hcall {
    uint32_t nr;
    uint32_t _pad;
    int64_t ret;
    uint64_t arg[6];
};

enum hx_hcall_nr {
    HX_HC_EXIT = 1,     /* status, stats gva */
    HX_HC_FATAL,        /* signo, vector or HX_FATAL_SIGNAL, error, address, rip, stats */
    HX_HC_WRITE,        /* hostfd, buf, len */
    HX_HC_READ,         /* hostfd, buf, len */
    HX_HC_PREAD,        /* hostfd, buf, len, offset */
    HX_HC_PWRITE,       /* hostfd, buf, len, offset */
    HX_HC_WRITEV,       /* hostfd, iov, iovcnt */
    HX_HC_READV,        /* hostfd, iov, iovcnt */
    HX_HC_OPEN,         /* path, flags, mode: path absolute in the guest */
    HX_HC_CLOSE,        /* hostfd */
    HX_HC_LSEEK,        /* hostfd, offset, whence */
    HX_HC_FSTAT,        /* hostfd, struct stat */
    HX_HC_STAT,         /* path, struct stat, AT_* flags */
    HX_HC_STATX,        /* hostfd or -1, path or 0, flags, mask, struct statx */
    HX_HC_IOCTL,        /* hostfd, cmd, arg: TCGETS, TIOCGWINSZ */
    HX_HC_FCNTL,        /* hostfd, cmd, arg: F_GETFL, F_SETFL */
    HX_HC_GETRANDOM,    /* buf, len, flags */
    HX_HC_SLEEP,        /* monotonic deadline in ns */
    HX_HC_POLL,         /* struct pollfd[] of host fds, n, timeout ms */
    HX_HC_UNSUPPORTED,  /* syscall nr */
    HX_HC_STRACE,       /* nr, args gva (6 x u64), result */
    HX_HC_FTRUNCATE,    /* hostfd, length */
    HX_HC_UNLINK,       /* path, AT_REMOVEDIR or 0 */
    HX_HC_ACCESS,       /* path, mode, AT_* flags */
    HX_HC_READLINK,     /* path, buf, size */
    HX_HC_FSYNC,        /* hostfd, datasync */
    HX_HC_RENAME,       /* old path, new path, RENAME_* flags */
    HX_HC_GETDENTS,     /* hostfd, buf, size: struct linux_dirent64 records */
    HX_HC_STATFS,       /* hostfd or -1, path or 0, struct statfs */
    HX_HC_COPY_RANGE,   /* in fd, in offset gva or 0, out fd, out offset gva or 0, len */
    HX_HC_PATHOP,       /* enum hx_pathop, path, path2 or 0, arg, arg2 */
    HX_HC_FDOP,         /* enum hx_fdop, hostfd, arg, arg2, arg3 */
    HX_HC_MAP_SHARED,   /* hostfd, offset, length, writable: returns the guest physical base */
    HX_HC_UNMAP_SHARED, /* guest physical base */
    HX_HC_MSYNC,        /* guest physical address, length, MS_* flags */
    HX_HC_FDPATH,       /* hostfd, buf, size: the guest path of an open directory */
    HX_HC_CPUINFO,      /* buf, size: the host's /proc/cpuinfo (no guest path reaches it) */
    /* Ranges kept apart so independent work can add numbers without
     * colliding: 64.. scheduling and waiting, 96.. sockets, 128.. fastcalls. */
    HX_HC_SCHED_BASE = 64,
    /* struct pollfd[] of host fds, n, deadline (CLOCK_MONOTONIC ns, or -1;
     * 0: do not wait), struct hx_batch gva or 0: the idle wait. The
     * batch's sends go first; after the wait its receives are made on the
     * fds found readable. Returns the number of ready fds; 0 at the
     * deadline or when a host signal arrived (see hx_live). */
    HX_HC_WAIT = HX_HC_SCHED_BASE,
    HX_HC_TIMER_KICK, /* timer_deadline_ns moved before timer_checked_ns */
    HX_HC_NET_BASE = 96,
    HX_HC_FAST_BASE = 128,
    HX_HC_NR = 160
};

/* Sockets, forwarded to the host (hc_net.c). Addresses are the guest's
 * struct sockaddr bytes, except that an AF_UNIX path (sun_path[0] != 0) is
 * never used as a host path: the kernel resolves it in the guest's file
 * systems and passes where it leads as (kind, where), enum hx_unix_kind.
 * The monitor reports the guest's own path back wherever Linux reports one
 * (getsockname, getpeername, accept, recvfrom, recvmsg). */
enum hx_hcall_net {
    HX_HC_SOCKET = HX_HC_NET_BASE, /* domain, type, protocol */
    HX_HC_SOCKETPAIR,              /* domain, type, protocol, int[2] gva */
    HX_HC_BIND,                    /* hostfd, addr, addrlen, kind, where, umask */
    HX_HC_CONNECT,                 /* hostfd, addr, addrlen, kind, where */
    HX_HC_LISTEN,                  /* hostfd, backlog */
    HX_HC_ACCEPT,                  /* hostfd, addr or 0, addrlen gva or 0, SOCK_NONBLOCK */
    HX_HC_SOCKNAME,                /* hostfd, addr, addrlen gva, peer (getpeername) */
    HX_HC_SOCKOPT,                 /* hostfd, level, name, value, len (set) or len gva (get), get */
    HX_HC_SHUTDOWN,                /* hostfd, how */
    HX_HC_SENDMSG,                 /* hostfd, struct msghdr gva, flags, kind, where */
    HX_HC_RECVMSG,                 /* hostfd, struct msghdr gva, flags */
    HX_HC_SENDMMSG,                /* hostfd, struct mmsghdr gva, vlen, flags: no AF_UNIX paths */
    HX_HC_RECVMMSG,                /* hostfd, struct mmsghdr gva, vlen, flags, timespec gva or 0 */
    HX_HC_SOCKIOCTL,               /* hostfd, cmd, int gva: FIONREAD, SIOCOUTQ, SIOCATMARK */
    HX_HC_SENDFILE, /* out hostfd (a non-blocking socket), in hostfd, offset gva or 0, count */
    HX_HC_NET_END
};

/* Where the AF_UNIX path of a bind, connect or sendto leads. */
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
