/*
 * MSI-X capability, after QEMU's hw/pci/msix.c.  The vector table (16
 * bytes per entry: address low/high, data, vector control) and the
 * pending bit array live in BARs the device registers; an entry is masked
 * by its vector control bit 0 or by the function mask, and a masked
 * vector's notification sets its pending bit and is sent when unmasked.
 */
#ifndef HW_PCI_MSIX_H
#define HW_PCI_MSIX_H

#include "hw/pci/pci.h"

#define PCI_MSIX_FLAGS          2
#define  PCI_MSIX_FLAGS_QSIZE   0x07ff
#define  PCI_MSIX_FLAGS_MASKALL 0x4000
#define  PCI_MSIX_FLAGS_ENABLE  0x8000
#define PCI_MSIX_TABLE          4
#define PCI_MSIX_PBA            8
#define PCI_MSIX_CAP_SIZE       12
#define PCI_MSIX_ENTRY_SIZE     16
#define PCI_MSIX_ENTRY_LOWER_ADDR 0
#define PCI_MSIX_ENTRY_UPPER_ADDR 4
#define PCI_MSIX_ENTRY_DATA     8
#define PCI_MSIX_ENTRY_VECTOR_CTRL 12
#define  PCI_MSIX_ENTRY_CTRL_MASKBIT 1

/*
 * Put the table at table_offset of table_bar (BAR table_bar_nr) and the
 * PBA at pba_offset of pba_bar; the caller registers the BARs.
 */
int msix_init(PCIDevice *dev, unsigned short nentries,
              MemoryRegion *table_bar, uint8_t table_bar_nr,
              unsigned table_offset, MemoryRegion *pba_bar,
              uint8_t pba_bar_nr, unsigned pba_offset, uint8_t cap_pos,
              Error **errp);
void msix_uninit(PCIDevice *dev, MemoryRegion *table_bar,
                 MemoryRegion *pba_bar);
bool msix_enabled(const PCIDevice *dev);
bool msix_is_masked(PCIDevice *dev, unsigned vector);
bool msix_is_pending(PCIDevice *dev, unsigned vector);
void msix_notify(PCIDevice *dev, unsigned vector);
/*
 * Table and PBA in the stream (QEMU's msix_save/msix_load: the table's
 * bytes, then the PBA's; nothing when the device has no MSI-X).  Load
 * after config space: it follows the loaded control word and delivers
 * vectors pending and no longer masked.  A device embeds it as
 * VMSTATE_MSIX(parent_obj, T) after VMSTATE_PCI_DEVICE(parent_obj, T).
 */
struct QEMUFile;
void msix_save(PCIDevice *dev, struct QEMUFile *f);
void msix_load(PCIDevice *dev, struct QEMUFile *f);
extern const struct VMStateDescription vmstate_msix;
#define VMSTATE_MSIX(_field, _state) {                                 \
    .name = #_field,                                                   \
    .size = sizeof(PCIDevice),                                         \
    .vmsd = &vmstate_msix,                                             \
    .flags = VMS_STRUCT,                                               \
    .offset = vmstate_offset_value(_state, _field, PCIDevice),         \
}

/* Internal to hw/pci. */
void msix_write_config(PCIDevice *dev, uint32_t addr, int len);
void msix_reset(PCIDevice *dev);

#endif
