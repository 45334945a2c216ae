/*
 * QOM introspection for the monitor: qom-list-types, qom-list, qom-get,
 * qom-set, device-list-properties, qom-list-properties.
 */
#include "qom/introspect.h"
#include "hw/qdev-core.h"

static void list_type(ObjectClass *klass, void *opaque)
{
    QObject *info = qdict_new();
    ObjectClass *parent = object_class_get_parent(klass);

    qdict_put_str(info, "name", object_class_get_name(klass));
    if (object_class_is_abstract(klass)) {
        qdict_put_bool(info, "abstract", true);
    }
    if (parent) {
        qdict_put_str(info, "parent", object_class_get_name(parent));
    }
    qlist_append(opaque, info);
}

QObject *qmp_qom_list_types(const char *implements, bool abstract,
                            Error **errp)
{
    QObject *list = qlist_new();
    size_t n;
    ObjectClass **classes;

    /* An unknown @implements matches nothing, as in QEMU. */
    classes = object_class_get_list_sorted(implements, abstract, &n);
    for (size_t i = 0; i < n; i++) {
        list_type(classes[i], list);
    }
    free(classes);
    return list;
}

Object *qom_resolve_path(const char *path, Error **errp)
{
    bool ambiguous = false;
    Object *obj = object_resolve_path(path, &ambiguous);

    if (!obj) {
        if (ambiguous) {
            error_setg(errp, "Path '%s' is ambiguous", path);
        } else {
            error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                      "Device '%s' not found", path);
        }
    }
    return obj;
}

static QObject *property_info(ObjectProperty *prop, bool with_default)
{
    QObject *info = qdict_new();

    qdict_put_str(info, "name", prop->name);
    qdict_put_str(info, "type", prop->type);
    if (prop->description) {
        qdict_put_str(info, "description", prop->description);
    }
    if (with_default && prop->defval) {
        qdict_put(info, "default-value", qobject_ref(prop->defval));
    }
    return info;
}

static void list_property(Object *obj, ObjectProperty *prop, void *opaque)
{
    qlist_append(opaque, property_info(prop, false));
}

QObject *qmp_qom_list(const char *path, Error **errp)
{
    Object *obj = qom_resolve_path(path, errp);
    QObject *list;

    if (!obj) {
        return NULL;
    }
    list = qlist_new();
    object_property_foreach(obj, list_property, list);
    return list;
}

QObject *qmp_qom_get(const char *path, const char *property, Error **errp)
{
    Object *obj = qom_resolve_path(path, errp);
    return obj ? object_property_get(obj, property, errp) : NULL;
}

bool qmp_qom_set(const char *path, const char *property, QObject *value,
                 Error **errp)
{
    Object *obj = qom_resolve_path(path, errp);
    return obj && object_property_set(obj, property, value, errp);
}

static void list_device_property(Object *obj, ObjectProperty *prop,
                                 void *opaque)
{
    static const char *const internal[] = {
        "type", "realized", "hotpluggable", "hotplugged", "parent_bus",
    };

    /* What every device has says nothing about this one. */
    for (size_t i = 0; i < ARRAY_SIZE(internal); i++) {
        if (!strcmp(prop->name, internal[i])) {
            return;
        }
    }
    if (strstart(prop->name, "legacy-", NULL) ||
        object_property_is_child(prop)) {
        return;
    }
    qlist_append(opaque, property_info(prop, true));
}

QObject *qmp_device_list_properties(const char *typename, Error **errp)
{
    ObjectClass *klass = object_class_by_name(typename);
    QObject *list;
    Object *obj;

    if (!klass) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "Device '%s' not found", typename);
        return NULL;
    }
    if (!object_class_dynamic_cast(klass, TYPE_DEVICE) ||
        object_class_is_abstract(klass)) {
        error_setg(errp, "Parameter 'typename' expects a non-abstract "
                   "device type");
        return NULL;
    }
    /* A throw-away instance: some properties exist only on instances. */
    obj = object_new(typename);
    list = qlist_new();
    object_property_foreach(obj, list_device_property, list);
    object_unref(obj);
    return list;
}

static void list_object_property(Object *obj, ObjectProperty *prop,
                                 void *opaque)
{
    qlist_append(opaque, property_info(prop, true));
}

QObject *qmp_qom_list_properties(const char *typename, Error **errp)
{
    ObjectClass *klass = object_class_by_name(typename);
    QObject *list;

    if (!klass) {
        error_setg(errp, "Class '%s' not found", typename);
        return NULL;
    }
    if (!object_class_dynamic_cast(klass, TYPE_OBJECT)) {
        error_setg(errp, "Parameter 'typename' expects an object type");
        return NULL;
    }
    list = qlist_new();
    if (object_class_is_abstract(klass)) {
        /* No instance: the class properties are all there is. */
        for (ObjectClass *k = klass; k; k = object_class_get_parent(k)) {
            ObjectProperty *prop;
            QTAILQ_FOREACH(prop, &k->properties, node) {
                qlist_append(list, property_info(prop, true));
            }
        }
    } else {
        Object *obj = object_new(typename);
        object_property_foreach(obj, list_object_property, list);
        object_unref(obj);
    }
    return list;
}
