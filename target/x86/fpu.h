/*
 * Internals shared by the x87 (ops-fpu.c), MMX and SSE (ops-sse.c)
 * handlers: availability checks (#UD/#NM/#MF), MXCSR and FSW bits, and the
 * FXSAVE image.
 *
 * SSE floating point is computed with the host's IEEE float and double:
 * rounding from fesetround(), flags from fetestexcept(); the denormal-
 * operand flag, NaN propagation, DAZ and FTZ, which fenv cannot express,
 * are done by hand (sse-fp-template.h).  The x87 runs its arithmetic on
 * the host's own x87 (ops-fpu.c), so it needs an x86 host.
 */
#ifndef TARGET_X86_FPU_H
#define TARGET_X86_FPU_H

#include "insn.h"
#include "target/x86/fpu-state.h"

#ifndef CR4_OSXMMEXCPT_MASK
#define CR4_OSXMMEXCPT_MASK (1u << 10)
#endif

/* MXCSR. */
#define MXCSR_IE   0x0001
#define MXCSR_DE   0x0002
#define MXCSR_ZE   0x0004
#define MXCSR_OE   0x0008
#define MXCSR_UE   0x0010
#define MXCSR_PE   0x0020
#define MXCSR_FLAGS 0x003f
#define MXCSR_DAZ  0x0040
#define MXCSR_MASK_SHIFT 7
#define MXCSR_RC_SHIFT 13
#define MXCSR_FTZ  0x8000
/* Bits LDMXCSR/FXRSTOR accept (the MXCSR_MASK FXSAVE reports). */
#define MXCSR_WRITABLE X86_MXCSR_MASK

/* x87 status word (TOP lives in env->fpstt). */
#define FSW_IE 0x0001
#define FSW_DE 0x0002
#define FSW_ZE 0x0004
#define FSW_OE 0x0008
#define FSW_UE 0x0010
#define FSW_PE 0x0020
#define FSW_SF 0x0040
#define FSW_ES 0x0080
#define FSW_C0 0x0100
#define FSW_C1 0x0200
#define FSW_C2 0x0400
#define FSW_C3 0x4000
#define FSW_B  0x8000
#define FSW_TOP_SHIFT 11

/* Rounding-control values (MXCSR.RC and FCW.RC share the encoding). */
enum { X86_RC_NEAREST, X86_RC_DOWN, X86_RC_UP, X86_RC_ZERO };

/* #UD/#NM for SSE: CR0.EM or !CR4.OSFXSR -> #UD, CR0.TS -> #NM. */
ALWAYS_INLINE void sse_check(CPUX86State *env)
{
    if (unlikely((env->cr[0] & CR0_EM_MASK) || !(env->cr[4] & CR4_OSFXSR_MASK))) {
        raise_exception(env, EXCP06_ILLOP);
    }
    if (unlikely(env->cr[0] & CR0_TS_MASK)) {
        raise_exception(env, EXCP07_PREX);
    }
}

/* Pending unmasked x87 exception: #MF before the next x87/MMX insn. */
void x86_fpu_raise_pending(CPUX86State *env);

/* MMX: EM -> #UD, TS -> #NM, pending x87 exception -> #MF; then the x87
 * enters MMX mode (TOP = 0, every tag valid). */
ALWAYS_INLINE void mmx_check(CPUX86State *env)
{
    if (unlikely(env->cr[0] & (CR0_EM_MASK | CR0_TS_MASK))) {
        raise_exception(env, (env->cr[0] & CR0_EM_MASK) ? EXCP06_ILLOP
                                                         : EXCP07_PREX);
    }
    if (unlikely(env->fpus & FSW_ES)) {
        x86_fpu_raise_pending(env);
    }
    env->fpstt = 0;
    env->fptags = 0;
}

/* The status word with TOP merged in. */
ALWAYS_INLINE uint16_t fpu_get_fsw(CPUX86State *env)
{
    return (env->fpus & ~(7u << FSW_TOP_SHIFT)) | ((env->fpstt & 7) << FSW_TOP_SHIFT);
}

#endif
