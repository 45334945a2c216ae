/*
 * Segmentation and privilege: descriptor loads, far JMP/CALL/RET through
 * code segments and call gates, IRET, interrupt and exception delivery in
 * real, protected and long mode, SYSCALL/SYSRET, SYSENTER/SYSEXIT and the
 * LDT/TR loads.  The checks and their order follow the SDM (and QEMU's
 * seg_helper.c, whose structure this file mirrors).
 *
 * Every delivery and transfer first reads and writes guest memory (which
 * may fault) and only then changes registers, so a fault in the middle
 * leaves the architectural state as it was before the instruction.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "seg_helper.h"

/* ---- system-structure memory ----------------------------------------- */

uint64_t x86_sys_load(CPUX86State *env, uint64_t addr, int size)
{
    uint64_t v;

    env->implicit_supervisor++;
    v = env->mem_ops->load(env, addr, size, MMU_DATA_LOAD);
    env->implicit_supervisor--;
    return v;
}

void x86_sys_store(CPUX86State *env, uint64_t addr, uint64_t val, int size)
{
    env->implicit_supervisor++;
    env->mem_ops->store(env, addr, val, size);
    env->implicit_supervisor--;
}

static uint64_t wrap_linear(CPUX86State *env, uint64_t addr)
{
    return (env->hflags & HF_LMA_MASK) ? addr : (uint32_t)addr;
}

/* ---- data access checks ---------------------------------------------- */

uint64_t x86_seg_check(CPUX86State *env, uint64_t addr, int size,
                       MMUAccessType access)
{
    int seg = (int)(addr >> X86_SEG_TAG_SHIFT) - 1;
    const SegmentCache *sc = &env->segs[seg];
    uint32_t lin = addr, off = lin - (uint32_t)sc->base, flags = sc->flags;
    uint64_t last = (uint64_t)off + size - 1;
    int vector = seg == R_SS ? EXCP0C_STACK : EXCP0D_GPF;

    if (x86_pe(env) && !(env->eflags & VM_MASK)) {
        /* a null selector's cache is not present */
        if (!(flags & DESC_P_MASK)) {
            raise_exception_err(env, vector, 0);
        }
        if (flags & DESC_CS_MASK) {
            if (access == MMU_DATA_STORE || !(flags & DESC_R_MASK)) {
                raise_exception_err(env, vector, 0);
            }
        } else if (access == MMU_DATA_STORE && !(flags & DESC_W_MASK)) {
            raise_exception_err(env, vector, 0);
        }
    }
    if (!(flags & DESC_CS_MASK) && (flags & DESC_E_MASK)) {
        /* expand-down: valid offsets are above the limit */
        uint32_t top = (flags & DESC_B_MASK) ? 0xffffffff : 0xffff;
        if (off <= sc->limit || last > top) {
            raise_exception_err(env, vector, 0);
        }
    } else if (last > sc->limit) {
        raise_exception_err(env, vector, 0);
    }
    return lin;
}

/* ---- segment cache --------------------------------------------------- */

void x86_set_cpl(CPUX86State *env, int cpl)
{
    env->hflags = (env->hflags & ~HF_CPL_MASK) | cpl;
}

void x86_load_seg_cache(CPUX86State *env, int seg, uint32_t selector,
                        uint64_t base, uint32_t limit, uint32_t flags)
{
    env->segs[seg] = (SegmentCache){ selector, base, limit, flags };
    x86_update_hflags(env);
}

static uint32_t desc_base(uint32_t e1, uint32_t e2)
{
    return (e1 >> 16) | ((e2 & 0xff) << 16) | (e2 & 0xff000000);
}

static uint32_t desc_limit(uint32_t e1, uint32_t e2)
{
    uint32_t limit = (e1 & 0xffff) | (e2 & 0x000f0000);
    return (e2 & DESC_G_MASK) ? (limit << 12) | 0xfff : limit;
}

static int desc_dpl(uint32_t e2)
{
    return (e2 >> DESC_DPL_SHIFT) & 3;
}

static int desc_type(uint32_t e2)
{
    return (e2 >> DESC_TYPE_SHIFT) & 0xf;
}

static void load_seg_from_desc(CPUX86State *env, int seg, uint32_t sel,
                               uint32_t e1, uint32_t e2)
{
    x86_load_seg_cache(env, seg, sel, desc_base(e1, e2), desc_limit(e1, e2), e2);
}

/* Read the descriptor selector names; false if outside its table. */
static bool load_desc(CPUX86State *env, uint32_t sel, uint32_t *e1, uint32_t *e2)
{
    SegmentCache *dt = (sel & 4) ? &env->ldt : &env->gdt;
    uint32_t index = sel & ~7u;

    if (index + 7 > dt->limit) {
        return false;
    }
    *e1 = x86_sys_load(env, dt->base + index, 4);
    *e2 = x86_sys_load(env, dt->base + index + 4, 4);
    return true;
}

static void set_desc_accessed(CPUX86State *env, uint32_t sel, uint32_t *e2)
{
    SegmentCache *dt = (sel & 4) ? &env->ldt : &env->gdt;

    if (!(*e2 & DESC_A_MASK)) {
        *e2 |= DESC_A_MASK;
        x86_sys_store(env, dt->base + (sel & ~7u) + 4, *e2, 4);
    }
}

/*
 * Virtual-8086 segments: base sel << 4, limit 64 KiB, a writable DPL 3
 * data segment whatever the register (CS included).
 */
#define VM86_SEG_FLAGS (DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | \
                        (3u << DESC_DPL_SHIFT))

static void load_seg_vm(CPUX86State *env, int seg, uint32_t selector)
{
    selector &= 0xffff;
    x86_load_seg_cache(env, seg, selector, selector << 4, 0xffff,
                       VM86_SEG_FLAGS);
}

/* MOV/POP Sreg, LxS: protected-mode checks, real-mode base = sel << 4. */
void x86_load_seg(CPUX86State *env, int seg, uint32_t selector)
{
    uint32_t e1, e2;
    int cpl = x86_cpl(env), rpl, dpl;

    selector &= 0xffff;
    if (env->eflags & VM_MASK) {
        load_seg_vm(env, seg, selector);
        return;
    }
    if (!x86_pe(env)) {
        x86_load_seg_cache(env, seg, selector, selector << 4,
                           env->segs[seg].limit,
                           env->segs[seg].flags | DESC_P_MASK | DESC_S_MASK);
        return;
    }
    if ((selector & 0xfffc) == 0) {
        /* A null SS is only allowed in 64-bit mode below CPL 3. */
        if (seg == R_SS &&
            (!(env->hflags & HF_CS64_MASK) || cpl == 3 || (int)(selector & 3) != cpl)) {
            raise_exception_err(env, EXCP0D_GPF, 0);
        }
        x86_load_seg_cache(env, seg, selector, 0, 0,
                           seg == R_SS ? (uint32_t)cpl << DESC_DPL_SHIFT : 0);
        return;
    }
    if (!load_desc(env, selector, &e1, &e2)) {
        raise_exception_err(env, EXCP0D_GPF, selector & 0xfffc);
    }
    if (!(e2 & DESC_S_MASK)) {
        raise_exception_err(env, EXCP0D_GPF, selector & 0xfffc);
    }
    rpl = selector & 3;
    dpl = desc_dpl(e2);
    if (seg == R_SS) {
        if ((e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK) || rpl != cpl ||
            dpl != cpl) {
            raise_exception_err(env, EXCP0D_GPF, selector & 0xfffc);
        }
    } else {
        if ((e2 & (DESC_CS_MASK | DESC_R_MASK)) == DESC_CS_MASK) {
            raise_exception_err(env, EXCP0D_GPF, selector & 0xfffc);
        }
        /* data or non-conforming code: privilege must allow the access */
        if (!(e2 & DESC_CS_MASK) || !(e2 & DESC_C_MASK)) {
            if (dpl < cpl || dpl < rpl) {
                raise_exception_err(env, EXCP0D_GPF, selector & 0xfffc);
            }
        }
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, seg == R_SS ? EXCP0C_STACK : EXCP0B_NOSEG,
                            selector & 0xfffc);
    }
    set_desc_accessed(env, selector, &e2);
    load_seg_from_desc(env, seg, selector, e1, e2);
}

/* ---- stacks for far transfers and delivery --------------------------- */

typedef struct Stack {
    uint64_t base;
    uint64_t sp;
    uint64_t mask;   /* ~0: a 64-bit stack (canonical check, no limit) */
    bool sup;        /* the new, more privileged stack: CPL 0 access */
    uint32_t limit;  /* the SS limit and rights the offsets are checked against */
    uint32_t flags;
    uint32_t err;    /* #SS error code: 0, or the new SS selector */
} Stack;

static uint64_t sp_mask_of(uint32_t ss_flags)
{
    return (ss_flags & DESC_B_MASK) ? 0xffffffffULL : 0xffffULL;
}

/* A legacy stack in the segment described by e1/e2 (a new, inner SS). */
static Stack new_stack32(uint32_t ss, uint32_t e1, uint32_t e2, uint64_t sp)
{
    return (Stack){ desc_base(e1, e2), sp, sp_mask_of(e2), true,
                    desc_limit(e1, e2), e2, ss & 0xfffc };
}

static Stack stack64(uint64_t sp, bool sup)
{
    return (Stack){ 0, sp, ~0ULL, sup, 0, 0, 0 };
}

/*
 * The bytes [sp, sp + size) must lie within SS (#SS): below the limit,
 * or above it for expand-down; in 64-bit mode the address must be
 * canonical (#SS(0), not #GP).
 */
static void stack_check(CPUX86State *env, const Stack *s, int size)
{
    uint64_t last = s->sp + size - 1;

    if (s->mask == ~0ULL) {
        if (!x86_is_canonical(s->sp) || !x86_is_canonical(last)) {
            raise_exception_err(env, EXCP0C_STACK, 0);
        }
        return;
    }
    if (!(s->flags & DESC_CS_MASK) && (s->flags & DESC_E_MASK)) {
        uint32_t top = (s->flags & DESC_B_MASK) ? 0xffffffff : 0xffff;
        if (s->sp <= s->limit || last > top) {
            raise_exception_err(env, EXCP0C_STACK, s->err);
        }
    } else if (last > s->limit) {
        raise_exception_err(env, EXCP0C_STACK, s->err);
    }
}

static Stack cur_stack(CPUX86State *env)
{
    const SegmentCache *ss = &env->segs[R_SS];
    Stack s = { ss->base, env->regs[R_ESP], sp_mask_of(ss->flags), false,
                ss->limit, ss->flags, 0 };

    if (env->hflags & HF_CS64_MASK) {
        return stack64(env->regs[R_ESP], false);
    }
    return s;
}

static void stack_push(CPUX86State *env, Stack *s, int size, uint64_t v)
{
    uint64_t addr;

    s->sp = (s->sp - size) & s->mask;
    stack_check(env, s, size);
    addr = wrap_linear(env, s->base + s->sp);
    if (s->sup) {
        x86_sys_store(env, addr, v, size);
    } else {
        env->mem_ops->store(env, addr, v, size);
    }
}

static uint64_t stack_pop(CPUX86State *env, Stack *s, int size)
{
    uint64_t v;

    stack_check(env, s, size);
    v = env->mem_ops->load(env, wrap_linear(env, s->base + s->sp), size,
                           MMU_DATA_LOAD);
    s->sp = (s->sp + size) & s->mask;
    return v;
}

/* Write back ESP keeping the bits outside the stack size. */
static void set_esp(CPUX86State *env, uint64_t sp, uint64_t mask)
{
    if (mask == 0xffff) {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffULL) | (sp & 0xffff);
    } else if (mask == 0xffffffffULL) {
        env->regs[R_ESP] = (uint32_t)sp;
    } else {
        env->regs[R_ESP] = sp;
    }
}

/* Inner-level SS:ESP from a 16- or 32-bit TSS. */
static void tss_stack(CPUX86State *env, int dpl, uint32_t *ss, uint32_t *esp)
{
    int type = desc_type(env->tr.flags);
    int shift = type >> 3;
    uint32_t index = (dpl * 4 + 2) << shift;

    if (!(env->tr.flags & DESC_P_MASK) || (type & 7) != 3 ||
        index + (4 << shift) - 1 > env->tr.limit) {
        raise_exception_err(env, EXCP0A_TSS, env->tr.selector & 0xfffc);
    }
    if (shift == 0) {
        *esp = x86_sys_load(env, env->tr.base + index, 2);
        *ss = x86_sys_load(env, env->tr.base + index + 2, 2);
    } else {
        *esp = x86_sys_load(env, env->tr.base + index, 4);
        *ss = x86_sys_load(env, env->tr.base + index + 4, 2);
    }
}

/* RSPn (level 0-2) or ISTn (level 4-10) from the 64-bit TSS. */
static uint64_t tss_rsp64(CPUX86State *env, int level)
{
    uint32_t index = 8 * level + 4;

    if (index + 7 > env->tr.limit) {
        raise_exception_err(env, EXCP0A_TSS, env->tr.selector & 0xfffc);
    }
    return x86_sys_load(env, env->tr.base + index, 8);
}

/* Validate the inner stack segment ss for privilege dpl (#TS/#SS). */
static void check_inner_ss(CPUX86State *env, uint32_t ss, int dpl,
                           uint32_t *e1, uint32_t *e2)
{
    if ((ss & 0xfffc) == 0) {
        raise_exception_err(env, EXCP0A_TSS, ss & 0xfffc);
    }
    if ((int)(ss & 3) != dpl || !load_desc(env, ss, e1, e2) ||
        desc_dpl(*e2) != dpl || !(*e2 & DESC_S_MASK) ||
        (*e2 & DESC_CS_MASK) || !(*e2 & DESC_W_MASK)) {
        raise_exception_err(env, EXCP0A_TSS, ss & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0C_STACK, ss & 0xfffc);
    }
}

/* ---- hardware task switch -------------------------------------------- */

/* Why a task switch happens: decides busy bits, NT and the back link. */
enum { TS_JMP, TS_CALL, TS_IRET };

#define DESC_TSS_BUSY_MASK (2u << DESC_TYPE_SHIFT)

/* Set or clear the busy bit of the TSS descriptor sel names in the GDT. */
static void set_tss_busy(CPUX86State *env, uint32_t sel, bool busy)
{
    uint64_t addr = env->gdt.base + (sel & ~7u) + 4;
    uint32_t e2 = x86_sys_load(env, addr, 4);

    e2 = busy ? e2 | DESC_TSS_BUSY_MASK : e2 & ~DESC_TSS_BUSY_MASK;
    x86_sys_store(env, addr, e2, 4);
}

/*
 * Load one segment register of the incoming task (SDM "Task Switching",
 * step 12): faults here are #TS(sel), or #NP/#SS for a not-present
 * segment, and happen in the context of the new task.
 */
static void tss_load_seg(CPUX86State *env, int seg, uint32_t sel)
{
    uint32_t e1, e2;
    int rpl = sel & 3, dpl, cpl = x86_cpl(env);

    if ((sel & 0xfffc) == 0) {
        if (seg == R_SS || seg == R_CS) {
            raise_exception_err(env, EXCP0A_TSS, sel & 0xfffc);
        }
        x86_load_seg_cache(env, seg, sel, 0, 0, 0);
        return;
    }
    if (!load_desc(env, sel, &e1, &e2) || !(e2 & DESC_S_MASK)) {
        raise_exception_err(env, EXCP0A_TSS, sel & 0xfffc);
    }
    dpl = desc_dpl(e2);
    if (seg == R_CS) {
        if (!(e2 & DESC_CS_MASK) ||
            ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl)) {
            raise_exception_err(env, EXCP0A_TSS, sel & 0xfffc);
        }
    } else if (seg == R_SS) {
        if ((e2 & DESC_CS_MASK) || !(e2 & DESC_W_MASK) ||
            dpl != cpl || rpl != cpl) {
            raise_exception_err(env, EXCP0A_TSS, sel & 0xfffc);
        }
    } else {
        if ((e2 & (DESC_CS_MASK | DESC_R_MASK)) == DESC_CS_MASK) {
            raise_exception_err(env, EXCP0A_TSS, sel & 0xfffc);
        }
        if ((!(e2 & DESC_CS_MASK) || !(e2 & DESC_C_MASK)) &&
            (dpl < cpl || dpl < rpl)) {
            raise_exception_err(env, EXCP0A_TSS, sel & 0xfffc);
        }
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, seg == R_SS ? EXCP0C_STACK : EXCP0B_NOSEG,
                            sel & 0xfffc);
    }
    set_desc_accessed(env, sel, &e2);
    load_seg_from_desc(env, seg, sel, e1, e2);
}

/*
 * Switch to the task whose TSS descriptor (e1, e2) sel names, or through
 * the task gate sel names (source TS_JMP / TS_CALL; interrupts and
 * exceptions through a task gate count as TS_CALL).  next_eip is the EIP
 * saved in the outgoing TSS.  Follows the SDM's order: everything that
 * can fault in the old context (descriptor, limits, reading the new TSS,
 * touching the old one) comes first; after the state is committed,
 * faults loading the new segments are delivered in the new task.
 */
static void x86_task_switch(CPUX86State *env, uint32_t sel, uint32_t e1,
                            uint32_t e2, int source, uint32_t next_eip)
{
    uint32_t new_regs[8], new_segs[R_SEG_COUNT], new_eip, new_eflags;
    uint32_t new_cr3 = 0, new_ldt, old_tss_limit_max, tss_limit_max;
    uint32_t old_eflags, ldt_e1, ldt_e2;
    uint64_t tss_base;
    int type = desc_type(e2), old_type, shift;

    if (type == 5) {
        /* Task gate: the TSS selector is in the gate. */
        if (!(e2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc);
        }
        sel = e1 >> 16;
        if (sel & 4) {
            raise_exception_err(env, EXCP0A_TSS, sel & 0xfffc);
        }
        if (!load_desc(env, sel, &e1, &e2)) {
            raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
        }
        type = desc_type(e2);
        if ((e2 & DESC_S_MASK) || (type & 7) != 1) {
            raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
        }
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc);
    }
    shift = type >> 3;
    tss_limit_max = shift ? 103 : 43;
    if (desc_limit(e1, e2) < tss_limit_max) {
        raise_exception_err(env, EXCP0A_TSS, sel & 0xfffc);
    }
    tss_base = desc_base(e1, e2);
    old_type = desc_type(env->tr.flags);
    old_tss_limit_max = (old_type & 8) ? 103 : 43;
    if (env->tr.limit < old_tss_limit_max) {
        raise_exception_err(env, EXCP0A_TSS, env->tr.selector & 0xfffc);
    }

    /* Read the whole incoming state. */
    if (shift) {
        new_cr3 = x86_sys_load(env, tss_base + 0x1c, 4);
        new_eip = x86_sys_load(env, tss_base + 0x20, 4);
        new_eflags = x86_sys_load(env, tss_base + 0x24, 4);
        for (int i = 0; i < 8; i++) {
            new_regs[i] = x86_sys_load(env, tss_base + 0x28 + i * 4, 4);
        }
        for (int i = 0; i < R_SEG_COUNT; i++) {
            new_segs[i] = x86_sys_load(env, tss_base + 0x48 + i * 4, 2);
        }
        new_ldt = x86_sys_load(env, tss_base + 0x60, 2);
    } else {
        new_eip = x86_sys_load(env, tss_base + 0x0e, 2);
        new_eflags = x86_sys_load(env, tss_base + 0x10, 2);
        for (int i = 0; i < 8; i++) {
            /* the upper halves of the registers are kept */
            new_regs[i] = (env->regs[i] & 0xffff0000) |
                          x86_sys_load(env, tss_base + 0x12 + i * 2, 2);
        }
        for (int i = 0; i < 4; i++) {
            new_segs[i] = x86_sys_load(env, tss_base + 0x22 + i * 2, 2);
        }
        new_segs[R_FS] = 0;
        new_segs[R_GS] = 0;
        new_ldt = x86_sys_load(env, tss_base + 0x2a, 2);
    }
    /* Fault now, not half-way, if either TSS is not writable. */
    x86_sys_store(env, tss_base, x86_sys_load(env, tss_base, 1), 1);
    x86_sys_store(env, tss_base + tss_limit_max,
                  x86_sys_load(env, tss_base + tss_limit_max, 1), 1);
    x86_sys_store(env, env->tr.base, x86_sys_load(env, env->tr.base, 1), 1);
    x86_sys_store(env, env->tr.base + old_tss_limit_max,
                  x86_sys_load(env, env->tr.base + old_tss_limit_max, 1), 1);

    /* The outgoing task leaves the busy state unless it nests. */
    if (source == TS_JMP || source == TS_IRET) {
        set_tss_busy(env, env->tr.selector, false);
    }
    old_eflags = cpu_compute_eflags(env);
    if (source == TS_IRET) {
        old_eflags &= ~NT_MASK;
    }
    /* Save the outgoing state (CR3 and the LDT selector are not saved). */
    if (old_type & 8) {
        x86_sys_store(env, env->tr.base + 0x20, next_eip, 4);
        x86_sys_store(env, env->tr.base + 0x24, old_eflags, 4);
        for (int i = 0; i < 8; i++) {
            x86_sys_store(env, env->tr.base + 0x28 + i * 4, env->regs[i], 4);
        }
        for (int i = 0; i < R_SEG_COUNT; i++) {
            x86_sys_store(env, env->tr.base + 0x48 + i * 4,
                          env->segs[i].selector, 2);
        }
    } else {
        x86_sys_store(env, env->tr.base + 0x0e, next_eip, 2);
        x86_sys_store(env, env->tr.base + 0x10, old_eflags, 2);
        for (int i = 0; i < 8; i++) {
            x86_sys_store(env, env->tr.base + 0x12 + i * 2, env->regs[i], 2);
        }
        for (int i = 0; i < 4; i++) {
            x86_sys_store(env, env->tr.base + 0x22 + i * 2,
                          env->segs[i].selector, 2);
        }
    }
    /* A nested task links back to the caller and runs with NT set. */
    if (source == TS_CALL) {
        x86_sys_store(env, tss_base, env->tr.selector, 2);
        new_eflags |= NT_MASK;
    }
    if (source == TS_JMP || source == TS_CALL) {
        set_tss_busy(env, sel, true);
        e2 |= DESC_TSS_BUSY_MASK;
    }

    /* Commit: from here on the new task is current. */
    env->cr[0] |= CR0_TS_MASK;
    env->tr = (SegmentCache){ sel, tss_base, desc_limit(e1, e2), e2 };
    if (shift && (env->cr[0] & CR0_PG_MASK)) {
        x86_write_cr3(env, new_cr3);
    }
    env->rip = shift ? new_eip : new_eip & 0xffff;
    cpu_load_eflags(env, new_eflags,
                    shift ? 0x3f7fd5 : 0x7fd5);
    for (int i = 0; i < 8; i++) {
        env->regs[i] = new_regs[i];
    }
    /* Local breakpoints belong to the old task (DR7 L0-L3, LE). */
    env->dr[7] &= ~0x155ULL;
    x86_dr7_update(env);
    env->hflags &= ~HF_INHIBIT_IRQ_MASK;

    if (new_eflags & VM_MASK) {
        for (int i = 0; i < R_SEG_COUNT; i++) {
            load_seg_vm(env, i, new_segs[i]);
        }
        x86_set_cpl(env, 3);
    } else {
        /* Selectors first, so a fault below reports the new task's. */
        for (int i = 0; i < R_SEG_COUNT; i++) {
            env->segs[i].selector = new_segs[i];
            env->segs[i].flags &= ~DESC_P_MASK;
        }
        x86_set_cpl(env, new_segs[R_CS] & 3);
    }
    x86_update_hflags(env);

    env->ldt = (SegmentCache){ new_ldt & ~4u, 0, 0, 0 };
    if (new_ldt & 4) {
        raise_exception_err(env, EXCP0A_TSS, new_ldt & 0xfffc);
    }
    if ((new_ldt & 0xfffc) != 0) {
        if ((new_ldt & ~7u) + 7 > env->gdt.limit) {
            raise_exception_err(env, EXCP0A_TSS, new_ldt & 0xfffc);
        }
        ldt_e1 = x86_sys_load(env, env->gdt.base + (new_ldt & ~7u), 4);
        ldt_e2 = x86_sys_load(env, env->gdt.base + (new_ldt & ~7u) + 4, 4);
        if ((ldt_e2 & DESC_S_MASK) || desc_type(ldt_e2) != 2 ||
            !(ldt_e2 & DESC_P_MASK)) {
            raise_exception_err(env, EXCP0A_TSS, new_ldt & 0xfffc);
        }
        env->ldt = (SegmentCache){ new_ldt, desc_base(ldt_e1, ldt_e2),
                                   desc_limit(ldt_e1, ldt_e2), ldt_e2 };
    }
    if (!(new_eflags & VM_MASK)) {
        /* CS first: the CPL it sets governs the SS and data checks. */
        tss_load_seg(env, R_CS, new_segs[R_CS]);
        tss_load_seg(env, R_SS, new_segs[R_SS]);
        tss_load_seg(env, R_ES, new_segs[R_ES]);
        tss_load_seg(env, R_DS, new_segs[R_DS]);
        tss_load_seg(env, R_FS, new_segs[R_FS]);
        tss_load_seg(env, R_GS, new_segs[R_GS]);
    }
    if (env->rip > env->segs[R_CS].limit) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
}

/* ---- interrupt delivery ---------------------------------------------- */

static bool exception_has_error_code(int vector)
{
    switch (vector) {
    case EXCP08_DBLE: case EXCP0A_TSS: case EXCP0B_NOSEG: case EXCP0C_STACK:
    case EXCP0D_GPF: case EXCP0E_PAGE: case EXCP11_ALGN:
        return true;
    }
    return false;
}

static void do_interrupt_real(CPUX86State *env, int vector, bool is_int,
                              uint64_t next_rip)
{
    uint32_t ptr = vector * 4, offset, selector;
    uint64_t old_ip = is_int ? next_rip : env->rip;
    Stack s = cur_stack(env);

    s.mask = 0xffff;
    if (ptr + 3 > env->idt.limit) {
        raise_exception_err(env, EXCP0D_GPF, vector * 8 + 2);
    }
    offset = x86_sys_load(env, env->idt.base + ptr, 2);
    selector = x86_sys_load(env, env->idt.base + ptr + 2, 2);
    stack_push(env, &s, 2, cpu_compute_eflags(env));
    stack_push(env, &s, 2, env->segs[R_CS].selector);
    stack_push(env, &s, 2, old_ip);

    set_esp(env, s.sp, 0xffff);
    env->rip = offset;
    env->segs[R_CS].selector = selector;
    env->segs[R_CS].base = selector << 4;
    env->eflags &= ~(uint64_t)(IF_MASK | TF_MASK | AC_MASK | RF_MASK);
    x86_update_hflags(env);
}

/* Gate checks common to 32- and 64-bit IDTs: the gate's code segment. */
static void check_gate_cs(CPUX86State *env, uint32_t selector, uint32_t *e1,
                          uint32_t *e2, int cpl)
{
    if ((selector & 0xfffc) == 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!load_desc(env, selector, e1, e2) || !(*e2 & DESC_S_MASK) ||
        !(*e2 & DESC_CS_MASK) || desc_dpl(*e2) > cpl) {
        raise_exception_err(env, EXCP0D_GPF, selector & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, selector & 0xfffc);
    }
}

/*
 * Interrupt or exception through a task gate: a nested task switch; an
 * error code goes on the new task's stack, sized by the new TSS.
 */
static void task_gate_interrupt(CPUX86State *env, int vector, uint32_t e1,
                                uint32_t e2, bool has_error, uint32_t error_code,
                                uint64_t old_ip)
{
    x86_task_switch(env, vector * 8 + 2, e1, e2, TS_CALL, old_ip);
    if (has_error) {
        int size = (desc_type(env->tr.flags) & 8) ? 4 : 2;
        Stack s = cur_stack(env);

        s.sup = x86_cpl(env) == 0;
        stack_push(env, &s, size, error_code);
        set_esp(env, s.sp, s.mask);
    }
}

static void do_interrupt_protected(CPUX86State *env, int vector, int is_int,
                                   bool is_hw, uint32_t error_code,
                                   uint64_t next_rip)
{
    bool has_error = !is_int && !is_hw && exception_has_error_code(vector);
    uint64_t old_ip = is_int ? next_rip : env->rip;
    uint32_t e1, e2, ss_e1 = 0, ss_e2 = 0, ss = 0, esp = 0, selector, offset;
    int type, dpl, cpl = x86_cpl(env), shift, size;
    bool new_stack, vm86 = env->eflags & VM_MASK;
    Stack s;

    if ((uint32_t)vector * 8 + 7 > env->idt.limit) {
        raise_exception_err(env, EXCP0D_GPF, vector * 8 + 2);
    }
    e1 = x86_sys_load(env, env->idt.base + vector * 8, 4);
    e2 = x86_sys_load(env, env->idt.base + vector * 8 + 4, 4);
    type = desc_type(e2) & 0x1f;
    switch (type) {
    case 6: case 7: case 14: case 15:
        break;
    case 5:
        break;
    default:
        raise_exception_err(env, EXCP0D_GPF, vector * 8 + 2);
    }
    dpl = desc_dpl(e2);
    if (is_int == EXCP_IS_INT_SOFT && dpl < cpl) {
        raise_exception_err(env, EXCP0D_GPF, vector * 8 + 2);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, vector * 8 + 2);
    }
    if (type == 5) {
        task_gate_interrupt(env, vector, e1, e2, has_error, error_code, old_ip);
        return;
    }
    selector = e1 >> 16;
    offset = (e2 & 0xffff0000) | (e1 & 0xffff);
    check_gate_cs(env, selector, &e1, &e2, cpl);
    /* from virtual-8086 mode only to a non-conforming PL 0 handler */
    if (vm86 && ((e2 & DESC_C_MASK) || desc_dpl(e2) != 0)) {
        raise_exception_err(env, EXCP0D_GPF, selector & 0xfffc);
    }
    dpl = (e2 & DESC_C_MASK) ? cpl : desc_dpl(e2);
    shift = type >> 3;
    size = shift ? 4 : 2;
    if ((shift ? offset : offset & 0xffff) > desc_limit(e1, e2)) {
        raise_exception_err(env, EXCP0D_GPF, 0);   /* before any push */
    }

    new_stack = dpl < cpl;
    if (new_stack) {
        tss_stack(env, dpl, &ss, &esp);
        check_inner_ss(env, ss, dpl, &ss_e1, &ss_e2);
        s = new_stack32(ss, ss_e1, ss_e2, esp);
        if (vm86) {
            stack_push(env, &s, size, env->segs[R_GS].selector);
            stack_push(env, &s, size, env->segs[R_FS].selector);
            stack_push(env, &s, size, env->segs[R_DS].selector);
            stack_push(env, &s, size, env->segs[R_ES].selector);
        }
        stack_push(env, &s, size, env->segs[R_SS].selector);
        stack_push(env, &s, size, env->regs[R_ESP]);
    } else {
        s = cur_stack(env);
        s.sup = dpl == 0;
    }
    stack_push(env, &s, size, cpu_compute_eflags(env));
    stack_push(env, &s, size, env->segs[R_CS].selector);
    stack_push(env, &s, size, old_ip);
    if (has_error) {
        stack_push(env, &s, size, error_code);
    }

    /* Memory is written: now change state. */
    if (!(type & 1)) {
        env->eflags &= ~(uint64_t)IF_MASK;   /* interrupt gate */
    }
    env->eflags &= ~(uint64_t)(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    if (new_stack) {
        env->segs[R_SS] = (SegmentCache){ (ss & 0xfffc) | dpl,
                                          desc_base(ss_e1, ss_e2),
                                          desc_limit(ss_e1, ss_e2), ss_e2 };
    }
    if (vm86) {
        /* the handler starts with null data segments */
        env->segs[R_ES] = env->segs[R_DS] = (SegmentCache){ 0, 0, 0, 0 };
        env->segs[R_FS] = env->segs[R_GS] = (SegmentCache){ 0, 0, 0, 0 };
    }
    set_esp(env, s.sp, s.mask);
    env->segs[R_CS] = (SegmentCache){ (selector & 0xfffc) | dpl,
                                      desc_base(e1, e2), desc_limit(e1, e2), e2 };
    x86_set_cpl(env, dpl);
    x86_update_hflags(env);
    env->rip = shift ? offset : offset & 0xffff;
}

static void do_interrupt64(CPUX86State *env, int vector, int is_int,
                           bool is_hw, uint32_t error_code, uint64_t next_rip)
{
    bool has_error = !is_int && !is_hw && exception_has_error_code(vector);
    uint64_t old_ip = is_int ? next_rip : env->rip, offset, rsp;
    uint32_t e1, e2, e3, selector;
    int type, dpl, cpl = x86_cpl(env), ist;
    bool new_stack;
    Stack s;

    if ((uint32_t)vector * 16 + 15 > env->idt.limit) {
        raise_exception_err(env, EXCP0D_GPF, vector * 8 + 2);
    }
    e1 = x86_sys_load(env, env->idt.base + vector * 16, 4);
    e2 = x86_sys_load(env, env->idt.base + vector * 16 + 4, 4);
    e3 = x86_sys_load(env, env->idt.base + vector * 16 + 8, 4);
    type = desc_type(e2);
    if (type != 14 && type != 15) {
        raise_exception_err(env, EXCP0D_GPF, vector * 8 + 2);
    }
    dpl = desc_dpl(e2);
    if (is_int == EXCP_IS_INT_SOFT && dpl < cpl) {
        raise_exception_err(env, EXCP0D_GPF, vector * 8 + 2);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, vector * 8 + 2);
    }
    selector = e1 >> 16;
    offset = ((uint64_t)e3 << 32) | (e2 & 0xffff0000) | (e1 & 0xffff);
    ist = e2 & 7;
    check_gate_cs(env, selector, &e1, &e2, cpl);
    if (!(e2 & DESC_L_MASK) || (e2 & DESC_B_MASK)) {
        raise_exception_err(env, EXCP0D_GPF, selector & 0xfffc);
    }
    dpl = (e2 & DESC_C_MASK) ? cpl : desc_dpl(e2);

    new_stack = dpl < cpl || ist;
    rsp = new_stack ? tss_rsp64(env, ist ? ist + 3 : dpl) : env->regs[R_ESP];
    /* 64-bit delivery aligns the new frame to 16 bytes. */
    s = stack64(rsp & ~0xfULL, dpl == 0);
    stack_push(env, &s, 8, env->segs[R_SS].selector);
    stack_push(env, &s, 8, env->regs[R_ESP]);
    stack_push(env, &s, 8, cpu_compute_eflags(env));
    stack_push(env, &s, 8, env->segs[R_CS].selector);
    stack_push(env, &s, 8, old_ip);
    if (has_error) {
        stack_push(env, &s, 8, error_code);
    }

    if (!(type & 1)) {
        env->eflags &= ~(uint64_t)IF_MASK;
    }
    env->eflags &= ~(uint64_t)(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    if (dpl < cpl) {
        /* a privilege change loads a null SS with RPL = new CPL */
        env->segs[R_SS] = (SegmentCache){ dpl, 0, 0,
                                          (uint32_t)dpl << DESC_DPL_SHIFT };
    }
    env->regs[R_ESP] = s.sp;
    env->segs[R_CS] = (SegmentCache){ (selector & 0xfffc) | dpl,
                                      desc_base(e1, e2), desc_limit(e1, e2), e2 };
    x86_set_cpl(env, dpl);
    x86_update_hflags(env);
    env->rip = offset;
}

/*
 * Deliver one event.  is_int: EXCP_IS_INT_* for software interrupts, 0
 * for exceptions and hardware interrupts; is_hw: external interrupt/NMI.
 */
static void do_interrupt_all(CPUX86State *env, int vector, int is_int,
                             bool is_hw, uint32_t error_code, uint64_t next_rip)
{
    if (qemu_loglevel_mask(CPU_LOG_INT)) {
        if (is_hw) {
            qemu_log("Servicing hardware INT=0x%02x\n", vector);
        } else {
            qemu_log("%6d: v=%02x e=%04x i=%d cpl=%d IP=%04x:%016" PRIx64
                     " SP=%04x:%016" PRIx64 " CR2=%016" PRIx64 "\n",
                     0, vector, error_code, is_int ? 1 : 0, x86_cpl(env),
                     env->segs[R_CS].selector, env->rip,
                     env->segs[R_SS].selector, env->regs[R_ESP], env->cr[2]);
        }
    }
    if (!x86_pe(env)) {
        do_interrupt_real(env, vector, is_int, next_rip);
    } else if (env->hflags & HF_LMA_MASK) {
        do_interrupt64(env, vector, is_int, is_hw, error_code, next_rip);
    } else {
        do_interrupt_protected(env, vector, is_int, is_hw, error_code, next_rip);
    }
}

void x86_cpu_do_interrupt(CPUX86State *env)
{
    int vector = env->exception_index;
    int is_int = env->exception_is_int;

    /* whatever faults from here on is an exception, not INT n */
    env->exception_is_int = 0;
    /* Remember what is being delivered: a fault now may become #DF. */
    if (!is_int && (vector == EXCP00_DIVZ || vector == EXCP08_DBLE ||
                    (vector >= EXCP0A_TSS && vector <= EXCP0E_PAGE))) {
        env->old_exception = vector;
    }
    do_interrupt_all(env, vector, is_int, false, env->error_code,
                     env->exception_next_rip);
    env->old_exception = -1;
    env->exception_index = EXCP_NONE;
    env->exception_is_int = 0;
}

void x86_cpu_do_hw_interrupt(CPUX86State *env, int vector)
{
    env->exception_is_int = 0;
    env->old_exception = -1;
    do_interrupt_all(env, vector, 0, true, 0, env->rip);
}

/* ---- far transfers --------------------------------------------------- */

/* Real and virtual-8086 mode: the target must lie within the cached CS
 * limit (64 KiB, or what big real mode left), which the load keeps. */
static void real_check_target(CPUX86State *env, uint64_t rip)
{
    if (rip > env->segs[R_CS].limit) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
}

static void real_far_transfer(CPUX86State *env, uint32_t sel, uint64_t rip)
{
    env->segs[R_CS].selector = sel;
    env->segs[R_CS].base = sel << 4;
    env->rip = rip;
    x86_update_hflags(env);
}

static void load_code_seg(CPUX86State *env, uint32_t sel, uint32_t e1,
                          uint32_t e2, int cpl)
{
    env->segs[R_CS] = (SegmentCache){ (sel & 0xfffc) | cpl, desc_base(e1, e2),
                                      desc_limit(e1, e2), e2 };
    x86_set_cpl(env, cpl);
    x86_update_hflags(env);
}

/* The target rip must lie within CS (or be canonical in 64-bit code). */
static void check_target(CPUX86State *env, uint32_t e1, uint32_t e2, uint64_t rip)
{
    if ((env->hflags & HF_LMA_MASK) && (e2 & DESC_L_MASK)) {
        if (!x86_is_canonical(rip)) {
            raise_exception_err(env, EXCP0D_GPF, 0);
        }
    } else if (rip > desc_limit(e1, e2)) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
}

/* Direct code segment: conforming (DPL <= CPL) or not (DPL == CPL, RPL <= CPL). */
static void check_direct_cs(CPUX86State *env, uint32_t sel, uint32_t e2, int cpl)
{
    int dpl = desc_dpl(e2);

    if (!(e2 & DESC_CS_MASK)) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    if (e2 & DESC_C_MASK) {
        if (dpl > cpl) {
            raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
        }
    } else if ((int)(sel & 3) > cpl || dpl != cpl) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc);
    }
}

/* Read a call gate: target selector, offset (16 bytes in long mode). */
static void read_call_gate(CPUX86State *env, uint32_t sel, uint32_t e1,
                           uint32_t e2, uint32_t *gate_cs, uint64_t *offset)
{
    *gate_cs = e1 >> 16;
    *offset = e1 & 0xffff;
    if (desc_type(e2) == 12) {
        *offset |= e2 & 0xffff0000;
    }
    if (env->hflags & HF_LMA_MASK) {
        uint32_t hi, type2;
        SegmentCache *dt = (sel & 4) ? &env->ldt : &env->gdt;
        uint32_t index = (sel & ~7u) + 8;

        if (index + 7 > dt->limit) {
            raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
        }
        hi = x86_sys_load(env, dt->base + index, 4);
        type2 = x86_sys_load(env, dt->base + index + 4, 4);
        if ((type2 >> DESC_TYPE_SHIFT) & 0x1f) {
            raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
        }
        *offset |= (uint64_t)hi << 32;
    }
}

/* An available TSS or a task gate: JMP/CALL switch tasks through it. */
static bool is_task_desc(uint32_t e2)
{
    int type = desc_type(e2);

    return !(e2 & DESC_S_MASK) && (type == 1 || type == 5 || type == 9);
}

/* JMP/CALL to a TSS or task gate: legacy protected mode only. */
static void task_transfer(CPUX86State *env, uint32_t sel, uint32_t e1,
                          uint32_t e2, int source, uint64_t next_rip)
{
    int dpl = desc_dpl(e2), cpl = x86_cpl(env);

    if ((env->hflags & HF_LMA_MASK) || dpl < cpl || dpl < (int)(sel & 3)) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    x86_task_switch(env, sel, e1, e2, source, next_rip);
}

static void check_gate_type(CPUX86State *env, uint32_t sel, uint32_t e2, int cpl)
{
    int type = desc_type(e2), dpl = desc_dpl(e2);

    if ((env->hflags & HF_LMA_MASK) ? type != 12 : (type != 4 && type != 12)) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    if (dpl < cpl || dpl < (int)(sel & 3)) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc);
    }
}

static void load_gate_target(CPUX86State *env, uint32_t gate_cs, uint32_t *e1,
                             uint32_t *e2, int cpl)
{
    if ((gate_cs & 0xfffc) == 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!load_desc(env, gate_cs, e1, e2) || !(*e2 & DESC_S_MASK) ||
        !(*e2 & DESC_CS_MASK) || desc_dpl(*e2) > cpl) {
        raise_exception_err(env, EXCP0D_GPF, gate_cs & 0xfffc);
    }
    if ((env->hflags & HF_LMA_MASK) &&
        (!(*e2 & DESC_L_MASK) || (*e2 & DESC_B_MASK))) {
        raise_exception_err(env, EXCP0D_GPF, gate_cs & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, gate_cs & 0xfffc);
    }
}

void x86_far_jmp(CPUX86State *env, uint32_t sel, uint64_t rip, uint64_t next_rip)
{
    uint32_t e1, e2, gate_cs;
    int cpl = x86_cpl(env);

    sel &= 0xffff;
    if (!x86_pe(env) || (env->eflags & VM_MASK)) {
        real_check_target(env, rip);
        real_far_transfer(env, sel, rip);
        return;
    }
    if ((sel & 0xfffc) == 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!load_desc(env, sel, &e1, &e2)) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    if (e2 & DESC_S_MASK) {
        check_direct_cs(env, sel, e2, cpl);
        check_target(env, e1, e2, rip);
        set_desc_accessed(env, sel, &e2);
        load_code_seg(env, sel, e1, e2, cpl);
        env->rip = rip;
        return;
    }
    if (is_task_desc(e2)) {
        task_transfer(env, sel, e1, e2, TS_JMP, next_rip);
        return;
    }
    check_gate_type(env, sel, e2, cpl);
    read_call_gate(env, sel, e1, e2, &gate_cs, &rip);
    load_gate_target(env, gate_cs, &e1, &e2, cpl);
    /* JMP through a gate never changes privilege */
    if ((e2 & DESC_C_MASK) ? desc_dpl(e2) > cpl : desc_dpl(e2) != cpl) {
        raise_exception_err(env, EXCP0D_GPF, gate_cs & 0xfffc);
    }
    check_target(env, e1, e2, rip);
    load_code_seg(env, gate_cs, e1, e2, cpl);
    env->rip = rip;
}

void x86_far_call(CPUX86State *env, uint32_t sel, uint64_t rip, int ot,
                  uint64_t next_rip)
{
    uint32_t e1, e2, gate_cs, ss = 0, ss_e1 = 0, ss_e2 = 0, esp32;
    int cpl = x86_cpl(env), dpl, size = 1 << ot, param_count;
    uint64_t params[32];   /* the gate's 5-bit parameter count */
    Stack s, old, room;

    sel &= 0xffff;
    if (!x86_pe(env) || (env->eflags & VM_MASK)) {
        real_check_target(env, rip);
        s = cur_stack(env);
        stack_push(env, &s, size, env->segs[R_CS].selector);
        stack_push(env, &s, size, next_rip);
        set_esp(env, s.sp, s.mask);
        real_far_transfer(env, sel, rip);
        return;
    }
    if ((sel & 0xfffc) == 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!load_desc(env, sel, &e1, &e2)) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    if (e2 & DESC_S_MASK) {
        check_direct_cs(env, sel, e2, cpl);
        check_target(env, e1, e2, rip);
        s = cur_stack(env);
        stack_push(env, &s, size, env->segs[R_CS].selector);
        stack_push(env, &s, size, next_rip);
        set_desc_accessed(env, sel, &e2);
        set_esp(env, s.sp, s.mask);
        load_code_seg(env, sel, e1, e2, cpl);
        env->rip = rip;
        return;
    }

    if (is_task_desc(e2)) {
        task_transfer(env, sel, e1, e2, TS_CALL, next_rip);
        return;
    }
    /* Call gate. */
    check_gate_type(env, sel, e2, cpl);
    param_count = e2 & 0x1f;
    size = desc_type(e2) == 12 ? 4 : 2;
    if (env->hflags & HF_LMA_MASK) {
        size = 8;
        param_count = 0;
    }
    read_call_gate(env, sel, e1, e2, &gate_cs, &rip);
    load_gate_target(env, gate_cs, &e1, &e2, cpl);
    check_target(env, e1, e2, rip);
    dpl = desc_dpl(e2);
    old = cur_stack(env);
    if (!(e2 & DESC_C_MASK) && dpl < cpl) {
        /* more privileged: switch to the TSS stack for dpl */
        if (size == 8) {
            s = stack64(tss_rsp64(env, dpl), true);
            ss = dpl;
        } else {
            tss_stack(env, dpl, &ss, &esp32);
            check_inner_ss(env, ss, dpl, &ss_e1, &ss_e2);
            s = new_stack32(ss, ss_e1, ss_e2, esp32);
        }
        /*
         * Before anything is written: the parameters must lie within the
         * old SS (#SS(0)), and the new stack must have room for SS:ESP,
         * the parameters and CS:EIP (#SS(new SS)).
         */
        for (int i = 0; i < param_count; i++) {
            Stack p = old;

            p.sp = (old.sp + i * size) & old.mask;
            stack_check(env, &p, size);
            params[i] = env->mem_ops->load(env, wrap_linear(env, p.base + p.sp),
                                           size, MMU_DATA_LOAD);
        }
        room = s;
        room.sp = (s.sp - (4 + param_count) * size) & s.mask;
        stack_check(env, &room, (4 + param_count) * size);
        stack_push(env, &s, size, env->segs[R_SS].selector);
        stack_push(env, &s, size, env->regs[R_ESP]);
        for (int i = param_count - 1; i >= 0; i--) {
            stack_push(env, &s, size, params[i]);
        }
        stack_push(env, &s, size, env->segs[R_CS].selector);
        stack_push(env, &s, size, next_rip);
        if (size == 8) {
            env->segs[R_SS] = (SegmentCache){ ss, 0, 0, (uint32_t)dpl << DESC_DPL_SHIFT };
        } else {
            env->segs[R_SS] = (SegmentCache){ (ss & 0xfffc) | dpl,
                                              desc_base(ss_e1, ss_e2),
                                              desc_limit(ss_e1, ss_e2), ss_e2 };
        }
    } else {
        dpl = cpl;
        s = old;
        stack_push(env, &s, size, env->segs[R_CS].selector);
        stack_push(env, &s, size, next_rip);
    }
    load_code_seg(env, gate_cs, e1, e2, dpl);
    set_esp(env, s.sp, s.mask);
    env->rip = rip;
}

/* Outer-level return: data segments the new CPL may not use become null. */
static void validate_seg(CPUX86State *env, int seg, int cpl)
{
    uint32_t flags = env->segs[seg].flags;

    if ((seg == R_FS || seg == R_GS) && (env->segs[seg].selector & 0xfffc) == 0) {
        return;   /* a null FS/GS keeps its (64-bit) base */
    }
    if ((!(flags & DESC_CS_MASK) || !(flags & DESC_C_MASK)) &&
        desc_dpl(flags) < cpl) {
        env->segs[seg].selector = 0;
        env->segs[seg].flags &= ~DESC_P_MASK;
    }
}

/*
 * IRET from PL 0 to virtual-8086 mode: after EIP, CS and EFLAGS the
 * 32-bit frame holds ESP, SS, ES, DS, FS and GS (SDM "IRET",
 * RETURN-TO-VIRTUAL-8086-MODE).  EFLAGS is loaded whole.
 */
static void iret_to_vm86(CPUX86State *env, Stack *s, uint64_t new_rip,
                         uint32_t new_cs, uint64_t new_eflags)
{
    uint32_t new_esp, sel[R_SEG_COUNT];

    new_esp = stack_pop(env, s, 4);
    sel[R_SS] = stack_pop(env, s, 4);
    sel[R_ES] = stack_pop(env, s, 4);
    sel[R_DS] = stack_pop(env, s, 4);
    sel[R_FS] = stack_pop(env, s, 4);
    sel[R_GS] = stack_pop(env, s, 4);
    sel[R_CS] = new_cs;

    cpu_load_eflags(env, new_eflags,
                    CC_ALL | TF_MASK | IF_MASK | DF_MASK | IOPL_MASK | NT_MASK |
                    RF_MASK | VM_MASK | AC_MASK | VIF_MASK | VIP_MASK | ID_MASK);
    x86_set_cpl(env, 3);
    for (int i = 0; i < R_SEG_COUNT; i++) {
        load_seg_vm(env, i, sel[i]);
    }
    env->regs[R_ESP] = new_esp;
    env->rip = new_rip & 0xffff;
    env->hflags2 &= ~HF2_NMI_MASK;
}

/* Far RET (is_iret false) and protected-mode IRET. */
static void ret_protected(CPUX86State *env, int ot, bool is_iret, int addend)
{
    int cpl = x86_cpl(env), rpl, dpl, size = 1 << ot;
    uint32_t new_cs, new_ss = 0, e1, e2, ss_e1 = 0, ss_e2 = 0;
    uint64_t new_rip, new_eflags = 0, new_esp = 0;
    Stack s = cur_stack(env);

    if (is_iret && (env->eflags & NT_MASK)) {
        qemu_log_mask(LOG_UNIMP, "x86: IRET with NT (task return)\n");
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    new_rip = stack_pop(env, &s, size);
    new_cs = stack_pop(env, &s, size) & 0xffff;
    if (is_iret) {
        new_eflags = stack_pop(env, &s, size);
        if (ot == MO_32 && (new_eflags & VM_MASK) && cpl == 0 &&
            !(env->hflags & HF_LMA_MASK)) {
            iret_to_vm86(env, &s, new_rip, new_cs, new_eflags);
            return;
        }
    }
    if ((new_cs & 0xfffc) == 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!load_desc(env, new_cs, &e1, &e2) || !(e2 & DESC_S_MASK) ||
        !(e2 & DESC_CS_MASK)) {
        raise_exception_err(env, EXCP0D_GPF, new_cs & 0xfffc);
    }
    rpl = new_cs & 3;
    dpl = desc_dpl(e2);
    if (rpl < cpl || ((e2 & DESC_C_MASK) ? dpl > rpl : dpl != rpl)) {
        raise_exception_err(env, EXCP0D_GPF, new_cs & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, new_cs & 0xfffc);
    }
    check_target(env, e1, e2, new_rip);
    s.sp = (s.sp + addend) & s.mask;

    if (rpl == cpl && (!(env->hflags & HF_CS64_MASK) || !is_iret)) {
        load_code_seg(env, new_cs, e1, e2, cpl);
    } else {
        /* outer level, or IRET in 64-bit mode: SS:RSP are popped too */
        new_esp = stack_pop(env, &s, size);
        new_ss = stack_pop(env, &s, size) & 0xffff;
        if ((new_ss & 0xfffc) == 0) {
            if (!(env->hflags & HF_LMA_MASK) || !(e2 & DESC_L_MASK) || rpl == 3) {
                raise_exception_err(env, EXCP0D_GPF, 0);
            }
        } else {
            if ((int)(new_ss & 3) != rpl || !load_desc(env, new_ss, &ss_e1, &ss_e2) ||
                !(ss_e2 & DESC_S_MASK) || (ss_e2 & DESC_CS_MASK) ||
                !(ss_e2 & DESC_W_MASK) || desc_dpl(ss_e2) != rpl) {
                raise_exception_err(env, EXCP0D_GPF, new_ss & 0xfffc);
            }
            if (!(ss_e2 & DESC_P_MASK)) {
                raise_exception_err(env, EXCP0B_NOSEG, new_ss & 0xfffc);
            }
        }
        load_code_seg(env, new_cs, e1, e2, rpl);
        if ((new_ss & 0xfffc) == 0) {
            env->segs[R_SS] = (SegmentCache){ new_ss, 0, 0xffffffff,
                DESC_G_MASK | DESC_B_MASK | DESC_P_MASK | DESC_S_MASK |
                DESC_W_MASK | DESC_A_MASK | ((uint32_t)rpl << DESC_DPL_SHIFT) };
        } else {
            set_desc_accessed(env, new_ss, &ss_e2);
            env->segs[R_SS] = (SegmentCache){ new_ss, desc_base(ss_e1, ss_e2),
                                              desc_limit(ss_e1, ss_e2), ss_e2 };
        }
        s.sp = new_esp;
        s.mask = (env->hflags & HF_CS64_MASK) ? ~0ULL : sp_mask_of(env->segs[R_SS].flags);
        if (rpl > cpl) {
            validate_seg(env, R_ES, rpl);
            validate_seg(env, R_DS, rpl);
            validate_seg(env, R_FS, rpl);
            validate_seg(env, R_GS, rpl);
        }
        s.sp += addend;
        x86_update_hflags(env);
    }
    set_esp(env, s.sp, s.mask);
    env->rip = new_rip;
    if (is_iret) {
        /* privilege rules use the CPL before the return */
        uint64_t mask = TF_MASK | AC_MASK | ID_MASK | RF_MASK | NT_MASK | CC_ALL |
                        DF_MASK;
        int iopl = (env->eflags & IOPL_MASK) >> 12;

        if (cpl == 0) {
            mask |= IOPL_MASK | VIF_MASK | VIP_MASK;
        }
        if (cpl <= iopl) {
            mask |= IF_MASK;
        }
        if (ot == MO_16) {
            mask &= 0xffff;
        }
        cpu_load_eflags(env, new_eflags, mask);
        env->hflags2 &= ~HF2_NMI_MASK;
    }
}

void x86_far_ret(CPUX86State *env, int ot, int addend)
{
    if (!x86_pe(env) || (env->eflags & VM_MASK)) {
        Stack s = cur_stack(env);
        uint64_t rip = stack_pop(env, &s, 1 << ot);
        uint32_t cs = stack_pop(env, &s, 1 << ot) & 0xffff;

        real_check_target(env, rip);
        set_esp(env, s.sp + addend, s.mask);
        real_far_transfer(env, cs, rip);
        return;
    }
    ret_protected(env, ot, false, addend);
}

/*
 * IRET with NT set returns to the task in the current TSS's back link
 * (SDM "Task Linking").  The link must name a busy TSS in the GDT, else
 * #TS(link).
 */
static void iret_task_return(CPUX86State *env, uint64_t next_rip)
{
    uint32_t link = x86_sys_load(env, env->tr.base, 2) & 0xffff;
    uint32_t e1, e2;
    int type;

    if ((link & 4) || !load_desc(env, link & ~3u, &e1, &e2)) {
        raise_exception_err(env, EXCP0A_TSS, link & ~3u);
    }
    type = desc_type(e2);
    if ((e2 & DESC_S_MASK) || (type != 3 && type != 11)) {
        raise_exception_err(env, EXCP0A_TSS, link & ~3u);
    }
    x86_task_switch(env, link, e1, e2, TS_IRET, next_rip);
}

void x86_iret(CPUX86State *env, int ot, uint64_t next_rip)
{
    bool vm86 = env->eflags & VM_MASK;

    if (vm86 && (env->eflags & IOPL_MASK) != IOPL_MASK) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!x86_pe(env) || vm86) {
        /* virtual-8086 mode (IOPL 3) pops as real mode, IOPL kept */
        Stack s = cur_stack(env);
        int size = 1 << ot;
        uint64_t rip = stack_pop(env, &s, size);
        uint32_t cs = stack_pop(env, &s, size) & 0xffff;
        uint64_t fl = stack_pop(env, &s, size);
        uint64_t mask = CC_ALL | TF_MASK | IF_MASK | DF_MASK | NT_MASK |
                        AC_MASK | ID_MASK | RF_MASK | (vm86 ? 0 : IOPL_MASK);

        if (ot == MO_16) {
            mask &= 0xffff;
        }
        real_check_target(env, rip);
        set_esp(env, s.sp, s.mask);
        real_far_transfer(env, cs, rip);
        cpu_load_eflags(env, fl, mask);
        env->hflags2 &= ~HF2_NMI_MASK;
        return;
    }
    if ((env->eflags & NT_MASK) && !(env->hflags & HF_LMA_MASK)) {
        iret_task_return(env, next_rip);
        return;
    }
    ret_protected(env, ot, true, 0);
}

/* ---- fast system calls ----------------------------------------------- */

#define FLAT_CODE (DESC_G_MASK | DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | \
                   DESC_R_MASK | DESC_A_MASK)
#define FLAT_DATA (DESC_G_MASK | DESC_B_MASK | DESC_P_MASK | DESC_S_MASK | \
                   DESC_W_MASK | DESC_A_MASK)
#define DPL3 (3u << DESC_DPL_SHIFT)

static void set_flat_seg(CPUX86State *env, int seg, uint32_t sel, uint32_t flags)
{
    env->segs[seg] = (SegmentCache){ sel, 0, 0xffffffff, flags };
}

void x86_syscall(CPUX86State *env, uint64_t next_rip)
{
    uint32_t sel = (env->star >> 32) & 0xffff;

    if (!(env->efer & MSR_EFER_SCE)) {
        raise_exception(env, EXCP06_ILLOP);
    }
    if (env->hflags & HF_LMA_MASK) {
        bool code64 = env->hflags & HF_CS64_MASK;

        env->regs[R_ECX] = next_rip;
        env->regs[11] = cpu_compute_eflags(env) & ~(uint64_t)RF_MASK;
        cpu_load_eflags(env, 0, env->fmask | RF_MASK);
        set_flat_seg(env, R_CS, sel & 0xfffc, FLAT_CODE | DESC_L_MASK);
        set_flat_seg(env, R_SS, (sel + 8) & 0xfffc, FLAT_DATA);
        env->rip = code64 ? env->lstar : env->cstar;
    } else {
        env->regs[R_ECX] = (uint32_t)next_rip;
        env->eflags &= ~(uint64_t)(IF_MASK | RF_MASK | VM_MASK);
        set_flat_seg(env, R_CS, sel & 0xfffc, FLAT_CODE | DESC_B_MASK);
        set_flat_seg(env, R_SS, (sel + 8) & 0xfffc, FLAT_DATA);
        env->rip = (uint32_t)env->star;
    }
    x86_set_cpl(env, 0);
    x86_update_hflags(env);
}

void x86_sysret(CPUX86State *env, int ot)
{
    uint32_t sel = (env->star >> 48) & 0xffff;

    if (!(env->efer & MSR_EFER_SCE)) {
        raise_exception(env, EXCP06_ILLOP);
    }
    if (!x86_pe(env) || x86_cpl(env) != 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (env->hflags & HF_LMA_MASK) {
        if (ot == MO_64 && !x86_is_canonical(env->regs[R_ECX])) {
            raise_exception_err(env, EXCP0D_GPF, 0);
        }
        cpu_load_eflags(env, (uint32_t)env->regs[11],
                        CC_ALL | TF_MASK | AC_MASK | ID_MASK | IF_MASK |
                        IOPL_MASK | RF_MASK | NT_MASK | DF_MASK);
        if (ot == MO_64) {
            set_flat_seg(env, R_CS, (sel + 16) | 3, FLAT_CODE | DESC_L_MASK | DPL3);
            env->rip = env->regs[R_ECX];
        } else {
            set_flat_seg(env, R_CS, sel | 3, FLAT_CODE | DESC_B_MASK | DPL3);
            env->rip = (uint32_t)env->regs[R_ECX];
        }
    } else {
        env->eflags |= IF_MASK;
        set_flat_seg(env, R_CS, sel | 3, FLAT_CODE | DESC_B_MASK | DPL3);
        env->rip = (uint32_t)env->regs[R_ECX];
    }
    set_flat_seg(env, R_SS, (sel + 8) | 3, FLAT_DATA | DPL3);
    x86_set_cpl(env, 3);
    x86_update_hflags(env);
}

void x86_sysenter(CPUX86State *env)
{
    uint32_t cs = env->sysenter_cs;

    if (!x86_pe(env) || (cs & 0xfffc) == 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    env->eflags &= ~(uint64_t)(VM_MASK | IF_MASK | RF_MASK);
    if (env->hflags & HF_LMA_MASK) {
        set_flat_seg(env, R_CS, cs & 0xfffc, FLAT_CODE | DESC_L_MASK);
    } else {
        set_flat_seg(env, R_CS, cs & 0xfffc, FLAT_CODE | DESC_B_MASK);
    }
    set_flat_seg(env, R_SS, (cs + 8) & 0xfffc, FLAT_DATA);
    x86_set_cpl(env, 0);
    x86_update_hflags(env);
    env->regs[R_ESP] = env->sysenter_esp;
    env->rip = env->sysenter_eip;
    if (!(env->hflags & HF_LMA_MASK)) {
        env->regs[R_ESP] = (uint32_t)env->regs[R_ESP];
        env->rip = (uint32_t)env->rip;
    }
}

void x86_sysexit(CPUX86State *env, int ot)
{
    uint32_t cs = env->sysenter_cs;

    if (!x86_pe(env) || (cs & 0xfffc) == 0 || x86_cpl(env) != 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (ot == MO_64) {
        set_flat_seg(env, R_CS, ((cs + 32) & 0xfffc) | 3,
                     FLAT_CODE | DESC_L_MASK | DPL3);
        set_flat_seg(env, R_SS, ((cs + 40) & 0xfffc) | 3, FLAT_DATA | DPL3);
        env->regs[R_ESP] = env->regs[R_ECX];
        env->rip = env->regs[R_EDX];
    } else {
        set_flat_seg(env, R_CS, ((cs + 16) & 0xfffc) | 3,
                     FLAT_CODE | DESC_B_MASK | DPL3);
        set_flat_seg(env, R_SS, ((cs + 24) & 0xfffc) | 3, FLAT_DATA | DPL3);
        env->regs[R_ESP] = (uint32_t)env->regs[R_ECX];
        env->rip = (uint32_t)env->regs[R_EDX];
    }
    x86_set_cpl(env, 3);
    x86_update_hflags(env);
}

/* ---- LDT, TR and descriptor queries ---------------------------------- */

/* A system descriptor from the GDT (16 bytes in long mode). */
static void load_system_desc(CPUX86State *env, uint32_t sel, uint32_t *e1,
                             uint32_t *e2, uint64_t *base)
{
    uint32_t entry = (env->hflags & HF_LMA_MASK) ? 15 : 7;
    uint32_t index = sel & ~7u;

    if (sel & 4) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    if (index + entry > env->gdt.limit) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    *e1 = x86_sys_load(env, env->gdt.base + index, 4);
    *e2 = x86_sys_load(env, env->gdt.base + index + 4, 4);
    *base = desc_base(*e1, *e2);
    if (env->hflags & HF_LMA_MASK) {
        *base |= (uint64_t)x86_sys_load(env, env->gdt.base + index + 8, 4) << 32;
    }
}

void x86_lldt(CPUX86State *env, uint32_t sel)
{
    uint32_t e1, e2;
    uint64_t base;

    sel &= 0xffff;
    if ((sel & 0xfffc) == 0) {
        env->ldt = (SegmentCache){ sel, 0, 0, 0 };
        return;
    }
    load_system_desc(env, sel, &e1, &e2, &base);
    if ((e2 & DESC_S_MASK) || desc_type(e2) != 2) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc);
    }
    env->ldt = (SegmentCache){ sel, base, desc_limit(e1, e2), e2 };
}

void x86_ltr(CPUX86State *env, uint32_t sel)
{
    uint32_t e1, e2;
    uint64_t base;
    int type;

    sel &= 0xffff;
    if ((sel & 0xfffc) == 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    load_system_desc(env, sel, &e1, &e2, &base);
    type = desc_type(e2);
    if ((e2 & DESC_S_MASK) || (type != 1 && type != 9) ||
        ((env->hflags & HF_LMA_MASK) && type != 9)) {
        raise_exception_err(env, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(env, EXCP0B_NOSEG, sel & 0xfffc);
    }
    e2 |= 2 << DESC_TYPE_SHIFT;   /* busy */
    x86_sys_store(env, env->gdt.base + (sel & ~7u) + 4, e2, 4);
    env->tr = (SegmentCache){ sel, base, desc_limit(e1, e2), e2 };
}

/* Can the current CPL see this descriptor (LAR/LSL/VERR/VERW)? */
static bool desc_visible(CPUX86State *env, uint32_t sel, uint32_t e2)
{
    int dpl = desc_dpl(e2), cpl = x86_cpl(env), rpl = sel & 3;

    if ((e2 & DESC_S_MASK) && (e2 & DESC_CS_MASK) && (e2 & DESC_C_MASK)) {
        return true;   /* conforming code */
    }
    return dpl >= cpl && dpl >= rpl;
}

static bool query_desc(CPUX86State *env, uint32_t sel, uint32_t *e1,
                       uint32_t *e2, bool for_lsl)
{
    if ((sel & 0xfffc) == 0 || !load_desc(env, sel, e1, e2)) {
        return false;
    }
    if (!(*e2 & DESC_S_MASK)) {
        int type = desc_type(*e2);
        bool ok;
        if (env->hflags & HF_LMA_MASK) {
            ok = type == 2 || type == 9 || type == 11 || (!for_lsl && type == 12);
        } else {
            ok = type == 1 || type == 2 || type == 3 || type == 9 || type == 11 ||
                 (!for_lsl && (type == 4 || type == 5 || type == 12));
        }
        if (!ok) {
            return false;
        }
    }
    return desc_visible(env, sel, *e2);
}

bool x86_lar(CPUX86State *env, uint32_t sel, uint32_t *out)
{
    uint32_t e1, e2;

    if (!query_desc(env, sel & 0xffff, &e1, &e2, false)) {
        return false;
    }
    *out = e2 & 0x00f0ff00;
    return true;
}

bool x86_lsl(CPUX86State *env, uint32_t sel, uint32_t *out)
{
    uint32_t e1, e2;

    if (!query_desc(env, sel & 0xffff, &e1, &e2, true)) {
        return false;
    }
    *out = desc_limit(e1, e2);
    return true;
}

bool x86_verr(CPUX86State *env, uint32_t sel, bool write)
{
    uint32_t e1, e2;

    sel &= 0xffff;
    if ((sel & 0xfffc) == 0 || !load_desc(env, sel, &e1, &e2) ||
        !(e2 & DESC_S_MASK) || !desc_visible(env, sel, e2)) {
        return false;
    }
    if (e2 & DESC_CS_MASK) {
        return !write && (e2 & DESC_R_MASK);
    }
    return !write || (e2 & DESC_W_MASK);
}
