/*
 * MSI capability, after QEMU's hw/pci/msi.c.  msi_notify writes the
 * message (address, data | vector) to address_space_memory, where the
 * APIC's MSI region receives it, unless bus mastering is off or the vector
 * is masked (then it is left pending until unmasked).
 */
#ifndef HW_PCI_MSI_H
#define HW_PCI_MSI_H

#include "hw/pci/pci.h"

#define PCI_MSI_FLAGS           2
#define  PCI_MSI_FLAGS_ENABLE   0x0001
#define  PCI_MSI_FLAGS_QMASK    0x000e
#define  PCI_MSI_FLAGS_QSIZE    0x0070
#define  PCI_MSI_FLAGS_64BIT    0x0080
#define  PCI_MSI_FLAGS_MASKBIT  0x0100
#define PCI_MSI_ADDRESS_LO      4
#define PCI_MSI_ADDRESS_HI      8

/* nr_vectors: 1, 2, 4, ... 32.  Returns the capability offset or < 0. */
int msi_init(PCIDevice *dev, uint8_t offset, unsigned nr_vectors,
             bool msi64bit, bool per_vector_mask, Error **errp);
bool msi_enabled(const PCIDevice *dev);
void msi_notify(PCIDevice *dev, unsigned vector);
/* The message the device would send for vector now. */
void msi_get_message(PCIDevice *dev, unsigned vector, uint64_t *addr,
                     uint32_t *data);
/* Internal to hw/pci. */
void msi_write_config(PCIDevice *dev, uint32_t addr, int len);
void msi_reset(PCIDevice *dev);
/* Send one message on behalf of dev (checks bus mastering). */
void pci_send_msi_message(PCIDevice *dev, uint64_t addr, uint32_t data);

#endif
