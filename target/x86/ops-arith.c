/*
 * Integer arithmetic handlers: ALU, INC/DEC/NEG/NOT, shifts and rotates,
 * SHLD/SHRD, MUL/IMUL/DIV/IDIV, bit tests and scans, XADD, CMPXCHG, BCD.
 * Each handler is one instruction form; see target/x86/insn.h.
 */
#include "util/osdep.h"
#include "insn.h"

/* ---- ALU: ADD OR ADC SBB AND SUB XOR CMP (the order of the opcodes) ---- */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

ALWAYS_INLINE uint64_t alu(CPUX86State *env, int op, int ot, uint64_t a,
                           uint64_t b)
{
    uint64_t m = ot_mask(ot), r, c;

    b &= m;
    switch (op) {
    case ALU_ADD:
        r = (a + b) & m;
        set_cc(env, CC_OP_ADDB + ot, r, b);
        return r;
    case ALU_ADC:
        c = cpu_cc_compute_c(env);
        r = (a + b + c) & m;
        env->cc_src2 = c;
        set_cc(env, CC_OP_ADCB + ot, r, b);
        return r;
    case ALU_SUB:
    case ALU_CMP:
        r = (a - b) & m;
        set_cc(env, CC_OP_SUBB + ot, r, b);
        return r;
    case ALU_SBB:
        c = cpu_cc_compute_c(env);
        r = (a - b - c) & m;
        env->cc_src2 = c;
        set_cc(env, CC_OP_SBBB + ot, r, b);
        return r;
    case ALU_AND:
        r = a & b;
        break;
    case ALU_OR:
        r = (a | b) & m;
        break;
    default:
        r = (a ^ b) & m;
        break;
    }
    set_cc(env, CC_OP_LOGICB + ot, r, 0);
    return r;
}

#define ALU_FAMILIES(name, OP) \
    ALWAYS_INLINE void name##_eg(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { \
        uint64_t addr = 0, r; \
        r = alu(env, OP, ot, ld_e(env, d, ot, mem, &addr), get_reg(env, ot, reg_g(d, ot))); \
        if (OP != ALU_CMP) { \
            st_e(env, d, ot, mem, addr, r); \
        } \
        next_insn(env, d); \
    } \
    ALWAYS_INLINE void name##_ge(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { \
        uint64_t addr = 0, r; \
        r = alu(env, OP, ot, get_reg(env, ot, reg_g(d, ot)), ld_e(env, d, ot, mem, &addr)); \
        if (OP != ALU_CMP) { \
            set_reg(env, ot, reg_g(d, ot), r); \
        } \
        next_insn(env, d); \
    } \
    ALWAYS_INLINE void name##_ai(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { \
        uint64_t r = alu(env, OP, ot, get_reg(env, ot, R_EAX), d->imm); \
        if (OP != ALU_CMP) { \
            set_reg(env, ot, R_EAX, r); \
        } \
        next_insn(env, d); \
    } \
    ALWAYS_INLINE void name##_ei(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { \
        uint64_t addr = 0, r; \
        r = alu(env, OP, ot, ld_e(env, d, ot, mem, &addr), d->imm); \
        if (OP != ALU_CMP) { \
            st_e(env, d, ot, mem, addr, r); \
        } \
        next_insn(env, d); \
    } \
    GEN_FAMILY(name##_EG, name##_eg) \
    GEN_FAMILY(name##_GE, name##_ge) \
    GEN_FAMILY_REG(name##_AI, name##_ai) \
    GEN_FAMILY(name##_EI, name##_ei)

ALU_FAMILIES(add, ALU_ADD)
ALU_FAMILIES(or, ALU_OR)
ALU_FAMILIES(adc, ALU_ADC)
ALU_FAMILIES(sbb, ALU_SBB)
ALU_FAMILIES(and, ALU_AND)
ALU_FAMILIES(sub, ALU_SUB)
ALU_FAMILIES(xor, ALU_XOR)
ALU_FAMILIES(cmp, ALU_CMP)

/* TEST: AND without the store. */
ALWAYS_INLINE void test_eg(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr;
    alu(env, ALU_AND, ot, ld_e(env, d, ot, mem, &addr), get_reg(env, ot, reg_g(d, ot)));
    next_insn(env, d);
}
ALWAYS_INLINE void test_ei(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr;
    alu(env, ALU_AND, ot, ld_e(env, d, ot, mem, &addr), d->imm);
    next_insn(env, d);
}
ALWAYS_INLINE void test_ai(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    alu(env, ALU_AND, ot, get_reg(env, ot, R_EAX), d->imm);
    next_insn(env, d);
}
GEN_FAMILY(test_EG, test_eg)
GEN_FAMILY(test_EI, test_ei)
GEN_FAMILY_REG(test_AI, test_ai)

/* ---- INC DEC NOT NEG ---- */
ALWAYS_INLINE uint64_t incdec(CPUX86State *env, int ot, uint64_t a, int dir)
{
    uint64_t r = (a + dir) & ot_mask(ot);
    uint64_t cf = cpu_cc_compute_c(env);   /* INC/DEC keep CF */
    set_cc(env, (dir > 0 ? CC_OP_INCB : CC_OP_DECB) + ot, r, cf);
    return r;
}
ALWAYS_INLINE void inc_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr = 0;
    st_e(env, d, ot, mem, addr, incdec(env, ot, ld_e(env, d, ot, mem, &addr), 1));
    next_insn(env, d);
}
ALWAYS_INLINE void dec_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr = 0;
    st_e(env, d, ot, mem, addr, incdec(env, ot, ld_e(env, d, ot, mem, &addr), -1));
    next_insn(env, d);
}
/* 40-4F outside 64-bit mode: register in the opcode. */
ALWAYS_INLINE void inc_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    set_reg(env, ot, d->reg, incdec(env, ot, get_reg(env, ot, d->reg), 1));
    next_insn(env, d);
}
ALWAYS_INLINE void dec_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    set_reg(env, ot, d->reg, incdec(env, ot, get_reg(env, ot, d->reg), -1));
    next_insn(env, d);
}
ALWAYS_INLINE void not_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr = 0, a = ld_e(env, d, ot, mem, &addr);
    st_e(env, d, ot, mem, addr, ~a);
    next_insn(env, d);
}
ALWAYS_INLINE void neg_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr = 0, a = ld_e(env, d, ot, mem, &addr);
    uint64_t r = (0 - a) & ot_mask(ot);
    st_e(env, d, ot, mem, addr, r);
    set_cc(env, CC_OP_SUBB + ot, r, a & ot_mask(ot));
    next_insn(env, d);
}
GEN_FAMILY(inc_E, inc_e)
GEN_FAMILY(dec_E, dec_e)
GEN_FAMILY_REG(inc_Z, inc_z)
GEN_FAMILY_REG(dec_Z, dec_z)
GEN_FAMILY(not, not_e)
GEN_FAMILY(neg, neg_e)

/* ---- shifts and rotates ---- */
enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

ALWAYS_INLINE void do_shift(CPUX86State *env, const DecodedInsn *d, int ot,
                            bool mem, int kind, unsigned count)
{
    int bits = ot_bits(ot);
    uint64_t m = ot_mask(ot), sign = ot_sign(ot);
    uint64_t addr = 0, a, r, cf;
    uint32_t f;

    count &= ot == MO_64 ? 63 : 31;
    a = ld_e(env, d, ot, mem, &addr);
    if (count == 0) {
        /* No flag change; a 32-bit register destination still zero-extends. */
        if (!mem) {
            set_reg(env, ot, reg_e(d, ot), a);
        }
        next_insn(env, d);
        return;
    }
    switch (kind) {
    case SH_SHL:
    case SH_SAL:
        r = (a << count) & m;
        set_cc(env, CC_OP_SHLB + ot, r, (a << (count - 1)) & m);
        break;
    case SH_SHR:
        r = a >> count;
        set_cc(env, CC_OP_SARB + ot, r, a >> (count - 1));
        break;
    case SH_SAR:
        r = ((uint64_t)(sext(a, ot) >> (count > 63 ? 63 : count))) & m;
        set_cc(env, CC_OP_SARB + ot, r, (uint64_t)(sext(a, ot) >> (count - 1)) & m);
        break;
    case SH_ROL:
    case SH_ROR: {
        unsigned c = count & (bits - 1);
        if (kind == SH_ROL) {
            r = c ? ((a << c) | (a >> (bits - c))) & m : a;
            cf = r & 1;
            f = flags_now(env) & ~(CC_C | CC_O);
            f |= cf | ((((r & sign) != 0) ^ cf) ? CC_O : 0);
        } else {
            r = c ? ((a >> c) | (a << (bits - c))) & m : a;
            cf = (r & sign) != 0;
            f = flags_now(env) & ~(CC_C | CC_O);
            f |= cf | ((((r >> (bits - 2)) ^ (r >> (bits - 1))) & 1) ? CC_O : 0);
        }
        set_flags(env, f);
        break;
    }
    default: {   /* RCL, RCR: rotate through the bits+1 wide {CF, value} */
        unsigned c = bits < 32 ? count % (bits + 1) : count;
        if (c == 0) {
            r = a;
            break;
        }
        f = flags_now(env);
        cf = f & CC_C;
        if (kind == SH_RCL) {
            unsigned __int128 v = ((unsigned __int128)cf << bits) | a;
            v = (v << c) | (v >> (bits + 1 - c));
            r = (uint64_t)v & m;
            cf = (uint64_t)(v >> bits) & 1;
            f = (f & ~(CC_C | CC_O)) | cf | ((((r & sign) != 0) ^ cf) ? CC_O : 0);
        } else {
            unsigned __int128 v = ((unsigned __int128)cf << bits) | a;
            v = (v >> c) | (v << (bits + 1 - c));
            r = (uint64_t)v & m;
            cf = (uint64_t)(v >> bits) & 1;
            f = (f & ~(CC_C | CC_O)) |
                cf | ((((r >> (bits - 2)) ^ (r >> (bits - 1))) & 1) ? CC_O : 0);
        }
        set_flags(env, f);
        break;
    }
    }
    st_e(env, d, ot, mem, addr, r);
    next_insn(env, d);
}

#define SHIFT_FAMILIES(name, KIND) \
    ALWAYS_INLINE void name##_i(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { do_shift(env, d, ot, mem, KIND, d->imm); } \
    ALWAYS_INLINE void name##_1(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { do_shift(env, d, ot, mem, KIND, 1); } \
    ALWAYS_INLINE void name##_cl(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { do_shift(env, d, ot, mem, KIND, (uint8_t)env->regs[R_ECX]); } \
    GEN_FAMILY(name##_I, name##_i) \
    GEN_FAMILY(name##_1, name##_1) \
    GEN_FAMILY(name##_CL, name##_cl)
SHIFT_FAMILIES(rol, SH_ROL)
SHIFT_FAMILIES(ror, SH_ROR)
SHIFT_FAMILIES(rcl, SH_RCL)
SHIFT_FAMILIES(rcr, SH_RCR)
SHIFT_FAMILIES(shl, SH_SHL)
SHIFT_FAMILIES(shr, SH_SHR)
SHIFT_FAMILIES(sar, SH_SAR)

/* SHLD/SHRD: shift E, filling from G.  Counts above 16 for 16-bit
 * operands give an undefined result; we use a 32-bit concatenation. */
ALWAYS_INLINE void do_shxd(CPUX86State *env, const DecodedInsn *d, int ot,
                           bool mem, bool left, unsigned count)
{
    int bits = ot_bits(ot);
    uint64_t m = ot_mask(ot), addr = 0, a, b, r, tmp;
    unsigned __int128 v;

    count &= ot == MO_64 ? 63 : 31;
    a = ld_e(env, d, ot, mem, &addr);
    if (count == 0) {
        if (!mem) {
            set_reg(env, ot, reg_e(d, ot), a);
        }
        next_insn(env, d);
        return;
    }
    b = get_reg(env, ot, reg_g(d, ot));
    if (left) {
        v = ((unsigned __int128)a << bits) | b;
        if (bits == 16) {   /* a:b:a, as Intel does for counts > 16 */
            v = (v << 16) | a;
            r = (uint64_t)((v << count) >> 32) & m;
            tmp = (uint64_t)((v << (count - 1)) >> 32) & m;
        } else {
            r = (uint64_t)((v << count) >> bits) & m;
            tmp = (uint64_t)((v << (count - 1)) >> bits) & m;
        }
        set_cc(env, CC_OP_SHLB + ot, r, tmp);
    } else {
        v = ((unsigned __int128)b << bits) | a;
        if (bits == 16) {
            v |= (unsigned __int128)a << 32;
        }
        r = (uint64_t)(v >> count) & m;
        tmp = (uint64_t)(v >> (count - 1)) & m;
        set_cc(env, CC_OP_SARB + ot, r, tmp);
    }
    st_e(env, d, ot, mem, addr, r);
    next_insn(env, d);
}
ALWAYS_INLINE void shld_i(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ do_shxd(env, d, ot, mem, true, d->imm); }
ALWAYS_INLINE void shld_cl(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ do_shxd(env, d, ot, mem, true, (uint8_t)env->regs[R_ECX]); }
ALWAYS_INLINE void shrd_i(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ do_shxd(env, d, ot, mem, false, d->imm); }
ALWAYS_INLINE void shrd_cl(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ do_shxd(env, d, ot, mem, false, (uint8_t)env->regs[R_ECX]); }
GEN_FAMILY(shld_I, shld_i)
GEN_FAMILY(shld_CL, shld_cl)
GEN_FAMILY(shrd_I, shrd_i)
GEN_FAMILY(shrd_CL, shrd_cl)

/* ---- multiply and divide ---- */
/* Double-width result into (E)DX:(E)AX, or AX for bytes. */
ALWAYS_INLINE void set_acc_pair(CPUX86State *env, int ot, uint64_t lo, uint64_t hi)
{
    if (ot == MO_8) {
        set_reg(env, MO_16, R_EAX, (lo & 0xff) | ((hi & 0xff) << 8));
    } else {
        set_reg(env, ot, R_EAX, lo);
        set_reg(env, ot, R_EDX, hi);
    }
}

ALWAYS_INLINE void mul_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, b = ld_e(env, d, ot, mem, &addr);
    unsigned __int128 p = (unsigned __int128)get_reg(env, ot, R_EAX) * b;
    uint64_t lo = (uint64_t)p & ot_mask(ot);
    uint64_t hi = (uint64_t)(p >> ot_bits(ot)) & ot_mask(ot);
    set_acc_pair(env, ot, lo, hi);
    set_cc(env, CC_OP_MULB + ot, lo, hi);
    next_insn(env, d);
}
ALWAYS_INLINE void imul_a(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, b = ld_e(env, d, ot, mem, &addr);
    __int128 p = (__int128)sext(get_reg(env, ot, R_EAX), ot) * sext(b, ot);
    uint64_t lo = (uint64_t)p & ot_mask(ot);
    uint64_t hi = (uint64_t)(p >> ot_bits(ot)) & ot_mask(ot);
    set_acc_pair(env, ot, lo, hi);
    set_cc(env, CC_OP_MULB + ot, lo, p != (__int128)sext(lo, ot));
    next_insn(env, d);
}
ALWAYS_INLINE void imul2(CPUX86State *env, const DecodedInsn *d, int ot,
                         uint64_t a, uint64_t b)
{
    __int128 p = (__int128)sext(a, ot) * sext(b, ot);
    uint64_t lo = (uint64_t)p & ot_mask(ot);
    set_reg(env, ot, d->reg, lo);
    set_cc(env, CC_OP_MULB + ot, lo, p != (__int128)sext(lo, ot));
    next_insn(env, d);
}
ALWAYS_INLINE void imul_ge(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, b = ld_e(env, d, ot, mem, &addr);
    imul2(env, d, ot, get_reg(env, ot, d->reg), b);
}
ALWAYS_INLINE void imul_gei(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, b = ld_e(env, d, ot, mem, &addr);
    imul2(env, d, ot, b, d->imm);
}

ALWAYS_INLINE unsigned __int128 acc_pair(CPUX86State *env, int ot)
{
    if (ot == MO_8) {
        return get_reg(env, MO_16, R_EAX);
    }
    return ((unsigned __int128)get_reg(env, ot, R_EDX) << ot_bits(ot)) |
           get_reg(env, ot, R_EAX);
}

ALWAYS_INLINE void div_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, b = ld_e(env, d, ot, mem, &addr);
    unsigned __int128 n, q;

    if (b == 0) {
        raise_exception(env, EXCP00_DIVZ);
    }
    n = acc_pair(env, ot);
    q = n / b;
    if (q > ot_mask(ot)) {
        raise_exception(env, EXCP00_DIVZ);
    }
    set_acc_pair(env, ot, (uint64_t)q, (uint64_t)(n % b));
    next_insn(env, d);
}
ALWAYS_INLINE void idiv_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, b = ld_e(env, d, ot, mem, &addr);
    int64_t sb = sext(b, ot);
    unsigned __int128 un = acc_pair(env, ot);
    __int128 n, q;
    int bits2 = 2 * ot_bits(ot);

    if (sb == 0) {
        raise_exception(env, EXCP00_DIVZ);
    }
    /* Sign-extend the double-width dividend to 128 bits. */
    n = bits2 == 128 ? (__int128)un : (__int128)(un << (128 - bits2)) >> (128 - bits2);
    if (sb == -1 && bits2 == 128 && un == (unsigned __int128)1 << 127) {
        raise_exception(env, EXCP00_DIVZ);   /* the quotient would be 2^127 */
    }
    q = n / sb;
    if (q != (__int128)sext((uint64_t)q, ot)) {
        raise_exception(env, EXCP00_DIVZ);
    }
    set_acc_pair(env, ot, (uint64_t)q, (uint64_t)(n % sb));
    next_insn(env, d);
}
GEN_FAMILY(mul, mul_e)
GEN_FAMILY(imul_A, imul_a)
GEN_FAMILY(imul_GE, imul_ge)
GEN_FAMILY(imul_GEI, imul_gei)
GEN_FAMILY(div, div_e)
GEN_FAMILY(idiv, idiv_e)

/* ---- bit test family ---- */
enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

ALWAYS_INLINE void do_bt(CPUX86State *env, const DecodedInsn *d, int ot,
                         bool mem, int kind, bool imm)
{
    uint64_t addr = 0, a, bit, r;
    int64_t off;

    if (imm) {
        off = d->imm & (ot_bits(ot) - 1);
    } else {
        off = sext(get_reg(env, ot, d->reg), ot);
    }
    if (mem) {
        /* A register bit offset reaches outside the operand: signed, in
         * operand-size units. */
        addr = d->addr(env, d);
        if (!imm) {
            addr = addr_add(d, addr, (int64_t)((uint64_t)(off >> (3 + ot)) << ot));
        }
        a = ld(env, addr, ot);
    } else {
        a = get_reg(env, ot, d->rm);
    }
    bit = 1ULL << (off & (ot_bits(ot) - 1));
    set_flags(env, (flags_now(env) & ~CC_C) | ((a & bit) ? CC_C : 0));
    if (kind != BT_TEST) {
        r = kind == BT_SET ? a | bit : kind == BT_RESET ? a & ~bit : a ^ bit;
        st_e(env, d, ot, mem, addr, r);
    }
    next_insn(env, d);
}
#define BT_FAMILIES(name, KIND) \
    ALWAYS_INLINE void name##_eg(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { do_bt(env, d, ot, mem, KIND, false); } \
    ALWAYS_INLINE void name##_ei(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { do_bt(env, d, ot, mem, KIND, true); } \
    GEN_FAMILY(name##_EG, name##_eg) \
    GEN_FAMILY(name##_EI, name##_ei)
BT_FAMILIES(bt, BT_TEST)
BT_FAMILIES(bts, BT_SET)
BT_FAMILIES(btr, BT_RESET)
BT_FAMILIES(btc, BT_COMPLEMENT)

ALWAYS_INLINE void bsf_ge(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, a = ld_e(env, d, ot, mem, &addr);
    uint32_t f = flags_now(env) & ~CC_Z;
    if (a == 0) {
        f |= CC_Z;   /* destination unchanged, as AMD documents */
    } else {
        set_reg(env, ot, d->reg, __builtin_ctzll(a));
    }
    set_flags(env, f);
    next_insn(env, d);
}
ALWAYS_INLINE void bsr_ge(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, a = ld_e(env, d, ot, mem, &addr);
    uint32_t f = flags_now(env) & ~CC_Z;
    if (a == 0) {
        f |= CC_Z;
    } else {
        set_reg(env, ot, d->reg, 63 - __builtin_clzll(a));
    }
    set_flags(env, f);
    next_insn(env, d);
}
ALWAYS_INLINE void popcnt_ge(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, a = ld_e(env, d, ot, mem, &addr);
    set_reg(env, ot, d->reg, __builtin_popcountll(a));
    set_flags(env, a == 0 ? CC_Z : 0);
    next_insn(env, d);
}
GEN_FAMILY(bsf, bsf_ge)
GEN_FAMILY(bsr, bsr_ge)
GEN_FAMILY(popcnt, popcnt_ge)

/* ---- XADD, CMPXCHG ---- */
/* Single-threaded for now: a locked read-modify-write is the plain one.
 * With several vCPU threads the memory forms become host atomics. */
ALWAYS_INLINE void xadd_eg(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr = 0, a = ld_e(env, d, ot, mem, &addr);
    uint64_t b = get_reg(env, ot, reg_g(d, ot));
    uint64_t r = alu(env, ALU_ADD, ot, a, b);
    set_reg(env, ot, reg_g(d, ot), a);
    st_e(env, d, ot, mem, addr, r);   /* E wins when E and G are one register */
    next_insn(env, d);
}
ALWAYS_INLINE void cmpxchg_eg(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr = 0, a = ld_e(env, d, ot, mem, &addr);
    uint64_t acc = get_reg(env, ot, R_EAX);
    alu(env, ALU_CMP, ot, acc, a);
    if (acc == a) {
        st_e(env, d, ot, mem, addr, get_reg(env, ot, reg_g(d, ot)));
    } else {
        if (mem) {
            st(env, addr, a, ot);   /* the processor always writes */
        }
        set_reg(env, ot, R_EAX, a);
    }
    next_insn(env, d);
}
GEN_FAMILY(xadd, xadd_eg)
GEN_FAMILY(cmpxchg, cmpxchg_eg)

static void cmpxchg8b_m(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t addr = d->addr(env, d);
    uint64_t v = ld(env, addr, MO_64);
    uint64_t cmp = (uint32_t)env->regs[R_EAX] | (env->regs[R_EDX] << 32);
    uint32_t f = flags_now(env) & ~CC_Z;

    if (v == cmp) {
        st(env, addr, (uint32_t)env->regs[R_EBX] | (env->regs[R_ECX] << 32), MO_64);
        f |= CC_Z;
    } else {
        st(env, addr, v, MO_64);
        env->regs[R_EAX] = (uint32_t)v;
        env->regs[R_EDX] = v >> 32;
    }
    set_flags(env, f);
    next_insn(env, d);
}
static void cmpxchg16b_m(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t addr = d->addr(env, d);
    uint64_t lo, hi;
    uint32_t f = flags_now(env) & ~CC_Z;

    if (addr & 15) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    lo = ld(env, addr, MO_64);
    hi = ld(env, addr + 8, MO_64);
    if (lo == env->regs[R_EAX] && hi == env->regs[R_EDX]) {
        st(env, addr, env->regs[R_EBX], MO_64);
        st(env, addr + 8, env->regs[R_ECX], MO_64);
        f |= CC_Z;
    } else {
        st(env, addr, lo, MO_64);
        st(env, addr + 8, hi, MO_64);
        env->regs[R_EAX] = lo;
        env->regs[R_EDX] = hi;
    }
    set_flags(env, f);
    next_insn(env, d);
}
const X86Family x86_fam_cmpxchg8b = { {
    { NULL, NULL }, { NULL, cmpxchg8b_m }, { NULL, cmpxchg8b_m }, { NULL, cmpxchg16b_m } } };

/* ---- BCD (not in 64-bit mode; the decoder rejects them there) ---- */
static void set_szp_flags(CPUX86State *env, uint32_t keep, uint8_t al)
{
    uint32_t f = keep & (CC_C | CC_A | CC_O);
    f |= (al == 0 ? CC_Z : 0) | (al & 0x80 ? CC_S : 0) |
         (__builtin_parity(al) ? 0 : CC_P);
    set_flags(env, f);
}
static void daa(CPUX86State *env, const DecodedInsn *d)
{
    uint32_t f = flags_now(env), nf = 0;
    uint8_t al = env->regs[R_EAX], old = al;

    if ((al & 0xf) > 9 || (f & CC_A)) {
        al += 6;
        nf |= CC_A;
    }
    if (old > 0x99 || (f & CC_C)) {
        al += 0x60;
        nf |= CC_C;
    }
    set_reg(env, MO_8, 0, al);
    set_szp_flags(env, nf, al);
    next_insn(env, d);
}
static void das(CPUX86State *env, const DecodedInsn *d)
{
    uint32_t f = flags_now(env), nf = 0;
    uint8_t al = env->regs[R_EAX], old = al;

    if ((al & 0xf) > 9 || (f & CC_A)) {
        nf |= CC_A | ((al < 6 || (f & CC_C)) ? CC_C : 0);
        al -= 6;
    }
    if (old > 0x99 || (f & CC_C)) {
        al -= 0x60;
        nf |= CC_C;
    }
    set_reg(env, MO_8, 0, al);
    set_szp_flags(env, nf, al);
    next_insn(env, d);
}
static void aaa_aas(CPUX86State *env, const DecodedInsn *d, int dir)
{
    uint32_t f = flags_now(env) & ~(CC_A | CC_C);
    uint16_t ax = env->regs[R_EAX];

    if ((ax & 0xf) > 9 || (flags_now(env) & CC_A)) {
        if (dir > 0) {
            ax += 0x106;
        } else {
            ax = ax - 6 - 0x100;   /* AX -= 6, then AH -= 1 */
        }
        f |= CC_A | CC_C;
    }
    ax = (ax & 0xff0f);
    set_reg(env, MO_16, R_EAX, ax);
    set_flags(env, f);
    next_insn(env, d);
}
static void aaa(CPUX86State *env, const DecodedInsn *d) { aaa_aas(env, d, 1); }
static void aas(CPUX86State *env, const DecodedInsn *d) { aaa_aas(env, d, -1); }
static void aam(CPUX86State *env, const DecodedInsn *d)
{
    uint8_t al = env->regs[R_EAX], base = d->imm;

    if (base == 0) {
        raise_exception(env, EXCP00_DIVZ);
    }
    al = al % base;
    set_reg(env, MO_16, R_EAX, al | ((uint8_t)(env->regs[R_EAX] & 0xff) / base) << 8);
    set_cc(env, CC_OP_LOGICB, al, 0);
    next_insn(env, d);
}
static void aad(CPUX86State *env, const DecodedInsn *d)
{
    uint16_t ax = env->regs[R_EAX];
    uint8_t al = (uint8_t)ax + (uint8_t)(ax >> 8) * (uint8_t)d->imm;

    set_reg(env, MO_16, R_EAX, al);
    set_cc(env, CC_OP_LOGICB, al, 0);
    next_insn(env, d);
}
GEN_FAMILY_ONE(daa, daa)
GEN_FAMILY_ONE(das, das)
GEN_FAMILY_ONE(aaa, aaa)
GEN_FAMILY_ONE(aas, aas)
GEN_FAMILY_ONE(aam, aam)
GEN_FAMILY_ONE(aad, aad)
