/*
 * x86 CPU state: reset, mode set-up, EFLAGS assembly and exceptions.
 */
#include "util/osdep.h"
#include <pthread.h>
#include "insn.h"
#include "system/runstate.h"
#include "util/log.h"

static bool exception_is_contributory(int vector)
{
    return vector == EXCP00_DIVZ || (vector >= EXCP0A_TSS && vector <= EXCP0D_GPF);
}

/*
 * Double- and triple-fault rules (SDM table 6-5).  env->old_exception is
 * the contributory/#PF/#DF vector being delivered, -1 otherwise: a second
 * contributory fault (or #PF after #PF) while delivering it becomes #DF,
 * and any fault while delivering #DF shuts the CPU down.
 */
static int check_exception(CPUX86State *env, int vector, uint32_t *error_code)
{
    int old = env->old_exception;
    bool first_contributory = exception_is_contributory(old);
    bool second_contributory = exception_is_contributory(vector);

    qemu_log_mask(CPU_LOG_INT, "check_exception old: 0x%x new 0x%x\n",
                  old, vector);
    if (old == EXCP08_DBLE) {
        qemu_log_mask(CPU_LOG_RESET | LOG_GUEST_ERROR, "Triple fault\n");
        qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        env->old_exception = -1;
        env->halted = 1;
        return EXCP_HLT;
    }
    if ((first_contributory && second_contributory) ||
        (old == EXCP0E_PAGE && (second_contributory || vector == EXCP0E_PAGE))) {
        vector = EXCP08_DBLE;
        *error_code = 0;
    }
    return vector;
}

/*
 * Guest atomics.  A LOCK-prefixed read-modify-write (and XCHG with memory)
 * runs its load and store under one process-wide lock, so the vCPU
 * threads see it as atomic: every locked instruction of every vCPU goes
 * through here.  (QEMU's TCG emits host atomics; the interpreter's
 * handlers do plain loads and stores, so they are serialised instead.)
 * An exception inside the instruction releases the lock before it leaves.
 */
static pthread_mutex_t x86_atomic_lock = PTHREAD_MUTEX_INITIALIZER;

void x86_op_locked(CPUX86State *env, const DecodedInsn *d)
{
    pthread_mutex_lock(&x86_atomic_lock);
    env->atomic_held = 1;
    d->locked(env, d);
    env->atomic_held = 0;
    pthread_mutex_unlock(&x86_atomic_lock);
}

void raise_exception_err(CPUX86State *env, int vector, uint32_t error_code)
{
    if (env->atomic_held) {
        env->atomic_held = 0;
        pthread_mutex_unlock(&x86_atomic_lock);
    }
    /* An exception ends any implicit system-structure access. */
    env->implicit_supervisor = 0;
    if (env->old_exception != -1 && vector < 32) {
        vector = check_exception(env, vector, &error_code);
        if (vector != EXCP_HLT) {
            /* A fault while delivering: not a software interrupt. */
            env->exception_is_int = 0;
        }
    }
    env->exception_index = vector;
    env->error_code = error_code;
    siglongjmp(env->jmp_env, 1);
}

void raise_exception(CPUX86State *env, int vector)
{
    raise_exception_err(env, vector, 0);
}

uint64_t cpu_compute_eflags(CPUX86State *env)
{
    return (env->eflags & ~(uint64_t)CC_ALL) | cpu_cc_compute_all(env) |
           EFLAGS_FIXED;
}

void cpu_load_eflags(CPUX86State *env, uint64_t eflags, uint64_t mask)
{
    uint64_t cur = cpu_compute_eflags(env);
    uint64_t v = (cur & ~mask) | (eflags & mask);

    env->cc_op = CC_OP_EFLAGS;
    env->cc_src = v & CC_ALL;
    env->eflags = (v & ~(uint64_t)CC_ALL) | EFLAGS_FIXED;
}

/* Whether data accesses through segment s need limit/rights checks. */
static bool seg_needs_check(const SegmentCache *s, uint32_t hf)
{
    if (s->limit != 0xffffffff) {
        return true;
    }
    if (!(hf & HF_PE_MASK) || (hf & HF_VM_MASK)) {
        return false;      /* real and v86 mode: no rights */
    }
    return (s->flags & (DESC_P_MASK | DESC_CS_MASK | DESC_W_MASK | DESC_E_MASK)) !=
           (DESC_P_MASK | DESC_W_MASK);
}

void x86_update_hflags(CPUX86State *env)
{
    uint32_t hf = env->hflags & (HF_CPL_MASK | HF_INHIBIT_IRQ_MASK | HF_SMM_MASK);

    if (env->cr[0] & CR0_PE_MASK) {
        hf |= HF_PE_MASK;
    }
    if (env->eflags & VM_MASK) {
        hf |= HF_VM_MASK;
    }
    if (env->efer & MSR_EFER_LMA) {
        hf |= HF_LMA_MASK;
    }
    if ((hf & HF_LMA_MASK) && (env->segs[R_CS].flags & DESC_L_MASK)) {
        hf |= HF_CS64_MASK | HF_CS32_MASK | HF_SS32_MASK;
    } else {
        if (env->segs[R_CS].flags & DESC_B_MASK) {
            hf |= HF_CS32_MASK;
        }
        if (env->segs[R_SS].flags & DESC_B_MASK) {
            hf |= HF_SS32_MASK;
        }
    }
    if (env->cr[4] & CR4_OSFXSR_MASK) {
        hf |= HF_OSFXSR_MASK;
    }
    if (!(hf & HF_CS64_MASK) &&
        (env->segs[R_DS].base | env->segs[R_ES].base | env->segs[R_SS].base)) {
        hf |= HF_ADDSEG_MASK;
    }
    if (!(hf & HF_CS64_MASK)) {
        for (int i = 0; i < R_SEG_COUNT; i++) {
            if (seg_needs_check(&env->segs[i], hf)) {
                hf |= 1u << (HF_SEGCHK_SHIFT + i);
            }
        }
    }
    env->hflags = hf;
}

static void set_seg(CPUX86State *env, int seg, uint32_t sel, uint64_t base,
                    uint32_t limit, uint32_t flags)
{
    env->segs[seg] = (SegmentCache){ sel, base, limit, flags };
}

/* Architectural state after RESET, as the SDM's table 9-1 gives it. */
void x86_cpu_reset(CPUX86State *env)
{
    const X86MemOps *ops = env->mem_ops;
    void *opaque = env->mem_opaque;
    struct CPUState *cpu = env->cpu;
    X86CPUConfig cfg = env->cfg;
    uint32_t data = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK;

    memset(env, 0, offsetof(CPUX86State, mem_ops));
    memset(&env->ldt, 0, sizeof(*env) - offsetof(CPUX86State, ldt));
    env->mem_ops = ops;
    env->mem_opaque = opaque;
    env->cpu = cpu;
    env->cfg = cfg;
    env->exception_index = EXCP_NONE;
    env->old_exception = -1;

    /* EDX holds CPUID(1).EAX, family 6 for a bare env without a model */
    env->regs[R_EDX] = cfg.version ? cfg.version : 0x00000600;
    env->rip = 0xfff0;
    env->eflags = EFLAGS_FIXED;
    env->cc_op = CC_OP_EFLAGS;
    env->cr[0] = CR0_ET_MASK | CR0_CD_MASK | CR0_NW_MASK;
    set_seg(env, R_CS, 0xf000, 0xffff0000, 0xffff,
            DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK);
    for (int i = 0; i < R_SEG_COUNT; i++) {
        if (i != R_CS) {
            set_seg(env, i, 0, 0, 0xffff, data);
        }
    }
    env->ldt = (SegmentCache){ 0, 0, 0xffff, DESC_P_MASK | (2 << DESC_TYPE_SHIFT) };
    env->tr = (SegmentCache){ 0, 0, 0xffff, DESC_P_MASK | (11 << DESC_TYPE_SHIFT) };
    env->gdt.limit = 0xffff;
    env->idt.limit = 0xffff;
    env->dr[6] = 0xffff0ff0;
    env->dr[7] = 0x00000400;
    env->a20_mask = ~0ULL;
    env->pat = 0x0007040600070406ULL;
    env->apic_base = 0xfee00000 | (1 << 11);  /* enabled */
    if (cfg.apic_id == 0) {
        env->apic_base |= 1 << 8;             /* the BSP */
    }
    env->mxcsr = 0x1f80;
    env->fpuc = 0x37f;
    env->fptags = 0xff;
    env->xcr0 = 1;
    x86_update_hflags(env);
}

void x86_cpu_set_long_mode_flat(CPUX86State *env, int cpl)
{
    uint32_t code = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK |
                    DESC_A_MASK | DESC_L_MASK | (cpl << DESC_DPL_SHIFT);
    uint32_t data = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK |
                    DESC_B_MASK | DESC_G_MASK | (cpl << DESC_DPL_SHIFT);

    env->cr[0] = CR0_PE_MASK | CR0_PG_MASK | CR0_ET_MASK | CR0_NE_MASK;
    env->cr[4] |= CR4_PAE_MASK;
    env->efer |= MSR_EFER_LME | MSR_EFER_LMA;
    set_seg(env, R_CS, 0x08 | cpl, 0, 0xffffffff, code);
    for (int i = 0; i < R_SEG_COUNT; i++) {
        if (i != R_CS) {
            set_seg(env, i, 0x10 | cpl, 0, 0xffffffff, data);
        }
    }
    env->hflags = (env->hflags & ~HF_CPL_MASK) | cpl;
    x86_update_hflags(env);
}

void x86_cpu_set_protected_mode_flat(CPUX86State *env)
{
    uint32_t code = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK |
                    DESC_A_MASK | DESC_B_MASK | DESC_G_MASK;
    uint32_t data = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK |
                    DESC_B_MASK | DESC_G_MASK;

    env->cr[0] = CR0_PE_MASK | CR0_ET_MASK | CR0_NE_MASK;
    env->efer &= ~(uint64_t)(MSR_EFER_LME | MSR_EFER_LMA);
    set_seg(env, R_CS, 0x08, 0, 0xffffffff, code);
    for (int i = 0; i < R_SEG_COUNT; i++) {
        if (i != R_CS) {
            set_seg(env, i, 0x10, 0, 0xffffffff, data);
        }
    }
    env->hflags &= ~HF_CPL_MASK;
    x86_update_hflags(env);
}

void x86_cpu_set_real_mode(CPUX86State *env)
{
    uint32_t data = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK;

    env->cr[0] = CR0_ET_MASK;
    env->efer &= ~(uint64_t)(MSR_EFER_LME | MSR_EFER_LMA);
    for (int i = 0; i < R_SEG_COUNT; i++) {
        set_seg(env, i, 0, 0, 0xffff,
                data | (i == R_CS ? DESC_CS_MASK : 0));
    }
    env->hflags &= ~HF_CPL_MASK;
    x86_update_hflags(env);
}
