/*
 * Unit tests for the reset and A20 paths of the pc: the i8042 keyboard
 * controller (hw/input/pckbd.c), port 0x92, the 0xCF9 reset control
 * register (hw/misc/cf9.c), and isa-debug-exit (hw/misc/debugexit.c).
 */
#include "test.h"
#include "hw/input/i8042.h"
#include "hw/qdev-properties.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "isa-test-machine.h"
#include <sys/wait.h>

#define STAT_OBF 0x01
#define STAT_AUX 0x20
#define STAT_TIMEOUT 0x40

typedef struct Fixture {
    ISABus *bus;
    IrqProbe irq[ISA_NUM_IRQS];
    qemu_irq lines[ISA_NUM_IRQS];
    IrqProbe a20[2];            /* 0: i8042, 1: port 0x92 */
    qemu_irq a20_lines[2];
    ISAKBDState *kbd;
} Fixture;

static int setup(void **state)
{
    Fixture *f = xnew(Fixture);
    DeviceState *kbd, *p92;

    runstate_init();
    f->bus = test_isa_bus_new();
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        f->lines[i] = qemu_allocate_irq(irq_probe_handler, f->irq, i);
    }
    isa_bus_irqs(f->bus, f->lines);
    for (int i = 0; i < 2; i++) {
        f->a20_lines[i] = qemu_allocate_irq(irq_probe_handler, f->a20, i);
    }
    kbd = DEVICE(isa_create_simple(f->bus, TYPE_I8042));
    qdev_connect_gpio_out_named(kbd, I8042_A20_LINE, 0, f->a20_lines[0]);
    p92 = DEVICE(isa_create_simple(f->bus, TYPE_PORT92));
    qdev_connect_gpio_out_named(p92, I8042_A20_LINE, 0, f->a20_lines[1]);
    isa_create_simple(f->bus, "cf9-reset");
    f->kbd = I8042(kbd);
    bus_cold_reset(BUS(f->bus));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    test_isa_bus_free(f->bus);
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        qemu_free_irq(f->lines[i]);
    }
    qemu_free_irq(f->a20_lines[0]);
    qemu_free_irq(f->a20_lines[1]);
    free(f);
    runstate_init();
    return 0;
}

/* Read one byte as a polling guest does; -1 if none comes. */
static int kbd_read(void)
{
    if (!(inb(0x64) & STAT_OBF)) {
        return -1;
    }
    return inb(0x60);
}

static void test_controller_commands(void **state)
{
    Fixture *f = *state;

    assert_int_equal(kbd_read(), -1);
    outb(0x64, 0xaa);                       /* self-test */
    assert_int_equal(inb(0x64) & (STAT_OBF | STAT_AUX | 0x04), STAT_OBF | 4);
    assert_int_equal(f->irq[1].level, 1);   /* KBD_INT is on after reset */
    assert_int_equal(inb(0x60), 0x55);
    assert_int_equal(f->irq[1].level, 0);
    outb(0x64, 0xab);                       /* keyboard interface test */
    assert_int_equal(kbd_read(), 0x00);
    outb(0x64, 0xa9);                       /* aux interface test */
    assert_int_equal(kbd_read(), 0x00);

    /* Command byte: read, write without interrupts, read back. */
    outb(0x64, 0x20);
    assert_int_equal(kbd_read(), 0x03);
    outb(0x64, 0x60);
    outb(0x60, 0x44);                       /* translate, SYS, no IRQs */
    outb(0x64, 0x20);
    assert_int_equal(f->irq[1].level, 0);
    assert_int_equal(kbd_read(), 0x44);

    /* Output port read: A20 and reset high. */
    outb(0x64, 0xd0);
    assert_int_equal(kbd_read() & 0x03, 0x03);

    /* Loopback through the aux output buffer (Linux's AUX probe). */
    outb(0x64, 0x60);
    outb(0x60, 0x47);                       /* both IRQs on */
    outb(0x64, 0xd3);
    outb(0x60, 0x5a);
    assert_int_equal(inb(0x64) & (STAT_OBF | STAT_AUX), STAT_OBF | STAT_AUX);
    assert_int_equal(f->irq[12].level, 1);
    assert_int_equal(f->irq[1].level, 0);
    assert_int_equal(inb(0x60), 0x5a);
    assert_int_equal(f->irq[12].level, 0);

    /* Unknown commands are logged, not fatal. */
    outb(0x64, 0x05);
    assert_int_equal(kbd_read(), -1);
}

static void test_keyboard_device(void **state)
{
    Fixture *f = *state;

    outb(0x60, 0xff);                       /* reset */
    assert_int_equal(kbd_read(), 0xfa);
    assert_int_equal(kbd_read(), 0xaa);
    assert_int_equal(kbd_read(), -1);
    outb(0x60, 0xf2);                       /* identify, translating */
    assert_int_equal(kbd_read(), 0xfa);
    assert_int_equal(kbd_read(), 0xab);
    assert_int_equal(kbd_read(), 0x83);     /* KCC off after reset */
    outb(0x60, 0xee);
    assert_int_equal(kbd_read(), 0xee);
    outb(0x60, 0xed);                       /* LEDs */
    assert_int_equal(kbd_read(), 0xfa);
    outb(0x60, 0x07);
    assert_int_equal(kbd_read(), 0xfa);
    assert_int_equal(f->kbd->kbd.kbd_leds, 7);
    outb(0x60, 0xf0);                       /* scan code set: get */
    assert_int_equal(kbd_read(), 0xfa);
    outb(0x60, 0x00);
    assert_int_equal(kbd_read(), 0xfa);
    assert_int_equal(kbd_read(), 0x02);
    outb(0x60, 0xf0);
    outb(0x60, 0x09);                       /* no such set */
    assert_int_equal(kbd_read(), 0xfa);
    assert_int_equal(kbd_read(), 0xfe);

    /* Scanning off: key bytes are dropped; on: delivered with IRQ 1. */
    outb(0x60, 0xf5);
    assert_int_equal(kbd_read(), 0xfa);
    i8042_put_kbd_byte(f->kbd, 0x1c);
    assert_int_equal(kbd_read(), -1);
    outb(0x60, 0xf4);
    assert_int_equal(kbd_read(), 0xfa);
    i8042_put_kbd_byte(f->kbd, 0x1c);
    assert_int_equal(f->irq[1].level, 1);
    assert_int_equal(kbd_read(), 0x1c);

    /* A disabled keyboard interface holds its bytes back. */
    outb(0x64, 0xad);
    i8042_put_kbd_byte(f->kbd, 0x32);
    assert_int_equal(kbd_read(), -1);
    outb(0x64, 0xae);
    assert_int_equal(kbd_read(), 0x32);

    /* Unknown keyboard command: resend. */
    outb(0x60, 0x77);
    assert_int_equal(kbd_read(), 0xfe);
}

static void test_no_mouse(void **state)
{
    outb(0x64, 0xd4);                       /* to the aux device ... */
    outb(0x60, 0xf2);                       /* ... identify */
    assert_int_equal(inb(0x64) & (STAT_OBF | STAT_AUX | STAT_TIMEOUT),
                     STAT_OBF | STAT_AUX | STAT_TIMEOUT);
    assert_int_equal(inb(0x60), 0xfe);
    assert_int_equal(inb(0x64) & (STAT_OBF | STAT_TIMEOUT), 0);
}

static void test_kbd_reset_and_a20(void **state)
{
    Fixture *f = *state;

    assert_int_equal(f->a20[0].level, 1);   /* A20 on after reset */
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_NONE);
    outb(0x64, 0xdd);
    assert_int_equal(f->a20[0].level, 0);
    outb(0x64, 0xdf);
    assert_int_equal(f->a20[0].level, 1);
    outb(0x64, 0xd1);                       /* write output port */
    outb(0x60, 0x01);                       /* A20 off, no reset */
    assert_int_equal(f->a20[0].level, 0);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_NONE);

    outb(0x64, 0xfe);                       /* pulse reset line */
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_GUEST_RESET);
    runstate_init();
    outb(0x64, 0xff);                       /* pulse nothing */
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_NONE);
    outb(0x64, 0xd1);
    outb(0x60, 0x02);                       /* reset bit low */
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_GUEST_RESET);
}

static void test_port92(void **state)
{
    Fixture *f = *state;

    assert_int_equal(inb(0x92), 0x00);
    outb(0x92, 0x02);
    assert_int_equal(f->a20[1].level, 1);
    assert_int_equal(inb(0x92), 0x02);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_NONE);
    outb(0x92, 0x03);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_GUEST_RESET);
    runstate_init();
    /* Only a rising bit 0 resets; the reset itself clears it. */
    outb(0x92, 0x03);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_NONE);
    bus_cold_reset(BUS(f->bus));
    assert_int_equal(inb(0x92), 0x02);
    outb(0x92, 0x01);
    assert_int_equal(f->a20[1].level, 0);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_GUEST_RESET);
}

static void test_cf9(void **state)
{
    outb(0xcf9, 0x02);                      /* choose hard reset */
    assert_int_equal(inb(0xcf9), 0x02);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_NONE);
    outb(0xcf9, 0x06);                      /* the FADT's RESET_VALUE */
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_GUEST_RESET);
}

/* Child: a machine with isa-debug-exit; the guest writes, the loop exits. */
static int debug_exit_child(uint32_t iobase, uint32_t iosize, uint32_t val,
                            unsigned width)
{
    ISABus *bus = test_isa_bus_new();
    DeviceState *dev = qdev_new("isa-debug-exit");
    int status = 0;

    qdev_prop_set_uint32(dev, "iobase", iobase);
    qdev_prop_set_uint32(dev, "iosize", iosize);
    qdev_realize_and_unref(dev, BUS(bus), &error_abort);
    main_loop_init();
    runstate_init();
    if (width == 4) {
        address_space_stl_le(&address_space_io, iobase, val, ATTRS, NULL);
    } else {
        outb(iobase, val);
    }
    if (!main_loop_should_exit(&status)) {
        return 99;
    }
    return status;
}

static int run_debug_exit(uint32_t iobase, uint32_t iosize, uint32_t val,
                          unsigned width)
{
    int wstatus;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        _exit(debug_exit_child(iobase, iosize, val, width));
    }
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    assert_true(WIFEXITED(wstatus));
    return WEXITSTATUS(wstatus);
}

static void test_debug_exit(void **state)
{
    assert_int_equal(run_debug_exit(0xf4, 4, 0x10, 1), 0x21);
    assert_int_equal(run_debug_exit(0xf4, 4, 0, 4), 1);
    assert_int_equal(run_debug_exit(0x501, 2, 0x3f, 1), 0x7f);
}

static void test_debug_exit_bad_props(void **state)
{
    ISABus *bus = test_isa_bus_new();
    DeviceState *dev = qdev_new("isa-debug-exit");
    Error *err = NULL;

    qdev_prop_set_uint32(dev, "iobase", 0xfffe);
    qdev_prop_set_uint32(dev, "iosize", 4);
    assert_false(qdev_realize_and_unref(dev, BUS(bus), &err));
    assert_non_null(strstr(error_get_pretty(err), "iobase=0xfffe"));
    error_free(err);
    test_isa_bus_free(bus);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_controller_commands),
        T(test_keyboard_device),
        T(test_no_mouse),
        T(test_kbd_reset_and_a20),
        T(test_port92),
        T(test_cf9),
        cmocka_unit_test(test_debug_exit),
        cmocka_unit_test(test_debug_exit_bad_props),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
