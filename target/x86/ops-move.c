/*
 * Data movement, stack, control transfer, string and flag handlers.
 * Each handler is one instruction form; see target/x86/insn.h.
 */
#include "util/osdep.h"
#include "insn.h"
#include "util/log.h"

/* ---- #UD and friends ---- */

/*
 * An opcode the decoder has no handler for.  The first time each one
 * (map and opcode byte) is met, -d unimp logs it: the guest may have
 * expected it to exist.  UD0/UD1/UD2, undefined on purpose (Linux's BUG
 * and WARN), are not logged.
 */
void x86_op_undefined(CPUX86State *env, const DecodedInsn *d)
{
    static const char *const map_name[4] = { "", "0f ", "0f 38 ", "0f 3a " };
    /* Bitmaps of opcodes already logged, per map: process-wide, as the log. */
    static uint32_t logged[4][256 / 32];
    bool on_purpose = d->map == 1 &&
                      (d->opcode == 0x0b || d->opcode == 0xb9 || d->opcode == 0xff);

    if (unlikely(qemu_loglevel_mask(LOG_UNIMP)) && !on_purpose) {
        uint32_t bit = 1u << (d->opcode & 31);
        uint32_t old = __atomic_fetch_or(&logged[d->map & 3][d->opcode >> 5], bit,
                                         __ATOMIC_RELAXED);
        if (!(old & bit)) {
            qemu_log_mask(LOG_UNIMP, "x86: opcode %s%02x at %04x:%08" PRIx64
                          " is undefined or not implemented: #UD\n",
                          map_name[d->map & 3], d->opcode,
                          env->segs[R_CS].selector, env->rip);
        }
    }
    raise_exception(env, EXCP06_ILLOP);
}

void x86_op_gp0(CPUX86State *env, const DecodedInsn *d)
{
    raise_exception_err(env, EXCP0D_GPF, 0);
}

/*
 * A near branch in a TB translated with HF_CSLIM (a CS limit below
 * 4 GiB): d->locked is the branch's own handler.  A taken branch whose
 * target lies beyond the limit raises #GP(0) on the branch itself, with
 * the registers it changed (stack pointer, LOOP's counter, rip) as they
 * were; the return address a CALL stored below the stack pointer is not
 * architectural state.  A branch that falls through to the next
 * instruction leaves the check to that instruction's fetch.
 */
void x86_op_cs_limit(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t rip = env->rip, rsp = env->regs[R_ESP], rcx = env->regs[R_ECX];

    d->locked(env, d);
    if (unlikely(env->rip > env->segs[R_CS].limit) &&
        env->rip != rip + d->len) {
        env->rip = rip;
        env->regs[R_ESP] = rsp;
        env->regs[R_ECX] = rcx;
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
}

static void nop(CPUX86State *env, const DecodedInsn *d)
{
    next_insn(env, d);
}
GEN_FAMILY_ONE(nop, nop)
GEN_FAMILY_ONE(nop_E, nop)   /* hint NOPs never touch their memory operand */

/* ---- MOV family ---- */
ALWAYS_INLINE void mov_eg(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t v = get_reg(env, ot, reg_g(d, ot));
    if (mem) {
        st(env, d->addr(env, d), v, ot);
    } else {
        set_reg(env, ot, reg_e(d, ot), v);
    }
    next_insn(env, d);
}
ALWAYS_INLINE void mov_ge(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr;
    set_reg(env, ot, reg_g(d, ot), ld_e(env, d, ot, mem, &addr));
    next_insn(env, d);
}
ALWAYS_INLINE void mov_ei(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    if (mem) {
        st(env, d->addr(env, d), d->imm, ot);
    } else {
        set_reg(env, ot, reg_e(d, ot), d->imm);
    }
    next_insn(env, d);
}
ALWAYS_INLINE void mov_zi(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    set_reg(env, ot, reg_g(d, ot), d->imm);
    next_insn(env, d);
}
ALWAYS_INLINE void mov_ao(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    set_reg(env, ot, R_EAX, ld(env, d->addr(env, d), ot));
    next_insn(env, d);
}
ALWAYS_INLINE void mov_oa(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    st(env, d->addr(env, d), get_reg(env, ot, R_EAX), ot);
    next_insn(env, d);
}
/* MOV Ev, Sreg: a register destination takes the zero-extended selector,
 * memory always gets 16 bits. */
ALWAYS_INLINE void mov_es(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint16_t sel;
    if (d->modrm_reg3 >= R_SEG_COUNT) {
        raise_exception(env, EXCP06_ILLOP);
    }
    sel = env->segs[d->modrm_reg3].selector;
    if (mem) {
        st(env, d->addr(env, d), sel, MO_16);
    } else {
        set_reg(env, ot, d->rm, sel);
    }
    next_insn(env, d);
}
GEN_FAMILY(mov_EG, mov_eg)
GEN_FAMILY(mov_GE, mov_ge)
GEN_FAMILY(mov_EI, mov_ei)
GEN_FAMILY_REG(mov_ZI, mov_zi)
GEN_FAMILY_REG(mov_AO, mov_ao)
GEN_FAMILY_REG(mov_OA, mov_oa)
GEN_FAMILY(mov_ES, mov_es)

#define MOVX_FAMILY(name, src_ot, SIGNED) \
    ALWAYS_INLINE void name##_ge(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { \
        uint64_t addr, v = ld_e(env, d, src_ot, mem, &addr); \
        set_reg(env, ot, d->reg, SIGNED ? (uint64_t)sext(v, src_ot) : v); \
        next_insn(env, d); \
    } \
    GEN_FAMILY(name, name##_ge)
MOVX_FAMILY(movzx_b, MO_8, false)
MOVX_FAMILY(movzx_w, MO_16, false)
MOVX_FAMILY(movsx_b, MO_8, true)
MOVX_FAMILY(movsx_w, MO_16, true)

ALWAYS_INLINE void movsxd_ge(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    int src_ot = ot == MO_64 ? MO_32 : ot;
    uint64_t addr, v = ld_e(env, d, src_ot, mem, &addr);
    set_reg(env, ot, d->reg, sext(v, src_ot));
    next_insn(env, d);
}
GEN_FAMILY(movsxd, movsxd_ge)

/* LEA: the offset, without the segment base the address function adds. */
ALWAYS_INLINE void lea_m(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    set_reg(env, ot, d->reg, d->addr(env, d) - env->segs[d->seg].base);
    next_insn(env, d);
}
GEN_FAMILY_MEM(lea, lea_m)

ALWAYS_INLINE void xchg_eg(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr = 0, a = ld_e(env, d, ot, mem, &addr);
    uint64_t b = get_reg(env, ot, reg_g(d, ot));
    st_e(env, d, ot, mem, addr, b);
    set_reg(env, ot, reg_g(d, ot), a);
    next_insn(env, d);
}
ALWAYS_INLINE void xchg_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t a = get_reg(env, ot, R_EAX), b = get_reg(env, ot, d->reg);
    set_reg(env, ot, R_EAX, b);
    set_reg(env, ot, d->reg, a);
    next_insn(env, d);
}
GEN_FAMILY(xchg_EG, xchg_eg)
GEN_FAMILY_REG(xchg_Z, xchg_z)

ALWAYS_INLINE void cmov_ge(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, v = ld_e(env, d, ot, mem, &addr);   /* loads even if false */
    if (!x86_check_cc(env, d->opcode & 15)) {
        v = get_reg(env, ot, d->reg);   /* a 32-bit cmov still zero-extends */
    }
    set_reg(env, ot, d->reg, v);
    next_insn(env, d);
}
ALWAYS_INLINE void setcc_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t v = x86_check_cc(env, d->opcode & 15);
    if (mem) {
        st(env, d->addr(env, d), v, MO_8);
    } else {
        set_reg(env, MO_8, d->rm8, v);
    }
    next_insn(env, d);
}
GEN_FAMILY(cmov, cmov_ge)
GEN_FAMILY(setcc, setcc_e)

ALWAYS_INLINE void bswap_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t v = env->regs[d->reg];
    if (ot == MO_64) {
        v = __builtin_bswap64(v);
    } else if (ot == MO_32) {
        v = __builtin_bswap32((uint32_t)v);
    } else {
        v = 0;   /* undefined for 16 bits; hardware clears the word */
    }
    set_reg(env, ot, d->reg, v);
    next_insn(env, d);
}
GEN_FAMILY_REG(bswap, bswap_z)

/* CBW/CWDE/CDQE and CWD/CDQ/CQO */
ALWAYS_INLINE void cbw_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    set_reg(env, ot, R_EAX, sext(get_reg(env, ot - 1, R_EAX), ot - 1));
    next_insn(env, d);
}
ALWAYS_INLINE void cwd_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    set_reg(env, ot, R_EDX, (uint64_t)(sext(get_reg(env, ot, R_EAX), ot) >> 63));
    next_insn(env, d);
}
GEN_FAMILY_REG(cbw, cbw_z)
GEN_FAMILY_REG(cwd, cwd_z)

static void xlat(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t off = (env->regs[R_EBX] + (uint8_t)env->regs[R_EAX]) & ot_mask(d->aflag);
    set_reg(env, MO_8, 0, ld(env, linear(env, d, d->seg, off), MO_8));
    next_insn(env, d);
}
GEN_FAMILY_ONE(xlat, xlat)

/* ---- flags ---- */
static void clc(CPUX86State *env, const DecodedInsn *d)
{
    set_flags(env, flags_now(env) & ~CC_C);
    next_insn(env, d);
}
static void stc(CPUX86State *env, const DecodedInsn *d)
{
    set_flags(env, flags_now(env) | CC_C);
    next_insn(env, d);
}
static void cmc(CPUX86State *env, const DecodedInsn *d)
{
    set_flags(env, flags_now(env) ^ CC_C);
    next_insn(env, d);
}
static void cld(CPUX86State *env, const DecodedInsn *d)
{
    env->eflags &= ~(uint64_t)DF_MASK;
    next_insn(env, d);
}
static void std_(CPUX86State *env, const DecodedInsn *d)
{
    env->eflags |= DF_MASK;
    next_insn(env, d);
}
static void lahf(CPUX86State *env, const DecodedInsn *d)
{
    set_reg(env, MO_8, 1, (flags_now(env) & (CC_S | CC_Z | CC_A | CC_P | CC_C)) |
            EFLAGS_FIXED);
    next_insn(env, d);
}
static void sahf(CPUX86State *env, const DecodedInsn *d)
{
    uint32_t m = CC_S | CC_Z | CC_A | CC_P | CC_C;
    set_flags(env, (flags_now(env) & ~m) | ((env->regs[R_EAX] >> 8) & m));
    next_insn(env, d);
}
GEN_FAMILY_ONE(clc, clc)
GEN_FAMILY_ONE(stc, stc)
GEN_FAMILY_ONE(cmc, cmc)
GEN_FAMILY_ONE(cld, cld)
GEN_FAMILY_ONE(std, std_)
GEN_FAMILY_ONE(lahf, lahf)
GEN_FAMILY_ONE(sahf, sahf)

/* Virtual-8086 mode without VME: PUSHF, POPF, INT n and IRET need IOPL 3. */
static inline void check_vm86_iopl(CPUX86State *env)
{
    if (unlikely(env->eflags & VM_MASK) &&
        (env->eflags & IOPL_MASK) != IOPL_MASK) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
}

ALWAYS_INLINE void pushf_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    check_vm86_iopl(env);
    push(env, d, ot, cpu_compute_eflags(env) & ~(uint64_t)(VM_MASK | RF_MASK));
    next_insn(env, d);
}
/* POPF: which bits change depends on privilege (IOPL only at CPL 0, IF
 * only at CPL <= IOPL); in virtual-8086 mode (CPL 3) only with IOPL 3. */
ALWAYS_INLINE void popf_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t v;

    check_vm86_iopl(env);
    v = pop_peek(env, d, ot, 0);
    uint64_t mask = CC_ALL | TF_MASK | DF_MASK | NT_MASK | AC_MASK | ID_MASK;
    int cpl = env->hflags & HF_CPL_MASK;
    int iopl = (env->eflags & IOPL_MASK) >> 12;

    if (cpl == 0) {
        mask |= IOPL_MASK;
    }
    if (cpl <= iopl) {
        mask |= IF_MASK;
    }
    if (ot == MO_16) {
        mask &= 0xffff;
    }
    sp_add(env, d, 1 << ot);
    cpu_load_eflags(env, v, mask);
    next_insn(env, d);
}
GEN_FAMILY_REG(pushf, pushf_z)
GEN_FAMILY_REG(popf, popf_z)

/* ---- stack ---- */
ALWAYS_INLINE void push_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    push(env, d, ot, get_reg(env, ot, d->reg));   /* PUSH RSP pushes the old value */
    next_insn(env, d);
}
ALWAYS_INLINE void pop_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t v = pop_peek(env, d, ot, 0);
    sp_add(env, d, 1 << ot);
    set_reg(env, ot, d->reg, v);   /* POP RSP: the loaded value wins */
    next_insn(env, d);
}
ALWAYS_INLINE void push_i(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    push(env, d, ot, d->imm);
    next_insn(env, d);
}
ALWAYS_INLINE void push_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr;
    push(env, d, ot, ld_e(env, d, ot, mem, &addr));
    next_insn(env, d);
}
/* POP Ev: a memory operand addressed through RSP sees the incremented RSP;
 * RSP itself changes only once the store has succeeded. */
ALWAYS_INLINE void pop_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t v = pop_peek(env, d, ot, 0);
    if (mem) {
        uint64_t old_sp = env->regs[R_ESP], addr;
        sp_add(env, d, 1 << ot);
        addr = d->addr(env, d);
        env->regs[R_ESP] = old_sp;
        st(env, addr, v, ot);
        sp_add(env, d, 1 << ot);
    } else {
        sp_add(env, d, 1 << ot);
        set_reg(env, ot, d->rm, v);
    }
    next_insn(env, d);
}
GEN_FAMILY_REG(push_Z, push_z)
GEN_FAMILY_REG(pop_Z, pop_z)
GEN_FAMILY_REG(push_I, push_i)
GEN_FAMILY(push_E, push_e)
GEN_FAMILY(pop_E, pop_e)

#define PUSH_SEG(name, SEG) \
    ALWAYS_INLINE void name##_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem) \
    { \
        push(env, d, ot, env->segs[SEG].selector); \
        next_insn(env, d); \
    } \
    GEN_FAMILY_REG(name, name##_z)
PUSH_SEG(push_es, R_ES)
PUSH_SEG(push_cs, R_CS)
PUSH_SEG(push_ss, R_SS)
PUSH_SEG(push_ds, R_DS)
PUSH_SEG(push_fs, R_FS)
PUSH_SEG(push_gs, R_GS)

ALWAYS_INLINE void pusha_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t sp = env->regs[R_ESP];
    int n = 1 << ot;
    /* Store all eight first so a fault leaves ESP unchanged. */
    for (int i = 0; i < 8; i++) {
        uint64_t v = i == R_ESP ? sp : env->regs[i];
        uint64_t a = (sp - (i + 1) * n) & sp_mask(d->sflag);
        st(env, linear(env, d, d->seg_ss, a), v, ot);
    }
    sp_add(env, d, -8 * n);
    next_insn(env, d);
}
ALWAYS_INLINE void popa_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t v[8];
    int n = 1 << ot;
    for (int i = 0; i < 8; i++) {
        v[7 - i] = pop_peek(env, d, ot, i * n);
    }
    for (int i = 0; i < 8; i++) {
        if (i != R_ESP) {
            set_reg(env, ot, i, v[i]);
        }
    }
    sp_add(env, d, 8 * n);
    next_insn(env, d);
}
GEN_FAMILY_REG(pusha, pusha_z)
GEN_FAMILY_REG(popa, popa_z)

ALWAYS_INLINE void enter_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    unsigned level = d->imm2 & 31;
    int n = 1 << ot;
    uint64_t m = sp_mask(d->sflag);
    uint64_t bp = env->regs[R_EBP], sp = env->regs[R_ESP];
    uint64_t frame;

    /* Compute everything on a private copy of SP; commit at the end. */
    sp = (sp - n) & m;
    st(env, linear(env, d, d->seg_ss, sp), bp, ot);
    frame = sp;
    for (unsigned i = 1; i < level; i++) {
        uint64_t v;
        bp = (bp - n) & sp_mask(d->sflag);
        v = ld(env, linear(env, d, d->seg_ss, bp), ot);
        sp = (sp - n) & m;
        st(env, linear(env, d, d->seg_ss, sp), v, ot);
    }
    if (level) {
        sp = (sp - n) & m;
        st(env, linear(env, d, d->seg_ss, sp), frame, ot);
    }
    sp = (sp - d->imm) & m;
    set_reg(env, ot, R_EBP, frame);
    set_reg(env, d->sflag, R_ESP, sp);
    next_insn(env, d);
}
ALWAYS_INLINE void leave_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t bp = env->regs[R_EBP] & sp_mask(d->sflag);
    uint64_t v = ld(env, linear(env, d, d->seg_ss, bp), ot);
    set_reg(env, d->sflag, R_ESP, bp + (1 << ot));
    set_reg(env, ot, R_EBP, v);
    next_insn(env, d);
}
GEN_FAMILY_REG(enter, enter_z)
GEN_FAMILY_REG(leave, leave_z)

/* ---- control transfer ---- */
/* Branch targets wrap to the operand size (IP in 16-bit code). */
ALWAYS_INLINE void jump_to(CPUX86State *env, int ot, uint64_t target)
{
    env->rip = target & ot_mask(ot);
}
ALWAYS_INLINE uint64_t next_rip(CPUX86State *env, const DecodedInsn *d)
{
    return env->rip + d->len;
}

ALWAYS_INLINE void jcc_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    if (x86_check_cc(env, d->opcode & 15)) {
        jump_to(env, ot, next_rip(env, d) + d->imm);
    } else {
        next_insn(env, d);
    }
}
ALWAYS_INLINE void jmp_j(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    jump_to(env, ot, next_rip(env, d) + d->imm);
}
ALWAYS_INLINE void call_j(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t ret = next_rip(env, d);
    push(env, d, ot, ret);
    jump_to(env, ot, ret + d->imm);
}
ALWAYS_INLINE void jmp_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr;
    jump_to(env, ot, ld_e(env, d, ot, mem, &addr));
}
ALWAYS_INLINE void call_e(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t addr, target = ld_e(env, d, ot, mem, &addr);
    push(env, d, ot, next_rip(env, d));
    jump_to(env, ot, target);
}
ALWAYS_INLINE void ret_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{
    uint64_t target = pop_peek(env, d, ot, 0);
    sp_add(env, d, (1 << ot) + d->imm);
    jump_to(env, ot, target);
}
GEN_FAMILY_REG(jcc, jcc_z)
GEN_FAMILY_REG(jmp_J, jmp_j)
GEN_FAMILY_REG(call_J, call_j)
GEN_FAMILY(jmp_E, jmp_e)
GEN_FAMILY(call_E, call_e)
GEN_FAMILY_REG(ret, ret_z)
GEN_FAMILY_REG(ret_I, ret_z)

/* LOOP/LOOPE/LOOPNE/JCXZ count in the address-size register. */
ALWAYS_INLINE void loop_common(CPUX86State *env, const DecodedInsn *d, int ot,
                               int kind)
{
    uint64_t cnt = get_reg(env, d->aflag, R_ECX);
    bool take;

    if (kind == 3) {
        take = cnt == 0;
    } else {
        cnt = (cnt - 1) & ot_mask(d->aflag);
        set_reg(env, d->aflag, R_ECX, cnt);
        take = cnt != 0;
        if (kind == 0) {
            take = take && !x86_check_cc(env, 4);   /* LOOPNE: ZF = 0 */
        } else if (kind == 1) {
            take = take && x86_check_cc(env, 4);
        }
    }
    if (take) {
        jump_to(env, ot, next_rip(env, d) + d->imm);
    } else {
        next_insn(env, d);
    }
}
ALWAYS_INLINE void loopnz_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ loop_common(env, d, ot, 0); }
ALWAYS_INLINE void loopz_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ loop_common(env, d, ot, 1); }
ALWAYS_INLINE void loop_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ loop_common(env, d, ot, 2); }
ALWAYS_INLINE void jcxz_z(CPUX86State *env, const DecodedInsn *d, int ot, bool mem)
{ loop_common(env, d, ot, 3); }
GEN_FAMILY_REG(loopnz, loopnz_z)
GEN_FAMILY_REG(loopz, loopz_z)
GEN_FAMILY_REG(loop, loop_z)
GEN_FAMILY_REG(jcxz, jcxz_z)

/* Software interrupts: delivery through the IDT comes with the system
 * slice; for now cpu_exec returns the vector, with rip at the INT. */
static void raise_soft_int(CPUX86State *env, const DecodedInsn *d, int vector)
{
    env->exception_is_int = 1;
    env->exception_next_rip = env->rip + d->len;
    raise_exception(env, vector);
}
static void int3(CPUX86State *env, const DecodedInsn *d)
{
    raise_soft_int(env, d, EXCP03_INT3);
}
static void int_i(CPUX86State *env, const DecodedInsn *d)
{
    check_vm86_iopl(env);
    raise_soft_int(env, d, (uint8_t)d->imm);
}
static void into(CPUX86State *env, const DecodedInsn *d)
{
    if (x86_check_cc(env, 0)) {
        raise_soft_int(env, d, EXCP04_INTO);
    }
    next_insn(env, d);
}
GEN_FAMILY_ONE(int3, int3)
GEN_FAMILY_ONE(int_I, int_i)
GEN_FAMILY_ONE(into, into)

/* ---- string instructions ---- */
/*
 * The second family index is "has a REP prefix".  A REP form runs at most
 * STRING_CHUNK iterations per execution and, if the count is not yet
 * exhausted, leaves rip on the instruction so the loop re-enters it: the
 * execution loop gets to check for interrupts and its budget in between,
 * and a fault mid-way leaves RCX/RSI/RDI precise.
 */
#define STRING_CHUNK 4096

enum { STR_MOVS, STR_STOS, STR_LODS, STR_CMPS, STR_SCAS };

ALWAYS_INLINE uint64_t str_src(CPUX86State *env, const DecodedInsn *d)
{
    return linear(env, d, d->seg, get_reg(env, d->aflag, R_ESI));
}
ALWAYS_INLINE uint64_t str_dst(CPUX86State *env, const DecodedInsn *d)
{
    return linear(env, d, d->seg_es, get_reg(env, d->aflag, R_EDI));
}
ALWAYS_INLINE void str_step(CPUX86State *env, const DecodedInsn *d, int r, int ot)
{
    int64_t step = (env->eflags & DF_MASK) ? -(1 << ot) : (1 << ot);
    set_reg(env, d->aflag, r, env->regs[r] + step);
}

ALWAYS_INLINE void string_once(CPUX86State *env, const DecodedInsn *d, int ot, int kind)
{
    uint64_t a, b;
    switch (kind) {
    case STR_MOVS:
        st(env, str_dst(env, d), ld(env, str_src(env, d), ot), ot);
        str_step(env, d, R_ESI, ot);
        str_step(env, d, R_EDI, ot);
        break;
    case STR_STOS:
        st(env, str_dst(env, d), get_reg(env, ot, R_EAX), ot);
        str_step(env, d, R_EDI, ot);
        break;
    case STR_LODS:
        set_reg(env, ot, R_EAX, ld(env, str_src(env, d), ot));
        str_step(env, d, R_ESI, ot);
        break;
    case STR_CMPS:
        a = ld(env, str_src(env, d), ot);
        b = ld(env, str_dst(env, d), ot);
        set_cc(env, CC_OP_SUBB + ot, (a - b) & ot_mask(ot), b);
        str_step(env, d, R_ESI, ot);
        str_step(env, d, R_EDI, ot);
        break;
    default:
        b = ld(env, str_dst(env, d), ot);
        set_cc(env, CC_OP_SUBB + ot, (get_reg(env, ot, R_EAX) - b) & ot_mask(ot), b);
        str_step(env, d, R_EDI, ot);
        break;
    }
}

ALWAYS_INLINE void string_op(CPUX86State *env, const DecodedInsn *d, int ot,
                             bool rep, int kind)
{
    if (!rep) {
        string_once(env, d, ot, kind);
        next_insn(env, d);
        return;
    }
    for (int i = 0; i < STRING_CHUNK; i++) {
        uint64_t cnt = get_reg(env, d->aflag, R_ECX);
        if (cnt == 0) {
            next_insn(env, d);
            return;
        }
        string_once(env, d, ot, kind);
        set_reg(env, d->aflag, R_ECX, cnt - 1);
        if (kind == STR_CMPS || kind == STR_SCAS) {
            /* REPE stops on ZF = 0, REPNE on ZF = 1 */
            bool zf = (env->cc_dst & ot_mask(ot)) == 0;
            if (zf != !!(d->prefix & PREFIX_REPZ)) {
                next_insn(env, d);
                return;
            }
        }
    }
    if (get_reg(env, d->aflag, R_ECX) == 0) {
        next_insn(env, d);
    }
}
#define STRING_FAMILY(name, KIND) \
    ALWAYS_INLINE void name##_s(CPUX86State *env, const DecodedInsn *d, int ot, bool rep) \
    { string_op(env, d, ot, rep, KIND); } \
    GEN_FAMILY(name, name##_s)
STRING_FAMILY(movs, STR_MOVS)
STRING_FAMILY(stos, STR_STOS)
STRING_FAMILY(lods, STR_LODS)
STRING_FAMILY(cmps, STR_CMPS)
STRING_FAMILY(scas, STR_SCAS)
