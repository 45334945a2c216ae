/*
 * PCI host bridge with type-1 configuration access, after QEMU's
 * hw/pci/pci_host.c: 0xCF8 holds CONFIG_ADDRESS (bit 31 enable, bus in
 * 23:16, device 15:11, function 10:8, register 7:2; written as a dword),
 * 0xCFC-0xCFF the data window (byte, word or dword).  With the enable bit
 * clear, or no device at the address, reads give all ones and writes are
 * dropped.  0xCF9 is not claimed by the 32-bit-only address register, so
 * a reset control register there must be mapped with higher priority.
 */
#ifndef HW_PCI_PCI_HOST_H
#define HW_PCI_PCI_HOST_H

#include "hw/sysbus.h"
#include "hw/pci/pci.h"

#define TYPE_PCI_HOST_BRIDGE "pci-host-bridge"
OBJECT_DECLARE_SIMPLE_TYPE(PCIHostState, PCI_HOST_BRIDGE)

struct PCIHostState {
    SysBusDevice busdev;

    MemoryRegion conf_mem;
    MemoryRegion data_mem;
    uint32_t config_reg;
    PCIBus *bus;
};

/* The config address/data ops, for boards that map them themselves. */
extern const MemoryRegionOps pci_host_conf_le_ops;
extern const MemoryRegionOps pci_host_data_le_ops;

/* CONFIG_ADDRESS-style access: addr = bus << 16 | devfn << 8 | reg. */
void pci_data_write(PCIBus *bus, uint32_t addr, uint32_t val, unsigned len);
uint32_t pci_data_read(PCIBus *bus, uint32_t addr, unsigned len);

#endif
