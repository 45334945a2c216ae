/*
 * x86 instruction decoder: bytes -> DecodedInsn.
 *
 * The decoder does every operand-kind decision once: it picks the handler
 * for the exact form (operation, operand size, register or memory operand),
 * the address-generation function for a memory operand, and resolves
 * register numbers (including REX and the AH..BH byte registers).  The
 * handlers that run afterwards only compute.
 */
#ifndef TARGET_X86_DECODE_H
#define TARGET_X86_DECODE_H

#include "target/x86/cpu.h"

typedef struct DecodedInsn DecodedInsn;
typedef void X86Handler(CPUX86State *env, const DecodedInsn *d);
/* Effective address -> linear address (segment base added, wrapped). */
typedef uint64_t X86AddrFn(CPUX86State *env, const DecodedInsn *d);

/* Prefix bits kept in DecodedInsn.prefix. */
#define PREFIX_REPZ  0x01
#define PREFIX_REPNZ 0x02
#define PREFIX_LOCK  0x04
#define PREFIX_DATA  0x08
#define PREFIX_ADR   0x10
#define PREFIX_REX   0x20
#define PREFIX_SEG   0x40   /* explicit segment override */

/* DecodedInsn.flags: what the translator needs to know. */
#define INSN_END_TB   0x01  /* changes rip non-sequentially or hflags */
#define INSN_UNDEF    0x02  /* decoded as #UD */

#define X86_MAX_INSN_LEN 15
#define X86_REG_NONE 0xff

struct DecodedInsn {
    X86Handler *handler;
    X86Handler *locked;    /* the real handler behind a wrapper: LOCK-
                            * prefixed forms (x86_op_locked, under the
                            * guest-atomic lock), near branches under a CS
                            * limit (x86_op_cs_limit) */
    X86AddrFn *addr;       /* memory operand, NULL for a register operand */
    uint64_t imm;          /* immediate, sign- or zero-extended as the form wants;
                            * rel branches: the displacement */
    uint64_t imm2;         /* second immediate (ENTER's nesting level) */
    uint64_t lmask;        /* linear address mask: 4 GiB wrap outside 64-bit
                            * mode (keeping the segment tag, X86_SEG_TAG_SHIFT) */
    int64_t disp;          /* ModRM displacement, or the moffs of A0-A3 */
    uint8_t len;           /* instruction length in bytes */
    uint8_t ot;            /* operand size, MO_8 .. MO_64 */
    uint8_t aflag;         /* address size, MO_16 .. MO_64 */
    uint8_t mod;           /* ModRM.mod (3: register operand) */
    uint8_t reg;           /* ModRM.reg + REX.R, or opcode reg + REX.B */
    uint8_t rm;            /* ModRM.rm + REX.B for a register operand */
    uint8_t reg8;          /* byte offset into env->regs of the 8-bit reg */
    uint8_t rm8;           /* same for rm (AH..BH without REX) */
    uint8_t base;          /* address base register or X86_REG_NONE */
    uint8_t index;         /* address index register or X86_REG_NONE */
    uint8_t scale;         /* shift count 0..3 */
    uint8_t seg;           /* segment for the memory operand (R_SEG_FLAT...) */
    uint8_t seg_es;        /* string destination segment: ES, or flat */
    uint8_t seg_ss;        /* stack segment: SS, or flat in 64-bit mode */
    uint8_t sflag;         /* stack pointer size, MO_16 .. MO_64 */
    uint8_t prefix;        /* PREFIX_* */
    uint8_t flags;         /* INSN_* */
    uint8_t opcode;        /* last opcode byte */
    uint8_t map;           /* 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A map */
    uint8_t modrm_reg3;    /* ModRM.reg without REX (group selector) */
    uint8_t segchk;        /* HF_SEGCHK bits: segments whose accesses are
                            * tagged for limit/rights checks */
};

/*
 * Decode one instruction from buf (avail bytes valid) in the mode given
 * by hflags.  Always fills *d: an undecodable or too-long instruction gets
 * the #UD or #GP handler.  Returns the length consumed, or 0 when avail
 * ran out before the instruction ended (the caller fetches more or, at a
 * page boundary, lets the fetch fault).
 */
int x86_decode(uint32_t hflags, const uint8_t *buf, int avail, DecodedInsn *d);

#endif
