/*
 * The modern (VIRTIO 1.x) virtio-pci transport, after QEMU's
 * hw/virtio/virtio-pci.c, modern-only (no legacy I/O BAR):
 *
 *   PCI vendor 0x1af4, device 0x1040 + virtio device id, revision 1.
 *   BAR1: MSI-X table (offset 0) and PBA (offset 0x800), 4 KiB.
 *   BAR4: 64-bit prefetchable, 16 KiB: common config at 0x0000, ISR at
 *         0x1000, device config at 0x2000, notifications at 0x3000
 *         (notify_off_multiplier 4, queue n's notify_off is n).
 *   Vendor capabilities (cfg_type 1..4) point the driver at each part.
 *
 * Interrupts: MSI-X when the driver enabled it (per-queue and config
 * vectors), otherwise INTx pin A with the ISR register (reading it
 * clears it and lowers the line).
 *
 * A concrete device (virtio-blk-pci) embeds a VirtIOPCIProxy first and
 * calls virtio_pci_realize with its VirtIODevice from its realize.
 */
#ifndef HW_VIRTIO_VIRTIO_PCI_H
#define HW_VIRTIO_VIRTIO_PCI_H

#include "hw/pci/pci.h"
#include "hw/virtio/virtio.h"

#define TYPE_VIRTIO_PCI "virtio-pci"
OBJECT_DECLARE_SIMPLE_TYPE(VirtIOPCIProxy, VIRTIO_PCI)

#define PCI_DEVICE_ID_VIRTIO_10_BASE 0x1040

/* Capability cfg_type values and common config layout (VIRTIO 1.1 4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG  1
#define VIRTIO_PCI_CAP_NOTIFY_CFG  2
#define VIRTIO_PCI_CAP_ISR_CFG     3
#define VIRTIO_PCI_CAP_DEVICE_CFG  4

#define VIRTIO_PCI_COMMON_DFSELECT  0x00
#define VIRTIO_PCI_COMMON_DF        0x04
#define VIRTIO_PCI_COMMON_GFSELECT  0x08
#define VIRTIO_PCI_COMMON_GF        0x0c
#define VIRTIO_PCI_COMMON_MSIX      0x10
#define VIRTIO_PCI_COMMON_NUMQ      0x12
#define VIRTIO_PCI_COMMON_STATUS    0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT  0x16
#define VIRTIO_PCI_COMMON_Q_SIZE    0x18
#define VIRTIO_PCI_COMMON_Q_MSIX    0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE  0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF    0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO  0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI  0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO  0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI  0x34
#define VIRTIO_PCI_COMMON_SIZE      0x38

#define VIRTIO_PCI_MSIX_BAR         1
#define VIRTIO_PCI_MODERN_BAR       4
#define VIRTIO_PCI_COMMON_OFFSET    0x0000
#define VIRTIO_PCI_ISR_OFFSET       0x1000
#define VIRTIO_PCI_DEVICE_OFFSET    0x2000
#define VIRTIO_PCI_NOTIFY_OFFSET    0x3000
#define VIRTIO_PCI_REGION_SIZE      0x1000
#define VIRTIO_PCI_MODERN_BAR_SIZE  0x4000
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4
#define VIRTIO_PCI_MSIX_PBA_OFFSET  0x800

struct VirtIOPCIProxy {
    PCIDevice pci_dev;
    VirtIODevice *vdev;
    uint32_t nvectors;              /* "vectors": MSI-X vectors, 0: none */
    MemoryRegion modern_bar;
    MemoryRegion common;
    MemoryRegion isr;
    MemoryRegion device;
    MemoryRegion notify;
    MemoryRegion msix_bar;
    uint32_t dfselect;
    uint32_t gfselect;
    uint32_t guest_features[2];
};

/*
 * The transport registers (feature selects, the guest feature words) and
 * then the virtio device's own state (vmstate_virtio_device), vectors
 * checked against the MSI-X table.  A concrete device's description puts
 * VMSTATE_PCI_DEVICE and VMSTATE_MSIX of the proxy first, then this:
 * VMSTATE_STRUCT(parent_obj, T, 0, vmstate_virtio_pci, VirtIOPCIProxy).
 */
extern const VMStateDescription vmstate_virtio_pci;

/* Set up BARs, capabilities and MSI-X for vdev (from the device's realize). */
bool virtio_pci_realize(VirtIOPCIProxy *proxy, VirtIODevice *vdev,
                        Error **errp);
void virtio_pci_exit(VirtIOPCIProxy *proxy);

#endif
