/*
 * Internals shared by the x86 decoder and the instruction handlers:
 * decode-table flags, handler families and the small always-inlined
 * operand accessors every handler is built from.
 *
 * A handler body is written once as an always-inline function of the
 * operand size `ot` and of `mem` (memory vs register operand); GEN_*
 * macros instantiate it for each form with constant arguments, so the
 * compiler folds every operand-kind test away and each handler the
 * decoder picks runs straight-line code, as Bochs' per-form handlers do.
 */
#ifndef TARGET_X86_INSN_H
#define TARGET_X86_INSN_H

#include "target/x86/cpu.h"
#include "target/x86/decode.h"

/* Decode-table flags (insns.def). */
#define F_MODRM   (1u << 0)
#define F_BYTE    (1u << 1)   /* byte operand size */
#define F_IMM_B   (1u << 2)   /* imm8, sign-extended */
#define F_IMM_UB  (1u << 3)   /* imm8, zero-extended */
#define F_IMM_Z   (1u << 4)   /* operand-sized imm, at most 32 bits, sign-extended */
#define F_IMM_V   (1u << 5)   /* operand-sized imm, up to 64 bits */
#define F_IMM_W   (1u << 6)   /* imm16 */
#define F_IMM_WB  (1u << 7)   /* imm16 then imm8 (ENTER) */
#define F_MOFFS   (1u << 8)   /* address-sized absolute offset */
#define F_JB      (1u << 9)   /* rel8 */
#define F_JZ      (1u << 10)  /* rel16/32 */
#define F_REGOP   (1u << 11)  /* register in opcode bits 0-2 (+ REX.B) */
#define F_DEF64   (1u << 12)  /* 64-bit operand by default in 64-bit mode */
#define F_F64     (1u << 13)  /* always 64-bit operand in 64-bit mode */
#define F_INV64   (1u << 14)  /* #UD in 64-bit mode */
#define F_ONLY64  (1u << 15)  /* #UD outside 64-bit mode */
#define F_END     (1u << 16)  /* ends the translation block */
#define F_LOCKABLE    (1u << 17)  /* LOCK allowed with a memory destination */
#define F_NEED_F3 (1u << 18)  /* only with an F3 prefix */
#define F_STRING  (1u << 19)  /* string instruction: REP prefixes apply */
#define F_GROUP   (1u << 20)  /* ModRM.reg selects a group member */
#define F_FARPTR  (1u << 21)  /* ptr16:16/32: offset in imm, selector in imm2 */
#define F_SSE     (1u << 22)  /* entry of the mandatory-prefix table */

/* Mandatory-prefix columns of insns-sse.def. */
enum { SSE_PFX_NP, SSE_PFX_66, SSE_PFX_F3, SSE_PFX_F2, SSE_PFX_COUNT };

/* One handler per operand size and per register (0) / memory (1) form. */
typedef struct X86Family {
    X86Handler *h[4][2];
} X86Family;

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Handlers defined in ops-*.c and used by the decoder directly. */
void x86_op_undefined(CPUX86State *env, const DecodedInsn *d);
void x86_op_gp0(CPUX86State *env, const DecodedInsn *d);
void x86_op_locked(CPUX86State *env, const DecodedInsn *d);
void x86_op_cs_limit(CPUX86State *env, const DecodedInsn *d);

/*
 * Family instantiation.  BODY is an always-inline function
 * (env, d, ot, mem).  GEN_FAMILY makes all eight forms; GEN_FAMILY_REG
 * and GEN_FAMILY_MEM leave the other operand kind #UD (NULL).
 */
#define GEN_FORM(name, body, ot, mem) \
    static void name##_##ot##_##mem(CPUX86State *env, const DecodedInsn *d) \
    { body(env, d, ot, mem); }
#define GEN_FORMS4(name, body, mem) \
    GEN_FORM(name, body, MO_8, mem) GEN_FORM(name, body, MO_16, mem) \
    GEN_FORM(name, body, MO_32, mem) GEN_FORM(name, body, MO_64, mem)
#define FAM_ENTRY(name, ot, r, m) { r, m }
#define GEN_FAMILY(name, body) \
    GEN_FORMS4(name, body, 0) GEN_FORMS4(name, body, 1) \
    const X86Family x86_fam_##name = { { \
        { name##_MO_8_0, name##_MO_8_1 }, { name##_MO_16_0, name##_MO_16_1 }, \
        { name##_MO_32_0, name##_MO_32_1 }, { name##_MO_64_0, name##_MO_64_1 } } };
#define GEN_FAMILY_REG(name, body) \
    GEN_FORMS4(name, body, 0) \
    const X86Family x86_fam_##name = { { \
        { name##_MO_8_0, NULL }, { name##_MO_16_0, NULL }, \
        { name##_MO_32_0, NULL }, { name##_MO_64_0, NULL } } };
#define GEN_FAMILY_MEM(name, body) \
    GEN_FORMS4(name, body, 1) \
    const X86Family x86_fam_##name = { { \
        { NULL, name##_MO_8_1 }, { NULL, name##_MO_16_1 }, \
        { NULL, name##_MO_32_1 }, { NULL, name##_MO_64_1 } } };
/* One handler for every form (operand-less instructions). */
#define GEN_FAMILY_ONE(name, fn) \
    const X86Family x86_fam_##name = { { \
        { fn, fn }, { fn, fn }, { fn, fn }, { fn, fn } } };

/* ---- operand helpers ------------------------------------------------- */

ALWAYS_INLINE int ot_bits(int ot) { return 8 << ot; }
ALWAYS_INLINE uint64_t ot_mask(int ot)
{
    return ot == MO_64 ? ~0ULL : (1ULL << (8 << ot)) - 1;
}
ALWAYS_INLINE uint64_t ot_sign(int ot) { return 1ULL << ((8 << ot) - 1); }
ALWAYS_INLINE int64_t sext(uint64_t v, int ot)
{
    switch (ot) {
    case MO_8: return (int8_t)v;
    case MO_16: return (int16_t)v;
    case MO_32: return (int32_t)v;
    default: return (int64_t)v;
    }
}
ALWAYS_INLINE uint64_t zext(uint64_t v, int ot) { return v & ot_mask(ot); }

/* Register read/write by operand size.  For MO_8 `r` is a byte offset
 * into env->regs (the decoder's reg8/rm8), which covers AH..BH. */
ALWAYS_INLINE uint64_t get_reg(CPUX86State *env, int ot, int r)
{
    switch (ot) {
    case MO_8: return ((uint8_t *)env->regs)[r];
    case MO_16: return (uint16_t)env->regs[r];
    case MO_32: return (uint32_t)env->regs[r];
    default: return env->regs[r];
    }
}
ALWAYS_INLINE void set_reg(CPUX86State *env, int ot, int r, uint64_t v)
{
    switch (ot) {
    case MO_8: ((uint8_t *)env->regs)[r] = v; break;
    case MO_16: env->regs[r] = (env->regs[r] & ~0xffffULL) | (uint16_t)v; break;
    case MO_32: env->regs[r] = (uint32_t)v; break;   /* zero-extends */
    default: env->regs[r] = v; break;
    }
}
/* The G (ModRM.reg) and E-register operands, by size. */
ALWAYS_INLINE int reg_g(const DecodedInsn *d, int ot) { return ot == MO_8 ? d->reg8 : d->reg; }
ALWAYS_INLINE int reg_e(const DecodedInsn *d, int ot) { return ot == MO_8 ? d->rm8 : d->rm; }

ALWAYS_INLINE uint64_t ld(CPUX86State *env, uint64_t addr, int ot)
{
    return env->mem_ops->load(env, addr, 1 << ot, MMU_DATA_LOAD);
}
ALWAYS_INLINE void st(CPUX86State *env, uint64_t addr, uint64_t v, int ot)
{
    env->mem_ops->store(env, addr, v & ot_mask(ot), 1 << ot);
}

/* Read the E operand; for a memory operand *addr receives its address so
 * a read-modify-write stores to the same place. */
ALWAYS_INLINE uint64_t ld_e(CPUX86State *env, const DecodedInsn *d, int ot,
                            bool mem, uint64_t *addr)
{
    if (mem) {
        *addr = d->addr(env, d);
        return ld(env, *addr, ot);
    }
    return get_reg(env, ot, reg_e(d, ot));
}
ALWAYS_INLINE void st_e(CPUX86State *env, const DecodedInsn *d, int ot,
                        bool mem, uint64_t addr, uint64_t v)
{
    if (mem) {
        st(env, addr, v, ot);
    } else {
        set_reg(env, ot, reg_e(d, ot), v);
    }
}

/* Sequential flow: every non-branch handler ends with this. */
ALWAYS_INLINE void next_insn(CPUX86State *env, const DecodedInsn *d)
{
    env->rip += d->len;
}

/* Lazy flags. */
ALWAYS_INLINE void set_cc(CPUX86State *env, int op, uint64_t dst, uint64_t src)
{
    env->cc_op = op;
    env->cc_dst = dst;
    env->cc_src = src;
}
/* Materialise the flags so an instruction can change some of them. */
ALWAYS_INLINE uint32_t flags_now(CPUX86State *env)
{
    return env->cc_op == CC_OP_EFLAGS ? (uint32_t)env->cc_src
                                      : cpu_cc_compute_all(env);
}
ALWAYS_INLINE void set_flags(CPUX86State *env, uint32_t f)
{
    env->cc_op = CC_OP_EFLAGS;
    env->cc_src = f & CC_ALL;
}
/* Evaluate condition code cc (the low nibble of Jcc/SETcc/CMOVcc). */
bool x86_check_cc(CPUX86State *env, int cc);

/* Linear address of seg:off for accesses the decoder gave no address
 * function (stack, strings, XLAT); wraps at 4 GiB outside 64-bit mode. */
ALWAYS_INLINE uint64_t linear(CPUX86State *env, const DecodedInsn *d, int seg,
                              uint64_t off)
{
    uint64_t a = (env->segs[seg].base + off) & d->lmask;

    /* A segment needing limit/rights checks: tag the address. */
    if (unlikely((d->segchk >> seg) & 1)) {
        a |= (uint64_t)(seg + 1) << X86_SEG_TAG_SHIFT;
    }
    return a;
}
/* addr + delta (may be negative) in the instruction's address space: a
 * 4 GiB wrap outside 64-bit mode that keeps a segment tag. */
ALWAYS_INLINE uint64_t addr_add(const DecodedInsn *d, uint64_t addr, int64_t delta)
{
    if (d->lmask == ~0ULL) {
        return addr + delta;
    }
    return (addr & ~0xffffffffULL) | (uint32_t)(addr + delta);
}

/* Stack, sized by the decoder's sflag and seg_ss. */
ALWAYS_INLINE uint64_t sp_mask(int sflag) { return ot_mask(sflag); }
ALWAYS_INLINE void push(CPUX86State *env, const DecodedInsn *d, int ot, uint64_t v)
{
    uint64_t sp = (env->regs[R_ESP] - (1 << ot)) & sp_mask(d->sflag);
    st(env, linear(env, d, d->seg_ss, sp), v, ot);
    set_reg(env, d->sflag, R_ESP, sp);
}
/* Pop in two steps so a fault after reading leaves RSP untouched. */
ALWAYS_INLINE uint64_t pop_peek(CPUX86State *env, const DecodedInsn *d, int ot,
                                unsigned offset)
{
    uint64_t sp = (env->regs[R_ESP] + offset) & sp_mask(d->sflag);
    return ld(env, linear(env, d, d->seg_ss, sp), ot);
}
ALWAYS_INLINE void sp_add(CPUX86State *env, const DecodedInsn *d, uint64_t n)
{
    set_reg(env, d->sflag, R_ESP, env->regs[R_ESP] + n);
}

#endif
