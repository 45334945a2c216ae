/*
 * SSE scalar floating-point element operations, instantiated twice by
 * ops-sse.c: FP_BITS 32 (single, suffix _s) and 64 (double, suffix _d).
 *
 * Each takes and returns raw bits so NaN payloads survive exactly.  The
 * host computes the IEEE result (rounding mode and the IE/ZE/OE/UE/PE
 * flags come through fenv, see fp_begin/fp_end); x86 specifics are done
 * here: NaN propagation (the first source operand's NaN wins, quieted),
 * the denormal-operand flag, DAZ and FTZ.
 */
#if FP_BITS == 32
#define UT uint32_t
#define FT float
#define SFX(x) x##_s
#define F_SIGN 0x80000000u
#define F_EXP  0x7f800000u
#define F_MANT 0x007fffffu
#define F_QUIET 0x00400000u
#define F_INDEF_INT32 0x80000000u
#else
#define UT uint64_t
#define FT double
#define SFX(x) x##_d
#define F_SIGN 0x8000000000000000ull
#define F_EXP  0x7ff0000000000000ull
#define F_MANT 0x000fffffffffffffull
#define F_QUIET 0x0008000000000000ull
#endif

static inline FT SFX(fp_f)(UT u)
{
    FT f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

static inline UT SFX(fp_u)(FT f)
{
    UT u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

static inline bool SFX(fp_isnan)(UT u)
{
    return (u & F_EXP) == F_EXP && (u & F_MANT);
}

static inline bool SFX(fp_issnan)(UT u)
{
    return SFX(fp_isnan)(u) && !(u & F_QUIET);
}

static inline bool SFX(fp_isdenormal)(UT u)
{
    return !(u & F_EXP) && (u & F_MANT);
}

/* A source operand: DAZ turns a denormal into a signed zero, otherwise
 * it raises DE. */
static inline UT SFX(fp_in)(SSECtx *c, UT u)
{
    if (SFX(fp_isdenormal)(u)) {
        if (c->env->mxcsr & MXCSR_DAZ) {
            return u & F_SIGN;
        }
        c->flags |= MXCSR_DE;
    }
    return u;
}

/* A result: with FTZ and underflow masked, a denormal becomes zero. */
static inline UT SFX(fp_out)(SSECtx *c, FT f)
{
    UT u = SFX(fp_u)(f);
    if (unlikely(SFX(fp_isdenormal)(u))) {
        if (!(c->env->mxcsr & (MXCSR_UE << MXCSR_MASK_SHIFT))) {
            /* unmasked underflow reports tininess even when exact */
            c->flags |= MXCSR_UE;
        } else if (c->env->mxcsr & MXCSR_FTZ) {
            c->flags |= MXCSR_UE | MXCSR_PE;
            return u & F_SIGN;
        }
    }
    return u;
}

/* DAZ alone, without reporting DE (NaN and MIN/MAX paths). */
static inline UT SFX(fp_daz)(SSECtx *c, UT u)
{
    if ((c->env->mxcsr & MXCSR_DAZ) && SFX(fp_isdenormal)(u)) {
        return u & F_SIGN;
    }
    return u;
}

/* NaN operands: the first NaN source wins, quieted; SNaN raises IE. */
static inline UT SFX(fp_nan2)(SSECtx *c, UT a, UT b)
{
    if (SFX(fp_issnan)(a) || SFX(fp_issnan)(b)) {
        c->flags |= MXCSR_IE;
    }
    return (SFX(fp_isnan)(a) ? a : b) | F_QUIET;
}

static inline UT SFX(fp_arith)(SSECtx *c, int op, UT a, UT b)
{
    volatile FT x, y, r;

    if (SFX(fp_isnan)(a) || SFX(fp_isnan)(b)) {
        return SFX(fp_nan2)(c, a, b);
    }
    if (op == FOP_DIV && !(SFX(fp_daz)(c, b) << 1)) {
        /* division by zero takes precedence over a denormal dividend */
        uint32_t saved = c->flags;
        x = SFX(fp_f)(SFX(fp_in)(c, a));
        c->flags = saved;
    } else {
        x = SFX(fp_f)(SFX(fp_in)(c, a));
    }
    y = SFX(fp_f)(SFX(fp_in)(c, b));
    switch (op) {
    case FOP_ADD: r = x + y; break;
    case FOP_SUB: r = x - y; break;
    case FOP_MUL: r = x * y; break;
    default: r = x / y; break;
    }
    return SFX(fp_out)(c, r);
}

static inline UT SFX(fp_sqrt)(SSECtx *c, UT a)
{
    volatile FT x, r;

    if (SFX(fp_isnan)(a)) {
        return SFX(fp_nan2)(c, a, a);
    }
    a = SFX(fp_daz)(c, a);
    if ((a & F_SIGN) && (a << 1)) {
        /* invalid: a negative operand, even a denormal, is not DE */
        x = SFX(fp_f)(a);
    } else {
        x = SFX(fp_f)(SFX(fp_in)(c, a));
    }
    r = x;
    r = sizeof(FT) == 4 ? sqrtf(r) : sqrt(r);
    return SFX(fp_out)(c, r);
}

/* MIN/MAX: any NaN (even quiet) is invalid and returns the second
 * operand; so do two zeros of either sign. */
static inline UT SFX(fp_minmax)(SSECtx *c, UT a, UT b, bool max)
{
    FT x, y;

    if (SFX(fp_isnan)(a) || SFX(fp_isnan)(b)) {
        c->flags |= MXCSR_IE;
        return SFX(fp_daz)(c, b);
    }
    a = SFX(fp_in)(c, a);
    b = SFX(fp_in)(c, b);
    x = SFX(fp_f)(a);
    y = SFX(fp_f)(b);
    if (max ? x > y : x < y) {
        return a;
    }
    return b;
}

/* CMPPS predicates 0-7; LT/LE/NLT/NLE signal on quiet NaNs too. */
static inline bool SFX(fp_cmp)(SSECtx *c, int pred, UT a, UT b)
{
    bool unord = SFX(fp_isnan)(a) || SFX(fp_isnan)(b);
    FT x, y;

    if (unord) {
        bool signal = (pred & 3) == 1 || (pred & 3) == 2;
        if (signal || SFX(fp_issnan)(a) || SFX(fp_issnan)(b)) {
            c->flags |= MXCSR_IE;
        }
    } else {
        a = SFX(fp_in)(c, a);
        b = SFX(fp_in)(c, b);
    }
    x = SFX(fp_f)(a);
    y = SFX(fp_f)(b);
    switch (pred & 7) {
    case 0: return !unord && x == y;
    case 1: return !unord && x < y;
    case 2: return !unord && x <= y;
    case 3: return unord;
    case 4: return unord || x != y;
    case 5: return unord || !(x < y);
    case 6: return unord || !(x <= y);
    default: return !unord;
    }
}

/* COMIS / UCOMIS: ZF PF CF = 111 unordered, 100 equal, 001 less. */
static inline uint32_t SFX(fp_comi)(SSECtx *c, UT a, UT b, bool quiet)
{
    FT x, y;

    if (SFX(fp_isnan)(a) || SFX(fp_isnan)(b)) {
        if (!quiet || SFX(fp_issnan)(a) || SFX(fp_issnan)(b)) {
            c->flags |= MXCSR_IE;
        }
        return CC_Z | CC_P | CC_C;
    }
    x = SFX(fp_f)(SFX(fp_in)(c, a));
    y = SFX(fp_f)(SFX(fp_in)(c, b));
    if (x == y) {
        return CC_Z;
    }
    return x < y ? CC_C : 0;
}

/*
 * Float -> integer of `bits` bits, rounding by MXCSR.RC (or toward zero
 * for the CVTT forms).  NaN and out-of-range give the "integer indefinite"
 * (only the sign bit set) and IE.
 */
static inline uint64_t SFX(fp_to_int)(SSECtx *c, UT a, int bits, bool trunc)
{
    uint64_t indef = 1ull << (bits - 1);
    long double x, r, lim = ldexpl(1.0L, bits - 1);
    fexcept_t saved;

    if (SFX(fp_isnan)(a)) {
        c->flags |= MXCSR_IE;
        return indef;
    }
    a = SFX(fp_in)(c, a);
    c->flags &= ~MXCSR_DE;   /* conversions to integer never report DE */
    x = SFX(fp_f)(a);
    /* libm's truncl may raise inexact: the flags are decided here */
    fegetexceptflag(&saved, FE_ALL_EXCEPT);
    r = trunc ? truncl(x) : nearbyintl(x);
    fesetexceptflag(&saved, FE_ALL_EXCEPT);
    if (r >= lim || r < -lim) {
        c->flags |= MXCSR_IE;
        return indef;
    }
    if (r != x) {
        c->flags |= MXCSR_PE;
    }
    return (uint64_t)(int64_t)r;
}

static inline UT SFX(fp_from_int)(SSECtx *c, int64_t v)
{
    volatile int64_t src = v;
    volatile FT r = (FT)src;
    return SFX(fp_u)(r);
}

/*
 * ROUNDPS/ROUNDSS: imm bits 1:0 the mode unless bit 2 says "use MXCSR",
 * bit 3 suppresses the precision exception.  SNaN still raises IE.
 */
static inline UT SFX(fp_round)(SSECtx *c, UT a, int imm)
{
    int rc = (imm & 4) ? (c->env->mxcsr >> MXCSR_RC_SHIFT) & 3 : imm & 3;
    fexcept_t saved;
    FT x, r;

    if (SFX(fp_isnan)(a)) {
        return SFX(fp_nan2)(c, a, a);
    }
    a = SFX(fp_in)(c, a);
    c->flags &= ~MXCSR_DE;   /* ROUND* never reports DE */
    x = SFX(fp_f)(a);
    /* libm may raise inexact: the flags are decided here */
    fegetexceptflag(&saved, FE_ALL_EXCEPT);
    switch (rc) {
    case X86_RC_NEAREST: r = sizeof(FT) == 4 ? roundevenf(x) : roundeven(x); break;
    case X86_RC_DOWN: r = sizeof(FT) == 4 ? floorf(x) : floor(x); break;
    case X86_RC_UP: r = sizeof(FT) == 4 ? ceilf(x) : ceil(x); break;
    default: r = sizeof(FT) == 4 ? truncf(x) : trunc(x); break;
    }
    fesetexceptflag(&saved, FE_ALL_EXCEPT);
    /* the result keeps the sign (some libms lose it in directed modes) */
    r = sizeof(FT) == 4 ? copysignf(r, x) : copysign(r, x);
    if (r != x && !(imm & 8)) {
        c->flags |= MXCSR_PE;
    }
    return SFX(fp_u)(r);
}

#undef UT
#undef FT
#undef SFX
#undef F_SIGN
#undef F_EXP
#undef F_MANT
#undef F_QUIET
#undef F_INDEF_INT32
