/*
 * The main system bus and devices on it, after QEMU's hw/sysbus.h.
 *
 * A sysbus device declares its MMIO regions (sysbus_init_mmio) and IRQ
 * outputs (sysbus_init_irq) in its init or realize; the board maps the
 * regions in the system address space (sysbus_mmio_map) and connects the
 * IRQs (sysbus_connect_irq).  Unrealizing the device unmaps its regions.
 */
#ifndef HW_SYSBUS_H
#define HW_SYSBUS_H

#include "hw/qdev-core.h"
#include "hw/irq.h"
#include "memory/memory.h"

#define QDEV_MAX_MMIO 32
/* The GPIO output group that holds sysbus IRQs. */
#define SYSBUS_DEVICE_GPIO_IRQ "sysbus-irq"

#define TYPE_SYSTEM_BUS "System"
#define TYPE_SYS_BUS_DEVICE "sys-bus-device"
OBJECT_DECLARE_TYPE(SysBusDevice, SysBusDeviceClass, SYS_BUS_DEVICE)

struct SysBusDeviceClass {
    DeviceClass parent_class;
};

struct SysBusDevice {
    DeviceState parent_obj;

    int num_mmio;
    struct {
        hwaddr addr;
        MemoryRegion *memory;
        bool mapped;
    } mmio[QDEV_MAX_MMIO];
};

/* "main-system-bus", /machine/unattached/sysbus; created on first use. */
BusState *sysbus_get_default(void);
bool sysbus_realize(SysBusDevice *dev, Error **errp);
bool sysbus_realize_and_unref(SysBusDevice *dev, Error **errp);

/* Declare region n (in call order); the device keeps owning it. */
void sysbus_init_mmio(SysBusDevice *dev, MemoryRegion *memory);
MemoryRegion *sysbus_mmio_get_region(SysBusDevice *dev, int n);
bool sysbus_has_mmio(SysBusDevice *dev, int n);
/* Map region n at addr of the system memory (moves it if mapped). */
void sysbus_mmio_map(SysBusDevice *dev, int n, hwaddr addr);
void sysbus_mmio_map_overlap(SysBusDevice *dev, int n, hwaddr addr,
                             int priority);
void sysbus_mmio_unmap(SysBusDevice *dev, int n);
/* Declare the next IRQ output: *p is set by sysbus_connect_irq. */
void sysbus_init_irq(SysBusDevice *dev, qemu_irq *p);
void sysbus_connect_irq(SysBusDevice *dev, int n, qemu_irq irq);
bool sysbus_has_irq(SysBusDevice *dev, int n);
/* Internal to hw/core: unmap every region (sysbus device unrealize). */
void sysbus_unmap_all(SysBusDevice *dev);

#endif
