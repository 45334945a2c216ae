/*
 * QOM: the object model, after QEMU's include/qom/object.h.
 *
 * Types are described by a TypeInfo and registered from a constructor
 * (type_init).  A type's class is created lazily, the first time it is
 * needed: the parent's class is copied into the child's, then every
 * ancestor's class_base_init and the type's own class_init run.  Objects
 * are reference counted; the last object_unref() runs instance_finalize
 * from the most derived type up to TYPE_OBJECT, releases every property
 * (children are unparented and unreferenced) and frees the memory.
 *
 * Interfaces are abstract types derived from TYPE_INTERFACE.  A class that
 * implements one gets its own copy of the interface class (named
 * "<type>::<interface>"), which its class_init may fill through the usual
 * cast macro, e.g. RESETTABLE_CLASS(klass)->phases.enter = ...
 *
 * Properties have a name, a type string ("bool", "uint32", "link<T>",
 * "child<T>", ...) and get/set callbacks that exchange values as QObjects.
 * Objects form a composition tree through child<> properties; the tree's
 * root is object_get_root() and an object's canonical path names the
 * child<> properties from the root down ("/machine/unattached/device[0]").
 *
 * Everything here runs under the big lock; nothing is thread safe on its own.
 */
#ifndef QOM_OBJECT_H
#define QOM_OBJECT_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/queue.h"
#include "util/qobject.h"

typedef struct TypeImpl *Type;
typedef struct Object Object;
typedef struct ObjectClass ObjectClass;
typedef struct InterfaceClass InterfaceClass;
typedef struct ObjectProperty ObjectProperty;

#define TYPE_OBJECT "object"
#define TYPE_INTERFACE "interface"
#define TYPE_CONTAINER "container"

/* Property callbacks.  Values are QObjects: the getter returns a new
 * reference, the setter borrows @value. */
typedef QObject *ObjectPropertyGet(Object *obj, ObjectProperty *prop,
                                   Error **errp);
typedef bool ObjectPropertySet(Object *obj, ObjectProperty *prop,
                               QObject *value, Error **errp);
typedef void ObjectPropertyRelease(Object *obj, const char *name,
                                   void *opaque);
/* Follows a child<> or link<> property during path resolution. */
typedef Object *ObjectPropertyResolve(Object *obj, void *opaque,
                                      const char *part);
/* Sets an instance's initial value of a class property. */
typedef void ObjectPropertyInit(Object *obj, ObjectProperty *prop);

struct ObjectProperty {
    char *name;
    char *type;
    char *description;
    ObjectPropertyGet *get;
    ObjectPropertySet *set;
    ObjectPropertyResolve *resolve;
    ObjectPropertyRelease *release;
    ObjectPropertyInit *init;
    void *opaque;
    QObject *defval;                    /* default value, or NULL */
    QTAILQ_ENTRY(ObjectProperty) node;
};

typedef QTAILQ_HEAD(ObjectPropertyList, ObjectProperty) ObjectPropertyList;

typedef void ObjectUnparent(Object *obj);
typedef void ObjectFree(void *obj);

struct ObjectClass {
    Type type;
    /* InterfaceClass copies implemented by this class, in order. */
    InterfaceClass **interfaces;
    size_t num_interfaces;
    ObjectUnparent *unparent;
    ObjectPropertyList properties;
};

struct Object {
    ObjectClass *class;
    ObjectFree *free;
    ObjectPropertyList properties;
    uint32_t ref;
    Object *parent;
};

typedef struct InterfaceInfo {
    const char *type;
} InterfaceInfo;

typedef struct TypeInfo {
    const char *name;
    const char *parent;

    size_t instance_size;
    size_t instance_align;
    void (*instance_init)(Object *obj);
    /* Runs after every instance_init, parent type first. */
    void (*instance_post_init)(Object *obj);
    void (*instance_finalize)(Object *obj);

    bool abstract;
    size_t class_size;

    void (*class_init)(ObjectClass *klass, const void *data);
    /* Called for every subclass before its class_init, e.g. to clear
     * fields that must not be inherited. */
    void (*class_base_init)(ObjectClass *klass, const void *data);
    const void *class_data;

    const InterfaceInfo *interfaces;    /* terminated by { NULL } */
} TypeInfo;

struct InterfaceClass {
    ObjectClass parent_class;
    ObjectClass *concrete_class;
    Type interface_type;
};

/* Registration, from a constructor: type_init(register_types). */
#define type_init(function)                                             \
    static void __attribute__((constructor)) do_type_init_##function(void) \
    {                                                                   \
        function();                                                     \
    }

Type type_register_static(const TypeInfo *info);
/* Register an array of TypeInfos (DEFINE_TYPES helper). */
void type_register_static_array(const TypeInfo *infos, int nr_infos);
#define DEFINE_TYPES(type_array)                                        \
    static void do_define_types_##type_array(void)                      \
    {                                                                   \
        type_register_static_array(type_array, ARRAY_SIZE(type_array)); \
    }                                                                   \
    type_init(do_define_types_##type_array)

/* Casts. */
#define OBJECT(obj) ((Object *)(obj))
#define OBJECT_CLASS(klass) ((ObjectClass *)(klass))

#define OBJECT_CHECK(type, obj, name)                                   \
    ((type *)object_dynamic_cast_assert(OBJECT(obj), (name),            \
                                        __FILE__, __LINE__, __func__))
#define OBJECT_CLASS_CHECK(class_type, class, name)                     \
    ((class_type *)object_class_dynamic_cast_assert(OBJECT_CLASS(class), \
                                        (name), __FILE__, __LINE__, __func__))
#define OBJECT_GET_CLASS(class, obj, name)                              \
    OBJECT_CLASS_CHECK(class, object_get_class(OBJECT(obj)), name)

#define INTERFACE_CHECK(interface, obj, name) \
    ((interface *)object_dynamic_cast_assert(OBJECT((obj)), (name), \
                                             __FILE__, __LINE__, __func__))
#define INTERFACE_CLASS(klass) \
    OBJECT_CLASS_CHECK(InterfaceClass, klass, TYPE_INTERFACE)

#define DECLARE_INSTANCE_CHECKER(InstanceType, OBJ_NAME, TYPENAME)      \
    static inline UNUSED InstanceType *OBJ_NAME(const void *obj)        \
    { return OBJECT_CHECK(InstanceType, obj, TYPENAME); }

#define DECLARE_CLASS_CHECKERS(ClassType, OBJ_NAME, TYPENAME)           \
    static inline UNUSED ClassType *OBJ_NAME##_GET_CLASS(const void *obj) \
    { return OBJECT_GET_CLASS(ClassType, obj, TYPENAME); }              \
    static inline UNUSED ClassType *OBJ_NAME##_CLASS(const void *klass) \
    { return OBJECT_CLASS_CHECK(ClassType, klass, TYPENAME); }

#define DECLARE_OBJ_CHECKERS(InstanceType, ClassType, OBJ_NAME, TYPENAME) \
    DECLARE_INSTANCE_CHECKER(InstanceType, OBJ_NAME, TYPENAME)          \
    DECLARE_CLASS_CHECKERS(ClassType, OBJ_NAME, TYPENAME)

/*
 * OBJECT_DECLARE_TYPE(FooState, FooClass, FOO) declares the typedefs and
 * FOO(obj), FOO_GET_CLASS(obj), FOO_CLASS(klass) for TYPE_FOO.
 */
#define OBJECT_DECLARE_TYPE(InstanceType, ClassType, MODULE_OBJ_NAME)   \
    typedef struct InstanceType InstanceType;                           \
    typedef struct ClassType ClassType;                                 \
    DECLARE_OBJ_CHECKERS(InstanceType, ClassType,                       \
                         MODULE_OBJ_NAME, TYPE_##MODULE_OBJ_NAME)

#define OBJECT_DECLARE_SIMPLE_TYPE(InstanceType, MODULE_OBJ_NAME)       \
    typedef struct InstanceType InstanceType;                           \
    DECLARE_INSTANCE_CHECKER(InstanceType, MODULE_OBJ_NAME,             \
                             TYPE_##MODULE_OBJ_NAME)

/* Object life cycle. */
Object *object_new(const char *typename);
Object *object_new_with_type(Type type);
/* Initialise an object embedded in another structure (size bytes). */
void object_initialize(void *obj, size_t size, const char *typename);
/* object_initialize + add as child of @parentobj under @propname; the
 * parent's reference is the only one left. */
void object_initialize_child(Object *parentobj, const char *propname,
                             void *childobj, size_t size, const char *type);
Object *object_ref(void *obj);
void object_unref(void *obj);
/* Remove obj from its parent (drops the parent's reference). */
void object_unparent(Object *obj);

/* Casts and type queries. */
Object *object_dynamic_cast(Object *obj, const char *typename);
Object *object_dynamic_cast_assert(Object *obj, const char *typename,
                                   const char *file, int line,
                                   const char *func);
ObjectClass *object_class_dynamic_cast(ObjectClass *klass,
                                       const char *typename);
ObjectClass *object_class_dynamic_cast_assert(ObjectClass *klass,
                                              const char *typename,
                                              const char *file, int line,
                                              const char *func);
/*
 * The message a failed checked cast aborts with:
 *   "Object 0x... is not an instance of type X (it is a Y)"
 * Returns NULL when the cast would succeed.  Caller frees.
 */
char *object_cast_error_message(Object *obj, const char *typename);
char *object_class_cast_error_message(ObjectClass *klass,
                                      const char *typename);

ObjectClass *object_get_class(Object *obj);
const char *object_get_typename(const Object *obj);
const char *object_class_get_name(ObjectClass *klass);
ObjectClass *object_class_by_name(const char *typename);
ObjectClass *object_class_get_parent(ObjectClass *klass);
bool object_class_is_abstract(ObjectClass *klass);
Type type_get_by_name(const char *name);
/*
 * Classes of every registered type that implements (or derives from)
 * @implements_type (NULL: any), in registration order.  NULL-terminated
 * array; free() it.  *count may be NULL.
 */
ObjectClass **object_class_get_list(const char *implements_type,
                                    bool include_abstract, size_t *count);
/* Same, sorted by type name. */
ObjectClass **object_class_get_list_sorted(const char *implements_type,
                                           bool include_abstract,
                                           size_t *count);
void object_class_foreach(void (*fn)(ObjectClass *klass, void *opaque),
                          const char *implements_type, bool include_abstract,
                          void *opaque);

/* Properties. */
ObjectProperty *object_property_try_add(Object *obj, const char *name,
                                        const char *type,
                                        ObjectPropertyGet *get,
                                        ObjectPropertySet *set,
                                        ObjectPropertyRelease *release,
                                        void *opaque, Error **errp);
/* As try_add; a duplicate name is a programming error and aborts.
 * A name ending in "[*]" gets the first free "[N]" instead. */
ObjectProperty *object_property_add(Object *obj, const char *name,
                                    const char *type,
                                    ObjectPropertyGet *get,
                                    ObjectPropertySet *set,
                                    ObjectPropertyRelease *release,
                                    void *opaque);
ObjectProperty *object_class_property_add(ObjectClass *klass,
                                          const char *name, const char *type,
                                          ObjectPropertyGet *get,
                                          ObjectPropertySet *set,
                                          ObjectPropertyRelease *release,
                                          void *opaque);
void object_property_del(Object *obj, const char *name);
void object_property_set_description(Object *obj, const char *name,
                                     const char *description);
void object_class_property_set_description(ObjectClass *klass,
                                           const char *name,
                                           const char *description);
/* Default value of a (class) property; takes @value's reference.  Each new
 * instance starts with it (the setter is called at instance creation). */
void object_property_set_default(ObjectProperty *prop, QObject *value);

ObjectProperty *object_property_find(Object *obj, const char *name);
ObjectProperty *object_property_find_err(Object *obj, const char *name,
                                         Error **errp);
ObjectProperty *object_class_property_find(ObjectClass *klass,
                                           const char *name);
/* Visit class properties (most derived class first) then instance ones. */
void object_property_foreach(Object *obj,
                             void (*fn)(Object *obj, ObjectProperty *prop,
                                        void *opaque),
                             void *opaque);

QObject *object_property_get(Object *obj, const char *name, Error **errp);
bool object_property_set(Object *obj, const char *name, QObject *value,
                         Error **errp);
static inline QObject *object_property_get_qobject(Object *obj,
                                                   const char *name,
                                                   Error **errp)
{
    return object_property_get(obj, name, errp);
}
static inline bool object_property_set_qobject(Object *obj, const char *name,
                                               QObject *value, Error **errp)
{
    return object_property_set(obj, name, value, errp);
}
bool object_property_get_bool(Object *obj, const char *name, Error **errp);
int64_t object_property_get_int(Object *obj, const char *name, Error **errp);
uint64_t object_property_get_uint(Object *obj, const char *name,
                                  Error **errp);
char *object_property_get_str(Object *obj, const char *name, Error **errp);
/* Target of a link<> (or child<>) property, or NULL. */
Object *object_property_get_link(Object *obj, const char *name, Error **errp);
bool object_property_set_bool(Object *obj, const char *name, bool value,
                              Error **errp);
bool object_property_set_int(Object *obj, const char *name, int64_t value,
                             Error **errp);
bool object_property_set_uint(Object *obj, const char *name, uint64_t value,
                              Error **errp);
bool object_property_set_str(Object *obj, const char *name,
                             const char *value, Error **errp);
bool object_property_set_link(Object *obj, const char *name, Object *value,
                              Error **errp);
/* Parse @string according to the property's type (as -device foo,x=v). */
bool object_property_parse(Object *obj, const char *name, const char *string,
                           Error **errp);
/* The value as text: "true", "42", "\"str\"", a path.  With @human,
 * integers read "1026 (0x402)".  Caller frees; NULL on error. */
char *object_property_print(Object *obj, const char *name, bool human,
                            Error **errp);
const char *object_property_get_type(Object *obj, const char *name,
                                     Error **errp);
bool object_property_is_child(ObjectProperty *prop);
bool object_property_is_link(ObjectProperty *prop);

/*
 * Helpers shared by property implementations: take the integer out of
 * @value (borrowed) if it is an integer in [min, max], else set
 *   "Invalid parameter type for 'x', expected: integer"
 *   "Parameter 'x' expects a value between A and B"
 */
bool qobject_get_int_in_range(QObject *value, const char *name,
                              int64_t min, int64_t max, int64_t *result,
                              Error **errp);
bool qobject_get_uint_in_range(QObject *value, const char *name,
                               uint64_t max, uint64_t *result, Error **errp);
bool qobject_get_bool_checked(QObject *value, const char *name, bool *result,
                              Error **errp);
const char *qobject_get_str_checked(QObject *value, const char *name,
                                    Error **errp);

/* Typed helpers with callbacks. */
ObjectProperty *object_property_add_bool(Object *obj, const char *name,
                                         bool (*get)(Object *, Error **),
                                         void (*set)(Object *, bool,
                                                     Error **));
ObjectProperty *object_class_property_add_bool(ObjectClass *klass,
                                               const char *name,
                                               bool (*get)(Object *,
                                                           Error **),
                                               void (*set)(Object *, bool,
                                                           Error **));
/* get returns a malloc'ed string the caller frees. */
ObjectProperty *object_property_add_str(Object *obj, const char *name,
                                        char *(*get)(Object *, Error **),
                                        void (*set)(Object *, const char *,
                                                    Error **));
ObjectProperty *object_class_property_add_str(ObjectClass *klass,
                                              const char *name,
                                              char *(*get)(Object *,
                                                           Error **),
                                              void (*set)(Object *,
                                                          const char *,
                                                          Error **));
ObjectProperty *object_property_add_int(Object *obj, const char *name,
                                        int64_t (*get)(Object *, Error **),
                                        void (*set)(Object *, int64_t,
                                                    Error **));
ObjectProperty *object_property_add_uint64(Object *obj, const char *name,
                                           uint64_t (*get)(Object *,
                                                           Error **),
                                           void (*set)(Object *, uint64_t,
                                                       Error **));
ObjectProperty *object_property_add_uint32(Object *obj, const char *name,
                                           uint32_t (*get)(Object *,
                                                           Error **),
                                           void (*set)(Object *, uint32_t,
                                                       Error **));

/* Properties backed by a field (QEMU's *_ptr helpers). */
typedef enum ObjectPropertyFlags {
    OBJ_PROP_FLAG_READ = 1 << 0,
    OBJ_PROP_FLAG_WRITE = 1 << 1,
    OBJ_PROP_FLAG_READWRITE = OBJ_PROP_FLAG_READ | OBJ_PROP_FLAG_WRITE,
} ObjectPropertyFlags;
ObjectProperty *object_property_add_bool_ptr(Object *obj, const char *name,
                                             bool *v,
                                             ObjectPropertyFlags flags);
ObjectProperty *object_property_add_uint8_ptr(Object *obj, const char *name,
                                              uint8_t *v,
                                              ObjectPropertyFlags flags);
ObjectProperty *object_property_add_uint16_ptr(Object *obj, const char *name,
                                               uint16_t *v,
                                               ObjectPropertyFlags flags);
ObjectProperty *object_property_add_uint32_ptr(Object *obj, const char *name,
                                               uint32_t *v,
                                               ObjectPropertyFlags flags);
ObjectProperty *object_property_add_uint64_ptr(Object *obj, const char *name,
                                               uint64_t *v,
                                               ObjectPropertyFlags flags);
ObjectProperty *object_property_add_int32_ptr(Object *obj, const char *name,
                                              int32_t *v,
                                              ObjectPropertyFlags flags);

/* Links. */
typedef enum ObjectPropertyLinkFlags {
    OBJ_PROP_LINK_STRONG = 1 << 0,  /* the link holds a reference */
} ObjectPropertyLinkFlags;
/* May refuse a new target (the old one is still in place). */
typedef void ObjectPropertyLinkCheck(const Object *obj, const char *name,
                                     Object *val, Error **errp);
void object_property_allow_set_link(const Object *obj, const char *name,
                                    Object *val, Error **errp);
/*
 * Type string "link<@type>"; the value is the target's canonical path ("" for
 * none) and the setter takes a path (or "" to clear).  Without @check the
 * link is read-only (object_property_allow_set_link allows any target).
 */
ObjectProperty *object_property_add_link(Object *obj, const char *name,
                                         const char *type, Object **targetp,
                                         ObjectPropertyLinkCheck *check,
                                         ObjectPropertyLinkFlags flags);
/* Resolve @path for a link<@target_type> property named @name. */
Object *object_resolve_link(const char *name, const char *path,
                            const char *target_type, Error **errp);

/* Composition. */
/* Adds child<T> property @name; takes a reference to @child.  Fails if
 * the child already has a parent or the name is taken. */
ObjectProperty *object_property_try_add_child(Object *obj, const char *name,
                                              Object *child, Error **errp);
ObjectProperty *object_property_add_child(Object *obj, const char *name,
                                          Object *child);
Object *object_get_root(void);
/* Find or create the containers along @path (relative to @root). */
Object *container_get(Object *root, const char *path);
Object *object_new_container(Object *parent, const char *name);
/* "/machine/unattached/device[3]"; "/" for the root; NULL when @obj is not
 * in the tree.  Caller frees. */
char *object_get_canonical_path(const Object *obj);
/* The name @obj has in its parent, or NULL.  Borrowed. */
const char *object_get_canonical_path_component(const Object *obj);
Object *object_resolve_path(const char *path, bool *ambiguous);
Object *object_resolve_path_type(const char *path, const char *typename,
                                 bool *ambiguous);
Object *object_resolve_path_at(Object *parent, const char *path);
Object *object_resolve_path_component(Object *parent, const char *part);
/* Stops at (and returns) the first non-zero return value. */
int object_child_foreach(Object *obj, int (*fn)(Object *child, void *opaque),
                         void *opaque);
int object_child_foreach_recursive(Object *obj,
                                   int (*fn)(Object *child, void *opaque),
                                   void *opaque);

#endif
