/*
 * PIIX3 PCI-to-ISA bridge (00:01.0, 8086:7000), after QEMU's hw/isa/piix.c.
 *
 * It owns the root bus's INTx routing: device pin P in slot S drives PIRQ
 * (S + P - 1) & 3 (the swizzle acpi-build.h's _PRT assumes), and config
 * registers 0x60-0x63 (PIRQRC[A:D]) route PIRQ A-D to an ISA IRQ (bits
 * 3:0) unless bit 7 is set.  Routed lines drive the ISA bus's IRQs, so on
 * the pc they reach both the PIC and IOAPIC pins 0-15 (GSI = ISA IRQ).
 * The registers come out of reset as "pirqa".."pirqd" say: 0x80 (off)
 * as on real hardware and QEMU, for firmware to program; a board booting a
 * kernel without firmware sets them to PcAcpiConfig.pci_gsi (10, 10, 11,
 * 11, SeaBIOS's choice too) so the _PRT holds.
 */
#ifndef HW_SOUTHBRIDGE_PIIX_H
#define HW_SOUTHBRIDGE_PIIX_H

#include "hw/pci/pci.h"
#include "hw/isa/isa.h"

#define TYPE_PIIX3_DEVICE "PIIX3"
OBJECT_DECLARE_SIMPLE_TYPE(PIIX3State, PIIX3_DEVICE)

#define PIIX_NUM_PIRQS 4
#define PIIX_NUM_PIC_IRQS 16
#define PIIX_PIRQCA 0x60
#define PIIX_PIRQ_DISABLED 0x80

struct PIIX3State {
    PCIDevice dev;

    uint8_t pirq_reset[PIIX_NUM_PIRQS];     /* "pirqa".."pirqd" */
    /* Bit (pic_irq * 4 + pirq): PIRQ level seen on that ISA IRQ. */
    uint64_t pic_levels;
    int pirq_level[PIIX_NUM_PIRQS];
    ISABus *isa_bus;                        /* "isa.0", created by us */
};

/* The ISA IRQ PIRQ pirq is routed to, or -1. */
int piix3_pirq_route(PIIX3State *s, int pirq);

#endif
