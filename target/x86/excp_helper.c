/*
 * Events around guest code: which pending interrupt the CPU takes and
 * when (IF, the STI/MOV SS shadow, NMI blocking), INIT and SIPI.
 * Delivery itself is in seg_helper.c; the loop that calls these is
 * x86_cpu_exec in accel/tcg/cpu-exec.c.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "target/x86/cpu-qom.h"
#include "seg_helper.h"

static uint32_t irq_request(CPUState *cs)
{
    return __atomic_load_n(&cs->interrupt_request, __ATOMIC_ACQUIRE);
}

/* The events the CPU would act on now (0: none). */
static uint32_t deliverable(CPUX86State *env, uint32_t req)
{
    uint32_t r = req & (CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI);

    if (env->hflags2 & HF2_WAIT_SIPI) {
        return r;
    }
    if (env->hflags & HF_INHIBIT_IRQ_MASK) {
        return r;
    }
    if ((req & CPU_INTERRUPT_NMI) && !(env->hflags2 & HF2_NMI_MASK)) {
        r |= CPU_INTERRUPT_NMI;
    }
    if ((req & CPU_INTERRUPT_HARD) && (env->eflags & IF_MASK)) {
        r |= CPU_INTERRUPT_HARD;
    }
    return r;
}

bool x86_cpu_exit_pending(CPUX86State *env)
{
    CPUState *cs = env->cpu;

    if (!cs) {
        /* A bare env has no interrupts: the shadow has nothing to hold off. */
        env->hflags &= ~HF_INHIBIT_IRQ_MASK;
        return env->dbg_active;
    }
    if (__atomic_load_n(&cs->exit_request, __ATOMIC_ACQUIRE)) {
        return true;
    }
    /*
     * The outer loop steps through the shadow, through code run with
     * EFLAGS.TF (single-step traps) and while DR7 enables a breakpoint,
     * one instruction at a time.
     */
    if ((env->hflags & HF_INHIBIT_IRQ_MASK) || (env->eflags & TF_MASK) ||
        env->dbg_active) {
        return true;
    }
    return deliverable(env, irq_request(cs)) != 0;
}

bool x86_cpu_has_work(CPUState *cs)
{
    CPUX86State *env = x86_cpu_env(cs);
    uint32_t req = irq_request(cs);

    if (env->hflags2 & HF2_WAIT_SIPI) {
        return req & (CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI);
    }
    return ((req & CPU_INTERRUPT_HARD) && (env->eflags & IF_MASK)) ||
           ((req & CPU_INTERRUPT_NMI) && !(env->hflags2 & HF2_NMI_MASK)) ||
           (req & (CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI));
}

/*
 * INIT: the reset state, except what the SDM says INIT keeps: x87, SSE,
 * MTRRs, PAT, the APIC base and the TSC.  Application processors then
 * wait for a SIPI.
 */
void x86_cpu_do_init(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    CPUX86State *save = xnew(CPUX86State);
    bool bsp;

    memcpy(save, env, sizeof(*env));
    x86_cpu_reset(env);
    memcpy(env->fpregs, save->fpregs, sizeof(env->fpregs));
    env->fpuc = save->fpuc;
    env->fpus = save->fpus;
    env->fpstt = save->fpstt;
    env->fptags = save->fptags;
    memcpy(env->xmm, save->xmm, sizeof(env->xmm));
    env->mxcsr = save->mxcsr;
    env->mtrr_deftype = save->mtrr_deftype;
    memcpy(env->mtrr_fixed, save->mtrr_fixed, sizeof(env->mtrr_fixed));
    memcpy(env->mtrr_var, save->mtrr_var, sizeof(env->mtrr_var));
    env->pat = save->pat;
    env->apic_base = save->apic_base;
    env->tsc_offset = save->tsc_offset;
    env->misc_enable = save->misc_enable;
    free(save);

    x86_tlb_flush(env);
    bsp = env->apic_base & (1 << 8);
    if (!bsp) {
        env->hflags2 |= HF2_WAIT_SIPI;
        env->halted = 1;
        cpu->parent_obj.halted = 1;
    }
}

void x86_cpu_sipi(X86CPU *cpu, int vector)
{
    cpu->env.sipi_vector = vector & 0xff;
    cpu_interrupt(&cpu->parent_obj, CPU_INTERRUPT_SIPI);
}

/* SIPI: real mode at vector:0000, i.e. CS = vector << 8. */
static void do_sipi(CPUX86State *env)
{
    uint32_t sel = env->sipi_vector << 8;

    env->hflags2 &= ~HF2_WAIT_SIPI;
    env->segs[R_CS].selector = sel;
    env->segs[R_CS].base = (uint64_t)sel << 4;
    env->rip = 0;
    env->halted = 0;
    x86_update_hflags(env);
}

bool x86_cpu_handle_interrupts(CPUX86State *env)
{
    CPUState *cs = env->cpu;
    X86CPU *cpu;
    uint32_t req, take;

    if (!cs) {
        return false;
    }
    cpu = X86_CPU(cs);
    req = irq_request(cs);
    take = deliverable(env, req);
    if (take & CPU_INTERRUPT_INIT) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_INIT);
        qemu_log_mask(CPU_LOG_INT, "CPU %d: INIT\n", cs->cpu_index);
        x86_cpu_do_init(cpu);
        return env->hflags2 & HF2_WAIT_SIPI;
    }
    if (take & CPU_INTERRUPT_SIPI) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_SIPI);
        if (env->hflags2 & HF2_WAIT_SIPI) {
            if (cpu->get_sipi_vector) {
                env->sipi_vector = cpu->get_sipi_vector(cpu) & 0xff;
            }
            qemu_log_mask(CPU_LOG_INT, "CPU %d: SIPI vector 0x%02x\n",
                          cs->cpu_index, env->sipi_vector);
            do_sipi(env);
        }
        return false;
    }
    if (env->hflags2 & HF2_WAIT_SIPI) {
        return true;
    }
    if (take & CPU_INTERRUPT_NMI) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_NMI);
        env->hflags2 |= HF2_NMI_MASK;
        x86_cpu_do_hw_interrupt(env, EXCP02_NMI);
        return false;
    }
    if (take & CPU_INTERRUPT_HARD) {
        int vector;

        cpu_reset_interrupt(cs, CPU_INTERRUPT_HARD);
        vector = cpu->get_interrupt_vector ? cpu->get_interrupt_vector(cpu) : -1;
        if (vector >= 0) {
            x86_cpu_do_hw_interrupt(env, vector & 0xff);
        }
    }
    return false;
}
