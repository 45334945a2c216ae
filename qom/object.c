/*
 * QOM core: type registry, classes, objects, casts, properties and the
 * composition tree.  See include/qom/object.h for the model.
 */
#include "qom/object.h"

typedef struct TypeImpl TypeImpl;

struct TypeImpl {
    char *name;
    char *parent;
    TypeImpl *parent_type;

    size_t class_size;
    size_t instance_size;
    size_t instance_align;

    void (*class_init)(ObjectClass *klass, const void *data);
    void (*class_base_init)(ObjectClass *klass, const void *data);
    const void *class_data;

    void (*instance_init)(Object *obj);
    void (*instance_post_init)(Object *obj);
    void (*instance_finalize)(Object *obj);

    bool abstract;

    char **interfaces;
    size_t num_interfaces;

    ObjectClass *class;

    TypeImpl *hash_next;        /* registry bucket chain */
    TypeImpl *list_next;        /* registration order */
};

/*
 * The registry.  Types register from constructors, before main() and in
 * no particular order, so it must work zero-initialised.
 */
#define TYPE_HASH_BUCKETS 512
static struct {
    TypeImpl *buckets[TYPE_HASH_BUCKETS];
    TypeImpl *first;
    TypeImpl **last;
} type_table;

static TypeImpl *type_interface;

static unsigned type_name_hash(const char *name)
{
    unsigned h = 2166136261u;
    for (; *name; name++) {
        h = (h ^ (unsigned char)*name) * 16777619u;
    }
    return h % TYPE_HASH_BUCKETS;
}

static TypeImpl *type_table_lookup(const char *name)
{
    for (TypeImpl *ti = type_table.buckets[type_name_hash(name)]; ti;
         ti = ti->hash_next) {
        if (!strcmp(ti->name, name)) {
            return ti;
        }
    }
    return NULL;
}

static TypeImpl *type_new(const TypeInfo *info)
{
    TypeImpl *ti = xnew(TypeImpl);

    ti->name = xstrdup(info->name);
    ti->parent = xstrdup(info->parent);
    ti->class_size = info->class_size;
    ti->instance_size = info->instance_size;
    ti->instance_align = info->instance_align;
    ti->class_init = info->class_init;
    ti->class_base_init = info->class_base_init;
    ti->class_data = info->class_data;
    ti->instance_init = info->instance_init;
    ti->instance_post_init = info->instance_post_init;
    ti->instance_finalize = info->instance_finalize;
    ti->abstract = info->abstract;
    for (const InterfaceInfo *i = info->interfaces; i && i->type; i++) {
        ti->num_interfaces++;
    }
    ti->interfaces = xnew_array(char *, ti->num_interfaces + 1);
    for (size_t i = 0; i < ti->num_interfaces; i++) {
        ti->interfaces[i] = xstrdup(info->interfaces[i].type);
    }
    return ti;
}

Type type_register_static(const TypeInfo *info)
{
    assert(info->name);
    if (type_table_lookup(info->name)) {
        fprintf(stderr, "Registering '%s' which already exists\n", info->name);
        abort();
    }
    TypeImpl *ti = type_new(info);
    unsigned h = type_name_hash(ti->name);

    ti->hash_next = type_table.buckets[h];
    type_table.buckets[h] = ti;
    if (!type_table.last) {
        type_table.last = &type_table.first;
    }
    *type_table.last = ti;
    type_table.last = &ti->list_next;
    return ti;
}

void type_register_static_array(const TypeInfo *infos, int nr_infos)
{
    for (int i = 0; i < nr_infos; i++) {
        type_register_static(&infos[i]);
    }
}

Type type_get_by_name(const char *name)
{
    return name ? type_table_lookup(name) : NULL;
}

static TypeImpl *type_get_parent(TypeImpl *type)
{
    if (!type->parent_type && type->parent) {
        type->parent_type = type_table_lookup(type->parent);
        if (!type->parent_type) {
            fprintf(stderr, "Type '%s' has unknown parent type '%s'\n",
                    type->name, type->parent);
            abort();
        }
    }
    return type->parent_type;
}

static bool type_is_ancestor(TypeImpl *type, TypeImpl *target)
{
    for (; type; type = type_get_parent(type)) {
        if (type == target) {
            return true;
        }
    }
    return false;
}

static size_t type_class_get_size(TypeImpl *ti)
{
    if (ti->class_size) {
        return ti->class_size;
    }
    if (type_get_parent(ti)) {
        return type_class_get_size(type_get_parent(ti));
    }
    return sizeof(ObjectClass);
}

static size_t type_object_get_size(TypeImpl *ti)
{
    if (ti->instance_size) {
        return ti->instance_size;
    }
    if (type_get_parent(ti)) {
        return type_object_get_size(type_get_parent(ti));
    }
    return 0;
}

static void type_initialize(TypeImpl *ti);

/*
 * Give @ti's class its own copy of the class of @interface_type, derived
 * from @parent_type (the interface itself, or the copy the parent class
 * made, so that what the parent filled in is inherited).
 */
static void type_initialize_interface(TypeImpl *ti, TypeImpl *interface_type,
                                      TypeImpl *parent_type)
{
    char *name = xasprintf("%s::%s", ti->name, interface_type->name);
    TypeInfo info = {
        .name = name,
        .parent = parent_type->name,
        .abstract = true,
    };
    TypeImpl *iface_impl = type_new(&info);
    free(name);

    iface_impl->parent_type = parent_type;
    type_initialize(iface_impl);

    InterfaceClass *new_iface = (InterfaceClass *)iface_impl->class;
    new_iface->concrete_class = ti->class;
    new_iface->interface_type = interface_type;

    ObjectClass *klass = ti->class;
    klass->interfaces = xrealloc(klass->interfaces,
                                 (klass->num_interfaces + 1) *
                                 sizeof(*klass->interfaces));
    klass->interfaces[klass->num_interfaces++] = new_iface;
}

static void type_initialize(TypeImpl *ti)
{
    if (ti->class) {
        return;
    }

    ti->class_size = type_class_get_size(ti);
    ti->instance_size = type_object_get_size(ti);
    /* A type without instances cannot be instantiated. */
    if (ti->instance_size == 0) {
        ti->abstract = true;
    }
    if (type_interface && type_is_ancestor(ti, type_interface)) {
        assert(ti->instance_size == 0 && ti->abstract);
        assert(!ti->instance_init && !ti->instance_post_init &&
               !ti->instance_finalize && !ti->num_interfaces);
    }
    ti->class = xzalloc(ti->class_size);

    TypeImpl *parent = type_get_parent(ti);
    if (parent) {
        type_initialize(parent);
        assert(parent->class_size <= ti->class_size);
        assert(parent->instance_size <= ti->instance_size);
        memcpy(ti->class, parent->class, parent->class_size);
        ti->class->interfaces = NULL;
        ti->class->num_interfaces = 0;

        for (size_t i = 0; i < parent->class->num_interfaces; i++) {
            InterfaceClass *iface = parent->class->interfaces[i];
            type_initialize_interface(ti, iface->interface_type,
                                      OBJECT_CLASS(iface)->type);
        }
        for (size_t i = 0; i < ti->num_interfaces; i++) {
            TypeImpl *t = type_table_lookup(ti->interfaces[i]);
            if (!t) {
                fprintf(stderr, "Type '%s' implements unknown interface "
                        "'%s'\n", ti->name, ti->interfaces[i]);
                abort();
            }
            bool inherited = false;
            for (size_t j = 0; j < ti->class->num_interfaces; j++) {
                ObjectClass *have = OBJECT_CLASS(ti->class->interfaces[j]);
                if (type_is_ancestor(have->type, t)) {
                    inherited = true;
                    break;
                }
            }
            if (!inherited) {
                type_initialize_interface(ti, t, t);
            }
        }
    }

    QTAILQ_INIT(&ti->class->properties);
    ti->class->type = ti;

    for (TypeImpl *p = parent; p; p = type_get_parent(p)) {
        if (p->class_base_init) {
            p->class_base_init(ti->class, ti->class_data);
        }
    }
    if (ti->class_init) {
        ti->class_init(ti->class, ti->class_data);
    }
}

/* ---- Object life cycle ---- */

static void object_init_with_type(Object *obj, TypeImpl *ti)
{
    if (type_get_parent(ti)) {
        object_init_with_type(obj, type_get_parent(ti));
    }
    if (ti->instance_init) {
        ti->instance_init(obj);
    }
}

/* Parent first, as instance_init (QEMU changed to this order in 2025). */
static void object_post_init_with_type(Object *obj, TypeImpl *ti)
{
    if (type_get_parent(ti)) {
        object_post_init_with_type(obj, type_get_parent(ti));
    }
    if (ti->instance_post_init) {
        ti->instance_post_init(obj);
    }
}

static void object_class_property_init_all(Object *obj)
{
    for (ObjectClass *k = obj->class; k; k = object_class_get_parent(k)) {
        ObjectProperty *prop;
        QTAILQ_FOREACH(prop, &k->properties, node) {
            if (prop->init) {
                prop->init(obj, prop);
            }
        }
    }
}

static void NORETURN COLD type_abort_abstract(TypeImpl *type)
{
    fprintf(stderr, "%s: cannot create an instance of abstract type '%s'\n",
            error_get_progname(), type->name);
    abort();
}

static void object_initialize_with_type(Object *obj, size_t size,
                                        TypeImpl *type)
{
    type_initialize(type);
    if (type->abstract) {
        type_abort_abstract(type);
    }
    assert(type->instance_size >= sizeof(Object));
    assert(size >= type->instance_size);

    memset(obj, 0, type->instance_size);
    obj->class = type->class;
    obj->ref = 1;
    QTAILQ_INIT(&obj->properties);
    object_class_property_init_all(obj);
    object_init_with_type(obj, type);
    object_post_init_with_type(obj, type);
}

static TypeImpl *type_get_or_die(const char *typename)
{
    TypeImpl *type = type_get_by_name(typename);
    if (!type) {
        fprintf(stderr, "%s: unknown type '%s'\n", error_get_progname(),
                typename ? typename : "(null)");
        abort();
    }
    return type;
}

void object_initialize(void *obj, size_t size, const char *typename)
{
    object_initialize_with_type(obj, size, type_get_or_die(typename));
}

void object_initialize_child(Object *parentobj, const char *propname,
                             void *childobj, size_t size, const char *type)
{
    object_initialize(childobj, size, type);
    object_property_add_child(parentobj, propname, OBJECT(childobj));
    /* The child property holds the only reference we keep. */
    object_unref(childobj);
}

Object *object_new_with_type(Type type)
{
    type_initialize(type);
    if (type->abstract) {
        type_abort_abstract(type);
    }
    Object *obj = xzalloc(type->instance_size);
    object_initialize_with_type(obj, type->instance_size, type);
    obj->free = free;
    return obj;
}

Object *object_new(const char *typename)
{
    return object_new_with_type(type_get_or_die(typename));
}

static void object_property_free(ObjectProperty *prop)
{
    free(prop->name);
    free(prop->type);
    free(prop->description);
    qobject_unref(prop->defval);
    free(prop);
}

/*
 * Release every property.  Instance properties are unlinked before their
 * release runs, so a release may add or delete other properties.
 */
static void object_property_del_all(Object *obj)
{
    while (!QTAILQ_EMPTY(&obj->properties)) {
        ObjectProperty *prop = QTAILQ_FIRST(&obj->properties);
        QTAILQ_REMOVE(&obj->properties, prop, node);
        if (prop->release) {
            prop->release(obj, prop->name, prop->opaque);
        }
        object_property_free(prop);
    }
    for (ObjectClass *k = obj->class; k; k = object_class_get_parent(k)) {
        ObjectProperty *prop;
        QTAILQ_FOREACH(prop, &k->properties, node) {
            if (prop->release) {
                prop->release(obj, prop->name, prop->opaque);
            }
        }
    }
}

static void object_deinit(Object *obj, TypeImpl *type)
{
    if (type->instance_finalize) {
        type->instance_finalize(obj);
    }
    if (type_get_parent(type)) {
        object_deinit(obj, type_get_parent(type));
    }
}

static void object_finalize(Object *obj)
{
    object_property_del_all(obj);
    object_deinit(obj, obj->class->type);
    assert(obj->ref == 0);
    assert(obj->parent == NULL);
    if (obj->free) {
        obj->free(obj);
    }
}

Object *object_ref(void *objptr)
{
    Object *obj = objptr;
    if (!obj) {
        return NULL;
    }
    /* Atomic: other threads (e.g. RCU readers of memory regions) may hold
     * references; everything else in QOM runs under the big lock. */
    __atomic_fetch_add(&obj->ref, 1, __ATOMIC_RELAXED);
    return obj;
}

void object_unref(void *objptr)
{
    Object *obj = objptr;
    if (!obj) {
        return;
    }
    uint32_t old = __atomic_fetch_sub(&obj->ref, 1, __ATOMIC_ACQ_REL);
    assert(old > 0);
    if (old == 1) {
        object_finalize(obj);
    }
}

/* ---- Casts ---- */

ObjectClass *object_class_dynamic_cast(ObjectClass *klass,
                                       const char *typename)
{
    if (!klass || !typename) {
        return NULL;
    }
    TypeImpl *type = klass->type;
    if (!strcmp(type->name, typename)) {
        return klass;
    }
    TypeImpl *target = type_get_by_name(typename);
    if (!target) {
        return NULL;
    }

    if (type->class->num_interfaces && type_is_ancestor(target,
                                                        type_interface)) {
        ObjectClass *ret = NULL;
        int found = 0;
        for (size_t i = 0; i < type->class->num_interfaces; i++) {
            ObjectClass *iface = OBJECT_CLASS(type->class->interfaces[i]);
            if (type_is_ancestor(iface->type, target)) {
                ret = iface;
                found++;
            }
        }
        /* Two implementations of the same interface: ambiguous. */
        return found == 1 ? ret : NULL;
    }
    return type_is_ancestor(type, target) ? klass : NULL;
}

Object *object_dynamic_cast(Object *obj, const char *typename)
{
    if (obj && object_class_dynamic_cast(object_get_class(obj), typename)) {
        return obj;
    }
    return NULL;
}

char *object_cast_error_message(Object *obj, const char *typename)
{
    if (!obj || object_dynamic_cast(obj, typename)) {
        return NULL;
    }
    return xasprintf("Object %p is not an instance of type %s (it is a %s)",
                     (void *)obj, typename, object_get_typename(obj));
}

char *object_class_cast_error_message(ObjectClass *klass,
                                      const char *typename)
{
    if (!klass || object_class_dynamic_cast(klass, typename)) {
        return NULL;
    }
    return xasprintf("Class %p is not an instance of type %s (it is a %s)",
                     (void *)klass, typename, object_class_get_name(klass));
}

Object *object_dynamic_cast_assert(Object *obj, const char *typename,
                                   const char *file, int line,
                                   const char *func)
{
    char *msg = object_cast_error_message(obj, typename);
    if (unlikely(msg)) {
        fprintf(stderr, "%s:%d:%s: %s\n", file, line, func, msg);
        abort();
    }
    return obj;
}

ObjectClass *object_class_dynamic_cast_assert(ObjectClass *klass,
                                              const char *typename,
                                              const char *file, int line,
                                              const char *func)
{
    if (!klass) {
        return NULL;
    }
    /* An exact match is the common case: skip the ancestry walk. */
    if (!strcmp(klass->type->name, typename)) {
        return klass;
    }
    ObjectClass *ret = object_class_dynamic_cast(klass, typename);
    if (unlikely(!ret)) {
        char *msg = object_class_cast_error_message(klass, typename);
        fprintf(stderr, "%s:%d:%s: %s\n", file, line, func, msg);
        abort();
    }
    return ret;
}

ObjectClass *object_get_class(Object *obj)
{
    return obj->class;
}

const char *object_get_typename(const Object *obj)
{
    return obj->class->type->name;
}

const char *object_class_get_name(ObjectClass *klass)
{
    return klass->type->name;
}

ObjectClass *object_class_by_name(const char *typename)
{
    TypeImpl *type = type_get_by_name(typename);
    if (!type) {
        return NULL;
    }
    type_initialize(type);
    return type->class;
}

ObjectClass *object_class_get_parent(ObjectClass *klass)
{
    TypeImpl *type = type_get_parent(klass->type);
    if (!type) {
        return NULL;
    }
    type_initialize(type);
    return type->class;
}

bool object_class_is_abstract(ObjectClass *klass)
{
    return klass->type->abstract;
}

void object_class_foreach(void (*fn)(ObjectClass *klass, void *opaque),
                          const char *implements_type, bool include_abstract,
                          void *opaque)
{
    for (TypeImpl *ti = type_table.first; ti; ti = ti->list_next) {
        type_initialize(ti);
        if (!include_abstract && ti->abstract) {
            continue;
        }
        if (implements_type &&
            !object_class_dynamic_cast(ti->class, implements_type)) {
            continue;
        }
        fn(ti->class, opaque);
    }
}

typedef struct ClassList {
    ObjectClass **classes;
    size_t count;
} ClassList;

static void class_list_add(ObjectClass *klass, void *opaque)
{
    ClassList *list = opaque;
    list->classes = xrealloc(list->classes,
                             (list->count + 2) * sizeof(*list->classes));
    list->classes[list->count++] = klass;
    list->classes[list->count] = NULL;
}

ObjectClass **object_class_get_list(const char *implements_type,
                                    bool include_abstract, size_t *count)
{
    ClassList list = { xnew_array(ObjectClass *, 1), 0 };
    object_class_foreach(class_list_add, implements_type, include_abstract,
                         &list);
    if (count) {
        *count = list.count;
    }
    return list.classes;
}

static int class_name_cmp(const void *a, const void *b)
{
    return strcmp(object_class_get_name(*(ObjectClass *const *)a),
                  object_class_get_name(*(ObjectClass *const *)b));
}

ObjectClass **object_class_get_list_sorted(const char *implements_type,
                                           bool include_abstract,
                                           size_t *count)
{
    size_t n;
    ObjectClass **list = object_class_get_list(implements_type,
                                               include_abstract, &n);
    qsort(list, n, sizeof(*list), class_name_cmp);
    if (count) {
        *count = n;
    }
    return list;
}

/* ---- Properties ---- */

ObjectProperty *object_class_property_find(ObjectClass *klass,
                                           const char *name)
{
    for (; klass; klass = object_class_get_parent(klass)) {
        ObjectProperty *prop;
        QTAILQ_FOREACH(prop, &klass->properties, node) {
            if (!strcmp(prop->name, name)) {
                return prop;
            }
        }
    }
    return NULL;
}

ObjectProperty *object_property_find(Object *obj, const char *name)
{
    ObjectProperty *prop = object_class_property_find(obj->class, name);
    if (prop) {
        return prop;
    }
    QTAILQ_FOREACH(prop, &obj->properties, node) {
        if (!strcmp(prop->name, name)) {
            return prop;
        }
    }
    return NULL;
}

ObjectProperty *object_property_find_err(Object *obj, const char *name,
                                         Error **errp)
{
    ObjectProperty *prop = object_property_find(obj, name);
    if (!prop) {
        error_setg(errp, "Property '%s.%s' not found",
                   object_get_typename(obj), name);
    }
    return prop;
}

void object_property_foreach(Object *obj,
                             void (*fn)(Object *obj, ObjectProperty *prop,
                                        void *opaque),
                             void *opaque)
{
    for (ObjectClass *k = obj->class; k; k = object_class_get_parent(k)) {
        ObjectProperty *prop;
        QTAILQ_FOREACH(prop, &k->properties, node) {
            fn(obj, prop, opaque);
        }
    }
    ObjectProperty *prop, *next;
    QTAILQ_FOREACH_SAFE(prop, &obj->properties, node, next) {
        fn(obj, prop, opaque);
    }
}

static ObjectProperty *property_new(const char *name, const char *type,
                                    ObjectPropertyGet *get,
                                    ObjectPropertySet *set,
                                    ObjectPropertyRelease *release,
                                    void *opaque)
{
    ObjectProperty *prop = xnew(ObjectProperty);
    prop->name = xstrdup(name);
    prop->type = xstrdup(type);
    prop->get = get;
    prop->set = set;
    prop->release = release;
    prop->opaque = opaque;
    return prop;
}

ObjectProperty *object_property_try_add(Object *obj, const char *name,
                                        const char *type,
                                        ObjectPropertyGet *get,
                                        ObjectPropertySet *set,
                                        ObjectPropertyRelease *release,
                                        void *opaque, Error **errp)
{
    size_t len = strlen(name);

    /* "device[*]": the first free "device[N]". */
    if (len >= 3 && !strcmp(name + len - 3, "[*]")) {
        for (int i = 0; i < INT16_MAX; i++) {
            char *full = xasprintf("%.*s[%d]", (int)(len - 3), name, i);
            bool taken = object_property_find(obj, full) != NULL;
            ObjectProperty *ret = NULL;
            if (!taken) {
                ret = object_property_try_add(obj, full, type, get, set,
                                              release, opaque, errp);
            }
            free(full);
            if (!taken) {
                return ret;
            }
        }
        error_setg(errp, "No free index for property '%s' of object "
                   "(type '%s')", name, object_get_typename(obj));
        return NULL;
    }

    if (object_property_find(obj, name)) {
        error_setg(errp, "attempt to add duplicate property '%s' to object "
                   "(type '%s')", name, object_get_typename(obj));
        return NULL;
    }
    ObjectProperty *prop = property_new(name, type, get, set, release,
                                        opaque);
    QTAILQ_INSERT_TAIL(&obj->properties, prop, node);
    return prop;
}

ObjectProperty *object_property_add(Object *obj, const char *name,
                                    const char *type,
                                    ObjectPropertyGet *get,
                                    ObjectPropertySet *set,
                                    ObjectPropertyRelease *release,
                                    void *opaque)
{
    return object_property_try_add(obj, name, type, get, set, release,
                                   opaque, &error_abort);
}

ObjectProperty *object_class_property_add(ObjectClass *klass,
                                          const char *name, const char *type,
                                          ObjectPropertyGet *get,
                                          ObjectPropertySet *set,
                                          ObjectPropertyRelease *release,
                                          void *opaque)
{
    if (object_class_property_find(klass, name)) {
        fprintf(stderr, "attempt to add duplicate property '%s' to class "
                "(type '%s')\n", name, object_class_get_name(klass));
        abort();
    }
    ObjectProperty *prop = property_new(name, type, get, set, release,
                                        opaque);
    QTAILQ_INSERT_TAIL(&klass->properties, prop, node);
    return prop;
}

void object_property_del(Object *obj, const char *name)
{
    ObjectProperty *prop;
    QTAILQ_FOREACH(prop, &obj->properties, node) {
        if (!strcmp(prop->name, name)) {
            QTAILQ_REMOVE(&obj->properties, prop, node);
            if (prop->release) {
                prop->release(obj, prop->name, prop->opaque);
            }
            object_property_free(prop);
            return;
        }
    }
}

void object_property_set_description(Object *obj, const char *name,
                                     const char *description)
{
    ObjectProperty *prop = object_property_find(obj, name);
    assert(prop);
    free(prop->description);
    prop->description = xstrdup(description);
}

void object_class_property_set_description(ObjectClass *klass,
                                           const char *name,
                                           const char *description)
{
    ObjectProperty *prop = object_class_property_find(klass, name);
    assert(prop);
    free(prop->description);
    prop->description = xstrdup(description);
}

static void object_property_init_defval(Object *obj, ObjectProperty *prop)
{
    if (!prop->set(obj, prop, prop->defval, NULL)) {
        fprintf(stderr, "%s: default value of property '%s' of type '%s' "
                "rejected\n", error_get_progname(), prop->name,
                object_get_typename(obj));
        abort();
    }
}

void object_property_set_default(ObjectProperty *prop, QObject *value)
{
    assert(prop->set && !prop->defval);
    prop->defval = value;
    prop->init = object_property_init_defval;
}

QObject *object_property_get(Object *obj, const char *name, Error **errp)
{
    ObjectProperty *prop = object_property_find_err(obj, name, errp);
    if (!prop) {
        return NULL;
    }
    if (!prop->get) {
        error_setg(errp, "Property '%s.%s' is not readable",
                   object_get_typename(obj), name);
        return NULL;
    }
    return prop->get(obj, prop, errp);
}

bool object_property_set(Object *obj, const char *name, QObject *value,
                         Error **errp)
{
    ObjectProperty *prop = object_property_find_err(obj, name, errp);
    if (!prop) {
        return false;
    }
    if (!prop->set) {
        error_setg(errp, "Property '%s.%s' is not writable",
                   object_get_typename(obj), name);
        return false;
    }
    return prop->set(obj, prop, value, errp);
}

bool qobject_get_int_in_range(QObject *value, const char *name,
                              int64_t min, int64_t max, int64_t *result,
                              Error **errp)
{
    int64_t v;

    if (!value || qobject_type(value) != QTYPE_QNUM ||
        !qnum_is_integer(value)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: integer",
                   name);
        return false;
    }
    if (!qnum_get_try_int(value, &v) || v < min || v > max) {
        error_setg(errp, "Parameter '%s' expects a value between %" PRId64
                   " and %" PRId64, name, min, max);
        return false;
    }
    *result = v;
    return true;
}

bool qobject_get_uint_in_range(QObject *value, const char *name,
                               uint64_t max, uint64_t *result, Error **errp)
{
    uint64_t v;

    if (!value || qobject_type(value) != QTYPE_QNUM ||
        !qnum_is_integer(value)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: integer",
                   name);
        return false;
    }
    if (!qnum_get_try_uint(value, &v) || v > max) {
        error_setg(errp, "Parameter '%s' expects a value between 0 and %"
                   PRIu64, name, max);
        return false;
    }
    *result = v;
    return true;
}

bool qobject_get_bool_checked(QObject *value, const char *name, bool *result,
                              Error **errp)
{
    if (!value || qobject_type(value) != QTYPE_QBOOL) {
        error_setg(errp, "Invalid parameter type for '%s', expected: boolean",
                   name);
        return false;
    }
    *result = qbool_get_bool(value);
    return true;
}

const char *qobject_get_str_checked(QObject *value, const char *name,
                                    Error **errp)
{
    if (!value || qobject_type(value) != QTYPE_QSTRING) {
        error_setg(errp, "Invalid parameter type for '%s', expected: string",
                   name);
        return NULL;
    }
    return qstring_get_str(value);
}

bool object_property_get_bool(Object *obj, const char *name, Error **errp)
{
    QObject *v = object_property_get(obj, name, errp);
    bool ret = false;
    if (v) {
        qobject_get_bool_checked(v, name, &ret, errp);
        qobject_unref(v);
    }
    return ret;
}

int64_t object_property_get_int(Object *obj, const char *name, Error **errp)
{
    QObject *v = object_property_get(obj, name, errp);
    int64_t ret = -1;
    if (v) {
        qobject_get_int_in_range(v, name, INT64_MIN, INT64_MAX, &ret, errp);
        qobject_unref(v);
    }
    return ret;
}

uint64_t object_property_get_uint(Object *obj, const char *name,
                                  Error **errp)
{
    QObject *v = object_property_get(obj, name, errp);
    uint64_t ret = 0;
    if (v) {
        qobject_get_uint_in_range(v, name, UINT64_MAX, &ret, errp);
        qobject_unref(v);
    }
    return ret;
}

char *object_property_get_str(Object *obj, const char *name, Error **errp)
{
    QObject *v = object_property_get(obj, name, errp);
    char *ret = NULL;
    if (v) {
        const char *s = qobject_get_str_checked(v, name, errp);
        ret = xstrdup(s);
        qobject_unref(v);
    }
    return ret;
}

bool object_property_set_bool(Object *obj, const char *name, bool value,
                              Error **errp)
{
    QObject *v = qbool_from_bool(value);
    bool ok = object_property_set(obj, name, v, errp);
    qobject_unref(v);
    return ok;
}

bool object_property_set_int(Object *obj, const char *name, int64_t value,
                             Error **errp)
{
    QObject *v = qnum_from_int(value);
    bool ok = object_property_set(obj, name, v, errp);
    qobject_unref(v);
    return ok;
}

bool object_property_set_uint(Object *obj, const char *name, uint64_t value,
                              Error **errp)
{
    QObject *v = qnum_from_uint(value);
    bool ok = object_property_set(obj, name, v, errp);
    qobject_unref(v);
    return ok;
}

bool object_property_set_str(Object *obj, const char *name,
                             const char *value, Error **errp)
{
    QObject *v = qstring_from_str(value);
    bool ok = object_property_set(obj, name, v, errp);
    qobject_unref(v);
    return ok;
}

const char *object_property_get_type(Object *obj, const char *name,
                                     Error **errp)
{
    ObjectProperty *prop = object_property_find_err(obj, name, errp);
    return prop ? prop->type : NULL;
}

static bool type_is_one_of(const char *type, const char *const *names)
{
    for (; *names; names++) {
        if (!strcmp(type, *names)) {
            return true;
        }
    }
    return false;
}

bool object_property_parse(Object *obj, const char *name, const char *string,
                           Error **errp)
{
    static const char *const int_types[] = {
        "int", "int8", "int16", "int32", "int64", NULL
    };
    static const char *const uint_types[] = {
        "uint8", "uint16", "uint32", "uint64", NULL
    };
    ObjectProperty *prop = object_property_find_err(obj, name, errp);
    QObject *value;

    if (!prop) {
        return false;
    }
    if (!strcmp(prop->type, "bool")) {
        bool b;
        if (parse_bool(string, &b) < 0) {
            error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
            return false;
        }
        value = qbool_from_bool(b);
    } else if (type_is_one_of(prop->type, int_types)) {
        int64_t i;
        if (parse_int64(string, &i) < 0) {
            error_setg(errp, "Parameter '%s' expects an integer", name);
            return false;
        }
        value = qnum_from_int(i);
    } else if (type_is_one_of(prop->type, uint_types) ||
               !strcmp(prop->type, "size")) {
        uint64_t u;
        int ret = !strcmp(prop->type, "size") ? parse_size(string, 0, &u)
                                              : parse_uint64(string, &u);
        if (ret < 0) {
            error_setg(errp, "Parameter '%s' expects a non-negative integer",
                       name);
            return false;
        }
        value = qnum_from_uint(u);
    } else {
        /* Strings, links, enumerations: the setter interprets the text. */
        value = qstring_from_str(string);
    }
    bool ok = object_property_set(obj, name, value, errp);
    qobject_unref(value);
    return ok;
}

char *object_property_print(Object *obj, const char *name, bool human,
                            Error **errp)
{
    QObject *v = object_property_get(obj, name, errp);
    char *ret;
    int64_t i;
    uint64_t u;

    if (!v) {
        return NULL;
    }
    switch (qobject_type(v)) {
    case QTYPE_QBOOL:
        ret = xstrdup(qbool_get_bool(v) ? "true" : "false");
        break;
    case QTYPE_QNUM:
        if (qnum_get_try_int(v, &i)) {
            ret = human ? xasprintf("%" PRId64 " (0x%" PRIx64 ")", i,
                                    (uint64_t)i)
                        : xasprintf("%" PRId64, i);
        } else if (qnum_get_try_uint(v, &u)) {
            ret = human ? xasprintf("%" PRIu64 " (0x%" PRIx64 ")", u, u)
                        : xasprintf("%" PRIu64, u);
        } else {
            ret = xasprintf("%g", qnum_get_double(v));
        }
        break;
    case QTYPE_QSTRING:
        ret = human ? xasprintf("\"%s\"", qstring_get_str(v))
                    : xstrdup(qstring_get_str(v));
        break;
    case QTYPE_QNULL:
        ret = xstrdup("");
        break;
    default:
        /* Structured values have no one-line form in `info qtree`. */
        ret = xasprintf("<%s>", qtype_name(qobject_type(v)));
        break;
    }
    qobject_unref(v);
    return ret;
}

/* ---- Typed properties with callbacks ---- */

typedef struct BoolProperty {
    bool (*get)(Object *, Error **);
    void (*set)(Object *, bool, Error **);
} BoolProperty;

static QObject *property_get_bool(Object *obj, ObjectProperty *prop,
                                  Error **errp)
{
    BoolProperty *bp = prop->opaque;
    Error *err = NULL;
    bool value = bp->get(obj, &err);
    if (err) {
        error_propagate(errp, err);
        return NULL;
    }
    return qbool_from_bool(value);
}

static bool property_set_bool(Object *obj, ObjectProperty *prop,
                              QObject *value, Error **errp)
{
    BoolProperty *bp = prop->opaque;
    Error *err = NULL;
    bool b;
    if (!qobject_get_bool_checked(value, prop->name, &b, errp)) {
        return false;
    }
    bp->set(obj, b, &err);
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    return true;
}

static void property_release_opaque(Object *obj, const char *name,
                                    void *opaque)
{
    free(opaque);
}

ObjectProperty *object_property_add_bool(Object *obj, const char *name,
                                         bool (*get)(Object *, Error **),
                                         void (*set)(Object *, bool,
                                                     Error **))
{
    BoolProperty *bp = xnew(BoolProperty);
    bp->get = get;
    bp->set = set;
    return object_property_add(obj, name, "bool",
                               get ? property_get_bool : NULL,
                               set ? property_set_bool : NULL,
                               property_release_opaque, bp);
}

ObjectProperty *object_class_property_add_bool(ObjectClass *klass,
                                               const char *name,
                                               bool (*get)(Object *,
                                                           Error **),
                                               void (*set)(Object *, bool,
                                                           Error **))
{
    /* Lives as long as the class, i.e. for ever. */
    BoolProperty *bp = xnew(BoolProperty);
    bp->get = get;
    bp->set = set;
    return object_class_property_add(klass, name, "bool",
                                     get ? property_get_bool : NULL,
                                     set ? property_set_bool : NULL,
                                     NULL, bp);
}

typedef struct StringProperty {
    char *(*get)(Object *, Error **);
    void (*set)(Object *, const char *, Error **);
} StringProperty;

static QObject *property_get_str(Object *obj, ObjectProperty *prop,
                                 Error **errp)
{
    StringProperty *sp = prop->opaque;
    Error *err = NULL;
    char *value = sp->get(obj, &err);
    if (err) {
        error_propagate(errp, err);
        free(value);
        return NULL;
    }
    QObject *ret = qstring_from_str(value ? value : "");
    free(value);
    return ret;
}

static bool property_set_str(Object *obj, ObjectProperty *prop,
                             QObject *value, Error **errp)
{
    StringProperty *sp = prop->opaque;
    Error *err = NULL;
    const char *s = qobject_get_str_checked(value, prop->name, errp);
    if (!s) {
        return false;
    }
    sp->set(obj, s, &err);
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    return true;
}

ObjectProperty *object_property_add_str(Object *obj, const char *name,
                                        char *(*get)(Object *, Error **),
                                        void (*set)(Object *, const char *,
                                                    Error **))
{
    StringProperty *sp = xnew(StringProperty);
    sp->get = get;
    sp->set = set;
    return object_property_add(obj, name, "string",
                               get ? property_get_str : NULL,
                               set ? property_set_str : NULL,
                               property_release_opaque, sp);
}

ObjectProperty *object_class_property_add_str(ObjectClass *klass,
                                              const char *name,
                                              char *(*get)(Object *,
                                                           Error **),
                                              void (*set)(Object *,
                                                          const char *,
                                                          Error **))
{
    StringProperty *sp = xnew(StringProperty);
    sp->get = get;
    sp->set = set;
    return object_class_property_add(klass, name, "string",
                                     get ? property_get_str : NULL,
                                     set ? property_set_str : NULL,
                                     NULL, sp);
}

typedef enum IntKind {
    INT_KIND_I64,
    INT_KIND_U64,
    INT_KIND_U32,
} IntKind;

typedef struct IntProperty {
    IntKind kind;
    union {
        int64_t (*i64)(Object *, Error **);
        uint64_t (*u64)(Object *, Error **);
        uint32_t (*u32)(Object *, Error **);
    } get;
    union {
        void (*i64)(Object *, int64_t, Error **);
        void (*u64)(Object *, uint64_t, Error **);
        void (*u32)(Object *, uint32_t, Error **);
    } set;
} IntProperty;

static QObject *property_get_intcb(Object *obj, ObjectProperty *prop,
                                   Error **errp)
{
    IntProperty *ip = prop->opaque;
    Error *err = NULL;
    QObject *ret;

    switch (ip->kind) {
    case INT_KIND_I64:
        ret = qnum_from_int(ip->get.i64(obj, &err));
        break;
    case INT_KIND_U64:
        ret = qnum_from_uint(ip->get.u64(obj, &err));
        break;
    default:
        ret = qnum_from_uint(ip->get.u32(obj, &err));
        break;
    }
    if (err) {
        qobject_unref(ret);
        error_propagate(errp, err);
        return NULL;
    }
    return ret;
}

static bool property_set_intcb(Object *obj, ObjectProperty *prop,
                               QObject *value, Error **errp)
{
    IntProperty *ip = prop->opaque;
    Error *err = NULL;
    int64_t i;
    uint64_t u;

    switch (ip->kind) {
    case INT_KIND_I64:
        if (!qobject_get_int_in_range(value, prop->name, INT64_MIN,
                                      INT64_MAX, &i, errp)) {
            return false;
        }
        ip->set.i64(obj, i, &err);
        break;
    case INT_KIND_U64:
        if (!qobject_get_uint_in_range(value, prop->name, UINT64_MAX, &u,
                                       errp)) {
            return false;
        }
        ip->set.u64(obj, u, &err);
        break;
    default:
        if (!qobject_get_uint_in_range(value, prop->name, UINT32_MAX, &u,
                                       errp)) {
            return false;
        }
        ip->set.u32(obj, u, &err);
        break;
    }
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    return true;
}

static ObjectProperty *add_int_property(Object *obj, const char *name,
                                        const char *type, IntProperty *ip,
                                        bool has_get, bool has_set)
{
    return object_property_add(obj, name, type,
                               has_get ? property_get_intcb : NULL,
                               has_set ? property_set_intcb : NULL,
                               property_release_opaque, ip);
}

ObjectProperty *object_property_add_int(Object *obj, const char *name,
                                        int64_t (*get)(Object *, Error **),
                                        void (*set)(Object *, int64_t,
                                                    Error **))
{
    IntProperty *ip = xnew(IntProperty);
    ip->kind = INT_KIND_I64;
    ip->get.i64 = get;
    ip->set.i64 = set;
    return add_int_property(obj, name, "int", ip, get, set);
}

ObjectProperty *object_property_add_uint64(Object *obj, const char *name,
                                           uint64_t (*get)(Object *,
                                                           Error **),
                                           void (*set)(Object *, uint64_t,
                                                       Error **))
{
    IntProperty *ip = xnew(IntProperty);
    ip->kind = INT_KIND_U64;
    ip->get.u64 = get;
    ip->set.u64 = set;
    return add_int_property(obj, name, "uint64", ip, get, set);
}

ObjectProperty *object_property_add_uint32(Object *obj, const char *name,
                                           uint32_t (*get)(Object *,
                                                           Error **),
                                           void (*set)(Object *, uint32_t,
                                                       Error **))
{
    IntProperty *ip = xnew(IntProperty);
    ip->kind = INT_KIND_U32;
    ip->get.u32 = get;
    ip->set.u32 = set;
    return add_int_property(obj, name, "uint32", ip, get, set);
}

/* ---- Field-backed properties ---- */

typedef enum FieldKind {
    FIELD_BOOL,
    FIELD_U8,
    FIELD_U16,
    FIELD_U32,
    FIELD_U64,
    FIELD_I32,
} FieldKind;

typedef struct FieldProperty {
    void *ptr;
    FieldKind kind;
} FieldProperty;

static QObject *property_get_field(Object *obj, ObjectProperty *prop,
                                   Error **errp)
{
    FieldProperty *fp = prop->opaque;
    switch (fp->kind) {
    case FIELD_BOOL: return qbool_from_bool(*(bool *)fp->ptr);
    case FIELD_U8:   return qnum_from_uint(*(uint8_t *)fp->ptr);
    case FIELD_U16:  return qnum_from_uint(*(uint16_t *)fp->ptr);
    case FIELD_U32:  return qnum_from_uint(*(uint32_t *)fp->ptr);
    case FIELD_U64:  return qnum_from_uint(*(uint64_t *)fp->ptr);
    case FIELD_I32:  return qnum_from_int(*(int32_t *)fp->ptr);
    }
    return NULL;
}

static bool property_set_field(Object *obj, ObjectProperty *prop,
                               QObject *value, Error **errp)
{
    FieldProperty *fp = prop->opaque;
    uint64_t u;
    int64_t i;
    bool b;

    switch (fp->kind) {
    case FIELD_BOOL:
        if (!qobject_get_bool_checked(value, prop->name, &b, errp)) {
            return false;
        }
        *(bool *)fp->ptr = b;
        return true;
    case FIELD_U8:
        if (!qobject_get_uint_in_range(value, prop->name, UINT8_MAX, &u,
                                       errp)) {
            return false;
        }
        *(uint8_t *)fp->ptr = u;
        return true;
    case FIELD_U16:
        if (!qobject_get_uint_in_range(value, prop->name, UINT16_MAX, &u,
                                       errp)) {
            return false;
        }
        *(uint16_t *)fp->ptr = u;
        return true;
    case FIELD_U32:
        if (!qobject_get_uint_in_range(value, prop->name, UINT32_MAX, &u,
                                       errp)) {
            return false;
        }
        *(uint32_t *)fp->ptr = u;
        return true;
    case FIELD_U64:
        if (!qobject_get_uint_in_range(value, prop->name, UINT64_MAX, &u,
                                       errp)) {
            return false;
        }
        *(uint64_t *)fp->ptr = u;
        return true;
    case FIELD_I32:
        if (!qobject_get_int_in_range(value, prop->name, INT32_MIN,
                                      INT32_MAX, &i, errp)) {
            return false;
        }
        *(int32_t *)fp->ptr = i;
        return true;
    }
    return false;
}

static ObjectProperty *add_field_property(Object *obj, const char *name,
                                          const char *type, void *ptr,
                                          FieldKind kind,
                                          ObjectPropertyFlags flags)
{
    FieldProperty *fp = xnew(FieldProperty);
    fp->ptr = ptr;
    fp->kind = kind;
    return object_property_add(obj, name, type,
                               (flags & OBJ_PROP_FLAG_READ) ?
                               property_get_field : NULL,
                               (flags & OBJ_PROP_FLAG_WRITE) ?
                               property_set_field : NULL,
                               property_release_opaque, fp);
}

ObjectProperty *object_property_add_bool_ptr(Object *obj, const char *name,
                                             bool *v,
                                             ObjectPropertyFlags flags)
{
    return add_field_property(obj, name, "bool", v, FIELD_BOOL, flags);
}

ObjectProperty *object_property_add_uint8_ptr(Object *obj, const char *name,
                                              uint8_t *v,
                                              ObjectPropertyFlags flags)
{
    return add_field_property(obj, name, "uint8", v, FIELD_U8, flags);
}

ObjectProperty *object_property_add_uint16_ptr(Object *obj, const char *name,
                                               uint16_t *v,
                                               ObjectPropertyFlags flags)
{
    return add_field_property(obj, name, "uint16", v, FIELD_U16, flags);
}

ObjectProperty *object_property_add_uint32_ptr(Object *obj, const char *name,
                                               uint32_t *v,
                                               ObjectPropertyFlags flags)
{
    return add_field_property(obj, name, "uint32", v, FIELD_U32, flags);
}

ObjectProperty *object_property_add_uint64_ptr(Object *obj, const char *name,
                                               uint64_t *v,
                                               ObjectPropertyFlags flags)
{
    return add_field_property(obj, name, "uint64", v, FIELD_U64, flags);
}

ObjectProperty *object_property_add_int32_ptr(Object *obj, const char *name,
                                              int32_t *v,
                                              ObjectPropertyFlags flags)
{
    return add_field_property(obj, name, "int32", v, FIELD_I32, flags);
}

/* ---- Links ---- */

typedef struct LinkProperty {
    Object **targetp;
    char *target_type;
    ObjectPropertyLinkCheck *check;
    ObjectPropertyLinkFlags flags;
} LinkProperty;

void object_property_allow_set_link(const Object *obj, const char *name,
                                    Object *val, Error **errp)
{
}

static QObject *link_property_get(Object *obj, ObjectProperty *prop,
                                  Error **errp)
{
    LinkProperty *lp = prop->opaque;
    char *path = *lp->targetp ? object_get_canonical_path(*lp->targetp)
                              : NULL;
    QObject *ret = qstring_from_str(path ? path : "");
    free(path);
    return ret;
}

Object *object_resolve_link(const char *name, const char *path,
                            const char *target_type, Error **errp)
{
    bool ambiguous = false;
    Object *target = object_resolve_path_type(path, target_type, &ambiguous);

    if (ambiguous) {
        error_setg(errp, "Path '%s' does not uniquely identify an object",
                   path);
        return NULL;
    }
    if (!target) {
        target = object_resolve_path(path, &ambiguous);
        if (target || ambiguous) {
            error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                       name, target_type);
        } else {
            error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                      "Device '%s' not found", path);
        }
        return NULL;
    }
    return target;
}

static bool link_property_assign(Object *obj, ObjectProperty *prop,
                                 Object *target, Error **errp)
{
    LinkProperty *lp = prop->opaque;
    Object *old = *lp->targetp;
    Error *err = NULL;

    if (target && !object_dynamic_cast(target, lp->target_type)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                   prop->name, lp->target_type);
        return false;
    }
    if (lp->check) {
        lp->check(obj, prop->name, target, &err);
        if (err) {
            error_propagate(errp, err);
            return false;
        }
    }
    *lp->targetp = target;
    if (lp->flags & OBJ_PROP_LINK_STRONG) {
        object_ref(target);
        object_unref(old);
    }
    return true;
}

static bool link_property_set(Object *obj, ObjectProperty *prop,
                              QObject *value, Error **errp)
{
    LinkProperty *lp = prop->opaque;
    const char *path = qobject_get_str_checked(value, prop->name, errp);
    Object *target = NULL;

    if (!path) {
        return false;
    }
    if (*path) {
        target = object_resolve_link(prop->name, path, lp->target_type,
                                     errp);
        if (!target) {
            return false;
        }
    }
    return link_property_assign(obj, prop, target, errp);
}

static Object *link_property_resolve(Object *obj, void *opaque,
                                     const char *part)
{
    LinkProperty *lp = opaque;
    return *lp->targetp;
}

static void link_property_release(Object *obj, const char *name,
                                  void *opaque)
{
    LinkProperty *lp = opaque;
    if ((lp->flags & OBJ_PROP_LINK_STRONG) && *lp->targetp) {
        Object *target = *lp->targetp;
        *lp->targetp = NULL;
        object_unref(target);
    }
    free(lp->target_type);
    free(lp);
}

ObjectProperty *object_property_add_link(Object *obj, const char *name,
                                         const char *type, Object **targetp,
                                         ObjectPropertyLinkCheck *check,
                                         ObjectPropertyLinkFlags flags)
{
    LinkProperty *lp = xnew(LinkProperty);
    char *full_type = xasprintf("link<%s>", type);

    lp->targetp = targetp;
    lp->target_type = xstrdup(type);
    lp->check = check;
    lp->flags = flags;
    ObjectProperty *prop = object_property_add(obj, name, full_type,
                                               link_property_get,
                                               check ? link_property_set
                                                     : NULL,
                                               link_property_release, lp);
    prop->resolve = link_property_resolve;
    free(full_type);
    return prop;
}

bool object_property_is_link(ObjectProperty *prop)
{
    return prop->get == link_property_get;
}

bool object_property_set_link(Object *obj, const char *name, Object *value,
                              Error **errp)
{
    ObjectProperty *prop = object_property_find_err(obj, name, errp);
    if (!prop) {
        return false;
    }
    if (!object_property_is_link(prop)) {
        error_setg(errp, "Property '%s.%s' is not a link",
                   object_get_typename(obj), name);
        return false;
    }
    if (!prop->set) {
        error_setg(errp, "Property '%s.%s' is not writable",
                   object_get_typename(obj), name);
        return false;
    }
    return link_property_assign(obj, prop, value, errp);
}

Object *object_property_get_link(Object *obj, const char *name, Error **errp)
{
    ObjectProperty *prop = object_property_find_err(obj, name, errp);
    if (!prop) {
        return NULL;
    }
    if (!prop->resolve) {
        error_setg(errp, "Property '%s.%s' is not a link or child",
                   object_get_typename(obj), name);
        return NULL;
    }
    return prop->resolve(obj, prop->opaque, name);
}

/* ---- Composition ---- */

static QObject *child_property_get(Object *obj, ObjectProperty *prop,
                                   Error **errp)
{
    char *path = object_get_canonical_path(prop->opaque);
    QObject *ret = qstring_from_str(path ? path : "");
    free(path);
    return ret;
}

static Object *child_property_resolve(Object *obj, void *opaque,
                                      const char *part)
{
    return opaque;
}

static void child_property_release(Object *obj, const char *name,
                                   void *opaque)
{
    Object *child = opaque;

    if (child->class->unparent) {
        child->class->unparent(child);
    }
    child->parent = NULL;
    object_unref(child);
}

bool object_property_is_child(ObjectProperty *prop)
{
    return prop->get == child_property_get;
}

ObjectProperty *object_property_try_add_child(Object *obj, const char *name,
                                              Object *child, Error **errp)
{
    if (child->parent) {
        const char *old = object_get_canonical_path_component(child);
        error_setg(errp, "Cannot add child '%s' to object of type '%s': "
                   "object of type '%s' is already child '%s' of an object "
                   "of type '%s'", name, object_get_typename(obj),
                   object_get_typename(child), old ? old : "?",
                   object_get_typename(child->parent));
        return NULL;
    }
    if (obj == child) {
        error_setg(errp, "Cannot add object of type '%s' as its own child",
                   object_get_typename(obj));
        return NULL;
    }
    char *type = xasprintf("child<%s>", object_get_typename(child));
    ObjectProperty *prop = object_property_try_add(obj, name, type,
                                                   child_property_get, NULL,
                                                   child_property_release,
                                                   child, errp);
    free(type);
    if (!prop) {
        return NULL;
    }
    prop->resolve = child_property_resolve;
    object_ref(child);
    child->parent = obj;
    return prop;
}

ObjectProperty *object_property_add_child(Object *obj, const char *name,
                                          Object *child)
{
    return object_property_try_add_child(obj, name, child, &error_abort);
}

void object_unparent(Object *obj)
{
    Object *parent = obj->parent;
    ObjectProperty *prop;

    if (!parent) {
        return;
    }
    QTAILQ_FOREACH(prop, &parent->properties, node) {
        if (object_property_is_child(prop) && prop->opaque == obj) {
            object_property_del(parent, prop->name);
            return;
        }
    }
}

static int object_child_foreach_internal(Object *obj,
                                         int (*fn)(Object *child,
                                                   void *opaque),
                                         void *opaque, bool recurse)
{
    ObjectProperty *prop, *next;
    int ret = 0;

    QTAILQ_FOREACH_SAFE(prop, &obj->properties, node, next) {
        if (!object_property_is_child(prop)) {
            continue;
        }
        Object *child = prop->opaque;
        ret = fn(child, opaque);
        if (ret) {
            break;
        }
        if (recurse) {
            ret = object_child_foreach_internal(child, fn, opaque, true);
            if (ret) {
                break;
            }
        }
    }
    return ret;
}

int object_child_foreach(Object *obj, int (*fn)(Object *child, void *opaque),
                         void *opaque)
{
    return object_child_foreach_internal(obj, fn, opaque, false);
}

int object_child_foreach_recursive(Object *obj,
                                   int (*fn)(Object *child, void *opaque),
                                   void *opaque)
{
    return object_child_foreach_internal(obj, fn, opaque, true);
}

Object *object_get_root(void)
{
    static Object *root;

    if (!root) {
        root = object_new(TYPE_CONTAINER);
    }
    return root;
}

const char *object_get_canonical_path_component(const Object *obj)
{
    ObjectProperty *prop;

    if (!obj->parent) {
        return NULL;
    }
    QTAILQ_FOREACH(prop, &obj->parent->properties, node) {
        if (object_property_is_child(prop) && prop->opaque == obj) {
            return prop->name;
        }
    }
    return NULL;
}

char *object_get_canonical_path(const Object *obj)
{
    Object *root = object_get_root();
    char *path = NULL;

    if (obj == root) {
        return xstrdup("/");
    }
    while (obj != root) {
        const char *component = object_get_canonical_path_component(obj);
        if (!component) {
            free(path);
            return NULL;
        }
        char *longer = xasprintf("/%s%s", component, path ? path : "");
        free(path);
        path = longer;
        obj = obj->parent;
    }
    return path;
}

/* Split at '/', keeping empty components ("/a" -> "", "a"; "" -> none). */
static char **path_split(const char *path)
{
    size_t n = 0;
    char **parts;

    if (!*path) {
        return xnew_array(char *, 1);
    }
    for (const char *p = path; *p; p++) {
        n += *p == '/';
    }
    parts = xnew_array(char *, n + 2);
    n = 0;
    for (const char *p = path;; ) {
        const char *slash = strchr(p, '/');
        if (!slash) {
            parts[n++] = xstrdup(p);
            break;
        }
        parts[n++] = xstrndup(p, slash - p);
        p = slash + 1;
    }
    return parts;
}

static void path_free(char **parts)
{
    for (char **p = parts; *p; p++) {
        free(*p);
    }
    free(parts);
}

Object *object_resolve_path_component(Object *parent, const char *part)
{
    ObjectProperty *prop = object_property_find(parent, part);
    if (!prop || !prop->resolve) {
        return NULL;
    }
    return prop->resolve(parent, prop->opaque, part);
}

static Object *object_resolve_abs_path(Object *parent, char **parts,
                                       const char *typename)
{
    for (; *parts; parts++) {
        if (!**parts) {
            continue;       /* "//" and trailing "/" */
        }
        parent = object_resolve_path_component(parent, *parts);
        if (!parent) {
            return NULL;
        }
    }
    return object_dynamic_cast(parent, typename);
}

/* Match @parts below @parent, anywhere in the composition tree. */
static Object *object_resolve_partial_path(Object *parent, char **parts,
                                           const char *typename,
                                           bool *ambiguous)
{
    Object *obj = object_resolve_abs_path(parent, parts, typename);
    ObjectProperty *prop;

    QTAILQ_FOREACH(prop, &parent->properties, node) {
        if (!object_property_is_child(prop)) {
            continue;
        }
        Object *found = object_resolve_partial_path(prop->opaque, parts,
                                                    typename, ambiguous);
        if (found) {
            if (obj && obj != found) {
                *ambiguous = true;
                return NULL;
            }
            obj = found;
        }
        if (*ambiguous) {
            return NULL;
        }
    }
    return obj;
}

Object *object_resolve_path_type(const char *path, const char *typename,
                                 bool *ambiguousp)
{
    char **parts = path_split(path);
    Object *obj;

    if (!parts[0] || parts[0][0]) {
        bool ambiguous = false;
        /* A partial path must name something; "" matches nothing. */
        obj = parts[0] ? object_resolve_partial_path(object_get_root(),
                                                     parts, typename,
                                                     &ambiguous)
                       : NULL;
        if (ambiguousp) {
            *ambiguousp = ambiguous;
        }
    } else {
        obj = object_resolve_abs_path(object_get_root(), parts + 1,
                                      typename);
    }
    path_free(parts);
    return obj;
}

Object *object_resolve_path(const char *path, bool *ambiguous)
{
    return object_resolve_path_type(path, TYPE_OBJECT, ambiguous);
}

Object *object_resolve_path_at(Object *parent, const char *path)
{
    char **parts = path_split(path);
    Object *obj;

    if (*path == '/') {
        obj = object_resolve_abs_path(object_get_root(), parts + 1,
                                      TYPE_OBJECT);
    } else {
        obj = object_resolve_abs_path(parent, parts, TYPE_OBJECT);
    }
    path_free(parts);
    return obj;
}

Object *object_new_container(Object *parent, const char *name)
{
    Object *child = object_new(TYPE_CONTAINER);
    object_property_add_child(parent, name, child);
    object_unref(child);
    return child;
}

Object *container_get(Object *root, const char *path)
{
    char **parts = path_split(path);
    Object *obj = root;

    for (char **p = parts; *p; p++) {
        if (!**p) {
            continue;
        }
        Object *child = object_resolve_path_component(obj, *p);
        if (!child) {
            child = object_new_container(obj, *p);
        }
        obj = child;
    }
    path_free(parts);
    return obj;
}

/* ---- The base types ---- */

static char *object_get_type(Object *obj, Error **errp)
{
    return xstrdup(object_get_typename(obj));
}

static void object_class_init(ObjectClass *klass, const void *data)
{
    object_class_property_add_str(klass, "type", object_get_type, NULL);
}

static void register_types(void)
{
    static const TypeInfo interface_info = {
        .name = TYPE_INTERFACE,
        .class_size = sizeof(InterfaceClass),
        .abstract = true,
    };
    static const TypeInfo object_info = {
        .name = TYPE_OBJECT,
        .instance_size = sizeof(Object),
        .class_init = object_class_init,
        .abstract = true,
    };
    static const TypeInfo container_info = {
        .name = TYPE_CONTAINER,
        .parent = TYPE_OBJECT,
        .instance_size = sizeof(Object),
    };

    type_interface = type_register_static(&interface_info);
    type_register_static(&object_info);
    type_register_static(&container_info);
}

type_init(register_types)
