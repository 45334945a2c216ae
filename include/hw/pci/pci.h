/*
 * PCI buses and devices, after QEMU's include/hw/pci/pci.h.
 *
 * A PCIDevice has a 256-byte configuration space (config) with a mask of
 * guest-writable bits (wmask) and of write-1-to-clear bits (w1cmask);
 * pci_default_write_config applies them and then reacts: BAR or COMMAND
 * changes remap the BARs (a BAR is mapped in the bus's memory or I/O
 * space when its COMMAND enable bit is set and it holds a usable address;
 * otherwise it is unmapped), INTX_DISABLE changes re-evaluate the INTx
 * line, and MSI/MSI-X capability writes go to hw/pci/msi.c and msix.c.
 *
 * INTx: pci_set_irq(dev, level) drives the pin in INTERRUPT_PIN; the bus's
 * map_irq turns (device, pin) into one of its nirq lines (the PIIX swizzle
 * on the i440FX root bus) and set_irq gets each line's wired-OR level.
 *
 * Devices are realized through pci_realize_and_unref / qdev_realize on a
 * PCIBus; the "addr" property is the devfn (slot << 3 | function), -1
 * picks the first free slot.  Runs under the big lock.
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include "hw/qdev-core.h"
#include "hw/irq.h"
#include "memory/memory.h"

/* Configuration space registers (PCI 3.0 type 0 header). */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define  PCI_COMMAND_IO         0x0001
#define  PCI_COMMAND_MEMORY     0x0002
#define  PCI_COMMAND_MASTER     0x0004
#define  PCI_COMMAND_SERR       0x0100
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS              0x06
#define  PCI_STATUS_INTERRUPT   0x0008
#define  PCI_STATUS_CAP_LIST    0x0010
#define  PCI_STATUS_DEVSEL_MEDIUM 0x0200
#define  PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define  PCI_STATUS_REC_TARGET_ABORT 0x1000
#define  PCI_STATUS_REC_MASTER_ABORT 0x2000
#define  PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define  PCI_STATUS_DETECTED_PARITY 0x8000
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0a
#define PCI_CACHE_LINE_SIZE     0x0c
#define PCI_LATENCY_TIMER       0x0d
#define PCI_HEADER_TYPE         0x0e
#define  PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BASE_ADDRESS_0      0x10
#define  PCI_BASE_ADDRESS_SPACE_IO 0x01
#define  PCI_BASE_ADDRESS_SPACE_MEMORY 0x00
#define  PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID        0x2e

/* The subsystem IDs of devices that name none, as QEMU's. */
#define PCI_SUBVENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_SUBDEVICE_ID_QEMU            0x1100
#define PCI_ROM_ADDRESS         0x30
#define PCI_CAPABILITY_LIST     0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d
#define PCI_MIN_GNT             0x3e
#define PCI_MAX_LAT             0x3f
#define PCI_CONFIG_HEADER_SIZE  0x40

#define PCI_CAP_ID_MSI          0x05
#define PCI_CAP_ID_VNDR         0x09
#define PCI_CAP_ID_MSIX         0x11
#define PCI_CAP_LIST_NEXT       1
#define PCI_CAP_FLAGS           2

#define PCI_CONFIG_SPACE_SIZE   0x100
#define PCI_NUM_REGIONS         6
#define PCI_NUM_PINS            4
#define PCI_BAR_UNMAPPED        (~(pcibus_t)0)

#define PCI_VENDOR_ID_INTEL     0x8086
#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_DEVICE_ID_INTEL_82441 0x1237
#define PCI_DEVICE_ID_INTEL_82371SB_0 0x7000
#define PCI_CLASS_BRIDGE_HOST   0x0600
#define PCI_CLASS_BRIDGE_ISA    0x0601
#define PCI_CLASS_OTHERS        0xff00

#define PCI_DEVFN(slot, func)   ((((slot) & 0x1f) << 3) | ((func) & 0x07))
#define PCI_SLOT(devfn)         (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)         ((devfn) & 0x07)

typedef uint64_t pcibus_t;

#define TYPE_PCI_BUS "PCI"
OBJECT_DECLARE_SIMPLE_TYPE(PCIBus, PCI_BUS)
#define TYPE_PCI_DEVICE "pci-device"
OBJECT_DECLARE_TYPE(PCIDevice, PCIDeviceClass, PCI_DEVICE)

typedef void (*pci_set_irq_fn)(void *opaque, int irq_num, int level);
typedef int (*pci_map_irq_fn)(PCIDevice *pci_dev, int pin);
typedef uint32_t PCIConfigReadFunc(PCIDevice *dev, uint32_t address,
                                   int len);
typedef void PCIConfigWriteFunc(PCIDevice *dev, uint32_t address,
                                uint32_t data, int len);

typedef struct PCIIORegion {
    pcibus_t addr;              /* where mapped, or PCI_BAR_UNMAPPED */
    pcibus_t size;              /* 0: no BAR */
    uint8_t type;               /* PCI_BASE_ADDRESS_* flags */
    MemoryRegion *memory;
    MemoryRegion *address_space;
} PCIIORegion;

struct PCIDeviceClass {
    DeviceClass parent_class;

    void (*realize)(PCIDevice *dev, Error **errp);
    void (*exit)(PCIDevice *dev);
    PCIConfigReadFunc *config_read;
    PCIConfigWriteFunc *config_write;

    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint16_t class_id;
    uint16_t subsystem_vendor_id;
    uint16_t subsystem_id;
};

struct PCIDevice {
    DeviceState qdev;

    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];   /* guest-writable bits */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE]; /* write 1 to clear */
    uint8_t used[PCI_CONFIG_SPACE_SIZE];    /* taken by capabilities */

    int32_t devfn;                          /* "addr" */
    bool multifunction;                     /* "multifunction" */
    PCIIORegion io_regions[PCI_NUM_REGIONS];
    uint8_t irq_state;                      /* asserted pins, bit per pin */

    PCIConfigReadFunc *config_read;
    PCIConfigWriteFunc *config_write;

    /* MSI (hw/pci/msi.c). */
    uint8_t msi_cap;                        /* offset, 0: none */
    /* MSI-X (hw/pci/msix.c). */
    uint8_t msix_cap;
    uint16_t msix_entries_nr;
    uint8_t *msix_table;
    uint8_t *msix_pba;
    MemoryRegion msix_table_mmio;
    MemoryRegion msix_pba_mmio;
    bool msix_function_masked;
};

struct PCIBus {
    BusState qbus;

    PCIDevice *devices[256];
    MemoryRegion *address_space_mem;
    MemoryRegion *address_space_io;
    uint8_t devfn_min;
    pci_set_irq_fn set_irq;
    pci_map_irq_fn map_irq;
    void *irq_opaque;
    int nirq;
    int *irq_count;
};

/* Little-endian config space accessors. */
static inline void pci_set_byte(uint8_t *p, uint8_t v) { p[0] = v; }
static inline uint8_t pci_get_byte(const uint8_t *p) { return p[0]; }
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline uint16_t pci_get_word(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    pci_set_word(p, v);
    pci_set_word(p + 2, v >> 16);
}
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return pci_get_word(p) | (uint32_t)pci_get_word(p + 2) << 16;
}
static inline void pci_set_quad(uint8_t *p, uint64_t v)
{
    pci_set_long(p, v);
    pci_set_long(p + 4, v >> 32);
}
static inline uint64_t pci_get_quad(const uint8_t *p)
{
    return pci_get_long(p) | (uint64_t)pci_get_long(p + 4) << 32;
}

PCIBus *pci_root_bus_new(DeviceState *parent, const char *name,
                         MemoryRegion *address_space_mem,
                         MemoryRegion *address_space_io, uint8_t devfn_min);
void pci_bus_irqs(PCIBus *bus, pci_set_irq_fn set_irq, pci_map_irq_fn map_irq,
                  void *irq_opaque, int nirq);
PCIBus *pci_get_bus(const PCIDevice *dev);
PCIDevice *pci_find_device(PCIBus *bus, int bus_num, uint8_t devfn);
/* Level of one of the bus's interrupt lines (after map_irq). */
int pci_bus_get_irq_level(PCIBus *bus, int irq_num);

PCIDevice *pci_new(int devfn, const char *name);
PCIDevice *pci_new_multifunction(int devfn, const char *name);
bool pci_realize_and_unref(PCIDevice *dev, PCIBus *bus, Error **errp);
PCIDevice *pci_create_simple(PCIBus *bus, int devfn, const char *name);

void pci_register_bar(PCIDevice *dev, int region_num, uint8_t type,
                      MemoryRegion *memory);
/* Where BAR region_num is mapped, PCI_BAR_UNMAPPED if it is not. */
pcibus_t pci_get_bar_addr(PCIDevice *dev, int region_num);

uint32_t pci_default_read_config(PCIDevice *dev, uint32_t address, int len);
void pci_default_write_config(PCIDevice *dev, uint32_t address, uint32_t val,
                              int len);
/* Config access as the host bridge does it (bounds checked). */
void pci_host_config_write_common(PCIDevice *dev, uint32_t addr,
                                  uint32_t limit, uint32_t val, uint32_t len);
uint32_t pci_host_config_read_common(PCIDevice *dev, uint32_t addr,
                                     uint32_t limit, uint32_t len);

/* Add capability cap_id of size bytes at offset (0: first free space). */
int pci_add_capability(PCIDevice *dev, uint8_t cap_id, uint8_t offset,
                       uint8_t size, Error **errp);
uint8_t pci_find_capability(PCIDevice *dev, uint8_t cap_id);

/* INTx. */
void pci_set_irq(PCIDevice *dev, int level);
static inline void pci_irq_assert(PCIDevice *dev) { pci_set_irq(dev, 1); }
static inline void pci_irq_deassert(PCIDevice *dev) { pci_set_irq(dev, 0); }
static inline void pci_irq_pulse(PCIDevice *dev)
{
    pci_set_irq(dev, 1);
    pci_set_irq(dev, 0);
}
/*
 * Config space and INTx state ("PCIDevice"), for PCI devices to embed
 * first in their own description: VMSTATE_PCI_DEVICE(parent_obj, T).
 */
struct VMStateDescription;
extern const struct VMStateDescription vmstate_pci_device;
#define VMSTATE_PCI_DEVICE(_field, _state)                             \
    VMSTATE_STRUCT(_field, _state, 0, vmstate_pci_device, PCIDevice)

/* The PIIX swizzle: (slot + pin) & 3, for devices on a root bus. */
int pci_swizzle_map_irq_fn(PCIDevice *dev, int pin);

#endif
