/*
 * Buses: TYPE_BUS, the main system bus and sys-bus-device, and the
 * `info qtree` printer.
 */
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "hw/sysbus.h"
#include <ctype.h>

void bus_add_child(BusState *bus, DeviceState *child)
{
    BusChild *kid = xnew(BusChild);
    char name[32];

    bus->num_children++;
    kid->index = bus->max_index++;
    kid->child = child;
    object_ref(OBJECT(child));
    QTAILQ_INSERT_TAIL(&bus->children, kid, sibling);

    /* A read-only view of the child, for qom-list. */
    snprintf(name, sizeof(name), "child[%d]", kid->index);
    object_property_add_link(OBJECT(bus), name,
                             object_get_typename(OBJECT(child)),
                             (Object **)&kid->child, NULL, 0);
}

void bus_remove_child(BusState *bus, DeviceState *child)
{
    BusChild *kid;

    QTAILQ_FOREACH(kid, &bus->children, sibling) {
        if (kid->child == child) {
            char name[32];
            snprintf(name, sizeof(name), "child[%d]", kid->index);
            QTAILQ_REMOVE(&bus->children, kid, sibling);
            bus->num_children--;
            object_property_del(OBJECT(bus), name);
            object_unref(OBJECT(kid->child));
            free(kid);
            return;
        }
    }
}

static void qbus_init_internal(BusState *bus, DeviceState *parent,
                               const char *name)
{
    bus->parent = parent;
    if (name) {
        bus->name = xstrdup(name);
    } else if (parent && parent->id) {
        bus->name = xasprintf("%s.%d", parent->id, parent->num_child_bus);
    } else {
        BusClass *bc = BUS_GET_CLASS(bus);
        bus->name = xasprintf("%s.%d", object_get_typename(OBJECT(bus)),
                              bc->automatic_ids++);
        for (char *p = bus->name; *p; p++) {
            *p = tolower((unsigned char)*p);
        }
    }
    if (parent) {
        QLIST_INSERT_HEAD(&parent->child_bus, bus, sibling);
        parent->num_child_bus++;
        object_property_add_child(OBJECT(parent), bus->name, OBJECT(bus));
        /* The parent device's child property owns the bus. */
        object_unref(OBJECT(bus));
    }
}

BusState *qbus_new(const char *typename, DeviceState *parent,
                   const char *name)
{
    BusState *bus = BUS(object_new(typename));
    qbus_init_internal(bus, parent, name);
    return bus;
}

static bool bus_realize_tree(BusState *bus, Error **errp)
{
    BusClass *bc = BUS_GET_CLASS(bus);
    Error *err = NULL;

    if (bc->realize) {
        bc->realize(bus, &err);
        if (err) {
            error_propagate(errp, err);
            return false;
        }
    }
    bus->realized = true;
    return true;
}

static void bus_unrealize_tree(BusState *bus)
{
    BusClass *bc = BUS_GET_CLASS(bus);
    DeviceState **devs = xnew_array(DeviceState *, bus->num_children + 1);
    size_t n = 0;
    BusChild *kid;

    /* Last plugged, first unrealized. */
    QTAILQ_FOREACH(kid, &bus->children, sibling) {
        devs[n++] = kid->child;
    }
    while (n--) {
        if (devs[n]->realized) {
            qdev_unrealize(devs[n]);
        }
    }
    free(devs);
    if (bc->unrealize) {
        bc->unrealize(bus);
    }
    bus->realized = false;
}

static bool bus_get_realized(Object *obj, Error **errp)
{
    return BUS(obj)->realized;
}

static void bus_set_realized(Object *obj, bool value, Error **errp)
{
    BusState *bus = BUS(obj);

    if (value && !bus->realized) {
        bus_realize_tree(bus, errp);
    } else if (!value && bus->realized) {
        bus_unrealize_tree(bus);
    }
}

bool qbus_realize(BusState *bus, Error **errp)
{
    return object_property_set_bool(OBJECT(bus), "realized", true, errp);
}

void qbus_unrealize(BusState *bus)
{
    object_property_set_bool(OBJECT(bus), "realized", false, &error_abort);
}

void qbus_set_hotplug_handler(BusState *bus, Object *handler)
{
    object_property_set_link(OBJECT(bus), QDEV_HOTPLUG_HANDLER_PROPERTY,
                             handler, &error_abort);
}

bool qbus_is_hotpluggable(BusState *bus)
{
    HotplugHandler *plug_handler = bus->hotplug_handler;

    if (!plug_handler) {
        return false;
    }
    HotplugHandlerClass *hdc = HOTPLUG_HANDLER_GET_CLASS(plug_handler);
    return hdc->is_hotpluggable_bus ?
           hdc->is_hotpluggable_bus(plug_handler, bus) : true;
}

void bus_cold_reset(BusState *bus)
{
    resettable_reset(OBJECT(bus), RESET_TYPE_COLD);
}

bool bus_is_in_reset(BusState *bus)
{
    return resettable_is_in_reset(OBJECT(bus));
}

static ResettableState *bus_get_reset_state(Object *obj)
{
    return &BUS(obj)->reset;
}

static void bus_reset_child_foreach(Object *obj, ResettableChildCallback cb,
                                    void *opaque, ResetType type)
{
    BusChild *kid;
    QTAILQ_FOREACH(kid, &BUS(obj)->children, sibling) {
        cb(OBJECT(kid->child), opaque, type);
    }
}

static void bus_unparent(Object *obj)
{
    BusState *bus = BUS(obj);
    BusChild *kid;

    while ((kid = QTAILQ_FIRST(&bus->children)) != NULL) {
        DeviceState *dev = kid->child;
        if (OBJECT(dev)->parent) {
            /* Unparenting a device takes it off its bus. */
            object_unparent(OBJECT(dev));
        } else {
            if (dev->realized) {
                qdev_unrealize(dev);
            }
            dev->parent_bus = NULL;
            bus_remove_child(bus, dev);
            object_unref(OBJECT(bus));
        }
    }
    if (bus->parent) {
        QLIST_REMOVE(bus, sibling);
        bus->parent->num_child_bus--;
        bus->parent = NULL;
    }
}

static void bus_init(Object *obj)
{
    BusState *bus = BUS(obj);

    QTAILQ_INIT(&bus->children);
    object_property_add_link(obj, QDEV_HOTPLUG_HANDLER_PROPERTY,
                             TYPE_HOTPLUG_HANDLER,
                             (Object **)&bus->hotplug_handler,
                             object_property_allow_set_link, 0);
}

static void bus_finalize(Object *obj)
{
    free(BUS(obj)->name);
}

static void bus_class_init(ObjectClass *oc, const void *data)
{
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    oc->unparent = bus_unparent;
    rc->get_state = bus_get_reset_state;
    rc->child_foreach = bus_reset_child_foreach;
    object_class_property_add_bool(oc, "realized", bus_get_realized,
                                   bus_set_realized);
}

/* ---- The main system bus ---- */

static BusState *main_system_bus;

BusState *sysbus_get_default(void)
{
    if (!main_system_bus) {
        main_system_bus = qbus_new(TYPE_SYSTEM_BUS, NULL, "main-system-bus");
        object_property_add_child(container_get(qdev_get_machine(),
                                                "/unattached"),
                                  "sysbus", OBJECT(main_system_bus));
        /* Still referenced from here: the bus is never freed. */
        qbus_realize(main_system_bus, &error_abort);
    }
    return main_system_bus;
}

bool sysbus_realize(SysBusDevice *dev, Error **errp)
{
    return qdev_realize(DEVICE(dev), sysbus_get_default(), errp);
}

bool sysbus_realize_and_unref(SysBusDevice *dev, Error **errp)
{
    return qdev_realize_and_unref(DEVICE(dev), sysbus_get_default(), errp);
}

static void sysbus_device_unrealize(DeviceState *dev)
{
    sysbus_unmap_all(SYS_BUS_DEVICE(dev));
}

static void sysbus_device_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    /* A device that goes away leaves the address space with it. */
    dc->unrealize = sysbus_device_unrealize;
    dc->bus_type = TYPE_SYSTEM_BUS;
    /* Board code wires these; the system bus is not hotpluggable. */
    dc->user_creatable = false;
}

/* ---- info qtree ---- */

static void qdev_print_bus(StrBuf *out, BusState *bus, int indent);

static void qdev_print_props(StrBuf *out, DeviceState *dev,
                             DeviceClass *dc, int indent)
{
    for (const Property *prop = dc->props_; prop && prop->name; prop++) {
        char *value = object_property_print(OBJECT(dev), prop->name, true,
                                            NULL);
        if (!value) {
            continue;
        }
        strbuf_printf(out, "%*s%s = %s\n", indent, "", prop->name,
                      *value ? value : "<null>");
        free(value);
    }
}

static void qdev_print_dev(StrBuf *out, DeviceState *dev, int indent)
{
    ObjectClass *class = object_get_class(OBJECT(dev));
    ObjectClass *device_class = object_class_by_name(TYPE_DEVICE);
    BusState *child;

    strbuf_printf(out, "%*sdev: %s, id \"%s\"\n", indent, "",
                  object_get_typename(OBJECT(dev)), dev->id ? dev->id : "");
    indent += 2;
    /* Most derived class first, as QEMU prints them. */
    for (; class != device_class; class = object_class_get_parent(class)) {
        qdev_print_props(out, dev, DEVICE_CLASS(class), indent);
    }
    if (dev->parent_bus) {
        BusClass *bc = BUS_GET_CLASS(dev->parent_bus);
        if (bc->print_dev) {
            bc->print_dev(out, dev, indent);
        }
    }
    QLIST_FOREACH(child, &dev->child_bus, sibling) {
        qdev_print_bus(out, child, indent);
    }
}

static void qdev_print_bus(StrBuf *out, BusState *bus, int indent)
{
    BusChild *kid;

    strbuf_printf(out, "%*sbus: %s\n", indent, "", bus->name);
    indent += 2;
    strbuf_printf(out, "%*stype %s\n", indent, "",
                  object_get_typename(OBJECT(bus)));
    QTAILQ_FOREACH(kid, &bus->children, sibling) {
        qdev_print_dev(out, kid->child, indent);
    }
}

void qdev_print_tree(StrBuf *out, BusState *bus)
{
    qdev_print_bus(out, bus ? bus : sysbus_get_default(), 0);
}

static void register_types(void)
{
    static const InterfaceInfo resettable_interfaces[] = {
        { TYPE_RESETTABLE_INTERFACE },
        { NULL }
    };
    static const TypeInfo types[] = {
        {
            .name = TYPE_BUS,
            .parent = TYPE_OBJECT,
            .instance_size = sizeof(BusState),
            .abstract = true,
            .class_size = sizeof(BusClass),
            .instance_init = bus_init,
            .instance_finalize = bus_finalize,
            .class_init = bus_class_init,
            .interfaces = resettable_interfaces,
        }, {
            .name = TYPE_SYSTEM_BUS,
            .parent = TYPE_BUS,
            .instance_size = sizeof(BusState),
        }, {
            .name = TYPE_SYS_BUS_DEVICE,
            .parent = TYPE_DEVICE,
            .instance_size = sizeof(SysBusDevice),
            .abstract = true,
            .class_size = sizeof(SysBusDeviceClass),
            .class_init = sysbus_device_class_init,
        },
    };
    type_register_static_array(types, ARRAY_SIZE(types));
}

type_init(register_types)
