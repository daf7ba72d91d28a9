/* One decoded x86-64 instruction, reduced to what the syscall analysis needs:
 * where control goes next, which general-purpose registers it writes, and,
 * for its main destination register, how the new value is computed when that
 * is simple enough to follow (a constant, a copy, a copy plus a constant).
 * Shared by hxscan and hxrewrite. */
#ifndef HX_REWRITER_INSN_H
#define HX_REWRITER_INSN_H

#include <stdint.h>

/* The 16 general-purpose registers, numbered as in the instruction encoding. */
enum hx_reg {
    HX_RAX,
    HX_RCX,
    HX_RDX,
    HX_RBX,
    HX_RSP,
    HX_RBP,
    HX_RSI,
    HX_RDI,
    HX_R8,
    HX_R9,
    HX_R10,
    HX_R11,
    HX_R12,
    HX_R13,
    HX_R14,
    HX_R15,
    HX_NREGS,
    HX_NOREG = 0xff
};

#define HX_REGBIT(r) ((uint16_t)(1u << (r)))
/* Registers a call may change under the System V ABI (rsp aside). */
#define HX_CALLER_SAVED                                                                            \
    (HX_REGBIT(HX_RAX) | HX_REGBIT(HX_RCX) | HX_REGBIT(HX_RDX) | HX_REGBIT(HX_RSI) |               \
     HX_REGBIT(HX_RDI) | HX_REGBIT(HX_R8) | HX_REGBIT(HX_R9) | HX_REGBIT(HX_R10) |                 \
     HX_REGBIT(HX_R11))

/* What happens after the instruction. */
enum hx_flow {
    HX_FLOW_NEXT,  /* falls through */
    HX_FLOW_JCC,   /* conditional direct branch: target or next */
    HX_FLOW_JMP,   /* unconditional direct jump to target */
    HX_FLOW_IJMP,  /* indirect jump (see ijmp) */
    HX_FLOW_CALL,  /* direct call to target, then next */
    HX_FLOW_ICALL, /* indirect call, then next */
    HX_FLOW_RET,   /* ret, iret, sysret */
    HX_FLOW_STOP   /* ud2, hlt, int3: execution does not go on to next */
};

/* The memory operand of an indirect jump or call, classified for jump-table
 * recovery and PLT/GOT resolution. */
enum hx_ijmp {
    HX_IJMP_NONE,
    HX_IJMP_REG,       /* jmp *%reg */
    HX_IJMP_RIP,       /* jmp *X(%rip): through a GOT slot; mem_addr is the slot */
    HX_IJMP_BASE,      /* jmp *d(%reg): through a pointer in a structure */
    HX_IJMP_TABLE_ABS, /* jmp *T(,%idx,8): an absolute jump table at mem_addr */
    HX_IJMP_OTHER
};

/* How the main destination register (dst) gets its new value. */
enum hx_def {
    HX_DEF_NONE,   /* no general-purpose register written as a destination */
    HX_DEF_SET,    /* dst = imm */
    HX_DEF_MOVE,   /* dst = src, then alu with imm (HX_ALU_NONE for a plain copy) */
    HX_DEF_UPDATE, /* dst = dst alu imm */
    HX_DEF_CMOV,   /* dst = condition ? src : dst; src HX_NOREG means from memory */
    HX_DEF_XCHG,   /* dst and src swap */
    HX_DEF_OPAQUE  /* written in a way not followed (why: opaque_why) */
};

enum hx_alu {
    HX_ALU_NONE,
    HX_ALU_ADD,
    HX_ALU_AND,
    HX_ALU_OR,
    HX_ALU_XOR,
    HX_ALU_SHL,
    HX_ALU_SHR,
    HX_ALU_SAR,
    HX_ALU_NOT,
    HX_ALU_NEG,
    HX_ALU_SEXT32, /* sign-extend the low 32 bits (movslq) */
    HX_ALU_SETLO   /* replace the low `width` (1 or 2) bytes with imm: mov $imm, %al */
};

/* Conditions of the branches that the inference learns from. */
enum hx_cc { HX_CC_OTHER, HX_CC_E, HX_CC_NE };

/* Why a register's value cannot be followed further. */
enum hx_why {
    HX_WHY_NONE,
    HX_WHY_MEMORY,    /* loaded from memory */
    HX_WHY_STACK,     /* popped from the stack */
    HX_WHY_COMPUTED,  /* computed from something not followed (two registers, partial write) */
    HX_WHY_CALL,      /* returned or clobbered by a call */
    HX_WHY_SYSCALL,   /* result of an earlier system call */
    HX_WHY_INDIRECT,  /* code reachable from an unknown place (indirect jump, no known predecessor)
                       */
    HX_WHY_ENTRY,     /* function entry, and the register is not an argument register */
    HX_WHY_LIMIT,     /* too many paths or values */
    HX_WHY_NOCALLERS, /* the number is an argument of an exported function nobody calls */
    HX_WHY_I386,      /* int $0x80 or sysenter: the 32-bit system-call table */
    HX_WHY_ADDRTAKEN, /* the number is a function argument and the function's address is taken */
    HX_WHY_COUNT
};

/* Kinds of system-call instruction. */
enum hx_sys { HX_SYS_NONE, HX_SYS_SYSCALL, HX_SYS_INT80, HX_SYS_SYSENTER };

struct hx_insn {
    uint64_t addr;
    /* A direct branch's or call's target. For other instructions, the value
     * of an immediate operand (imm_ref set): in position-dependent code,
     * maybe the address of a function stored as a pointer. */
    uint64_t target;
    /* The address of a memory operand that is RIP-relative (mem_rip) or an
     * absolute table T(,%idx,8) (table_abs); for indirect jumps, see ijmp. */
    uint64_t mem_addr;
    int64_t imm;       /* constant of the def */
    uint16_t writes;   /* HX_REGBIT set of every register written, at any width */
    uint16_t compared; /* HX_REGBIT set of the register operands of a cmp or test */
    uint8_t len;
    uint8_t flow;      /* enum hx_flow */
    uint8_t ijmp;      /* enum hx_ijmp, for HX_FLOW_IJMP and HX_FLOW_ICALL */
    uint8_t sys;       /* enum hx_sys */
    uint8_t def;       /* enum hx_def */
    uint8_t dst;       /* enum hx_reg */
    uint8_t src;       /* enum hx_reg */
    uint8_t alu;       /* enum hx_alu */
    uint8_t width;     /* bytes of dst written: 4 zero-extends to 64 bits */
    uint8_t why;       /* enum hx_why, for HX_DEF_OPAQUE and implicit writes */
    uint8_t gap;       /* undecodable bytes right before this instruction */
    uint8_t lea_rip;   /* lea reg, X(%rip): imm is the address (jump-table bases) */
    uint8_t pad;       /* nop or int3: alignment padding when nothing jumps to it */
    uint8_t cc;        /* enum hx_cc, for HX_FLOW_JCC */
    uint8_t zero_test; /* test %r,%r or cmp $0,%r on all 64 bits: r, else HX_NOREG */
    uint8_t indexed;   /* has a memory operand with an index register */
    uint8_t idx_base;  /* that operand's base register, HX_NOREG when none */
    uint8_t table_abs; /* mem_addr is T of a memory operand T(,%idx,8): maybe a jump table */
    uint8_t mem_rip;   /* mem_addr is a RIP-relative operand's address (not for lea) */
    uint8_t imm_ref;   /* target holds an immediate operand */
};

const char *hx_reg_name(unsigned reg);
const char *hx_why_text(unsigned why);

#endif
