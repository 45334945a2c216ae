/*
 * Unit tests for QOM introspection (qom/qom-introspect.c): the data behind
 * qom-list-types, qom-list, qom-get, qom-set and device-list-properties.
 */
#include "test.h"
#include "qom/introspect.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"

#define TYPE_INTRO_DEV "intro-dev"
#define TYPE_INTRO_BASE "intro-base"

typedef struct IntroDev {
    DeviceState parent_obj;
    uint32_t iobase;
    bool enabled;
    char *chardev;
} IntroDev;

static const Property intro_dev_properties[] = {
    DEFINE_PROP_UINT32("iobase", IntroDev, iobase, 0x402),
    DEFINE_PROP_BOOL("enabled", IntroDev, enabled, true),
    DEFINE_PROP_STRING("chardev", IntroDev, chardev),
    DEFINE_PROP_END_OF_LIST(),
};

static void intro_dev_init(Object *obj)
{
    /* Instance-only property, listed too. */
    object_property_add_uint32_ptr(obj, "readback",
                                   &((IntroDev *)obj)->iobase,
                                   OBJ_PROP_FLAG_READ);
    object_property_set_description(obj, "readback", "iobase, read-only");
}

static void intro_dev_class_init(ObjectClass *oc, const void *data)
{
    device_class_set_props(DEVICE_CLASS(oc), intro_dev_properties);
}

static const TypeInfo intro_types[] = {
    {
        .name = TYPE_INTRO_BASE,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(IntroDev),
        .abstract = true,
    }, {
        .name = TYPE_INTRO_DEV,
        .parent = TYPE_INTRO_BASE,
        .instance_init = intro_dev_init,
        .class_init = intro_dev_class_init,
    },
};

DEFINE_TYPES(intro_types)

/* The entry of @list whose "name" is @name. */
static QObject *find_named(QObject *list, const char *name)
{
    for (size_t i = 0; i < qlist_size(list); i++) {
        QObject *e = qlist_get(list, i);
        if (!strcmp(qdict_get_try_str(e, "name"), name)) {
            return e;
        }
    }
    return NULL;
}

static void test_list_types(void **state)
{
    QObject *list = qmp_qom_list_types(TYPE_INTRO_BASE, false, &error_abort);
    assert_int_equal(qlist_size(list), 1);
    QObject *e = qlist_get(list, 0);
    assert_string_equal(qdict_get_try_str(e, "name"), TYPE_INTRO_DEV);
    assert_string_equal(qdict_get_try_str(e, "parent"), TYPE_INTRO_BASE);
    assert_false(qdict_haskey(e, "abstract"));
    qobject_unref(list);

    list = qmp_qom_list_types(TYPE_DEVICE, true, &error_abort);
    e = find_named(list, TYPE_INTRO_BASE);
    assert_non_null(e);
    assert_true(qdict_get_try_bool(e, "abstract", false));
    assert_non_null(find_named(list, TYPE_DEVICE));
    assert_null(find_named(list, TYPE_OBJECT));
    /* Sorted by name. */
    for (size_t i = 1; i < qlist_size(list); i++) {
        assert_true(strcmp(qdict_get_try_str(qlist_get(list, i - 1), "name"),
                           qdict_get_try_str(qlist_get(list, i), "name"))
                    < 0);
    }
    qobject_unref(list);

    list = qmp_qom_list_types(NULL, false, &error_abort);
    assert_non_null(find_named(list, TYPE_CONTAINER));
    assert_null(find_named(list, TYPE_OBJECT));
    qobject_unref(list);
    list = qmp_qom_list_types("no-such-type", true, &error_abort);
    assert_int_equal(qlist_size(list), 0);
    qobject_unref(list);
}

static void test_qom_list_get_set(void **state)
{
    Object *box = object_new_container(object_get_root(), "intro");
    DeviceState *dev = qdev_new(TYPE_INTRO_DEV);
    Error *err = NULL;

    object_property_add_child(box, "dev", OBJECT(dev));
    object_unref(OBJECT(dev));

    QObject *list = qmp_qom_list("/intro", &error_abort);
    QObject *e = find_named(list, "dev");
    assert_string_equal(qdict_get_try_str(e, "type"), "child<intro-dev>");
    assert_string_equal(qdict_get_try_str(find_named(list, "type"), "type"),
                        "string");
    qobject_unref(list);

    list = qmp_qom_list("/intro/dev", &error_abort);
    assert_string_equal(qdict_get_try_str(find_named(list, "iobase"), "type"),
                        "uint32");
    assert_string_equal(qdict_get_try_str(find_named(list, "realized"),
                                          "type"), "bool");
    assert_string_equal(qdict_get_try_str(find_named(list, "parent_bus"),
                                          "type"), "link<bus>");
    assert_string_equal(qdict_get_try_str(find_named(list, "readback"),
                                          "description"),
                        "iobase, read-only");
    qobject_unref(list);

    QObject *v = qmp_qom_get("/intro/dev", "iobase", &error_abort);
    int64_t i;
    assert_true(qnum_get_try_int(v, &i));
    assert_int_equal(i, 0x402);
    qobject_unref(v);

    v = qnum_from_int(0x3f8);
    assert_true(qmp_qom_set("/intro/dev", "iobase", v, &error_abort));
    qobject_unref(v);
    assert_int_equal(((IntroDev *)dev)->iobase, 0x3f8);
    /* Partial paths work as in QEMU. */
    v = qmp_qom_get("intro/dev", "readback", &error_abort);
    assert_true(qnum_get_try_int(v, &i));
    assert_int_equal(i, 0x3f8);
    qobject_unref(v);

    assert_null(qmp_qom_get("/intro/nothing", "iobase", &err));
    assert_int_equal(error_get_class(err), ERROR_CLASS_DEVICE_NOT_FOUND);
    assert_string_equal(error_get_pretty(err),
                        "Device '/intro/nothing' not found");
    error_free(err);
    err = NULL;
    assert_null(qmp_qom_get("/intro/dev", "bogus", &err));
    assert_string_equal(error_get_pretty(err),
                        "Property 'intro-dev.bogus' not found");
    error_free(err);
    err = NULL;
    v = qstring_from_str("x");
    assert_false(qmp_qom_set("/intro/dev", "readback", v, &err));
    assert_string_equal(error_get_pretty(err),
                        "Property 'intro-dev.readback' is not writable");
    error_free(err);
    err = NULL;
    qobject_unref(v);

    /* Two objects named "dev": a partial path is ambiguous. */
    Object *other = object_new_container(object_get_root(), "intro2");
    object_new_container(other, "dev");
    assert_null(qmp_qom_list("dev", &err));
    assert_string_equal(error_get_pretty(err), "Path 'dev' is ambiguous");
    error_free(err);
    object_unparent(other);
    object_unparent(box);
}

static void test_device_list_properties(void **state)
{
    Error *err = NULL;
    QObject *list = qmp_device_list_properties(TYPE_INTRO_DEV, &error_abort);
    QObject *e;
    int64_t i;

    e = find_named(list, "iobase");
    assert_non_null(e);
    assert_string_equal(qdict_get_try_str(e, "type"), "uint32");
    assert_true(qnum_get_try_int(qdict_get(e, "default-value"), &i));
    assert_int_equal(i, 0x402);
    e = find_named(list, "enabled");
    assert_true(qbool_get_bool(qdict_get(e, "default-value")));
    e = find_named(list, "chardev");
    assert_string_equal(qdict_get_try_str(e, "type"), "str");
    assert_false(qdict_haskey(e, "default-value"));
    assert_non_null(find_named(list, "readback"));
    /* Properties every device has are left out. */
    assert_null(find_named(list, "realized"));
    assert_null(find_named(list, "hotpluggable"));
    assert_null(find_named(list, "parent_bus"));
    assert_null(find_named(list, "type"));
    assert_int_equal(qlist_size(list), 4);
    qobject_unref(list);

    assert_null(qmp_device_list_properties("no-such-dev", &err));
    assert_int_equal(error_get_class(err), ERROR_CLASS_DEVICE_NOT_FOUND);
    assert_string_equal(error_get_pretty(err),
                        "Device 'no-such-dev' not found");
    error_free(err);
    err = NULL;
    assert_null(qmp_device_list_properties(TYPE_INTRO_BASE, &err));
    assert_string_equal(error_get_pretty(err), "Parameter 'typename' expects "
                        "a non-abstract device type");
    error_free(err);
    err = NULL;
    assert_null(qmp_device_list_properties(TYPE_CONTAINER, &err));
    error_free(err);

    /* qom-list-properties on an abstract type: class properties. */
    list = qmp_qom_list_properties(TYPE_DEVICE, &error_abort);
    assert_non_null(find_named(list, "realized"));
    assert_non_null(find_named(list, "type"));
    qobject_unref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_types),
        cmocka_unit_test(test_qom_list_get_set),
        cmocka_unit_test(test_device_list_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
