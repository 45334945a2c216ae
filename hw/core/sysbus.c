/*
 * MMIO regions and IRQ outputs of sysbus devices (see hw/sysbus.h).  The
 * bus and the device type themselves are in bus.c.
 */
#include "util/osdep.h"
#include "hw/sysbus.h"

void sysbus_init_mmio(SysBusDevice *dev, MemoryRegion *memory)
{
    int n = dev->num_mmio;

    assert(n < QDEV_MAX_MMIO);
    dev->num_mmio++;
    dev->mmio[n].memory = memory;
    dev->mmio[n].addr = 0;
    dev->mmio[n].mapped = false;
}

bool sysbus_has_mmio(SysBusDevice *dev, int n)
{
    return n >= 0 && n < dev->num_mmio;
}

MemoryRegion *sysbus_mmio_get_region(SysBusDevice *dev, int n)
{
    assert(sysbus_has_mmio(dev, n));
    return dev->mmio[n].memory;
}

void sysbus_mmio_unmap(SysBusDevice *dev, int n)
{
    assert(sysbus_has_mmio(dev, n));
    if (!dev->mmio[n].mapped) {
        return;
    }
    memory_region_del_subregion(get_system_memory(), dev->mmio[n].memory);
    dev->mmio[n].mapped = false;
}

void sysbus_mmio_map_overlap(SysBusDevice *dev, int n, hwaddr addr,
                             int priority)
{
    assert(sysbus_has_mmio(dev, n));
    if (dev->mmio[n].mapped && dev->mmio[n].addr == addr) {
        return;
    }
    sysbus_mmio_unmap(dev, n);
    dev->mmio[n].addr = addr;
    memory_region_add_subregion_overlap(get_system_memory(), addr,
                                        dev->mmio[n].memory, priority);
    dev->mmio[n].mapped = true;
}

void sysbus_mmio_map(SysBusDevice *dev, int n, hwaddr addr)
{
    sysbus_mmio_map_overlap(dev, n, addr, 0);
}

void sysbus_unmap_all(SysBusDevice *dev)
{
    for (int n = 0; n < dev->num_mmio; n++) {
        sysbus_mmio_unmap(dev, n);
    }
}

void sysbus_init_irq(SysBusDevice *dev, qemu_irq *p)
{
    qdev_init_gpio_out_named(DEVICE(dev), p, SYSBUS_DEVICE_GPIO_IRQ, 1);
}

bool sysbus_has_irq(SysBusDevice *dev, int n)
{
    return n >= 0 &&
           n < qdev_gpio_out_count(DEVICE(dev), SYSBUS_DEVICE_GPIO_IRQ);
}

void sysbus_connect_irq(SysBusDevice *dev, int n, qemu_irq irq)
{
    qdev_connect_gpio_out_named(DEVICE(dev), SYSBUS_DEVICE_GPIO_IRQ, n, irq);
}
