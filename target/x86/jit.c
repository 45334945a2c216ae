/*
 * x86-64 host JIT for decoded TBs.  See include/target/x86/jit.h.
 *
 * Code shape: rbx holds env for the whole TB; rax, rcx, rdx, rsi, rdi
 * are scratch.  Guest registers live in env->regs (no register
 * allocation: only the value just stored from rax is reused by the next
 * instruction), so an inline form is a load, one or two host ALU
 * instructions and a store, and a handler call needs no write-back.
 * Inline forms are recognised by the handler the decoder picked (family
 * and operand size), so they cover exactly the forms whose interpreter
 * semantics they copy.  Budget and rip are updated lazily: once before
 * each handler call or TLB miss, and at the TB's exits.
 */
#include "util/osdep.h"
#include "insn.h"
#include "target/x86/jit.h"
#include "accel/tcg/cputlb.h"
#include "target/x86/mmu.h"
#include "hw/core/cpu.h"

#if defined(__x86_64__)

extern const X86Family x86_fam_add_EG, x86_fam_add_GE, x86_fam_add_AI, x86_fam_add_EI;
extern const X86Family x86_fam_or_EG, x86_fam_or_GE, x86_fam_or_AI, x86_fam_or_EI;
extern const X86Family x86_fam_and_EG, x86_fam_and_GE, x86_fam_and_AI, x86_fam_and_EI;
extern const X86Family x86_fam_sub_EG, x86_fam_sub_GE, x86_fam_sub_AI, x86_fam_sub_EI;
extern const X86Family x86_fam_xor_EG, x86_fam_xor_GE, x86_fam_xor_AI, x86_fam_xor_EI;
extern const X86Family x86_fam_cmp_EG, x86_fam_cmp_GE, x86_fam_cmp_AI, x86_fam_cmp_EI;
extern const X86Family x86_fam_test_EG, x86_fam_test_AI, x86_fam_test_EI;
extern const X86Family x86_fam_mov_EG, x86_fam_mov_GE, x86_fam_mov_ZI, x86_fam_mov_EI;
extern const X86Family x86_fam_not, x86_fam_neg, x86_fam_lea;
extern const X86Family x86_fam_rol_I, x86_fam_ror_I, x86_fam_shl_I, x86_fam_shr_I,
                       x86_fam_sar_I;
extern const X86Family x86_fam_rol_1, x86_fam_ror_1, x86_fam_shl_1, x86_fam_shr_1,
                       x86_fam_sar_1;
extern const X86Family x86_fam_jcc;
extern const X86Family x86_fam_movzx_b, x86_fam_movzx_w, x86_fam_movsx_b,
                       x86_fam_movsx_w, x86_fam_movsxd;

/* What an instruction is to the JIT. */
enum {
    J_HELPER,      /* call the interpreter handler */
    J_ALU,         /* dst op= src (reg or imm) */
    J_MOV,         /* dst = src (reg or imm) */
    J_NOT,
    J_NEG,
    J_SHIFT,       /* by a constant */
    J_LEA,
    J_MOVX,        /* MOVZX/MOVSX/MOVSXD from a register */
    J_JCC,         /* the TB's last instruction, right after an inline ALU op */
};
/* Operand forms: which of ModRM.reg/rm/EAX/imm are dst and src. */
enum { FORM_EG, FORM_GE, FORM_AI, FORM_EI, FORM_ZI, FORM_E };
/* ALU operations, with their host opcode (op r/m, reg). */
enum { A_ADD, A_OR, A_AND, A_SUB, A_XOR, A_CMP, A_TEST };
static const uint8_t alu_opcode[] = { 0x01, 0x09, 0x21, 0x29, 0x31, 0x29, 0x21 };
/* Shift kinds: the host's /digit for C1. */
enum { S_ROL = 0, S_ROR = 1, S_SHL = 4, S_SHR = 5, S_SAR = 7 };
/* MOVX kinds. */
enum { X_ZB, X_ZW, X_SB, X_SW, X_SD };

/* Flag effect, for the liveness pass. */
enum {
    FL_NONE,       /* no flag touched, cannot fault */
    FL_WRITE,      /* writes all arithmetic flags, reads none */
    FL_PASS,       /* writes some, passes the others through */
    FL_ANY,        /* a handler call: reads all */
};

typedef struct JitOpDesc {
    const X86Family *fam;
    uint8_t kind, form, op;
    bool mem;             /* the memory form is done inline too */
} JitOpDesc;

static const JitOpDesc jit_ops[] = {
#define ALU4(name, OP) \
    { &x86_fam_##name##_EG, J_ALU, FORM_EG, OP, false }, \
    { &x86_fam_##name##_GE, J_ALU, FORM_GE, OP, true }, \
    { &x86_fam_##name##_AI, J_ALU, FORM_AI, OP, false }, \
    { &x86_fam_##name##_EI, J_ALU, FORM_EI, OP, false },
    ALU4(add, A_ADD) ALU4(or, A_OR) ALU4(and, A_AND) ALU4(sub, A_SUB)
    ALU4(xor, A_XOR) ALU4(cmp, A_CMP)
#undef ALU4
    { &x86_fam_test_EG, J_ALU, FORM_EG, A_TEST, true },
    { &x86_fam_test_AI, J_ALU, FORM_AI, A_TEST, false },
    { &x86_fam_test_EI, J_ALU, FORM_EI, A_TEST, true },
    { &x86_fam_cmp_EG, J_ALU, FORM_EG, A_CMP, true },
    { &x86_fam_cmp_EI, J_ALU, FORM_EI, A_CMP, true },
    { &x86_fam_mov_EG, J_MOV, FORM_EG, 0, true },
    { &x86_fam_mov_GE, J_MOV, FORM_GE, 0, true },
    { &x86_fam_mov_ZI, J_MOV, FORM_ZI, 0, false },
    { &x86_fam_mov_EI, J_MOV, FORM_EI, 0, true },
    { &x86_fam_not, J_NOT, FORM_E, 0, false },
    { &x86_fam_neg, J_NEG, FORM_E, 0, false },
    { &x86_fam_rol_I, J_SHIFT, FORM_EI, S_ROL, false },
    { &x86_fam_ror_I, J_SHIFT, FORM_EI, S_ROR, false },
    { &x86_fam_shl_I, J_SHIFT, FORM_EI, S_SHL, false },
    { &x86_fam_shr_I, J_SHIFT, FORM_EI, S_SHR, false },
    { &x86_fam_sar_I, J_SHIFT, FORM_EI, S_SAR, false },
    { &x86_fam_rol_1, J_SHIFT, FORM_E, S_ROL, false },
    { &x86_fam_ror_1, J_SHIFT, FORM_E, S_ROR, false },
    { &x86_fam_shl_1, J_SHIFT, FORM_E, S_SHL, false },
    { &x86_fam_shr_1, J_SHIFT, FORM_E, S_SHR, false },
    { &x86_fam_sar_1, J_SHIFT, FORM_E, S_SAR, false },
    { &x86_fam_lea, J_LEA, FORM_GE, 0, false },
    { &x86_fam_movzx_b, J_MOVX, FORM_GE, X_ZB, true },
    { &x86_fam_movzx_w, J_MOVX, FORM_GE, X_ZW, true },
    { &x86_fam_movsx_b, J_MOVX, FORM_GE, X_SB, true },
    { &x86_fam_movsx_w, J_MOVX, FORM_GE, X_SW, true },
    { &x86_fam_movsxd, J_MOVX, FORM_GE, X_SD, true },
};

/* One instruction as the JIT sees it. */
typedef struct JitInsn {
    uint8_t kind, form, op, ot;
    uint8_t flags;        /* FL_* */
    uint8_t count;        /* J_SHIFT: masked count */
    bool live_out;        /* some later read may see the flags it sets */
    bool mem;             /* memory operand, through the inline TLB path */
} JitInsn;

static bool fits_s32(int64_t v)
{
    return v == (int32_t)v;
}

/* rip-relative: mod 00, rm 101 and no SIB (64-bit code). */
static bool is_rip_rel(const DecodedInsn *d)
{
    return d->mod == 0 && (d->rm & 7) == 5;
}

/*
 * A memory operand the inline path can address: 64-bit code and
 * addressing, a flat segment (base 0; FS/GS go to the handler).
 */
static bool mem_inline_ok(const DecodedInsn *d)
{
    return d->lmask == ~0ULL && d->aflag == MO_64 && d->seg == R_SEG_FLAT &&
           d->disp >= -0x7fff0000LL && d->disp <= 0x7fff0000LL;
}

static void classify(const DecodedInsn *d, JitInsn *j)
{
    memset(j, 0, sizeof(*j));
    j->kind = J_HELPER;
    j->flags = FL_ANY;
    if (d->handler && d->handler == x86_fam_jcc.h[MO_64][0] &&
        d->ot == MO_64 && d->lmask == ~0ULL) {
        j->kind = J_JCC;    /* confirmed or demoted by prepare() */
        j->ot = MO_64;
        return;
    }
    if (d->ot != MO_32 && d->ot != MO_64) {
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(jit_ops); i++) {
        const JitOpDesc *o = &jit_ops[i];
        bool mem = o->kind == J_LEA;

        if (!d->handler) {
            return;
        }
        if (d->handler == o->fam->h[d->ot][1] && o->mem && d->mod != 3) {
            if (!mem_inline_ok(d)) {
                return;
            }
            j->mem = true;
        } else if (d->handler != o->fam->h[d->ot][mem]) {
            continue;
        }
        j->kind = o->kind;
        j->form = o->form;
        j->op = o->op;
        j->ot = d->ot;
        break;
    }
    switch (j->kind) {
    case J_HELPER:
        return;
    case J_ALU:
        if ((j->form == FORM_AI || j->form == FORM_EI) && d->ot == MO_64 &&
            !fits_s32(d->imm)) {
            j->kind = J_HELPER;
            return;
        }
        j->flags = FL_WRITE;
        return;
    case J_NEG:
        j->flags = FL_WRITE;
        return;
    case J_SHIFT:
        j->count = (j->form == FORM_E ? 1 : d->imm) & (d->ot == MO_64 ? 63 : 31);
        j->flags = !j->count ? FL_NONE
                 : (j->op == S_ROL || j->op == S_ROR) ? FL_PASS : FL_WRITE;
        return;
    case J_LEA:
        /* 64-bit addressing with a base register: the value is
         * base + index * scale + disp, whatever the segment. */
        if (d->lmask != ~0ULL || d->aflag != MO_64 || d->base == X86_REG_NONE ||
            !fits_s32(d->disp)) {
            j->kind = J_HELPER;
            return;
        }
        j->flags = FL_NONE;
        return;
    case J_MOVX:
        if (j->op == X_SD && d->ot != MO_64) {
            j->kind = J_HELPER;
            return;
        }
        j->flags = FL_NONE;
        return;
    default:
        j->flags = FL_NONE;
        return;
    }
}

/* Rotates only keep the other flags: with live flags the handler does it. */
static bool needs_helper(const JitInsn *j)
{
    return j->kind == J_HELPER || (j->flags == FL_PASS && j->live_out);
}

/* ---- emitter ------------------------------------------------------------ */

enum { H_RAX = 0, H_RCX = 1, H_RDX = 2, H_RBX = 3, H_RSI = 6, H_RDI = 7 };
#define MAX_FIXUPS (TB_MAX_INSNS_JIT + 1)
#define TB_MAX_INSNS_JIT 256

/* An out-of-line TLB miss path, emitted after the TB's exits. */
typedef struct SlowPath {
    const DecodedInsn *d;
    uint32_t jne_fix;     /* rel32 of the fast path's jne */
    uint32_t ret_off;     /* where the fast path continues */
    uint8_t size;
    bool store;
    int pend_n;           /* instructions not yet taken off the budget */
    uint32_t pend_len;    /* bytes rip lags behind this instruction */
} SlowPath;

typedef struct Emit {
    uint8_t *start, *p, *end;
    bool full;
    int nfix;
    uint32_t fix[MAX_FIXUPS];   /* offsets of rel32 fields to the stop exit */
    int nslow;
    SlowPath slow[TB_MAX_INSNS_JIT];
    /* Pending budget/rip updates at the instruction being emitted. */
    int pend_n;
    uint32_t pend_len;
    int mmu_idx;
    /*
     * The host's arithmetic flags equal the guest's (the last host
     * instruction to set them was an inline ALU op, NEG or live rotate,
     * and only flag-neutral code came after).  hf_logic: they came from
     * AND/OR/XOR/TEST, after which the guest's AF is 0.
     */
    bool hf_valid, hf_logic;
    bool hf_prev;         /* hf_valid before the instruction being emitted */
    /*
     * rax holds guest register rax_off (all 64 bits) while the code
     * position is rax_at: only stores have been emitted since, so no
     * load, call or label came in between.
     */
    uint32_t rax_off;
    uint8_t *rax_at;
} Emit;

static void e8(Emit *e, uint8_t v)
{
    if (e->p < e->end) {
        *e->p++ = v;
    } else {
        e->full = true;
    }
}
static void e32(Emit *e, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        e8(e, v >> (8 * i));
    }
}
static void e64(Emit *e, uint64_t v)
{
    e32(e, v);
    e32(e, v >> 32);
}
static void rex_w(Emit *e, bool w)
{
    if (w) {
        e8(e, 0x48);
    }
}
/* ModRM for [rbx + disp32] with reg field r. */
static void m_env(Emit *e, int r, uint32_t off)
{
    e8(e, 0x80 | (r << 3) | H_RBX);
    e32(e, off);
}

#define REG_OFF(r) ((uint32_t)(offsetof(CPUX86State, regs) + 8 * (r)))
#define ENV_OFF(f) ((uint32_t)offsetof(CPUX86State, f))

/* mov eax/rax, [env + off] */
#define IS_REG_OFF(off) ((uint32_t)((off) - REG_OFF(0)) < 8 * CPU_NB_REGS)

static bool rax_holds(Emit *e, uint32_t off)
{
    return e->rax_at == e->p && e->rax_off == off;
}

static void emit_ld(Emit *e, bool w, int r, uint32_t off)
{
    if (r == H_RAX && rax_holds(e, off)) {
        /* just stored from rax: skip the store-to-load round trip */
        if (!w) {
            e8(e, 0x89);
            e8(e, 0xc0);                           /* mov eax, eax */
            e->rax_at = NULL;
        }
        return;
    }
    rex_w(e, w);
    e8(e, 0x8b);
    m_env(e, r, off);
    if (r == H_RAX && w && IS_REG_OFF(off)) {
        e->rax_off = off;
        e->rax_at = e->p;
    }
}
/* mov [env + off], rax (64 bits: a 32-bit result is already zero-extended) */
static void emit_st(Emit *e, int r, uint32_t off)
{
    bool keep = e->rax_at == e->p;     /* a store leaves rax alone */

    e8(e, 0x48);
    e8(e, 0x89);
    m_env(e, r, off);
    if (r == H_RAX && IS_REG_OFF(off)) {
        e->rax_off = off;
        e->rax_at = e->p;
    } else if (keep) {
        e->rax_at = e->p;
    }
}
/* mov dword/qword [env + off], simm32 */
static void st_imm(Emit *e, bool w, uint32_t off, uint32_t imm)
{
    bool keep = e->rax_at == e->p;

    rex_w(e, w);
    e8(e, 0xc7);
    m_env(e, 0, off);
    e32(e, imm);
    if (keep) {
        e->rax_at = e->p;
    }
}
/* op r/m=dst, reg=src between host registers */
static void rr(Emit *e, bool w, uint8_t opc, int dst, int src)
{
    rex_w(e, w);
    e8(e, opc);
    e8(e, 0xc0 | (src << 3) | dst);
}
/* Load a constant: 32-bit zero-extended, or a sign-extended 32-bit one. */
static void mov_imm(Emit *e, bool w, int r, uint64_t imm)
{
    if (!w) {
        e8(e, 0xb8 + r);
        e32(e, imm);
    } else if (fits_s32(imm)) {
        e8(e, 0x48);
        e8(e, 0xc7);
        e8(e, 0xc0 | r);
        e32(e, imm);
    } else {
        e8(e, 0x48);
        e8(e, 0xb8 + r);
        e64(e, imm);
    }
}
static void shift_imm(Emit *e, bool w, int kind, int r, int count)
{
    rex_w(e, w);
    e8(e, 0xc1);
    e8(e, 0xc0 | (kind << 3) | r);
    e8(e, count);
}
/* add/sub qword [env + off], imm32 */
static void add_mem(Emit *e, uint32_t off, int32_t v)
{
    e8(e, 0x48);
    e8(e, 0x81);
    m_env(e, v < 0 ? 5 : 0, off);
    e32(e, v < 0 ? -v : v);
}
static void emit_cc(Emit *e, int op, bool dst_rax, int src)
{
    st_imm(e, false, ENV_OFF(cc_op), op);
    if (dst_rax) {
        emit_st(e, H_RAX, ENV_OFF(cc_dst));
    }
    if (src < 0) {
        st_imm(e, true, ENV_OFF(cc_src), 0);
    } else {
        emit_st(e, src, ENV_OFF(cc_src));
    }
}

/* The (dst, src) guest registers of a form; src < 0 means the immediate. */
static void form_regs(const DecodedInsn *d, int form, int *dst, int *src)
{
    switch (form) {
    case FORM_EG: *dst = d->rm; *src = d->reg; break;
    case FORM_GE: *dst = d->reg; *src = d->rm; break;
    case FORM_AI: *dst = R_EAX; *src = -1; break;
    case FORM_EI: *dst = d->rm; *src = -1; break;
    case FORM_ZI: *dst = d->reg; *src = -1; break;
    default: *dst = d->rm; *src = -1; break;
    }
}

/* Effective (= linear: flat segment) address of d's memory operand -> rax. */
static void gen_addr(Emit *e, const DecodedInsn *d)
{
    int64_t disp = d->disp;

    if (is_rip_rel(d)) {
        emit_ld(e, true, H_RAX, ENV_OFF(rip));
        disp += e->pend_len + d->len;
    } else if (d->base != X86_REG_NONE) {
        emit_ld(e, true, H_RAX, REG_OFF(d->base));
    } else {
        rr(e, false, 0x31, H_RAX, H_RAX);          /* xor eax, eax */
    }
    if (d->index != X86_REG_NONE) {
        emit_ld(e, true, H_RCX, REG_OFF(d->index));
        e8(e, 0x48);
        e8(e, 0x8d);
        e8(e, 0x84);                               /* lea rax, [rax+rcx*s+disp32] */
        e8(e, (d->scale << 6) | (H_RCX << 3) | H_RAX);
        e32(e, disp);
    } else if (disp) {
        e8(e, 0x48);
        e8(e, 0x8d);
        e8(e, 0x80);                               /* lea rax, [rax+disp32] */
        e32(e, disp);
    }
}

/*
 * The softmmu fast path, as softmmu_load/softmmu_store do it: the TLB
 * entry's tag must equal the page of the access's last byte (a page
 * crossing, MMIO, not-dirty and invalid entries all miss).  Address in
 * rax; a load leaves the zero-extended value in rdx, a store writes rcx.
 * Uses rsi, rdi.
 */
static void gen_tlb_access(Emit *e, const DecodedInsn *d, int size, bool store)
{
    uint32_t table = offsetof(TCGCPUState, table) +
                     e->mmu_idx * CPU_TLB_SIZE * sizeof(CPUTLBEntry);
    uint32_t tag = store ? offsetof(CPUTLBEntry, addr_write)
                         : offsetof(CPUTLBEntry, addr_read);
    SlowPath *sp;

    _Static_assert(sizeof(CPUTLBEntry) == 32, "TLB index scaling below");
    rr(e, true, 0x89, H_RSI, H_RAX);               /* mov rsi, rax */
    shift_imm(e, true, S_SHR, H_RSI, TARGET_PAGE_BITS);
    e8(e, 0x81);
    e8(e, 0xe6);                                   /* and esi, imm32 */
    e32(e, CPU_TLB_SIZE - 1);
    shift_imm(e, false, S_SHL, H_RSI, 5);
    e8(e, 0x48);
    e8(e, 0x03);
    m_env(e, H_RSI, ENV_OFF(tcg));                 /* add rsi, env->tcg */
    e8(e, 0x48);
    e8(e, 0x8d);
    e8(e, 0xb8);                                   /* lea rdi, [rax+size-1] */
    e32(e, size - 1);
    e8(e, 0x48);
    e8(e, 0x81);
    e8(e, 0xe7);                                   /* and rdi, PAGE_MASK */
    e32(e, (uint32_t)TARGET_PAGE_MASK);
    e8(e, 0x48);
    e8(e, 0x3b);
    e8(e, 0xbe);                                   /* cmp rdi, [rsi+disp32] */
    e32(e, table + tag);
    e8(e, 0x0f);
    e8(e, 0x85);                                   /* jne slow */
    if (e->nslow >= TB_MAX_INSNS_JIT) {
        e->full = true;
        return;
    }
    sp = &e->slow[e->nslow++];
    sp->d = d;
    sp->size = size;
    sp->store = store;
    sp->pend_n = e->pend_n;
    sp->pend_len = e->pend_len;
    sp->jne_fix = e->p - e->start;
    e32(e, 0);
    e8(e, 0x48);
    e8(e, 0x8b);
    e8(e, 0xb6);                                   /* mov rsi, [rsi+disp32] */
    e32(e, table + offsetof(CPUTLBEntry, addend));
    /* [rsi + rax]: ModRM rm=100 + SIB base=rsi index=rax */
    if (store) {
        rex_w(e, size == 8);
        e8(e, 0x89);                               /* mov [rsi+rax], ecx/rcx */
        e8(e, 0x0c);
    } else if (size <= 2) {
        e8(e, 0x0f);
        e8(e, size == 1 ? 0xb6 : 0xb7);           /* movzx edx, byte/word */
        e8(e, 0x14);
    } else {
        rex_w(e, size == 8);
        e8(e, 0x8b);                               /* mov edx/rdx, [rsi+rax] */
        e8(e, 0x14);
    }
    e8(e, 0x06);
    sp->ret_off = e->p - e->start;
}

static const uint8_t alu_cc_base[] = {
    [A_ADD] = CC_OP_ADDB, [A_OR] = CC_OP_LOGICB, [A_AND] = CC_OP_LOGICB,
    [A_SUB] = CC_OP_SUBB, [A_XOR] = CC_OP_LOGICB, [A_CMP] = CC_OP_SUBB,
    [A_TEST] = CC_OP_LOGICB,
};

/* rax op= rcx; the result to dst unless CMP/TEST; flags if live. */
static void gen_alu_tail(Emit *e, const JitInsn *j, int dst)
{
    bool w = j->ot == MO_64;
    bool logic = alu_cc_base[j->op] == CC_OP_LOGICB;

    rr(e, w, alu_opcode[j->op], H_RAX, H_RCX);
    e->hf_valid = true;
    e->hf_logic = logic;
    if (j->op != A_CMP && j->op != A_TEST) {
        emit_st(e, H_RAX, REG_OFF(dst));
    }
    if (j->live_out) {
        emit_cc(e, alu_cc_base[j->op] + j->ot, true, logic ? -1 : H_RCX);
    }
}

/* Memory forms: a load into a register (MOV, MOVX, ALU reg, [m]), a
 * compare with memory (CMP/TEST [m], reg/imm) or a store (MOV [m], ...). */
static void gen_inline_mem(Emit *e, const DecodedInsn *d, const JitInsn *j,
                           int dst, int src)
{
    bool w = j->ot == MO_64;
    int size = 1 << j->ot;

    gen_addr(e, d);
    switch (j->kind) {
    case J_MOV:
        if (j->form == FORM_GE) {
            gen_tlb_access(e, d, size, false);
            emit_st(e, H_RDX, REG_OFF(dst));
            return;
        }
        if (src >= 0) {
            emit_ld(e, w, H_RCX, REG_OFF(src));
        } else {
            mov_imm(e, w, H_RCX, w ? d->imm : (uint32_t)d->imm);
        }
        gen_tlb_access(e, d, size, true);
        return;
    case J_MOVX: {
        static const uint8_t src_size[] = { [X_ZB] = 1, [X_ZW] = 2, [X_SB] = 1,
                                            [X_SW] = 2, [X_SD] = 4 };
        gen_tlb_access(e, d, src_size[j->op], false);
        switch (j->op) {
        case X_SB:
        case X_SW:
            rex_w(e, w);
            e8(e, 0x0f);
            e8(e, j->op == X_SB ? 0xbe : 0xbf);
            e8(e, 0xd2);                           /* movsx edx/rdx, dl/dx */
            break;
        case X_SD:
            e8(e, 0x48);
            e8(e, 0x63);
            e8(e, 0xd2);                           /* movsxd rdx, edx */
            break;
        }
        emit_st(e, H_RDX, REG_OFF(d->reg));
        return;
    }
    case J_ALU:
        gen_tlb_access(e, d, size, false);
        if (j->form == FORM_GE) {                  /* reg op= [m] */
            rr(e, true, 0x89, H_RCX, H_RDX);       /* mov rcx, rdx */
            emit_ld(e, w, H_RAX, REG_OFF(dst));
        } else {                                   /* CMP/TEST [m], src */
            rr(e, true, 0x89, H_RAX, H_RDX);       /* mov rax, rdx */
            if (src >= 0) {
                emit_ld(e, w, H_RCX, REG_OFF(src));
            } else {
                mov_imm(e, w, H_RCX, w ? d->imm : (uint32_t)d->imm);
            }
        }
        gen_alu_tail(e, j, dst);
        return;
    }
}

static void gen_inline(Emit *e, const DecodedInsn *d, const JitInsn *j)
{
    bool w = j->ot == MO_64;
    int dst, src;

    form_regs(d, j->form, &dst, &src);
    if (j->mem) {
        gen_inline_mem(e, d, j, dst, src);
        return;
    }
    /* MOV, NOT, LEA, MOVX and count-0 shifts leave the host flags alone. */
    e->hf_valid = e->hf_prev && (j->kind == J_MOV || j->kind == J_NOT ||
                                 j->kind == J_LEA || j->kind == J_MOVX ||
                                 (j->kind == J_SHIFT && !j->count));
    switch (j->kind) {
    case J_MOV:
        if (src >= 0) {
            emit_ld(e, w, H_RAX, REG_OFF(src));
        } else {
            mov_imm(e, w, H_RAX, w ? d->imm : (uint32_t)d->imm);
        }
        emit_st(e, H_RAX, REG_OFF(dst));
        break;
    case J_ALU:
        if (src >= 0 && src != dst && rax_holds(e, REG_OFF(src))) {
            rr(e, w, 0x89, H_RCX, H_RAX);          /* the source, from rax */
            emit_ld(e, w, H_RAX, REG_OFF(dst));
        } else if (src >= 0) {
            emit_ld(e, w, H_RAX, REG_OFF(dst));
            emit_ld(e, w, H_RCX, REG_OFF(src));
        } else {
            emit_ld(e, w, H_RAX, REG_OFF(dst));
            mov_imm(e, w, H_RCX, w ? d->imm : (uint32_t)d->imm);
        }
        gen_alu_tail(e, j, dst);
        break;
    case J_NOT:
        emit_ld(e, w, H_RAX, REG_OFF(dst));
        rex_w(e, w);
        e8(e, 0xf7);
        e8(e, 0xd0);            /* not eax */
        emit_st(e, H_RAX, REG_OFF(dst));
        break;
    case J_NEG:
        emit_ld(e, w, H_RCX, REG_OFF(dst));
        rr(e, w, 0x89, H_RAX, H_RCX);
        rex_w(e, w);
        e8(e, 0xf7);
        e8(e, 0xd8);            /* neg eax */
        emit_st(e, H_RAX, REG_OFF(dst));
        e->hf_valid = true;
        e->hf_logic = false;
        if (j->live_out) {
            emit_cc(e, CC_OP_SUBB + j->ot, true, H_RCX);
        }
        break;
    case J_SHIFT:
        emit_ld(e, w, H_RAX, REG_OFF(dst));
        if (j->count) {
            bool cc = j->live_out && j->flags == FL_WRITE;
            if (cc) {
                rr(e, w, 0x89, H_RCX, H_RAX);
                if (j->count > 1) {
                    shift_imm(e, w, j->op, H_RCX, j->count - 1);
                }
            }
            shift_imm(e, w, j->op, H_RAX, j->count);
            emit_st(e, H_RAX, REG_OFF(dst));
            if (cc) {
                emit_cc(e, (j->op == S_SHL ? CC_OP_SHLB : CC_OP_SARB) + j->ot,
                       true, H_RCX);
            }
        } else {
            emit_st(e, H_RAX, REG_OFF(dst));   /* count 0: zero-extends only */
        }
        break;
    case J_LEA:
        emit_ld(e, true, H_RAX, REG_OFF(d->base));
        if (d->index != X86_REG_NONE) {
            emit_ld(e, true, H_RCX, REG_OFF(d->index));
        }
        rex_w(e, w);
        e8(e, 0x8d);
        if (d->index != X86_REG_NONE) {
            e8(e, 0x84);        /* [sib + disp32], reg eax */
            e8(e, (d->scale << 6) | (H_RCX << 3) | H_RAX);
        } else {
            e8(e, 0x80);        /* [rax + disp32] */
        }
        e32(e, d->disp);
        emit_st(e, H_RAX, REG_OFF(d->reg));
        break;
    case J_MOVX: {
        static const uint8_t opc[] = { [X_ZB] = 0xb6, [X_ZW] = 0xb7,
                                       [X_SB] = 0xbe, [X_SW] = 0xbf };
        uint32_t off = j->op == X_ZB || j->op == X_SB
                     ? (uint32_t)offsetof(CPUX86State, regs) + d->rm8
                     : REG_OFF(d->rm);

        if (j->op == X_SD) {
            e8(e, 0x48);
            e8(e, 0x63);        /* movsxd rax, dword [m] */
        } else {
            rex_w(e, w && (j->op == X_SB || j->op == X_SW));
            e8(e, 0x0f);
            e8(e, opc[j->op]);
        }
        m_env(e, H_RAX, off);
        emit_st(e, H_RAX, REG_OFF(d->reg));
        break;
    }
    }
}

/*
 * ROL/ROR by a constant whose flags are live, while the host flags are
 * the guest's: the host rotate sets CF and keeps S/Z/A/P, LAHF takes
 * them, and OF is computed as the interpreter does (the host leaves it
 * undefined for counts above 1).  The result is an EFLAGS record.
 */
static void gen_rotate_flags(Emit *e, const DecodedInsn *d, const JitInsn *j)
{
    bool w = j->ot == MO_64;
    int bits = w ? 64 : 32;
    uint32_t keep = CC_C | CC_P | CC_A | CC_Z | CC_S;

    if (e->hf_logic) {
        keep &= ~CC_A;
    }
    emit_ld(e, w, H_RAX, REG_OFF(d->rm));
    shift_imm(e, w, j->op, H_RAX, j->count);
    emit_st(e, H_RAX, REG_OFF(d->rm));
    rr(e, true, 0x89, H_RDX, H_RAX);               /* mov rdx, rax */
    e8(e, 0x9f);                                   /* lahf (into AH) */
    e8(e, 0x0f);
    e8(e, 0xb6);
    e8(e, 0xcc);                                   /* movzx ecx, ah */
    e8(e, 0x81);
    e8(e, 0xe1);
    e32(e, keep);                                  /* and ecx, keep */
    if (j->op == S_ROL) {                          /* OF = MSB ^ CF */
        shift_imm(e, true, S_SHR, H_RDX, bits - 1);
        rr(e, false, 0x31, H_RDX, H_RCX);
    } else {                                       /* OF = MSB ^ MSB-1 */
        shift_imm(e, true, S_SHR, H_RDX, bits - 2);
        rr(e, false, 0x89, H_RSI, H_RDX);
        shift_imm(e, false, S_SHR, H_RSI, 1);
        rr(e, false, 0x31, H_RDX, H_RSI);
    }
    e8(e, 0x83);
    e8(e, 0xe2);
    e8(e, 0x01);                                   /* and edx, 1 */
    shift_imm(e, false, S_SHL, H_RDX, 11);         /* -> CC_O */
    rr(e, false, 0x09, H_RCX, H_RDX);              /* or ecx, edx */
    emit_st(e, H_RCX, ENV_OFF(cc_src));
    st_imm(e, false, ENV_OFF(cc_op), CC_OP_EFLAGS);
    /* Host CF/OF may now differ from the guest's: S/Z/A/P still match,
     * but play safe. */
    e->hf_valid = false;
}

static void gen_call(Emit *e, const DecodedInsn *d)
{
    rr(e, true, 0x89, H_RDI, H_RBX);      /* mov rdi, rbx */
    e8(e, 0x48);
    e8(e, 0xb8 + H_RSI);                  /* movabs rsi, d */
    e64(e, (uintptr_t)d);
    e8(e, 0x48);
    e8(e, 0xb8 + H_RAX);                  /* movabs rax, handler */
    e64(e, (uintptr_t)d->handler);
    e8(e, 0xff);
    e8(e, 0xd0);                          /* call rax */
    /* A store into this TB's code: leave after this instruction. */
    emit_ld(e, true, H_RAX, ENV_OFF(tcg));
    e8(e, 0x83);
    e8(e, 0xb8);                          /* cmp dword [rax + disp32], 0 */
    e32(e, offsetof(TCGCPUState, tb_stop));
    e8(e, 0);
    e8(e, 0x0f);
    e8(e, 0x85);                          /* jne stop */
    if (e->nfix < MAX_FIXUPS) {
        e->fix[e->nfix++] = e->p - e->start;
    } else {
        e->full = true;
    }
    e32(e, 0);
}

static void compute_liveness(JitInsn *j, int n)
{
    bool live = true;   /* whoever runs next may read them */

    for (int i = n - 1; i >= 0; i--) {
        j[i].live_out = live;
        if (needs_helper(&j[i]) || j[i].mem || j[i].kind == J_JCC) {
            /* may fault: the flags before it must be exact */
            live = true;
        } else if (j[i].flags == FL_WRITE) {
            live = false;
        }
        /* FL_NONE, and FL_PASS done inline (output dead): unchanged */
    }
}

/*
 * Classify a TB's instructions and find where flags are live.  A Jcc is
 * done inline only as the last instruction, right after an inline ALU
 * op: the host flags that op leaves are the guest's.
 */
static void prepare(const DecodedInsn *insns, int n, JitInsn *j)
{
    for (int i = 0; i < n; i++) {
        classify(&insns[i], &j[i]);
        if (j[i].kind == J_JCC &&
            (i != n - 1 || i == 0 || j[i - 1].kind != J_ALU)) {
            j[i].kind = J_HELPER;
            j[i].flags = FL_ANY;
        }
    }
    compute_liveness(j, n);
}

int x86_jit_count_inline(const DecodedInsn *insns, int n)
{
    JitInsn j[TB_MAX_INSNS_JIT];
    int count = 0;

    n = MIN(n, TB_MAX_INSNS_JIT);
    prepare(insns, n, j);
    for (int i = 0; i < n; i++) {
        count += !needs_helper(&j[i]);
    }
    return count;
}

bool x86_jit_available(void)
{
    return true;
}

uint64_t x86_jit_ld_slow(CPUX86State *env, uint64_t addr, int size);
void x86_jit_st_slow(CPUX86State *env, uint64_t addr, int size, uint64_t val);

/* TLB misses: the softmmu's own path (fills, MMIO, faults, SMC). */
uint64_t x86_jit_ld_slow(CPUX86State *env, uint64_t addr, int size)
{
    return env->mem_ops->load(env, addr, size, MMU_DATA_LOAD);
}

void x86_jit_st_slow(CPUX86State *env, uint64_t addr, int size, uint64_t val)
{
    env->mem_ops->store(env, addr, val, size);
}

/* jmp/jcc rel32 at fix to target (both offsets from e->start). */
static void patch_rel32(Emit *e, uint32_t fix, uint32_t target)
{
    int32_t rel = (int32_t)(target - (fix + 4));
    memcpy(e->start + fix, &rel, 4);
}

static void gen_slow_path(Emit *e, const SlowPath *sp, uint32_t stop_off)
{
    uint32_t fix;

    patch_rel32(e, sp->jne_fix, e->p - e->start);
    /* Exact state for a fault: this instruction counted, rip at it. */
    add_mem(e, ENV_OFF(icount_budget), -sp->pend_n);
    if (sp->pend_len) {
        add_mem(e, ENV_OFF(rip), sp->pend_len);
    }
    rr(e, true, 0x89, H_RDI, H_RBX);               /* mov rdi, rbx */
    rr(e, true, 0x89, H_RSI, H_RAX);               /* mov rsi, rax */
    e8(e, 0xba);
    e32(e, sp->size);                              /* mov edx, size */
    /* a store's value stays in rcx, the fourth argument */
    e8(e, 0x48);
    e8(e, 0xb8);
    e64(e, (uintptr_t)(sp->store ? (void *)x86_jit_st_slow
                                 : (void *)x86_jit_ld_slow));
    e8(e, 0xff);
    e8(e, 0xd0);                                   /* call rax */
    if (sp->store) {
        /* A store into this TB's code: leave after this instruction. */
        emit_ld(e, true, H_RAX, ENV_OFF(tcg));
        e8(e, 0x83);
        e8(e, 0xb8);
        e32(e, offsetof(TCGCPUState, tb_stop));
        e8(e, 0);                                  /* cmp dword [rax+..], 0 */
        e8(e, 0x74);                               /* je cont */
        fix = e->p - e->start;
        e8(e, 0);
        add_mem(e, ENV_OFF(rip), sp->d->len);
        e8(e, 0xe9);                               /* jmp stop */
        e32(e, 0);
        if (!e->full) {
            patch_rel32(e, e->p - e->start - 4, stop_off);
            e->start[fix] = (e->p - e->start) - (fix + 1);
        }
    } else {
        rr(e, true, 0x89, H_RDX, H_RAX);           /* mov rdx, rax */
    }
    /* Back to the lazy bookkeeping of the fast path. */
    add_mem(e, ENV_OFF(icount_budget), sp->pend_n);
    if (sp->pend_len) {
        add_mem(e, ENV_OFF(rip), -(int32_t)sp->pend_len);
    }
    e8(e, 0xe9);                                   /* jmp back */
    e32(e, 0);
    if (!e->full) {
        patch_rel32(e, e->p - e->start - 4, sp->ret_off);
    }
}

static void gen_ret0(Emit *e)
{
    e8(e, 0x31);
    e8(e, 0xc0);                                   /* xor eax, eax */
    e8(e, 0x5b);                                   /* pop rbx */
    e8(e, 0xc3);                                   /* ret */
}

/* jcc/jmp rel32 to a known earlier offset. */
static void jump_back(Emit *e, int cc, uint32_t target)
{
    if (cc >= 0) {
        e8(e, 0x0f);
        e8(e, 0x80 + cc);
    } else {
        e8(e, 0xe9);
    }
    e32(e, 0);
    if (!e->full) {
        patch_rel32(e, e->p - e->start - 4, target);
    }
}

/* A forward jcc/jmp rel32; returns the field to patch. */
static uint32_t jump_fwd(Emit *e, int cc)
{
    if (cc >= 0) {
        e8(e, 0x0f);
        e8(e, 0x80 + cc);
    } else {
        e8(e, 0xe9);
    }
    e32(e, 0);
    return e->p - e->start - 4;
}

/*
 * The TB's closing Jcc, on the host flags of the ALU op just before it
 * (same condition encoding).  A taken branch back to the TB's own start
 * loops without leaving the host code while the budget covers another
 * whole run and nothing asks the C loop to look: no exit or interrupt
 * request, no interrupt shadow or TF, no memory map change, TB still
 * valid.  Otherwise it returns, and cpu_exec's loop follows the chain.
 */
static void gen_jcc(Emit *e, const DecodedInsn *d, uint32_t tb_off, int n,
                    const int *invalid, uint32_t top_off)
{
    int64_t taken = (int64_t)e->pend_len + d->len + (int64_t)d->imm;
    uint32_t fix_taken, fix_exit[8];
    int nexit = 0;

    fix_taken = jump_fwd(e, d->opcode & 15);
    /* not taken */
    add_mem(e, ENV_OFF(icount_budget), -e->pend_n);
    add_mem(e, ENV_OFF(rip), e->pend_len + d->len);
    gen_ret0(e);
    /* taken */
    if (!e->full) {
        patch_rel32(e, fix_taken, e->p - e->start);
    }
    add_mem(e, ENV_OFF(icount_budget), -e->pend_n);
    if (taken) {
        add_mem(e, ENV_OFF(rip), taken);
    }
    if (invalid && (int64_t)tb_off + d->len + (int64_t)d->imm == 0) {
        emit_ld(e, true, H_RAX, ENV_OFF(cpu));
        rr(e, true, 0x85, H_RAX, H_RAX);           /* test rax, rax */
        uint32_t fix_nocpu;

        e8(e, 0x74);                               /* jz: no CPUState */
        fix_nocpu = e->p - e->start;
        e8(e, 0);
        e8(e, 0x83);
        e8(e, 0xb8);                               /* cmp dword [rax+..], 0 */
        e32(e, offsetof(CPUState, exit_request));
        e8(e, 0);
        fix_exit[nexit++] = jump_fwd(e, 5);        /* jne exit */
        e8(e, 0x83);
        e8(e, 0xb8);
        e32(e, offsetof(CPUState, interrupt_request));
        e8(e, 0);
        fix_exit[nexit++] = jump_fwd(e, 5);        /* jne exit */
        if (!e->full) {
            e->start[fix_nocpu] = (e->p - e->start) - (fix_nocpu + 1);
        }
        e8(e, 0xf7);
        m_env(e, 0, ENV_OFF(hflags));              /* test dword [hflags] */
        e32(e, HF_INHIBIT_IRQ_MASK);
        fix_exit[nexit++] = jump_fwd(e, 5);
        e8(e, 0xf7);
        m_env(e, 0, ENV_OFF(eflags));              /* test dword [eflags] */
        e32(e, TF_MASK);
        fix_exit[nexit++] = jump_fwd(e, 5);
        emit_ld(e, true, H_RAX, ENV_OFF(tcg));
        e8(e, 0x8b);
        e8(e, 0x88);                               /* mov ecx, [rax+..] */
        e32(e, offsetof(TCGCPUState, map_generation));
        e8(e, 0x3b);
        e8(e, 0x88);                               /* cmp ecx, [rax+..] */
        e32(e, offsetof(TCGCPUState, map_generation_seen));
        fix_exit[nexit++] = jump_fwd(e, 5);
        e8(e, 0x48);
        e8(e, 0x81);
        m_env(e, 7, ENV_OFF(icount_budget));       /* cmp qword [budget], n */
        e32(e, n);
        fix_exit[nexit++] = jump_fwd(e, 0xc);      /* jl exit */
        e8(e, 0x48);
        e8(e, 0xb8);
        e64(e, (uintptr_t)invalid);                /* movabs rax, &tb->invalid */
        e8(e, 0x83);
        e8(e, 0x38);                               /* cmp dword [rax], 0 */
        e8(e, 0);
        fix_exit[nexit++] = jump_fwd(e, 5);
        jump_back(e, -1, top_off);
    }
    for (int i = 0; i < nexit && !e->full; i++) {
        patch_rel32(e, fix_exit[i], e->p - e->start);
    }
    gen_ret0(e);
}

size_t x86_jit_translate(uint32_t hflags, const DecodedInsn *insns, int n,
                         const int *invalid, uint8_t *code, size_t room)
{
    JitInsn j[TB_MAX_INSNS_JIT];
    Emit *e;
    uint32_t stop_off, top_off, tb_off = 0;
    bool ended = false;
    size_t used = 0;

    if (n <= 0 || n > TB_MAX_INSNS_JIT) {
        return 0;
    }
    e = xnew(Emit);   /* too big for the stack of a vCPU thread */
    e->start = e->p = code;
    e->end = code + room;
    e->mmu_idx = (hflags & HF_CPL_MASK) == 3 ? MMU_USER_IDX : MMU_KERNEL_IDX;
    prepare(insns, n, j);

    e8(e, 0x53);                                   /* push rbx */
    rr(e, true, 0x89, H_RBX, H_RDI);               /* mov rbx, rdi */
    top_off = e->p - e->start;
    for (int i = 0; i < n; i++) {
        const DecodedInsn *d = &insns[i];

        e->pend_n++;
        if (j[i].kind == J_JCC) {
            gen_jcc(e, d, tb_off, n, invalid, top_off);
            ended = true;
            break;
        }
        tb_off += d->len;
        e->hf_prev = e->hf_valid;
        e->hf_valid = false;
        if (j[i].kind == J_SHIFT && j[i].flags == FL_PASS && j[i].live_out &&
            e->hf_prev) {
            gen_rotate_flags(e, d, &j[i]);
            e->pend_len += d->len;
            continue;
        }
        if (!needs_helper(&j[i])) {
            gen_inline(e, d, &j[i]);
            e->pend_len += d->len;
            continue;
        }
        /* The handler sees rip at its instruction, and this one counted. */
        add_mem(e, ENV_OFF(icount_budget), -e->pend_n);
        e->pend_n = 0;
        if (e->pend_len) {
            add_mem(e, ENV_OFF(rip), e->pend_len);
            e->pend_len = 0;
        }
        gen_call(e, d);
    }
    if (!ended) {
        if (e->pend_n) {
            add_mem(e, ENV_OFF(icount_budget), -e->pend_n);
        }
        if (e->pend_len) {
            add_mem(e, ENV_OFF(rip), e->pend_len);
        }
        gen_ret0(e);
    }
    /* stop: */
    stop_off = e->p - e->start;
    for (int i = 0; i < e->nfix && !e->full; i++) {
        patch_rel32(e, e->fix[i], stop_off);
    }
    e8(e, 0xb8);
    e32(e, 1);                                     /* mov eax, 1 */
    e8(e, 0x5b);
    e8(e, 0xc3);
    for (int i = 0; i < e->nslow && !e->full; i++) {
        gen_slow_path(e, &e->slow[i], stop_off);
    }
    if (!e->full) {
        used = e->p - e->start;
    }
    free(e);
    return used;
}

#else /* !__x86_64__ */

bool x86_jit_available(void)
{
    return false;
}

size_t x86_jit_translate(uint32_t hflags, const DecodedInsn *insns, int n,
                         const int *invalid, uint8_t *code, size_t room)
{
    return 0;
}

int x86_jit_count_inline(const DecodedInsn *insns, int n)
{
    return 0;
}

#endif
