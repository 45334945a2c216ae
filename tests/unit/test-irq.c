/*
 * Unit tests for interrupt lines (hw/core/irq.c), qdev GPIOs
 * (hw/core/gpio.c), sysbus MMIO/IRQs (hw/core/sysbus.c) and the ISA bus
 * (hw/isa/isa-bus.c).
 */
#include "test.h"
#include "hw/irq.h"
#include "hw/qdev-core.h"
#include "hw/sysbus.h"
#include "hw/isa/isa.h"
#include "isa-test-machine.h"

static void test_allocate_and_set(void **state)
{
    IrqProbe probes[4] = { 0 };
    qemu_irq *irqs = qemu_allocate_irqs(irq_probe_handler, probes, 4);
    qemu_irq one = qemu_allocate_irq(irq_probe_handler, probes, 3);

    qemu_irq_raise(irqs[1]);
    assert_int_equal(probes[1].level, 1);
    assert_int_equal(probes[0].level, 0);
    qemu_irq_lower(irqs[1]);
    assert_int_equal(probes[1].lowers, 1);
    qemu_irq_pulse(one);
    assert_int_equal(probes[3].raises, 1);
    assert_int_equal(probes[3].lowers, 1);
    assert_int_equal(probes[3].level, 0);
    /* Any non-zero level is "high". */
    qemu_set_irq(irqs[2], 5);
    assert_int_equal(probes[2].level, 1);
    /* An unconnected line is a no-op, not a crash. */
    qemu_set_irq(NULL, 1);

    irqs = qemu_extend_irqs(irqs, 4, irq_probe_handler, probes, 0);
    qemu_free_irqs(irqs, 4);
    qemu_free_irq(one);
}

/* A sysbus device with two GPIO groups, an MMIO region and one IRQ. */
#define TYPE_GPIO_TEST "gpio-test"
typedef struct GpioTest {
    SysBusDevice parent_obj;
    qemu_irq out[2];
    qemu_irq named_out;
    qemu_irq sysbus_irq;
    int last_in[8];
    int last_ctl[2];
    MemoryRegion mmio;
    uint32_t reg;
} GpioTest;
OBJECT_DECLARE_SIMPLE_TYPE(GpioTest, GPIO_TEST)

static void gpio_test_in(void *opaque, int n, int level)
{
    GPIO_TEST(opaque)->last_in[n] = level;
}

static void gpio_test_ctl(void *opaque, int n, int level)
{
    GPIO_TEST(opaque)->last_ctl[n] = level;
}

static uint64_t gpio_test_read(void *opaque, hwaddr addr, unsigned size)
{
    return GPIO_TEST(opaque)->reg;
}

static void gpio_test_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    GpioTest *s = GPIO_TEST(opaque);
    s->reg = val;
    qemu_set_irq(s->sysbus_irq, val & 1);
}

static const MemoryRegionOps gpio_test_ops = {
    .read = gpio_test_read,
    .write = gpio_test_write,
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static void gpio_test_init(Object *obj)
{
    GpioTest *s = GPIO_TEST(obj);
    DeviceState *dev = DEVICE(obj);

    qdev_init_gpio_in(dev, gpio_test_in, 4);
    qdev_init_gpio_in(dev, gpio_test_in, 2);       /* extends to 6 */
    qdev_init_gpio_in_named(dev, gpio_test_ctl, "ctl", 2);
    qdev_init_gpio_out(dev, s->out, 2);
    qdev_init_gpio_out_named(dev, &s->named_out, "a20", 1);
    memory_region_init_io(&s->mmio, obj, &gpio_test_ops, s, "gpio-test",
                          0x1000);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->mmio);
    sysbus_init_irq(SYS_BUS_DEVICE(obj), &s->sysbus_irq);
}

static void gpio_test_finalize(Object *obj)
{
    memory_region_finalize(&GPIO_TEST(obj)->mmio);
}

static const TypeInfo gpio_test_types[] = {
    {
        .name = TYPE_GPIO_TEST,
        .parent = TYPE_SYS_BUS_DEVICE,
        .instance_size = sizeof(GpioTest),
        .instance_init = gpio_test_init,
        .instance_finalize = gpio_test_finalize,
    },
};

DEFINE_TYPES(gpio_test_types)

static void test_qdev_gpio(void **state)
{
    DeviceState *a = qdev_new(TYPE_GPIO_TEST);
    DeviceState *b = qdev_new(TYPE_GPIO_TEST);
    GpioTest *ga = GPIO_TEST(a), *gb = GPIO_TEST(b);

    assert_int_equal(qdev_gpio_in_count(a, NULL), 6);
    assert_int_equal(qdev_gpio_in_count(a, "ctl"), 2);
    assert_int_equal(qdev_gpio_out_count(a, NULL), 2);
    assert_int_equal(qdev_gpio_out_count(a, "nope"), 0);

    /* a.out[1] -> b.in[5], a.a20 -> b.ctl[1] */
    qdev_connect_gpio_out(a, 1, qdev_get_gpio_in(b, 5));
    qdev_connect_gpio_out_named(a, "a20", 0,
                                qdev_get_gpio_in_named(b, "ctl", 1));
    assert_ptr_equal(qdev_get_gpio_out_connector(a, NULL, 1),
                     qdev_get_gpio_in(b, 5));
    qemu_irq_raise(ga->out[1]);
    assert_int_equal(gb->last_in[5], 1);
    qemu_irq_raise(ga->named_out);
    assert_int_equal(gb->last_ctl[1], 1);
    assert_int_equal(gb->last_ctl[0], 0);
    /* Output 0 is unconnected: driving it does nothing. */
    qemu_irq_raise(ga->out[0]);

    object_unref(OBJECT(a));
    object_unref(OBJECT(b));
}

static void test_sysbus_mmio_irq(void **state)
{
    DeviceState *dev = qdev_new(TYPE_GPIO_TEST);
    SysBusDevice *sbd = SYS_BUS_DEVICE(dev);
    IrqProbe probe = { 0 };
    qemu_irq line = qemu_allocate_irq(irq_probe_handler, &probe, 0);
    MemTxResult res;

    sysbus_realize_and_unref(sbd, &error_abort);
    assert_true(sysbus_has_mmio(sbd, 0));
    assert_false(sysbus_has_mmio(sbd, 1));
    assert_true(sysbus_has_irq(sbd, 0));
    assert_false(sysbus_has_irq(sbd, 1));
    sysbus_connect_irq(sbd, 0, line);
    sysbus_mmio_map(sbd, 0, 0xfeb00000);

    address_space_stl_le(&address_space_memory, 0xfeb00010, 0x1235, ATTRS,
                         &res);
    assert_int_equal(res, MEMTX_OK);
    assert_int_equal(probe.level, 1);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xfeb00000,
                                          ATTRS, NULL), 0x1235);
    /* Moving it: the old address is a hole again. */
    sysbus_mmio_map(sbd, 0, 0xfea00000);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xfea00000,
                                          ATTRS, NULL), 0x1235);
    address_space_ldl_le(&address_space_memory, 0xfeb00000, ATTRS, &res);
    assert_int_not_equal(res, MEMTX_OK);

    /* Unplugging unmaps. */
    object_unparent(OBJECT(dev));
    urcu_bp_barrier();
    address_space_ldl_le(&address_space_memory, 0xfea00000, ATTRS, &res);
    assert_int_not_equal(res, MEMTX_OK);
    qemu_free_irq(line);
}

/* An ISA device with one port and IRQ 5. */
#define TYPE_ISA_TEST "isa-test"
typedef struct IsaTest {
    ISADevice parent_obj;
    MemoryRegion io;
    qemu_irq irq;
    uint8_t val;
} IsaTest;
OBJECT_DECLARE_SIMPLE_TYPE(IsaTest, ISA_TEST)

static uint64_t isa_test_read(void *opaque, hwaddr addr, unsigned size)
{
    return ISA_TEST(opaque)->val;
}

static void isa_test_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    IsaTest *s = ISA_TEST(opaque);
    s->val = val;
    qemu_set_irq(s->irq, val & 1);
}

static const MemoryRegionOps isa_test_ops = {
    .read = isa_test_read,
    .write = isa_test_write,
};

static void isa_test_realize(DeviceState *dev, Error **errp)
{
    IsaTest *s = ISA_TEST(dev);

    memory_region_init_io(&s->io, OBJECT(dev), &isa_test_ops, s, "isa-test",
                          1);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, 0x333);
    isa_init_irq(ISA_DEVICE(dev), &s->irq, 5);
}

static void isa_test_finalize(Object *obj)
{
    memory_region_finalize(&ISA_TEST(obj)->io);
}

static void isa_test_class_init(ObjectClass *oc, const void *data)
{
    DEVICE_CLASS(oc)->realize = isa_test_realize;
}

static const TypeInfo isa_test_types[] = {
    {
        .name = TYPE_ISA_TEST,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(IsaTest),
        .instance_finalize = isa_test_finalize,
        .class_init = isa_test_class_init,
    },
};

DEFINE_TYPES(isa_test_types)

static void test_isa_bus(void **state)
{
    ISABus *bus = test_isa_bus_new();
    IrqProbe probes[ISA_NUM_IRQS] = { 0 };
    qemu_irq *lines = qemu_allocate_irqs(irq_probe_handler, probes,
                                         ISA_NUM_IRQS);
    ISADevice *dev = isa_create_simple(bus, TYPE_ISA_TEST);
    StrBuf tree;

    assert_ptr_equal(isa_bus_from_device(dev), bus);
    /* The device got its line before the board wired the bus... */
    outb(0x333, 0x41);
    assert_int_equal(inb(0x333), 0x41);
    assert_int_equal(probes[5].raises, 0);
    /* ...and it reaches the controller once wired. */
    isa_bus_irqs(bus, lines);
    outb(0x333, 0x03);
    assert_int_equal(probes[5].level, 1);
    assert_int_equal(probes[4].level, 0);
    outb(0x333, 0x02);
    assert_int_equal(probes[5].lowers, 1);

    strbuf_init(&tree);
    qdev_print_tree(&tree, BUS(bus));
    assert_non_null(strstr(tree.str, "dev: isa-test"));
    assert_non_null(strstr(tree.str, "isa irq 5"));
    strbuf_free(&tree);

    test_isa_bus_free(bus);
    /* The port went away with the device: unclaimed ports read 0xff. */
    outb(0x333, 0x41);
    assert_int_equal(inb(0x333), 0xff);
    qemu_free_irqs(lines, ISA_NUM_IRQS);
}

static void test_isa_bus_needs_spaces(void **state)
{
    Error *err = NULL;

    assert_null(isa_bus_new(NULL, NULL, get_system_io(), &err));
    assert_non_null(err);
    assert_non_null(strstr(error_get_pretty(err), "address spaces"));
    error_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocate_and_set),
        cmocka_unit_test(test_qdev_gpio),
        cmocka_unit_test(test_sysbus_mmio_irq),
        cmocka_unit_test(test_isa_bus),
        cmocka_unit_test(test_isa_bus_needs_spaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
