/*
 * Lazy condition codes: compute EFLAGS' arithmetic bits from the record
 * the last flag-setting instruction left (cc_op, cc_dst, cc_src, cc_src2).
 */
#include "util/osdep.h"
#include "insn.h"

static inline uint32_t parity(uint64_t v)
{
    return __builtin_parity((uint8_t)v) ? 0 : CC_P;
}

/* Z, S and P from a result of size ot. */
static inline uint32_t szp(uint64_t dst, int ot)
{
    dst &= ot_mask(ot);
    return (dst == 0 ? CC_Z : 0) | (dst & ot_sign(ot) ? CC_S : 0) | parity(dst);
}

static uint32_t compute_all(uint32_t op, uint64_t dst, uint64_t src,
                            uint64_t src2)
{
    int ot = (op - 1) & 3;
    uint64_t mask = ot_mask(ot), sign = ot_sign(ot);
    uint64_t src1;
    uint32_t cf, af, of;

    dst &= mask;
    switch (op) {
    case CC_OP_EFLAGS:
        return src & CC_ALL;
    case CC_OP_MULB ... CC_OP_MULQ:
        cf = src != 0;
        return szp(dst, ot) | (cf ? CC_C | CC_O : 0);
    case CC_OP_ADDB ... CC_OP_ADDQ:
        src1 = (dst - src) & mask;
        cf = dst < src1;
        goto add_flags;
    case CC_OP_ADCB ... CC_OP_ADCQ:
        src1 = (dst - src - src2) & mask;
        cf = src2 ? dst <= src1 : dst < src1;
    add_flags:
        af = (dst ^ src1 ^ src) & CC_A;
        of = ((src1 ^ src ^ sign) & (src1 ^ dst) & sign) ? CC_O : 0;
        return szp(dst, ot) | cf | af | of;
    case CC_OP_SUBB ... CC_OP_SUBQ:
        src1 = (dst + src) & mask;
        cf = src1 < (src & mask);
        goto sub_flags;
    case CC_OP_SBBB ... CC_OP_SBBQ:
        src1 = (dst + src + src2) & mask;
        cf = src2 ? src1 <= (src & mask) : src1 < (src & mask);
    sub_flags:
        af = (dst ^ src1 ^ src) & CC_A;
        of = ((src1 ^ src) & (src1 ^ dst) & sign) ? CC_O : 0;
        return szp(dst, ot) | cf | af | of;
    case CC_OP_LOGICB ... CC_OP_LOGICQ:
        return szp(dst, ot);
    case CC_OP_INCB ... CC_OP_INCQ:
        src1 = (dst - 1) & mask;
        af = (dst ^ src1 ^ 1) & CC_A;
        of = dst == sign ? CC_O : 0;
        return szp(dst, ot) | (src & CC_C) | af | of;
    case CC_OP_DECB ... CC_OP_DECQ:
        src1 = (dst + 1) & mask;
        af = (dst ^ src1 ^ 1) & CC_A;
        of = dst == sign - 1 ? CC_O : 0;
        return szp(dst, ot) | (src & CC_C) | af | of;
    case CC_OP_SHLB ... CC_OP_SHLQ:
        cf = (src & sign) ? CC_C : 0;
        of = ((src ^ dst) & sign) ? CC_O : 0;
        return szp(dst, ot) | cf | of;
    case CC_OP_SARB ... CC_OP_SARQ:
        cf = src & 1;
        of = ((src ^ dst) & sign) ? CC_O : 0;
        return szp(dst, ot) | cf | of;
    }
    return 0;
}

uint32_t cpu_cc_compute_all(CPUX86State *env)
{
    return compute_all(env->cc_op, env->cc_dst, env->cc_src, env->cc_src2);
}

uint32_t cpu_cc_compute_c(CPUX86State *env)
{
    uint32_t op = env->cc_op;
    int ot = (op - 1) & 3;
    uint64_t mask = ot_mask(ot);

    /* The carry alone is cheap for the common cases (ADC/SBB chains). */
    switch (op) {
    case CC_OP_ADDB ... CC_OP_ADDQ:
        return (env->cc_dst & mask) < ((env->cc_dst - env->cc_src) & mask);
    case CC_OP_SUBB ... CC_OP_SUBQ:
        return ((env->cc_dst + env->cc_src) & mask) < (env->cc_src & mask);
    case CC_OP_LOGICB ... CC_OP_LOGICQ:
        return 0;
    case CC_OP_INCB ... CC_OP_DECQ:
        return env->cc_src & CC_C;
    default:
        return cpu_cc_compute_all(env) & CC_C;
    }
}

bool x86_check_cc(CPUX86State *env, int cc)
{
    uint32_t f;
    bool r;

    /* Fast paths for the flags a compare or a logic op just set. */
    if ((cc >> 1) == 2) {   /* Z / NZ */
        switch (env->cc_op) {
        case CC_OP_SUBB ... CC_OP_SUBQ:
        case CC_OP_LOGICB ... CC_OP_LOGICQ:
        case CC_OP_ADDB ... CC_OP_ADDQ:
            r = (env->cc_dst & ot_mask((env->cc_op - 1) & 3)) == 0;
            return r ^ (cc & 1);
        }
    }
    f = cpu_cc_compute_all(env);
    switch (cc >> 1) {
    case 0: r = f & CC_O; break;
    case 1: r = f & CC_C; break;
    case 2: r = f & CC_Z; break;
    case 3: r = f & (CC_C | CC_Z); break;
    case 4: r = f & CC_S; break;
    case 5: r = f & CC_P; break;
    case 6: r = !(f & CC_S) != !(f & CC_O); break;
    default: r = (f & CC_Z) || (!(f & CC_S) != !(f & CC_O)); break;
    }
    return r ^ (cc & 1);
}
