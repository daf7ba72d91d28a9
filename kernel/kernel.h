/* The hx guest kernel: shared declarations. Freestanding; no host headers
 * beyond the compiler's own (stdint, stddef, stdarg). */
#ifndef HX_KERNEL_H
#define HX_KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "hx/abi.h"

#define PAGE_SIZE 4096ul
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Direct map and kernel-image address conversions. */
static inline void *phys_to_virt(uint64_t pa)
{
    return (void *)(HX_DIRECT_MAP + pa);
}
static inline uint64_t kva_to_phys(const void *p)
{
    uint64_t v = (uint64_t)p;
    return v >= HX_KTEXT_BASE ? v - HX_KTEXT_BASE : v - HX_DIRECT_MAP;
}

extern struct hx_boot_info *boot;
extern struct hx_stats kstats;
_Static_assert(__builtin_offsetof(struct hx_stats, fastcalls) == HX_STATS_FASTCALLS,
               "kernel/entry.S counts leaf fastcalls at this offset");

/* lib.c */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *d, const char *s);
char *strcat(char *d, const char *s);
char *strchr(const char *s, int c);
/* Formats into buf like a small snprintf: %s %d %u %x %o %lu %ld %lx %p, with 0-padding and width.
 */
int ksnprintf(char *buf, size_t size, const char *fmt, ...);
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* hcall.c: one VM exit each.
 * HC(name, .field = value, ...) makes the hypercall `name` of hx/hcalls.h
 * with its request, struct hx_hc_name_req (hx/abi.h): the compiler checks
 * the field names, and fields left out are 0. Pointers are passed as
 * (uint64_t) guest virtual addresses. The value is the monitor's answer (a
 * value or -errno). */
enum hcall_nr_by_name {
#define HCALL(nr, NAME, name) hcall_nr_##name = HX_HC_##NAME,
#include "hx/hcalls.h"
#undef HCALL
};
#define HC(name, ...)                                                                              \
    hcall_send(&(const struct hx_hcall){.nr = hcall_nr_##name, .name = {__VA_ARGS__}})
int64_t hcall_send(const struct hx_hcall *h);
/* Prints "hxrun: MESSAGE" on the host's stderr. */
void kwarn(const char *fmt, ...);
/* Ends the VM with a status (exit_group). */
__attribute__((noreturn)) void kexit(int status);
/* Ends the VM as a kernel bug. */
__attribute__((noreturn)) void kpanic(const char *msg);

/* trap.c */
void trap_init(void);
/* Flushes TLB entries for [va, va + pages*4K), or all when pages == 0. */
void tlb_flush(uint64_t va, uint64_t pages);

/* random.c: a CSPRNG seeded by the host at boot. */
void random_init(void);
void random_fill(void *buf, size_t len);
void chacha20_block(const uint32_t key[8], uint64_t counter, uint32_t out[16]);

/* time.c */
int64_t clock_monotonic_ns(void);
int64_t clock_realtime_ns(void);

void hx_enter_user(uint64_t entry, uint64_t sp) __attribute__((noreturn));

/* Every user register (offsets fixed by hx_resume in entry.S). */
struct hx_uregs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    uint64_t _pad, rip, rflags, rsp;
};
_Static_assert(__builtin_offsetof(struct hx_uregs, r15) == U_R15, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, r14) == U_R14, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, r13) == U_R13, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, r12) == U_R12, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rbp) == U_RBP, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rbx) == U_RBX, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, r11) == U_R11, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, r10) == U_R10, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, r9) == U_R9, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, r8) == U_R8, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rax) == U_RAX, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rcx) == U_RCX, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rdx) == U_RDX, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rsi) == U_RSI, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rdi) == U_RDI, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rip) == U_RIP, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rflags) == U_RFLAGS, "hx_resume reads it there");
_Static_assert(__builtin_offsetof(struct hx_uregs, rsp) == U_RSP, "hx_resume reads it there");
void hx_resume(const struct hx_uregs *r) __attribute__((noreturn));

/* A fault the program handles, saved at CPL0 for delivery at CPL3. */
struct hx_fault_info {
    int32_t signo, code;
    uint64_t addr, vector, error, cr2;
};
extern struct hx_uregs hx_fault_regs;
extern struct hx_fault_info hx_fault_info;

#endif
