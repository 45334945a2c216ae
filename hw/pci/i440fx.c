/*
 * i440FX host bridge (see include/hw/pci-host/i440fx.h), after QEMU's
 * hw/pci-host/i440fx.c.  Lives in hw/pci until hw/pci-host is a SUBDIR.
 */
#include "util/osdep.h"
#include "hw/pci-host/i440fx.h"
#include "hw/qdev-properties.h"

typedef struct I440FXHostState {
    PCIHostState parent_obj;
    MemoryRegion *pci_memory;
    MemoryRegion *system_io;
} I440FXHostState;

#define I440FX_PCI_HOST_BRIDGE(obj) \
    OBJECT_CHECK(I440FXHostState, (obj), TYPE_I440FX_PCI_HOST_BRIDGE)

static void i440fx_host_realize(DeviceState *dev, Error **errp)
{
    I440FXHostState *s = I440FX_PCI_HOST_BRIDGE(dev);
    PCIHostState *phb = PCI_HOST_BRIDGE(dev);

    if (!s->pci_memory || !s->system_io) {
        error_setg(errp, "i440FX-pcihost: no PCI memory or I/O space given");
        return;
    }
    memory_region_init_io(&phb->conf_mem, OBJECT(dev), &pci_host_conf_le_ops,
                          phb, "pci-conf-idx", 4);
    memory_region_init_io(&phb->data_mem, OBJECT(dev), &pci_host_data_le_ops,
                          phb, "pci-conf-data", 4);
    memory_region_add_subregion(s->system_io, 0xcf8, &phb->conf_mem);
    memory_region_add_subregion(s->system_io, 0xcfc, &phb->data_mem);
    phb->bus = pci_root_bus_new(dev, "pci.0", s->pci_memory, s->system_io, 0);
}

static void i440fx_host_unrealize(DeviceState *dev)
{
    I440FXHostState *s = I440FX_PCI_HOST_BRIDGE(dev);
    PCIHostState *phb = PCI_HOST_BRIDGE(dev);

    memory_region_del_subregion(s->system_io, &phb->conf_mem);
    memory_region_del_subregion(s->system_io, &phb->data_mem);
    memory_region_finalize(&phb->conf_mem);
    memory_region_finalize(&phb->data_mem);
}

static void i440fx_host_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->realize = i440fx_host_realize;
    dc->unrealize = i440fx_host_unrealize;
    dc->desc = "i440FX PCI host bridge";
    dc->fw_name = "pci";
    dc->user_creatable = false;
}

static void i440fx_realize(PCIDevice *dev, Error **errp)
{
    /* PAM0-6 and SMRAM: storage the firmware may program. */
    memset(dev->wmask + I440FX_PAM, 0xff, I440FX_PAM_SIZE);
    dev->wmask[I440FX_SMRAM] = 0xff;
}

static ResettablePhases i440fx_parent_phases;

static void i440fx_reset_hold(Object *obj, ResetType type)
{
    PCIDevice *dev = PCI_DEVICE(obj);

    if (i440fx_parent_phases.hold) {
        i440fx_parent_phases.hold(obj, type);
    }
    memset(dev->config + I440FX_PAM, 0, I440FX_PAM_SIZE);
    dev->config[I440FX_SMRAM] = 0x02;
}

static void i440fx_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = i440fx_realize;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = PCI_DEVICE_ID_INTEL_82441;
    k->revision = 0x02;
    k->class_id = PCI_CLASS_BRIDGE_HOST;
    dc->desc = "Host bridge";
    /* Part of the chipset: cannot be added with -device. */
    dc->user_creatable = false;
    resettable_class_set_parent_phases(rc, NULL, i440fx_reset_hold, NULL,
                                       &i440fx_parent_phases);
}

static const TypeInfo i440fx_types[] = {
    {
        .name = TYPE_I440FX_PCI_HOST_BRIDGE,
        .parent = TYPE_PCI_HOST_BRIDGE,
        .instance_size = sizeof(I440FXHostState),
        .class_init = i440fx_host_class_init,
    },
    {
        .name = TYPE_I440FX_PCI_DEVICE,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(PCIDevice),
        .class_size = sizeof(PCIDeviceClass),
        .class_init = i440fx_class_init,
    },
};

DEFINE_TYPES(i440fx_types)

PCIBus *i440fx_init(MemoryRegion *pci_memory, MemoryRegion *system_io,
                    PCIDevice **i440fx_dev)
{
    DeviceState *dev = qdev_new(TYPE_I440FX_PCI_HOST_BRIDGE);
    I440FXHostState *s = I440FX_PCI_HOST_BRIDGE(dev);
    PCIBus *bus;
    PCIDevice *d;

    s->pci_memory = pci_memory;
    s->system_io = system_io;
    object_property_add_child(qdev_get_machine(), "i440fx", OBJECT(dev));
    sysbus_realize_and_unref(SYS_BUS_DEVICE(dev), &error_fatal);
    bus = PCI_HOST_BRIDGE(dev)->bus;
    d = pci_create_simple(bus, PCI_DEVFN(0, 0), TYPE_I440FX_PCI_DEVICE);
    if (i440fx_dev) {
        *i440fx_dev = d;
    }
    return bus;
}
