/*
 * Device model core: TYPE_DEVICE, realize/unrealize, hotplug, reset.
 * See include/hw/qdev-core.h.
 */
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "memory/memory.h"
#include "migration/vmstate.h"

bool qdev_hotplug;

static HotplugHandler *(*machine_hotplug_handler_hook)(DeviceState *dev);

void qdev_machine_creation_done(void)
{
    /* From now on, new devices are hotplugged. */
    qdev_hotplug = true;
}

Object *qdev_get_machine(void)
{
    return container_get(object_get_root(), "/machine");
}

void qdev_set_machine_hotplug_handler_hook(
    HotplugHandler *(*hook)(DeviceState *dev))
{
    machine_hotplug_handler_hook = hook;
}

HotplugHandler *qdev_get_bus_hotplug_handler(DeviceState *dev)
{
    return dev->parent_bus ? dev->parent_bus->hotplug_handler : NULL;
}

HotplugHandler *qdev_get_hotplug_handler(DeviceState *dev)
{
    HotplugHandler *handler = NULL;

    if (machine_hotplug_handler_hook) {
        handler = machine_hotplug_handler_hook(dev);
    }
    return handler ? handler : qdev_get_bus_hotplug_handler(dev);
}

DeviceState *qdev_try_new(const char *name, Error **errp)
{
    ObjectClass *oc = object_class_by_name(name);

    if (!oc) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "Device '%s' not found", name);
        return NULL;
    }
    if (!object_class_dynamic_cast(oc, TYPE_DEVICE)) {
        error_setg(errp, "'%s' is not a device type", name);
        return NULL;
    }
    if (object_class_is_abstract(oc)) {
        error_setg(errp, "Device type '%s' is abstract", name);
        return NULL;
    }
    return DEVICE(object_new(name));
}

DeviceState *qdev_new(const char *name)
{
    return qdev_try_new(name, &error_abort);
}

void qdev_set_id(DeviceState *dev, const char *id)
{
    free(dev->id);
    dev->id = xstrdup(id);
}

const char *qdev_fw_name(DeviceState *dev)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    return dc->fw_name ? dc->fw_name : object_get_typename(OBJECT(dev));
}

BusState *qdev_get_parent_bus(const DeviceState *dev)
{
    return dev->parent_bus;
}

BusState *qdev_get_child_bus(DeviceState *dev, const char *name)
{
    BusState *bus;
    QLIST_FOREACH(bus, &dev->child_bus, sibling) {
        if (!strcmp(name, bus->name)) {
            return bus;
        }
    }
    return NULL;
}

bool qdev_set_parent_bus(DeviceState *dev, BusState *bus, Error **errp)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    BusClass *bc = BUS_GET_CLASS(bus);
    BusState *old = dev->parent_bus;
    const char *type = object_get_typename(OBJECT(dev));

    if (!dc->bus_type) {
        error_setg(errp, "Device '%s' does not plug into a bus", type);
        return false;
    }
    if (!object_dynamic_cast(OBJECT(bus), dc->bus_type)) {
        error_setg(errp, "Device '%s' can't go on %s bus", type,
                   object_get_typename(OBJECT(bus)));
        return false;
    }
    if (bus->full || (bc->max_dev && bus->num_children >= bc->max_dev)) {
        error_setg(errp, "Bus '%s' is full", bus->name);
        return false;
    }
    if (bc->check_address && !bc->check_address(bus, dev, errp)) {
        return false;
    }

    if (old) {
        /* Keep dev alive while neither bus holds it. */
        object_ref(OBJECT(dev));
        bus_remove_child(old, dev);
    }
    dev->parent_bus = bus;
    object_ref(OBJECT(bus));
    bus_add_child(bus, dev);
    if (dev->realized) {
        resettable_change_parent(OBJECT(dev), OBJECT(bus), OBJECT(old));
    }
    if (old) {
        object_unref(OBJECT(old));
        object_unref(OBJECT(dev));
    }
    return true;
}

/* Undo qdev_set_parent_bus. */
static void qdev_remove_from_bus(DeviceState *dev)
{
    BusState *bus = dev->parent_bus;
    if (bus) {
        bus_remove_child(bus, dev);
        dev->parent_bus = NULL;
        object_unref(OBJECT(bus));
    }
}

static bool device_realize_tree(DeviceState *dev, Error **errp)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    Object *obj = OBJECT(dev);
    HotplugHandler *hotplug_ctrl;
    bool unattached_parent = false;
    bool in_reset = false;
    Error *err = NULL;
    BusState *bus;

    if (!obj->parent) {
        Object *unattached = container_get(qdev_get_machine(),
                                           "/unattached");
        object_property_add_child(unattached, "device[*]", obj);
        unattached_parent = true;
    }

    hotplug_ctrl = qdev_get_hotplug_handler(dev);
    if (hotplug_ctrl) {
        hotplug_handler_pre_plug(hotplug_ctrl, dev, &err);
        if (err) {
            goto fail;
        }
    }
    if (dc->realize) {
        dc->realize(dev, &err);
        if (err) {
            goto fail;
        }
    }
    if (dc->vmsd) {
        int ret = vmstate_register(obj, VMSTATE_INSTANCE_ID_ANY, dc->vmsd,
                                   dev);
        if (ret < 0) {
            error_setg(&err, "%s: cannot register state '%s': %s",
                       object_get_typename(obj), dc->vmsd->name,
                       strerror(-ret));
            goto post_realize_fail;
        }
    }

    /* A hotplugged device starts from a cold reset of its subtree. */
    if (dev->hotplugged) {
        resettable_assert_reset(obj, RESET_TYPE_COLD);
        in_reset = true;
    }
    dev->realized = true;
    QLIST_FOREACH(bus, &dev->child_bus, sibling) {
        if (!qbus_realize(bus, &err)) {
            goto child_realize_fail;
        }
    }
    if (in_reset) {
        resettable_release_reset(obj, RESET_TYPE_COLD);
        in_reset = false;
    }
    if (hotplug_ctrl) {
        hotplug_handler_plug(hotplug_ctrl, dev, &err);
        if (err) {
            goto child_realize_fail;
        }
    }
    return true;

child_realize_fail:
    QLIST_FOREACH(bus, &dev->child_bus, sibling) {
        qbus_unrealize(bus);
    }
    dev->realized = false;
    if (in_reset) {
        resettable_release_reset(obj, RESET_TYPE_COLD);
    }
    if (dc->vmsd) {
        vmstate_unregister(obj, dc->vmsd, dev);
    }
post_realize_fail:
    if (dc->unrealize) {
        dc->unrealize(dev);
    }
fail:
    error_propagate(errp, err);
    if (unattached_parent) {
        /* Keep the caller's reference valid across the unparent. */
        object_ref(obj);
        object_unparent(obj);
        object_unref(obj);
    }
    return false;
}

static void device_unrealize_tree(DeviceState *dev)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    BusState *bus;

    /* Reverse of realize: what sits below goes first. */
    dev->realized = false;
    QLIST_FOREACH(bus, &dev->child_bus, sibling) {
        qbus_unrealize(bus);
    }
    if (dc->vmsd) {
        vmstate_unregister(OBJECT(dev), dc->vmsd, dev);
    }
    if (dc->unrealize) {
        dc->unrealize(dev);
    }
}

static bool device_get_realized(Object *obj, Error **errp)
{
    return DEVICE(obj)->realized;
}

static void device_set_realized(Object *obj, bool value, Error **errp)
{
    DeviceState *dev = DEVICE(obj);

    if (value && !dev->realized) {
        device_realize_tree(dev, errp);
    } else if (!value && dev->realized) {
        device_unrealize_tree(dev);
    }
}

static bool device_get_hotpluggable(Object *obj, Error **errp)
{
    DeviceClass *dc = DEVICE_GET_CLASS(obj);
    DeviceState *dev = DEVICE(obj);

    return dc->hotpluggable && (!dev->parent_bus ||
                                qbus_is_hotpluggable(dev->parent_bus));
}

static bool device_get_hotplugged(Object *obj, Error **errp)
{
    return DEVICE(obj)->hotplugged;
}

static char *device_get_parent_bus(Object *obj, Error **errp)
{
    DeviceState *dev = DEVICE(obj);
    char *path = dev->parent_bus ?
                 object_get_canonical_path(OBJECT(dev->parent_bus)) : NULL;
    return path ? path : xstrdup("");
}

bool qdev_realize(DeviceState *dev, BusState *bus, Error **errp)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);

    if (dev->realized) {
        error_setg(errp, "Device '%s' is already realized",
                   object_get_typename(OBJECT(dev)));
        return false;
    }
    if (bus) {
        if (!qdev_set_parent_bus(dev, bus, errp)) {
            return false;
        }
    } else if (dc->bus_type && !dev->parent_bus) {
        error_setg(errp, "Device '%s' needs a bus of type '%s'",
                   object_get_typename(OBJECT(dev)), dc->bus_type);
        return false;
    }
    return object_property_set_bool(OBJECT(dev), "realized", true, errp);
}

bool qdev_realize_and_unref(DeviceState *dev, BusState *bus, Error **errp)
{
    bool ret = qdev_realize(dev, bus, errp);
    object_unref(OBJECT(dev));
    return ret;
}

void qdev_unrealize(DeviceState *dev)
{
    object_property_set_bool(OBJECT(dev), "realized", false, &error_abort);
}

bool qdev_unplug(DeviceState *dev, Error **errp)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    HotplugHandler *hotplug_ctrl;
    HotplugHandlerClass *hdc;
    Error *err = NULL;

    if (dev->parent_bus && !qbus_is_hotpluggable(dev->parent_bus)) {
        error_setg(errp, "Bus '%s' does not support hotplugging",
                   dev->parent_bus->name);
        return false;
    }
    if (!dc->hotpluggable) {
        error_setg(errp, "Device '%s' does not support hotplugging",
                   object_get_typename(OBJECT(dev)));
        return false;
    }
    hotplug_ctrl = qdev_get_hotplug_handler(dev);
    if (!hotplug_ctrl) {
        error_setg(errp, "Device '%s' has no hotplug handler",
                   object_get_typename(OBJECT(dev)));
        return false;
    }
    hdc = HOTPLUG_HANDLER_GET_CLASS(hotplug_ctrl);
    if (hdc->unplug_request) {
        hotplug_handler_unplug_request(hotplug_ctrl, dev, &err);
    } else {
        hotplug_handler_unplug(hotplug_ctrl, dev, &err);
    }
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    return true;
}

void qdev_simple_device_unplug_cb(HotplugHandler *hotplug_dev,
                                  DeviceState *dev, Error **errp)
{
    qdev_unrealize(dev);
    object_unparent(OBJECT(dev));
}

void device_class_set_legacy_reset(DeviceClass *dc, DeviceReset dev_reset)
{
    dc->legacy_reset = dev_reset;
}

void device_class_set_parent_realize(DeviceClass *dc,
                                     DeviceRealize dev_realize,
                                     DeviceRealize *parent_realize)
{
    *parent_realize = dc->realize;
    dc->realize = dev_realize;
}

void device_class_set_parent_unrealize(DeviceClass *dc,
                                       DeviceUnrealize dev_unrealize,
                                       DeviceUnrealize *parent_unrealize)
{
    *parent_unrealize = dc->unrealize;
    dc->unrealize = dev_unrealize;
}

void device_cold_reset(DeviceState *dev)
{
    resettable_reset(OBJECT(dev), RESET_TYPE_COLD);
}

bool device_is_in_reset(DeviceState *dev)
{
    return resettable_is_in_reset(OBJECT(dev));
}

static ResettableState *device_get_reset_state(Object *obj)
{
    return &DEVICE(obj)->reset;
}

static void device_reset_child_foreach(Object *obj,
                                       ResettableChildCallback cb,
                                       void *opaque, ResetType type)
{
    BusState *bus;
    QLIST_FOREACH(bus, &DEVICE(obj)->child_bus, sibling) {
        cb(OBJECT(bus), opaque, type);
    }
}

static void device_reset_hold(Object *obj, ResetType type)
{
    DeviceClass *dc = DEVICE_GET_CLASS(obj);
    if (dc->legacy_reset) {
        dc->legacy_reset(DEVICE(obj));
    }
}

static void device_initfn(Object *obj)
{
    DeviceState *dev = DEVICE(obj);

    dev->hotplugged = qdev_hotplug;
    QLIST_INIT(&dev->child_bus);
}

static void device_finalize(Object *obj)
{
    DeviceState *dev = DEVICE(obj);
    qdev_gpio_cleanup(dev);
    free(dev->id);
}

/* Leaving the composition tree: unrealize and detach from buses. */
static void device_unparent(Object *obj)
{
    DeviceState *dev = DEVICE(obj);

    if (dev->realized) {
        qdev_unrealize(dev);
    }
    while (dev->num_child_bus) {
        object_unparent(OBJECT(QLIST_FIRST(&dev->child_bus)));
    }
    qdev_remove_from_bus(dev);
}

static void device_class_base_init(ObjectClass *oc, const void *data)
{
    /* Each class lists only its own static properties; the parents' are
     * found by walking up (as `info qtree` does). */
    DEVICE_CLASS(oc)->props_ = NULL;
}

static void device_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    oc->unparent = device_unparent;
    /* Most devices can be hotplugged if their bus allows; those that
     * cannot say so. */
    dc->hotpluggable = true;
    dc->user_creatable = true;
    rc->get_state = device_get_reset_state;
    rc->child_foreach = device_reset_child_foreach;
    rc->phases.hold = device_reset_hold;

    object_class_property_add_bool(oc, "realized", device_get_realized,
                                   device_set_realized);
    object_class_property_add_bool(oc, "hotpluggable",
                                   device_get_hotpluggable, NULL);
    object_class_property_add_bool(oc, "hotplugged", device_get_hotplugged,
                                   NULL);
    ObjectProperty *op = object_class_property_add_str(oc, "parent_bus",
                                                       device_get_parent_bus,
                                                       NULL);
    free(op->type);
    op->type = xstrdup("link<" TYPE_BUS ">");
}

/* ---- Whole-machine reset ---- */

typedef struct ResetRoots {
    Object **objs;
    size_t n;
} ResetRoots;

static int collect_reset_root(Object *obj, void *opaque)
{
    ResetRoots *roots = opaque;
    DeviceState *dev = (DeviceState *)object_dynamic_cast(obj, TYPE_DEVICE);
    BusState *bus = (BusState *)object_dynamic_cast(obj, TYPE_BUS);

    /* Devices on a bus, and buses of a device, are reached from above. */
    if ((dev && !dev->parent_bus) || (bus && !bus->parent)) {
        roots->objs = xrealloc(roots->objs,
                               (roots->n + 1) * sizeof(*roots->objs));
        roots->objs[roots->n++] = obj;
    }
    return 0;
}

void qemu_devices_reset(Object *root, ResetType type)
{
    ResetRoots roots = { NULL, 0 };

    if (!root) {
        root = object_get_root();
    }
    collect_reset_root(root, &roots);
    object_child_foreach_recursive(root, collect_reset_root, &roots);
    resettable_reset_many(roots.objs, roots.n, type);
    free(roots.objs);
}

/* `info mtree -o`: name a region's owner as QEMU does. */
static void qdev_print_memory_owner(StrBuf *out, Object *owner)
{
    DeviceState *dev = (DeviceState *)object_dynamic_cast(owner, TYPE_DEVICE);
    char *path;

    strbuf_append(out, dev ? "dev" : "obj");
    if (dev && dev->id) {
        strbuf_printf(out, " id=%s", dev->id);
        return;
    }
    path = object_get_canonical_path(owner);
    if (path) {
        strbuf_printf(out, " path=%s", path);
        free(path);
    } else {
        strbuf_printf(out, " type=%s", object_get_typename(owner));
    }
}

static void register_types(void)
{
    static const InterfaceInfo resettable_interfaces[] = {
        { TYPE_RESETTABLE_INTERFACE },
        { NULL }
    };
    static const TypeInfo device_type_info = {
        .name = TYPE_DEVICE,
        .parent = TYPE_OBJECT,
        .instance_size = sizeof(DeviceState),
        .instance_init = device_initfn,
        .instance_finalize = device_finalize,
        .class_base_init = device_class_base_init,
        .class_init = device_class_init,
        .abstract = true,
        .class_size = sizeof(DeviceClass),
        .interfaces = resettable_interfaces,
    };
    type_register_static(&device_type_info);
    memory_set_owner_printer(qdev_print_memory_owner);
}

type_init(register_types)
