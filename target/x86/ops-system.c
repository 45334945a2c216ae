/*
 * Handlers for the system instructions of insns-system.def.  They check
 * privilege and operands and call the helpers in seg_helper.c and
 * misc_helper.c; system instructions are rare, so one handler per
 * instruction reads d->ot at run time instead of one per form.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "insn.h"
#include "seg_helper.h"

/* One handler for both the register and the memory form. */
#define GEN_ANY(name, fn) GEN_FAMILY_ONE(name, fn)
/* Memory operand only: the register form is #UD. */
#define GEN_MEM(name, fn) \
    const X86Family x86_fam_##name = { { \
        { NULL, fn }, { NULL, fn }, { NULL, fn }, { NULL, fn } } };

static void require_cpl0(CPUX86State *env)
{
    if (x86_cpl(env) != 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
}

/* Protected-mode-only instructions are #UD in real and virtual-8086 mode. */
static void require_pe(CPUX86State *env)
{
    if (!x86_pe(env) || (env->eflags & VM_MASK)) {
        raise_exception(env, EXCP06_ILLOP);
    }
}

/* A 16-bit selector operand from a register or memory. */
static uint32_t ld_sel(CPUX86State *env, const DecodedInsn *d)
{
    if (d->mod != 3) {
        return ld(env, d->addr(env, d), MO_16);
    }
    return get_reg(env, MO_16, d->rm);
}

static void set_zf(CPUX86State *env, bool zf)
{
    uint32_t f = flags_now(env) & ~CC_Z;
    set_flags(env, f | (zf ? CC_Z : 0));
}

static void inhibit_irq(CPUX86State *env)
{
    env->hflags |= HF_INHIBIT_IRQ_MASK;
}

/* ---- segment register loads ------------------------------------------ */

static void pop_seg(CPUX86State *env, const DecodedInsn *d, int seg)
{
    uint32_t sel = pop_peek(env, d, d->ot, 0);

    x86_load_seg(env, seg, sel);
    sp_add(env, d, 1 << d->ot);
    if (seg == R_SS) {
        inhibit_irq(env);
    }
    next_insn(env, d);
}
#define POP_SEG(name, SEG) \
    static void name(CPUX86State *env, const DecodedInsn *d) { pop_seg(env, d, SEG); } \
    GEN_ANY(name, name)
POP_SEG(pop_es, R_ES)
POP_SEG(pop_ss, R_SS)
POP_SEG(pop_ds, R_DS)
POP_SEG(pop_fs, R_FS)
POP_SEG(pop_gs, R_GS)

static void mov_se(CPUX86State *env, const DecodedInsn *d)
{
    int seg = d->modrm_reg3;

    if (seg == R_CS || seg >= R_SEG_COUNT) {
        raise_exception(env, EXCP06_ILLOP);
    }
    x86_load_seg(env, seg, ld_sel(env, d));
    if (seg == R_SS) {
        inhibit_irq(env);
    }
    next_insn(env, d);
}
GEN_ANY(mov_SE, mov_se)

/* LDS/LES/LSS/LFS/LGS: offset then selector. */
static void load_far_ptr(CPUX86State *env, const DecodedInsn *d, int seg)
{
    uint64_t addr = d->addr(env, d);
    uint64_t off = ld(env, addr, d->ot);
    uint32_t sel = ld(env, (addr + (1 << d->ot)) & d->lmask, MO_16);

    x86_load_seg(env, seg, sel);
    set_reg(env, d->ot, d->reg, off);
    next_insn(env, d);
}
#define LOAD_FAR(name, SEG) \
    static void name(CPUX86State *env, const DecodedInsn *d) { load_far_ptr(env, d, SEG); } \
    GEN_MEM(name, name)
LOAD_FAR(les, R_ES)
LOAD_FAR(lds, R_DS)
LOAD_FAR(lss, R_SS)
LOAD_FAR(lfs, R_FS)
LOAD_FAR(lgs, R_GS)

/* ---- far transfers, interrupts --------------------------------------- */

static void callf_a(CPUX86State *env, const DecodedInsn *d)
{
    x86_far_call(env, d->imm2, d->imm, d->ot, env->rip + d->len);
}
GEN_ANY(callf_A, callf_a)

static void jmpf_a(CPUX86State *env, const DecodedInsn *d)
{
    x86_far_jmp(env, d->imm2, d->imm, env->rip + d->len);
}
GEN_ANY(jmpf_A, jmpf_a)

static void far_mem(CPUX86State *env, const DecodedInsn *d, bool call)
{
    uint64_t addr = d->addr(env, d);
    uint64_t off = ld(env, addr, d->ot);
    uint32_t sel = ld(env, (addr + (1 << d->ot)) & d->lmask, MO_16);

    if (call) {
        x86_far_call(env, sel, off, d->ot, env->rip + d->len);
    } else {
        x86_far_jmp(env, sel, off, env->rip + d->len);
    }
}
static void callf_e(CPUX86State *env, const DecodedInsn *d) { far_mem(env, d, true); }
static void jmpf_e(CPUX86State *env, const DecodedInsn *d) { far_mem(env, d, false); }
GEN_MEM(callf_E, callf_e)
GEN_MEM(jmpf_E, jmpf_e)

static void retf(CPUX86State *env, const DecodedInsn *d)
{
    x86_far_ret(env, d->ot, 0);
}
static void retf_i(CPUX86State *env, const DecodedInsn *d)
{
    x86_far_ret(env, d->ot, (uint16_t)d->imm);
}
GEN_ANY(retf, retf)
GEN_ANY(retf_I, retf_i)

static void iret(CPUX86State *env, const DecodedInsn *d)
{
    x86_iret(env, d->ot, env->rip + d->len);
}
GEN_ANY(iret, iret)

static void int1(CPUX86State *env, const DecodedInsn *d)
{
    env->exception_is_int = EXCP_IS_INT_ICEBP;
    env->exception_next_rip = env->rip + d->len;
    raise_exception(env, EXCP01_DB);
}
GEN_ANY(int1, int1)

static void hlt(CPUX86State *env, const DecodedInsn *d)
{
    require_cpl0(env);
    next_insn(env, d);
    env->halted = 1;
    raise_exception(env, EXCP_HLT);
}
GEN_ANY(hlt, hlt)

/*
 * CLI/STI: allowed at CPL <= IOPL in protected mode (no VME/PVI); in
 * virtual-8086 mode the CPL is 3, so only IOPL 3 allows them.
 */
static void check_iopl(CPUX86State *env)
{
    int iopl = (env->eflags & IOPL_MASK) >> 12;

    if (x86_pe(env) && x86_cpl(env) > iopl) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
}

static void cli(CPUX86State *env, const DecodedInsn *d)
{
    check_iopl(env);
    env->eflags &= ~(uint64_t)IF_MASK;
    next_insn(env, d);
}
static void sti(CPUX86State *env, const DecodedInsn *d)
{
    check_iopl(env);
    if (!(env->eflags & IF_MASK)) {
        inhibit_irq(env);   /* interrupts wait one more instruction */
    }
    env->eflags |= IF_MASK;
    next_insn(env, d);
}
GEN_ANY(cli, cli)
GEN_ANY(sti, sti)

/* ---- port I/O -------------------------------------------------------- */

static int io_ot(const DecodedInsn *d)
{
    return d->ot == MO_64 ? MO_32 : d->ot;
}

static void do_in(CPUX86State *env, const DecodedInsn *d, uint32_t port)
{
    int ot = io_ot(d);

    x86_check_io(env, port, 1 << ot);
    set_reg(env, ot, R_EAX, x86_port_in(env, port, 1 << ot));
    x86_check_io_breakpoint(env, port, 1 << ot);
    next_insn(env, d);
}
static void do_out(CPUX86State *env, const DecodedInsn *d, uint32_t port)
{
    int ot = io_ot(d);

    x86_check_io(env, port, 1 << ot);
    x86_port_out(env, port, get_reg(env, ot, R_EAX), 1 << ot);
    x86_check_io_breakpoint(env, port, 1 << ot);
    next_insn(env, d);
}
static void in_ai(CPUX86State *env, const DecodedInsn *d) { do_in(env, d, (uint8_t)d->imm); }
static void in_ad(CPUX86State *env, const DecodedInsn *d) { do_in(env, d, (uint16_t)env->regs[R_EDX]); }
static void out_ia(CPUX86State *env, const DecodedInsn *d) { do_out(env, d, (uint8_t)d->imm); }
static void out_da(CPUX86State *env, const DecodedInsn *d) { do_out(env, d, (uint16_t)env->regs[R_EDX]); }
GEN_ANY(in_AI, in_ai)
GEN_ANY(in_AD, in_ad)
GEN_ANY(out_IA, out_ia)
GEN_ANY(out_DA, out_da)

/*
 * INS/OUTS.  As for the other string instructions, a REP form does a
 * bounded chunk and leaves rip on itself until the count is done, so
 * interrupts and the BQL get their turn.
 */
#define IO_STRING_CHUNK 1024

static void io_string(CPUX86State *env, const DecodedInsn *d, bool out)
{
    bool rep = d->prefix & (PREFIX_REPZ | PREFIX_REPNZ);
    int ot = io_ot(d), n = 1 << ot;
    uint32_t port = (uint16_t)env->regs[R_EDX];
    int64_t step = (env->eflags & DF_MASK) ? -n : n;

    x86_check_io(env, port, n);
    for (int i = 0; i < (rep ? IO_STRING_CHUNK : 1); i++) {
        if (rep && get_reg(env, d->aflag, R_ECX) == 0) {
            break;
        }
        if (out) {
            uint64_t a = linear(env, d, d->seg, get_reg(env, d->aflag, R_ESI));
            x86_port_out(env, port, ld(env, a, ot), n);
            set_reg(env, d->aflag, R_ESI, env->regs[R_ESI] + step);
        } else {
            uint64_t a = linear(env, d, d->seg_es, get_reg(env, d->aflag, R_EDI));
            /* probe the destination first so a fault does not lose input */
            ld(env, a, ot);
            st(env, a, x86_port_in(env, port, n), ot);
            set_reg(env, d->aflag, R_EDI, env->regs[R_EDI] + step);
        }
        if (rep) {
            set_reg(env, d->aflag, R_ECX, get_reg(env, d->aflag, R_ECX) - 1);
        }
        if (x86_check_io_breakpoint(env, port, n)) {
            break;     /* the #DB trap comes after this iteration */
        }
    }
    if (!rep || get_reg(env, d->aflag, R_ECX) == 0) {
        next_insn(env, d);
    }
}
static void ins(CPUX86State *env, const DecodedInsn *d) { io_string(env, d, false); }
static void outs(CPUX86State *env, const DecodedInsn *d) { io_string(env, d, true); }
GEN_ANY(ins, ins)
GEN_ANY(outs, outs)

/* ---- descriptor tables (0F 00, 0F 01) -------------------------------- */

static void store_sel(CPUX86State *env, const DecodedInsn *d, uint32_t sel)
{
    if (d->mod != 3) {
        st(env, d->addr(env, d), sel, MO_16);
    } else {
        set_reg(env, d->ot, d->rm, sel);
    }
}

static void sldt(CPUX86State *env, const DecodedInsn *d)
{
    require_pe(env);
    store_sel(env, d, env->ldt.selector);
    next_insn(env, d);
}
static void str_(CPUX86State *env, const DecodedInsn *d)
{
    require_pe(env);
    store_sel(env, d, env->tr.selector);
    next_insn(env, d);
}
static void lldt(CPUX86State *env, const DecodedInsn *d)
{
    require_pe(env);
    require_cpl0(env);
    x86_lldt(env, ld_sel(env, d));
    next_insn(env, d);
}
static void ltr(CPUX86State *env, const DecodedInsn *d)
{
    require_pe(env);
    require_cpl0(env);
    x86_ltr(env, ld_sel(env, d));
    next_insn(env, d);
}
static void verr(CPUX86State *env, const DecodedInsn *d)
{
    require_pe(env);
    set_zf(env, x86_verr(env, ld_sel(env, d), false));
    next_insn(env, d);
}
static void verw(CPUX86State *env, const DecodedInsn *d)
{
    require_pe(env);
    set_zf(env, x86_verr(env, ld_sel(env, d), true));
    next_insn(env, d);
}
GEN_ANY(sldt, sldt)
GEN_ANY(str, str_)
GEN_ANY(lldt, lldt)
GEN_ANY(ltr, ltr)
GEN_ANY(verr, verr)
GEN_ANY(verw, verw)

static void lar_lsl(CPUX86State *env, const DecodedInsn *d, bool lsl)
{
    uint32_t sel, val = 0;
    bool ok;

    require_pe(env);
    sel = ld_sel(env, d);
    ok = lsl ? x86_lsl(env, sel, &val) : x86_lar(env, sel, &val);
    if (ok) {
        set_reg(env, d->ot, d->reg, val);
    }
    set_zf(env, ok);
    next_insn(env, d);
}
static void lar(CPUX86State *env, const DecodedInsn *d) { lar_lsl(env, d, false); }
static void lsl(CPUX86State *env, const DecodedInsn *d) { lar_lsl(env, d, true); }
GEN_ANY(lar, lar)
GEN_ANY(lsl, lsl)

static void store_dt(CPUX86State *env, const DecodedInsn *d, SegmentCache *dt)
{
    uint64_t addr = d->addr(env, d);

    st(env, addr, dt->limit, MO_16);
    st(env, (addr + 2) & d->lmask, dt->base,
       (env->hflags & HF_CS64_MASK) ? MO_64 : MO_32);
    next_insn(env, d);
}
static void load_dt(CPUX86State *env, const DecodedInsn *d, SegmentCache *dt)
{
    uint64_t addr, base;
    uint32_t limit;

    require_cpl0(env);
    addr = d->addr(env, d);
    limit = ld(env, addr, MO_16);
    if (env->hflags & HF_CS64_MASK) {
        base = ld(env, (addr + 2) & d->lmask, MO_64);
    } else {
        base = ld(env, (addr + 2) & d->lmask, MO_32);
        if (d->ot == MO_16) {
            base &= 0xffffff;
        }
    }
    dt->base = base;
    dt->limit = limit;
    next_insn(env, d);
}
/*
 * BOUND r, m16&16 / m32&32: #BR unless lower <= index <= upper (signed).
 * Invalid in 64-bit mode (the table entry is F_INV64).
 */
static void bound(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t addr = d->addr(env, d);
    int size = 1 << d->ot;
    int64_t index = sext(get_reg(env, d->ot, d->reg), d->ot);
    int64_t lower = sext(ld(env, addr, d->ot), d->ot);
    int64_t upper = sext(ld(env, (addr + size) & d->lmask, d->ot), d->ot);

    if (index < lower || index > upper) {
        raise_exception(env, EXCP05_BOUND);
    }
    next_insn(env, d);
}
GEN_MEM(bound, bound)

static void sgdt(CPUX86State *env, const DecodedInsn *d) { store_dt(env, d, &env->gdt); }
static void sidt(CPUX86State *env, const DecodedInsn *d) { store_dt(env, d, &env->idt); }
static void lgdt(CPUX86State *env, const DecodedInsn *d) { load_dt(env, d, &env->gdt); }
static void lidt(CPUX86State *env, const DecodedInsn *d) { load_dt(env, d, &env->idt); }
GEN_MEM(sgdt, sgdt)
GEN_MEM(sidt, sidt)
GEN_MEM(lgdt, lgdt)
GEN_MEM(lidt, lidt)

/*
 * ARPL r/m16, r16 (#UD in real and virtual-8086 mode): raise the RPL of
 * the selector in r/m16 to that of r16; ZF says whether it changed.
 */
static void arpl(CPUX86State *env, const DecodedInsn *d)
{
    uint32_t src = get_reg(env, MO_16, d->reg), dst;
    uint64_t addr = 0;

    if (!x86_pe(env) || (env->eflags & VM_MASK)) {
        raise_exception(env, EXCP06_ILLOP);
    }
    if (d->mod != 3) {
        addr = d->addr(env, d);
        dst = ld(env, addr, MO_16);
    } else {
        dst = get_reg(env, MO_16, d->rm);
    }
    if ((dst & 3) >= (src & 3)) {
        cpu_load_eflags(env, 0, CC_Z);
        next_insn(env, d);
        return;
    }
    dst = (dst & ~3u) | (src & 3);
    if (d->mod != 3) {
        st(env, addr, dst, MO_16);
    } else {
        set_reg(env, MO_16, d->rm, dst);
    }
    cpu_load_eflags(env, CC_Z, CC_Z);
    next_insn(env, d);
}
GEN_ANY(arpl, arpl)

static void smsw(CPUX86State *env, const DecodedInsn *d)
{
    if (d->mod != 3) {
        st(env, d->addr(env, d), env->cr[0], MO_16);
    } else {
        set_reg(env, d->ot, d->rm, env->cr[0]);
    }
    next_insn(env, d);
}
static void lmsw(CPUX86State *env, const DecodedInsn *d)
{
    uint32_t v;

    require_cpl0(env);
    v = ld_sel(env, d);
    /* MP, EM, TS and PE; PE can be set but not cleared */
    x86_write_cr0(env, (env->cr[0] & ~0xeULL) | (v & 0xf));
    next_insn(env, d);
}
GEN_ANY(smsw, smsw)
GEN_ANY(lmsw, lmsw)

static void swapgs(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t t;

    if (!(env->hflags & HF_CS64_MASK)) {
        raise_exception(env, EXCP06_ILLOP);
    }
    require_cpl0(env);
    t = env->segs[R_GS].base;
    env->segs[R_GS].base = env->kernelgsbase;
    env->kernelgsbase = t;
    next_insn(env, d);
}

static void check_rdtsc(CPUX86State *env)
{
    if ((env->cr[4] & CR4_TSD_MASK) && x86_cpl(env) != 0) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
}

static void rdtsc(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t tsc;

    check_rdtsc(env);
    tsc = x86_cpu_get_tsc(env);
    env->regs[R_EAX] = (uint32_t)tsc;
    env->regs[R_EDX] = tsc >> 32;
    next_insn(env, d);
}
GEN_ANY(rdtsc, rdtsc)

static void rdtscp(CPUX86State *env, const DecodedInsn *d)
{
    if (!(env->cfg.features[FEAT_8000_0001_EDX] & CPUID_EXT2_RDTSCP)) {
        raise_exception(env, EXCP06_ILLOP);
    }
    rdtsc(env, d);
    env->regs[R_ECX] = (uint32_t)env->tsc_aux;
}

static void grp7_7_reg(CPUX86State *env, const DecodedInsn *d)
{
    switch (d->rm & 7) {
    case 0:
        swapgs(env, d);
        return;
    case 1:
        rdtscp(env, d);
        return;
    }
    raise_exception(env, EXCP06_ILLOP);
}
static void invlpg(CPUX86State *env, const DecodedInsn *d)
{
    require_cpl0(env);
    uint64_t addr = d->addr(env, d);

    /* no access, so no segment check: drop a segment tag */
    x86_tlb_flush_page(env, (env->hflags & HF_CS64_MASK) ? addr : (uint32_t)addr);
    next_insn(env, d);
}
const X86Family x86_fam_grp7_7 = { {
    { grp7_7_reg, invlpg }, { grp7_7_reg, invlpg },
    { grp7_7_reg, invlpg }, { grp7_7_reg, invlpg } } };

/* ---- control and debug registers ------------------------------------- */

static int cr_ot(CPUX86State *env)
{
    return (env->hflags & HF_CS64_MASK) ? MO_64 : MO_32;
}

static void mov_rc(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t v;

    require_cpl0(env);
    switch (d->reg) {
    case 0: case 2: case 3: case 4:
        v = env->cr[d->reg];
        break;
    case 8:
        v = env->cr8;
        break;
    default:
        raise_exception(env, EXCP06_ILLOP);
    }
    set_reg(env, cr_ot(env), d->rm, v);
    next_insn(env, d);
}
static void mov_cr(CPUX86State *env, const DecodedInsn *d)
{
    uint64_t v;

    require_cpl0(env);
    v = get_reg(env, cr_ot(env), d->rm);
    switch (d->reg) {
    case 0:
        x86_write_cr0(env, v);
        break;
    case 2:
        env->cr[2] = v;
        break;
    case 3:
        x86_write_cr3(env, v);
        break;
    case 4:
        x86_write_cr4(env, v);
        break;
    case 8:
        if (v & ~0xfULL) {
            raise_exception_err(env, EXCP0D_GPF, 0);
        }
        env->cr8 = v;
        break;
    default:
        raise_exception(env, EXCP06_ILLOP);
    }
    next_insn(env, d);
}
GEN_ANY(mov_RC, mov_rc)
GEN_ANY(mov_CR, mov_cr)

/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them #UD. */
static int dr_index(CPUX86State *env, const DecodedInsn *d)
{
    int r = d->reg;

    require_cpl0(env);
    if (r > 7) {
        raise_exception(env, EXCP06_ILLOP);
    }
    if (r == 4 || r == 5) {
        if (env->cr[4] & CR4_DE_MASK) {
            raise_exception(env, EXCP06_ILLOP);
        }
        r += 2;
    }
    x86_check_general_detect(env);
    return r;
}
static void mov_rd(CPUX86State *env, const DecodedInsn *d)
{
    int r = dr_index(env, d);

    set_reg(env, cr_ot(env), d->rm, env->dr[r]);
    next_insn(env, d);
}
static void mov_dr(CPUX86State *env, const DecodedInsn *d)
{
    int r = dr_index(env, d);
    uint64_t v = get_reg(env, cr_ot(env), d->rm);

    if ((r == 6 || r == 7) && (v >> 32)) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    x86_write_dr(env, r, v);
    next_insn(env, d);
}
GEN_ANY(mov_RD, mov_rd)
GEN_ANY(mov_DR, mov_dr)

static void clts(CPUX86State *env, const DecodedInsn *d)
{
    require_cpl0(env);
    env->cr[0] &= ~(uint64_t)CR0_TS_MASK;
    next_insn(env, d);
}
GEN_ANY(clts, clts)

static void wbinvd(CPUX86State *env, const DecodedInsn *d)
{
    require_cpl0(env);
    next_insn(env, d);
}
GEN_ANY(wbinvd, wbinvd)

/* ---- MSRs, CPUID, fast system calls ---------------------------------- */

static void rdmsr(CPUX86State *env, const DecodedInsn *d)
{
    uint32_t index = env->regs[R_ECX];
    uint64_t v;

    require_cpl0(env);
    if (!x86_msr_read(env, index, &v)) {
        qemu_log_mask(LOG_UNIMP, "x86: rdmsr of unknown MSR 0x%x\n", index);
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = v >> 32;
    next_insn(env, d);
}
static void wrmsr(CPUX86State *env, const DecodedInsn *d)
{
    uint32_t index = env->regs[R_ECX];
    uint64_t v = (uint32_t)env->regs[R_EAX] | (env->regs[R_EDX] << 32);

    require_cpl0(env);
    if (!x86_msr_write(env, index, v)) {
        qemu_log_mask(LOG_UNIMP, "x86: wrmsr 0x%x = 0x%" PRIx64
                      " (unknown MSR or invalid value)\n", index, v);
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    next_insn(env, d);
}
GEN_ANY(rdmsr, rdmsr)
GEN_ANY(wrmsr, wrmsr)

static void cpuid(CPUX86State *env, const DecodedInsn *d)
{
    uint32_t a, b, c, dx;

    x86_cpuid(env, env->regs[R_EAX], env->regs[R_ECX], &a, &b, &c, &dx);
    env->regs[R_EAX] = a;
    env->regs[R_EBX] = b;
    env->regs[R_ECX] = c;
    env->regs[R_EDX] = dx;
    next_insn(env, d);
}
GEN_ANY(cpuid, cpuid)

static void syscall_(CPUX86State *env, const DecodedInsn *d)
{
    x86_syscall(env, env->rip + d->len);
}
static void sysret(CPUX86State *env, const DecodedInsn *d)
{
    x86_sysret(env, d->ot);
}
static void sysenter(CPUX86State *env, const DecodedInsn *d)
{
    x86_sysenter(env);
}
static void sysexit(CPUX86State *env, const DecodedInsn *d)
{
    x86_sysexit(env, d->ot);
}
GEN_ANY(syscall, syscall_)
GEN_ANY(sysret, sysret)
GEN_ANY(sysenter, sysenter)
GEN_ANY(sysexit, sysexit)
