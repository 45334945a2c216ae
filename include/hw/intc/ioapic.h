/*
 * The I/O APIC (82093AA-style), after QEMU's hw/intc/ioapic.c.
 *
 * A sysbus device with one 4 KiB MMIO region (the board maps it at
 * IOAPIC_DEFAULT_BASE) holding IOREGSEL at +0x00, IOWIN at +0x10 and, in
 * version 0x20, the EOI register at +0x40.  Registers through IOWIN: ID
 * (0x00), version (0x01: version, 23 in bits 16-23 for 24 pins),
 * arbitration (0x02), and the 24 64-bit redirection entries (0x10 +
 * 2*pin: low dword, high dword).
 *
 * Inputs: GPIOs 0..23.  As in QEMU, input 0 is delivered on pin 2: the
 * board wires ISA IRQ n to input n for every n, and the ISA timer's IRQ 0
 * lands on pin 2 as the MADT's interrupt source override says.
 *
 * Output: each interrupt is a message written to address_space_memory,
 * as an MSI: address 0xFEE00000 | dest << 12 | dest_mode << 2, data
 * vector | delivery_mode << 8 | trigger_mode << 15 (QEMU's
 * ioapic_service).  The local APICs receive it there.
 *
 * Edge pins deliver on each rising edge while unmasked.  Level pins set
 * remote IRR on delivery and deliver again only after an EOI for their
 * vector (ioapic_eoi_broadcast from the local APIC, or the EOI register)
 * finds the line still asserted.
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include "hw/sysbus.h"
#include "util/queue.h"

#define TYPE_IOAPIC "ioapic"
OBJECT_DECLARE_SIMPLE_TYPE(IOAPICCommonState, IOAPIC)

#define IOAPIC_NUM_PINS 24
#define IOAPIC_DEFAULT_BASE 0xfec00000
#define IOAPIC_MSI_BASE 0xfee00000

#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_EOI 0x40

#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_REDTBL_BASE 0x10

#define IOAPIC_LVT_DEST_SHIFT 56
#define IOAPIC_LVT_MASKED (1ULL << 16)
#define IOAPIC_LVT_TRIGGER_MODE (1ULL << 15)
#define IOAPIC_LVT_REMOTE_IRR (1ULL << 14)
#define IOAPIC_LVT_POLARITY (1ULL << 13)
#define IOAPIC_LVT_DELIV_STATUS (1ULL << 12)
#define IOAPIC_LVT_DEST_MODE (1ULL << 11)
#define IOAPIC_LVT_DELIV_MODE_SHIFT 8
#define IOAPIC_VECTOR_MASK 0xff

struct IOAPICCommonState {
    SysBusDevice parent_obj;

    /* Guest-visible state (for a VMState description). */
    uint8_t id;
    uint8_t ioregsel;
    uint32_t irr;               /* pending requests */
    uint32_t line;              /* input levels, for edge detection */
    uint64_t ioredtbl[IOAPIC_NUM_PINS];

    /* Properties. */
    uint8_t version;            /* 0x11 or 0x20 */

    MemoryRegion io_memory;
    QLIST_ENTRY(IOAPICCommonState) link;    /* realized IOAPICs */
};

/*
 * End of interrupt for vector, from a local APIC: every IOAPIC clears
 * remote IRR on its level pins with that vector, and delivers again the
 * ones whose line is still asserted.
 */
void ioapic_eoi_broadcast(int vector);
/*
 * Conversions to and from KVM's in-kernel IOAPIC state (struct
 * kvm_ioapic_state), used by the VMState hooks when the irqchip is in
 * the kernel (KVM_GET/SET_IRQCHIP).  base is the MMIO base KVM is told.
 */
struct kvm_ioapic_state;
void ioapic_state_to_kvm(const IOAPICCommonState *s,
                         struct kvm_ioapic_state *k, uint64_t base);
void ioapic_state_from_kvm(IOAPICCommonState *s,
                           const struct kvm_ioapic_state *k);

/* `info ioapic` */
void ioapic_print_info(StrBuf *out, IOAPICCommonState *s);

#endif
