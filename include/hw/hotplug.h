/*
 * Hotplug handler interface, as QEMU's: the object (a bus's controller or
 * the machine) that is told when a device comes and goes.
 *   pre_plug:       before the device's realize; may refuse it
 *   plug:           after realize (device and its buses are realized)
 *   unplug_request: asks for removal (the guest may finish it later)
 *   unplug:         removes the device; typically unrealizes it
 */
#ifndef HW_HOTPLUG_H
#define HW_HOTPLUG_H

#include "qom/object.h"

#define TYPE_HOTPLUG_HANDLER "hotplug-handler"

typedef struct HotplugHandler HotplugHandler;     /* any implementing object */
typedef struct HotplugHandlerClass HotplugHandlerClass;
typedef struct DeviceState DeviceState;
typedef struct BusState BusState;

#define HOTPLUG_HANDLER(obj) \
    INTERFACE_CHECK(HotplugHandler, (obj), TYPE_HOTPLUG_HANDLER)
DECLARE_CLASS_CHECKERS(HotplugHandlerClass, HOTPLUG_HANDLER,
                       TYPE_HOTPLUG_HANDLER)

typedef void (*hotplug_fn)(HotplugHandler *plug_handler,
                           DeviceState *plugged_dev, Error **errp);

struct HotplugHandlerClass {
    InterfaceClass parent;
    hotplug_fn pre_plug;
    hotplug_fn plug;
    hotplug_fn unplug_request;
    hotplug_fn unplug;
    bool (*is_hotpluggable_bus)(HotplugHandler *plug_handler, BusState *bus);
};

void hotplug_handler_pre_plug(HotplugHandler *plug_handler,
                              DeviceState *plugged_dev, Error **errp);
void hotplug_handler_plug(HotplugHandler *plug_handler,
                          DeviceState *plugged_dev, Error **errp);
void hotplug_handler_unplug_request(HotplugHandler *plug_handler,
                                    DeviceState *plugged_dev, Error **errp);
void hotplug_handler_unplug(HotplugHandler *plug_handler,
                            DeviceState *plugged_dev, Error **errp);

#endif
