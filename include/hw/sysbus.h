/*
 * The main system bus and devices on it, after QEMU's hw/sysbus.h.
 * MMIO regions and IRQ lines will join when the memory API lands.
 */
#ifndef HW_SYSBUS_H
#define HW_SYSBUS_H

#include "hw/qdev-core.h"

#define TYPE_SYSTEM_BUS "System"
#define TYPE_SYS_BUS_DEVICE "sys-bus-device"
OBJECT_DECLARE_TYPE(SysBusDevice, SysBusDeviceClass, SYS_BUS_DEVICE)

struct SysBusDeviceClass {
    DeviceClass parent_class;
};

struct SysBusDevice {
    DeviceState parent_obj;
};

/* "main-system-bus", /machine/unattached/sysbus; created on first use. */
BusState *sysbus_get_default(void);
bool sysbus_realize(SysBusDevice *dev, Error **errp);
bool sysbus_realize_and_unref(SysBusDevice *dev, Error **errp);

#endif
