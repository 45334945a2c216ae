/*
 * The pc machine's host bridge, after QEMU's hw/pci-host/i440fx.c: a sysbus
 * "i440FX-pcihost" owning root bus "pci.0" and the 0xCF8/0xCFC ports, and
 * the "i440FX" PCI function 00:00.0 (8086:1237, class 0600).  The PAM and
 * SMRAM registers (0x59-0x5F, 0x72) are plain writable storage for now:
 * the shadow-RAM remapping they control is not modelled.
 */
#ifndef HW_PCI_HOST_I440FX_H
#define HW_PCI_HOST_I440FX_H

#include "hw/pci/pci_host.h"

#define TYPE_I440FX_PCI_HOST_BRIDGE "i440FX-pcihost"
#define TYPE_I440FX_PCI_DEVICE "i440FX"

#define I440FX_PAM 0x59
#define I440FX_PAM_SIZE 7
#define I440FX_SMRAM 0x72

/*
 * Create "/machine/i440fx" with its root bus: memory BARs go into
 * pci_memory (the caller maps it under RAM, at a lower priority, in
 * system memory), I/O BARs into system_io.  Returns the bus.
 */
PCIBus *i440fx_init(MemoryRegion *pci_memory, MemoryRegion *system_io,
                    PCIDevice **i440fx_dev);

#endif
