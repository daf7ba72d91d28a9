/* System-call site discovery over a set of objects loaded together: every
 * syscall instruction with the numbers it may use, and, for functions that
 * take the number as an argument (libc's syscall(), musl's __syscall_cp), the
 * calls to them with the numbers their callers pass. hxrewrite reuses the
 * sites; hxscan reports them. */
#ifndef HX_REWRITER_SCAN_H
#define HX_REWRITER_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "infer.h"

enum hx_site_kind {
    HX_SITE_SYSCALL, /* a syscall instruction */
    HX_SITE_CALL,    /* a call (or tail jump) to a function that takes the number */
    HX_SITE_I386     /* int $0x80 or sysenter */
};

struct hx_site {
    uint32_t obj;  /* index in scan->objs */
    uint32_t insn; /* the instruction in that object's code */
    uint64_t addr;
    uint8_t kind;    /* enum hx_site_kind */
    uint8_t why;     /* enum hx_why: HX_WHY_NONE when all its numbers are known */
    uint8_t wrapper; /* a syscall instruction taking (some of) its number from an argument */
    uint64_t why_at;
    size_t n;
    uint64_t nr[HX_MAX_VALUES]; /* sorted */
};

/* A function whose syscall number is an argument. */
struct hx_wrapper {
    uint32_t obj;
    uint64_t func;
    uint8_t reg;
    size_t ncallers; /* calls to it found, in any object */
};

/* A place whose number could not be determined. */
struct hx_unresolved {
    uint32_t obj;
    uint64_t addr; /* the instruction, or the function (HX_WHY_NOCALLERS) */
    uint8_t why;
    uint64_t why_at;
};

struct hx_scan_object {
    struct hx_code code;
    size_t syscalls;   /* syscall instructions */
    size_t resolved;   /* ... whose numbers are all known */
    size_t wrappers;   /* ... whose number is an argument */
    size_t calls;      /* wrapper calls with numbers in this object */
    size_t unresolved; /* entries of scan->unresolved in this object */
};

struct hx_scan {
    struct hx_scan_object *objs; /* in load order: symbol lookups go first to last */
    size_t nobjs, capobjs;
    struct hx_site *sites;
    size_t nsites, capsites;
    struct hx_wrapper *wrappers;
    size_t nwrappers, capwrappers;
    struct hx_unresolved *unresolved;
    size_t nunresolved, capunresolved;
};

void hx_scan_init(struct hx_scan *sc);
/* Adds a decoded object; the scan takes over code (do not free it). Returns
 * 0, or -1 when out of memory (code is then freed). */
int hx_scan_add(struct hx_scan *sc, struct hx_code *code);
/* Finds the sites of every object added. Returns 0, or -1 when out of memory. */
int hx_scan_run(struct hx_scan *sc);
void hx_scan_free(struct hx_scan *sc);

#endif
