/*
 * The ISA bus, after QEMU's include/hw/isa/isa.h.
 *
 * An ISA bus sits below a bridge device (or on its own in tests) and
 * gives its devices two things: the address spaces to register their
 * ports and memory in, and 16 interrupt lines.  The lines are inputs the
 * bus owns, so devices may look them up (isa_get_irq) before the board
 * wires them to the interrupt controllers (isa_bus_irqs); each line
 * forwards to whatever is wired at the time it is raised.
 *
 * A device's I/O regions registered with isa_register_ioport leave the
 * address space when the device is unrealized; a subclass that has its
 * own unrealize chains to the ISA one (device_class_set_parent_unrealize).
 */
#ifndef HW_ISA_ISA_H
#define HW_ISA_ISA_H

#include "hw/qdev-core.h"
#include "hw/irq.h"
#include "memory/memory.h"

#define ISA_NUM_IRQS 16
#define ISA_MAX_IO_REGIONS 8

#define TYPE_ISA_BUS "ISA"
OBJECT_DECLARE_SIMPLE_TYPE(ISABus, ISA_BUS)
#define TYPE_ISA_DEVICE "isa-device"
OBJECT_DECLARE_TYPE(ISADevice, ISADeviceClass, ISA_DEVICE)

struct ISABus {
    BusState parent_obj;

    MemoryRegion *address_space;        /* ISA memory (system memory) */
    MemoryRegion *address_space_io;     /* port I/O */
    qemu_irq irq_in[ISA_NUM_IRQS];      /* what devices get */
    qemu_irq irq_out[ISA_NUM_IRQS];     /* what the board wired */
};

struct ISADeviceClass {
    DeviceClass parent_class;
};

struct ISADevice {
    DeviceState parent_obj;

    int8_t isairq[2];                   /* for `info qtree`; -1 unused */
    int nirqs;
    int ioport_id;                      /* first port, for `info qtree` */
    int num_io_regions;
    MemoryRegion *io_regions[ISA_MAX_IO_REGIONS];
};

/*
 * A new ISA bus "isa.0" below dev (may be NULL), using address_space and
 * address_space_io for its devices' memory and ports.
 */
ISABus *isa_bus_new(DeviceState *dev, MemoryRegion *address_space,
                    MemoryRegion *address_space_io, Error **errp);
/* Wire the bus's 16 lines: irqs[i] receives ISA IRQ i (NULL: unwired). */
void isa_bus_irqs(ISABus *bus, const qemu_irq *irqs);
/* ISA IRQ isairq (0..15) of bus. */
qemu_irq isa_bus_get_irq(ISABus *bus, unsigned isairq);

ISABus *isa_bus_from_device(ISADevice *dev);
MemoryRegion *isa_address_space(ISADevice *dev);
MemoryRegion *isa_address_space_io(ISADevice *dev);
/* ISA IRQ isairq of the bus dev is plugged into. */
qemu_irq isa_get_irq(ISADevice *dev, unsigned isairq);
/* *p = isa_get_irq(dev, isairq), noted for `info qtree`. */
void isa_init_irq(ISADevice *dev, qemu_irq *p, unsigned isairq);
/* Map io at port start of the bus's I/O space; unmapped at unrealize. */
void isa_register_ioport(ISADevice *dev, MemoryRegion *io, uint16_t start);

ISADevice *isa_new(const char *name);
bool isa_realize_and_unref(ISADevice *dev, ISABus *bus, Error **errp);
/* isa_new + realize; aborts on failure (board code). */
ISADevice *isa_create_simple(ISABus *bus, const char *name);

#endif
