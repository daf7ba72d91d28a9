/* Linux signals on x86-64: numbers, actions, masks, alternate stacks and
 * siginfo (include/uapi/asm-generic/signal.h, signal-defs.h, siginfo.h,
 * include/uapi/linux/signal.h, arch/x86/include/uapi/asm/signal.h). */
#ifndef HX_UAPI_SIGNAL_H
#define HX_UAPI_SIGNAL_H

#include <stdint.h>

#define NSIG 64
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
/* Real-time signals (32 and up) queue every instance with its info. */
#define SIGRTMIN 32

/* sigaction: handlers and flags. */
#define SIG_DFL 0
#define SIG_IGN 1
#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO 0x00000004u
#define SA_RESTORER 0x04000000u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_NODEFER 0x40000000u
#define SA_RESETHAND 0x80000000u

/* sigprocmask's how. */
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* sigaltstack. */
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048

/* si_code: who sent it, or what the fault was. */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_TKILL (-6)
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_TRAPPED 4
#define CLD_STOPPED 5
#define CLD_CONTINUED 6
#define ILL_ILLOPN 2
#define FPE_INTDIV 1
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN 1
#define BUS_ADRERR 2

/* sigevent's notification (timer_create). */
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4

/* siginfo_t (128 bytes). */
struct ksiginfo {
    int32_t signo, errno_, code, _pad;
    union {
        struct {
            int32_t pid;
            uint32_t uid;
            uint64_t value; /* SI_QUEUE: sigval */
        } kill;
        struct {
            int32_t tid, overrun;
            uint64_t value;
        } timer;
        uint64_t addr;
        uint8_t _size[112];
    } u;
};
_Static_assert(sizeof(struct ksiginfo) == 128, "siginfo layout");

/* stack_t. */
struct kaltstack {
    uint64_t sp;
    int32_t flags, _pad;
    uint64_t size;
};

/* struct sigaction as the rt_sigaction system call takes it. */
struct ksigaction {
    uint64_t handler, flags, restorer, mask;
};

#endif
