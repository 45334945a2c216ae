/*
 * Device model (qdev), after QEMU's include/hw/qdev-core.h.
 *
 * A device is created (qdev_new), configured through its properties, then
 * realized: setting its "realized" property to true calls, in order, the
 * hotplug handler's pre_plug, the class's realize, realizes the device's
 * own buses, and the hotplug handler's plug.  An error at any step leaves
 * the device unrealized and is passed on.  Static properties (Property
 * arrays) can only be set before realize.
 *
 * Devices sit on buses (BusState); a device may own buses of its own.  In
 * the composition tree a device without a parent is put under
 * /machine/unattached/device[N] when realized, and a bus is the child of
 * its parent device under its name.
 *
 * Devices and buses are Resettable: a device's reset tree holds its buses,
 * a bus's holds its devices.
 */
#ifndef HW_QDEV_CORE_H
#define HW_QDEV_CORE_H

#include "qom/object.h"
#include "hw/resettable.h"
#include "hw/hotplug.h"
#include "hw/irq.h"

#define TYPE_DEVICE "device"
OBJECT_DECLARE_TYPE(DeviceState, DeviceClass, DEVICE)
#define TYPE_BUS "bus"
OBJECT_DECLARE_TYPE(BusState, BusClass, BUS)

typedef struct Property Property;
typedef struct NamedGPIOList NamedGPIOList;

typedef void (*DeviceRealize)(DeviceState *dev, Error **errp);
typedef void (*DeviceUnrealize)(DeviceState *dev);
typedef void (*DeviceReset)(DeviceState *dev);
typedef void (*BusRealize)(BusState *bus, Error **errp);
typedef void (*BusUnrealize)(BusState *bus);

struct DeviceClass {
    ObjectClass parent_class;

    const Property *props_;     /* this class's own; set by
                                   device_class_set_props */
    const char *desc;
    const char *fw_name;
    /* May be created with -device / device_add. */
    bool user_creatable;
    /* May be added or removed after machine creation. */
    bool hotpluggable;

    DeviceRealize realize;
    DeviceUnrealize unrealize;
    /* Simple devices: a reset function, run in the hold phase. */
    DeviceReset legacy_reset;

    /* Type of the bus the device plugs into, NULL for none. */
    const char *bus_type;

    /*
     * The device's state (as QEMU's dc->vmsd): registered with the
     * device itself as opaque when it is realized (instance id
     * VMSTATE_INSTANCE_ID_ANY) and unregistered when it is unrealized.
     */
    const struct VMStateDescription *vmsd;
};

struct DeviceState {
    Object parent_obj;

    char *id;                   /* -device id=, NULL if none */
    bool realized;
    bool hotplugged;            /* created after machine creation */
    BusState *parent_bus;
    QLIST_HEAD(, BusState) child_bus;
    int num_child_bus;
    ResettableState reset;
    QLIST_HEAD(, NamedGPIOList) gpios;  /* hw/core/gpio.c */
};

typedef struct BusChild {
    DeviceState *child;
    int index;
    QTAILQ_ENTRY(BusChild) sibling;
} BusChild;

struct BusClass {
    ObjectClass parent_class;

    /* Extra `info qtree` lines for a device on this bus. */
    void (*print_dev)(StrBuf *out, DeviceState *dev, int indent);
    /* May refuse a device (e.g. address taken). */
    bool (*check_address)(BusState *bus, DeviceState *dev, Error **errp);
    BusRealize realize;
    BusUnrealize unrealize;
    int max_dev;                /* 0: unlimited */
    int automatic_ids;          /* for "<type>.<N>" bus names */
};

struct BusState {
    Object obj;

    DeviceState *parent;
    char *name;
    HotplugHandler *hotplug_handler;
    int max_index;
    bool realized;
    bool full;
    int num_children;
    /* In plug order. */
    QTAILQ_HEAD(, BusChild) children;
    QLIST_ENTRY(BusState) sibling;
    ResettableState reset;
};

#define QDEV_HOTPLUG_HANDLER_PROPERTY "hotplug-handler"

/*
 * Set after machine creation: devices created from then on are
 * "hotplugged" and get a cold reset when realized.
 */
extern bool qdev_hotplug;
void qdev_machine_creation_done(void);

/* "/machine" (the machine object, or its container until it exists). */
Object *qdev_get_machine(void);
/*
 * The machine's say in hotplug: when set, consulted first for every
 * device (as QEMU's MachineClass::get_hotplug_handler); returning NULL
 * falls back to the parent bus's handler.
 */
void qdev_set_machine_hotplug_handler_hook(
    HotplugHandler *(*hook)(DeviceState *dev));
HotplugHandler *qdev_get_hotplug_handler(DeviceState *dev);
HotplugHandler *qdev_get_bus_hotplug_handler(DeviceState *dev);

/* Create a device; aborts on an unknown or abstract type. */
DeviceState *qdev_new(const char *name);
/* Same, NULL and an error for unknown, abstract or non-device types. */
DeviceState *qdev_try_new(const char *name, Error **errp);
/* Plug into @bus (may be NULL for bus-less devices) and realize. */
bool qdev_realize(DeviceState *dev, BusState *bus, Error **errp);
/* qdev_realize, then drop the caller's reference (the tree keeps one). */
bool qdev_realize_and_unref(DeviceState *dev, BusState *bus, Error **errp);
void qdev_unrealize(DeviceState *dev);
/* Ask the device's hotplug handler to remove it (device_del). */
bool qdev_unplug(DeviceState *dev, Error **errp);
/* An unplug callback for handlers that just unrealize and drop it. */
void qdev_simple_device_unplug_cb(HotplugHandler *hotplug_dev,
                                  DeviceState *dev, Error **errp);
bool qdev_set_parent_bus(DeviceState *dev, BusState *bus, Error **errp);
BusState *qdev_get_parent_bus(const DeviceState *dev);
/* The child bus called @name, or NULL. */
BusState *qdev_get_child_bus(DeviceState *dev, const char *name);
void qdev_set_id(DeviceState *dev, const char *id);
const char *qdev_fw_name(DeviceState *dev);

void device_class_set_props(DeviceClass *dc, const Property *props);
void device_class_set_legacy_reset(DeviceClass *dc, DeviceReset dev_reset);
void device_class_set_parent_realize(DeviceClass *dc,
                                     DeviceRealize dev_realize,
                                     DeviceRealize *parent_realize);
void device_class_set_parent_unrealize(DeviceClass *dc,
                                       DeviceUnrealize dev_unrealize,
                                       DeviceUnrealize *parent_unrealize);

void device_cold_reset(DeviceState *dev);
bool device_is_in_reset(DeviceState *dev);

/* Buses. */
BusState *qbus_new(const char *typename, DeviceState *parent,
                   const char *name);
bool qbus_realize(BusState *bus, Error **errp);
void qbus_unrealize(BusState *bus);
void qbus_set_hotplug_handler(BusState *bus, Object *handler);
bool qbus_is_hotpluggable(BusState *bus);
void bus_cold_reset(BusState *bus);
bool bus_is_in_reset(BusState *bus);
/* Internal to hw/core: the bus side of plugging. */
void bus_add_child(BusState *bus, DeviceState *child);
void bus_remove_child(BusState *bus, DeviceState *child);

/*
 * Reset every device tree below @root in one three-phase reset: bus-less
 * devices and parentless buses found in the composition tree are the
 * reset roots (devices on a bus are reached through it).  With NULL,
 * resets from object_get_root().
 */
void qemu_devices_reset(Object *root, ResetType type);

/*
 * GPIO lines (hw/core/gpio.c), as QEMU's: a device declares inputs (lines
 * others drive; the device's handler gets the line number and level) and
 * outputs (qemu_irq fields of its own state that the board connects to
 * other devices' inputs).  Lines are grouped by name; NULL is the
 * unnamed group.  Inputs are owned by the device and freed with it.
 */
struct NamedGPIOList {
    char *name;
    qemu_irq *in;
    int num_in;
    qemu_irq **out;             /* pointers to the device's fields */
    int num_out;
    QLIST_ENTRY(NamedGPIOList) node;
};

/* Add n inputs (numbered after any already there) to group name. */
void qdev_init_gpio_in_named(DeviceState *dev, qemu_irq_handler handler,
                             const char *name, int n);
void qdev_init_gpio_in(DeviceState *dev, qemu_irq_handler handler, int n);
/* Declare n outputs: pins[0..n-1] are set by qdev_connect_gpio_out. */
void qdev_init_gpio_out_named(DeviceState *dev, qemu_irq *pins,
                              const char *name, int n);
void qdev_init_gpio_out(DeviceState *dev, qemu_irq *pins, int n);
/* Input line n of group name; aborts if there is none (a board bug). */
qemu_irq qdev_get_gpio_in_named(DeviceState *dev, const char *name, int n);
qemu_irq qdev_get_gpio_in(DeviceState *dev, int n);
/* Connect output n of group name to input_pin (NULL disconnects). */
void qdev_connect_gpio_out_named(DeviceState *dev, const char *name, int n,
                                 qemu_irq input_pin);
void qdev_connect_gpio_out(DeviceState *dev, int n, qemu_irq input_pin);
/* What output n of group name is connected to (NULL if nothing). */
qemu_irq qdev_get_gpio_out_connector(DeviceState *dev, const char *name,
                                     int n);
/* Number of inputs / outputs in group name (0 if no such group). */
int qdev_gpio_in_count(DeviceState *dev, const char *name);
int qdev_gpio_out_count(DeviceState *dev, const char *name);
/* Internal to hw/core: free the GPIO lists (device finalize). */
void qdev_gpio_cleanup(DeviceState *dev);

/* `info qtree` from @bus (NULL: the main system bus). */
void qdev_print_tree(StrBuf *out, BusState *bus);

#endif
