/* Translation of one Capstone x86-64 instruction into struct hx_insn: its
 * control flow, the registers it writes, and how its destination register is
 * computed when that is a constant, a copy, or a copy combined with a
 * constant. Anything else is "opaque" and stops the value inference, which is
 * what keeps the analysis sound: a register is only ever followed through
 * instructions whose effect on it is fully understood. */
#include "disasm.h"

#include <string.h>

/* Every Capstone name of a general-purpose register, at any width. */
static const struct {
    x86_reg name;
    uint8_t reg, width; /* high-byte registers (ah..dh) count as 1 byte */
} gprs[] = {
    {X86_REG_AL, HX_RAX, 1},   {X86_REG_AH, HX_RAX, 1},   {X86_REG_AX, HX_RAX, 2},
    {X86_REG_EAX, HX_RAX, 4},  {X86_REG_RAX, HX_RAX, 8},  {X86_REG_CL, HX_RCX, 1},
    {X86_REG_CH, HX_RCX, 1},   {X86_REG_CX, HX_RCX, 2},   {X86_REG_ECX, HX_RCX, 4},
    {X86_REG_RCX, HX_RCX, 8},  {X86_REG_DL, HX_RDX, 1},   {X86_REG_DH, HX_RDX, 1},
    {X86_REG_DX, HX_RDX, 2},   {X86_REG_EDX, HX_RDX, 4},  {X86_REG_RDX, HX_RDX, 8},
    {X86_REG_BL, HX_RBX, 1},   {X86_REG_BH, HX_RBX, 1},   {X86_REG_BX, HX_RBX, 2},
    {X86_REG_EBX, HX_RBX, 4},  {X86_REG_RBX, HX_RBX, 8},  {X86_REG_SPL, HX_RSP, 1},
    {X86_REG_SP, HX_RSP, 2},   {X86_REG_ESP, HX_RSP, 4},  {X86_REG_RSP, HX_RSP, 8},
    {X86_REG_BPL, HX_RBP, 1},  {X86_REG_BP, HX_RBP, 2},   {X86_REG_EBP, HX_RBP, 4},
    {X86_REG_RBP, HX_RBP, 8},  {X86_REG_SIL, HX_RSI, 1},  {X86_REG_SI, HX_RSI, 2},
    {X86_REG_ESI, HX_RSI, 4},  {X86_REG_RSI, HX_RSI, 8},  {X86_REG_DIL, HX_RDI, 1},
    {X86_REG_DI, HX_RDI, 2},   {X86_REG_EDI, HX_RDI, 4},  {X86_REG_RDI, HX_RDI, 8},
    {X86_REG_R8B, HX_R8, 1},   {X86_REG_R8W, HX_R8, 2},   {X86_REG_R8D, HX_R8, 4},
    {X86_REG_R8, HX_R8, 8},    {X86_REG_R9B, HX_R9, 1},   {X86_REG_R9W, HX_R9, 2},
    {X86_REG_R9D, HX_R9, 4},   {X86_REG_R9, HX_R9, 8},    {X86_REG_R10B, HX_R10, 1},
    {X86_REG_R10W, HX_R10, 2}, {X86_REG_R10D, HX_R10, 4}, {X86_REG_R10, HX_R10, 8},
    {X86_REG_R11B, HX_R11, 1}, {X86_REG_R11W, HX_R11, 2}, {X86_REG_R11D, HX_R11, 4},
    {X86_REG_R11, HX_R11, 8},  {X86_REG_R12B, HX_R12, 1}, {X86_REG_R12W, HX_R12, 2},
    {X86_REG_R12D, HX_R12, 4}, {X86_REG_R12, HX_R12, 8},  {X86_REG_R13B, HX_R13, 1},
    {X86_REG_R13W, HX_R13, 2}, {X86_REG_R13D, HX_R13, 4}, {X86_REG_R13, HX_R13, 8},
    {X86_REG_R14B, HX_R14, 1}, {X86_REG_R14W, HX_R14, 2}, {X86_REG_R14D, HX_R14, 4},
    {X86_REG_R14, HX_R14, 8},  {X86_REG_R15B, HX_R15, 1}, {X86_REG_R15W, HX_R15, 2},
    {X86_REG_R15D, HX_R15, 4}, {X86_REG_R15, HX_R15, 8},
};

/* The 64-bit register that Capstone register r is part of, or HX_NOREG;
 * *width (when asked) gets the bytes r covers. Looked up in an index built
 * from gprs on first use: this runs several times per instruction. */
static unsigned gpr_of(x86_reg r, unsigned *width)
{
    static uint8_t reg_of[X86_REG_ENDING], width_of[X86_REG_ENDING];
    static int ready;
    if (!ready) {
        memset(reg_of, HX_NOREG, sizeof(reg_of));
        for (size_t i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++) {
            reg_of[gprs[i].name] = gprs[i].reg;
            width_of[gprs[i].name] = gprs[i].width;
        }
        ready = 1;
    }
    if ((unsigned)r >= X86_REG_ENDING || reg_of[r] == HX_NOREG)
        return HX_NOREG;
    if (width)
        *width = width_of[r];
    return reg_of[r];
}

/* Registers written implicitly that Capstone 4 does not always report
 * (cmpxchg's rax, syscall's rcx and r11, ...), and a few it does report,
 * listed again so that soundness does not rest on one table alone. Listing
 * too many is safe: it only makes the inference give up sooner. */
static uint16_t implicit_writes(const cs_insn *ci)
{
    const uint16_t ax = HX_REGBIT(HX_RAX), cx = HX_REGBIT(HX_RCX), dx = HX_REGBIT(HX_RDX),
                   bx = HX_REGBIT(HX_RBX), si = HX_REGBIT(HX_RSI), di = HX_REGBIT(HX_RDI),
                   sp = HX_REGBIT(HX_RSP), bp = HX_REGBIT(HX_RBP), r11 = HX_REGBIT(HX_R11);
    switch (ci->id) {
    case X86_INS_CMPXCHG:
    case X86_INS_XLATB:
    case X86_INS_XBEGIN: /* the abort status */
    case X86_INS_INT:
    case X86_INS_CBW:
    case X86_INS_CWDE:
    case X86_INS_CDQE:
        return ax;
    case X86_INS_LODSB:
    case X86_INS_LODSW:
    case X86_INS_LODSD:
    case X86_INS_LODSQ:
        return ax | si | cx;
    case X86_INS_SYSCALL:
        return ax | cx | r11;
    case X86_INS_SYSENTER:
        return ax | cx | dx | r11 | sp;
    case X86_INS_IMUL:
        return ci->detail->x86.op_count == 1 ? ax | dx : 0;
    case X86_INS_CMPXCHG8B:
    case X86_INS_CMPXCHG16B:
    case X86_INS_RDTSC:
    case X86_INS_RDMSR:
    case X86_INS_RDPMC:
    case X86_INS_XGETBV:
    case X86_INS_MUL:
    case X86_INS_DIV:
    case X86_INS_IDIV:
    case X86_INS_CWD:
    case X86_INS_CDQ:
    case X86_INS_CQO:
        return ax | dx;
    case X86_INS_RDTSCP:
        return ax | dx | cx;
    case X86_INS_CPUID:
        return ax | bx | cx | dx;
    case X86_INS_LEAVE:
    case X86_INS_ENTER:
        return bp | sp;
    case X86_INS_LOOP:
    case X86_INS_LOOPE:
    case X86_INS_LOOPNE:
        return cx;
    case X86_INS_STOSB:
    case X86_INS_STOSW:
    case X86_INS_STOSD:
    case X86_INS_STOSQ:
    case X86_INS_SCASB:
    case X86_INS_SCASW:
    case X86_INS_SCASD:
    case X86_INS_SCASQ:
        return di | cx;
    case X86_INS_MOVSD:
    case X86_INS_CMPSD:
        /* Also the SSE movsd/cmpsd, which name xmm registers. */
        for (uint8_t i = 0; i < ci->detail->x86.op_count; i++)
            if (ci->detail->x86.operands[i].type == X86_OP_REG)
                return 0;
        return di | si | cx;
    case X86_INS_MOVSB:
    case X86_INS_MOVSW:
    case X86_INS_MOVSQ:
    case X86_INS_CMPSB:
    case X86_INS_CMPSW:
    case X86_INS_CMPSQ:
        return di | si | cx;
    default:
        return 0;
    }
}

static int is_jump_id(unsigned id)
{
    return id == X86_INS_JMP || id == X86_INS_LJMP;
}

static int is_stop_id(unsigned id)
{
    return id == X86_INS_UD2 || id == X86_INS_UD2B || id == X86_INS_UD0 || id == X86_INS_HLT ||
           id == X86_INS_INT3;
}

static int has_group(const cs_insn *ci, uint8_t g)
{
    for (uint8_t i = 0; i < ci->detail->groups_count; i++)
        if (ci->detail->groups[i] == g)
            return 1;
    return 0;
}

/* Classifies the operand of an indirect jump or call. */
static void classify_indirect(const cs_insn *ci, const cs_x86_op *op, struct hx_insn *out)
{
    uint64_t next = ci->address + ci->size;
    if (op->type == X86_OP_REG) {
        out->ijmp = HX_IJMP_REG;
        return;
    }
    if (op->type != X86_OP_MEM) {
        out->ijmp = HX_IJMP_OTHER;
        return;
    }
    const x86_op_mem *m = &op->mem;
    if (m->base == X86_REG_RIP && m->index == X86_REG_INVALID) {
        out->ijmp = HX_IJMP_RIP;
        out->mem_addr = next + (uint64_t)m->disp;
    } else if (m->base == X86_REG_INVALID && m->index != X86_REG_INVALID && m->scale == 8) {
        out->ijmp = HX_IJMP_TABLE_ABS;
        out->mem_addr = (uint64_t)m->disp;
    } else if (m->base != X86_REG_INVALID && m->index == X86_REG_INVALID) {
        out->ijmp = HX_IJMP_BASE;
    } else {
        out->ijmp = HX_IJMP_OTHER;
    }
}

static void set_flow(const cs_insn *ci, struct hx_insn *out)
{
    const cs_x86 *x = &ci->detail->x86;
    unsigned id = ci->id;
    const cs_x86_op *op0 = x->op_count ? &x->operands[0] : NULL;
    int direct = op0 && op0->type == X86_OP_IMM;

    if (id == X86_INS_SYSCALL)
        out->sys = HX_SYS_SYSCALL;
    else if (id == X86_INS_SYSENTER)
        out->sys = HX_SYS_SYSENTER;
    else if (id == X86_INS_INT && op0 && op0->type == X86_OP_IMM && op0->imm == 0x80)
        out->sys = HX_SYS_INT80;

    if (is_jump_id(id)) {
        out->flow = direct ? HX_FLOW_JMP : HX_FLOW_IJMP;
    } else if (has_group(ci, X86_GRP_JUMP) || id == X86_INS_LOOP || id == X86_INS_LOOPE ||
               id == X86_INS_LOOPNE || id == X86_INS_XBEGIN) {
        /* jcc, jrcxz, loop, and xbegin (whose abort path goes to target). */
        out->flow = direct ? HX_FLOW_JCC : HX_FLOW_IJMP;
    } else if (has_group(ci, X86_GRP_CALL)) {
        out->flow = direct ? HX_FLOW_CALL : HX_FLOW_ICALL;
    } else if (has_group(ci, X86_GRP_RET) || has_group(ci, X86_GRP_IRET) || id == X86_INS_SYSRET ||
               id == X86_INS_SYSEXIT) {
        out->flow = HX_FLOW_RET;
    } else if (is_stop_id(id)) {
        out->flow = HX_FLOW_STOP;
    } else {
        out->flow = HX_FLOW_NEXT;
    }
    if (direct && out->flow != HX_FLOW_NEXT)
        out->target = (uint64_t)op0->imm;
    if (out->flow == HX_FLOW_JCC)
        out->cc = id == X86_INS_JE ? HX_CC_E : id == X86_INS_JNE ? HX_CC_NE : HX_CC_OTHER;
    if ((out->flow == HX_FLOW_IJMP || out->flow == HX_FLOW_ICALL) && op0)
        classify_indirect(ci, op0, out);
}

/* Why a written register cannot be followed, when the def is not one of the
 * understood forms. */
static unsigned opaque_why(const cs_insn *ci)
{
    const cs_x86 *x = &ci->detail->x86;
    if (ci->id == X86_INS_POP || ci->id == X86_INS_POPAL || ci->id == X86_INS_LEAVE)
        return HX_WHY_STACK;
    if (ci->id == X86_INS_SYSCALL || ci->id == X86_INS_SYSENTER || ci->id == X86_INS_INT)
        return HX_WHY_SYSCALL;
    if (has_group(ci, X86_GRP_CALL))
        return HX_WHY_CALL;
    for (uint8_t i = 0; i < x->op_count; i++)
        if (x->operands[i].type == X86_OP_MEM && ci->id != X86_INS_LEA && ci->id != X86_INS_NOP)
            return HX_WHY_MEMORY;
    return HX_WHY_COMPUTED;
}

static int op0_is_high_byte(const cs_insn *ci)
{
    x86_reg r = ci->detail->x86.operands[0].reg;
    return r == X86_REG_AH || r == X86_REG_BH || r == X86_REG_CH || r == X86_REG_DH;
}

/* Fills def/dst/src/alu/imm for the destination register dst, written at
 * `width` bytes by instruction ci. */
static void set_def(const cs_insn *ci, unsigned dst, unsigned width, struct hx_insn *out)
{
    const cs_x86 *x = &ci->detail->x86;
    const cs_x86_op *op1 = x->op_count > 1 ? &x->operands[1] : NULL;
    unsigned sw = 0, src = op1 && op1->type == X86_OP_REG ? gpr_of(op1->reg, &sw) : HX_NOREG;
    int imm1 = op1 && op1->type == X86_OP_IMM;

    out->dst = (uint8_t)dst;
    out->width = (uint8_t)width;
    out->def = HX_DEF_OPAQUE;
    out->why = (uint8_t)opaque_why(ci);
    /* Writing 1 or 2 bytes merges with the old value: followed only for an
     * immediate into the lowest byte or word (xor %eax,%eax; mov $60,%al). */
    if (width < 4) {
        int high = op0_is_high_byte(ci);
        if ((ci->id == X86_INS_MOV) && imm1 && !high) {
            out->def = HX_DEF_UPDATE;
            out->alu = HX_ALU_SETLO;
            out->imm = op1->imm;
            out->why = HX_WHY_NONE;
        }
        return;
    }
    switch (ci->id) {
    case X86_INS_MOV:
    case X86_INS_MOVABS:
        if (imm1) {
            out->def = HX_DEF_SET;
            out->imm = op1->imm;
        } else if (src != HX_NOREG && sw == width) {
            out->def = HX_DEF_MOVE;
            out->src = (uint8_t)src;
        }
        break;
    case X86_INS_MOVSXD:
        if (src != HX_NOREG && sw == 4 && width == 8) {
            out->def = HX_DEF_MOVE;
            out->src = (uint8_t)src;
            out->alu = HX_ALU_SEXT32;
        }
        break;
    case X86_INS_XOR:
    case X86_INS_SUB:
        if (src == dst && sw == width) {
            out->def = HX_DEF_SET; /* the zeroing idiom */
            out->imm = 0;
        } else if (imm1) {
            out->def = HX_DEF_UPDATE;
            out->alu = ci->id == X86_INS_XOR ? HX_ALU_XOR : HX_ALU_ADD;
            out->imm = ci->id == X86_INS_XOR ? op1->imm : -op1->imm;
        }
        break;
    case X86_INS_ADD:
    case X86_INS_AND:
    case X86_INS_OR:
        if (imm1) {
            out->def = HX_DEF_UPDATE;
            out->alu = ci->id == X86_INS_ADD   ? HX_ALU_ADD
                       : ci->id == X86_INS_AND ? HX_ALU_AND
                                               : HX_ALU_OR;
            out->imm = op1->imm;
        }
        break;
    case X86_INS_SHL:
    case X86_INS_SAL:
    case X86_INS_SHR:
    case X86_INS_SAR:
        if (imm1 || x->op_count == 1) {
            out->def = HX_DEF_UPDATE;
            out->alu = ci->id == X86_INS_SHR   ? HX_ALU_SHR
                       : ci->id == X86_INS_SAR ? HX_ALU_SAR
                                               : HX_ALU_SHL;
            out->imm = imm1 ? op1->imm : 1;
        }
        break;
    case X86_INS_INC:
    case X86_INS_DEC:
        out->def = HX_DEF_UPDATE;
        out->alu = HX_ALU_ADD;
        out->imm = ci->id == X86_INS_INC ? 1 : -1;
        break;
    case X86_INS_NEG:
    case X86_INS_NOT:
        out->def = HX_DEF_UPDATE;
        out->alu = ci->id == X86_INS_NEG ? HX_ALU_NEG : HX_ALU_NOT;
        break;
    case X86_INS_LEA: {
        if (!op1 || op1->type != X86_OP_MEM)
            break;
        const x86_op_mem *m = &op1->mem;
        unsigned bw = 0, base = gpr_of(m->base, &bw);
        if (m->index != X86_REG_INVALID || m->segment != X86_REG_INVALID)
            break;
        if (m->base == X86_REG_RIP) {
            out->def = HX_DEF_SET;
            out->imm = (int64_t)(ci->address + ci->size + (uint64_t)m->disp);
            out->lea_rip = 1;
        } else if (m->base == X86_REG_INVALID) {
            out->def = HX_DEF_SET;
            out->imm = m->disp;
        } else if (base != HX_NOREG && bw == 8) {
            out->def = HX_DEF_MOVE;
            out->src = (uint8_t)base;
            out->alu = m->disp ? HX_ALU_ADD : HX_ALU_NONE;
            out->imm = m->disp;
        }
        break;
    }
    case X86_INS_XCHG:
        if (src != HX_NOREG && sw == 8 && width == 8) {
            out->def = HX_DEF_XCHG;
            out->src = (uint8_t)src;
            out->writes |= HX_REGBIT(src); /* both registers change */
        }
        break;
    default:
        if (has_group(ci, X86_GRP_CMOV) && op1) {
            out->def = HX_DEF_CMOV;
            out->src = op1->type == X86_OP_REG && sw == width ? (uint8_t)src : HX_NOREG;
            if (op1->type == X86_OP_REG && sw != width)
                out->def = HX_DEF_OPAQUE;
        }
        break;
    }
    if (out->def != HX_DEF_OPAQUE)
        out->why = HX_WHY_NONE;
}

void hx_insn_from_capstone(csh cs, const cs_insn *ci, struct hx_insn *out)
{
    memset(out, 0, sizeof(*out));
    out->addr = ci->address;
    out->len = (uint8_t)ci->size;
    out->dst = out->src = HX_NOREG;
    set_flow(ci, out);

    /* Every register written: Capstone's list, explicit operands written,
     * and the implicit writes Capstone may leave out. */
    cs_regs rd, wr;
    uint8_t nrd = 0, nwr = 0;
    if (cs_regs_access(cs, ci, rd, &nrd, wr, &nwr) == CS_ERR_OK)
        for (uint8_t i = 0; i < nwr; i++) {
            unsigned g = gpr_of((x86_reg)wr[i], NULL);
            if (g != HX_NOREG)
                out->writes |= HX_REGBIT(g);
        }
    const cs_x86 *x = &ci->detail->x86;
    for (uint8_t i = 0; i < x->op_count; i++) {
        const cs_x86_op *op = &x->operands[i];
        unsigned g = op->type == X86_OP_REG ? gpr_of(op->reg, NULL) : HX_NOREG;
        if (g != HX_NOREG && (op->access & CS_AC_WRITE))
            out->writes |= HX_REGBIT(g);
    }
    out->writes |= implicit_writes(ci);
    /* Memory operands: the loads of jump tables (indexed), references to
     * GOT slots (RIP-relative); and immediates, which may be addresses. */
    out->idx_base = HX_NOREG;
    int branch = out->flow != HX_FLOW_NEXT;
    for (uint8_t i = 0; i < x->op_count; i++) {
        const cs_x86_op *op = &x->operands[i];
        const x86_op_mem *m = &op->mem;
        if (op->type == X86_OP_IMM && !branch) {
            out->target = (uint64_t)op->imm;
            out->imm_ref = 1;
        }
        if (op->type != X86_OP_MEM || ci->id == X86_INS_LEA || ci->id == X86_INS_NOP)
            continue;
        if (!branch && m->base == X86_REG_RIP) {
            out->mem_addr = ci->address + ci->size + (uint64_t)m->disp;
            out->mem_rip = 1;
        }
        if (m->index == X86_REG_INVALID)
            continue;
        out->indexed = 1;
        out->idx_base = (uint8_t)gpr_of(m->base, NULL);
        if (m->base == X86_REG_INVALID && m->scale == 8 && !out->mem_rip) {
            out->table_abs = 1; /* maybe an absolute jump table */
            if (!branch)
                out->mem_addr = (uint64_t)m->disp;
        }
    }
    if (out->flow == HX_FLOW_CALL || out->flow == HX_FLOW_ICALL)
        out->writes |= HX_CALLER_SAVED | HX_REGBIT(HX_RSP);
    out->why = (uint8_t)opaque_why(ci);
    out->pad = ci->id == X86_INS_NOP || ci->id == X86_INS_INT3;
    if (ci->id == X86_INS_CMP || ci->id == X86_INS_TEST)
        for (uint8_t i = 0; i < x->op_count; i++) {
            unsigned g =
                x->operands[i].type == X86_OP_REG ? gpr_of(x->operands[i].reg, NULL) : HX_NOREG;
            if (g != HX_NOREG)
                out->compared |= HX_REGBIT(g);
        }
    out->zero_test = HX_NOREG;
    if (x->op_count == 2 && x->operands[0].type == X86_OP_REG && x->operands[0].size == 8) {
        const cs_x86_op *a = &x->operands[0], *b = &x->operands[1];
        if ((ci->id == X86_INS_TEST && b->type == X86_OP_REG && b->reg == a->reg) ||
            (ci->id == X86_INS_CMP && b->type == X86_OP_IMM && b->imm == 0))
            out->zero_test = (uint8_t)gpr_of(a->reg, NULL);
    }

    /* The destination: the first operand, when it is a written register. */
    const cs_x86_op *op0 = x->op_count ? &x->operands[0] : NULL;
    unsigned width = 0;
    unsigned dst = op0 && op0->type == X86_OP_REG && (op0->access & CS_AC_WRITE)
                       ? gpr_of(op0->reg, &width)
                       : HX_NOREG;
    if (dst != HX_NOREG && out->flow == HX_FLOW_NEXT)
        set_def(ci, dst, width, out);
}

const char *hx_reg_name(unsigned reg)
{
    static const char *const names[HX_NREGS] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                                "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                                "r12", "r13", "r14", "r15"};
    return reg < HX_NREGS ? names[reg] : "?";
}

const char *hx_why_text(unsigned why)
{
    static const char *const text[HX_WHY_COUNT] = {
        [HX_WHY_NONE] = "resolved",
        [HX_WHY_MEMORY] = "number loaded from memory",
        [HX_WHY_STACK] = "number popped from the stack",
        [HX_WHY_COMPUTED] = "number computed by an instruction not followed",
        [HX_WHY_CALL] = "number returned or clobbered by a call",
        [HX_WHY_SYSCALL] = "number is the result of a system call",
        [HX_WHY_INDIRECT] = "code reachable from an unknown place (indirect jump)",
        [HX_WHY_ENTRY] = "number live at function entry, not in an argument register",
        [HX_WHY_LIMIT] = "too many paths or values",
        [HX_WHY_NOCALLERS] = "number is an argument of an exported function no loaded object calls",
        [HX_WHY_I386] = "32-bit system call (int $0x80 or sysenter)",
        /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one message, split */
        [HX_WHY_ADDRTAKEN] = "number is a function argument and the function's address is "
                             "taken: calls through pointers are not seen",
    };
    return why < HX_WHY_COUNT ? text[why] : "?";
}
