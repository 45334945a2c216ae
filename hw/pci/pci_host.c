/*
 * Type-1 PCI configuration access (see include/hw/pci/pci_host.h), after
 * QEMU's hw/pci/pci_host.c.
 */
#include "util/osdep.h"
#include "hw/pci/pci_host.h"
#include "util/log.h"

static PCIDevice *pci_dev_find_by_addr(PCIBus *bus, uint32_t addr)
{
    return pci_find_device(bus, (addr >> 16) & 0xff, (addr >> 8) & 0xff);
}

void pci_data_write(PCIBus *bus, uint32_t addr, uint32_t val, unsigned len)
{
    PCIDevice *dev = pci_dev_find_by_addr(bus, addr);

    if (!dev) {
        return;
    }
    pci_host_config_write_common(dev, addr & 0xff, PCI_CONFIG_SPACE_SIZE,
                                 val, len);
}

uint32_t pci_data_read(PCIBus *bus, uint32_t addr, unsigned len)
{
    PCIDevice *dev = pci_dev_find_by_addr(bus, addr);

    /* No device: master abort, all ones. */
    if (!dev) {
        return len == 4 ? ~0U : (1U << (len * 8)) - 1;
    }
    return pci_host_config_read_common(dev, addr & 0xff,
                                       PCI_CONFIG_SPACE_SIZE, len);
}

static uint64_t pci_host_config_read(void *opaque, hwaddr addr, unsigned len)
{
    PCIHostState *s = opaque;

    return (s->config_reg >> (addr * 8)) &
        (len == 4 ? ~0U : (1U << (len * 8)) - 1);
}

static void pci_host_config_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned len)
{
    PCIHostState *s = opaque;

    /* Only dword writes reach CONFIG_ADDRESS (0xCF9 is another device). */
    if (addr != 0 || len != 4) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "pci-host: %u-byte write to CONFIG_ADDRESS+%u ignored\n",
                      len, (unsigned)addr);
        return;
    }
    s->config_reg = val & ~3U;
}

static uint64_t pci_host_data_read(void *opaque, hwaddr addr, unsigned len)
{
    PCIHostState *s = opaque;

    if (!(s->config_reg & (1U << 31))) {
        return len == 4 ? ~0U : (1U << (len * 8)) - 1;
    }
    return pci_data_read(s->bus, s->config_reg | (addr & 3), len);
}

static void pci_host_data_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned len)
{
    PCIHostState *s = opaque;

    if (s->config_reg & (1U << 31)) {
        pci_data_write(s->bus, s->config_reg | (addr & 3), val, len);
    }
}

const MemoryRegionOps pci_host_conf_le_ops = {
    .read = pci_host_config_read,
    .write = pci_host_config_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

const MemoryRegionOps pci_host_data_le_ops = {
    .read = pci_host_data_read,
    .write = pci_host_data_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static void pci_host_reset_enter(Object *obj, ResetType type)
{
    PCI_HOST_BRIDGE(obj)->config_reg = 0;
}

static void pci_host_class_init(ObjectClass *klass, const void *data)
{
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    rc->phases.enter = pci_host_reset_enter;
}

static const TypeInfo pci_host_type_info = {
    .name = TYPE_PCI_HOST_BRIDGE,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(PCIHostState),
    .abstract = true,
    .class_init = pci_host_class_init,
};

static void pci_host_register_types(void)
{
    type_register_static(&pci_host_type_info);
}

type_init(pci_host_register_types)
