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
 * must be atomic with respect to every other access of every vCPU,
 * including plain stores: a spinlock released with a plain MOV while
 * another vCPU's LOCK BTS is between its load and its store must not
 * lose the release.  So the handler runs unchanged but with mem_ops
 * swapped for x86_atomic_ops: its first load of a memory operand fixes
 * the locked operand (every lockable instruction reads it first), takes
 * a host pointer to it (mem_ops->host_rmw: it faults as a store would)
 * and reads it atomically; its stores to the operand are kept; at the
 * end one host compare-and-swap publishes them if the operand still
 * holds what was read.  If it does not, another vCPU wrote it in
 * between: the registers and flags the handler changed are put back and
 * the instruction runs again.  CMPXCHG16B's two 8-byte halves make one
 * 16-byte operand.
 *
 * An operand that is not plain RAM (MMIO, two pages, misaligned) cannot
 * be updated with a host atomic: the instruction is then serialised with
 * the other locked ones by a process-wide lock, as plain accesses.  An
 * exception inside the instruction puts mem_ops back (and releases that
 * lock) before it leaves (raise_exception_err).
 */
static pthread_mutex_t x86_atomic_lock = PTHREAD_MUTEX_INITIALIZER;

static void atomic_leave(CPUX86State *env)
{
    struct X86AtomicState *a = &env->atomic;

    env->mem_ops = a->ops;
    env->atomic_held = 0;
    if (a->serialised) {
        a->serialised = false;
        pthread_mutex_unlock(&x86_atomic_lock);
    }
}

static bool host_aligned(const void *p, int size)
{
    return ((uintptr_t)p & (size - 1)) == 0;
}

/* Fix the locked operand at its first load; false: not host RAM. */
static bool atomic_begin(CPUX86State *env, uint64_t addr, int size)
{
    struct X86AtomicState *a = &env->atomic;
    void *host = a->ops->host_rmw(env, addr, size);

    if (!host || !host_aligned(host, size)) {
        return false;
    }
    a->addr = addr;
    a->size = size;
    a->host = host;
    switch (size) {
    case 1: a->old[0] = __atomic_load_n((uint8_t *)host, __ATOMIC_SEQ_CST); break;
    case 2: { uint16_t v = __atomic_load_n((uint16_t *)host, __ATOMIC_SEQ_CST);
              memcpy(a->old, &v, 2); break; }
    case 4: { uint32_t v = __atomic_load_n((uint32_t *)host, __ATOMIC_SEQ_CST);
              memcpy(a->old, &v, 4); break; }
    default: { uint64_t v = __atomic_load_n((uint64_t *)host, __ATOMIC_SEQ_CST);
               memcpy(a->old, &v, 8); break; }
    }
    memcpy(a->val, a->old, size);
    return true;
}

/* CMPXCHG16B: the second half's load widens the operand to 16 bytes. */
static bool atomic_widen(CPUX86State *env, uint64_t addr, int size)
{
#ifdef __x86_64__
    struct X86AtomicState *a = &env->atomic;
    uint64_t hi;

    if (a->size != 8 || size != 8 || addr != a->addr + 8 || (a->addr & 15) ||
        !host_aligned(a->host, 16) ||
        a->ops->host_rmw(env, addr, 8) != (uint8_t *)a->host + 8) {
        return false;
    }
    hi = __atomic_load_n((uint64_t *)a->host + 1, __ATOMIC_SEQ_CST);
    memcpy(a->old + 8, &hi, 8);
    memcpy(a->val + 8, &hi, 8);
    a->size = 16;
    return true;
#else
    (void)env; (void)addr; (void)size;
    return false;
#endif
}

static bool in_operand(const struct X86AtomicState *a, uint64_t addr, int size)
{
    return a->size && addr >= a->addr && addr - a->addr + size <= (uint64_t)a->size;
}

/* Not host RAM: finish the instruction under the global lock. */
static void atomic_serialise(CPUX86State *env)
{
    struct X86AtomicState *a = &env->atomic;

    pthread_mutex_lock(&x86_atomic_lock);
    a->serialised = true;
    env->mem_ops = a->ops;
}

static uint64_t atomic_load(CPUX86State *env, uint64_t addr, int size,
                            MMUAccessType access)
{
    struct X86AtomicState *a = &env->atomic;
    uint64_t v = 0;

    if (access == MMU_DATA_LOAD && !in_operand(a, addr, size)) {
        bool ok = a->size ? atomic_widen(env, addr, size)
                          : atomic_begin(env, addr, size);
        if (!ok) {
            if (a->size) {
                /* Another location: an ordinary load. */
                return a->ops->load(env, addr, size, access);
            }
            atomic_serialise(env);
            return a->ops->load(env, addr, size, access);
        }
    }
    if (!in_operand(a, addr, size)) {
        return a->ops->load(env, addr, size, access);
    }
    memcpy(&v, a->val + (addr - a->addr), size);
    return v;
}

static void atomic_store(CPUX86State *env, uint64_t addr, uint64_t val,
                         int size)
{
    struct X86AtomicState *a = &env->atomic;

    if (!in_operand(a, addr, size)) {
        a->ops->store(env, addr, val, size);
        return;
    }
    memcpy(a->val + (addr - a->addr), &val, size);
    a->stored = true;
}

static int atomic_fetch_code(CPUX86State *env, uint64_t addr, uint8_t *buf,
                             int len)
{
    return env->atomic.ops->fetch_code(env, addr, buf, len);
}

static const X86MemOps x86_atomic_ops = {
    .load = atomic_load,
    .store = atomic_store,
    .fetch_code = atomic_fetch_code,
};

/* Publish the operand's new bytes if it still holds the old ones. */
#define CAS_BYTES(type, a) ({                                              \
    type o_, n_;                                                          \
    memcpy(&o_, (a)->old, sizeof(type));                                  \
    memcpy(&n_, (a)->val, sizeof(type));                                  \
    __atomic_compare_exchange_n((type *)(a)->host, &o_, n_, false,        \
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);      \
})

static bool atomic_commit(struct X86AtomicState *a)
{
    switch (a->size) {
    case 1: return CAS_BYTES(uint8_t, a);
    case 2: return CAS_BYTES(uint16_t, a);
    case 4: return CAS_BYTES(uint32_t, a);
    case 8: return CAS_BYTES(uint64_t, a);
#ifdef __x86_64__
    case 16: {
        uint64_t olo, ohi, nlo, nhi;
        bool ok;
        memcpy(&olo, a->old, 8);
        memcpy(&ohi, a->old + 8, 8);
        memcpy(&nlo, a->val, 8);
        memcpy(&nhi, a->val + 8, 8);
        __asm__ __volatile__("lock cmpxchg16b %1"
                             : "=@ccz"(ok), "+m"(*(__int128 *)a->host),
                               "+a"(olo), "+d"(ohi)
                             : "b"(nlo), "c"(nhi)
                             : "memory");
        return ok;
    }
#endif
    default:
        abort();   /* atomic_begin/atomic_widen allow no other size */
    }
}

_Static_assert(offsetof(CPUX86State, regs) == 0 &&
               offsetof(CPUX86State, rip) < offsetof(CPUX86State, hflags) &&
               offsetof(CPUX86State, eflags) < offsetof(CPUX86State, hflags),
               "x86_op_locked saves the state before hflags");

void x86_op_locked(CPUX86State *env, const DecodedInsn *d)
{
    struct X86AtomicState *a = &env->atomic;
    /* What a handler may change besides memory: GPRs, rip, flags. */
    uint8_t saved[offsetof(CPUX86State, hflags)];

    if (!env->mem_ops->host_rmw) {
        pthread_mutex_lock(&x86_atomic_lock);
        a->ops = env->mem_ops;
        a->serialised = true;
        env->atomic_held = 1;
        d->locked(env, d);
        atomic_leave(env);
        return;
    }
    memcpy(saved, env, sizeof(saved));
    for (;;) {
        a->ops = env->mem_ops;
        a->size = 0;
        a->stored = false;
        a->serialised = false;
        env->mem_ops = &x86_atomic_ops;
        env->atomic_held = 1;
        d->locked(env, d);
        if (a->serialised || !a->stored || atomic_commit(a)) {
            atomic_leave(env);
            return;
        }
        /* Lost a race with another vCPU's store: run it again. */
        atomic_leave(env);
        memcpy(env, saved, sizeof(saved));
    }
}

void raise_exception_err(CPUX86State *env, int vector, uint32_t error_code)
{
    if (env->atomic_held) {
        atomic_leave(env);
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
        if (env->segs[R_CS].limit != 0xffffffff) {
            hf |= HF_CSLIM_MASK;
        }
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
