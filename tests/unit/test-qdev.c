/*
 * Unit tests for the device model: static properties, realize and
 * unrealize with hotplug handlers, buses, placement in the composition
 * tree and `info qtree` (hw/core/qdev.c, bus.c, qdev-properties.c).
 */
#include "test.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "hw/sysbus.h"
#include "memory/memory.h"

#define TYPE_TEST_BUS "test-bus"
#define TYPE_TEST_DEV "test-dev"
#define TYPE_TEST_CONTROLLER "test-controller"
#define TYPE_TEST_BRIDGE "test-bridge"
#define TYPE_TEST_HOTPLUG "test-hotplug"

typedef struct TestDev {
    DeviceState parent_obj;
    uint8_t u8;
    int32_t i32;
    uint32_t iobase;
    uint64_t u64;
    bool flag;
    char *label;
    bool fail_realize;
    int resets;
} TestDev;

typedef struct TestController {
    DeviceState parent_obj;
    BusState *bus;
    uint16_t slots;
} TestController;

typedef struct TestHotplug {
    Object parent_obj;
    bool fail_pre_plug;
    bool fail_plug;
} TestHotplug;

OBJECT_DECLARE_SIMPLE_TYPE(TestDev, TEST_DEV)
OBJECT_DECLARE_SIMPLE_TYPE(TestController, TEST_CONTROLLER)
OBJECT_DECLARE_SIMPLE_TYPE(TestHotplug, TEST_HOTPLUG)

/* Everything the devices and handlers do is written here, in order. */
static StrBuf events;

static void PRINTF_FMT(1, 2) log_event(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&events, fmt, ap);
    va_end(ap);
    strbuf_putc(&events, ' ');
}

static void expect_events(const char *expected)
{
    assert_string_equal(events.str ? events.str : "", expected);
    strbuf_free(&events);
}

static const char *dev_name(DeviceState *dev)
{
    return dev->id ? dev->id : "?";
}

static void test_dev_realize(DeviceState *dev, Error **errp)
{
    log_event("realize:%s", dev_name(dev));
    if (TEST_DEV(dev)->fail_realize) {
        error_setg(errp, "device '%s' refuses to realize", dev_name(dev));
    }
}

static void test_dev_unrealize(DeviceState *dev)
{
    log_event("unrealize:%s", dev_name(dev));
}

static void test_dev_reset(DeviceState *dev)
{
    TEST_DEV(dev)->resets++;
}

static const Property test_dev_properties[] = {
    DEFINE_PROP_UINT8("u8", TestDev, u8, 0),
    DEFINE_PROP_INT32("i32", TestDev, i32, -1),
    DEFINE_PROP_UINT32("iobase", TestDev, iobase, 0x402),
    DEFINE_PROP_UINT64("u64", TestDev, u64, 0),
    DEFINE_PROP_BOOL("flag", TestDev, flag, true),
    DEFINE_PROP_STRING("label", TestDev, label),
    DEFINE_PROP_END_OF_LIST(),
};

static void test_dev_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    dc->realize = test_dev_realize;
    dc->unrealize = test_dev_unrealize;
    dc->bus_type = TYPE_TEST_BUS;
    dc->desc = "a device for tests";
    device_class_set_legacy_reset(dc, test_dev_reset);
    device_class_set_props(dc, test_dev_properties);
}

static void test_controller_init(Object *obj)
{
    TestController *c = TEST_CONTROLLER(obj);
    c->bus = qbus_new(TYPE_TEST_BUS, DEVICE(obj), "ctl-bus");
}

static void test_controller_realize(DeviceState *dev, Error **errp)
{
    log_event("realize:%s", dev_name(dev));
}

static void test_controller_unrealize(DeviceState *dev)
{
    log_event("unrealize:%s", dev_name(dev));
}

static const Property test_controller_properties[] = {
    DEFINE_PROP_UINT16("slots", TestController, slots, 8),
    DEFINE_PROP_END_OF_LIST(),
};

static void test_controller_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    dc->realize = test_controller_realize;
    dc->unrealize = test_controller_unrealize;
    device_class_set_props(dc, test_controller_properties);
}

static void test_bridge_class_init(ObjectClass *oc, const void *data)
{
    DEVICE_CLASS(oc)->bus_type = TYPE_TEST_BUS;
}

static void test_bus_realize(BusState *bus, Error **errp)
{
    log_event("bus-realize:%s", bus->name);
}

static void test_bus_unrealize(BusState *bus)
{
    log_event("bus-unrealize:%s", bus->name);
}

static void test_bus_class_init(ObjectClass *oc, const void *data)
{
    BusClass *bc = BUS_CLASS(oc);
    bc->realize = test_bus_realize;
    bc->unrealize = test_bus_unrealize;
}

static void hp_pre_plug(HotplugHandler *h, DeviceState *dev, Error **errp)
{
    log_event("pre_plug:%s", dev_name(dev));
    if (TEST_HOTPLUG(h)->fail_pre_plug) {
        error_setg(errp, "no room for '%s'", dev_name(dev));
    }
}

static void hp_plug(HotplugHandler *h, DeviceState *dev, Error **errp)
{
    log_event("plug:%s(realized=%d)", dev_name(dev), dev->realized);
    if (TEST_HOTPLUG(h)->fail_plug) {
        error_setg(errp, "cannot wire '%s'", dev_name(dev));
    }
}

static void hp_unplug(HotplugHandler *h, DeviceState *dev, Error **errp)
{
    log_event("unplug:%s", dev_name(dev));
    qdev_simple_device_unplug_cb(h, dev, errp);
}

static void test_hotplug_class_init(ObjectClass *oc, const void *data)
{
    HotplugHandlerClass *hc = HOTPLUG_HANDLER_CLASS(oc);
    hc->pre_plug = hp_pre_plug;
    hc->plug = hp_plug;
    hc->unplug = hp_unplug;
}

static const TypeInfo test_qdev_types[] = {
    {
        .name = TYPE_TEST_BUS,
        .parent = TYPE_BUS,
        .instance_size = sizeof(BusState),
        .class_init = test_bus_class_init,
    }, {
        .name = TYPE_TEST_DEV,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(TestDev),
        .class_init = test_dev_class_init,
    }, {
        .name = TYPE_TEST_CONTROLLER,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(TestController),
        .instance_init = test_controller_init,
        .class_init = test_controller_class_init,
    }, {
        .name = TYPE_TEST_BRIDGE,
        .parent = TYPE_TEST_CONTROLLER,
        .class_init = test_bridge_class_init,
    }, {
        .name = TYPE_TEST_HOTPLUG,
        .parent = TYPE_OBJECT,
        .instance_size = sizeof(TestHotplug),
        .class_init = test_hotplug_class_init,
        .interfaces = (const InterfaceInfo[]) {
            { TYPE_HOTPLUG_HANDLER },
            { NULL }
        },
    },
};

DEFINE_TYPES(test_qdev_types)

static DeviceState *new_dev(const char *type, const char *id)
{
    DeviceState *dev = qdev_new(type);
    if (id) {
        qdev_set_id(dev, id);
    }
    return dev;
}

static void expect_error(Error *err, const char *msg)
{
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err), msg);
    error_free(err);
}

static void test_static_properties(void **state)
{
    BusState *bus = qbus_new(TYPE_TEST_BUS, NULL, "props-bus");
    DeviceState *dev = new_dev(TYPE_TEST_DEV, "d1");
    TestDev *td = TEST_DEV(dev);
    Object *obj = OBJECT(dev);
    Error *err = NULL;

    /* Defaults were applied at creation. */
    assert_int_equal(td->iobase, 0x402);
    assert_true(td->flag);
    assert_int_equal(td->i32, -1);
    assert_null(td->label);
    assert_string_equal(object_property_get_type(obj, "label", NULL), "str");
    assert_string_equal(object_property_get_type(obj, "iobase", NULL),
                        "uint32");

    /* Before realize: typed checks. */
    assert_false(object_property_set_uint(obj, "u8", 256, &err));
    expect_error(err, "Parameter 'u8' expects a value between 0 and 255");
    err = NULL;
    assert_false(object_property_parse(obj, "i32", "2147483648", &err));
    expect_error(err, "Parameter 'i32' expects a value between -2147483648 "
                      "and 2147483647");
    err = NULL;
    assert_false(object_property_set_str(obj, "flag", "yes", &err));
    expect_error(err, "Invalid parameter type for 'flag', expected: boolean");
    err = NULL;
    assert_false(object_property_parse(obj, "nope", "1", &err));
    expect_error(err, "Property 'test-dev.nope' not found");
    err = NULL;
    assert_true(object_property_parse(obj, "u8", "200", &error_abort));
    assert_true(object_property_parse(obj, "label", "hello", &error_abort));
    assert_true(object_property_parse(obj, "flag", "off", &error_abort));
    qdev_prop_set_uint32(dev, "iobase", 0x3f8);
    assert_int_equal(td->u8, 200);
    assert_string_equal(td->label, "hello");
    assert_false(td->flag);
    assert_int_equal(td->iobase, 0x3f8);
    assert_false(object_property_get_bool(obj, "realized", &error_abort));

    assert_true(qdev_realize(dev, bus, &error_abort));
    assert_true(object_property_get_bool(obj, "realized", &error_abort));

    /* After realize: refused, value unchanged. */
    assert_false(object_property_set_uint(obj, "u8", 1, &err));
    expect_error(err, "Attempt to set property 'u8' on device 'd1' "
                      "(type 'test-dev') after it was realized");
    err = NULL;
    assert_false(object_property_parse(obj, "label", "x", &err));
    expect_error(err, "Attempt to set property 'label' on device 'd1' "
                      "(type 'test-dev') after it was realized");
    err = NULL;
    assert_int_equal(td->u8, 200);
    assert_string_equal(td->label, "hello");
    /* Read-only device properties. */
    assert_false(object_property_set_bool(obj, "hotplugged", true, &err));
    expect_error(err, "Property 'test-dev.hotplugged' is not writable");
    err = NULL;

    /* Anonymous device wording. */
    DeviceState *anon = qdev_new(TYPE_TEST_DEV);
    assert_true(qdev_realize(anon, bus, &error_abort));
    assert_false(object_property_set_bool(OBJECT(anon), "flag", true, &err));
    expect_error(err, "Attempt to set property 'flag' on anonymous device "
                      "(type 'test-dev') after it was realized");

    strbuf_free(&events);
    object_unparent(obj);
    object_unparent(OBJECT(anon));
    object_unref(obj);
    object_unref(OBJECT(anon));
    object_unref(OBJECT(bus));
}

static void test_realize_order_and_unplug(void **state)
{
    DeviceState *ctl = new_dev(TYPE_TEST_CONTROLLER, "c");
    TestHotplug *hp = TEST_HOTPLUG(object_new(TYPE_TEST_HOTPLUG));
    BusState *bus = TEST_CONTROLLER(ctl)->bus;

    strbuf_free(&events);
    assert_false(qbus_is_hotpluggable(bus));
    qbus_set_hotplug_handler(bus, OBJECT(hp));
    assert_true(qbus_is_hotpluggable(bus));
    assert_ptr_equal(bus->parent, ctl);
    assert_ptr_equal(qdev_get_child_bus(ctl, "ctl-bus"), bus);

    /* The controller: realize, then its bus. */
    assert_true(qdev_realize_and_unref(ctl, NULL, &error_abort));
    expect_events("realize:c bus-realize:ctl-bus ");
    assert_true(bus->realized);

    DeviceState *d1 = new_dev(TYPE_TEST_DEV, "d1");
    DeviceState *d2 = new_dev(TYPE_TEST_DEV, "d2");
    assert_true(qdev_realize_and_unref(d1, bus, &error_abort));
    assert_true(qdev_realize_and_unref(d2, bus, &error_abort));
    /* pre_plug, realize, plug (which sees the device realized). */
    expect_events("pre_plug:d1 realize:d1 plug:d1(realized=1) "
                  "pre_plug:d2 realize:d2 plug:d2(realized=1) ");
    assert_true(object_property_get_bool(OBJECT(d1), "hotpluggable",
                                         &error_abort));
    char *s = object_property_get_str(OBJECT(d1), "parent_bus", NULL);
    char *bus_path = object_get_canonical_path(OBJECT(bus));
    assert_string_equal(s, bus_path);
    free(s);

    /* Unplug through the handler: unplug, then unrealize. */
    assert_true(qdev_unplug(d1, &error_abort));
    expect_events("unplug:d1 unrealize:d1 ");
    assert_int_equal(bus->num_children, 1);
    assert_null(object_property_find(OBJECT(bus), "child[0]"));
    assert_non_null(object_property_find(OBJECT(bus), "child[1]"));

    /* Unrealizing the controller takes what sits below it first. */
    DeviceState *d3 = new_dev(TYPE_TEST_DEV, "d3");
    assert_true(qdev_realize_and_unref(d3, bus, &error_abort));
    strbuf_free(&events);
    qdev_unrealize(ctl);
    expect_events("unrealize:d3 unrealize:d2 bus-unrealize:ctl-bus "
                  "unrealize:c ");
    assert_false(d2->realized);
    assert_false(bus->realized);

    /* Realizing again brings back only the controller and its bus. */
    assert_true(object_property_set_bool(OBJECT(ctl), "realized", true,
                                         &error_abort));
    expect_events("realize:c bus-realize:ctl-bus ");

    /* Gone from the tree: everything below goes with it. */
    object_unparent(OBJECT(ctl));
    expect_events("bus-unrealize:ctl-bus unrealize:c ");
    assert_null(object_resolve_path(bus_path, NULL));
    free(bus_path);
    object_unref(OBJECT(hp));
}

static HotplugHandler *machine_hook_handler;

static HotplugHandler *machine_hook(DeviceState *dev)
{
    return dev->id && dev->id[0] == 'm' ? machine_hook_handler : NULL;
}

static void test_machine_hotplug_hook(void **state)
{
    BusState *bus = qbus_new(TYPE_TEST_BUS, NULL, "hook-bus");
    Object *hp = object_new(TYPE_TEST_HOTPLUG);
    DeviceState *m = new_dev(TYPE_TEST_DEV, "m1");
    DeviceState *n = new_dev(TYPE_TEST_DEV, "n1");

    machine_hook_handler = HOTPLUG_HANDLER(hp);
    qdev_set_machine_hotplug_handler_hook(machine_hook);
    strbuf_free(&events);
    assert_true(qdev_realize(m, bus, &error_abort));
    assert_true(qdev_realize(n, bus, &error_abort));
    /* The bus has no handler: only the machine's hook chose one. */
    expect_events("pre_plug:m1 realize:m1 plug:m1(realized=1) "
                  "realize:n1 ");
    qdev_set_machine_hotplug_handler_hook(NULL);

    object_unparent(OBJECT(m));
    object_unparent(OBJECT(n));
    object_unref(OBJECT(m));
    object_unref(OBJECT(n));
    object_unref(OBJECT(bus));
    object_unref(hp);
    strbuf_free(&events);
}

static void test_realize_errors(void **state)
{
    DeviceState *ctl = new_dev(TYPE_TEST_CONTROLLER, "c");
    TestHotplug *hp = TEST_HOTPLUG(object_new(TYPE_TEST_HOTPLUG));
    BusState *bus = TEST_CONTROLLER(ctl)->bus;
    Error *err = NULL;

    qbus_set_hotplug_handler(bus, OBJECT(hp));
    assert_true(qdev_realize(ctl, NULL, &error_abort));
    strbuf_free(&events);

    /* realize fails: unrealized, message passed on. */
    DeviceState *d = new_dev(TYPE_TEST_DEV, "bad");
    TEST_DEV(d)->fail_realize = true;
    assert_false(qdev_realize(d, bus, &err));
    expect_error(err, "device 'bad' refuses to realize");
    err = NULL;
    assert_false(d->realized);
    assert_false(object_property_get_bool(OBJECT(d), "realized", NULL));
    expect_events("pre_plug:bad realize:bad ");
    object_unref(OBJECT(d));

    /* pre_plug refuses: realize is never called. */
    hp->fail_pre_plug = true;
    d = new_dev(TYPE_TEST_DEV, "late");
    assert_false(qdev_realize(d, bus, &err));
    expect_error(err, "no room for 'late'");
    err = NULL;
    assert_false(d->realized);
    expect_events("pre_plug:late ");
    object_unref(OBJECT(d));
    hp->fail_pre_plug = false;

    /* plug fails: realize is undone. */
    hp->fail_plug = true;
    d = new_dev(TYPE_TEST_DEV, "unwired");
    assert_false(qdev_realize(d, bus, &err));
    expect_error(err, "cannot wire 'unwired'");
    err = NULL;
    assert_false(d->realized);
    expect_events("pre_plug:unwired realize:unwired "
                  "plug:unwired(realized=1) unrealize:unwired ");
    object_unref(OBJECT(d));
    hp->fail_plug = false;
    /* None of them stayed on the bus or in /machine/unattached. */
    assert_int_equal(bus->num_children, 0);

    /* Wrong bus type, and a bus-type device without a bus. */
    d = new_dev(TYPE_TEST_DEV, "lost");
    assert_false(qdev_realize(d, sysbus_get_default(), &err));
    expect_error(err, "Device 'test-dev' can't go on System bus");
    err = NULL;
    assert_false(qdev_realize(d, NULL, &err));
    expect_error(err, "Device 'test-dev' needs a bus of type 'test-bus'");
    err = NULL;
    object_unref(OBJECT(d));

    /* Creating unknown or abstract types. */
    assert_null(qdev_try_new("no-such-device", &err));
    expect_error(err, "Device 'no-such-device' not found");
    err = NULL;
    assert_null(qdev_try_new(TYPE_DEVICE, &err));
    expect_error(err, "Device type 'device' is abstract");
    err = NULL;
    assert_null(qdev_try_new(TYPE_TEST_HOTPLUG, &err));
    expect_error(err, "'test-hotplug' is not a device type");

    object_unparent(OBJECT(ctl));
    object_unref(OBJECT(ctl));
    object_unref(OBJECT(hp));
    strbuf_free(&events);
}

static void test_unattached_placement(void **state)
{
    DeviceState *ctl = new_dev(TYPE_TEST_CONTROLLER, "c");
    Error *err = NULL;

    assert_null(OBJECT(ctl)->parent);
    assert_true(qdev_realize(ctl, NULL, &error_abort));
    char *path = object_get_canonical_path(OBJECT(ctl));
    assert_true(strstart(path, "/machine/unattached/device[", NULL));
    assert_ptr_equal(object_resolve_path(path, NULL), ctl);
    char *bus_path = xasprintf("%s/ctl-bus", path);
    assert_ptr_equal(object_resolve_path(bus_path, NULL),
                     TEST_CONTROLLER(ctl)->bus);

    /* The tree holds it now: dropping ours keeps it alive. */
    object_unref(OBJECT(ctl));
    assert_ptr_equal(object_resolve_path(path, NULL), ctl);
    assert_false(qdev_realize(ctl, NULL, &err));
    expect_error(err, "Device 'test-controller' is already realized");
    object_unparent(OBJECT(ctl));
    assert_null(object_resolve_path(path, NULL));
    free(path);
    free(bus_path);
    strbuf_free(&events);
}

static void test_hotplugged_device_cold_reset(void **state)
{
    BusState *bus = qbus_new(TYPE_TEST_BUS, NULL, "hot-bus");
    DeviceState *cold = new_dev(TYPE_TEST_DEV, "cold");
    assert_false(cold->hotplugged);

    qdev_machine_creation_done();
    DeviceState *hot = new_dev(TYPE_TEST_DEV, "hot");
    assert_true(hot->hotplugged);
    assert_true(object_property_get_bool(OBJECT(hot), "hotplugged", NULL));

    assert_true(qdev_realize(cold, bus, &error_abort));
    assert_true(qdev_realize(hot, bus, &error_abort));
    assert_int_equal(TEST_DEV(cold)->resets, 0);
    assert_int_equal(TEST_DEV(hot)->resets, 1);
    assert_false(device_is_in_reset(hot));

    /* A cold reset of the bus reaches both. */
    bus_cold_reset(bus);
    assert_int_equal(TEST_DEV(cold)->resets, 1);
    assert_int_equal(TEST_DEV(hot)->resets, 2);
    qdev_hotplug = false;

    object_unparent(OBJECT(cold));
    object_unparent(OBJECT(hot));
    object_unref(OBJECT(cold));
    object_unref(OBJECT(hot));
    object_unref(OBJECT(bus));
    strbuf_free(&events);
}

static void test_qtree(void **state)
{
    BusState *bus = qbus_new(TYPE_TEST_BUS, NULL, "main-test-bus");
    DeviceState *d1 = new_dev(TYPE_TEST_DEV, "d1");
    DeviceState *br = new_dev(TYPE_TEST_BRIDGE, "br");
    DeviceState *d2 = new_dev(TYPE_TEST_DEV, NULL);
    StrBuf out = { 0 };

    qdev_prop_set_uint8(d1, "u8", 7);
    qdev_prop_set_string(d1, "label", "hello");
    qdev_prop_set_uint16(br, "slots", 2);
    qdev_prop_set_bit(d2, "flag", false);
    assert_true(qdev_realize_and_unref(d1, bus, &error_abort));
    assert_true(qdev_realize_and_unref(br, bus, &error_abort));
    assert_true(qdev_realize_and_unref(d2, TEST_CONTROLLER(br)->bus,
                                       &error_abort));

    qdev_print_tree(&out, bus);
    assert_string_equal(out.str,
        "bus: main-test-bus\n"
        "  type test-bus\n"
        "  dev: test-dev, id \"d1\"\n"
        "    u8 = 7 (0x7)\n"
        "    i32 = -1 (0xffffffffffffffff)\n"
        "    iobase = 1026 (0x402)\n"
        "    u64 = 0 (0x0)\n"
        "    flag = true\n"
        "    label = \"hello\"\n"
        "  dev: test-bridge, id \"br\"\n"
        "    slots = 2 (0x2)\n"
        "    bus: ctl-bus\n"
        "      type test-bus\n"
        "      dev: test-dev, id \"\"\n"
        "        u8 = 0 (0x0)\n"
        "        i32 = -1 (0xffffffffffffffff)\n"
        "        iobase = 1026 (0x402)\n"
        "        u64 = 0 (0x0)\n"
        "        flag = false\n"
        "        label = \"\"\n");
    strbuf_free(&out);

    /* The default root is the main system bus. */
    qdev_print_tree(&out, NULL);
    assert_true(strstart(out.str, "bus: main-system-bus\n  type System\n",
                         NULL));
    strbuf_free(&out);
    char *path = object_get_canonical_path(OBJECT(sysbus_get_default()));
    assert_string_equal(path, "/machine/unattached/sysbus");
    free(path);

    object_unparent(OBJECT(d1));
    object_unparent(OBJECT(br));
    assert_int_equal(bus->num_children, 0);
    object_unref(OBJECT(bus));
    strbuf_free(&events);
}

static void test_mtree_owner(void **state)
{
    BusState *bus = qbus_new(TYPE_TEST_BUS, NULL, "mem-bus");
    DeviceState *named = new_dev(TYPE_TEST_DEV, "dbg");
    DeviceState *anon = new_dev(TYPE_TEST_DEV, NULL);
    Object *plain = object_new(TYPE_CONTAINER);
    MemoryRegion mr_named, mr_anon, mr_plain;
    StrBuf out = { 0 };

    assert_true(qdev_realize(anon, bus, &error_abort));
    memory_region_init(&mr_named, OBJECT(named), "owned-by-id", 0x10);
    memory_region_init(&mr_anon, OBJECT(anon), "owned-by-path", 0x10);
    memory_region_init(&mr_plain, plain, "owned-by-obj", 0x10);
    memory_region_add_subregion(get_system_memory(), 0x7000000, &mr_named);
    memory_region_add_subregion(get_system_memory(), 0x7000100, &mr_anon);
    memory_region_add_subregion(get_system_memory(), 0x7000200, &mr_plain);

    mtree_info(&out, false, true, false);
    assert_non_null(strstr(out.str, "owned-by-id owner:{dev id=dbg}"));
    char *path = object_get_canonical_path(OBJECT(anon));
    char *expect = xasprintf("owned-by-path owner:{dev path=%s}", path);
    assert_non_null(strstr(out.str, expect));
    assert_non_null(strstr(out.str,
                           "owned-by-obj owner:{obj type=container}"));
    free(path);
    free(expect);
    strbuf_free(&out);

    memory_region_del_subregion(get_system_memory(), &mr_named);
    memory_region_del_subregion(get_system_memory(), &mr_anon);
    memory_region_del_subregion(get_system_memory(), &mr_plain);
    memory_region_finalize(&mr_named);
    memory_region_finalize(&mr_anon);
    memory_region_finalize(&mr_plain);
    object_unparent(OBJECT(anon));
    object_unref(OBJECT(anon));
    object_unref(OBJECT(named));
    object_unref(plain);
    object_unref(OBJECT(bus));
    strbuf_free(&events);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_properties),
        cmocka_unit_test(test_realize_order_and_unplug),
        cmocka_unit_test(test_machine_hotplug_hook),
        cmocka_unit_test(test_realize_errors),
        cmocka_unit_test(test_unattached_placement),
        cmocka_unit_test(test_hotplugged_device_cold_reset),
        cmocka_unit_test(test_qtree),
        cmocka_unit_test(test_mtree_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
