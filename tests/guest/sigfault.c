/*
 * sigfault: synchronous signals from CPU exceptions, caught and survived.
 * (segv.c and traps.c cover the same exceptions left uncaught;
 * sigdeliver.c one SIGSEGV left with siglongjmp.)
 *
 * SIGSEGV with si_code SEGV_MAPERR / SEGV_ACCERR and the exact si_addr
 * for reads, writes and instruction fetches, the page-fault error code and
 * trap number in the ucontext, the mask after siglongjmp with and without
 * a saved mask, resuming by editing the saved registers; SIGFPE for both
 * integer divide errors; SIGILL on ud2; SIGTRAP on int3 (a trap: the
 * handler returns and execution goes on); and stack overflow from endless
 * recursion caught on an alternate stack, in main and in a thread with
 * its own alternate stack.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile sig_atomic_t sig_seen;
/* What the last handler saw.  volatile: it changes behind the compiler's
 * back (glibc even declares its wrappers leaf functions). */
static volatile struct {
    int code;
    void *addr;
} info;
static volatile greg_t trapno, errcode, rip;
static volatile int on_alt, alt_flag_in_handler;

static const char *code_name(int sig, int code)
{
    if (code == SI_KERNEL)
        return "SI_KERNEL";
    switch (sig) {
    case SIGSEGV:
        return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
    case SIGFPE:
        return code == FPE_INTDIV ? "FPE_INTDIV" : code == FPE_INTOVF ? "FPE_INTOVF" : "other";
    case SIGILL:
        return code == ILL_ILLOPN ? "ILL_ILLOPN" : code == ILL_ILLOPC ? "ILL_ILLOPC" : "other";
    case SIGTRAP:
        return code == TRAP_BRKPT ? "TRAP_BRKPT" : "other";
    }
    return "other";
}

static void record(int s, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    sig_seen = s;
    info.code = si->si_code;
    info.addr = si->si_addr;
    trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
    errcode = uc->uc_mcontext.gregs[REG_ERR];
    rip = uc->uc_mcontext.gregs[REG_RIP];
}

static void jump_out(int s, siginfo_t *si, void *uc)
{
    record(s, si, uc);
    siglongjmp(jb, 1);
}

static void catch (int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

static int blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

/* Page-fault error code bits (x86). */
#define PF_WRITE 2
#define PF_USER 4
#define PF_INSTR 16

static void segv(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *gone = p, *ro = p + pg, *none = p + 2 * pg;
    munmap(gone, pg);
    mprotect(ro, pg, PROT_READ);
    mprotect(none, pg, PROT_NONE);
    catch (SIGSEGV, jump_out, 0);

    static const struct {
        const char *name;
        int which, write, exec;
    } cases[] = {
        {"read unmapped", 0, 0, 0},     {"write unmapped", 0, 1, 0},  {"write read-only", 1, 1, 0},
        {"read PROT_NONE", 2, 0, 0},    {"write PROT_NONE", 2, 1, 0}, {"execute unmapped", 0, 0, 1},
        {"execute read-only", 1, 0, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        volatile char *volatile a = (cases[i].which == 0   ? gone
                                     : cases[i].which == 1 ? ro
                                                           : none) +
                                    100;
        sig_seen = 0;
        info.code = 0;
        info.addr = NULL;
        if (!sigsetjmp(jb, 1)) {
            if (cases[i].exec)
                ((void (*)(void))(uintptr_t)a)();
            else if (cases[i].write)
                *a = 1;
            else
                (void)*a;
        }
        printf("%s: signal %s, %s, si_addr right %s, trapno 14 %s, error code: write %s, user %s, "
               "fetch %s",
               cases[i].name, sig_seen == SIGSEGV ? "SIGSEGV" : "none",
               code_name(SIGSEGV, info.code), info.addr == (void *)a ? "yes" : "no",
               trapno == 14 ? "yes" : "no", errcode & PF_WRITE ? "yes" : "no",
               errcode & PF_USER ? "yes" : "no", errcode & PF_INSTR ? "yes" : "no");
        if (cases[i].exec)
            printf(", rip at target %s", rip == (greg_t)(uintptr_t)a ? "yes" : "no");
        printf("\n");
    }
    printf("SIGSEGV unblocked after siglongjmp with saved mask: %s\n",
           blocked(SIGSEGV) ? "no" : "yes");

    /* sigsetjmp(.., 0) does not save the mask: leaving the handler by
     * siglongjmp keeps the handler's mask, with SIGSEGV blocked. */
    if (!sigsetjmp(jb, 0))
        *(volatile char *)ro = 1;
    printf("SIGSEGV still blocked after siglongjmp without saved mask: %s\n",
           blocked(SIGSEGV) ? "yes" : "no");
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigprocmask(SIG_UNBLOCK, &s, NULL);

    /* SA_NODEFER: SIGSEGV is not blocked inside the handler. */
    catch (SIGSEGV, jump_out, SA_NODEFER);
    if (!sigsetjmp(jb, 0))
        *(volatile char *)ro = 1;
    printf("with SA_NODEFER, SIGSEGV blocked after leaving the handler: %s\n",
           blocked(SIGSEGV) ? "yes" : "no");
    munmap(ro, 2 * pg);
}

/* Resume by editing the context: the handler skips the faulting load by
 * setting rip to the address the code left in rcx, and sets rax. */
static void skip_load(int s, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    record(s, si, ucv);
    uc->uc_mcontext.gregs[REG_RIP] = uc->uc_mcontext.gregs[REG_RCX];
    uc->uc_mcontext.gregs[REG_RAX] = 1234;
}

static void resume(void)
{
    catch (SIGSEGV, skip_load, 0);
    long v;
    __asm__ volatile("leaq 1f(%%rip), %%rcx\n\t"
                     "movq (%%rdx), %%rax\n"
                     "1:"
                     : "=a"(v)
                     : "d"(16L)
                     : "rcx", "memory");
    printf("load from 16 skipped by the handler: rax %ld, si_addr 16 %s\n", v,
           info.addr == (void *)16 ? "yes" : "no");
    signal(SIGSEGV, SIG_DFL);
}

static void arith(void)
{
    catch (SIGFPE, jump_out, 0);
    static const char *names[] = {"1 / 0", "INT_MIN / -1", "1 % 0 (64-bit)"};
    for (int i = 0; i < 3; i++) {
        sig_seen = 0;
        info.code = 0;
        info.addr = NULL;
        if (!sigsetjmp(jb, 1)) {
            if (i == 0) {
                int num = 1, den = 0;
                __asm__ volatile("cltd; idivl %1" : "+a"(num) : "r"(den) : "edx");
            } else if (i == 1) {
                int num = -2147483647 - 1, den = -1;
                __asm__ volatile("cltd; idivl %1" : "+a"(num) : "r"(den) : "edx");
            } else {
                long num = 1, den = 0;
                __asm__ volatile("cqto; idivq %1" : "+a"(num) : "r"(den) : "rdx");
            }
        }
        /* si_addr is the faulting instruction (rip, not advanced): an
         * idiv, opcode f7 (with a REX.W prefix for 64 bits). */
        const unsigned char *at = (const unsigned char *)rip;
        int is_idiv = at && (at[0] == 0xf7 || ((at[0] & 0xf0) == 0x40 && at[1] == 0xf7));
        printf("%s: signal %s, %s, trapno 0 %s, si_addr is rip %s, rip at the idiv %s\n", names[i],
               sig_seen == SIGFPE ? "SIGFPE" : "none", code_name(SIGFPE, info.code),
               trapno == 0 ? "yes" : "no", info.addr == (void *)rip ? "yes" : "no",
               is_idiv ? "yes" : "no");
    }
    signal(SIGFPE, SIG_DFL);
}

static volatile int after_trap;

static void ill_and_trap(void)
{
    catch (SIGILL, jump_out, 0);
    sig_seen = 0;
    if (!sigsetjmp(jb, 1))
        __asm__ volatile("ud2");
    const unsigned char *op = (const unsigned char *)rip;
    printf("ud2: signal %s, %s, trapno 6 %s, si_addr is rip %s, rip at ud2 %s\n",
           sig_seen == SIGILL ? "SIGILL" : "none", code_name(SIGILL, info.code),
           trapno == 6 ? "yes" : "no", info.addr == (void *)rip ? "yes" : "no",
           op && op[0] == 0x0f && op[1] == 0x0b ? "yes" : "no");
    signal(SIGILL, SIG_DFL);

    /* int3 is a trap: the saved rip is after it, and returning from the
     * handler carries on with the next instruction. */
    catch (SIGTRAP, record, 0);
    uintptr_t at = 0;
    sig_seen = 0;
    __asm__ volatile("leaq 1f(%%rip), %0\n\t"
                     "int3\n"
                     "1:"
                     : "=r"(at));
    after_trap = 1;
    printf("int3: signal %s, %s, trapno 3 %s, rip after int3 %s, carried on %s\n",
           sig_seen == SIGTRAP ? "SIGTRAP" : "none", code_name(SIGTRAP, info.code),
           trapno == 3 ? "yes" : "no", (uintptr_t)rip == at ? "yes" : "no",
           after_trap ? "yes" : "no");
    signal(SIGTRAP, SIG_DFL);
}

/* ---- stack overflow on the alternate stack ---- */

static void overflow_handler(int s, siginfo_t *si, void *uc)
{
    record(s, si, uc);
    stack_t ss;
    sigaltstack(NULL, &ss);
    int here;
    on_alt = (char *)&here > (char *)ss.ss_sp && (char *)&here < (char *)ss.ss_sp + ss.ss_size;
    alt_flag_in_handler = (ss.ss_flags & SS_ONSTACK) != 0;
    siglongjmp(jb, 1);
}

static volatile int never;

static int recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    if (never)
        return 0;
    return recurse(n + 1) + pad[0];
}

static void overflow(const char *who)
{
    sig_seen = 0;
    on_alt = alt_flag_in_handler = 0;
    if (!sigsetjmp(jb, 1))
        recurse(0);
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("%s: stack overflow caught: %s, %s, on the alternate stack %s, SS_ONSTACK in handler "
           "%s, SS_ONSTACK after siglongjmp %s\n",
           who, sig_seen == SIGSEGV ? "yes" : "no", code_name(SIGSEGV, info.code),
           on_alt ? "yes" : "no", alt_flag_in_handler ? "yes" : "no",
           ss.ss_flags & SS_ONSTACK ? "yes" : "no");
}

static void *thread_overflow(void *arg)
{
    (void)arg;
    stack_t ss = {.ss_sp = malloc(64 * 1024), .ss_size = 64 * 1024, .ss_flags = 0};
    stack_t old;
    sigaltstack(NULL, &old);
    printf("thread starts without an alternate stack: %s\n",
           old.ss_flags == SS_DISABLE ? "yes" : "no");
    sigaltstack(&ss, NULL);
    overflow("thread (256 KiB stack, guard page)");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(ss.ss_sp);
    return NULL;
}

static void overflows(void)
{
    /* Keep the recursion bounded in time: an 8 MiB main stack at 512+
     * bytes a frame is well under a second; an unlimited stack is not. */
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 8 << 20) {
        rl.rlim_cur = 8 << 20;
        setrlimit(RLIMIT_STACK, &rl);
    }
    stack_t ss = {.ss_sp = malloc(64 * 1024), .ss_size = 64 * 1024, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    catch (SIGSEGV, overflow_handler, SA_ONSTACK);
    overflow("main");
    overflow("main, again");
    fflush(stdout);
    /* A thread has its own (empty) alternate stack setting. */
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 256 * 1024);
    pthread_create(&t, &a, thread_overflow, NULL);
    pthread_join(t, NULL);
    pthread_attr_destroy(&a);
}

int main(void)
{
    segv();
    resume();
    arith();
    ill_and_trap();
    overflows();
    return 0;
}
