/*
 * MMX, SSE, SSE2, SSE3, SSSE3, SSE4.1 and SSE4.2 instructions.
 *
 * Most instructions are "dst = op(dst, src)" on a vector: an SSEOp
 * computes one such operation for a vector of c->n bytes (8 for MMX, 16
 * for XMM), and SSE_FAM instantiates a register and a memory handler for
 * it with the operand kinds, memory operand size and alignment rule fixed
 * at compile time.  Everything else (moves with odd shapes, conversions to
 * general registers, FXSAVE, string compares) has its own handler.
 *
 * Floating point: see target/x86/fpu.h.  A packed operation computes every
 * element into a temporary; if any element raised an unmasked exception,
 * the destination is left alone and #XM (or #UD without CR4.OSXMMEXCPT)
 * is raised with the flags of all elements set in MXCSR.
 */
#include "util/osdep.h"
#include <fenv.h>
#include <math.h>
#include "insn.h"
#include "fpu.h"

typedef struct SSECtx {
    CPUX86State *env;
    int n;              /* vector size in bytes: 8 (MMX) or 16 */
    uint8_t imm;
    uint32_t flags;     /* MXCSR flags raised by hand */
    int host_round;     /* fesetround value to restore, or -1 */
    uint32_t committed; /* flags of completed stages (DPPS/DPPD) */
} SSECtx;

typedef void SSEOp(SSECtx *c, X86XMMReg *r, const X86XMMReg *a,
                   const X86XMMReg *b);

/* ---- vector operand access ------------------------------------------- */

static void ld_vec(CPUX86State *env, uint64_t addr, X86XMMReg *v, int size)
{
    v->q[0] = v->q[1] = 0;
    switch (size) {
    case 1: v->b[0] = ld(env, addr, MO_8); break;
    case 2: v->w[0] = ld(env, addr, MO_16); break;
    case 4: v->l[0] = ld(env, addr, MO_32); break;
    case 8: v->q[0] = ld(env, addr, MO_64); break;
    default:
        v->q[0] = ld(env, addr, MO_64);
        v->q[1] = ld(env, addr + 8, MO_64);
        break;
    }
}

static void st_vec(CPUX86State *env, uint64_t addr, const X86XMMReg *v, int size)
{
    switch (size) {
    case 4: st(env, addr, v->l[0], MO_32); break;
    case 8: st(env, addr, v->q[0], MO_64); break;
    default:
        st(env, addr, v->q[0], MO_64);
        st(env, addr + 8, v->q[1], MO_64);
        break;
    }
}

/* A memory operand's address; aligned forms #GP(0) off a 16-byte boundary. */
static uint64_t vec_addr(CPUX86State *env, const DecodedInsn *d, bool align16)
{
    uint64_t addr = d->addr(env, d);
    if (align16 && (addr & 15)) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    return addr;
}

ALWAYS_INLINE uint64_t mmx_get(CPUX86State *env, int r)
{
    return env->fpregs[r & 7].mant;
}

ALWAYS_INLINE void mmx_set(CPUX86State *env, int r, uint64_t v)
{
    env->fpregs[r & 7].mant = v;
    env->fpregs[r & 7].sign_exp = 0xffff;
}

/* ---- MXCSR rounding and flags ---------------------------------------- */

static const int host_round_mode[4] = {
    FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO,
};

static void fp_begin(SSECtx *c)
{
    int rc = (c->env->mxcsr >> MXCSR_RC_SHIFT) & 3;

    c->host_round = -1;
    if (rc != X86_RC_NEAREST) {
        c->host_round = fegetround();
        fesetround(host_round_mode[rc]);
    }
    feclearexcept(FE_ALL_EXCEPT);
}

static uint32_t host_flags_to_mxcsr(int ex)
{
    return (ex & FE_INVALID ? MXCSR_IE : 0) | (ex & FE_DIVBYZERO ? MXCSR_ZE : 0) |
           (ex & FE_OVERFLOW ? MXCSR_OE : 0) | (ex & FE_UNDERFLOW ? MXCSR_UE : 0) |
           (ex & FE_INEXACT ? MXCSR_PE : 0);
}

/*
 * Collect the flags; raise #XM/#UD for unmasked ones (nothing written).
 * An unmasked pre-computation exception (IE, DE, ZE) in any element
 * suppresses the post-computation flags (OE, UE, PE) of the instruction.
 * Not modelled: with overflow or underflow unmasked, a real CPU sets PE
 * from the exponent-scaled result; we report the host's PE.
 */
static void fp_end(SSECtx *c)
{
    CPUX86State *env = c->env;
    uint32_t flags = c->flags | host_flags_to_mxcsr(fetestexcept(FE_ALL_EXCEPT));
    uint32_t unmasked = ~(env->mxcsr >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS;
    const uint32_t pre = MXCSR_IE | MXCSR_DE | MXCSR_ZE;

    if (c->host_round >= 0) {
        fesetround(c->host_round);
    }
    if (flags & unmasked & pre) {
        flags &= pre;
    }
    flags |= c->committed;
    env->mxcsr |= flags;
    if (flags & unmasked) {
        raise_exception(env, (env->cr[4] & CR4_OSXMMEXCPT_MASK) ? EXCP13_XMM
                                                               : EXCP06_ILLOP);
    }
}

enum { FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV };

/* End of a stage of a multi-stage operation (DPPS: multiply, then add):
 * an unmasked exception stops the instruction here. */
static void fp_stage(SSECtx *c)
{
    uint32_t flags = c->flags | host_flags_to_mxcsr(fetestexcept(FE_ALL_EXCEPT));
    uint32_t unmasked = ~(c->env->mxcsr >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS;

    if (flags & unmasked) {
        fp_end(c);
    }
    c->committed |= flags;
    c->flags = 0;
    feclearexcept(FE_ALL_EXCEPT);
}

#define FP_BITS 32
#include "sse-fp-template.h"
#undef FP_BITS
#define FP_BITS 64
#include "sse-fp-template.h"
#undef FP_BITS

/* ---- the generic dst = op(dst, src) handler --------------------------- */

#define V_DST_MMX   0x01    /* destination is an MMX register */
#define V_SRC_MMX   0x02    /* register source is an MMX register */
#define V_MMX       (V_DST_MMX | V_SRC_MMX)
#define V_FP        0x04    /* floating point: MXCSR rounding and flags */
#define V_UNALIGNED 0x08    /* a 16-byte memory operand may be unaligned */

ALWAYS_INLINE void sse_bin(CPUX86State *env, const DecodedInsn *d, SSEOp *op,
                           int msz, unsigned vf, bool mem)
{
    X86XMMReg a, b, r;
    SSECtx c = { .env = env, .n = (vf & V_DST_MMX) ? 8 : 16, .imm = d->imm };

    if ((vf & V_MMX) != V_MMX) {
        sse_check(env);
    }
    if ((vf & V_DST_MMX) || ((vf & V_SRC_MMX) && !mem)) {
        mmx_check(env);
    }
    if (vf & V_DST_MMX) {
        a.q[0] = mmx_get(env, d->modrm_reg3);
        a.q[1] = 0;
    } else {
        a = env->xmm[d->reg];
    }
    if (mem) {
        ld_vec(env, vec_addr(env, d, msz == 16 && !(vf & V_UNALIGNED)), &b, msz);
    } else if (vf & V_SRC_MMX) {
        b.q[0] = mmx_get(env, d->rm);
        b.q[1] = 0;
    } else {
        b = env->xmm[d->rm];
    }
    r = a;
    if (vf & V_FP) {
        fp_begin(&c);
        op(&c, &r, &a, &b);
        fp_end(&c);
    } else {
        op(&c, &r, &a, &b);
    }
    if (vf & V_DST_MMX) {
        mmx_set(env, d->modrm_reg3, r.q[0]);
    } else {
        env->xmm[d->reg] = r;
    }
    next_insn(env, d);
}

#define FAM_SAME(name, r, m) \
    const X86Family x86_fam_##name = { { { r, m }, { r, m }, { r, m }, { r, m } } };
#define SSE_FAM(name, op, msz, vf) \
    static void name##_r(CPUX86State *env, const DecodedInsn *d) \
    { sse_bin(env, d, op, msz, vf, false); } \
    static void name##_m(CPUX86State *env, const DecodedInsn *d) \
    { sse_bin(env, d, op, msz, vf, true); } \
    FAM_SAME(name, name##_r, name##_m)
/* An integer op with an MMX (no prefix) and an XMM (66) form. */
#define MMX_SSE(name, op) \
    SSE_FAM(name##_mmx, op, 8, V_MMX) \
    SSE_FAM(name##_xmm, op, 16, 0)
#define SSE_ONLY(name, op) SSE_FAM(name##_xmm, op, 16, 0)

/* ---- integer element-wise operations ---------------------------------- */

#define ELEM_OP(name, T, f, expr) \
    static void name(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, \
                     const X86XMMReg *b) \
    { \
        for (int i = 0; i < c->n / (int)sizeof(a->f[0]); i++) { \
            T x = (T)a->f[i], y = (T)b->f[i]; \
            (void)x; (void)y; \
            r->f[i] = (expr); \
        } \
    }

static inline int sat_s8(int v) { return v > 127 ? 127 : v < -128 ? -128 : v; }
static inline int sat_u8(int v) { return v > 255 ? 255 : v < 0 ? 0 : v; }
static inline int sat_s16(int v) { return v > 32767 ? 32767 : v < -32768 ? -32768 : v; }
static inline int sat_u16(int v) { return v > 65535 ? 65535 : v < 0 ? 0 : v; }
static inline int64_t sat_u16_32(int64_t v) { return v > 65535 ? 65535 : v < 0 ? 0 : v; }

ELEM_OP(op_paddb, uint8_t, b, x + y)
ELEM_OP(op_paddw, uint16_t, w, x + y)
ELEM_OP(op_paddd, uint32_t, l, x + y)
ELEM_OP(op_paddq, uint64_t, q, x + y)
ELEM_OP(op_psubb, uint8_t, b, x - y)
ELEM_OP(op_psubw, uint16_t, w, x - y)
ELEM_OP(op_psubd, uint32_t, l, x - y)
ELEM_OP(op_psubq, uint64_t, q, x - y)
ELEM_OP(op_paddsb, int8_t, b, sat_s8(x + y))
ELEM_OP(op_paddsw, int16_t, w, sat_s16(x + y))
ELEM_OP(op_paddusb, uint8_t, b, sat_u8(x + y))
ELEM_OP(op_paddusw, uint16_t, w, sat_u16(x + y))
ELEM_OP(op_psubsb, int8_t, b, sat_s8(x - y))
ELEM_OP(op_psubsw, int16_t, w, sat_s16(x - y))
ELEM_OP(op_psubusb, uint8_t, b, sat_u8(x - y))
ELEM_OP(op_psubusw, uint16_t, w, sat_u16(x - y))
ELEM_OP(op_pmullw, uint16_t, w, x * y)
ELEM_OP(op_pmulhw, int16_t, w, (uint32_t)(x * y) >> 16)
ELEM_OP(op_pmulhuw, uint16_t, w, ((uint32_t)x * y) >> 16)
ELEM_OP(op_pmulhrsw, int16_t, w, (uint32_t)(((x * y) >> 14) + 1) >> 1)
ELEM_OP(op_pmulld, uint32_t, l, x * y)
ELEM_OP(op_pand, uint64_t, q, x & y)
ELEM_OP(op_pandn, uint64_t, q, ~x & y)
ELEM_OP(op_por, uint64_t, q, x | y)
ELEM_OP(op_pxor, uint64_t, q, x ^ y)
ELEM_OP(op_pcmpeqb, uint8_t, b, x == y ? 0xff : 0)
ELEM_OP(op_pcmpeqw, uint16_t, w, x == y ? 0xffff : 0)
ELEM_OP(op_pcmpeqd, uint32_t, l, x == y ? ~0u : 0)
ELEM_OP(op_pcmpeqq, uint64_t, q, x == y ? ~0ull : 0)
ELEM_OP(op_pcmpgtb, int8_t, b, x > y ? 0xff : 0)
ELEM_OP(op_pcmpgtw, int16_t, w, x > y ? 0xffff : 0)
ELEM_OP(op_pcmpgtd, int32_t, l, x > y ? ~0u : 0)
ELEM_OP(op_pcmpgtq, int64_t, q, x > y ? ~0ull : 0)
ELEM_OP(op_pminub, uint8_t, b, MIN(x, y))
ELEM_OP(op_pmaxub, uint8_t, b, MAX(x, y))
ELEM_OP(op_pminsw, int16_t, w, MIN(x, y))
ELEM_OP(op_pmaxsw, int16_t, w, MAX(x, y))
ELEM_OP(op_pminsb, int8_t, b, MIN(x, y))
ELEM_OP(op_pmaxsb, int8_t, b, MAX(x, y))
ELEM_OP(op_pminuw, uint16_t, w, MIN(x, y))
ELEM_OP(op_pmaxuw, uint16_t, w, MAX(x, y))
ELEM_OP(op_pminsd, int32_t, l, MIN(x, y))
ELEM_OP(op_pmaxsd, int32_t, l, MAX(x, y))
ELEM_OP(op_pminud, uint32_t, l, MIN(x, y))
ELEM_OP(op_pmaxud, uint32_t, l, MAX(x, y))
ELEM_OP(op_pavgb, uint8_t, b, (x + y + 1) >> 1)
ELEM_OP(op_pavgw, uint16_t, w, (x + y + 1) >> 1)
ELEM_OP(op_psignb, int8_t, b, y < 0 ? -x : y == 0 ? 0 : x)
ELEM_OP(op_psignw, int16_t, w, y < 0 ? -x : y == 0 ? 0 : x)
ELEM_OP(op_psignd, int32_t, l, y < 0 ? -(uint32_t)x : y == 0 ? 0 : (uint32_t)x)
ELEM_OP(op_pabsb, int8_t, b, y < 0 ? -y : y)
ELEM_OP(op_pabsw, int16_t, w, y < 0 ? -y : y)
ELEM_OP(op_pabsd, int32_t, l, y < 0 ? -(uint32_t)y : (uint32_t)y)

/* Shifts by a count (the low 64 bits of the source, or the immediate). */
#define SHIFT_OP(name, T, f, bits, expr) \
    static void name##_n(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, \
                         uint64_t count) \
    { \
        for (int i = 0; i < c->n / (int)sizeof(a->f[0]); i++) { \
            T x = (T)a->f[i]; \
            r->f[i] = (expr); \
        } \
    } \
    static void name(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, \
                     const X86XMMReg *b) \
    { name##_n(c, r, a, b->q[0]); }
SHIFT_OP(op_psllw, uint16_t, w, 16, count > 15 ? 0 : x << count)
SHIFT_OP(op_pslld, uint32_t, l, 32, count > 31 ? 0 : x << count)
SHIFT_OP(op_psllq, uint64_t, q, 64, count > 63 ? 0 : x << count)
SHIFT_OP(op_psrlw, uint16_t, w, 16, count > 15 ? 0 : x >> count)
SHIFT_OP(op_psrld, uint32_t, l, 32, count > 31 ? 0 : x >> count)
SHIFT_OP(op_psrlq, uint64_t, q, 64, count > 63 ? 0 : x >> count)
SHIFT_OP(op_psraw, int16_t, w, 16, x >> (count > 15 ? 15 : count))
SHIFT_OP(op_psrad, int32_t, l, 32, x >> (count > 31 ? 31 : count))

/* ---- packs, unpacks, shuffles ---------------------------------------- */

static void op_packsswb(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    int h = c->n / 2;
    for (int i = 0; i < h; i++) {
        r->b[i] = sat_s8((int16_t)a->w[i]);
        r->b[h + i] = sat_s8((int16_t)b->w[i]);
    }
}
static void op_packuswb(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    int h = c->n / 2;
    for (int i = 0; i < h; i++) {
        r->b[i] = sat_u8((int16_t)a->w[i]);
        r->b[h + i] = sat_u8((int16_t)b->w[i]);
    }
}
static void op_packssdw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    int h = c->n / 4;
    for (int i = 0; i < h; i++) {
        r->w[i] = sat_s16((int32_t)a->l[i]);
        r->w[h + i] = sat_s16((int32_t)b->l[i]);
    }
}
static void op_packusdw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 4; i++) {
        r->w[i] = sat_u16_32((int32_t)a->l[i]);
        r->w[4 + i] = sat_u16_32((int32_t)b->l[i]);
    }
}

/* Interleave elements of size sz from the low (hi=0) or high halves. */
static void unpack(SSECtx *c, X86XMMReg *r, const X86XMMReg *a,
                   const X86XMMReg *b, int sz, bool hi)
{
    int half = c->n / 2, cnt = half / sz;
    for (int i = 0; i < cnt; i++) {
        memcpy(&r->b[2 * i * sz], &a->b[hi * half + i * sz], sz);
        memcpy(&r->b[(2 * i + 1) * sz], &b->b[hi * half + i * sz], sz);
    }
}
#define UNPACK_OP(name, sz, hi) \
    static void name(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b) \
    { unpack(c, r, a, b, sz, hi); }
UNPACK_OP(op_punpcklbw, 1, 0)
UNPACK_OP(op_punpcklwd, 2, 0)
UNPACK_OP(op_punpckldq, 4, 0)
UNPACK_OP(op_punpcklqdq, 8, 0)
UNPACK_OP(op_punpckhbw, 1, 1)
UNPACK_OP(op_punpckhwd, 2, 1)
UNPACK_OP(op_punpckhdq, 4, 1)
UNPACK_OP(op_punpckhqdq, 8, 1)

static void op_pshufw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 4; i++) {
        r->w[i] = b->w[(c->imm >> (2 * i)) & 3];
    }
}
static void op_pshufd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 4; i++) {
        r->l[i] = b->l[(c->imm >> (2 * i)) & 3];
    }
}
static void op_pshuflw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 4; i++) {
        r->w[i] = b->w[(c->imm >> (2 * i)) & 3];
    }
    r->q[1] = b->q[1];
}
static void op_pshufhw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = b->q[0];
    for (int i = 0; i < 4; i++) {
        r->w[4 + i] = b->w[4 + ((c->imm >> (2 * i)) & 3)];
    }
}
static void op_shufps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = a->l[c->imm & 3];
    r->l[1] = a->l[(c->imm >> 2) & 3];
    r->l[2] = b->l[(c->imm >> 4) & 3];
    r->l[3] = b->l[(c->imm >> 6) & 3];
}
static void op_shufpd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = a->q[c->imm & 1];
    r->q[1] = b->q[(c->imm >> 1) & 1];
}
static void op_pshufb(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < c->n; i++) {
        r->b[i] = (b->b[i] & 0x80) ? 0 : a->b[b->b[i] & (c->n - 1)];
    }
}
static void op_palignr(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    /* (a:b) >> imm bytes */
    uint8_t t[32];
    memcpy(t, b->b, c->n);
    memcpy(t + c->n, a->b, c->n);
    for (int i = 0; i < c->n; i++) {
        int k = c->imm + i;
        r->b[i] = k < 2 * c->n ? t[k] : 0;
    }
}

/* ---- multiply-adds and horizontal ops --------------------------------- */

static void op_pmaddwd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < c->n / 4; i++) {
        r->l[i] = (uint32_t)((int16_t)a->w[2 * i] * (int16_t)b->w[2 * i]) +
                  (uint32_t)((int16_t)a->w[2 * i + 1] * (int16_t)b->w[2 * i + 1]);
    }
}
static void op_pmaddubsw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < c->n / 2; i++) {
        r->w[i] = sat_s16(a->b[2 * i] * (int8_t)b->b[2 * i] +
                          a->b[2 * i + 1] * (int8_t)b->b[2 * i + 1]);
    }
}
static void op_pmuludq(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < c->n / 8; i++) {
        r->q[i] = (uint64_t)a->l[2 * i] * b->l[2 * i];
    }
}
static void op_pmuldq(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 2; i++) {
        r->q[i] = (uint64_t)((int64_t)(int32_t)a->l[2 * i] * (int32_t)b->l[2 * i]);
    }
}
static void op_psadbw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < c->n / 8; i++) {
        unsigned sum = 0;
        for (int j = 0; j < 8; j++) {
            sum += abs(a->b[8 * i + j] - b->b[8 * i + j]);
        }
        r->q[i] = sum;
    }
}

/* Horizontal: the pairs of a, then the pairs of b. */
#define HORIZ_OP(name, T, f, expr) \
    static void name(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b) \
    { \
        int h = c->n / (int)sizeof(a->f[0]) / 2; \
        for (int i = 0; i < 2 * h; i++) { \
            const X86XMMReg *s = i < h ? a : b; \
            int k = 2 * (i % h); \
            T x = (T)s->f[k], y = (T)s->f[k + 1]; \
            r->f[i] = (expr); \
        } \
    }
HORIZ_OP(op_phaddw, uint16_t, w, x + y)
HORIZ_OP(op_phaddd, uint32_t, l, x + y)
HORIZ_OP(op_phaddsw, int16_t, w, sat_s16(x + y))
HORIZ_OP(op_phsubw, uint16_t, w, x - y)
HORIZ_OP(op_phsubd, uint32_t, l, x - y)
HORIZ_OP(op_phsubsw, int16_t, w, sat_s16(x - y))

/* ---- SSE4.1 integer --------------------------------------------------- */

static void op_pblendw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 8; i++) {
        r->w[i] = (c->imm >> i) & 1 ? b->w[i] : a->w[i];
    }
}
static void op_blendps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 4; i++) {
        r->l[i] = (c->imm >> i) & 1 ? b->l[i] : a->l[i];
    }
}
static void op_blendpd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 2; i++) {
        r->q[i] = (c->imm >> i) & 1 ? b->q[i] : a->q[i];
    }
}
/* BLENDV*: XMM0 is the implicit mask (the top bit of each element). */
static void op_pblendvb(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    const X86XMMReg *m = &c->env->xmm[0];
    for (int i = 0; i < 16; i++) {
        r->b[i] = (m->b[i] & 0x80) ? b->b[i] : a->b[i];
    }
}
static void op_blendvps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    const X86XMMReg *m = &c->env->xmm[0];
    for (int i = 0; i < 4; i++) {
        r->l[i] = (m->l[i] >> 31) ? b->l[i] : a->l[i];
    }
}
static void op_blendvpd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    const X86XMMReg *m = &c->env->xmm[0];
    for (int i = 0; i < 2; i++) {
        r->q[i] = (m->q[i] >> 63) ? b->q[i] : a->q[i];
    }
}

#define PMOVX_OP(name, ST, sf, DT, df, cnt) \
    static void name(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b) \
    { \
        for (int i = 0; i < cnt; i++) { \
            r->df[i] = (DT)(ST)b->sf[i]; \
        } \
    }
PMOVX_OP(op_pmovsxbw, int8_t, b, int16_t, w, 8)
PMOVX_OP(op_pmovsxbd, int8_t, b, int32_t, l, 4)
PMOVX_OP(op_pmovsxbq, int8_t, b, int64_t, q, 2)
PMOVX_OP(op_pmovsxwd, int16_t, w, int32_t, l, 4)
PMOVX_OP(op_pmovsxwq, int16_t, w, int64_t, q, 2)
PMOVX_OP(op_pmovsxdq, int32_t, l, int64_t, q, 2)
PMOVX_OP(op_pmovzxbw, uint8_t, b, uint16_t, w, 8)
PMOVX_OP(op_pmovzxbd, uint8_t, b, uint32_t, l, 4)
PMOVX_OP(op_pmovzxbq, uint8_t, b, uint64_t, q, 2)
PMOVX_OP(op_pmovzxwd, uint16_t, w, uint32_t, l, 4)
PMOVX_OP(op_pmovzxwq, uint16_t, w, uint64_t, q, 2)
PMOVX_OP(op_pmovzxdq, uint32_t, l, uint64_t, q, 2)

static void op_phminposuw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    int best = 0;
    for (int i = 1; i < 8; i++) {
        if (b->w[i] < b->w[best]) {
            best = i;
        }
    }
    r->q[0] = r->q[1] = 0;
    r->w[0] = b->w[best];
    r->w[1] = best;
}

static void op_mpsadbw(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    int aoff = ((c->imm >> 2) & 1) * 4, boff = (c->imm & 3) * 4;
    for (int i = 0; i < 8; i++) {
        unsigned sum = 0;
        for (int j = 0; j < 4; j++) {
            sum += abs(a->b[aoff + i + j] - b->b[boff + j]);
        }
        r->w[i] = sum;
    }
}

/* PCLMULQDQ: carry-less multiply of the qwords imm bit 0 / bit 4 select. */
static void op_pclmulqdq(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    uint64_t x = a->q[c->imm & 1], y = b->q[(c->imm >> 4) & 1];
    uint64_t lo = 0, hi = 0;
    for (int i = 0; i < 64; i++) {
        if ((y >> i) & 1) {
            lo ^= x << i;
            hi ^= i ? x >> (64 - i) : 0;
        }
    }
    r->q[0] = lo;
    r->q[1] = hi;
}

/* ---- instantiation: integer ------------------------------------------- */

MMX_SSE(punpcklbw, op_punpcklbw)
MMX_SSE(punpcklwd, op_punpcklwd)
MMX_SSE(punpckldq, op_punpckldq)
MMX_SSE(packsswb, op_packsswb)
MMX_SSE(pcmpgtb, op_pcmpgtb)
MMX_SSE(pcmpgtw, op_pcmpgtw)
MMX_SSE(pcmpgtd, op_pcmpgtd)
MMX_SSE(packuswb, op_packuswb)
MMX_SSE(punpckhbw, op_punpckhbw)
MMX_SSE(punpckhwd, op_punpckhwd)
MMX_SSE(punpckhdq, op_punpckhdq)
MMX_SSE(packssdw, op_packssdw)
SSE_ONLY(punpcklqdq, op_punpcklqdq)
SSE_ONLY(punpckhqdq, op_punpckhqdq)
MMX_SSE(pcmpeqb, op_pcmpeqb)
MMX_SSE(pcmpeqw, op_pcmpeqw)
MMX_SSE(pcmpeqd, op_pcmpeqd)
MMX_SSE(psrlw, op_psrlw)
MMX_SSE(psrld, op_psrld)
MMX_SSE(psrlq, op_psrlq)
MMX_SSE(paddq, op_paddq)
MMX_SSE(pmullw, op_pmullw)
MMX_SSE(psubusb, op_psubusb)
MMX_SSE(psubusw, op_psubusw)
MMX_SSE(pminub, op_pminub)
MMX_SSE(pand, op_pand)
MMX_SSE(paddusb, op_paddusb)
MMX_SSE(paddusw, op_paddusw)
MMX_SSE(pmaxub, op_pmaxub)
MMX_SSE(pandn, op_pandn)
MMX_SSE(pavgb, op_pavgb)
MMX_SSE(psraw, op_psraw)
MMX_SSE(psrad, op_psrad)
MMX_SSE(pavgw, op_pavgw)
MMX_SSE(pmulhuw, op_pmulhuw)
MMX_SSE(pmulhw, op_pmulhw)
MMX_SSE(psubsb, op_psubsb)
MMX_SSE(psubsw, op_psubsw)
MMX_SSE(pminsw, op_pminsw)
MMX_SSE(por, op_por)
MMX_SSE(paddsb, op_paddsb)
MMX_SSE(paddsw, op_paddsw)
MMX_SSE(pmaxsw, op_pmaxsw)
MMX_SSE(pxor, op_pxor)
MMX_SSE(psllw, op_psllw)
MMX_SSE(pslld, op_pslld)
MMX_SSE(psllq, op_psllq)
MMX_SSE(pmuludq, op_pmuludq)
MMX_SSE(pmaddwd, op_pmaddwd)
MMX_SSE(psadbw, op_psadbw)
MMX_SSE(psubb, op_psubb)
MMX_SSE(psubw, op_psubw)
MMX_SSE(psubd, op_psubd)
MMX_SSE(psubq, op_psubq)
MMX_SSE(paddb, op_paddb)
MMX_SSE(paddw, op_paddw)
MMX_SSE(paddd, op_paddd)
SSE_FAM(pshufw_mmx, op_pshufw, 8, V_MMX)
SSE_FAM(pshufd_xmm, op_pshufd, 16, 0)
SSE_FAM(pshufhw_xmm, op_pshufhw, 16, 0)
SSE_FAM(pshuflw_xmm, op_pshuflw, 16, 0)
/* SSSE3 */
MMX_SSE(pshufb, op_pshufb)
MMX_SSE(phaddw, op_phaddw)
MMX_SSE(phaddd, op_phaddd)
MMX_SSE(phaddsw, op_phaddsw)
MMX_SSE(pmaddubsw, op_pmaddubsw)
MMX_SSE(phsubw, op_phsubw)
MMX_SSE(phsubd, op_phsubd)
MMX_SSE(phsubsw, op_phsubsw)
MMX_SSE(psignb, op_psignb)
MMX_SSE(psignw, op_psignw)
MMX_SSE(psignd, op_psignd)
MMX_SSE(pmulhrsw, op_pmulhrsw)
MMX_SSE(pabsb, op_pabsb)
MMX_SSE(pabsw, op_pabsw)
MMX_SSE(pabsd, op_pabsd)
MMX_SSE(palignr, op_palignr)
/* SSE4.1 / 4.2 */
SSE_ONLY(pblendvb, op_pblendvb)
SSE_ONLY(blendvps, op_blendvps)
SSE_ONLY(blendvpd, op_blendvpd)
SSE_FAM(pmovsxbw_xmm, op_pmovsxbw, 8, 0)
SSE_FAM(pmovsxbd_xmm, op_pmovsxbd, 4, 0)
SSE_FAM(pmovsxbq_xmm, op_pmovsxbq, 2, 0)
SSE_FAM(pmovsxwd_xmm, op_pmovsxwd, 8, 0)
SSE_FAM(pmovsxwq_xmm, op_pmovsxwq, 4, 0)
SSE_FAM(pmovsxdq_xmm, op_pmovsxdq, 8, 0)
SSE_FAM(pmovzxbw_xmm, op_pmovzxbw, 8, 0)
SSE_FAM(pmovzxbd_xmm, op_pmovzxbd, 4, 0)
SSE_FAM(pmovzxbq_xmm, op_pmovzxbq, 2, 0)
SSE_FAM(pmovzxwd_xmm, op_pmovzxwd, 8, 0)
SSE_FAM(pmovzxwq_xmm, op_pmovzxwq, 4, 0)
SSE_FAM(pmovzxdq_xmm, op_pmovzxdq, 8, 0)
SSE_ONLY(pmuldq, op_pmuldq)
SSE_ONLY(pcmpeqq, op_pcmpeqq)
SSE_ONLY(packusdw, op_packusdw)
SSE_ONLY(pcmpgtq, op_pcmpgtq)
SSE_ONLY(pminsb, op_pminsb)
SSE_ONLY(pminsd, op_pminsd)
SSE_ONLY(pminuw, op_pminuw)
SSE_ONLY(pminud, op_pminud)
SSE_ONLY(pmaxsb, op_pmaxsb)
SSE_ONLY(pmaxsd, op_pmaxsd)
SSE_ONLY(pmaxuw, op_pmaxuw)
SSE_ONLY(pmaxud, op_pmaxud)
SSE_ONLY(pmulld, op_pmulld)
SSE_ONLY(phminposuw, op_phminposuw)
SSE_ONLY(pblendw, op_pblendw)
SSE_ONLY(blendps, op_blendps)
SSE_ONLY(blendpd, op_blendpd)
SSE_ONLY(mpsadbw, op_mpsadbw)
SSE_ONLY(pclmulqdq, op_pclmulqdq)

/* ---- shifts by immediate: 0F 71/72/73, ModRM.reg picks the shift ------ */

static void shift_imm(CPUX86State *env, const DecodedInsn *d, bool mmx)
{
    typedef void ShiftN(SSECtx *, X86XMMReg *, const X86XMMReg *, uint64_t);
    static ShiftN *const table[3][8] = {
        { [2] = op_psrlw_n, [4] = op_psraw_n, [6] = op_psllw_n },
        { [2] = op_psrld_n, [4] = op_psrad_n, [6] = op_pslld_n },
        { [2] = op_psrlq_n, [6] = op_psllq_n },
    };
    SSECtx c = { .env = env, .n = mmx ? 8 : 16 };
    ShiftN *fn = table[d->opcode - 0x71][d->modrm_reg3];
    int r = d->modrm_reg3;
    X86XMMReg a, res;

    if (mmx) {
        mmx_check(env);
        a.q[0] = mmx_get(env, d->rm);
        a.q[1] = 0;
    } else {
        sse_check(env);
        a = env->xmm[d->rm];
    }
    res = a;
    if (d->opcode == 0x73 && (r == 3 || r == 7)) {
        /* PSRLDQ / PSLLDQ: whole-register byte shifts, XMM only */
        int n = MIN(d->imm & 0xff, 16);
        if (mmx) {
            raise_exception(env, EXCP06_ILLOP);
        }
        for (int i = 0; i < 16; i++) {
            int k = r == 3 ? i + n : i - n;
            res.b[i] = k >= 0 && k < 16 ? a.b[k] : 0;
        }
    } else if (fn) {
        fn(&c, &res, &a, d->imm & 0xff);
    } else {
        raise_exception(env, EXCP06_ILLOP);
    }
    if (mmx) {
        mmx_set(env, d->rm, res.q[0]);
    } else {
        env->xmm[d->rm] = res;
    }
    next_insn(env, d);
}
static void shift_imm_mmx(CPUX86State *env, const DecodedInsn *d) { shift_imm(env, d, true); }
static void shift_imm_xmm(CPUX86State *env, const DecodedInsn *d) { shift_imm(env, d, false); }
FAM_SAME(shift_imm_mmx, shift_imm_mmx, NULL)
FAM_SAME(shift_imm_xmm, shift_imm_xmm, NULL)

/* ---- floating point -------------------------------------------------- */

#define FP_PACKED(name, T, f, cnt, expr) \
    static void name(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b) \
    { \
        for (int i = 0; i < cnt; i++) { \
            T x = a->f[i], y = b->f[i]; \
            (void)x; (void)y; \
            r->f[i] = (expr); \
        } \
    }
/* Packed (ps/pd) and scalar (ss/sd) forms of one element operation. */
#define FP_ALL(name, expr_s, expr_d) \
    FP_PACKED(op_##name##ps, uint32_t, l, 4, expr_s) \
    FP_PACKED(op_##name##pd, uint64_t, q, 2, expr_d) \
    FP_PACKED(op_##name##ss, uint32_t, l, 1, expr_s) \
    FP_PACKED(op_##name##sd, uint64_t, q, 1, expr_d) \
    SSE_FAM(name##ps, op_##name##ps, 16, V_FP) \
    SSE_FAM(name##pd, op_##name##pd, 16, V_FP) \
    SSE_FAM(name##ss, op_##name##ss, 4, V_FP) \
    SSE_FAM(name##sd, op_##name##sd, 8, V_FP)

FP_ALL(add, fp_arith_s(c, FOP_ADD, x, y), fp_arith_d(c, FOP_ADD, x, y))
FP_ALL(sub, fp_arith_s(c, FOP_SUB, x, y), fp_arith_d(c, FOP_SUB, x, y))
FP_ALL(mul, fp_arith_s(c, FOP_MUL, x, y), fp_arith_d(c, FOP_MUL, x, y))
FP_ALL(div, fp_arith_s(c, FOP_DIV, x, y), fp_arith_d(c, FOP_DIV, x, y))
FP_ALL(min, fp_minmax_s(c, x, y, false), fp_minmax_d(c, x, y, false))
FP_ALL(max, fp_minmax_s(c, x, y, true), fp_minmax_d(c, x, y, true))
FP_ALL(sqrt, fp_sqrt_s(c, y), fp_sqrt_d(c, y))
FP_ALL(cmp, fp_cmp_s(c, c->imm, x, y) ? ~0u : 0, fp_cmp_d(c, c->imm, x, y) ? ~0ull : 0)

/* Bitwise logic on floats: the integer ops, under an FP name. */
#define FP_LOGIC(name, op) \
    SSE_FAM(name##ps, op, 16, 0) \
    SSE_FAM(name##pd, op, 16, 0)
FP_LOGIC(and, op_pand)
FP_LOGIC(andn, op_pandn)
FP_LOGIC(or, op_por)
FP_LOGIC(xor, op_pxor)
SSE_FAM(unpcklps, op_punpckldq, 16, 0)
SSE_FAM(unpckhps, op_punpckhdq, 16, 0)
SSE_FAM(unpcklpd, op_punpcklqdq, 16, 0)
SSE_FAM(unpckhpd, op_punpckhqdq, 16, 0)
SSE_FAM(shufps, op_shufps, 16, 0)
SSE_FAM(shufpd, op_shufpd, 16, 0)

/*
 * RCP/RSQRT: approximations with at most 1.5 * 2^-12 relative error.  We
 * give the correctly rounded value truncated to 12 significant bits
 * (within the bound, though not the bits of any one CPU).  Denormal
 * inputs count as zero, tiny results flush to zero; no flags.
 */
static uint32_t approx12(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7f800000) == 0) {
        return u & 0x80000000;
    }
    if ((u & 0x7f800000) == 0x7f800000) {
        return u;
    }
    return u & ~0x7ffu;
}
static uint32_t fp_rcp(uint32_t a)
{
    float x;
    if (fp_isnan_s(a)) {
        return a | 0x00400000;
    }
    if (fp_isdenormal_s(a)) {
        a &= 0x80000000;
    }
    memcpy(&x, &a, 4);
    return approx12((float)(1.0 / x));
}
static uint32_t fp_rsqrt(uint32_t a)
{
    float x;
    if (fp_isnan_s(a)) {
        return a | 0x00400000;
    }
    if (fp_isdenormal_s(a)) {
        a &= 0x80000000;
    }
    if ((a & 0x80000000) && (a & 0x7fffffff)) {
        return 0xffc00000;   /* negative: the default NaN */
    }
    memcpy(&x, &a, 4);
    if (x == 0) {
        return a | 0x7f800000;
    }
    return approx12((float)(1.0 / sqrt(x)));
}
FP_PACKED(op_rcpps, uint32_t, l, 4, fp_rcp(y))
FP_PACKED(op_rcpss, uint32_t, l, 1, fp_rcp(y))
FP_PACKED(op_rsqrtps, uint32_t, l, 4, fp_rsqrt(y))
FP_PACKED(op_rsqrtss, uint32_t, l, 1, fp_rsqrt(y))
SSE_FAM(rcpps, op_rcpps, 16, 0)
SSE_FAM(rcpss, op_rcpss, 4, 0)
SSE_FAM(rsqrtps, op_rsqrtps, 16, 0)
SSE_FAM(rsqrtss, op_rsqrtss, 4, 0)

/* SSE3 horizontal and alternating forms. */
static void op_haddps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = fp_arith_s(c, FOP_ADD, a->l[0], a->l[1]);
    r->l[1] = fp_arith_s(c, FOP_ADD, a->l[2], a->l[3]);
    r->l[2] = fp_arith_s(c, FOP_ADD, b->l[0], b->l[1]);
    r->l[3] = fp_arith_s(c, FOP_ADD, b->l[2], b->l[3]);
}
static void op_hsubps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = fp_arith_s(c, FOP_SUB, a->l[0], a->l[1]);
    r->l[1] = fp_arith_s(c, FOP_SUB, a->l[2], a->l[3]);
    r->l[2] = fp_arith_s(c, FOP_SUB, b->l[0], b->l[1]);
    r->l[3] = fp_arith_s(c, FOP_SUB, b->l[2], b->l[3]);
}
static void op_haddpd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = fp_arith_d(c, FOP_ADD, a->q[0], a->q[1]);
    r->q[1] = fp_arith_d(c, FOP_ADD, b->q[0], b->q[1]);
}
static void op_hsubpd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = fp_arith_d(c, FOP_SUB, a->q[0], a->q[1]);
    r->q[1] = fp_arith_d(c, FOP_SUB, b->q[0], b->q[1]);
}
static void op_addsubps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 4; i++) {
        r->l[i] = fp_arith_s(c, i & 1 ? FOP_ADD : FOP_SUB, a->l[i], b->l[i]);
    }
}
static void op_addsubpd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = fp_arith_d(c, FOP_SUB, a->q[0], b->q[0]);
    r->q[1] = fp_arith_d(c, FOP_ADD, a->q[1], b->q[1]);
}
SSE_FAM(haddps, op_haddps, 16, V_FP)
SSE_FAM(hsubps, op_hsubps, 16, V_FP)
SSE_FAM(haddpd, op_haddpd, 16, V_FP)
SSE_FAM(hsubpd, op_hsubpd, 16, V_FP)
SSE_FAM(addsubps, op_addsubps, 16, V_FP)
SSE_FAM(addsubpd, op_addsubpd, 16, V_FP)

/* SSE4.1 ROUND*, DPPS/DPPD. */
FP_PACKED(op_roundps, uint32_t, l, 4, fp_round_s(c, y, c->imm))
FP_PACKED(op_roundpd, uint64_t, q, 2, fp_round_d(c, y, c->imm))
FP_PACKED(op_roundss, uint32_t, l, 1, fp_round_s(c, y, c->imm))
FP_PACKED(op_roundsd, uint64_t, q, 1, fp_round_d(c, y, c->imm))
SSE_FAM(roundps, op_roundps, 16, V_FP)
SSE_FAM(roundpd, op_roundpd, 16, V_FP)
SSE_FAM(roundss, op_roundss, 4, V_FP)
SSE_FAM(roundsd, op_roundsd, 8, V_FP)

/* Products of the imm[7:4]-selected elements (others +0), summed as
 * (p0 + p1) + (p2 + p3), stored where imm[3:0] says. */
static void op_dpps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    uint32_t p[4], s;
    for (int i = 0; i < 4; i++) {
        p[i] = (c->imm >> (4 + i)) & 1 ? fp_arith_s(c, FOP_MUL, a->l[i], b->l[i]) : 0;
    }
    fp_stage(c);
    s = fp_arith_s(c, FOP_ADD, fp_arith_s(c, FOP_ADD, p[0], p[1]),
                   fp_arith_s(c, FOP_ADD, p[2], p[3]));
    for (int i = 0; i < 4; i++) {
        r->l[i] = (c->imm >> i) & 1 ? s : 0;
    }
}
static void op_dppd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    uint64_t p[2], s;
    for (int i = 0; i < 2; i++) {
        p[i] = (c->imm >> (4 + i)) & 1 ? fp_arith_d(c, FOP_MUL, a->q[i], b->q[i]) : 0;
    }
    fp_stage(c);
    s = fp_arith_d(c, FOP_ADD, p[0], p[1]);
    for (int i = 0; i < 2; i++) {
        r->q[i] = (c->imm >> i) & 1 ? s : 0;
    }
}
SSE_FAM(dpps, op_dpps, 16, V_FP)
SSE_FAM(dppd, op_dppd, 16, V_FP)

/* INSERTPS: source element imm[7:6] (register) or the m32, to imm[5:4],
 * then zero the elements imm[3:0] names. */
static void insertps(CPUX86State *env, const DecodedInsn *d, bool mem)
{
    X86XMMReg *r = &env->xmm[d->reg];
    uint8_t imm = d->imm;
    uint32_t v;

    sse_check(env);
    if (mem) {
        v = ld(env, d->addr(env, d), MO_32);
    } else {
        v = env->xmm[d->rm].l[(imm >> 6) & 3];
    }
    r->l[(imm >> 4) & 3] = v;
    for (int i = 0; i < 4; i++) {
        if ((imm >> i) & 1) {
            r->l[i] = 0;
        }
    }
    next_insn(env, d);
}
static void insertps_r(CPUX86State *env, const DecodedInsn *d) { insertps(env, d, false); }
static void insertps_m(CPUX86State *env, const DecodedInsn *d) { insertps(env, d, true); }
FAM_SAME(insertps, insertps_r, insertps_m)

/* ---- conversions ------------------------------------------------------ */

static uint64_t cvt_s2d(SSECtx *c, uint32_t a)
{
    double d;
    if (fp_isnan_s(a)) {
        if (fp_issnan_s(a)) {
            c->flags |= MXCSR_IE;
        }
        return ((uint64_t)(a & 0x80000000) << 32) | 0x7ff8000000000000ull |
               ((uint64_t)(a & 0x003fffff) << 29);
    }
    d = fp_f_s(fp_in_s(c, a));
    return fp_u_d(d);
}
static uint32_t cvt_d2s(SSECtx *c, uint64_t a)
{
    volatile double x;
    volatile float f;
    if (fp_isnan_d(a)) {
        if (fp_issnan_d(a)) {
            c->flags |= MXCSR_IE;
        }
        return ((a >> 32) & 0x80000000) | 0x7fc00000 |
               ((a >> 29) & 0x003fffff);
    }
    x = fp_f_d(fp_in_d(c, a));
    f = (float)x;
    return fp_out_s(c, f);
}

/* CVTPS2PD / CVTSS2SD / CVTPD2PS / CVTSD2SS. */
static void op_cvtps2pd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    uint32_t lo = b->l[0], hi = b->l[1];
    r->q[0] = cvt_s2d(c, lo);
    r->q[1] = cvt_s2d(c, hi);
}
static void op_cvtss2sd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = cvt_s2d(c, b->l[0]);
}
static void op_cvtpd2ps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = cvt_d2s(c, b->q[0]);
    r->l[1] = cvt_d2s(c, b->q[1]);
    r->q[1] = 0;
}
static void op_cvtsd2ss(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = cvt_d2s(c, b->q[0]);
}
SSE_FAM(cvtps2pd, op_cvtps2pd, 8, V_FP)
SSE_FAM(cvtss2sd, op_cvtss2sd, 4, V_FP)
SSE_FAM(cvtpd2ps, op_cvtpd2ps, 16, V_FP)
SSE_FAM(cvtsd2ss, op_cvtsd2ss, 8, V_FP)

/* Packed int32 <-> float/double. */
static void op_cvtdq2ps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 4; i++) {
        r->l[i] = fp_from_int_s(c, (int32_t)b->l[i]);
    }
}
static void op_cvtdq2pd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    uint32_t lo = b->l[0], hi = b->l[1];
    r->q[0] = fp_from_int_d(c, (int32_t)lo);
    r->q[1] = fp_from_int_d(c, (int32_t)hi);
}
static void op_cvtps2dq(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 4; i++) {
        r->l[i] = fp_to_int_s(c, b->l[i], 32, false);
    }
}
static void op_cvttps2dq(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    for (int i = 0; i < 4; i++) {
        r->l[i] = fp_to_int_s(c, b->l[i], 32, true);
    }
}
static void op_cvtpd2dq(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = fp_to_int_d(c, b->q[0], 32, false);
    r->l[1] = fp_to_int_d(c, b->q[1], 32, false);
    r->q[1] = 0;
}
static void op_cvttpd2dq(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = fp_to_int_d(c, b->q[0], 32, true);
    r->l[1] = fp_to_int_d(c, b->q[1], 32, true);
    r->q[1] = 0;
}
SSE_FAM(cvtdq2ps, op_cvtdq2ps, 16, V_FP)
SSE_FAM(cvtdq2pd, op_cvtdq2pd, 8, V_FP)
SSE_FAM(cvtps2dq, op_cvtps2dq, 16, V_FP)
SSE_FAM(cvttps2dq, op_cvttps2dq, 16, V_FP)
SSE_FAM(cvtpd2dq, op_cvtpd2dq, 16, V_FP)
SSE_FAM(cvttpd2dq, op_cvttpd2dq, 16, V_FP)

/* MMX <-> XMM conversions: CVTPI2PS/PD, CVT(T)PS2PI, CVT(T)PD2PI. */
static void op_cvtpi2ps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = fp_from_int_s(c, (int32_t)b->l[0]);
    r->l[1] = fp_from_int_s(c, (int32_t)b->l[1]);
}
static void op_cvtpi2pd(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    uint32_t lo = b->l[0], hi = b->l[1];
    r->q[0] = fp_from_int_d(c, (int32_t)lo);
    r->q[1] = fp_from_int_d(c, (int32_t)hi);
}
static void op_cvtps2pi(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = fp_to_int_s(c, b->l[0], 32, false);
    r->l[1] = fp_to_int_s(c, b->l[1], 32, false);
}
static void op_cvttps2pi(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = fp_to_int_s(c, b->l[0], 32, true);
    r->l[1] = fp_to_int_s(c, b->l[1], 32, true);
}
static void op_cvtpd2pi(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = fp_to_int_d(c, b->q[0], 32, false);
    r->l[1] = fp_to_int_d(c, b->q[1], 32, false);
}
static void op_cvttpd2pi(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = fp_to_int_d(c, b->q[0], 32, true);
    r->l[1] = fp_to_int_d(c, b->q[1], 32, true);
}
SSE_FAM(cvtpi2ps, op_cvtpi2ps, 8, V_FP | V_SRC_MMX)
SSE_FAM(cvtpi2pd, op_cvtpi2pd, 8, V_FP | V_SRC_MMX)
SSE_FAM(cvtps2pi, op_cvtps2pi, 8, V_FP | V_DST_MMX)
SSE_FAM(cvttps2pi, op_cvttps2pi, 8, V_FP | V_DST_MMX)
SSE_FAM(cvtpd2pi, op_cvtpd2pi, 16, V_FP | V_DST_MMX)
SSE_FAM(cvttpd2pi, op_cvttpd2pi, 16, V_FP | V_DST_MMX)

/* CVTSI2SS/SD xmm, r/m32/64 (REX.W picks the integer size). */
ALWAYS_INLINE void cvtsi2sx(CPUX86State *env, const DecodedInsn *d, int ot,
                            bool mem, bool dbl)
{
    SSECtx c = { .env = env };
    uint64_t addr;
    int64_t v;

    sse_check(env);
    ot = ot == MO_64 ? MO_64 : MO_32;
    v = sext(ld_e(env, d, ot, mem, &addr), ot);
    fp_begin(&c);
    if (dbl) {
        uint64_t r = fp_from_int_d(&c, v);
        fp_end(&c);
        env->xmm[d->reg].q[0] = r;
    } else {
        uint32_t r = fp_from_int_s(&c, v);
        fp_end(&c);
        env->xmm[d->reg].l[0] = r;
    }
    next_insn(env, d);
}
ALWAYS_INLINE void cvtsi2ss_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ cvtsi2sx(env, d, ot, mem, false); }
ALWAYS_INLINE void cvtsi2sd_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ cvtsi2sx(env, d, ot, mem, true); }
GEN_FAMILY(cvtsi2ss, cvtsi2ss_b)
GEN_FAMILY(cvtsi2sd, cvtsi2sd_b)

/* CVT(T)SS2SI / CVT(T)SD2SI r32/64, xmm/m32/64. */
ALWAYS_INLINE void cvtsx2si(CPUX86State *env, const DecodedInsn *d, int ot,
                            bool mem, bool dbl, bool trunc)
{
    SSECtx c = { .env = env };
    int bits = ot == MO_64 ? 64 : 32;
    X86XMMReg src;
    uint64_t r;

    sse_check(env);
    if (mem) {
        ld_vec(env, d->addr(env, d), &src, dbl ? 8 : 4);
    } else {
        src = env->xmm[d->rm];
    }
    fp_begin(&c);
    r = dbl ? fp_to_int_d(&c, src.q[0], bits, trunc)
            : fp_to_int_s(&c, src.l[0], bits, trunc);
    fp_end(&c);
    set_reg(env, bits == 64 ? MO_64 : MO_32, d->reg, r);
    next_insn(env, d);
}
#define CVT2SI(name, dbl, trunc) \
    ALWAYS_INLINE void name##_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { cvtsx2si(env, d, ot, mem, dbl, trunc); } \
    GEN_FAMILY(name, name##_b)
CVT2SI(cvtss2si, false, false)
CVT2SI(cvttss2si, false, true)
CVT2SI(cvtsd2si, true, false)
CVT2SI(cvttsd2si, true, true)

/* COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF from the compare, OF SF AF clear. */
static void comis(CPUX86State *env, const DecodedInsn *d, bool mem, bool dbl, bool quiet)
{
    SSECtx c = { .env = env };
    X86XMMReg src;
    uint32_t fl;

    sse_check(env);
    if (mem) {
        ld_vec(env, d->addr(env, d), &src, dbl ? 8 : 4);
    } else {
        src = env->xmm[d->rm];
    }
    fp_begin(&c);
    fl = dbl ? fp_comi_d(&c, env->xmm[d->reg].q[0], src.q[0], quiet)
             : fp_comi_s(&c, env->xmm[d->reg].l[0], src.l[0], quiet);
    fp_end(&c);
    set_flags(env, fl);
    next_insn(env, d);
}
#define COMIS(name, dbl, quiet) \
    static void name##_r(CPUX86State *env, const DecodedInsn *d) { comis(env, d, false, dbl, quiet); } \
    static void name##_m(CPUX86State *env, const DecodedInsn *d) { comis(env, d, true, dbl, quiet); } \
    FAM_SAME(name, name##_r, name##_m)
COMIS(comiss, false, false)
COMIS(ucomiss, false, true)
COMIS(comisd, true, false)
COMIS(ucomisd, true, true)

/* ---- moves ------------------------------------------------------------- */

/* Full-register loads: MOVAPS/MOVUPS/MOVDQA/MOVDQU/LDDQU/MOVNTDQA. */
static void op_mov(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    *r = *b;
}
SSE_FAM(movaps_load, op_mov, 16, 0)
SSE_FAM(movups_load, op_mov, 16, V_UNALIGNED)
SSE_FAM(movq_mmx_load, op_mov, 8, V_MMX)

/* MOVSS/MOVSD load: a register source merges the low element, memory
 * zero-extends. */
static void movs_load(CPUX86State *env, const DecodedInsn *d, bool mem, int size)
{
    X86XMMReg *r = &env->xmm[d->reg];

    sse_check(env);
    if (mem) {
        X86XMMReg v;
        ld_vec(env, d->addr(env, d), &v, size);
        *r = v;
    } else if (size == 4) {
        r->l[0] = env->xmm[d->rm].l[0];
    } else {
        r->q[0] = env->xmm[d->rm].q[0];
    }
    next_insn(env, d);
}
static void movss_load_r(CPUX86State *env, const DecodedInsn *d) { movs_load(env, d, false, 4); }
static void movss_load_m(CPUX86State *env, const DecodedInsn *d) { movs_load(env, d, true, 4); }
static void movsd_load_r(CPUX86State *env, const DecodedInsn *d) { movs_load(env, d, false, 8); }
static void movsd_load_m(CPUX86State *env, const DecodedInsn *d) { movs_load(env, d, true, 8); }
FAM_SAME(movss_load, movss_load_r, movss_load_m)
FAM_SAME(movsd_load, movsd_load_r, movsd_load_m)

/*
 * Stores: xmm (or its low 4/8 bytes) to memory or to the rm register.
 * A register destination of the full-width forms is a plain copy; of
 * MOVSS/MOVSD a merge; of MOVQ (66 0F D6) a zero-extending copy.
 */
enum { ST_FULL, ST_MERGE, ST_ZEXT };
static void vec_store(CPUX86State *env, const DecodedInsn *d, bool mem,
                      int size, bool align, int regkind)
{
    X86XMMReg v;

    sse_check(env);
    v = env->xmm[d->reg];
    if (mem) {
        st_vec(env, vec_addr(env, d, align), &v, size);
    } else if (regkind == ST_FULL) {
        env->xmm[d->rm] = v;
    } else if (regkind == ST_ZEXT) {
        env->xmm[d->rm].q[0] = v.q[0];
        env->xmm[d->rm].q[1] = 0;
    } else if (size == 4) {
        env->xmm[d->rm].l[0] = v.l[0];
    } else {
        env->xmm[d->rm].q[0] = v.q[0];
    }
    next_insn(env, d);
}
#define VEC_STORE(name, size, align, kind) \
    static void name##_r(CPUX86State *env, const DecodedInsn *d) \
    { vec_store(env, d, false, size, align, kind); } \
    static void name##_m(CPUX86State *env, const DecodedInsn *d) \
    { vec_store(env, d, true, size, align, kind); } \
    FAM_SAME(name, name##_r, name##_m)
#define VEC_STORE_MEM(name, size, align) \
    static void name##_m(CPUX86State *env, const DecodedInsn *d) \
    { vec_store(env, d, true, size, align, ST_FULL); } \
    FAM_SAME(name, NULL, name##_m)
VEC_STORE(movaps_store, 16, true, ST_FULL)
VEC_STORE(movups_store, 16, false, ST_FULL)
VEC_STORE(movss_store, 4, false, ST_MERGE)
VEC_STORE(movsd_store, 8, false, ST_MERGE)
VEC_STORE(movq_xmm_store, 8, false, ST_ZEXT)
VEC_STORE_MEM(movnt_store, 16, true)     /* MOVNTPS/PD/DQ: aligned, memory only */
VEC_STORE_MEM(movlps_store, 8, false)    /* MOVLPS/MOVLPD m64, xmm */

static void movhps_store_m(CPUX86State *env, const DecodedInsn *d)
{
    sse_check(env);
    st(env, d->addr(env, d), env->xmm[d->reg].q[1], MO_64);
    next_insn(env, d);
}
FAM_SAME(movhps_store, NULL, movhps_store_m)

/* MOVQ mm/m64, mm and MOVNTQ. */
static void movq_mmx_store(CPUX86State *env, const DecodedInsn *d, bool mem)
{
    uint64_t v;
    mmx_check(env);
    v = mmx_get(env, d->modrm_reg3);
    if (mem) {
        st(env, d->addr(env, d), v, MO_64);
    } else {
        mmx_set(env, d->rm, v);
    }
    next_insn(env, d);
}
static void movq_mmx_store_r(CPUX86State *env, const DecodedInsn *d) { movq_mmx_store(env, d, false); }
static void movq_mmx_store_m(CPUX86State *env, const DecodedInsn *d) { movq_mmx_store(env, d, true); }
FAM_SAME(movq_mmx_store, movq_mmx_store_r, movq_mmx_store_m)
FAM_SAME(movntq, NULL, movq_mmx_store_m)

/* MOVLPS/MOVLPD/MOVHPS/MOVHPD loads; MOVHLPS/MOVLHPS register forms. */
static void op_movlps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = b->q[0];
}
static void op_movhlps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = b->q[1];
}
static void op_movhps(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[1] = b->q[0];
}
static void op_movsldup(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = r->l[1] = b->l[0];
    r->l[2] = r->l[3] = b->l[2];
}
static void op_movshdup(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->l[0] = r->l[1] = b->l[1];
    r->l[2] = r->l[3] = b->l[3];
}
static void op_movddup(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = r->q[1] = b->q[0];
}
SSE_FAM(movlps_hl, op_movlps, 8, 0)    /* only the memory form is used */
SSE_FAM(movhlps, op_movhlps, 8, 0)     /* only the register form is used */
SSE_FAM(movhps_load, op_movhps, 8, 0)  /* MOVHPS m64 and MOVLHPS xmm */
SSE_FAM(movsldup, op_movsldup, 16, 0)
SSE_FAM(movshdup, op_movshdup, 16, 0)
SSE_FAM(movddup, op_movddup, 8, 0)
/* 0F 12 without prefix: MOVHLPS (register) / MOVLPS (memory). */
const X86Family x86_fam_movlps_load = { {
    { movhlps_r, movlps_hl_m }, { movhlps_r, movlps_hl_m },
    { movhlps_r, movlps_hl_m }, { movhlps_r, movlps_hl_m } } };
FAM_SAME(movlpd_load, NULL, movlps_hl_m)
FAM_SAME(movhpd_load, NULL, movhps_load_m)
FAM_SAME(lddqu, NULL, movups_load_m)
FAM_SAME(movntdqa, NULL, movaps_load_m)

/* MOVD/MOVQ between general registers (or memory) and MMX/XMM. */
ALWAYS_INLINE void movd_to_vec(CPUX86State *env, const DecodedInsn *d, int ot,
                               bool mem, bool mmx)
{
    uint64_t addr, v;

    ot = ot == MO_64 ? MO_64 : MO_32;
    if (mmx) {
        mmx_check(env);
    } else {
        sse_check(env);
    }
    v = ld_e(env, d, ot, mem, &addr);
    if (mmx) {
        mmx_set(env, d->modrm_reg3, v);
    } else {
        env->xmm[d->reg].q[0] = v;
        env->xmm[d->reg].q[1] = 0;
    }
    next_insn(env, d);
}
ALWAYS_INLINE void movd_from_vec(CPUX86State *env, const DecodedInsn *d, int ot,
                                 bool mem, bool mmx)
{
    uint64_t v;

    ot = ot == MO_64 ? MO_64 : MO_32;
    if (mmx) {
        mmx_check(env);
        v = mmx_get(env, d->modrm_reg3);
    } else {
        sse_check(env);
        v = env->xmm[d->reg].q[0];
    }
    st_e(env, d, ot, mem, mem ? d->addr(env, d) : 0, v);
    next_insn(env, d);
}
ALWAYS_INLINE void movd_mmx_load_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ movd_to_vec(env, d, ot, mem, true); }
ALWAYS_INLINE void movd_xmm_load_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ movd_to_vec(env, d, ot, mem, false); }
ALWAYS_INLINE void movd_mmx_store_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ movd_from_vec(env, d, ot, mem, true); }
ALWAYS_INLINE void movd_xmm_store_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ movd_from_vec(env, d, ot, mem, false); }
GEN_FAMILY(movd_mmx_load, movd_mmx_load_b)
GEN_FAMILY(movd_xmm_load, movd_xmm_load_b)
GEN_FAMILY(movd_mmx_store, movd_mmx_store_b)
GEN_FAMILY(movd_xmm_store, movd_xmm_store_b)

/* F3 0F 7E: MOVQ xmm, xmm/m64 (zero-extends). */
static void op_movq_zext(SSECtx *c, X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b)
{
    r->q[0] = b->q[0];
    r->q[1] = 0;
}
SSE_FAM(movq_xmm_load, op_movq_zext, 8, 0)
/* MOVQ2DQ xmm, mm / MOVDQ2Q mm, xmm (register forms only). */
static void movq2dq_r(CPUX86State *env, const DecodedInsn *d)
{
    sse_check(env);
    mmx_check(env);
    env->xmm[d->reg].q[0] = mmx_get(env, d->rm);
    env->xmm[d->reg].q[1] = 0;
    next_insn(env, d);
}
static void movdq2q_r(CPUX86State *env, const DecodedInsn *d)
{
    sse_check(env);
    mmx_check(env);
    mmx_set(env, d->modrm_reg3, env->xmm[d->rm].q[0]);
    next_insn(env, d);
}
FAM_SAME(movq2dq, movq2dq_r, NULL)
FAM_SAME(movdq2q, movdq2q_r, NULL)

/* MOVNTI m32/64, r. */
ALWAYS_INLINE void movnti_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    ot = ot == MO_64 ? MO_64 : MO_32;
    st(env, d->addr(env, d), get_reg(env, ot, d->reg), ot);
    next_insn(env, d);
}
GEN_FAMILY_MEM(movnti, movnti_b)

/* MOVMSKPS/MOVMSKPD/PMOVMSKB r32, xmm (or mm). */
static void movmsk(CPUX86State *env, const DecodedInsn *d, int esize, bool mmx)
{
    X86XMMReg v;
    int n = mmx ? 8 : 16;
    uint32_t m = 0;

    if (mmx) {
        mmx_check(env);
        v.q[0] = mmx_get(env, d->rm);
    } else {
        sse_check(env);
        v = env->xmm[d->rm];
    }
    for (int i = 0; i < n / esize; i++) {
        m |= ((v.b[(i + 1) * esize - 1] >> 7) & 1) << i;
    }
    set_reg(env, MO_64, d->reg, m);
    next_insn(env, d);
}
static void movmskps_r(CPUX86State *env, const DecodedInsn *d) { movmsk(env, d, 4, false); }
static void movmskpd_r(CPUX86State *env, const DecodedInsn *d) { movmsk(env, d, 8, false); }
static void pmovmskb_xmm_r(CPUX86State *env, const DecodedInsn *d) { movmsk(env, d, 1, false); }
static void pmovmskb_mmx_r(CPUX86State *env, const DecodedInsn *d) { movmsk(env, d, 1, true); }
FAM_SAME(movmskps, movmskps_r, NULL)
FAM_SAME(movmskpd, movmskpd_r, NULL)
FAM_SAME(pmovmskb_xmm, pmovmskb_xmm_r, NULL)
FAM_SAME(pmovmskb_mmx, pmovmskb_mmx_r, NULL)

/* MASKMOVQ / MASKMOVDQU: store the bytes whose mask top bit is set to
 * DS:rDI (the address size's rDI, segment overridable). */
static void maskmov(CPUX86State *env, const DecodedInsn *d, bool mmx)
{
    X86XMMReg v, m;
    int n = mmx ? 8 : 16;
    uint64_t base;

    if (mmx) {
        mmx_check(env);
        v.q[0] = mmx_get(env, d->modrm_reg3);
        m.q[0] = mmx_get(env, d->rm);
    } else {
        sse_check(env);
        v = env->xmm[d->reg];
        m = env->xmm[d->rm];
    }
    base = linear(env, d, d->seg, env->regs[R_EDI] & ot_mask(d->aflag));
    for (int i = 0; i < n; i++) {
        if (m.b[i] & 0x80) {
            st(env, (base + i) & d->lmask, v.b[i], MO_8);
        }
    }
    next_insn(env, d);
}
static void maskmovq_r(CPUX86State *env, const DecodedInsn *d) { maskmov(env, d, true); }
static void maskmovdqu_r(CPUX86State *env, const DecodedInsn *d) { maskmov(env, d, false); }
FAM_SAME(maskmovq, maskmovq_r, NULL)
FAM_SAME(maskmovdqu, maskmovdqu_r, NULL)

/* ---- element insert/extract ------------------------------------------- */

/* PINSRW mm/xmm, r32/m16, imm8. */
static void pinsrw(CPUX86State *env, const DecodedInsn *d, bool mem, bool mmx)
{
    uint16_t v;

    if (mmx) {
        mmx_check(env);
    } else {
        sse_check(env);
    }
    v = mem ? ld(env, d->addr(env, d), MO_16) : env->regs[d->rm];
    if (mmx) {
        uint64_t q = mmx_get(env, d->modrm_reg3);
        int sh = (d->imm & 3) * 16;
        mmx_set(env, d->modrm_reg3, (q & ~(0xffffull << sh)) | ((uint64_t)v << sh));
    } else {
        env->xmm[d->reg].w[d->imm & 7] = v;
    }
    next_insn(env, d);
}
static void pinsrw_mmx_r(CPUX86State *env, const DecodedInsn *d) { pinsrw(env, d, false, true); }
static void pinsrw_mmx_m(CPUX86State *env, const DecodedInsn *d) { pinsrw(env, d, true, true); }
static void pinsrw_xmm_r(CPUX86State *env, const DecodedInsn *d) { pinsrw(env, d, false, false); }
static void pinsrw_xmm_m(CPUX86State *env, const DecodedInsn *d) { pinsrw(env, d, true, false); }
FAM_SAME(pinsrw_mmx, pinsrw_mmx_r, pinsrw_mmx_m)
FAM_SAME(pinsrw_xmm, pinsrw_xmm_r, pinsrw_xmm_m)

/* PEXTRW r32, mm/xmm, imm8 (0F C5: register only). */
static void pextrw_mmx_r(CPUX86State *env, const DecodedInsn *d)
{
    mmx_check(env);
    set_reg(env, MO_64, d->reg, (mmx_get(env, d->rm) >> ((d->imm & 3) * 16)) & 0xffff);
    next_insn(env, d);
}
static void pextrw_xmm_r(CPUX86State *env, const DecodedInsn *d)
{
    sse_check(env);
    set_reg(env, MO_64, d->reg, env->xmm[d->rm].w[d->imm & 7]);
    next_insn(env, d);
}
FAM_SAME(pextrw_mmx, pextrw_mmx_r, NULL)
FAM_SAME(pextrw_xmm, pextrw_xmm_r, NULL)

/*
 * SSE4.1 PEXTRB/W/D/Q r/m, xmm, imm8 and EXTRACTPS: a register
 * destination is zero-extended to 64 bits (32 for D).
 */
ALWAYS_INLINE void pextr(CPUX86State *env, const DecodedInsn *d, int ot, bool mem,
                         int esize)
{
    const X86XMMReg *x = &env->xmm[d->reg];
    int eot = esize == 1 ? MO_8 : esize == 2 ? MO_16 : esize == 4 ? MO_32 : MO_64;
    int n = 16 / esize;
    uint64_t v = 0;

    sse_check(env);
    if (esize == 8 && ot != MO_64) {
        esize = 4, eot = MO_32, n = 4;   /* PEXTRD without REX.W */
    }
    memcpy(&v, &x->b[(d->imm & (n - 1)) * esize], esize);
    if (mem) {
        st(env, d->addr(env, d), v, eot);
    } else {
        set_reg(env, eot == MO_64 ? MO_64 : MO_32, d->rm, v);
    }
    next_insn(env, d);
}
ALWAYS_INLINE void pextrb_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) { pextr(env, d, ot, mem, 1); }
ALWAYS_INLINE void pextrw2_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) { pextr(env, d, ot, mem, 2); }
ALWAYS_INLINE void pextrdq_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) { pextr(env, d, ot, mem, 8); }
ALWAYS_INLINE void extractps_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) { pextr(env, d, MO_32, mem, 4); }
GEN_FAMILY(pextrb, pextrb_b)
GEN_FAMILY(pextrw_sse41, pextrw2_b)
GEN_FAMILY(pextrdq, pextrdq_b)
GEN_FAMILY(extractps, extractps_b)

/* PINSRB/D/Q xmm, r/m, imm8. */
ALWAYS_INLINE void pinsr(CPUX86State *env, const DecodedInsn *d, int ot, bool mem,
                         int esize)
{
    uint64_t addr, v;
    int n;

    sse_check(env);
    if (esize == 8 && ot != MO_64) {
        esize = 4;
    }
    n = 16 / esize;
    v = ld_e(env, d, esize == 1 ? MO_8 : esize == 4 ? MO_32 : MO_64, mem, &addr);
    if (!mem && esize == 1) {
        v = env->regs[d->rm] & 0xff;   /* the low byte of the register, even SPL.. */
    }
    memcpy(&env->xmm[d->reg].b[(d->imm & (n - 1)) * esize], &v, esize);
    next_insn(env, d);
}
ALWAYS_INLINE void pinsrb_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) { pinsr(env, d, ot, mem, 1); }
ALWAYS_INLINE void pinsrdq_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) { pinsr(env, d, ot, mem, 8); }
GEN_FAMILY(pinsrb, pinsrb_b)
GEN_FAMILY(pinsrdq, pinsrdq_b)

/* PTEST: ZF = (a & b) == 0, CF = (~a & b) == 0; other flags clear. */
static void ptest(CPUX86State *env, const DecodedInsn *d, bool mem)
{
    X86XMMReg b;
    const X86XMMReg *a = &env->xmm[d->reg];
    uint32_t fl = 0;

    sse_check(env);
    if (mem) {
        ld_vec(env, vec_addr(env, d, true), &b, 16);
    } else {
        b = env->xmm[d->rm];
    }
    if (!((a->q[0] & b.q[0]) | (a->q[1] & b.q[1]))) {
        fl |= CC_Z;
    }
    if (!((~a->q[0] & b.q[0]) | (~a->q[1] & b.q[1]))) {
        fl |= CC_C;
    }
    set_flags(env, fl);
    next_insn(env, d);
}
static void ptest_r(CPUX86State *env, const DecodedInsn *d) { ptest(env, d, false); }
static void ptest_m(CPUX86State *env, const DecodedInsn *d) { ptest(env, d, true); }
FAM_SAME(ptest, ptest_r, ptest_m)

/* ---- SSE4.2 ------------------------------------------------------------ */

/* CRC32 (Castagnoli, reflected) r32/64, r/m8/16/32/64. */
ALWAYS_INLINE void crc32_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, v = ld_e(env, d, ot, mem, &addr);
    uint32_t crc = env->regs[d->reg];

    for (int i = 0; i < (1 << ot) * 8; i++) {
        uint32_t bit = (crc ^ (v >> i)) & 1;
        crc = (crc >> 1) ^ (bit ? 0x82f63b78 : 0);
    }
    set_reg(env, MO_32, d->reg, crc);
    next_insn(env, d);
}
GEN_FAMILY(crc32, crc32_b)

/* MOVBE Gv, Mv / MOVBE Mv, Gv (0F 38 F0/F1 without F2): byte-swapped
 * load and store. */
ALWAYS_INLINE uint64_t bswap_ot(uint64_t v, int ot)
{
    switch (ot) {
    case MO_16: return __builtin_bswap16(v);
    case MO_32: return __builtin_bswap32(v);
    default: return __builtin_bswap64(v);
    }
}
ALWAYS_INLINE void movbe_load_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    set_reg(env, ot, d->reg, bswap_ot(ld(env, d->addr(env, d), ot), ot));
    next_insn(env, d);
}
ALWAYS_INLINE void movbe_store_b(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    st(env, d->addr(env, d), bswap_ot(get_reg(env, ot, d->reg), ot), ot);
    next_insn(env, d);
}
GEN_FAMILY_MEM(movbe_load, movbe_load_b)
GEN_FAMILY_MEM(movbe_store, movbe_store_b)

/*
 * PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM.  imm[1:0]: bytes/words,
 * unsigned/signed; imm[3:2]: equal any / ranges / equal each / equal
 * ordered; imm[5:4]: polarity; imm[6]: most significant index / byte or
 * word mask.  Explicit lengths come from EAX/EDX (RAX/RDX with REX.W),
 * implicit ones stop at the first zero element.
 */
static void pcmpstr(CPUX86State *env, const DecodedInsn *d, bool mem,
                    bool explicit_len, bool want_mask)
{
    uint8_t imm = d->imm;
    bool words = imm & 1, sgn = imm & 2;
    int n = words ? 8 : 16, mode = (imm >> 2) & 3, pol = (imm >> 4) & 3;
    const X86XMMReg *a = &env->xmm[d->reg];
    X86XMMReg b;
    int la, lb;
    unsigned res1 = 0, res2;
    uint32_t fl = 0;

    sse_check(env);
    if (mem) {
        ld_vec(env, d->addr(env, d), &b, 16);
    } else {
        b = env->xmm[d->rm];
    }
#define ELEM(v, i) (words ? (sgn ? (int)(int16_t)(v)->w[i] : (int)(v)->w[i]) \
                          : (sgn ? (int)(int8_t)(v)->b[i] : (int)(v)->b[i]))
    if (explicit_len) {
        int64_t ea, ed;
        if (d->ot == MO_64) {
            ea = env->regs[R_EAX];
            ed = env->regs[R_EDX];
        } else {
            ea = (int32_t)env->regs[R_EAX];
            ed = (int32_t)env->regs[R_EDX];
        }
        ea = ea < 0 ? -ea : ea;
        ed = ed < 0 ? -ed : ed;
        la = ea > n ? n : ea;
        lb = ed > n ? n : ed;
    } else {
        for (la = 0; la < n && ELEM(a, la); la++) {
        }
        for (lb = 0; lb < n && ELEM(&b, lb); lb++) {
        }
    }
    for (int j = 0; j < n; j++) {      /* j indexes b (the string) */
        bool r = false;
        switch (mode) {
        case 0:    /* equal any: b[j] is one of a[0..la) */
            for (int i = 0; i < la && j < lb; i++) {
                r |= ELEM(a, i) == ELEM(&b, j);
            }
            break;
        case 1:    /* ranges: a holds (lo, hi) pairs */
            for (int i = 0; i + 1 < la && j < lb; i += 2) {
                r |= ELEM(a, i) <= ELEM(&b, j) && ELEM(&b, j) <= ELEM(a, i + 1);
            }
            break;
        case 2:    /* equal each */
            if (j < la && j < lb) {
                r = ELEM(a, j) == ELEM(&b, j);
            } else {
                r = j >= la && j >= lb;
            }
            break;
        default:   /* equal ordered: a occurs in b at j */
            r = true;
            for (int i = 0; i < la && j + i < n; i++) {
                if (j + i >= lb) {
                    r = false;
                    break;
                }
                if (ELEM(a, i) != ELEM(&b, j + i)) {
                    r = false;
                    break;
                }
            }
            break;
        }
        res1 |= (unsigned)r << j;
    }
#undef ELEM
    res2 = res1;
    if (pol & 1) {
        /* negate: all elements (pol 1) or only those inside b (pol 3) */
        res2 ^= pol == 1 ? (1u << n) - 1 : (1u << lb) - 1;
    }
    if (res2) {
        fl |= CC_C;
    }
    if (lb < n) {
        fl |= CC_Z;
    }
    if (la < n) {
        fl |= CC_S;
    }
    if (res2 & 1) {
        fl |= CC_O;
    }
    if (want_mask) {
        X86XMMReg *x = &env->xmm[0];
        if (imm & 0x40) {
            for (int i = 0; i < n; i++) {
                bool bit = (res2 >> i) & 1;
                if (words) {
                    x->w[i] = bit ? 0xffff : 0;
                } else {
                    x->b[i] = bit ? 0xff : 0;
                }
            }
        } else {
            x->q[0] = res2;
            x->q[1] = 0;
        }
    } else {
        int idx;
        if (!res2) {
            idx = n;
        } else if (imm & 0x40) {
            idx = 31 - __builtin_clz(res2);
        } else {
            idx = __builtin_ctz(res2);
        }
        set_reg(env, MO_64, R_ECX, idx);
    }
    set_flags(env, fl);
    next_insn(env, d);
}
#define PCMPSTR(name, expl, mask) \
    static void name##_r(CPUX86State *env, const DecodedInsn *d) { pcmpstr(env, d, false, expl, mask); } \
    static void name##_m(CPUX86State *env, const DecodedInsn *d) { pcmpstr(env, d, true, expl, mask); } \
    FAM_SAME(name, name##_r, name##_m)
PCMPSTR(pcmpestrm, true, true)
PCMPSTR(pcmpestri, true, false)
PCMPSTR(pcmpistrm, false, true)
PCMPSTR(pcmpistri, false, false)

/* ---- state management -------------------------------------------------- */

static void emms(CPUX86State *env, const DecodedInsn *d)
{
    if (env->cr[0] & (CR0_EM_MASK | CR0_TS_MASK)) {
        raise_exception(env, (env->cr[0] & CR0_EM_MASK) ? EXCP06_ILLOP
                                                         : EXCP07_PREX);
    }
    if (env->fpus & FSW_ES) {
        x86_fpu_raise_pending(env);
    }
    env->fptags = 0xff;
    next_insn(env, d);
}
GEN_FAMILY_ONE(emms, emms)

/*
 * 0F AE group 15 (no prefix): FXSAVE, FXRSTOR, LDMXCSR, STMXCSR (memory)
 * and LFENCE, MFENCE, SFENCE (register form, no-ops for one CPU);
 * CLFLUSH (memory /7) is a no-op as there is no cache to flush.  It does
 * not probe its address: a read could have side effects on MMIO.
 */
static void grp15(CPUX86State *env, const DecodedInsn *d)
{
    int op = d->modrm_reg3;

    if (d->mod == 3) {
        if (op < 5) {
            raise_exception(env, EXCP06_ILLOP);
        }
        next_insn(env, d);
        return;
    }
    switch (op) {
    case 0:     /* FXSAVE */
    case 1: {   /* FXRSTOR */
        /* the image up to the last XMM register the mode has; the rest
         * is reserved or left to software */
        int size = (env->hflags & HF_CS64_MASK) ? 416 : 288;
        uint8_t img[512];
        uint64_t addr;
        if (env->cr[0] & (CR0_EM_MASK | CR0_TS_MASK)) {
            raise_exception(env, EXCP07_PREX);
        }
        addr = vec_addr(env, d, true);
        if (op == 0) {
            x86_fxsave_image(env, img, d->ot == MO_64);
            for (int i = 0; i < size; i += 8) {
                uint64_t v;
                memcpy(&v, img + i, 8);
                st(env, addr + i, v, MO_64);
            }
        } else {
            memset(img, 0, sizeof(img));
            for (int i = 0; i < size; i += 8) {
                uint64_t v = ld(env, addr + i, MO_64);
                memcpy(img + i, &v, 8);
            }
            if (!x86_fxrstor_image(env, img, d->ot == MO_64)) {
                raise_exception_err(env, EXCP0D_GPF, 0);
            }
        }
        break;
    }
    case 2: {   /* LDMXCSR */
        uint32_t v;
        sse_check(env);
        v = ld(env, d->addr(env, d), MO_32);
        if (v & ~MXCSR_WRITABLE) {
            raise_exception_err(env, EXCP0D_GPF, 0);
        }
        env->mxcsr = v;
        break;
    }
    case 3:     /* STMXCSR */
        sse_check(env);
        st(env, d->addr(env, d), env->mxcsr, MO_32);
        break;
    case 7:     /* CLFLUSH */
        break;
    default:
        raise_exception(env, EXCP06_ILLOP);
    }
    next_insn(env, d);
}
GEN_FAMILY_ONE(grp15, grp15)

/* 66 0F AE /7: CLFLUSHOPT (memory only). */
static void clflushopt(CPUX86State *env, const DecodedInsn *d)
{
    if (d->mod == 3 || d->modrm_reg3 != 7) {
        raise_exception(env, EXCP06_ILLOP);
    }
    next_insn(env, d);
}
GEN_FAMILY_ONE(clflushopt, clflushopt)
