/*
 * x87 floating point, and the FXSAVE image shared with SSE.
 *
 * Registers are kept as raw 80-bit values (env->fpregs, physical order;
 * ST(i) is fpregs[(TOP + i) & 7]).  Stack, tags, exceptions and state
 * images are handled here; the arithmetic itself (including rounding and
 * precision control, C1, conversions and the transcendentals) runs on the
 * host's x87, so this file needs an x86 host.
 *
 * Unmasked exceptions set FSW.ES; the next waiting x87 instruction (or
 * WAIT, or an MMX instruction) then raises #MF when CR0.NE is set.  With
 * CR0.NE clear the PC signals FERR# via IRQ 13, which is not modelled:
 * the exception just stays pending.  Unmasked overflow/underflow store
 * the unscaled result.
 */
#include "util/osdep.h"
#include <float.h>
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
        /* the offset: tag and 4 GiB wrap go outside 64-bit mode */
        env->fpdp = d->addr(env, d) - env->segs[d->seg].base;
        if (!(env->hflags & HF_CS64_MASK)) {
            env->fpdp = (uint32_t)env->fpdp;
        }
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

/* ---- the host x87 ------------------------------------------------------ */
/*
 * Arithmetic runs on the host's own x87 (this file needs an x86 host
 * anyway for its long double): the guest's operands are loaded with FLD
 * m80 (which never raises), one instruction runs under the guest's
 * rounding and precision control with every exception masked, and its
 * status word gives the flags, C0-C3 and the masked result exactly as a
 * real x87 produces them.  The guest's masks are applied afterwards.
 */
typedef struct HostX87 {
    FPU80 a, b;         /* in: ST(0), ST(1) */
    FPU80 r0, r1;       /* out: ST(0), ST(1) */
    uint16_t cw, sw, sw0, old;
    uint16_t m16;       /* memory operands of conversions */
    uint32_t m32;
    uint64_t m64;
    uint8_t m80[10];
} HostX87;

#define HX_ASM(in, insn, out) \
    __asm__ volatile(in \
                     "fnstsw %[sw0]\n\t" insn "\n\tfnstsw %[sw]\n\t" out \
                     "fldcw %[old]" \
                     : [sw] "=m"(h->sw), [sw0] "=m"(h->sw0), [r0] "=m"(h->r0.d), \
                       [r1] "=m"(h->r1.d), [m16] "+m"(h->m16), \
                       [m32] "+m"(h->m32), [m64] "+m"(h->m64), [m80] "+m"(h->m80) \
                     : [a] "m"(h->a.d), [b] "m"(h->b.d), [old] "m"(h->old) \
                     : "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", \
                       "st(6)", "st(7)", "memory")
#define IN0 ""
#define IN1 "fldt %[a]\n\t"
#define IN2 "fldt %[b]\n\tfldt %[a]\n\t"
#define OUT0 ""
#define OUT1 "fstpt %[r0]\n\t"
#define OUT2 "fstpt %[r0]\n\tfstpt %[r1]\n\t"
#define OUT1_DROP "fstpt %[r0]\n\tfstp %%st(0)\n\t"

enum {
    /* ST(0) op ST(1), in the order of the ModRM.reg field */
    FPU_ADD, FPU_MUL, FPU_COM, FPU_COMP, FPU_SUB, FPU_SUBR, FPU_DIV, FPU_DIVR,
    HX_UCOM, HX_TST, HX_F2XM1, HX_SQRT, HX_RNDINT, HX_SIN, HX_COS,
    HX_PTAN, HX_SINCOS, HX_XTRACT, HX_YL2X, HX_YL2XP1, HX_PATAN, HX_SCALE,
    HX_PREM, HX_PREM1,
    HX_LD1, HX_LDL2T, HX_LDL2E, HX_LDPI, HX_LDLG2, HX_LDLN2, HX_LDZ,
    HX_LD32, HX_LD64, HX_BLD,
    HX_ST32, HX_ST64, HX_IST16, HX_IST32, HX_IST64, HX_ISTT16, HX_ISTT32,
    HX_ISTT64, HX_BSTP,
    /* ST(0) op m32real / m64real, in the order of ModRM.reg */
    HX_M32, HX_M64 = HX_M32 + 8,
};

static uint16_t host_x87(CPUX86State *env, HostX87 *h, int op)
{
    struct {
        uint16_t cw, pad0, sw, pad1;
        uint32_t rest[5];
    } fenv;

    /*
     * The guest's rounding/precision control with every exception masked,
     * no flags, and the guest's C0-C3: instructions that leave some of
     * them unchanged (FPREM's quotient bits on an invalid operand...)
     * then report the guest's.  TOP and the tags stay the host's.
     */
    h->cw = (env->fpuc & 0x0f00) | 0x007f;
    __asm__ volatile("fnstenv %0" : "=m"(fenv));
    h->old = fenv.cw;
    fenv.cw = h->cw;
    fenv.sw = (fenv.sw & (7u << FSW_TOP_SHIFT)) |
              (env->fpus & (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3));
    __asm__ volatile("fldenv %0" : : "m"(fenv));
    switch (op) {
    case FPU_ADD: HX_ASM(IN2, ".byte 0xd8, 0xc1", OUT1_DROP); break;
    case FPU_MUL: HX_ASM(IN2, ".byte 0xd8, 0xc9", OUT1_DROP); break;
    case FPU_COM: case FPU_COMP: HX_ASM(IN2, ".byte 0xd8, 0xd1", OUT2); break;
    case FPU_SUB: HX_ASM(IN2, ".byte 0xd8, 0xe1", OUT1_DROP); break;
    case FPU_SUBR: HX_ASM(IN2, ".byte 0xd8, 0xe9", OUT1_DROP); break;
    case FPU_DIV: HX_ASM(IN2, ".byte 0xd8, 0xf1", OUT1_DROP); break;
    case FPU_DIVR: HX_ASM(IN2, ".byte 0xd8, 0xf9", OUT1_DROP); break;
    case HX_UCOM: HX_ASM(IN2, ".byte 0xdd, 0xe1", OUT2); break;
    case HX_TST: HX_ASM(IN1, "ftst", OUT1); break;
    case HX_F2XM1: HX_ASM(IN1, "f2xm1", OUT1); break;
    case HX_SQRT: HX_ASM(IN1, "fsqrt", OUT1); break;
    case HX_RNDINT: HX_ASM(IN1, "frndint", OUT1); break;
    case HX_SIN: HX_ASM(IN1, "fsin", OUT1); break;
    case HX_COS: HX_ASM(IN1, "fcos", OUT1); break;
    case HX_PTAN: HX_ASM(IN1, "fptan", OUT2); break;
    case HX_SINCOS: HX_ASM(IN1, "fsincos", OUT2); break;
    case HX_XTRACT: HX_ASM(IN1, "fxtract", OUT2); break;
    case HX_YL2X: HX_ASM(IN2, "fyl2x", OUT1); break;
    case HX_YL2XP1: HX_ASM(IN2, "fyl2xp1", OUT1); break;
    case HX_PATAN: HX_ASM(IN2, "fpatan", OUT1); break;
    case HX_SCALE: HX_ASM(IN2, "fscale", OUT2); break;
    case HX_PREM: HX_ASM(IN2, "fprem", OUT2); break;
    case HX_PREM1: HX_ASM(IN2, "fprem1", OUT2); break;
    case HX_LD1: HX_ASM(IN0, "fld1", OUT1); break;
    case HX_LDL2T: HX_ASM(IN0, "fldl2t", OUT1); break;
    case HX_LDL2E: HX_ASM(IN0, "fldl2e", OUT1); break;
    case HX_LDPI: HX_ASM(IN0, "fldpi", OUT1); break;
    case HX_LDLG2: HX_ASM(IN0, "fldlg2", OUT1); break;
    case HX_LDLN2: HX_ASM(IN0, "fldln2", OUT1); break;
    case HX_LDZ: HX_ASM(IN0, "fldz", OUT1); break;
    case HX_LD32: HX_ASM(IN0, "flds %[m32]", OUT1); break;
    case HX_LD64: HX_ASM(IN0, "fldl %[m64]", OUT1); break;
    case HX_BLD: HX_ASM(IN0, "fbld %[m80]", OUT1); break;
    case HX_ST32: HX_ASM(IN1, "fstps %[m32]", OUT0); break;
    case HX_ST64: HX_ASM(IN1, "fstpl %[m64]", OUT0); break;
    case HX_IST16: HX_ASM(IN1, "fistps %[m16]", OUT0); break;
    case HX_IST32: HX_ASM(IN1, "fistpl %[m32]", OUT0); break;
    case HX_IST64: HX_ASM(IN1, "fistpll %[m64]", OUT0); break;
    case HX_ISTT16: HX_ASM(IN1, "fisttps %[m16]", OUT0); break;
    case HX_ISTT32: HX_ASM(IN1, "fisttpl %[m32]", OUT0); break;
    case HX_ISTT64: HX_ASM(IN1, "fisttpll %[m64]", OUT0); break;
    case HX_BSTP: HX_ASM(IN1, "fbstp %[m80]", OUT0); break;
    case HX_M32 + FPU_ADD: HX_ASM(IN1, "fadds %[m32]", OUT1); break;
    case HX_M32 + FPU_MUL: HX_ASM(IN1, "fmuls %[m32]", OUT1); break;
    case HX_M32 + FPU_COM: case HX_M32 + FPU_COMP: HX_ASM(IN1, "fcoms %[m32]", OUT1); break;
    case HX_M32 + FPU_SUB: HX_ASM(IN1, "fsubs %[m32]", OUT1); break;
    case HX_M32 + FPU_SUBR: HX_ASM(IN1, "fsubrs %[m32]", OUT1); break;
    case HX_M32 + FPU_DIV: HX_ASM(IN1, "fdivs %[m32]", OUT1); break;
    case HX_M32 + FPU_DIVR: HX_ASM(IN1, "fdivrs %[m32]", OUT1); break;
    case HX_M64 + FPU_ADD: HX_ASM(IN1, "faddl %[m64]", OUT1); break;
    case HX_M64 + FPU_MUL: HX_ASM(IN1, "fmull %[m64]", OUT1); break;
    case HX_M64 + FPU_COM: case HX_M64 + FPU_COMP: HX_ASM(IN1, "fcoml %[m64]", OUT1); break;
    case HX_M64 + FPU_SUB: HX_ASM(IN1, "fsubl %[m64]", OUT1); break;
    case HX_M64 + FPU_SUBR: HX_ASM(IN1, "fsubrl %[m64]", OUT1); break;
    case HX_M64 + FPU_DIV: HX_ASM(IN1, "fdivl %[m64]", OUT1); break;
    case HX_M64 + FPU_DIVR: HX_ASM(IN1, "fdivrl %[m64]", OUT1); break;
    }
    return h->sw;
}

static inline FPU80 fp80(X86FPReg r)
{
    FPU80 u = { .d = 0 };
    u.r.mant = r.mant;
    u.r.se = r.sign_exp;
    return u;
}

static inline X86FPReg reg80(FPU80 u)
{
    return (X86FPReg){ u.r.mant, u.r.se };
}

/* Did the host op push a result (TOP moved down)? */
static inline bool host_pushed(const HostX87 *h)
{
    return ((h->sw >> FSW_TOP_SHIFT) & 7) == (((h->sw0 >> FSW_TOP_SHIFT) - 1) & 7);
}

/*
 * Apply a host status word: an unmasked pre-computation exception (IE,
 * DE, ZE) reports only those flags, clears C1 (and C2 if the instruction
 * defines it) and leaves the destination alone (returns false);
 * otherwise all flags, C1 and the condition bits in cc come from the
 * host (which started from the guest's, see host_x87).
 */
static bool fpu_host_result(CPUX86State *env, uint16_t sw, uint16_t cc)
{
    uint16_t pre = sw & (FSW_IE | FSW_DE | FSW_ZE);

    if (fpu_unmasked(env, pre)) {
        env->fpus &= ~(FSW_C1 | (cc & FSW_C2));
        fpu_set_flags(env, pre);
        return false;
    }
    cc |= FSW_C1;
    env->fpus = (env->fpus & ~cc) | (sw & cc);
    fpu_set_flags(env, sw & 0x3f);
    return true;
}

/* Take C1 (and, with cc, C0 C2 C3) from the host status word. */
static void fpu_take_cc(CPUX86State *env, uint16_t sw, uint16_t cc)
{
    cc |= FSW_C1;
    env->fpus = (env->fpus & ~cc) | (sw & cc);
}

/* FLD m32/m64 real: SNaN raises IE (and loads quieted), denormal DE.
 * Returns false when an unmasked IE forbids the load. */
static bool fpu_load_real(CPUX86State *env, uint64_t addr, int size, X86FPReg *out)
{
    HostX87 h = { 0 };
    uint16_t sw;

    if (size == 4) {
        h.m32 = ld(env, addr, MO_32);
        sw = host_x87(env, &h, HX_LD32);
    } else {
        h.m64 = ld(env, addr, MO_64);
        sw = host_x87(env, &h, HX_LD64);
    }
    fpu_set_flags(env, sw & 0x3f);
    *out = reg80(h.r0);
    /* an unmasked DE still loads (the x87 normalizes first) */
    return !fpu_unmasked(env, sw & FSW_IE);
}

/* FST/FIST/FISTTP/FBSTP of ST(0) to memory; nothing is stored when an
 * unmasked exception other than PE occurs. */
static bool fpu_store(CPUX86State *env, uint64_t addr, int op, X86FPReg v)
{
    HostX87 h = { .a = fp80(v) };
    uint16_t sw = host_x87(env, &h, op);

    fpu_take_cc(env, sw, 0);
    fpu_set_flags(env, sw & 0x3f);
    if (fpu_unmasked(env, sw & (FSW_IE | FSW_DE | FSW_OE | FSW_UE))) {
        return false;
    }
    switch (op) {
    case HX_ST32: case HX_IST32: case HX_ISTT32: st(env, addr, h.m32, MO_32); break;
    case HX_ST64: case HX_IST64: case HX_ISTT64: st(env, addr, h.m64, MO_64); break;
    case HX_IST16: case HX_ISTT16: st(env, addr, h.m16, MO_16); break;
    default:
        for (int i = 0; i < 10; i++) {
            st(env, addr + i, h.m80[i], MO_8);
        }
        break;
    }
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
 * ST(dst) = ST(dst) op src (op FPU_ADD..FPU_DIVR), src being ST(i) or a
 * converted memory operand.  Writes nothing when IE/DE/ZE are unmasked.
 */
static void fpu_do_arith(CPUX86State *env, int op, int dst, X86FPReg src,
                         bool src_empty, bool pop)
{
    HostX87 h = { .a = fp80(*st_reg(env, dst)), .b = fp80(src) };
    uint16_t sw;

    if (st_empty(env, dst) || src_empty) {
        fpu_underflow(env);
        if (fpu_unmasked(env, FSW_IE)) {
            return;
        }
        st_set(env, dst, reg_indefinite);
    } else {
        sw = host_x87(env, &h, op);
        if (!fpu_host_result(env, sw, 0)) {
            return;
        }
        st_set(env, dst, reg80(h.r0));
    }
    if (pop) {
        fpu_pop(env);
    }
}

/*
 * Compare ST(0) with src (quiet: FUCOM); returns the C3 C2 C0 result.
 * *stop is set when an unmasked exception forbids popping (the result
 * is still reported).
 */
static uint16_t fpu_compare(CPUX86State *env, X86FPReg src, bool src_empty,
                            bool quiet, bool *stop)
{
    HostX87 h = { .a = fp80(*st_reg(env, 0)), .b = fp80(src) };
    const uint16_t cc = FSW_C3 | FSW_C2 | FSW_C0;
    uint16_t sw;

    if (st_empty(env, 0) || src_empty) {
        fpu_underflow(env);
        *stop = fpu_unmasked(env, FSW_IE);
        return cc;
    }
    sw = host_x87(env, &h, quiet ? HX_UCOM : FPU_COM);
    env->fpus &= ~FSW_C1;
    fpu_set_flags(env, sw & 0x3f);
    *stop = fpu_unmasked(env, sw & (FSW_IE | FSW_DE));
    return sw & cc;
}

static void fpu_do_compare(CPUX86State *env, X86FPReg src, bool src_empty,
                           bool quiet, int pops)
{
    bool stop;
    uint16_t cc = fpu_compare(env, src, src_empty, quiet, &stop);

    env->fpus = (env->fpus & ~(FSW_C3 | FSW_C2 | FSW_C0)) | cc;
    while (!stop && pops--) {
        fpu_pop(env);
    }
}

/* FCOMI/FUCOMI(P): the result in ZF PF CF, OF SF AF cleared; unlike
 * FCOM, C1 is left alone (as CPUs do) unless the stack underflows. */
static void fpu_do_comi(CPUX86State *env, int i, bool quiet, bool pop)
{
    uint16_t c1 = env->fpus & FSW_C1;
    bool empty = st_empty(env, 0) || st_empty(env, i), stop;
    uint16_t cc = fpu_compare(env, *st_reg(env, i), st_empty(env, i), quiet, &stop);

    if (!empty) {
        env->fpus |= c1;
    }
    set_flags(env, (cc & FSW_C3 ? CC_Z : 0) | (cc & FSW_C2 ? CC_P : 0) |
                   (cc & FSW_C0 ? CC_C : 0));
    if (pop && !stop) {
        fpu_pop(env);
    }
}

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

/* D9 E0-FF: constants, one-operand and transcendental operations. */
static void fpu_d9_special(CPUX86State *env, const DecodedInsn *d)
{
    int op = (d->rm & 7) | (d->modrm_reg3 << 3);
    HostX87 h = { .a = fp80(*st_reg(env, 0)), .b = fp80(*st_reg(env, 1)) };
    uint16_t sw;
    int hop, nin;

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
        fpu_do_compare(env, zero, false, false, 0);
        return;
    }
    case 0x25:      /* FXAM */
        fpu_fxam(env);
        return;
    case 0x28 ... 0x2e:     /* FLD1 .. FLDZ, rounded as the FCW says */
        host_x87(env, &h, HX_LD1 + op - 0x28);
        fpu_push(env, reg80(h.r0));
        return;
    case 0x36:  /* FDECSTP */
        env->fpus &= ~FSW_C1;
        env->fpstt = (env->fpstt - 1) & 7;
        return;
    case 0x37:  /* FINCSTP */
        env->fpus &= ~FSW_C1;
        env->fpstt = (env->fpstt + 1) & 7;
        return;
    case 0x30: hop = HX_F2XM1; nin = 1; break;
    case 0x31: hop = HX_YL2X; nin = 2; break;
    case 0x32: hop = HX_PTAN; nin = 1; break;
    case 0x33: hop = HX_PATAN; nin = 2; break;
    case 0x34: hop = HX_XTRACT; nin = 1; break;
    case 0x35: hop = HX_PREM1; nin = 2; break;
    case 0x38: hop = HX_PREM; nin = 2; break;
    case 0x39: hop = HX_YL2XP1; nin = 2; break;
    case 0x3a: hop = HX_SQRT; nin = 1; break;
    case 0x3b: hop = HX_SINCOS; nin = 1; break;
    case 0x3c: hop = HX_RNDINT; nin = 1; break;
    case 0x3d: hop = HX_SCALE; nin = 2; break;
    case 0x3e: hop = HX_SIN; nin = 1; break;
    case 0x3f: hop = HX_COS; nin = 1; break;
    default:
        raise_exception(env, EXCP06_ILLOP);
    }

    if (st_empty(env, 0) || (nin == 2 && st_empty(env, 1))) {
        fpu_underflow(env);
        /* the ops that define C2 clear it */
        if (hop == HX_PREM || hop == HX_PREM1 || hop == HX_PTAN ||
            hop == HX_SINCOS || hop == HX_SIN || hop == HX_COS) {
            env->fpus &= ~FSW_C2;
        }
        if (fpu_unmasked(env, FSW_IE)) {
            return;
        }
        switch (hop) {
        case HX_YL2X: case HX_YL2XP1: case HX_PATAN:
            st_set(env, 1, reg_indefinite);
            fpu_pop(env);
            break;
        case HX_PTAN: case HX_SINCOS: case HX_XTRACT:
            st_set(env, 0, reg_indefinite);
            fpu_push(env, reg_indefinite);
            break;
        default:
            st_set(env, 0, reg_indefinite);
            break;
        }
        return;
    }
    if ((hop == HX_PTAN || hop == HX_SINCOS || hop == HX_XTRACT) &&
        !st_empty(env, 7)) {
        /* the push would overflow: nothing computed, both indefinite */
        env->fpus |= FSW_C1;
        if (hop != HX_XTRACT) {
            env->fpus &= ~FSW_C2;
        }
        fpu_set_flags(env, FSW_IE | FSW_SF);
        if (!fpu_unmasked(env, FSW_IE)) {
            st_set(env, 0, reg_indefinite);
            env->fpstt = (env->fpstt - 1) & 7;
            st_set(env, 0, reg_indefinite);
        }
        return;
    }
    sw = host_x87(env, &h, hop);
    if (!fpu_host_result(env, sw, (hop == HX_PREM || hop == HX_PREM1) ?
                                  FSW_C0 | FSW_C2 | FSW_C3 :
                                  (hop == HX_PTAN || hop == HX_SINCOS ||
                                   hop == HX_SIN || hop == HX_COS) ? FSW_C2 : 0)) {
        return;
    }
    switch (hop) {
    case HX_YL2X: case HX_YL2XP1: case HX_PATAN:
        st_set(env, 1, reg80(h.r0));
        fpu_pop(env);
        break;
    case HX_PTAN: case HX_SINCOS: case HX_XTRACT:
        if (host_pushed(&h)) {      /* not when out of range (C2) */
            st_set(env, 0, reg80(h.r1));
            env->fpstt = (env->fpstt - 1) & 7;   /* ST(7) checked empty */
            st_set(env, 0, reg80(h.r0));
        } else {
            st_set(env, 0, reg80(h.r0));
        }
        break;
    default:
        st_set(env, 0, reg80(h.r0));
        break;
    }
}

static X86FPReg fpu_load_int(CPUX86State *env, uint64_t addr, int ot)
{
    FPU80 u = { .d = (long double)sext(ld(env, addr, ot), ot) };
    return reg80(u);
}

/* FST/FSTP/FIST/FISTP/FISTTP/FBSTP m: empty ST(0) stores the indefinite
 * when IE is masked. */
static void fpu_store_st0(CPUX86State *env, uint64_t addr, int hop, bool pop)
{
    X86FPReg v = *st_reg(env, 0);

    if (st_empty(env, 0)) {
        fpu_underflow(env);
        if (fpu_unmasked(env, FSW_IE)) {
            return;
        }
        v = reg_indefinite;
    }
    if (!fpu_store(env, addr, hop, v)) {
        return;
    }
    if (pop) {
        fpu_pop(env);
    }
}

static void fpu_mem(CPUX86State *env, const DecodedInsn *d)
{
    int esc = d->opcode & 7, op = d->modrm_reg3;
    uint64_t addr = d->addr(env, d);
    X86FPReg v;

    switch (esc) {
    case 0:     /* D8: m32real arithmetic */
    case 4: {   /* DC: m64real arithmetic */
        /* on the host with the memory operand, for its IE/DE rules */
        HostX87 h = { .a = fp80(*st_reg(env, 0)) };
        bool cmp = op == FPU_COM || op == FPU_COMP;
        uint16_t sw;

        if (esc == 0) {
            h.m32 = ld(env, addr, MO_32);
        } else {
            h.m64 = ld(env, addr, MO_64);
        }
        if (st_empty(env, 0)) {
            fpu_underflow(env);
            if (cmp) {
                env->fpus |= FSW_C3 | FSW_C2 | FSW_C0;
            }
            if (fpu_unmasked(env, FSW_IE)) {
                return;
            }
            if (!cmp) {
                st_set(env, 0, reg_indefinite);
            }
            if (op == FPU_COMP) {
                fpu_pop(env);
            }
            return;
        }
        sw = host_x87(env, &h, (esc == 0 ? HX_M32 : HX_M64) + op);
        if (cmp) {
            env->fpus &= ~FSW_C1;
            fpu_set_flags(env, sw & 0x3f);
            env->fpus = (env->fpus & ~(FSW_C3 | FSW_C2 | FSW_C0)) |
                        (sw & (FSW_C3 | FSW_C2 | FSW_C0));
            if (op == FPU_COMP && !fpu_unmasked(env, sw & (FSW_IE | FSW_DE))) {
                fpu_pop(env);
            }
        } else if (fpu_host_result(env, sw, 0)) {
            st_set(env, 0, reg80(h.r0));
        }
        return;
    }
    case 2:     /* DA: m32int arithmetic */
    case 6:     /* DE: m16int arithmetic */
        v = fpu_load_int(env, addr, esc == 2 ? MO_32 : MO_16);
        if (op == FPU_COM || op == FPU_COMP) {
            fpu_do_compare(env, v, false, false, op == FPU_COMP);
        } else {
            fpu_do_arith(env, op, 0, v, false, false);
        }
        return;
    case 1:
        switch (op) {
        case 0:     /* FLD m32 */
            if (!st_empty(env, 7)) {    /* overflow first: no load flags */
                fpu_push(env, reg_indefinite);
            } else if (fpu_load_real(env, addr, 4, &v)) {
                fpu_push(env, v);
            }
            return;
        case 2:     /* FST m32 */
        case 3:     /* FSTP m32 */
            fpu_store_st0(env, addr, HX_ST32, op == 3);
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
            fpu_store_st0(env, addr, HX_ISTT32, true);
            return;
        case 2:     /* FIST m32 */
        case 3:     /* FISTP m32 */
            fpu_store_st0(env, addr, HX_IST32, op == 3);
            return;
        case 5:     /* FLD m80 */
            v.mant = ld(env, addr, MO_64);
            v.sign_exp = ld(env, addr + 8, MO_16);
            fpu_push(env, v);
            return;
        case 7:     /* FSTP m80 */
            v = *st_reg(env, 0);
            if (st_empty(env, 0)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                v = reg_indefinite;
            }
            env->fpus &= ~FSW_C1;
            st(env, addr, v.mant, MO_64);
            st(env, addr + 8, v.sign_exp, MO_16);
            fpu_pop(env);
            return;
        }
        break;
    case 5:
        switch (op) {
        case 0:     /* FLD m64 */
            if (!st_empty(env, 7)) {
                fpu_push(env, reg_indefinite);
            } else if (fpu_load_real(env, addr, 8, &v)) {
                fpu_push(env, v);
            }
            return;
        case 1:     /* FISTTP m64 */
            fpu_store_st0(env, addr, HX_ISTT64, true);
            return;
        case 2:     /* FST m64 */
        case 3:     /* FSTP m64 */
            fpu_store_st0(env, addr, HX_ST64, op == 3);
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
        case 1:     /* FISTTP m16 */
            fpu_store_st0(env, addr, HX_ISTT16, true);
            return;
        case 2:     /* FIST m16 */
        case 3:     /* FISTP m16 */
            fpu_store_st0(env, addr, HX_IST16, op == 3);
            return;
        case 4: {   /* FBLD */
            HostX87 h = { 0 };
            for (int i = 0; i < 10; i++) {
                h.m80[i] = ld(env, addr + i, MO_8);
            }
            host_x87(env, &h, HX_BLD);
            fpu_push(env, reg80(h.r0));
            return;
        }
        case 5:     /* FILD m64 */
            fpu_push(env, fpu_load_int(env, addr, MO_64));
            return;
        case 6:     /* FBSTP */
            fpu_store_st0(env, addr, HX_BSTP, true);
            return;
        case 7:     /* FISTP m64 */
            fpu_store_st0(env, addr, HX_IST64, true);
            return;
        }
        break;
    }
    raise_exception(env, EXCP06_ILLOP);
}

/* FXCH and its aliases. */
static void fpu_fxch(CPUX86State *env, int i)
{
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
}

/* FST/FSTP ST(i) and aliases. */
static void fpu_fst_reg(CPUX86State *env, int i, bool pop)
{
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
    if (pop) {
        fpu_pop(env);
    }
}

static void fpu_reg(CPUX86State *env, const DecodedInsn *d)
{
    int esc = d->opcode & 7, op = d->modrm_reg3, i = d->rm & 7;

    switch (esc) {
    case 0:     /* D8: ST(0) = ST(0) op ST(i) */
        if (op == FPU_COM || op == FPU_COMP) {
            fpu_do_compare(env, *st_reg(env, i), st_empty(env, i), false,
                           op == FPU_COMP);
        } else {
            fpu_do_arith(env, op, 0, *st_reg(env, i), st_empty(env, i), false);
        }
        return;
    case 4:     /* DC: ST(i) = ST(i) op ST(0), SUB/SUBR and DIV/DIVR swapped */
    case 6:     /* DE: the same, then pop */
        if (op == FPU_COM || op == FPU_COMP) {
            if (esc == 6 && op == FPU_COMP && i == 1) {     /* FCOMPP */
                fpu_do_compare(env, *st_reg(env, 1), st_empty(env, 1), false, 2);
                return;
            }
            /* DC D0-DF: FCOM2/FCOMP3, DE D0-D7: FCOMP5 (aliases) */
            if (esc == 4 || op == FPU_COM) {
                fpu_do_compare(env, *st_reg(env, i), st_empty(env, i), false,
                               esc == 6 || op == FPU_COMP);
                return;
            }
            break;
        }
        fpu_do_arith(env, op >= 4 ? op ^ 1 : op, i, *st_reg(env, 0),
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
        case 1:     /* FXCH */
            fpu_fxch(env, i);
            return;
        case 2:     /* FNOP */
            if (i == 0) {
                return;
            }
            break;
        case 3:     /* FSTP1 alias */
            fpu_fst_reg(env, i, true);
            return;
        default:
            fpu_d9_special(env, d);
            return;
        }
        break;
    case 2:
    case 3:
        if (op < 4) {   /* FCMOVcc: DA B/E/BE/U, DB the negations */
            static const uint8_t cc[4] = { 2, 4, 6, 10 };   /* Jcc codes B E BE P */
            bool cond = x86_check_cc(env, cc[op]) ^ (esc == 3);
            if (st_empty(env, 0) || st_empty(env, i)) {
                fpu_underflow(env);
                if (fpu_unmasked(env, FSW_IE)) {
                    return;
                }
                st_set(env, 0, reg_indefinite);
                return;
            }
            if (cond) {
                st_set(env, 0, *st_reg(env, i));
            }
            return;
        }
        if (esc == 2 && op == 5 && i == 1) {    /* FUCOMPP */
            fpu_do_compare(env, *st_reg(env, 1), st_empty(env, 1), true, 2);
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
            env->fpus &= ~FSW_C1;
            env->fptags |= 1u << st_index(env, i);
            return;
        case 1:     /* FXCH4 alias */
            fpu_fxch(env, i);
            return;
        case 2:     /* FST ST(i) */
        case 3:     /* FSTP ST(i) */
            fpu_fst_reg(env, i, op == 3);
            return;
        case 4:     /* FUCOM */
        case 5:     /* FUCOMP */
            fpu_do_compare(env, *st_reg(env, i), st_empty(env, i), true, op == 5);
            return;
        }
        break;
    case 7:
        switch (op) {
        case 0:     /* FFREEP */
            env->fpus &= ~FSW_C1;
            env->fptags |= 1u << st_index(env, i);
            fpu_pop(env);
            return;
        case 1:     /* FXCH7 alias */
            fpu_fxch(env, i);
            return;
        case 2:     /* FSTP8/FSTP9 aliases */
        case 3:
            fpu_fst_reg(env, i, true);
            return;
        case 4:     /* FNSTSW AX */
            if (i == 0) {
                set_reg(env, MO_16, R_EAX, fpu_get_fsw(env));
                return;
            }
            break;
        case 5:     /* FUCOMIP */
        case 6:     /* FCOMIP */
            fpu_do_comi(env, i, op == 5, true);
            return;
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
