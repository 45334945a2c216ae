/*
 * Static device properties: class properties backed by a field of the
 * device state, settable only before realize.
 */
#include "hw/qdev-properties.h"

void *object_field_prop_ptr(Object *obj, const Property *prop)
{
    return (char *)obj + prop->offset;
}

void qdev_prop_set_after_realize(DeviceState *dev, const char *name,
                                 Error **errp)
{
    if (dev->id) {
        error_setg(errp, "Attempt to set property '%s' on device '%s' "
                   "(type '%s') after it was realized", name, dev->id,
                   object_get_typename(OBJECT(dev)));
    } else {
        error_setg(errp, "Attempt to set property '%s' on anonymous device "
                   "(type '%s') after it was realized", name,
                   object_get_typename(OBJECT(dev)));
    }
}

static bool qdev_prop_allow_set(Object *obj, const char *name, Error **errp)
{
    DeviceState *dev = DEVICE(obj);
    if (dev->realized) {
        qdev_prop_set_after_realize(dev, name, errp);
        return false;
    }
    return true;
}

static void set_default_value_uint(ObjectProperty *op, const Property *prop)
{
    object_property_set_default(op, qnum_from_uint(prop->defval.u));
}

static void set_default_value_int(ObjectProperty *op, const Property *prop)
{
    object_property_set_default(op, qnum_from_int(prop->defval.i));
}

static void set_default_value_bool(ObjectProperty *op, const Property *prop)
{
    object_property_set_default(op, qbool_from_bool(prop->defval.u));
}

static QObject *get_bool(Object *obj, ObjectProperty *op, Error **errp)
{
    return qbool_from_bool(*(bool *)object_field_prop_ptr(obj, op->opaque));
}

static bool set_bool(Object *obj, ObjectProperty *op, QObject *value,
                     Error **errp)
{
    bool v;
    if (!qdev_prop_allow_set(obj, op->name, errp) ||
        !qobject_get_bool_checked(value, op->name, &v, errp)) {
        return false;
    }
    *(bool *)object_field_prop_ptr(obj, op->opaque) = v;
    return true;
}

const PropertyInfo qdev_prop_bool = {
    .type = "bool",
    .get = get_bool,
    .set = set_bool,
    .set_default_value = set_default_value_bool,
};

#define DEFINE_UINT_PROP_INFO(bits)                                     \
static QObject *get_uint##bits(Object *obj, ObjectProperty *op,         \
                               Error **errp)                            \
{                                                                       \
    return qnum_from_uint(                                              \
        *(uint##bits##_t *)object_field_prop_ptr(obj, op->opaque));     \
}                                                                       \
static bool set_uint##bits(Object *obj, ObjectProperty *op,             \
                           QObject *value, Error **errp)                \
{                                                                       \
    uint64_t v;                                                         \
    if (!qdev_prop_allow_set(obj, op->name, errp) ||                    \
        !qobject_get_uint_in_range(value, op->name, UINT##bits##_MAX,   \
                                   &v, errp)) {                         \
        return false;                                                   \
    }                                                                   \
    *(uint##bits##_t *)object_field_prop_ptr(obj, op->opaque) = v;      \
    return true;                                                        \
}                                                                       \
const PropertyInfo qdev_prop_uint##bits = {                             \
    .type = "uint" #bits,                                               \
    .get = get_uint##bits,                                              \
    .set = set_uint##bits,                                              \
    .set_default_value = set_default_value_uint,                        \
};

DEFINE_UINT_PROP_INFO(8)
DEFINE_UINT_PROP_INFO(16)
DEFINE_UINT_PROP_INFO(32)
DEFINE_UINT_PROP_INFO(64)

static QObject *get_int32(Object *obj, ObjectProperty *op, Error **errp)
{
    return qnum_from_int(*(int32_t *)object_field_prop_ptr(obj, op->opaque));
}

static bool set_int32(Object *obj, ObjectProperty *op, QObject *value,
                      Error **errp)
{
    int64_t v;
    if (!qdev_prop_allow_set(obj, op->name, errp) ||
        !qobject_get_int_in_range(value, op->name, INT32_MIN, INT32_MAX, &v,
                                  errp)) {
        return false;
    }
    *(int32_t *)object_field_prop_ptr(obj, op->opaque) = v;
    return true;
}

const PropertyInfo qdev_prop_int32 = {
    .type = "int32",
    .get = get_int32,
    .set = set_int32,
    .set_default_value = set_default_value_int,
};

static QObject *get_string(Object *obj, ObjectProperty *op, Error **errp)
{
    char *s = *(char **)object_field_prop_ptr(obj, op->opaque);
    return qstring_from_str(s ? s : "");
}

static bool set_string(Object *obj, ObjectProperty *op, QObject *value,
                       Error **errp)
{
    char **ptr = object_field_prop_ptr(obj, op->opaque);
    const char *s;
    if (!qdev_prop_allow_set(obj, op->name, errp) ||
        !(s = qobject_get_str_checked(value, op->name, errp))) {
        return false;
    }
    free(*ptr);
    *ptr = xstrdup(s);
    return true;
}

static void release_string(Object *obj, const char *name, void *opaque)
{
    char **ptr = object_field_prop_ptr(obj, opaque);
    free(*ptr);
    *ptr = NULL;
}

const PropertyInfo qdev_prop_string = {
    .type = "str",
    .get = get_string,
    .set = set_string,
    .release = release_string,
};

void device_class_set_props(DeviceClass *dc, const Property *props)
{
    ObjectClass *oc = OBJECT_CLASS(dc);

    dc->props_ = props;
    for (const Property *prop = props; prop->name; prop++) {
        ObjectProperty *op = object_class_property_add(oc, prop->name,
                                                       prop->info->type,
                                                       prop->info->get,
                                                       prop->info->set,
                                                       prop->info->release,
                                                       (void *)prop);
        if (prop->set_default && prop->info->set_default_value) {
            prop->info->set_default_value(op, prop);
        }
        const char *desc = prop->description ? prop->description
                                             : prop->info->description;
        if (desc) {
            object_class_property_set_description(oc, prop->name, desc);
        }
    }
}

void qdev_prop_set_bit(DeviceState *dev, const char *name, bool value)
{
    object_property_set_bool(OBJECT(dev), name, value, &error_abort);
}

void qdev_prop_set_uint8(DeviceState *dev, const char *name, uint8_t value)
{
    object_property_set_uint(OBJECT(dev), name, value, &error_abort);
}

void qdev_prop_set_uint16(DeviceState *dev, const char *name, uint16_t value)
{
    object_property_set_uint(OBJECT(dev), name, value, &error_abort);
}

void qdev_prop_set_uint32(DeviceState *dev, const char *name, uint32_t value)
{
    object_property_set_uint(OBJECT(dev), name, value, &error_abort);
}

void qdev_prop_set_uint64(DeviceState *dev, const char *name, uint64_t value)
{
    object_property_set_uint(OBJECT(dev), name, value, &error_abort);
}

void qdev_prop_set_int32(DeviceState *dev, const char *name, int32_t value)
{
    object_property_set_int(OBJECT(dev), name, value, &error_abort);
}

void qdev_prop_set_string(DeviceState *dev, const char *name,
                          const char *value)
{
    object_property_set_str(OBJECT(dev), name, value, &error_abort);
}
