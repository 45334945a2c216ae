/*
 * x87/SSE state images of the software CPU: the 512-byte FXSAVE layout
 * (what FXSAVE/FXRSTOR, and later XSAVE, KVM synchronisation and
 * migration exchange) and the x87 tag word.
 */
#ifndef TARGET_X86_FPU_STATE_H
#define TARGET_X86_FPU_STATE_H

#include "target/x86/cpu.h"

/* MXCSR bits LDMXCSR/FXRSTOR accept; FXSAVE reports it as MXCSR_MASK. */
#define X86_MXCSR_MASK 0xffff

/*
 * Fill img (512 bytes) as FXSAVE would: fxsave64 selects the REX.W
 * layout (64-bit FIP/FDP) over the one with FCS/FDS.  XMM8-15 are stored
 * only in 64-bit mode; bytes 416-511 are left zero.
 */
void x86_fxsave_image(CPUX86State *env, uint8_t *img, bool fxsave64);
/* Load state from img as FXRSTOR would.  Returns false, changing
 * nothing, when the MXCSR image sets reserved bits (FXRSTOR's #GP). */
bool x86_fxrstor_image(CPUX86State *env, const uint8_t *img, bool fxsave64);
/* The full 16-bit x87 tag word (FNSTENV's), derived from the registers. */
uint16_t x86_fpu_full_tags(CPUX86State *env);

#endif
