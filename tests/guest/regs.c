/*
 * regs: what a system call leaves in the registers and flags.  Linux
 * changes rax (the result), rcx and r11 (r11: the rflags of the call) and
 * nothing else: not the other registers, not the arithmetic flags, not
 * DF.  Checked for calls hx answers in different ways (getppid and
 * clock_gettime, which a fastcall reaches without a frame; write and
 * rt_sigprocmask, which build one), with two flag patterns.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { RAX, RBX, RCX, RDX, RSI, RDI, RBP, R8, R9, R10, R11, R12, R13, R14, R15, FLAGS, NREGS };
static const char *const names[NREGS] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
                                         "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rflags"};

/* regs_syscall(in, out): every register and rflags from in, one syscall
 * instruction (rax: the number), then every register and rflags into out. */
void regs_syscall(const uint64_t *in, uint64_t *out);
__asm__(".text\n"
        ".globl regs_syscall\n"
        ".type regs_syscall, @function\n"
        "regs_syscall:\n"
        "  push %rbx\n"
        "  push %rbp\n"
        "  push %r12\n"
        "  push %r13\n"
        "  push %r14\n"
        "  push %r15\n"
        "  push %rsi\n"
        "  pushq 120(%rdi)\n"
        "  popfq\n"
        "  mov 0(%rdi), %rax\n"
        "  mov 8(%rdi), %rbx\n"
        "  mov 16(%rdi), %rcx\n"
        "  mov 24(%rdi), %rdx\n"
        "  mov 32(%rdi), %rsi\n"
        "  mov 48(%rdi), %rbp\n"
        "  mov 56(%rdi), %r8\n"
        "  mov 64(%rdi), %r9\n"
        "  mov 72(%rdi), %r10\n"
        "  mov 80(%rdi), %r11\n"
        "  mov 88(%rdi), %r12\n"
        "  mov 96(%rdi), %r13\n"
        "  mov 104(%rdi), %r14\n"
        "  mov 112(%rdi), %r15\n"
        "  mov 40(%rdi), %rdi\n"
        "  syscall\n"
        "  pushfq\n"
        "  push %r15\n"
        "  push %r14\n"
        "  push %r13\n"
        "  push %r12\n"
        "  push %r11\n"
        "  push %r10\n"
        "  push %r9\n"
        "  push %r8\n"
        "  push %rbp\n"
        "  push %rdi\n"
        "  push %rsi\n"
        "  push %rdx\n"
        "  push %rcx\n"
        "  push %rbx\n"
        "  push %rax\n"
        "  cld\n"
        "  mov 128(%rsp), %rdi\n"
        "  popq 0(%rdi)\n"
        "  popq 8(%rdi)\n"
        "  popq 16(%rdi)\n"
        "  popq 24(%rdi)\n"
        "  popq 32(%rdi)\n"
        "  popq 40(%rdi)\n"
        "  popq 48(%rdi)\n"
        "  popq 56(%rdi)\n"
        "  popq 64(%rdi)\n"
        "  popq 72(%rdi)\n"
        "  popq 80(%rdi)\n"
        "  popq 88(%rdi)\n"
        "  popq 96(%rdi)\n"
        "  popq 104(%rdi)\n"
        "  popq 112(%rdi)\n"
        "  popq 120(%rdi)\n"
        "  pop %rsi\n"
        "  pop %r15\n"
        "  pop %r14\n"
        "  pop %r13\n"
        "  pop %r12\n"
        "  pop %rbp\n"
        "  pop %rbx\n"
        "  ret\n"
        ".size regs_syscall, .-regs_syscall\n");

#define CF 0x1
#define PF 0x4
#define AF 0x10
#define ZF 0x40
#define SF 0x80
#define DF 0x400
#define OF 0x800
#define CHECKED (CF | PF | AF | ZF | SF | DF | OF)

static void check(const char *what, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                  uint64_t flags)
{
    uint64_t in[NREGS], out[NREGS];
    for (int i = 0; i < NREGS; i++)
        in[i] = 0x1111111111111111ull * (uint64_t)(i + 1) ^ 0x0123456789abcdefull;
    in[RAX] = nr;
    in[RDI] = a0;
    in[RSI] = a1;
    in[RDX] = a2;
    in[R10] = a3;
    in[FLAGS] = 0x202 | flags;
    regs_syscall(in, out);
    /* Pids differ between the runs: errors are what is compared. */
    if ((int64_t)out[RAX] < 0)
        printf("%s, flags %#llx: error %lld;", what, (unsigned long long)flags,
               (long long)out[RAX]);
    else
        printf("%s, flags %#llx: success;", what, (unsigned long long)flags);
    int changed = 0;
    for (int i = 0; i < FLAGS; i++)
        if (i != RAX && i != RCX && i != R11 && out[i] != in[i]) {
            printf(" %s changed", names[i]);
            changed = 1;
        }
    if ((out[FLAGS] & CHECKED) != flags) {
        printf(" flags %#llx", (unsigned long long)(out[FLAGS] & CHECKED));
        changed = 1;
    }
    if ((out[R11] & CHECKED) != flags) {
        printf(" r11 %#llx", (unsigned long long)(out[R11] & CHECKED));
        changed = 1;
    }
    printf("%s\n", changed ? "" : " all kept");
}

int main(void)
{
    static const uint64_t patterns[] = {0, CF | PF | AF | ZF | SF | OF, CF | ZF | DF, SF | OF | DF,
                                        PF | AF};
    struct timespec ts;
    uint64_t mask[2];
    for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
        uint64_t f = patterns[p];
        check("getppid", 110, 0, 0, 0, 0, f);
        check("clock_gettime", 228, CLOCK_MONOTONIC, (uint64_t)&ts, 0, 0, f);
        check("clock_gettime bad clock", 228, 12345, (uint64_t)&ts, 0, 0, f);
        check("write to a bad fd", 1, (uint64_t)-1, (uint64_t) "x", 1, 0, f);
        check("rt_sigprocmask", 14, 0, 0, (uint64_t)mask, 8, f);
        check("getpid", 39, 0, 0, 0, 0, f);
    }
    return 0;
}
