/*
 * x86 instruction decoder.  See include/target/x86/decode.h.
 *
 * The tables come from insns.def; this file only knows how prefixes,
 * ModRM/SIB, displacements and immediates are laid out, and how the mode
 * and prefixes choose operand and address size.
 */
#include "util/osdep.h"
#include "insn.h"

#define X86_OP(map, first, last, fam, fl) extern const X86Family x86_fam_##fam;
#define X86_GROUP_OP(map, opc, grp, fl)
#define X86_GROUP(grp, reg, fam, fl) extern const X86Family x86_fam_##fam;
#include "insns.def"
#include "insns-system.def"
#include "insns-fpu.def"
#undef X86_OP
#undef X86_GROUP_OP
#undef X86_GROUP
#define X86_SSE_OP(map, opc, pfx, fam, fl) extern const X86Family x86_fam_##fam;
#include "insns-sse.def"
#undef X86_SSE_OP
extern const X86Family x86_fam_nop;   /* 90 without REX.B */
extern const X86Family x86_fam_arpl;  /* 63 outside 64-bit mode */

/* Group ids, one per X86_GROUP_OP group name in insns.def. */
enum {
    GRP_none,
    GRP_grp1, GRP_grp1a, GRP_grp2, GRP_grp2_1, GRP_grp2_cl, GRP_grp3,
    GRP_grp4, GRP_grp5, GRP_grp8, GRP_grp9, GRP_grp11,
    GRP_grp6, GRP_grp7,          /* insns-system.def */
    GRP_COUNT,
};

typedef struct X86OpEntry {
    const X86Family *family;
    uint32_t flags;
    uint8_t group;
} X86OpEntry;

static const X86OpEntry op_table[2][256] = {
#define X86_OP(map, first, last, fam, fl) \
    [map][first ... last] = { &x86_fam_##fam, (fl), 0 },
#define X86_GROUP_OP(map, opc, grp, fl) \
    [map][opc] = { NULL, (fl) | F_GROUP, GRP_##grp },
#define X86_GROUP(grp, reg, fam, fl)
#include "insns.def"
#include "insns-system.def"
#include "insns-fpu.def"
#undef X86_OP
#undef X86_GROUP_OP
#undef X86_GROUP
};

/*
 * SSE-style opcodes: maps 0F (1), 0F38 (2) and 0F3A (3), where a
 * "mandatory" 66/F3/F2 prefix selects a different instruction
 * (SSE_PFX_* index).  An opcode listed here overrides op_table's 0F map.
 */
static const X86OpEntry sse_table[3][256][SSE_PFX_COUNT] = {
#define X86_SSE_OP(map, opc, pfx, fam, fl) \
    [(map) - 1][opc][pfx] = { &x86_fam_##fam, (fl) | F_SSE, 0 },
#include "insns-sse.def"
#undef X86_SSE_OP
};

/* The mandatory-prefix column: the last of F2/F3 wins over 66. */
static int sse_prefix_index(int prefix)
{
    if (prefix & PREFIX_REPNZ) {
        return SSE_PFX_F2;
    }
    if (prefix & PREFIX_REPZ) {
        return SSE_PFX_F3;
    }
    return (prefix & PREFIX_DATA) ? SSE_PFX_66 : SSE_PFX_NP;
}

/* The SSE entry for map/opcode, or NULL when the opcode is not an SSE one. */
static const X86OpEntry *sse_lookup(int map, int b, int prefix)
{
    const X86OpEntry *row = sse_table[map - 1][b];
    /* #UD, with the length the map implies (0F 3A has an imm8) */
    static const X86OpEntry undef[3] = {
        { NULL, F_SSE | F_MODRM, 0 }, { NULL, F_SSE | F_MODRM, 0 },
        { NULL, F_SSE | F_MODRM | F_IMM_UB, 0 },
    };

    for (int i = 0; i < SSE_PFX_COUNT; i++) {
        if (row[i].flags & F_SSE) {
            const X86OpEntry *e = &row[sse_prefix_index(prefix)];
            return e->family ? e : &undef[map - 1];
        }
    }
    return map == 1 ? NULL : &undef[map - 1];
}

static const X86OpEntry group_table[GRP_COUNT][8] = {
#define X86_OP(map, first, last, fam, fl)
#define X86_GROUP_OP(map, opc, grp, fl)
#define X86_GROUP(grp, reg, fam, fl) [GRP_##grp][reg] = { &x86_fam_##fam, (fl), 0 },
#include "insns.def"
#include "insns-system.def"
#undef X86_OP
#undef X86_GROUP_OP
#undef X86_GROUP
};

/* ---- address generation ---------------------------------------------- */
/*
 * One function per shape (which of base/index are present) and per
 * address size, so a memory access never asks what the ModRM byte said.
 * Legacy modes wrap the linear address at 4 GiB; 64-bit mode does not.
 */
#define ADDR_FN(name, amask, lmask, expr) \
    static uint64_t name(CPUX86State *env, const DecodedInsn *d) \
    { return ((((uint64_t)(expr)) & (amask)) + env->segs[d->seg].base) & (lmask); }
#define B env->regs[d->base]
#define I (env->regs[d->index] << d->scale)
#define D ((uint64_t)d->disp)
#define ADDR_SHAPES(sfx, amask, lmask) \
    ADDR_FN(addr_d_##sfx, amask, lmask, D) \
    ADDR_FN(addr_b_##sfx, amask, lmask, B + D) \
    ADDR_FN(addr_i_##sfx, amask, lmask, I + D) \
    ADDR_FN(addr_bi_##sfx, amask, lmask, B + I + D)
ADDR_SHAPES(16, 0xffffULL, 0xffffffffULL)
ADDR_SHAPES(32, 0xffffffffULL, 0xffffffffULL)
ADDR_SHAPES(32l, 0xffffffffULL, ~0ULL)        /* addr32 in 64-bit mode */
ADDR_SHAPES(64, ~0ULL, ~0ULL)
ADDR_FN(addr_rip_64, ~0ULL, ~0ULL, env->rip + d->len + D)
ADDR_FN(addr_rip_32l, 0xffffffffULL, ~0ULL, env->rip + d->len + D)
#undef B
#undef I
#undef D

/*
 * The same shapes for a segment whose limit and rights need checks
 * (HF_SEGCHK): the linear address carries the segment as a tag for
 * x86_seg_untag (include/target/x86/cpu.h).  Legacy address sizes only.
 */
#define ADDR_FN_TAG(name, amask, expr) \
    static uint64_t name(CPUX86State *env, const DecodedInsn *d) \
    { return (((((uint64_t)(expr)) & (amask)) + env->segs[d->seg].base) & 0xffffffffULL) | \
             ((uint64_t)(d->seg + 1) << X86_SEG_TAG_SHIFT); }
#define ADDR_SHAPES_TAG(sfx, amask) \
    ADDR_FN_TAG(addr_d_tag_##sfx, amask, D) \
    ADDR_FN_TAG(addr_b_tag_##sfx, amask, B + D) \
    ADDR_FN_TAG(addr_i_tag_##sfx, amask, I + D) \
    ADDR_FN_TAG(addr_bi_tag_##sfx, amask, B + I + D)
#define B env->regs[d->base]
#define I (env->regs[d->index] << d->scale)
#define D ((uint64_t)d->disp)
ADDR_SHAPES_TAG(16, 0xffffULL)
ADDR_SHAPES_TAG(32, 0xffffffffULL)
#undef B
#undef I
#undef D

/* [16/32][has base][has index] */
static X86AddrFn *const addr_fns_tag[2][2][2] = {
    { { addr_d_tag_16, addr_i_tag_16 }, { addr_b_tag_16, addr_bi_tag_16 } },
    { { addr_d_tag_32, addr_i_tag_32 }, { addr_b_tag_32, addr_bi_tag_32 } },
};

/* [addr kind][has base][has index] */
static X86AddrFn *const addr_fns[4][2][2] = {
    { { addr_d_16, addr_i_16 }, { addr_b_16, addr_bi_16 } },
    { { addr_d_32, addr_i_32 }, { addr_b_32, addr_bi_32 } },
    { { addr_d_32l, addr_i_32l }, { addr_b_32l, addr_bi_32l } },
    { { addr_d_64, addr_i_64 }, { addr_b_64, addr_bi_64 } },
};

/* ---- byte reader ----------------------------------------------------- */

typedef struct Reader {
    const uint8_t *buf;
    int avail;
    int pos;
    bool short_buf;   /* ran past avail */
} Reader;

static uint64_t get_bytes(Reader *r, int n)
{
    uint64_t v = 0;
    if (r->pos + n > r->avail) {
        r->short_buf = true;
        r->pos += n;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        v |= (uint64_t)r->buf[r->pos + i] << (8 * i);
    }
    r->pos += n;
    return v;
}

static const uint8_t mod16_base[8] = { R_EBX, R_EBX, R_EBP, R_EBP, X86_REG_NONE,
                                       X86_REG_NONE, R_EBP, R_EBX };
static const uint8_t mod16_index[8] = { R_ESI, R_EDI, R_ESI, R_EDI, R_ESI,
                                        R_EDI, X86_REG_NONE, X86_REG_NONE };

/* Byte-register offset into regs[]: AH..BH without REX, else low bytes. */
static uint8_t byte_reg(int r, bool rex)
{
    if (!rex && r >= 4 && r < 8) {
        return (r - 4) * 8 + 1;
    }
    return r * 8;
}

/* Decode ModRM (and SIB/disp) for a memory operand. */
static void decode_modrm_mem(Reader *r, DecodedInsn *d, int modrm, int rex,
                             bool code64, int seg_override)
{
    int mod = modrm >> 6, rm = modrm & 7;
    int seg = R_DS;
    int kind;

    d->base = X86_REG_NONE;
    d->index = X86_REG_NONE;
    d->scale = 0;
    if (d->aflag == MO_16) {
        kind = 0;
        if (mod == 0 && rm == 6) {
            d->disp = (int16_t)get_bytes(r, 2);
        } else {
            d->base = mod16_base[rm];
            d->index = mod16_index[rm];
            if (d->base == X86_REG_NONE) {   /* [si] / [di]: index only */
                d->base = d->index;
                d->index = X86_REG_NONE;
            }
            if (rm == 2 || rm == 3 || rm == 6) {
                seg = R_SS;
            }
            d->disp = mod == 1 ? (int8_t)get_bytes(r, 1)
                    : mod == 2 ? (int16_t)get_bytes(r, 2) : 0;
        }
    } else {
        kind = d->aflag == MO_64 ? 3 : code64 ? 2 : 1;
        int base = rm;
        if (rm == 4) {
            int sib = get_bytes(r, 1);
            int index = ((sib >> 3) & 7) | ((rex & 2) << 2);
            base = sib & 7;
            if (index != R_ESP) {
                d->index = index;
                d->scale = sib >> 6;
            }
            if (mod == 0 && base == 5) {
                base = -1;
                d->disp = (int32_t)get_bytes(r, 4);
            }
        } else if (mod == 0 && rm == 5) {
            base = -1;
            d->disp = (int32_t)get_bytes(r, 4);
            if (code64) {
                d->addr = d->aflag == MO_64 ? addr_rip_64 : addr_rip_32l;
            }
        }
        if (base >= 0) {
            base |= (rex & 1) << 3;
            d->base = base;
            /* RSP/RBP bases default to SS; R12/R13 (same low bits) do not */
            if (base == R_ESP || base == R_EBP) {
                seg = R_SS;
            }
            d->disp = mod == 1 ? (int8_t)get_bytes(r, 1)
                    : mod == 2 ? (int32_t)get_bytes(r, 4) : 0;
        }
    }
    if (seg_override >= 0) {
        seg = seg_override;
    }
    if (code64 && seg != R_FS && seg != R_GS) {
        seg = R_SEG_FLAT;
    }
    d->seg = seg;
    if (!d->addr) {
        bool b = d->base != X86_REG_NONE, i = d->index != X86_REG_NONE;

        d->addr = (d->segchk >> seg) & 1 ? addr_fns_tag[kind][b][i]
                                         : addr_fns[kind][b][i];
    }
}

int x86_decode(uint32_t hflags, const uint8_t *buf, int avail, DecodedInsn *d)
{
    Reader r = { .buf = buf, .avail = MIN(avail, X86_MAX_INSN_LEN + 1) };
    bool code64 = hflags & HF_CS64_MASK;
    bool code32 = hflags & HF_CS32_MASK;
    int prefix = 0, rex = 0, seg_override = -1;
    int b, map = 0;
    const X86OpEntry *e;
    uint32_t flags;
    X86Handler *handler = NULL;

    memset(d, 0, sizeof(*d));

    /* Prefixes.  A REX byte counts only right before the opcode. */
    for (;;) {
        b = get_bytes(&r, 1);
        if (r.short_buf) {
            goto short_buf;
        }
        switch (b) {
        case 0xf3: prefix = (prefix & ~PREFIX_REPNZ) | PREFIX_REPZ; rex = 0; continue;
        case 0xf2: prefix = (prefix & ~PREFIX_REPZ) | PREFIX_REPNZ; rex = 0; continue;
        case 0xf0: prefix |= PREFIX_LOCK; rex = 0; continue;
        case 0x66: prefix |= PREFIX_DATA; rex = 0; continue;
        case 0x67: prefix |= PREFIX_ADR; rex = 0; continue;
        case 0x26: seg_override = R_ES; rex = 0; continue;
        case 0x2e: seg_override = R_CS; rex = 0; continue;
        case 0x36: seg_override = R_SS; rex = 0; continue;
        case 0x3e: seg_override = R_DS; rex = 0; continue;
        case 0x64: seg_override = R_FS; rex = 0; continue;
        case 0x65: seg_override = R_GS; rex = 0; continue;
        }
        if (code64 && (b & 0xf0) == 0x40) {
            rex = b;
            prefix |= PREFIX_REX;
            continue;
        }
        break;
    }
    if (seg_override >= 0) {
        prefix |= PREFIX_SEG;
    }
    if (!rex) {
        prefix &= ~PREFIX_REX;
    }
    if (b == 0x0f) {
        map = 1;
        b = get_bytes(&r, 1);
        if (b == 0x38 || b == 0x3a) {
            map = b == 0x38 ? 2 : 3;
            b = get_bytes(&r, 1);
        }
    }
    d->opcode = b;
    d->map = map;
    d->prefix = prefix;

    /* Address and stack sizes come from the mode alone. */
    if (code64) {
        d->aflag = (prefix & PREFIX_ADR) ? MO_32 : MO_64;
        d->sflag = MO_64;
        d->seg_ss = R_SEG_FLAT;
        d->seg_es = R_SEG_FLAT;
        d->lmask = ~0ULL;
    } else {
        d->aflag = (code32 ^ !!(prefix & PREFIX_ADR)) ? MO_32 : MO_16;
        d->sflag = (hflags & HF_SS32_MASK) ? MO_32 : MO_16;
        d->seg_ss = R_SS;
        d->seg_es = R_ES;
        /* 4 GiB wrap; the tag bits of a checked segment's address stay */
        d->lmask = 0xffffffffULL | (0xfULL << X86_SEG_TAG_SHIFT);
        d->segchk = (hflags & HF_SEGCHK_MASK) >> HF_SEGCHK_SHIFT;
    }
    d->seg = seg_override >= 0 ? seg_override : R_DS;
    if (code64 && d->seg != R_FS && d->seg != R_GS) {
        d->seg = R_SEG_FLAT;
    }

    e = map >= 1 ? sse_lookup(map, b, prefix) : NULL;
    if (!e) {
        e = &op_table[map][b];
    }
    flags = e->flags;
    int modrm = 0;
    if (flags & F_MODRM) {
        modrm = get_bytes(&r, 1);
        d->mod = modrm >> 6;
        d->modrm_reg3 = (modrm >> 3) & 7;
        d->reg = d->modrm_reg3 | ((rex & 4) << 1);
        d->rm = (modrm & 7) | ((rex & 1) << 3);
        d->reg8 = byte_reg(d->reg, rex);
        d->rm8 = byte_reg(d->rm, rex);
    } else {
        d->mod = 3;
    }
    if (flags & F_GROUP) {
        e = &group_table[e->group][d->modrm_reg3];
        flags |= e->flags;
    }
    if (flags & F_REGOP) {
        d->reg = (b & 7) | ((rex & 1) << 3);
        d->reg8 = byte_reg(d->reg, rex);
    }

    /* Operand size. */
    if (flags & F_BYTE) {
        d->ot = MO_8;
    } else if (code64) {
        if (rex & 8) {
            d->ot = MO_64;
        } else if (flags & F_F64) {
            d->ot = MO_64;
        } else if (flags & F_DEF64) {
            d->ot = (prefix & PREFIX_DATA) ? MO_16 : MO_64;
        } else {
            d->ot = (prefix & PREFIX_DATA) ? MO_16 : MO_32;
        }
    } else {
        d->ot = (code32 ^ !!(prefix & PREFIX_DATA)) ? MO_32 : MO_16;
    }

    if ((flags & F_MODRM) && d->mod != 3) {
        decode_modrm_mem(&r, d, modrm, rex, code64, seg_override);
    }

    /* Immediates. */
    if (flags & F_IMM_B) {
        d->imm = (int8_t)get_bytes(&r, 1);
    } else if (flags & F_IMM_UB) {
        d->imm = (uint8_t)get_bytes(&r, 1);
    } else if (flags & F_IMM_Z) {
        int n = d->ot == MO_8 ? 1 : d->ot == MO_16 ? 2 : 4;
        d->imm = sext(get_bytes(&r, n), n == 1 ? MO_8 : n == 2 ? MO_16 : MO_32);
    } else if (flags & F_IMM_V) {
        d->imm = get_bytes(&r, 1 << d->ot);
    } else if (flags & F_IMM_W) {
        d->imm = (uint16_t)get_bytes(&r, 2);
    } else if (flags & F_IMM_WB) {
        d->imm = (uint16_t)get_bytes(&r, 2);
        d->imm2 = (uint8_t)get_bytes(&r, 1);
    } else if (flags & F_JB) {
        d->imm = (int8_t)get_bytes(&r, 1);
    } else if (flags & F_JZ) {
        /* rel32 in 64-bit mode even though the operand size is 64 */
        d->imm = d->ot == MO_16 ? (int16_t)get_bytes(&r, 2)
                                : (int32_t)get_bytes(&r, 4);
    } else if (flags & F_FARPTR) {
        d->imm = get_bytes(&r, d->ot == MO_16 ? 2 : 4);
        d->imm2 = (uint16_t)get_bytes(&r, 2);
    } else if (flags & F_MOFFS) {
        d->disp = get_bytes(&r, 1 << d->aflag);
        d->addr = addr_fns[d->aflag == MO_64 ? 3 : code64 ? 2 : d->aflag == MO_32][0][0];
        if ((d->segchk >> d->seg) & 1) {
            d->addr = addr_fns_tag[d->aflag == MO_32][0][0];
        }
    }
    if (r.short_buf) {
        goto short_buf;
    }
    d->len = r.pos;

    /* Pick the handler, or the reason there is none. */
    if (r.pos > X86_MAX_INSN_LEN) {
        d->len = X86_MAX_INSN_LEN;
        handler = x86_op_gp0;
    } else if (!e->family) {
        handler = NULL;
    } else if (!code64 && map == 0 && b == 0x63) {
        handler = x86_fam_arpl.h[0][0];   /* MOVSXD's opcode: r/m16, r16 */
    } else if ((code64 && (flags & F_INV64)) || (!code64 && (flags & F_ONLY64))) {
        handler = NULL;
    } else if ((flags & F_NEED_F3) && !(prefix & PREFIX_REPZ)) {
        handler = NULL;
    } else if ((prefix & PREFIX_LOCK) && (!(flags & F_LOCKABLE) || d->mod == 3)) {
        handler = NULL;
    } else if (map == 0 && b == 0x90 && !(rex & 1)) {
        /* NOP, not XCHG EAX,EAX (which would zero-extend in 64-bit mode) */
        handler = x86_fam_nop.h[0][0];
    } else if (flags & F_STRING) {
        /* string forms: the second index is "has a REP prefix" */
        handler = e->family->h[d->ot][!!(prefix & (PREFIX_REPZ | PREFIX_REPNZ))];
    } else {
        handler = e->family->h[d->ot][d->mod != 3];
    }
    if (!handler) {
        handler = x86_op_undefined;
        d->flags |= INSN_UNDEF | INSN_END_TB;
    } else if (d->mod != 3 &&
               ((prefix & PREFIX_LOCK) ||
                (map == 0 && (b == 0x86 || b == 0x87)))) {
        /* LOCK prefix, or XCHG with memory (always locked): atomic with
         * respect to the other vCPUs. */
        d->locked = handler;
        handler = x86_op_locked;
    } else if ((hflags & HF_CSLIM_MASK) &&
               ((flags & (F_JB | F_JZ)) ||
                (map == 0 && (b == 0xc2 || b == 0xc3 ||
                              (b == 0xff && (d->modrm_reg3 == 2 ||
                                             d->modrm_reg3 == 4)))))) {
        /* near branch under a CS limit: its target is checked */
        d->locked = handler;
        handler = x86_op_cs_limit;
    }
    if (flags & F_END) {
        d->flags |= INSN_END_TB;
    }
    /* A REP string op may stop with rip still on itself (see ops-move.c). */
    if ((flags & F_STRING) && (prefix & (PREFIX_REPZ | PREFIX_REPNZ))) {
        d->flags |= INSN_END_TB;
    }
    d->handler = handler;
    return d->len;

short_buf:
    if (r.avail <= X86_MAX_INSN_LEN) {
        return 0;   /* the caller may have more bytes */
    }
    /* Longer than 15 bytes (e.g. a run of prefixes): #GP(0). */
    memset(d, 0, sizeof(*d));
    d->len = X86_MAX_INSN_LEN;
    d->handler = x86_op_gp0;
    d->flags = INSN_END_TB;
    return d->len;
}
