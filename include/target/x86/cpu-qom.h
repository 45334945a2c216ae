/*
 * The x86 CPU as a QOM device.
 *
 * TYPE_X86_CPU ("x86_64-cpu") is abstract; models are "<model>-x86_64-cpu"
 * (only "osprey64-x86_64-cpu" for now).  Realizing one starts its vCPU
 * thread through the registered accelerator; resetting it (hold phase)
 * applies the SDM power-on state.
 *
 * Interrupt controllers talk to the CPU through hooks they install, not
 * through headers the CPU includes:
 *  - a device raises CPU_INTERRUPT_HARD with cpu_interrupt(); when the
 *    CPU can take it (IF=1, no interrupt shadow) it clears the bit and
 *    calls get_interrupt_vector(), which returns the vector to deliver
 *    (the PIC's or the local APIC's INTA cycle) or -1 for none; the
 *    controller raises CPU_INTERRUPT_HARD again while more are pending;
 *  - CPU_INTERRUPT_NMI, _INIT and _SIPI (with sipi_vector set first via
 *    x86_cpu_sipi()) are raised the same way;
 *  - x2apic_msr_read/write get MSRs 0x800-0x8FF; apic_base_changed sees
 *    writes to IA32_APIC_BASE.
 */
#ifndef TARGET_X86_CPU_QOM_H
#define TARGET_X86_CPU_QOM_H

#include "hw/core/cpu.h"
#include "hw/resettable.h"
#include "target/x86/cpu.h"

#define TYPE_X86_CPU "x86_64-cpu"
#define X86_CPU_TYPE_SUFFIX "-" TYPE_X86_CPU
#define X86_CPU_TYPE_NAME(model) model X86_CPU_TYPE_SUFFIX
#define TYPE_OSPREY64_CPU X86_CPU_TYPE_NAME("osprey64")
#define TYPE_HOST_X86_CPU X86_CPU_TYPE_NAME("host")

OBJECT_DECLARE_TYPE(X86CPU, X86CPUClass, X86_CPU)

struct X86CPU {
    CPUState parent_obj;
    CPUX86State env;

    /* Hooks the interrupt controllers install (see the top of the file). */
    int (*get_interrupt_vector)(X86CPU *cpu);
    bool (*x2apic_msr_read)(X86CPU *cpu, uint32_t index, uint64_t *val);
    bool (*x2apic_msr_write)(X86CPU *cpu, uint32_t index, uint64_t val);
    void (*apic_base_changed)(X86CPU *cpu, uint64_t apic_base);
    /* The start vector of a SIPI being taken (the APIC latched it). */
    int (*get_sipi_vector)(X86CPU *cpu);
    void *irq_opaque;

    /*
     * Physical memory for the default linear == physical memory ops
     * (used until the softmmu installs its own X86MemOps).
     */
    struct AddressSpace *as;
};

struct X86CPUClass {
    CPUClass parent_class;
    const char *model_name;
    /* Model defaults, applied at instance init. */
    void (*model_init)(X86CPUConfig *cfg);
    /* -cpu host: CPUID is what KVM supports (KVM only). */
    bool host_cpuid;
    ResettableHoldPhase parent_hold;
    DeviceUnrealize parent_unrealize;
};

static inline CPUX86State *x86_cpu_env(CPUState *cs)
{
    return &X86_CPU(cs)->env;
}

/* "osprey64,-sse4_2,+x2apic": apply the +/- feature list to cpu's CPUID
 * (the model name before the first comma is ignored here). */
bool x86_cpu_parse_features(X86CPU *cpu, const char *str, Error **errp);
/* QOM type name for a -cpu model name ("osprey64"), NULL if unknown. */
const char *x86_cpu_type_by_model(const char *model);
/* -cpu help */
void x86_cpu_list(FILE *f);
/* Names of the feature flags set in cfg, space separated (caller frees). */
char *x86_cpu_feature_string(const X86CPUConfig *cfg);

/* INIT and SIPI, as the local APIC sends them. */
void x86_cpu_sipi(X86CPU *cpu, int vector);

/* Default memory ops: linear addresses are physical, over cpu->as. */
extern const X86MemOps x86_phys_mem_ops;

/*
 * The CPU's state for snapshots and migration (target/x86/machine.c):
 * "cpu", registered at realize with the CPU index as instance id, beside
 * the generic "cpu_common" (halted, interrupt_request).  Opaque: X86CPU.
 */
struct VMStateDescription;
extern const struct VMStateDescription vmstate_x86_cpu;
/* Drop what the software CPU derived from guest state: TLB, jump cache,
 * translated code.  Done by the "cpu" post_load. */
void x86_cpu_flush_after_load(CPUX86State *env);

/* `info registers` (QEMU's format). */
void x86_cpu_dump_state(CPUState *cs, FILE *f, int flags);

/*
 * Outer execution loop (accel/tcg/cpu-exec.c): runs up to
 * env->icount_budget instructions, delivering exceptions and interrupts;
 * returns EXCP_INTERRUPT (budget or exit request) or EXCP_HLT (halted,
 * waiting for an interrupt, or stopped by a triple fault).
 */
int x86_cpu_exec(CPUX86State *env);
/* Pieces of it that live with the target (excp_helper.c). */
bool x86_cpu_has_work(CPUState *cs);
/* Take INIT/SIPI/NMI/external interrupts; true if the CPU must halt. */
bool x86_cpu_handle_interrupts(CPUX86State *env);
void x86_cpu_do_init(X86CPU *cpu);
/* Instructions per x86_cpu_exec call from the vCPU thread. */
#define X86_CPU_EXEC_SLICE 200000

#endif
