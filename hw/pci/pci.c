/*
 * PCI bus and device core (see include/hw/pci/pci.h), after QEMU's
 * hw/pci/pci.c.
 */
#include "util/osdep.h"
#include "hw/pci/pci.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "util/log.h"
#include <endian.h>

static bool ranges_overlap(uint32_t a, uint32_t alen, uint32_t b,
                           uint32_t blen)
{
    return a < b + blen && b < a + alen;
}

/* ---- bus ---------------------------------------------------------------- */

PCIBus *pci_get_bus(const PCIDevice *dev)
{
    return PCI_BUS(qdev_get_parent_bus(DEVICE(dev)));
}

PCIDevice *pci_find_device(PCIBus *bus, int bus_num, uint8_t devfn)
{
    /* One root bus, number 0; no bridges yet. */
    if (!bus || bus_num != 0) {
        return NULL;
    }
    return bus->devices[devfn];
}

static void pci_bus_finalize(Object *obj)
{
    free(PCI_BUS(obj)->irq_count);
}

/* Claim a devfn for dev before it is plugged in. */
static bool pci_bus_check_address(BusState *qbus, DeviceState *qdev,
                                  Error **errp)
{
    PCIBus *bus = PCI_BUS(qbus);
    PCIDevice *dev = PCI_DEVICE(qdev);
    int devfn = dev->devfn;

    if (devfn < 0) {
        for (devfn = bus->devfn_min; devfn < 256; devfn += 8) {
            if (!bus->devices[devfn]) {
                break;
            }
        }
        if (devfn >= 256) {
            error_setg(errp, "PCI: no slot available for %s",
                       object_get_typename(OBJECT(dev)));
            return false;
        }
    } else if (devfn > 255) {
        error_setg(errp, "PCI: addr %d is not a valid devfn", devfn);
        return false;
    } else if (bus->devices[devfn]) {
        error_setg(errp, "PCI: slot %d function %d not available for %s, "
                   "in use by %s", PCI_SLOT(devfn), PCI_FUNC(devfn),
                   object_get_typename(OBJECT(dev)),
                   object_get_typename(OBJECT(bus->devices[devfn])));
        return false;
    }
    dev->devfn = devfn;
    return true;
}

static void pci_bus_print_dev(StrBuf *out, DeviceState *qdev, int indent)
{
    PCIDevice *d = PCI_DEVICE(qdev);

    strbuf_printf(out, "%*saddr = %02x.%x\n", indent, "", PCI_SLOT(d->devfn),
                  PCI_FUNC(d->devfn));
    strbuf_printf(out, "%*spci id = %04x:%04x (class %04x)\n", indent, "",
                  pci_get_word(d->config + PCI_VENDOR_ID),
                  pci_get_word(d->config + PCI_DEVICE_ID),
                  pci_get_word(d->config + PCI_CLASS_DEVICE));
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &d->io_regions[i];
        if (r->size) {
            strbuf_printf(out, "%*sbar %d: %s at 0x%" PRIx64 " [0x%" PRIx64
                          "]\n", indent, "", i,
                          r->type & PCI_BASE_ADDRESS_SPACE_IO ? "i/o" : "mem",
                          r->addr, r->size);
        }
    }
}

static void pci_bus_class_init(ObjectClass *klass, const void *data)
{
    BusClass *bc = BUS_CLASS(klass);

    bc->check_address = pci_bus_check_address;
    bc->print_dev = pci_bus_print_dev;
    bc->max_dev = 256;
}

PCIBus *pci_root_bus_new(DeviceState *parent, const char *name,
                         MemoryRegion *address_space_mem,
                         MemoryRegion *address_space_io, uint8_t devfn_min)
{
    PCIBus *bus = PCI_BUS(qbus_new(TYPE_PCI_BUS, parent, name));

    bus->address_space_mem = address_space_mem;
    bus->address_space_io = address_space_io;
    bus->devfn_min = devfn_min;
    return bus;
}

void pci_bus_irqs(PCIBus *bus, pci_set_irq_fn set_irq, pci_map_irq_fn map_irq,
                  void *irq_opaque, int nirq)
{
    bus->set_irq = set_irq;
    bus->map_irq = map_irq;
    bus->irq_opaque = irq_opaque;
    bus->nirq = nirq;
    free(bus->irq_count);
    bus->irq_count = xnew_array(int, nirq);
}

int pci_bus_get_irq_level(PCIBus *bus, int irq_num)
{
    if (irq_num < 0 || irq_num >= bus->nirq) {
        return 0;
    }
    return bus->irq_count[irq_num] != 0;
}

int pci_swizzle_map_irq_fn(PCIDevice *dev, int pin)
{
    return (PCI_SLOT(dev->devfn) + pin - 1) & 3;
}

/* ---- INTx --------------------------------------------------------------- */

static int pci_intx(PCIDevice *dev)
{
    return pci_get_byte(dev->config + PCI_INTERRUPT_PIN) - 1;
}

static bool pci_irq_disabled(PCIDevice *dev)
{
    return pci_get_word(dev->config + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
}

static void pci_change_irq_level(PCIDevice *dev, int pin, int change)
{
    PCIBus *bus = pci_get_bus(dev);
    int irq_num;

    if (!bus->map_irq || !bus->set_irq) {
        return;
    }
    irq_num = bus->map_irq(dev, pin);
    if (irq_num < 0 || irq_num >= bus->nirq) {
        return;
    }
    bus->irq_count[irq_num] += change;
    bus->set_irq(bus->irq_opaque, irq_num, bus->irq_count[irq_num] != 0);
}

static void pci_update_irq_status(PCIDevice *dev)
{
    if (dev->irq_state) {
        dev->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    } else {
        dev->config[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
    }
}

void pci_set_irq(PCIDevice *dev, int level)
{
    int pin = pci_intx(dev);
    int old, change;

    if (pin < 0 || pin >= PCI_NUM_PINS) {
        return;
    }
    level = !!level;
    old = (dev->irq_state >> pin) & 1;
    change = level - old;
    if (!change) {
        return;
    }
    dev->irq_state ^= 1 << pin;
    pci_update_irq_status(dev);
    /* The status bit shows the state; INTX_DISABLE keeps it off the bus. */
    if (pci_irq_disabled(dev) || !dev->qdev.parent_bus) {
        return;
    }
    pci_change_irq_level(dev, pin, change);
}

/* INTX_DISABLE toggled: take asserted pins off the bus or put them back. */
static void pci_update_irq_disabled(PCIDevice *dev, bool was_disabled)
{
    bool disabled = pci_irq_disabled(dev);

    if (disabled == was_disabled) {
        return;
    }
    for (int pin = 0; pin < PCI_NUM_PINS; pin++) {
        if ((dev->irq_state >> pin) & 1) {
            pci_change_irq_level(dev, pin, disabled ? -1 : 1);
        }
    }
}

/* ---- BARs ------------------------------------------------------------- */

static uint32_t pci_bar_offset(int region_num)
{
    return PCI_BASE_ADDRESS_0 + region_num * 4;
}

void pci_register_bar(PCIDevice *dev, int region_num, uint8_t type,
                      MemoryRegion *memory)
{
    PCIIORegion *r;
    uint64_t size = memory_region_size(memory);
    uint64_t wmask;
    uint32_t addr;

    assert(region_num >= 0 && region_num < PCI_NUM_REGIONS);
    /* Power of two sizes, at least 16 bytes (memory) or 4 (I/O). */
    assert(size && !(size & (size - 1)));
    assert(!(type & PCI_BASE_ADDRESS_MEM_TYPE_64) ||
           region_num < PCI_NUM_REGIONS - 1);
    if (type & PCI_BASE_ADDRESS_SPACE_IO) {
        assert(size >= 4 && size <= 256);
    } else {
        assert(size >= 16);
    }

    r = &dev->io_regions[region_num];
    r->addr = PCI_BAR_UNMAPPED;
    r->size = size;
    r->type = type;
    r->memory = memory;
    r->address_space = type & PCI_BASE_ADDRESS_SPACE_IO ?
        pci_get_bus(dev)->address_space_io :
        pci_get_bus(dev)->address_space_mem;

    addr = pci_bar_offset(region_num);
    wmask = ~(size - 1);
    pci_set_long(dev->config + addr, type);
    if (!(type & PCI_BASE_ADDRESS_SPACE_IO) &&
        (type & PCI_BASE_ADDRESS_MEM_TYPE_64)) {
        pci_set_quad(dev->wmask + addr, wmask);
    } else {
        pci_set_long(dev->wmask + addr, wmask & 0xffffffff);
    }
}

pcibus_t pci_get_bar_addr(PCIDevice *dev, int region_num)
{
    return dev->io_regions[region_num].addr;
}

/* Where BAR r should be mapped now, or PCI_BAR_UNMAPPED. */
static pcibus_t pci_bar_address(PCIDevice *dev, int reg, uint8_t type,
                                pcibus_t size)
{
    uint16_t cmd = pci_get_word(dev->config + PCI_COMMAND);
    uint32_t bar = pci_bar_offset(reg);
    pcibus_t new_addr, last_addr;

    if (type & PCI_BASE_ADDRESS_SPACE_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        new_addr = pci_get_long(dev->config + bar) & ~(size - 1);
        last_addr = new_addr + size - 1;
        /* Port I/O ends at 64 KiB; address 0 means "not programmed". */
        if (new_addr == 0 || last_addr <= new_addr || last_addr > 0xffff) {
            return PCI_BAR_UNMAPPED;
        }
        return new_addr;
    }
    if (!(cmd & PCI_COMMAND_MEMORY)) {
        return PCI_BAR_UNMAPPED;
    }
    if (type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        new_addr = pci_get_quad(dev->config + bar);
    } else {
        new_addr = pci_get_long(dev->config + bar);
    }
    new_addr &= ~(size - 1);
    last_addr = new_addr + size - 1;
    if (new_addr == 0 || last_addr <= new_addr ||
        (!(type & PCI_BASE_ADDRESS_MEM_TYPE_64) && last_addr >= UINT32_MAX)) {
        return PCI_BAR_UNMAPPED;
    }
    return new_addr;
}

static void pci_update_mappings(PCIDevice *dev)
{
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];
        pcibus_t new_addr;

        if (!r->size) {
            continue;
        }
        new_addr = pci_bar_address(dev, i, r->type, r->size);
        if (new_addr == r->addr) {
            continue;
        }
        if (r->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(r->address_space, r->memory);
        }
        r->addr = new_addr;
        if (r->addr != PCI_BAR_UNMAPPED) {
            memory_region_add_subregion_overlap(r->address_space, r->addr,
                                                r->memory, 1);
        }
    }
}

static void pci_unmap_all(PCIDevice *dev)
{
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];

        if (r->size && r->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(r->address_space, r->memory);
            r->addr = PCI_BAR_UNMAPPED;
        }
    }
}

/* ---- config space ------------------------------------------------------- */

uint32_t pci_default_read_config(PCIDevice *dev, uint32_t address, int len)
{
    uint32_t val = 0;

    assert(address + len <= PCI_CONFIG_SPACE_SIZE);
    memcpy(&val, dev->config + address, len);
    return le32toh(val);
}

void pci_default_write_config(PCIDevice *dev, uint32_t address, uint32_t val,
                              int len)
{
    bool was_irq_disabled = pci_irq_disabled(dev);

    assert(address + len <= PCI_CONFIG_SPACE_SIZE);
    for (int i = 0; i < len; i++, val >>= 8) {
        uint32_t a = address + i;
        uint8_t wmask = dev->wmask[a];
        uint8_t w1cmask = dev->w1cmask[a];

        dev->config[a] = (dev->config[a] & ~wmask) | (val & wmask);
        dev->config[a] &= ~(val & w1cmask);
    }
    if (ranges_overlap(address, len, PCI_BASE_ADDRESS_0, 24) ||
        ranges_overlap(address, len, PCI_COMMAND, 2)) {
        pci_update_mappings(dev);
    }
    if (ranges_overlap(address, len, PCI_COMMAND, 2)) {
        pci_update_irq_disabled(dev, was_irq_disabled);
    }
    msi_write_config(dev, address, len);
    msix_write_config(dev, address, len);
}

void pci_host_config_write_common(PCIDevice *dev, uint32_t addr,
                                  uint32_t limit, uint32_t val, uint32_t len)
{
    if (addr + len > limit || addr + len > PCI_CONFIG_SPACE_SIZE) {
        return;
    }
    dev->config_write(dev, addr, val, len);
}

uint32_t pci_host_config_read_common(PCIDevice *dev, uint32_t addr,
                                     uint32_t limit, uint32_t len)
{
    if (addr + len > limit || addr + len > PCI_CONFIG_SPACE_SIZE) {
        return ~0U;
    }
    return dev->config_read(dev, addr, len);
}

/* ---- capabilities -------------------------------------------------------- */

uint8_t pci_find_capability(PCIDevice *dev, uint8_t cap_id)
{
    uint8_t next = dev->config[PCI_CAPABILITY_LIST];
    int guard = 0;

    if (!(dev->config[PCI_STATUS] & PCI_STATUS_CAP_LIST)) {
        return 0;
    }
    /* The list is built by us, but bound the walk anyway. */
    while (next && guard++ < 48) {
        if (dev->config[next] == cap_id) {
            return next;
        }
        next = dev->config[next + PCI_CAP_LIST_NEXT];
    }
    return 0;
}

static uint8_t pci_find_space(PCIDevice *dev, uint8_t size)
{
    int offset = PCI_CONFIG_HEADER_SIZE;

    for (int i = PCI_CONFIG_HEADER_SIZE; i < PCI_CONFIG_SPACE_SIZE; i++) {
        if (dev->used[i]) {
            offset = i + 1;
        } else if (i - offset + 1 == size) {
            return offset;
        }
    }
    return 0;
}

int pci_add_capability(PCIDevice *dev, uint8_t cap_id, uint8_t offset,
                       uint8_t size, Error **errp)
{
    uint8_t *config;

    if (!offset) {
        offset = pci_find_space(dev, size);
        if (!offset) {
            error_setg(errp, "PCI: no room for capability 0x%02x in %s",
                       cap_id, object_get_typename(OBJECT(dev)));
            return -ENOSPC;
        }
    } else {
        if (offset < PCI_CONFIG_HEADER_SIZE ||
            offset + size > PCI_CONFIG_SPACE_SIZE) {
            error_setg(errp, "PCI: capability 0x%02x at 0x%x is outside the "
                       "capability area", cap_id, offset);
            return -EINVAL;
        }
        for (int i = offset; i < offset + size; i++) {
            if (dev->used[i]) {
                error_setg(errp, "PCI: capability 0x%02x at 0x%x overlaps "
                           "another one", cap_id, offset);
                return -EINVAL;
            }
        }
    }
    config = dev->config + offset;
    config[PCI_CAP_LIST_NEXT] = dev->config[PCI_CAPABILITY_LIST];
    config[0] = cap_id;
    dev->config[PCI_CAPABILITY_LIST] = offset;
    dev->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    memset(dev->used + offset, 0xff, size);
    /* Capabilities are read-only unless their code says otherwise. */
    memset(dev->wmask + offset, 0, size);
    memset(dev->w1cmask + offset, 0, size);
    return offset;
}

/* ---- device ---------------------------------------------------------- */

static void pci_init_masks(PCIDevice *dev)
{
    memset(dev->wmask, 0, sizeof(dev->wmask));
    memset(dev->w1cmask, 0, sizeof(dev->w1cmask));
    memset(dev->used, 0, sizeof(dev->used));
    memset(dev->used, 0xff, PCI_CONFIG_HEADER_SIZE);
    dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
    dev->wmask[PCI_LATENCY_TIMER] = 0xff;
    pci_set_word(dev->wmask + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    pci_set_word(dev->w1cmask + PCI_STATUS,
                 PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
                 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR |
                 PCI_STATUS_DETECTED_PARITY);
    /* Everything past the header belongs to the device: writable. */
    memset(dev->wmask + PCI_CONFIG_HEADER_SIZE, 0xff,
           PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
}

static void pci_qdev_realize(DeviceState *qdev, Error **errp)
{
    PCIDevice *dev = PCI_DEVICE(qdev);
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(dev);
    PCIBus *bus = pci_get_bus(dev);
    Error *local_err = NULL;

    /* A function other than 0 needs function 0 to say multifunction. */
    memset(dev->config, 0, sizeof(dev->config));
    pci_init_masks(dev);
    pci_set_word(dev->config + PCI_VENDOR_ID, pc->vendor_id);
    pci_set_word(dev->config + PCI_DEVICE_ID, pc->device_id);
    dev->config[PCI_REVISION_ID] = pc->revision;
    pci_set_word(dev->config + PCI_CLASS_DEVICE, pc->class_id);
    /*
     * As QEMU: devices that name no subsystem carry QEMU's (1af4:1100),
     * which firmware uses to detect QEMU (SeaBIOS: "Running on QEMU").
     */
    if (pc->subsystem_vendor_id || pc->subsystem_id) {
        pci_set_word(dev->config + PCI_SUBSYSTEM_VENDOR_ID,
                     pc->subsystem_vendor_id);
        pci_set_word(dev->config + PCI_SUBSYSTEM_ID, pc->subsystem_id);
    } else {
        pci_set_word(dev->config + PCI_SUBSYSTEM_VENDOR_ID,
                     PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
        pci_set_word(dev->config + PCI_SUBSYSTEM_ID, PCI_SUBDEVICE_ID_QEMU);
    }
    if (dev->multifunction) {
        dev->config[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FUNCTION;
    }
    pci_set_word(dev->config + PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM);
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        dev->io_regions[i].addr = PCI_BAR_UNMAPPED;
        dev->io_regions[i].size = 0;
    }
    dev->config_read = pc->config_read ? pc->config_read :
        pci_default_read_config;
    dev->config_write = pc->config_write ? pc->config_write :
        pci_default_write_config;

    bus->devices[dev->devfn] = dev;
    if (pc->realize) {
        pc->realize(dev, &local_err);
        if (local_err) {
            bus->devices[dev->devfn] = NULL;
            error_propagate(errp, local_err);
            return;
        }
    }
}

static void pci_qdev_unrealize(DeviceState *qdev)
{
    PCIDevice *dev = PCI_DEVICE(qdev);
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(dev);
    PCIBus *bus = pci_get_bus(dev);

    /* Drop our share of the bus's INTx lines. */
    if (!pci_irq_disabled(dev)) {
        for (int pin = 0; pin < PCI_NUM_PINS; pin++) {
            if ((dev->irq_state >> pin) & 1) {
                pci_change_irq_level(dev, pin, -1);
            }
        }
    }
    dev->irq_state = 0;
    if (pc->exit) {
        pc->exit(dev);
    }
    pci_unmap_all(dev);
    bus->devices[dev->devfn] = NULL;
}

/*
 * Reset: COMMAND and the BARs' addresses go back to 0, which unmaps
 * everything; INTx lines drop in the hold phase.
 */
static void pci_reset_enter(Object *obj, ResetType type)
{
    PCIDevice *dev = PCI_DEVICE(obj);

    if (!dev->qdev.realized) {
        return;
    }
    pci_set_word(dev->config + PCI_COMMAND,
                 pci_get_word(dev->config + PCI_COMMAND) &
                 ~pci_get_word(dev->wmask + PCI_COMMAND));
    pci_set_word(dev->config + PCI_STATUS,
                 pci_get_word(dev->config + PCI_STATUS) &
                 ~pci_get_word(dev->w1cmask + PCI_STATUS));
    dev->config[PCI_CACHE_LINE_SIZE] = 0;
    dev->config[PCI_INTERRUPT_LINE] = 0;
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &dev->io_regions[i];
        uint32_t off = pci_bar_offset(i);

        if (!r->size) {
            continue;
        }
        if (!(r->type & PCI_BASE_ADDRESS_SPACE_IO) &&
            (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64)) {
            pci_set_quad(dev->config + off, r->type);
        } else {
            pci_set_long(dev->config + off, r->type);
        }
    }
    msi_reset(dev);
    msix_reset(dev);
}

static void pci_reset_hold(Object *obj, ResetType type)
{
    PCIDevice *dev = PCI_DEVICE(obj);

    if (!dev->qdev.realized) {
        return;
    }
    pci_update_mappings(dev);
    for (int pin = 0; pin < PCI_NUM_PINS; pin++) {
        if ((dev->irq_state >> pin) & 1) {
            pci_change_irq_level(dev, pin, -1);
        }
    }
    dev->irq_state = 0;
    pci_update_irq_status(dev);
}

/* ---- VMState ------------------------------------------------------------ */

/*
 * Config bytes that say what the device is (QEMU checks them through its
 * cmask): a stream for another device model is refused.
 */
static bool pci_config_identity_byte(uint32_t i)
{
    return i < PCI_COMMAND ||
           (i >= PCI_REVISION_ID && i < PCI_CACHE_LINE_SIZE) ||
           i == PCI_HEADER_TYPE ||
           (i >= PCI_SUBSYSTEM_VENDOR_ID && i < PCI_SUBSYSTEM_VENDOR_ID + 4) ||
           i == PCI_INTERRUPT_PIN;
}

static int get_pci_config_device(QEMUFile *f, void *pv, size_t size,
                                 const VMStateField *field)
{
    PCIDevice *dev = container_of(pv, PCIDevice, config);
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    bool was_disabled = pci_irq_disabled(dev);

    assert(size == sizeof(config));
    qemu_get_buffer(f, config, sizeof(config));
    if (qemu_file_get_error(f)) {
        return qemu_file_get_error(f);
    }
    for (uint32_t i = 0; i < sizeof(config); i++) {
        if (pci_config_identity_byte(i) && config[i] != dev->config[i]) {
            error_report("PCIDevice %02x.%x: config byte 0x%02x is 0x%02x "
                         "in the stream, the device has 0x%02x",
                         PCI_SLOT(dev->devfn), PCI_FUNC(dev->devfn), i,
                         config[i], dev->config[i]);
            return -EINVAL;
        }
    }
    memcpy(dev->config, config, sizeof(config));
    /* INTX_DISABLE may have changed under the pins asserted now. */
    pci_update_irq_disabled(dev, was_disabled);
    pci_update_mappings(dev);
    return 0;
}

static int put_pci_config_device(QEMUFile *f, void *pv, size_t size,
                                 const VMStateField *field)
{
    qemu_put_buffer(f, pv, size);
    return 0;
}

static const VMStateInfo vmstate_info_pci_config = {
    .name = "pci config",
    .get = get_pci_config_device,
    .put = put_pci_config_device,
};

/* INTx pins as QEMU sends them: PCI_NUM_PINS be32 levels, each 0 or 1. */
static int get_pci_irq_state(QEMUFile *f, void *pv, size_t size,
                             const VMStateField *field)
{
    PCIDevice *dev = container_of(pv, PCIDevice, irq_state);
    uint8_t state = 0;

    for (int pin = 0; pin < PCI_NUM_PINS; pin++) {
        uint32_t level = qemu_get_be32(f);
        if (level > 1) {
            return -EINVAL;
        }
        state |= level << pin;
    }
    if (qemu_file_get_error(f)) {
        return qemu_file_get_error(f);
    }
    /* Only the device's own INTx pin can have been asserted. */
    if (state && (pci_intx(dev) < 0 || pci_intx(dev) >= PCI_NUM_PINS ||
                  state != 1u << pci_intx(dev))) {
        return -EINVAL;
    }
    for (int pin = 0; pin < PCI_NUM_PINS; pin++) {
        int change = ((state >> pin) & 1) - ((dev->irq_state >> pin) & 1);

        if (change && !pci_irq_disabled(dev) && dev->qdev.parent_bus) {
            pci_change_irq_level(dev, pin, change);
        }
    }
    dev->irq_state = state;
    pci_update_irq_status(dev);
    return 0;
}

static int put_pci_irq_state(QEMUFile *f, void *pv, size_t size,
                             const VMStateField *field)
{
    uint8_t state = *(uint8_t *)pv;

    for (int pin = 0; pin < PCI_NUM_PINS; pin++) {
        qemu_put_be32(f, (state >> pin) & 1);
    }
    return 0;
}

static const VMStateInfo vmstate_info_pci_irq_state = {
    .name = "pci irq state",
    .get = get_pci_irq_state,
    .put = put_pci_irq_state,
};

/*
 * QEMU's hw/pci/pci.c "PCIDevice" (without its version_id word): config
 * space (identity bytes checked, BARs re-mapped on load) and INTx levels
 * (put back on the bus on load).
 */
const VMStateDescription vmstate_pci_device = {
    .name = "PCIDevice",
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        {
            .name = "config",
            .size = PCI_CONFIG_SPACE_SIZE,
            .info = &vmstate_info_pci_config,
            .flags = VMS_SINGLE,
            .offset = vmstate_offset_array(PCIDevice, config, uint8_t,
                                           PCI_CONFIG_SPACE_SIZE),
        },
        {
            .name = "irq_state",
            .version_id = 2,
            /* What is in the stream (QEMU's int32_t per pin), for dumps;
             * one element, so the engine never steps by it. */
            .size = PCI_NUM_PINS * sizeof(int32_t),
            .info = &vmstate_info_pci_irq_state,
            .flags = VMS_SINGLE,
            .offset = vmstate_offset_value(PCIDevice, irq_state, uint8_t),
        },
        VMSTATE_END_OF_LIST()
    },
};

static const Property pci_props[] = {
    DEFINE_PROP_INT32("addr", PCIDevice, devfn, -1),
    DEFINE_PROP_BOOL("multifunction", PCIDevice, multifunction, false),
    DEFINE_PROP_END_OF_LIST(),
};

static void pci_device_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = pci_qdev_realize;
    dc->unrealize = pci_qdev_unrealize;
    dc->bus_type = TYPE_PCI_BUS;
    dc->user_creatable = true;
    device_class_set_props(dc, pci_props);
    rc->phases.enter = pci_reset_enter;
    rc->phases.hold = pci_reset_hold;
}

PCIDevice *pci_new(int devfn, const char *name)
{
    DeviceState *dev = qdev_new(name);

    qdev_prop_set_int32(dev, "addr", devfn);
    return PCI_DEVICE(dev);
}

PCIDevice *pci_new_multifunction(int devfn, const char *name)
{
    PCIDevice *dev = pci_new(devfn, name);

    qdev_prop_set_bit(DEVICE(dev), "multifunction", true);
    return dev;
}

bool pci_realize_and_unref(PCIDevice *dev, PCIBus *bus, Error **errp)
{
    return qdev_realize_and_unref(DEVICE(dev), &bus->qbus, errp);
}

PCIDevice *pci_create_simple(PCIBus *bus, int devfn, const char *name)
{
    PCIDevice *dev = pci_new(devfn, name);

    pci_realize_and_unref(dev, bus, &error_fatal);
    return dev;
}

static const TypeInfo pci_types[] = {
    {
        .name = TYPE_PCI_BUS,
        .parent = TYPE_BUS,
        .instance_size = sizeof(PCIBus),
        .instance_finalize = pci_bus_finalize,
        .class_init = pci_bus_class_init,
    },
    {
        .name = TYPE_PCI_DEVICE,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(PCIDevice),
        .abstract = true,
        .class_size = sizeof(PCIDeviceClass),
        .class_init = pci_device_class_init,
    },
};

DEFINE_TYPES(pci_types)
