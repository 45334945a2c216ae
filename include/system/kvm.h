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

/* KVM_CHECK_EXTENSION on the VM (or the system fd before it exists). */
int kvm_check_extension(int extension);

/*
 * Fold the kernel's dirty page logs into the dirty bitmaps (migration,
 * display).  Done by memory_global_dirty_log_sync() through the listener;
 * exposed for tests.
 */
void kvm_dirty_log_sync_all(void);

#endif
