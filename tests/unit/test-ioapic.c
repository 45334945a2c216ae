/*
 * Unit tests for the I/O APIC (hw/intc/ioapic.c), through its MMIO
 * registers, with the interrupt messages caught by a test region where
 * the local APICs would be.
 */
#include "test.h"
#include "hw/intc/ioapic.h"
#include "hw/qdev-properties.h"
#include "isa-test-machine.h"

typedef struct Msi {
    hwaddr addr;
    uint32_t data;
} Msi;

typedef struct Fixture {
    DeviceState *dev;
    MemoryRegion apic_window;
    Msi msi[32];
    int nmsi;
} Fixture;

static uint64_t msi_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void msi_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Fixture *f = opaque;

    assert_int_equal(size, 4);
    if (f->nmsi < (int)ARRAY_SIZE(f->msi)) {
        f->msi[f->nmsi].addr = IOAPIC_MSI_BASE + addr;
        f->msi[f->nmsi].data = val;
    }
    f->nmsi++;
}

static const MemoryRegionOps msi_ops = {
    .read = msi_read,
    .write = msi_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static int setup(void **state)
{
    Fixture *f = xnew(Fixture);

    memory_region_init_io(&f->apic_window, NULL, &msi_ops, f, "test-msi",
                          0x100000);
    memory_region_add_subregion(get_system_memory(), IOAPIC_MSI_BASE,
                                &f->apic_window);
    f->dev = qdev_new(TYPE_IOAPIC);
    sysbus_realize_and_unref(SYS_BUS_DEVICE(f->dev), &error_abort);
    sysbus_mmio_map(SYS_BUS_DEVICE(f->dev), 0, IOAPIC_DEFAULT_BASE);
    device_cold_reset(f->dev);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    object_unparent(OBJECT(f->dev));
    memory_region_del_subregion(get_system_memory(), &f->apic_window);
    memory_region_finalize(&f->apic_window);
    urcu_bp_barrier();
    free(f);
    return 0;
}

static void ioapic_write(uint8_t reg, uint32_t val)
{
    address_space_stb(&address_space_memory, IOAPIC_DEFAULT_BASE, reg, ATTRS,
                      NULL);
    address_space_stl_le(&address_space_memory, IOAPIC_DEFAULT_BASE + 0x10,
                         val, ATTRS, NULL);
}

static uint32_t ioapic_read(uint8_t reg)
{
    address_space_stb(&address_space_memory, IOAPIC_DEFAULT_BASE, reg, ATTRS,
                      NULL);
    return address_space_ldl_le(&address_space_memory,
                                IOAPIC_DEFAULT_BASE + 0x10, ATTRS, NULL);
}

static void set_entry(int pin, uint64_t entry)
{
    ioapic_write(0x10 + 2 * pin + 1, entry >> 32);
    ioapic_write(0x10 + 2 * pin, entry);
}

static uint64_t get_entry(int pin)
{
    return ioapic_read(0x10 + 2 * pin) |
           (uint64_t)ioapic_read(0x10 + 2 * pin + 1) << 32;
}

static void set_line(Fixture *f, int pin, int level)
{
    qemu_set_irq(qdev_get_gpio_in(f->dev, pin), level);
}

static void test_registers(void **state)
{
    Fixture *f = *state;

    assert_int_equal(ioapic_read(0x01), 0x00170020);   /* 24 pins, v0x20 */
    ioapic_write(0x00, 0x0a000000);
    assert_int_equal(ioapic_read(0x00), 0x0a000000);
    assert_int_equal(ioapic_read(0x02), 0x0a000000);
    ioapic_write(0x01, 0);                              /* read-only */
    assert_int_equal(ioapic_read(0x01), 0x00170020);
    /* After reset every pin is masked. */
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        assert_int_equal(get_entry(pin), IOAPIC_LVT_MASKED);
    }
    /* Reserved, remote IRR and delivery status bits do not stick. */
    set_entry(5, 0xff000000ffffffffULL);
    assert_int_equal(get_entry(5), 0xff0000000001afffULL);
    /* Out of range register: logged, reads 0, no crash. */
    ioapic_write(0x40, 0x1234);
    assert_int_equal(ioapic_read(0x40), 0);
    assert_int_equal(f->nmsi, 0);
    device_cold_reset(f->dev);
    assert_int_equal(ioapic_read(0x00), 0);
}

static void test_edge_delivery(void **state)
{
    Fixture *f = *state;

    /* Pin 4: vector 0x34, fixed, physical, dest APIC 3. */
    set_entry(4, 0x0300000000000034ULL);
    set_line(f, 4, 1);
    assert_int_equal(f->nmsi, 1);
    assert_int_equal(f->msi[0].addr, 0xfee03000);
    assert_int_equal(f->msi[0].data, 0x34);
    /* Held high: no new edge. */
    set_line(f, 4, 1);
    assert_int_equal(f->nmsi, 1);
    set_line(f, 4, 0);
    set_line(f, 4, 1);
    assert_int_equal(f->nmsi, 2);
    set_line(f, 4, 0);

    /* Logical destination, lowest priority, dest 0x0f. */
    set_entry(6, 0x0f00000000000941ULL | IOAPIC_LVT_DEST_MODE);
    set_line(f, 6, 1);
    assert_int_equal(f->nmsi, 3);
    assert_int_equal(f->msi[2].addr, 0xfee0f004);
    assert_int_equal(f->msi[2].data, 0x141);

    /* Edges on masked pins are lost. */
    set_entry(7, 0x42 | IOAPIC_LVT_MASKED);
    set_line(f, 7, 1);
    set_line(f, 7, 0);
    set_entry(7, 0x42);
    assert_int_equal(f->nmsi, 3);

    /* ISA IRQ 0 arrives on pin 2. */
    set_entry(2, 0x30);
    set_line(f, 0, 1);
    assert_int_equal(f->nmsi, 4);
    assert_int_equal(f->msi[3].data, 0x30);
}

static void test_level_remote_irr(void **state)
{
    Fixture *f = *state;

    /* Pin 10: level, vector 0x51, dest 0. */
    set_entry(10, 0x51 | IOAPIC_LVT_TRIGGER_MODE);
    set_line(f, 10, 1);
    assert_int_equal(f->nmsi, 1);
    assert_int_equal(f->msi[0].data, 0x8051);
    assert_true(get_entry(10) & IOAPIC_LVT_REMOTE_IRR);

    /* No re-delivery until EOI, however the line moves. */
    set_line(f, 10, 1);
    set_line(f, 10, 0);
    set_line(f, 10, 1);
    assert_int_equal(f->nmsi, 1);

    /* An EOI for another vector changes nothing. */
    ioapic_eoi_broadcast(0x52);
    assert_int_equal(f->nmsi, 1);
    assert_true(get_entry(10) & IOAPIC_LVT_REMOTE_IRR);

    /* EOI with the line still asserted: delivered again. */
    ioapic_eoi_broadcast(0x51);
    assert_int_equal(f->nmsi, 2);
    assert_int_equal(f->msi[1].data, 0x8051);
    assert_true(get_entry(10) & IOAPIC_LVT_REMOTE_IRR);

    /* The device drops the line, then EOI: remote IRR clears, quiet. */
    set_line(f, 10, 0);
    ioapic_eoi_broadcast(0x51);
    assert_int_equal(f->nmsi, 2);
    assert_false(get_entry(10) & IOAPIC_LVT_REMOTE_IRR);

    /* The version 0x20 EOI register does the same. */
    set_line(f, 10, 1);
    assert_int_equal(f->nmsi, 3);
    address_space_stl_le(&address_space_memory, IOAPIC_DEFAULT_BASE + 0x40,
                         0x51, ATTRS, NULL);
    assert_int_equal(f->nmsi, 4);
    set_line(f, 10, 0);
    ioapic_eoi_broadcast(0x51);

    /* A level line asserted while masked fires when unmasked. */
    set_entry(11, 0x61 | IOAPIC_LVT_TRIGGER_MODE | IOAPIC_LVT_MASKED);
    set_line(f, 11, 1);
    assert_int_equal(f->nmsi, 4);
    set_entry(11, 0x61 | IOAPIC_LVT_TRIGGER_MODE);
    assert_int_equal(f->nmsi, 5);
    assert_int_equal(f->msi[4].data, 0x8061);
}

static void test_bad_version(void **state)
{
    DeviceState *dev = qdev_new(TYPE_IOAPIC);
    Error *err = NULL;

    qdev_prop_set_uint8(dev, "version", 0x42);
    assert_false(sysbus_realize_and_unref(SYS_BUS_DEVICE(dev), &err));
    assert_non_null(strstr(error_get_pretty(err), "version 0x42"));
    error_free(err);
}

static void test_info(void **state)
{
    StrBuf out;

    set_entry(3, 0x33);
    strbuf_init(&out);
    ioapic_print_info(&out, IOAPIC(((Fixture *)*state)->dev));
    assert_non_null(strstr(out.str, "pin 3  0x0000000000000033"));
    strbuf_free(&out);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_registers),
        T(test_edge_delivery),
        T(test_level_remote_irr),
        T(test_info),
        cmocka_unit_test(test_bad_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
