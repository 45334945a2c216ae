/*
 * The ISA bus (see include/hw/isa/isa.h).
 */
#include "util/osdep.h"
#include "hw/isa/isa.h"
#include "hw/qdev-properties.h"

/* A bus line: forward to what the board wired, if anything yet. */
static void isa_bus_irq_forward(void *opaque, int n, int level)
{
    ISABus *bus = opaque;

    qemu_set_irq(bus->irq_out[n], level);
}

static void isa_bus_init(Object *obj)
{
    ISABus *bus = ISA_BUS(obj);

    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        bus->irq_in[i] = qemu_allocate_irq(isa_bus_irq_forward, bus, i);
    }
}

static void isa_bus_finalize(Object *obj)
{
    ISABus *bus = ISA_BUS(obj);

    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        qemu_free_irq(bus->irq_in[i]);
    }
}

static void isa_bus_print_dev(StrBuf *out, DeviceState *dev, int indent)
{
    ISADevice *d = ISA_DEVICE(dev);

    if (d->isairq[1] != -1) {
        strbuf_printf(out, "%*sisa irqs %d,%d\n", indent, "",
                      d->isairq[0], d->isairq[1]);
    } else if (d->isairq[0] != -1) {
        strbuf_printf(out, "%*sisa irq %d\n", indent, "", d->isairq[0]);
    }
}

static void isa_bus_class_init(ObjectClass *oc, const void *data)
{
    BusClass *bc = BUS_CLASS(oc);

    bc->print_dev = isa_bus_print_dev;
}

ISABus *isa_bus_new(DeviceState *dev, MemoryRegion *address_space,
                    MemoryRegion *address_space_io, Error **errp)
{
    ISABus *bus;

    if (!address_space || !address_space_io) {
        error_setg(errp, "isa_bus_new: ISA bus needs memory and I/O "
                   "address spaces");
        return NULL;
    }
    bus = ISA_BUS(qbus_new(TYPE_ISA_BUS, dev, NULL));
    bus->address_space = address_space;
    bus->address_space_io = address_space_io;
    return bus;
}

void isa_bus_irqs(ISABus *bus, const qemu_irq *irqs)
{
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        bus->irq_out[i] = irqs ? irqs[i] : NULL;
    }
}

qemu_irq isa_bus_get_irq(ISABus *bus, unsigned isairq)
{
    assert(isairq < ISA_NUM_IRQS);
    return bus->irq_in[isairq];
}

ISABus *isa_bus_from_device(ISADevice *dev)
{
    BusState *bus = qdev_get_parent_bus(DEVICE(dev));

    assert(bus);
    return ISA_BUS(bus);
}

MemoryRegion *isa_address_space(ISADevice *dev)
{
    return isa_bus_from_device(dev)->address_space;
}

MemoryRegion *isa_address_space_io(ISADevice *dev)
{
    return isa_bus_from_device(dev)->address_space_io;
}

qemu_irq isa_get_irq(ISADevice *dev, unsigned isairq)
{
    return isa_bus_get_irq(isa_bus_from_device(dev), isairq);
}

void isa_init_irq(ISADevice *dev, qemu_irq *p, unsigned isairq)
{
    *p = isa_get_irq(dev, isairq);
    if (dev->nirqs < 2) {
        dev->isairq[dev->nirqs++] = isairq;
    }
}

void isa_register_ioport(ISADevice *dev, MemoryRegion *io, uint16_t start)
{
    assert(dev->num_io_regions < ISA_MAX_IO_REGIONS);
    memory_region_add_subregion(isa_address_space_io(dev), start, io);
    dev->io_regions[dev->num_io_regions++] = io;
    if (dev->ioport_id < 0 || start < dev->ioport_id) {
        dev->ioport_id = start;
    }
}

ISADevice *isa_new(const char *name)
{
    return ISA_DEVICE(qdev_new(name));
}

bool isa_realize_and_unref(ISADevice *dev, ISABus *bus, Error **errp)
{
    return qdev_realize_and_unref(DEVICE(dev), BUS(bus), errp);
}

ISADevice *isa_create_simple(ISABus *bus, const char *name)
{
    ISADevice *dev = isa_new(name);

    isa_realize_and_unref(dev, bus, &error_abort);
    return dev;
}

static void isa_device_init(Object *obj)
{
    ISADevice *dev = ISA_DEVICE(obj);

    dev->isairq[0] = -1;
    dev->isairq[1] = -1;
    dev->ioport_id = -1;
}

/* The device leaves the port space with its unrealize. */
static void isa_device_unrealize(DeviceState *d)
{
    ISADevice *dev = ISA_DEVICE(d);

    while (dev->num_io_regions) {
        MemoryRegion *io = dev->io_regions[--dev->num_io_regions];
        memory_region_del_subregion(isa_address_space_io(dev), io);
    }
}

static void isa_device_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->bus_type = TYPE_ISA_BUS;
    dc->unrealize = isa_device_unrealize;
}

static const TypeInfo isa_types[] = {
    {
        .name = TYPE_ISA_BUS,
        .parent = TYPE_BUS,
        .instance_size = sizeof(ISABus),
        .instance_init = isa_bus_init,
        .instance_finalize = isa_bus_finalize,
        .class_init = isa_bus_class_init,
    }, {
        .name = TYPE_ISA_DEVICE,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(ISADevice),
        .instance_init = isa_device_init,
        .abstract = true,
        .class_size = sizeof(ISADeviceClass),
        .class_init = isa_device_class_init,
    },
};

DEFINE_TYPES(isa_types)
