/*
 * Unit tests for the 8259 PIC pair (hw/intc/i8259.c), through its ports
 * as a guest programs it, with the CPU's INT line and INTA cycle played by
 * the test.
 */
#include "test.h"
#include "hw/intc/i8259.h"
#include "hw/qdev-properties.h"
#include "isa-test-machine.h"

typedef struct Fixture {
    ISABus *bus;
    IrqProbe cpu;               /* the master's INT output */
    qemu_irq cpu_line;
    qemu_irq *isa_irqs;
    PICCommonState *master;
} Fixture;

static void init_master(uint8_t icw4)
{
    outb(0x20, 0x11);           /* ICW1: edge, cascade, ICW4 follows */
    outb(0x21, 0x08);           /* ICW2: vectors 0x08-0x0f */
    outb(0x21, 0x04);           /* ICW3: slave on IRQ2 */
    outb(0x21, icw4);
    outb(0x21, 0x00);           /* OCW1: unmask all */
}

static void init_slave(uint8_t icw4)
{
    outb(0xa0, 0x11);
    outb(0xa1, 0x70);           /* vectors 0x70-0x77 */
    outb(0xa1, 0x02);           /* slave id 2 */
    outb(0xa1, icw4);
    outb(0xa1, 0x00);
}

static int setup(void **state)
{
    Fixture *f = xnew(Fixture);

    f->bus = test_isa_bus_new();
    f->cpu_line = qemu_allocate_irq(irq_probe_handler, &f->cpu, 0);
    f->isa_irqs = i8259_init(f->bus, f->cpu_line, &f->master);
    isa_bus_irqs(f->bus, f->isa_irqs);
    bus_cold_reset(BUS(f->bus));
    init_master(0x01);
    init_slave(0x01);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    test_isa_bus_free(f->bus);
    qemu_free_irq(f->cpu_line);
    free(f->isa_irqs);
    free(f);
    return 0;
}

static void raise(Fixture *f, int irq)
{
    qemu_irq_raise(isa_bus_get_irq(f->bus, irq));
}

static void lower(Fixture *f, int irq)
{
    qemu_irq_lower(isa_bus_get_irq(f->bus, irq));
}

static uint8_t read_isr(uint16_t base)
{
    uint8_t v;
    outb(base, 0x0b);           /* OCW3: read ISR */
    v = inb(base);
    outb(base, 0x0a);           /* back to IRR */
    return v;
}

static void test_priority_and_eoi(void **state)
{
    Fixture *f = *state;

    assert_int_equal(f->cpu.level, 0);
    raise(f, 3);
    raise(f, 1);
    assert_int_equal(f->cpu.level, 1);
    assert_int_equal(inb(0x20) & 0x0a, 0x0a);   /* IRR: lines 1 and 3 */

    /* Line 1 wins; while it is in service, line 3 waits. */
    assert_int_equal(pic_read_irq(f->master), 0x09);
    assert_int_equal(read_isr(0x20), 0x02);
    assert_int_equal(f->cpu.level, 0);
    assert_int_equal(pic_get_output(f->master), 0);

    /* A higher priority line interrupts line 1's handler. */
    raise(f, 0);
    assert_int_equal(f->cpu.level, 1);
    assert_int_equal(pic_read_irq(f->master), 0x08);
    assert_int_equal(read_isr(0x20), 0x03);
    outb(0x20, 0x20);           /* non-specific EOI: ends line 0 */
    assert_int_equal(read_isr(0x20), 0x02);
    assert_int_equal(f->cpu.level, 0);
    outb(0x20, 0x61);           /* specific EOI for line 1 */
    assert_int_equal(read_isr(0x20), 0x00);
    assert_int_equal(f->cpu.level, 1);
    assert_int_equal(pic_read_irq(f->master), 0x0b);
    outb(0x20, 0x20);
    assert_int_equal(f->cpu.level, 0);

    /* Masked lines are latched but not presented. */
    lower(f, 3);
    outb(0x21, 0x08);
    raise(f, 3);
    assert_int_equal(f->cpu.level, 0);
    assert_int_equal(inb(0x21), 0x08);
    outb(0x21, 0x00);
    assert_int_equal(f->cpu.level, 1);
    assert_int_equal(pic_read_irq(f->master), 0x0b);
}

static void test_cascade(void **state)
{
    Fixture *f = *state;

    raise(f, 10);
    assert_int_equal(f->cpu.level, 1);
    assert_int_equal(inb(0x20) & 0x04, 0x04);   /* master IRR: line 2 */
    assert_int_equal(inb(0xa0) & 0x04, 0x04);   /* slave IRR: line 2 */
    assert_int_equal(pic_read_irq(f->master), 0x72);
    assert_int_equal(read_isr(0x20), 0x04);
    assert_int_equal(read_isr(0xa0), 0x04);
    assert_int_equal(f->cpu.level, 0);

    /* Slave lines are below master line 1 and above line 3. */
    lower(f, 10);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    raise(f, 3);
    raise(f, 12);
    raise(f, 1);
    assert_int_equal(pic_read_irq(f->master), 0x09);
    outb(0x20, 0x20);
    assert_int_equal(pic_read_irq(f->master), 0x74);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    assert_int_equal(pic_read_irq(f->master), 0x0b);
    outb(0x20, 0x20);
    assert_int_equal(f->cpu.level, 0);
}

static void test_elcr_level(void **state)
{
    Fixture *f = *state;

    /* Only lines the chipset allows can be level-triggered. */
    outb(0x4d0, 0xff);
    assert_int_equal(inb(0x4d0), 0xf8);
    outb(0x4d0, 0x00);
    outb(0x4d1, 0x04);          /* IRQ10 level */
    assert_int_equal(inb(0x4d1), 0x04);

    raise(f, 10);
    assert_int_equal(pic_read_irq(f->master), 0x72);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    /* Still asserted after EOI: requested again. */
    assert_int_equal(f->cpu.level, 1);
    assert_int_equal(pic_read_irq(f->master), 0x72);
    lower(f, 10);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    assert_int_equal(inb(0xa0) & 0x04, 0);
    assert_int_equal(f->cpu.level, 0);

    /* An edge line held high is not requested again. */
    raise(f, 11);
    assert_int_equal(pic_read_irq(f->master), 0x73);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    assert_int_equal(f->cpu.level, 0);
    /* ICW1 keeps the ELCR; a device reset clears it. */
    init_slave(0x01);
    assert_int_equal(inb(0x4d1), 0x04);
    bus_cold_reset(BUS(f->bus));
    assert_int_equal(inb(0x4d1), 0x00);
}

static void test_spurious(void **state)
{
    Fixture *f = *state;

    /* A level request that drops before INTA: spurious IRQ7. */
    outb(0x4d0, 0x08);
    raise(f, 3);
    assert_int_equal(f->cpu.level, 1);
    lower(f, 3);
    assert_int_equal(f->cpu.level, 0);
    assert_int_equal(pic_read_irq(f->master), 0x0f);
    assert_int_equal(read_isr(0x20), 0x00);

    /* The same on the slave: IRQ15, with the master's line 2 taken. */
    outb(0x4d1, 0x04);
    raise(f, 10);
    lower(f, 10);
    assert_int_equal(pic_read_irq(f->master), 0x77);
    assert_int_equal(read_isr(0xa0), 0x00);
    assert_int_equal(read_isr(0x20), 0x04);
    outb(0x20, 0x20);
    assert_int_equal(read_isr(0x20), 0x00);
}

static void test_auto_eoi(void **state)
{
    Fixture *f = *state;

    init_master(0x03);          /* ICW4: AEOI */
    raise(f, 1);
    raise(f, 4);
    assert_int_equal(pic_read_irq(f->master), 0x09);
    assert_int_equal(read_isr(0x20), 0x00);
    /* Nothing in service: the next one is presented at once. */
    assert_int_equal(f->cpu.level, 1);
    assert_int_equal(pic_read_irq(f->master), 0x0c);
    assert_int_equal(f->cpu.level, 0);
}

static void test_rotation(void **state)
{
    Fixture *f = *state;

    raise(f, 1);
    assert_int_equal(pic_read_irq(f->master), 0x09);
    outb(0x20, 0xa0);           /* rotate on non-specific EOI */
    /* Line 1 is now the lowest priority: line 4 beats it. */
    lower(f, 1);
    raise(f, 1);
    raise(f, 4);
    assert_int_equal(pic_read_irq(f->master), 0x0c);
    outb(0x20, 0x20);
    assert_int_equal(pic_read_irq(f->master), 0x09);
    outb(0x20, 0x20);
    outb(0x20, 0xc7);           /* set priority: line 7 lowest again */
    lower(f, 1);
    lower(f, 4);
    raise(f, 4);
    raise(f, 1);
    assert_int_equal(pic_read_irq(f->master), 0x09);
}

static void test_special_mask(void **state)
{
    Fixture *f = *state;

    raise(f, 3);
    assert_int_equal(pic_read_irq(f->master), 0x0b);
    raise(f, 5);
    assert_int_equal(f->cpu.level, 0);      /* line 3 in service blocks 5 */

    outb(0x21, 0x08);           /* mask line 3 ... */
    outb(0x20, 0x68);           /* ... and enter special mask mode */
    assert_int_equal(f->cpu.level, 1);
    assert_int_equal(pic_read_irq(f->master), 0x0d);
    assert_int_equal(read_isr(0x20), 0x28);
    outb(0x20, 0x65);           /* specific EOI line 5 */
    outb(0x20, 0x48);           /* leave special mask mode */
    outb(0x20, 0x63);
    assert_int_equal(read_isr(0x20), 0x00);
}

static void test_poll(void **state)
{
    Fixture *f = *state;

    outb(0x20, 0x0c);           /* OCW3: poll */
    assert_int_equal(inb(0x20), 0x00);      /* nothing pending */
    raise(f, 6);
    outb(0x20, 0x0c);
    assert_int_equal(inb(0x20), 0x86);
    assert_int_equal(read_isr(0x20), 0x40);
    assert_int_equal(f->cpu.level, 0);
    /* The poll is for one read only. */
    assert_int_equal(inb(0x20), 0x00);      /* IRR now empty */
    outb(0x20, 0x20);
    assert_int_equal(read_isr(0x20), 0x00);
}

static void test_reset(void **state)
{
    Fixture *f = *state;

    raise(f, 1);
    assert_int_equal(f->cpu.level, 1);
    bus_cold_reset(BUS(f->bus));
    assert_int_equal(f->cpu.level, 0);
    assert_int_equal(inb(0x21), 0x00);
    assert_int_equal(inb(0x20), 0x00);
    /* Half-way through initialization, OCW1 writes are ICW2 bytes. */
    outb(0x20, 0x11);
    outb(0x21, 0x20);
    assert_int_equal(inb(0x21), 0x00);
}

static void test_bad_realize(void **state)
{
    Fixture *f = *state;
    DeviceState *dev = qdev_new(TYPE_I8259);
    Error *err = NULL;

    qdev_prop_set_uint32(dev, "iobase", 0x10000);
    assert_false(qdev_realize_and_unref(dev, BUS(f->bus), &err));
    assert_non_null(strstr(error_get_pretty(err), "iobase"));
    error_free(err);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_priority_and_eoi),
        T(test_cascade),
        T(test_elcr_level),
        T(test_spurious),
        T(test_auto_eoi),
        T(test_rotation),
        T(test_special_mask),
        T(test_poll),
        T(test_reset),
        T(test_bad_realize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
