/*
 * Intel MultiProcessor Specification 1.4 tables.
 *
 * Entries are sorted by type as the specification asks: processors,
 * buses, I/O APIC, I/O interrupt assignments, local interrupt assignments.
 * Routing mirrors SeaBIOS's mptable and our ACPI tables: ISA IRQ 0 goes to
 * IOAPIC input 2, the SCI and PCI IRQs are level-triggered active high,
 * PCI INTx follow pc_acpi_pci_slot_gsi().
 */
#include "hw/i386/mptable.h"

#define MP_SPEC_REV_1_4 0x04
#define MP_LAPIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11

enum {
    MP_ENTRY_PROCESSOR = 0,
    MP_ENTRY_BUS = 1,
    MP_ENTRY_IOAPIC = 2,
    MP_ENTRY_IO_INTERRUPT = 3,
    MP_ENTRY_LOCAL_INTERRUPT = 4,
};

enum {
    MP_INT = 0,
    MP_NMI = 1,
    MP_SMI = 2,
    MP_EXTINT = 3,
};

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
/* Polarity in bits 1:0, trigger in bits 3:2: 0 = conforms to the bus. */
#define MP_IRQ_CONFORMS 0x0
#define MP_IRQ_LEVEL_ACTIVE_HIGH 0xd

/* Family 6 CPU; FPU and APIC present in the CPUID(1).EDX feature flags. */
#define MP_CPU_SIGNATURE 0x00000600
#define MP_CPU_FEATURES ((1u << 0) | (1u << 9))

static void append_interrupt(ByteArray *a, uint8_t entry, uint8_t type,
                             uint16_t flags, uint8_t src_bus,
                             uint8_t src_irq, uint8_t dst_id,
                             uint8_t dst_pin)
{
    build_append_byte(a, entry);
    build_append_byte(a, type);
    build_append_int_noprefix(a, flags, 2);
    build_append_byte(a, src_bus);
    build_append_byte(a, src_irq);
    build_append_byte(a, dst_id);
    build_append_byte(a, dst_pin);
}

bool mptable_build(const PcAcpiConfig *cfg, uint32_t addr, ByteArray *out,
                   Error **errp)
{
    size_t start = out->len, config, len;
    uint16_t level = pc_acpi_level_irq_mask(cfg);
    unsigned entries = 0;
    uint8_t *p;

    if (!pc_acpi_config_check(cfg, errp)) {
        return false;
    }
    if (addr % 16 || addr > 0x100000 - MPTABLE_FLOATING_SIZE) {
        error_setg(errp, "mptable: floating pointer address 0x%" PRIx32
                   " is not 16-byte aligned below 1 MiB", addr);
        return false;
    }

    /* MP Floating Pointer Structure */
    build_append_padded_str(out, "_MP_", 4, ' ');
    build_append_int_noprefix(out, addr + MPTABLE_FLOATING_SIZE, 4);
    build_append_byte(out, 1);                 /* length in 16-byte units */
    build_append_byte(out, MP_SPEC_REV_1_4);
    build_append_byte(out, 0);                 /* checksum */
    build_append_byte(out, 0);                 /* feature 1: table present */
    build_append_byte(out, 0);                 /* feature 2: virtual wire */
    build_append_int_noprefix(out, 0, 3);

    /* Configuration table header; counts and checksum filled in below. */
    config = out->len;
    build_append_padded_str(out, "PCMP", 4, ' ');
    build_append_int_noprefix(out, 0, 2);      /* base table length */
    build_append_byte(out, MP_SPEC_REV_1_4);
    build_append_byte(out, 0);                 /* checksum */
    build_append_padded_str(out, cfg->oem_id, 8, ' ');
    build_append_padded_str(out, "OSPREY PC", 12, ' ');
    build_append_int_noprefix(out, 0, 4);      /* OEM table pointer */
    build_append_int_noprefix(out, 0, 2);      /* OEM table size */
    build_append_int_noprefix(out, 0, 2);      /* entry count */
    build_append_int_noprefix(out, cfg->lapic_addr, 4);
    build_append_int_noprefix(out, 0, 2);      /* extended table length */
    build_append_byte(out, 0);                 /* extended table checksum */
    build_append_byte(out, 0);

    for (unsigned i = 0; i < cfg->cpu_count; i++) {
        build_append_byte(out, MP_ENTRY_PROCESSOR);
        build_append_byte(out, cfg->apic_ids[i]);
        build_append_byte(out, MP_LAPIC_VERSION);
        build_append_byte(out, MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0));
        build_append_int_noprefix(out, MP_CPU_SIGNATURE, 4);
        build_append_int_noprefix(out, MP_CPU_FEATURES, 4);
        build_append_int_noprefix(out, 0, 8);
        entries++;
    }

    build_append_byte(out, MP_ENTRY_BUS);
    build_append_byte(out, MPTABLE_PCI_BUS_ID);
    build_append_padded_str(out, "PCI", 6, ' ');
    build_append_byte(out, MP_ENTRY_BUS);
    build_append_byte(out, MPTABLE_ISA_BUS_ID);
    build_append_padded_str(out, "ISA", 6, ' ');
    entries += 2;

    build_append_byte(out, MP_ENTRY_IOAPIC);
    build_append_byte(out, cfg->ioapic_id);
    build_append_byte(out, MP_IOAPIC_VERSION);
    build_append_byte(out, 0x01);              /* enabled */
    build_append_int_noprefix(out, cfg->ioapic_addr, 4);
    entries++;

    /* PCI: source IRQ is (device << 2) | pin; slot 0 is the host bridge. */
    for (unsigned slot = 1; slot < 32; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            append_interrupt(out, MP_ENTRY_IO_INTERRUPT, MP_INT,
                             MP_IRQ_LEVEL_ACTIVE_HIGH, MPTABLE_PCI_BUS_ID,
                             (slot << 2) | pin, cfg->ioapic_id,
                             pc_acpi_pci_slot_gsi(cfg, slot, pin));
            entries++;
        }
    }

    /* ISA: IRQ 2 is the cascade, the PIT's IRQ 0 arrives on input 2. */
    for (unsigned irq = 0; irq < 16; irq++) {
        if (irq == 2) {
            continue;
        }
        append_interrupt(out, MP_ENTRY_IO_INTERRUPT, MP_INT,
                         (level & (1u << irq)) ? MP_IRQ_LEVEL_ACTIVE_HIGH :
                         MP_IRQ_CONFORMS, MPTABLE_ISA_BUS_ID, irq,
                         cfg->ioapic_id, irq == 0 ? 2 : irq);
        entries++;
    }

    /* The 8259 reaches the BSP's LINT0; NMI goes to every LINT1. */
    append_interrupt(out, MP_ENTRY_LOCAL_INTERRUPT, MP_EXTINT,
                     MP_IRQ_CONFORMS, MPTABLE_ISA_BUS_ID, 0,
                     cfg->apic_ids[0], 0);
    append_interrupt(out, MP_ENTRY_LOCAL_INTERRUPT, MP_NMI, MP_IRQ_CONFORMS,
                     MPTABLE_ISA_BUS_ID, 0, 0xff, 1);
    entries += 2;

    len = out->len - config;
    /* Keep the whole thing in the BIOS-owned first MiB the guest scans. */
    if (len > UINT16_MAX || addr + (out->len - start) > 0x100000) {
        error_setg(errp, "mptable: %zu bytes at 0x%" PRIx32 " do not fit "
                   "below 1 MiB", out->len - start, addr);
        byte_array_set_size(out, start);
        return false;
    }
    p = out->data + config;
    p[4] = len & 0xff;
    p[5] = len >> 8;
    p[34] = entries & 0xff;
    p[35] = entries >> 8;
    p[7] = -acpi_checksum(p, len);
    p = out->data + start;
    p[10] = -acpi_checksum(p, MPTABLE_FLOATING_SIZE);
    return true;
}
