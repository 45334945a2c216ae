/*
 * Local APIC, one per CPU, after QEMU's hw/intc/apic.c.
 *
 * Each TYPE_APIC device is linked to its CPUState ("cpu" link property) and
 * raises CPU_INTERRUPT_HARD / NMI / SMI / INIT / SIPI on it with
 * cpu_interrupt().  The x86 CPU model calls, from its vCPU thread:
 *   apic_get_interrupt()    when it takes a maskable interrupt: the
 *                           highest deliverable vector, moved IRR -> ISR
 *                           (-1: none; then ask the PIC if
 *                           apic_accept_pic_intr() says LINT0 is ExtINT)
 *   cpu_set_apic_base() / cpu_get_apic_base()   IA32_APIC_BASE (0x1B)
 *   apic_msr_read() / apic_msr_write()          x2APIC MSRs 0x800-0x8FF
 *   apic_get_tsc_deadline() / apic_set_tsc_deadline()  MSR 0x6E0
 *   apic_sipi_vector() / apic_sipi()            AP start-up after SIPI
 *
 * Memory: one "apic-msi" region covers 0xFEE00000-0xFEEFFFFF in system
 * memory, as in QEMU.  An access from a vCPU thread (current_cpu set) to
 * the first 4 KiB is a register access to that CPU's APIC; any other write
 * (device DMA: the IOAPIC, PCI MSI/MSI-X) is an MSI, decoded and
 * delivered to the APIC(s) it names.  An APIC relocated through
 * IA32_APIC_BASE gets its page mapped at the new base as well.
 *
 * Clocks: the APIC timer counts at APIC_BUS_FREQ_HZ (1 GHz, one tick per
 * QEMU_CLOCK_VIRTUAL nanosecond before the divider, as QEMU), and the TSC
 * used by TSC-deadline mode is QEMU_CLOCK_VIRTUAL scaled to the
 * "tsc-frequency" property (default 1 GHz: TSC = virtual ns) plus an
 * offset the CPU model sets when the guest writes IA32_TSC.
 * Periodic mode never fires more often than every APIC_MIN_PERIOD_NS
 * (as KVM limits it), so a guest cannot make the main loop spin.
 *
 * Level-triggered EOIs are broadcast to the IOAPIC(s) through
 * apic_add_eoi_notifier(): the notifier's data points to the int vector.
 *
 * Runs under the big lock.
 */
#ifndef HW_I386_APIC_H
#define HW_I386_APIC_H

#include "hw/qdev-core.h"
#include "hw/core/cpu.h"
#include "memory/memory.h"
#include "system/timer.h"
#include "util/notify.h"

#define TYPE_APIC "apic"
OBJECT_DECLARE_SIMPLE_TYPE(APICCommonState, APIC)

#define APIC_DEFAULT_ADDRESS 0xfee00000
#define APIC_SPACE_SIZE 0x100000
#define APIC_BUS_FREQ_HZ 1000000000ULL
#define APIC_DEFAULT_TSC_FREQ_HZ 1000000000ULL
#define APIC_MIN_PERIOD_NS 100000

/* IA32_APIC_BASE bits. */
#define MSR_IA32_APICBASE 0x1b
#define MSR_IA32_APICBASE_BSP (1ULL << 8)
#define MSR_IA32_APICBASE_EXTD (1ULL << 10)
#define MSR_IA32_APICBASE_ENABLE (1ULL << 11)
#define MSR_IA32_APICBASE_BASE (0xfffffffffULL << 12)
#define MSR_IA32_TSCDEADLINE 0x6e0
#define MSR_X2APIC_BASE 0x800
#define MSR_X2APIC_LAST 0x8ff

/* Delivery modes (ICR, LVT, MSI data, IOAPIC redirection entries). */
#define APIC_DM_FIXED 0
#define APIC_DM_LOWPRI 1
#define APIC_DM_SMI 2
#define APIC_DM_NMI 4
#define APIC_DM_INIT 5
#define APIC_DM_SIPI 6
#define APIC_DM_EXTINT 7

#define APIC_DESTMODE_PHYSICAL 0
#define APIC_DESTMODE_LOGICAL 1
#define APIC_TRIGGER_EDGE 0
#define APIC_TRIGGER_LEVEL 1

/* LVT entries, in register order (0x320 + 0x10 * n). */
enum {
    APIC_LVT_TIMER,
    APIC_LVT_THERMAL,
    APIC_LVT_PERFORM,
    APIC_LVT_LINT0,
    APIC_LVT_LINT1,
    APIC_LVT_ERROR,
    APIC_LVT_NB,
};
#define APIC_LVT_MASKED (1 << 16)
#define APIC_LVT_LEVEL_TRIGGER (1 << 15)
#define APIC_LVT_REMOTE_IRR (1 << 14)
#define APIC_LVT_INT_POLARITY (1 << 13)
#define APIC_LVT_DELIV_STS (1 << 12)
#define APIC_LVT_TIMER_SHIFT 17
#define APIC_LVT_TIMER_ONESHOT (0 << 17)
#define APIC_LVT_TIMER_PERIODIC (1 << 17)
#define APIC_LVT_TIMER_TSCDEADLINE (2 << 17)
#define APIC_LVT_TIMER_MODE_MASK (3 << 17)

#define APIC_SV_FOCUS_DISABLED (1 << 9)
#define APIC_SV_ENABLE (1 << 8)
#define APIC_SV_DIRECTED_IO (1 << 12)

/* ESR bits. */
#define APIC_ESR_SEND_ILLEGAL_VECTOR (1 << 5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR (1 << 6)
#define APIC_ESR_ILLEGAL_ADDRESS (1 << 7)

/* Register offsets in the xAPIC page (the x2APIC MSR is 0x800 + off/16). */
#define APIC_REG_ID 0x020
#define APIC_REG_VERSION 0x030
#define APIC_REG_TPR 0x080
#define APIC_REG_APR 0x090
#define APIC_REG_PPR 0x0a0
#define APIC_REG_EOI 0x0b0
#define APIC_REG_LDR 0x0d0
#define APIC_REG_DFR 0x0e0
#define APIC_REG_SVR 0x0f0
#define APIC_REG_ISR 0x100
#define APIC_REG_TMR 0x180
#define APIC_REG_IRR 0x200
#define APIC_REG_ESR 0x280
#define APIC_REG_ICR_LOW 0x300
#define APIC_REG_ICR_HIGH 0x310
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_LVT_LINT0 0x350
#define APIC_REG_LVT_LINT1 0x360
#define APIC_REG_LVT_ERROR 0x370
#define APIC_REG_TIMER_INITIAL 0x380
#define APIC_REG_TIMER_CURRENT 0x390
#define APIC_REG_TIMER_DIVIDE 0x3e0
#define APIC_REG_SELF_IPI 0x3f0 /* x2APIC only */

/* ICR fields. */
#define APIC_ICR_DEST_SHORTHAND_SHIFT 18
#define APIC_ICR_SHORTHAND_NONE 0
#define APIC_ICR_SHORTHAND_SELF 1
#define APIC_ICR_SHORTHAND_ALL 2
#define APIC_ICR_SHORTHAND_OTHERS 3
#define APIC_ICR_LEVEL_ASSERT (1 << 14)
#define APIC_ICR_DEST_LOGICAL (1 << 11)

/* MSI address/data, as the APIC's MSI region decodes them. */
#define MSI_ADDR_DEST_ID_SHIFT 12
#define MSI_ADDR_REDIRECTION_SHIFT 3
#define MSI_ADDR_DEST_MODE_SHIFT 2
#define MSI_DATA_VECTOR_MASK 0xff
#define MSI_DATA_DELIVERY_MODE_SHIFT 8
#define MSI_DATA_LEVEL_SHIFT 14
#define MSI_DATA_TRIGGER_SHIFT 15

/* State in one plain struct; VMState describes it later. */
struct APICCommonState {
    DeviceState parent_obj;

    /* Properties. */
    uint32_t initial_apic_id;       /* "id" */
    uint8_t version;                /* "version": 0x14 */
    uint64_t tsc_frequency;         /* "tsc-frequency", Hz */
    CPUState *cpu;                  /* "cpu" link */

    uint64_t apicbase;
    uint32_t id;                    /* current id (xAPIC: bits 7:0) */
    uint8_t tpr;
    uint32_t spurious_vec;
    uint8_t log_dest;               /* xAPIC LDR bits 31:24 */
    uint8_t dest_mode;              /* DFR model: 0xf flat, 0 cluster */
    uint32_t isr[8];
    uint32_t tmr[8];
    uint32_t irr[8];
    uint32_t lvt[APIC_LVT_NB];
    uint32_t esr;                   /* as last latched by an ESR write */
    uint32_t esr_pending;           /* errors since */
    uint32_t icr[2];
    uint32_t divide_conf;
    int count_shift;
    uint32_t initial_count;
    int64_t initial_count_load_time;
    int64_t next_time;
    uint64_t tsc_deadline;
    int64_t tsc_offset;
    bool extint_level;              /* PIC INTR through LINT0 */
    bool wait_for_sipi;
    int sipi_vector;

    QEMUTimer *timer;
    /* Loaded under KVM, not yet in the in-kernel LAPIC. */
    bool kvm_state_loaded;
    MemoryRegion relocated_mmio;    /* page at a non-default base */
    bool relocated_mapped;
    QTAILQ_ENTRY(APICCommonState) link;
};

/* The APIC linked to cpu, or NULL. */
DeviceState *cpu_get_apic(CPUState *cpu);

/* IA32_APIC_BASE.  Returns 0, or -1 for an invalid transition (#GP). */
int cpu_set_apic_base(DeviceState *dev, uint64_t val);
uint64_t cpu_get_apic_base(DeviceState *dev);
bool cpu_is_apic_enabled(DeviceState *dev);
bool apic_is_x2apic(DeviceState *dev);

/*
 * x2APIC MSRs 0x800-0x8FF.  Return 0, or -1 when the access must raise
 * #GP: APIC not in x2APIC mode, reserved or absent register (DFR, ICR
 * high), read of a write-only register (EOI, SELF IPI), write of a
 * read-only one, or a non-zero write to EOI/ESR.
 */
int apic_msr_read(DeviceState *dev, uint32_t index, uint64_t *val);
int apic_msr_write(DeviceState *dev, uint32_t index, uint64_t val);

/* xAPIC register access by offset in the page (what the MMIO does). */
uint32_t apic_mem_readl(DeviceState *dev, hwaddr offset);
void apic_mem_writel(DeviceState *dev, hwaddr offset, uint32_t val);

/* TSC-deadline mode (MSR 0x6E0) and the TSC it compares against. */
uint64_t apic_get_tsc(DeviceState *dev);
void apic_set_tsc(DeviceState *dev, uint64_t tsc);
uint64_t apic_get_tsc_deadline(DeviceState *dev);
void apic_set_tsc_deadline(DeviceState *dev, uint64_t deadline);

/* Highest deliverable vector, moved IRR -> ISR; -1 if none. */
int apic_get_interrupt(DeviceState *dev);
/* True when the PIC's INTR reaches this CPU (APIC off or LINT0 ExtINT). */
bool apic_accept_pic_intr(DeviceState *dev);
/* The PIC's INTR output changed: LINT0 of this APIC. */
void apic_deliver_pic_intr(DeviceState *dev, int level);
/* NMI button / LINT1 as NMI. */
void apic_deliver_nmi(DeviceState *dev);

/* INIT: back to the INIT state; an AP then waits for a SIPI. */
void apic_init_reset(DeviceState *dev);
bool apic_wait_for_sipi(DeviceState *dev);
int apic_sipi_vector(DeviceState *dev);
/* The CPU model took the SIPI: leave wait-for-SIPI. */
void apic_sipi(DeviceState *dev);

/* Interrupt message to the APIC bus (the MSI region ends here). */
void apic_deliver_irq(uint32_t dest, uint8_t dest_mode,
                      uint8_t delivery_mode, uint8_t vector,
                      uint8_t trigger_mode);
/* Decode an MSI write (address, data) and deliver it. */
void apic_send_msi(uint64_t addr, uint32_t data);

/* Level-triggered EOI broadcast; data is an int * vector. */
void apic_add_eoi_notifier(Notifier *notifier);
void apic_remove_eoi_notifier(Notifier *notifier);

/*
 * "apic": the state of one local APIC, registered at realize with its
 * initial APIC id as instance id (as QEMU).  Opaque: APICCommonState.
 */
struct VMStateDescription;
extern const struct VMStateDescription vmstate_apic_common;

/*
 * Conversions to and from KVM's in-kernel LAPIC state (struct
 * kvm_lapic_state: the xAPIC register page, ID at 0x20, TPR 0x80, ISR
 * 0x100.., TMR 0x180.., IRR 0x200.., LVT 0x320.., timer initial/current
 * count 0x380/0x390, divide 0x3e0), used when the irqchip is in the
 * kernel.  now (virtual ns) is the time the current count refers to.
 */
struct kvm_lapic_state;
void apic_state_to_kvm(const APICCommonState *s, struct kvm_lapic_state *k,
                       int64_t now);
void apic_state_from_kvm(APICCommonState *s, const struct kvm_lapic_state *k,
                         int64_t now);
/*
 * Under KVM, post_load leaves the loaded state for the vCPU's register
 * put: true (and k filled) once after each load.
 */
bool apic_kvm_take_loaded_state(DeviceState *dev, struct kvm_lapic_state *k);

/* The shared "apic-msi" region (created and mapped with the first APIC). */
MemoryRegion *apic_msi_region(void);

#endif
