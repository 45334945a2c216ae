/*
 * -device, device_add and device_del: devices made by the user.
 *
 * Each device gets a bus of its class's bus type (the first one found in
 * the machine, or the one named by bus=), its properties from the option
 * string (parsed per property type by the object model), an id, and a
 * place in the composition tree: /machine/peripheral/ID, or
 * /machine/peripheral-anon/device[N] without an id, as in QEMU.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/qemu-option.h"
#include "system/qdev-monitor.h"
#include "hw/qdev-core.h"

typedef struct BusSearch {
    const char *type;      /* bus type wanted, or NULL */
    const char *name;      /* bus name wanted, or NULL */
    BusState *found;
} BusSearch;

static int find_bus(Object *obj, void *opaque)
{
    BusSearch *s = opaque;
    BusState *bus = (BusState *)object_dynamic_cast(obj, TYPE_BUS);

    if (!bus || s->found) {
        return s->found != NULL;
    }
    if (s->name && strcmp(bus->name, s->name)) {
        return 0;
    }
    if (s->type && !object_dynamic_cast(obj, s->type)) {
        return 0;
    }
    if (!s->name && bus->full) {
        return 0;
    }
    s->found = bus;
    return 1;
}

static BusState *qbus_find(const char *type, const char *name)
{
    BusSearch s = { type, name, NULL };
    object_child_foreach_recursive(object_get_root(), find_bus, &s);
    return s.found;
}

static DeviceClass *device_class_for_user(const char *driver, Error **errp)
{
    ObjectClass *oc = object_class_by_name(driver);

    if (!oc || !object_class_dynamic_cast(oc, TYPE_DEVICE)) {
        error_setg(errp, "'%s' is not a valid device model name", driver);
        return NULL;
    }
    if (object_class_is_abstract(oc)) {
        error_setg(errp, "Parameter 'driver' expects a non-abstract device "
                   "type");
        return NULL;
    }
    DeviceClass *dc = DEVICE_CLASS(oc);
    if (!dc->user_creatable) {
        error_setg(errp, "Parameter 'driver' expects a pluggable device "
                   "type");
        return NULL;
    }
    return dc;
}

void qdev_print_device_list(FILE *out)
{
    size_t n;
    ObjectClass **list = object_class_get_list_sorted(TYPE_DEVICE, false, &n);

    fprintf(out, "Devices (user-creatable with -device):\n");
    for (size_t i = 0; i < n; i++) {
        DeviceClass *dc = DEVICE_CLASS(list[i]);
        if (!dc->user_creatable) {
            continue;
        }
        fprintf(out, "name \"%s\"", object_class_get_name(list[i]));
        if (dc->bus_type) {
            fprintf(out, ", bus %s", dc->bus_type);
        }
        if (dc->desc) {
            fprintf(out, ", desc \"%s\"", dc->desc);
        }
        fputc('\n', out);
    }
    free(list);
}

static void print_settable_property(Object *obj, ObjectProperty *prop,
                                    void *opaque)
{
    FILE *out = opaque;

    /* What a user can set: not the realized flag, children or links. */
    if (!prop->set || !strcmp(prop->name, "realized") ||
        object_property_is_child(prop) || object_property_is_link(prop)) {
        return;
    }
    char *value = object_property_print(obj, prop->name, true, NULL);
    if (value) {
        fprintf(out, "  %s=<%s> (default: %s)\n", prop->name, prop->type,
                value);
    } else {
        fprintf(out, "  %s=<%s>\n", prop->name, prop->type);
    }
    free(value);
}

bool qdev_print_device_properties(FILE *out, const char *driver,
                                  Error **errp)
{
    if (!device_class_for_user(driver, errp)) {
        return false;
    }
    Object *obj = object_new(driver);
    fprintf(out, "%s options:\n", driver);
    object_property_foreach(obj, print_settable_property, out);
    object_unref(obj);
    return true;
}

DeviceState *qdev_device_add_from_qdict(const QObject *opts, Error **errp)
{
    const char *driver = qdict_get_try_str(opts, "driver");
    const char *id = qdict_get_try_str(opts, "id");
    const char *bus_name = qdict_get_try_str(opts, "bus");
    DeviceState *dev = NULL;
    BusState *bus = NULL;
    Error *err = NULL;

    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return NULL;
    }
    DeviceClass *dc = device_class_for_user(driver, errp);
    if (!dc) {
        return NULL;
    }
    if (id && !id_wellformed(id)) {
        error_setg(errp, "Parameter 'id' expects an identifier");
        return NULL;
    }
    if (id && object_resolve_path_component(
                  container_get(qdev_get_machine(), "/peripheral"), id)) {
        error_setg(errp, "Duplicate device ID '%s'", id);
        return NULL;
    }
    if (bus_name) {
        bus = qbus_find(NULL, bus_name);
        if (!bus) {
            error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                      "Bus '%s' not found", bus_name);
            return NULL;
        }
        if (!dc->bus_type || !object_dynamic_cast(OBJECT(bus), dc->bus_type)) {
            error_setg(errp, "Device '%s' can't go on %s bus", driver,
                       object_get_typename(OBJECT(bus)));
            return NULL;
        }
    } else if (dc->bus_type) {
        bus = qbus_find(dc->bus_type, NULL);
        if (!bus) {
            error_setg(errp, "No '%s' bus found for device '%s'",
                       dc->bus_type, driver);
            return NULL;
        }
    }

    dev = qdev_new(driver);
    for (const QDictEntry *e = qdict_first(opts); e; e = qdict_next(opts, e)) {
        const char *key = qdict_entry_key(e);
        QObject *value = qdict_entry_value(e);
        if (!strcmp(key, "driver") || !strcmp(key, "id") ||
            !strcmp(key, "bus")) {
            continue;
        }
        if (qobject_type(value) == QTYPE_QSTRING) {
            object_property_parse(OBJECT(dev), key, qstring_get_str(value),
                                  &err);
        } else {
            object_property_set(OBJECT(dev), key, value, &err);
        }
        if (err) {
            goto fail;
        }
    }
    if (id) {
        qdev_set_id(dev, id);
        object_property_add_child(container_get(qdev_get_machine(),
                                                "/peripheral"), id,
                                  OBJECT(dev));
    } else {
        object_property_add_child(container_get(qdev_get_machine(),
                                                "/peripheral-anon"),
                                  "device[*]", OBJECT(dev));
    }
    if (!qdev_realize(dev, bus, &err)) {
        object_unparent(OBJECT(dev));
        goto fail;
    }
    object_unref(OBJECT(dev));
    return dev;

fail:
    error_propagate(errp, err);
    object_unref(OBJECT(dev));
    return NULL;
}

DeviceState *qdev_device_add(const char *optstr, bool *help_printed,
                             Error **errp)
{
    *help_printed = false;
    if (!strcmp(optstr, "help") || !strcmp(optstr, "?")) {
        qdev_print_device_list(stdout);
        *help_printed = true;
        return NULL;
    }
    /* "driver,help": the driver's properties. */
    const char *comma = strchr(optstr, ',');
    if (comma && (!strcmp(comma, ",help") || !strcmp(comma, ",?"))) {
        char *driver = xstrndup(optstr, comma - optstr);
        *help_printed = qdev_print_device_properties(stdout, driver, errp);
        free(driver);
        return NULL;
    }
    QObject *opts = keyval_parse(optstr, "driver", errp);
    if (!opts) {
        return NULL;
    }
    DeviceState *dev = qdev_device_add_from_qdict(opts, errp);
    qobject_unref(opts);
    return dev;
}

bool qdev_device_del(const char *id_or_path, Error **errp)
{
    Object *obj = object_resolve_path_component(
        container_get(qdev_get_machine(), "/peripheral"), id_or_path);
    if (!obj) {
        obj = object_resolve_path_type(id_or_path, TYPE_DEVICE, NULL);
    }
    if (!obj) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "Device '%s' not found", id_or_path);
        return false;
    }
    return qdev_unplug(DEVICE(obj), errp);
}
