/*
 * Static device properties, after QEMU's include/hw/qdev-properties.h.
 *
 *   static const Property foo_properties[] = {
 *       DEFINE_PROP_UINT32("iobase", FooState, iobase, 0x402),
 *       DEFINE_PROP_STRING("name", FooState, name),
 *       DEFINE_PROP_END_OF_LIST(),
 *   };
 *   device_class_set_props(dc, foo_properties);
 *
 * They become class properties of the device type, with defaults applied
 * to each new instance, and can be set only before realize.
 */
#ifndef HW_QDEV_PROPERTIES_H
#define HW_QDEV_PROPERTIES_H

#include "hw/qdev-core.h"

typedef struct PropertyInfo PropertyInfo;

struct Property {
    const char *name;
    const PropertyInfo *info;
    ptrdiff_t offset;
    bool set_default;
    union {
        int64_t i;
        uint64_t u;
    } defval;
    const char *description;
};

struct PropertyInfo {
    const char *type;           /* "uint32", "str", ... */
    const char *description;
    ObjectPropertyGet *get;     /* opaque: the Property */
    ObjectPropertySet *set;
    void (*set_default_value)(ObjectProperty *op, const Property *prop);
    ObjectPropertyRelease *release;
};

extern const PropertyInfo qdev_prop_bool;
extern const PropertyInfo qdev_prop_uint8;
extern const PropertyInfo qdev_prop_uint16;
extern const PropertyInfo qdev_prop_uint32;
extern const PropertyInfo qdev_prop_uint64;
extern const PropertyInfo qdev_prop_int32;
extern const PropertyInfo qdev_prop_string;

/*
 * Compile-time check that a field has the type the property expects: a
 * negative array size otherwise.  (QEMU subtracts null pointers, which is
 * undefined behaviour that clang rejects.)
 */
#define qdev_type_check(t1, t2) \
    (0 * sizeof(char[1 - 2 * !__builtin_types_compatible_p(t1, t2)]))
#define qdev_typeof_field(type, field) typeof(((type *)0)->field)

#define DEFINE_PROP(_name, _state, _field, _prop, _type, ...) {         \
        .name = (_name),                                                \
        .info = &(_prop),                                               \
        .offset = offsetof(_state, _field) +                            \
            qdev_type_check(_type, qdev_typeof_field(_state, _field)),  \
        __VA_ARGS__                                                     \
    }
#define DEFINE_PROP_SIGNED(_name, _state, _field, _defval, _prop, _type) \
    DEFINE_PROP(_name, _state, _field, _prop, _type,                    \
                .set_default = true, .defval.i = (_type)(_defval))
#define DEFINE_PROP_UNSIGNED(_name, _state, _field, _defval, _prop, _type) \
    DEFINE_PROP(_name, _state, _field, _prop, _type,                    \
                .set_default = true, .defval.u = (_type)(_defval))

#define DEFINE_PROP_BOOL(_n, _s, _f, _d) \
    DEFINE_PROP_UNSIGNED(_n, _s, _f, _d, qdev_prop_bool, bool)
#define DEFINE_PROP_UINT8(_n, _s, _f, _d) \
    DEFINE_PROP_UNSIGNED(_n, _s, _f, _d, qdev_prop_uint8, uint8_t)
#define DEFINE_PROP_UINT16(_n, _s, _f, _d) \
    DEFINE_PROP_UNSIGNED(_n, _s, _f, _d, qdev_prop_uint16, uint16_t)
#define DEFINE_PROP_UINT32(_n, _s, _f, _d) \
    DEFINE_PROP_UNSIGNED(_n, _s, _f, _d, qdev_prop_uint32, uint32_t)
#define DEFINE_PROP_UINT64(_n, _s, _f, _d) \
    DEFINE_PROP_UNSIGNED(_n, _s, _f, _d, qdev_prop_uint64, uint64_t)
#define DEFINE_PROP_INT32(_n, _s, _f, _d) \
    DEFINE_PROP_SIGNED(_n, _s, _f, _d, qdev_prop_int32, int32_t)
#define DEFINE_PROP_STRING(_n, _s, _f) \
    DEFINE_PROP(_n, _s, _f, qdev_prop_string, char *)
#define DEFINE_PROP_END_OF_LIST() { 0 }

/* Where a static property lives in an object. */
void *object_field_prop_ptr(Object *obj, const Property *prop);

/* "Attempt to set property 'x' on device 'id' (type 't') after it was
 * realized" (or "on anonymous device" without an id). */
void qdev_prop_set_after_realize(DeviceState *dev, const char *name,
                                 Error **errp);

/* Setters for board code: a failure is a programming error (aborts). */
void qdev_prop_set_bit(DeviceState *dev, const char *name, bool value);
void qdev_prop_set_uint8(DeviceState *dev, const char *name, uint8_t value);
void qdev_prop_set_uint16(DeviceState *dev, const char *name,
                          uint16_t value);
void qdev_prop_set_uint32(DeviceState *dev, const char *name,
                          uint32_t value);
void qdev_prop_set_uint64(DeviceState *dev, const char *name,
                          uint64_t value);
void qdev_prop_set_int32(DeviceState *dev, const char *name, int32_t value);
void qdev_prop_set_string(DeviceState *dev, const char *name,
                          const char *value);

#endif
