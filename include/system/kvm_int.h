/*
 * KVM accelerator internals shared by accel/kvm and target/x86/kvm.c.
 * Nothing outside those two should include this.
 */
#ifndef SYSTEM_KVM_INT_H
#define SYSTEM_KVM_INT_H

#include <linux/kvm.h>
#include "system/kvm.h"
#include "memory/memory.h"
#include "hw/core/cpu.h"

/* The signal that kicks a vCPU out of KVM_RUN (QEMU uses SIGUSR1 too). */
#define SIG_IPI SIGUSR1

/* Extra exit codes of kvm_cpu_exec (beside EXCP_INTERRUPT / EXCP_HLT). */
#define EXCP_KVM_ERROR -2

/* One KVM memory slot: a page-aligned piece of a RAM section. */
typedef struct KVMSlot {
    bool used;
    uint32_t slot;            /* KVM's slot number (index in the table) */
    uint64_t start;           /* guest physical */
    uint64_t size;
    void *host;
    uint32_t flags;           /* KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES */
    MemoryRegion *mr;
    hwaddr offset_in_region;
} KVMSlot;

typedef struct KVMState {
    int fd;                   /* /dev/kvm */
    int vmfd;
    int vcpu_mmap_size;
    KVMSlot *slots;
    int nr_slots;
    bool irqchip_in_kernel;
    bool pit_in_kernel;
    bool readonly_mem;
    bool has_xsave, has_xcrs, has_vcpu_events, has_debugregs;
    bool has_signal_msi;
    char irqchip_desc[160];
    struct kvm_cpuid2 *supported_cpuid;
    uint32_t *msr_list;       /* KVM_GET_MSR_INDEX_LIST */
    int nr_msrs;
    MemoryListener listener;
} KVMState;

extern KVMState *kvm_state;

/* Per-vCPU state (cpu->accel). */
typedef struct KVMCPUState {
    int fd;
    struct kvm_run *run;
    /* env holds newer state than the kernel: put it before KVM_RUN. */
    bool vcpu_dirty;
    /* How much that put covers (KVM_PUT_*): FULL until the first one. */
    int put_level;
    /* Last KVM_GET_XSAVE image (extended state the env does not model). */
    struct kvm_xsave *xsave;
    struct kvm_vcpu_events events;
    bool events_valid;
    uint64_t tsc;
    uint32_t mp_state;
} KVMCPUState;

static inline KVMCPUState *kvm_cpu_state(CPUState *cpu)
{
    return cpu->accel;
}

/* ioctl wrappers: the result, or -errno. */
int kvm_ioctl(KVMState *s, unsigned long type, void *arg);
int kvm_vm_ioctl(KVMState *s, unsigned long type, void *arg);
int kvm_vcpu_ioctl(CPUState *cpu, unsigned long type, void *arg);

/* The vCPU side (kvm-all.c), called by the accelerator ops. */
bool kvm_init_vcpu(CPUState *cpu, Error **errp);
void kvm_destroy_vcpu(CPUState *cpu);
int kvm_cpu_exec(CPUState *cpu);
void kvm_init_cpu_signals(CPUState *cpu);
void kvm_cpu_synchronize_state(CPUState *cpu);
void kvm_cpu_synchronize_post_reset(CPUState *cpu);
void kvm_cpu_synchronize_post_init(CPUState *cpu);
void kvm_cpu_kick(CPUState *cpu);

/* How much to put (QEMU's levels). */
enum {
    KVM_PUT_RUNTIME_STATE = 1,   /* what the guest changes while running */
    KVM_PUT_RESET_STATE = 2,     /* + what reset changes (TSC, mp_state) */
    KVM_PUT_FULL_STATE = 3,      /* + everything else (init, loadvm) */
};

/* Target hooks (target/x86/kvm.c). */
bool kvm_arch_init(KVMState *s, Error **errp);
bool kvm_arch_init_vcpu(CPUState *cpu, Error **errp);
void kvm_arch_destroy_vcpu(CPUState *cpu);
int kvm_arch_get_registers(CPUState *cpu);
int kvm_arch_put_registers(CPUState *cpu, int level);
/* BQL held, Osprey's irqchip only: injection, interrupt window request. */
void kvm_arch_pre_run(CPUState *cpu, struct kvm_run *run);
/* Without the BQL, right after KVM_RUN (vCPU-local state only). */
void kvm_arch_post_run(CPUState *cpu, struct kvm_run *run);
/* BQL held: INIT/SIPI/wake-ups; true when the vCPU must stay halted. */
bool kvm_arch_process_async_events(CPUState *cpu);
/* Exits the generic code does not handle: 0 go on, EXCP_* leave, <0 error. */
int kvm_arch_handle_exit(CPUState *cpu, struct kvm_run *run);
/* Is the vCPU runnable from the kernel's point of view (in-kernel APIC). */
bool kvm_arch_stop_on_emulation_error(CPUState *cpu);

#endif
