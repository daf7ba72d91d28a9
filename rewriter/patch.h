/* Fastcall patching (DESIGN.md section 7): for every syscall instruction of
 * one decoded object, decides whether it can be replaced by a jump to a
 * trampoline that calls the hx kernel's fastcall entry, and builds the
 * trampolines. A site is patched only when the analysis proves it safe:
 * the 5-byte jump covers whole instructions of one basic block, none of
 * them (but the first) a branch target, none of them a branch, and the
 * trampoline reproduces exactly what the displaced instructions and the
 * syscall did. Everything else stays a working syscall instruction, with
 * the reason recorded. */
#ifndef HX_REWRITER_PATCH_H
#define HX_REWRITER_PATCH_H

#include <stddef.h>
#include <stdint.h>

#include "disasm.h"
#include "scan.h"

/* The site's jump to its trampoline. The trampoline's own pieces are fixed
 * by the fastcall contract (hx/abi.h: HX_FASTCALL_CALL_LEN,
 * HX_FASTCALL_MARK). */
#define HX_PATCH_JMP_LEN 5

/* Why a site was left as a syscall instruction. */
enum hx_leave {
    HX_LEAVE_NONE,      /* patched */
    HX_LEAVE_ROOM,      /* fewer than 5 bytes of movable instructions around it */
    HX_LEAVE_OPAQUE,    /* its function has jumps the analysis cannot follow */
    HX_LEAVE_FORK,      /* fork or vfork */
    HX_LEAVE_SIGRETURN, /* an rt_sigreturn restorer */
    HX_LEAVE_EXIT,      /* exit or exit_group */
    HX_LEAVE_UNMAP,     /* munmap followed by exit: may unmap its own stack */
    HX_LEAVE_CLONE3,    /* clone3 */
    HX_LEAVE_RELOC,     /* a displaced RIP-relative operand out of the trampoline's reach */
    HX_LEAVE_INSIDE,    /* a branch or code address lands inside the bytes to overwrite */
    HX_LEAVE_COUNT
};

/* What stops the movable window on one side of a syscall. */
enum hx_stop {
    HX_STOP_NONE,    /* nothing: enough bytes before reaching anything */
    HX_STOP_TARGET,  /* the instruction starts a basic block: a branch target or function start */
    HX_STOP_BRANCH,  /* a branch, call or return (which cannot move) */
    HX_STOP_SYSCALL, /* another system-call instruction */
    HX_STOP_PATCH,   /* bytes another site's patch already covers */
    HX_STOP_GAP,     /* undecodable bytes or the end of the code */
    HX_STOP_COUNT
};

struct hx_patch_site {
    uint64_t addr;                   /* the syscall instruction */
    uint64_t start, end;             /* patched: the bytes replaced by the jump and int3 fill */
    uint64_t tramp;                  /* patched: the trampoline's address */
    uint8_t leave;                   /* enum hx_leave; HX_LEAVE_NONE when patched */
    uint8_t stop_before, stop_after; /* HX_LEAVE_ROOM: enum hx_stop on each side */
    uint64_t stop_before_at, stop_after_at;
    uint64_t leave_at; /* HX_LEAVE_RELOC: the instruction; HX_LEAVE_INSIDE: the address */
};

struct hx_patch_plan {
    struct hx_patch_site *sites; /* every syscall instruction, by address */
    size_t nsites, npatched;
    uint64_t tramp_base; /* address of tramp[0] */
    uint8_t *tramp;      /* the trampolines, back to back */
    size_t tramp_len, tramp_cap;
};

/* Plans the patches of object obj of a scan that has run (for the numbers
 * each site may use) with trampolines placed from tramp_base on. d decodes
 * displaced instructions again for their RIP-relative displacements.
 * Returns 0, or -1 when out of memory. */
int hx_patch_plan(const struct hx_scan *sc, uint32_t obj, struct hx_disasm *d, uint64_t tramp_base,
                  struct hx_patch_plan *p);

/* The bytes that replace [s->start, s->end) of a patched site: a jmp rel32
 * to its trampoline, then int3. out has room for s->end - s->start. */
void hx_patch_site_bytes(const struct hx_patch_site *s, uint8_t *out);

void hx_patch_plan_free(struct hx_patch_plan *p);

const char *hx_leave_text(unsigned leave);
const char *hx_stop_text(unsigned stop);

#endif
