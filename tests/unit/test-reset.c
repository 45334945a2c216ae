/*
 * Unit tests for three-phase reset (hw/core/resettable.c) over device and
 * bus trees.
 */
#include "test.h"
#include "hw/qdev-core.h"
#include "hw/resettable.h"

#define TYPE_RESET_BUS "reset-bus"
#define TYPE_RESET_LEAF "reset-leaf"
#define TYPE_RESET_CTL "reset-ctl"

typedef struct ResetCtl {
    DeviceState parent_obj;
    BusState *bus;
} ResetCtl;
OBJECT_DECLARE_SIMPLE_TYPE(ResetCtl, RESET_CTL)

static StrBuf events;
/* Called from every enter phase, after it is logged. */
static void (*enter_hook)(DeviceState *dev);

static void log_phase(const char *phase, Object *obj)
{
    DeviceState *dev = DEVICE(obj);
    strbuf_printf(&events, "%s:%s ", phase, dev->id);
}

static void phase_enter(Object *obj, ResetType type)
{
    log_phase("enter", obj);
    if (enter_hook) {
        enter_hook(DEVICE(obj));
    }
}

static void phase_hold(Object *obj, ResetType type)
{
    log_phase("hold", obj);
}

static void phase_exit(Object *obj, ResetType type)
{
    log_phase("exit", obj);
}

static void reset_dev_class_init(ObjectClass *oc, const void *data)
{
    ResettableClass *rc = RESETTABLE_CLASS(oc);
    DEVICE_CLASS(oc)->bus_type = TYPE_RESET_BUS;
    rc->phases.enter = phase_enter;
    rc->phases.hold = phase_hold;
    rc->phases.exit = phase_exit;
}

static void reset_ctl_init(Object *obj)
{
    RESET_CTL(obj)->bus = qbus_new(TYPE_RESET_BUS, DEVICE(obj), "bus");
}

static const TypeInfo reset_types[] = {
    {
        .name = TYPE_RESET_BUS,
        .parent = TYPE_BUS,
        .instance_size = sizeof(BusState),
    }, {
        .name = TYPE_RESET_LEAF,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(DeviceState),
        .class_init = reset_dev_class_init,
    }, {
        .name = TYPE_RESET_CTL,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(ResetCtl),
        .instance_init = reset_ctl_init,
        .class_init = reset_dev_class_init,
    },
};

DEFINE_TYPES(reset_types)

/*
 * The tree under test, three device levels:
 *   root bus R
 *     A (ctl) - bus
 *         C (ctl) - bus
 *             F (leaf)
 *         D (leaf)
 * and X (leaf) on a bus of its own, outside the tree.
 */
typedef struct Tree {
    BusState *root;
    BusState *other;
    DeviceState *a, *c, *d, *f, *x;
} Tree;

static DeviceState *plug(const char *type, const char *id, BusState *bus)
{
    DeviceState *dev = qdev_new(type);
    qdev_set_id(dev, id);
    assert_true(qdev_realize_and_unref(dev, bus, &error_abort));
    return dev;
}

static int setup_tree(void **state)
{
    Tree *t = xnew(Tree);
    t->root = qbus_new(TYPE_RESET_BUS, NULL, "R");
    t->other = qbus_new(TYPE_RESET_BUS, NULL, "other");
    t->a = plug(TYPE_RESET_CTL, "A", t->root);
    t->c = plug(TYPE_RESET_CTL, "C", RESET_CTL(t->a)->bus);
    t->d = plug(TYPE_RESET_LEAF, "D", RESET_CTL(t->a)->bus);
    t->f = plug(TYPE_RESET_LEAF, "F", RESET_CTL(t->c)->bus);
    t->x = plug(TYPE_RESET_LEAF, "X", t->other);
    strbuf_free(&events);
    enter_hook = NULL;
    *state = t;
    return 0;
}

static int teardown_tree(void **state)
{
    Tree *t = *state;
    if (t->a) {
        object_unparent(OBJECT(t->a));
    }
    if (t->x) {
        object_unparent(OBJECT(t->x));
    }
    object_unref(OBJECT(t->root));
    object_unref(OBJECT(t->other));
    free(t);
    strbuf_free(&events);
    enter_hook = NULL;
    return 0;
}

static void expect_events(const char *expected)
{
    assert_string_equal(events.str ? events.str : "", expected);
    strbuf_free(&events);
}

#define TREE_ENTER "enter:F enter:C enter:D enter:A "
#define TREE_HOLD "hold:F hold:C hold:D hold:A "
#define TREE_EXIT "exit:F exit:C exit:D exit:A "

static void test_phase_order(void **state)
{
    Tree *t = *state;

    /* Each phase over the whole tree (children first) before the next. */
    bus_cold_reset(t->root);
    expect_events(TREE_ENTER TREE_HOLD TREE_EXIT);
    assert_false(bus_is_in_reset(t->root));
    assert_false(device_is_in_reset(t->f));

    /* From a device: its subtree only. */
    device_cold_reset(t->c);
    expect_events("enter:F enter:C hold:F hold:C exit:F exit:C ");

    /* A warm reset runs the same phases. */
    resettable_reset(OBJECT(t->a), RESET_TYPE_WARM);
    expect_events(TREE_ENTER TREE_HOLD TREE_EXIT);
}

static void test_assert_release(void **state)
{
    Tree *t = *state;

    resettable_assert_reset(OBJECT(t->root), RESET_TYPE_COLD);
    expect_events(TREE_ENTER TREE_HOLD);
    assert_true(device_is_in_reset(t->f));
    assert_true(bus_is_in_reset(t->root));

    /* Nested asserts, of the same tree or a subtree: counted, no phases. */
    resettable_assert_reset(OBJECT(t->root), RESET_TYPE_COLD);
    resettable_assert_reset(OBJECT(t->c), RESET_TYPE_COLD);
    expect_events("");
    assert_int_equal(t->f->reset.count, 3);
    assert_int_equal(t->d->reset.count, 2);

    resettable_release_reset(OBJECT(t->c), RESET_TYPE_COLD);
    resettable_release_reset(OBJECT(t->root), RESET_TYPE_COLD);
    expect_events("");
    assert_true(device_is_in_reset(t->f));

    /* The last release takes the whole tree out, once. */
    resettable_release_reset(OBJECT(t->root), RESET_TYPE_COLD);
    expect_events(TREE_EXIT);
    assert_false(device_is_in_reset(t->f));
    assert_int_equal(t->a->reset.count, 0);
}

static Tree *hook_tree;

static void reset_others_from_enter(DeviceState *dev)
{
    if (dev != hook_tree->d) {
        return;
    }
    /* Already entered, not yet entered, and outside the tree. */
    resettable_reset(OBJECT(hook_tree->c), RESET_TYPE_COLD);
    resettable_reset(OBJECT(hook_tree->a), RESET_TYPE_COLD);
    resettable_reset(OBJECT(hook_tree->x), RESET_TYPE_COLD);
}

static void test_reset_from_enter_phase(void **state)
{
    Tree *t = *state;

    hook_tree = t;
    enter_hook = reset_others_from_enter;
    bus_cold_reset(t->root);
    /*
     * C and A are in the reset in progress: their phases run once.  X is
     * not: it gets its own reset once every hold has run.
     */
    expect_events(TREE_ENTER TREE_HOLD
                  "enter:X hold:X exit:X "
                  TREE_EXIT);
    assert_false(device_is_in_reset(t->x));
    assert_false(device_is_in_reset(t->a));
}

static void assert_x_from_enter(DeviceState *dev)
{
    if (dev == hook_tree->d) {
        resettable_assert_reset(OBJECT(hook_tree->x), RESET_TYPE_COLD);
        resettable_assert_reset(OBJECT(hook_tree->c), RESET_TYPE_COLD);
    }
}

static void test_assert_from_enter_phase(void **state)
{
    Tree *t = *state;

    hook_tree = t;
    enter_hook = assert_x_from_enter;
    resettable_assert_reset(OBJECT(t->root), RESET_TYPE_COLD);
    /* X enters at once, but holds only after every enter. */
    expect_events("enter:F enter:C enter:D enter:X enter:A "
                  TREE_HOLD "hold:X ");
    enter_hook = NULL;
    assert_int_equal(t->c->reset.count, 2);

    resettable_release_reset(OBJECT(t->root), RESET_TYPE_COLD);
    expect_events("exit:D exit:A ");
    resettable_release_reset(OBJECT(t->c), RESET_TYPE_COLD);
    expect_events("exit:F exit:C ");
    resettable_release_reset(OBJECT(t->x), RESET_TYPE_COLD);
    expect_events("exit:X ");
}

static void test_devices_reset_from_root(void **state)
{
    Tree *t = *state;
    Object *machine = object_new_container(object_get_root(),
                                           "test-reset-machine");

    object_property_add_child(machine, "R", OBJECT(t->root));
    object_property_add_child(machine, "other", OBJECT(t->other));
    qemu_devices_reset(machine, RESET_TYPE_COLD);
    /* Both trees as one: all enters, then all holds, then all exits. */
    expect_events(TREE_ENTER "enter:X " TREE_HOLD "hold:X "
                  TREE_EXIT "exit:X ");
    /* Taking the buses out of the tree takes their devices too. */
    object_unparent(machine);
    t->a = t->x = NULL;
}

static void test_change_parent(void **state)
{
    Tree *t = *state;

    /* Moving a realized device onto a bus in reset puts it in reset. */
    resettable_assert_reset(OBJECT(t->other), RESET_TYPE_COLD);
    expect_events("enter:X hold:X ");
    assert_true(qdev_set_parent_bus(t->d, t->other, &error_abort));
    expect_events("enter:D hold:D ");
    assert_true(device_is_in_reset(t->d));
    resettable_release_reset(OBJECT(t->other), RESET_TYPE_COLD);
    expect_events("exit:X exit:D ");
    assert_false(device_is_in_reset(t->d));
    object_unparent(OBJECT(t->d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_phase_order, setup_tree,
                                        teardown_tree),
        cmocka_unit_test_setup_teardown(test_assert_release, setup_tree,
                                        teardown_tree),
        cmocka_unit_test_setup_teardown(test_reset_from_enter_phase,
                                        setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_assert_from_enter_phase,
                                        setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_devices_reset_from_root,
                                        setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_change_parent, setup_tree,
                                        teardown_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
