/*
 * x87 floating point, and the FXSAVE image shared with SSE.
 *
 * Registers are kept as raw 80-bit values (env->fpregs, physical order;
 * ST(i) is fpregs[(TOP + i) & 7]) and computed on as host long double,
 * which must be the same 80-bit format (x86 hosts).  The rounding control
 * of FCW is applied with fesetround(); precision control (24/53 bits) by
 * rounding the 64-bit result once more, which can differ from a real x87
 * in the last bit (double rounding) and in exponent range.  Flags come
 * from the host's fenv plus the denormal-operand and stack-fault checks
 * done here; C1 ("rounded up") is derived from the exact error of the
 * basic operations.
 *
 * Unmasked exceptions set FSW.ES; the next waiting x87 instruction (or
 * WAIT, or an MMX instruction) then raises #MF when CR0.NE is set.  With
 * CR0.NE clear the PC signals FERR# via IRQ 13, which is not modelled:
 * the exception just stays pending.  Unmasked overflow/underflow store
 * the unscaled result.
 */
#include "util/osdep.h"
#include <fenv.h>
#include <float.h>
#include <math.h>
#include "insn.h"
#include "fpu.h"

#if LDBL_MANT_DIG != 64
#error "the x87 emulation needs an 80-bit host long double"
#endif

typedef union FPU80 {
    long double d;
    struct {
        uint64_t mant;
        uint16_t se;
    } r;
} FPU80;

#define FPU_INDEFINITE_MANT 0xc000000000000000ull
#define FPU_INDEFINITE_SE   0xffff

/* ---- register file ---------------------------------------------------- */

static inline long double reg_to_ld(const X86FPReg *r)
{
    FPU80 u = { .d = 0 };
    u.r.mant = r->mant;
    u.r.se = r->sign_exp;
    return u.d;
}

static inline X86FPReg ld_to_reg(long double d)
{
    FPU80 u = { .d = d };
    return (X86FPReg){ u.r.mant, u.r.se };
}

static inline int st_index(CPUX86State *env, int i)
{
    return (env->fpstt + i) & 7;
}

static inline bool st_empty(CPUX86State *env, int i)
{
    return (env->fptags >> st_index(env, i)) & 1;
}

static inline X86FPReg *st_reg(CPUX86State *env, int i)
{
    return &env->fpregs[st_index(env, i)];
}

static inline void st_set(CPUX86State *env, int i, X86FPReg v)
{
    int p = st_index(env, i);
    env->fpregs[p] = v;
    env->fptags &= ~(1u << p);
}

static void fpu_pop(CPUX86State *env)
{
    env->fptags |= 1u << env->fpstt;
    env->fpstt = (env->fpstt + 1) & 7;
}

/* ---- classification ---------------------------------------------------- */

static inline bool reg_is_nan(X86FPReg r)
{
    return (r.sign_exp & 0x7fff) == 0x7fff && (r.mant >> 63) &&
           (r.mant << 1);
}
static inline bool reg_is_snan(X86FPReg r)
{
    return reg_is_nan(r) && !((r.mant >> 62) & 1);
}
static inline bool reg_is_denormal(X86FPReg r)
{
    return (r.sign_exp & 0x7fff) == 0 && r.mant;
}
/* Unsupported encodings: a nonzero exponent without the integer bit. */
static inline bool reg_is_unsupported(X86FPReg r)
{
    return (r.sign_exp & 0x7fff) != 0 && !(r.mant >> 63);
}
static const X86FPReg reg_indefinite = { FPU_INDEFINITE_MANT, FPU_INDEFINITE_SE };

/* ---- exceptions --------------------------------------------------------- */

void x86_fpu_raise_pending(CPUX86State *env)
{
    if (env->cr[0] & CR0_NE_MASK) {
        raise_exception(env, EXCP10_COPR);
    }
}

/* Record exception flags; unmasked ones make an exception pending. */
static void fpu_set_flags(CPUX86State *env, uint16_t flags)
{
    env->fpus |= flags;
    if (env->fpus & ~env->fpuc & 0x3f) {
        env->fpus |= FSW_ES | FSW_B;
    }
}

static inline bool fpu_unmasked(CPUX86State *env, uint16_t flags)
{
    return flags & ~env->fpuc & 0x3f;
}

/* #NM for EM/TS; #MF for a pending exception unless a non-waiting op. */
static void fpu_prepare(CPUX86State *env, const DecodedInsn *d, bool check_pending)
{
    if (env->cr[0] & (CR0_EM_MASK | CR0_TS_MASK)) {
        raise_exception(env, EXCP07_PREX);
    }
    if (check_pending && (env->fpus & FSW_ES)) {
        x86_fpu_raise_pending(env);
    }
}

/* Remember the last non-control instruction (FOP, FIP, FDP). */
static void fpu_note_insn(CPUX86State *env, const DecodedInsn *d)
{
    env->fpop = ((d->opcode & 7) << 8) | (d->mod << 6) | (d->modrm_reg3 << 3) |
                (d->rm & 7);
    env->fpip = env->rip;
    if (d->mod != 3) {
        env->fpdp = d->addr(env, d) - env->segs[d->seg].base;
    }
}

/* Stack underflow (empty source): IE|SF, C1 = 0. */
static void fpu_underflow(CPUX86State *env)
{
    env->fpus &= ~FSW_C1;
    fpu_set_flags(env, FSW_IE | FSW_SF);
}

/* Push: overflow (the new top not empty) is IE|SF with C1 = 1, and loads
 * the indefinite when masked. */
static bool fpu_push(CPUX86State *env, X86FPReg v)
{
    int top = (env->fpstt - 1) & 7;

    env->fpus &= ~FSW_C1;
    if (!((env->fptags >> top) & 1)) {
        env->fpus |= FSW_C1;
        fpu_set_flags(env, FSW_IE | FSW_SF);
        if (fpu_unmasked(env, FSW_IE)) {
            return false;
        }
        v = reg_indefinite;
    }
    env->fpstt = top;
    st_set(env, 0, v);
    return true;
}

/* ---- host arithmetic ----------------------------------------------------- */

typedef struct FPUCtx {
    CPUX86State *env;
    int old_round;
    uint16_t flags;
} FPUCtx;

static const int fpu_host_round[4] = {
    FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO,
};

static void fpu_begin(FPUCtx *c, CPUX86State *env)
{
    int rc = (env->fpuc >> 10) & 3;

    c->env = env;
    c->old_round = -1;
    if (rc != X86_RC_NEAREST) {
        c->old_round = fegetround();
        fesetround(fpu_host_round[rc]);
    }
    feclearexcept(FE_ALL_EXCEPT);
}

static uint16_t fpu_end(FPUCtx *c)
{
    int ex = fetestexcept(FE_ALL_EXCEPT);

    if (c->old_round >= 0) {
        fesetround(c->old_round);
    }
    c->flags |= (ex & FE_INVALID ? FSW_IE : 0) | (ex & FE_DIVBYZERO ? FSW_ZE : 0) |
                (ex & FE_OVERFLOW ? FSW_OE : 0) | (ex & FE_UNDERFLOW ? FSW_UE : 0) |
                (ex & FE_INEXACT ? FSW_PE : 0);
    return c->flags;
}

/* Precision control: round a 64-bit-significand result to 24/53 bits. */
static long double fpu_precision(CPUX86State *env, long double r)
{
    switch ((env->fpuc >> 8) & 3) {
    case 0: {
        volatile float f = (float)r;
        return f;
    }
    case 2: {
        volatile double d = (double)r;
        return d;
    }
    default:
        return r;
    }
}

/* The x87's NaN rule: the QNaN of larger significand (SNaNs quieted). */
static X86FPReg fpu_nan2(FPUCtx *c, X86FPReg a, X86FPReg b)
{
    bool an = reg_is_nan(a), bn = reg_is_nan(b);

    if (reg_is_snan(a) || reg_is_snan(b)) {
        c->flags |= FSW_IE;
    }
    if (an && bn) {
        if (reg_is_snan(a) != reg_is_snan(b)) {
            a = reg_is_snan(a) ? b : a;
        } else if ((b.mant << 1) > (a.mant << 1)) {
            a = b;
        }
    } else if (!an) {
        a = b;
    }
    a.mant |= 1ull << 62;
    return a;
}

enum { FPU_ADD, FPU_MUL, FPU_COM, FPU_COMP, FPU_SUB, FPU_SUBR, FPU_DIV, FPU_DIVR };

/* Did rounding increase the magnitude?  err = exact - r. */
static void fpu_c1_from_error(FPUCtx *c, long double r, long double err)
{
    if (err != 0 && ((r > 0 && err < 0) || (r < 0 && err > 0))) {
        c->env->fpus |= FSW_C1;
    }
}

/* a op b for op = FPU_ADD..FPU_DIVR (not the compares). */
static X86FPReg fpu_arith(FPUCtx *c, int op, X86FPReg a, X86FPReg b)
{
    CPUX86State *env = c->env;
    volatile long double x, y, r;
    long double err = 0;

    env->fpus &= ~FSW_C1;
    if (reg_is_nan(a) || reg_is_nan(b)) {
        return fpu_nan2(c, a, b);
    }
    if ((reg_is_denormal(a) || reg_is_denormal(b)) &&
        !reg_is_unsupported(a) && !reg_is_unsupported(b)) {
        c->flags |= FSW_DE;
    }
    x = reg_to_ld(&a);
    y = reg_to_ld(&b);
    if (op == FPU_SUBR || op == FPU_DIVR) {
        long double t = x;
        x = y;
        y = t;
        op = op == FPU_SUBR ? FPU_SUB : FPU_DIV;
    }
    switch (op) {
    case FPU_ADD: r = x + y; break;
    case FPU_SUB: r = x - y; break;
    case FPU_MUL: r = x * y; break;
    default: r = x / y; break;
    }
    r = fpu_precision(env, r);
    if (fetestexcept(FE_INEXACT) && isfinite(r)) {
        int rc = (env->fpuc >> 10) & 3;
        if (rc == X86_RC_NEAREST) {
            /* exact error of the 64-bit operation (not after PC) */
            int saved = fetestexcept(FE_ALL_EXCEPT);
            switch (op) {
            case FPU_ADD:
            case FPU_SUB: {
                long double yy = op == FPU_ADD ? y : -y;
                long double bb = r - x;
                err = (x - (r - bb)) + (yy - bb);
                break;
            }
            case FPU_MUL: err = fmal(x, y, -r); break;
            default: err = -fmal(r, y, -x) / y; break;
            }
            feclearexcept(FE_ALL_EXCEPT);
            feraiseexcept(saved);
            fpu_c1_from_error(c, r, err);
        } else if ((rc == X86_RC_UP && r > 0) || (rc == X86_RC_DOWN && r < 0)) {
            env->fpus |= FSW_C1;
        }
    }
    return ld_to_reg(r);
}

/* Compare: C3 C2 C0 = 000 >, 001 <, 100 =, 111 unordered; returns the
 * condition bits.  quiet: only SNaN is invalid (FUCOM). */
static uint16_t fpu_compare(FPUCtx *c, X86FPReg a, X86FPReg b, bool quiet)
{
    long double x, y;

    c->env->fpus &= ~FSW_C1;
    if (reg_is_nan(a) || reg_is_nan(b) || reg_is_unsupported(a) ||
        reg_is_unsupported(b)) {
        if (!quiet || reg_is_snan(a) || reg_is_snan(b) ||
            reg_is_unsupported(a) || reg_is_unsupported(b)) {
            c->flags |= FSW_IE;
        }
        return FSW_C3 | FSW_C2 | FSW_C0;
    }
    if (reg_is_denormal(a) || reg_is_denormal(b)) {
        c->flags |= FSW_DE;
    }
    x = reg_to_ld(&a);
    y = reg_to_ld(&b);
    if (x == y) {
        return FSW_C3;
    }
    return x < y ? FSW_C0 : 0;
}

/* ---- memory operand conversions ---------------------------------------- */

static X86FPReg fpu_load_real(FPUCtx *c, CPUX86State *env, uint64_t addr, int size)
{
    long double v;

    if (size == 4) {
        uint32_t u = ld(env, addr, MO_32);
        float f;
        if ((u & 0x7f800000) == 0x7f800000 && (u & 0x7fffff) && !(u & 0x400000)) {
            c->flags |= FSW_IE;     /* SNaN: quieted on load */
            u |= 0x400000;
        } else if (!(u & 0x7f800000) && (u & 0x7fffff)) {
            c->flags |= FSW_DE;
        }
        memcpy(&f, &u, 4);
        v = f;
    } else if (size == 8) {
        uint64_t u = ld(env, addr, MO_64);
        double f;
        if ((u & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
            (u & 0xfffffffffffffull) && !(u & 0x8000000000000ull)) {
            c->flags |= FSW_IE;
            u |= 0x8000000000000ull;
        } else if (!(u & 0x7ff0000000000000ull) && (u & 0xfffffffffffffull)) {
            c->flags |= FSW_DE;
        }
        memcpy(&f, &u, 8);
        v = f;
    } else {
        X86FPReg r;
        r.mant = ld(env, addr, MO_64);
        r.sign_exp = ld(env, addr + 8, MO_16);
        return r;
    }
    return ld_to_reg(v);
}

/* Store ST(0) as m32/m64 real; returns false if an unmasked exception
 * forbids the store. */
static bool fpu_store_real(FPUCtx *c, CPUX86State *env, uint64_t addr, int size,
                           X86FPReg v)
{
    if (size == 10) {
        st(env, addr, v.mant, MO_64);
        st(env, addr + 8, v.sign_exp, MO_16);
        return true;
    }
    if (reg_is_snan(v)) {
        c->flags |= FSW_IE;
        v.mant |= 1ull << 62;
    }
    if (reg_is_unsupported(v)) {
        c->flags |= FSW_IE;
        v = reg_indefinite;
    }
    env->fpus &= ~FSW_C1;
    if (size == 4) {
        volatile long double x = reg_to_ld(&v);
        volatile float f;
        uint32_t u;
        fpu_begin(c, env);
        f = (float)x;
        fpu_end(c);
        memcpy(&u, (const void *)&f, 4);
        if (reg_is_nan(v)) {
            u = ((v.sign_exp & 0x8000) << 16) | 0x7fc00000 | ((v.mant >> 40) & 0x3fffff);
        } else if ((c->flags & FSW_PE) && fabsl(f) > fabsl(x)) {
            env->fpus |= FSW_C1;
        }
        if (fpu_unmasked(env, c->flags & (FSW_IE | FSW_OE | FSW_UE))) {
            return false;
        }
        st(env, addr, u, MO_32);
    } else {
        volatile long double x = reg_to_ld(&v);
        volatile double f;
        uint64_t u;
        fpu_begin(c, env);
        f = (double)x;
        fpu_end(c);
        memcpy(&u, (const void *)&f, 8);
        if (reg_is_nan(v)) {
            u = ((uint64_t)(v.sign_exp & 0x8000) << 48) | 0x7ff8000000000000ull |
                ((v.mant >> 11) & 0x7ffffffffffffull);
        } else if ((c->flags & FSW_PE) && fabsl(f) > fabsl(x)) {
            env->fpus |= FSW_C1;
        }
        if (fpu_unmasked(env, c->flags & (FSW_IE | FSW_OE | FSW_UE))) {
            return false;
        }
        st(env, addr, u, MO_64);
    }
    return true;
}

/* FIST/FISTP/FISTTP: integer of 2/4/8 bytes; NaN, infinity or out of
 * range store the integer indefinite (IE). */
static bool fpu_store_int(FPUCtx *c, CPUX86State *env, uint64_t addr, int ot,
                          X86FPReg v, bool trunc)
{
    long double x = reg_to_ld(&v), r;
    int bits = 8 << ot;
    long double lim = ldexpl(1.0L, bits - 1);
    uint64_t out;

    env->fpus &= ~FSW_C1;
    if (reg_is_nan(v) || reg_is_unsupported(v) || isinf(x)) {
        c->flags |= FSW_IE;
        out = 1ull << (bits - 1);
    } else {
        fpu_begin(c, env);
        r = trunc ? truncl(x) : nearbyintl(x);
        fpu_end(c);
        c->flags &= ~(FSW_PE | FSW_UE | FSW_OE);
        if (r >= lim || r < -lim) {
            c->flags |= FSW_IE;
            out = 1ull << (bits - 1);
        } else {
            out = (uint64_t)(int64_t)r;
            if (r != x) {
                c->flags |= FSW_PE;
                if (fabsl(r) > fabsl(x)) {
                    env->fpus |= FSW_C1;
                }
            }
        }
    }
    if (fpu_unmasked(env, c->flags & FSW_IE)) {
        return false;
    }
    st(env, addr, out, ot);
    return true;
}

/* ---- tag word and environment ------------------------------------------ */

static int fpu_tag_of(CPUX86State *env, int phys)
{
    X86FPReg r = env->fpregs[phys];
    int exp = r.sign_exp & 0x7fff;

    if ((env->fptags >> phys) & 1) {
        return 3;
    }
    if (exp == 0x7fff || reg_is_unsupported(r) || (exp == 0 && r.mant) ||
        (exp != 0 && !(r.mant >> 63))) {
        return 2;
    }
    if (exp == 0 && !r.mant) {
        return 1;
    }
    return 0;
}

uint16_t x86_fpu_full_tags(CPUX86State *env)
{
    uint16_t t = 0;
    for (int i = 0; i < 8; i++) {
        t |= fpu_tag_of(env, i) << (2 * i);
    }
    return t;
}

static void fpu_load_tags(CPUX86State *env, uint16_t full)
{
    env->fptags = 0;
    for (int i = 0; i < 8; i++) {
        if (((full >> (2 * i)) & 3) == 3) {
            env->fptags |= 1u << i;
        }
    }
}

static void fpu_set_fsw(CPUX86State *env, uint16_t fsw)
{
    env->fpstt = (fsw >> FSW_TOP_SHIFT) & 7;
    env->fpus = fsw & ~(7u << FSW_TOP_SHIFT);
    /* ES/B follow the loaded flags and masks */
    env->fpus &= ~(FSW_ES | FSW_B);
    if (env->fpus & ~env->fpuc & 0x3f) {
        env->fpus |= FSW_ES | FSW_B;
    }
}

static void fpu_reset(CPUX86State *env)
{
    env->fpuc = 0x37f;
    env->fpus = 0;
    env->fpstt = 0;
    env->fptags = 0xff;
    env->fpop = 0;
    env->fpip = 0;
    env->fpdp = 0;
}

static bool fpu_real_mode(CPUX86State *env)
{
    return !(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK);
}

/* FNSTENV/FNSAVE environment: 14 bytes (16-bit) or 28 (32-bit). */
static int fpu_store_env(CPUX86State *env, const DecodedInsn *d, uint64_t addr)
{
    bool o16 = d->ot == MO_16;
    int ws = o16 ? 2 : 4;
    uint32_t ip = env->fpip, dp = env->fpdp;
    uint32_t v[7];

    v[0] = env->fpuc | (o16 ? 0 : 0xffff0000);
    v[1] = fpu_get_fsw(env) | (o16 ? 0 : 0xffff0000);
    v[2] = x86_fpu_full_tags(env) | (o16 ? 0 : 0xffff0000);
    if (fpu_real_mode(env)) {
        v[3] = ip & 0xffff;
        v[4] = ((ip >> 16) << 12) | (env->fpop & 0x7ff);
        v[5] = dp & 0xffff;
        v[6] = (dp >> 16) << 12;
        if (o16) {
            v[4] &= 0xffff;
            v[6] &= 0xffff;
        } else {
            v[3] |= 0xffff0000;
            v[5] |= 0xffff0000;
        }
    } else {
        v[3] = ip;
        v[4] = (uint32_t)(env->fpop & 0x7ff) << 16;   /* FCS: 0 (deprecated) */
        v[5] = dp;
        v[6] = o16 ? 0 : 0xffff0000;                  /* FDS: 0 */
        if (o16) {
            v[3] &= 0xffff;
            v[4] = 0;
            v[5] &= 0xffff;
        }
    }
    for (int i = 0; i < 7; i++) {
        st(env, (addr + i * ws) & d->lmask, v[i], o16 ? MO_16 : MO_32);
    }
    return 7 * ws;
}

static int fpu_load_env(CPUX86State *env, const DecodedInsn *d, uint64_t addr)
{
    bool o16 = d->ot == MO_16;
    int ws = o16 ? 2 : 4;
    uint32_t v[7];

    for (int i = 0; i < 7; i++) {
        v[i] = ld(env, (addr + i * ws) & d->lmask, o16 ? MO_16 : MO_32);
    }
    env->fpuc = v[0] & 0x1f7f;
    env->fpuc |= 0x40;   /* bit 6 reads as 1 */
    fpu_set_fsw(env, v[1]);
    fpu_load_tags(env, v[2]);
    if (fpu_real_mode(env)) {
        env->fpip = (v[3] & 0xffff) | ((v[4] >> 12) << 16);
        env->fpop = v[4] & 0x7ff;
        env->fpdp = (v[5] & 0xffff) | ((v[6] >> 12) << 16);
    } else {
        env->fpip = v[3];
        env->fpop = (v[4] >> 16) & 0x7ff;
        env->fpdp = v[5];
    }
    return 7 * ws;
}

/* ---- FXSAVE image ----------------------------------------------------- */

void x86_fxsave_image(CPUX86State *env, uint8_t *img, bool fxsave64)
{
    uint16_t fsw = fpu_get_fsw(env);
    uint8_t ftw = ~env->fptags;
    uint32_t mask = MXCSR_WRITABLE;
    int nxmm = (env->hflags & HF_CS64_MASK) ? 16 : 8;

    memset(img, 0, 512);
    memcpy(img + 0, &env->fpuc, 2);
    memcpy(img + 2, &fsw, 2);
    img[4] = ftw;
    memcpy(img + 6, &env->fpop, 2);
    if (fxsave64) {
        memcpy(img + 8, &env->fpip, 8);
        memcpy(img + 16, &env->fpdp, 8);
    } else {
        uint32_t ip = env->fpip, dp = env->fpdp;
        memcpy(img + 8, &ip, 4);
        memcpy(img + 16, &dp, 4);
    }
    memcpy(img + 24, &env->mxcsr, 4);
    memcpy(img + 28, &mask, 4);
    for (int i = 0; i < 8; i++) {
        X86FPReg *r = &env->fpregs[st_index(env, i)];
        memcpy(img + 32 + 16 * i, &r->mant, 8);
        memcpy(img + 40 + 16 * i, &r->sign_exp, 2);
    }
    for (int i = 0; i < nxmm; i++) {
        memcpy(img + 160 + 16 * i, &env->xmm[i], 16);
    }
}

bool x86_fxrstor_image(CPUX86State *env, const uint8_t *img, bool fxsave64)
{
    uint32_t mxcsr;
    uint16_t fsw;
    int nxmm = (env->hflags & HF_CS64_MASK) ? 16 : 8;

    memcpy(&mxcsr, img + 24, 4);
    if (mxcsr & ~MXCSR_WRITABLE) {
        return false;
    }
    env->mxcsr = mxcsr;
    memcpy(&env->fpuc, img + 0, 2);
    memcpy(&fsw, img + 2, 2);
    fpu_set_fsw(env, fsw);
    env->fptags = ~img[4];
    memcpy(&env->fpop, img + 6, 2);
    env->fpop &= 0x7ff;
    if (fxsave64) {
        memcpy(&env->fpip, img + 8, 8);
        memcpy(&env->fpdp, img + 16, 8);
    } else {
        uint32_t ip, dp;
        memcpy(&ip, img + 8, 4);
        memcpy(&dp, img + 16, 4);
        env->fpip = ip;
        env->fpdp = dp;
    }
    for (int i = 0; i < 8; i++) {
        X86FPReg *r = &env->fpregs[st_index(env, i)];
        memcpy(&r->mant, img + 32 + 16 * i, 8);
        memcpy(&r->sign_exp, img + 40 + 16 * i, 2);
    }
    for (int i = 0; i < nxmm; i++) {
        memcpy(&env->xmm[i], img + 160 + 16 * i, 16);
    }
    return true;
}

/* ---- instruction handlers --------------------------------------------- */

/*
 * Arithmetic ST(dst) = ST(dst) op src, where src is ST(i) or a memory
 * operand already converted.  Writes nothing when IE/DE/ZE are unmasked.
 */
static void fpu_do_arith(CPUX86State *env, FPUCtx *c, int op, int dst, X86FPReg src,
                         bool src_empty, bool pop)
{
    X86FPReg r;

    if (st_empty(env, dst) || src_empty) {
        fpu_underflow(env);
        if (fpu_unmasked(env, FSW_IE)) {
            return;
        }
        st_set(env, dst, reg_indefinite);
        if (pop) {
            fpu_pop(env);
        }
        return;
    }
    fpu_begin(c, env);
    r = fpu_arith(c, op, *st_reg(env, dst), src);
    fpu_end(c);
    fpu_set_flags(env, c->flags);
    if (fpu_unmasked(env, c->flags & (FSW_IE | FSW_DE | FSW_ZE))) {
        return;
    }
    st_set(env, dst, r);
    if (pop) {
        fpu_pop(env);
    }
}

/* FCOM-style compare of ST(0) with src; pops n times. */
static void fpu_do_compare(CPUX86State *env, FPUCtx *c, X86FPReg src, bool src_empty,
                           bool quiet, int pops)
{
    uint16_t cc;

    if (st_empty(env, 0) || src_empty) {
        fpu_underflow(env);
        cc = FSW_C3 | FSW_C2 | FSW_C0;
    } else {
        cc = fpu_compare(c, *st_reg(env, 0), src, quiet);
        fpu_set_flags(env, c->flags);
    }
    if (fpu_unmasked(env, c->flags & (FSW_IE | FSW_DE)) ||
        ((st_empty(env, 0) || src_empty) && fpu_unmasked(env, FSW_IE))) {
        return;
    }
    env->fpus = (env->fpus & ~(FSW_C3 | FSW_C2 | FSW_C0)) | cc;
    while (pops--) {
        fpu_pop(env);
    }
}

/* FCOMI/FUCOMI(P): the result in ZF PF CF. */
static void fpu_do_comi(CPUX86State *env, int i, bool quiet, bool pop)
{
    FPUCtx c = { .env = env };
    uint16_t cc;
    uint32_t fl;

    if (st_empty(env, 0) || st_empty(env, i)) {
        fpu_underflow(env);
        if (fpu_unmasked(env, FSW_IE)) {
            return;
        }
        cc = FSW_C3 | FSW_C2 | FSW_C0;
    } else {
        cc = fpu_compare(&c, *st_reg(env, 0), *st_reg(env, i), quiet);
        fpu_set_flags(env, c.flags);
        if (fpu_unmasked(env, c.flags & (FSW_IE | FSW_DE))) {
            return;
        }
    }
    fl = (cc & FSW_C3 ? CC_Z : 0) | (cc & FSW_C2 ? CC_P : 0) | (cc & FSW_C0 ? CC_C : 0);
    set_flags(env, fl);
    if (pop) {
        fpu_pop(env);
    }
}

static const long double fpu_constants[7] = {
    1.0L,
    3.321928094887362347870319429489390175864831393L,   /* log2(10) */
    1.442695040888963407359924681001892137426645954L,   /* log2(e) */
    3.141592653589793238462643383279502884197169399L,   /* pi */
    0.301029995663981195213738894724493026768189881L,   /* log10(2) */
    0.693147180559945309417232121458176568075500134L,   /* ln(2) */
    0.0L,
};

/* FXAM: C3 C2 C0 class, C1 sign. */
static void fpu_fxam(CPUX86State *env)
{
    X86FPReg r = *st_reg(env, 0);
    int exp = r.sign_exp & 0x7fff;
    uint16_t cc;

    if (st_empty(env, 0)) {
        cc = FSW_C3 | FSW_C0;
    } else if (reg_is_unsupported(r)) {
        cc = 0;
    } else if (exp == 0x7fff) {
        cc = (r.mant << 1) ? FSW_C0 : FSW_C2 | FSW_C0;
    } else if (exp == 0) {
        cc = r.mant ? FSW_C3 | FSW_C2 : FSW_C3;
    } else {
        cc = FSW_C2;
    }
    if (r.sign_exp & 0x8000) {
        cc |= FSW_C1;
    }
    env->fpus = (env->fpus & ~(FSW_C3 | FSW_C2 | FSW_C1 | FSW_C0)) | cc;
}

/*
 * D9 E0-FF: one-operand and transcendental operations on ST(0) (and
 * ST(1)).  Transcendentals use the host's long double libm: results may
 * differ from a real x87 in the last bits.
 */
static void fpu_d9_special(CPUX86State *env, const DecodedInsn *d)
{
    int op = (d->rm & 7) | (d->modrm_reg3 << 3);
    FPUCtx c = { .env = env };
    long double x, y, r, r2;
    bool two_in = false;

    switch (op) {
    case 0x20:  /* FCHS */
    case 0x21:  /* FABS */
        if (st_empty(env, 0)) {
            fpu_underflow(env);
            if (!fpu_unmasked(env, FSW_IE)) {
                st_set(env, 0, reg_indefinite);
            }
            return;
        }
        env->fpus &= ~FSW_C1;
        if (op == 0x20) {
            st_reg(env, 0)->sign_exp ^= 0x8000;
        } else {
            st_reg(env, 0)->sign_exp &= 0x7fff;
        }
        return;
    case 0x24: {    /* FTST */
        X86FPReg zero = { 0, 0 };
        fpu_do_compare(env, &c, zero, false, false, 0);
        return;
    }
    case 0x25:      /* FXAM */
        fpu_fxam(env);
        return;
    case 0x28 ... 0x2e: {   /* FLD1 .. FLDZ */
        int rc = (env->fpuc >> 10) & 3;
        X86FPReg k = ld_to_reg(fpu_constants[op - 0x28]);
        /* the rounded constants are the round-to-nearest ones; directed
         * modes round L2T, L2E, PI, LG2, LN2 down when that differs */
        if ((op == 0x2a || op == 0x2b) && (rc == X86_RC_DOWN || rc == X86_RC_ZERO)) {
            k.mant--;
        }
        if ((op == 0x29) && rc == X86_RC_UP) {
            k.mant++;
        }
        if ((op == 0x2c || op == 0x2d) && (rc == X86_RC_DOWN || rc == X86_RC_ZERO)) {
            k.mant--;
        }
        fpu_push(env, k);
        return;
    }
    case 0x36:  /* FDECSTP */
        env->fpus &= ~FSW_C1;
        env->fpstt = (env->fpstt - 1) & 7;
        return;
    case 0x37:  /* FINCSTP */
        env->fpus &= ~FSW_C1;
        env->fpstt = (env->fpstt + 1) & 7;
        return;
    case 0x31: case 0x33: case 0x35: case 0x38: case 0x39: case 0x3d:
        two_in = true;
        break;
    case 0x30: case 0x32: case 0x34: case 0x3a: case 0x3b: case 0x3c:
    case 0x3e: case 0x3f:
        break;
    default:
        raise_exception(env, EXCP06_ILLOP);
    }

    /* ST(0) (and ST(1)) in, results out. */
    if (st_empty(env, 0) || (two_in && st_empty(env, 1))) {
        fpu_underflow(env);
        return;
    }
    x = reg_to_ld(st_reg(env, 0));
    y = two_in ? reg_to_ld(st_reg(env, 1)) : 0;
    if (reg_is_denormal(*st_reg(env, 0)) || (two_in && reg_is_denormal(*st_reg(env, 1)))) {
        c.flags |= FSW_DE;
    }
    env->fpus &= ~(FSW_C1 | FSW_C2);
    fpu_begin(&c, env);
    switch (op) {
    case 0x30:  /* F2XM1 */
        r = exp2l(x) - 1;
        fpu_end(&c);
        st_set(env, 0, ld_to_reg(r));
        break;
    case 0x31:  /* FYL2X: ST(1) = ST(1) * log2(ST(0)), pop */
        r = y * log2l(x);
        fpu_end(&c);
        if (!fpu_unmasked(env, c.flags & (FSW_IE | FSW_ZE))) {
            st_set(env, 1, ld_to_reg(r));
            fpu_pop(env);
        }
        break;
    case 0x39:  /* FYL2XP1 */
        r = y * (log1pl(x) / 0.693147180559945309417232121458176568L);
        fpu_end(&c);
        if (!fpu_unmasked(env, c.flags & FSW_IE)) {
            st_set(env, 1, ld_to_reg(r));
            fpu_pop(env);
        }
        break;
    case 0x32:  /* FPTAN: ST(0) = tan, push 1 */
        if (fabsl(x) >= 0x1p63L) {
            fpu_end(&c);
            env->fpus |= FSW_C2;
            break;
        }
        r = tanl(x);
        fpu_end(&c);
        st_set(env, 0, ld_to_reg(r));
        fpu_push(env, ld_to_reg(1.0L));
        break;
    case 0x33:  /* FPATAN: ST(1) = atan2(ST(1), ST(0)), pop */
        r = atan2l(y, x);
        fpu_end(&c);
        st_set(env, 1, ld_to_reg(r));
        fpu_pop(env);
        break;
    case 0x34: {    /* FXTRACT: ST(0) = exponent, push significand */
        int e;
        if (x == 0) {
            fpu_end(&c);
            c.flags |= FSW_ZE;
            st_set(env, 0, ld_to_reg(-INFINITY));
            fpu_push(env, ld_to_reg(x));
            break;
        }
        if (isinf(x) || isnan(x)) {
            fpu_end(&c);
            st_set(env, 0, ld_to_reg(isnan(x) ? x : INFINITY));
            fpu_push(env, ld_to_reg(x));
            break;
        }
        r = frexpl(x, &e);
        fpu_end(&c);
        st_set(env, 0, ld_to_reg((long double)(e - 1)));
        fpu_push(env, ld_to_reg(r * 2));
        break;
    }
    case 0x35:  /* FPREM1 */
    case 0x38: {    /* FPREM */
        /* Partial remainder: at most 63 exponent bits per step; C2 set
         * while incomplete; C0 C3 C1 = quotient bits 2 1 0. */
        int ex, ey;
        frexpl(x, &ex);
        frexpl(y, &ey);
        if (isnan(x) || isnan(y) || isinf(x) || y == 0) {
            r = op == 0x38 ? fmodl(x, y) : remainderl(x, y);
            fpu_end(&c);
            if (isinf(x) || y == 0) {
                c.flags |= FSW_IE;
                r = reg_to_ld(&reg_indefinite);
            }
            if (!fpu_unmasked(env, c.flags & FSW_IE)) {
                st_set(env, 0, ld_to_reg(r));
            }
            break;
        }
        if (ex - ey < 64) {
            long double q;
            uint64_t qi;
            r = op == 0x38 ? fmodl(x, y) : remainderl(x, y);
            q = (x - r) / y;
            q = roundl(q);
            qi = (uint64_t)fabsl(q);
            fpu_end(&c);
            c.flags &= ~(FSW_PE | FSW_UE);
            env->fpus &= ~(FSW_C0 | FSW_C3 | FSW_C1);
            env->fpus |= (qi & 4 ? FSW_C0 : 0) | (qi & 2 ? FSW_C3 : 0) |
                         (qi & 1 ? FSW_C1 : 0);
            st_set(env, 0, ld_to_reg(r));
        } else {
            /* reduce by y * 2^(ex - ey - n), n in 32..63 */
            int n = 32 + ((ex - ey) % 32);
            long double yy = ldexpl(fabsl(y), ex - ey - n);
            r = fmodl(x, yy);
            fpu_end(&c);
            c.flags &= ~(FSW_PE | FSW_UE);
            env->fpus |= FSW_C2;
            st_set(env, 0, ld_to_reg(r));
        }
        break;
    }
    case 0x3a:  /* FSQRT */
        if (reg_is_nan(*st_reg(env, 0))) {
            X86FPReg n = fpu_nan2(&c, *st_reg(env, 0), *st_reg(env, 0));
            fpu_end(&c);
            st_set(env, 0, n);
            break;
        }
        r = fpu_precision(env, sqrtl(x));
        if (fetestexcept(FE_INEXACT) && ((env->fpuc >> 10) & 3) == X86_RC_NEAREST &&
            ((env->fpuc >> 8) & 3) == 3) {
            int saved = fetestexcept(FE_ALL_EXCEPT);
            long double err = -fmal(r, r, -x);
            feclearexcept(FE_ALL_EXCEPT);
            feraiseexcept(saved);
            fpu_c1_from_error(&c, r, err);
        } else if (fetestexcept(FE_INEXACT) && ((env->fpuc >> 10) & 3) == X86_RC_UP) {
            env->fpus |= FSW_C1;
        }
        fpu_end(&c);
        if (!fpu_unmasked(env, c.flags & (FSW_IE | FSW_DE))) {
            st_set(env, 0, ld_to_reg(r));
        }
        break;
    case 0x3b:  /* FSINCOS */
        if (fabsl(x) >= 0x1p63L) {
            fpu_end(&c);
            env->fpus |= FSW_C2;
            break;
        }
        r = sinl(x);
        r2 = cosl(x);
        fpu_end(&c);
        st_set(env, 0, ld_to_reg(r));
        fpu_push(env, ld_to_reg(r2));
        break;
    case 0x3c:  /* FRNDINT */
        r = fpu_precision(env, nearbyintl(x));
        fpu_end(&c);
        if (r != x && isfinite(x)) {
            c.flags |= FSW_PE;
            if (fabsl(r) > fabsl(x)) {
                env->fpus |= FSW_C1;
            }
        }
        if (reg_is_snan(*st_reg(env, 0))) {
            X86FPReg q = *st_reg(env, 0);
            c.flags |= FSW_IE;
            q.mant |= 1ull << 62;
            r = reg_to_ld(&q);
        }
        st_set(env, 0, ld_to_reg(r));
        break;
    case 0x3d: {    /* FSCALE: ST(0) * 2^trunc(ST(1)) */
        long double t = truncl(y);
        if (isnan(x) || isnan(y)) {
            X86FPReg n = fpu_nan2(&c, *st_reg(env, 0), *st_reg(env, 1));
            fpu_end(&c);
            st_set(env, 0, n);
            break;
        }
        if (isinf(t)) {
            if ((t > 0 && x == 0) || (t < 0 && isinf(x))) {
                fpu_end(&c);
                c.flags |= FSW_IE;
                st_set(env, 0, reg_indefinite);
                break;
            }
            r = t > 0 ? (x == 0 ? x : copysignl(INFINITY, x)) : copysignl(0.0L, x);
            if (isinf(x)) {
                r = x;
            }
        } else {
            long n = t > 100000 ? 100000 : t < -100000 ? -100000 : (long)t;
            r = scalbnl(x, (int)n);
        }
        fpu_end(&c);
        st_set(env, 0, ld_to_reg(r));
        break;
    }
    case 0x3e:  /* FSIN */
    case 0x3f:  /* FCOS */
        if (fabsl(x) >= 0x1p63L) {
            fpu_end(&c);
            env->fpus |= FSW_C2;
            break;
        }
        r = op == 0x3e ? sinl(x) : cosl(x);
        fpu_end(&c);
        st_set(env, 0, ld_to_reg(r));
        break;
    }
    fpu_set_flags(env, c.flags);
}

/* The arithmetic row of D8/DC/DA/DE memory forms and D8 register forms. */
static void fpu_arith_mem(CPUX86State *env, const DecodedInsn *d, X86FPReg src)
{
    FPUCtx c = { .env = env };
    int op = d->modrm_reg3;

    if (op == FPU_COM || op == FPU_COMP) {
        fpu_do_compare(env, &c, src, false, false, op == FPU_COMP);
    } else {
        fpu_do_arith(env, &c, op, 0, src, false, false);
    }
}

static X86FPReg fpu_load_int(CPUX86State *env, uint64_t addr, int ot)
{
    return ld_to_reg((long double)sext(ld(env, addr, ot), ot));
}

/* FBLD / FBSTP: 18 packed BCD digits and a sign byte. */
static X86FPReg fpu_load_bcd(CPUX86State *env, uint64_t addr)
{
    long double v = 0;
    for (int i = 8; i >= 0; i--) {
        uint8_t b = ld(env, addr + i, MO_8);
        v = v * 100 + (b >> 4) * 10 + (b & 15);
    }
    if (ld(env, addr + 9, MO_8) & 0x80) {
        v = -v;
    }
    return ld_to_reg(v);
}

static bool fpu_store_bcd(FPUCtx *c, CPUX86State *env, uint64_t addr, X86FPReg v)
{
    long double x = reg_to_ld(&v), r;
    uint64_t n;
    uint8_t out[10] = { 0 };

    fpu_begin(c, env);
    r = nearbyintl(x);
    fpu_end(c);
    c->flags &= ~(FSW_UE | FSW_OE);
    if (reg_is_nan(v) || isinf(x) || fabsl(r) >= 1e18L) {
        c->flags |= FSW_IE;
        if (fpu_unmasked(env, FSW_IE)) {
            return false;
        }
        /* the packed BCD indefinite */
        memset(out + 7, 0xff, 3);
        out[7] = 0xc0;
        out[8] = 0xff;
        out[9] = 0xff;
        memset(out, 0, 7);
    } else {
        if (r != x) {
            c->flags |= FSW_PE;
        }
        n = (uint64_t)fabsl(r);
        for (int i = 0; i < 9; i++) {
            out[i] = (n % 10) | ((n / 10 % 10) << 4);
            n /= 100;
        }
        out[9] = signbit(r) ? 0x80 : 0;
    }
    for (int i = 0; i < 10; i++) {
        st(env, addr + i, out[i], MO_8);
    }
    return true;
}

static void fpu_mem(CPUX86State *env, const DecodedInsn *d)
{
    int esc = d->opcode & 7, op = d->modrm_reg3;
    uint64_t addr = d->addr(env, d);
    FPUCtx c = { .env = env };
    X86FPReg v;

    switch (esc) {
    case 0:     /* D8: m32real arithmetic */
        v = fpu_load_real(&c, env, addr, 4);
        fpu_arith_mem_flags:
        fpu_set_flags(env, c.flags);
        if (fpu_unmasked(env, c.flags)) {
            return;
        }
        fpu_arith_mem(env, d, v);
        return;
    case 4:     /* DC: m64real arithmetic */
        v = fpu_load_real(&c, env, addr, 8);
        goto fpu_arith_mem_flags;
    case 2:     /* DA: m32int arithmetic */
        fpu_arith_mem(env, d, fpu_load_int(env, addr, MO_32));
        return;
    case 6:     /* DE: m16int arithmetic */
        fpu_arith_mem(env, d, fpu_load_int(env, addr, MO_16));
        return;
    case 1:
        switch (op) {
        case 0:     /* FLD m32 */
            v = fpu_load_real(&c, env, addr, 4);
            fpu_set_flags(env, c.flags);
            if (!fpu_unmasked(env, c.flags)) {
                fpu_push(env, v);
            }
            return;
        case 2:     /* FST m32 */
        case 3:     /* FSTP m32 */
            if (st_empty(env, 0)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                st(env, addr, 0xffc00000, MO_32);
            } else {
                bool ok = fpu_store_real(&c, env, addr, 4, *st_reg(env, 0));
                fpu_set_flags(env, c.flags);
                if (!ok) {
                    return;
                }
            }
            if (op == 3) {
                fpu_pop(env);
            }
            return;
        case 4:     /* FLDENV */
            fpu_load_env(env, d, addr);
            return;
        case 5: {   /* FLDCW */
            uint16_t cw = ld(env, addr, MO_16);
            env->fpuc = (cw & 0x1f7f) | 0x40;
            fpu_set_fsw(env, fpu_get_fsw(env));
            return;
        }
        case 6:     /* FNSTENV: then mask every exception */
            fpu_store_env(env, d, addr);
            env->fpuc |= 0x3f;
            return;
        case 7:     /* FNSTCW */
            st(env, addr, env->fpuc, MO_16);
            return;
        }
        break;
    case 3:
        switch (op) {
        case 0:     /* FILD m32 */
            fpu_push(env, fpu_load_int(env, addr, MO_32));
            return;
        case 1:     /* FISTTP m32 */
        case 2:     /* FIST m32 */
        case 3:     /* FISTP m32 */
            goto fist;
        case 5:     /* FLD m80 */
            fpu_push(env, fpu_load_real(&c, env, addr, 10));
            return;
        case 7:     /* FSTP m80 */
            if (st_empty(env, 0)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                fpu_store_real(&c, env, addr, 10, reg_indefinite);
            } else {
                fpu_store_real(&c, env, addr, 10, *st_reg(env, 0));
            }
            fpu_pop(env);
            return;
        }
        break;
    case 5:
        switch (op) {
        case 0:     /* FLD m64 */
            v = fpu_load_real(&c, env, addr, 8);
            fpu_set_flags(env, c.flags);
            if (!fpu_unmasked(env, c.flags)) {
                fpu_push(env, v);
            }
            return;
        case 1:     /* FISTTP m64 */
            goto fist;
        case 2:     /* FST m64 */
        case 3:     /* FSTP m64 */
            if (st_empty(env, 0)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                st(env, addr, 0xfff8000000000000ull, MO_64);
            } else {
                bool ok = fpu_store_real(&c, env, addr, 8, *st_reg(env, 0));
                fpu_set_flags(env, c.flags);
                if (!ok) {
                    return;
                }
            }
            if (op == 3) {
                fpu_pop(env);
            }
            return;
        case 4: {   /* FRSTOR */
            int off = fpu_load_env(env, d, addr);
            for (int i = 0; i < 8; i++) {
                X86FPReg *r = &env->fpregs[st_index(env, i)];
                uint64_t a = (addr + off + 10 * i) & d->lmask;
                r->mant = ld(env, a, MO_64);
                r->sign_exp = ld(env, (a + 8) & d->lmask, MO_16);
            }
            return;
        }
        case 6: {   /* FNSAVE: then FNINIT */
            int off = fpu_store_env(env, d, addr);
            for (int i = 0; i < 8; i++) {
                X86FPReg *r = &env->fpregs[st_index(env, i)];
                uint64_t a = (addr + off + 10 * i) & d->lmask;
                st(env, a, r->mant, MO_64);
                st(env, (a + 8) & d->lmask, r->sign_exp, MO_16);
            }
            fpu_reset(env);
            return;
        }
        case 7:     /* FNSTSW m16 */
            st(env, addr, fpu_get_fsw(env), MO_16);
            return;
        }
        break;
    case 7:
        switch (op) {
        case 0:     /* FILD m16 */
            fpu_push(env, fpu_load_int(env, addr, MO_16));
            return;
        case 1: case 2: case 3: case 7:
            goto fist;
        case 4:     /* FBLD */
            fpu_push(env, fpu_load_bcd(env, addr));
            return;
        case 5:     /* FILD m64 */
            fpu_push(env, fpu_load_int(env, addr, MO_64));
            return;
        case 6:     /* FBSTP */
            if (st_empty(env, 0)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                fpu_store_bcd(&c, env, addr, reg_indefinite);
            } else {
                bool ok = fpu_store_bcd(&c, env, addr, *st_reg(env, 0));
                fpu_set_flags(env, c.flags);
                if (!ok) {
                    return;
                }
            }
            fpu_pop(env);
            return;
        }
        break;
    }
    raise_exception(env, EXCP06_ILLOP);

fist: {
        /* DB: m32, DD /1: m64 (FISTTP), DF: m16 (/7: m64) */
        int ot = esc == 3 ? MO_32 : esc == 5 ? MO_64 : op == 7 ? MO_64 : MO_16;
        bool trunc = op == 1, pop = op != 2;
        if (st_empty(env, 0)) {
            fpu_underflow(env);
            if (fpu_unmasked(env, FSW_IE)) {
                return;
            }
            st(env, addr, 1ull << ((8 << ot) - 1), ot);
        } else {
            bool ok = fpu_store_int(&c, env, addr, ot, *st_reg(env, 0), trunc);
            fpu_set_flags(env, c.flags);
            if (!ok) {
                return;
            }
        }
        if (pop) {
            fpu_pop(env);
        }
    }
}

static void fpu_reg(CPUX86State *env, const DecodedInsn *d)
{
    int esc = d->opcode & 7, op = d->modrm_reg3, i = d->rm & 7;
    FPUCtx c = { .env = env };

    switch (esc) {
    case 0:     /* D8: ST(0) = ST(0) op ST(i) */
        if (op == FPU_COM || op == FPU_COMP) {
            fpu_do_compare(env, &c, *st_reg(env, i), st_empty(env, i), false,
                           op == FPU_COMP);
        } else {
            fpu_do_arith(env, &c, op, 0, *st_reg(env, i), st_empty(env, i), false);
        }
        return;
    case 4:     /* DC: ST(i) = ST(i) op ST(0), SUB/SUBR and DIV/DIVR swapped */
    case 6:     /* DE: the same, then pop */
        if (op == FPU_COM || op == FPU_COMP) {
            if (esc == 6 && op == FPU_COMP && i == 1) {     /* FCOMPP */
                fpu_do_compare(env, &c, *st_reg(env, 1), st_empty(env, 1), false, 2);
                return;
            }
            if (esc == 4) {     /* FCOM2 / FCOMP3 aliases */
                fpu_do_compare(env, &c, *st_reg(env, i), st_empty(env, i), false,
                               op == FPU_COMP);
                return;
            }
            if (op == FPU_COM) {    /* DE D0+i: FCOMP5 alias */
                fpu_do_compare(env, &c, *st_reg(env, i), st_empty(env, i), false, 1);
                return;
            }
            break;
        }
        fpu_do_arith(env, &c, op >= 4 ? op ^ 1 : op, i, *st_reg(env, 0),
                     st_empty(env, 0), esc == 6);
        return;
    case 1:
        switch (op) {
        case 0: {   /* FLD ST(i) */
            X86FPReg v = *st_reg(env, i);
            if (st_empty(env, i)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                v = reg_indefinite;
            }
            fpu_push(env, v);
            return;
        }
        case 1: {   /* FXCH */
            X86FPReg a = *st_reg(env, 0), b = *st_reg(env, i);
            env->fpus &= ~FSW_C1;
            if (st_empty(env, 0) || st_empty(env, i)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                if (st_empty(env, 0)) {
                    a = reg_indefinite;
                }
                if (st_empty(env, i)) {
                    b = reg_indefinite;
                }
            }
            st_set(env, 0, b);
            st_set(env, i, a);
            return;
        }
        case 2:     /* FNOP */
            if (i == 0) {
                return;
            }
            break;
        case 3:     /* FSTP1 alias */
            goto fstp;
        default:
            fpu_d9_special(env, d);
            return;
        }
        break;
    case 2:
    case 3:
        if (op < 4) {   /* FCMOVcc: DA B/E/BE/U, DB the negations */
            static const uint8_t cc[4] = { 2, 4, 6, 10 };   /* Jcc codes B E BE P */
            bool cond = x86_check_cc(env, cc[op]);
            if (esc == 3) {
                cond = !cond;
            }
            if (st_empty(env, 0) || st_empty(env, i)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                if (cond || st_empty(env, 0)) {
                    st_set(env, 0, reg_indefinite);
                }
                return;
            }
            env->fpus &= ~FSW_C1;
            if (cond) {
                st_set(env, 0, *st_reg(env, i));
            }
            return;
        }
        if (esc == 2 && op == 5 && i == 1) {    /* FUCOMPP */
            fpu_do_compare(env, &c, *st_reg(env, 1), st_empty(env, 1), true, 2);
            return;
        }
        if (esc == 3 && op == 4) {
            switch (i) {
            case 0: case 1: case 4:     /* FENI, FDISI, FSETPM: 8087/287 only */
                return;
            case 2:     /* FNCLEX */
                env->fpus &= ~(0x3f | FSW_SF | FSW_ES | FSW_B);
                return;
            case 3:     /* FNINIT */
                fpu_reset(env);
                return;
            }
            break;
        }
        if (esc == 3 && (op == 5 || op == 6)) {    /* FUCOMI / FCOMI */
            fpu_do_comi(env, i, op == 5, false);
            return;
        }
        break;
    case 5:
        switch (op) {
        case 0:     /* FFREE */
            env->fptags |= 1u << st_index(env, i);
            return;
        case 1: {   /* FXCH4 alias */
            X86FPReg a = *st_reg(env, 0), b = *st_reg(env, i);
            st_set(env, 0, b);
            st_set(env, i, a);
            return;
        }
        case 2:     /* FST ST(i) */
        case 3:     /* FSTP ST(i) */
        fstp:
            if (st_empty(env, 0)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                st_set(env, i, reg_indefinite);
            } else {
                env->fpus &= ~FSW_C1;
                st_set(env, i, *st_reg(env, 0));
            }
            if (op != 2) {
                fpu_pop(env);
            }
            return;
        case 4:     /* FUCOM */
        case 5:     /* FUCOMP */
            fpu_do_compare(env, &c, *st_reg(env, i), st_empty(env, i), true, op == 5);
            return;
        }
        break;
    case 7:
        if (op == 4 && i == 0) {    /* FNSTSW AX */
            set_reg(env, MO_16, R_EAX, fpu_get_fsw(env));
            return;
        }
        if (op == 5 || op == 6) {   /* FUCOMIP / FCOMIP */
            fpu_do_comi(env, i, op == 5, true);
            return;
        }
        if (op == 0) {  /* FFREEP */
            env->fptags |= 1u << st_index(env, i);
            fpu_pop(env);
            return;
        }
        if (op == 1) {  /* FXCH7 alias */
            X86FPReg a = *st_reg(env, 0), b = *st_reg(env, i);
            st_set(env, 0, b);
            st_set(env, i, a);
            return;
        }
        if (op == 2 || op == 3) {   /* FSTP8/FSTP9 aliases */
            goto fstp;
        }
        break;
    }
    raise_exception(env, EXCP06_ILLOP);
}

/* Control instructions that neither wait for pending exceptions nor
 * update FOP/FIP/FDP. */
static bool fpu_is_control(const DecodedInsn *d)
{
    int esc = d->opcode & 7, op = d->modrm_reg3;

    if (d->mod != 3) {
        return (esc == 1 && op >= 4) || (esc == 5 && (op == 4 || op == 6 || op == 7));
    }
    return (esc == 3 && op == 4 && ((d->rm & 7) == 2 || (d->rm & 7) == 3)) ||
           (esc == 7 && op == 4 && (d->rm & 7) == 0);
}

static void fpu_insn(CPUX86State *env, const DecodedInsn *d)
{
    bool control = fpu_is_control(d);

    fpu_prepare(env, d, !control);
    if (!control) {
        fpu_note_insn(env, d);
    }
    if (d->mod == 3) {
        fpu_reg(env, d);
    } else {
        fpu_mem(env, d);
    }
    next_insn(env, d);
}
GEN_FAMILY_ONE(fpu, fpu_insn)

/* WAIT/FWAIT: #NM when both CR0.TS and CR0.MP; #MF if one is pending. */
static void fwait(CPUX86State *env, const DecodedInsn *d)
{
    if ((env->cr[0] & (CR0_TS_MASK | CR0_MP_MASK)) == (CR0_TS_MASK | CR0_MP_MASK)) {
        raise_exception(env, EXCP07_PREX);
    }
    if (env->fpus & FSW_ES) {
        x86_fpu_raise_pending(env);
    }
    next_insn(env, d);
}
GEN_FAMILY_ONE(fwait, fwait)
