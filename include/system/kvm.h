/*
 * The KVM accelerator (accel/kvm): guest code runs on the host CPU
 * through /dev/kvm, sharing the machine, devices and monitor with the
 * software CPU.
 *
 * Start-up (system/main.c, before the machine is built):
 *
 *     kvm_accel_init("kernel-irqchip=off", &err)   opens /dev/kvm, checks
 *         the API version and the capabilities we rely on, creates the VM,
 *         starts mirroring guest RAM into memory slots and registers the
 *         KVM AccelOpsClass, so CPUs realized afterwards get "CPU n/KVM"
 *         threads.
 *
 * Interrupt controllers: with the in-kernel irqchip (the default when
 * the host offers it) KVM emulates the PIC, IOAPIC, local APICs and the
 * PIT; the board sends its interrupt lines there with kvm_set_irq() and
 * MSIs with kvm_send_msi().  With kernel-irqchip=off Osprey's own models
 * are used and the vCPU loop injects what they deliver (KVM_INTERRUPT,
 * with an interrupt window request while one is pending).
 *
 * Register state follows QEMU's lazy scheme: the kernel holds the truth
 * while the vCPU runs; cpu_synchronize_state() pulls it into CPUX86State
 * (once, setting a dirty flag) and the vCPU pushes it back before its
 * next KVM_RUN only when the flag is set.
 */
#ifndef SYSTEM_KVM_H
#define SYSTEM_KVM_H

#include "util/osdep.h"
#include "util/error.h"

struct CPUState;

/* True once kvm_accel_init succeeded: CPUs run on KVM. */
extern bool kvm_allowed;
static inline bool kvm_enabled(void)
{
    return kvm_allowed;
}

/* What -accel kvm,kernel-irqchip=... asked for. */
typedef enum KVMIrqchipMode {
    KVM_IRQCHIP_AUTO,     /* in-kernel when available, else Osprey's models */
    KVM_IRQCHIP_ON,       /* in-kernel or fail */
    KVM_IRQCHIP_OFF,      /* Osprey's PIC/IOAPIC/LAPIC/PIT */
} KVMIrqchipMode;

typedef struct KVMAccelOptions {
    KVMIrqchipMode kernel_irqchip;
    const char *device;   /* "/dev/kvm"; tests point it elsewhere */
} KVMAccelOptions;

/*
 * Parse the options after "kvm," ("kernel-irqchip=on|off|split",
 * "device=PATH"); NULL or "" gives the defaults.
 */
bool kvm_parse_accel_options(const char *opts, KVMAccelOptions *out,
                             Error **errp);

/*
 * Open the KVM device, create the VM and register the accelerator.  On
 * failure nothing is registered and errp says why in QEMU's words
 * ("Could not access KVM kernel module: No such file or directory").
 * Prints which interrupt controllers were chosen, and why, on stderr
 * when the preferred ones are unavailable.
 */
bool kvm_accel_init(const char *opts, Error **errp);

/* The in-kernel PIC/IOAPIC/LAPIC (and PIT) are in use. */
bool kvm_irqchip_in_kernel(void);
/* One line describing the interrupt controllers in use (info kvm). */
const char *kvm_irqchip_description(void);

/* Raise or lower GSI `irq` of the in-kernel irqchip (KVM_IRQ_LINE). */
int kvm_set_irq(int irq, int level);
/* Deliver an MSI (KVM_SIGNAL_MSI). */
int kvm_send_msi(uint64_t address, uint32_t data);

/* The in-kernel PIT (KVM_CREATE_PIT2) is in use. */
bool kvm_pit_in_kernel(void);

/*
 * In-kernel irqchip state, for the device models' VMState hooks (see
 * hw/intc/i8259.c, ioapic.c, apic.c, hw/timer/i8254.c): with the
 * irqchip in the kernel the models' pre_save pull the kernel's state
 * into their own fields and post_load push it back, so the stream is the
 * same as under TCG.  All return 0 or -errno (-ENOSYS: nothing in the
 * kernel).
 *
 * KVM_GET/SET_IRQCHIP: chip->chip_id says which (KVM_IRQCHIP_PIC_MASTER,
 * _PIC_SLAVE, _IOAPIC).
 */
struct kvm_irqchip;
struct kvm_pit_state2;
struct kvm_lapic_state;
int kvm_irqchip_get(struct kvm_irqchip *chip);
int kvm_irqchip_set(struct kvm_irqchip *chip);
/* KVM_GET/SET_PIT2. */
int kvm_pit_get(struct kvm_pit_state2 *st);
int kvm_pit_set(struct kvm_pit_state2 *st);
/* KVM_GET/SET_LAPIC of cpu, run on its vCPU thread. */
int kvm_lapic_get(struct CPUState *cpu, struct kvm_lapic_state *st);
int kvm_lapic_set(struct CPUState *cpu, struct kvm_lapic_state *st);
/*
 * The in-kernel LAPIC's TSC deadline (MSR 0x6E0) and the TSC it compares
 * with, read together on cpu's thread.
 */
int kvm_get_tsc_deadline(struct CPUState *cpu, uint64_t *deadline,
                         uint64_t *tsc);
/*
 * The vCPU's IA32_APIC_BASE as KVM last reported it (its registers when
 * they were pulled since, else the last exit's kvm_run.apic_base).
 */
uint64_t kvm_apic_base(struct CPUState *cpu);
/*
 * QEMU_CLOCK_VIRTUAL minus CLOCK_MONOTONIC, the kernel's time base for
 * kvm_pit_channel_state.count_load_time (least of a few samples, as
 * QEMU's kvm_pit_update_clock_offset).
 */
int64_t kvm_pit_clock_offset(void);

/* KVM_CHECK_EXTENSION on the VM (or the system fd before it exists). */
int kvm_check_extension(int extension);

/*
 * Fold the kernel's dirty page logs into the dirty bitmaps (migration,
 * display).  Done by memory_global_dirty_log_sync() through the listener;
 * exposed for tests.
 */
void kvm_dirty_log_sync_all(void);

#endif
