/*
 * The `pc` machine: an i440FX/PIIX3 PC, as QEMU's -M pc.
 */
#ifndef HW_I386_PC_H
#define HW_I386_PC_H

#include "hw/boards.h"
#include "hw/irq.h"
#include "hw/isa/isa.h"
#include "hw/pci/pci.h"
#include "hw/i386/acpi-build.h"
#include "hw/i386/boot.h"
#include "util/notify.h"

#define TYPE_PC_MACHINE MACHINE_TYPE_NAME("pc")
OBJECT_DECLARE_SIMPLE_TYPE(PCMachineState, PC_MACHINE)

#define PC_GSI_COUNT 24            /* IOAPIC pins */
#define PC_ISA_IRQ_COUNT 16
#define PC_MAX_E820 16

struct PCMachineState {
    MachineState parent_obj;

    uint64_t below_4g_mem_size;
    uint64_t above_4g_mem_size;
    MemoryRegion ram_below_4g, ram_above_4g;
    MemoryRegion pci_memory;       /* PCI BARs, under RAM */
    MemoryRegion bios, isa_bios;   /* firmware ROM and its <1 MiB alias */
    MemoryRegion option_rom;       /* "pc.rom" at 0xC0000 */

    /* Interrupt routing: GSI n drives PIC input n (n < 16) and IOAPIC n. */
    qemu_irq gsi[PC_GSI_COUNT];
    qemu_irq *pic_irqs;
    struct PICCommonState *pic;
    DeviceState *ioapic;
    Notifier eoi_notifier;

    PCIBus *pci_bus;
    PCIDevice *i440fx;             /* 00:00.0: PAM and SMRAM registers */
    ISABus *isa_bus;
    struct MC146818RtcState *rtc;
    struct FWCfgState *fw_cfg;
    DeviceState *acpi_pm;

    E820Entry e820[PC_MAX_E820];
    unsigned nr_e820;
    PcAcpiConfig acpi_cfg;

    /* Direct kernel boot: the state CPU 0 starts in after every reset. */
    bool direct_boot;
    X86BootState boot_state;
};

#endif
