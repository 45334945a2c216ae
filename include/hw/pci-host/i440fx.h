/*
 * The pc machine's host bridge, after QEMU's hw/pci-host/i440fx.c: a sysbus
 * "i440FX-pcihost" owning root bus "pci.0" and the 0xCF8/0xCFC ports, and
 * the "i440FX" PCI function 00:00.0 (8086:1237, class 0600).  Its PAM
 * registers (0x59-0x5F) map 0xC0000-0xFFFFF to RAM or to the PCI side
 * (see hw/pci-host/pam.h); the SMRAM register (0x72) is storage, plus
 * D_OPEN showing RAM instead of PCI at 0xA0000-0xBFFFF (there is no SMM).
 */
#ifndef HW_PCI_HOST_I440FX_H
#define HW_PCI_HOST_I440FX_H

#include "hw/pci/pci_host.h"
#include "hw/pci-host/pam.h"

#define TYPE_I440FX_PCI_HOST_BRIDGE "i440FX-pcihost"
#define TYPE_I440FX_PCI_DEVICE "i440FX"

#define I440FX_PAM 0x59
#define I440FX_PAM_SIZE 7
#define I440FX_SMRAM 0x72

typedef struct PCII440FXState {
    PCIDevice parent_obj;

    /* Set by i440fx_init before realize; ram_memory NULL: no PAM. */
    MemoryRegion *system_memory;
    MemoryRegion *ram_memory;
    MemoryRegion *pci_address_space;

    AddressSpace pci_as;            /* the PCI side, for write-only PAM */
    PAMMemoryRegion pam_regions[PAM_REGIONS_COUNT];
    MemoryRegion smram_region;      /* 0xA0000-0xBFFFF to PCI when closed */
    MemoryRegion master_abort;      /* PCI side 0xA0000-0xFFFFF: all ones */
} PCII440FXState;

#define PCII440FX(obj) OBJECT_CHECK(PCII440FXState, (obj), \
                                    TYPE_I440FX_PCI_DEVICE)

/*
 * Create "/machine/i440fx" with its root bus: memory BARs go into
 * pci_memory (the caller maps it under RAM, at a lower priority, in
 * system memory), I/O BARs into system_io.  With ram_memory (the
 * machine's RAM, at least 1 MiB, mapped from address 0) the PAM and
 * SMRAM windows are overlaid on system_memory; NULL leaves them out.
 * Returns the bus; *i440fx_dev (if not NULL) gets the 00:00.0 function.
 */
PCIBus *i440fx_init(MemoryRegion *system_memory, MemoryRegion *ram_memory,
                    MemoryRegion *pci_memory, MemoryRegion *system_io,
                    PCIDevice **i440fx_dev);

#endif
